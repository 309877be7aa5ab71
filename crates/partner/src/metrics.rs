//! Metrics: the orchestrator's copy of each client's template analytics, synced from Graph on a
//! schedule and on demand, and the per-template totals a partner reads (the CLI and the
//! dashboard).
//!
//! A sync asks Graph for the last days of every client WABA the store knows, MM API and Cloud
//! API apart, and replaces what the store held for those days: Meta's figures are the truth,
//! and a re-run only refreshes them. A WABA whose analytics Graph refuses (its business has not
//! confirmed template insights, say) is reported and skipped; the others still sync.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::graph::{Conversions, PartnerGraph, Product, TemplateDay};
use crate::orchestrate::OrchestrateError;
use crate::store::PartnerStore;

/// Seconds in a day.
const DAY: i64 = 86_400;
/// The most days one sync reaches back (Meta's template analytics keep 90).
pub const MAX_DAYS: i64 = 90;

/// What a metrics sync did.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize)]
pub struct MetricsSync {
    /// WABAs synced.
    pub wabas: usize,
    /// Template days stored.
    pub days: usize,
    /// WABAs skipped, with Graph's reason.
    pub skipped: Vec<(String, String)>,
}

/// The UTC midnight at or before `at` (Unix seconds).
pub const fn day_start(at: i64) -> i64 {
    at - at.rem_euclid(DAY)
}

/// Syncs the last `days` days (today included, at most [`MAX_DAYS`]) of every client WABA's
/// template analytics into the store, at `now` (Unix seconds).
pub async fn sync_metrics(
    graph: &dyn PartnerGraph,
    store: &dyn PartnerStore,
    now: i64,
    days: i64,
) -> Result<MetricsSync, OrchestrateError> {
    let days = days.clamp(1, MAX_DAYS);
    let end = day_start(now) + DAY;
    let start = end - days * DAY;
    let mut summary = MetricsSync::default();
    for waba in store.wabas().await? {
        match graph.template_metrics(None, &waba.id, start, end).await {
            Ok(found) => {
                store.put_template_days(&found).await?;
                summary.wabas += 1;
                summary.days += found.len();
            }
            Err(failure) => summary.skipped.push((waba.id, failure.message)),
        }
    }
    Ok(summary)
}

/// One template's totals over the days asked, for one product.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TemplateTotals {
    /// The client business.
    pub business_id: String,
    /// The WABA.
    pub waba_id: String,
    /// The template.
    pub template_id: String,
    /// Its name.
    pub template_name: String,
    /// MM API or Cloud API.
    pub product: Product,
    /// Messages sent.
    pub sent: i64,
    /// Messages delivered.
    pub delivered: i64,
    /// Messages read.
    pub read: i64,
    /// URL button clicks.
    pub clicked: i64,
    /// What the deliveries cost, when the business may see it.
    pub cost: Option<f64>,
    /// Conversions attributed to the template's clicked messages (MM API only).
    pub conversions: Conversions,
}

impl TemplateTotals {
    /// Reads per delivery, in percent (`None` before anything was delivered).
    pub fn read_rate(&self) -> Option<f64> {
        rate(self.read, self.delivered)
    }

    /// Clicks per delivery, in percent.
    pub fn click_rate(&self) -> Option<f64> {
        rate(self.clicked, self.delivered)
    }
}

/// `part` per `whole`, in percent.
fn rate(part: i64, whole: i64) -> Option<f64> {
    (whole > 0).then(|| {
        #[expect(
            clippy::cast_precision_loss,
            reason = "message counts stay far below 2^52"
        )]
        let r = part as f64 * 100.0 / whole as f64;
        r
    })
}

/// Sums `days` per WABA, template and product; `business_of` names each WABA's business.
/// Templates and products without a send are left out.
pub fn totals(days: &[TemplateDay], business_of: &BTreeMap<String, String>) -> Vec<TemplateTotals> {
    let mut sums: BTreeMap<(String, String, Product), TemplateTotals> = BTreeMap::new();
    for d in days {
        let key = (d.waba_id.clone(), d.template_id.clone(), d.product);
        let t = sums.entry(key).or_insert_with(|| TemplateTotals {
            business_id: business_of.get(&d.waba_id).cloned().unwrap_or_default(),
            waba_id: d.waba_id.clone(),
            template_id: d.template_id.clone(),
            template_name: d.template_name.clone(),
            product: d.product,
            sent: 0,
            delivered: 0,
            read: 0,
            clicked: 0,
            cost: None,
            conversions: Conversions::default(),
        });
        t.sent += d.sent;
        t.delivered += d.delivered;
        t.read += d.read;
        t.clicked += d.clicked;
        t.conversions.add(&d.conversions);
        if let Some(c) = d.cost {
            t.cost = Some(t.cost.unwrap_or_default() + c);
        }
    }
    sums.into_values().filter(|t| t.sent > 0).collect()
}

