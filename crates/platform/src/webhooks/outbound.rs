//! The guarded HTTP client for deliveries and handshakes: timeouts, no redirects, a response
//! cap, and an allow-list of destination networks enforced on every resolved address (so a
//! hostname cannot smuggle in a private address).
//!
//! "Public" means an ordinary unicast address: none of IANA's special-purpose ranges that are
//! not globally reachable (private, loopback, link-local, documentation, benchmarking, reserved,
//! site-local, unique local, …), nor multicast or broadcast. IPv6 forms that carry an IPv4
//! address a packet may end up at (IPv4-mapped, NAT64's `64:ff9b::/96`, 6to4's `2002::/16`) are
//! judged by that IPv4 address; IPv4-compatible (`::a.b.c.d`), local-use NAT64 and Teredo
//! addresses are never public.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
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

/// A network as its first address and prefix length, for the tables below.
const fn v4(a: u8, b: u8, c: u8, d: u8, len: u32) -> (u32, u32) {
    (u32::from_be_bytes([a, b, c, d]), len)
}

const fn v6(segments: [u16; 8], len: u32) -> (u128, u32) {
    let mut bits = 0u128;
    let mut i = 0;
    while i < 8 {
        bits = (bits << 16) | segments[i] as u128;
        i += 1;
    }
    (bits, len)
}

/// IPv4 networks that are never a public destination: IANA's special-purpose addresses that are
/// not globally reachable, multicast and the reserved block (broadcast included).
const SPECIAL_V4: &[(u32, u32)] = &[
    v4(0, 0, 0, 0, 8),       // "this network"
    v4(10, 0, 0, 0, 8),      // private
    v4(100, 64, 0, 0, 10),   // shared address space (carrier-grade NAT)
    v4(127, 0, 0, 0, 8),     // loopback
    v4(169, 254, 0, 0, 16),  // link-local
    v4(172, 16, 0, 0, 12),   // private
    v4(192, 0, 0, 0, 24),    // IETF protocol assignments (DS-Lite, NAT64 discovery, …)
    v4(192, 0, 2, 0, 24),    // documentation (TEST-NET-1)
    v4(192, 88, 99, 0, 24),  // 6to4 relay anycast (deprecated)
    v4(192, 168, 0, 0, 16),  // private
    v4(198, 18, 0, 0, 15),   // benchmarking
    v4(198, 51, 100, 0, 24), // documentation (TEST-NET-2)
    v4(203, 0, 113, 0, 24),  // documentation (TEST-NET-3)
    v4(224, 0, 0, 0, 4),     // multicast
    v4(240, 0, 0, 0, 4),     // reserved, and 255.255.255.255 (broadcast)
];

/// IPv6's global unicast space, `2000::/3`, the only one IANA allocates for public use.
/// Everything outside it is never a public destination: unspecified, loopback, IPv4-compatible
/// (`::a.b.c.d`), IPv4-translated, local-use NAT64, discard-only, segment routing SIDs, unique
/// local, link-local, site-local (`fec0::/10`), multicast and the reserved blocks. The forms
/// that carry an IPv4 address a packet may end up at (IPv4-mapped, NAT64's well-known prefix,
/// 6to4) are judged by that address first (see [`embedded_v4`]).
const GLOBAL_UNICAST: (u128, u32) = v6([0x2000, 0, 0, 0, 0, 0, 0, 0], 3);

/// Special-purpose networks inside the global unicast space that are not public.
const SPECIAL_V6: &[(u128, u32)] = &[
    v6([0x2001, 0, 0, 0, 0, 0, 0, 0], 23), // IETF protocol assignments (Teredo, benchmarking, …)
    v6([0x2001, 0xdb8, 0, 0, 0, 0, 0, 0], 32), // documentation
    v6([0x3fff, 0, 0, 0, 0, 0, 0, 0], 20), // documentation
];

/// NAT64's well-known prefix, `64:ff9b::/96`: the last 32 bits are the IPv4 destination.
const NAT64: (u128, u32) = v6([0x64, 0xff9b, 0, 0, 0, 0, 0, 0], 96);
/// 6to4, `2002::/16`: the next 32 bits are the IPv4 address of the site's relay.
const SIX_TO_FOUR: (u128, u32) = v6([0x2002, 0, 0, 0, 0, 0, 0, 0], 16);

