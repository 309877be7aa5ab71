//! `wamm partner …`: the onboarding orchestrator's commands. Wiring only: the moves live in
//! `wamm-partner`.

use std::io::Write as _;
use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};
use wamm_client::GraphClient;
use wamm_client::receiver::{ReceiverConfig, SinkError, router, sink_fn};
use wamm_partner::client_graph::ClientGraph;
use wamm_partner::graph::PartnerGraph;
use wamm_partner::store::PartnerStore;
use wamm_partner::vault::{Key, Vault};
use wamm_partner::web::{DashboardState, system_now};
use wamm_partner::webhooks::{self, Moves};
use wamm_partner::{insights, metrics, orchestrate, readiness};

/// `wamm partner`.
#[derive(Debug, Args)]
pub struct PartnerArgs {
    #[command(flatten)]
    config: PartnerConfig,
    #[command(subcommand)]
    command: PartnerCommand,
}

#[derive(Debug, Subcommand)]
enum PartnerCommand {
    /// Read every client WABA and its status from Graph into the store.
    Sync,
    /// Ask client businesses to onboard (the Intent API), each at most once.
    Onboard(OnboardArgs),
    /// Print the funnel: counts per stage and a line per WABA.
    Status(StatusArgs),
    /// Serve the dashboard, the webhook callback, the send API and the Embedded Signup page,
    /// syncing on a timer.
    Serve(ServeArgs),
    /// Send a template for a customer: MM API when its WABA is onboarded and it is MARKETING.
    Send(SendArgs),
    /// Sync every client's template analytics from Graph, then print per-template totals.
    Metrics(MetricsArgs),
    /// Check each client's conversion measurement setup through Graph and print what to fix.
    Readiness(ReadinessArgs),
    /// Print a new token key (`<id>:<base64>`) for `--token-key`.
    Keygen {
        /// The key's id, e.g. the date it takes effect.
        #[arg(long, default_value = "k1")]
        id: String,
    },
}

/// Where Graph is, who the partner is, where the orchestrator keeps its state.
#[derive(Debug, Args)]
struct PartnerConfig {
    /// Graph's base URL: Meta's, or a wamm platform's.
    #[arg(long, global = true, default_value = wamm_client::GRAPH_BASE_URL, env = "WAMM_PARTNER_GRAPH_URL")]
    graph_url: String,
    /// Graph API version.
    #[arg(long, global = true, default_value = wamm_client::DEFAULT_VERSION, env = "WAMM_PARTNER_GRAPH_VERSION")]
    graph_version: String,
    /// The partner's business portfolio ID.
    #[arg(long, global = true, env = "WAMM_PARTNER_BUSINESS_ID")]
    business_id: Option<String>,
    /// The partner's system user access token (never printed).
    #[arg(
        long,
        global = true,
        env = "WAMM_PARTNER_TOKEN",
        hide_env_values = true
    )]
    token: Option<String>,
    /// The partner app's ID (for Embedded Signup code exchanges).
    #[arg(long, global = true, env = "WAMM_PARTNER_APP_ID")]
    app_id: Option<String>,
    /// The partner app's secret: signs every call with `appsecret_proof` (never printed).
    #[arg(
        long,
        global = true,
        env = "WAMM_PARTNER_APP_SECRET",
        hide_env_values = true
    )]
    app_secret: Option<String>,
    /// `sqlite:FILE` (default) or `postgres://…` for the orchestrator's own store.
    #[arg(
        long,
        global = true,
        default_value = "sqlite:wamm-partner.db",
        env = "WAMM_PARTNER_DATABASE_URL"
    )]
    database_url: String,
    /// The key business tokens are sealed under, `<id>:<base64 of 32 bytes>` (`wamm partner keygen`).
    #[arg(
        long,
        global = true,
        env = "WAMM_PARTNER_TOKEN_KEY",
        hide_env_values = true
    )]
    token_key: Option<String>,
    /// Earlier keys that still open stored tokens, comma-separated (see key rotation).
    #[arg(
        long,
        global = true,
        env = "WAMM_PARTNER_PREVIOUS_TOKEN_KEYS",
        hide_env_values = true,
        value_delimiter = ','
    )]
    previous_token_keys: Vec<String>,
    /// Seconds after which an unanswered onboarding request counts as unanswered.
    #[arg(long, global = true, default_value_t = 7 * 86_400)]
    unanswered_after_secs: i64,
}

