//! The client itself: configuration, and the pipeline every call goes through.
//!
//! A call is described by a [`GraphCall`] (method, path, parameters, body, and how safe it is
//! to repeat), then sent with the token as `Authorization: Bearer`, `appsecret_proof` when an
//! app secret is set, and the request timeout. Failures are decoded ([`crate::error`]) and
//! retried per the [`RetryPolicy`], waiting as long as Graph's usage headers ask when they do.
//! Because the description is plain data, a retry rebuilds the same request from it.

use std::collections::HashSet;
use std::fmt;
use std::time::Duration;

use reqwest::header::HeaderMap;
use reqwest::{Method, Url};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::error::{ClientError, decode_error};
use crate::retry::{Replay, RetryPolicy, random_unit};
use crate::usage::ThrottleHint;
use crate::{DEFAULT_VERSION, GRAPH_BASE_URL};

/// The request timeout used unless another is chosen.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// The connect timeout used unless another is chosen.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// A client bound to a base URL, a version, and optionally a token and app secret.
///
/// Cloning is cheap (the connection pool is shared), so a partner keeps one client per token:
/// `client.clone().token(business_token)`.
#[derive(Clone)]
pub struct GraphClient {
    http: reqwest::Client,
    base_url: String,
    version: String,
    token: Option<String>,
    app_secret: Option<String>,
    timeout: Option<Duration>,
    retry: RetryPolicy,
}

impl fmt::Debug for GraphClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Secrets are never printed: only whether they are set.
        f.debug_struct("GraphClient")
            .field("base_url", &self.base_url)
            .field("version", &self.version)
            .field("token", &self.token.as_ref().map(|_| "<set>"))
            .field("app_secret", &self.app_secret.as_ref().map(|_| "<set>"))
            .field("timeout", &self.timeout)
            .field("retry", &self.retry)
            .finish_non_exhaustive()
    }
}

impl Default for GraphClient {
    fn default() -> Self {
        Self::new(GRAPH_BASE_URL)
    }
}

/// Builds a [`GraphClient`], checking its configuration.
#[derive(Clone)]
pub struct GraphClientBuilder {
    base_url: String,
    version: String,
    token: Option<String>,
    app_secret: Option<String>,
    timeout: Option<Duration>,
    connect_timeout: Option<Duration>,
    retry: RetryPolicy,
    http: Option<reqwest::Client>,
}

impl fmt::Debug for GraphClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GraphClientBuilder")
            .field("base_url", &self.base_url)
            .field("version", &self.version)
            .field("token", &self.token.as_ref().map(|_| "<set>"))
            .field("app_secret", &self.app_secret.as_ref().map(|_| "<set>"))
            .field("timeout", &self.timeout)
            .field("connect_timeout", &self.connect_timeout)
            .field("retry", &self.retry)
            .field("http", &self.http.as_ref().map(|_| "<caller's>"))
            .finish()
    }
}

impl Default for GraphClientBuilder {
    fn default() -> Self {
        Self {
            base_url: GRAPH_BASE_URL.to_owned(),
            version: DEFAULT_VERSION.to_owned(),
            token: None,
            app_secret: None,
            timeout: Some(DEFAULT_TIMEOUT),
            connect_timeout: Some(DEFAULT_CONNECT_TIMEOUT),
            retry: RetryPolicy::default(),
            http: None,
        }
    }
}

impl GraphClientBuilder {
    /// Real Graph, [`DEFAULT_VERSION`], default timeouts and retries, no token.
    pub fn new() -> Self {
        Self::default()
    }

    /// Talks to `base_url` instead of real Graph (a trailing slash is ignored).
    #[must_use]
    pub fn base_url(mut self, base_url: impl Into<String>) -> Self {
        self.base_url = base_url.into();
        self
    }

    /// Uses another Graph version, e.g. `v24.0`; an empty string sends unversioned paths.
    #[must_use]
    pub fn version(mut self, version: impl Into<String>) -> Self {
        self.version = version.into();
        self
    }

