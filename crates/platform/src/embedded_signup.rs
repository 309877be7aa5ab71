//! Embedded Signup: the JavaScript SDK, the Login for Business popup a client business goes
//! through, and the code it hands back to the partner's page.
//!
//! `FB.login` opens `/{version}/dialog/oauth` with the app, the Login for Business
//! configuration and `extras`. The person logs in, chooses or creates a business portfolio,
//! a WABA and a phone number (or connects a WhatsApp Business app number, for coexistence),
//! accepts the MM API terms when the flow asks for them, and confirms the permissions. The
//! popup then posts a `WA_EMBEDDED_SIGNUP` session event and the login response to the opener
//! (or, in the redirect flow, redirects to `redirect_uri?code=…`). The code is single use and
//! expires 30 seconds later on the platform clock; `GET /oauth/access_token?code=…` exchanges
//! it for a business integration system user token.
//!
//! The popup keeps no server-side session: each screen posts every answer so far, and
//! [`wamm_domain::signup::next_screen`] says which screen comes next.

use std::collections::BTreeMap;

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use serde_json::{Value, json};
use wamm_domain::signup::{FlowOptions, Progress, Screen, next_screen};
use wamm_domain::{App, Business, BusinessRole, LoginConfig, Person, Waba};
use wamm_store::StoreError;
use wamm_wire::ids::{AppId, BusinessId, PhoneNumberId, UserId, WabaId};

use crate::state::AppState;
use crate::usecase::signup::{
    self, BusinessChoice, CODE_TTL_SECONDS, Choices, PersonChoice, PhoneChoice, WabaChoice,
};

const SDK: &str = include_str!("../static/sdk.js");

/// `GET /en_US/sdk.js` (and `/sdk.js`): the JavaScript SDK. Open to every origin, as Meta's
/// CDN serves it: Meta's snippet loads it with `crossorigin="anonymous"`, which a partner's
/// page on another origin can only do when the answer allows it.
pub async fn sdk_js() -> Response {
    (
        [
            (
                header::CONTENT_TYPE,
                "application/javascript; charset=utf-8",
            ),
            (header::CACHE_CONTROL, "no-cache"),
            (header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"),
        ],
        SDK,
    )
        .into_response()
}

/// Every field a screen posts; unknown fields are ignored.
const FIELDS: [&str; 20] = [
    "app_id",
    "config_id",
    "origin",
    "redirect_uri",
    "state",
    "extras",
    "person",
    "person_name",
    "person_email",
    "business",
    "business_name",
    "business_country",
    "waba",
    "waba_name",
    "phone",
    "phone_number",
    "phone_name",
    "qr_scanned",
    "terms",
    "confirm",
];

/// The fields each screen edits (not carried as hidden inputs on that screen).
fn edited_on(screen: Screen) -> &'static [&'static str] {
    match screen {
        Screen::Login => &["person", "person_name", "person_email"],
        Screen::BusinessAccountSelection => &["business", "business_name", "business_country"],
        Screen::WabaSelection => &["waba", "waba_name"],
        Screen::PhoneNumberSetup => &["phone", "phone_number", "phone_name", "qr_scanned"],
        Screen::MarketingMessagesTerms => &["terms"],
        Screen::PermissionsReview => &["confirm"],
        Screen::Done => &[],
    }
}

/// The flow as posted so far.
#[derive(Debug, Clone)]
struct Flow {
    app: App,
    config: LoginConfig,
    options: FlowOptions,
    fields: BTreeMap<&'static str, String>,
}

impl Flow {
    fn get(&self, name: &str) -> Option<&str> {
        self.fields
            .get(name)
            .map(|v| v.trim())
            .filter(|v| !v.is_empty())
    }

