//! The delivery worker.
//!
//! It claims due outbox batches with a lease (several processes may run it against one
//! database), groups them per endpoint, and posts them, several batches to a POST of up to
//! `batch_max` entries (a batch longer than that in several POSTs), each endpoint behind its own
//! concurrency gate so that a slow or dead receiver never delays the others. A batch's outcome
//! is decided once for all its items. Every attempt is recorded; failures are rescheduled on the platform clock by the
//! retry policy, and dropped when the window closes. A crash loses nothing: unfinished rows are
//! claimed again when their lease runs out, so delivery is at least once.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::json;
use tokio::sync::Semaphore;
use wamm_domain::{Attempt, DeliveryResult, NewEvent, OutboxItem, Outcome, Timestamp};
use wamm_store::{ChangeSet, StoreError};
use wamm_wire::ids::AppId;

use super::fanout::WABA_OBJECT;
use super::outbound::Answer;
use super::policy::RetryPolicy;
use crate::clock::wall_ms;
use crate::context::Platform;

/// A small, fast generator for retry jitter; jitter needs spread, not secrecy.
struct Jitter(u64);

impl Jitter {
    fn new() -> Self {
        let mut seed = [0u8; 8];
        getrandom::fill(&mut seed).expect("invariant: the OS provides randomness");
        Self(u64::from_le_bytes(seed) | 1)
    }

    fn unit(&mut self) -> f64 {
        // xorshift64*
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        #[expect(
            clippy::cast_precision_loss,
            reason = "53 bits of a random word are plenty for jitter"
        )]
        let unit = (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 / (1u64 << 53) as f64;
        unit
    }
}

/// How long a woken worker waits before it claims.
const GATHER: Duration = Duration::from_millis(5);

/// Deliveries handed over by a commit of this process, leased at enqueue
/// ([`crate::context::Platform::commit`]).
pub(crate) type Handoff = (Vec<OutboxItem>, Lease);

/// Runs the worker until the task is aborted.
///
/// Deliveries this process committed come straight from the handoff, as they were written;
/// everything else (other processes' rows, retries, leases that ran out) is claimed when a
/// commit wakes the worker and at every poll.
pub async fn run(state: Platform) {
    let rt = Arc::clone(&state.webhooks);
    let config = rt.config.clone();
    let mut handed = rt.take_handoff();
    let mut gates: HashMap<String, Arc<Semaphore>> = HashMap::new();
    let mut poll = tokio::time::interval(config.poll_interval);
    poll.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut claim_now = true;
    loop {
        if claim_now {
            match claim(&state).await {
                Ok((items, lease)) => {
                    let full = i64::try_from(items.len()).unwrap_or(i64::MAX) >= config.claim_max;
                    spread(&state, &mut gates, items, lease);
                    if full {
                        continue;
                    }
                }
                Err(e) => tracing::warn!(error = %e, "could not claim webhook deliveries"),
            }
        }
        claim_now = tokio::select! {
            Some(first) = next_handoff(&mut handed) => {
                // A moment's wait, then whatever else is waiting, so that one batch per
                // endpoint carries a burst of commits; rows go together only under the same
                // lease, which results are recorded under (commits of one second share one).
                tokio::time::sleep(GATHER).await;
                let mut leases: BTreeMap<i64, (Lease, Vec<OutboxItem>)> = BTreeMap::new();
                let mut add = |(items, lease): Handoff| {
                    let (held, all) = leases.entry(lease.until).or_insert((lease, Vec::new()));
                    // Delivered only while every row's lease still holds here.
                    held.deadline = held.deadline.min(lease.deadline);
                    all.extend(items);
                };
                add(first);
                while let Some(more) = handed.as_mut().and_then(|h| h.try_recv().ok()) {
                    add(more);
                }
                // Rows that fell due meanwhile (retries, lapsed leases, other processes'
                // rows) join the freshest lease and go in ID order with it: a message's
                // earlier status still waiting for its retry is not overtaken by a later one.
                let mut more = false;
                if let Some((_, (lease, items))) = leases.iter_mut().next_back() {
                    match claim_under(&state, *lease).await {
                        Ok(claimed) => {
                            more = i64::try_from(claimed.len()).unwrap_or(i64::MAX)
                                >= config.claim_max;
                            items.extend(claimed);
                        }
                        Err(e) => tracing::warn!(error = %e, "could not claim webhook deliveries"),
                    }
                }
                for (_, (lease, mut items)) in leases {
                    items.sort_by_key(|item| item.id);
                    spread(&state, &mut gates, items, lease);
                }
                more
            }
            () = rt.wake.notified() => {
                // Commits wake the worker one by one; a moment's wait lets one claim take
                // what a burst of them enqueued.
                tokio::time::sleep(GATHER).await;
                true
            }
            _ = poll.tick() => true,
        };
    }
}

