//! The control API under `/_wamm/`: load, export and reset worlds, read and move the platform
//! clock, mint credentials, and read the event log.
//!
//! It is a local development surface with no authentication of its own: bind the platform to
//! loopback (the default) when running it anywhere shared. It never appears under Graph paths.
//!
//! World files are read off the request threads: parsing and building run on a blocking thread,
//! one world at a time, within [`PlatformConfig::world_load_timeout`](crate::PlatformConfig),
//! after `wamm-world` has refused text that is too large or nests too deeply. Health checks and
//! Graph calls keep answering while a world loads.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::{Value, json};
use wamm_domain::{DeliveryStatus, Permission, WorldState};
use wamm_store::StoreError;
use wamm_wire::ids::{AppId, RequestId, UserId, WabaId};
use wamm_world::{IssuedToken, Loaded, WorldError};

use crate::state::AppState;

/// Why a control call failed.
#[derive(Debug, thiserror::Error)]
pub enum ControlError {
    /// The world file was refused.
    #[error(transparent)]
    World(#[from] WorldError),
    /// A request was malformed.
    #[error("{0}")]
    BadRequest(String),
    /// Something named does not exist.
    #[error("{0}")]
    NotFound(String),
    /// A request body was larger than the route takes.
    #[error("the request body is larger than {limit} bytes, the most this call takes")]
    TooLarge {
        /// The most the route takes, in bytes.
        limit: usize,
    },
    /// Loading a world took longer than the configured time; the world was left as it was.
    #[error(
        "loading the world took longer than {} s (world_load_timeout); the world was left as it was",
        .0.as_secs_f64()
    )]
    TimedOut(Duration),
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Work handed to another thread did not come back (it panicked or the runtime is
    /// stopping); the detail is in the server log.
    #[error("{0}")]
    Internal(String),
}

