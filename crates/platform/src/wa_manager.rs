//! WhatsApp Manager's Overview and Alerts for a business: its accounts with their MM API status,
//! and the "Accept terms to get started" card that self-onboards the portfolio.

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use wamm_domain::onboarding::{WabaOnboardingStatus, waba_status};
use wamm_wire::ids::{BusinessId, UserId};

use crate::requests_page::{PageQuery, PersonOption};
use crate::state::AppState;
use crate::usecase::onboard::{OnboardingError, self_onboard};

/// The page.
#[derive(Template)]
#[template(path = "wa_manager.html")]
pub struct WaManagerPage {
    business: String,
    business_id: String,
    people: Vec<PersonOption>,
    acting: String,
    signed_on: Option<String>,
    can_accept: bool,
    wabas: Vec<(String, String, String)>,
    coexistence_numbers: Vec<(String, String, String)>,
    message: Option<String>,
}

fn failed(e: &impl std::fmt::Display) -> Response {
    crate::console::page_failed("WhatsApp Manager", e)
}

/// `GET /_wamm/businesses/{business-id}/whatsapp-manager`.
pub async fn page(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<PageQuery>,
) -> Response {
    let business = match crate::requests_page::business_of(&state, &id, "WhatsApp Manager").await {
        Ok(b) => b,
        Err(response) => return response,
    };
    let business_id = business.id;
    let wabas = match state.store.wabas_owned_by(business_id).await {
        Ok(w) => w,
        Err(e) => return failed(&e),
    };
    let now = state.clock.now();
    let statuses: Vec<WabaOnboardingStatus> = wabas
        .iter()
        .map(|w| waba_status(w, &business, &state.config.countries, now))
        .collect();
    let mut coexistence_numbers = Vec::new();
    for w in &wabas {
        match state.store.phone_numbers_of(w.id).await {
            Ok(numbers) => coexistence_numbers.extend(
                numbers
                    .into_iter()
                    .filter(|n| n.coexistence && n.registered)
                    .map(|n| (n.id.to_string(), n.display_phone_number, w.name.clone())),
            ),
            Err(e) => return failed(&e),
        }
    }
    let (people, acting) = crate::requests_page::switcher(&business, q.acting.as_deref());
    let page = WaManagerPage {
        business: business.name.clone(),
        business_id: business.id.to_string(),
        people,
        acting: acting.map(|a| a.to_string()).unwrap_or_default(),
        signed_on: business.mm_terms.map(|t| t.at.date()),
        can_accept: statuses.contains(&WabaOnboardingStatus::Eligible),
        wabas: wabas
            .iter()
            .zip(&statuses)
            .map(|(w, s)| (w.id.to_string(), w.name.clone(), s.as_str().to_owned()))
            .collect(),
        coexistence_numbers,
        message: q.error,
    };
    match page.render() {
        Ok(html) => Html(html).into_response(),
        Err(e) => failed(&e),
    }
}

/// `POST /_wamm/businesses/{business-id}/whatsapp-manager/accept-terms`.
pub async fn accept_terms(
    State(state): State<AppState>,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    let acting = pairs
        .iter()
        .find(|(k, _)| k == "as")
        .and_then(|(_, v)| v.parse::<UserId>().ok());
    let back = |extra: String| {
        let who = acting.map(|a| format!("as={a}")).unwrap_or_default();
        (
            StatusCode::SEE_OTHER,
            [(
                header::LOCATION,
                format!("/_wamm/businesses/{id}/whatsapp-manager?{who}{extra}"),
            )],
        )
            .into_response()
    };
    let (Ok(business), Some(user)) = (id.parse::<BusinessId>(), acting) else {
        return back("&error=choose+who+you+are".to_owned());
    };
    match self_onboard(&state, business, user).await {
        Ok(()) => back(String::new()),
        Err(OnboardingError::Store(e)) => failed(&e),
        Err(e) => back(format!(
            "&{}",
            serde_urlencoded::to_string([("error", e.to_string())]).unwrap_or_default()
        )),
    }
}

/// `POST /_wamm/businesses/{business-id}/whatsapp-manager/disconnect` (`phone`): the business
/// disconnects its WhatsApp Business app number from the Business Platform, as the app's
/// Settings › Account › Business Platform › Disconnect does.
pub async fn disconnect(
    State(state): State<AppState>,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    let field = |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    let who = field("as").map(|a| format!("as={a}")).unwrap_or_default();
    let back = |extra: String| {
        (
            StatusCode::SEE_OTHER,
            [(
                header::LOCATION,
                format!("/_wamm/businesses/{id}/whatsapp-manager?{who}{extra}"),
            )],
        )
            .into_response()
    };
    let Some(phone) = field("phone").and_then(|p| p.parse::<wamm_wire::ids::PhoneNumberId>().ok())
    else {
        return back("&error=choose+a+number".to_owned());
    };
    // The number must belong to this business.
    let owned = match (
        state.store.phone_number(phone).await,
        id.parse::<BusinessId>(),
    ) {
        (Ok(Some(n)), Ok(business)) => match state.store.waba(n.waba_id).await {
            Ok(w) => w.is_some_and(|w| w.owner_business_id == business),
            Err(e) => return failed(&e),
        },
        (Err(e), _) => return failed(&e),
        _ => false,
    };
    if !owned {
        return back("&error=no+such+number+in+this+business".to_owned());
    }
    match crate::usecase::offboard::disconnect(
        &state,
        phone,
        crate::usecase::offboard::DisconnectReason::AccountDisconnected,
    )
    .await
    {
        Ok(_) => back(String::new()),
        Err(crate::usecase::offboard::OffboardError::Store(e)) => failed(&e),
        Err(e) => back(format!(
            "&{}",
            serde_urlencoded::to_string([("error", e.to_string())]).unwrap_or_default()
        )),
    }
}
