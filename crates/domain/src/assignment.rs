//! System users assigned to WABAs (`/{waba-id}/assigned_users`), and what an assignment lets
//! their tokens reach.
//!
//! Meta's rule, from its "Manage System Users" guide: adding a user to a WABA takes an admin
//! system user's token, and the user gets the tasks named. wamm gives assignments teeth this
//! way: an **employee** system user's tokens reach only the WABAs it is assigned to (still
//! within the token's own target list, when it has one); an **admin** system user's tokens
//! reach every WABA its business holds, as before. So assigning an employee system user is what
//! lets its token work on a client's WABA after Embedded Signup, and removing it takes that
//! reach away at once.

use serde::{Deserialize, Serialize};
use wamm_wire::ids::{BusinessId, UserId, WabaId};

use crate::time::Timestamp;

/// The tasks Meta's spec lists for a WABA assignment (`WhatsAppBusinessAccountPermissionTask`).
pub const TASKS: &[&str] = &[
    "MANAGE",
    "DEVELOP",
    "MANAGE_TEMPLATES",
    "MANAGE_PHONE",
    "VIEW_COST",
    "MANAGE_EXTENSIONS",
    "VIEW_PHONE_ASSETS",
    "MANAGE_PHONE_ASSETS",
    "VIEW_TEMPLATES",
    "VIEW_INSIGHTS",
    "RECEIVE_INCOMING_MESSAGES",
    "MANAGE_BILLING",
    "MANAGE_USERS",
    "MESSAGING",
    "FULL_CONTROL",
];

/// Most tasks one assignment may name (the spec's `maxItems`).
pub const MAX_TASKS: usize = 16;

/// A system user's assignment to a WABA.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WabaAssignment {
    /// The WABA.
    pub waba_id: WabaId,
    /// The assigned system user.
    pub user_id: UserId,
    /// The system user's business.
    pub business_id: BusinessId,
    /// The tasks granted, in the order given, without repeats.
    pub tasks: Vec<String>,
    /// When the user was assigned.
    pub assigned_at: Timestamp,
}

/// Why a task list was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TasksError {
    /// No task was given.
    #[error("Invalid parameter: tasks must name at least one task")]
    Empty,
    /// More than [`MAX_TASKS`].
    #[error("Invalid parameter: tasks can name at most 16 tasks")]
    TooMany,
    /// A task Meta does not know.
    #[error("Invalid parameter: {0} is not a WhatsApp Business Account task")]
    Unknown(String),
}

/// Checks a task list: 1 to 16 of [`TASKS`]; repeats are dropped.
pub fn tasks(given: &[String]) -> Result<Vec<String>, TasksError> {
    if given.is_empty() {
        return Err(TasksError::Empty);
    }
    if given.len() > MAX_TASKS {
        return Err(TasksError::TooMany);
    }
    let mut out: Vec<String> = Vec::with_capacity(given.len());
    for task in given {
        let task = task.trim();
        if !TASKS.contains(&task) {
            return Err(TasksError::Unknown(task.to_owned()));
        }
        if !out.iter().any(|t| t == task) {
            out.push(task.to_owned());
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn owned(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn tasks_are_checked_and_deduplicated() {
        assert_eq!(
            tasks(&owned(&["MANAGE", "DEVELOP", "MANAGE"])),
            Ok(owned(&["MANAGE", "DEVELOP"]))
        );
        assert_eq!(tasks(&[]), Err(TasksError::Empty));
        assert_eq!(
            tasks(&owned(&["ADMIN"])),
            Err(TasksError::Unknown("ADMIN".into()))
        );
        assert_eq!(tasks(&owned(&["MANAGE"; 17])), Err(TasksError::TooMany));
    }

    proptest! {
        #[test]
        fn accepted_tasks_are_known_and_unique(picks in proptest::collection::vec(0usize..TASKS.len(), 1..=16)) {
            let given: Vec<String> = picks.iter().map(|&i| TASKS[i].to_owned()).collect();
            let got = tasks(&given).expect("known tasks");
            for t in &got {
                prop_assert!(TASKS.contains(&t.as_str()));
                prop_assert_eq!(got.iter().filter(|x| *x == t).count(), 1);
            }
        }
    }
}