impl IntoResponse for ControlError {
    fn into_response(self) -> Response {
        let status = match &self {
            Self::World(WorldError::TooLarge { .. }) | Self::TooLarge { .. } => {
                StatusCode::PAYLOAD_TOO_LARGE
            }
            Self::World(_) | Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::TimedOut(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Store(e) => {
                tracing::error!(error = %e, "storage failure on a control call");
                StatusCode::INTERNAL_SERVER_ERROR
            }
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        };
        let message = match &self {
            Self::Store(_) => "storage failure; see the server log".to_owned(),
            other => other.to_string(),
        };
        (
            status,
            axum::Json(json!({ "error": { "message": message } })),
        )
            .into_response()
    }
}

/// What loading a world did.
#[derive(Debug, Clone)]
pub struct WorldSummary {
    /// Counts per kind of object.
    pub counts: Value,
    /// Plain tokens from the file or generated, shown once.
    pub tokens: Vec<IssuedToken>,
}

fn counts(state: &WorldState) -> Value {
    json!({
        "apps": state.apps.len(),
        "businesses": state.businesses.len(),
        "system_users": state.system_users.len(),
        "wabas": state.wabas.len(),
        "phone_numbers": state.phone_numbers.len(),
        "templates": state.templates.len(),
        "tokens": state.tokens.len(),
        "subscriptions": state.subscriptions.len(),
    })
}

/// Replaces the world with the one described by `text` (YAML or JSON).
///
/// The text is parsed and built on a blocking thread, one world at a time, within
/// [`PlatformConfig::world_load_timeout`](crate::PlatformConfig) (waiting for another load
/// included); past it the call answers [`ControlError::TimedOut`] and nothing is stored. Text
/// larger than [`wamm_world::MAX_WORLD_BYTES`] is refused before it is copied or waits.
pub async fn load_world(state: &AppState, text: &str) -> Result<WorldSummary, ControlError> {
    wamm_world::check_size(text.len())?;
    let limit = state.config.world_load_timeout;
    let loaded = tokio::time::timeout(limit, read_world(state, text.to_owned()))
        .await
        .map_err(|_| ControlError::TimedOut(limit))??;
    state.store.replace_world(&loaded.state).await?;
    state.refresh_rates().await?;
    let mut summary = WorldSummary {
        counts: counts(&loaded.state),
        tokens: loaded.issued,
    };
    crate::usecase::journal::record(
        state,
        "world.loaded",
        "world",
        json!({ "counts": summary.counts }),
    )
    .await?;
    if !loaded.history.is_empty() {
        let replayed = crate::usecase::history::replay(state, &loaded.history).await?;
        crate::usecase::journal::record(
            state,
            "world.history_replayed",
            "world",
            json!({
                "messages": replayed.messages,
                "refused": replayed.refused,
                "conversions": replayed.conversions,
            }),
        )
        .await?;
        summary.counts["history_messages"] = json!(replayed.messages);
    }
    Ok(summary)
}

/// Parses and builds `text` on a blocking thread once it is this load's turn.
///
/// The turn (a semaphore permit) travels with the work: when the caller stops waiting (the
/// timeout), the thread still holds it until it finishes, so uploads that time out cannot pile
/// up threads reading worlds at once.
async fn read_world(state: &AppState, text: String) -> Result<Loaded, ControlError> {
    let turn = Arc::clone(&state.world_loads)
        .acquire_owned()
        .await
        .map_err(|_| ControlError::Internal("world loading has stopped".to_owned()))?;
    let bytes = text.len();
    let (parsed, turn) = off_thread(move || (wamm_world::parse(&text), turn)).await?;
    let file = parsed?;
    // Every generated value takes one counter; no entity is written in fewer than 4 bytes.
    let mut block = state.minter.block(bytes / 4 + 64).await?;
    let now = state.clock.now();
    let built = off_thread(move || {
        let _turn = turn;
        file.build(&mut block, now)
    })
    .await?;
    Ok(built?)
}

/// Runs CPU-bound work on tokio's blocking pool.
async fn off_thread<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, ControlError> {
    tokio::task::spawn_blocking(work).await.map_err(|e| {
        tracing::error!(error = %e, "reading a world failed on its thread");
        ControlError::Internal("reading the world failed; see the server log".to_owned())
    })
}

/// Loads the demo world when the store holds no world yet; returns whether it did.
pub async fn ensure_demo(state: &AppState) -> Result<Option<WorldSummary>, ControlError> {
    if !state.store.is_empty().await? {
        return Ok(None);
    }
    load_world(state, wamm_world::DEMO_WORLD).await.map(Some)
}

/// Mints a new system user token for `user` on `app` with `scopes` and returns it (once).
pub async fn mint_token(
    state: &AppState,
    user: UserId,
    app: AppId,
    scopes: Vec<Permission>,
) -> Result<String, ControlError> {
    let su = state
        .store
        .system_user(user)
        .await?
        .ok_or_else(|| ControlError::NotFound(format!("no system user {user}")))?;
    if state.store.app(app).await?.is_none() {
        return Err(ControlError::NotFound(format!("no app {app}")));
    }
    let token = crate::usecase::tokens::mint_system_user_token(state, &su, app, scopes).await?;
    Ok(token)
}

/// The control API router, to be nested under `/_wamm`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/health", get(health))
        .route(
            "/world",
            get(export_world)
                .put(put_world)
                .post(put_world)
                // A world file may be far larger than a Graph call (the router's limit).
                .layer(DefaultBodyLimit::max(wamm_world::MAX_WORLD_BYTES)),
        )
        .route("/reset", post(reset))
        .route("/clock", get(get_clock).post(move_clock))
        .route("/events", get(events))
        .route("/tokens", post(create_token))
        .route("/webhooks", get(list_webhooks))
        .route("/webhooks/emit", post(emit_webhooks))
        .route("/webhooks/stats", get(webhook_stats))
        .route("/webhooks/faults", get(get_faults).put(put_fault))
        .route("/webhooks/{id}", get(get_webhook))
        .route("/webhooks/{id}/redeliver", post(redeliver_webhook))
        .route("/emails", get(list_emails))
        .route("/requests", get(list_requests))
        .route("/requests/{id}/accept", post(accept_request))
        .route("/requests/{id}/reject", post(reject_request))
        .route("/reminders", post(run_reminders))
        .route("/migration_intents/{id}/{decision}", post(decide_migration))
        .route("/businesses/{id}/wabas", post(add_waba))
        .route("/phone_numbers/{id}/disconnect", post(disconnect_number))
        .route("/messages/{id}", get(get_message))
        .route("/templates/{id}/status", post(template_status))
        .route("/templates/{id}/category", post(template_category))
        .route("/messages/{id}/convert", post(convert_message))
        .route("/messages/{id}/{action}", post(act_on_message))
        .route("/apps/{id}/reviews/{permission}", post(decide_review))
        .route("/pixels/{id}/events", get(pixel_events))
}

#[derive(Deserialize)]
struct PixelEventsQuery {
    limit: Option<i64>,
}

/// `GET /_wamm/pixels/{id}/events?limit=N`: the events a pixel (dataset) received through
/// the Conversions API, newest first (100 by default, at most 1000), test events included,
/// each with its outcome (`counted`, `not_attributed`, `duplicate`, `test`) and why.
async fn pixel_events(
    State(state): State<AppState>,
    axum::extract::Path(id): axum::extract::Path<String>,
    Query(q): Query<PixelEventsQuery>,
) -> Result<Response, ControlError> {
    let pixel_id: wamm_wire::ids::PixelId = id
        .parse()
        .map_err(|e| ControlError::BadRequest(format!("pixel id: {e}")))?;
    if state.store.pixel(pixel_id).await?.is_none() {
        return Err(ControlError::NotFound(format!("no pixel {id}")));
    }
    let limit = q.limit.unwrap_or(100).clamp(1, 1000);
    let events: Vec<Value> = state
        .store
        .pixel_events(pixel_id, limit)
        .await?
        .into_iter()
        .map(|e| e.detail)
        .collect();
    Ok(axum::Json(json!({ "pixel_id": id, "events": events })).into_response())
}

async fn health(State(state): State<AppState>) -> Response {
    axum::Json(json!({ "status": "ok", "backend": state.store.backend().to_string(), "now": state.clock.now().rfc3339() }))
        .into_response()
}

