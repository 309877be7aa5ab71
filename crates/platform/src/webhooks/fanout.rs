//! Which endpoints a change goes to.
//!
//! Meta delivers a WABA's change to every app subscribed to that WABA (`subscribed_apps`) whose
//! app-level subscription includes the field, at the WABA's override callback when one is set,
//! else at the app's callback.

use serde_json::Value;
use wamm_domain::{NewWebhook, Timestamp};
use wamm_store::StoreError;
use wamm_wire::ids::WabaId;

use crate::context::Platform;

/// The object WhatsApp webhooks are delivered under.
pub use wamm_wire::webhooks::WABA_OBJECT;

/// Where changes of one field on one WABA go: an app and its endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The app whose secret signs the delivery.
    pub app_id: wamm_wire::ids::AppId,
    /// The callback URL.
    pub endpoint: String,
}

/// The endpoints changes of `field` on `waba` go to (none while replaying history).
pub async fn targets(
    state: &Platform,
    waba: WabaId,
    field: &str,
) -> Result<Vec<Target>, StoreError> {
    let mut out = Vec::new();
    if !state.delivers_webhooks() {
        return Ok(out);
    }
    for sub in state.store.subscriptions_of(waba).await? {
        let app_subs = state.store.app_subscriptions(sub.app_id).await?;
        let Some(app_sub) = app_subs
            .iter()
            .find(|s| s.object == WABA_OBJECT && s.wants(field))
        else {
            continue;
        };
        out.push(Target {
            app_id: sub.app_id,
            endpoint: sub
                .override_callback_uri
                .clone()
                .unwrap_or_else(|| app_sub.callback_url.clone()),
        });
    }
    Ok(out)
}

/// Where an app's own changes of `field` go: its app-level callback, when it subscribed to
/// the field. Meta sends partner events (`PARTNER_APP_INSTALLED`, `PARTNER_ADDED`) this way,
/// before the partner has subscribed to the client's WABA. None while replaying history.
pub async fn app_targets(
    state: &Platform,
    app: wamm_wire::ids::AppId,
    field: &str,
) -> Result<Vec<Target>, StoreError> {
    if !state.delivers_webhooks() {
        return Ok(Vec::new());
    }
    Ok(state
        .store
        .app_subscriptions(app)
        .await?
        .into_iter()
        .filter(|s| s.object == WABA_OBJECT && s.wants(field))
        .map(|s| Target {
            app_id: app,
            endpoint: s.callback_url,
        })
        .collect())
}

/// The deliveries of one change to `targets`.
pub fn deliveries(
    targets: &[Target],
    waba: WabaId,
    field: &str,
    value: &Value,
    now: Timestamp,
) -> Vec<NewWebhook> {
    targets
        .iter()
        .map(|t| NewWebhook {
            app_id: t.app_id,
            endpoint: t.endpoint.clone(),
            object_id: waba.to_string(),
            field: field.to_owned(),
            value: value.clone(),
            time: now,
            // Meta sends entry.time for account and template changes, not for messages.
            include_time: field != "messages",
        })
        .collect()
}

/// The deliveries a change of `field` on `waba` causes; write them in the change's `ChangeSet`.
pub async fn for_waba(
    state: &Platform,
    waba: WabaId,
    field: &str,
    value: &Value,
    now: Timestamp,
) -> Result<Vec<NewWebhook>, StoreError> {
    Ok(deliveries(
        &targets(state, waba, field).await?,
        waba,
        field,
        value,
        now,
    ))
}