    /// Authenticates calls with `token`.
    #[must_use]
    pub fn token(mut self, token: impl Into<String>) -> Self {
        self.token = Some(token.into());
        self
    }

    /// Adds `appsecret_proof` to every authenticated call.
    #[must_use]
    pub fn app_secret(mut self, secret: impl Into<String>) -> Self {
        self.app_secret = Some(secret.into());
        self
    }

    /// Time allowed for a whole attempt, from sending to the end of the body; `None` for none.
    #[must_use]
    pub fn timeout(mut self, timeout: Option<Duration>) -> Self {
        self.timeout = timeout;
        self
    }

    /// Time allowed to connect; `None` for none. Not applied to a caller-provided
    /// [`reqwest::Client`], whose own setting stands.
    #[must_use]
    pub fn connect_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Sets the retry policy ([`RetryPolicy::none`] turns retries off).
    #[must_use]
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// Sends through the caller's client (its pool, proxy, TLS and middleware settings).
    #[must_use]
    pub fn http_client(mut self, http: reqwest::Client) -> Self {
        self.http = Some(http);
        self
    }

    fn own_http(&self) -> Result<reqwest::Client, reqwest::Error> {
        let mut builder = reqwest::Client::builder();
        if let Some(t) = self.connect_timeout {
            builder = builder.connect_timeout(t);
        }
        builder.build()
    }

    fn assemble(self, http: reqwest::Client) -> GraphClient {
        GraphClient {
            http,
            base_url: self.base_url.trim_end_matches('/').to_owned(),
            version: self.version.trim_matches('/').to_owned(),
            token: self.token,
            app_secret: self.app_secret,
            timeout: self.timeout,
            retry: self.retry,
        }
    }

    /// Checks the base URL and builds the client.
    pub fn build(self) -> Result<GraphClient, ClientError> {
        let url = Url::parse(self.base_url.trim_end_matches('/'))
            .map_err(|e| ClientError::Config(format!("base URL {:?}: {e}", self.base_url)))?;
        if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
            return Err(ClientError::Config(format!(
                "base URL {:?} is not an http(s) URL with a host",
                self.base_url
            )));
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(ClientError::Config(format!(
                "base URL {:?} must not have a query or fragment",
                self.base_url
            )));
        }
        let http = match self.http.clone() {
            Some(http) => http,
            None => self.own_http().map_err(ClientError::Http)?,
        };
        Ok(self.assemble(http))
    }
}

/// Where a call goes: a Graph path under the base URL and version, or a URL Graph gave
/// (`paging.next`).
#[derive(Debug, Clone)]
enum Target {
    Path(String),
    Url(Url),
}

/// The body of a call.
#[derive(Debug, Clone)]
enum Body {
    Empty,
    Json(Value),
    Form(Vec<(String, String)>),
}

/// One Graph call, described as data so that it can be sent again on retry.
///
/// The typed methods of [`GraphClient`] build these; [`GraphClient::call`] sends any other.
#[derive(Debug, Clone)]
pub struct GraphCall {
    method: Method,
    target: Target,
    query: Vec<(String, String)>,
    body: Body,
    replay: Replay,
    authenticated: bool,
}

impl GraphCall {
    fn new(method: Method, path: &str, replay: Replay) -> Self {
        Self {
            method,
            target: Target::Path(path.trim_start_matches('/').to_owned()),
            query: Vec::new(),
            body: Body::Empty,
            replay,
            authenticated: true,
        }
    }

    /// `GET {path}` (relative to the version, e.g. `123/phone_numbers`); repeatable.
    pub fn get(path: &str) -> Self {
        Self::new(Method::GET, path, Replay::Idempotent)
    }

    /// `POST {path}`; treated as not repeatable unless [`Self::replay`] says otherwise.
    pub fn post(path: &str) -> Self {
        Self::new(Method::POST, path, Replay::IfNotAccepted)
    }

    /// `DELETE {path}`; repeatable.
    pub fn delete(path: &str) -> Self {
        Self::new(Method::DELETE, path, Replay::Idempotent)
    }

