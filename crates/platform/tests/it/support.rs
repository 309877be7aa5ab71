//! The test harness: a platform on a real socket, on SQLite or PostgreSQL, loaded with the
//! suite's world, and a small HTTP helper that keeps status, headers and JSON together. Every
//! request goes through [`exchange`], which checks each Graph answer against Meta's spec.

use reqwest::header::HeaderMap;
use serde_json::Value;
use wamm_platform::{Handle, PlatformConfig, Running};

use crate::conformance;

/// The suite's world, with fixed IDs and known tokens.
pub const WORLD: &str = include_str!("world.yaml");

/// Token with every scope, on the advanced-access app.
pub const FULL: &str = "TOK-PARTNER-FULL-000000";
/// Token with only `whatsapp_business_messaging`.
pub const NARROW: &str = "TOK-PARTNER-NARROW-0000";
/// Token assigned only WABA 3001.
pub const ASSIGNED: &str = "TOK-PARTNER-ASSIGNED-00";
/// Revoked token.
pub const REVOKED: &str = "TOK-PARTNER-REVOKED-000";
/// Expired token.
pub const EXPIRED: &str = "TOK-PARTNER-EXPIRED-000";
/// Token expiring in 2099.
pub const LATER: &str = "TOK-PARTNER-LATER-00000";
/// Token of the standard-access app that requires `appsecret_proof`.
pub const STARTER: &str = "TOK-STARTER-FULL-000000";
/// Secret of the standard-access app.
pub const STARTER_SECRET: &str = "starter-secret-0000000000000000";
/// Secret of the advanced-access app.
pub const CONNECT_SECRET: &str = "connect-secret-0000000000000000";

/// Which database the platform runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// In-memory SQLite.
    Sqlite,
    /// A fresh PostgreSQL database.
    Postgres,
}

/// A running platform for one test.
pub struct TestPlatform {
    /// The server.
    pub running: Running,
    /// Its base URL.
    pub base: String,
    http: reqwest::Client,
    pg: Option<wamm_testkit::TestDatabase>,
}

/// An HTTP answer.
#[derive(Debug, Clone)]
pub struct Resp {
    /// Status code.
    pub status: u16,
    /// Headers.
    pub headers: HeaderMap,
    /// Body as JSON (`Null` when it is not JSON).
    pub json: Value,
    /// Body as text.
    pub text: String,
}

/// Sends `request` and reads the whole answer. When the request is a Graph call, the answer
/// is checked against Meta's OpenAPI spec (status, headers, body); a departure panics here,
/// naming the operation and the JSON path. What the path's ID names is read through `handle`
/// before the call, so that a call deleting the object is still matched.
pub async fn exchange(handle: &Handle, request: reqwest::RequestBuilder) -> Resp {
    let (http, request) = request.build_split();
    let request = request.expect("request builds");
    let method = request.method().as_str().to_owned();
    let url = request.url();
    let path = match url.query() {
        Some(q) => format!("{}?{q}", url.path()),
        None => url.path().to_owned(),
    };
    let target = if conformance::is_graph(&path) {
        Some(conformance::target(handle, &path).await)
    } else {
        None
    };
    let resp = Resp::from(http.execute(request).await.expect("request completes")).await;
    if let Some(target) = target {
        conformance::check(&method, &path, target, &resp);
    }
    resp
}

impl Resp {
    /// Reads a whole answer, unchecked: for answers that are not the platform's (a webhook
    /// receiver's) or that [`exchange`] already checks.
    pub async fn from(res: reqwest::Response) -> Self {
        let status = res.status().as_u16();
        let headers = res.headers().clone();
        let text = res.text().await.expect("body");
        let json = serde_json::from_str(&text).unwrap_or(Value::Null);
        Self {
            status,
            headers,
            json,
            text,
        }
    }

