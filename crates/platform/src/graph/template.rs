//! `/{waba-id}/message_templates` and `/{template-id}`.

use serde_json::{Value, json};
use wamm_domain::template::TemplateError;
use wamm_domain::{Template, TemplateCategory, TemplateStatus, Waba};
use wamm_wire::GraphError;

use super::catalogue;
use super::lists::{id_key, page};
use super::render::{Node, enum_text};
use super::reply::{ApiResult, Reply};
use super::request::GraphRequest;
use super::routes::Ctx;
use crate::usecase::templates::{self, Draft, Edit, invalid};

/// Whether Meta's ad sync for `waba` is done by `now` (its ad fields are readable then).
pub fn synced(waba: &Waba, now: wamm_domain::Timestamp) -> bool {
    waba.mm_setup_complete_at.is_some_and(|t| t <= now)
}

/// The template node; `synced` says whether its ad entities are readable yet.
pub fn node(t: &Template, synced: bool) -> Node {
    let ad = t.ad.as_ref().filter(|_| synced);
    Node::of(&catalogue::TEMPLATE)
        .value("id", t.id.to_string())
        .value("name", t.name.clone())
        .value("language", t.language.clone())
        .value("status", enum_text(t.status))
        .value("category", enum_text(t.category))
        .value("parameter_format", t.parameter_format.clone())
        .value("components", t.components.clone())
        .maybe("message_send_ttl_seconds", t.message_send_ttl_seconds)
        .value(
            "rejected_reason",
            if t.status == TemplateStatus::Rejected {
                "INVALID_FORMAT"
            } else {
                "NONE"
            },
        )
        .maybe("previous_category", None::<String>)
        .maybe("ad_account_id", ad.map(|a| a.ad_account_id.clone()))
        .maybe("ad_campaign_id", ad.map(|a| a.ad_campaign_id.clone()))
        .maybe("ad_adset_id", ad.map(|a| a.ad_adset_id.clone()))
        .maybe("ad_id", ad.map(|a| a.ad_id.clone()))
}

fn category(text: &str) -> Result<TemplateCategory, GraphError> {
    serde_json::from_value(Value::String(text.to_ascii_uppercase())).map_err(|_| {
        invalid(&TemplateError {
            param: "category".into(),
            message: format!("'{text}' is not a template category"),
        })
    })
}

/// `GET /{waba-id}/message_templates`, with Graph's `name`, `status`, `category` and
/// `language` filters, and the `summary` Meta documents for this edge.
pub async fn list(c: Ctx<'_>, waba: &Waba) -> ApiResult {
    let Ctx { state, req, .. } = c;
    let name = req.params.str("name");
    // Each filter takes one value or a list (`["APPROVED","PAUSED"]` or `APPROVED,PAUSED`).
    let upper = |items: Vec<String>| -> Vec<String> {
        items.iter().map(|s| s.to_ascii_uppercase()).collect()
    };
    let status = req.params.list("status").map(upper);
    let cat = req.params.list("category").map(upper);
    let language = req.params.list("language");
    let ready = synced(waba, state.clock.now());
    let all = state.store.templates_of(waba.id).await?;
    let nodes: Vec<(String, Node)> = all
        .iter()
        .filter(|t| name.as_ref().is_none_or(|n| t.name.contains(n.as_str())))
        .filter(|t| {
            status
                .as_ref()
                .is_none_or(|s| s.contains(&enum_text(t.status)))
        })
        .filter(|t| {
            cat.as_ref()
                .is_none_or(|c| c.contains(&enum_text(t.category)))
        })
        .filter(|t| language.as_ref().is_none_or(|l| l.contains(&t.language)))
        .map(|t| (id_key(t.id.get()), node(t, ready)))
        .collect();
    let total = nodes.len();
    let mut body = page(req, nodes, &req.params.filtering()?)?;
    if let Some(asked) = req.params.list("summary") {
        body["summary"] = summary(&asked, total, all.len());
    }
    Ok(Reply::json(body).about(waba.id))
}

/// The most templates a WABA may hold: Meta's documented 250 (the platform does not enforce
/// it; clients such as pywa read it from the summary).
const TEMPLATE_LIMIT: usize = 250;

/// `summary` of `message_templates`, holding the `asked` items Meta documents (`true` asks
/// for `total_count`, as on any Graph edge; other names are ignored): `total_count` counts the
/// templates the filters kept, `message_template_count` all of the WABA's, and
/// `are_translations_complete` is always true, since every template is created whole here.
fn summary(asked: &[String], total: usize, count: usize) -> Value {
    let mut out = serde_json::Map::new();
    for item in asked {
        let (key, value) = match item.as_str() {
            "true" | "total_count" => ("total_count", json!(total)),
            "message_template_count" => ("message_template_count", json!(count)),
            "message_template_limit" => ("message_template_limit", json!(TEMPLATE_LIMIT)),
            "are_translations_complete" => ("are_translations_complete", json!(true)),
            _ => continue,
        };
        out.insert(key.to_owned(), value);
    }
    Value::Object(out)
}

fn ttl_param(req: &GraphRequest) -> Result<Option<i64>, GraphError> {
    req.params.int("message_send_ttl_seconds")
}

/// `POST /{waba-id}/message_templates`: creates a template.
pub async fn create(c: Ctx<'_>, waba: &Waba) -> ApiResult {
    let Ctx { state, req, .. } = c;
    let draft = Draft {
        name: req.params.required("name")?,
        language: req.params.required("language")?,
        category: category(&req.params.required("category")?)?,
        components: req
            .params
            .json("components")?
            .ok_or_else(|| GraphError::invalid_parameter("The parameter components is required"))?,
        ttl: ttl_param(req)?,
        parameter_format: req
            .params
            .str("parameter_format")
            .map_or_else(|| "POSITIONAL".to_owned(), |f| f.to_ascii_uppercase()),
    };
    let t = templates::create(state, waba, draft).await?;
    let body = json!({ "id": t.id.to_string(), "status": enum_text(t.status), "category": enum_text(t.category) });
    Ok(Reply::json(body).about(waba.id))
}

/// `GET /{template-id}`.
pub async fn get(c: Ctx<'_>, t: &Template, waba: &Waba) -> ApiResult {
    let Ctx { state, req, .. } = c;
    let sel = req.params.fields()?;
    let ready = synced(waba, state.clock.now());
    Ok(Reply::json(node(t, ready).project(sel.as_ref())?).about(waba.id))
}

/// `POST /{template-id}`: edits components, category or TTL.
pub async fn edit(c: Ctx<'_>, t: &Template, waba: &Waba) -> ApiResult {
    let Ctx { state, req, .. } = c;
    let edit = Edit {
        category: req
            .params
            .str("category")
            .map(|c| category(&c))
            .transpose()?,
        components: req.params.json("components")?,
        ttl: ttl_param(req)?,
    };
    templates::edit(state, waba, t, edit).await?;
    Ok(Reply::success().about(waba.id))
}

/// `DELETE /{waba-id}/message_templates?name=…[&hsm_id=…]`.
pub async fn delete_by_name(c: Ctx<'_>, waba: &Waba) -> ApiResult {
    let Ctx { state, req, .. } = c;
    let name = req.params.required("name")?;
    let hsm = req.params.str("hsm_id");
    templates::delete_named(state, waba, &name, hsm.as_deref()).await?;
    Ok(Reply::success().about(waba.id))
}
