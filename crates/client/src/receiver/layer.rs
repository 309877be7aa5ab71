//! [`SignatureLayer`]: `X-Hub-Signature-256` checked in front of any service.
//!
//! The layer reads the whole body (up to a limit), verifies the header against those exact
//! bytes with [`wamm_wire::signature::verify`] (a constant-time comparison), and only then calls
//! the inner service, with the same bytes put back as its body. A request without a valid
//! signature never reaches the inner service: it gets 401, and a body over the limit gets 413.
//!
//! Meta's verification handshake is a `GET` without a signature, so put the layer on the
//! `POST` route only, e.g. `post(handler).layer(SignatureLayer::new(secret)).get(handshake)`.
//!
//! A handler behind the layer that takes axum's `Bytes` or `Json` extractors is still held to
//! axum's own default body limit (2 MB); raise it with `axum::extract::DefaultBodyLimit` when
//! the layer's limit is higher.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::BoxError;
use axum::body::{Body, Bytes, HttpBody};
use axum::http::{Request, StatusCode, header};
use axum::response::{IntoResponse, Response};
use tower::{Layer, Service};
use wamm_wire::signature::SignatureError;

/// The largest body accepted unless told otherwise: 4 MiB, above Meta's 3 MB payload cap.
pub const DEFAULT_MAX_BODY_BYTES: usize = 4 * 1024 * 1024;

/// Why a request was refused before reaching the inner service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SignatureRejection {
    /// No `X-Hub-Signature-256` header, or one that is not text. Answered 401.
    #[error("no X-Hub-Signature-256 header")]
    Missing,
    /// The header is malformed or does not match the body. Answered 401.
    #[error(transparent)]
    Invalid(#[from] SignatureError),
    /// The body is over the limit. Answered 413.
    #[error("the body is over {limit} bytes")]
    TooLarge {
        /// The limit, in bytes.
        limit: usize,
    },
    /// The body could not be read (the client went away mid-body). Answered 400.
    #[error("the body could not be read")]
    Unreadable,
}

impl SignatureRejection {
    /// The HTTP status this rejection is answered with.
    pub const fn status(self) -> StatusCode {
        match self {
            Self::Missing | Self::Invalid(_) => StatusCode::UNAUTHORIZED,
            Self::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Self::Unreadable => StatusCode::BAD_REQUEST,
        }
    }
}

impl IntoResponse for SignatureRejection {
    fn into_response(self) -> Response {
        // The reason is safe to tell the caller: it names no secret and echoes nothing sent.
        (self.status(), self.to_string()).into_response()
    }
}

/// A [`Layer`] that verifies `X-Hub-Signature-256` before the inner service sees a request.
///
/// The inner service takes `Request<axum::body::Body>` and answers an axum `Response`, as
/// axum's routers, method routers and handlers do.
#[derive(Clone)]
pub struct SignatureLayer {
    app_secret: Arc<str>,
    max_body_bytes: usize,
}

impl fmt::Debug for SignatureLayer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignatureLayer")
            .field("app_secret", &"<redacted>")
            .field("max_body_bytes", &self.max_body_bytes)
            .finish()
    }
}

impl SignatureLayer {
    /// Verifies with `app_secret`, accepting bodies up to [`DEFAULT_MAX_BODY_BYTES`].
    pub fn new(app_secret: impl Into<String>) -> Self {
        Self {
            app_secret: Arc::from(app_secret.into()),
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
        }
    }

    /// Accepts bodies up to `limit` bytes instead; larger ones are answered 413.
    #[must_use]
    pub const fn max_body_bytes(mut self, limit: usize) -> Self {
        self.max_body_bytes = limit;
        self
    }
}

impl<S> Layer<S> for SignatureLayer {
    type Service = SignatureService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        SignatureService {
            inner,
            app_secret: Arc::clone(&self.app_secret),
            max_body_bytes: self.max_body_bytes,
        }
    }
}

/// The service [`SignatureLayer`] wraps around `S`.
#[derive(Clone)]
pub struct SignatureService<S> {
    inner: S,
    app_secret: Arc<str>,
    max_body_bytes: usize,
}

impl<S: fmt::Debug> fmt::Debug for SignatureService<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignatureService")
            .field("inner", &self.inner)
            .field("app_secret", &"<redacted>")
            .field("max_body_bytes", &self.max_body_bytes)
            .finish()
    }
}

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;

