//! The partner's own Embedded Signup page: `GET /signup` is the "connect your WhatsApp" page a
//! new client opens, and `POST /signup/complete` its server half.
//!
//! The page loads the JavaScript SDK (Meta's, or a wamm platform's `<platform>/en_US/sdk.js`),
//! calls `FB.login` with the partner's Facebook Login for Business configuration and the MM API
//! extras, and listens for the popup's `WA_EMBEDDED_SIGNUP` session events, from the SDK's
//! origin only. Once it holds both the code (from `FB.login`'s callback) and the `FINISH`
//! session's WABA and number, it posts them at once to `/signup/complete` (the code lives 30
//! seconds), which runs [`crate::signup::complete`]: exchange, subscribe, register, into the
//! funnel with the token sealed. The answer is the WABA's place in the funnel.
//!
//! Neither the code nor the registration PIN is ever logged.

use std::sync::Arc;

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::extract::rejection::JsonRejection;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Json, Response};
use axum::routing::{get, post};
use serde::Serialize;
use serde_json::{Value, json};

use crate::funnel::funnel;
use crate::orchestrate::OrchestrateError;
use crate::signup::{Finished, complete};
use crate::stage::Stage;
use crate::store::ClientWaba;
use crate::vault::Secret;
use crate::webhooks::Moves;

/// Meta's JavaScript SDK, the page's default.
pub const META_SDK_URL: &str = "https://connect.facebook.net/en_US/sdk.js";

/// Where the page posts what the popup finished with.
pub(crate) const COMPLETE_PATH: &str = "/signup/complete";

/// What the signup page and its completion need.
#[derive(Debug, Clone)]
pub struct SignupState {
    /// Graph (with the partner's app, for the code exchange), the store, the vault, the clock.
    pub moves: Moves,
    /// The partner app's ID, for `FB.init`.
    pub app_id: String,
    /// The Facebook Login for Business configuration `FB.login` names (`config_id`).
    pub config_id: String,
    /// The JavaScript SDK's URL: [`META_SDK_URL`], or `<platform>/en_US/sdk.js`.
    pub sdk_url: String,
    /// The Graph API version `FB.init` asks for.
    pub graph_version: String,
    /// The six-digit two-step verification PIN new numbers are registered with.
    pub pin: Secret,
    /// Seconds after which an unanswered request counts as unanswered (for the stage shown).
    pub unanswered_after: i64,
}

/// A signup page that cannot be served as configured.
#[derive(Debug, thiserror::Error)]
pub enum SignupPageError {
    /// The SDK URL is not an `http(s)` URL with a host.
    #[error("the SDK URL {0:?} is not an http or https URL with a host")]
    SdkUrl(String),
    /// The registration PIN is not six digits.
    #[error("the registration PIN must be six digits")]
    Pin,
    /// The page did not render.
    #[error("the signup page did not render: {0}")]
    Render(#[from] askama::Error),
}

/// Whose `message` events the page believes: the popup is served from the SDK's side.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "rule", content = "origin", rename_all = "snake_case")]
pub(crate) enum TrustedOrigin {
    /// Meta's SDK (`connect.facebook.net`): Meta's docs check
    /// `event.origin.endsWith("facebook.com")`; this takes the same hosts but asks for
    /// `https` and a whole domain label, so `https://notfacebook.com` is not one of them.
    Facebook,
    /// Any other SDK (a wamm platform): exactly the SDK URL's origin.
    Exact(String),
}

impl TrustedOrigin {
    /// The rule for the SDK at `sdk_url`.
    pub(crate) fn for_sdk(sdk_url: &str) -> Result<Self, SignupPageError> {
        let refused = || SignupPageError::SdkUrl(sdk_url.to_owned());
        let url = url::Url::parse(sdk_url).map_err(|_| refused())?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(refused());
        }
        let host = url
            .host_str()
            .filter(|h| !h.is_empty())
            .ok_or_else(refused)?;
        if host.eq_ignore_ascii_case("connect.facebook.net") {
            return Ok(Self::Facebook);
        }
        Ok(Self::Exact(url.origin().ascii_serialization()))
    }

    /// Whether a `message` event from `origin` is believed: the rule the page's script
    /// applies, written here so that the tests pin it.
    #[cfg(test)]
    fn trusts(&self, origin: &str) -> bool {
        match self {
            Self::Facebook => {
                origin == "https://facebook.com"
                    || (origin.starts_with("https://") && origin.ends_with(".facebook.com"))
            }
            Self::Exact(exact) => origin == exact,
        }
    }
}

