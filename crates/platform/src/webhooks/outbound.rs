//! The guarded HTTP client for deliveries and handshakes: timeouts, no redirects, a response
//! cap, and an allow-list of destination networks enforced on every resolved address (so a
//! hostname cannot smuggle in a private address).

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ipnet::IpNet;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};

/// Which destinations deliveries may reach.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Destinations {
    /// Allow any public address.
    pub allow_public: bool,
    /// Networks allowed in addition (e.g. `127.0.0.0/8` for local receivers).
    pub allow: Vec<IpNet>,
}

impl Default for Destinations {
    fn default() -> Self {
        Self {
            allow_public: true,
            allow: Vec::new(),
        }
    }
}

fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            !(v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || v4.is_documentation()
                || (a == 100 && (64..128).contains(&b))
                || a == 0)
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public(IpAddr::V4(v4));
            }
            let first = v6.segments()[0];
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80)
        }
    }
}

impl Destinations {
    /// Loopback allowed too (tests, `wamm up`).
    pub fn with_loopback(mut self) -> Self {
        for net in ["127.0.0.0/8", "::1/128"] {
            if let Ok(n) = net.parse() {
                self.allow.push(n);
            }
        }
        self
    }

    /// Whether `ip` may be reached.
    pub fn allows(&self, ip: IpAddr) -> bool {
        self.allow.iter().any(|n| n.contains(&ip)) || (self.allow_public && is_public(ip))
    }
}

/// Why an outbound call failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OutboundError {
    /// The URL is not an http(s) URL with a host.
    #[error("invalid callback URL: {0}")]
    BadUrl(String),
    /// The destination is not allowed.
    #[error("destination not allowed: {0}")]
    Forbidden(String),
    /// No answer in time.
    #[error("timed out")]
    Timeout,
    /// The connection failed.
    #[error("connection failed: {0}")]
    Connect(String),
    /// Anything else on the wire.
    #[error("request failed: {0}")]
    Other(String),
}

/// An answer from a receiver.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// HTTP status.
    pub status: u16,
    /// Body, cut at the configured cap.
    pub body: Vec<u8>,
    /// Wall time the call took.
    pub elapsed: Duration,
}

#[derive(Debug)]
struct GuardedResolver {
    destinations: Destinations,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let destinations = self.destinations.clone();
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let found: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let allowed: Vec<SocketAddr> = found
                .iter()
                .copied()
                .filter(|a| destinations.allows(a.ip()))
                .collect();
            if allowed.is_empty() {
                return Err(Box::new(std::io::Error::new(
                    std::io::ErrorKind::PermissionDenied,
                    format!("{host} resolves only to addresses outside the allowed destinations"),
                ))
                    as Box<dyn std::error::Error + Send + Sync>);
            }
            let addrs: Addrs = Box::new(allowed.into_iter());
            Ok(addrs)
        })
    }
}

/// The client.
#[derive(Debug, Clone)]
pub struct Outbound {
    http: reqwest::Client,
    destinations: Destinations,
    cap: usize,
}

impl Outbound {
    /// Builds the client.
    pub fn new(
        destinations: Destinations,
        connect_timeout: Duration,
        request_timeout: Duration,
        cap: usize,
    ) -> Self {
        let http = reqwest::Client::builder()
            .connect_timeout(connect_timeout)
            .timeout(request_timeout)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent("facebookexternalua")
            .dns_resolver(Arc::new(GuardedResolver {
                destinations: destinations.clone(),
            }))
            .pool_max_idle_per_host(16)
            .build()
            .unwrap_or_default();
        Self {
            http,
            destinations,
            cap,
        }
    }

