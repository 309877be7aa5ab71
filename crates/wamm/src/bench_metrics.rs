//! `wamm bench metrics`: how fast the metrics endpoints answer over a WABA with a million
//! messages, against a plain scan of those messages.
//!
//! A world with one onboarded WABA (insights confirmed, ten MARKETING templates with URL
//! buttons and their ad objects) gets N messages spread over the last 30 days, every step
//! taken, with the facts their steps produce (`wamm_platform::bench::metrics::fill`). Then, over
//! HTTP on one keep-alive connection, it times template analytics (30 days, the ten templates,
//! MM API) and Insights at account and ad level (`last_30d`), and, as the baseline in the same
//! run, the same figures computed by reading every message row of the WABA and counting its
//! steps in memory (`wamm_platform::bench::metrics::scan`). The figures of the three endpoints
//! and of the scan must agree; the run fails when they do not.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};
use clap::Args;
use serde_json::Value;
use wamm_domain::metrics::{Counts, Day};
use wamm_platform::bench::metrics::{Fill, Scanned, fill, scan};
use wamm_platform::{PlatformConfig, WebhookConfig};
use wamm_wire::ids::{AppId, PhoneNumberId, TemplateId, WabaId};

use crate::bench::{Report, percentile, prepare_database, redact};

/// The partner's token (template analytics).
const PARTNER_TOKEN: &str = "TOK-BENCH-METRICS-PARTNER";
/// The client's token with `ads_read` (Insights).
const CLIENT_TOKEN: &str = "TOK-BENCH-METRICS-CLIENT0";
const WABA: u64 = 3_001;
const PHONE: u64 = 4_000;
const APP: u64 = 2_000;
/// The first template's ID; the others follow.
const FIRST_TEMPLATE: u64 = 9_100;
const TEMPLATES: u64 = 10;
const DAYS: u32 = 30;

/// Flags of `wamm bench metrics`.
#[derive(Debug, Args)]
pub struct MetricsArgs {
    /// Messages written to the WABA (every step taken).
    #[arg(long, default_value_t = 1_000_000)]
    messages: u64,
    /// Requests timed per endpoint, after an untimed one.
    #[arg(long, default_value_t = 200)]
    requests: u32,
    /// Plain scans timed (the baseline), after an untimed one.
    #[arg(long, default_value_t = 3)]
    scans: u32,
    /// `sqlite:FILE` or `postgres://user@host/db` (a scratch database is made next to it).
    /// Default: a temporary SQLite file.
    #[arg(long)]
    database_url: Option<String>,
}

