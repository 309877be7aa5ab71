//! What can go wrong with a Graph call, and how each failure is classified.
//!
//! A call fails in one of a few ways: Graph answered with its error object (decoded into
//! [`GraphError`], HTTP status included), something in between answered with a non-Graph error
//! (a proxy's HTML page, an empty 502), the request never completed (connection, timeout), or a
//! success answer did not have the documented shape. The classification helpers here
//! ([`ClientError::is_transient`], [`ClientError::is_throttling`]) are what the retry policy
//! builds on, and are public so that callers can make the same decisions in their own queues.

use reqwest::header::HeaderMap;
use serde::Deserialize;
use serde_json::Value;
use wamm_wire::{ErrorData, GraphError, GraphErrorBody};

/// Graph codes that mean "slow down": the call was refused before it was acted upon.
///
/// 4 (app), 17 (user), 32 (page) and 613 (custom) are Graph's rate limits; 80000–80014 are the
/// business use case limits (80007 is WhatsApp's per-WABA limit); 130429 is Cloud API
/// throughput and 131056 the per-recipient pair rate limit.
pub fn is_throttling_code(code: i64) -> bool {
    matches!(
        code,
        4 | 17 | 32 | 613 | 80_000..=80_014 | 130_429 | 131_056
    )
}

/// Graph codes that mean "something failed on Meta's side, try again": 1 (unknown error) and
/// 2 (service temporarily unavailable), per Meta's error-handling guide.
pub fn is_transient_code(code: i64) -> bool {
    matches!(code, 1 | 2)
}

/// Whether a Graph error says a retry may succeed.
///
/// An explicit `is_transient` wins; without it, codes 1 and 2 are transient. Throttling is
/// classified separately ([`is_throttling_code`]).
pub fn graph_error_is_transient(error: &GraphError) -> bool {
    error
        .body
        .is_transient
        .unwrap_or_else(|| is_transient_code(error.code()))
}

/// Whether a Graph error is a rate limit (by code, or by HTTP 429).
pub fn graph_error_is_throttling(error: &GraphError) -> bool {
    error.status == 429 || is_throttling_code(error.code())
}

/// What went wrong with a call.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// Graph answered with an error object.
    #[error("Graph error: {0}")]
    Graph(GraphError),
    /// The request did not complete (connection refused or reset, TLS, DNS, body read).
    #[error("HTTP: {0}")]
    Http(#[from] reqwest::Error),
    /// The request was sent but no answer arrived within the request timeout.
    ///
    /// Whether the server acted on it is unknown, which matters for calls that are not
    /// idempotent, such as sends.
    #[error("timed out: {0}")]
    Timeout(reqwest::Error),
    /// An error status whose body is not a Graph error object (a proxy's page, an empty body).
    #[error("HTTP {status} without a Graph error object: {body}")]
    Status {
        /// HTTP status.
        status: u16,
        /// The start of the body, for diagnosis.
        body: String,
    },
    /// The answer was not what the endpoint documents.
    #[error("unexpected response (HTTP {status}): {message}")]
    Decode {
        /// HTTP status.
        status: u16,
        /// What could not be decoded.
        message: String,
    },
    /// The client was configured with something unusable (e.g. a base URL that is not one).
    #[error("invalid client configuration: {0}")]
    Config(String),
}

impl ClientError {
    /// The Graph error, if the call failed with one.
    pub fn graph(&self) -> Option<&GraphError> {
        match self {
            Self::Graph(e) => Some(e),
            _ => None,
        }
    }

    /// The Graph error code, if the call failed with a Graph error.
    pub fn code(&self) -> Option<i64> {
        self.graph().map(GraphError::code)
    }

    /// The Graph error subcode, if the call failed with a Graph error that has one.
    pub fn subcode(&self) -> Option<i64> {
        self.graph().and_then(GraphError::subcode)
    }

    /// `error_data.details`, the text Meta says to build logic on together with the code.
    pub fn details(&self) -> Option<&str> {
        self.graph()
            .and_then(|e| e.body.error_data.as_ref())
            .and_then(|d| d.details.as_deref())
    }

    /// The trace ID to quote to Meta's support, if the answer carried one.
    pub fn fbtrace_id(&self) -> Option<&str> {
        self.graph()
            .map(|e| e.body.fbtrace_id.as_str())
            .filter(|t| !t.is_empty())
    }

