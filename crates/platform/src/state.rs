//! Shared state handed to every handler.

use std::sync::Arc;

use wamm_store::{Store, StoreError};

use crate::clock::{Clock, ClockState};
use crate::config::PlatformConfig;
use crate::graph::usage::Usage;
use crate::mint::Minter;

const CLOCK_KEY: &str = "clock";

/// Everything a request handler may need.
#[derive(Clone)]
pub struct AppState {
    /// Storage.
    pub store: Arc<dyn Store>,
    /// The platform clock.
    pub clock: Arc<Clock>,
    /// ID and token generation.
    pub minter: Minter,
    /// Settings.
    pub config: Arc<PlatformConfig>,
    /// Per-app and per-business call counters for the usage headers.
    pub usage: Arc<Usage>,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("backend", &self.store.backend())
            .finish_non_exhaustive()
    }
}

impl AppState {
    /// Builds the state over an open store, restoring the persisted clock.
    pub async fn new(store: Arc<dyn Store>, config: PlatformConfig) -> Result<Self, StoreError> {
        let clock = match store.meta(CLOCK_KEY).await? {
            Some(text) => serde_json::from_str(&text).unwrap_or_default(),
            None => ClockState::default(),
        };
        Ok(Self {
            minter: Minter::new(Arc::clone(&store), config.seed),
            store,
            clock: Arc::new(Clock::new(clock)),
            config: Arc::new(config),
            usage: Arc::new(Usage::default()),
        })
    }

    /// Adopts a newer clock state saved by another replica sharing the database.
    pub async fn sync_clock(&self) -> Result<bool, StoreError> {
        let Some(text) = self.store.meta(CLOCK_KEY).await? else {
            return Ok(false);
        };
        Ok(serde_json::from_str(&text).is_ok_and(|state| self.clock.adopt(state)))
    }

    /// Persists the clock after the control API moved it.
    pub async fn save_clock(&self) -> Result<(), StoreError> {
        let text = serde_json::to_string(&self.clock.state())?;
        self.store
            .commit(wamm_store::ChangeSet::new().meta(CLOCK_KEY, &text))
            .await
            .map(|_| ())
    }
}
