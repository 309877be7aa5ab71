//! When to call Graph again after a failure, and how long to wait first.
//!
//! Two questions are kept apart. *May* this failure be retried? That depends on the failure
//! (throttling, a transient Graph error, a transport error) and on the call: a read can be
//! repeated blindly, a send cannot, because a send whose answer was lost may already have gone
//! out. *How long* to wait? Exponential back-off with jitter, unless Graph said how long in
//! `x-business-use-case-usage` (`estimated_time_to_regain_access`), in which case that wait
//! is used, up to [`RetryPolicy::max_delay`]; a wait longer than
//! [`RetryPolicy::max_regain_wait`] is not worth blocking a caller for, so the error is
//! returned instead.
//!
//! Every decision is a pure function of its inputs (the random draw for jitter is a
//! parameter), so the policy is tested without sleeping.

use std::time::Duration;

use crate::error::{ClientError, graph_error_is_transient};
use crate::usage::ThrottleHint;

/// How safe it is to send a call again when its outcome is unknown or it failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Replay {
    /// Repeating the call has no further effect (reads, `fetch_only` token fetches,
    /// subscriptions, registrations, deletes): every retryable failure is retried.
    Idempotent,
    /// Repeating the call could act twice (a send, a new intent request, a new token, a
    /// single-use code exchange): only failures that prove the call was not acted upon are
    /// retried, that is throttling (Graph refuses a throttled call before acting on it) and
    /// connection failures (nothing was sent).
    IfNotAccepted,
}

/// Retry and back-off settings. [`RetryPolicy::default`] suits interactive partner tools;
/// [`RetryPolicy::none`] turns retries off.
#[derive(Debug, Clone, PartialEq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included; 1 means no retry.
    pub max_attempts: u32,
    /// Back-off before the first retry; each later retry doubles it.
    pub base_delay: Duration,
    /// Longest single wait, whether from back-off or from Graph's estimate.
    pub max_delay: Duration,
    /// Share of each back-off delay that is random, from 0 (none: exact doubling) to 1 (full
    /// jitter: anywhere between zero and the delay). Spreads the retries of many clients that
    /// were throttled at once.
    pub jitter: f64,
    /// When Graph estimates that access returns later than this, give up at once instead of
    /// waiting.
    pub max_regain_wait: Duration,
    /// The unit of `estimated_time_to_regain_access`: one minute, per Meta's rate-limiting
    /// guide. Only tests have a reason to change it.
    pub regain_access_unit: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 4,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(60),
            jitter: 0.5,
            max_regain_wait: Duration::from_secs(60),
            regain_access_unit: Duration::from_secs(60),
        }
    }
}

impl RetryPolicy {
    /// No retries: every failure is returned as it happens.
    pub fn none() -> Self {
        Self {
            max_attempts: 1,
            ..Self::default()
        }
    }

