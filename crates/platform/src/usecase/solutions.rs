//! Multi-Partner Solutions and the migration intents that move an OBO WABA onto one: create,
//! answer the invitation, deactivate (asked by one party, answered by the other), check a
//! solution before the Intent API or a migration uses it, and follow a migration intent from
//! the partner's call through the owning business's decision to its completion (confirmed by
//! the partner or scheduled on the platform clock).

use serde_json::json;
use wamm_domain::solution::{
    self, MigrationAction, MigrationRefusal, MigrationStatus, NewSolution, Solution,
    SolutionMigration, SolutionRefusal,
};
use wamm_domain::{App, MigrationIntent, NewEvent, Timestamp, Waba};
use wamm_store::{ChangeSet, Conflict, Put, StoreError};
use wamm_wire::ids::{AppId, BusinessId, MigrationIntentId, SolutionId, UserId};
use wamm_world::Mint;

use crate::context::Platform;

/// Why a solution or migration action failed.
#[derive(Debug, thiserror::Error)]
pub enum SolutionError {
    /// A solution rule refuses.
    #[error("refused: {0:?}")]
    Refused(SolutionRefusal),
    /// A migration rule refuses.
    #[error("refused: {0:?}")]
    Migration(MigrationRefusal),
    /// No solution has this ID.
    #[error("no solution {0}")]
    UnknownSolution(SolutionId),
    /// `partner_app_id` names no app.
    #[error("no app {0}")]
    UnknownPartnerApp(AppId),
    /// No migration intent has this ID.
    #[error("no migration intent {0}")]
    UnknownMigration(MigrationIntentId),
    /// The person may not decide for the business that owns the WABA.
    #[error("{0}")]
    NotAllowed(String),
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<SolutionRefusal> for SolutionError {
    fn from(r: SolutionRefusal) -> Self {
        Self::Refused(r)
    }
}

impl From<MigrationRefusal> for SolutionError {
    fn from(r: MigrationRefusal) -> Self {
        Self::Migration(r)
    }
}

/// What a party does to a solution.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    /// The partner app accepts the invitation.
    Accept,
    /// The partner app declines the invitation.
    Reject,
    /// A party asks to deactivate.
    SendDeactivation,
    /// The other party accepts a deactivation request.
    AcceptDeactivation,
    /// The other party rejects a deactivation request.
    RejectDeactivation,
}

impl Transition {
    const fn event(self) -> &'static str {
        match self {
            Self::Accept => "solution.accepted",
            Self::Reject => "solution.rejected",
            Self::SendDeactivation => "solution.deactivation_requested",
            Self::AcceptDeactivation => "solution.deactivation_accepted",
            Self::RejectDeactivation => "solution.deactivation_rejected",
        }
    }
}

fn event(at: Timestamp, kind: &str, subject: String, detail: serde_json::Value) -> NewEvent {
    NewEvent {
        at,
        kind: kind.into(),
        subject,
        detail,
    }
}

/// `owner` creates a solution inviting `partner_app`.
pub async fn create(
    state: &Platform,
    owner: &App,
    name: &str,
    partner_app: AppId,
    owner_permissions: &[String],
    partner_permissions: &[String],
) -> Result<Solution, SolutionError> {
    let partner = state
        .store
        .app(partner_app)
        .await?
        .ok_or(SolutionError::UnknownPartnerApp(partner_app))?;
    let now = state.clock.now();
    let mut block = state.minter.block(1).await?;
    let created = solution::create(
        &NewSolution {
            id: SolutionId::new(block.next_id()),
            name,
            owner: (owner.id, owner.business_id),
            partner: (partner.id, partner.business_id),
            owner_permissions,
            partner_permissions,
        },
        now,
    )?;
    let changes = ChangeSet::new()
        .event(event(
            now,
            "solution.created",
            format!("solution:{}", created.id),
            json!({ "owner_app_id": owner.id.to_string(), "partner_app_id": partner.id.to_string() }),
        ))
        .put(Put::Solution(created.clone()));
    state.commit(changes).await?;
    Ok(created)
}

/// `app` applies `t` to `current`.
pub async fn transition(
    state: &Platform,
    current: &Solution,
    app: AppId,
    t: Transition,
) -> Result<Solution, SolutionError> {
    let now = state.clock.now();
    let next = match t {
        Transition::Accept => solution::accept(current, app, now),
        Transition::Reject => solution::reject(current, app, now),
        Transition::SendDeactivation => solution::send_deactivation(current, app, now),
        Transition::AcceptDeactivation => solution::accept_deactivation(current, app, now),
        Transition::RejectDeactivation => solution::reject_deactivation(current, app, now),
    }?;
    let changes = ChangeSet::new()
        .event(event(
            now,
            t.event(),
            format!("solution:{}", next.id),
            json!({ "by_app_id": app.to_string(), "status": next.status, "pending": next.pending }),
        ))
        .put(Put::Solution(next.clone()));
    state.commit(changes).await?;
    Ok(next)
}

