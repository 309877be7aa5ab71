//! The App Dashboard page of the console: an app's settings and its webhook configuration,
//! set through the same verification handshake as `POST /{app-id}/subscriptions`.

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;
use wamm_wire::ids::AppId;

use crate::graph::render::enum_text as text;
use crate::state::AppState;
use crate::usecase::app_subscriptions::{FieldsMode, set};
use crate::webhooks::fanout::WABA_OBJECT;

/// The current subscription, as shown.
pub struct SubscriptionView {
    callback_url: String,
    fields: String,
    active: bool,
}

/// A required permission's review state on the Quickstart card.
pub struct ReviewRow {
    name: &'static str,
    state: &'static str,
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
    enrolment_state: &'static str,
    enrolled_on: String,
    review_rows: Vec<ReviewRow>,
    ready: bool,
    guide: bool,
    login_configs: Vec<LoginConfigRow>,
}

/// A Facebook Login for Business configuration as listed.
pub struct LoginConfigRow {
    id: String,
    name: String,
    permissions: String,
    marketing_messages: bool,
}

/// `?saved=1` or `?error=…` after the form posts.
#[derive(Deserialize)]
pub struct Outcome {
    saved: Option<String>,
    error: Option<String>,
    guide: Option<String>,
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
    let enrolment_state = match app.mm_enrolment {
        None => "not_started",
        Some(e) if e.terms_accepted_at.is_some() => "enrolled",
        Some(_) => "started",
    };
    let enrolled_on = app
        .mm_enrolment
        .and_then(|e| e.terms_accepted_at)
        .map(|t| t.date())
        .unwrap_or_default();
    let review_rows: Vec<ReviewRow> = wamm_domain::enrolment::REQUIRED
        .into_iter()
        .map(|p| ReviewRow {
            name: p.as_str(),
            state: if app.has_advanced(p) {
                "advanced access"
            } else if app
                .review_requests
                .iter()
                .any(|r| r.permission == p && r.status == wamm_domain::ReviewStatus::Pending)
            {
                "in review"
            } else {
                "missing"
            },
        })
        .collect();
    let ready = wamm_domain::enrolment::missing(&app).is_empty();
    let guide = outcome.guide.is_some();
    let login_configs = app
        .login_configs
        .iter()
        .map(|c| LoginConfigRow {
            id: c.id.to_string(),
            name: c.name.clone(),
            permissions: c
                .permissions
                .iter()
                .map(|p| p.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            marketing_messages: c.marketing_messages,
        })
        .collect();
    let page = AppPage {
        login_configs,
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
        enrolment_state,
        enrolled_on,
        review_rows,
        ready,
        guide,
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

fn permission_of(text: &str) -> Result<wamm_domain::Permission, String> {
    text.parse::<wamm_domain::Permission>()
        .map_err(|e| e.to_string())
}

async fn finish(
    state: &AppState,
    id: &str,
    kind: &str,
    step: impl FnOnce(
        &mut wamm_domain::App,
        wamm_domain::Timestamp,
    ) -> Result<(), wamm_domain::enrolment::EnrolmentError>,
) -> Response {
    let Ok(app_id) = id.parse::<AppId>() else {
        return not_found();
    };
    match crate::usecase::apps::enrolment_step(state, app_id, kind, step).await {
        Ok(Ok(())) => back(id, ""),
        Ok(Err(message)) => back(
            id,
            &serde_urlencoded::to_string([("error", message)]).unwrap_or_default(),
        ),
        Err(e) => failed(&e),
    }
}

/// `POST /_wamm/apps/{app-id}/mm/{start|review|accept-terms}` (the Quickstart card's buttons).
pub async fn mm_step(
    State(state): State<AppState>,
    Path((id, step)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    use wamm_domain::enrolment;
    match step.as_str() {
        "start" => {
            finish(&state, &id, "app.mm_enrolment_started", |app, now| {
                enrolment::start(app, now);
                Ok(())
            })
            .await
        }
        "accept-terms" => finish(&state, &id, "app.mm_enrolled", enrolment::accept_terms).await,
        "review" => {
            let pairs: Vec<(String, String)> =
                serde_urlencoded::from_bytes(&body).unwrap_or_default();
            let permission = pairs
                .iter()
                .find(|(k, _)| k == "permission")
                .map(|(_, v)| v.clone())
                .unwrap_or_default();
            match permission_of(&permission) {
                Ok(p) => {
                    finish(&state, &id, "app.review_requested", move |app, now| {
                        enrolment::request_review(app, p, now)
                    })
                    .await
                }
                Err(e) => back(
                    &id,
                    &serde_urlencoded::to_string([("error", e)]).unwrap_or_default(),
                ),
            }
        }
        _ => not_found(),
    }
}

/// `POST /_wamm/apps/{app-id}/mm/review/{permission}/{approve|reject}`: App Review decides.
pub async fn review_decision(
    State(state): State<AppState>,
    Path((id, permission, decision)): Path<(String, String, String)>,
) -> Response {
    let approve = match decision.as_str() {
        "approve" => true,
        "reject" => false,
        _ => return not_found(),
    };
    match permission_of(&permission) {
        Ok(p) => {
            finish(&state, &id, "app.review_decided", move |app, now| {
                wamm_domain::enrolment::decide_review(app, p, approve, now)
            })
            .await
        }
        Err(e) => back(
            &id,
            &serde_urlencoded::to_string([("error", e)]).unwrap_or_default(),
        ),
    }
}

/// `POST /_wamm/apps/{app-id}/login-configs`: creates a Facebook Login for Business
/// configuration for Embedded Signup (assets: WhatsApp accounts).
pub async fn add_login_config(
    State(state): State<AppState>,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let Ok(app_id) = id.parse::<AppId>() else {
        return not_found();
    };
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    let name = pairs
        .iter()
        .find(|(k, _)| k == "name")
        .map(|(_, v)| v.trim().to_owned())
        .unwrap_or_default();
    let permissions: Result<Vec<wamm_domain::Permission>, String> = pairs
        .iter()
        .filter(|(k, _)| k == "permissions")
        .map(|(_, v)| permission_of(v))
        .collect();
    let marketing_messages = pairs.iter().any(|(k, _)| k == "marketing_messages");
    let refuse = |message: &str| {
        back(
            &id,
            &serde_urlencoded::to_string([("error", message)]).unwrap_or_default(),
        )
    };
    let permissions = match permissions {
        Ok(p) => p,
        Err(e) => return refuse(&e),
    };
    if name.is_empty() {
        return refuse("Name the configuration.");
    }
    // Embedded Signup needs both WhatsApp permissions; ads_read is optional.
    if !permissions.contains(&wamm_domain::Permission::WhatsappBusinessManagement)
        || !permissions.contains(&wamm_domain::Permission::WhatsappBusinessMessaging)
    {
        return refuse(
            "Select whatsapp_business_management and whatsapp_business_messaging: Embedded Signup needs both.",
        );
    }
    let result = async {
        let Some(app) = state.store.app(app_id).await? else {
            return Ok(None);
        };
        crate::usecase::apps::add_login_config(&state, app, name, permissions, marketing_messages)
            .await?;
        Ok::<_, wamm_store::StoreError>(Some(()))
    }
    .await;
    match result {
        Ok(Some(())) => back(&id, "saved=1"),
        Ok(None) => not_found(),
        Err(e) => failed(&e),
    }
}