/// `value` as JSON that can sit inside `<script>`: `<`, `>` and `&` are written as `\u003c`,
/// `\u003e` and `\u0026`, so no string can close the script element or open a comment.
pub(crate) fn script_json(value: &Value) -> String {
    value
        .to_string()
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
}

#[derive(Template)]
#[template(path = "signup.html")]
struct Page<'a> {
    sdk_url: &'a str,
    config_json: String,
}

struct Served {
    state: SignupState,
    page: String,
}

/// `GET /signup` and `POST /signup/complete`.
///
/// # Errors
///
/// When the SDK URL is not an `http(s)` URL, or the PIN is not six digits.
pub fn router(state: SignupState) -> Result<Router, SignupPageError> {
    let trusted = TrustedOrigin::for_sdk(&state.sdk_url)?;
    let pin = state.pin.expose();
    if pin.len() != 6 || !pin.bytes().all(|b| b.is_ascii_digit()) {
        return Err(SignupPageError::Pin);
    }
    let config = json!({
        "appId": state.app_id,
        "configId": state.config_id,
        "version": state.graph_version,
        "trusted": trusted,
        "completePath": COMPLETE_PATH,
    });
    let page = Page {
        sdk_url: &state.sdk_url,
        config_json: script_json(&config),
    }
    .render()?;
    Ok(Router::new()
        .route("/signup", get(page_handler))
        .route(COMPLETE_PATH, post(complete_handler))
        .with_state(Arc::new(Served { state, page })))
}

/// `GET /signup` when Embedded Signup is not configured: a 404 that says how to turn it on
/// (the dashboard always links to the page).
pub fn off_router() -> Router {
    Router::new().route(
        "/signup",
        get(|| async {
            (
                StatusCode::NOT_FOUND,
                Html(
                    "<!doctype html><meta charset=\"utf-8\"><title>Embedded Signup is off</title>\
                     <p>Embedded Signup is off: start <code>wamm partner serve</code> with \
                     <code>--signup-config-id</code>, <code>--signup-pin</code>, \
                     <code>--app-id</code> and <code>--app-secret</code>.</p>",
                ),
            )
        }),
    )
}

