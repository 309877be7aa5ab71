//! `/{app-id}/subscriptions`: the app-level webhook configuration, as Graph serves it.
//!
//! Setting a callback runs Meta's verification handshake first. A callback that fails it is
//! refused with Graph's verification error and changes nothing that worked: an active
//! subscription keeps its verified callback, token and fields. Only an app with no working
//! subscription keeps the failed one, inactive, so the dashboard can show what was tried.

use serde_json::{Value, json};
use wamm_domain::{App, AppSubscription, NewEvent};
use wamm_store::{ChangeSet, Delete, Put};
use wamm_wire::GraphError;

use super::fanout::WABA_OBJECT;
use super::handshake::{HandshakeError, verify};
use crate::graph::reply::{ApiResult, Reply};
use crate::graph::request::GraphRequest;
use crate::graph::routes::Ctx;
use crate::state::AppState;

/// The Graph error for a failed handshake.
pub fn handshake_error(e: &HandshakeError) -> GraphError {
    match e {
        HandshakeError::Mismatch { .. } => GraphError::new(
            400,
            wamm_wire::error::kind::OAUTH,
            2201,
            format!("(#2201) {e}"),
        ),
        _ => GraphError::new(
            400,
            wamm_wire::error::kind::OAUTH,
            2200,
            format!("(#2200) callback verification failed: {e}"),
        ),
    }
}

/// A storage failure while setting a subscription: logged once here, answered as Graph's
/// unknown error like every other storage failure.
fn storage_failure(e: &wamm_store::StoreError) -> GraphError {
    tracing::error!(error = %e, "storage failure while setting a webhook subscription");
    GraphError::unknown()
}

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

/// How new fields combine with those already subscribed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldsMode {
    /// Add to the subscribed fields (what `POST /{app-id}/subscriptions` does).
    Merge,
    /// Subscribe exactly these fields (the App Dashboard form).
    Replace,
}

/// Sets the app's subscription, running the handshake when the callback changes; for the
/// Graph call and the console form alike.
pub async fn set(
    state: &AppState,
    app: &App,
    callback_url: Option<String>,
    verify_token: Option<String>,
    fields: Vec<String>,
    mode: FieldsMode,
) -> Result<AppSubscription, GraphError> {
    let existing = state
        .store
        .app_subscriptions(app.id)
        .await
        .map_err(|e| storage_failure(&e))?
        .into_iter()
        .find(|s| s.object == WABA_OBJECT);
    let url = callback_url
        .or_else(|| existing.as_ref().map(|s| s.callback_url.clone()))
        .ok_or_else(|| GraphError::invalid_parameter("The parameter callback_url is required"))?;
    let token = verify_token
        .or_else(|| existing.as_ref().map(|s| s.verify_token.clone()))
        .ok_or_else(|| GraphError::invalid_parameter("The parameter verify_token is required"))?;
    let mut all_fields = match mode {
        FieldsMode::Merge => existing
            .as_ref()
            .map(|s| s.fields.clone())
            .unwrap_or_default(),
        FieldsMode::Replace => Vec::new(),
    };
    all_fields.extend(fields);
    all_fields.sort();
    all_fields.dedup();
    if all_fields.is_empty() {
        return Err(GraphError::invalid_parameter(
            "The parameter fields is required",
        ));
    }
    state
        .webhooks
        .outbound
        .check(&url)
        .map_err(|e| GraphError::invalid_parameter(e.to_string()))?;
    let same_callback = existing
        .as_ref()
        .is_some_and(|s| s.active && s.callback_url == url && s.verify_token == token);
    let verified = if same_callback {
        Ok(())
    } else {
        verify(&state.webhooks.outbound, &url, &token).await
    };
    let now = state.clock.now();
    if let (Err(e), Some(working)) = (&verified, existing.as_ref().filter(|s| s.active)) {
        let event = NewEvent {
            at: now,
            kind: "app.subscription_unverified".into(),
            subject: format!("app:{}", app.id),
            detail: json!({ "callback_url": url, "kept_callback_url": working.callback_url, "active": false }),
        };
        state
            .store
            .commit(ChangeSet::new().event(event))
            .await
            .map_err(|e| storage_failure(&e))?;
        return Err(handshake_error(e));
    }
    let sub = AppSubscription {
        app_id: app.id,
        object: WABA_OBJECT.to_owned(),
        callback_url: url,
        verify_token: token,
        fields: all_fields,
        active: verified.is_ok(),
        updated_at: now,
    };
    let event = NewEvent {
        at: now,
        kind: if sub.active {
            "app.subscription_set".into()
        } else {
            "app.subscription_unverified".into()
        },
        subject: format!("app:{}", app.id),
        detail: json!({ "callback_url": sub.callback_url, "fields": sub.fields, "active": sub.active }),
    };
    state
        .store
        .commit(
            ChangeSet::new()
                .put(Put::AppSubscription(sub.clone()))
                .event(event),
        )
        .await
        .map_err(|e| storage_failure(&e))?;
    verified.map(|()| sub).map_err(|e| handshake_error(&e))
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
    let now = state.clock.now();
    let mut changes = ChangeSet::new();
    for mut sub in state.store.app_subscriptions(app.id).await? {
        if req.params.str("object").is_some_and(|o| o != sub.object) {
            continue;
        }
        if fields.is_empty() {
            changes = changes.delete(Delete::AppSubscription {
                app: app.id,
                object: sub.object.clone(),
            });
        } else {
            sub.fields.retain(|f| !fields.contains(f));
            sub.updated_at = now;
            changes = changes.put(Put::AppSubscription(sub));
        }
    }
    let event = NewEvent {
        at: now,
        kind: "app.subscription_removed".into(),
        subject: format!("app:{}", app.id),
        detail: json!({ "fields": fields }),
    };
    state.store.commit(changes.event(event)).await?;
    Ok(Reply::success())
}