#[derive(Deserialize)]
struct ExportQuery {
    format: Option<String>,
}

async fn export_world(
    State(state): State<AppState>,
    Query(q): Query<ExportQuery>,
) -> Result<Response, ControlError> {
    let file = wamm_world::export(&state.store.export_world().await?);
    match q.format.as_deref().unwrap_or("yaml") {
        "json" => {
            Ok(axum::Json(serde_json::to_value(&file).map_err(StoreError::from)?).into_response())
        }
        "yaml" => {
            let text = serde_norway::to_string(&file)
                .map_err(|e| ControlError::BadRequest(e.to_string()))?;
            Ok((
                [(header::CONTENT_TYPE, "application/yaml; charset=utf-8")],
                text,
            )
                .into_response())
        }
        other => Err(ControlError::BadRequest(format!(
            "unknown format '{other}' (json or yaml)"
        ))),
    }
}

fn tokens_json(tokens: &[IssuedToken]) -> Value {
    Value::Array(
        tokens
            .iter()
            .map(|t| {
                json!({
                    "key": t.key,
                    "access_token": t.token,
                    "app_id": t.app_id.to_string(),
                    "system_user_id": t.user_id.to_string(),
                    "business_id": t.business_id.to_string(),
                })
            })
            .collect(),
    )
}

async fn put_world(
    State(state): State<AppState>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ControlError> {
    let body = body.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ControlError::TooLarge {
                limit: wamm_world::MAX_WORLD_BYTES,
            }
        } else {
            ControlError::BadRequest(rejection.body_text())
        }
    })?;
    let text = std::str::from_utf8(&body)
        .map_err(|_| ControlError::BadRequest("the world file must be UTF-8".into()))?;
    let summary = load_world(&state, text).await?;
    Ok(
        axum::Json(json!({ "counts": summary.counts, "tokens": tokens_json(&summary.tokens) }))
            .into_response(),
    )
}

async fn reset(State(state): State<AppState>) -> Result<Response, ControlError> {
    state.store.replace_world(&WorldState::default()).await?;
    crate::usecase::journal::record(&state, "world.reset", "world", json!({})).await?;
    Ok(axum::Json(json!({ "success": true })).into_response())
}

fn clock_json(state: &AppState) -> Value {
    let s = state.clock.state();
    json!({
        "now": state.clock.now().rfc3339(),
        "now_ms": state.clock.now().millis(),
        "frozen": s.frozen_at.is_some(),
        "offset_ms": s.offset_ms,
    })
}

async fn get_clock(State(state): State<AppState>) -> Response {
    axum::Json(clock_json(&state)).into_response()
}

/// The latest instant the platform clock may show: the end of year 9999, the last one RFC 3339
/// can write.
const LATEST_CLOCK_MS: i64 = 253_402_300_799_999;

/// `{"advance_seconds": n}`, `{"set": "<RFC 3339>"}` and/or `{"freeze": bool}`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ClockMove {
    advance_seconds: Option<i64>,
    set: Option<String>,
    freeze: Option<bool>,
}

async fn move_clock(State(state): State<AppState>, body: Bytes) -> Result<Response, ControlError> {
    let change: ClockMove = serde_json::from_slice(&body).map_err(|e| {
        ControlError::BadRequest(format!("expected {{advance_seconds|set|freeze}}: {e}"))
    })?;
    // Everything is checked before anything moves: a refused move leaves the clock as it was.
    let set = match &change.set {
        Some(at) => Some(
            wamm_domain::Timestamp::parse(at)
                .filter(|ts| (0..=LATEST_CLOCK_MS).contains(&ts.millis()))
                .ok_or_else(|| {
                    ControlError::BadRequest(format!(
                        "set: '{at}' is not an RFC 3339 time between 1970 and 9999"
                    ))
                })?,
        ),
        None => None,
    };
    let advance_ms = match change.advance_seconds {
        Some(secs) => {
            let from = set.map_or_else(|| state.clock.now().millis(), |ts| ts.millis());
            let ms = secs
                .checked_mul(1000)
                .filter(|ms| {
                    from.checked_add(*ms)
                        .is_some_and(|to| (0..=LATEST_CLOCK_MS).contains(&to))
                })
                .ok_or_else(|| {
                    ControlError::BadRequest(format!(
                        "advance_seconds: {secs} would move the clock outside 1970 to 9999"
                    ))
                })?;
            Some(ms)
        }
        None => None,
    };
    if let Some(frozen) = change.freeze {
        state.clock.freeze(frozen);
    }
    if let Some(ts) = set {
        state.clock.set(ts);
    }
    if let Some(ms) = advance_ms {
        state.clock.advance_ms(ms);
    }
    state.save_clock().await?;
    crate::usecase::journal::record(&state, "clock.moved", "clock", clock_json(&state)).await?;
    crate::usecase::schedule::run_due_work(&state).await;
    Ok(axum::Json(clock_json(&state)).into_response())
}

#[derive(Deserialize)]
struct EventQuery {
    after: Option<i64>,
    limit: Option<i64>,
}

