//! The console page: the world at a glance, server-rendered.

use std::collections::HashMap;

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use wamm_domain::onboarding::{business_status, waba_status};
use wamm_store::StoreError;

use crate::graph::render::enum_text as text;
use crate::state::AppState;

/// One app row.
pub struct AppRow {
    name: String,
    id: String,
    partner_type: String,
    permissions: String,
    require_app_secret: bool,
}

/// One business row.
pub struct BusinessRow {
    name: String,
    id: String,
    country: String,
    terms: String,
    admins: String,
}

/// One WABA row.
pub struct WabaRow {
    name: String,
    id: String,
    owner: String,
    tax_country: String,
    partners: String,
    status: String,
    numbers: usize,
}

/// One phone number row.
pub struct PhoneRow {
    display: String,
    id: String,
    verified_name: String,
    waba: String,
    registered: bool,
    throughput: String,
    coexistence: bool,
}

/// One template row.
pub struct TemplateRow {
    name: String,
    id: String,
    language: String,
    category: String,
    status: String,
    waba: String,
    ttl: String,
}

/// One webhook delivery row.
pub struct DeliveryRow {
    id: i64,
    field: String,
    object_id: String,
    endpoint: String,
    status: String,
    attempts: u32,
    last_error: String,
}

/// One email in the mailbox.
pub struct EmailRow {
    sent: String,
    to: String,
    subject: String,
    link: String,
}

/// One event row.
pub struct EventRow {
    seq: i64,
    at: String,
    kind: String,
    subject: String,
}

/// The console page.
#[derive(Template)]
#[template(path = "console.html")]
pub struct ConsolePage {
    now: String,
    backend: String,
    apps: Vec<AppRow>,
    businesses: Vec<BusinessRow>,
    wabas: Vec<WabaRow>,
    phones: Vec<PhoneRow>,
    templates: Vec<TemplateRow>,
    deliveries: Vec<DeliveryRow>,
    outbox_counts: String,
    emails: Vec<EmailRow>,
    events: Vec<EventRow>,
}

async fn build(state: &AppState) -> Result<ConsolePage, StoreError> {
    let world = state.store.export_world().await?;
    let now = state.clock.now();
    let names: HashMap<_, _> = world
        .businesses
        .iter()
        .map(|b| (b.id, b.name.clone()))
        .collect();
    let mut phone_counts: HashMap<_, usize> = HashMap::new();
    for p in &world.phone_numbers {
        *phone_counts.entry(p.waba_id).or_default() += 1;
    }
    let pending: Vec<_> = state
        .store
        .requests()
        .await?
        .into_iter()
        .filter(|r| r.status == wamm_domain::RequestStatus::Pending)
        .collect();
    let apps = world
        .apps
        .iter()
        .map(|a| AppRow {
            name: a.name.clone(),
            id: a.id.to_string(),
            partner_type: text(a.partner_type),
            permissions: a
                .permissions
                .iter()
                .map(|p| format!("{} ({})", p.permission, text(p.access)))
                .collect::<Vec<_>>()
                .join(", "),
            require_app_secret: a.require_app_secret,
        })
        .collect();
    let businesses = world
        .businesses
        .iter()
        .map(|b| BusinessRow {
            name: b.name.clone(),
            id: b.id.to_string(),
            country: b.country.to_string(),
            terms: text(
                business_status(
                    b,
                    pending
                        .iter()
                        .find(|r| r.client_business_id == b.id)
                        .map(|r| r.created_at),
                )
                .status,
            ),
            admins: b
                .admins()
                .map(|p| format!("{} <{}>", p.name, p.email))
                .collect::<Vec<_>>()
                .join(", "),
        })
        .collect();
    let wabas = world
        .wabas
        .iter()
        .map(|w| {
            let owner = world
                .businesses
                .iter()
                .find(|b| b.id == w.owner_business_id);
            WabaRow {
                name: w.name.clone(),
                id: w.id.to_string(),
                owner: names.get(&w.owner_business_id).cloned().unwrap_or_default(),
                tax_country: w.tax_country.to_string(),
                partners: w
                    .partners
                    .iter()
                    .map(|p| {
                        format!(
                            "{} ({})",
                            names.get(&p.business_id).cloned().unwrap_or_default(),
                            text(p.access)
                        )
                    })
                    .collect::<Vec<_>>()
                    .join(", "),
                status: owner
                    .map(|o| {
                        waba_status(w, o, &state.config.countries, now)
                            .as_str()
                            .to_owned()
                    })
                    .unwrap_or_default(),
                numbers: phone_counts.get(&w.id).copied().unwrap_or_default(),
            }
        })
        .collect();
    let phones = world
        .phone_numbers
        .iter()
        .map(|p| PhoneRow {
            display: p.display_phone_number.clone(),
            id: p.id.to_string(),
            verified_name: p.verified_name.clone(),
            waba: p.waba_id.to_string(),
            registered: p.registered,
            throughput: text(p.throughput),
            coexistence: p.coexistence,
        })
        .collect();
    let templates = world
        .templates
        .iter()
        .map(|t| TemplateRow {
            name: t.name.clone(),
            id: t.id.to_string(),
            language: t.language.clone(),
            category: text(t.category),
            status: text(t.status),
            waba: t.waba_id.to_string(),
            ttl: t
                .message_send_ttl_seconds
                .map(|s| s.to_string())
                .unwrap_or_default(),
        })
        .collect();
    let deliveries = state
        .store
        .recent_outbox(50)
        .await?
        .into_iter()
        .map(|d| DeliveryRow {
            id: d.id,
            field: d.webhook.field,
            object_id: d.webhook.object_id,
            endpoint: d.webhook.endpoint,
            status: text(d.status),
            attempts: d.attempts,
            last_error: d.last_error.unwrap_or_default(),
        })
        .collect();
    let counts = state.store.outbox_counts().await?;
    let outbox_counts = format!(
        "{} pending, {} delivered, {} dropped",
        counts.pending, counts.delivered, counts.dropped
    );
    // Mailboxes are small (admins of a few businesses); the newest twenty are shown.
    let all_emails = state.store.emails(None, 0, 10_000).await?;
    let emails = all_emails
        .into_iter()
        .rev()
        .take(20)
        .map(|e| EmailRow {
            sent: e.email.sent_at.rfc3339(),
            to: e.email.to,
            subject: e.email.subject,
            link: e.email.link,
        })
        .collect();
    let events = state
        .store
        .recent_events(50)
        .await?
        .into_iter()
        .map(|e| EventRow {
            seq: e.seq,
            at: e.at.rfc3339(),
            kind: e.kind,
            subject: e.subject,
        })
        .collect();
    Ok(ConsolePage {
        now: now.rfc3339(),
        backend: state.store.backend().to_string(),
        apps,
        businesses,
        wabas,
        phones,
        templates,
        deliveries,
        outbox_counts,
        emails,
        events,
    })
}

/// `GET /` and `GET /_wamm/console`.
pub async fn page(State(state): State<AppState>) -> Response {
    let rendered = match build(&state).await {
        Ok(page) => page.render().map_err(|e| e.to_string()),
        Err(e) => Err(e.to_string()),
    };
    match rendered {
        Ok(html) => Html(html).into_response(),
        Err(e) => page_failed("console", &e),
    }
}

/// The answer when a page cannot be built: logged once with its cause, never shown.
pub(crate) fn page_failed(page: &str, e: &impl std::fmt::Display) -> Response {
    tracing::error!(error = %e, page, "a console page failed");
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        "the page could not be rendered; see the server log",
    )
        .into_response()
}
