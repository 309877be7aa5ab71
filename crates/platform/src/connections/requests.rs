//! What every request passes before the router: limits on its head, answered in Graph's shape,
//! and a deadline on its body.
//!
//! hyper refuses a head it cannot buffer with a bare 414 or 431 and no body. The limits here
//! are well below hyper's, so that a request over them still reaches this code and is answered
//! with a Graph error; hyper's limits remain the last resort.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::http::{HeaderValue, Request, Response, header};
use http_body::{Body as _, Frame, SizeHint};
use hyper::body::Incoming;
use tokio::time::Sleep;
use tower::ServiceExt as _;
use wamm_wire::GraphError;

use super::activity::{Activity, RequestGuard};

/// Longest request URI (path and query) answered; longer ones get 414. Graph calls with long
/// `fields=` selections stay far below it; bulk data belongs in the body.
pub const MAX_URI_BYTES: usize = 16 * 1024;
/// Largest header section answered (names, values and 4 bytes per line); larger ones get 431.
pub const MAX_HEADER_BYTES: usize = 32 * 1024;
/// Most header lines answered; more get 431.
pub const MAX_HEADERS: usize = 100;
/// hyper's read buffer, which bounds a whole request head: above the limits here, so that
/// only heads far beyond them get hyper's bare answer.
pub(super) const HEAD_BUFFER: usize = 128 * 1024;
/// hyper's own limit on header lines, likewise above [`MAX_HEADERS`].
pub(super) const HYPER_MAX_HEADERS: usize = 256;

/// The service hyper calls for each request of one connection: checks the head, puts a
/// deadline on the body, runs the router and tells the connection's [`Activity`] how the
/// request goes.
#[derive(Debug, Clone)]
pub(super) struct Gate {
    app: Router,
    activity: Arc<Activity>,
    body_timeout: Duration,
}

impl Gate {
    /// The gate of one connection.
    pub(super) fn new(app: Router, activity: Arc<Activity>, body_timeout: Duration) -> Self {
        Self {
            app,
            activity,
            body_timeout,
        }
    }
}

impl hyper::service::Service<Request<Incoming>> for Gate {
    type Response = Response<ResponseBody>;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Infallible>> + Send>>;

    fn call(&self, req: Request<Incoming>) -> Self::Future {
        let request = self.activity.request();
        let app = self.app.clone();
        let body_timeout = self.body_timeout;
        Box::pin(async move {
            let response = match check_head(&req) {
                Err(refusal) => crate::graph::error_response(refusal),
                Ok(()) => run(app, req, body_timeout).await,
            };
            request.responding();
            Ok(response.map(|inner| ResponseBody {
                inner,
                _request: request,
            }))
        })
    }
}

/// Runs the router with a deadline on the request body; a body that misses it is answered
/// 408 and the connection closed, whatever the handler made of the cut-off body.
async fn run(app: Router, req: Request<Incoming>, body_timeout: Duration) -> Response<Body> {
    if req.body().is_end_stream() {
        return answer(app, req.map(Body::new)).await;
    }
    let expired = Arc::new(AtomicBool::new(false));
    let req = req.map(|inner| {
        Body::new(TimedBody {
            inner,
            deadline: Box::pin(tokio::time::sleep(body_timeout)),
            expired: Arc::clone(&expired),
        })
    });
    let response = answer(app, req).await;
    if !expired.load(Ordering::Acquire) {
        return response;
    }
    let mut response = crate::graph::error_response(GraphError::body_timeout(body_timeout));
    response
        .headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    response
}

async fn answer(app: Router, req: Request<Body>) -> Response<Body> {
    match app.oneshot(req).await {
        Ok(response) => response,
        Err(never) => match never {},
    }
}

/// The answer to a connection over the limit: 503, retry shortly, and the connection closes.
pub(super) fn unavailable() -> Response<Body> {
    let mut response = crate::graph::error_response(GraphError::service_unavailable());
    let headers = response.headers_mut();
    headers.insert(header::CONNECTION, HeaderValue::from_static("close"));
    headers.insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    response
}

/// Refuses a head over the URI or header limits.
fn check_head<B>(req: &Request<B>) -> Result<(), GraphError> {
    let uri = req.uri();
    let uri_bytes = uri.authority().map_or(0, |a| a.as_str().len())
        + uri.path_and_query().map_or(0, |pq| pq.as_str().len());
    if uri_bytes > MAX_URI_BYTES {
        return Err(GraphError::uri_too_long(MAX_URI_BYTES));
    }
    let headers = req.headers();
    if headers.len() > MAX_HEADERS {
        return Err(GraphError::headers_too_large(format_args!(
            "more than {MAX_HEADERS} header lines"
        )));
    }
    let header_bytes: usize = headers
        .iter()
        .map(|(name, value)| name.as_str().len() + value.len() + 4)
        .sum();
    if header_bytes > MAX_HEADER_BYTES {
        return Err(GraphError::headers_too_large(format_args!(
            "more than {MAX_HEADER_BYTES} bytes"
        )));
    }
    Ok(())
}

/// Why a request body could not be read.
#[derive(Debug, thiserror::Error)]
enum BodyError {
    /// The connection failed.
    #[error(transparent)]
    Read(#[from] hyper::Error),
    /// The body did not arrive before its deadline.
    #[error("the request body did not arrive in time")]
    TimedOut,
}

/// A request body that fails once its deadline passes, and says so in `expired`.
struct TimedBody {
    inner: Incoming,
    deadline: Pin<Box<Sleep>>,
    expired: Arc<AtomicBool>,
}

impl http_body::Body for TimedBody {
    type Data = Bytes;
    type Error = BodyError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BodyError>>> {
        let this = self.get_mut();
        if let Poll::Ready(frame) = Pin::new(&mut this.inner).poll_frame(cx) {
            return Poll::Ready(frame.map(|f| f.map_err(BodyError::from)));
        }
        if this.deadline.as_mut().poll(cx).is_ready() {
            this.expired.store(true, Ordering::Release);
            return Poll::Ready(Some(Err(BodyError::TimedOut)));
        }
        Poll::Pending
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// A response body that holds its request's guard, so that the request ends once the
/// response is sent (or abandoned).
pub(super) struct ResponseBody {
    inner: Body,
    _request: RequestGuard,
}

impl http_body::Body for ResponseBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        Pin::new(&mut self.get_mut().inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(uri: &str, headers: &[(&str, String)]) -> Request<()> {
        let mut builder = Request::get(uri);
        for (name, value) in headers {
            builder = builder.header(*name, value.as_str());
        }
        builder.body(()).expect("valid request")
    }

    #[test]
    fn heads_within_the_limits_pass() {
        let long_enough = format!("/v23.0/me?fields={}", "a".repeat(MAX_URI_BYTES - 100));
        assert!(check_head(&request(&long_enough, &[("x-a", "b".repeat(1000))])).is_ok());
    }

    #[test]
    fn heads_over_the_limits_are_refused_with_their_status() {
        let status = |req: &Request<()>| check_head(req).map_err(|e| e.status);
        let long_uri = format!("/me?fields={}", "a".repeat(MAX_URI_BYTES));
        assert_eq!(status(&request(&long_uri, &[])), Err(414));
        let big = "b".repeat(MAX_HEADER_BYTES);
        assert_eq!(status(&request("/me", &[("x-big", big)])), Err(431));
        let many: Vec<(&str, String)> =
            (0..=MAX_HEADERS).map(|_| ("x-n", "1".to_owned())).collect();
        assert_eq!(status(&request("/me", &many)), Err(431));
    }
}
