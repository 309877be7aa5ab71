//! The orchestrator's moves: sync what Graph says, ask eligible clients to onboard, and take
//! the business token when a client signs. Each move reads and writes the store, so a crash or
//! a re-run picks up where the last one stopped and never asks a client twice.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::Serialize;
use tokio::sync::Semaphore;

use crate::graph::{GraphFailure, IntentOutcome, PartnerGraph};
use crate::stage::{BusinessStatus, Request, WabaStatus};
use crate::store::{ClientBusiness, ClientWaba, PartnerStore, StoreError, StoredToken};
use crate::vault::{Vault, VaultError};

/// What can stop a move.
#[derive(Debug, thiserror::Error)]
pub enum OrchestrateError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Graph failed.
    #[error(transparent)]
    Graph(#[from] GraphFailure),
    /// Sealing or opening a token failed.
    #[error(transparent)]
    Vault(#[from] VaultError),
    /// The token Graph gave does not cover the WABA that was signed.
    #[error("the business token of {business} does not cover WABA {waba}")]
    TokenDoesNotCover {
        /// The business.
        business: String,
        /// The WABA.
        waba: String,
    },
    /// A move running beside others stopped before it finished (it panicked or was
    /// cancelled).
    #[error("a move stopped before it finished: {0}")]
    Stopped(String),
}

/// What a sync saw.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize)]
pub struct SyncSummary {
    /// Client businesses seen.
    pub businesses: usize,
    /// Client WABAs seen.
    pub wabas: usize,
    /// WABAs whose status changed since the last sync (or that are new).
    pub changed: usize,
}

/// Reads every client WABA from Graph and records it, keeping what only the partner knows
/// (when terms were signed, first sends). A status change becomes the WABA's last event.
pub async fn sync(
    graph: &dyn PartnerGraph,
    store: &dyn PartnerStore,
    now: i64,
) -> Result<SyncSummary, OrchestrateError> {
    let remote = graph.client_wabas().await?;
    let mut summary = SyncSummary::default();
    let mut businesses: BTreeMap<String, ClientBusiness> = BTreeMap::new();
    for w in &remote {
        businesses
            .entry(w.business_id.clone())
            .or_insert_with(|| ClientBusiness {
                id: w.business_id.clone(),
                name: w.business_name.clone(),
                status: w.business_status.clone(),
                request: None,
            });
    }
    for business in businesses.values() {
        store.put_business(business).await?;
    }
    summary.businesses = businesses.len();
    for w in remote {
        let known = store.waba(&w.id).await?;
        let before = known.as_ref().and_then(|k| k.status.clone());
        let mut waba = known.unwrap_or_else(|| ClientWaba {
            id: w.id.clone(),
            business_id: w.business_id.clone(),
            name: w.name.clone(),
            status: None,
            terms_signed_at: None,
            phone_number_id: None,
            first_sent_at: None,
            last_event: None,
        });
        if before.as_ref() != Some(&w.status) {
            summary.changed += 1;
            waba.last_event = Some((
                match &before {
                    Some(old) => format!("status {} → {}", old.as_str(), w.status.as_str()),
                    None => format!("synced: {}", w.status.as_str()),
                },
                now,
            ));
        }
        waba.business_id = w.business_id;
        waba.name = w.name;
        waba.status = Some(w.status);
        waba.phone_number_id = w.phone_number_id;
        store.put_waba(&waba).await?;
        summary.wabas += 1;
    }
    Ok(summary)
}

/// What one business's onboarding request came to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Asked {
    /// Graph made (or returned) a request.
    Requested {
        /// The business.
        business: String,
        /// The `request_id`.
        request_id: String,
    },
    /// Graph said the client was already invited (1752041); recorded as asked.
    AlreadyRequested {
        /// The business.
        business: String,
    },
    /// Graph refused; nothing recorded, a later run may try again.
    Failed {
        /// The business.
        business: String,
        /// Why.
        error: String,
    },
}