    /// Asserts a Graph error with this HTTP status, code and subcode; returns the error object.
    #[track_caller]
    pub fn graph_error(&self, status: u16, code: i64, subcode: Option<i64>) -> &Value {
        let err = &self.json["error"];
        assert_eq!(self.status, status, "status of {}", self.text);
        assert_eq!(err["code"].as_i64(), Some(code), "code of {}", self.text);
        assert_eq!(
            err["error_subcode"].as_i64(),
            subcode,
            "subcode of {}",
            self.text
        );
        assert!(
            err["type"].is_string() && err["message"].is_string(),
            "type and message in {}",
            self.text
        );
        let trace = err["fbtrace_id"].as_str().unwrap_or_default();
        assert!(!trace.is_empty(), "fbtrace_id in {}", self.text);
        assert_eq!(
            self.header("x-fb-trace-id").as_deref(),
            Some(trace),
            "trace header matches body"
        );
        err
    }

    /// Asserts HTTP 200 and returns the body.
    #[track_caller]
    pub fn ok(&self) -> &Value {
        assert_eq!(self.status, 200, "expected 200, got {}", self.text);
        &self.json
    }

    /// A header as text.
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    }

    /// The error message.
    pub fn message(&self) -> String {
        self.json["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }
}

impl TestPlatform {
    /// Starts a platform on `backend` with the suite's world loaded.
    pub async fn start(backend: Backend) -> Self {
        Self::start_with(backend, PlatformConfig::default(), Some(WORLD)).await
    }

    /// Starts a platform on `backend` with a config and an optional world.
    pub async fn start_with(
        backend: Backend,
        mut config: PlatformConfig,
        world: Option<&str>,
    ) -> Self {
        // Receivers in tests listen on loopback.
        config.webhooks.destinations = wamm_platform::Destinations::default().with_loopback();
        let pg = match backend {
            Backend::Sqlite => {
                config.database_url = "sqlite::memory:".to_owned();
                None
            }
            Backend::Postgres => {
                let db = wamm_testkit::TestDatabase::create("wamm_it").await;
                config.database_url = db.url.clone();
                Some(db)
            }
        };
        let running = wamm_platform::start(config).await.expect("platform starts");
        if let Some(world) = world {
            running
                .handle()
                .load_world(world)
                .await
                .expect("suite world loads");
        }
        let base = running.base_url();
        Self {
            running,
            base,
            http: reqwest::Client::new(),
            pg,
        }
    }

    /// Stops the platform and drops its PostgreSQL database.
    pub async fn finish(self) {
        self.running.stop().await;
        if let Some(pg) = self.pg {
            pg.drop_now().await;
        }
    }

    /// Sends a request. `path` starts with `/`; `token` goes in the Authorization header.
    pub async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        json: Option<&Value>,
    ) -> Resp {
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(body) = json {
            req = req.json(body);
        }
        self.send(req).await
    }

    /// `GET path` with a bearer token and another `Host` header.
    pub async fn call_with_host(&self, path: &str, token: &str, host: &str) -> Resp {
        let req = self
            .http
            .get(format!("{}{path}", self.base))
            .bearer_auth(token)
            .header("host", host);
        self.send(req).await
    }

    /// Sends a request `build` shapes (extra headers and the like). `path` starts with `/`.
    pub async fn http_with(
        &self,
        method: reqwest::Method,
        path: &str,
        build: impl FnOnce(reqwest::RequestBuilder) -> reqwest::RequestBuilder,
    ) -> Resp {
        let req = build(self.http.request(method, format!("{}{path}", self.base)));
        self.send(req).await
    }

    /// Sends a request built on any client through [`exchange`].
    pub async fn send(&self, request: reqwest::RequestBuilder) -> Resp {
        exchange(self.running.handle(), request).await
    }

    /// Moves the platform clock through the control API (`advance_seconds`, `set`, `freeze`).
    pub async fn clock(&self, change: Value) -> Value {
        self.call(reqwest::Method::POST, "/_wamm/clock", None, Some(&change))
            .await
            .ok()
            .clone()
    }

    /// `GET path` with a bearer token.
    pub async fn get(&self, path: &str, token: &str) -> Resp {
        self.call(reqwest::Method::GET, path, Some(token), None)
            .await
    }

    /// `POST path` with a bearer token and JSON body.
    pub async fn post(&self, path: &str, token: &str, body: &Value) -> Resp {
        self.call(reqwest::Method::POST, path, Some(token), Some(body))
            .await
    }

    /// `DELETE path` with a bearer token.
    pub async fn delete(&self, path: &str, token: &str) -> Resp {
        self.call(reqwest::Method::DELETE, path, Some(token), None)
            .await
    }

    /// What a browser holds after opening a page: the `Cookie` header value and the form
    /// field (`csrf=…`) the page's forms carry.
    pub async fn csrf(&self) -> (String, String) {
        let page = self
            .http
            .get(format!("{}/", self.base))
            .send()
            .await
            .expect("console page");
        let set = page
            .headers()
            .get("set-cookie")
            .and_then(|v| v.to_str().ok())
            .expect("the page sets the CSRF cookie");
        let pair = set.split(';').next().unwrap_or_default().to_owned();
        let token = pair
            .split_once('=')
            .map(|(_, v)| v.to_owned())
            .unwrap_or_default();
        (pair, format!("csrf={token}"))
    }

    /// Sends raw bytes with a content type.
    pub async fn raw(
        &self,
        method: reqwest::Method,
        path: &str,
        token: &str,
        content_type: &str,
        body: Vec<u8>,
    ) -> Resp {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(token)
            .header("content-type", content_type);
        let mut body = body;
        // The pages' forms carry the CSRF token of the browser's cookie, as a browser would.
        if path.starts_with("/_wamm/") && content_type == "application/x-www-form-urlencoded" {
            let (cookie, field) = self.csrf().await;
            request = request.header("cookie", cookie);
            if !body.is_empty() {
                body.push(b'&');
            }
            body.extend_from_slice(field.as_bytes());
        }
        self.send(request.body(body)).await
    }
}