    fn url(url: Url) -> Self {
        Self {
            method: Method::GET,
            target: Target::Url(url),
            query: Vec::new(),
            body: Body::Empty,
            replay: Replay::Idempotent,
            authenticated: true,
        }
    }

    /// Adds a query parameter.
    #[must_use]
    pub fn query(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.query.push((key.into(), value.into()));
        self
    }

    /// Adds query parameters.
    #[must_use]
    pub fn queries<K, V>(mut self, pairs: impl IntoIterator<Item = (K, V)>) -> Self
    where
        K: Into<String>,
        V: Into<String>,
    {
        self.query
            .extend(pairs.into_iter().map(|(k, v)| (k.into(), v.into())));
        self
    }

    /// Sends `body` as JSON.
    #[must_use]
    pub fn json(mut self, body: Value) -> Self {
        self.body = Body::Json(body);
        self
    }

    /// Sends `pairs` as a form body.
    #[must_use]
    pub fn form<K, V>(mut self, pairs: impl IntoIterator<Item = (K, V)>) -> Self
    where
        K: Into<String>,
        V: Into<String>,
    {
        self.body = Body::Form(
            pairs
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        );
        self
    }

    /// Says how safe the call is to repeat.
    #[must_use]
    pub fn replay(mut self, replay: Replay) -> Self {
        self.replay = replay;
        self
    }

    /// Sends no token (and so no proof): for calls that authenticate otherwise, such as
    /// `oauth/access_token` with client credentials.
    #[must_use]
    pub fn anonymous(mut self) -> Self {
        self.authenticated = false;
        self
    }
}

/// A list answer, read leniently: only `data` and `paging.next` matter to the walk.
#[derive(Deserialize)]
#[serde(bound = "T: DeserializeOwned")]
struct RawPage<T> {
    #[serde(default = "Vec::new")]
    data: Vec<T>,
    #[serde(default)]
    paging: Option<RawPaging>,
}

#[derive(Deserialize)]
struct RawPaging {
    #[serde(default)]
    next: Option<String>,
}

impl GraphClient {
    /// A client for `base_url` (no trailing slash needed) at [`DEFAULT_VERSION`], with the
    /// default timeouts and retry policy. [`GraphClient::builder`] checks the configuration.
    pub fn new(base_url: impl Into<String>) -> Self {
        let builder = GraphClientBuilder::new().base_url(base_url);
        // Building only fails when the TLS backend cannot start; a default client fails the
        // same way on first use, with the error reported there.
        let http = builder.own_http().unwrap_or_default();
        builder.assemble(http)
    }

    /// A builder, starting from real Graph and the defaults.
    pub fn builder() -> GraphClientBuilder {
        GraphClientBuilder::new()
    }

    /// Uses another Graph version, e.g. `v24.0`.
    #[must_use]
    pub fn version(mut self, version: impl Into<String>) -> Self {
        self.version = version.into().trim_matches('/').to_owned();
        self
    }

    /// Authenticates calls with `token` (sent as `Authorization: Bearer`).
    #[must_use]
    pub fn token(mut self, token: impl Into<String>) -> Self {
        self.token = Some(token.into());
        self
    }

    /// Signs calls with `appsecret_proof` computed from this app secret.
    #[must_use]
    pub fn app_secret(mut self, secret: impl Into<String>) -> Self {
        self.app_secret = Some(secret.into());
        self
    }

