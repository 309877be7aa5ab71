//! Retry policy: exponential back-off with jitter, over a bounded window, on the platform clock.
//!
//! Meta retries failed deliveries "with decreasing frequency" for up to 7 days, then drops
//! them. The policy is a pure function so it can be tested exhaustively.

use std::time::Duration;

use wamm_domain::{Outcome, Timestamp};

/// When to retry, and when to give up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Delay after the first failure.
    pub base: Duration,
    /// Longest delay between two attempts.
    pub cap: Duration,
    /// Give up on deliveries older than this (Meta: 7 days).
    pub max_age: Duration,
    /// Jitter as a fraction of the delay, in percent (±).
    pub jitter_percent: u64,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            base: Duration::from_secs(5),
            cap: Duration::from_secs(3600),
            max_age: Duration::from_secs(7 * 24 * 3600),
            jitter_percent: 20,
        }
    }
}

fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

impl RetryPolicy {
    /// The delay before retry number `failures` (1 after the first failure), before jitter.
    pub fn base_delay(&self, failures: u32) -> Duration {
        let factor = 1u32
            .checked_shl(failures.saturating_sub(1))
            .unwrap_or(u32::MAX);
        self.base.saturating_mul(factor).min(self.cap)
    }

    /// What follows a failed attempt. `failures` counts this one; `unit` is a random number in
    /// `[0, 1)` for the jitter.
    pub fn after_failure(
        &self,
        created_at: Timestamp,
        now: Timestamp,
        failures: u32,
        unit: f64,
    ) -> Outcome {
        let base = millis(self.base_delay(failures));
        let spread = base.saturating_mul(i64::try_from(self.jitter_percent).unwrap_or(0)) / 100;
        // unit in [0,1) maps to [-spread, +spread).
        #[expect(
            clippy::cast_possible_truncation,
            reason = "a delay in ms fits an i64 and needs no precision"
        )]
        let jitter = ((unit.clamp(0.0, 1.0) * 2.0 - 1.0) * spread as f64) as i64;
        let next = now.millis().saturating_add((base + jitter).max(1));
        if next - created_at.millis() > millis(self.max_age) {
            Outcome::Drop
        } else {
            Outcome::Retry {
                next_attempt_at: Timestamp::from_millis(next),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn doubles_up_to_the_cap() {
        let p = RetryPolicy::default();
        assert_eq!(p.base_delay(1), Duration::from_secs(5));
        assert_eq!(p.base_delay(2), Duration::from_secs(10));
        assert_eq!(p.base_delay(5), Duration::from_secs(80));
        assert_eq!(p.base_delay(40), Duration::from_secs(3600));
    }

    #[test]
    fn drops_past_the_window() {
        let p = RetryPolicy::default();
        let created = Timestamp::from_millis(0);
        let late = Timestamp::from_millis(7 * 24 * 3_600_000 - 1_000);
        assert_eq!(p.after_failure(created, late, 30, 0.5), Outcome::Drop);
        assert!(matches!(
            p.after_failure(created, Timestamp::from_millis(1_000), 1, 0.5),
            Outcome::Retry { .. }
        ));
    }

    proptest! {
        #[test]
        fn next_attempt_is_within_jitter_and_monotone_in_base(failures in 1u32..40, unit in 0.0f64..1.0, now in 0i64..1_000_000_000) {
            let p = RetryPolicy { max_age: Duration::from_secs(u64::MAX / 4_000), ..RetryPolicy::default() };
            let base = millis(p.base_delay(failures));
            match p.after_failure(Timestamp::from_millis(0), Timestamp::from_millis(now), failures, unit) {
                Outcome::Retry { next_attempt_at } => {
                    let delay = next_attempt_at.millis() - now;
                    prop_assert!(delay >= base * 80 / 100 - 1 && delay <= base * 120 / 100 + 1, "delay {} base {}", delay, base);
                }
                other => prop_assert!(false, "unexpected {:?}", other),
            }
            prop_assert!(p.base_delay(failures + 1) >= p.base_delay(failures));
        }
    }
}
