//! The event log's own entries: what happened that changed nothing else (a reset, a clock
//! move, a cancelled signup), recorded so the console and `/_wamm/events` tell the story.

use serde_json::Value;
use wamm_domain::NewEvent;
use wamm_store::{ChangeSet, StoreError};

use crate::context::Platform;

/// Records one event of `kind` about `subject`.
pub async fn record(
    platform: &Platform,
    kind: &str,
    subject: &str,
    detail: Value,
) -> Result<(), StoreError> {
    let event = NewEvent {
        at: platform.clock.now(),
        kind: kind.to_owned(),
        subject: subject.to_owned(),
        detail,
    };
    platform
        .commit(ChangeSet::new().event(event))
        .await
        .map(|_| ())
}
