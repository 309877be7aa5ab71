//! `wamm bench`: measure what the platform does, against what the machine can do at all.
//!
//! `wamm bench webhooks` pushes N webhook events through the real delivery path (a commit that
//! writes outbox rows, the dispatcher that claims, signs, posts and records them) into a local
//! receiver, and reports delivered events per second, end-to-end latency, duplicates, losses and
//! the outbox's final counts. In the same run it feeds the same receiver the same batches
//! straight from an HTTP client (signed, but without database or outbox): the baseline the
//! platform's figures should be read against.
//!
//! Databases: without `--database-url` the platform runs on a SQLite file in a temporary
//! directory, removed afterwards. A `sqlite:` URL is used as is and must name an empty or fresh
//! database (the run refuses one whose outbox already holds rows, and replaces its world). A
//! `postgres://` URL names a server and a database to connect to for administration only: the
//! run creates a uniquely named database next to it (`wamm_bench_…`, so the role needs
//! `CREATEDB`), runs on it and drops it at the end.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result, bail, ensure};
use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use clap::{Args, Subcommand};
use serde::Deserialize;
use serde_json::{Value, json};
use sqlx::Connection;
use tokio::sync::{Semaphore, watch};
use wamm_platform::{Destinations, PlatformConfig, Running, WebhookConfig, bench};
use wamm_store::OutboxCounts;
use wamm_wire::ids::WabaId;

/// The field benchmark events are delivered under.
const FIELD: &str = "account_update";
/// The benchmark world's WABA.
const WABA: u64 = 3000;
/// The benchmark app's secret (deliveries are signed with it; the baseline signs with it too).
const SECRET: &str = "bench-secret-0000000000000000000";
/// Target: delivered events per second with the platform on SQLite.
const TARGET_SQLITE_PER_SEC: f64 = 100_000.0;
/// Target: delivered events per second with the platform on PostgreSQL.
const TARGET_POSTGRES_PER_SEC: f64 = 50_000.0;

/// `wamm bench`.
#[derive(Debug, Args)]
pub struct BenchArgs {
    #[command(subcommand)]
    what: BenchCommand,
}

#[derive(Debug, Subcommand)]
enum BenchCommand {
    /// Webhook delivery throughput: enqueue N events, count what a local receiver gets.
    Webhooks(WebhooksArgs),
    /// Accepted sends per second through `POST /{phone}/marketing_messages`, with latency.
    Send(crate::bench_send::SendArgs),
    /// N client businesses through the whole funnel: sync, Intent API, accept, tokens, setup,
    /// one send each, statuses.
    Funnel(crate::bench_funnel::FunnelArgs),
    /// Template analytics and Insights over a WABA of a million messages, against a plain scan
    /// of the messages.
    Metrics(crate::bench_metrics::MetricsArgs),
}

/// Flags of `wamm bench webhooks`.
#[derive(Debug, Args)]
struct WebhooksArgs {
    /// How many events to deliver.
    #[arg(long, default_value_t = 100_000)]
    events: usize,
    /// `sqlite:FILE` (must be empty or fresh) or `postgres://user@host/db` (a server: a scratch
    /// database is created next to `db` and dropped afterwards). Default: a temporary SQLite
    /// file.
    #[arg(long)]
    database_url: Option<String>,
    /// Events per commit, and entries per POST of the baseline.
    #[arg(long, default_value_t = 1000)]
    batch: usize,
    /// Most entries in one webhook POST of the platform (Meta: up to 1000).
    #[arg(long, default_value_t = 1000)]
    webhook_batch: usize,
    /// Seconds without any new event at the receiver after which the rest count as lost.
    #[arg(long, default_value_t = 30)]
    wait_secs: u64,
    /// Skip the baseline.
    #[arg(long)]
    no_baseline: bool,
    /// Enqueue every event before the dispatcher starts, and time from its start: the
    /// dispatcher's drain rate alone (latencies then include the wait for the enqueue).
    #[arg(long)]
    preload: bool,
    /// Like `--preload`, but drain the outbox through the dispatcher's own steps one batch at a
    /// time (claim, load app, build, sign, post, record) and print what each step cost in all.
    #[arg(long)]
    probe: bool,
}

