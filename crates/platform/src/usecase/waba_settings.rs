//! A WABA's own settings: its name and timezone, and which apps receive its webhooks.

use serde_json::json;
use wamm_domain::{NewEvent, Waba, WabaSubscription};
use wamm_store::{ChangeSet, Delete, Put};
use wamm_wire::GraphError;
use wamm_wire::ids::AppId;

use super::Error;
use crate::context::Platform;

/// Changes to a WABA; `None` leaves a setting as it is.
#[derive(Debug, Clone, Default)]
pub struct WabaChange {
    /// A new name (1–100 characters once trimmed).
    pub name: Option<String>,
    /// A new timezone ID (a numeric string).
    pub timezone_id: Option<String>,
    /// `is_enabled_for_insights`: `true` confirms template insights (again: no change);
    /// `false` is refused once confirmed, as confirming cannot be undone.
    pub insights: Option<bool>,
}

/// Renames `waba` or changes its timezone, for `app`.
pub async fn update(
    platform: &Platform,
    app: AppId,
    waba: &Waba,
    change: WabaChange,
) -> Result<(), Error> {
    let mut waba = waba.clone();
    let mut changed = Vec::new();
    if let Some(name) = change.name {
        let name = name.trim().to_owned();
        if name.is_empty() || name.chars().count() > 100 {
            return Err(GraphError::invalid_parameter(
                "Invalid parameter: name must be a non-empty string of at most 100 characters",
            )
            .into());
        }
        waba.name = name;
        changed.push("name");
    }
    if let Some(tz) = change.timezone_id {
        if tz.is_empty() || !tz.bytes().all(|b| b.is_ascii_digit()) {
            return Err(GraphError::invalid_parameter(
                "Invalid parameter: timezone_id must be a numeric string",
            )
            .into());
        }
        waba.timezone_id = tz;
        changed.push("timezone_id");
    }
    match (change.insights, waba.insights_enabled_at) {
        (Some(true), None) => {
            waba.insights_enabled_at = Some(platform.clock.now());
            changed.push("is_enabled_for_insights");
        }
        (Some(false), Some(_)) => {
            return Err(GraphError::invalid_parameter(
                "Invalid parameter: template insights cannot be disabled once enabled \
                 (is_enabled_for_insights)",
            )
            .into());
        }
        // Confirming again, or declining what was never confirmed, changes nothing.
        (Some(_), _) => {
            if changed.is_empty() {
                return Ok(());
            }
        }
        (None, _) => {}
    }
    if changed.is_empty() {
        return Err(GraphError::invalid_parameter(
            "Nothing to update: pass name, timezone_id or is_enabled_for_insights",
        )
        .into());
    }
    let event = NewEvent {
        at: platform.clock.now(),
        kind: "waba.updated".into(),
        subject: format!("waba:{}", waba.id),
        detail: json!({ "fields": changed, "by_app": app.to_string() }),
    };
    platform
        .commit(ChangeSet::new().put(Put::Waba(waba)).event(event))
        .await?;
    Ok(())
}

/// Subscribes `app` to `waba`'s webhooks, with an override callback the door has already
/// verified by Meta's handshake.
pub async fn subscribe(
    platform: &Platform,
    app: AppId,
    waba: &Waba,
    override_callback_uri: Option<String>,
    verify_token: Option<String>,
) -> Result<WabaSubscription, Error> {
    let sub = WabaSubscription {
        waba_id: waba.id,
        app_id: app,
        override_callback_uri,
        verify_token,
        subscribed_at: platform.clock.now(),
    };
    let event = NewEvent {
        at: sub.subscribed_at,
        kind: "waba.app_subscribed".into(),
        subject: format!("waba:{}", waba.id),
        detail: json!({ "app_id": app.to_string(), "override_callback_uri": sub.override_callback_uri }),
    };
    platform
        .commit(
            ChangeSet::new()
                .put(Put::Subscription(sub.clone()))
                .event(event),
        )
        .await?;
    Ok(sub)
}

/// Unsubscribes `app` from `waba`.
pub async fn unsubscribe(platform: &Platform, app: AppId, waba: &Waba) -> Result<(), Error> {
    let event = NewEvent {
        at: platform.clock.now(),
        kind: "waba.app_unsubscribed".into(),
        subject: format!("waba:{}", waba.id),
        detail: json!({ "app_id": app.to_string() }),
    };
    platform
        .commit(
            ChangeSet::new()
                .delete(Delete::Subscription { waba: waba.id, app })
                .event(event),
        )
        .await?;
    Ok(())
}