#[derive(Debug, Args)]
struct OnboardArgs {
    /// Ask every eligible client not asked before.
    #[arg(long, conflicts_with = "business")]
    all_eligible: bool,
    /// Ask these client businesses (repeatable).
    #[arg(long)]
    business: Vec<String>,
    /// Most Intent API calls in flight.
    #[arg(long, default_value_t = 8)]
    concurrency: usize,
    /// Print the summary as JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
struct SendArgs {
    /// The client WABA to send from.
    #[arg(long)]
    waba: String,
    /// The recipient's phone number.
    #[arg(long)]
    to: String,
    /// The template's name.
    #[arg(long)]
    template: String,
    /// The template's language.
    #[arg(long, default_value = "en_US")]
    language: String,
    /// Body parameters, in order (repeatable).
    #[arg(long = "body")]
    body: Vec<String>,
}

#[derive(Debug, Args)]
struct MetricsArgs {
    /// Only this client business.
    #[arg(long)]
    business: Option<String>,
    /// From this UTC day on (`YYYY-MM-DD`); default: the last 30 days.
    #[arg(long)]
    since: Option<String>,
    /// Print what the store holds without syncing from Graph first.
    #[arg(long)]
    no_sync: bool,
    /// Print the totals as JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
struct ReadinessArgs {
    /// Only this client business.
    #[arg(long)]
    business: Option<String>,
    /// Print the checks as JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
struct StatusArgs {
    /// Print the funnel as JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
struct ServeArgs {
    /// Address to listen on (dashboard at `/`, webhooks at `/webhooks`).
    #[arg(long, default_value = "127.0.0.1:8090", env = "WAMM_PARTNER_LISTEN")]
    listen: SocketAddr,
    /// The verify token of the webhook handshake (never printed).
    #[arg(long, env = "WAMM_PARTNER_VERIFY_TOKEN", hide_env_values = true)]
    verify_token: String,
    /// Seconds between syncs from Graph.
    #[arg(long, default_value_t = 60)]
    sync_every_secs: u64,
    /// The bearer key callers of `POST /api/send` present (never printed); without it the
    /// send API is off.
    #[arg(long, env = "WAMM_PARTNER_API_KEY", hide_env_values = true)]
    api_key: Option<String>,
    /// The Facebook Login for Business configuration the Embedded Signup page (`/signup`)
    /// names; without it the page is off. Needs `--app-id`, `--app-secret` and `--signup-pin`.
    #[arg(long, env = "WAMM_PARTNER_SIGNUP_CONFIG_ID")]
    signup_config_id: Option<String>,
    /// Where the signup page loads the JavaScript SDK from: Meta's, or a wamm platform's
    /// `<platform>/en_US/sdk.js`. Session events are believed from its origin only.
    #[arg(
        long,
        env = "WAMM_PARTNER_SIGNUP_SDK_URL",
        default_value = wamm_partner::web::signup_page::META_SDK_URL
    )]
    signup_sdk_url: String,
    /// The six-digit two-step verification PIN new numbers are registered with (never
    /// printed); required with `--signup-config-id`.
    #[arg(long, env = "WAMM_PARTNER_SIGNUP_PIN", hide_env_values = true)]
    signup_pin: Option<String>,
}

impl PartnerConfig {
    fn graph(&self) -> Result<Arc<dyn PartnerGraph>> {
        let partner = self
            .business_id
            .as_deref()
            .context("--business-id (or WAMM_PARTNER_BUSINESS_ID) is required")?
            .parse()
            .context("--business-id must be a Graph ID")?;
        let token = self
            .token
            .as_deref()
            .context("--token (or WAMM_PARTNER_TOKEN) is required")?;
        let mut client = GraphClient::builder()
            .base_url(&self.graph_url)
            .version(&self.graph_version)
            .token(token);
        if let Some(secret) = &self.app_secret {
            client = client.app_secret(secret);
        }
        Ok(Arc::new(ClientGraph {
            client: client.build()?,
            partner,
            app: self
                .app_id
                .clone()
                .zip(self.app_secret.clone())
                .map(|(id, secret)| (id, wamm_partner::vault::Secret::new(secret))),
        }))
    }