impl<S, B> Service<Request<B>> for SignatureService<S>
where
    S: Service<Request<Body>, Response = Response> + Clone + Send + 'static,
    S::Future: Send + 'static,
    B: HttpBody<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    type Response = Response;
    type Error = S::Error;
    type Future = BoxFuture<Result<Response, S::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        // The service that was polled ready is the one that must be called; a fresh clone
        // stays behind for the next request.
        let ready = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, ready);
        let secret = Arc::clone(&self.app_secret);
        let limit = self.max_body_bytes;
        Box::pin(async move {
            let (parts, body) = request.into_parts();
            match verified_body(&parts.headers, Body::new(body), &secret, limit).await {
                Ok(bytes) => {
                    inner
                        .call(Request::from_parts(parts, Body::from(bytes)))
                        .await
                }
                Err(rejection) => {
                    // Never the header value or the body: only why.
                    tracing::warn!(reason = %rejection, "refused a webhook delivery");
                    Ok(rejection.into_response())
                }
            }
        })
    }
}

/// The body, once its signature checks out.
async fn verified_body(
    headers: &axum::http::HeaderMap,
    body: Body,
    app_secret: &str,
    limit: usize,
) -> Result<Bytes, SignatureRejection> {
    // Refuse before reading anything when the header is missing or the length is declared
    // too large: no point buffering a body that will be refused anyway.
    let signature = headers
        .get(wamm_wire::signature::HEADER)
        .and_then(|v| v.to_str().ok())
        .ok_or(SignatureRejection::Missing)?;
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > u64::try_from(limit).unwrap_or(u64::MAX)) {
        return Err(SignatureRejection::TooLarge { limit });
    }
    let bytes = read_limited(body, limit).await?;
    wamm_wire::signature::verify(app_secret, &bytes, signature)?;
    Ok(bytes)
}

/// Reads a whole body, giving up as soon as it grows past `limit` (chunked bodies declare no
/// length, so the count is what protects memory).
async fn read_limited(mut body: Body, limit: usize) -> Result<Bytes, SignatureRejection> {
    let mut chunks: Vec<Bytes> = Vec::new();
    let mut total = 0usize;
    while let Some(frame) = std::future::poll_fn(|cx| Pin::new(&mut body).poll_frame(cx)).await {
        let frame = frame.map_err(|_| SignatureRejection::Unreadable)?;
        // Trailers carry no body bytes and are not signed.
        let Ok(data) = frame.into_data() else {
            continue;
        };
        total = total.saturating_add(data.len());
        if total > limit {
            return Err(SignatureRejection::TooLarge { limit });
        }
        chunks.push(data);
    }
    Ok(match chunks.len() {
        0 => Bytes::new(),
        // The common case: one chunk, kept without a copy.
        1 => chunks.swap_remove(0),
        _ => Bytes::from(chunks.concat()),
    })
}

#[cfg(test)]
mod tests {
    use std::convert::Infallible;

    use tower::ServiceExt;

    use super::*;

    const SECRET: &str = "layer-secret";

    async fn call(request: Request<Body>, limit: usize) -> (StatusCode, Bytes) {
        let echo = tower::service_fn(|request: Request<Body>| async move {
            let bytes = read_limited(request.into_body(), usize::MAX)
                .await
                .unwrap_or_default();
            Ok::<_, Infallible>(bytes.into_response())
        });
        let service = SignatureLayer::new(SECRET)
            .max_body_bytes(limit)
            .layer(echo);
        let response = service.oneshot(request).await.expect("infallible");
        let status = response.status();
        let body = read_limited(response.into_body(), usize::MAX)
            .await
            .expect("a body");
        (status, body)
    }

    fn signed(body: &'static [u8], secret: &str) -> Request<Body> {
        Request::post("/")
            .header(
                wamm_wire::signature::HEADER,
                wamm_wire::signature::sign(secret, body),
            )
            .body(Body::from(body))
            .expect("a request")
    }

    #[tokio::test]
    async fn a_valid_signature_passes_the_same_bytes_through() {
        let (status, body) = call(signed(b"{\"entry\":[]}", SECRET), 1024).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(&body[..], b"{\"entry\":[]}");
    }

    #[tokio::test]
    async fn refusals_never_reach_the_inner_service() {
        let (status, body) = call(signed(b"{}", "another-secret"), 1024).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(&body[..], b"signature does not match the body");
        let unsigned = Request::post("/")
            .body(Body::from("{}"))
            .expect("a request");
        assert_eq!(call(unsigned, 1024).await.0, StatusCode::UNAUTHORIZED);
        let malformed = Request::post("/")
            .header(wamm_wire::signature::HEADER, "sha1=00")
            .body(Body::from("{}"))
            .expect("a request");
        assert_eq!(call(malformed, 1024).await.0, StatusCode::UNAUTHORIZED);
        let (status, body) = call(signed(b"0123456789", SECRET), 9).await;
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
        assert_eq!(&body[..], b"the body is over 9 bytes");
        assert_eq!(
            call(signed(b"0123456789", SECRET), 10).await.0,
            StatusCode::OK
        );
    }

    #[test]
    fn debug_output_hides_the_secret() {
        let layer = SignatureLayer::new("hunter2");
        assert!(!format!("{layer:?}").contains("hunter2"));
        let service = layer.layer(());
        assert!(!format!("{service:?}").contains("hunter2"));
    }
}
