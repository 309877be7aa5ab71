//! `wamm`: run the MM API platform (`serve`, `up`), measure it (`bench`), and run a partner's
//! onboarding orchestrator against it or real Graph (`partner`).
//!
//! The binary only wires things together: every behaviour lives in the library crates.

mod bench;
mod bench_funnel;
mod bench_metrics;
mod bench_send;
mod partner;
mod up;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use clap::{Args, Parser, Subcommand};
use wamm_platform::{
    ConnectionLimits, KeySource, PlatformConfig, Timing, TokenKeys, VersionPolicy, WebhookConfig,
};
use wamm_wire::GraphVersion;

/// The server allocates and frees many small JSON values per request from several threads;
/// mimalloc's per-thread heaps serve that pattern far better than the system allocator.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// wamm: Meta's Marketing Messages API onboarding system, runnable anywhere.
#[derive(Debug, Parser)]
#[command(name = "wamm", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the platform.
    Serve(ServeArgs),
    /// Run the platform with a ready demo world and print credentials to use at once.
    Up(UpArgs),
    /// Measure the platform against what this machine can do (e.g. `bench webhooks`).
    Bench(bench::BenchArgs),
    /// The partner's onboarding orchestrator, against real Graph or a wamm platform.
    Partner(partner::PartnerArgs),
    /// Manage the key file business tokens are derived with.
    TokenKey(TokenKeyArgs),
}

/// Flags of `token-key`.
#[derive(Debug, Args)]
struct TokenKeyArgs {
    #[command(subcommand)]
    action: TokenKeyAction,
}

#[derive(Debug, Subcommand)]
enum TokenKeyAction {
    /// Put a fresh key at the top of the key file (created if missing); older keys stay
    /// listed so their tokens can still be fetched. Restart the platform to use it.
    Rotate {
        /// The key file.
        #[arg(long, env = "WAMM_TOKEN_KEY_FILE")]
        file: PathBuf,
    },
}