    fn vault(&self) -> Result<Vault> {
        let current = Key::parse(self.token_key.as_deref().context(
            "--token-key (or WAMM_PARTNER_TOKEN_KEY) is required: `wamm partner keygen` makes one",
        )?)?;
        let previous = self
            .previous_token_keys
            .iter()
            .filter(|k| !k.trim().is_empty())
            .map(|k| Key::parse(k))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Vault::new(current, previous)?)
    }

    async fn store(&self) -> Result<Arc<dyn PartnerStore>> {
        Ok(wamm_partner::store::connect(&self.database_url).await?)
    }

    fn dashboard(&self, store: Arc<dyn PartnerStore>) -> DashboardState {
        DashboardState {
            store,
            partner: self.business_id.clone().unwrap_or_default(),
            unanswered_after: self.unanswered_after_secs,
            now: system_now,
        }
    }
}

/// Writes a line of the command's answer to stdout (logs go to stderr).
fn say(text: &str) -> Result<()> {
    let mut out = std::io::stdout().lock();
    writeln!(out, "{text}").context("writing to stdout")
}

/// Runs a `wamm partner` command.
pub async fn run(args: PartnerArgs) -> Result<()> {
    let config = args.config;
    match args.command {
        PartnerCommand::Keygen { id } => {
            let (_, text) = Key::generate(&id)?;
            say(&text)?;
            Ok(())
        }
        PartnerCommand::Sync => {
            let store = config.store().await?;
            let graph = config.graph()?;
            let summary = orchestrate::sync(&*graph, &*store, system_now()).await?;
            say(&format!(
                "synced {} businesses, {} WABAs ({} changed)",
                summary.businesses, summary.wabas, summary.changed
            ))?;
            // With a key, signed clients' business tokens are taken too.
            if config.token_key.is_some() {
                let fetched = orchestrate::fetch_missing_tokens(
                    &*graph,
                    &*store,
                    &config.vault()?,
                    system_now(),
                )
                .await?;
                say(&format!("took {fetched} business tokens"))?;
            }
            Ok(())
        }
        PartnerCommand::Onboard(onboard) => {
            if !onboard.all_eligible && onboard.business.is_empty() {
                bail!("say which clients: --all-eligible or --business ID");
            }
            let store = config.store().await?;
            let graph = config.graph()?;
            orchestrate::sync(&*graph, &*store, system_now()).await?;
            let progress = |done: usize, total: usize| {
                // A one-line bar on stderr, redrawn in place.
                let width = 30;
                let filled = done * width / total.max(1);
                eprint!(
                    "\r[{}{}] {done}/{total}",
                    "#".repeat(filled),
                    "-".repeat(width - filled)
                );
                let _ = std::io::stderr().flush();
            };
            let summary = orchestrate::onboard(
                graph,
                store,
                &onboard.business,
                onboard.concurrency,
                system_now(),
                &progress,
            )
            .await?;
            eprintln!();
            if onboard.json {
                say(&serde_json::to_string_pretty(&summary)?)?;
            } else {
                let (mut requested, mut already, mut failed) = (0, 0, 0);
                for asked in &summary.asked {
                    match asked {
                        orchestrate::Asked::Requested { .. } => requested += 1,
                        orchestrate::Asked::AlreadyRequested { .. } => already += 1,
                        orchestrate::Asked::Failed { business, error } => {
                            failed += 1;
                            eprintln!("{business}: {error}");
                        }
                    }
                }
                say(&format!(
                    "requested {requested}, already invited {already}, failed {failed}; \
                     skipped {} asked before, {} with nothing eligible",
                    summary.already_asked, summary.not_eligible
                ))?;
            }
            Ok(())
        }
        PartnerCommand::Status(status) => {
            let store = config.store().await?;
            let view = wamm_partner::web::current(&config.dashboard(store)).await?;
            if status.json {
                say(&serde_json::to_string_pretty(&view)?)?;
            } else {
                for (stage, n) in &view.counts {
                    say(&format!("{:>20} {n}", stage.name()))?;
                }
                for row in &view.rows {
                    say(&format!(
                        "{} {} {} — {}",
                        row.business_id,
                        row.waba_id,
                        row.standing.stage.name(),
                        row.standing.reason
                    ))?;
                }
            }
            Ok(())
        }
        PartnerCommand::Serve(serve) => serve_all(&config, serve).await,
        PartnerCommand::Metrics(args) => metrics(&config, args).await,
        PartnerCommand::Readiness(args) => readiness(&config, args).await,
        PartnerCommand::Send(args) => {
            let store = config.store().await?;
            let message = wamm_partner::send::send(
                &*config.graph()?,
                &*store,
                &config.vault()?,
                &wamm_partner::send::SendOrder {
                    waba_id: args.waba,
                    to: args.to,
                    template: args.template,
                    language: args.language,
                    body: args.body,
                },
                system_now(),
            )
            .await?;
            say(&serde_json::to_string_pretty(&message)?)
        }
    }
}

async fn serve_all(config: &PartnerConfig, args: ServeArgs) -> Result<()> {
    let store = config.store().await?;
    let graph = config.graph()?;
    let secret = config
        .app_secret
        .clone()
        .context("--app-secret is required to check webhook signatures")?;
    let vault = Arc::new(config.vault()?);
    let moves = Moves {
        graph: Arc::clone(&graph),
        store: Arc::clone(&store),
        vault: Arc::clone(&vault),
        now: system_now,
    };
    let sending = moves.clone();
    let signing_up = moves.clone();
    let sink = sink_fn(move |notification| {
        let moves = moves.clone();
        async move {
            webhooks::handle(&moves, &notification).await.map_err(|e| {
                tracing::warn!(error = %e, "a webhook's move failed; Meta will deliver it again");
                SinkError::new("not handled yet")
            })
        }
    });
    let mut app = wamm_partner::web::router(config.dashboard(Arc::clone(&store))).nest(
        "/webhooks",
        router(ReceiverConfig::new(secret, args.verify_token), sink),
    );
    if let Some(key) = args.api_key {
        app = app.merge(wamm_partner::web::send_api::router(
            wamm_partner::web::send_api::SendState {
                moves: sending,
                api_key: wamm_partner::vault::Secret::new(key),
            },
        ));
    }
    let signup = match &args.signup_config_id {
        Some(config_id) => {
            let pin = args.signup_pin.clone().context(
                "--signup-pin (or WAMM_PARTNER_SIGNUP_PIN) is required with --signup-config-id: \
                 new numbers are registered with it",
            )?;
            let app_id = config.app_id.clone().context(
                "--app-id (or WAMM_PARTNER_APP_ID) is required with --signup-config-id: \
                 the code exchange names the app",
            )?;
            app = app.merge(wamm_partner::web::signup_page::router(
                wamm_partner::web::signup_page::SignupState {
                    moves: signing_up,
                    app_id,
                    config_id: config_id.clone(),
                    sdk_url: args.signup_sdk_url.clone(),
                    graph_version: config.graph_version.clone(),
                    pin: wamm_partner::vault::Secret::new(pin),
                    unanswered_after: config.unanswered_after_secs,
                },
            )?);
            ", signup at /signup"
        }
        None => {
            app = app.merge(wamm_partner::web::signup_page::off_router());
            ""
        }
    };
    let syncing = {
        let (graph, store) = (Arc::clone(&graph), Arc::clone(&store));
        let every = std::time::Duration::from_secs(args.sync_every_secs.max(1));
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            loop {
                tick.tick().await;
                if let Err(e) = orchestrate::sync(&*graph, &*store, system_now()).await {
                    tracing::warn!(error = %e, "sync failed; trying again next tick");
                    continue;
                }
                if let Err(e) =
                    orchestrate::fetch_missing_tokens(&*graph, &*store, &vault, system_now()).await
                {
                    tracing::warn!(error = %e, "could not take missing business tokens");
                }
                match metrics::sync_metrics(&*graph, &*store, system_now(), METRICS_DAYS).await {
                    Ok(done) => {
                        for (waba, reason) in &done.skipped {
                            tracing::debug!(%waba, %reason, "template analytics skipped");
                        }
                    }
                    Err(e) => tracing::warn!(error = %e, "could not sync template analytics"),
                }
                match insights::sync_insights(
                    &*graph,
                    &*store,
                    Some(&*vault),
                    system_now(),
                    METRICS_DAYS,
                )
                .await
                {
                    Ok(done) => {
                        for (waba, reason) in &done.skipped {
                            tracing::debug!(%waba, %reason, "Insights skipped");
                        }
                    }
                    Err(e) => tracing::warn!(error = %e, "could not sync MM API Insights"),
                }
                if let Err(e) = readiness::check(&*graph, &*store, None, system_now()).await {
                    tracing::warn!(error = %e, "could not check conversion readiness");
                }
            }
        })
    };
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    // On stderr whatever the log level: scripts and tests wait for this line.
    eprintln!(
        "wamm partner listening on http://{} (dashboard at /, webhooks at /webhooks{signup})",
        listener.local_addr()?
    );
    let served = axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await;
    syncing.abort();
    Ok(served?)
}