/// Messages sent per UTC day from `from` to `until` (day starts, Unix seconds; `until`
/// excluded), over all of `days`, zeros included.
pub fn sent_per_day(days: &[TemplateDay], from: i64, until: i64) -> Vec<(i64, i64)> {
    let mut per: BTreeMap<i64, i64> = BTreeMap::new();
    for d in days {
        *per.entry(day_start(d.day)).or_default() += d.sent;
    }
    let mut out = Vec::new();
    let mut day = day_start(from);
    while day < until {
        out.push((day, per.get(&day).copied().unwrap_or_default()));
        day += DAY;
    }
    out
}

/// `YYYY-MM-DD` of the UTC day holding `at` (Unix seconds).
pub fn date(at: i64) -> String {
    // Days since 1970-01-01 to a civil date (H. Hinnant's algorithm).
    let z = at.div_euclid(DAY) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

/// The Unix seconds of a `YYYY-MM-DD` day's UTC midnight; `None` for anything else.
pub fn parse_date(text: &str) -> Option<i64> {
    let bytes = text.as_bytes();
    if bytes.len() != 10 || bytes[4] != b'-' || bytes[7] != b'-' {
        return None;
    }
    let number = |range: std::ops::Range<usize>| -> Option<i64> {
        let part = text.get(range)?;
        part.bytes()
            .all(|b| b.is_ascii_digit())
            .then(|| part.parse().ok())
            .flatten()
    };
    let (year, month, day) = (number(0..4)?, number(5..7)?, number(8..10)?);
    if !(1..=12).contains(&month) || day < 1 {
        return None;
    }
    // Days from 1970-01-01 of a civil date (H. Hinnant's algorithm).
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = if month > 2 { month - 3 } else { month + 9 };
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let at = (era * 146_097 + doe - 719_468) * DAY;
    // Refuses days the month does not have (2031-02-30).
    (date(at) == text).then_some(at)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(
        template: &str,
        day: i64,
        product: Product,
        sent: i64,
        cost: Option<f64>,
    ) -> TemplateDay {
        TemplateDay {
            waba_id: "W".into(),
            template_id: template.into(),
            template_name: format!("t{template}"),
            day,
            product,
            sent,
            delivered: sent,
            read: sent / 2,
            clicked: 1,
            cost,
            conversions: Conversions {
                website_purchases: 1,
                website_purchases_conversion_value: 2.5,
                ..Conversions::default()
            },
        }
    }

    #[test]
    fn totals_sum_days_per_template_and_product_and_leave_out_silence() {
        let owners = BTreeMap::from([("W".to_owned(), "B".to_owned())]);
        let days = [
            day("1", 0, Product::MarketingMessages, 4, Some(0.1)),
            day("1", DAY, Product::MarketingMessages, 2, Some(0.05)),
            day("1", 0, Product::CloudApi, 1, None),
            day("2", 0, Product::MarketingMessages, 0, None),
        ];
        let t = totals(&days, &owners);
        assert_eq!(t.len(), 2, "{t:?}");
        let mm = t
            .iter()
            .find(|t| t.product == Product::MarketingMessages)
            .expect("MM totals");
        assert_eq!((mm.sent, mm.delivered, mm.read, mm.clicked), (6, 6, 3, 2));
        assert_eq!(mm.business_id, "B");
        assert!((mm.cost.expect("cost") - 0.15).abs() < 1e-9);
        assert_eq!(mm.read_rate(), Some(50.0));
        assert_eq!(mm.conversions.purchases(), 2);
        assert!((mm.conversions.purchase_value() - 5.0).abs() < 1e-9);
        let cloud = t
            .iter()
            .find(|t| t.product == Product::CloudApi)
            .expect("cloud");
        assert_eq!(cloud.cost, None);
        assert_eq!(cloud.click_rate(), Some(100.0));
    }

    #[test]
    fn sends_per_day_fill_every_day() {
        let days = [
            day("1", DAY, Product::MarketingMessages, 4, None),
            day("2", DAY + 5, Product::CloudApi, 1, None),
            day("1", 3 * DAY, Product::MarketingMessages, 2, None),
        ];
        assert_eq!(
            sent_per_day(&days, 0, 4 * DAY),
            vec![(0, 0), (DAY, 5), (2 * DAY, 0), (3 * DAY, 2)]
        );
    }

    #[test]
    fn dates_are_civil_utc_dates() {
        assert_eq!(date(0), "1970-01-01");
        assert_eq!(date(1_927_879_200), "2031-02-03");
        assert_eq!(date(951_782_400), "2000-02-29");
        assert_eq!(date(-1), "1969-12-31");
    }

    #[test]
    fn dates_parse_back_to_their_midnight() {
        for at in [0, 1_927_843_200, 951_782_400, -DAY] {
            assert_eq!(parse_date(&date(at)), Some(at));
        }
        for bad in [
            "2031-02-30",
            "2031-13-01",
            "2031-2-03",
            "31-02-03xx",
            "2031-02-0a",
            "",
        ] {
            assert_eq!(parse_date(bad), None, "{bad}");
        }
    }

    #[test]
    fn days_start_at_utc_midnight() {
        assert_eq!(day_start(1_927_879_200), 1_927_843_200);
        assert_eq!(day_start(1_927_843_200), 1_927_843_200);
        assert_eq!(day_start(-1), -DAY);
    }
}
