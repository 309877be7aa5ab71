//! The funnel dashboard (`GET /`) and the same view as JSON (`GET /api/status`), which the
//! page polls to stay live and `wamm partner status --json` prints; and the clients' template
//! metrics of the last 30 days (`GET /api/metrics`, and on the page as a table with a funnel
//! chart per template and the sends per day).

use std::sync::Arc;

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Json, Response};
use axum::routing::get;

use super::charts;
use crate::funnel::{Funnel, funnel};
use crate::metrics::{self, TemplateTotals};
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
        .route("/api/metrics", get(metrics_json))
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

/// One template's metrics, as text, with its funnel chart.
struct MetricView {
    business_id: String,
    waba_id: String,
    template_name: String,
    product: &'static str,
    sent: i64,
    delivered: i64,
    read: i64,
    clicked: i64,
    read_rate: String,
    click_rate: String,
    spend: String,
    /// Inline SVG of numbers and fixed labels only (see `charts`).
    chart: String,
}

#[derive(Template)]
#[template(path = "dashboard.html")]
struct Page {
    partner: String,
    generated: String,
    status_path: &'static str,
    counts: Vec<(&'static str, usize)>,
    rows: Vec<RowView>,
    metrics: Vec<MetricView>,
    /// Inline SVG of the sends per day.
    daily_chart: String,
    window: String,
}

/// The days the dashboard's metrics cover.
const METRICS_DAYS: i64 = 30;

/// The template totals and sends per day of the last [`METRICS_DAYS`] days.
async fn recent_metrics(
    state: &DashboardState,
) -> Result<(Vec<TemplateTotals>, Vec<(i64, i64)>, i64), crate::store::StoreError> {
    let today = metrics::day_start((state.now)());
    let since = today - (METRICS_DAYS - 1) * 86_400;
    let owners = state
        .store
        .wabas()
        .await?
        .into_iter()
        .map(|w| (w.id, w.business_id))
        .collect();
    let days = state.store.template_days(None, since).await?;
    Ok((
        metrics::totals(&days, &owners),
        metrics::sent_per_day(&days, since, today + 86_400),
        since,
    ))
}

fn percent(rate: Option<f64>) -> String {
    rate.map_or_else(|| "–".to_owned(), |r| format!("{r:.1}%"))
}

fn metric_view(t: TemplateTotals) -> MetricView {
    MetricView {
        chart: charts::funnel(&[
            ("sent", t.sent),
            ("delivered", t.delivered),
            ("read", t.read),
            ("clicked", t.clicked),
        ]),
        read_rate: percent(t.read_rate()),
        click_rate: percent(t.click_rate()),
        spend: t
            .cost
            .map_or_else(|| "hidden".to_owned(), |c| format!("{c:.4}")),
        business_id: t.business_id,
        waba_id: t.waba_id,
        template_name: t.template_name,
        product: t.product.as_str(),
        sent: t.sent,
        delivered: t.delivered,
        read: t.read,
        clicked: t.clicked,
    }
}

async fn page(State(state): State<DashboardState>) -> Response {
    let view = match current(&state).await {
        Ok(view) => view,
        Err(e) => return unavailable(&e),
    };
    let (totals, daily, since) = match recent_metrics(&state).await {
        Ok(found) => found,
        Err(e) => return unavailable(&e),
    };
    let daily: Vec<(String, i64)> = daily
        .into_iter()
        .map(|(day, n)| (metrics::date(day), n))
        .collect();
    let page = Page {
        metrics: totals.into_iter().map(metric_view).collect(),
        daily_chart: charts::daily(&daily),
        window: format!("since {}", metrics::date(since)),
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

/// `GET /api/metrics`: the template totals of the last 30 days and the sends per day.
async fn metrics_json(State(state): State<DashboardState>) -> Response {
    match recent_metrics(&state).await {
        Ok((totals, daily, _)) => {
            let daily: Vec<serde_json::Value> = daily
                .into_iter()
                .map(|(day, sent)| serde_json::json!({"date": metrics::date(day), "sent": sent}))
                .collect();
            Json(serde_json::json!({"templates": totals, "daily": daily})).into_response()
        }
        Err(e) => unavailable(&e),
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