/// Runs `wamm bench …`.
pub async fn run(args: BenchArgs) -> Result<()> {
    match args.what {
        BenchCommand::Webhooks(args) => webhooks(args).await,
        BenchCommand::Send(args) => crate::bench_send::run(args).await,
        BenchCommand::Funnel(args) => crate::bench_funnel::run(args).await,
        BenchCommand::Metrics(args) => crate::bench_metrics::run(args).await,
    }
}

/// Wall time in microseconds since the Unix epoch (what `sent_us` and receive times are in).
fn wall_us() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_micros()).unwrap_or(i64::MAX))
}

// ------------------------------------------------------------------------------ counting

/// What a receiver saw of one run: how often each event arrived, and the latency of each
/// first arrival.
#[derive(Debug)]
struct Tally {
    /// Arrivals per event number (`n` indexes it).
    counts: Vec<u32>,
    /// `receive time − sent_us` of each first arrival, in microseconds.
    latencies_us: Vec<i64>,
    /// Events that arrived at least once.
    distinct: usize,
    /// Arrivals whose `n` is out of range (not from this run).
    stray: u64,
    /// When the last missing event arrived.
    done_at: Option<Instant>,
}

/// The figures a [`Tally`] comes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Summary {
    /// Events that arrived at least once.
    received: usize,
    /// Arrivals beyond the first, over all events.
    duplicates: u64,
    /// Events that never arrived.
    losses: usize,
    /// Median latency of first arrivals, in microseconds.
    p50_us: Option<i64>,
    /// 99th-percentile latency of first arrivals, in microseconds.
    p99_us: Option<i64>,
    /// Arrivals not from this run.
    stray: u64,
}

impl Tally {
    /// A tally expecting events `0..expected`.
    fn new(expected: usize) -> Self {
        Self {
            counts: vec![0; expected],
            latencies_us: Vec::with_capacity(expected),
            distinct: 0,
            stray: 0,
            done_at: (expected == 0).then(Instant::now),
        }
    }

    /// Records one arrival of event `n`, sent at `sent_us` and received at `recv_us`.
    fn record(&mut self, n: u64, sent_us: i64, recv_us: i64) {
        let Some(count) = usize::try_from(n).ok().and_then(|i| self.counts.get_mut(i)) else {
            self.stray += 1;
            return;
        };
        *count = count.saturating_add(1);
        if *count == 1 {
            self.latencies_us.push(recv_us - sent_us);
            self.distinct += 1;
            if self.distinct == self.counts.len() {
                self.done_at = Some(Instant::now());
            }
        }
    }

    /// Duplicates, losses and latency percentiles.
    fn summary(&self) -> Summary {
        let duplicates = self
            .counts
            .iter()
            .map(|&c| u64::from(c.saturating_sub(1)))
            .sum();
        let mut sorted = self.latencies_us.clone();
        sorted.sort_unstable();
        Summary {
            received: self.distinct,
            duplicates,
            losses: self.counts.len() - self.distinct,
            p50_us: percentile(&sorted, 50.0),
            p99_us: percentile(&sorted, 99.0),
            stray: self.stray,
        }
    }
}

/// The nearest-rank `p`th percentile (0 < p ≤ 100) of ascending `sorted`; `None` when empty.
pub(crate) fn percentile(sorted: &[i64], p: f64) -> Option<i64> {
    if sorted.is_empty() {
        return None;
    }
    #[expect(
        clippy::cast_precision_loss,
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "a rank of at most a few million is exact in an f64, and is at least 1"
    )]
    let rank = ((p / 100.0) * sorted.len() as f64).ceil().max(1.0) as usize;
    sorted.get(rank.min(sorted.len()) - 1).copied()
}

// ------------------------------------------------------------------------------ receiver

/// One POST as the receiver reads it: only what it counts.
#[derive(Debug, Deserialize)]
struct Post {
    entry: Vec<Entry>,
}

#[derive(Debug, Deserialize)]
struct Entry {
    changes: Vec<Change>,
}

#[derive(Debug, Deserialize)]
struct Change {
    value: BenchValue,
}

#[derive(Debug, Deserialize)]
struct BenchValue {
    n: u64,
    sent_us: i64,
}

/// The local receiver's shared state.
#[derive(Debug)]
struct Receiver {
    tally: Mutex<Tally>,
    /// Distinct events so far, for waiters.
    progress: watch::Sender<usize>,
    posts: AtomicU64,
    unsigned: AtomicU64,
    malformed: AtomicU64,
}

