//! Webhooks emitted on request (the control API's `/_wamm/webhooks/emit`): changes delivered
//! to the WABA's subscribers as if the platform had made them, for partner testing.

use serde_json::{Value, json};
use wamm_domain::NewEvent;
use wamm_store::{ChangeSet, StoreError};
use wamm_wire::ids::WabaId;

use crate::context::Platform;
use crate::webhooks::fanout;

/// Queues one delivery of each of `values` under `field` per subscriber of `waba`; returns
/// how many were queued.
pub async fn emit(
    platform: &Platform,
    waba: WabaId,
    field: &str,
    values: &[Value],
) -> Result<usize, StoreError> {
    let now = platform.clock.now();
    let targets = fanout::targets(platform, waba, field).await?;
    let hooks: Vec<_> = values
        .iter()
        .flat_map(|value| fanout::deliveries(&targets, waba, field, value, now))
        .collect();
    let queued = hooks.len();
    let event = NewEvent {
        at: now,
        kind: "webhook.emitted".into(),
        subject: format!("waba:{waba}"),
        detail: json!({ "field": field, "changes": values.len(), "deliveries": queued }),
    };
    platform
        .commit(ChangeSet::new().webhooks(hooks).event(event))
        .await?;
    Ok(queued)
}