/// The solution `id` if `app` may use it (a party to it, and the solution ACTIVE).
pub async fn usable(
    state: &Platform,
    app: AppId,
    id: SolutionId,
) -> Result<Solution, SolutionError> {
    let s = state
        .store
        .solution(id)
        .await?
        .ok_or(SolutionError::UnknownSolution(id))?;
    solution::usable_by(&s, app)?;
    Ok(s)
}

/// The solutions related to `waba`: the one it is on, and those its migration intents in
/// progress target, by ID.
pub async fn solutions_of_waba(state: &Platform, waba: &Waba) -> Result<Vec<Solution>, StoreError> {
    let mut ids: Vec<SolutionId> = waba.solution_id.into_iter().collect();
    ids.extend(
        in_progress(state, waba)
            .await?
            .into_iter()
            .map(|m| m.solution_id),
    );
    ids.sort_unstable();
    ids.dedup();
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        if let Some(s) = state.store.solution(id).await? {
            out.push(s);
        }
    }
    Ok(out)
}

/// The migration intents of `waba` still in progress (INITIATED or ACCEPTED), by ID.
pub async fn in_progress(
    state: &Platform,
    waba: &Waba,
) -> Result<Vec<SolutionMigration>, StoreError> {
    Ok(state
        .store
        .migration_intents_of(waba.id)
        .await?
        .into_iter()
        .filter(SolutionMigration::is_open)
        .collect())
}

/// What a `set_solution_migration_intent` call asks.
#[derive(Debug, Clone)]
pub struct MigrationCall {
    /// `solution_id`.
    pub solution_id: SolutionId,
    /// `migration_intent`.
    pub action: MigrationAction,
    /// `migration_reason`.
    pub reason: Option<String>,
    /// `scheduled_migration_time`.
    pub scheduled: Option<Timestamp>,
}

/// Marks (or clears) `partner`'s OBO migration intent on `waba`, which the Intent API's OBO
/// rules read.
fn with_partner_intent(
    mut waba: Waba,
    partner: BusinessId,
    intent: Option<MigrationIntent>,
) -> Waba {
    for p in waba
        .partners
        .iter_mut()
        .filter(|p| p.business_id == partner)
    {
        p.migration_intent.clone_from(&intent);
    }
    waba
}

/// `app` of business `partner` sets a migration intent on `waba`.
pub async fn set_migration_intent(
    state: &Platform,
    app: &App,
    partner: BusinessId,
    waba: &Waba,
    call: MigrationCall,
) -> Result<SolutionMigration, SolutionError> {
    let target = state
        .store
        .solution(call.solution_id)
        .await?
        .ok_or(SolutionError::UnknownSolution(call.solution_id))?;
    let now = state.clock.now();
    let open = in_progress(state, waba).await?.into_iter().next();
    if call.action == MigrationAction::InitiateMigration {
        solution::may_initiate(&target, app.id, partner, waba, open.as_ref())?;
        let mut block = state.minter.block(1).await?;
        let created = SolutionMigration {
            id: MigrationIntentId::new(block.next_id()),
            waba_id: waba.id,
            solution_id: target.id,
            client_business_id: waba.owner_business_id,
            partner_business_id: partner,
            app_id: app.id,
            status: MigrationStatus::Initiated,
            reason: call.reason,
            scheduled_at: None,
            cancelled: false,
            decided_by: None,
            created_at: now,
            updated_at: now,
        };
        let marked = with_partner_intent(
            waba.clone(),
            partner,
            Some(MigrationIntent {
                set_at: now,
                solution_id: Some(target.id),
            }),
        );
        let changes = ChangeSet::new()
            .event(event(
                now,
                "migration_intent.initiated",
                format!("waba:{}", waba.id),
                json!({ "migration_intent_id": created.id.to_string(), "solution_id": target.id.to_string() }),
            ))
            .put(Put::Waba(marked))
            .put(Put::MigrationIntent(created.clone()));
        return match state.commit(changes).await {
            Ok(_) => Ok(created),
            // Another call for the same WABA won the race: its intent is the one in progress.
            Err(StoreError::Conflict(Conflict::MigrationIntentsOneOpen)) => {
                let winner = in_progress(state, waba).await?.into_iter().next();
                Err(winner
                    .map_or(MigrationRefusal::NoOpenIntent, |w| {
                        MigrationRefusal::AlreadyOpen(w.id)
                    })
                    .into())
            }
            Err(e) => Err(e.into()),
        };
    }
    // Cancelling, confirming and scheduling act on the intent this partner set for this
    // solution; the solution need not be usable any more to withdraw from it.
    if target.role_of(app.id).is_none() {
        return Err(SolutionRefusal::NotParty.into());
    }
    let current = open
        .filter(|m| m.solution_id == target.id && m.partner_business_id == partner)
        .ok_or(MigrationRefusal::NoOpenIntent)?;
    if call.action == MigrationAction::ConfirmMigration {
        // Completing moves the WABA onto the solution, which must still be usable.
        solution::usable_by(&target, app.id)?;
    }
    let next = solution::act(&current, call.action, call.scheduled, now)?;
    finish(state, waba.clone(), next, now).await
}

