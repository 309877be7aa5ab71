//! Call counters behind `x-app-usage` and `x-business-use-case-usage`.
//!
//! Graph reports usage as percentages of an hourly allowance. wamm counts real calls per app
//! and per (business object, use case) over a rolling hour of the platform clock, so the headers
//! move as a partner's test suite runs.

use std::collections::HashMap;
use std::sync::Mutex;

use serde_json::{Value, json};

/// Calls per hour an app may make before `x-app-usage.call_count` reaches 100.
pub const APP_CALLS_PER_HOUR: u64 = 5_000;
/// Calls per hour per WABA for the `whatsapp_business_management` use case.
pub const BUC_CALLS_PER_HOUR: u64 = 5_000;

const HOUR_MS: i64 = 3_600_000;

#[derive(Debug, Default)]
struct Window {
    hour: i64,
    calls: u64,
}

impl Window {
    fn hit(&mut self, now_ms: i64) -> u64 {
        let hour = now_ms.div_euclid(HOUR_MS);
        if hour != self.hour {
            *self = Self { hour, calls: 0 };
        }
        self.calls += 1;
        self.calls
    }
}

/// In-process counters.
#[derive(Debug, Default)]
pub struct Usage {
    windows: Mutex<HashMap<String, Window>>,
}

fn percent(calls: u64, allowance: u64) -> u64 {
    (calls * 100 / allowance.max(1)).min(100)
}

impl Usage {
    fn hit(&self, key: String, now_ms: i64) -> u64 {
        let mut map = self
            .windows
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        map.entry(key).or_default().hit(now_ms)
    }

    /// Counts a call by `app` and returns the `x-app-usage` value.
    pub fn app_call(&self, app: &str, now_ms: i64) -> String {
        let pct = percent(self.hit(format!("app:{app}"), now_ms), APP_CALLS_PER_HOUR);
        json!({"call_count": pct, "total_cputime": pct.min(1), "total_time": pct.min(1)})
            .to_string()
    }

    /// Counts a call on a business object and returns the `x-business-use-case-usage` value.
    pub fn business_call(&self, object_id: &str, use_case: &str, now_ms: i64) -> String {
        let pct = percent(
            self.hit(format!("buc:{object_id}:{use_case}"), now_ms),
            BUC_CALLS_PER_HOUR,
        );
        let entry: Value = json!({
            "type": use_case,
            "call_count": pct,
            "total_cputime": pct.min(1),
            "total_time": pct.min(1),
            "estimated_time_to_regain_access": 0
        });
        json!({ object_id: [entry] }).to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_per_hour_and_resets() {
        let usage = Usage::default();
        for _ in 0..49 {
            usage.app_call("1", 0);
        }
        let v: Value = serde_json::from_str(&usage.app_call("1", 0)).expect("json");
        assert_eq!(v["call_count"], 1);
        let v: Value = serde_json::from_str(&usage.app_call("1", HOUR_MS)).expect("json");
        assert_eq!(v["call_count"], 0);
        let b: Value =
            serde_json::from_str(&usage.business_call("42", "whatsapp_business_management", 0))
                .expect("json");
        assert_eq!(b["42"][0]["type"], "whatsapp_business_management");
    }
}