/// How many days of template analytics a sync reads (the dashboard's and the CLI's default
/// window).
const METRICS_DAYS: i64 = 30;

/// The Unix seconds of a `YYYY-MM-DD` day's midnight (UTC).
fn day_of(text: &str) -> Result<i64> {
    let valid = text.len() == 10 && text.as_bytes().get(4) == Some(&b'-');
    valid
        .then(|| wamm_domain::Timestamp::parse(text))
        .flatten()
        .map(wamm_domain::Timestamp::unix_seconds)
        .with_context(|| format!("--since {text}: expected YYYY-MM-DD"))
}

/// `wamm partner metrics`.
async fn metrics(config: &PartnerConfig, args: MetricsArgs) -> Result<()> {
    let store = config.store().await?;
    let now = system_now();
    let since = match &args.since {
        Some(day) => day_of(day)?,
        None => metrics::day_start(now) - (METRICS_DAYS - 1) * 86_400,
    };
    let mut insights_skipped = Vec::new();
    if !args.no_sync {
        let graph = config.graph()?;
        // Without a token key no business token opens: Insights are then skipped.
        let vault = config
            .token_key
            .is_some()
            .then(|| config.vault())
            .transpose()?;
        orchestrate::sync(&*graph, &*store, now).await?;
        if let Some(vault) = &vault {
            orchestrate::fetch_missing_tokens(&*graph, &*store, vault, now).await?;
        }
        let days = (metrics::day_start(now) - since) / 86_400 + 1;
        let done = metrics::sync_metrics(&*graph, &*store, now, days).await?;
        for (waba, reason) in &done.skipped {
            eprintln!("WABA {waba}: template analytics skipped: {reason}");
        }
        let done = insights::sync_insights(&*graph, &*store, vault.as_ref(), now, days).await?;
        for (waba, reason) in &done.skipped {
            eprintln!("WABA {waba}: Insights skipped: {reason}");
        }
        insights_skipped = done.skipped;
    }
    let owners = store
        .wabas()
        .await?
        .into_iter()
        .map(|w| (w.id, w.business_id))
        .collect();
    let days = store.template_days(args.business.as_deref(), since).await?;
    let totals = metrics::totals(&days, &owners);
    let ad_days = store
        .ad_insights_days(args.business.as_deref(), since)
        .await?;
    let accounts = insights::totals(&ad_days, &owners);
    if args.json {
        let doc = serde_json::json!({
            "templates": totals,
            "insights": accounts,
            "insights_skipped": insights_skipped,
        });
        return say(&serde_json::to_string_pretty(&doc)?);
    }
    if totals.is_empty() {
        say("no sends in the window")?;
    } else {
        print_template_totals(&totals)?;
    }
    if !accounts.is_empty() {
        say("")?;
        say("MM API Insights (ad account, with the business token)")?;
        print_insights(&accounts)?;
    }
    Ok(())
}