    fn clear(&mut self, names: &[&'static str]) {
        for n in names {
            self.fields.remove(n);
        }
    }

    fn origin(&self) -> Option<&str> {
        self.get("origin")
    }

    fn redirect_uri(&self) -> Option<&str> {
        self.get("redirect_uri")
    }
}

/// Why the dialog cannot run at all (shown on an error page, as Facebook's dialog does).
#[derive(Debug, thiserror::Error)]
enum DialogError {
    #[error("Invalid App ID: the provided app ID does not look like a valid app ID.")]
    App,
    #[error(
        "Invalid configuration: config_id {0} is not a Facebook Login for Business configuration of this app."
    )]
    Config(String),
    #[error("Embedded Signup needs config_id (a Facebook Login for Business configuration).")]
    NoConfig,
    #[error(
        "This dialog issues codes: call FB.login with response_type \"code\" and override_default_response_type true."
    )]
    ResponseType,
    #[error(
        "Can't load URL: give origin (the JavaScript SDK does) or a redirect_uri (http or https)."
    )]
    Return,
    #[error("extras must be a JSON object: {0}")]
    Extras(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

async fn flow_from(
    state: &AppState,
    fields: BTreeMap<&'static str, String>,
) -> Result<Flow, DialogError> {
    let app_id: AppId = fields
        .get("app_id")
        .and_then(|a| a.parse().ok())
        .ok_or(DialogError::App)?;
    let app = state.store.app(app_id).await?.ok_or(DialogError::App)?;
    let config_text = fields.get("config_id").ok_or(DialogError::NoConfig)?;
    let config = config_text
        .parse::<u64>()
        .ok()
        .and_then(|id| app.login_config(id).cloned())
        .ok_or_else(|| DialogError::Config(config_text.clone()))?;
    let origin_ok = fields.get("origin").is_some_and(|o| valid_origin(o));
    let redirect_ok = fields
        .get("redirect_uri")
        .is_some_and(|r| valid_redirect(r));
    if !origin_ok && !redirect_ok {
        return Err(DialogError::Return);
    }
    let extras: Value = match fields.get("extras").map(String::as_str) {
        None | Some("") => json!({}),
        Some(text) => serde_json::from_str(text).map_err(|e| DialogError::Extras(e.to_string()))?,
    };
    if !extras.is_object() {
        return Err(DialogError::Extras("not an object".into()));
    }
    let options = wamm_domain::signup::options_from_extras(&extras, config.marketing_messages);
    Ok(Flow {
        app,
        config,
        options,
        fields,
    })
}

fn valid_origin(origin: &str) -> bool {
    url::Url::parse(origin).is_ok_and(|u| {
        matches!(u.scheme(), "http" | "https")
            && u.host().is_some()
            && u.path() == "/"
            && u.query().is_none()
            && !origin.ends_with('/')
    })
}

fn valid_redirect(uri: &str) -> bool {
    url::Url::parse(uri).is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
}

fn pick(pairs: Vec<(String, String)>) -> BTreeMap<&'static str, String> {
    let mut out = BTreeMap::new();
    for (k, v) in pairs {
        if let Some(name) = FIELDS.iter().find(|f| **f == k) {
            out.insert(*name, v);
        }
    }
    // The SDK sends both `app_id` and `client_id`; manual redirect flows send `client_id`.
    out
}

/// `GET /{version}/dialog/oauth?client_id|app_id&config_id&response_type=code&extras&origin|redirect_uri[&state]`.
pub async fn dialog(
    State(state): State<AppState>,
    Query(query): Query<Vec<(String, String)>>,
) -> Response {
    let client_id = query
        .iter()
        .find(|(k, _)| k == "client_id")
        .map(|(_, v)| v.clone());
    let response_type = query
        .iter()
        .find(|(k, _)| k == "response_type")
        .map(|(_, v)| v.clone());
    let mut fields = pick(query);
    if !fields.contains_key("app_id")
        && let Some(id) = client_id
    {
        fields.insert("app_id", id);
    }
    let flow = match flow_from(&state, fields).await {
        Ok(flow) => flow,
        Err(e) => return error_page(&e),
    };
    if response_type.as_deref() != Some("code") {
        return error_page(&DialogError::ResponseType);
    }
    render_screen(&state, flow, None).await
}

/// `POST /_wamm/embedded-signup`: a screen's answers (or its Cancel button).
pub async fn step(State(state): State<AppState>, body: Bytes) -> Response {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    let cancel = pairs.iter().any(|(k, _)| k == "cancel");
    let flow = match flow_from(&state, pick(pairs)).await {
        Ok(flow) => flow,
        Err(e) => return error_page(&e),
    };
    let (flow, problem) = match check(&state, flow).await {
        Ok(checked) => checked,
        Err(e) => return failed(&e),
    };
    let progress = match progress(&state, &flow).await {
        Ok(p) => p,
        Err(e) => return failed(&e),
    };
    let screen = next_screen(&flow.options, progress);
    if cancel {
        return cancelled(&state, &flow, screen).await;
    }
    if screen == Screen::Done {
        return match finish(&state, &flow).await {
            Ok(done) => done,
            Err(e) => failed(&e),
        };
    }
    render_screen(&state, flow, problem).await
}

