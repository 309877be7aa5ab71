//! `wamm bench funnel`: N client businesses through the whole MM API funnel, the platform and
//! the orchestrator talking over real sockets.
//!
//! A platform holds a world of N eligible clients, each with a shared WABA, a registered
//! number and an approved marketing template. The orchestrator (its own SQLite store, a vault,
//! its webhook receiver on a local port) syncs them, asks each to onboard through the Intent
//! API, admins accept every request through the control API, Meta's setup runs its course on
//! the platform clock, `MM_LITE_TERMS_SIGNED` webhooks reach the receiver, which fetches,
//! checks and seals each business token, a second sync sees every WABA onboarded, and each client
//! sends one marketing message through MM API, whose `sent` and `delivered` statuses come back
//! by webhook. Each stage prints its wall time and businesses per second.
//!
//! The baseline, measured in the same run: the same number of HTTP round trips the funnel
//! makes per business (eight: Intent API, accept, terms webhook, token fetch, `debug_token`,
//! send, two status webhooks), at the same concurrency, against a handler that answers a
//! canned JSON body: what this machine does for that traffic with no work behind it.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};
use clap::Args;
use serde_json::{Value, json};
use tokio::sync::Semaphore;
use wamm_client::GraphClient;
use wamm_client::receiver::{ReceiverConfig, SinkError, router, sink_fn};
use wamm_partner::client_graph::ClientGraph;
use wamm_partner::graph::PartnerGraph;
use wamm_partner::orchestrate::{self, Asked};
use wamm_partner::send::{SendOrder, send};
use wamm_partner::store::PartnerStore;
use wamm_partner::vault::{Key, Secret, Vault};
use wamm_partner::webhooks::{self, Moves};
use wamm_platform::{Destinations, PlatformConfig, WebhookConfig};
use wamm_world::clients::{self, Client, ClientCase};

use crate::bench::{Report, is_postgres, prepare_database, redact};

/// Businesses through the funnel by default.
const DEFAULT_BUSINESSES: usize = 10_000;
/// Targets: so many businesses through the whole funnel in so many seconds, with the
/// platform on SQLite and on PostgreSQL.
const TARGETS: [Target; 2] = [
    Target {
        businesses: 10_000,
        sqlite_secs: 30.0,
        postgres_secs: 30.0,
    },
    Target {
        businesses: 100_000,
        sqlite_secs: 300.0,
        postgres_secs: 480.0,
    },
];

/// One throughput target of the funnel.
struct Target {
    businesses: usize,
    sqlite_secs: f64,
    postgres_secs: f64,
}

/// The largest target a run of `n` businesses is held to, and its limit in seconds.
fn target_for(n: usize, postgres: bool) -> Option<(usize, f64)> {
    TARGETS.iter().rev().find(|t| n >= t.businesses).map(|t| {
        (
            t.businesses,
            if postgres {
                t.postgres_secs
            } else {
                t.sqlite_secs
            },
        )
    })
}
/// HTTP round trips per business in the funnel (see the module doc).
const CALLS_PER_BUSINESS: usize = 8;
const VERIFY_TOKEN: &str = "bench-funnel-verify";
/// A Brazilian recipient: marketing to US numbers is blocked.
const RECIPIENT: &str = "5521988887777";

/// Flags of `wamm bench funnel`.
#[derive(Debug, Args)]
pub struct FunnelArgs {
    /// Client businesses to take through the funnel.
    #[arg(long, default_value_t = DEFAULT_BUSINESSES)]
    businesses: usize,
    /// Most calls in flight in each stage (Intent API, accepts, sends).
    #[arg(long, default_value_t = 32)]
    concurrency: usize,
    /// The platform's database: `sqlite:FILE` or `postgres://user@host/db` (a scratch
    /// database is made next to it). Default: a temporary SQLite file. The orchestrator
    /// always keeps its own SQLite file in a temporary directory.
    #[arg(long)]
    database_url: Option<String>,
    /// Seconds a stage may wait for webhooks before the run gives up.
    #[arg(long, default_value_t = 300)]
    wait_secs: u64,
}

/// Pushes a finished stage, and says so on stderr while the run goes on.
fn done(stages: &mut Vec<Stage>, stage: Stage) {
    eprintln!(
        "{} done in {:.2} s: {}",
        stage.name,
        stage.took.as_secs_f64(),
        stage.what
    );
    stages.push(stage);
}

/// One stage's wall time.
struct Stage {
    name: &'static str,
    what: String,
    took: Duration,
}

