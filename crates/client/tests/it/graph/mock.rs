//! An in-process mock of Graph: scripted answers per method and path, every request recorded,
//! and `appsecret_proof` checked the way Graph checks it when the app requires it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use wamm_client::{GraphClient, RetryPolicy};

#[derive(Debug, Clone)]
enum Body {
    Json(Value),
    Html(String),
}

/// One scripted answer.
#[derive(Debug, Clone)]
pub struct Reply {
    status: u16,
    body: Body,
    headers: Vec<(&'static str, String)>,
    delay: Duration,
}

impl Reply {
    /// A JSON answer.
    pub fn json(status: u16, body: Value) -> Self {
        Self {
            status,
            body: Body::Json(body),
            headers: Vec::new(),
            delay: Duration::ZERO,
        }
    }

    /// A 200 JSON answer.
    pub fn ok(body: Value) -> Self {
        Self::json(200, body)
    }

    /// A Graph error with `code` and the given extra members.
    pub fn error(status: u16, code: i64, extra: Value) -> Self {
        let mut error = json!({
            "message": format!("(#{code}) scripted"),
            "type": "OAuthException",
            "code": code,
            "fbtrace_id": "AMockTrace"
        });
        if let (Some(obj), Value::Object(more)) = (error.as_object_mut(), extra) {
            obj.extend(more);
        }
        Self::json(status, json!({ "error": error }))
    }

    /// A non-JSON answer.
    pub fn text(status: u16, body: &str) -> Self {
        Self {
            status,
            body: Body::Html(body.to_owned()),
            headers: Vec::new(),
            delay: Duration::ZERO,
        }
    }

    /// Adds a response header.
    pub fn header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }

    /// Answers only after `delay`.
    pub fn after(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }
}

/// A request as the mock saw it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    pub path: String,
    pub query: Vec<(String, String)>,
    pub authorization: Option<String>,
    pub user_agent: Option<String>,
    pub content_type: Option<String>,
    pub body: String,
    pub at: Instant,
    /// `None` without a secret or a token; otherwise whether the proof matched.
    pub proof_ok: Option<bool>,
}

impl Seen {
    pub fn param(&self, key: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or(Value::Null)
    }
}

#[derive(Default)]
struct Shared {
    secret: Option<String>,
    /// Answers by `"METHOD /path"`, used in order; the last one repeats.
    script: Mutex<HashMap<String, (Vec<Reply>, usize)>>,
    seen: Mutex<Vec<Seen>>,
}

/// A running mock.
pub struct Mock {
    pub base: String,
    shared: Arc<Shared>,
}

fn bearer(headers: &HeaderMap) -> Option<String> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

async fn handle(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let url = reqwest::Url::parse(&format!("http://mock{uri}")).expect("request URI");
    let query: Vec<(String, String)> = url
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let authorization = bearer(&headers);
    let proof_ok = match (&shared.secret, &authorization) {
        (Some(secret), Some(auth)) => {
            let token = auth.strip_prefix("Bearer ").unwrap_or_default();
            let presented = query
                .iter()
                .find(|(k, _)| k == "appsecret_proof")
                .map(|(_, v)| v.clone());
            Some(presented.is_some_and(|p| p == wamm_wire::proof::appsecret_proof(secret, token)))
        }
        _ => None,
    };
    let text = |name: HeaderName| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let seen = Seen {
        method: method.to_string(),
        path: uri.path().to_owned(),
        query,
        authorization,
        user_agent: text(header::USER_AGENT),
        content_type: text(header::CONTENT_TYPE),
        body: String::from_utf8_lossy(&body).into_owned(),
        at: Instant::now(),
        proof_ok,
    };
    shared.seen.lock().expect("lock").push(seen);
    let reply = if proof_ok == Some(false) {
        Reply::error(
            400,
            100,
            json!({"message": "Invalid appsecret_proof provided in the API argument", "type": "GraphMethodException"}),
        )
    } else {
        let key = format!("{method} {}", uri.path());
        let mut script = shared.script.lock().expect("lock");
        match script.get_mut(&key) {
            Some((replies, next)) if !replies.is_empty() => {
                let i = (*next).min(replies.len() - 1);
                *next += 1;
                replies[i].clone()
            }
            _ => Reply::error(
                400,
                100,
                json!({"error_subcode": 33, "message": format!("Unsupported request: {key}")}),
            ),
        }
    };
    if !reply.delay.is_zero() {
        tokio::time::sleep(reply.delay).await;
    }
    let (content_type, text) = match reply.body {
        Body::Json(value) => ("application/json", value.to_string()),
        Body::Html(text) => ("text/html", text),
    };
    let mut out = HeaderMap::new();
    out.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    for (name, value) in &reply.headers {
        out.insert(
            HeaderName::from_static(name),
            HeaderValue::from_str(value).expect("header value"),
        );
    }
    let status = StatusCode::from_u16(reply.status).expect("status");
    (status, out, text).into_response()
}

impl Mock {
    /// Starts a mock on a free port; with `secret`, token-carrying calls must prove it.
    pub async fn start(secret: Option<&str>) -> Self {
        let shared = Arc::new(Shared {
            secret: secret.map(str::to_owned),
            ..Shared::default()
        });
        let app = Router::new()
            .fallback(handle)
            .with_state(Arc::clone(&shared));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("address");
        tokio::spawn(async move {
            axum::serve(listener, app).await.expect("mock serves");
        });
        Self {
            base: format!("http://{addr}"),
            shared,
        }
    }

    /// Scripts the answers to `method path` (the full path, version included).
    pub fn on(&self, method: &str, path: &str, replies: Vec<Reply>) {
        self.shared
            .script
            .lock()
            .expect("lock")
            .insert(format!("{method} {path}"), (replies, 0));
    }

    /// Every request so far.
    pub fn seen(&self) -> Vec<Seen> {
        self.shared.seen.lock().expect("lock").clone()
    }

    /// The requests to `method path`.
    pub fn seen_at(&self, method: &str, path: &str) -> Vec<Seen> {
        self.seen()
            .into_iter()
            .filter(|s| s.method == method && s.path == path)
            .collect()
    }

    /// A client with a token and a retry policy that waits next to nothing.
    pub fn client(&self) -> GraphClient {
        GraphClient::new(&self.base)
            .token("EAAtoken")
            .retry_policy(fast_retries())
    }
}

/// Retries with 1 ms back-off and no jitter, so attempt counts are exact and tests quick.
pub fn fast_retries() -> RetryPolicy {
    RetryPolicy::default()
        .with_max_attempts(4)
        .with_base_delay(Duration::from_millis(1))
        .with_max_delay(Duration::from_millis(5))
        .with_jitter(0.0)
}
