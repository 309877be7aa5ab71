//! The MM API's ad objects and their Insights: the ad account Meta links to an onboarded WABA,
//! the campaign, ad set and ad behind each MARKETING template, and the `marketing_messages_*`
//! figures Insights reports for them (every value a string, as Insights writes it).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::lenient;

/// `marketing_messages_settings` of an ad account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MarketingMessagesSettings {
    /// `MARKETING_MESSAGE_ONBOARDED`, `MARKETING_MESSAGE_NOT_ONBOARDED` or
    /// `MARKETING_MESSAGE_INELIGIBLE` (kept verbatim).
    #[serde(default)]
    pub whatsapp_activation_status: String,
}

/// An ad account (`act_<id>`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdAccount {
    /// `act_<id>`.
    pub id: String,
    /// The digits.
    #[serde(default)]
    pub account_id: String,
    /// Its name.
    #[serde(default, deserialize_with = "lenient")]
    pub name: Option<String>,
    /// 1 active, 2 disabled, …
    #[serde(default, deserialize_with = "lenient")]
    pub account_status: Option<i64>,
    /// The currency spend is counted in.
    #[serde(default, deserialize_with = "lenient")]
    pub currency: Option<String>,
    /// Whether the WABA behind it is onboarded to the MM API.
    #[serde(default, deserialize_with = "lenient")]
    pub marketing_messages_settings: Option<MarketingMessagesSettings>,
}

impl AdAccount {
    /// The fields [`crate::GraphClient::ad_account`] asks for.
    pub const FIELDS: &'static str =
        "account_id,name,account_status,currency,marketing_messages_settings";
}

/// A campaign, ad set or ad.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdObject {
    /// Its ID.
    pub id: String,
    /// Its name.
    #[serde(default, deserialize_with = "lenient")]
    pub name: Option<String>,
    /// The ad account's digits.
    #[serde(default, deserialize_with = "lenient")]
    pub account_id: Option<String>,
    /// `ACTIVE`, `PAUSED`, …
    #[serde(default, deserialize_with = "lenient")]
    pub status: Option<String>,
    /// A campaign's objective (`OUTCOME_SALES`, `LINK_CLICKS`).
    #[serde(default, deserialize_with = "lenient")]
    pub objective: Option<String>,
    /// An ad set's optimization goal.
    #[serde(default, deserialize_with = "lenient")]
    pub optimization_goal: Option<String>,
    /// The campaign of an ad set or ad.
    #[serde(default, deserialize_with = "lenient")]
    pub campaign_id: Option<String>,
    /// The ad set of an ad.
    #[serde(default, deserialize_with = "lenient")]
    pub adset_id: Option<String>,
}

/// Which days an Insights request covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InsightsRange {
    /// A named preset (`last_30d`, `yesterday`, …).
    Preset(String),
    /// Inclusive dates, `YYYY-MM-DD`.
    Dates {
        /// The first day.
        since: String,
        /// The last day.
        until: String,
    },
}

/// An Insights request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InsightsQuery {
    /// The fields (Meta's defaults when empty).
    pub fields: Vec<String>,
    /// The days.
    pub range: InsightsRange,
    /// `all_days`, `monthly` or a number of days; one row for the whole range when `None`.
    pub time_increment: Option<String>,
    /// `account`, `campaign`, `adset` or `ad`; the object's own when `None`.
    pub level: Option<String>,
    /// Split rows by button name (`marketing_messages_btn_name`).
    pub by_button: bool,
}

impl InsightsQuery {
    /// The `marketing_messages_*` volumes, rates and spend over the last 30 days.
    pub fn last_30_days() -> Self {
        Self {
            fields: [
                "marketing_messages_sent",
                "marketing_messages_delivered",
                "marketing_messages_read",
                "marketing_messages_link_btn_click",
                "marketing_messages_read_rate",
                "marketing_messages_link_btn_click_rate",
                "marketing_messages_spend",
            ]
            .map(str::to_owned)
            .to_vec(),
            range: InsightsRange::Preset("last_30d".to_owned()),
            time_increment: None,
            level: None,
            by_button: false,
        }
    }