impl Receiver {
    fn new() -> Self {
        Self {
            tally: Mutex::new(Tally::new(0)),
            progress: watch::Sender::new(0),
            posts: AtomicU64::new(0),
            unsigned: AtomicU64::new(0),
            malformed: AtomicU64::new(0),
        }
    }

    /// Starts counting a new run of `expected` events.
    fn reset(&self, expected: usize) {
        *self.tally.lock().unwrap_or_else(PoisonError::into_inner) = Tally::new(expected);
        self.progress.send_replace(0);
        for counter in [&self.posts, &self.unsigned, &self.malformed] {
            counter.store(0, Ordering::Relaxed);
        }
    }

    /// Waits until every expected event arrived, or until none arrived for `idle`; returns
    /// when the last one arrived, if they all did.
    async fn wait_all(&self, expected: usize, idle: Duration) -> Option<Instant> {
        let mut progress = self.progress.subscribe();
        loop {
            if *progress.borrow_and_update() >= expected {
                return self
                    .tally
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .done_at;
            }
            match tokio::time::timeout(idle, progress.changed()).await {
                Ok(Ok(())) => {}
                Ok(Err(_)) | Err(_) => return None,
            }
        }
    }

    fn summary(&self) -> Summary {
        self.tally
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .summary()
    }
}

/// `POST /hook`: parse, count, answer 200 (400 for a body that is not a benchmark batch).
async fn hook(State(rx): State<Arc<Receiver>>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let recv_us = wall_us();
    rx.posts.fetch_add(1, Ordering::Relaxed);
    if !headers.contains_key("x-hub-signature-256") {
        rx.unsigned.fetch_add(1, Ordering::Relaxed);
    }
    let Ok(batch) = serde_json::from_slice::<Post>(&body) else {
        rx.malformed.fetch_add(1, Ordering::Relaxed);
        return StatusCode::BAD_REQUEST;
    };
    let distinct = {
        let mut tally = rx.tally.lock().unwrap_or_else(PoisonError::into_inner);
        for change in batch.entry.iter().flat_map(|e| &e.changes) {
            tally.record(change.value.n, change.value.sent_us, recv_us);
        }
        tally.distinct
    };
    rx.progress.send_replace(distinct);
    StatusCode::OK
}

/// Serves the receiver on a free loopback port; returns its callback URL.
async fn start_receiver(rx: Arc<Receiver>) -> Result<String> {
    let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .context("binding the receiver")?;
    let addr = listener.local_addr().context("the receiver's address")?;
    let app = Router::new()
        .route("/hook", post(hook))
        .layer(DefaultBodyLimit::max(64 * 1024 * 1024))
        .with_state(rx);
    tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).await {
            tracing::error!(error = %e, "the benchmark receiver stopped");
        }
    });
    Ok(format!("http://{addr}/hook"))
}

// ------------------------------------------------------------------------------ runs

/// The figures of one phase.
#[derive(Debug)]
struct Phase {
    events: usize,
    /// From the first send (or enqueue) until the receiver had every event, or gave up.
    elapsed: Duration,
    complete: bool,
    summary: Summary,
    posts: u64,
    unsigned: u64,
    malformed: u64,
}

impl Phase {
    fn per_sec(&self) -> f64 {
        #[expect(
            clippy::cast_precision_loss,
            reason = "event counts are far below 2^52"
        )]
        let received = self.summary.received as f64;
        received / self.elapsed.as_secs_f64().max(1e-9)
    }
}

/// Waits for the receiver and collects a phase's figures.
async fn finish_phase(rx: &Receiver, events: usize, started: Instant, idle: Duration) -> Phase {
    let done = rx.wait_all(events, idle).await;
    Phase {
        events,
        elapsed: done.map_or_else(|| started.elapsed(), |at| at - started),
        complete: done.is_some(),
        summary: rx.summary(),
        posts: rx.posts.load(Ordering::Relaxed),
        unsigned: rx.unsigned.load(Ordering::Relaxed),
        malformed: rx.malformed.load(Ordering::Relaxed),
    }
}

/// The benchmark value of event `n`.
fn value(n: usize) -> Value {
    json!({ "event": "BENCH", "n": n, "sent_us": wall_us() })
}

