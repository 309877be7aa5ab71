//! `wamm bench send`: accepted sends per second through the real HTTP endpoint.
//!
//! Concurrent keep-alive connections post `/marketing_messages` to a platform whose world has
//! one onboarded WABA with many `HIGH`-throughput numbers (so the per-number limit is not what
//! is measured) and an app subscribed to `messages` at a local receiver: every accepted send is
//! persisted, and its status webhooks flow while the load runs. The same client first drives a
//! baseline in the same run: an axum handler that parses the same JSON with the same parser and
//! answers a canned response. Two phases each: as fast as the connections go, then paced at
//! `--rate` sends per second for the latency figures.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, ensure};
use axum::body::Bytes;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use clap::Args;
use serde_json::{Value, json};
use wamm_platform::{Destinations, PlatformConfig, WebhookConfig};

use crate::bench::{Report, is_postgres, percentile, prepare_database, redact};

const TOKEN: &str = "TOK-BENCH-SEND-0000000000";
const SECRET: &str = "bench-send-secret-00000000000000";
/// Numbers in the world; sends go round-robin over them.
const NUMBERS: u64 = 40;
/// Target: accepted sends per second on SQLite.
const TARGET_SQLITE_PER_SEC: f64 = 25_000.0;
/// Target: accepted sends per second on PostgreSQL.
const TARGET_POSTGRES_PER_SEC: f64 = 12_000.0;
/// Target: p99 in milliseconds at 10,000 sends per second.
const TARGET_P99_MS: f64 = 20.0;

/// Flags of `wamm bench send`.
#[derive(Debug, Args)]
pub struct SendArgs {
    /// Sends in the as-fast-as-possible phase.
    #[arg(long, default_value_t = 50_000)]
    sends: u64,
    /// Concurrent keep-alive connections.
    #[arg(long, default_value_t = 64)]
    connections: u64,
    /// Sends per second in the paced phase.
    #[arg(long, default_value_t = 10_000)]
    rate: u64,
    /// Seconds the paced phase lasts.
    #[arg(long, default_value_t = 5)]
    rate_secs: u64,
    /// `sqlite:FILE` or `postgres://user@host/db` (a scratch database is made next to it).
    /// Default: a temporary SQLite file.
    #[arg(long)]
    database_url: Option<String>,
}

fn world(callback: &str) -> String {
    let mut numbers = String::new();
    for i in 0..NUMBERS {
        numbers += &format!(
            "          - {{ id: \"{}\", display_phone_number: \"+55 11 4{i:03}-0001\", verified_name: Bench, throughput: HIGH }}\n",
            4_000 + i
        );
    }
    format!(
        r#"format: wamm-world/1
apps:
  - key: connect
    id: "2000"
    name: Bench Connect
    secret: {SECRET}
    business: partner
    partner_type: BSP
    permissions: {{ whatsapp_business_messaging: advanced, whatsapp_business_management: advanced }}
    webhooks:
      - {{ callback_url: "{callback}", verify_token: verify-me, fields: [messages] }}
businesses:
  - key: partner
    id: "1000"
    name: Bench Partner
    country: US
    system_users:
      - key: ops
        id: "1100"
        name: Ops
        role: ADMIN
        tokens:
          - {{ app: connect, token: {TOKEN}, scopes: [whatsapp_business_messaging, whatsapp_business_management] }}
  - key: client
    id: "1001"
    name: Bench Client
    country: BR
    mm_terms_signed_at: 2025-10-07
    wabas:
      - key: main
        id: "3001"
        name: Bench WABA
        tax_country: BR
        partners: [{{ business: partner, access: SHARED }}]
        subscribed_apps: [{{ app: connect }}]
        phone_numbers:
{numbers}        templates:
          - {{ name: promo, language: en_US, category: MARKETING, created_at: 2025-10-01,
               components: [{{ type: BODY, text: "Hi {{{{1}}}}" }}] }}
"#
    )
}

fn body(n: u64) -> Value {
    json!({
        "messaging_product": "whatsapp", "recipient_type": "individual",
        "to": format!("55119{n:08}"), "type": "template",
        "template": {"name": "promo", "language": {"code": "en_US"},
                     "components": [{"type": "body", "parameters": [{"type": "text", "text": "Ana"}]}]}
    })
}

/// What one phase measured.
struct Phase {
    accepted: u64,
    refused: u64,
    elapsed: Duration,
    latencies_us: Vec<i64>,
}

impl Phase {
    fn per_sec(&self) -> f64 {
        #[expect(clippy::cast_precision_loss, reason = "send counts are far below 2^52")]
        let n = self.accepted as f64;
        n / self.elapsed.as_secs_f64().max(1e-9)
    }

