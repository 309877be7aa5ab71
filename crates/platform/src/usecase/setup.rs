//! Meta's internal MM API setup of a WABA, from the signed terms to `ONBOARDED`.
//!
//! Setup *starts* when a portfolio's terms are signed (for each of its onboardable WABAs) or
//! when a WABA joins a portfolio whose terms are already signed: Meta links a read-only ad
//! account and mirrors each marketing template onto an ad. It *completes* `--timing` later on
//! the platform clock; only then is the `account_update` `MM_LITE_TERMS_SIGNED` webhook
//! enqueued, to the apps subscribed to the WABA *at that moment*, since a partner that onboarded
//! a business through Embedded Signup subscribes to the new WABA only after the flow.
//!
//! Completion is claimed by a store guard, so replicas sharing a database send each WABA's
//! webhook once, and the claim commits together with the webhooks it enqueues.

use serde_json::json;
use wamm_domain::onboarding::{WabaOnboardingStatus, waba_status};
use wamm_domain::{Business, NewEvent, Template, Timestamp, Waba};
use wamm_store::{ChangeSet, Conflict, Guard, Put, StoreError};
use wamm_wire::ids::WabaId;
use wamm_wire::webhooks as wire;
use wamm_world::Mint;

use crate::context::Platform;
use crate::mint::Block;
use crate::webhooks::fanout;

/// Whether `waba` (of `owner`) waits for a setup that has not started: its owner signed, it is
/// eligible, and no setup is scheduled or done.
pub fn needs_setup(state: &Platform, waba: &Waba, owner: &Business, now: Timestamp) -> bool {
    waba.mm_setup_complete_at.is_none()
        && !waba.mm_setup_webhook_pending
        && matches!(
            waba_status(waba, owner, &state.config.countries, now),
            WabaOnboardingStatus::PendingInternalSetup
                | WabaOnboardingStatus::PendingValidPaymentMethod
        )
}

/// Starts setup of `waba` at `now`: the completion time, the owed webhook, the linked ad
/// account, and an ad chain for each of `templates` (the WABA's) that lacks one. Returns the
/// template writes; the caller puts the WABA.
pub fn start(
    state: &Platform,
    waba: &mut Waba,
    templates: &[Template],
    pixels: &[wamm_domain::capi::Pixel],
    now: Timestamp,
    block: &mut Block,
) -> Vec<Put> {
    waba.mm_setup_complete_at = Some(now.plus_seconds(state.config.timing.mm_setup_seconds()));
    waba.mm_setup_webhook_pending = true;
    waba.mm_offboarded_at = None;
    let ad_account = waba
        .ad_account_id
        .get_or_insert_with(|| block.next_id().to_string())
        .clone();
    templates
        .iter()
        .filter(|t| t.waba_id == waba.id && t.ad.is_none())
        .filter_map(|t| {
            let ad = wamm_domain::template::ad_chain(t, &ad_account, pixels, || block.next_id())?;
            let mut template = t.clone();
            template.ad = Some(ad);
            Some(Put::Template(template))
        })
        .collect()
}

/// IDs [`start`] may take for a WABA with `templates` templates: an ad account and three ad
/// entities per template.
const fn ids_needed(templates: usize) -> usize {
    1 + 3 * templates
}

/// Starts setup for every WABA of `business` (terms signed) that waits for it, but `except`
/// (one the caller writes itself), returning the writes and events; an empty set when none
/// does.
pub async fn start_for_business(
    state: &Platform,
    business: &Business,
    now: Timestamp,
    except: Option<WabaId>,
) -> Result<ChangeSet, StoreError> {
    let mut changes = ChangeSet::new();
    for waba in state.store.wabas_owned_by(business.id).await? {
        if Some(waba.id) == except {
            continue;
        }
        changes = changes
            .merge(start_for_waba(state, waba, business, now, "the terms were signed").await?);
    }
    Ok(changes)
}

/// The event log entry of a setup [`start`]ed at `now`, saying why.
pub fn started(waba: &Waba, now: Timestamp, reason: &str) -> NewEvent {
    NewEvent {
        at: now,
        kind: "waba.mm_setup_started".into(),
        subject: format!("waba:{}", waba.id),
        detail: json!({
            "completes_at": waba.mm_setup_complete_at.map(Timestamp::rfc3339),
            "ad_account_id": waba.ad_account_id,
            "reason": reason,
        }),
    }
}

