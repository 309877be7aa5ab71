//! What the platform clock makes due: onboarding reminders, MM API setup completions,
//! message lifecycles and scheduled solution migrations. Run on a timer and right after the
//! clock moves, so a moved clock's effects are committed by the time the move is answered.

use crate::context::Platform;

/// Runs everything due now; failures are logged and retried on the next pass.
pub async fn run_due_work(platform: &Platform) {
    if let Err(e) = super::onboard::send_reminders(platform).await {
        tracing::warn!(error = %e, "could not send onboarding reminders");
    }
    if let Err(e) = super::setup::complete_due(platform).await {
        tracing::warn!(error = %e, "could not complete MM API setups");
    }
    if let Err(e) = super::lifecycle::run_due(platform).await {
        tracing::warn!(error = %e, "could not advance messages");
    }
    if let Err(e) = super::solutions::complete_due(platform).await {
        tracing::warn!(error = %e, "could not complete scheduled migrations");
    }
}