/// The baseline: the same batches, signed, posted straight to the receiver by a plain client
/// with as many in flight as the dispatcher allows per endpoint.
async fn baseline(
    rx: &Arc<Receiver>,
    url: &str,
    events: usize,
    batch: usize,
    in_flight: usize,
    idle: Duration,
) -> Result<Phase> {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(16)
        .build()
        .context("building the baseline client")?;
    rx.reset(events);
    let gate = Arc::new(Semaphore::new(in_flight.max(1)));
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for first in (0..events).step_by(batch) {
        let permit = Arc::clone(&gate).acquire_owned().await?;
        let client = client.clone();
        let url = url.to_owned();
        let last = (first + batch).min(events);
        tasks.spawn(async move {
            let _permit = permit;
            let now_s = wall_us() / 1_000_000;
            let entries: Vec<Value> = (first..last)
                .map(|n| {
                    json!({ "id": WABA.to_string(), "time": now_s,
                            "changes": [{ "field": FIELD, "value": value(n) }] })
                })
                .collect();
            let body = serde_json::to_vec(
                &json!({ "object": wamm_wire::webhooks::WABA_OBJECT, "entry": entries }),
            )?;
            let signature = wamm_wire::signature::sign(SECRET, &body);
            let response = client
                .post(url)
                .header("content-type", "application/json")
                .header("x-hub-signature-256", signature)
                .body(body)
                .send()
                .await?;
            ensure!(
                response.status().is_success(),
                "the receiver answered {}",
                response.status()
            );
            Ok::<(), anyhow::Error>(())
        });
    }
    while let Some(result) = tasks.join_next().await {
        result.context("a baseline task panicked")??;
    }
    Ok(finish_phase(rx, events, started, idle).await)
}

/// The world: one app subscribed (app level) to `account_update` at the receiver, and one
/// WABA subscribed to the app.
fn world(callback_url: &str) -> String {
    format!(
        r#"format: wamm-world/1
apps:
  - key: bench
    id: "2000"
    name: Bench App
    secret: {SECRET}
    business: partner
    partner_type: BSP
    permissions:
      whatsapp_business_management: advanced
    webhooks:
      - callback_url: {callback_url}
        verify_token: bench-verify
        fields: [{FIELD}]
        active: true
businesses:
  - key: partner
    id: "1000"
    name: Bench Partner
    country: US
    people:
      - {{ name: Bench Admin, email: admin@bench.test, role: ADMIN }}
    wabas:
      - key: bench-waba
        id: "{WABA}"
        name: Bench WABA
        tax_country: US
        subscribed_apps:
          - app: bench
"#
    )
}

/// The platform's figures beyond a [`Phase`].
#[derive(Debug)]
struct PlatformRun {
    phase: Phase,
    /// With `--probe`, what each delivery step cost.
    steps: Option<bench::Steps>,
    /// How long the commits took.
    enqueued_in: Duration,
    /// From the first enqueue (with `--preload`, the dispatcher's start) until no row was
    /// pending, when that happened.
    settled_in: Option<Duration>,
    counts: OutboxCounts,
}

/// The real path: commits that enqueue, the dispatcher, the receiver.
async fn through_platform(
    rx: &Arc<Receiver>,
    running: &Running,
    args: &WebhooksArgs,
    idle: Duration,
) -> Result<PlatformRun> {
    let handle = running.handle();
    let route = bench::Route::find(handle, WabaId::new(WABA), FIELD).await?;
    ensure!(
        route.endpoints() == 1,
        "the benchmark world should route {FIELD} to one endpoint, not {}",
        route.endpoints()
    );
    rx.reset(args.events);
    let mut started = Instant::now();
    for first in (0..args.events).step_by(args.batch) {
        let last = (first + args.batch).min(args.events);
        let values = (first..last).map(value).collect::<Vec<_>>();
        route.enqueue(handle, &values).await.context("enqueueing")?;
    }
    let enqueued_in = started.elapsed();
    let mut steps = None;
    if args.probe {
        started = Instant::now();
        steps = Some(bench::timed_drain(handle).await?);
    }
    let dispatcher = (args.preload && !args.probe).then(|| {
        started = Instant::now();
        bench::spawn_dispatcher(handle)
    });
    let phase = finish_phase(rx, args.events, started, idle).await;
    // Rows are marked delivered after the receiver answered: give the bookkeeping a moment.
    let deadline = Instant::now() + idle;
    let mut settled_in = None;
    let mut counts = bench::outbox_counts(handle).await?;
    while Instant::now() < deadline {
        if counts.pending == 0 {
            settled_in = Some(started.elapsed());
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
        counts = bench::outbox_counts(handle).await?;
    }
    if let Some(dispatcher) = dispatcher {
        dispatcher.abort();
    }
    Ok(PlatformRun {
        phase,
        steps,
        enqueued_in,
        settled_in,
        counts,
    })
}

// ------------------------------------------------------------------------------ databases

/// A database made for the run, dropped by [`Scratch::drop_database`].
#[derive(Debug)]
pub(crate) struct Scratch {
    admin_url: String,
    name: String,
}

impl Scratch {
    pub(crate) async fn drop_database(self) -> Result<()> {
        let mut conn = sqlx::PgConnection::connect(&self.admin_url)
            .await
            .context("connecting to drop the scratch database")?;
        // The name is ours: `wamm_bench_` and digits.
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)",
            self.name
        )))
        .execute(&mut conn)
        .await
        .with_context(|| format!("dropping database {}", self.name))?;
        Ok(())
    }
}

