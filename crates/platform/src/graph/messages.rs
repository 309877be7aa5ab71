//! `POST /{phone-number-id}/marketing_messages` and Cloud API `POST /{phone-number-id}/messages`:
//! the payload is taken from the request, the send use case ([`crate::usecase::send`]) decides,
//! and the answer is rendered as Graph's.

use serde_json::{Map, Value, json};
use wamm_domain::sending::{Endpoint, SendError};
use wamm_domain::{PhoneNumber, Waba};
use wamm_wire::GraphError;

use super::reply::{ApiResult, Reply};
use super::request::GraphRequest;
use super::routes::Ctx;
use crate::usecase::send::{self, Order, Refused};

fn graph(e: &SendError) -> GraphError {
    GraphError::new(
        e.status,
        wamm_wire::error::kind::OAUTH,
        e.code,
        format!("(#{}) {}", e.code, e.title),
    )
    .with_details(e.details.clone())
}

/// The payload without the transport's own parameters.
fn payload(req: &GraphRequest) -> Map<String, Value> {
    let mut map = Map::new();
    for key in [
        "messaging_product",
        "recipient_type",
        "to",
        "type",
        "template",
        "text",
        "product_policy",
        "message_activity_sharing",
        "biz_opaque_callback_data",
    ] {
        if let Some(v) = req.params.get(key) {
            map.insert(key.to_owned(), v.clone());
        }
    }
    map
}

/// `POST /{phone-number-id}/marketing_messages` or `/messages`.
pub async fn send(c: Ctx<'_>, phone: &PhoneNumber, waba: &Waba, endpoint: Endpoint) -> ApiResult {
    let Ctx { state, req, caller } = c;
    let order = Order {
        phone,
        waba,
        app: caller.app.id,
        endpoint,
        graph_major: u32::from(req.version.major),
        payload: payload(req),
    };
    let sent = match send::send(state, order).await {
        Ok(sent) => sent,
        Err(Refused::Rule(e)) => return Err(graph(&e).into()),
        Err(Refused::Store(e)) => return Err(e.into()),
    };
    let mut entry = json!({ "id": sent.wamid });
    if sent.template {
        entry["message_status"] = json!("accepted");
    }
    Ok(Reply::json(json!({
        "messaging_product": "whatsapp",
        "contacts": [{ "input": sent.input, "wa_id": sent.wa_id }],
        "messages": [entry],
    }))
    .about(waba.id))
}
