//! Per-endpoint fault options, so partners can test their receivers against the awkward but
//! legal behaviours of Meta's delivery: duplicates, delays, and reordering within a batch.

use std::collections::HashMap;
use std::sync::RwLock;

use serde::{Deserialize, Serialize};

/// Faults applied to deliveries to one endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fault {
    /// Send every batch twice.
    #[serde(default)]
    pub duplicate: bool,
    /// Wait this long (wall time) before sending.
    #[serde(default)]
    pub delay_ms: u64,
    /// Reverse the order of entries within each batch.
    #[serde(default)]
    pub reorder: bool,
}

/// Faults by endpoint URL.
#[derive(Debug, Default)]
pub struct Faults {
    by_endpoint: RwLock<HashMap<String, Fault>>,
}

impl Faults {
    /// The fault for `endpoint` (none by default).
    pub fn get(&self, endpoint: &str) -> Fault {
        self.by_endpoint
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(endpoint)
            .copied()
            .unwrap_or_default()
    }

    /// Sets (or, with the default fault, clears) the fault for `endpoint`.
    pub fn set(&self, endpoint: String, fault: Fault) {
        let mut map = self
            .by_endpoint
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if fault == Fault::default() {
            map.remove(&endpoint);
        } else {
            map.insert(endpoint, fault);
        }
    }

    /// Every configured fault.
    pub fn all(&self) -> HashMap<String, Fault> {
        self.by_endpoint
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }
}
