//! The Conversions API on the Graph surface: a WABA's datasets (`GET`/`POST
//! /{waba-id}/dataset`), the pixel node (`GET /{pixel-id}`; a dataset's ID is its pixel's),
//! and `POST /{pixel-id}/events`, where a business reports what recipients did on its website
//! or in its app.
//!
//! `data` is a list of events, each an object or its JSON text (Meta's SDKs send the text),
//! in a form, JSON or query body alike; `test_event_code`, `partner_agent` and the upload
//! parameters Meta documents are accepted. The answer is Meta's:
//! `{"events_received", "messages", "fbtrace_id"}`.

use serde_json::{Value, json};
use wamm_domain::Waba;
use wamm_domain::capi::Pixel;
use wamm_wire::GraphError;

use super::catalogue;
use super::render::Node;
use super::reply::{ApiResult, Reply};
use super::routes::Ctx;
use crate::usecase::conversions::{self, Envelope};
use crate::usecase::datasets;

/// `GET /{waba-id}/dataset`: the datasets of the WABA's owner business, `{"data": [{"id",
/// "name"}]}` (an empty list when it has none).
pub async fn datasets(c: Ctx<'_>, waba: &Waba) -> ApiResult {
    let data: Vec<Value> = datasets::of_waba(c.state, waba)
        .await?
        .iter()
        .map(|p| json!({"id": p.id.to_string(), "name": p.name}))
        .collect();
    Ok(Reply::json(json!({ "data": data })).about(waba.id))
}

/// `POST /{waba-id}/dataset` with `dataset_name`: the owner business's dataset, made when it
/// has none; `{"id"}`. A second call answers with the same dataset.
pub async fn create_dataset(c: Ctx<'_>, waba: &Waba) -> ApiResult {
    let name = c.req.params.required("dataset_name")?;
    let pixel = datasets::ensure(c.state, waba, name.trim()).await?;
    Ok(Reply::json(json!({ "id": pixel.id.to_string() })).about(waba.id))
}

/// The pixel as Graph renders an `AdsPixel` node, its owner business named.
fn node(pixel: &Pixel, owner_name: Option<String>) -> Node {
    Node::of(&catalogue::ADS_PIXEL)
        .value("id", pixel.id.to_string())
        .value("name", pixel.name.clone())
        .value(
            "owner_business",
            json!({
                "id": pixel.owner_business_id.to_string(),
                "name": owner_name.unwrap_or_default(),
            }),
        )
        .value("creation_time", pixel.created_at.graph_time())
        .value("is_unavailable", false)
        .value("is_created_by_business", true)
}

/// `GET /{pixel-id}` (or `/{dataset-id}`).
pub async fn get(c: Ctx<'_>, pixel: &Pixel) -> ApiResult {
    let sel = c.req.params.fields()?;
    let owner = c.state.store.business(pixel.owner_business_id).await?;
    let body = node(pixel, owner.map(|b| b.name)).project(sel.as_ref())?;
    Ok(Reply::json(body))
}

/// `POST /{pixel-id}/events`: the Conversions API. Every event is checked first, and one bad
/// event refuses the whole request; events that follow a click on a message's link are counted
/// for that message.
pub async fn events(c: Ctx<'_>, pixel: &Pixel) -> ApiResult {
    let items = match c.req.params.json("data")? {
        None => return Err(GraphError::invalid_parameter("The parameter data is required").into()),
        Some(Value::Array(items)) => items,
        // One event sent bare, not in a list, as some clients do.
        Some(Value::Object(event)) => vec![Value::Object(event)],
        Some(_) => {
            return Err(GraphError::invalid_parameter(
                "Param data must be a list of events (objects or their JSON text)",
            )
            .into());
        }
    };
    let envelope = Envelope {
        test_event_code: c
            .req
            .params
            .str("test_event_code")
            .filter(|s| !s.is_empty()),
        partner_agent: c.req.params.str("partner_agent").filter(|s| !s.is_empty()),
        trace: c.req.trace.clone(),
    };
    let outcomes = conversions::receive(c.state, pixel, &items, &envelope).await?;
    Ok(Reply::json(json!({
        "events_received": outcomes.len(),
        "messages": [],
        "fbtrace_id": c.req.trace,
    })))
}

#[cfg(test)]
mod tests {
    use super::*;
    use wamm_domain::Timestamp;
    use wamm_wire::ids::{BusinessId, PixelId};

    #[test]
    fn the_pixel_node_agrees_with_the_catalogue() {
        let pixel = Pixel {
            id: PixelId::new(77),
            name: "Shop".into(),
            owner_business_id: BusinessId::new(5),
            domains: Vec::new(),
            dataset: true,
            created_at: Timestamp::from_millis(0),
        };
        let n = node(&pixel, Some("Owner".into()));
        catalogue::assert_builder_agrees(&n);
        let all = n.project(None).expect("defaults");
        assert_eq!(all, json!({"id": "77", "name": "Shop"}));
    }
}