/// Starts setup for `waba` when it waits for it (its owner `business` signed the terms),
/// logging `reason`; otherwise returns no changes.
pub async fn start_for_waba(
    state: &Platform,
    mut waba: Waba,
    business: &Business,
    now: Timestamp,
    reason: &str,
) -> Result<ChangeSet, StoreError> {
    if !needs_setup(state, &waba, business, now) {
        return Ok(ChangeSet::new());
    }
    let templates = state.store.templates_of(waba.id).await?;
    let mut block = state.minter.block(ids_needed(templates.len())).await?;
    let pixels = state.store.pixels_owned_by(waba.owner_business_id).await?;
    let puts = start(state, &mut waba, &templates, &pixels, now, &mut block);
    let mut changes = ChangeSet::new().event(started(&waba, now, reason));
    for put in puts {
        changes = changes.put(put);
    }
    Ok(changes.put(Put::Waba(waba)))
}

/// Writes a new or changed `waba` of `business`, starting its setup when it now waits for
/// one (a WABA joining, or reconnected to, a portfolio whose terms are signed).
pub async fn put_waba(
    state: &Platform,
    waba: Waba,
    business: &Business,
    now: Timestamp,
    reason: &str,
) -> Result<ChangeSet, StoreError> {
    let setup = start_for_waba(state, waba.clone(), business, now, reason).await?;
    Ok(if setup.puts.is_empty() {
        ChangeSet::new().put(Put::Waba(waba))
    } else {
        setup
    })
}

/// The `account_update` values a completed setup sends for `waba`.
fn completion_values(state: &Platform, waba: &Waba) -> Vec<serde_json::Value> {
    let update = |event: wire::AccountEvent, ad_account_id: Option<&String>| {
        wire::to_value(&wire::AccountUpdate {
            waba_info: Some(wire::WabaInfo {
                waba_id: Some(waba.id.to_string()),
                owner_business_id: Some(waba.owner_business_id.to_string()),
                ad_account_id: ad_account_id.cloned(),
                ..wire::WabaInfo::default()
            }),
            ..wire::AccountUpdate::new(event)
        })
    };
    let mut values = vec![update(wire::AccountEvent::MmLiteTermsSigned, None)];
    if state.config.ad_account_linked_webhook
        && let Some(ad) = &waba.ad_account_id
    {
        values.push(update(wire::AccountEvent::AdAccountLinked, Some(ad)));
    }
    values
}

/// Setups one commit completes together.
const SETUPS_PER_COMMIT: usize = 256;

/// Completes every setup due by now: enqueues each WABA's webhooks and clears what it owed.
/// A WABA still waiting for a payment method stays owed; one that became ineligible owes
/// nothing more. Returns how many WABAs completed.
///
/// Setups are committed many at a time, each claimed by its own guard; when another replica
/// completed one of them first, that commit's setups go again one by one.
pub async fn complete_due(state: &Platform) -> Result<usize, StoreError> {
    let now = state.clock.now();
    let mut completed = 0;
    let mut setups = Vec::new();
    for mut waba in state.store.setups_due(now).await? {
        let Some(owner) = state.store.business(waba.owner_business_id).await? else {
            continue;
        };
        let status = waba_status(&waba, &owner, &state.config.countries, now);
        if status == WabaOnboardingStatus::PendingValidPaymentMethod {
            continue;
        }
        waba.mm_setup_webhook_pending = false;
        let mut changes = ChangeSet::new().guard(Guard::WabaSetupPending(waba.id));
        if status == WabaOnboardingStatus::Onboarded {
            let targets = fanout::targets(state, waba.id, "account_update").await?;
            for value in completion_values(state, &waba) {
                changes = changes.webhooks(fanout::deliveries(
                    &targets,
                    waba.id,
                    "account_update",
                    &value,
                    now,
                ));
            }
            changes = changes.event(NewEvent {
                at: now,
                kind: "waba.mm_onboarded".into(),
                subject: format!("waba:{}", waba.id),
                detail: json!({ "webhooks": targets.len(), "ad_account_id": waba.ad_account_id }),
            });
            completed += 1;
        } else {
            changes = changes.event(NewEvent {
                at: now,
                kind: "waba.mm_setup_abandoned".into(),
                subject: format!("waba:{}", waba.id),
                detail: json!({ "status": status.as_str() }),
            });
        }
        setups.push(changes.put(Put::Waba(waba)));
    }
    while !setups.is_empty() {
        let rest = setups.split_off(setups.len().min(SETUPS_PER_COMMIT));
        let chunk = std::mem::replace(&mut setups, rest);
        let together = chunk
            .iter()
            .cloned()
            .fold(ChangeSet::new(), ChangeSet::merge);
        match state.commit(together).await {
            Ok(_) => {}
            Err(StoreError::Conflict(Conflict::WabaSetupClaimed)) => {
                for changes in chunk {
                    match state.commit(changes).await {
                        // Done, or another replica completed it first.
                        Ok(_) | Err(StoreError::Conflict(Conflict::WabaSetupClaimed)) => {}
                        Err(e) => return Err(e),
                    }
                }
            }
            Err(e) => return Err(e),
        }
    }
    Ok(completed)
}