/// Flags shared by `serve` and `up`.
#[derive(Debug, Args, Clone)]
struct ServeArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080", env = "WAMM_LISTEN")]
    listen: SocketAddr,
    /// `sqlite:FILE`, `sqlite::memory:` or `postgres://user@host/db`.
    #[arg(long, default_value = "sqlite:wamm.db", env = "WAMM_DATABASE_URL")]
    database_url: String,
    /// A world file (YAML or JSON) to load at start, replacing the stored world.
    #[arg(long)]
    world: Option<PathBuf>,
    /// Seed that makes generated IDs, secrets and tokens reproducible.
    #[arg(long)]
    seed: Option<u64>,
    /// Meta-side delays: `real` (minutes, as Meta) or `fast` (seconds, for demos).
    #[arg(long, default_value = "real", value_parser = ["real", "fast"])]
    timing: String,
    /// Supported Graph versions, comma-separated (default v22.0 through v26.0).
    #[arg(long, value_delimiter = ',')]
    graph_versions: Vec<String>,
    /// Networks webhook deliveries may reach besides public addresses (repeatable), e.g.
    /// `127.0.0.0/8` for a receiver on this machine. `up` always allows loopback.
    #[arg(long = "webhook-allow", value_name = "CIDR")]
    webhook_allow: Vec<String>,
    /// Refuse public destinations: deliver only to `--webhook-allow` networks.
    #[arg(long)]
    webhook_private_only: bool,
    /// Give up on a delivery this many seconds after it was enqueued (Meta: 7 days).
    #[arg(long, default_value_t = 7 * 24 * 3600)]
    webhook_max_age_secs: u64,
    /// Seconds a webhook delivery or handshake may take before it counts as failed. Claimed
    /// deliveries stay leased for twice this plus 5 s, so after a crash they are retried then.
    #[arg(long, default_value_t = 10)]
    webhook_timeout_secs: u64,
    /// Most entries in one webhook POST (Meta: up to 1000).
    #[arg(long, default_value_t = 1000)]
    webhook_batch: usize,
    /// Do not run the webhook dispatcher in this process (another replica does).
    #[arg(long)]
    no_dispatch: bool,
    /// Do not send the legacy `AD_ACCOUNT_LINKED` webhook after onboarding (Meta retired it).
    #[arg(long)]
    no_ad_account_linked: bool,
    /// File of the keys business tokens are derived with (created, owner-only, if missing).
    /// Default: beside a SQLite database file (`wamm.db.token-key`); otherwise the keys in
    /// `WAMM_TOKEN_KEY`, or a key held in memory only.
    #[arg(long, env = "WAMM_TOKEN_KEY_FILE")]
    token_key_file: Option<PathBuf>,
    /// A host name the console, pages and control API answer besides loopback names and the
    /// listen address (repeatable), e.g. the platform's name on a container network.
    #[arg(
        long = "public-host",
        value_name = "NAME",
        env = "WAMM_PUBLIC_HOST",
        value_delimiter = ','
    )]
    public_hosts: Vec<String>,
    /// Seconds a client has to send a request's headers, counted from connecting or, on a
    /// kept-alive connection, from the first byte of the next request.
    #[arg(long, default_value_t = ConnectionLimits::default().header_timeout.as_secs(),
          value_parser = clap::value_parser!(u64).range(1..))]
    header_timeout_secs: u64,
    /// Seconds a connection may stay open between requests before it is closed.
    #[arg(long, default_value_t = ConnectionLimits::default().idle_timeout.as_secs(),
          value_parser = clap::value_parser!(u64).range(1..))]
    idle_timeout_secs: u64,
    /// Seconds a client has to send a request body (else 408), and to take a response.
    #[arg(long, default_value_t = ConnectionLimits::default().body_timeout.as_secs(),
          value_parser = clap::value_parser!(u64).range(1..))]
    body_timeout_secs: u64,
    /// Connections served at once; more are answered 503. Lowered at start if the open-file
    /// limit leaves room for fewer.
    #[arg(long, default_value_t = ConnectionLimits::default().max_connections,
          value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..))]
    max_connections: usize,
}

/// Flags of `up`.
#[derive(Debug, Args)]
struct UpArgs {
    #[command(flatten)]
    serve: ServeArgs,
    /// Print the credentials as one JSON object on a line of its own.
    #[arg(long)]
    json: bool,
    /// Replace whatever world the database holds with a fresh demo world.
    #[arg(long)]
    fresh: bool,
}

impl ServeArgs {
    fn config(&self) -> Result<PlatformConfig> {
        let timing = Timing::parse(&self.timing).context("--timing must be real or fast")?;
        let mut versions = VersionPolicy::default();
        if !self.graph_versions.is_empty() {
            let mut list = self
                .graph_versions
                .iter()
                .map(|v| {
                    v.parse::<GraphVersion>()
                        .map_err(|()| anyhow::anyhow!("--graph-versions: '{v}' is not like v23.0"))
                })
                .collect::<Result<Vec<_>>>()?;
            list.sort();
            list.dedup();
            versions.supported = list;
        }
        let mut webhooks = WebhookConfig {
            dispatch: !self.no_dispatch,
            batch_max: self.webhook_batch.clamp(1, 1000),
            request_timeout: Duration::from_secs(self.webhook_timeout_secs.max(1)),
            ..WebhookConfig::default()
        };
        webhooks.retry.max_age = Duration::from_secs(self.webhook_max_age_secs);
        webhooks.destinations.allow_public = !self.webhook_private_only;
        for cidr in &self.webhook_allow {
            webhooks.destinations.allow.push(
                cidr.parse()
                    .map_err(|e| anyhow::anyhow!("--webhook-allow {cidr}: {e}"))?,
            );
        }
        let connections = ConnectionLimits {
            header_timeout: Duration::from_secs(self.header_timeout_secs),
            idle_timeout: Duration::from_secs(self.idle_timeout_secs),
            body_timeout: Duration::from_secs(self.body_timeout_secs),
            max_connections: self.max_connections,
        };
        Ok(PlatformConfig {
            token_keys: self.token_keys()?,
            public_hosts: self.public_hosts.clone(),
            connections,
            webhooks,
            ad_account_linked_webhook: !self.no_ad_account_linked,
            listen: self.listen,
            database_url: self.database_url.clone(),
            seed: self.seed,
            timing,
            versions,
            ..PlatformConfig::default()
        })
    }
}