/// Drops answers that do not hold (with the reason shown on their screen).
async fn check(state: &AppState, mut flow: Flow) -> Result<(Flow, Option<String>), StoreError> {
    let mut problem = None;
    let person_ok = match flow.get("person") {
        Some("new") => {
            flow.get("person_name").is_some()
                && flow.get("person_email").is_some_and(|e| e.contains('@'))
        }
        Some(id) => person_by_id(state, id).await?.is_some(),
        None => true,
    };
    if !person_ok {
        problem = Some(if flow.get("person") == Some("new") {
            "Enter your name and email address.".to_owned()
        } else {
            "Choose who you are.".to_owned()
        });
        flow.clear(&["person"]);
    }
    let person = flow.get("person").map(str::to_owned);
    match flow.get("business") {
        Some("new") => {
            let country_ok = flow
                .get("business_country")
                .is_some_and(|c| c.parse::<wamm_domain::country::Country>().is_ok());
            if flow.get("business_name").is_none() || !country_ok {
                problem = Some(
                    "Enter the business portfolio's name and a two-letter country code.".to_owned(),
                );
                flow.clear(&["business"]);
            }
        }
        Some(id) => {
            let admin_of = match person.as_deref() {
                Some("new") | None => Vec::new(),
                Some(p) => businesses_administered(state, p).await?,
            };
            if !admin_of.iter().any(|b| b.id.to_string() == id) {
                problem = Some("Choose a business portfolio you administer.".to_owned());
                flow.clear(&["business"]);
            }
        }
        None => {}
    }
    let business = chosen_business(state, &flow).await?;
    let waba_ok = match flow.get("waba") {
        Some("new") => flow.get("waba_name").is_some(),
        Some(id) => match &business {
            Some(b) => choosable_wabas(state, b)
                .await?
                .iter()
                .any(|w| w.id.to_string() == id),
            None => false,
        },
        None => true,
    };
    if !waba_ok {
        problem = Some(if flow.get("waba") == Some("new") {
            "Name the WhatsApp Business Account.".to_owned()
        } else {
            "Choose a WhatsApp Business Account of this business portfolio.".to_owned()
        });
        flow.clear(&["waba"]);
    }
    match flow.get("phone") {
        Some("new") => {
            let digits = flow
                .get("phone_number")
                .map_or(0, |n| n.chars().filter(char::is_ascii_digit).count());
            if !(8..=15).contains(&digits) {
                problem =
                    Some("Enter a phone number with its country code (8 to 15 digits).".to_owned());
                flow.clear(&["phone"]);
            } else if flow.options.coexistence && flow.get("qr_scanned").is_none() {
                problem = Some(
                    "Scan the QR code with the WhatsApp Business app on this number to connect it."
                        .to_owned(),
                );
                flow.clear(&["phone"]);
            }
        }
        Some("skip") if flow.options.coexistence => {
            problem = Some("Connect your WhatsApp Business app number to continue.".to_owned());
            flow.clear(&["phone"]);
        }
        Some("skip") | None => {}
        Some(id) => {
            let ok = match flow.get("waba") {
                Some("new") | None => false,
                Some(w) => match w.parse::<WabaId>() {
                    Ok(w) => state
                        .store
                        .phone_numbers_of(w)
                        .await?
                        .iter()
                        .any(|p| p.id.to_string() == id),
                    Err(_) => false,
                },
            };
            if !ok || flow.options.coexistence {
                problem = Some("Choose a phone number of this account.".to_owned());
                flow.clear(&["phone"]);
            }
        }
    }
    if let Some(t) = flow.get("terms")
        && t != "accept"
        && t != "decline"
    {
        flow.clear(&["terms"]);
    }
    Ok((flow, problem))
}

async fn progress(state: &AppState, flow: &Flow) -> Result<Progress, StoreError> {
    let business = chosen_business(state, flow).await?;
    Ok(Progress {
        person: flow.get("person").is_some(),
        business: flow.get("business").is_some(),
        waba: flow.get("waba").is_some(),
        phone: flow.get("phone").is_some(),
        business_signed: business.is_some_and(|b| b.mm_terms.is_some()),
        terms_answered: flow.get("terms").is_some(),
        confirmed: flow.get("confirm") == Some("yes"),
    })
}

async fn person_by_id(state: &AppState, id: &str) -> Result<Option<Person>, StoreError> {
    let Ok(user) = id.parse::<UserId>() else {
        return Ok(None);
    };
    Ok(state
        .store
        .businesses()
        .await?
        .into_iter()
        .flat_map(|b| b.people)
        .find(|p| p.id == user))
}