/// Commits `next` (a changed intent of `waba`): a completed one moves the WABA onto its
/// solution, a rejected one clears the partner's OBO intent.
async fn finish(
    state: &Platform,
    waba: Waba,
    next: SolutionMigration,
    now: Timestamp,
) -> Result<SolutionMigration, SolutionError> {
    let kind = match (next.status, next.cancelled) {
        (MigrationStatus::Completed, _) => "migration_intent.completed",
        (MigrationStatus::Rejected, true) => "migration_intent.cancelled",
        (MigrationStatus::Rejected, false) => "migration_intent.rejected",
        (MigrationStatus::Accepted, _) if next.scheduled_at.is_some() => {
            "migration_intent.scheduled"
        }
        _ => "migration_intent.accepted",
    };
    let mut changes = ChangeSet::new().event(event(
        now,
        kind,
        format!("waba:{}", waba.id),
        json!({ "migration_intent_id": next.id.to_string(), "solution_id": next.solution_id.to_string() }),
    ));
    match next.status {
        MigrationStatus::Completed => {
            changes = changes.put(Put::Waba(solution::migrated(&waba, &next)));
        }
        MigrationStatus::Rejected => {
            changes = changes.put(Put::Waba(with_partner_intent(
                waba,
                next.partner_business_id,
                None,
            )));
        }
        MigrationStatus::Initiated | MigrationStatus::Accepted => {}
    }
    state
        .commit(changes.put(Put::MigrationIntent(next.clone())))
        .await?;
    Ok(next)
}

/// The business that owns the WABA accepts or rejects the intent `id`, as `by`.
pub async fn decide_migration(
    state: &Platform,
    id: MigrationIntentId,
    accept: bool,
    by: Option<UserId>,
) -> Result<SolutionMigration, SolutionError> {
    let m = state
        .store
        .migration_intent(id)
        .await?
        .ok_or(SolutionError::UnknownMigration(id))?;
    let business = state
        .store
        .business(m.client_business_id)
        .await?
        .ok_or_else(|| SolutionError::NotAllowed("the owning business is gone".into()))?;
    // As for onboarding requests: an admin with full control decides, the first by default.
    let admin = match by {
        Some(user) => business.people.iter().find(|p| p.id == user),
        None => business.admins().next(),
    }
    .filter(|p| p.role == wamm_domain::BusinessRole::Admin)
    .ok_or_else(|| {
        SolutionError::NotAllowed(format!(
            "only an admin of {} with full control may decide",
            business.name
        ))
    })?;
    let now = state.clock.now();
    let next = solution::decide(&m, accept, Some(admin.id), now)?;
    let waba = state
        .store
        .waba(m.waba_id)
        .await?
        .ok_or(SolutionError::UnknownMigration(id))?;
    finish(state, waba, next, now).await
}

/// Completes the scheduled migrations due now; returns how many completed.
pub async fn complete_due(state: &Platform) -> Result<usize, StoreError> {
    let now = state.clock.now();
    let mut count = 0;
    for m in state.store.migrations_due(now).await? {
        let Some(waba) = state.store.waba(m.waba_id).await? else {
            continue;
        };
        let next = SolutionMigration {
            status: MigrationStatus::Completed,
            scheduled_at: None,
            updated_at: now,
            ..m
        };
        match finish(state, waba, next, now).await {
            Ok(_) => count += 1,
            Err(SolutionError::Store(e)) => return Err(e),
            Err(e) => tracing::warn!(error = %e, "could not complete a scheduled migration"),
        }
    }
    Ok(count)
}