impl ServeArgs {
    /// The business-token keys: the given file, else `WAMM_TOKEN_KEY`, else a file beside a
    /// SQLite database file, else a key in memory only.
    fn token_keys(&self) -> Result<TokenKeys> {
        if let Some(path) = &self.token_key_file {
            return Ok(TokenKeys::open_or_create(path)?);
        }
        if let Ok(text) = std::env::var("WAMM_TOKEN_KEY") {
            return TokenKeys::parse(&text, KeySource::Environment).context("WAMM_TOKEN_KEY");
        }
        let file = self
            .database_url
            .strip_prefix("sqlite://")
            .or_else(|| self.database_url.strip_prefix("sqlite:"))
            .filter(|f| !f.starts_with(':') && !f.is_empty())
            .map(|f| f.split('?').next().unwrap_or(f));
        if let Some(db) = file {
            return Ok(TokenKeys::open_or_create(&PathBuf::from(format!(
                "{db}.token-key"
            )))?);
        }
        if !self.database_url.starts_with("sqlite:") {
            tracing::warn!(
                "no --token-key-file or WAMM_TOKEN_KEY: business tokens minted now cannot be fetched after a restart or from another replica"
            );
        }
        Ok(TokenKeys::ephemeral())
    }
}

async fn serve(args: ServeArgs) -> Result<()> {
    let running = wamm_platform::start(args.config()?).await?;
    if let Some(path) = &args.world {
        let text = up::read_world_file(path)?;
        let summary = running
            .handle()
            .load_world(&text)
            .await
            .with_context(|| format!("loading {}", path.display()))?;
        tracing::info!(counts = %summary.counts, "world loaded");
        for t in &summary.tokens {
            // Shown once, on the terminal: the plain token is not stored anywhere.
            eprintln!(
                "token {} (app {}, system user {}): {}",
                t.key.as_deref().unwrap_or("-"),
                t.app_id,
                t.user_id,
                t.token
            );
        }
    }
    eprintln!("wamm platform listening on {}", running.base_url());
    wait_for_shutdown(running).await
}

async fn wait_for_shutdown(running: wamm_platform::Running) -> Result<()> {
    tokio::select! {
        result = tokio::signal::ctrl_c() => {
            result.context("listening for Ctrl-C")?;
            eprintln!("shutting down");
            running.stop().await;
            Ok(())
        }
    }
}

#[tokio::main]
async fn main() -> Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    match cli.command {
        Command::Serve(args) => serve(args).await,
        Command::Bench(args) => bench::run(args).await,
        Command::Partner(args) => partner::run(args).await,
        Command::TokenKey(TokenKeyArgs {
            action: TokenKeyAction::Rotate { file },
        }) => {
            let keys = TokenKeys::rotate_file(&file)?;
            eprintln!(
                "{}: new key {} first, {} key(s) listed; restart the platform to use it",
                file.display(),
                keys.current().fingerprint(),
                keys.all().len()
            );
            Ok(())
        }
        Command::Up(args) => {
            if args.serve.world.is_some() && args.fresh {
                bail!(
                    "--world and --fresh cannot be combined: --world already replaces the stored world"
                );
            }
            let mut config = args.serve.config()?;
            // The demo's receivers run on this machine.
            config.webhooks.destinations = config.webhooks.destinations.with_loopback();
            let running = wamm_platform::start(config).await?;
            up::run(&running, args.serve.world.as_ref(), args.fresh, args.json).await?;
            wait_for_shutdown(running).await
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }
}