/// The per-client Insights table of `wamm partner metrics`.
fn print_insights(accounts: &[insights::AccountInsights]) -> Result<()> {
    say(&format!(
        "{:<16} {:<16} {:<18} {:>4} {:>7} {:>9} {:>6} {:>7} {:>6} {:>6} {:>6} {:>10} {:<4}",
        "business",
        "waba",
        "ad account",
        "ads",
        "sent",
        "delivered",
        "read",
        "clicked",
        "dlvr%",
        "read%",
        "click%",
        "spend",
        "cur"
    ))?;
    let pct = |r: Option<f64>| r.map_or_else(|| "-".to_owned(), |r| format!("{r:.1}"));
    for a in accounts {
        say(&format!(
            "{:<16} {:<16} {:<18} {:>4} {:>7} {:>9} {:>6} {:>7} {:>6} {:>6} {:>6} {:>10.4} {:<4}",
            a.business_id,
            a.waba_id,
            a.account_id,
            a.ads,
            a.sent,
            a.delivered,
            a.read,
            a.clicked,
            pct(a.delivery_rate),
            pct(a.read_rate),
            pct(a.click_rate),
            a.spend,
            a.currency.as_deref().unwrap_or("-"),
        ))?;
    }
    Ok(())
}

/// The per-template table of `wamm partner metrics`.
fn print_template_totals(totals: &[metrics::TemplateTotals]) -> Result<()> {
    say(&format!(
        "{:<16} {:<16} {:<24} {:<18} {:>7} {:>9} {:>6} {:>7} {:>6} {:>6} {:>9} {:>9} {:>10}",
        "business",
        "waba",
        "template",
        "product",
        "sent",
        "delivered",
        "read",
        "clicked",
        "read%",
        "click%",
        "spend",
        "purchases",
        "value"
    ))?;
    let pct = |r: Option<f64>| r.map_or_else(|| "-".to_owned(), |r| format!("{r:.1}"));
    for t in totals {
        say(&format!(
            "{:<16} {:<16} {:<24} {:<18} {:>7} {:>9} {:>6} {:>7} {:>6} {:>6} {:>9} {:>9} {:>10.2}",
            t.business_id,
            t.waba_id,
            t.template_name,
            t.product.as_str(),
            t.sent,
            t.delivered,
            t.read,
            t.clicked,
            pct(t.read_rate()),
            pct(t.click_rate()),
            t.cost
                .map_or_else(|| "hidden".to_owned(), |c| format!("{c:.4}")),
            t.conversions.purchases(),
            t.conversions.purchase_value(),
        ))?;
    }
    Ok(())
}