/// Runs each listed `async fn(Backend)` once on SQLite and once on PostgreSQL.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(#[tokio::test] async fn $name() { super::$name($crate::support::Backend::Sqlite).await })*
        }
        mod postgres {
            $(#[tokio::test] async fn $name() { super::$name($crate::support::Backend::Postgres).await })*
        }
    };
}

/// How a [`Receiver`] answers.
#[derive(Debug, Clone)]
pub struct ReceiverBehaviour {
    /// The verify token it accepts in the handshake.
    pub verify_token: String,
    /// Handshake answer: `None` echoes the challenge; `Some((status, body))` answers that instead.
    pub handshake: Option<(u16, String)>,
    /// Fail this many POSTs with HTTP 500 before accepting.
    pub fail_first: usize,
    /// Never answer POSTs (hang until the client gives up).
    pub hang: bool,
}

impl Default for ReceiverBehaviour {
    fn default() -> Self {
        Self {
            verify_token: "verify-me".to_owned(),
            handshake: None,
            fail_first: 0,
            hang: false,
        }
    }
}

/// One POST a receiver got.
#[derive(Debug, Clone)]
pub struct Delivery {
    /// The raw body, exactly as sent.
    pub body: Vec<u8>,
    /// The `X-Hub-Signature-256` header.
    pub signature: Option<String>,
    /// The content type.
    pub content_type: Option<String>,
    /// Its JSON.
    pub json: Value,
}

#[derive(Default)]
struct ReceiverState {
    behaviour: ReceiverBehaviour,
    posts: Vec<Delivery>,
    handshakes: usize,
    refused: usize,
}

/// A webhook receiver on a real socket, recording what it gets.
#[derive(Clone)]
pub struct Receiver {
    /// Its callback URL.
    pub url: String,
    state: std::sync::Arc<std::sync::Mutex<ReceiverState>>,
}