    /// Sets [`Self::max_attempts`] (at least 1).
    #[must_use]
    pub fn with_max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts.max(1);
        self
    }

    /// Sets [`Self::base_delay`].
    #[must_use]
    pub fn with_base_delay(mut self, delay: Duration) -> Self {
        self.base_delay = delay;
        self
    }

    /// Sets [`Self::max_delay`].
    #[must_use]
    pub fn with_max_delay(mut self, delay: Duration) -> Self {
        self.max_delay = delay;
        self
    }

    /// Sets [`Self::jitter`] (values outside 0..=1 are clamped when used).
    #[must_use]
    pub fn with_jitter(mut self, jitter: f64) -> Self {
        self.jitter = jitter;
        self
    }

    /// Sets [`Self::max_regain_wait`].
    #[must_use]
    pub fn with_max_regain_wait(mut self, wait: Duration) -> Self {
        self.max_regain_wait = wait;
        self
    }

    /// Sets [`Self::regain_access_unit`].
    #[must_use]
    pub fn with_regain_access_unit(mut self, unit: Duration) -> Self {
        self.regain_access_unit = unit;
        self
    }

    /// Whether the policy ever retries.
    pub fn is_enabled(&self) -> bool {
        self.max_attempts > 1
    }

    fn jitter_share(&self) -> f64 {
        if self.jitter.is_nan() {
            0.0
        } else {
            self.jitter.clamp(0.0, 1.0)
        }
    }

    /// The back-off before retry number `retry` (0 for the first retry): `base_delay * 2^retry`,
    /// capped at `max_delay`, of which a [`Self::jitter`] share is scaled by `random`
    /// (a draw from 0..1).
    pub fn backoff(&self, retry: u32, random: f64) -> Duration {
        let doubled = self
            .base_delay
            .saturating_mul(2u32.saturating_pow(retry.min(31)));
        let capped = doubled.min(self.max_delay);
        let random = if random.is_nan() {
            0.0
        } else {
            random.clamp(0.0, 1.0)
        };
        // Jitter only ever shortens the delay, so `max_delay` stays a true bound. The float
        // round trip cannot represent the largest durations; those are kept as they are.
        Duration::try_from_secs_f64(capped.as_secs_f64() * (1.0 - self.jitter_share() * random))
            .map_or(capped, |d| d.min(capped))
    }

    /// The wait before retry number `retry`, given what the failed answer's headers said, or
    /// `None` when the server's estimate exceeds [`Self::max_regain_wait`].
    ///
    /// A server estimate replaces back-off (and is not jittered: retrying before access
    /// returns would only be throttled again); it is capped at [`Self::max_delay`].
    pub fn delay(&self, retry: u32, hint: &ThrottleHint, random: f64) -> Option<Duration> {
        let regain = hint.regain_access_minutes.map(|minutes| {
            self.regain_access_unit
                .saturating_mul(u32::try_from(minutes).unwrap_or(u32::MAX))
        });
        let server = match (regain, hint.retry_after) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
        match server {
            Some(wait) if wait > self.max_regain_wait => None,
            Some(wait) => Some(wait.min(self.max_delay)),
            None => Some(self.backoff(retry, random)),
        }
    }

    /// Whether `error` may be retried for a call of kind `replay` (attempt counts aside).
    pub fn may_retry(error: &ClientError, replay: Replay) -> bool {
        // Refused for going too fast: Graph did not act on the call, whatever it was. A POST
        // to /marketing_messages or /messages that failed with 130429, 131056, 4 or 80007 was
        // not accepted, so sending it again cannot deliver the message twice.
        if error.is_throttling() {
            return true;
        }
        // The connection failed, so the request was never sent.
        if error.never_sent() {
            return true;
        }
        if replay == Replay::IfNotAccepted {
            // Anything else (a timeout, a 5xx, code 1) leaves open whether the call was acted
            // upon. On `oauth/access_token`, Graph also answers a wrong client secret with
            // code 1, which must not be retried either.
            return false;
        }
        match error {
            ClientError::Graph(e) => graph_error_is_transient(e),
            ClientError::Http(_) | ClientError::Timeout(_) | ClientError::Status { .. } => {
                error.is_transient()
            }
            ClientError::Decode { .. } | ClientError::Config(_) => false,
        }
    }

    /// The wait before the next attempt after `attempts` attempts ended with `error`, or
    /// `None` to give up and return `error`.
    pub fn next_delay(
        &self,
        attempts: u32,
        error: &ClientError,
        replay: Replay,
        hint: &ThrottleHint,
        random: f64,
    ) -> Option<Duration> {
        if attempts >= self.max_attempts || !Self::may_retry(error, replay) {
            return None;
        }
        self.delay(attempts.saturating_sub(1), hint, random)
    }
}

