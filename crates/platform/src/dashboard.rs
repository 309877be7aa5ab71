//! The App Dashboard page of the console: an app's settings and its webhook configuration,
//! set through the same verification handshake as `POST /{app-id}/subscriptions`.

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;
use wamm_wire::ids::AppId;

use crate::state::AppState;
use crate::webhooks::fanout::WABA_OBJECT;
use crate::webhooks::subscriptions::{FieldsMode, set};

/// The current subscription, as shown.
pub struct SubscriptionView {
    callback_url: String,
    fields: String,
    active: bool,
}

/// A field checkbox.
pub struct FieldBox {
    name: &'static str,
    checked: bool,
}

/// The page.
#[derive(Template)]
#[template(path = "app.html")]
pub struct AppPage {
    id: String,
    name: String,
    partner_type: String,
    permissions: String,
    require_app_secret: bool,
    subscription: Option<SubscriptionView>,
    form_callback: String,
    fields: Vec<FieldBox>,
    wabas: Vec<(String, String)>,
    message: Option<String>,
    message_class: &'static str,
}

/// `?saved=1` or `?error=…` after the form posts.
#[derive(Deserialize)]
pub struct Outcome {
    saved: Option<String>,
    error: Option<String>,
}

fn text<T: serde::Serialize>(v: T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

fn not_found() -> Response {
    (StatusCode::NOT_FOUND, "no such app").into_response()
}

fn failed(e: &impl std::fmt::Display) -> Response {
    crate::console::page_failed("App Dashboard", e)
}

/// `GET /_wamm/apps/{app-id}`.
pub async fn page(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(outcome): Query<Outcome>,
) -> Response {
    let Ok(app_id) = id.parse::<AppId>() else {
        return not_found();
    };
    let app = match state.store.app(app_id).await {
        Ok(Some(app)) => app,
        Ok(None) => return not_found(),
        Err(e) => return failed(&e),
    };
    let subscription = match state.store.app_subscriptions(app_id).await {
        Ok(list) => list.into_iter().find(|s| s.object == WABA_OBJECT),
        Err(e) => return failed(&e),
    };
    let wabas = match state.store.export_world().await {
        Ok(world) => world
            .subscriptions
            .into_iter()
            .filter(|s| s.app_id == app_id)
            .map(|s| {
                (
                    s.waba_id.to_string(),
                    s.override_callback_uri.unwrap_or_default(),
                )
            })
            .collect(),
        Err(e) => return failed(&e),
    };
    let subscribed: Vec<String> = subscription
        .as_ref()
        .map(|s| s.fields.clone())
        .unwrap_or_default();
    let (message, message_class) = match (outcome.saved, outcome.error) {
        (_, Some(error)) => (Some(format!("Not saved: {error}")), "error"),
        (Some(_), None) => (
            Some("Saved: the callback passed verification.".to_owned()),
            "ok",
        ),
        (None, None) => (None, ""),
    };
    let page = AppPage {
        id: app.id.to_string(),
        name: app.name.clone(),
        partner_type: text(app.partner_type),
        permissions: app
            .permissions
            .iter()
            .map(|p| format!("{} ({})", p.permission, text(p.access)))
            .collect::<Vec<_>>()
            .join(", "),
        require_app_secret: app.require_app_secret,
        form_callback: subscription
            .as_ref()
            .map(|s| s.callback_url.clone())
            .unwrap_or_default(),
        subscription: subscription.map(|s| SubscriptionView {
            callback_url: s.callback_url,
            fields: s.fields.join(", "),
            active: s.active,
        }),
        fields: wamm_world::WEBHOOK_FIELDS
            .iter()
            .map(|f| FieldBox {
                name: f,
                checked: subscribed.iter().any(|s| s == f),
            })
            .collect(),
        wabas,
        message,
        message_class,
    };
    match page.render() {
        Ok(html) => Html(html).into_response(),
        Err(e) => failed(&e),
    }
}

fn back(id: &str, query: &str) -> Response {
    (
        StatusCode::SEE_OTHER,
        [(header::LOCATION, format!("/_wamm/apps/{id}?{query}"))],
    )
        .into_response()
}

/// `POST /_wamm/apps/{app-id}/webhooks` (the form): verifies and saves the callback.
pub async fn save(State(state): State<AppState>, Path(id): Path<String>, body: Bytes) -> Response {
    let Ok(app_id) = id.parse::<AppId>() else {
        return not_found();
    };
    let app = match state.store.app(app_id).await {
        Ok(Some(app)) => app,
        Ok(None) => return not_found(),
        Err(e) => return failed(&e),
    };
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    let value = |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    };
    let fields: Vec<String> = pairs
        .iter()
        .filter(|(k, _)| k == "fields")
        .map(|(_, v)| v.clone())
        .collect();
    if let Some(bad) = fields
        .iter()
        .find(|f| !wamm_world::WEBHOOK_FIELDS.contains(&f.as_str()))
    {
        let q = serde_urlencoded::to_string([("error", format!("unknown field {bad}"))])
            .unwrap_or_default();
        return back(&id, &q);
    }
    match set(
        &state,
        &app,
        value("callback_url"),
        value("verify_token"),
        fields,
        FieldsMode::Replace,
    )
    .await
    {
        Ok(_) => back(&id, "saved=1"),
        Err(e) => {
            let q = serde_urlencoded::to_string([("error", e.body.message.clone())])
                .unwrap_or_default();
            back(&id, &q)
        }
    }
}
