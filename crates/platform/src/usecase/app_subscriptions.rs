//! An app's webhook subscription: set from the Graph call and from the App Dashboard form
//! alike, and removed field by field or whole.
//!
//! Setting a callback runs Meta's verification handshake first. A callback that fails it is
//! refused with Graph's verification error and changes nothing that worked: an active
//! subscription keeps its verified callback, token and fields. Only an app with no working
//! subscription keeps the failed one, inactive, so the dashboard can show what was tried.

use serde_json::json;
use wamm_domain::{App, AppSubscription, NewEvent};
use wamm_store::{ChangeSet, Delete, Put, StoreError};
use wamm_wire::GraphError;

use crate::context::Platform;
use crate::webhooks::fanout::WABA_OBJECT;
use crate::webhooks::handshake::{HandshakeError, verify};

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
fn storage_failure(e: &StoreError) -> GraphError {
    tracing::error!(error = %e, "storage failure while setting a webhook subscription");
    GraphError::unknown()
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
    platform: &Platform,
    app: &App,
    callback_url: Option<String>,
    verify_token: Option<String>,
    fields: Vec<String>,
    mode: FieldsMode,
) -> Result<AppSubscription, GraphError> {
    let existing = platform
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
    platform
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
        verify(&platform.webhooks.outbound, &url, &token).await
    };
    let now = platform.clock.now();
    if let (Err(e), Some(working)) = (&verified, existing.as_ref().filter(|s| s.active)) {
        let event = NewEvent {
            at: now,
            kind: "app.subscription_unverified".into(),
            subject: format!("app:{}", app.id),
            detail: json!({ "callback_url": url, "kept_callback_url": working.callback_url, "active": false }),
        };
        platform
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
    platform
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

/// Removes `fields` from the app's subscriptions (of `object` only, when given), or whole
/// subscriptions when no field is named.
pub async fn remove(
    platform: &Platform,
    app: &App,
    object: Option<&str>,
    fields: Vec<String>,
) -> Result<(), StoreError> {
    let now = platform.clock.now();
    let mut changes = ChangeSet::new();
    for mut sub in platform.store.app_subscriptions(app.id).await? {
        if object.is_some_and(|o| o != sub.object) {
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
    platform.commit(changes.event(event)).await?;
    Ok(())
}