fn in_v4(ip: Ipv4Addr, (net, len): (u32, u32)) -> bool {
    u32::from(ip).checked_shr(32 - len).unwrap_or(0) == net.checked_shr(32 - len).unwrap_or(0)
}

fn in_v6(ip: Ipv6Addr, (net, len): (u128, u32)) -> bool {
    u128::from(ip).checked_shr(128 - len).unwrap_or(0) == net.checked_shr(128 - len).unwrap_or(0)
}

/// The IPv4 address an IPv6 address stands for, in the forms where packets to it reach that
/// IPv4 address (IPv4-mapped, NAT64, 6to4).
fn embedded_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    let bits = u128::from(ip);
    if let Some(v4) = ip.to_ipv4_mapped() {
        Some(v4)
    } else if in_v6(ip, NAT64) {
        // Truncation keeps the low 32 bits, the embedded address.
        Some(Ipv4Addr::from(bits as u32))
    } else if in_v6(ip, SIX_TO_FOUR) {
        Some(Ipv4Addr::from((bits >> 80) as u32))
    } else {
        None
    }
}

/// Whether an address is an ordinary public unicast address, one a webhook may be delivered
/// to without being allowed explicitly.
fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => !SPECIAL_V4.iter().any(|&net| in_v4(v4, net)),
        IpAddr::V6(v6) => match embedded_v4(v6) {
            Some(v4) => is_public(IpAddr::V4(v4)),
            None => in_v6(v6, GLOBAL_UNICAST) && !SPECIAL_V6.iter().any(|&net| in_v6(v6, net)),
        },
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

    /// Whether `ip` may be reached. An IPv4-mapped IPv6 address is judged as the IPv4 address
    /// it is, against the allowed networks too.
    pub fn allows(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
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
    use proptest::prelude::*;

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
        assert!(local.allows("::ffff:127.0.0.1".parse().expect("ip")));
        assert!(!local.allows("10.0.0.1".parse().expect("ip")));
        let closed = Destinations {
            allow_public: false,
            allow: vec!["10.0.0.0/8".parse().expect("net")],
        };
        assert!(closed.allows("10.9.9.9".parse().expect("ip")));
        assert!(!closed.allows("93.184.216.34".parse().expect("ip")));
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().expect("an address")
    }

    #[test]
    fn special_ranges_are_not_public() {
        for special in [
            // IPv4.
            "0.1.2.3",
            "100.127.255.255",
            "192.0.0.8",
            "192.0.0.170",
            "192.0.2.1",
            "192.88.99.1",
            "198.18.0.1",
            "198.19.255.255",
            "198.51.100.7",
            "203.0.113.9",
            "224.0.0.1",
            "239.255.255.255",
            "240.0.0.1",
            "250.1.2.3",
            "255.255.255.255",
            // IPv4 inside IPv6.
            "::8.8.8.8",
            "::10.0.0.1",
            "::127.0.0.1",
            "::ffff:169.254.169.254",
            "::ffff:198.18.0.1",
            "64:ff9b::10.0.0.1",
            "64:ff9b::127.0.0.1",
            "64:ff9b::a9fe:a9fe",
            "64:ff9b:1::8.8.8.8",
            "2002:0a00:0001::1",
            "2002:7f00:0001::",
            "2002:c0a8:0101:1::1",
            "2001:0:4136:e378:8000:63bf:3fff:fdd2",
            "2001::1",
            // IPv6.
            "::",
            "::1",
            "::ffff:0:a00:1",
            "100::1",
            "2001:2::1",
            "2001:db8::1",
            "3fff::1",
            "5f00::1",
            "fc00::1",
            "fd12:3456::1",
            "fe80::1",
            "fec0::1",
            "feff::1",
            "ff02::1",
        ] {
            assert!(!is_public(ip(special)), "{special}");
            assert!(!Destinations::default().allows(ip(special)), "{special}");
        }
    }

    #[test]
    fn ordinary_addresses_are_public() {
        for public in [
            "1.1.1.1",
            "8.8.8.8",
            "93.184.216.34",
            "100.63.255.255",
            "100.128.0.0",
            "192.0.1.1",
            "192.88.98.255",
            "198.17.255.255",
            "198.20.0.0",
            "223.255.255.255",
            "::ffff:8.8.8.8",
            "64:ff9b::8.8.8.8",
            "2002:0808:0808::1",
            "2001:200::1",
            "2606:4700:4700::1111",
            "2a00:1450:4001::1",
        ] {
            assert!(is_public(ip(public)), "{public}");
        }
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
        for forbidden in [
            "http://127.0.0.1:9/hook",
            "http://[::127.0.0.1]/hook",
            "http://[::ffff:7f00:1]/hook",
            "http://[64:ff9b::a9fe:a9fe]/latest/meta-data",
            "http://[2002:a9fe:a9fe::]/hook",
            "http://[fec0::1]/hook",
            "http://198.18.0.1/hook",
            "http://240.0.0.1/hook",
        ] {
            assert!(
                matches!(o.check(forbidden), Err(OutboundError::Forbidden(_))),
                "{forbidden}"
            );
        }
        assert!(o.check("https://hooks.partner.example/wa").is_ok());
    }

    /// The special ranges, written out independently of the tables above (as CIDR text).
    const NEVER_PUBLIC: &[&str] = &[
        "0.0.0.0/8",
        "10.0.0.0/8",
        "100.64.0.0/10",
        "127.0.0.0/8",
        "169.254.0.0/16",
        "172.16.0.0/12",
        "192.0.0.0/24",
        "192.0.2.0/24",
        "192.88.99.0/24",
        "192.168.0.0/16",
        "198.18.0.0/15",
        "198.51.100.0/24",
        "203.0.113.0/24",
        "224.0.0.0/4",
        "240.0.0.0/4",
        "::/96",
        "::ffff:0:0:0/96",
        "64:ff9b:1::/48",
        "100::/8",
        "100::/64",
        "200::/7",
        "400::/6",
        "800::/5",
        "1000::/4",
        "2001::/23",
        "2001::/32",
        "2001:db8::/32",
        "3fff::/20",
        "4000::/2",
        "5f00::/16",
        "8000::/1",
        "fc00::/7",
        "fe80::/10",
        "fec0::/10",
        "ff00::/8",
    ];

    /// An address in `net` with the host bits from `host`.
    fn inside(net: &IpNet, host: u128) -> IpAddr {
        match net {
            IpNet::V4(n) => {
                let mask = u32::from(n.hostmask());
                IpAddr::V4(Ipv4Addr::from(
                    u32::from(n.network()) | (host as u32 & mask),
                ))
            }
            IpNet::V6(n) => {
                let mask = u128::from(n.hostmask());
                IpAddr::V6(Ipv6Addr::from(u128::from(n.network()) | (host & mask)))
            }
        }
    }

    /// IPv4 address `v4` in each form that carries one.
    fn carriers(v4: Ipv4Addr, host: u128) -> [Ipv6Addr; 3] {
        let bits = u128::from(u32::from(v4));
        [
            v4.to_ipv6_mapped(),
            Ipv6Addr::from(NAT64.0 | bits),
            Ipv6Addr::from(SIX_TO_FOUR.0 | (bits << 80) | (host & ((1u128 << 80) - 1))),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        /// No address inside a special range is ever public, nor any IPv6 address that
        /// carries one, whichever way it is written.
        #[test]
        fn no_address_in_a_special_range_is_public(
            which in any::<prop::sample::Index>(),
            host in any::<u128>(),
        ) {
            let net: IpNet = NEVER_PUBLIC[which.index(NEVER_PUBLIC.len())]
                .parse()
                .map_err(|e| TestCaseError::fail(format!("{e}")))?;
            let addr = inside(&net, host);
            prop_assert!(!is_public(addr), "{addr} in {net}");
            prop_assert!(!Destinations::default().allows(addr), "{addr} in {net}");
            if let IpAddr::V4(v4) = addr {
                for carrier in carriers(v4, host) {
                    prop_assert!(!is_public(IpAddr::V6(carrier)), "{carrier} carries {v4}");
                }
            }
        }

        /// An IPv6 address that carries an IPv4 address is exactly as public as it.
        #[test]
        fn carriers_are_judged_by_the_address_they_carry(v4 in any::<u32>(), host in any::<u128>()) {
            let v4 = Ipv4Addr::from(v4);
            for carrier in carriers(v4, host) {
                prop_assert_eq!(is_public(IpAddr::V6(carrier)), is_public(IpAddr::V4(v4)), "{}", carrier);
            }
        }
    }
}
