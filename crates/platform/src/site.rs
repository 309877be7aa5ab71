//! The guard in front of the control API and the pages: who may call them, from where.
//!
//! The control API has no authentication (it is a test harness's remote control) and the
//! pages act as whoever the page says (a client's admin accepting a request). So three rules
//! keep other sites out:
//! - **Host**: only loopback names, the listen address and the configured public names are
//!   served, so a DNS-rebinding page cannot read `GET /_wamm/world` (app secrets) through a
//!   name it controls.
//! - **Origin and Fetch Metadata**: a state change (any method but `GET`, `HEAD`, `OPTIONS`)
//!   whose `Origin` is not the platform's own, or whose `Sec-Fetch-Site` is not `same-origin`
//!   (or `none`, typed by a person), is refused.
//! - **Content type**: the control API takes JSON or world files (YAML, JSON), never the
//!   content types a cross-site form or `text/plain` fetch can send without a preflight; the
//!   pages' forms instead carry a CSRF token that must match the `SameSite=Strict` cookie
//!   set with the page (double submit).
//!
//! Errors under `/_wamm/` that a framework layer answered without a body (an unknown route,
//! a wrong method, a malformed path) get the control API's JSON error shape here.

use std::net::{IpAddr, SocketAddr};

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::json;
use subtle::ConstantTimeEq;

use crate::state::AppState;

/// The cookie holding a browser's CSRF token.
pub const CSRF_COOKIE: &str = "wamm_csrf";
/// The form field carrying it back.
pub const CSRF_FIELD: &str = "csrf";

/// The CSRF token of one request: the browser's, or one minted the first time a page asks
/// for it. JSON calls never ask, so they mint nothing and set no cookie.
#[derive(Debug, Clone)]
struct Csrf {
    /// The valid token the browser's cookie holds, if any.
    browser: Option<String>,
    /// A token minted for this request when the browser has none.
    minted: std::sync::Arc<std::sync::OnceLock<String>>,
}

impl Csrf {
    fn token(&self) -> String {
        self.browser
            .clone()
            .unwrap_or_else(|| self.minted.get_or_init(new_token).clone())
    }
}

tokio::task_local! {
    static CSRF: Csrf;
}

/// The CSRF token of the page being rendered, for the hidden field of its forms (empty
/// outside a guarded request).
pub fn csrf_token() -> String {
    CSRF.try_with(Csrf::token).unwrap_or_default()
}

/// The hostname of a `Host` header value, without port or IPv6 brackets, lowercased.
fn hostname(host: &str) -> String {
    let host = host.trim();
    let name = if let Some(rest) = host.strip_prefix('[') {
        rest.split(']').next().unwrap_or_default()
    } else {
        host.rsplit_once(':')
            .filter(|(_, port)| port.bytes().all(|b| b.is_ascii_digit()))
            .map_or(host, |(name, _)| name)
    };
    name.trim_end_matches('.').to_ascii_lowercase()
}

/// Whether `host` (a `Host` header value) names this platform: a loopback name or address,
/// the address it listens on, or one of the configured public names.
pub fn host_allowed(host: &str, listen: SocketAddr, public_hosts: &[String]) -> bool {
    let name = hostname(host);
    if name == "localhost" || name.ends_with(".localhost") {
        return true;
    }
    if let Ok(ip) = name.parse::<IpAddr>()
        && (ip.is_loopback() || (!listen.ip().is_unspecified() && ip == listen.ip()))
    {
        return true;
    }
    public_hosts.iter().any(|allowed| hostname(allowed) == name)
}

fn refuse(status: StatusCode, message: &str) -> Response {
    (
        status,
        axum::Json(json!({ "error": { "message": message } })),
    )
        .into_response()
}

fn is_state_change(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// Whether the request comes from the platform's own pages, or from no page at all (curl,
/// SDKs, a person typing the address). Browsers send `Origin` with every state change and
/// Chromium, Firefox and Safari send `Sec-Fetch-Site`.
fn same_origin(headers: &HeaderMap, host: &str) -> bool {
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok())
        && !matches!(site, "same-origin" | "none")
    {
        return false;
    }
    match headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) {
        None => true,
        Some(origin) => {
            let authority = origin
                .strip_prefix("http://")
                .or_else(|| origin.strip_prefix("https://"));
            authority.is_some_and(|a| a.eq_ignore_ascii_case(host))
        }
    }
}

fn media_type(headers: &HeaderMap) -> Option<String> {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(';')
                .next()
                .unwrap_or_default()
                .trim()
                .to_ascii_lowercase()
        })
}

fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
        .filter(|v| signed(v))
}

/// The process's key for CSRF tokens: a token is a random nonce and its MAC, so a cookie that
/// another site on the same host name planted (cookies ignore ports) is not a valid token.
fn csrf_key() -> &'static [u8; 32] {
    static KEY: std::sync::OnceLock<[u8; 32]> = std::sync::OnceLock::new();
    KEY.get_or_init(|| {
        let mut key = [0u8; 32];
        getrandom::fill(&mut key).expect("invariant: the OS provides randomness");
        key
    })
}

fn mac(nonce: &str) -> String {
    use hmac::{Hmac, Mac};
    let mut mac =
        Hmac::<sha2::Sha256>::new_from_slice(csrf_key()).expect("invariant: any key length");
    mac.update(nonce.as_bytes());
    hex::encode(&mac.finalize().into_bytes()[..16])
}

fn new_token() -> String {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).expect("invariant: the OS provides randomness");
    let nonce = hex::encode(bytes);
    let tag = mac(&nonce);
    format!("{nonce}{tag}")
}

/// Whether `token` is a nonce with this process's MAC.
fn signed(token: &str) -> bool {
    token.len() == 64
        && token.is_char_boundary(32)
        && bool::from(mac(&token[..32]).as_bytes().ct_eq(&token.as_bytes()[32..]))
}

/// Content types a control call may carry: JSON, or a world file's YAML.
fn control_media_type(media: &str) -> bool {
    matches!(
        media,
        "application/json" | "application/yaml" | "application/x-yaml" | "text/yaml"
    )
}