async fn events(
    State(state): State<AppState>,
    Query(q): Query<EventQuery>,
) -> Result<Response, ControlError> {
    let limit = q.limit.unwrap_or(100).clamp(1, 1000);
    let list = state.store.events(q.after.unwrap_or(0), limit).await?;
    let next = list.last().map(|e| e.seq);
    Ok(axum::Json(json!({ "data": list, "next_after": next })).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TokenRequest {
    system_user_id: String,
    app_id: String,
    scopes: Option<Vec<String>>,
}

async fn create_token(
    State(state): State<AppState>,
    body: Bytes,
) -> Result<Response, ControlError> {
    let req: TokenRequest = serde_json::from_slice(&body).map_err(|e| {
        ControlError::BadRequest(format!("expected {{system_user_id, app_id, scopes?}}: {e}"))
    })?;
    let user: UserId = req
        .system_user_id
        .parse()
        .map_err(|e| ControlError::BadRequest(format!("system_user_id: {e}")))?;
    let app: AppId = req
        .app_id
        .parse()
        .map_err(|e| ControlError::BadRequest(format!("app_id: {e}")))?;
    let scopes = match req.scopes {
        None => vec![
            Permission::WhatsappBusinessMessaging,
            Permission::WhatsappBusinessManagement,
            Permission::BusinessManagement,
        ],
        Some(list) => list
            .iter()
            .map(|s| {
                s.parse::<Permission>()
                    .map_err(|e| ControlError::BadRequest(e.to_string()))
            })
            .collect::<Result<_, _>>()?,
    };
    let token = mint_token(&state, user, app, scopes).await?;
    Ok(axum::Json(json!({ "access_token": token })).into_response())
}

/// `{waba_id, field, value}` or `{waba_id, field, values: [...]}`: changes to deliver as if the
/// platform had made them (for partners' tests and the benchmark).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Emit {
    waba_id: String,
    field: String,
    value: Option<Value>,
    values: Option<Vec<Value>>,
}

async fn emit_webhooks(
    State(state): State<AppState>,
    body: Bytes,
) -> Result<Response, ControlError> {
    let emit: Emit = serde_json::from_slice(&body).map_err(|e| {
        ControlError::BadRequest(format!("expected {{waba_id, field, value|values}}: {e}"))
    })?;
    let waba: WabaId = emit
        .waba_id
        .parse()
        .map_err(|e| ControlError::BadRequest(format!("waba_id: {e}")))?;
    if state.store.waba(waba).await?.is_none() {
        return Err(ControlError::NotFound(format!("no WABA {waba}")));
    }
    if !wamm_world::WEBHOOK_FIELDS.contains(&emit.field.as_str()) {
        return Err(ControlError::BadRequest(format!(
            "field: '{}' is not a webhook field",
            emit.field
        )));
    }
    let values: Vec<Value> = emit
        .values
        .unwrap_or_default()
        .into_iter()
        .chain(emit.value)
        .collect();
    if values.is_empty() {
        return Err(ControlError::BadRequest(
            "value or values is required".into(),
        ));
    }
    let queued = crate::usecase::emit::emit(&state, waba, &emit.field, &values).await?;
    Ok(axum::Json(json!({ "changes": values.len(), "deliveries": queued })).into_response())
}

#[derive(Deserialize)]
struct OutboxQuery {
    status: Option<String>,
    after: Option<i64>,
    limit: Option<i64>,
}

fn parse_status(text: &str) -> Result<DeliveryStatus, ControlError> {
    serde_json::from_value(Value::String(text.to_owned())).map_err(|_| {
        ControlError::BadRequest(format!(
            "status: '{text}' is not pending, delivered or dropped"
        ))
    })
}

async fn list_webhooks(
    State(state): State<AppState>,
    Query(q): Query<OutboxQuery>,
) -> Result<Response, ControlError> {
    let status = q.status.as_deref().map(parse_status).transpose()?;
    let items = state
        .store
        .outbox(
            status,
            q.after.unwrap_or(0),
            q.limit.unwrap_or(100).clamp(1, 1000),
        )
        .await?;
    let next = items.last().map(|i| i.id);
    Ok(axum::Json(json!({ "data": items, "next_after": next })).into_response())
}

async fn get_webhook(
    State(state): State<AppState>,
    axum::extract::Path(id): axum::extract::Path<i64>,
) -> Result<Response, ControlError> {
    let item = state
        .store
        .outbox_item(id)
        .await?
        .ok_or_else(|| ControlError::NotFound(format!("no delivery {id}")))?;
    let attempts = state.store.attempts_of(id).await?;
    Ok(axum::Json(json!({ "delivery": item, "attempts": attempts })).into_response())
}

async fn redeliver_webhook(
    State(state): State<AppState>,
    axum::extract::Path(id): axum::extract::Path<i64>,
) -> Result<Response, ControlError> {
    if !state.store.redeliver(id, state.clock.now()).await? {
        return Err(ControlError::NotFound(format!("no delivery {id}")));
    }
    state.webhooks.wake.notify_one();
    crate::usecase::journal::record(
        &state,
        "webhook.redelivery_requested",
        &format!("outbox:{id}"),
        json!({}),
    )
    .await?;
    Ok(axum::Json(json!({ "success": true })).into_response())
}

async fn webhook_stats(State(state): State<AppState>) -> Result<Response, ControlError> {
    Ok(axum::Json(
        serde_json::to_value(state.store.outbox_counts().await?).map_err(StoreError::from)?,
    )
    .into_response())
}

async fn get_faults(State(state): State<AppState>) -> Response {
    axum::Json(json!(state.webhooks.faults.all())).into_response()
}

/// `{endpoint, duplicate?, delay_ms?, reorder?}`; all false/0 clears the endpoint's faults.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FaultRequest {
    endpoint: String,
    #[serde(flatten)]
    fault: crate::webhooks::faults::Fault,
}