/// The next handoff; never, when this worker has none.
async fn next_handoff(
    handed: &mut Option<tokio::sync::mpsc::Receiver<Handoff>>,
) -> Option<Handoff> {
    match handed {
        Some(handed) => handed.recv().await,
        None => std::future::pending().await,
    }
}

/// Groups `items` per endpoint and app and starts their deliveries ([`jobs`]), each behind
/// its endpoint's gate.
fn spread(
    state: &Platform,
    gates: &mut HashMap<String, Arc<Semaphore>>,
    items: Vec<OutboxItem>,
    lease: Lease,
) {
    let config = &state.webhooks.config;
    let mut groups: BTreeMap<(String, AppId), Vec<OutboxItem>> = BTreeMap::new();
    for item in items {
        groups
            .entry((item.webhook.endpoint.clone(), item.webhook.app_id))
            .or_default()
            .push(item);
    }
    for ((endpoint, _), group) in groups {
        let gate =
            Arc::clone(gates.entry(endpoint).or_insert_with(|| {
                Arc::new(Semaphore::new(config.per_endpoint_concurrency.max(1)))
            }));
        for job in jobs(group, config.batch_max) {
            tokio::spawn(deliver(state.clone(), job, Arc::clone(&gate), lease));
        }
    }
}

/// The POSTs of one delivery job, in order; their results are recorded together.
pub(crate) type Job = Vec<Vec<OutboxItem>>;

/// Packs one endpoint's items (by ID, whole batches) into jobs: whole batches go together into
/// one POST of at most `batch_max` entries; a batch longer than that is a job of its own,
/// several POSTs whose outcomes decide it together ([`merged`]). A batch is never split
/// between jobs, because its outcome is recorded once.
pub(crate) fn jobs(items: Vec<OutboxItem>, batch_max: usize) -> Vec<Job> {
    let max = batch_max.max(1);
    let mut jobs: Vec<Job> = Vec::new();
    let mut post: Vec<OutboxItem> = Vec::new();
    let mut items = items.into_iter().peekable();
    while let Some(first) = items.next() {
        let mut batch = vec![first];
        while let Some(next) = items.next_if(|i| i.batch == batch[0].batch) {
            batch.push(next);
        }
        if batch.len() > max {
            // Jobs start in ID order.
            if !post.is_empty() {
                jobs.push(vec![std::mem::take(&mut post)]);
            }
            jobs.push(batch.chunks(max).map(<[OutboxItem]>::to_vec).collect());
            continue;
        }
        if post.len() + batch.len() > max {
            jobs.push(vec![std::mem::take(&mut post)]);
        }
        post.extend(batch);
    }
    if !post.is_empty() {
        jobs.push(vec![post]);
    }
    jobs
}

/// The lease rows are delivered under: claimed ones, or ones leased when they were enqueued.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Lease {
    /// The `lease_until` written with the rows (wall-clock ms): results are recorded under it.
    until: i64,
    /// When this process stops delivering them, on its monotonic clock (no later than
    /// `until`).
    deadline: Instant,
}

