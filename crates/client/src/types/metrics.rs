//! Template analytics and pricing analytics: the questions a partner asks about its clients'
//! sends, and Meta's answers.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use wamm_wire::ids::TemplateId;

use super::{lenient, lenient_list};

/// Which sends analytics count.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Product {
    /// Cloud API sends (Meta's default when `product_type` is omitted).
    #[default]
    CloudApi,
    /// MM API sends (`MARKETING_MESSAGES_API_FOR_WHATSAPP`).
    MarketingMessages,
}

impl Product {
    /// The `product_type` value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::CloudApi => "CLOUD_API",
            Self::MarketingMessages => "MARKETING_MESSAGES_API_FOR_WHATSAPP",
        }
    }
}

/// `GET /{waba-id}/template_analytics`: daily metrics of up to 10 templates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateAnalyticsQuery {
    /// The first instant, in Unix seconds (taken to its UTC day).
    pub start: i64,
    /// The end, in Unix seconds (rounded up to the next midnight UTC, exclusive).
    pub end: i64,
    /// The templates (at most 10).
    pub template_ids: Vec<TemplateId>,
    /// The metrics (`SENT`, `DELIVERED`, `READ`, `CLICKED`, `COST`, conversions); all when
    /// empty.
    pub metric_types: Vec<String>,
    /// Which sends.
    pub product: Product,
}

impl TemplateAnalyticsQuery {
    /// The query parameters.
    pub(crate) fn params(&self) -> Vec<(&'static str, String)> {
        let ids: Vec<String> = self
            .template_ids
            .iter()
            .map(|t| format!("\"{t}\""))
            .collect();
        let mut params = vec![
            ("start", self.start.to_string()),
            ("end", self.end.to_string()),
            ("granularity", "DAILY".to_owned()),
            ("template_ids", format!("[{}]", ids.join(","))),
            ("product_type", self.product.as_str().to_owned()),
        ];
        if !self.metric_types.is_empty() {
            params.push(("metric_types", self.metric_types.join(",")));
        }
        params
    }
}

/// Clicks of one button, as template analytics count them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ButtonClicks {
    /// `url_button`, `unique_url_button` or `quick_reply_button`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The button's text.
    #[serde(default)]
    pub button_content: String,
    /// How many.
    #[serde(default)]
    pub count: i64,
}

/// One cost figure: `amount_spent`, `cost_per_delivered` or `cost_per_url_button_click`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CostItem {
    /// Which figure.
    #[serde(rename = "type")]
    pub kind: String,
    /// The amount (Meta leaves it out when nothing was spent).
    #[serde(default, deserialize_with = "lenient")]
    pub value: Option<f64>,
}

/// One template's metrics on one day.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TemplateDataPoint {
    /// The template.
    pub template_id: TemplateId,
    /// The day's start, Unix seconds.
    pub start: i64,
    /// The day's end, Unix seconds.
    pub end: i64,
    /// Messages sent.
    #[serde(default, deserialize_with = "lenient")]
    pub sent: Option<i64>,
    /// Messages delivered.
    #[serde(default, deserialize_with = "lenient")]
    pub delivered: Option<i64>,
    /// Messages read.
    #[serde(default, deserialize_with = "lenient")]
    pub read: Option<i64>,
    /// Button clicks.
    #[serde(default, deserialize_with = "lenient_list")]
    pub clicked: Vec<ButtonClicks>,
    /// Cost figures (absent when not asked or not visible).
    #[serde(default, deserialize_with = "lenient_list")]
    pub cost: Vec<CostItem>,
    /// Everything else (conversion metrics, `replied`, what Meta adds), by key.
    #[serde(flatten)]
    pub other: BTreeMap<String, Value>,
}

impl TemplateDataPoint {
    /// The count of clicks of `kind` (`url_button`, `unique_url_button`, …), over all buttons.
    pub fn clicks(&self, kind: &str) -> i64 {
        self.clicked
            .iter()
            .filter(|c| c.kind == kind)
            .map(|c| c.count)
            .sum()
    }

    /// The cost figure `kind`, if given.
    pub fn cost(&self, kind: &str) -> Option<f64> {
        self.cost.iter().find(|c| c.kind == kind)?.value
    }
}

/// One entry of a template analytics answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TemplateAnalytics {
    /// `DAILY`.
    #[serde(default)]
    pub granularity: String,
    /// The product counted, lowercase.
    #[serde(default)]
    pub product_type: String,
    /// The data points.
    #[serde(default, deserialize_with = "lenient_list")]
    pub data_points: Vec<TemplateDataPoint>,
}

/// The WABA's `pricing_analytics` field: delivered volume and cost.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PricingAnalyticsQuery {
    /// The first instant, in Unix seconds.
    pub start: i64,
    /// The end, in Unix seconds.
    pub end: i64,
    /// `DAILY` or `MONTHLY`.
    pub granularity: String,
    /// What to split by: `COUNTRY`, `PHONE`, `PRICING_CATEGORY`, `PRICING_TYPE`, `TIER`.
    pub dimensions: Vec<String>,
}

impl PricingAnalyticsQuery {
    /// The `fields` value asking for it.
    pub(crate) fn field(&self) -> String {
        let mut field = format!(
            "pricing_analytics.start({}).end({}).granularity({})",
            self.start, self.end, self.granularity
        );
        if !self.dimensions.is_empty() {
            field.push_str(&format!(".dimensions({})", self.dimensions.join(",")));
        }
        field
    }
}

/// One pricing analytics data point.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PricingDataPoint {
    /// The bucket's start, Unix seconds.
    pub start: i64,
    /// Its end, Unix seconds.
    pub end: i64,
    /// The recipients' country, when split by it.
    #[serde(default, deserialize_with = "lenient")]
    pub country: Option<String>,
    /// The number's digits, when split by it.
    #[serde(default, deserialize_with = "lenient")]
    pub phone_number: Option<String>,
    /// The pricing category (`MARKETING_LITE`, …), when split by it.
    #[serde(default, deserialize_with = "lenient")]
    pub pricing_category: Option<String>,
    /// The pricing type, when split by it.
    #[serde(default, deserialize_with = "lenient")]
    pub pricing_type: Option<String>,
    /// The tier, when split by it.
    #[serde(default, deserialize_with = "lenient")]
    pub tier: Option<String>,
    /// Messages delivered.
    #[serde(default, deserialize_with = "lenient")]
    pub volume: Option<i64>,
    /// What they cost.
    #[serde(default, deserialize_with = "lenient")]
    pub cost: Option<f64>,
}
