//! Sending for the partner's own customers: a MARKETING template goes through MM API when its
//! WABA is onboarded, otherwise (and for every other category) through Cloud API; the message
//! is recorded with its route, and its statuses follow from webhooks.
//!
//! A send acts with the client's business token when one is stored for the WABA, and with
//! the partner's own system user token otherwise: a Solution Partner sends for clients that
//! shared their WABA long before they sign anything.

use serde::{Deserialize, Serialize};

use crate::graph::{Endpoint, PartnerGraph};
use crate::orchestrate::{OrchestrateError, token_row};
use crate::stage::WabaStatus;
use crate::store::{PartnerStore, SentMessage};
use crate::vault::Vault;

/// What a customer asks to send.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SendOrder {
    /// The client WABA to send from.
    pub waba_id: String,
    /// The recipient.
    pub to: String,
    /// The template's name.
    pub template: String,
    /// The template's language, e.g. `en_US`.
    pub language: String,
    /// The body's parameters, in order (text).
    #[serde(default)]
    pub body: Vec<String>,
}

/// Why a send was not made.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// The WABA is not one of the partner's clients' (not synced).
    #[error("WABA {0} is not a known client WABA")]
    UnknownWaba(String),
    /// The WABA has no registered number.
    #[error("WABA {0} has no registered phone number to send from")]
    NoNumber(String),
    /// Graph, the store or the vault failed.
    #[error(transparent)]
    Orchestrate(#[from] OrchestrateError),
}

/// The endpoint for a template of `category` from a WABA in `status`: MM API only for
/// MARKETING templates of an onboarded WABA.
pub fn route(category: Option<&str>, status: Option<&WabaStatus>) -> Endpoint {
    if category == Some("MARKETING") && status == Some(&WabaStatus::Onboarded) {
        Endpoint::MarketingMessages
    } else {
        Endpoint::Messages
    }
}

/// Sends `order` and records the message; returns it as recorded.
pub async fn send(
    graph: &dyn PartnerGraph,
    store: &dyn PartnerStore,
    vault: &Vault,
    order: &SendOrder,
    now: i64,
) -> Result<SentMessage, SendError> {
    let mut waba = store
        .waba(&order.waba_id)
        .await
        .map_err(OrchestrateError::from)?
        .ok_or_else(|| SendError::UnknownWaba(order.waba_id.clone()))?;
    let phone = waba
        .phone_number_id
        .clone()
        .ok_or_else(|| SendError::NoNumber(order.waba_id.clone()))?;
    let token = match store
        .token(&waba.business_id)
        .await
        .map_err(OrchestrateError::from)?
        .filter(|t| t.wabas.contains(&waba.id))
    {
        Some(sealed) => Some(
            vault
                .open(&sealed.sealed, &token_row(&waba.business_id))
                .map_err(OrchestrateError::from)?,
        ),
        None => None,
    };
    // The map is kept current by `template_category_update`; a template never seen is asked
    // of Graph once and remembered.
    let category = match store
        .category(&waba.id, &order.template, &order.language)
        .await
        .map_err(OrchestrateError::from)?
    {
        Some(known) => Some(known),
        None => {
            let fetched = graph
                .template_category(token.as_ref(), &waba.id, &order.template, &order.language)
                .await
                .map_err(OrchestrateError::from)?;
            if let Some(c) = &fetched {
                store
                    .set_category(&waba.id, &order.template, &order.language, c)
                    .await
                    .map_err(OrchestrateError::from)?;
            }
            fetched
        }
    };
    let endpoint = route(category.as_deref(), waba.status.as_ref());
    let id = graph
        .send_template(token.as_ref(), endpoint, &phone, order)
        .await
        .map_err(OrchestrateError::from)?;
    let message = SentMessage {
        id,
        waba_id: waba.id.clone(),
        phone_number_id: phone,
        route: endpoint.as_str().to_owned(),
        template: Some(order.template.clone()),
        status: "accepted".into(),
        at: now,
    };
    store
        .record_message(&message)
        .await
        .map_err(OrchestrateError::from)?;
    tracing::info!(id = %message.id, route = %message.route, waba = %message.waba_id, "sent");
    if waba.first_sent_at.is_none() {
        waba.first_sent_at = Some(now);
        waba.last_event = Some((format!("first message via {}", endpoint.as_str()), now));
        store
            .put_waba(&waba)
            .await
            .map_err(OrchestrateError::from)?;
    }
    Ok(message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_marketing_from_an_onboarded_waba_takes_mm_api() {
        let onboarded = Some(&WabaStatus::Onboarded);
        assert_eq!(
            route(Some("MARKETING"), onboarded),
            Endpoint::MarketingMessages
        );
        assert_eq!(route(Some("UTILITY"), onboarded), Endpoint::Messages);
        assert_eq!(route(None, onboarded), Endpoint::Messages);
        assert_eq!(
            route(Some("MARKETING"), Some(&WabaStatus::PendingInternalSetup)),
            Endpoint::Messages
        );
        assert_eq!(route(Some("MARKETING"), None), Endpoint::Messages);
    }
}