async fn businesses_administered(
    state: &AppState,
    person: &str,
) -> Result<Vec<Business>, StoreError> {
    let Ok(user) = person.parse::<UserId>() else {
        return Ok(Vec::new());
    };
    Ok(state
        .store
        .businesses()
        .await?
        .into_iter()
        .filter(|b| b.admins().any(|a| a.id == user))
        .collect())
}

async fn chosen_business(state: &AppState, flow: &Flow) -> Result<Option<Business>, StoreError> {
    match flow.get("business").map(str::parse::<BusinessId>) {
        Some(Ok(id)) => state.store.business(id).await,
        _ => Ok(None),
    }
}

/// WABAs the business owns outright (OBO WABAs are the partner's to manage).
async fn choosable_wabas(state: &AppState, business: &Business) -> Result<Vec<Waba>, StoreError> {
    Ok(state
        .store
        .wabas_owned_by(business.id)
        .await?
        .into_iter()
        .filter(|w| w.obo_owner().is_none())
        .collect())
}

/// A choice on a screen.
struct Choice {
    value: String,
    label: String,
}

/// The popup.
#[derive(Template)]
#[template(path = "embedded_signup.html")]
struct DialogPage {
    app: String,
    screen: &'static str,
    problem: Option<String>,
    carry: Vec<(String, String)>,
    choices: Vec<Choice>,
    coexistence: bool,
    permissions: Vec<String>,
    business_name: String,
    prefill_business: String,
}

async fn render_screen(state: &AppState, flow: Flow, problem: Option<String>) -> Response {
    let progress = match progress(state, &flow).await {
        Ok(p) => p,
        Err(e) => return failed(&e),
    };
    let screen = next_screen(&flow.options, progress);
    let choices = match choices(state, &flow, screen).await {
        Ok(c) => c,
        Err(e) => return failed(&e),
    };
    let business_name = match chosen_business(state, &flow).await {
        Ok(Some(b)) => b.name,
        Ok(None) => flow.get("business_name").unwrap_or_default().to_owned(),
        Err(e) => return failed(&e),
    };
    let prefill_business = flow
        .get("extras")
        .and_then(|e| serde_json::from_str::<Value>(e).ok())
        .and_then(|e| e["setup"]["business"]["name"].as_str().map(str::to_owned))
        .unwrap_or_default();
    let skip = edited_on(screen);
    let page = DialogPage {
        app: flow.app.name.clone(),
        screen: screen.as_str(),
        problem,
        carry: flow
            .fields
            .iter()
            .filter(|(k, _)| !skip.contains(k))
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect(),
        choices,
        coexistence: flow.options.coexistence,
        permissions: flow
            .config
            .permissions
            .iter()
            .map(|p| p.as_str().to_owned())
            .collect(),
        business_name,
        prefill_business,
    };
    match page.render() {
        Ok(html) => Html(html).into_response(),
        Err(e) => failed(&e),
    }
}

async fn choices(state: &AppState, flow: &Flow, screen: Screen) -> Result<Vec<Choice>, StoreError> {
    Ok(match screen {
        Screen::Login => {
            let mut seen = std::collections::BTreeSet::new();
            let mut out = Vec::new();
            for b in state.store.businesses().await? {
                for p in b.people.iter().filter(|p| p.role == BusinessRole::Admin) {
                    if seen.insert(p.id) {
                        out.push(Choice {
                            value: p.id.to_string(),
                            label: format!("{} <{}>", p.name, p.email),
                        });
                    }
                }
            }
            out
        }
        Screen::BusinessAccountSelection => match flow.get("person") {
            Some("new") | None => Vec::new(),
            Some(p) => businesses_administered(state, p)
                .await?
                .into_iter()
                .map(|b| Choice {
                    value: b.id.to_string(),
                    label: format!("{} ({})", b.name, b.id),
                })
                .collect(),
        },
        Screen::WabaSelection => match chosen_business(state, flow).await? {
            Some(b) => choosable_wabas(state, &b)
                .await?
                .into_iter()
                .map(|w| Choice {
                    value: w.id.to_string(),
                    label: format!("{} ({})", w.name, w.id),
                })
                .collect(),
            None => Vec::new(),
        },
        Screen::PhoneNumberSetup if !flow.options.coexistence => {
            match flow.get("waba").map(str::parse::<WabaId>) {
                Some(Ok(w)) => state
                    .store
                    .phone_numbers_of(w)
                    .await?
                    .into_iter()
                    .map(|p| Choice {
                        value: p.id.to_string(),
                        label: format!("{} · {}", p.display_phone_number, p.verified_name),
                    })
                    .collect(),
                _ => Vec::new(),
            }
        }
        _ => Vec::new(),
    })
}