async fn put_fault(State(state): State<AppState>, body: Bytes) -> Result<Response, ControlError> {
    let req: FaultRequest = serde_json::from_slice(&body).map_err(|e| {
        ControlError::BadRequest(format!(
            "expected {{endpoint, duplicate?, delay_ms?, reorder?}}: {e}"
        ))
    })?;
    state.webhooks.faults.set(req.endpoint, req.fault);
    Ok(axum::Json(json!(state.webhooks.faults.all())).into_response())
}

#[derive(Deserialize)]
struct EmailQuery {
    to: Option<String>,
    after: Option<i64>,
    limit: Option<i64>,
}

/// The mailbox: every email the platform sent, oldest first.
async fn list_emails(
    State(state): State<AppState>,
    Query(q): Query<EmailQuery>,
) -> Result<Response, ControlError> {
    let list = state
        .store
        .emails(
            q.to.as_deref(),
            q.after.unwrap_or(0),
            q.limit.unwrap_or(100).clamp(1, 1000),
        )
        .await?;
    let next = list.last().map(|e| e.id);
    Ok(axum::Json(json!({ "data": list, "next_after": next })).into_response())
}

async fn list_requests(State(state): State<AppState>) -> Result<Response, ControlError> {
    Ok(axum::Json(json!({ "data": state.store.requests().await? })).into_response())
}

/// `{"user_id": "…"}` names the admin deciding; the business's first admin by default.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct Decision {
    user_id: Option<String>,
}

fn decision(body: &[u8]) -> Result<Option<UserId>, ControlError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    let d: Decision = serde_json::from_slice(body)
        .map_err(|e| ControlError::BadRequest(format!("expected {{user_id?}}: {e}")))?;
    d.user_id
        .map(|u| {
            u.parse::<UserId>()
                .map_err(|e| ControlError::BadRequest(format!("user_id: {e}")))
        })
        .transpose()
}

fn onboarding_error(e: crate::usecase::onboard::OnboardingError) -> ControlError {
    use crate::usecase::onboard::OnboardingError as E;
    match e {
        E::NotFound(m) => ControlError::NotFound(m),
        E::NotAllowed(m) => ControlError::BadRequest(m),
        E::Refused(r) => ControlError::BadRequest(format!("refused: {r:?}")),
        E::Store(s) => ControlError::Store(s),
    }
}

async fn decide_request(
    state: &AppState,
    id: &str,
    body: &[u8],
    how: crate::usecase::onboard::Decision,
) -> Result<Response, ControlError> {
    let id: RequestId = id
        .parse()
        .map_err(|e| ControlError::BadRequest(format!("request id: {e}")))?;
    let request = crate::usecase::onboard::decide(state, id, decision(body)?, how)
        .await
        .map_err(onboarding_error)?;
    Ok(axum::Json(json!(request)).into_response())
}

async fn accept_request(
    State(state): State<AppState>,
    axum::extract::Path(id): axum::extract::Path<String>,
    body: Bytes,
) -> Result<Response, ControlError> {
    decide_request(
        &state,
        &id,
        &body,
        crate::usecase::onboard::Decision::Accept,
    )
    .await
}

async fn reject_request(
    State(state): State<AppState>,
    axum::extract::Path(id): axum::extract::Path<String>,
    body: Bytes,
) -> Result<Response, ControlError> {
    decide_request(
        &state,
        &id,
        &body,
        crate::usecase::onboard::Decision::Reject,
    )
    .await
}

/// The business that owns a WABA accepts or rejects a migration intent to a solution (Meta:
/// Business settings > Requests > Received), as `{"user_id"?}` (the first admin by default).
async fn decide_migration(
    State(state): State<AppState>,
    axum::extract::Path((id, how)): axum::extract::Path<(String, String)>,
    body: Bytes,
) -> Result<Response, ControlError> {
    use crate::usecase::solutions::SolutionError as E;
    let accept = match how.as_str() {
        "accept" => true,
        "reject" => false,
        other => {
            return Err(ControlError::NotFound(format!(
                "no decision {other}: use accept or reject"
            )));
        }
    };
    let id: wamm_wire::ids::MigrationIntentId = id
        .parse()
        .map_err(|e| ControlError::BadRequest(format!("migration intent id: {e}")))?;
    let decided = crate::usecase::solutions::decide_migration(&state, id, accept, decision(&body)?)
        .await
        .map_err(|e| match e {
            E::UnknownMigration(_) => ControlError::NotFound(e.to_string()),
            E::Store(s) => ControlError::Store(s),
            other => ControlError::BadRequest(other.to_string()),
        })?;
    Ok(axum::Json(json!(decided)).into_response())
}