impl Receiver {
    /// Starts a receiver.
    pub async fn start(behaviour: ReceiverBehaviour) -> Self {
        use axum::extract::{Query, State};
        use axum::routing::get;
        type Shared = std::sync::Arc<std::sync::Mutex<ReceiverState>>;
        async fn handshake(
            State(s): State<Shared>,
            Query(q): Query<std::collections::HashMap<String, String>>,
        ) -> (axum::http::StatusCode, String) {
            let mut s = s.lock().expect("receiver lock");
            s.handshakes += 1;
            if let Some((status, body)) = s.behaviour.handshake.clone() {
                return (
                    axum::http::StatusCode::from_u16(status).unwrap_or(axum::http::StatusCode::OK),
                    body,
                );
            }
            let ok = q.get("hub.mode").map(String::as_str) == Some("subscribe")
                && q.get("hub.verify_token") == Some(&s.behaviour.verify_token);
            if ok {
                (
                    axum::http::StatusCode::OK,
                    q.get("hub.challenge").cloned().unwrap_or_default(),
                )
            } else {
                (
                    axum::http::StatusCode::FORBIDDEN,
                    "wrong verify token".to_owned(),
                )
            }
        }
        async fn post(
            State(s): State<Shared>,
            headers: HeaderMap,
            body: axum::body::Bytes,
        ) -> axum::http::StatusCode {
            let hang = s.lock().expect("receiver lock").behaviour.hang;
            if hang {
                std::future::pending::<()>().await;
            }
            let mut s = s.lock().expect("receiver lock");
            if s.refused < s.behaviour.fail_first {
                s.refused += 1;
                return axum::http::StatusCode::INTERNAL_SERVER_ERROR;
            }
            let header = |n: &str| {
                headers
                    .get(n)
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_owned)
            };
            s.posts.push(Delivery {
                json: serde_json::from_slice(&body).unwrap_or(Value::Null),
                body: body.to_vec(),
                signature: header("x-hub-signature-256"),
                content_type: header("content-type"),
            });
            axum::http::StatusCode::OK
        }
        let state: Shared = std::sync::Arc::new(std::sync::Mutex::new(ReceiverState {
            behaviour,
            ..ReceiverState::default()
        }));
        let app = axum::Router::new()
            .route("/hook", get(handshake).post(post))
            .with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("receiver binds");
        let addr = listener.local_addr().expect("receiver address");
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self {
            url: format!("http://{addr}/hook"),
            state,
        }
    }

    /// Every accepted POST so far.
    pub fn posts(&self) -> Vec<Delivery> {
        self.state.lock().expect("receiver lock").posts.clone()
    }

    /// How many handshakes it answered.
    pub fn handshakes(&self) -> usize {
        self.state.lock().expect("receiver lock").handshakes
    }

    /// How many POSTs it refused.
    pub fn refused(&self) -> usize {
        self.state.lock().expect("receiver lock").refused
    }

    /// Every entry of every accepted POST, in arrival order.
    pub fn entries(&self) -> Vec<Value> {
        self.posts()
            .iter()
            .flat_map(|p| p.json["entry"].as_array().cloned().unwrap_or_default())
            .collect()
    }

    /// Waits (bounded) until at least `n` entries arrived; returns them.
    pub async fn wait_for_entries(&self, n: usize) -> Vec<Value> {
        for _ in 0..200 {
            let entries = self.entries();
            if entries.len() >= n {
                return entries;
            }
            tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        }
        panic!("expected {n} webhook entries, got {}", self.entries().len());
    }
}

/// Runs futures concurrently on this task, keeping their order.
pub async fn futures_join_all<F: Future>(futures: impl Iterator<Item = F>) -> Vec<F::Output> {
    let mut set = Vec::new();
    for f in futures {
        set.push(Box::pin(f));
    }
    let mut out: Vec<Option<F::Output>> = set.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (i, f) in set.iter_mut().enumerate() {
            if out[i].is_none() {
                match f.as_mut().poll(cx) {
                    std::task::Poll::Ready(v) => out[i] = Some(v),
                    std::task::Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            std::task::Poll::Pending
        } else {
            std::task::Poll::Ready(())
        }
    })
    .await;
    out.into_iter().flatten().collect()
}
