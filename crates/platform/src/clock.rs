//! The platform clock: wall time plus an offset, or frozen at an instant.
//!
//! Every delay, expiry and retry reads this clock, never the system time directly, so tests and
//! the control API can move time instead of sleeping. Its state is persisted in the store so a
//! restarted server keeps the time it was moved to.

use std::sync::RwLock;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use wamm_domain::Timestamp;

/// The persisted state of the clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ClockState {
    /// Added to wall time, in milliseconds.
    pub offset_ms: i64,
    /// When set, the clock stands still at this instant.
    pub frozen_at: Option<i64>,
    /// Bumped on every move, so replicas sharing a database adopt only newer states.
    #[serde(default)]
    pub version: u64,
}

/// The platform clock.
#[derive(Debug, Default)]
pub struct Clock {
    state: RwLock<ClockState>,
}

/// Milliseconds of wall time since the epoch: the clock's base, and the time base of leases.
pub fn wall_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

impl Clock {
    /// A clock in the given state.
    pub fn new(state: ClockState) -> Self {
        Self {
            state: RwLock::new(state),
        }
    }

    fn read(&self) -> ClockState {
        // A poisoned lock only means a panic elsewhere; the state itself is plain data.
        *self
            .state
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn write(&self, f: impl FnOnce(&mut ClockState)) -> ClockState {
        let mut guard = self
            .state
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        f(&mut guard);
        *guard
    }

    fn moved(&self, f: impl FnOnce(&mut ClockState)) -> ClockState {
        self.write(|s| {
            f(s);
            s.version += 1;
        })
    }

    /// The current state.
    pub fn state(&self) -> ClockState {
        self.read()
    }

    /// Adopts a state read from the store if it is newer than ours; returns whether it was.
    pub fn adopt(&self, state: ClockState) -> bool {
        let mut adopted = false;
        self.write(|s| {
            if state.version > s.version {
                *s = state;
                adopted = true;
            }
        });
        adopted
    }

    /// Now, on the platform clock.
    pub fn now(&self) -> Timestamp {
        let s = self.read();
        Timestamp::from_millis(
            s.frozen_at
                .unwrap_or_else(|| wall_ms().saturating_add(s.offset_ms)),
        )
    }

    /// Moves the clock forward (or back, with a negative value).
    pub fn advance_ms(&self, ms: i64) -> ClockState {
        self.moved(|s| match &mut s.frozen_at {
            Some(at) => *at = at.saturating_add(ms),
            None => s.offset_ms = s.offset_ms.saturating_add(ms),
        })
    }

    /// Jumps to an instant, keeping the frozen/running mode.
    pub fn set(&self, to: Timestamp) -> ClockState {
        self.moved(|s| match &mut s.frozen_at {
            Some(at) => *at = to.millis(),
            None => s.offset_ms = to.millis() - wall_ms(),
        })
    }

    /// Freezes the clock at the current instant, or lets it run again from there.
    pub fn freeze(&self, frozen: bool) -> ClockState {
        let now = self.now().millis();
        self.moved(|s| {
            if frozen {
                s.frozen_at = Some(now);
            } else if s.frozen_at.take().is_some() {
                s.offset_ms = now - wall_ms();
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frozen_clock_moves_only_when_told() {
        let clock = Clock::new(ClockState {
            offset_ms: 0,
            frozen_at: Some(1_000),
            version: 0,
        });
        assert_eq!(clock.now().millis(), 1_000);
        clock.advance_ms(600_000);
        assert_eq!(clock.now().millis(), 601_000);
        clock.set(Timestamp::from_millis(5));
        assert_eq!(clock.now().millis(), 5);
    }

    #[test]
    fn adopts_only_newer_states() {
        let clock = Clock::default();
        let moved = clock.advance_ms(5_000);
        assert_eq!(moved.version, 1);
        assert!(!clock.adopt(ClockState {
            offset_ms: 0,
            frozen_at: None,
            version: 1
        }));
        assert!(clock.adopt(ClockState {
            offset_ms: 0,
            frozen_at: Some(7),
            version: 2
        }));
        assert_eq!(clock.now().millis(), 7);
    }

    #[test]
    fn running_clock_keeps_offset_across_freeze() {
        let clock = Clock::default();
        clock.advance_ms(86_400_000);
        let ahead = clock.now().millis() - wall_ms();
        assert!((86_399_000..=86_401_000).contains(&ahead));
        clock.freeze(true);
        let frozen = clock.now();
        clock.freeze(false);
        assert!(clock.now() >= frozen);
        assert!(clock.state().frozen_at.is_none());
    }
}