/// A uniform draw from 0..1 for jitter. The operating system's generator is used so that
/// clients started together do not retry in step; if it is unavailable, the midpoint is as good
/// as any fixed value.
pub(crate) fn random_unit() -> f64 {
    getrandom::u32().map_or(0.5, |n| f64::from(n) / (f64::from(u32::MAX) + 1.0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use wamm_wire::GraphError;

    const MS: Duration = Duration::from_millis(1);

    fn exact() -> RetryPolicy {
        RetryPolicy::default()
            .with_base_delay(100 * MS)
            .with_max_delay(Duration::from_secs(1))
            .with_jitter(0.0)
    }

    fn graph(status: u16, code: i64) -> ClientError {
        ClientError::Graph(GraphError::new(status, "OAuthException", code, "m"))
    }

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let p = exact();
        let delays: Vec<u128> = (0..6).map(|r| p.backoff(r, 0.9).as_millis()).collect();
        assert_eq!(delays, [100, 200, 400, 800, 1000, 1000]);
        assert_eq!(p.backoff(u32::MAX, 0.5), Duration::from_secs(1));
        let unbounded = p
            .with_max_delay(Duration::MAX)
            .with_base_delay(Duration::MAX);
        assert_eq!(unbounded.backoff(3, 0.0), Duration::MAX);
    }

    #[test]
    fn jitter_shortens_by_at_most_its_share() {
        let p = exact().with_jitter(0.5);
        assert_eq!(p.backoff(0, 0.0), 100 * MS);
        assert_eq!(p.backoff(0, 1.0), 50 * MS);
        assert_eq!(p.with_jitter(1.0).backoff(1, 0.25), 150 * MS);
    }

    #[test]
    fn the_servers_estimate_replaces_backoff() {
        let p = exact()
            .with_regain_access_unit(10 * MS)
            .with_max_regain_wait(500 * MS);
        let hint = |m| ThrottleHint {
            regain_access_minutes: Some(m),
            retry_after: None,
        };
        assert_eq!(p.delay(0, &hint(3), 0.7), Some(30 * MS));
        assert_eq!(p.delay(0, &hint(50), 0.7), Some(500 * MS));
        assert_eq!(
            p.delay(0, &hint(51), 0.7),
            None,
            "beyond the bound: give up"
        );
        let capped = p.clone().with_max_delay(20 * MS);
        assert_eq!(capped.delay(0, &hint(3), 0.0), Some(20 * MS));
        let both = ThrottleHint {
            regain_access_minutes: Some(1),
            retry_after: Some(40 * MS),
        };
        assert_eq!(p.delay(0, &both, 0.0), Some(40 * MS));
    }

    #[test]
    fn real_minutes_give_up_under_the_default_bound() {
        let p = RetryPolicy::default();
        let hint = ThrottleHint {
            regain_access_minutes: Some(1),
            retry_after: None,
        };
        assert_eq!(p.delay(0, &hint, 0.0), Some(Duration::from_secs(60)));
        let later = ThrottleHint {
            regain_access_minutes: Some(2),
            retry_after: None,
        };
        assert_eq!(p.delay(0, &later, 0.0), None);
        let huge = ThrottleHint {
            regain_access_minutes: Some(u64::MAX),
            retry_after: None,
        };
        assert_eq!(p.delay(0, &huge, 0.0), None);
    }

    #[test]
    fn what_is_retried() {
        use Replay::{Idempotent, IfNotAccepted};
        for code in [4, 80_007, 130_429, 131_056] {
            assert!(RetryPolicy::may_retry(&graph(400, code), IfNotAccepted));
            assert!(RetryPolicy::may_retry(&graph(400, code), Idempotent));
        }
        for code in [1, 2] {
            assert!(RetryPolicy::may_retry(&graph(500, code), Idempotent));
            assert!(!RetryPolicy::may_retry(&graph(500, code), IfNotAccepted));
        }
        let not_transient = ClientError::Graph(GraphError::new(500, "x", 1, "m").transient(false));
        assert!(!RetryPolicy::may_retry(&not_transient, Idempotent));
        for code in [100, 190, 200, 10, 131_048, 131_049] {
            assert!(!RetryPolicy::may_retry(&graph(400, code), Idempotent));
        }
        let gateway = ClientError::Status {
            status: 502,
            body: String::new(),
        };
        assert!(RetryPolicy::may_retry(&gateway, Idempotent));
        assert!(!RetryPolicy::may_retry(&gateway, IfNotAccepted));
        let proxy_429 = ClientError::Status {
            status: 429,
            body: String::new(),
        };
        assert!(RetryPolicy::may_retry(&proxy_429, IfNotAccepted));
        let decode = ClientError::Decode {
            status: 200,
            message: String::new(),
        };
        assert!(!RetryPolicy::may_retry(&decode, Idempotent));
    }

    #[test]
    fn attempts_are_bounded() {
        let p = exact().with_max_attempts(3);
        let err = graph(400, 130_429);
        let none = ThrottleHint::default();
        assert_eq!(
            p.next_delay(1, &err, Replay::IfNotAccepted, &none, 0.0),
            Some(100 * MS)
        );
        assert_eq!(
            p.next_delay(2, &err, Replay::IfNotAccepted, &none, 0.0),
            Some(200 * MS)
        );
        assert_eq!(
            p.next_delay(3, &err, Replay::IfNotAccepted, &none, 0.0),
            None
        );
        let off = RetryPolicy::none();
        assert!(!off.is_enabled());
        assert_eq!(
            off.next_delay(1, &err, Replay::Idempotent, &none, 0.0),
            None
        );
    }

    #[test]
    fn random_draws_are_in_range() {
        for _ in 0..100 {
            let r = random_unit();
            assert!((0.0..1.0).contains(&r), "{r}");
        }
    }

    proptest! {
        #[test]
        fn backoff_stays_within_bounds(
            base_ms in 0u64..10_000,
            max_ms in 0u64..100_000,
            jitter in 0.0f64..=1.0,
            retry in 0u32..100,
            random in 0.0f64..1.0,
        ) {
            let p = RetryPolicy::default()
                .with_base_delay(Duration::from_millis(base_ms))
                .with_max_delay(Duration::from_millis(max_ms))
                .with_jitter(jitter);
            let d = p.backoff(retry, random);
            let ceiling = p.base_delay.saturating_mul(2u32.saturating_pow(retry.min(31))).min(p.max_delay);
            prop_assert!(d <= ceiling);
            // Never shorter than the non-random share (allowing for float rounding).
            prop_assert!(d + Duration::from_micros(1) >= ceiling.mul_f64(1.0 - jitter));
        }

        #[test]
        fn server_waits_are_capped_or_refused(minutes in 0u64..1_000, unit_ms in 1u64..1_000) {
            let p = RetryPolicy::default()
                .with_regain_access_unit(Duration::from_millis(unit_ms))
                .with_max_delay(Duration::from_secs(30))
                .with_max_regain_wait(Duration::from_secs(120));
            let hint = ThrottleHint { regain_access_minutes: Some(minutes), retry_after: None };
            let wait = Duration::from_millis(unit_ms * minutes);
            match p.delay(0, &hint, 0.5) {
                None => prop_assert!(wait > p.max_regain_wait),
                Some(d) => {
                    prop_assert!(wait <= p.max_regain_wait);
                    prop_assert_eq!(d, wait.min(p.max_delay));
                }
            }
        }
    }
}
