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
/// Insights calls per hour an ad account takes before its utilisation reaches 100 %.
pub const INSIGHTS_CALLS_PER_HOUR: u64 = 600;
/// Insights calls per hour an app takes before its utilisation reaches 100 %.
pub const APP_INSIGHTS_CALLS_PER_HOUR: u64 = 5_000;

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

/// The headers of an Insights call, as the Marketing API sends them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InsightsUsage {
    /// `x-fb-ads-insights-throttle`.
    pub throttle: String,
    /// `x-ad-account-usage`.
    pub account: String,
    /// `x-business-use-case-usage`, keyed by the ad account, type `ads_insights`.
    pub business: String,
}

/// A utilisation percentage with at most two decimals, as Meta's examples write it (`12.5`).
fn percent_exact(calls: u64, allowance: u64) -> f64 {
    #[expect(
        clippy::cast_precision_loss,
        reason = "hourly call counts stay far below 2^53"
    )]
    let pct = (calls as f64 * 100.0 / allowance.max(1) as f64).min(100.0);
    (pct * 100.0).round() / 100.0
}

impl Usage {
    /// Counts an Insights call by `app` on the ad account `account` (its digits) and returns
    /// its headers.
    pub fn insights_call(&self, app: &str, account: &str, now_ms: i64) -> InsightsUsage {
        let app_pct = percent_exact(
            self.hit(format!("insights-app:{app}"), now_ms),
            APP_INSIGHTS_CALLS_PER_HOUR,
        );
        let calls = self.hit(format!("insights:{account}"), now_ms);
        let acc_pct = percent_exact(calls, INSIGHTS_CALLS_PER_HOUR);
        let reset = (HOUR_MS - now_ms.rem_euclid(HOUR_MS)) / 1000;
        let tier = "standard_access";
        let whole = percent(calls, INSIGHTS_CALLS_PER_HOUR);
        let object = format!("act_{account}");
        InsightsUsage {
            throttle: json!({"app_id_util_pct": app_pct, "acc_id_util_pct": acc_pct, "ads_api_access_tier": tier}).to_string(),
            account: json!({"acc_id_util_pct": acc_pct, "reset_time_duration": reset, "ads_api_access_tier": tier}).to_string(),
            business: json!({ object: [{
                "type": "ads_insights",
                "call_count": whole,
                "total_cputime": whole.min(1),
                "total_time": whole.min(1),
                "estimated_time_to_regain_access": 0,
                "ads_api_access_tier": tier,
            }]})
            .to_string(),
        }
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

    #[test]
    fn insights_calls_count_per_account() {
        let usage = Usage::default();
        for _ in 0..74 {
            usage.insights_call("1", "77", 0);
        }
        let h = usage.insights_call("1", "77", 0);
        let t: Value = serde_json::from_str(&h.throttle).expect("json");
        assert_eq!(t["acc_id_util_pct"], 12.5);
        assert_eq!(t["app_id_util_pct"], 1.5);
        assert_eq!(t["ads_api_access_tier"], "standard_access");
        let b: Value = serde_json::from_str(&h.business).expect("json");
        assert_eq!(b["act_77"][0]["type"], "ads_insights");
        let other = usage.insights_call("1", "78", 0);
        let t: Value = serde_json::from_str(&other.throttle).expect("json");
        assert_eq!(t["acc_id_util_pct"], 0.17);
    }
}