/// A run of `onboard`.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize)]
pub struct OnboardSummary {
    /// Each business asked in this run, in order of completion.
    pub asked: Vec<Asked>,
    /// Businesses skipped because a request was already recorded.
    pub already_asked: usize,
    /// Businesses with nothing eligible to ask for (or already signed).
    pub not_eligible: usize,
}

/// The code Graph uses for a client already invited.
const DUPLICATE_REQUEST: i64 = 1_752_041;

/// Whether a WABA's status lets its owner be asked: eligible (any pending-payment case too),
/// or OBO (the Intent API sets a migration intent on it).
fn askable(status: Option<&WabaStatus>) -> bool {
    matches!(
        status,
        Some(
            WabaStatus::Eligible
                | WabaStatus::PendingValidPaymentMethod
                | WabaStatus::IneligibleOnBehalfOfWaba
        )
    )
}

/// The businesses `onboard` would ask: among `only` (or all when empty), those with an
/// askable WABA, not signed and not asked before.
pub async fn candidates(
    store: &dyn PartnerStore,
    only: &[String],
) -> Result<(Vec<String>, usize, usize), OrchestrateError> {
    let wabas = store.wabas().await?;
    let mut to_ask = Vec::new();
    let (mut already, mut not_eligible) = (0, 0);
    for business in store.businesses().await? {
        if !only.is_empty() && !only.contains(&business.id) {
            continue;
        }
        if business.request.is_some() {
            already += 1;
            continue;
        }
        let signed = business.status == Some(BusinessStatus::TermOfServiceSigned);
        let any = wabas
            .iter()
            .any(|w| w.business_id == business.id && askable(w.status.as_ref()));
        if signed || !any {
            not_eligible += 1;
        } else {
            to_ask.push(business.id);
        }
    }
    Ok((to_ask, already, not_eligible))
}

/// Asks every candidate business (see [`candidates`]) to onboard, at most `concurrency` calls
/// at once, calling `progress` after each answer. A re-run asks nobody twice: requests are
/// recorded as they are answered, and 1752041 counts as asked.
pub async fn onboard(
    graph: Arc<dyn PartnerGraph>,
    store: Arc<dyn PartnerStore>,
    only: &[String],
    concurrency: usize,
    now: i64,
    progress: &(dyn Fn(usize, usize) + Send + Sync),
) -> Result<OnboardSummary, OrchestrateError> {
    let (to_ask, already_asked, not_eligible) = candidates(&*store, only).await?;
    let total = to_ask.len();
    let gate = Arc::new(Semaphore::new(concurrency.max(1)));
    let mut tasks = tokio::task::JoinSet::new();
    for business in to_ask {
        let (graph, store, gate) = (Arc::clone(&graph), Arc::clone(&store), Arc::clone(&gate));
        tasks.spawn(async move {
            let Ok(_permit) = gate.acquire_owned().await else {
                return Ok(Asked::Failed {
                    business,
                    error: "stopped".into(),
                });
            };
            ask(&*graph, &*store, business, now).await
        });
    }
    let mut summary = OnboardSummary {
        asked: Vec::with_capacity(total),
        already_asked,
        not_eligible,
    };
    while let Some(joined) = tasks.join_next().await {
        let asked = match joined {
            Ok(asked) => asked?,
            Err(e) => Asked::Failed {
                business: String::new(),
                error: format!("task failed: {e}"),
            },
        };
        summary.asked.push(asked);
        progress(summary.asked.len(), total);
    }
    Ok(summary)
}

/// Asks one business and records the answer.
async fn ask(
    graph: &dyn PartnerGraph,
    store: &dyn PartnerStore,
    business: String,
    now: i64,
) -> Result<Asked, OrchestrateError> {
    let outcome = match graph.request_onboarding(&business).await {
        Ok(outcome) => outcome,
        Err(e) if e.code == DUPLICATE_REQUEST => IntentOutcome::AlreadyRequested,
        Err(e) => {
            return Ok(Asked::Failed {
                business,
                error: e.to_string(),
            });
        }
    };
    let (request_id, asked) = match outcome {
        IntentOutcome::Requested { request_id } => (
            Some(request_id.clone()),
            Asked::Requested {
                business: business.clone(),
                request_id,
            },
        ),
        IntentOutcome::AlreadyRequested => (
            None,
            Asked::AlreadyRequested {
                business: business.clone(),
            },
        ),
    };
    store
        .record_request(
            &business,
            &Request {
                request_id,
                at: now,
            },
        )
        .await?;
    Ok(asked)
}