    /// The query parameters, as Meta's SDKs send them.
    pub(crate) fn params(&self) -> Vec<(&'static str, String)> {
        let mut params = Vec::new();
        if !self.fields.is_empty() {
            params.push(("fields", self.fields.join(",")));
        }
        match &self.range {
            InsightsRange::Preset(p) => params.push(("date_preset", p.clone())),
            InsightsRange::Dates { since, until } => params.push((
                "time_range",
                serde_json::json!({"since": since, "until": until}).to_string(),
            )),
        }
        if let Some(i) = &self.time_increment {
            params.push(("time_increment", i.clone()));
        }
        if let Some(l) = &self.level {
            params.push(("level", l.clone()));
        }
        if self.by_button {
            params.push((
                "breakdowns",
                r#"["marketing_messages_btn_name"]"#.to_owned(),
            ));
        }
        params
    }
}

/// One Insights row: its dates and every field Graph gave, as text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InsightsRow {
    /// The first day (`YYYY-MM-DD`).
    pub date_start: String,
    /// The last day.
    pub date_stop: String,
    /// The other fields (Insights writes numbers as strings; other values are kept as JSON).
    #[serde(flatten)]
    pub fields: BTreeMap<String, Value>,
}

impl InsightsRow {
    /// A field as text.
    pub fn text(&self, name: &str) -> Option<&str> {
        self.fields.get(name)?.as_str()
    }

    /// A count field (`marketing_messages_sent`, …).
    pub fn count(&self, name: &str) -> Option<i64> {
        self.text(name)?.parse().ok()
    }

    /// A decimal field (rates, spend).
    pub fn number(&self, name: &str) -> Option<f64> {
        self.text(name)?.parse().ok()
    }
}

/// An asynchronous Insights report's progress.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportRun {
    /// Its ID.
    pub id: String,
    /// `Job Not Started`, `Job Running`, `Job Completed`, …
    #[serde(default)]
    pub async_status: String,
    /// 0 to 100.
    #[serde(default)]
    pub async_percent_completion: i64,
}

impl ReportRun {
    /// Whether its rows can be read.
    pub fn is_complete(&self) -> bool {
        self.async_status == "Job Completed" || self.async_percent_completion >= 100
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn rows_read_numbers_from_strings() {
        let row: InsightsRow = serde_json::from_value(json!({
            "marketing_messages_sent": "4", "marketing_messages_read_rate": "481.818182",
            "marketing_messages_btn_name": "Shop", "date_start": "2031-02-03", "date_stop": "2031-02-03"
        }))
        .expect("row");
        assert_eq!(row.count("marketing_messages_sent"), Some(4));
        assert_eq!(
            row.number("marketing_messages_read_rate"),
            Some(481.818_182)
        );
        assert_eq!(row.text("marketing_messages_btn_name"), Some("Shop"));
        assert_eq!(row.count("marketing_messages_read"), None);
    }

    #[test]
    fn queries_send_what_the_sdk_sends() {
        let mut q = InsightsQuery::last_30_days();
        q.range = InsightsRange::Dates {
            since: "2031-02-01".into(),
            until: "2031-02-03".into(),
        };
        q.time_increment = Some("1".into());
        q.by_button = true;
        let p = q.params();
        assert!(p.contains(&(
            "time_range",
            r#"{"since":"2031-02-01","until":"2031-02-03"}"#.to_owned()
        )));
        assert!(p.contains(&("time_increment", "1".to_owned())));
        assert!(p.contains(&(
            "breakdowns",
            r#"["marketing_messages_btn_name"]"#.to_owned()
        )));
        assert!(p[0].1.starts_with("marketing_messages_sent,"));
    }
}
