//! The receiver's routes: `GET` answers Meta's verification handshake, `POST` takes signed
//! deliveries through [`SignatureLayer`], parses them and hands them to the [`EventSink`].

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use axum::Router;
use axum::extract::{Query, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use subtle::ConstantTimeEq;

use super::events;
use super::layer::{DEFAULT_MAX_BODY_BYTES, SignatureLayer};
use super::sink::EventSink;

/// What the receiver needs to know: the app's secret (signatures) and the verify token given
/// to Meta with the callback URL (handshake).
#[derive(Clone)]
pub struct ReceiverConfig {
    /// The app secret that signs deliveries.
    pub app_secret: String,
    /// The verify token Meta echoes in the handshake.
    pub verify_token: String,
    /// The largest body accepted; larger ones are answered 413.
    pub max_body_bytes: usize,
}

impl ReceiverConfig {
    /// A configuration accepting bodies up to [`DEFAULT_MAX_BODY_BYTES`].
    pub fn new(app_secret: impl Into<String>, verify_token: impl Into<String>) -> Self {
        Self {
            app_secret: app_secret.into(),
            verify_token: verify_token.into(),
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
        }
    }

    /// Accepts bodies up to `limit` bytes instead.
    #[must_use]
    pub const fn max_body_bytes(mut self, limit: usize) -> Self {
        self.max_body_bytes = limit;
        self
    }
}

impl fmt::Debug for ReceiverConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReceiverConfig")
            .field("app_secret", &"<redacted>")
            .field("verify_token", &"<redacted>")
            .field("max_body_bytes", &self.max_body_bytes)
            .finish()
    }
}

#[derive(Clone)]
struct Shared {
    verify_token: Arc<str>,
    sink: Arc<dyn EventSink>,
}

/// The receiver at `/`: nest or merge it wherever the callback URL points.
///
/// - `GET /?hub.mode=subscribe&hub.verify_token=…&hub.challenge=…` answers 200 with the
///   challenge as `text/plain` when the token matches; 403 otherwise, 400 without a challenge.
/// - `POST /` answers 401 without a valid `X-Hub-Signature-256` and 413 over the size limit
///   (the sink is not called); 400 when the signed body is not a JSON object; otherwise hands
///   the [`Notification`](events::Notification) to `sink` and answers 200 once it took it, 503
///   when it refused (Meta retries).
pub fn router(config: ReceiverConfig, sink: impl EventSink) -> Router {
    let signatures = SignatureLayer::new(config.app_secret).max_body_bytes(config.max_body_bytes);
    let shared = Shared {
        verify_token: Arc::from(config.verify_token),
        sink: Arc::new(sink),
    };
    // The layer goes on POST only: it wraps the routes added before it, and the handshake
    // GET carries no signature.
    Router::new()
        .route("/", post(notify).layer(signatures).get(handshake))
        .with_state(shared)
}

async fn handshake(
    State(shared): State<Shared>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let mode = query.get("hub.mode").map(String::as_str);
    let token = query.get("hub.verify_token").map_or("", String::as_str);
    // Constant time, like the signature: the token is a shared secret, if a weak one.
    let token_matches: bool = token
        .as_bytes()
        .ct_eq(shared.verify_token.as_bytes())
        .into();
    if mode != Some("subscribe") || !token_matches {
        tracing::warn!(mode = ?mode, "refused a webhook handshake");
        return StatusCode::FORBIDDEN.into_response();
    }
    match query.get("hub.challenge") {
        Some(challenge) => {
            tracing::info!("answered a webhook handshake");
            challenge.clone().into_response()
        }
        None => (StatusCode::BAD_REQUEST, "no hub.challenge").into_response(),
    }
}

async fn notify(State(shared): State<Shared>, request: Request) -> Response {
    // The signature layer has read and checked the body; this only takes the bytes back.
    let Ok(body) = axum::body::to_bytes(request.into_body(), usize::MAX).await else {
        return StatusCode::BAD_REQUEST.into_response();
    };
    let notification = match events::parse(&body) {
        Ok(n) => n,
        Err(e) => {
            // A correctly signed body that is not an envelope will never become one; say so
            // instead of pretending to have taken it. The error names a position only.
            tracing::warn!(error = %e, "a signed webhook body is not an envelope");
            return (StatusCode::BAD_REQUEST, e.to_string()).into_response();
        }
    };
    let entries = notification.entry.len();
    match shared.sink.deliver(notification).await {
        Ok(()) => {
            tracing::debug!(entries, "took a webhook delivery");
            StatusCode::OK.into_response()
        }
        Err(e) => {
            tracing::warn!(error = %e, entries, "the sink refused a webhook delivery");
            StatusCode::SERVICE_UNAVAILABLE.into_response()
        }
    }
}