/// The database URL to run on, the temporary directory holding it (kept alive by the caller)
/// and the scratch database to drop afterwards.
pub(crate) async fn prepare_database(
    url: Option<&str>,
) -> Result<(String, Option<tempfile::TempDir>, Option<Scratch>)> {
    let Some(url) = url else {
        let dir = tempfile::tempdir().context("creating a temporary directory")?;
        let path = dir.path().join("bench.db");
        return Ok((format!("sqlite:{}", path.display()), Some(dir), None));
    };
    if url.starts_with("sqlite:") {
        return Ok((url.to_owned(), None, None));
    }
    if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
        bail!("--database-url must be a sqlite: or postgres:// URL");
    }
    let name = format!(
        "wamm_bench_{}_{}",
        std::process::id(),
        wall_us().rem_euclid(1_000_000_000_000)
    );
    let mut conn = sqlx::PgConnection::connect(url)
        .await
        .with_context(|| format!("connecting to {url}"))?;
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE \"{name}\"")))
        .execute(&mut conn)
        .await
        .with_context(|| format!("creating database {name}"))?;
    let mut scratch_url = url::Url::parse(url).context("parsing --database-url")?;
    scratch_url.set_path(&format!("/{name}"));
    Ok((
        scratch_url.to_string(),
        None,
        Some(Scratch {
            admin_url: url.to_owned(),
            name,
        }),
    ))
}

// ------------------------------------------------------------------------------ wiring