impl Lease {
    /// The lease of rows claimed at wall time `wall` for `lease`.
    fn claimed(wall: i64, lease: Duration) -> Self {
        let lease_ms = i64::try_from(lease.as_millis()).unwrap_or(i64::MAX);
        Self {
            until: wall.saturating_add(lease_ms),
            deadline: Instant::now() + lease,
        }
    }

    /// A lease for rows a commit enqueues now, for as long as `config` leases rows. Its end
    /// is rounded up to a whole second, so that the commits of one second share a lease and
    /// their rows can be delivered in one batch.
    pub(crate) fn starting_now(config: &super::WebhookConfig) -> Self {
        let Self { until, deadline } = Self::claimed(wall_ms(), config.lease());
        // The rows' lease ends up to a second later than this process's own deadline: never
        // the other way round.
        let deadline = deadline
            .checked_sub(Duration::from_secs(1))
            .unwrap_or(deadline);
        Self {
            until: until.saturating_add(999) / 1000 * 1000,
            deadline,
        }
    }

    /// The `lease_until` the rows carry.
    pub(crate) const fn until(self) -> i64 {
        self.until
    }
}

/// Step 1: claims due rows (at most `claim_max`) under a fresh lease.
pub(crate) async fn claim(state: &Platform) -> Result<(Vec<OutboxItem>, Lease), StoreError> {
    let lease = Lease::claimed(wall_ms(), state.webhooks.config.lease());
    Ok((claim_under(state, lease).await?, lease))
}

/// Claims due rows (at most `claim_max`) under `lease`: a fresh one, or the one rows handed
/// over at enqueue carry, so that both go out together.
async fn claim_under(state: &Platform, lease: Lease) -> Result<Vec<OutboxItem>, StoreError> {
    let config = &state.webhooks.config;
    let wall = wall_ms();
    state
        .store
        .claim_webhooks(
            state.clock.now(),
            wall,
            lease.until.saturating_sub(wall).max(0),
            config.claim_max,
        )
        .await
}

/// Step 2: the secret of the app a batch is delivered for; `None` when the app is gone.
pub(crate) async fn app_secret(state: &Platform, app: AppId) -> Result<Option<String>, StoreError> {
    Ok(state.store.app(app).await?.map(|a| a.secret))
}

/// A delivery's envelope, borrowed from its outbox items. The fields are declared in sorted
/// order: receivers have always seen Meta's keys sorted (`entry` before `object`, `changes`
/// before `id` before `time`, `field` before `value`), and the values inside are sorted maps
/// already, so serializing these borrowed structs writes exactly what a sorted JSON value of
/// the envelope would, without copying every value first.
#[derive(serde::Serialize)]
struct Body<'a> {
    entry: Vec<BodyEntry<'a>>,
    object: &'a str,
}

/// One entry of [`Body`]: one outbox item's change.
#[derive(serde::Serialize)]
struct BodyEntry<'a> {
    changes: [BodyChange<'a>; 1],
    id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    time: Option<i64>,
}

/// The change of a [`BodyEntry`].
#[derive(serde::Serialize)]
struct BodyChange<'a> {
    field: &'a str,
    value: &'a serde_json::Value,
}

/// The `entry` for one outbox item.
fn entry(item: &OutboxItem) -> BodyEntry<'_> {
    let w = &item.webhook;
    BodyEntry {
        changes: [BodyChange {
            field: &w.field,
            value: &w.value,
        }],
        id: &w.object_id,
        time: w.include_time.then(|| w.time.unix_seconds()),
    }
}

/// Step 3: the body of one POST, the batch's entries in Meta's envelope (reversed when the
/// endpoint's faults ask for reordering).
///
/// Written as Meta writes it (non-ASCII escaped, keys sorted) and signed over exactly these
/// bytes: receivers that verify a re-serialization of the parsed body agree only then.
pub(crate) fn body(items: &[OutboxItem], reorder: bool) -> Vec<u8> {
    let mut entries: Vec<BodyEntry<'_>> = items.iter().map(entry).collect();
    if reorder {
        entries.reverse();
    }
    let envelope = Body {
        entry: entries,
        object: WABA_OBJECT,
    };
    wamm_wire::json::to_ascii_vec(&envelope).unwrap_or_default()
}