/// Sends the reminders due now (the platform also does so on its own every second).
async fn run_reminders(State(state): State<AppState>) -> Result<Response, ControlError> {
    let reminded = crate::usecase::onboard::send_reminders(&state).await?;
    Ok(axum::Json(json!({ "reminded": reminded })).into_response())
}

/// `{"approve": bool}`: App Review's decision on an app's request for advanced access.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReviewDecision {
    approve: bool,
}

async fn decide_review(
    State(state): State<AppState>,
    axum::extract::Path((id, permission)): axum::extract::Path<(String, String)>,
    body: Bytes,
) -> Result<Response, ControlError> {
    let decision: ReviewDecision = serde_json::from_slice(&body)
        .map_err(|e| ControlError::BadRequest(format!("expected {{approve}}: {e}")))?;
    let app: AppId = id
        .parse()
        .map_err(|e| ControlError::BadRequest(format!("app id: {e}")))?;
    let permission: Permission =
        permission
            .parse()
            .map_err(|e: wamm_domain::permission::UnknownPermission| {
                ControlError::BadRequest(e.to_string())
            })?;
    crate::usecase::apps::enrolment_step(&state, app, "app.review_decided", |a, now| {
        wamm_domain::enrolment::decide_review(a, permission, decision.approve, now)
    })
    .await?
    .map_err(ControlError::BadRequest)?;
    let app = state.store.app(app).await?;
    Ok(axum::Json(json!({ "permissions": app.map(|a| a.permissions) })).into_response())
}

/// A WABA to add to a business portfolio.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewWaba {
    name: String,
    tax_country: Option<String>,
    currency: Option<String>,
    payment_method: Option<bool>,
    /// A partner business to share the WABA with.
    shared_with: Option<String>,
    phone_number: Option<NewPhone>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewPhone {
    display_phone_number: String,
    verified_name: Option<String>,
    #[serde(default)]
    coexistence: bool,
}

