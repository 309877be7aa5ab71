//! Graph's rate-limit headers, parsed.
//!
//! Graph reports how much of an allowance a caller has used on every answer:
//! `x-app-usage` (per app) and `x-business-use-case-usage` (per business object and use case).
//! When a caller is throttled, the business use case entry says how long until access returns
//! (`estimated_time_to_regain_access`, in minutes per Meta's rate-limiting guide). The retry
//! loop waits that long rather than guessing with back-off, so these parsers are lenient: a
//! header that cannot be read is treated as absent, never as an error, because it only ever
//! refines a decision the client can make without it.

use std::collections::BTreeMap;
use std::time::Duration;

use reqwest::header::{HeaderMap, RETRY_AFTER};
use serde_json::Value;

/// Name of the per-business, per-use-case usage header.
pub const BUSINESS_USE_CASE_USAGE: &str = "x-business-use-case-usage";
/// Name of the per-app usage header.
pub const APP_USAGE: &str = "x-app-usage";

/// A number Graph may send as a JSON number or as a numeric string.
fn number(value: Option<&Value>) -> Option<f64> {
    match value? {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
    .filter(|n: &f64| n.is_finite())
}

/// One use case entry of `x-business-use-case-usage`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct UseCaseUsage {
    /// The use case, e.g. `whatsapp_business_management`.
    pub use_case: Option<String>,
    /// Percentage of the call allowance used.
    pub call_count: Option<f64>,
    /// Percentage of the CPU-time allowance used.
    pub total_cputime: Option<f64>,
    /// Percentage of the total-time allowance used.
    pub total_time: Option<f64>,
    /// Minutes until the caller is no longer throttled; 0 when it is not throttled.
    pub estimated_time_to_regain_access: Option<u64>,
}

impl UseCaseUsage {
    fn from_json(value: &Value) -> Option<Self> {
        let obj = value.as_object()?;
        Some(Self {
            use_case: obj.get("type").and_then(Value::as_str).map(str::to_owned),
            call_count: number(obj.get("call_count")),
            total_cputime: number(obj.get("total_cputime")),
            total_time: number(obj.get("total_time")),
            // Negative or fractional values are not Meta's; round up so that a fraction of a
            // minute still means "wait", and ignore anything below zero.
            estimated_time_to_regain_access: number(obj.get("estimated_time_to_regain_access"))
                .filter(|m| *m >= 0.0)
                .map(|m| {
                    let minutes = m.ceil();
                    if minutes >= u64::MAX as f64 {
                        u64::MAX
                    } else {
                        // In range and non-negative, so the conversion is exact.
                        minutes as u64
                    }
                }),
        })
    }
}

/// `x-business-use-case-usage`: usage per business object ID, one entry per use case.
///
/// The shape is `{"<object-id>": [{"type": ..., "call_count": ..., "total_cputime": ...,
/// "total_time": ..., "estimated_time_to_regain_access": <minutes>}]}`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct BusinessUseCaseUsage {
    /// Entries by business object ID (business, WABA, ad account).
    pub objects: BTreeMap<String, Vec<UseCaseUsage>>,
}

impl BusinessUseCaseUsage {
    /// Parses the header value; `None` when it is not the documented JSON object.
    ///
    /// A single entry object in place of the array is accepted too.
    pub fn parse(text: &str) -> Option<Self> {
        let value: Value = serde_json::from_str(text).ok()?;
        let map = value.as_object()?;
        let mut objects = BTreeMap::new();
        for (id, entries) in map {
            let list: Vec<UseCaseUsage> = match entries {
                Value::Array(items) => items.iter().filter_map(UseCaseUsage::from_json).collect(),
                other => UseCaseUsage::from_json(other).into_iter().collect(),
            };
            objects.insert(id.clone(), list);
        }
        Some(Self { objects })
    }

    /// The longest wait, in minutes, any entry asks for; `None` when no entry is throttled.
    pub fn regain_access_minutes(&self) -> Option<u64> {
        self.objects
            .values()
            .flatten()
            .filter_map(|u| u.estimated_time_to_regain_access)
            .filter(|m| *m > 0)
            .max()
    }
}

/// `x-app-usage`: the app's usage as percentages of its allowance.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct AppUsage {
    /// Percentage of the call allowance used.
    pub call_count: Option<f64>,
    /// Percentage of the CPU-time allowance used.
    pub total_cputime: Option<f64>,
    /// Percentage of the total-time allowance used.
    pub total_time: Option<f64>,
}

impl AppUsage {
    /// Parses the header value; `None` when it is not a JSON object.
    pub fn parse(text: &str) -> Option<Self> {
        let value: Value = serde_json::from_str(text).ok()?;
        let obj = value.as_object()?;
        Some(Self {
            call_count: number(obj.get("call_count")),
            total_cputime: number(obj.get("total_cputime")),
            total_time: number(obj.get("total_time")),
        })
    }
}

/// Parses `Retry-After` in its delta-seconds form.
///
/// Graph itself does not send it, but proxies and load balancers in front of a Graph-compatible
/// server do. The HTTP-date form is ignored: honouring it would need a trusted clock, and the
/// back-off delay is a sound fallback.
pub fn parse_retry_after(value: &str) -> Option<Duration> {
    value.trim().parse::<u64>().ok().map(Duration::from_secs)
}