    /// The HTTP status of the answer, when there was one.
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Graph(e) => Some(e.status),
            Self::Status { status, .. } | Self::Decode { status, .. } => Some(*status),
            Self::Http(e) | Self::Timeout(e) => e.status().map(|s| s.as_u16()),
            Self::Config(_) => None,
        }
    }

    /// Whether retrying the same call may succeed: a transient Graph error, a server-side
    /// status without a Graph body (5xx), or a transport failure.
    ///
    /// Throttling is reported by [`Self::is_throttling`]; a throttled call may also succeed
    /// later, but only after waiting.
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Graph(e) => graph_error_is_transient(e),
            Self::Timeout(_) => true,
            Self::Http(e) => !(e.is_builder() || e.is_redirect() || e.is_decode()),
            Self::Status { status, .. } => *status >= 500,
            Self::Decode { .. } | Self::Config(_) => false,
        }
    }

    /// Whether the call was refused for going too fast (Graph rate-limit codes or HTTP 429).
    pub fn is_throttling(&self) -> bool {
        match self {
            Self::Graph(e) => graph_error_is_throttling(e),
            Self::Status { status, .. } => *status == 429,
            _ => false,
        }
    }

    /// Whether the request certainly never reached the server (it could not connect), so
    /// that even a non-idempotent call can be sent again.
    pub fn never_sent(&self) -> bool {
        matches!(self, Self::Http(e) if e.is_connect())
    }

    /// Sorts a transport error: timeouts after the request was sent are their own variant.
    pub(crate) fn transport(mut error: reqwest::Error) -> Self {
        // reqwest's message names the URL, whose query may carry secrets (`client_secret` and
        // `code` of an exchange, `input_token`, `appsecret_proof`): keep the path only.
        if let Some(url) = error.url_mut() {
            url.set_query(None);
        }
        // A connect timeout is a connection failure (nothing was sent), not a request timeout.
        if error.is_timeout() && !error.is_connect() {
            Self::Timeout(error)
        } else {
            Self::Http(error)
        }
    }
}

/// The members of a Graph error object, each optional, so that a slightly unusual error (no
/// `type`, a string `code`) still decodes into a [`GraphError`] rather than an opaque failure.
#[derive(Deserialize)]
struct LenientBody {
    #[serde(default)]
    message: Option<String>,
    #[serde(default, rename = "type")]
    kind: Option<String>,
    #[serde(default)]
    code: Option<Value>,
    #[serde(default)]
    error_subcode: Option<Value>,
    #[serde(default)]
    is_transient: Option<bool>,
    #[serde(default)]
    error_user_title: Option<String>,
    #[serde(default)]
    error_user_msg: Option<String>,
    #[serde(default)]
    error_data: Option<Value>,
    #[serde(default)]
    fbtrace_id: Option<String>,
}

#[derive(Deserialize)]
struct LenientEnvelope {
    error: LenientBody,
}