/// A signed `waba` without its token: records the signing, fetches the owner's business token
/// (`fetch_only`), checks with `debug_token` that it covers the WABA, and stores it sealed.
pub async fn terms_signed(
    graph: &dyn PartnerGraph,
    store: &dyn PartnerStore,
    vault: &Vault,
    waba_id: &str,
    now: i64,
) -> Result<(), OrchestrateError> {
    take_token(graph, store, vault, waba_id, false, now).await
}

/// `MM_LITE_TERMS_SIGNED` for `waba`: Meta signals the end of its setup with it (per WABA, once
/// the ad account is linked), so the WABA is recorded `ONBOARDED` before the next sync reads it
/// so; then as [`terms_signed`].
pub(crate) async fn setup_completed(
    graph: &dyn PartnerGraph,
    store: &dyn PartnerStore,
    vault: &Vault,
    waba_id: &str,
    now: i64,
) -> Result<(), OrchestrateError> {
    take_token(graph, store, vault, waba_id, true, now).await
}

async fn take_token(
    graph: &dyn PartnerGraph,
    store: &dyn PartnerStore,
    vault: &Vault,
    waba_id: &str,
    onboarded: bool,
    now: i64,
) -> Result<(), OrchestrateError> {
    let Some(mut waba) = store.waba(waba_id).await? else {
        // Not synced yet: the next sync finds it ONBOARDED (or pending setup).
        return Ok(());
    };
    if onboarded {
        waba.status = Some(WabaStatus::Onboarded);
    }
    if waba.terms_signed_at.is_none() {
        waba.terms_signed_at = Some(now);
    }
    waba.last_event = Some(("MM_LITE_TERMS_SIGNED".into(), now));
    store.put_waba(&waba).await?;
    let token = graph.business_token(&waba.business_id).await?;
    let covered = graph.token_wabas(&token).await?;
    if !covered.iter().any(|w| w == waba_id) {
        return Err(OrchestrateError::TokenDoesNotCover {
            business: waba.business_id,
            waba: waba_id.to_owned(),
        });
    }
    let sealed = vault.seal(&token, &token_row(&waba.business_id))?;
    store
        .put_token(&StoredToken {
            business_id: waba.business_id,
            sealed,
            wabas: covered,
            fetched_at: now,
        })
        .await?;
    Ok(())
}

/// Takes the business token for every signed WABA whose business holds none that covers it:
/// clients who signed before the orchestrator ran, or whose webhook failed for good. Returns
/// how many WABAs got one; a failure for one business does not stop the others.
pub async fn fetch_missing_tokens(
    graph: &dyn PartnerGraph,
    store: &dyn PartnerStore,
    vault: &Vault,
    now: i64,
) -> Result<usize, OrchestrateError> {
    let tokens = store.tokens().await?;
    let statuses: std::collections::HashMap<String, Option<BusinessStatus>> = store
        .businesses()
        .await?
        .into_iter()
        .map(|b| (b.id, b.status))
        .collect();
    let mut fetched = 0;
    for waba in store.wabas().await? {
        let signed = crate::stage::signed(
            waba.terms_signed_at,
            waba.status.as_ref(),
            statuses.get(&waba.business_id).and_then(Option::as_ref),
        );
        let covered = tokens
            .iter()
            .any(|t| t.business_id == waba.business_id && t.wabas.contains(&waba.id));
        if !signed || covered {
            continue;
        }
        match terms_signed(graph, store, vault, &waba.id, now).await {
            Ok(()) => fetched += 1,
            Err(e) => {
                tracing::warn!(waba = %waba.id, error = %e, "could not take the business token");
            }
        }
    }
    Ok(fetched)
}

/// What a business's sealed token is bound to.
pub fn token_row(business: &str) -> String {
    format!("business-token:{business}")
}
