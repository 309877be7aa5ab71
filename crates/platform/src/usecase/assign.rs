//! Assigning system users to WABAs (`/{waba-id}/assigned_users`) and removing them.
//!
//! What an assignment does to the user's tokens is the domain's rule
//! ([`wamm_domain::assignment`]): an employee system user reaches only its assigned WABAs.

use serde_json::json;
use wamm_domain::assignment::{self, WabaAssignment};
use wamm_domain::{NewEvent, SystemUser, Waba};
use wamm_store::{ChangeSet, Delete, Put, StoreError};

use crate::context::Platform;

/// Why an assignment change was refused.
#[derive(Debug, thiserror::Error)]
pub enum AssignError {
    /// The task list.
    #[error(transparent)]
    Tasks(#[from] assignment::TasksError),
    /// The user is already assigned (Meta's spec words it so).
    #[error("User is already assigned to this WhatsApp Business Account")]
    AlreadyAssigned,
    /// The user is not assigned.
    #[error("User is not assigned to this WhatsApp Business Account")]
    NotAssigned,
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn event(p: &Platform, kind: &str, waba: &Waba, user: &SystemUser, tasks: &[String]) -> NewEvent {
    NewEvent {
        at: p.clock.now(),
        kind: kind.into(),
        subject: format!("waba:{}", waba.id),
        detail: json!({
            "user_id": user.id.to_string(),
            "business_id": user.business_id.to_string(),
            "tasks": tasks,
        }),
    }
}

/// Assigns `user` to `waba` with `tasks`.
pub async fn assign(
    p: &Platform,
    waba: &Waba,
    user: &SystemUser,
    tasks: &[String],
) -> Result<WabaAssignment, AssignError> {
    let tasks = assignment::tasks(tasks)?;
    let existing = p.store.assignments_of_waba(waba.id).await?;
    if existing.iter().any(|a| a.user_id == user.id) {
        return Err(AssignError::AlreadyAssigned);
    }
    let made = WabaAssignment {
        waba_id: waba.id,
        user_id: user.id,
        business_id: user.business_id,
        tasks,
        assigned_at: p.clock.now(),
    };
    p.commit(
        ChangeSet::new()
            .put(Put::Assignment(made.clone()))
            .event(event(p, "waba.user_assigned", waba, user, &made.tasks)),
    )
    .await?;
    Ok(made)
}

/// Removes `user` from `waba`.
pub async fn unassign(p: &Platform, waba: &Waba, user: &SystemUser) -> Result<(), AssignError> {
    let existing = p.store.assignments_of_waba(waba.id).await?;
    if !existing.iter().any(|a| a.user_id == user.id) {
        return Err(AssignError::NotAssigned);
    }
    p.commit(
        ChangeSet::new()
            .delete(Delete::Assignment {
                waba: waba.id,
                user: user.id,
            })
            .event(event(p, "waba.user_removed", waba, user, &[])),
    )
    .await?;
    Ok(())
}