/// The end page: posts the session event and the login response to the opener, or redirects.
#[derive(Template)]
#[template(path = "embedded_signup_done.html")]
struct DonePage {
    title: String,
    session_event: Option<String>,
    login_response: String,
    target_origin: String,
}

/// JSON safe to place inside a `<script type="application/json">` element.
fn script_json(value: &Value) -> String {
    value.to_string().replace('<', "\\u003c")
}

fn with_query(uri: &str, pairs: &[(&str, &str)]) -> String {
    let mut url = url::Url::parse(uri).expect("invariant: redirect_uri was validated");
    url.query_pairs_mut().extend_pairs(pairs);
    url.to_string()
}

fn end(
    flow: &Flow,
    title: &str,
    session_event: Option<Value>,
    login_response: &Value,
    redirect: &[(&str, String)],
) -> Response {
    if flow.origin().is_none()
        && let Some(uri) = flow.redirect_uri()
    {
        let mut pairs: Vec<(&str, &str)> = redirect.iter().map(|(k, v)| (*k, v.as_str())).collect();
        if let Some(s) = flow.get("state") {
            pairs.push(("state", s));
        }
        return (
            StatusCode::SEE_OTHER,
            [(header::LOCATION, with_query(uri, &pairs))],
        )
            .into_response();
    }
    let page = DonePage {
        title: title.to_owned(),
        session_event: session_event
            .filter(|_| flow.options.session_events)
            .map(|e| script_json(&e)),
        login_response: script_json(login_response),
        target_origin: script_json(&json!(flow.origin().unwrap_or_default())),
    };
    match page.render() {
        Ok(html) => Html(html).into_response(),
        Err(e) => failed(&e),
    }
}

fn session_event(flow: &Flow, event: &str, data: &Value) -> Value {
    let mut message = json!({ "type": "WA_EMBEDDED_SIGNUP", "event": event, "data": data });
    if flow.options.session_version >= 3 {
        message["version"] = json!(3);
    }
    message
}

async fn cancelled(state: &AppState, flow: &Flow, screen: Screen) -> Response {
    if let Err(e) = crate::usecase::journal::record(
        state,
        "embedded_signup.cancelled",
        &format!("app:{}", flow.app.id),
        json!({ "current_step": screen.as_str() }),
    )
    .await
    {
        return failed(&e);
    }
    end(
        flow,
        "Cancelled",
        Some(session_event(
            flow,
            "CANCEL",
            &json!({ "current_step": screen.as_str() }),
        )),
        &json!({ "authResponse": null, "status": "unknown" }),
        &[
            ("error", "access_denied".into()),
            ("error_code", "200".into()),
            ("error_description", "Permissions error".into()),
            ("error_reason", "user_denied".into()),
        ],
    )
}