    /// Checks a URL's form and, for literal IPs, its destination (hostnames are checked as
    /// they resolve).
    pub fn check(&self, url: &str) -> Result<reqwest::Url, OutboundError> {
        let parsed =
            reqwest::Url::parse(url).map_err(|e| OutboundError::BadUrl(format!("{url}: {e}")))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(OutboundError::BadUrl(format!(
                "{url}: only http and https are supported"
            )));
        }
        let literal = match parsed.host() {
            Some(url::Host::Ipv4(ip)) => Some(IpAddr::V4(ip)),
            Some(url::Host::Ipv6(ip)) => Some(IpAddr::V6(ip)),
            Some(url::Host::Domain(_)) => None,
            None => return Err(OutboundError::BadUrl(format!("{url}: no host"))),
        };
        if let Some(ip) = literal.filter(|ip| !self.destinations.allows(*ip)) {
            return Err(OutboundError::Forbidden(ip.to_string()));
        }
        Ok(parsed)
    }

    async fn finish(
        &self,
        request: reqwest::RequestBuilder,
        started: Instant,
    ) -> Result<Answer, OutboundError> {
        let mut response = request.send().await.map_err(|e| classify(&e))?;
        let status = response.status().as_u16();
        let mut body = Vec::new();
        // Read no more than the cap: a receiver cannot make us buffer an endless answer.
        while body.len() < self.cap {
            match response.chunk().await {
                Ok(Some(chunk)) => {
                    body.extend_from_slice(&chunk[..chunk.len().min(self.cap - body.len())]);
                }
                Ok(None) => break,
                Err(e) => return Err(classify(&e)),
            }
        }
        Ok(Answer {
            status,
            body,
            elapsed: started.elapsed(),
        })
    }

    /// `GET url` with query parameters.
    pub async fn get(&self, url: &str, query: &[(&str, &str)]) -> Result<Answer, OutboundError> {
        let parsed = self.check(url)?;
        let started = Instant::now();
        self.finish(self.http.get(parsed).query(query), started)
            .await
    }

    /// `POST url` with a JSON body and extra headers.
    pub async fn post_json(
        &self,
        url: &str,
        body: Vec<u8>,
        headers: &[(&str, String)],
    ) -> Result<Answer, OutboundError> {
        let parsed = self.check(url)?;
        let started = Instant::now();
        let mut request = self
            .http
            .post(parsed)
            .header("content-type", "application/json")
            .body(body);
        for (name, value) in headers {
            request = request.header(*name, value.as_str());
        }
        self.finish(request, started).await
    }
}

fn classify(e: &reqwest::Error) -> OutboundError {
    if e.is_timeout() {
        OutboundError::Timeout
    } else if e.is_connect() {
        let mut text = e.to_string();
        let mut source = std::error::Error::source(e);
        while let Some(s) = source {
            text = format!("{text}: {s}");
            source = s.source();
        }
        if text.contains("outside the allowed destinations") {
            OutboundError::Forbidden(text)
        } else {
            OutboundError::Connect(text)
        }
    } else {
        OutboundError::Other(e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_private_and_allowed_networks() {
        let d = Destinations::default();
        for private in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.1.1",
            "100.64.0.1",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:10.0.0.1",
        ] {
            assert!(!d.allows(private.parse().expect("ip")), "{private}");
        }
        assert!(d.allows("93.184.216.34".parse().expect("ip")));
        let local = Destinations::default().with_loopback();
        assert!(local.allows("127.0.0.1".parse().expect("ip")));
        assert!(!local.allows("10.0.0.1".parse().expect("ip")));
        let closed = Destinations {
            allow_public: false,
            allow: vec!["10.0.0.0/8".parse().expect("net")],
        };
        assert!(closed.allows("10.9.9.9".parse().expect("ip")));
        assert!(!closed.allows("93.184.216.34".parse().expect("ip")));
    }

    #[test]
    fn urls_are_checked_before_any_request() {
        let o = Outbound::new(
            Destinations::default(),
            Duration::from_secs(1),
            Duration::from_secs(1),
            1024,
        );
        assert!(matches!(
            o.check("ftp://x.test/"),
            Err(OutboundError::BadUrl(_))
        ));
        assert!(matches!(
            o.check("not a url"),
            Err(OutboundError::BadUrl(_))
        ));
        assert!(matches!(
            o.check("http://127.0.0.1:9/hook"),
            Err(OutboundError::Forbidden(_))
        ));
        assert!(o.check("https://hooks.partner.example/wa").is_ok());
    }
}
