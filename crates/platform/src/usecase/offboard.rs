//! Coexistence offboarding: a business disconnects its WhatsApp Business app number from the
//! Business Platform (in the app: Settings › Account › Business Platform › Disconnect), or
//! WhatsApp disconnects it (inactivity, a number change).
//!
//! Meta's rule: coexistence offboarding automatically offboards the WABA from MM API, and its
//! linked ad account is disabled and unlinked, so conversion tracking stops. The partner hears
//! `account_update` `PARTNER_REMOVED` with the phone number when the business disconnected,
//! `ACCOUNT_OFFBOARDED` with `disconnection_info` when the system did. All of it, and the
//! webhooks, commit together.

use serde_json::{Value, json};
use wamm_domain::NewEvent;
use wamm_store::{ChangeSet, Put, StoreError};
use wamm_wire::ids::PhoneNumberId;
use wamm_wire::json::enum_text;
use wamm_wire::webhooks as wire;

use crate::context::Platform;
use crate::webhooks::fanout;

/// Why the number was disconnected (`disconnection_info.reason`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum DisconnectReason {
    /// The business disconnected in the app (the default).
    AccountDisconnected,
    /// The business downgraded to the consumer app.
    BusinessDowngrade,
    /// The number changed.
    ChangeNumber,
    /// The companion device was inactive for about 30 days.
    CompanionInactivity,
    /// The primary device was inactive for about 14 days.
    PrimaryInactivity,
    /// The number was registered again elsewhere.
    UserReRegistered,
}

impl DisconnectReason {
    /// Whether the business itself did it (`initiated_by: USER`) rather than WhatsApp.
    const fn by_user(self) -> bool {
        matches!(
            self,
            Self::AccountDisconnected
                | Self::BusinessDowngrade
                | Self::ChangeNumber
                | Self::UserReRegistered
        )
    }
}

/// Why offboarding did not happen.
#[derive(Debug, thiserror::Error)]
pub enum OffboardError {
    /// No such phone number.
    #[error("no phone number {0}")]
    NotFound(PhoneNumberId),
    /// The number is not a connected WhatsApp Business app number.
    #[error("phone number {0} is not a connected WhatsApp Business app (coexistence) number")]
    NotCoexistence(PhoneNumberId),
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What offboarding did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Offboarded {
    /// The WABA offboarded from MM API.
    pub waba_id: String,
    /// The ad account disabled and unlinked, if one was linked.
    pub ad_account_unlinked: Option<String>,
    /// The `account_update` event sent.
    pub event: &'static str,
    /// Deliveries enqueued.
    pub webhooks: usize,
}

/// Disconnects coexistence number `phone` for `reason`.
pub async fn disconnect(
    state: &Platform,
    phone: PhoneNumberId,
    reason: DisconnectReason,
) -> Result<Offboarded, OffboardError> {
    let mut number = state
        .store
        .phone_number(phone)
        .await?
        .ok_or(OffboardError::NotFound(phone))?;
    if !number.coexistence || !number.registered {
        return Err(OffboardError::NotCoexistence(phone));
    }
    let mut waba = state
        .store
        .waba(number.waba_id)
        .await?
        .ok_or(OffboardError::NotFound(phone))?;
    let now = state.clock.now();
    number.registered = false;
    let unlinked = wamm_domain::onboarding::offboard(&mut waba, now);
    let mut changes = ChangeSet::new();
    // The ad account is gone: templates lose their ad chains, tokens their ad account scope.
    for mut template in state.store.templates_of(waba.id).await? {
        if template.ad.take().is_some() {
            changes = changes.put(Put::Template(template));
        }
    }
    if let Some(ad) = &unlinked {
        for app in state.store.apps().await? {
            for mut token in state.store.tokens_of_app(app.id).await? {
                if token.target_ad_accounts.contains(ad) {
                    token.target_ad_accounts.retain(|a| a != ad);
                    changes = changes.put(Put::Token(token));
                }
            }
        }
    }
    let phone_digits = wamm_domain::phone_digits(&number.display_phone_number);
    let event = if reason == DisconnectReason::AccountDisconnected {
        "PARTNER_REMOVED"
    } else {
        "ACCOUNT_OFFBOARDED"
    };
    let update = wire::AccountUpdate {
        phone_number: Some(phone_digits),
        // Meta names the reason only when the number left for something other than a
        // plain disconnection.
        disconnection_info: (event == "ACCOUNT_OFFBOARDED").then(|| wire::DisconnectionInfo {
            reason: Some(wire::DisconnectionReason::from_wire(&enum_text(reason))),
            initiated_by: Some(if reason.by_user() {
                wire::InitiatedBy::User
            } else {
                wire::InitiatedBy::System
            }),
        }),
        ..wire::AccountUpdate::new(wire::AccountEvent::from_wire(event))
    };
    let value: Value = wire::to_value(&update);
    let hooks = fanout::for_waba(state, waba.id, "account_update", &value, now).await?;
    let offboarded = Offboarded {
        waba_id: waba.id.to_string(),
        ad_account_unlinked: unlinked.clone(),
        event,
        webhooks: hooks.len(),
    };
    let changes = changes
        .webhooks(hooks)
        .event(NewEvent {
            at: now,
            kind: "waba.mm_offboarded".into(),
            subject: format!("waba:{}", waba.id),
            detail: json!({
                "phone_number_id": phone.to_string(),
                "reason": reason,
                "ad_account_unlinked": unlinked,
            }),
        })
        .put(Put::PhoneNumber(number))
        .put(Put::Waba(waba));
    state.commit(changes).await?;
    Ok(offboarded)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn who_initiated() {
        assert!(DisconnectReason::AccountDisconnected.by_user());
        assert!(!DisconnectReason::CompanionInactivity.by_user());
        assert!(!DisconnectReason::PrimaryInactivity.by_user());
    }
}
