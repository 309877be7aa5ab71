//! Measurement hooks for `wamm bench webhooks`: enqueue events through the real fan-out and
//! commit, run the real dispatcher, read the outbox's counts, and drain the outbox one batch at
//! a time through the dispatcher's own steps, timing each.
//! [`metrics`] holds those of `wamm bench metrics`.
//!
//! Nothing here is a second implementation: the timed drain calls the same step functions
//! (claim, app secret, body, signature, post, results, record) the dispatcher runs, only one
//! after the other and without faults, so that each step's share of the time shows.

use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::task::JoinHandle;
use wamm_store::{ChangeSet, OutboxCounts, StoreError};
use wamm_wire::ids::WabaId;

use crate::handle::Handle;
use crate::webhooks::{dispatcher, fanout};

pub mod metrics;

/// Why a measurement hook failed.
#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A delivery did not go through (the drain expects a receiver that answers 2xx).
    #[error("delivery failed: {0}")]
    Delivery(String),
    /// A batch's app no longer exists.
    #[error("the app {0} of a claimed batch is gone")]
    AppGone(String),
}

/// Where events of `field` on `waba` are delivered: one outbox row per endpoint and event.
#[derive(Debug, Clone)]
pub struct Route {
    waba: WabaId,
    field: String,
    targets: Vec<fanout::Target>,
}

impl Route {
    /// Looks up the endpoints the platform routes `field` on `waba` to.
    pub async fn find(handle: &Handle, waba: WabaId, field: &str) -> Result<Self, BenchError> {
        let targets = fanout::targets(handle.state(), waba, field).await?;
        Ok(Self {
            waba,
            field: field.to_owned(),
            targets,
        })
    }

    /// How many endpoints receive each event.
    pub fn endpoints(&self) -> usize {
        self.targets.len()
    }

    /// Commits one change set enqueueing an event per value for every endpoint, as a state
    /// change's webhooks are enqueued, and wakes the dispatcher.
    pub async fn enqueue(&self, handle: &Handle, values: &[Value]) -> Result<(), BenchError> {
        let state = handle.state();
        let now = state.clock.now();
        let webhooks = values
            .iter()
            .flat_map(|v| fanout::deliveries(&self.targets, self.waba, &self.field, v, now))
            .collect::<Vec<_>>();
        state.commit(ChangeSet::new().webhooks(webhooks)).await?;
        Ok(())
    }
}

/// The outbox's counts by state.
pub async fn outbox_counts(handle: &Handle) -> Result<OutboxCounts, BenchError> {
    Ok(handle.state().store.outbox_counts().await?)
}

/// Starts the dispatcher (for a platform configured not to run one); abort the task to stop it.
pub fn spawn_dispatcher(handle: &Handle) -> JoinHandle<()> {
    tokio::spawn(dispatcher::run(handle.state().platform.clone()))
}

/// Total wall time and number of calls of each delivery step, over a drained outbox.
#[derive(Debug, Default, Clone, Copy)]
pub struct Steps {
    /// Claiming due rows.
    pub claim: Step,
    /// Loading the batch's app secret.
    pub app: Step,
    /// Building the body.
    pub build: Step,
    /// Signing it.
    pub sign: Step,
    /// Posting it (the receiver's time included).
    pub post: Step,
    /// Deciding outcomes and recording attempts.
    pub finish: Step,
}

/// One step's share: total time and calls.
#[derive(Debug, Default, Clone, Copy)]
pub struct Step {
    /// Total wall time.
    pub total: Duration,
    /// Calls.
    pub calls: u32,
}

impl Step {
    fn charge(&mut self, from: Instant) {
        self.total += from.elapsed();
        self.calls += 1;
    }
}

/// Drains the outbox through the dispatcher's steps, one batch at a time with nothing in
/// parallel, timing each step. Run it on a platform whose own dispatcher is off.
pub async fn timed_drain(handle: &Handle) -> Result<Steps, BenchError> {
    let state = &handle.state().platform;
    let rt = &state.webhooks;
    let mut steps = Steps::default();
    loop {
        let t = Instant::now();
        let (items, lease) = dispatcher::claim(state).await?;
        steps.claim.charge(t);
        if items.is_empty() {
            return Ok(steps);
        }
        for job in dispatcher::jobs(items, rt.config.batch_max) {
            let Some(first) = job.first().and_then(|post| post.first()).cloned() else {
                continue;
            };
            let app = first.webhook.app_id;
            let t = Instant::now();
            let secret = dispatcher::app_secret(state, app)
                .await?
                .ok_or_else(|| BenchError::AppGone(app.to_string()))?;
            steps.app.charge(t);
            let at = state.clock.now();
            let mut results = Vec::new();
            for post in &job {
                let t = Instant::now();
                let body = dispatcher::body(post, false);
                steps.build.charge(t);
                let t = Instant::now();
                let headers = dispatcher::signature(&secret, &body);
                steps.sign.charge(t);
                let t = Instant::now();
                let answer = rt
                    .outbound
                    .post_json(&first.webhook.endpoint, body, &headers)
                    .await
                    .map_err(|e| BenchError::Delivery(e.to_string()))?;
                steps.post.charge(t);
                if !(200..300).contains(&answer.status) {
                    return Err(BenchError::Delivery(format!(
                        "the receiver answered {}",
                        answer.status
                    )));
                }
                results.extend(dispatcher::results(
                    post,
                    &Ok(answer),
                    true,
                    at,
                    lease,
                    &rt.config.retry,
                ));
            }
            let t = Instant::now();
            let results = dispatcher::merged(results);
            dispatcher::record(state, &job, results, at).await?;
            steps.finish.charge(t);
        }
    }
}
