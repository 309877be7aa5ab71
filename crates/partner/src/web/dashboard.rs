//! The funnel dashboard (`GET /`) and the same view as JSON (`GET /api/status`), which the
//! page polls to stay live and `wamm partner status --json` prints.

use std::sync::Arc;

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Json, Response};
use axum::routing::get;

use crate::funnel::{Funnel, funnel};
use crate::store::PartnerStore;

/// What the dashboard needs.
#[derive(Debug, Clone)]
pub struct DashboardState {
    /// The orchestrator's store.
    pub store: Arc<dyn PartnerStore>,
    /// The partner's name, for the header.
    pub partner: String,
    /// Seconds after which an unanswered request counts as unanswered.
    pub unanswered_after: i64,
    /// The current time in Unix seconds (the system clock unless a test sets another).
    pub now: fn() -> i64,
}

/// The system clock in Unix seconds.
pub fn system_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// `GET /` and `GET /api/status`.
pub fn router(state: DashboardState) -> Router {
    Router::new()
        .route("/", get(page))
        .route("/api/status", get(status))
        .with_state(state)
}

/// Reads the funnel from the store.
pub async fn current(state: &DashboardState) -> Result<Funnel, crate::store::StoreError> {
    let businesses = state.store.businesses().await?;
    let wabas = state.store.wabas().await?;
    let tokens = state.store.tokens().await?;
    let counts = state.store.message_counts().await?;
    Ok(funnel(
        &businesses,
        &wabas,
        &tokens,
        &counts,
        (state.now)(),
        state.unanswered_after,
    ))
}

/// One table row, as text.
struct RowView {
    business_id: String,
    business_name: String,
    waba_id: String,
    waba_name: String,
    stage: &'static str,
    reason: String,
    last_event: String,
    messages: String,
}

#[derive(Template)]
#[template(path = "dashboard.html")]
struct Page {
    partner: String,
    generated: String,
    status_path: &'static str,
    counts: Vec<(&'static str, usize)>,
    rows: Vec<RowView>,
}

async fn page(State(state): State<DashboardState>) -> Response {
    let view = match current(&state).await {
        Ok(view) => view,
        Err(e) => return unavailable(&e),
    };
    let page = Page {
        partner: state.partner.clone(),
        generated: (state.now)().to_string(),
        status_path: "/api/status",
        counts: view.counts.iter().map(|(s, n)| (s.name(), *n)).collect(),
        rows: view
            .rows
            .into_iter()
            .map(|r| RowView {
                business_id: r.business_id,
                business_name: r.business_name,
                waba_id: r.waba_id,
                waba_name: r.waba_name,
                stage: r.standing.stage.name(),
                reason: r.standing.reason,
                last_event: r.last_event.map(|(e, _)| e).unwrap_or_default(),
                messages: r
                    .messages
                    .iter()
                    .map(|(status, n)| format!("{status} {n}"))
                    .collect::<Vec<_>>()
                    .join(", "),
            })
            .collect(),
    };
    match page.render() {
        Ok(html) => Html(html).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "the dashboard did not render");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "the dashboard did not render",
            )
                .into_response()
        }
    }
}

async fn status(State(state): State<DashboardState>) -> Response {
    match current(&state).await {
        Ok(view) => Json(view).into_response(),
        Err(e) => unavailable(&e),
    }
}

fn unavailable(e: &crate::store::StoreError) -> Response {
    tracing::error!(error = %e, "the store did not answer");
    (StatusCode::SERVICE_UNAVAILABLE, "the store did not answer").into_response()
}