    fn line(&self, name: &str) -> String {
        let ms = |p| {
            #[expect(
                clippy::cast_precision_loss,
                reason = "microseconds fit an f64 exactly"
            )]
            percentile(&self.latencies_us, p).map_or(f64::NAN, |us| us as f64 / 1000.0)
        };
        format!(
            "  {name:<9} {:>9.0} accepted/s ({} accepted, {} refused in {:.2} s); latency p50 {:.2} ms, p99 {:.2} ms",
            self.per_sec(),
            self.accepted,
            self.refused,
            self.elapsed.as_secs_f64(),
            ms(50.0),
            ms(99.0)
        )
    }
}

/// Drives `total` sends (or, paced, `rate` per second for `secs`) at `url` over `connections`.
async fn drive(
    url: &str,
    connections: u64,
    total: u64,
    pace: Option<(u64, u64)>,
    first_n: u64,
) -> Result<Phase> {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(usize::try_from(connections).unwrap_or(64))
        .build()
        .context("building the HTTP client")?;
    let next = Arc::new(AtomicU64::new(0));
    let (limit, interval) = match pace {
        Some((rate, secs)) => (
            rate * secs,
            Some(Duration::from_secs_f64(1.0 / rate.max(1) as f64)),
        ),
        None => (total, None),
    };
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..connections {
        let (client, next, url) = (client.clone(), Arc::clone(&next), url.to_owned());
        tasks.push(tokio::spawn(async move {
            let (mut ok, mut refused, mut lat) = (0u64, 0u64, Vec::new());
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= limit {
                    break;
                }
                if let Some(every) = interval {
                    // Open loop: send i is due at i × interval after the start.
                    let due = started + every.mul_f64(i as f64);
                    tokio::time::sleep_until(due.into()).await;
                }
                let t = Instant::now();
                let res = client
                    .post(&url)
                    .bearer_auth(TOKEN)
                    .json(&body(first_n + i))
                    .send()
                    .await;
                match res {
                    Ok(r) if r.status() == StatusCode::OK => {
                        let _ = r.bytes().await;
                        ok += 1;
                    }
                    Ok(r) => {
                        let _ = r.bytes().await;
                        refused += 1;
                    }
                    Err(_) => refused += 1,
                }
                lat.push(i64::try_from(t.elapsed().as_micros()).unwrap_or(i64::MAX));
            }
            (ok, refused, lat)
        }));
    }
    let (mut accepted, mut refused, mut latencies_us) = (0, 0, Vec::new());
    for t in tasks {
        let (ok, bad, lat) = t.await.context("a load connection failed")?;
        accepted += ok;
        refused += bad;
        latencies_us.extend(lat);
    }
    let elapsed = started.elapsed();
    latencies_us.sort_unstable();
    Ok(Phase {
        accepted,
        refused,
        elapsed,
        latencies_us,
    })
}

