//! Business Settings > Requests: where an admin of a client business reads an MM API
//! onboarding request with its terms, and accepts or rejects it, acting as a person of the
//! business chosen in the page's identity switcher.

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;
use wamm_domain::BusinessRole;
use wamm_wire::ids::{BusinessId, RequestId, UserId};

use crate::state::AppState;
use crate::usecase::onboard::{Decision, OnboardingError, decide};

/// A person in the identity switcher.
pub struct PersonOption {
    pub(crate) id: String,
    pub(crate) label: String,
    pub(crate) selected: bool,
}

/// A request as shown.
pub struct RequestView {
    id: String,
    partner: String,
    status: String,
    created: String,
    obo_count: usize,
}

/// The page.
#[derive(Template)]
#[template(path = "requests.html")]
pub struct RequestsPage {
    business: String,
    business_id: String,
    people: Vec<PersonOption>,
    acting: String,
    requests: Vec<RequestView>,
    message: Option<String>,
}

/// `?as=<user id>` and `?error=…`.
#[derive(Deserialize)]
pub struct PageQuery {
    #[serde(rename = "as")]
    pub(crate) acting: Option<String>,
    pub(crate) error: Option<String>,
}

fn failed(e: &impl std::fmt::Display) -> Response {
    crate::console::page_failed("requests", e)
}

/// `GET /_wamm/businesses/{business-id}/requests`.
pub async fn page(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<PageQuery>,
) -> Response {
    let business = match business_of(&state, &id, "requests").await {
        Ok(b) => b,
        Err(response) => return response,
    };
    let business_id = business.id;
    let requests = match state.store.requests_of(business_id).await {
        Ok(list) => list,
        Err(e) => return failed(&e),
    };
    let (people, acting) = switcher(&business, q.acting.as_deref());
    let mut views = Vec::new();
    for r in requests.iter().rev() {
        let partner = match state.store.business(r.partner_business_id).await {
            Ok(b) => b.map_or_else(|| r.partner_business_id.to_string(), |b| b.name),
            Err(e) => return failed(&e),
        };
        views.push(RequestView {
            id: r.id.to_string(),
            partner,
            status: crate::graph::render::enum_text(r.status),
            created: r.created_at.rfc3339(),
            obo_count: r.obo_intents_set.len(),
        });
    }
    let page = RequestsPage {
        business: business.name.clone(),
        business_id: business.id.to_string(),
        people,
        acting: acting.map(|a| a.to_string()).unwrap_or_default(),
        requests: views,
        message: q.error,
    };
    match page.render() {
        Ok(html) => Html(html).into_response(),
        Err(e) => failed(&e),
    }
}

async fn decide_form(
    state: AppState,
    business: String,
    request: String,
    body: Bytes,
    how: Decision,
) -> Response {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    let acting = pairs
        .iter()
        .find(|(k, _)| k == "as")
        .and_then(|(_, v)| v.parse::<UserId>().ok());
    let back = |extra: &str| {
        let who = acting.map(|a| format!("as={a}")).unwrap_or_default();
        (
            StatusCode::SEE_OTHER,
            [(
                header::LOCATION,
                format!("/_wamm/businesses/{business}/requests?{who}{extra}"),
            )],
        )
            .into_response()
    };
    let Ok(id) = request.parse::<RequestId>() else {
        return back("&error=no+such+request");
    };
    // Deciding needs someone: the page always names who acts.
    let Some(user) = acting else {
        return back("&error=choose+who+you+are");
    };
    let outcome = decide(&state, id, Some(user), how).await;
    match outcome {
        Ok(_) => back(""),
        Err(OnboardingError::Store(e)) => failed(&e),
        Err(e) => back(&format!(
            "&{}",
            serde_urlencoded::to_string([("error", e.to_string())]).unwrap_or_default()
        )),
    }
}

/// `POST /_wamm/businesses/{business-id}/requests/{request-id}/accept`.
pub async fn accept_form(
    State(state): State<AppState>,
    Path((business, request)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    decide_form(state, business, request, body, Decision::Accept).await
}

/// `POST /_wamm/businesses/{business-id}/requests/{request-id}/reject`.
pub async fn reject_form(
    State(state): State<AppState>,
    Path((business, request)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    decide_form(state, business, request, body, Decision::Reject).await
}

/// The identity switcher: the business's people (admins first) and who acts, from `?as=`
/// when it names one of them, else the first admin.
pub fn switcher(
    business: &wamm_domain::Business,
    acting: Option<&str>,
) -> (Vec<PersonOption>, Option<UserId>) {
    let mut people = business.people.clone();
    people.sort_by_key(|p| p.role != BusinessRole::Admin);
    let acting = acting
        .and_then(|a| a.parse::<UserId>().ok())
        .filter(|a| people.iter().any(|p| p.id == *a))
        .or_else(|| people.first().map(|p| p.id));
    let options = people
        .iter()
        .map(|p| PersonOption {
            id: p.id.to_string(),
            label: format!(
                "{} <{}> ({})",
                p.name,
                p.email,
                if p.role == BusinessRole::Admin {
                    "full control"
                } else {
                    "partial access"
                }
            ),
            selected: Some(p.id) == acting,
        })
        .collect();
    (options, acting)
}

/// The business a console page is about, or the answer when there is none (404) or the store
/// failed.
pub(crate) async fn business_of(
    state: &AppState,
    id: &str,
    page: &str,
) -> Result<wamm_domain::Business, Response> {
    let not_found = || (StatusCode::NOT_FOUND, "no such business").into_response();
    let business_id = id.parse::<BusinessId>().map_err(|_| not_found())?;
    match state.store.business(business_id).await {
        Ok(Some(b)) => Ok(b),
        Ok(None) => Err(not_found()),
        Err(e) => Err(crate::console::page_failed(page, &e)),
    }
}
