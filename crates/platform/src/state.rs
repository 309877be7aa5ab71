//! The state the doors (Graph, control API, pages) share: the use cases' context, and what
//! only the doors need (usage counters for Graph's headers, turns to read world files).

use std::sync::Arc;

use wamm_store::{Store, StoreError};

use crate::config::PlatformConfig;
use crate::context::Platform;
use crate::graph::usage::Usage;

/// World files read at once. Reading one is CPU-bound; one at a time leaves the other cores
/// (and the async workers) to Graph calls and health checks, however many uploads arrive.
pub(crate) const WORLD_LOADS_AT_ONCE: usize = 1;

/// Everything a request handler may need.
#[derive(Clone)]
pub struct AppState {
    /// The use cases' context.
    pub platform: Platform,
    /// Per-app and per-business call counters for the usage headers.
    pub usage: Arc<Usage>,
    /// Turns to read a world file (see [`crate::control::load_world`]).
    pub(crate) world_loads: Arc<tokio::sync::Semaphore>,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("platform", &self.platform)
            .finish_non_exhaustive()
    }
}

// The doors call use cases with `&state`: a use case sees only the context.
impl std::ops::Deref for AppState {
    type Target = Platform;

    fn deref(&self) -> &Platform {
        &self.platform
    }
}

impl AppState {
    /// Builds the state over an open store, restoring the persisted clock.
    pub async fn new(store: Arc<dyn Store>, config: PlatformConfig) -> Result<Self, StoreError> {
        Ok(Self {
            platform: Platform::new(store, config).await?,
            usage: Arc::new(Usage::default()),
            world_loads: Arc::new(tokio::sync::Semaphore::new(WORLD_LOADS_AT_ONCE)),
        })
    }
}