/// Runs `wamm bench funnel`.
pub async fn run(args: FunnelArgs) -> Result<()> {
    ensure!(
        args.businesses > 0 && args.concurrency > 0,
        "--businesses and --concurrency must be positive"
    );
    let n = args.businesses;
    let mut out = Report::default();
    out.line(format!(
        "wamm bench funnel: {n} client businesses, {} calls in flight per stage",
        args.concurrency
    ));
    let baseline = baseline(n * CALLS_PER_BUSINESS, args.concurrency).await?;
    out.line(format!(
        "baseline ({CALLS_PER_BUSINESS} canned HTTP round trips per business, no work behind \
         them): {:.2} s, {:.0} businesses/s",
        baseline.as_secs_f64(),
        per_sec(n, baseline)
    ));

    let (database_url, _dir, scratch) = prepare_database(args.database_url.as_deref()).await?;
    let result = through_the_funnel(&args, &database_url).await;
    if let Some(scratch) = scratch {
        scratch.drop_database().await?;
    }
    let stages = result?;
    out.line(format!(
        "platform on {}, orchestrator on SQLite:",
        redact(&database_url)
    ));
    let mut total = Duration::ZERO;
    for stage in &stages {
        total += stage.took;
        out.line(format!(
            "  {:<9} {:>7.2} s {:>8.0} businesses/s  {}",
            stage.name,
            stage.took.as_secs_f64(),
            per_sec(n, stage.took),
            stage.what
        ));
    }
    out.line(format!(
        "  total     {:>7.2} s {:>8.0} businesses/s through the whole funnel",
        total.as_secs_f64(),
        per_sec(n, total)
    ));
    if let Some((businesses, secs)) = target_for(n, is_postgres(&database_url)) {
        // A run larger than a target is held to that target's time: a stricter bar.
        let verdict = if total.as_secs_f64() < secs {
            "met"
        } else {
            "NOT met"
        };
        out.line(format!(
            "  target    {businesses} businesses in under {secs:.0} s: {verdict}"
        ));
    }
    out.print()
}

fn per_sec(n: usize, took: Duration) -> f64 {
    #[expect(clippy::cast_precision_loss, reason = "counts are far below 2^52")]
    let n = n as f64;
    n / took.as_secs_f64().max(1e-9)
}