/// The baseline: the same JSON parsed by the same parser, a canned answer.
async fn baseline_server() -> Result<String> {
    async fn handle(body: Bytes) -> impl IntoResponse {
        let parsed = serde_json::from_slice::<serde_json::Map<String, Value>>(&body)
            .ok()
            .and_then(|map| {
                wamm_domain::sending::parse(&map, wamm_domain::sending::Endpoint::MarketingMessages)
                    .ok()
            });
        match parsed {
            Some(req) => (
                StatusCode::OK,
                axum::Json(json!({
                    "messaging_product": "whatsapp",
                    "contacts": [{"input": req.input, "wa_id": req.to}],
                    "messages": [{"id": "wamid.HBgLbaseline", "message_status": "accepted"}],
                })),
            ),
            None => (StatusCode::BAD_REQUEST, axum::Json(json!({"error": {}}))),
        }
    }
    let app = axum::Router::new().route(
        "/v23.0/{phone}/marketing_messages",
        axum::routing::post(handle),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Ok(format!("http://{addr}/v23.0/4000/marketing_messages"))
}

/// A receiver that counts status webhooks.
async fn status_receiver(count: Arc<AtomicU64>) -> Result<String> {
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |body: Bytes| {
            let count = Arc::clone(&count);
            async move {
                let v: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
                let n = v["entry"].as_array().map_or(0, Vec::len);
                count.fetch_add(u64::try_from(n).unwrap_or(0), Ordering::Relaxed);
                StatusCode::OK
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Ok(format!("http://{addr}/hook"))
}

/// Runs `wamm bench send`.
pub async fn run(args: SendArgs) -> Result<()> {
    ensure!(
        args.connections > 0 && args.rate > 0,
        "--connections and --rate must be positive"
    );
    let mut out = Report::default();
    out.line(format!(
        "wamm bench send: {} sends over {} keep-alive connections, then {} sends/s for {} s",
        args.sends, args.connections, args.rate, args.rate_secs
    ));
    let base_url = baseline_server().await?;
    let fast = drive(&base_url, args.connections, args.sends, None, 0).await?;
    let paced = drive(
        &base_url,
        args.connections,
        0,
        Some((args.rate, args.rate_secs)),
        0,
    )
    .await?;
    out.line("baseline (same JSON, same parser, canned answer; no auth, no database):".to_owned());
    out.line(fast.line("max"));
    out.line(paced.line("paced"));

    let statuses = Arc::new(AtomicU64::new(0));
    let callback = status_receiver(Arc::clone(&statuses)).await?;
    let (database_url, _dir, scratch) = prepare_database(args.database_url.as_deref()).await?;
    let webhooks = WebhookConfig {
        destinations: Destinations::default().with_loopback(),
        ..WebhookConfig::default()
    };
    let result = async {
        let running = wamm_platform::start(PlatformConfig {
            database_url: database_url.clone(),
            webhooks,
            ..PlatformConfig::default()
        })
        .await
        .with_context(|| format!("starting the platform on {database_url}"))?;
        running
            .handle()
            .load_world(&world(&callback))
            .await
            .context("loading the benchmark world")?;
        let mut results = Vec::new();
        for (phase, pace, first) in [
            ("max", None, 0),
            ("paced", Some((args.rate, args.rate_secs)), 1_000_000_000),
        ] {
            // Round-robin over the numbers: each connection keeps to one.
            let mut per_number = Vec::new();
            let share = args.connections.div_ceil(NUMBERS).max(1);
            let groups = args.connections.min(NUMBERS);
            for g in 0..groups {
                let url = format!(
                    "{}/v23.0/{}/marketing_messages",
                    running.base_url(),
                    4_000 + g
                );
                let (total, pace) = match pace {
                    None => (args.sends / groups, None),
                    Some((rate, secs)) => (0, Some(((rate / groups).max(1), secs))),
                };
                per_number.push(tokio::spawn(async move {
                    drive(&url, share, total, pace, first + g * 100_000_000).await
                }));
            }
            let mut merged = Phase {
                accepted: 0,
                refused: 0,
                elapsed: Duration::ZERO,
                latencies_us: Vec::new(),
            };
            for t in per_number {
                let p = t.await.context("a load group failed")??;
                merged.accepted += p.accepted;
                merged.refused += p.refused;
                merged.elapsed = merged.elapsed.max(p.elapsed);
                merged.latencies_us.extend(p.latencies_us);
            }
            merged.latencies_us.sort_unstable();
            results.push((phase, merged));
        }
        let accepted: u64 = results.iter().map(|(_, p)| p.accepted).sum();
        // Each accepted send owes `sent` and `delivered`; wait (bounded) for them to flow.
        let deadline = Instant::now() + Duration::from_secs(60);
        while statuses.load(Ordering::Relaxed) < 2 * accepted && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        running.stop().await;
        Ok::<_, anyhow::Error>((results, accepted))
    }
    .await;
    if let Some(scratch) = scratch {
        scratch.drop_database().await?;
    }
    let (results, accepted) = result?;
    out.line(format!(
        "platform on {} (auth, checks, persisted message, lifecycle and status webhooks flowing):",
        redact(&database_url)
    ));
    for (name, phase) in &results {
        out.line(phase.line(name));
    }
    out.line(format!(
        "  statuses  {} of {} owed status webhooks received",
        statuses.load(Ordering::Relaxed),
        2 * accepted
    ));
    let max = results[0].1.per_sec();
    #[expect(
        clippy::cast_precision_loss,
        reason = "microseconds fit an f64 exactly"
    )]
    let p99 =
        percentile(&results[1].1.latencies_us, 99.0).map_or(f64::INFINITY, |us| us as f64 / 1000.0);
    let verdict = |ok: bool| if ok { "met" } else { "NOT met" };
    let target = if is_postgres(&database_url) {
        TARGET_POSTGRES_PER_SEC
    } else {
        TARGET_SQLITE_PER_SEC
    };
    out.line(format!(
        "  target    {target:.0} accepted/s: {}; p99 under {TARGET_P99_MS:.0} ms at {} sends/s: {}",
        verdict(max >= target),
        args.rate,
        verdict(p99 < TARGET_P99_MS)
    ));
    out.print()
}
