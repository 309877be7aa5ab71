//! The funnel dashboard (`GET /`) and the same view as JSON (`GET /api/status`), which the
//! page polls to stay live and `wamm partner status --json` prints; the clients' template
//! metrics of the last 30 days (`GET /api/metrics`, and on the page as a table with a funnel
//! chart per template and the sends per day); and each client's last conversion readiness
//! check (`GET /api/readiness`, and on the page as findings per business); and each client's
//! MM API Insights of the same 30 days, per ad account (on the page as a table, and in
//! `GET /api/metrics` under `insights`).

use std::sync::Arc;

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Json, Response};
use axum::routing::get;

use super::charts;
use crate::funnel::{Funnel, funnel};
use crate::insights::{self, AccountInsights};
use crate::metrics::{self, TemplateTotals};
use crate::readiness::BusinessReadiness;
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
        .route("/api/readiness", get(readiness_json))
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
    template_id: String,
    template_name: String,
    product: &'static str,
    sent: i64,
    delivered: i64,
    read: i64,
    clicked: i64,
    read_rate: String,
    click_rate: String,
    spend: String,
    purchases: i64,
    purchase_value: String,
    add_to_cart: i64,
    checkouts: i64,
    activations: i64,
    /// Inline SVG of numbers and fixed labels only (see `charts`).
    chart: String,
}

/// One client ad account's Insights, as text.
struct InsightsView {
    business_id: String,
    business_name: String,
    waba_id: String,
    account_id: String,
    currency: String,
    ads: usize,
    sent: i64,
    delivered: i64,
    read: i64,
    clicked: i64,
    delivery_rate: String,
    read_rate: String,
    click_rate: String,
    /// Spend with its currency.
    spend: String,
    /// Spend as a bare number, for scripts.
    spend_value: String,
}

/// One business's readiness, as text.
struct ReadinessView {
    business_id: String,
    business_name: String,
    checked: String,
    findings: Vec<FindingView>,
    skipped: Vec<(String, String)>,
}

/// One finding, as text.
struct FindingView {
    code: &'static str,
    severity: &'static str,
    waba_id: String,
    template: String,
    message: String,
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
    readiness: Vec<ReadinessView>,
    insights: Vec<InsightsView>,
}

/// The days the dashboard's metrics cover.
const METRICS_DAYS: i64 = 30;

/// The template totals, the sends per day and the ad accounts' Insights of the last
/// [`METRICS_DAYS`] days, and the window's first day.
async fn recent_metrics(
    state: &DashboardState,
) -> Result<
    (
        Vec<TemplateTotals>,
        Vec<(i64, i64)>,
        Vec<AccountInsights>,
        i64,
    ),
    crate::store::StoreError,
> {
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
    let ad_days = state.store.ad_insights_days(None, since).await?;
    Ok((
        metrics::totals(&days, &owners),
        metrics::sent_per_day(&days, since, today + 86_400),
        insights::totals(&ad_days, &owners),
        since,
    ))
}

fn percent(rate: Option<f64>) -> String {
    rate.map_or_else(|| "–".to_owned(), |r| format!("{r:.1}%"))
}

fn metric_view(t: TemplateTotals) -> MetricView {
    let c = t.conversions;
    MetricView {
        chart: charts::funnel(&[
            ("sent", t.sent),
            ("delivered", t.delivered),
            ("read", t.read),
            ("clicked", t.clicked),
            ("purchased", c.purchases()),
        ]),
        purchases: c.purchases(),
        purchase_value: format!("{:.2}", c.purchase_value()),
        add_to_cart: c.add_to_cart(),
        checkouts: c.checkouts_initiated(),
        activations: c.app_activations,
        read_rate: percent(t.read_rate()),
        click_rate: percent(t.click_rate()),
        spend: t
            .cost
            .map_or_else(|| "hidden".to_owned(), |c| format!("{c:.4}")),
        business_id: t.business_id,
        waba_id: t.waba_id,
        template_id: t.template_id,
        template_name: t.template_name,
        product: t.product.as_str(),
        sent: t.sent,
        delivered: t.delivered,
        read: t.read,
        clicked: t.clicked,
    }
}

