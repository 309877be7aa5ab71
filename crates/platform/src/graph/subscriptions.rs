//! `/{app-id}/subscriptions`: the app-level webhook configuration, as Graph serves it
//! ([`crate::usecase::app_subscriptions`] decides).

use serde_json::{Value, json};
use wamm_domain::{App, AppSubscription};
use wamm_wire::GraphError;

use super::reply::{ApiResult, Reply};
use super::request::GraphRequest;
use super::routes::Ctx;
use crate::usecase::app_subscriptions::{self, FieldsMode, set};
use crate::webhooks::fanout::WABA_OBJECT;

/// Parses `fields` given as `a,b`, as a JSON array, or as a JSON array in text.
pub fn parse_fields(req: &GraphRequest) -> Result<Vec<String>, GraphError> {
    let raw: Vec<String> = match req.params.get("fields") {
        None => Vec::new(),
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
        Some(_) => {
            let text = req.params.str("fields").unwrap_or_default();
            if text.trim_start().starts_with('[') {
                serde_json::from_str::<Vec<String>>(&text).map_err(|_| {
                    GraphError::invalid_parameter("Param fields must be a list of field names")
                })?
            } else {
                text.split(',')
                    .map(|f| f.trim().to_owned())
                    .filter(|f| !f.is_empty())
                    .collect()
            }
        }
    };
    if let Some(bad) = raw
        .iter()
        .find(|f| !wamm_world::WEBHOOK_FIELDS.contains(&f.as_str()))
    {
        return Err(GraphError::invalid_parameter(format!(
            "Param fields contains an invalid field for object {WABA_OBJECT}: {bad}"
        )));
    }
    let mut fields = raw;
    fields.sort();
    fields.dedup();
    Ok(fields)
}

fn render(sub: &AppSubscription, version: &str) -> Value {
    json!({
        "object": sub.object,
        "callback_url": sub.callback_url,
        "active": sub.active,
        "fields": sub.fields.iter().map(|f| json!({ "name": f, "version": version })).collect::<Vec<_>>(),
    })
}

/// `GET /{app-id}/subscriptions`.
pub async fn list(c: Ctx<'_>, app: &App) -> ApiResult {
    let Ctx { state, req, .. } = c;
    let version = req.version.to_string();
    let data: Vec<Value> = state
        .store
        .app_subscriptions(app.id)
        .await?
        .iter()
        .map(|s| render(s, &version))
        .collect();
    Ok(Reply::json(json!({ "data": data })))
}

/// `POST /{app-id}/subscriptions`.
pub async fn create(c: Ctx<'_>, app: &App) -> ApiResult {
    let Ctx { state, req, .. } = c;
    let object = req.params.required("object")?;
    if object != WABA_OBJECT {
        return Err(GraphError::invalid_parameter(format!(
            "Param object must be {WABA_OBJECT} on this platform"
        ))
        .into());
    }
    let fields = parse_fields(req)?;
    set(
        state,
        app,
        req.params.str("callback_url"),
        req.params.str("verify_token"),
        fields,
        FieldsMode::Merge,
    )
    .await?;
    Ok(Reply::success())
}

/// `DELETE /{app-id}/subscriptions[?object=…][&fields=…]`: removes fields, or the whole object.
pub async fn delete(c: Ctx<'_>, app: &App) -> ApiResult {
    let Ctx { state, req, .. } = c;
    let fields = parse_fields(req)?;
    app_subscriptions::remove(state, app, req.params.str("object").as_deref(), fields).await?;
    Ok(Reply::success())
}