    /// Uses another retry policy ([`RetryPolicy::none`] turns retries off).
    #[must_use]
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// Uses another request timeout (`None` for none).
    #[must_use]
    pub fn request_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.timeout = timeout;
        self
    }

    /// The base URL, without a trailing slash.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The Graph version calls are sent to.
    pub fn api_version(&self) -> &str {
        &self.version
    }

    /// The retry policy.
    pub fn retry(&self) -> &RetryPolicy {
        &self.retry
    }

    /// Whether calls carry a token.
    pub fn has_token(&self) -> bool {
        self.token.is_some()
    }

    fn path_url(&self, path: &str) -> String {
        if self.version.is_empty() {
            format!("{}/{path}", self.base_url)
        } else {
            format!("{}/{}/{path}", self.base_url, self.version)
        }
    }

    /// One attempt: the status, headers and body of the answer, or the transport failure.
    async fn send_once(&self, call: &GraphCall) -> Result<(u16, HeaderMap, Vec<u8>), ClientError> {
        let mut request = match &call.target {
            Target::Path(path) => self.http.request(call.method.clone(), self.path_url(path)),
            Target::Url(url) => self.http.request(call.method.clone(), url.clone()),
        };
        if !call.query.is_empty() {
            request = request.query(&call.query);
        }
        if call.authenticated
            && let Some(token) = &self.token
        {
            request = request.bearer_auth(token);
            if let Some(secret) = &self.app_secret {
                request = request.query(&[(
                    "appsecret_proof",
                    wamm_wire::proof::appsecret_proof(secret, token),
                )]);
            }
        }
        request = match &call.body {
            Body::Empty => request,
            Body::Json(body) => request.json(body),
            Body::Form(pairs) => request.form(pairs),
        };
        if let Some(timeout) = self.timeout {
            request = request.timeout(timeout);
        }
        let response = request.send().await.map_err(ClientError::transport)?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = response.bytes().await.map_err(ClientError::transport)?;
        Ok((status, headers, body.to_vec()))
    }

    /// Sends `call`, retrying per the policy, and decodes the answer.
    pub async fn call<T: DeserializeOwned>(&self, call: &GraphCall) -> Result<T, ClientError> {
        let mut attempts = 0u32;
        loop {
            attempts = attempts.saturating_add(1);
            let (error, hint) = match self.send_once(call).await {
                Ok((status, _, body)) if (200..300).contains(&status) => {
                    // A success that does not decode is not retried: the call was acted upon.
                    return serde_json::from_slice(&body).map_err(|e| ClientError::Decode {
                        status,
                        message: e.to_string(),
                    });
                }
                Ok((status, headers, body)) => (
                    decode_error(status, &headers, &body),
                    ThrottleHint::from_headers(&headers),
                ),
                Err(error) => (error, ThrottleHint::default()),
            };
            let Some(delay) =
                self.retry
                    .next_delay(attempts, &error, call.replay, &hint, random_unit())
            else {
                return Err(error);
            };
            tracing::debug!(
                attempt = attempts,
                delay_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
                error = %error,
                "Graph call failed; retrying"
            );
            tokio::time::sleep(delay).await;
        }
    }

    /// Resolves a `paging.next` URL, refusing one that leaves the base URL's origin (the token
    /// would go with it) and dropping the token and proof Graph embeds, since this client
    /// sends its own.
    fn next_url(&self, next: &str) -> Result<Url, ClientError> {
        let mut url = Url::parse(next).map_err(|e| ClientError::Decode {
            status: 200,
            message: format!("paging.next is not a URL ({e})"),
        })?;
        let base = Url::parse(&self.base_url)
            .map_err(|e| ClientError::Config(format!("base URL {:?}: {e}", self.base_url)))?;
        let same_origin = url.scheme() == base.scheme()
            && url.host_str() == base.host_str()
            && url.port_or_known_default() == base.port_or_known_default();
        if !same_origin {
            return Err(ClientError::Decode {
                status: 200,
                message: format!("paging.next leaves {}: {next}", self.base_url),
            });
        }
        if self.token.is_some() {
            let kept: Vec<(String, String)> = url
                .query_pairs()
                .filter(|(k, _)| k != "access_token" && k != "appsecret_proof")
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect();
            url.set_query(None);
            if !kept.is_empty() {
                url.query_pairs_mut().extend_pairs(kept);
            }
        }
        Ok(url)
    }

    /// Sends a list call and follows `paging.next` to the end, collecting every item.
    pub async fn collect<T: DeserializeOwned>(
        &self,
        first: &GraphCall,
    ) -> Result<Vec<T>, ClientError> {
        let mut page: RawPage<T> = self.call(first).await?;
        let mut items = Vec::new();
        let mut seen = HashSet::new();
        loop {
            items.append(&mut page.data);
            let Some(next) = page.paging.and_then(|p| p.next) else {
                break;
            };
            // A server that hands out the same page twice would otherwise loop forever.
            if !seen.insert(next.clone()) {
                return Err(ClientError::Decode {
                    status: 200,
                    message: format!("paging.next repeats a page already read: {next}"),
                });
            }
            page = self.call(&GraphCall::url(self.next_url(&next)?)).await?;
        }
        Ok(items)
    }

    /// `GET {path}` with query parameters.
    pub async fn get<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, &str)],
    ) -> Result<T, ClientError> {
        self.call(&GraphCall::get(path).queries(query.iter().copied()))
            .await
    }

    /// `POST {path}` with a JSON body. Retried only when Graph refused it for throttling or
    /// the connection failed; use [`GraphClient::call`] with [`Replay::Idempotent`] for a
    /// call that is safe to repeat.
    pub async fn post<T: DeserializeOwned>(
        &self,
        path: &str,
        body: &Value,
    ) -> Result<T, ClientError> {
        self.call(&GraphCall::post(path).json(body.clone())).await
    }

    /// `DELETE {path}` with query parameters.
    pub async fn delete<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, &str)],
    ) -> Result<T, ClientError> {
        self.call(&GraphCall::delete(path).queries(query.iter().copied()))
            .await
    }

    /// Follows `paging.next` from a first page until the end, collecting every item.
    pub async fn all<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, &str)],
    ) -> Result<Vec<T>, ClientError> {
        self.collect(&GraphCall::get(path).queries(query.iter().copied()))
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_builder_checks_the_base_url() {
        for bad in [
            "graph.facebook.com",
            "ftp://graph.facebook.com",
            "https://x/?a=1",
            "",
        ] {
            assert!(
                matches!(
                    GraphClient::builder().base_url(bad).build(),
                    Err(ClientError::Config(_))
                ),
                "{bad:?} must be refused"
            );
        }
        let client = GraphClient::builder()
            .base_url("http://127.0.0.1:9/")
            .version("/v24.0/")
            .token("t")
            .retry(RetryPolicy::none())
            .build()
            .expect("builds");
        assert_eq!(client.base_url(), "http://127.0.0.1:9");
        assert_eq!(client.api_version(), "v24.0");
        assert_eq!(client.path_url("me"), "http://127.0.0.1:9/v24.0/me");
        assert!(!client.retry().is_enabled());
        let unversioned = client.version("");
        assert_eq!(unversioned.path_url("me"), "http://127.0.0.1:9/me");
    }

    #[test]
    fn debug_output_hides_secrets() {
        let client = GraphClient::new("http://127.0.0.1:9")
            .token("EAAsecret")
            .app_secret("appsecret");
        let shown = format!("{client:?}");
        assert!(
            !shown.contains("EAAsecret") && !shown.contains("appsecret\""),
            "{shown}"
        );
        let builder = format!("{:?}", GraphClient::builder().token("EAAsecret"));
        assert!(!builder.contains("EAAsecret"));
    }

    #[test]
    fn next_urls_stay_on_the_origin_and_lose_embedded_credentials() {
        let client = GraphClient::new("http://127.0.0.1:9").token("t");
        let url = client
            .next_url("http://127.0.0.1:9/v23.0/1/phone_numbers?access_token=old&limit=2&after=QQ&appsecret_proof=p")
            .expect("same origin");
        assert_eq!(url.query(), Some("limit=2&after=QQ"));
        for foreign in [
            "https://127.0.0.1:9/v23.0/x",
            "http://evil.example:9/v23.0/x",
            "http://127.0.0.1:10/v23.0/x",
            "not a url",
        ] {
            assert!(client.next_url(foreign).is_err(), "{foreign}");
        }
        let anonymous = GraphClient::new("http://127.0.0.1:9");
        let kept = anonymous
            .next_url("http://127.0.0.1:9/v23.0/x?access_token=old")
            .expect("same origin");
        assert_eq!(kept.query(), Some("access_token=old"));
    }
}