/// The guard, as axum middleware over the control API and the pages.
pub async fn guard(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let headers = req.headers();
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .or_else(|| req.uri().authority().map(|a| a.as_str()))
        .unwrap_or_default()
        .to_owned();
    if !host_allowed(&host, state.config.listen, &state.config.public_hosts) {
        return refuse(
            StatusCode::MISDIRECTED_REQUEST,
            "unknown Host: the control API and pages answer loopback names and the names given with --public-host",
        );
    }
    if *req.method() == Method::OPTIONS {
        // No cross-origin use of the control API or the pages is allowed, so a preflight
        // grants nothing.
        return refuse(
            StatusCode::FORBIDDEN,
            "cross-origin requests to the control API and pages are refused",
        );
    }
    let browser_token = cookie(req.headers(), CSRF_COOKIE);
    let api = req.uri().path().starts_with("/_wamm/");
    let req = if is_state_change(req.method()) {
        if !same_origin(req.headers(), &host) {
            return refuse(
                StatusCode::FORBIDDEN,
                "cross-site state changes are refused (Origin or Sec-Fetch-Site is not this platform)",
            );
        }
        match media_type(req.headers()).as_deref() {
            Some("application/x-www-form-urlencoded") => {
                match checked_form(req, browser_token.as_deref()).await {
                    Ok(req) => req,
                    Err(refusal) => return refusal,
                }
            }
            Some(media) if !control_media_type(media) => {
                return refuse(
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    "control calls take application/json (world files also YAML); forms take application/x-www-form-urlencoded with their CSRF token",
                );
            }
            _ => req,
        }
    } else {
        req
    };
    let csrf = Csrf {
        browser: browser_token,
        minted: std::sync::Arc::default(),
    };
    let mut response = CSRF.scope(csrf.clone(), next.run(req)).await;
    // Every page sets the cookie (its forms, and the next page's, carry the same token);
    // a JSON answer sets one only if something rendered a form into it.
    let page = media_type(response.headers()).as_deref() == Some("text/html");
    let minted = if csrf.browser.is_none() && page {
        Some(csrf.minted.get_or_init(new_token).clone())
    } else {
        csrf.minted.get().cloned()
    };
    if let Some(token) = minted
        && let Ok(value) =
            format!("{CSRF_COOKIE}={token}; Path=/; SameSite=Strict; HttpOnly").parse()
    {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    if api {
        response = json_errors(response).await;
    }
    response
}

/// Reads a form body, checks its CSRF field against the cookie in constant time, and hands
/// the request on with the same body.
async fn checked_form(req: Request, cookie_token: Option<&str>) -> Result<Request, Response> {
    let (parts, body) = req.into_parts();
    let bytes: Bytes = axum::body::to_bytes(body, crate::graph::MAX_BODY_BYTES)
        .await
        .map_err(|_| refuse(StatusCode::PAYLOAD_TOO_LARGE, "the form is too large"))?;
    let sent = serde_urlencoded::from_bytes::<Vec<(String, String)>>(&bytes)
        .ok()
        .and_then(|fields| {
            fields
                .into_iter()
                .find(|(k, _)| k == CSRF_FIELD)
                .map(|(_, v)| v)
        });
    let valid = match (cookie_token, sent) {
        (Some(expected), Some(sent)) => bool::from(expected.as_bytes().ct_eq(sent.as_bytes())),
        _ => false,
    };
    if !valid {
        return Err(refuse(
            StatusCode::FORBIDDEN,
            "the form's CSRF token is missing or does not match this browser's; reload the page",
        ));
    }
    Ok(Request::from_parts(parts, Body::from(bytes)))
}

/// Gives a bodiless or plain-text error under `/_wamm/` the control API's JSON shape.
async fn json_errors(response: Response) -> Response {
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let media = media_type(response.headers());
    if media
        .as_deref()
        .is_some_and(|m| m == "application/json" || m == "text/html")
    {
        return response;
    }
    let (parts, body) = response.into_parts();
    let text = axum::body::to_bytes(body, 64 * 1024)
        .await
        .map(|b| String::from_utf8_lossy(&b).trim().to_owned())
        .unwrap_or_default();
    let message = if text.is_empty() {
        status
            .canonical_reason()
            .unwrap_or("request refused")
            .to_owned()
    } else {
        text
    };
    let mut out = (
        status,
        axum::Json(json!({ "error": { "message": message } })),
    )
        .into_response();
    for (name, value) in &parts.headers {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            out.headers_mut().insert(name.clone(), value.clone());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn listen(text: &str) -> SocketAddr {
        text.parse().expect("address")
    }

    #[test]
    fn hosts() {
        let any = listen("0.0.0.0:8080");
        let public = vec!["wamm.example.test".to_owned()];
        for ok in [
            "localhost:8080",
            "LOCALHOST",
            "app.localhost:1",
            "127.0.0.1:8080",
            "127.9.9.9",
            "[::1]:8080",
            "wamm.example.test:8080",
            "wamm.example.test.",
        ] {
            assert!(host_allowed(ok, any, &public), "{ok}");
        }
        for bad in [
            "evil.test",
            "localhost.evil.test",
            "10.0.0.5:8080",
            "0.0.0.0:8080",
            "",
            "[::2]",
            "wamm.example.test.evil",
        ] {
            assert!(!host_allowed(bad, any, &public), "{bad}");
        }
        assert!(host_allowed("192.0.2.7:80", listen("192.0.2.7:80"), &[]));
    }

    #[test]
    fn origins() {
        let mut h = HeaderMap::new();
        assert!(same_origin(&h, "127.0.0.1:8080"), "no browser, no origin");
        h.insert(header::ORIGIN, "http://127.0.0.1:8080".parse().expect("v"));
        assert!(same_origin(&h, "127.0.0.1:8080"));
        assert!(!same_origin(&h, "127.0.0.1:9090"));
        h.insert(header::ORIGIN, "null".parse().expect("v"));
        assert!(!same_origin(&h, "127.0.0.1:8080"));
        let mut h = HeaderMap::new();
        h.insert("sec-fetch-site", "cross-site".parse().expect("v"));
        assert!(!same_origin(&h, "127.0.0.1:8080"));
        h.insert("sec-fetch-site", "same-site".parse().expect("v"));
        assert!(
            !same_origin(&h, "127.0.0.1:8080"),
            "another port is another origin"
        );
        h.insert("sec-fetch-site", "same-origin".parse().expect("v"));
        assert!(same_origin(&h, "127.0.0.1:8080"));
    }

    #[test]
    fn cookies_count_only_when_this_process_signed_them() {
        let token = new_token();
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            format!("a=b; {CSRF_COOKIE}={token}").parse().expect("v"),
        );
        assert_eq!(cookie(&h, CSRF_COOKIE), Some(token.clone()));
        let planted = format!("{}{}", &token[..32], "0".repeat(32));
        h.insert(
            header::COOKIE,
            format!("{CSRF_COOKIE}={planted}").parse().expect("v"),
        );
        assert_eq!(cookie(&h, CSRF_COOKIE), None);
        h.insert(
            header::COOKIE,
            format!("{CSRF_COOKIE}=short").parse().expect("v"),
        );
        assert_eq!(cookie(&h, CSRF_COOKIE), None);
    }
}