async fn webhooks(args: WebhooksArgs) -> Result<()> {
    ensure!(args.batch > 0, "--batch must be at least 1");
    let idle = Duration::from_secs(args.wait_secs.max(1));
    let rx = Arc::new(Receiver::new());
    let url = start_receiver(Arc::clone(&rx)).await?;
    let mut config = WebhookConfig {
        batch_max: args.webhook_batch.clamp(1, 1000),
        // With `--preload` the benchmark starts the dispatcher itself once all is enqueued;
        // with `--probe` it does the dispatcher's work itself.
        dispatch: !(args.preload || args.probe),
        ..WebhookConfig::default()
    };
    config.destinations = Destinations::default().with_loopback();
    let in_flight = config.per_endpoint_concurrency;

    let mut out = Report::default();
    out.line(format!(
        "wamm bench webhooks: {} events, {} per commit, up to {} entries per webhook POST, \
         {} POSTs in flight per endpoint",
        args.events, args.batch, config.batch_max, in_flight
    ));
    if !args.no_baseline {
        let phase = baseline(&rx, &url, args.events, args.batch, in_flight, idle).await?;
        out.line(format!(
            "baseline (signed POSTs of {} entries straight to the receiver; no database, no outbox):",
            args.batch
        ));
        out.phase(&phase);
    }

    let (database_url, _dir, scratch) = prepare_database(args.database_url.as_deref()).await?;
    let result = async {
        let running = wamm_platform::start(PlatformConfig {
            database_url: database_url.clone(),
            webhooks: config,
            ..PlatformConfig::default()
        })
        .await
        .with_context(|| format!("starting the platform on {database_url}"))?;
        let before = bench::outbox_counts(running.handle()).await?;
        if before.pending + before.delivered + before.dropped > 0 {
            running.stop().await;
            bail!("{database_url} already holds webhook deliveries: use an empty database");
        }
        running
            .handle()
            .load_world(&world(&url))
            .await
            .context("loading the benchmark world")?;
        let run = through_platform(&rx, &running, &args, idle).await;
        running.stop().await;
        run
    }
    .await;
    if let Some(scratch) = scratch {
        scratch.drop_database().await?;
    }
    let run = result?;
    out.line(format!(
        "platform on {} (commit -> outbox -> dispatcher -> receiver{}):",
        redact(&database_url),
        if args.probe {
            "; sequential probe, timed from its start, after the whole enqueue"
        } else if args.preload {
            "; timed from the dispatcher's start, after the whole enqueue"
        } else {
            ""
        }
    ));
    out.line(format!(
        "  enqueue       {:.3} s ({:.0} events/s committed)",
        run.enqueued_in.as_secs_f64(),
        rate(args.events, run.enqueued_in)
    ));
    out.phase(&run.phase);
    if let Some(steps) = &run.steps {
        out.line("  steps (sequential, nothing in parallel; total and per call):".to_owned());
        for (name, bench::Step { total, calls }) in [
            ("claim", steps.claim),
            ("load app", steps.app),
            ("build body", steps.build),
            ("sign", steps.sign),
            ("post", steps.post),
            ("finish", steps.finish),
        ] {
            out.line(format!(
                "    {name:<12} {:>8.1} ms in {calls:>4} calls, {:>7.2} ms each",
                total.as_secs_f64() * 1000.0,
                total.as_secs_f64() * 1000.0 / f64::from(calls.max(1))
            ));
        }
    }
    out.line(format!(
        "  outbox        pending {}, delivered {}, dropped {}; {}",
        run.counts.pending,
        run.counts.delivered,
        run.counts.dropped,
        run.settled_in.map_or_else(
            || "still pending when the wait ended".to_owned(),
            |d| format!("all settled after {:.3} s", d.as_secs_f64())
        )
    ));
    let target = if is_postgres(&database_url) {
        TARGET_POSTGRES_PER_SEC
    } else {
        TARGET_SQLITE_PER_SEC
    };
    let met = run.phase.complete && run.phase.summary.losses == 0 && run.phase.per_sec() >= target;
    out.line(format!(
        "  target        {target:.0} events/s with no loss: {}",
        if met { "met" } else { "NOT met" }
    ));
    out.print()
}

/// Events per second over `elapsed`.
fn rate(events: usize, elapsed: Duration) -> f64 {
    #[expect(
        clippy::cast_precision_loss,
        reason = "event counts are far below 2^52"
    )]
    let events = events as f64;
    events / elapsed.as_secs_f64().max(1e-9)
}

/// A URL without its password, for printing.
pub(crate) fn redact(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        _ => url.to_owned(),
    }
}

/// Whether a benchmark's database URL names PostgreSQL (each backend has its own targets).
pub(crate) fn is_postgres(database_url: &str) -> bool {
    database_url.starts_with("postgres://") || database_url.starts_with("postgresql://")
}

/// The report, printed on stdout at the end (the log goes to stderr).
#[derive(Debug, Default)]
pub(crate) struct Report {
    lines: Vec<String>,
}

impl Report {
    /// Adds a line.
    pub(crate) fn line(&mut self, line: String) {
        self.lines.push(line);
    }

    fn phase(&mut self, phase: &Phase) {
        let s = &phase.summary;
        let ms = |us: Option<i64>| {
            us.map_or_else(
                || "-".to_owned(),
                #[expect(
                    clippy::cast_precision_loss,
                    reason = "latencies in microseconds are far below 2^52"
                )]
                |us| format!("{:.1} ms", us as f64 / 1000.0),
            )
        };
        self.line(format!("  events        {}", phase.events));
        self.line(format!(
            "  elapsed       {:.3} s{}",
            phase.elapsed.as_secs_f64(),
            if phase.complete {
                ""
            } else {
                " (gave up waiting)"
            }
        ));
        self.line(format!("  delivered/s   {:.0}", phase.per_sec()));
        self.line(format!(
            "  latency       p50 {}, p99 {}",
            ms(s.p50_us),
            ms(s.p99_us)
        ));
        self.line(format!("  duplicates    {}", s.duplicates));
        self.line(format!("  losses        {}", s.losses));
        self.line(format!(
            "  posts         {} ({} unsigned, {} malformed, {} stray entries)",
            phase.posts, phase.unsigned, phase.malformed, s.stray
        ));
    }

    /// Writes every line to stdout, then the process's peak resident memory.
    pub(crate) fn print(&self) -> Result<()> {
        use std::io::Write as _;
        let mut stdout = std::io::stdout().lock();
        for line in &self.lines {
            writeln!(stdout, "{line}").context("writing to stdout")?;
        }
        writeln!(stdout, "{}", memory_line()).context("writing to stdout")?;
        stdout.flush().context("writing to stdout")
    }
}