/// What an answer's headers say about when to call again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ThrottleHint {
    /// The largest positive `estimated_time_to_regain_access` (minutes) in
    /// `x-business-use-case-usage`.
    pub regain_access_minutes: Option<u64>,
    /// `Retry-After`, when present in delta-seconds form.
    pub retry_after: Option<Duration>,
}

impl ThrottleHint {
    /// Reads the hint from response headers.
    pub fn from_headers(headers: &HeaderMap) -> Self {
        let text = |name| headers.get(name).and_then(|v| v.to_str().ok());
        Self {
            regain_access_minutes: text(BUSINESS_USE_CASE_USAGE)
                .and_then(BusinessUseCaseUsage::parse)
                .and_then(|u| u.regain_access_minutes()),
            retry_after: text(RETRY_AFTER.as_str()).and_then(parse_retry_after),
        }
    }

    /// Whether the headers asked for any wait at all.
    pub fn is_empty(&self) -> bool {
        self.regain_access_minutes.is_none() && self.retry_after.is_none()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use reqwest::header::HeaderValue;

    #[test]
    fn reads_the_documented_business_use_case_shape() {
        let usage = BusinessUseCaseUsage::parse(
            r#"{"102290129340398":[{"type":"whatsapp_business_management","call_count":1,"total_cputime":1,"total_time":1,"estimated_time_to_regain_access":0},{"type":"whatsapp","call_count":100,"total_cputime":"7","total_time":3,"estimated_time_to_regain_access":12}]}"#,
        )
        .expect("parses");
        let entries = &usage.objects["102290129340398"];
        assert_eq!(entries.len(), 2);
        assert_eq!(
            entries[0].use_case.as_deref(),
            Some("whatsapp_business_management")
        );
        assert_eq!(entries[1].total_cputime, Some(7.0));
        assert_eq!(usage.regain_access_minutes(), Some(12));
    }

    #[test]
    fn the_longest_wait_across_objects_wins_and_zero_means_none() {
        let usage = BusinessUseCaseUsage::parse(
            r#"{"1":[{"estimated_time_to_regain_access":3}],"2":{"estimated_time_to_regain_access":5},"3":[{"estimated_time_to_regain_access":0}]}"#,
        )
        .expect("parses");
        assert_eq!(usage.regain_access_minutes(), Some(5));
        let idle = BusinessUseCaseUsage::parse(r#"{"1":[{"estimated_time_to_regain_access":0}]}"#)
            .expect("parses");
        assert_eq!(idle.regain_access_minutes(), None);
    }

    #[test]
    fn odd_values_are_tolerated() {
        assert_eq!(BusinessUseCaseUsage::parse("not json"), None);
        assert_eq!(BusinessUseCaseUsage::parse("[1,2]"), None);
        let usage = BusinessUseCaseUsage::parse(
            r#"{"1":[{"estimated_time_to_regain_access":-4},{"estimated_time_to_regain_access":"0.2"},"junk"]}"#,
        )
        .expect("parses");
        assert_eq!(usage.regain_access_minutes(), Some(1));
    }

    #[test]
    fn app_usage_and_retry_after() {
        let app = AppUsage::parse(r#"{"call_count":28,"total_cputime":25,"total_time":25}"#)
            .expect("parses");
        assert_eq!(app.call_count, Some(28.0));
        assert_eq!(parse_retry_after(" 7 "), Some(Duration::from_secs(7)));
        assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"), None);
    }

    #[test]
    fn hint_from_headers() {
        let mut headers = HeaderMap::new();
        assert!(ThrottleHint::from_headers(&headers).is_empty());
        headers.insert(
            BUSINESS_USE_CASE_USAGE,
            HeaderValue::from_static(
                r#"{"9":[{"type":"whatsapp","estimated_time_to_regain_access":2}]}"#,
            ),
        );
        headers.insert(RETRY_AFTER, HeaderValue::from_static("3"));
        let hint = ThrottleHint::from_headers(&headers);
        assert_eq!(hint.regain_access_minutes, Some(2));
        assert_eq!(hint.retry_after, Some(Duration::from_secs(3)));
    }

    proptest! {
        #[test]
        fn parsing_never_panics(text in ".*") {
            let _ = BusinessUseCaseUsage::parse(&text);
            let _ = AppUsage::parse(&text);
            let _ = parse_retry_after(&text);
        }

        #[test]
        fn the_maximum_positive_eta_is_reported(etas in proptest::collection::vec(0u64..10_000, 0..8)) {
            let entries: Vec<Value> = etas
                .iter()
                .map(|m| serde_json::json!({"type": "whatsapp", "estimated_time_to_regain_access": m}))
                .collect();
            let text = serde_json::json!({ "42": entries }).to_string();
            let usage = BusinessUseCaseUsage::parse(&text).expect("parses");
            let expected = etas.iter().copied().filter(|m| *m > 0).max();
            prop_assert_eq!(usage.regain_access_minutes(), expected);
        }
    }
}