async fn page_handler(State(served): State<Arc<Served>>) -> Response {
    (
        [
            (header::X_FRAME_OPTIONS, "DENY"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        Html(served.page.clone()),
    )
        .into_response()
}

/// The answer to a completed signup: where the new WABA stands.
#[derive(Debug, Serialize)]
struct Completed {
    business_id: String,
    business_name: String,
    waba_id: String,
    stage: Stage,
    reason: String,
}

fn error(status: StatusCode, message: &str, code: Option<i64>) -> Response {
    let mut body = json!({ "error": message });
    if let Some(code) = code {
        body["code"] = json!(code);
    }
    (status, Json(body)).into_response()
}

// Only a JSON body is taken: axum's `Json` refuses any other `Content-Type` (415). That is the
// CSRF guard: a cross-site form can send only form, multipart or text bodies, and a cross-site
// `fetch` with `application/json` needs a CORS preflight this server never grants.
async fn complete_handler(
    State(served): State<Arc<Served>>,
    body: Result<Json<Finished>, JsonRejection>,
) -> Response {
    let finished = match body {
        Ok(Json(finished)) => finished,
        Err(rejection) => {
            let status = match rejection {
                JsonRejection::MissingJsonContentType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
                _ => StatusCode::BAD_REQUEST,
            };
            return error(
                status,
                &format!(
                    "expected JSON {{code, waba_id, phone_number_id, coexistence}}: {rejection}"
                ),
                None,
            );
        }
    };
    if finished.code.trim().is_empty() || finished.waba_id.trim().is_empty() {
        return error(
            StatusCode::BAD_REQUEST,
            "code and waba_id are required",
            None,
        );
    }
    let state = &served.state;
    let m = &state.moves;
    let now = (m.now)();
    match complete(
        &*m.graph,
        &*m.store,
        &m.vault,
        &finished,
        state.pin.expose(),
        now,
    )
    .await
    {
        Ok(waba) => {
            tracing::info!(
                waba = %waba.id,
                business = %waba.business_id,
                coexistence = finished.coexistence,
                "a client signed up through Embedded Signup"
            );
            Json(standing(state, waba, now).await).into_response()
        }
        Err(e) => {
            // `e` names Graph's answer, never the code or the PIN.
            tracing::warn!(waba = %finished.waba_id, error = %e, "Embedded Signup did not complete");
            match e {
                OrchestrateError::Graph(failure) => error(
                    StatusCode::BAD_GATEWAY,
                    &failure.message,
                    (failure.code != 0).then_some(failure.code),
                ),
                OrchestrateError::TokenDoesNotCover { .. } => {
                    error(StatusCode::BAD_GATEWAY, &e.to_string(), None)
                }
                OrchestrateError::Store(_) => error(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "the orchestrator's store did not answer",
                    None,
                ),
                OrchestrateError::Vault(_) => error(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "the business token could not be sealed",
                    None,
                ),
                OrchestrateError::Stopped(_) => error(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "the signup stopped before it finished",
                    None,
                ),
            }
        }
    }
}

/// The new WABA's row of the funnel, as the dashboard shows it.
async fn standing(state: &SignupState, waba: ClientWaba, now: i64) -> Completed {
    let store = &state.moves.store;
    let (business, token) = match (
        store.business(&waba.business_id).await,
        store.token(&waba.business_id).await,
    ) {
        (Ok(business), Ok(token)) => (business, token),
        (Err(e), _) | (_, Err(e)) => {
            // Signed up and stored; only the view is missing.
            tracing::warn!(error = %e, "the funnel could not be read after a signup");
            (None, None)
        }
    };
    let view = funnel(
        &business.into_iter().collect::<Vec<_>>(),
        std::slice::from_ref(&waba),
        &token.into_iter().collect::<Vec<_>>(),
        &[],
        now,
        state.unanswered_after,
    );
    match view.rows.into_iter().next() {
        Some(row) => Completed {
            business_id: row.business_id,
            business_name: row.business_name,
            waba_id: row.waba_id,
            stage: row.standing.stage,
            reason: row.standing.reason,
        },
        None => Completed {
            business_id: waba.business_id,
            business_name: String::new(),
            waba_id: waba.id,
            stage: Stage::Unknown,
            reason: "stored".into(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metas_sdk_trusts_facebook_com_hosts_over_https() {
        let rule = TrustedOrigin::for_sdk(META_SDK_URL).expect("Meta's SDK");
        assert_eq!(rule, TrustedOrigin::Facebook);
        for origin in [
            "https://www.facebook.com",
            "https://business.facebook.com",
            "https://facebook.com",
        ] {
            assert!(rule.trusts(origin), "{origin}");
        }
        for origin in [
            "https://notfacebook.com",
            "http://www.facebook.com",
            "https://facebook.com.evil.example",
            "https://www.facebook.com:8443.evil",
            "null",
            "",
        ] {
            assert!(!rule.trusts(origin), "{origin}");
        }
    }

    #[test]
    fn any_other_sdk_trusts_exactly_its_origin() {
        let rule = TrustedOrigin::for_sdk("http://127.0.0.1:8080/en_US/sdk.js").expect("wamm");
        assert_eq!(rule, TrustedOrigin::Exact("http://127.0.0.1:8080".into()));
        assert!(rule.trusts("http://127.0.0.1:8080"));
        for origin in [
            "http://127.0.0.1:8081",
            "https://127.0.0.1:8080",
            "http://127.0.0.1",
            "http://127.0.0.1:8080/",
            "http://localhost:8080",
        ] {
            assert!(!rule.trusts(origin), "{origin}");
        }
        // The default port is not written in an origin.
        let rule = TrustedOrigin::for_sdk("https://sdk.example:443/en_US/sdk.js").expect("https");
        assert_eq!(rule, TrustedOrigin::Exact("https://sdk.example".into()));
    }

    #[test]
    fn an_sdk_url_must_be_http_with_a_host() {
        for url in [
            "javascript:alert(1)",
            "data:text/javascript,alert(1)",
            "file:///etc/passwd",
            "/en_US/sdk.js",
            "",
        ] {
            assert!(
                matches!(TrustedOrigin::for_sdk(url), Err(SignupPageError::SdkUrl(_))),
                "{url}"
            );
        }
    }

    #[test]
    fn the_rule_reaches_the_script_as_json() {
        assert_eq!(
            serde_json::to_value(TrustedOrigin::Facebook).ok(),
            Some(json!({"rule": "facebook"}))
        );
        assert_eq!(
            serde_json::to_value(TrustedOrigin::Exact("http://a:1".into())).ok(),
            Some(json!({"rule": "exact", "origin": "http://a:1"}))
        );
    }

    #[test]
    fn script_json_cannot_close_the_script() {
        let value = json!({"a": "</script><script>alert(1)</script>", "b": "<!-- & -->"});
        let text = script_json(&value);
        for forbidden in ["<", ">", "&"] {
            assert!(!text.contains(forbidden), "{forbidden} in {text}");
        }
        assert_eq!(serde_json::from_str::<Value>(&text).ok(), Some(value));
    }
}