fn insights_view(
    a: AccountInsights,
    names: &std::collections::HashMap<&str, &str>,
) -> InsightsView {
    let currency = a.currency.unwrap_or_default();
    InsightsView {
        business_name: names
            .get(a.business_id.as_str())
            .map(|n| (*n).to_owned())
            .unwrap_or_default(),
        spend: format!("{:.4} {currency}", a.spend).trim_end().to_owned(),
        spend_value: a.spend.to_string(),
        currency,
        delivery_rate: percent(a.delivery_rate),
        read_rate: percent(a.read_rate),
        click_rate: percent(a.click_rate),
        business_id: a.business_id,
        waba_id: a.waba_id,
        account_id: a.account_id,
        ads: a.ads,
        sent: a.sent,
        delivered: a.delivered,
        read: a.read,
        clicked: a.clicked,
    }
}

async fn page(State(state): State<DashboardState>) -> Response {
    let view = match current(&state).await {
        Ok(view) => view,
        Err(e) => return unavailable(&e),
    };
    let (totals, daily, accounts, since) = match recent_metrics(&state).await {
        Ok(found) => found,
        Err(e) => return unavailable(&e),
    };
    let daily: Vec<(String, i64)> = daily
        .into_iter()
        .map(|(day, n)| (metrics::date(day), n))
        .collect();
    let readiness = match state.store.readiness().await {
        Ok(found) => found,
        Err(e) => return unavailable(&e),
    };
    let names: std::collections::HashMap<&str, &str> = view
        .rows
        .iter()
        .map(|r| (r.business_id.as_str(), r.business_name.as_str()))
        .collect();
    let readiness = readiness
        .into_iter()
        .map(|r| readiness_view(r, &names))
        .collect();
    let insights = accounts
        .into_iter()
        .map(|a| insights_view(a, &names))
        .collect();
    let page = Page {
        readiness,
        insights,
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

fn readiness_view(
    r: BusinessReadiness,
    names: &std::collections::HashMap<&str, &str>,
) -> ReadinessView {
    ReadinessView {
        business_name: names
            .get(r.business_id.as_str())
            .map(|n| (*n).to_owned())
            .unwrap_or_default(),
        checked: {
            let secs = r.checked_at.rem_euclid(86_400);
            format!(
                "{} {:02}:{:02} UTC",
                metrics::date(r.checked_at),
                secs / 3600,
                secs % 3600 / 60
            )
        },
        findings: r
            .findings
            .into_iter()
            .map(|f| FindingView {
                code: f.code.as_str(),
                severity: f.severity.as_str(),
                waba_id: f.waba_id,
                template: f.template.map(|t| t.name).unwrap_or_default(),
                message: f.message,
            })
            .collect(),
        skipped: r.skipped,
        business_id: r.business_id,
    }
}

/// `GET /api/readiness`: each client's last conversion readiness check.
async fn readiness_json(State(state): State<DashboardState>) -> Response {
    match state.store.readiness().await {
        Ok(found) => Json(found).into_response(),
        Err(e) => unavailable(&e),
    }
}

/// `GET /api/metrics`: the template totals of the last 30 days and the sends per day.
async fn metrics_json(State(state): State<DashboardState>) -> Response {
    match recent_metrics(&state).await {
        Ok((totals, daily, accounts, _)) => {
            let daily: Vec<serde_json::Value> = daily
                .into_iter()
                .map(|(day, sent)| serde_json::json!({"date": metrics::date(day), "sent": sent}))
                .collect();
            Json(serde_json::json!({"templates": totals, "daily": daily, "insights": accounts}))
                .into_response()
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
