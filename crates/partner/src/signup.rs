//! A new client through Embedded Signup: the partner's page hands over the code and the
//! session's WABA and number; the code is exchanged at once (it lives 30 seconds), the app is
//! subscribed to the WABA, the number registered (not a coexistence number: it stays on the
//! WhatsApp Business app), and the business enters the funnel with its token sealed.

use serde::{Deserialize, Serialize};

use crate::graph::PartnerGraph;
use crate::orchestrate::{OrchestrateError, token_row};
use crate::stage::WabaStatus;
use crate::store::{ClientBusiness, ClientWaba, PartnerStore, StoredToken};
use crate::vault::Vault;

/// What the partner's page learned from the popup.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finished {
    /// The code from `FB.login`'s response.
    pub code: String,
    /// `waba_id` of the `FINISH` session event.
    pub waba_id: String,
    /// `phone_number_id` of the `FINISH` session event, if a number was added.
    #[serde(default)]
    pub phone_number_id: Option<String>,
    /// The session finished as WhatsApp Business app onboarding (coexistence).
    #[serde(default)]
    pub coexistence: bool,
}

/// Completes a signup; returns the WABA as recorded.
pub async fn complete(
    graph: &dyn PartnerGraph,
    store: &dyn PartnerStore,
    vault: &Vault,
    finished: &Finished,
    pin: &str,
    now: i64,
) -> Result<ClientWaba, OrchestrateError> {
    // First, before anything else can make it late.
    let token = graph.exchange_code(&finished.code).await?;
    graph.subscribe(&token, &finished.waba_id).await?;
    if let (Some(phone), false) = (&finished.phone_number_id, finished.coexistence) {
        graph.register(&token, phone, pin).await?;
    }
    let remote = graph.waba(&token, &finished.waba_id).await?;
    let covered = graph.token_wabas(&token).await?;
    if !covered.contains(&finished.waba_id) {
        return Err(OrchestrateError::TokenDoesNotCover {
            business: remote.business_id,
            waba: finished.waba_id.clone(),
        });
    }
    store
        .put_business(&ClientBusiness {
            id: remote.business_id.clone(),
            name: remote.business_name.clone(),
            status: remote.business_status.clone(),
            request: None,
        })
        .await?;
    let signed = matches!(
        remote.status,
        WabaStatus::Onboarded | WabaStatus::PendingInternalSetup
    );
    let waba = ClientWaba {
        id: remote.id.clone(),
        business_id: remote.business_id.clone(),
        name: remote.name.clone(),
        status: Some(remote.status.clone()),
        terms_signed_at: signed.then_some(now),
        phone_number_id: remote
            .phone_number_id
            .clone()
            .or_else(|| finished.phone_number_id.clone()),
        first_sent_at: None,
        last_event: Some(("signed up through Embedded Signup".into(), now)),
    };
    store.put_waba(&waba).await?;
    let sealed = vault.seal(&token, &token_row(&remote.business_id))?;
    store
        .put_token(&StoredToken {
            business_id: remote.business_id,
            sealed,
            wabas: covered,
            fetched_at: now,
        })
        .await?;
    Ok(waba)
}