/// Step 4: the signature header of a body, under the app's secret.
pub(crate) fn signature(secret: &str, body: &[u8]) -> [(&'static str, String); 1] {
    [(
        "x-hub-signature-256",
        wamm_wire::signature::sign(secret, body),
    )]
}

/// What one POST of a batch came to: the receiver's answer, or why there was none and how long
/// it took to fail.
pub(crate) type Posted = Result<Answer, (String, Duration)>;

/// Step 5: what each outbox batch among the items of one POST comes to after an attempt:
/// delivered, retried later on the platform clock, or dropped (its app is gone, or the retry
/// window closed). One result per batch, in ID order.
pub(crate) fn results(
    items: &[OutboxItem],
    posted: &Posted,
    app_exists: bool,
    at: Timestamp,
    lease: Lease,
    retry: &RetryPolicy,
) -> Vec<DeliveryResult> {
    let mut jitter = Jitter::new();
    let mut firsts: Vec<&OutboxItem> = Vec::new();
    for item in items {
        if firsts.last().is_none_or(|last| last.batch != item.batch) {
            firsts.push(item);
        }
    }
    firsts
        .into_iter()
        .map(|item| {
            let attempt_no = item.attempts + 1;
            let (status_code, error, snippet, duration_ms) = match posted {
                Ok(a) => {
                    let ok = (200..300).contains(&a.status);
                    (
                        Some(a.status),
                        (!ok).then(|| format!("HTTP {}", a.status)),
                        String::from_utf8_lossy(&a.body).chars().take(256).collect(),
                        i64::try_from(a.elapsed.as_millis()).unwrap_or(i64::MAX),
                    )
                }
                // A failed attempt took as long as it took to fail (a refused connection, a
                // timeout), not nothing.
                Err((e, took)) => (
                    None,
                    Some(e.clone()),
                    String::new(),
                    i64::try_from(took.as_millis()).unwrap_or(i64::MAX),
                ),
            };
            let outcome = if error.is_none() {
                Outcome::Delivered
            } else if !app_exists {
                Outcome::Drop
            } else {
                retry.after_failure(item.created_at, at, attempt_no, jitter.unit())
            };
            DeliveryResult {
                attempt: Attempt {
                    outbox_id: item.batch,
                    attempt: attempt_no,
                    at,
                    duration_ms,
                    status_code,
                    error,
                    response_snippet: snippet,
                },
                outcome,
                lease_until: Some(lease.until),
            }
        })
        .collect()
}

/// The results of a job's POSTs as one per batch: a batch posted in parts is delivered only
/// when every part was, and otherwise comes to its first failure's outcome.
pub(crate) fn merged(results: Vec<DeliveryResult>) -> Vec<DeliveryResult> {
    let mut by_batch: BTreeMap<i64, DeliveryResult> = BTreeMap::new();
    for r in results {
        match by_batch.entry(r.attempt.outbox_id) {
            std::collections::btree_map::Entry::Vacant(slot) => {
                slot.insert(r);
            }
            std::collections::btree_map::Entry::Occupied(mut kept) => {
                if kept.get().outcome == Outcome::Delivered && r.outcome != Outcome::Delivered {
                    kept.insert(r);
                }
            }
        }
    }
    by_batch.into_values().collect()
}

/// Step 6: records every attempt and outcome of `job`, and logs the items it dropped.
pub(crate) async fn record(
    state: &Platform,
    job: &Job,
    results: Vec<DeliveryResult>,
    at: Timestamp,
) -> Result<(), StoreError> {
    let dropped: Vec<i64> = results
        .iter()
        .filter(|r| r.outcome == Outcome::Drop)
        .map(|r| r.attempt.outbox_id)
        .collect();
    state.store.finish_deliveries(results).await?;
    let Some(first) = job.first().and_then(|post| post.first()) else {
        return Ok(());
    };
    if !dropped.is_empty() {
        let items: Vec<i64> = job
            .iter()
            .flatten()
            .filter(|item| dropped.contains(&item.batch))
            .map(|item| item.id)
            .collect();
        let event = NewEvent {
            at,
            kind: "webhook.dropped".into(),
            subject: format!("app:{}", first.webhook.app_id),
            detail: json!({ "outbox_ids": items, "endpoint": first.webhook.endpoint }),
        };
        if let Err(e) = state.store.commit(ChangeSet::new().event(event)).await {
            tracing::warn!(error = %e, "could not log dropped webhooks");
        }
    }
    Ok(())
}

/// Delivers one job (same endpoint, same app) through the steps above, behind the endpoint's
/// gate, with the endpoint's faults applied.
async fn deliver(state: Platform, job: Job, gate: Arc<Semaphore>, lease: Lease) {
    let Ok(_permit) = gate.acquire_owned().await else {
        return;
    };
    if Instant::now() >= lease.deadline {
        // The lease ran out while this job queued behind a slow endpoint: another worker may
        // own these batches now. Leave them to it (or to our own next claim).
        return;
    }
    let rt = Arc::clone(&state.webhooks);
    let Some(first) = job.first().and_then(|post| post.first()) else {
        return;
    };
    let endpoint = first.webhook.endpoint.clone();
    let app_id = first.webhook.app_id;
    let secret = match app_secret(&state, app_id).await {
        Ok(secret) => secret,
        Err(e) => {
            tracing::warn!(error = %e, "could not load the app of a webhook batch; it will be claimed again");
            return;
        }
    };
    let at = state.clock.now();
    let fault = rt.faults.get(&endpoint);
    let mut all = Vec::new();
    for items in &job {
        let started = Instant::now();
        let posted: Posted = match &secret {
            None => Err(("the app no longer exists".to_owned(), started.elapsed())),
            Some(secret) => {
                if fault.delay_ms > 0 {
                    tokio::time::sleep(Duration::from_millis(fault.delay_ms)).await;
                }
                let body = body(items, fault.reorder);
                let headers = signature(secret, &body);
                let started = Instant::now();
                let first = rt
                    .outbound
                    .post_json(&endpoint, body.clone(), &headers)
                    .await;
                if fault.duplicate {
                    let _ = rt.outbound.post_json(&endpoint, body, &headers).await;
                }
                first.map_err(|e| (e.to_string(), started.elapsed()))
            }
        };
        all.extend(results(
            items,
            &posted,
            secret.is_some(),
            at,
            lease,
            &rt.config.retry,
        ));
    }
    if let Err(e) = record(&state, &job, merged(all), at).await {
        tracing::warn!(error = %e, endpoint = %endpoint, "could not record webhook attempts; the rows will be claimed again");
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;
    use wamm_domain::{
        Attempt, DeliveryResult, DeliveryStatus, NewWebhook, OutboxItem, Outcome, Timestamp,
    };
    use wamm_wire::ids::AppId;
    use wamm_wire::webhooks as wire;

    use super::{WABA_OBJECT, body, jobs, merged};

    fn item(id: i64, field: &str, value: serde_json::Value, include_time: bool) -> OutboxItem {
        OutboxItem {
            id,
            batch: id,
            webhook: NewWebhook {
                app_id: AppId::new(1),
                endpoint: "https://example.com/hook".into(),
                object_id: "3001".into(),
                field: field.into(),
                value,
                time: Timestamp::from_millis(1_760_000_000_000),
                include_time,
            },
            status: DeliveryStatus::Pending,
            attempts: 0,
            next_attempt_at: Timestamp::from_millis(0),
            created_at: Timestamp::from_millis(0),
            delivered_at: None,
            last_error: None,
        }
    }

    /// The bytes a sorted JSON value of Meta's envelope serializes to: what receivers have
    /// always been sent.
    fn through_a_value(items: &[OutboxItem]) -> Vec<u8> {
        let envelope = wire::Envelope {
            object: WABA_OBJECT.to_owned(),
            entry: items
                .iter()
                .map(|i| wire::Entry {
                    id: i.webhook.object_id.clone(),
                    time: i
                        .webhook
                        .include_time
                        .then(|| i.webhook.time.unix_seconds()),
                    changes: vec![wire::Change {
                        field: i.webhook.field.clone(),
                        value: i.webhook.value.clone(),
                    }],
                })
                .collect(),
        };
        wamm_wire::json::to_ascii_vec(&wire::to_value(&envelope)).expect("serializes")
    }

    /// Items numbered from `first`, in batches of the given lengths.
    fn batches(first: i64, lengths: &[i64]) -> Vec<OutboxItem> {
        let mut items = Vec::new();
        let mut id = first;
        for len in lengths {
            let batch = id;
            for _ in 0..*len {
                let mut it = item(id, "messages", json!({}), false);
                it.batch = batch;
                items.push(it);
                id += 1;
            }
        }
        items
    }

    /// Each job's POSTs as the batches of their items.
    fn shape(jobs: &[super::Job]) -> Vec<Vec<Vec<i64>>> {
        jobs.iter()
            .map(|job| {
                job.iter()
                    .map(|post| post.iter().map(|i| i.batch).collect())
                    .collect()
            })
            .collect()
    }

    #[test]
    fn whole_batches_share_posts_and_a_long_one_is_a_job_of_its_own() {
        let items = batches(10, &[3, 2, 4]);
        assert_eq!(
            shape(&jobs(items.clone(), 5)),
            [vec![vec![10, 10, 10, 13, 13]], vec![vec![15, 15, 15, 15]]]
        );
        assert_eq!(
            shape(&jobs(items.clone(), 2)),
            [
                vec![vec![10, 10], vec![10]],
                vec![vec![13, 13]],
                vec![vec![15, 15], vec![15, 15]],
            ]
        );
        assert_eq!(shape(&jobs(items, 1000)).len(), 1);
        assert!(jobs(Vec::new(), 10).is_empty());
    }

    #[test]
    fn a_batch_posted_in_parts_is_delivered_only_when_every_part_was() {
        let result = |batch: i64, attempt: u32, outcome: Outcome| DeliveryResult {
            attempt: Attempt {
                outbox_id: batch,
                attempt,
                at: Timestamp::from_millis(0),
                duration_ms: 1,
                status_code: None,
                error: None,
                response_snippet: String::new(),
            },
            outcome,
            lease_until: None,
        };
        let retry = Outcome::Retry {
            next_attempt_at: Timestamp::from_millis(5),
        };
        let merged = merged(vec![
            result(20, 1, Outcome::Delivered),
            result(10, 1, Outcome::Delivered),
            result(10, 1, retry),
            result(10, 1, Outcome::Drop),
            result(20, 1, Outcome::Delivered),
        ]);
        assert_eq!(
            merged
                .iter()
                .map(|r| (r.attempt.outbox_id, r.outcome))
                .collect::<Vec<_>>(),
            [(10, retry), (20, Outcome::Delivered)]
        );
    }

    #[test]
    fn the_body_is_the_sorted_envelope_byte_for_byte() {
        let items = [
            item(
                1,
                "messages",
                json!({"statuses": [{"status": "sent", "id": "wamid.1"}], "metadata": {"b": 1, "a": "é"}}),
                false,
            ),
            item(
                2,
                "account_update",
                json!({"event": "MM_LITE_TERMS_SIGNED", "waba_info": {"waba_id": "3001"}}),
                true,
            ),
        ];
        assert_eq!(body(&items, false), through_a_value(&items));
        let mut reversed = items.clone();
        reversed.reverse();
        assert_eq!(body(&items, true), through_a_value(&reversed));
        let text = String::from_utf8(body(&items, false)).expect("ascii");
        assert!(text.is_ascii());
        assert!(text.starts_with(r#"{"entry":[{"changes":[{"field":"messages","value":{"metadata":{"a":"\u00e9","b":1}"#), "{text}");
    }
}
