//! Platform time as milliseconds since the Unix epoch.
//!
//! Every rule takes `now` as an argument; the platform clock (which tests can move) decides
//! what `now` is.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// An instant on the platform clock, in milliseconds since the Unix epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Timestamp(pub i64);

impl Timestamp {
    /// From milliseconds since the epoch.
    pub const fn from_millis(ms: i64) -> Self {
        Self(ms)
    }

    /// Milliseconds since the epoch.
    pub const fn millis(self) -> i64 {
        self.0
    }

    /// Whole seconds since the epoch, as Graph's integer timestamps use.
    pub const fn unix_seconds(self) -> i64 {
        self.0.div_euclid(1000)
    }

    /// This instant moved by `seconds` (negative moves back).
    #[must_use]
    pub const fn plus_seconds(self, seconds: i64) -> Self {
        Self(self.0.saturating_add(seconds.saturating_mul(1000)))
    }

    fn datetime(self) -> DateTime<Utc> {
        DateTime::from_timestamp_millis(self.0).unwrap_or_default()
    }

    /// `YYYY-MM-DD` in UTC, as in `marketing_messages_onboarding_status.time`.
    pub fn date(self) -> String {
        self.datetime().format("%Y-%m-%d").to_string()
    }

    /// ISO 8601 with offset, as Graph renders `created_time`-style fields (`2025-10-07T10:00:00+0000`).
    pub fn graph_time(self) -> String {
        self.datetime().format("%Y-%m-%dT%H:%M:%S%z").to_string()
    }

    /// RFC 3339, for the control API and logs.
    pub fn rfc3339(self) -> String {
        self.datetime()
            .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
    }

    /// Parses RFC 3339 (`2026-01-02T03:04:05Z`) or a bare date (`2026-01-02`, midnight UTC).
    pub fn parse(text: &str) -> Option<Self> {
        if let Ok(dt) = DateTime::parse_from_rfc3339(text) {
            return Some(Self(dt.timestamp_millis()));
        }
        chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
            .ok()
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .map(|dt| Self(dt.and_utc().timestamp_millis()))
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.rfc3339())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_and_parses() {
        let t = Timestamp::parse("2025-10-07T10:00:00Z").expect("rfc3339");
        assert_eq!(t.date(), "2025-10-07");
        assert_eq!(t.graph_time(), "2025-10-07T10:00:00+0000");
        assert_eq!(t.unix_seconds(), 1_759_831_200);
        assert_eq!(
            Timestamp::parse("2025-10-07"),
            Some(Timestamp(1_759_795_200_000))
        );
        assert_eq!(t.plus_seconds(60).millis() - t.millis(), 60_000);
        assert!(Timestamp::parse("yesterday").is_none());
    }
}