async fn finish(state: &AppState, flow: &Flow) -> Result<Response, StoreError> {
    let person = match flow.get("person") {
        Some("new") => PersonChoice::New {
            name: flow.get("person_name").unwrap_or_default().to_owned(),
            email: flow.get("person_email").unwrap_or_default().to_owned(),
        },
        // `check` kept only a person that exists; one gone since is refused like a lost WABA.
        Some(id) => PersonChoice::Existing(
            person_by_id(state, id)
                .await?
                .ok_or_else(|| StoreError::Invalid(format!("no person {id}")))?,
        ),
        None => return Err(StoreError::Invalid("no person chosen".into())),
    };
    let business = match chosen_business(state, flow).await? {
        Some(b) => BusinessChoice::Existing(b),
        None => BusinessChoice::New {
            name: flow.get("business_name").unwrap_or_default().to_owned(),
            country: flow.get("business_country").map(str::to_owned),
        },
    };
    let waba = match flow.get("waba") {
        Some("new") => WabaChoice::New {
            name: flow.get("waba_name").unwrap_or_default().to_owned(),
        },
        Some(id) => WabaChoice::Existing(
            id.parse::<WabaId>()
                .map_err(|_| StoreError::Invalid(format!("no WABA {id}")))?,
        ),
        None => return Err(StoreError::Invalid("no WABA chosen".into())),
    };
    let phone = match flow.get("phone") {
        Some("new") => PhoneChoice::New {
            display_phone_number: flow.get("phone_number").unwrap_or_default().to_owned(),
            verified_name: flow.get("phone_name").map(str::to_owned),
        },
        Some("skip") | None => PhoneChoice::Skip,
        Some(p) => p
            .parse::<PhoneNumberId>()
            .map_or(PhoneChoice::Skip, PhoneChoice::Existing),
    };
    let choices = Choices {
        app: flow.app.clone(),
        config_id: flow.config.id,
        scopes: flow.config.permissions.clone(),
        options: flow.options.clone(),
        person,
        business,
        accept_terms: flow.get("terms") == Some("accept"),
        waba,
        phone,
        code_redirect_uri: flow
            .redirect_uri()
            .filter(|_| flow.origin().is_none())
            .map(str::to_owned),
    };
    let done = signup::finish(state, choices).await?;
    let login = json!({
        "authResponse": {
            "code": done.code,
            "userID": done.person.to_string(),
            "expiresIn": CODE_TTL_SECONDS,
            "graphDomain": "facebook",
        },
        "status": "connected",
    });
    Ok(end(
        flow,
        "Done",
        Some(session_event(flow, done.event.as_str(), &done.data)),
        &login,
        &[("code", done.code.clone())],
    ))
}

/// The dialog's error page (Facebook's "Sorry, something went wrong.").
#[derive(Template)]
#[template(
    source = "<!doctype html><title>Error</title><h1>Sorry, something went wrong.</h1><p id=\"dialog-error\">{{ message }}</p>",
    ext = "html"
)]
struct ErrorPage {
    message: String,
}

fn error_page(e: &DialogError) -> Response {
    if let DialogError::Store(s) = e {
        return failed(s);
    }
    match (ErrorPage {
        message: e.to_string(),
    })
    .render()
    {
        Ok(html) => (StatusCode::BAD_REQUEST, Html(html)).into_response(),
        Err(e) => failed(&e),
    }
}

fn failed(e: &impl std::fmt::Display) -> Response {
    crate::console::page_failed("Embedded Signup", e)
}

/// The sample partner page.
#[derive(Template)]
#[template(path = "embedded_signup_sample.html")]
struct SamplePage {
    app_id: String,
    app_name: String,
    secret: String,
    configs: Vec<(String, String, bool)>,
    version: String,
}

/// `GET /_wamm/apps/{app-id}/embedded-signup`: a partner's page that embeds the flow with the
/// SDK, shows the session events and the code, and exchanges the code as a partner's server
/// would (the app secret is on the page because this is a local sample).
pub async fn sample(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    let app = match id.parse::<AppId>() {
        Ok(id) => match state.store.app(id).await {
            Ok(Some(app)) => app,
            Ok(None) => return (StatusCode::NOT_FOUND, "no such app").into_response(),
            Err(e) => return failed(&e),
        },
        Err(_) => return (StatusCode::NOT_FOUND, "no such app").into_response(),
    };
    let page = SamplePage {
        app_id: app.id.to_string(),
        app_name: app.name.clone(),
        secret: app.secret.clone(),
        configs: app
            .login_configs
            .iter()
            .map(|c| (c.id.to_string(), c.name.clone(), c.marketing_messages))
            .collect(),
        version: state.config.versions.newest().to_string(),
    };
    match page.render() {
        Ok(html) => Html(html).into_response(),
        Err(e) => failed(&e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_and_redirects() {
        assert!(valid_origin("https://partner.example"));
        assert!(valid_origin("http://127.0.0.1:8080"));
        assert!(!valid_origin("https://partner.example/"));
        assert!(!valid_origin("https://partner.example/path"));
        assert!(!valid_origin("javascript:alert(1)"));
        assert!(valid_redirect("https://partner.example/cb?x=1"));
        assert!(!valid_redirect("ftp://partner.example/cb"));
        assert_eq!(
            with_query(
                "https://p.example/cb?x=1",
                &[("code", "AQ1"), ("state", "s t")]
            ),
            "https://p.example/cb?x=1&code=AQ1&state=s+t"
        );
    }

    #[test]
    fn script_json_cannot_close_the_script() {
        let s = script_json(&json!({"a": "</script><script>"}));
        assert!(!s.contains("</"));
        assert_eq!(
            serde_json::from_str::<Value>(&s).ok(),
            Some(json!({"a": "</script><script>"}))
        );
    }
}
