//! `POST /api/send` for the partner's own customers: a [`SendOrder`] as JSON, routed and
//! recorded by [`crate::send`]. Callers present the configured API key as a bearer token,
//! compared in constant time.

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Json, Response};
use axum::routing::post;
use serde_json::json;
use subtle::ConstantTimeEq as _;

use crate::send::{SendError, SendOrder, send};
use crate::vault::Secret;
use crate::webhooks::Moves;

/// What the send API needs: what webhooks move with (Graph, store, vault, clock), and the
/// key callers present as `Authorization: Bearer …`.
#[derive(Debug, Clone)]
pub struct SendState {
    /// Graph, the store, the vault and the clock.
    pub moves: Moves,
    /// The callers' key.
    pub api_key: Secret,
}

/// `POST /api/send`.
pub fn router(state: SendState) -> Router {
    Router::new()
        .route("/api/send", post(handle))
        .with_state(state)
}

fn authorised(headers: &HeaderMap, key: &Secret) -> bool {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .is_some_and(|given| bool::from(given.as_bytes().ct_eq(key.expose().as_bytes())))
}

async fn handle(
    State(state): State<SendState>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    if !authorised(&headers, &state.api_key) {
        return (
            StatusCode::UNAUTHORIZED,
            Json(json!({ "error": "a valid bearer API key is required" })),
        )
            .into_response();
    }
    let order: SendOrder = match serde_json::from_slice(&body) {
        Ok(order) => order,
        Err(e) => {
            return (
                StatusCode::BAD_REQUEST,
                Json(json!({ "error": format!("the body is not a send order: {e}") })),
            )
                .into_response();
        }
    };
    let m = &state.moves;
    match send(&*m.graph, &*m.store, &m.vault, &order, (m.now)()).await {
        Ok(message) => Json(message).into_response(),
        Err(e) => {
            let status = match e {
                SendError::UnknownWaba(_) => StatusCode::NOT_FOUND,
                SendError::NoNumber(_) => StatusCode::CONFLICT,
                SendError::Orchestrate(_) => StatusCode::BAD_GATEWAY,
            };
            (status, Json(json!({ "error": e.to_string() }))).into_response()
        }
    }
}
