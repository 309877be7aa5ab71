//! Per-process send limits: messages per second per number and the pair rate per recipient.

use std::collections::HashMap;
use std::sync::Mutex;

use wamm_wire::ids::PhoneNumberId;

/// Pair rate: one message per 6 seconds to a recipient, with bursts of up to 45.
const PAIR_BURST: f64 = 45.0;
const PAIR_REFILL_MS: f64 = 6_000.0;

/// A token bucket.
#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at_ms: i64,
}

impl Bucket {
    /// Takes one token at `now_ms` from a bucket of `capacity` refilling one per `refill_ms`.
    fn take(slot: &mut Option<Self>, capacity: f64, refill_ms: f64, now_ms: i64) -> bool {
        let b = slot.get_or_insert(Self {
            tokens: capacity,
            at_ms: now_ms,
        });
        // Elapsed time is tiny next to 2^52 ms, so the conversion loses nothing.
        #[expect(
            clippy::cast_precision_loss,
            reason = "millisecond spans are far below 2^52"
        )]
        let elapsed = now_ms.saturating_sub(b.at_ms).max(0) as f64;
        b.tokens = (b.tokens + elapsed / refill_ms).min(capacity);
        b.at_ms = now_ms.max(b.at_ms);
        if b.tokens >= 1.0 {
            b.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

/// Per-process send limits: messages per second per number (wall clock) and the pair rate
/// per (number, recipient) (platform clock, so tests can move it).
#[derive(Debug, Default)]
pub struct SendLimits {
    numbers: Mutex<HashMap<PhoneNumberId, Bucket>>,
    pairs: Mutex<HashMap<(PhoneNumberId, String), Bucket>>,
}

/// Takes one token from the bucket of `key` in `map`.
fn take_from<K: Eq + std::hash::Hash>(
    map: &Mutex<HashMap<K, Bucket>>,
    key: K,
    capacity: f64,
    refill_ms: f64,
    now_ms: i64,
) -> bool {
    let mut map = map
        .lock()
        .expect("invariant: limits lock is never poisoned");
    let mut slot = map.get(&key).copied();
    let ok = Bucket::take(&mut slot, capacity, refill_ms, now_ms);
    if let Some(b) = slot {
        map.insert(key, b);
    }
    ok
}

impl SendLimits {
    /// Takes one send from `phone`'s throughput of `mps` at wall-clock `now_ms`.
    pub fn number(&self, phone: PhoneNumberId, mps: u32, now_ms: i64) -> bool {
        take_from(
            &self.numbers,
            phone,
            f64::from(mps),
            1_000.0 / f64::from(mps),
            now_ms,
        )
    }

    /// Takes one send to `to` from `phone`'s pair rate at platform time `now_ms`.
    pub fn pair(&self, phone: PhoneNumberId, to: &str, now_ms: i64) -> bool {
        take_from(
            &self.pairs,
            (phone, to.to_owned()),
            PAIR_BURST,
            PAIR_REFILL_MS,
            now_ms,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_refill_and_cap() {
        let mut slot = None;
        for _ in 0..3 {
            assert!(Bucket::take(&mut slot, 3.0, 1_000.0, 0));
        }
        assert!(!Bucket::take(&mut slot, 3.0, 1_000.0, 0));
        assert!(Bucket::take(&mut slot, 3.0, 1_000.0, 1_000));
        assert!(!Bucket::take(&mut slot, 3.0, 1_000.0, 1_500));
        // A long pause refills to the cap, not beyond.
        for _ in 0..3 {
            assert!(Bucket::take(&mut slot, 3.0, 1_000.0, 100_000));
        }
        assert!(!Bucket::take(&mut slot, 3.0, 1_000.0, 100_000));
    }

    #[test]
    fn pair_rate_is_one_per_six_seconds_with_bursts() {
        let limits = SendLimits::default();
        let phone = PhoneNumberId::new(1);
        let sent = (0..50).filter(|_| limits.pair(phone, "1555", 0)).count();
        assert_eq!(sent, 45);
        assert!(!limits.pair(phone, "1555", 5_999));
        assert!(limits.pair(phone, "1555", 6_001));
        assert!(
            limits.pair(phone, "1666", 6_001),
            "another recipient has its own budget"
        );
    }
}
