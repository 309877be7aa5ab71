//! Platform settings: where to listen, which database, which Graph versions, which timings.

use std::net::SocketAddr;
use std::time::Duration;

use wamm_domain::country::CountryPolicy;
use wamm_wire::GraphVersion;

/// How long Meta-side delays take on the platform clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Timing {
    /// Meta's real values (ad account sync ~10 minutes, ES codes expire in 30 seconds).
    #[default]
    Real,
    /// Short delays for demos (seconds instead of minutes).
    Fast,
}

impl Timing {
    /// Parses `real` or `fast`.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "real" => Some(Self::Real),
            "fast" => Some(Self::Fast),
            _ => None,
        }
    }

    /// Seconds between reminder emails about a pending onboarding request.
    pub const fn reminder_seconds(self) -> i64 {
        match self {
            Self::Real => 24 * 3600,
            Self::Fast => 60,
        }
    }

    /// Seconds an asynchronous Insights report takes to complete.
    pub const fn report_run_seconds(self) -> i64 {
        match self {
            Self::Real => 30,
            Self::Fast => 2,
        }
    }

    /// Seconds Meta takes to finish MM internal setup (ad account and template sync).
    pub const fn mm_setup_seconds(self) -> i64 {
        match self {
            Self::Real => 600,
            Self::Fast => 10,
        }
    }
}

/// Which Graph versions are served, and how others are answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionPolicy {
    /// Supported versions, ascending.
    pub supported: Vec<GraphVersion>,
}

impl Default for VersionPolicy {
    fn default() -> Self {
        Self {
            supported: (22..=26).map(|major| GraphVersion::new(major, 0)).collect(),
        }
    }
}

/// How a requested version is served.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VersionOutcome {
    /// Served as requested.
    Serve(GraphVersion),
    /// Older than the oldest available: Graph upgrades the call to the oldest available.
    Upgrade(GraphVersion),
    /// Newer than any released version.
    Unknown,
}

impl VersionPolicy {
    /// The oldest supported version (used for unversioned calls and expired versions).
    pub fn oldest(&self) -> GraphVersion {
        self.supported
            .first()
            .copied()
            .unwrap_or(GraphVersion::new(23, 0))
    }

    /// The newest supported version.
    pub fn newest(&self) -> GraphVersion {
        self.supported
            .last()
            .copied()
            .unwrap_or(GraphVersion::new(23, 0))
    }

    /// Decides how a requested version is served.
    pub fn resolve(&self, requested: GraphVersion) -> VersionOutcome {
        if self.supported.contains(&requested) {
            VersionOutcome::Serve(requested)
        } else if requested < self.oldest() {
            VersionOutcome::Upgrade(self.oldest())
        } else {
            VersionOutcome::Unknown
        }
    }
}

/// How long clients may take, and how many connections are served at once.
///
/// Every connection is bounded in time: a client that stops sending, sends slowly or just holds
/// a socket open is disconnected, so that idle sockets cannot use up the process's file
/// descriptors (and with them the database's).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionLimits {
    /// Time a client has to send a request's head (request line and headers), counted from the
    /// connection being accepted or, between requests, from the first byte of the next request.
    pub header_timeout: Duration,
    /// Time a connection may stay open with no request on it before it is closed.
    pub idle_timeout: Duration,
    /// Time a client has to send a request body (counted from its head) and to take the
    /// response (counted from the response being ready).
    pub body_timeout: Duration,
    /// Connections served at once; more are answered 503 and closed. Lowered at start when the
    /// process may not open that many files (see `connections`).
    pub max_connections: usize,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        Self {
            header_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(60),
            body_timeout: Duration::from_secs(30),
            max_connections: 1024,
        }
    }
}

/// Everything the platform needs to start.
#[derive(Debug, Clone)]
pub struct PlatformConfig {
    /// Address to bind (port 0 picks a free one).
    pub listen: SocketAddr,
    /// `sqlite::memory:`, `sqlite:path` or `postgres://...`.
    pub database_url: String,
    /// Seed for reproducible IDs and tokens.
    pub seed: Option<u64>,
    /// Delay profile.
    pub timing: Timing,
    /// Graph versions.
    pub versions: VersionPolicy,
    /// MM API country policy.
    pub countries: CountryPolicy,
    /// Webhook delivery.
    pub webhooks: crate::webhooks::WebhookConfig,
    /// Whether each onboarded WABA also gets the legacy `AD_ACCOUNT_LINKED` webhook (Meta
    /// announced its retirement; turn it off to model Meta after it).
    pub ad_account_linked_webhook: bool,
    /// The keys business tokens are derived with (never stored in the database).
    pub token_keys: crate::token_keys::TokenKeys,
    /// Host names the control API and pages answer besides loopback names and the listen
    /// address (e.g. the name a container network gives the platform).
    pub public_hosts: Vec<String>,
    /// Connection timeouts and the connection limit.
    pub connections: ConnectionLimits,
    /// How long loading a world file may take to parse and build (waiting for another load to
    /// finish included) before it is refused, leaving the world as it was. A 25,000-client
    /// world (47 MB) takes about 5 s in a release build and ten times that in a debug build.
    pub world_load_timeout: Duration,
}

impl Default for PlatformConfig {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            database_url: "sqlite::memory:".to_owned(),
            seed: None,
            timing: Timing::Real,
            versions: VersionPolicy::default(),
            countries: CountryPolicy::default(),
            webhooks: crate::webhooks::WebhookConfig::default(),
            ad_account_linked_webhook: true,
            token_keys: crate::token_keys::TokenKeys::ephemeral(),
            public_hosts: Vec::new(),
            connections: ConnectionLimits::default(),
            world_load_timeout: Duration::from_secs(120),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_served_upgraded_or_unknown() {
        let policy = VersionPolicy::default();
        let v = |m| GraphVersion::new(m, 0);
        assert_eq!(policy.resolve(v(23)), VersionOutcome::Serve(v(23)));
        assert_eq!(policy.resolve(v(16)), VersionOutcome::Upgrade(v(22)));
        assert_eq!(policy.resolve(v(99)), VersionOutcome::Unknown);
        assert_eq!(
            policy.resolve(GraphVersion::new(23, 5)),
            VersionOutcome::Unknown
        );
    }
}