/// `calls` POSTs at `concurrency` to a handler that answers canned JSON.
async fn baseline(calls: usize, concurrency: usize) -> Result<Duration> {
    let app = axum::Router::new().route(
        "/canned",
        axum::routing::post(|| async {
            axum::Json(json!({"messaging_product": "whatsapp", "messages": [{"id": "wamid.x"}]}))
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/canned", listener.local_addr()?);
    let server = tokio::spawn(async move { axum::serve(listener, app).await });
    let http = reqwest::Client::new();
    let started = Instant::now();
    let next = Arc::new(AtomicUsize::new(0));
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..concurrency {
        let (http, url, next) = (http.clone(), url.clone(), Arc::clone(&next));
        tasks.spawn(async move {
            while next.fetch_add(1, Ordering::Relaxed) < calls {
                http.post(&url)
                    .json(&json!({"to": RECIPIENT}))
                    .send()
                    .await?
                    .bytes()
                    .await?;
            }
            Ok::<_, reqwest::Error>(())
        });
    }
    while let Some(done) = tasks.join_next().await {
        done.context("a baseline task failed")??;
    }
    let took = started.elapsed();
    server.abort();
    Ok(took)
}

/// Runs `task` on every item, at most `concurrency` at once, each to its end; the first
/// failure is the answer.
async fn bounded<T, F, Fut>(items: Vec<T>, concurrency: usize, task: F) -> Result<()>
where
    T: Send + 'static,
    F: Fn(T) -> Fut,
    Fut: Future<Output = Result<()>> + Send + 'static,
{
    let gate = Arc::new(Semaphore::new(concurrency));
    let mut tasks = tokio::task::JoinSet::new();
    for item in items {
        let (gate, work) = (Arc::clone(&gate), task(item));
        tasks.spawn(async move {
            let _permit = gate.acquire_owned().await?;
            work.await
        });
    }
    while let Some(joined) = tasks.join_next().await {
        joined.context("a task stopped")??;
    }
    Ok(())
}

/// Moves the platform clock `seconds` ahead (`POST /_wamm/clock`).
async fn advance(http: &reqwest::Client, base: &str, seconds: u64) -> Result<()> {
    let clock = http
        .post(format!("{base}/_wamm/clock"))
        .json(&json!({ "advance_seconds": seconds }))
        .send()
        .await?;
    ensure!(clock.status().is_success(), "advancing the platform clock");
    Ok(())
}

/// Polls `done` every 20 ms until it holds, for at most `wait`.
async fn until<F, Fut>(what: &str, wait: Duration, mut done: F) -> Result<()>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<bool>>,
{
    let deadline = Instant::now() + wait;
    loop {
        if done().await? {
            return Ok(());
        }
        if Instant::now() >= deadline {
            bail!("gave up waiting for {what} after {} s", wait.as_secs());
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn through_the_funnel(args: &FunnelArgs, database_url: &str) -> Result<Vec<Stage>> {
    let n = args.businesses;
    let wait = Duration::from_secs(args.wait_secs);
    let running = wamm_platform::start(PlatformConfig {
        database_url: database_url.to_owned(),
        webhooks: WebhookConfig {
            destinations: Destinations::default().with_loopback(),
            ..WebhookConfig::default()
        },
        ..PlatformConfig::default()
    })
    .await
    .with_context(|| format!("starting the platform on {database_url}"))?;
    let all: Vec<Client> = (0..n)
        .map(|i| Client::with_case(i, ClientCase::Eligible))
        .collect();
    running
        .handle()
        .load_world(&clients::world_of(&all))
        .await
        .context("loading the benchmark world")?;
    let base = running.base_url();
    let result = orchestrator(args, &base, wait).await;
    running.stop().await;
    result
}

async fn orchestrator(args: &FunnelArgs, base: &str, wait: Duration) -> Result<Vec<Stage>> {
    let n = args.businesses;
    let dir = tempfile::tempdir().context("a directory for the orchestrator's store")?;
    let store: Arc<dyn PartnerStore> = wamm_partner::store::connect(&format!(
        "sqlite:{}",
        dir.path().join("partner.db").display()
    ))
    .await?;
    let vault = Arc::new(Vault::new(Key::generate("bench")?.0, vec![])?);
    let app = clients::PARTNER_APP.to_string();
    let graph: Arc<dyn PartnerGraph> = Arc::new(ClientGraph {
        client: GraphClient::builder()
            .base_url(base)
            .token(clients::PARTNER_TOKEN)
            .app_secret(clients::PARTNER_APP_SECRET)
            .build()?,
        partner: clients::PARTNER_BUSINESS.to_string().parse()?,
        app: Some((app.clone(), Secret::new(clients::PARTNER_APP_SECRET))),
    });
    let moves = Moves {
        graph: Arc::clone(&graph),
        store: Arc::clone(&store),
        vault: Arc::clone(&vault),
        now: wamm_partner::web::system_now,
    };
    let receiver = {
        let moves = moves.clone();
        router(
            ReceiverConfig::new(clients::PARTNER_APP_SECRET, VERIFY_TOKEN),
            sink_fn(move |notification| {
                let moves = moves.clone();
                async move {
                    webhooks::handle(&moves, &notification)
                        .await
                        .map_err(|e| SinkError::new(e.to_string()))
                }
            }),
        )
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let callback = format!("http://{}/", listener.local_addr()?);
    let receiving = tokio::spawn(async move { axum::serve(listener, receiver).await });
    let http = reqwest::Client::new();
    let subscribed = http
        .post(format!("{base}/v23.0/{app}/subscriptions"))
        .form(&[
            ("object", "whatsapp_business_account"),
            ("callback_url", callback.as_str()),
            ("verify_token", VERIFY_TOKEN),
            ("fields", "account_update,messages"),
            (
                "access_token",
                &format!("{app}|{}", clients::PARTNER_APP_SECRET),
            ),
        ])
        .send()
        .await?;
    ensure!(
        subscribed.status().is_success(),
        "subscribing the orchestrator's receiver: {}",
        subscribed.text().await.unwrap_or_default()
    );
    let now = wamm_partner::web::system_now;
    let mut stages = Vec::new();

    // Sync.
    let started = Instant::now();
    let synced = orchestrate::sync(&*graph, &*store, now()).await?;
    ensure!(synced.wabas == n, "synced {} WABAs of {n}", synced.wabas);
    done(
        &mut stages,
        Stage {
            name: "sync",
            what: format!("{} WABAs read with their numbers", synced.wabas),
            took: started.elapsed(),
        },
    );

    // The Intent API.
    let started = Instant::now();
    let asked = orchestrate::onboard(
        Arc::clone(&graph),
        Arc::clone(&store),
        &[],
        args.concurrency,
        now(),
        &|_, _| {},
    )
    .await?;
    let requested = asked
        .asked
        .iter()
        .filter(|a| matches!(a, Asked::Requested { .. }))
        .count();
    ensure!(requested == n, "{requested} of {n} requested: {asked:?}");
    done(
        &mut stages,
        Stage {
            name: "onboard",
            what: format!("{requested} Intent API requests"),
            took: started.elapsed(),
        },
    );

    // Admins accept.
    let started = Instant::now();
    let listed: Value = http
        .get(format!("{base}/_wamm/requests"))
        .send()
        .await?
        .json()
        .await?;
    let ids: Vec<String> = listed["data"]
        .as_array()
        .context("the request list")?
        .iter()
        .filter_map(|r| r["id"].as_str().map(str::to_owned))
        .collect();
    ensure!(ids.len() == n, "{} requests listed of {n}", ids.len());
    bounded(ids, args.concurrency, |id| {
        let (http, url) = (http.clone(), format!("{base}/_wamm/requests/{id}/accept"));
        async move {
            let r = http.post(&url).json(&json!({})).send().await?;
            ensure!(r.status().is_success(), "accepting: {}", r.status());
            Ok(())
        }
    })
    .await
    .context("accepting")?;
    let accepted = started.elapsed();
    done(
        &mut stages,
        Stage {
            name: "accept",
            what: format!("{n} requests accepted through the control API"),
            took: accepted,
        },
    );
    // Meta's setup runs its course on the platform clock; at its end each WABA's
    // `MM_LITE_TERMS_SIGNED` webhook makes the orchestrator fetch, check and seal the business
    // token.
    let started = Instant::now();
    advance(&http, base, 700).await?;
    until("every business token", wait, || {
        let store = Arc::clone(&store);
        async move { Ok(store.tokens().await?.len() >= n) }
    })
    .await?;
    done(
        &mut stages,
        Stage {
            name: "tokens",
            what: format!(
                "setup done, {n} terms webhooks in, tokens fetched with fetch_only, checked by \
             debug_token, sealed"
            ),
            took: started.elapsed(),
        },
    );

    // A sync sees every WABA onboarded.
    let started = Instant::now();
    orchestrate::sync(&*graph, &*store, now()).await?;
    let onboarded = store
        .wabas()
        .await?
        .iter()
        .filter(|w| w.status.as_ref().is_some_and(|s| s.as_str() == "ONBOARDED"))
        .count();
    ensure!(onboarded == n, "{onboarded} of {n} WABAs onboarded");
    done(
        &mut stages,
        Stage {
            name: "resync",
            what: format!("{onboarded} WABAs synced as ONBOARDED"),
            took: started.elapsed(),
        },
    );

    // One marketing message each, through MM API.
    let started = Instant::now();
    bounded(store.wabas().await?, args.concurrency, |waba| {
        let moves = moves.clone();
        async move {
            let order = SendOrder {
                waba_id: waba.id,
                to: RECIPIENT.into(),
                template: clients::MARKETING_TEMPLATE.into(),
                language: clients::TEMPLATE_LANGUAGE.into(),
                body: vec!["Ana".into(), "10%".into()],
            };
            let sent = send(
                &*moves.graph,
                &*moves.store,
                &moves.vault,
                &order,
                (moves.now)(),
            )
            .await?;
            ensure!(
                sent.route == "marketing_messages",
                "sent through {}",
                sent.route
            );
            Ok(())
        }
    })
    .await
    .context("sending")?;
    done(
        &mut stages,
        Stage {
            name: "send",
            what: format!("{n} sends through /marketing_messages"),
            took: started.elapsed(),
        },
    );

    // Their statuses, by webhook: `sent` at once, `delivered` as the platform clock moves.
    let started = Instant::now();
    advance(&http, base, 60).await?;
    until("every delivered status", wait, || {
        let store = Arc::clone(&store);
        async move {
            let delivered: i64 = store
                .message_counts()
                .await?
                .iter()
                .filter(|(_, status, _)| status == "delivered" || status == "read")
                .map(|(_, _, count)| count)
                .sum();
            Ok(usize::try_from(delivered).unwrap_or(0) >= n)
        }
    })
    .await?;
    done(
        &mut stages,
        Stage {
            name: "statuses",
            what: format!("{n} delivered statuses recorded from webhooks"),
            took: started.elapsed(),
        },
    );
    receiving.abort();
    Ok(stages)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_run_is_held_to_the_largest_target_it_reaches() {
        assert_eq!(target_for(500, false), None);
        assert_eq!(target_for(10_000, false), Some((10_000, 30.0)));
        assert_eq!(target_for(50_000, true), Some((10_000, 30.0)));
        assert_eq!(target_for(100_000, false), Some((100_000, 300.0)));
        assert_eq!(target_for(100_000, true), Some((100_000, 480.0)));
    }
}