/// The peak resident memory line every benchmark ends with. The platform runs inside this
/// process beside the load and the receivers, so the figure bounds the platform's own from
/// above.
pub(crate) fn memory_line() -> String {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    match peak_resident_kib(&status) {
        #[expect(clippy::cast_precision_loss, reason = "KiB counts are far below 2^52")]
        Some(kib) => format!(
            "peak resident memory {:.0} MiB (this process: platform, load and receivers together)",
            kib as f64 / 1024.0
        ),
        None => "peak resident memory unknown (no /proc/self/status VmHWM here)".to_owned(),
    }
}

/// `VmHWM` (the resident set's high-water mark, in KiB) from the text of `/proc/self/status`.
fn peak_resident_kib(status: &str) -> Option<u64> {
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| rest.trim().strip_suffix("kB"))
        .and_then(|n| n.trim().parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_backend_is_read_from_the_database_url() {
        assert!(is_postgres("postgres://postgres@127.0.0.1:5432/wamm_bench"));
        assert!(is_postgres("postgresql://u@h/db"));
        assert!(!is_postgres("sqlite:/tmp/bench.db"));
        assert!(!is_postgres("sqlite::memory:"));
    }

    #[test]
    fn peak_resident_memory_is_read_from_vmhwm() {
        let status = "Name:\twamm\nVmPeak:\t  900 kB\nVmHWM:\t  123456 kB\nVmRSS:\t 1 kB\n";
        assert_eq!(peak_resident_kib(status), Some(123_456));
        assert_eq!(peak_resident_kib("Name:\twamm\n"), None);
        assert_eq!(peak_resident_kib("VmHWM:\t lots kB\n"), None);
    }

    #[test]
    fn percentile_is_nearest_rank() {
        assert_eq!(percentile(&[], 50.0), None);
        assert_eq!(percentile(&[7], 50.0), Some(7));
        assert_eq!(percentile(&[7], 99.0), Some(7));
        let hundred: Vec<i64> = (1..=100).collect();
        assert_eq!(percentile(&hundred, 50.0), Some(50));
        assert_eq!(percentile(&hundred, 99.0), Some(99));
        assert_eq!(percentile(&hundred, 100.0), Some(100));
        assert_eq!(percentile(&[1, 2, 3], 50.0), Some(2));
        assert_eq!(percentile(&[1, 2, 3, 4], 50.0), Some(2));
        assert_eq!(percentile(&[1, 2, 3, 4], 99.0), Some(4));
    }

    #[test]
    fn tally_counts_duplicates_losses_and_first_arrival_latency() {
        let mut tally = Tally::new(5);
        tally.record(0, 100, 150); // 50
        tally.record(1, 100, 130); // 30
        tally.record(1, 100, 900); // a duplicate: no second latency
        tally.record(1, 100, 950); // another duplicate
        tally.record(3, 100, 110); // 10
        tally.record(9, 100, 110); // not from this run
        assert!(tally.done_at.is_none());
        let s = tally.summary();
        assert_eq!(
            s,
            Summary {
                received: 3,
                duplicates: 2,
                losses: 2,
                p50_us: Some(30),
                p99_us: Some(50),
                stray: 1,
            }
        );
        tally.record(2, 0, 1);
        tally.record(4, 0, 1);
        assert!(tally.done_at.is_some());
        assert_eq!(tally.summary().losses, 0);
    }

    #[test]
    fn an_empty_run_is_complete_at_once() {
        let tally = Tally::new(0);
        assert!(tally.done_at.is_some());
        assert_eq!(tally.summary().p50_us, None);
    }
}