fn integer(value: Option<&Value>) -> Option<i64> {
    match value? {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// `error_data` is an object on Cloud API errors and a JSON-encoded string on some others.
fn error_data(value: Option<Value>) -> Option<ErrorData> {
    match value? {
        Value::Object(map) => serde_json::from_value(Value::Object(map)).ok(),
        Value::String(text) => Some(serde_json::from_str(&text).unwrap_or(ErrorData {
            messaging_product: None,
            details: Some(text),
        })),
        _ => None,
    }
}

/// Longest body excerpt kept in [`ClientError::Status`].
const BODY_EXCERPT: usize = 512;

fn excerpt(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let text = text.trim();
    match text.char_indices().nth(BODY_EXCERPT) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

/// Decodes an error answer: a Graph error when the body is one, [`ClientError::Status`]
/// otherwise. The trace ID falls back to the `x-fb-trace-id` header when the body has none.
pub fn decode_error(status: u16, headers: &HeaderMap, bytes: &[u8]) -> ClientError {
    let Ok(envelope) = serde_json::from_slice::<LenientEnvelope>(bytes) else {
        return ClientError::Status {
            status,
            body: excerpt(bytes),
        };
    };
    let body = envelope.error;
    // Without a code there is nothing to build logic on: not a Graph error object.
    let Some(code) = integer(body.code.as_ref()) else {
        return ClientError::Status {
            status,
            body: excerpt(bytes),
        };
    };
    let fbtrace_id = body.fbtrace_id.filter(|t| !t.is_empty()).or_else(|| {
        headers
            .get("x-fb-trace-id")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    });
    ClientError::Graph(GraphError {
        status,
        body: Box::new(GraphErrorBody {
            message: body.message.unwrap_or_default(),
            kind: body.kind.unwrap_or_default(),
            code,
            error_subcode: integer(body.error_subcode.as_ref()),
            is_transient: body.is_transient,
            error_user_title: body.error_user_title,
            error_user_msg: body.error_user_msg,
            error_data: error_data(body.error_data),
            fbtrace_id: fbtrace_id.unwrap_or_default(),
        }),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use reqwest::header::HeaderValue;

    fn decode(status: u16, body: &str) -> ClientError {
        decode_error(status, &HeaderMap::new(), body.as_bytes())
    }

    #[test]
    fn a_cloud_api_error_decodes_whole() {
        let err = decode(
            400,
            r#"{"error":{"message":"(#131055) Method not allowed","type":"OAuthException","code":131055,"error_subcode":2494055,"error_data":{"messaging_product":"whatsapp","details":"Only marketing template messages are supported"},"is_transient":false,"error_user_title":"T","error_user_msg":"M","fbtrace_id":"AacMONwq"}}"#,
        );
        let g = err.graph().expect("graph error");
        assert_eq!(g.status, 400);
        assert_eq!(g.body.kind, "OAuthException");
        assert_eq!(err.code(), Some(131_055));
        assert_eq!(err.subcode(), Some(2_494_055));
        assert_eq!(
            err.details(),
            Some("Only marketing template messages are supported")
        );
        assert_eq!(g.body.error_user_title.as_deref(), Some("T"));
        assert_eq!(g.body.error_user_msg.as_deref(), Some("M"));
        assert_eq!(err.fbtrace_id(), Some("AacMONwq"));
        assert!(!err.is_transient());
        assert!(!err.is_throttling());
    }

    #[test]
    fn lenient_members_and_header_trace() {
        let mut headers = HeaderMap::new();
        headers.insert("x-fb-trace-id", HeaderValue::from_static("FromHeader"));
        let err = decode_error(
            500,
            &headers,
            br#"{"error":{"code":"2","error_data":"{\"details\":\"inner\"}"}}"#,
        );
        assert_eq!(err.code(), Some(2));
        assert_eq!(err.details(), Some("inner"));
        assert_eq!(err.fbtrace_id(), Some("FromHeader"));
        assert!(err.is_transient());
    }

    #[test]
    fn non_graph_bodies_keep_their_status() {
        for (status, body) in [
            (502, "<html>Bad Gateway</html>"),
            (503, ""),
            (500, r#"{"error":"text only"}"#),
            (400, r#"{"message":"no envelope"}"#),
        ] {
            let err = decode(status, body);
            assert!(
                matches!(&err, ClientError::Status { status: s, .. } if *s == status),
                "{err:?}"
            );
            assert_eq!(err.status(), Some(status));
            assert_eq!(err.is_transient(), status >= 500);
        }
        let long = "x".repeat(5_000);
        let ClientError::Status { body, .. } = decode(502, &long) else {
            panic!("status error expected");
        };
        assert!(body.chars().count() <= BODY_EXCERPT + 1);
    }

    #[test]
    fn throttling_and_transient_classification() {
        for code in [4, 17, 32, 613, 80_007, 130_429, 131_056] {
            assert!(is_throttling_code(code), "{code}");
        }
        for code in [1, 2, 100, 190, 131_048, 131_049, 368] {
            assert!(!is_throttling_code(code), "{code}");
        }
        let explicit = GraphError::new(400, "OAuthException", 1, "m").transient(false);
        assert!(!graph_error_is_transient(&explicit));
        let flagged = GraphError::new(400, "OAuthException", 131_000, "m").transient(true);
        assert!(graph_error_is_transient(&flagged));
        let too_many = GraphError::new(429, "OAuthException", 100, "m");
        assert!(graph_error_is_throttling(&too_many));
    }

    proptest! {
        #[test]
        fn decoding_never_panics(status in 400u16..600, body in ".*") {
            let err = decode(status, &body);
            prop_assert_eq!(err.status(), Some(status));
        }
    }
}