/// `POST /_wamm/businesses/{id}/wabas`: a WABA (and phone number) joins the portfolio, as when
/// the business creates one in WhatsApp Manager. In a portfolio whose MM API terms are signed
/// it is onboarded on its own and gets its own `MM_LITE_TERMS_SIGNED`.
async fn add_waba(
    State(state): State<AppState>,
    axum::extract::Path(id): axum::extract::Path<String>,
    body: Bytes,
) -> Result<Response, ControlError> {
    let id: wamm_wire::ids::BusinessId = id
        .parse()
        .map_err(|e| ControlError::BadRequest(format!("business id: {e}")))?;
    let new: NewWaba = serde_json::from_slice(&body)
        .map_err(|e| ControlError::BadRequest(format!("expected {{name, tax_country?, currency?, payment_method?, shared_with?, phone_number?}}: {e}")))?;
    let business = state
        .store
        .business(id)
        .await?
        .ok_or_else(|| ControlError::NotFound(format!("no business {id}")))?;
    let shared_with = match new.shared_with.as_deref() {
        None => None,
        Some(p) => {
            let partner: wamm_wire::ids::BusinessId = p
                .parse()
                .map_err(|e| ControlError::BadRequest(format!("shared_with: {e}")))?;
            if partner == id || state.store.business(partner).await?.is_none() {
                return Err(ControlError::BadRequest(format!(
                    "shared_with: no partner business {partner}"
                )));
            }
            Some(partner)
        }
    };
    let mut spec = crate::usecase::assets::WabaSpec::named(new.name);
    spec.tax_country = new
        .tax_country
        .map(|c| {
            c.parse()
                .map_err(|e| ControlError::BadRequest(format!("tax_country: {e:?}")))
        })
        .transpose()?;
    if let Some(currency) = new.currency {
        spec.currency = currency;
    }
    spec.payment_method = new.payment_method.unwrap_or(true);
    spec.shared_with = shared_with;
    let phone = new.phone_number.map(|p| crate::usecase::assets::PhoneSpec {
        verified_name: p.verified_name.unwrap_or_else(|| business.name.clone()),
        display_phone_number: p.display_phone_number,
        coexistence: p.coexistence,
    });
    let now = state.clock.now();
    let added = crate::usecase::assets::add_waba(&state, &business, spec, phone, now).await?;
    // The use case built the writes; they land here whole, as Embedded Signup lands them
    // inside its own commit.
    state.commit(added.changes).await?;
    let waba = state
        .store
        .waba(added.waba)
        .await?
        .ok_or_else(|| ControlError::NotFound(format!("no WABA {}", added.waba)))?;
    let status =
        wamm_domain::onboarding::waba_status(&waba, &business, &state.config.countries, now);
    Ok((
        StatusCode::CREATED,
        axum::Json(json!({
            "waba_id": added.waba.to_string(),
            "phone_number_id": added.phone_number.map(|p| p.to_string()),
            "marketing_messages_onboarding_status": status.as_str(),
            "mm_setup_complete_at": waba.mm_setup_complete_at.map(wamm_domain::Timestamp::rfc3339),
        })),
    )
        .into_response())
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct Disconnect {
    reason: Option<crate::usecase::offboard::DisconnectReason>,
}

/// `POST /_wamm/phone_numbers/{id}/disconnect` `{"reason"?}`: a coexistence number leaves the
/// Business Platform, offboarding its WABA from MM API.
async fn disconnect_number(
    State(state): State<AppState>,
    axum::extract::Path(id): axum::extract::Path<String>,
    body: Bytes,
) -> Result<Response, ControlError> {
    let id: wamm_wire::ids::PhoneNumberId = id
        .parse()
        .map_err(|e| ControlError::BadRequest(format!("phone number id: {e}")))?;
    let ask: Disconnect = if body.iter().all(u8::is_ascii_whitespace) {
        Disconnect::default()
    } else {
        serde_json::from_slice(&body).map_err(|e| {
            ControlError::BadRequest(format!(
                "expected {{reason?: ACCOUNT_DISCONNECTED|BUSINESS_DOWNGRADE|CHANGE_NUMBER|COMPANION_INACTIVITY|PRIMARY_INACTIVITY|USER_RE_REGISTERED}}: {e}"
            ))
        })?
    };
    let reason = ask
        .reason
        .unwrap_or(crate::usecase::offboard::DisconnectReason::AccountDisconnected);
    match crate::usecase::offboard::disconnect(&state, id, reason).await {
        Ok(done) => Ok(axum::Json(json!(done)).into_response()),
        Err(crate::usecase::offboard::OffboardError::NotFound(p)) => {
            Err(ControlError::NotFound(format!("no phone number {p}")))
        }
        Err(crate::usecase::offboard::OffboardError::Store(e)) => Err(e.into()),
        Err(e) => Err(ControlError::BadRequest(e.to_string())),
    }
}

/// `GET /_wamm/messages/{wamid}`: a message, its status and the rest of its plan, and each
/// click so far with the click ID (`fbclid`) and the URL the recipient opened.
async fn get_message(
    State(state): State<AppState>,
    axum::extract::Path(id): axum::extract::Path<String>,
) -> Result<Response, ControlError> {
    let message = state
        .store
        .message(&id)
        .await?
        .ok_or_else(|| ControlError::NotFound(format!("no message {id}")))?;
    show_message(&state, &message).await
}

/// Answers with `message` as the control API shows it (its template read for the CTA URL).
async fn show_message(
    state: &AppState,
    message: &wamm_domain::Message,
) -> Result<Response, ControlError> {
    let template = match message.template_id {
        Some(t) => state.store.template(t).await?,
        None => None,
    };
    Ok(axum::Json(message_view(message, template.as_ref())).into_response())
}

/// A message as the control API shows it: the stored message, plus its clicks, each with its
/// fbclid, the URL the recipient opened, and the `campaign_ids` value an app deep link of the
/// click carries.
fn message_view(message: &wamm_domain::Message, template: Option<&wamm_domain::Template>) -> Value {
    use wamm_domain::metrics::{click_id, clicked_url};
    use wamm_domain::sending::Step;
    let url = template
        .and_then(wamm_domain::template::url_button)
        .map(|b| b.url);
    let done = usize::try_from(message.steps_done).unwrap_or(usize::MAX);
    let clicks: Vec<Value> = message
        .plan
        .iter()
        .take(done)
        .filter(|(_, step)| *step == Step::Click)
        .map(|(at, _)| {
            let fbclid = click_id(&message.id, *at);
            json!({
                "at": at.rfc3339(),
                "url": url.as_deref().map(|u| clicked_url(u, &fbclid)),
                "campaign_ids": wamm_domain::capi::campaign_ids(&fbclid),
                "fbclid": fbclid,
            })
        })
        .collect();
    let mut view = json!(message);
    view["clicks"] = Value::Array(clicks);
    view
}

/// `POST /_wamm/messages/{wamid}/read|click`: the recipient reads the message, or clicks its
/// link, now. A message that failed or expired cannot be read; a click implies a read.
async fn act_on_message(
    State(state): State<AppState>,
    axum::extract::Path((id, action)): axum::extract::Path<(String, String)>,
) -> Result<Response, ControlError> {
    use wamm_domain::sending::Step;
    let step = match action.as_str() {
        "read" => Step::Read,
        "click" => Step::Click,
        other => {
            return Err(ControlError::NotFound(format!(
                "no action {other}: read or click"
            )));
        }
    };
    let message = state
        .store
        .message(&id)
        .await?
        .ok_or_else(|| ControlError::NotFound(format!("no message {id}")))?;
    if matches!(message.status.as_deref(), Some("failed" | "expired") | None) {
        return Err(ControlError::BadRequest(format!(
            "message {id} is {}: only a delivered message can be read or clicked",
            message.status.as_deref().unwrap_or("not sent yet")
        )));
    }
    crate::usecase::lifecycle::recipient_acts(&state, message, step).await?;
    let message = state
        .store
        .message(&id)
        .await?
        .ok_or_else(|| ControlError::NotFound(format!("no message {id}")))?;
    show_message(&state, &message).await
}

/// `{"event", "value"?, "channel"?}`: what the recipient did after clicking.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Conversion {
    /// `Purchase`, `AddToCart`, `InitiateCheckout` or `ActivateApp`.
    event: String,
    /// A purchase's value, in the business's currency.
    #[serde(default)]
    value: f64,
    /// `website` (the default) or `app`.
    #[serde(default)]
    channel: Option<String>,
}