fn world() -> String {
    let mut templates = String::new();
    for i in 0..TEMPLATES {
        templates += &format!(
            "          - {{ id: \"{}\", name: offer_{i}, language: en_US, category: MARKETING, created_at: 2025-10-01,
               components: [{{ type: BODY, text: \"Offer {i}\" }},
                            {{ type: BUTTONS, buttons: [{{ type: URL, text: \"Shop {i}\", url: \"https://shop.example/{i}\" }}] }}] }}\n",
            FIRST_TEMPLATE + i
        );
    }
    format!(
        r#"format: wamm-world/1
apps:
  - key: connect
    id: "{APP}"
    name: Bench Connect
    business: partner
    partner_type: BSP
    permissions: {{ whatsapp_business_messaging: advanced, whatsapp_business_management: advanced,
                   business_management: advanced, ads_read: advanced }}
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
          - {{ app: connect, token: {PARTNER_TOKEN}, scopes: [whatsapp_business_messaging, whatsapp_business_management] }}
  - key: client
    id: "1001"
    name: Bench Client
    country: BR
    mm_terms_signed_at: 2025-10-07
    system_users:
      - key: owner
        id: "1101"
        name: Owner
        role: ADMIN
        tokens:
          - {{ app: connect, token: {CLIENT_TOKEN}, scopes: [whatsapp_business_management, ads_read] }}
    wabas:
      - key: main
        id: "{WABA}"
        name: Bench WABA
        tax_country: BR
        insights_enabled_at: 2025-10-08
        partners: [{{ business: partner, access: SHARED }}]
        phone_numbers:
          - {{ id: "{PHONE}", display_phone_number: "+55 11 4000-0001", verified_name: Bench, throughput: HIGH }}
        templates:
{templates}"#
    )
}

/// The four counts every path is compared on.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Figures {
    sent: i64,
    delivered: i64,
    read: i64,
    clicked: i64,
}

impl Figures {
    fn of(c: &Counts) -> Self {
        Self {
            sent: c.sent,
            delivered: c.delivered,
            read: c.read,
            clicked: c.clicked,
        }
    }

    fn add(&mut self, other: Self) {
        self.sent += other.sent;
        self.delivered += other.delivered;
        self.read += other.read;
        self.clicked += other.clicked;
    }
}

impl std::fmt::Display for Figures {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "sent {}, delivered {}, read {}, clicked {}",
            self.sent, self.delivered, self.read, self.clicked
        )
    }
}

/// Per template, from a template analytics answer.
fn from_template_analytics(body: &Value) -> Result<BTreeMap<u64, Figures>> {
    let mut out: BTreeMap<u64, Figures> = BTreeMap::new();
    let points = body["data"][0]["data_points"]
        .as_array()
        .context("template analytics answered no data points")?;
    for p in points {
        let id: u64 = p["template_id"]
            .as_str()
            .and_then(|t| t.parse().ok())
            .context("a data point without a template ID")?;
        let clicked = p["clicked"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|c| c["type"] == "url_button")
            .filter_map(|c| c["count"].as_i64())
            .sum();
        out.entry(id).or_default().add(Figures {
            sent: p["sent"].as_i64().unwrap_or(0),
            delivered: p["delivered"].as_i64().unwrap_or(0),
            read: p["read"].as_i64().unwrap_or(0),
            clicked,
        });
    }
    Ok(out)
}

/// One Insights row's figures (Insights writes numbers as strings).
fn from_insights_row(row: &Value) -> Figures {
    let n = |f: &str| {
        row[f]
            .as_str()
            .and_then(|v| v.parse().ok())
            .unwrap_or_default()
    };
    Figures {
        sent: n("marketing_messages_sent"),
        delivered: n("marketing_messages_delivered"),
        read: n("marketing_messages_read"),
        clicked: n("marketing_messages_link_btn_click"),
    }
}

/// Times `requests` GETs of `url` with `token`, after one untimed warm-up GET; returns the
/// latencies (µs, sorted) and the last answer.
async fn time_get(
    client: &reqwest::Client,
    url: &str,
    token: &str,
    requests: u32,
) -> Result<(Vec<i64>, Value)> {
    let mut latencies = Vec::new();
    let mut last = Value::Null;
    for i in 0..=requests.max(1) {
        let t = Instant::now();
        let r = client
            .get(url)
            .bearer_auth(token)
            .send()
            .await
            .with_context(|| format!("GET {url}"))?;
        let status = r.status();
        let body: Value = r.json().await.with_context(|| format!("GET {url}"))?;
        if i > 0 {
            latencies.push(i64::try_from(t.elapsed().as_micros()).unwrap_or(i64::MAX));
        }
        ensure!(status.is_success(), "GET {url} answered {status}: {body}");
        last = body;
    }
    latencies.sort_unstable();
    Ok((latencies, last))
}

fn ms(sorted: &[i64], p: f64) -> String {
    #[expect(
        clippy::cast_precision_loss,
        reason = "microseconds fit an f64 exactly"
    )]
    percentile(sorted, p).map_or_else(|| "-".to_owned(), |us| format!("{:.2}", us as f64 / 1000.0))
}

fn timing_line(name: &str, sorted: &[i64]) -> String {
    format!(
        "  {name:<44} p50 {:>9} ms   p99 {:>9} ms   ({} runs)",
        ms(sorted, 50.0),
        ms(sorted, 99.0),
        sorted.len()
    )
}

/// What the run measured and read.
struct Measured {
    filled: wamm_platform::bench::metrics::Filled,
    fill_time: Duration,
    analytics: (Vec<i64>, BTreeMap<u64, Figures>),
    account: (Vec<i64>, Figures),
    ads: (Vec<i64>, BTreeMap<u64, Figures>),
    scans: Vec<i64>,
    scanned: Scanned,
}

async fn measure(args: &MetricsArgs, database_url: &str) -> Result<Measured> {
    let running = wamm_platform::start(PlatformConfig {
        database_url: database_url.to_owned(),
        seed: Some(1),
        webhooks: WebhookConfig {
            dispatch: false,
            ..WebhookConfig::default()
        },
        ..PlatformConfig::default()
    })
    .await
    .with_context(|| format!("starting the platform on {}", redact(database_url)))?;
    let handle = running.handle();
    handle
        .load_world(&world())
        .await
        .context("loading the benchmark world")?;
    let today = Day::of(handle.now());
    let templates: Vec<TemplateId> = (0..TEMPLATES)
        .map(|i| TemplateId::new(FIRST_TEMPLATE + i))
        .collect();
    let spec = Fill {
        waba: WabaId::new(WABA),
        phone: PhoneNumberId::new(PHONE),
        app: AppId::new(APP),
        templates: templates.clone(),
        clickable: templates.clone(),
        messages: args.messages,
        days: DAYS,
        today,
        seed: 1,
    };
    let started = Instant::now();
    let mut next_report = 100_000;
    let filled = fill(handle, &spec, |written| {
        if written >= next_report {
            tracing::info!(written, "messages written");
            next_report += 100_000;
        }
    })
    .await
    .context("writing the messages")?;
    let fill_time = started.elapsed();

    let base = format!("{}/v23.0", running.base_url());
    let client = reqwest::Client::new();
    let from = Day(today.0 - i64::from(DAYS));
    let ids = templates
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(",");
    let analytics_url = format!(
        "{base}/{WABA}/template_analytics?start={}&end={}&granularity=DAILY&template_ids=[{ids}]&product_type=MARKETING_MESSAGES_API_FOR_WHATSAPP&metric_types=SENT,DELIVERED,READ,CLICKED",
        from.start().date(),
        today.start().date()
    );
    let (lat, body) = time_get(&client, &analytics_url, PARTNER_TOKEN, args.requests).await?;
    let analytics = (lat, from_template_analytics(&body)?);

    // The ad account and each template's ad, as the client reads them.
    let mut ad_of = BTreeMap::new();
    let mut account = String::new();
    for t in &templates {
        let r: Value = client
            .get(format!("{base}/{t}?fields=ad_account_id,ad_id"))
            .bearer_auth(PARTNER_TOKEN)
            .send()
            .await?
            .json()
            .await?;
        account = r["ad_account_id"]
            .as_str()
            .context("a template without its ad account")?
            .to_owned();
        ad_of.insert(
            r["ad_id"]
                .as_str()
                .context("a template without its ad")?
                .to_owned(),
            t.get(),
        );
    }
    let fields = "marketing_messages_sent,marketing_messages_delivered,marketing_messages_read,marketing_messages_link_btn_click";
    let account_url =
        format!("{base}/act_{account}/insights?date_preset=last_30d&level=account&fields={fields}");
    let (lat, body) = time_get(&client, &account_url, CLIENT_TOKEN, args.requests).await?;
    let account_figures = (lat, from_insights_row(&body["data"][0]));
    let ads_url = format!(
        "{base}/act_{account}/insights?date_preset=last_30d&level=ad&limit=100&fields={fields},ad_id"
    );
    let (lat, body) = time_get(&client, &ads_url, CLIENT_TOKEN, args.requests).await?;
    let mut by_ad = BTreeMap::new();
    for row in body["data"].as_array().into_iter().flatten() {
        let ad = row["ad_id"].as_str().unwrap_or_default();
        let template = ad_of
            .get(ad)
            .with_context(|| format!("an Insights row for an unknown ad {ad}"))?;
        by_ad.insert(*template, from_insights_row(row));
    }
    let ads = (lat, by_ad);

    // One untimed scan first, as each endpoint had one untimed request: the first read of a
    // freshly written table pays for its cache and, on PostgreSQL, for statistics not yet
    // gathered.
    let mut scans = Vec::new();
    let mut scanned = Scanned::default();
    for i in 0..=args.scans.max(1) {
        let t = Instant::now();
        scanned = scan(handle, WabaId::new(WABA), from, today)
            .await
            .context("scanning the messages")?;
        if i > 0 {
            scans.push(i64::try_from(t.elapsed().as_micros()).unwrap_or(i64::MAX));
        }
    }
    scans.sort_unstable();
    running.stop().await;
    Ok(Measured {
        filled,
        fill_time,
        analytics,
        account: account_figures,
        ads,
        scans,
        scanned,
    })
}

/// Where the endpoints and the scan disagree; empty when they agree.
fn disagreements(m: &Measured) -> Vec<String> {
    let mut out = Vec::new();
    let scanned: BTreeMap<u64, Figures> = m
        .scanned
        .by_template
        .iter()
        .map(|(t, c)| (t.get(), Figures::of(c)))
        .collect();
    let total = Figures::of(&m.scanned.total);
    for t in FIRST_TEMPLATE..FIRST_TEMPLATE + TEMPLATES {
        let scan = scanned.get(&t).copied().unwrap_or_default();
        for (name, got) in [
            ("template analytics", m.analytics.1.get(&t)),
            ("Insights (ad level)", m.ads.1.get(&t)),
        ] {
            let got = got.copied().unwrap_or_default();
            if got != scan {
                out.push(format!("template {t}: {name} {got}; scan {scan}"));
            }
        }
    }
    if m.account.1 != total {
        out.push(format!(
            "Insights (account level) {}; scan {total}",
            m.account.1
        ));
    }
    out
}

/// Runs `wamm bench metrics`.
pub async fn run(args: MetricsArgs) -> Result<()> {
    ensure!(args.messages > 0, "--messages must be positive");
    let mut out = Report::default();
    out.line(format!(
        "wamm bench metrics: {} messages on one WABA ({TEMPLATES} templates, {DAYS} days), {} requests per endpoint, {} plain scans",
        args.messages, args.requests, args.scans
    ));
    let (database_url, _dir, scratch) = prepare_database(args.database_url.as_deref()).await?;
    let result = measure(&args, &database_url).await;
    if let Some(scratch) = scratch {
        scratch.drop_database().await?;
    }
    let m = result?;
    out.line(format!("platform on {}:", redact(&database_url)));
    #[expect(
        clippy::cast_precision_loss,
        reason = "message counts are far below 2^52"
    )]
    let rate = m.filled.messages as f64 / m.fill_time.as_secs_f64().max(1e-9);
    out.line(format!(
        "  written: {} messages, {} steps, {} fact rows in {:.1} s ({rate:.0} messages/s)",
        m.filled.messages,
        m.filled.steps,
        m.filled.fact_keys,
        m.fill_time.as_secs_f64()
    ));
    out.line(timing_line(
        "template analytics (30 days, 10 templates)",
        &m.analytics.0,
    ));
    out.line(timing_line(
        "Insights, account level (last_30d)",
        &m.account.0,
    ));
    out.line(timing_line("Insights, ad level (last_30d)", &m.ads.0));
    out.line(format!(
        "baseline: a plain scan of the WABA's {} message rows, steps counted in memory:",
        m.scanned.messages
    ));
    out.line(timing_line("scan", &m.scans));
    let problems = disagreements(&m);
    out.line(format!(
        "figures (MM API, {DAYS} days): {}; {}",
        Figures::of(&m.scanned.total),
        if problems.is_empty() {
            "template analytics, Insights (account and ad level) and the scan agree"
        } else {
            "the endpoints and the scan DISAGREE"
        }
    ));
    for p in &problems {
        out.line(format!("  {p}"));
    }
    out.print()?;
    if !problems.is_empty() {
        bail!("the metrics endpoints and the plain scan disagree");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn template_analytics_points_sum_per_template() {
        let body = json!({"data": [{"data_points": [
            {"template_id": "9100", "sent": 2, "delivered": 2, "read": 1,
             "clicked": [{"type": "url_button", "count": 1}, {"type": "unique_url_button", "count": 1}]},
            {"template_id": "9100", "sent": 3, "delivered": 2, "read": 0, "clicked": []},
            {"template_id": "9101", "sent": 1, "delivered": 1, "read": 1, "clicked": []},
        ]}]});
        let got = from_template_analytics(&body).expect("parsed");
        assert_eq!(
            got[&9100],
            Figures {
                sent: 5,
                delivered: 4,
                read: 1,
                clicked: 1
            }
        );
        assert_eq!(got[&9101].sent, 1);
        assert!(from_template_analytics(&json!({"data": []})).is_err());
    }

    #[test]
    fn insights_rows_read_their_strings() {
        let row = json!({"marketing_messages_sent": "10", "marketing_messages_delivered": "9",
                         "marketing_messages_read": "4", "marketing_messages_link_btn_click": "2"});
        assert_eq!(
            from_insights_row(&row),
            Figures {
                sent: 10,
                delivered: 9,
                read: 4,
                clicked: 2
            }
        );
    }
}