/// `wamm partner readiness`: syncs the funnel, checks each client's conversion measurement
/// setup through Graph, keeps the result for the dashboard and prints it.
async fn readiness(config: &PartnerConfig, args: ReadinessArgs) -> Result<()> {
    let store = config.store().await?;
    let graph = config.graph()?;
    let now = system_now();
    orchestrate::sync(&*graph, &*store, now).await?;
    let checked = readiness::check(&*graph, &*store, args.business.as_deref(), now).await?;
    if args.json {
        return say(&serde_json::to_string_pretty(&checked)?);
    }
    if checked.is_empty() {
        return say("no client business to check");
    }
    let names: std::collections::HashMap<String, String> = store
        .businesses()
        .await?
        .into_iter()
        .map(|b| (b.id, b.name))
        .collect();
    for business in &checked {
        let verdict = if business.ready() {
            "ready"
        } else {
            "not ready"
        };
        let wabas = business.wabas.len() + business.skipped.len();
        say(&format!(
            "{} ({}), {wabas} WABA{}: {verdict}",
            names.get(&business.business_id).map_or("?", String::as_str),
            business.business_id,
            if wabas == 1 { "" } else { "s" },
        ))?;
        for f in &business.findings {
            let template = f
                .template
                .as_ref()
                .map(|t| format!(" template {}", t.name))
                .unwrap_or_default();
            say(&format!(
                "  {:<8} {:<28} WABA {}{template}: {}",
                f.severity.as_str(),
                f.code.as_str(),
                f.waba_id,
                f.message
            ))?;
        }
        for (waba, reason) in &business.skipped {
            say(&format!("  unread   WABA {waba}: {reason}"))?;
        }
    }
    Ok(())
}
