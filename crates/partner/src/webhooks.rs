//! What the orchestrator does with each webhook: a signed WABA is marked onboarded and its
//! business token taken, message statuses move forward, completed category changes update the
//! template map, and every account event becomes its WABA's last event.

use std::collections::HashMap;
use std::sync::Arc;

use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use wamm_client::receiver::events::{AccountEvent, AccountUpdate};
use wamm_client::receiver::{Event, Notification};

use crate::graph::PartnerGraph;
use crate::orchestrate::{self, OrchestrateError};
use crate::store::PartnerStore;
use crate::vault::Vault;

/// How many WABAs' events of one delivery are handled at once.
const PARALLEL_WABAS: usize = 16;

/// Everything a webhook may need.
#[derive(Clone)]
pub struct Moves {
    /// Graph, for the business token.
    pub graph: Arc<dyn PartnerGraph>,
    /// The orchestrator's store.
    pub store: Arc<dyn PartnerStore>,
    /// Seals tokens.
    pub vault: Arc<Vault>,
    /// The current time in Unix seconds.
    pub now: fn() -> i64,
}

impl std::fmt::Debug for Moves {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Moves").finish_non_exhaustive()
    }
}

/// Handles every event of a (verified) notification. An error leaves the notification to be
/// delivered again: each move is safe to repeat.
pub async fn handle(moves: &Moves, notification: &Notification) -> Result<(), OrchestrateError> {
    let now = (moves.now)();
    // A delivery carries up to a thousand entries. One WABA's events keep their order; different
    // WABAs' are independent (each move touches its own rows), so they run side by side: a
    // batch of terms signings is a batch of token fetches, each waiting on Graph.
    let mut groups: HashMap<&str, Vec<(String, Event)>> = HashMap::new();
    for (entry, event) in notification.events() {
        let waba = match event {
            Event::AccountUpdate(update) => update.waba_id().unwrap_or(entry),
            _ => entry,
        };
        groups
            .entry(waba)
            .or_default()
            .push((entry.to_owned(), event.clone()));
    }
    let gate = Arc::new(Semaphore::new(PARALLEL_WABAS));
    let mut tasks = JoinSet::new();
    for events in groups.into_values() {
        let (moves, gate) = (moves.clone(), Arc::clone(&gate));
        tasks.spawn(async move {
            let _permit = gate
                .acquire_owned()
                .await
                .map_err(|e| OrchestrateError::Stopped(e.to_string()))?;
            for (entry, event) in &events {
                handle_event(&moves, entry, event, now).await?;
            }
            Ok::<_, OrchestrateError>(())
        });
    }
    // Every group runs to its end; the first failure is reported, so Meta delivers the whole
    // batch again and the moves that succeeded repeat harmlessly.
    let mut failed = None;
    while let Some(joined) = tasks.join_next().await {
        let outcome = joined.unwrap_or_else(|e| Err(OrchestrateError::Stopped(e.to_string())));
        if let Err(e) = outcome {
            failed.get_or_insert(e);
        }
    }
    failed.map_or(Ok(()), Err)
}

/// One event's move.
async fn handle_event(
    moves: &Moves,
    entry: &str,
    event: &Event,
    now: i64,
) -> Result<(), OrchestrateError> {
    match event {
        Event::AccountUpdate(update) => account_update(moves, entry, update, now).await?,
        Event::MessageStatus(status) => {
            if let Some(id) = &status.id {
                moves
                    .store
                    .set_message_status(id, status.status.as_str())
                    .await?;
            }
        }
        Event::TemplateCategoryUpdate(update) if !update.is_impending() => {
            // An impending change takes effect later, announced again when it does.
            if let (Some(name), Some(language), Some(category)) = (
                &update.message_template_name,
                &update.message_template_language,
                &update.new_category,
            ) {
                moves
                    .store
                    .set_category(entry, name, language, category.as_str())
                    .await?;
            }
        }
        _ => {}
    }
    Ok(())
}

async fn account_update(
    moves: &Moves,
    entry: &str,
    update: &AccountUpdate,
    now: i64,
) -> Result<(), OrchestrateError> {
    // Meta keys MM API events on `waba_info.waba_id`; the entry is the WABA otherwise.
    let waba_id = update.waba_id().unwrap_or(entry);
    if update.event == AccountEvent::MmLiteTermsSigned {
        return orchestrate::setup_completed(
            &*moves.graph,
            &*moves.store,
            &moves.vault,
            waba_id,
            now,
        )
        .await;
    }
    if let Some(mut waba) = moves.store.waba(waba_id).await? {
        waba.last_event = Some((update.event.as_str().to_owned(), now));
        moves.store.put_waba(&waba).await?;
    }
    Ok(())
}