/// `POST /_wamm/messages/{wamid}/convert`: the recipient, having clicked the message's link,
/// converts now on the business's website or app; the conversion is attributed to the
/// message's last click (within 7 days) and counted in its analytics.
async fn convert_message(
    State(state): State<AppState>,
    axum::extract::Path(id): axum::extract::Path<String>,
    body: Bytes,
) -> Result<Response, ControlError> {
    use wamm_domain::metrics::{Channel, ConversionEvent};
    let body: Conversion = serde_json::from_slice(&body).map_err(|e| {
        ControlError::BadRequest(format!("expected {{event, value?, channel?}}: {e}"))
    })?;
    let event = ConversionEvent::parse(&body.event).ok_or_else(|| {
        ControlError::BadRequest(format!(
            "event {}: Purchase, AddToCart, InitiateCheckout or ActivateApp",
            body.event
        ))
    })?;
    let channel = match body.channel.as_deref() {
        None | Some("website") => Channel::Website,
        Some("app") => Channel::App,
        Some(other) => {
            return Err(ControlError::BadRequest(format!(
                "channel {other}: website or app"
            )));
        }
    };
    if !body.value.is_finite() || !(0.0..=1_000_000_000.0).contains(&body.value) {
        return Err(ControlError::BadRequest(
            "value must be an amount between 0 and 1000000000".into(),
        ));
    }
    #[expect(
        clippy::cast_possible_truncation,
        reason = "the value is bounded above, far inside i64 once scaled"
    )]
    let value_micros = (body.value * 1_000_000.0).round() as i64;
    let message = state
        .store
        .message(&id)
        .await?
        .ok_or_else(|| ControlError::NotFound(format!("no message {id}")))?;
    use crate::usecase::conversions::{ConvertError, convert};
    match convert(&state, &message, event, channel, value_micros).await {
        Ok(fact) => Ok(axum::Json(json!({
            "message": id,
            "counted_on": fact.key.day.start().date(),
        }))
        .into_response()),
        Err(ConvertError::Unattributed(why)) => {
            Err(ControlError::BadRequest(format!("message {id}: {why}")))
        }
        Err(ConvertError::Store(e)) => Err(e.into()),
    }
}

/// `{"status", "reason"?}`: Meta's review sets a template's status.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StatusChange {
    status: wamm_domain::TemplateStatus,
    reason: Option<String>,
}

/// `{"category", "impending"?}`: Meta recategorises a template (or announces it will).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CategoryChange {
    category: wamm_domain::TemplateCategory,
    #[serde(default)]
    impending: bool,
}

fn template_id(id: &str) -> Result<wamm_wire::ids::TemplateId, ControlError> {
    id.parse()
        .map_err(|e| ControlError::BadRequest(format!("template id: {e}")))
}

fn review_error(e: crate::usecase::review::ReviewError) -> ControlError {
    match e {
        crate::usecase::review::ReviewError::NotFound(id) => {
            ControlError::NotFound(format!("no template {id}"))
        }
        crate::usecase::review::ReviewError::Store(s) => ControlError::Store(s),
    }
}

/// `POST /_wamm/templates/{id}/status`: sends `message_template_status_update`.
async fn template_status(
    State(state): State<AppState>,
    axum::extract::Path(id): axum::extract::Path<String>,
    body: Bytes,
) -> Result<Response, ControlError> {
    let id = template_id(&id)?;
    let change: StatusChange = serde_json::from_slice(&body).map_err(|e| {
        ControlError::BadRequest(format!(
            "expected {{status: APPROVED|PENDING|REJECTED|PAUSED|DISABLED, reason?}}: {e}"
        ))
    })?;
    let value = crate::usecase::review::set_status(&state, id, change.status, change.reason)
        .await
        .map_err(review_error)?;
    Ok(axum::Json(value).into_response())
}

/// `POST /_wamm/templates/{id}/category`: sends `template_category_update`.
async fn template_category(
    State(state): State<AppState>,
    axum::extract::Path(id): axum::extract::Path<String>,
    body: Bytes,
) -> Result<Response, ControlError> {
    let id = template_id(&id)?;
    let change: CategoryChange = serde_json::from_slice(&body).map_err(|e| {
        ControlError::BadRequest(format!(
            "expected {{category: MARKETING|UTILITY|AUTHENTICATION, impending?}}: {e}"
        ))
    })?;
    let value = crate::usecase::review::recategorise(&state, id, change.category, change.impending)
        .await
        .map_err(review_error)?;
    Ok(axum::Json(value).into_response())
}
