//! What a message's life counts for in analytics, as pure functions.
//!
//! Each step a message takes (sent, delivered, read, a link click, failed) becomes a [`Fact`]:
//! one more of that step, plus the price of a delivered template, keyed by WABA, template,
//! phone number, UTC day, route and pricing category. The platform commits a step's fact in the
//! transaction that claims the step, so every fact is counted exactly once, whatever the
//! replicas; analytics answers are sums of facts.
//!
//! Prices follow Meta's per-message pricing (since 2025-07-01): a template message is charged
//! when it is delivered, at the rate of its pricing category and the recipient's country
//! calling code; non-template messages are free. A MM API message (`marketing_lite`) is charged
//! the marketing rate. The [`RateCard`] holds the rates.

use std::collections::BTreeMap;
use std::ops::AddAssign;

use serde::{Deserialize, Serialize};
use wamm_wire::ids::{PhoneNumberId, TemplateId, WabaId};

use crate::country::Country;
use crate::sending::{Route, Step};
use crate::time::Timestamp;
use crate::{Message, TemplateCategory};

/// Milliseconds in a day.
const DAY_MS: i64 = 86_400_000;

/// The country of a recipient whose calling code names none: ISO 3166-1's user-assigned
/// "unknown".
pub const UNKNOWN_COUNTRY: Country = Country::UNKNOWN;

/// How long after a send Meta records its reads and clicks for template analytics.
pub const ACTIVITY_WINDOW_DAYS: i64 = 7;

/// A UTC calendar day, as days since 1970-01-01.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Day(pub i64);

impl Day {
    /// The UTC day `at` falls on.
    pub fn of(at: Timestamp) -> Self {
        Self(at.millis().div_euclid(DAY_MS))
    }

    /// Its first instant (00:00 UTC).
    pub fn start(self) -> Timestamp {
        Timestamp::from_millis(self.0.saturating_mul(DAY_MS))
    }

    /// The day after.
    #[must_use]
    pub fn next(self) -> Self {
        Self(self.0 + 1)
    }

    /// The first day of this day's calendar month (UTC).
    #[must_use]
    pub fn month_start(self) -> Self {
        use chrono::Datelike as _;
        let epoch = chrono::NaiveDate::default();
        let Some(date) = epoch.checked_add_signed(chrono::TimeDelta::days(self.0)) else {
            return self;
        };
        let first = date.with_day(1).unwrap_or(date);
        Self(first.signed_duration_since(epoch).num_days())
    }

    /// The first day of the next calendar month.
    #[must_use]
    pub fn next_month(self) -> Self {
        let mut day = self.month_start();
        // A month has at most 31 days: step past its end, then back to that month's start.
        day = Self(day.0 + 32);
        day.month_start()
    }
}

/// The category a message is priced (and reported) under, as status webhooks' `pricing.category`
/// writes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PricingCategory {
    /// A template sent through MM API.
    MarketingLite,
    /// A MARKETING template sent through Cloud API.
    Marketing,
    /// A UTILITY template.
    Utility,
    /// An AUTHENTICATION template.
    Authentication,
    /// A non-template message.
    Service,
}

impl PricingCategory {
    /// The category of a message sent by `route` with a template of `category` (none for a
    /// non-template message).
    pub fn of(route: Route, category: Option<TemplateCategory>) -> Self {
        match (route, category) {
            (Route::MarketingLite, _) => Self::MarketingLite,
            (Route::CloudApi, Some(TemplateCategory::Marketing)) => Self::Marketing,
            (Route::CloudApi, Some(TemplateCategory::Utility)) => Self::Utility,
            (Route::CloudApi, Some(TemplateCategory::Authentication)) => Self::Authentication,
            (Route::CloudApi, None) => Self::Service,
        }
    }

    /// The lowercase wire text (`marketing_lite`, `marketing`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::MarketingLite => "marketing_lite",
            Self::Marketing => "marketing",
            Self::Utility => "utility",
            Self::Authentication => "authentication",
            Self::Service => "service",
        }
    }

    /// The category named `text` (the lowercase wire text).
    pub fn parse(text: &str) -> Option<Self> {
        [
            Self::MarketingLite,
            Self::Marketing,
            Self::Utility,
            Self::Authentication,
            Self::Service,
        ]
        .into_iter()
        .find(|c| c.as_str() == text)
    }
}

/// What a fact is counted under.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct FactKey {
    /// The sending WABA.
    pub waba_id: WabaId,
    /// The template sent; `None` for a non-template message.
    pub template_id: Option<TemplateId>,
    /// The sending number.
    pub phone_number_id: PhoneNumberId,
    /// The UTC day the step happened on.
    pub day: Day,
    /// The same instant's day in the WABA's time zone (the UTC day when wamm does not know
    /// the zone).
    pub local_day: Day,
    /// MM API or Cloud API.
    pub route: Route,
    /// The pricing category.
    pub category: PricingCategory,
    /// The recipient's country, from the calling code (`ZZ` when unknown).
    pub country: Country,
}

/// Counts of message steps and what they cost.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    /// Messages sent.
    pub sent: i64,
    /// Messages delivered.
    pub delivered: i64,
    /// Messages read.
    pub read: i64,
    /// Link (CTA URL button) clicks.
    pub clicked: i64,
    /// Messages clicked at least once (each counted on the day of its first click).
    pub unique_clicked: i64,
    /// Messages that failed.
    pub failed: i64,
    /// What the deliveries cost, in millionths of the rate card's currency.
    pub cost_micros: i64,
    /// Conversions reported from the business's website, attributed to these messages.
    pub website: Conversions,
    /// Conversions reported from the business's app, attributed to these messages.
    pub app: Conversions,
}

/// Conversions of one channel (website or app), as template analytics count them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Conversions {
    /// `AddToCart` events.
    pub add_to_cart: i64,
    /// `InitiateCheckout` events.
    pub checkouts_initiated: i64,
    /// `Purchase` events.
    pub purchases: i64,
    /// The purchases' value, in millionths of their currency.
    pub purchase_value_micros: i64,
    /// `ActivateApp` events (apps only).
    pub activations: i64,
}

impl AddAssign for Conversions {
    fn add_assign(&mut self, other: Self) {
        self.add_to_cart += other.add_to_cart;
        self.checkouts_initiated += other.checkouts_initiated;
        self.purchases += other.purchases;
        self.purchase_value_micros += other.purchase_value_micros;
        self.activations += other.activations;
    }
}

impl AddAssign for Counts {
    fn add_assign(&mut self, other: Self) {
        self.website += other.website;
        self.app += other.app;
        self.sent += other.sent;
        self.delivered += other.delivered;
        self.read += other.read;
        self.clicked += other.clicked;
        self.unique_clicked += other.unique_clicked;
        self.failed += other.failed;
        self.cost_micros += other.cost_micros;
    }
}

/// One step's contribution to the analytics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fact {
    /// What it is counted under.
    pub key: FactKey,
    /// What it adds.
    pub counts: Counts,
}

impl FactKey {
    /// The key of what `message` did at `at`: its WABA, template, number, UTC and local day,
    /// route, pricing category and recipient country (from the calling code).
    pub fn of(message: &Message, at: Timestamp) -> Self {
        let zone = message
            .timezone_id
            .as_deref()
            .and_then(crate::timezone::zone);
        Self {
            waba_id: message.waba_id,
            template_id: message.template_id,
            phone_number_id: message.phone_number_id,
            day: Day::of(at),
            local_day: zone.map_or(Day::of(at), |z| Day::of(z.local(at))),
            route: message.route,
            category: PricingCategory::of(message.route, message.category),
            country: crate::bsuid::country_of(&message.to)
                .parse()
                .unwrap_or(UNKNOWN_COUNTRY),
        }
    }
}

/// The fact of `step` of `message`, taken at `at`; `None` for a step that counts for nothing
/// (expiry, and a read or click more than [`ACTIVITY_WINDOW_DAYS`] after the send, which Meta
/// no longer records). `first_click` says whether a click is the message's first; a delivery
/// is priced for the recipient's country.
pub fn step_fact(
    message: &Message,
    step: Step,
    at: Timestamp,
    first_click: bool,
    rates: &RateCard,
) -> Option<Fact> {
    let key = FactKey::of(message, at);
    let late = at.millis() - message.accepted_at.millis() > ACTIVITY_WINDOW_DAYS * DAY_MS;
    if late && matches!(step, Step::Read | Step::Click) {
        return None;
    }
    let mut counts = Counts::default();
    match step {
        Step::Sent => counts.sent = 1,
        Step::Delivered => {
            counts.delivered = 1;
            counts.cost_micros = rates.price_micros(key.country.as_str(), key.category);
        }
        Step::Read => counts.read = 1,
        Step::Click => {
            counts.clicked = 1;
            counts.unique_clicked = i64::from(first_click);
        }
        Step::Failed(_) => counts.failed = 1,
        Step::Expired => return None,
    }
    Some(Fact { key, counts })
}

/// A metric template analytics reports (`metric_types`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum MetricType {
    /// `SENT`.
    Sent,
    /// `DELIVERED`.
    Delivered,
    /// `READ`.
    Read,
    /// `CLICKED`: button clicks, by button.
    Clicked,
    /// `COST`: what was spent, and per delivery and per URL click.
    Cost,
    /// `REPLIED` (Meta's SDK 22–25).
    Replied,
    /// A conversion metric, reported for MM API sends only (`APP_ACTIVATIONS`, …,
    /// `WEBSITE_PURCHASES_CONVERSION_VALUE`), by its lowercase key.
    Conversion(&'static str),
}

/// The conversion metric types, as `metric_types` names them.
const CONVERSIONS: [&str; 9] = [
    "app_activations",
    "app_add_to_cart",
    "app_checkouts_initiated",
    "app_purchases",
    "app_purchases_conversion_value",
    "website_add_to_cart",
    "website_checkouts_initiated",
    "website_purchases",
    "website_purchases_conversion_value",
];

impl MetricType {
    /// The metric `text` names, in any case (Meta's examples send `sent` and `SENT`).
    pub fn parse(text: &str) -> Option<Self> {
        let lower = text.trim().to_ascii_lowercase();
        Some(match lower.as_str() {
            "sent" => Self::Sent,
            "delivered" => Self::Delivered,
            "read" => Self::Read,
            "clicked" => Self::Clicked,
            "cost" => Self::Cost,
            "replied" => Self::Replied,
            other => Self::Conversion(CONVERSIONS.into_iter().find(|c| *c == other)?),
        })
    }

    /// Every metric, in the order data points list them.
    pub fn all() -> Vec<Self> {
        let mut all = vec![
            Self::Sent,
            Self::Delivered,
            Self::Read,
            Self::Replied,
            Self::Clicked,
            Self::Cost,
        ];
        all.extend(CONVERSIONS.into_iter().map(Self::Conversion));
        all
    }
}

/// One template's totals for one day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DailyTotal {
    /// The template.
    pub template_id: TemplateId,
    /// The day.
    pub day: Day,
    /// Its counts (all zero on a day without activity).
    pub counts: Counts,
}

/// The totals of `templates` for each day from `from` to `until` (excluded), over the facts of
/// messages sent by `route`: a total per template and day, zeros included, newest day first
/// and, within a day, in the order `templates` lists them.
pub fn daily_totals(
    facts: &[Fact],
    templates: &[TemplateId],
    from: Day,
    until: Day,
    route: Route,
) -> Vec<DailyTotal> {
    let mut sums: BTreeMap<(TemplateId, Day), Counts> = BTreeMap::new();
    for f in facts.iter().filter(|f| f.key.route == route) {
        if let Some(t) = f.key.template_id {
            *sums.entry((t, f.key.day)).or_default() += f.counts;
        }
    }
    let mut out = Vec::new();
    let mut day = until;
    while day > from {
        day = Day(day.0 - 1);
        for t in templates {
            out.push(DailyTotal {
                template_id: *t,
                day,
                counts: sums.get(&(*t, day)).copied().unwrap_or_default(),
            });
        }
    }
    out
}

/// How pricing analytics buckets time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Granularity {
    /// One bucket per UTC day.
    Daily,
    /// One bucket per UTC calendar month.
    Monthly,
}

/// Which dimensions pricing analytics splits by; the others are summed over.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Dimensions {
    /// The recipient's country.
    pub country: bool,
    /// The sending number.
    pub phone: bool,
    /// The pricing category.
    pub category: bool,
    /// Paid (`REGULAR`) or free (`FREE_CUSTOMER_SERVICE`).
    pub pricing_type: bool,
    /// The volume tier (wamm has one: `0:MAX`).
    pub tier: bool,
}

/// Which facts pricing analytics counts; `None` counts all.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PricingFilter {
    /// Only these numbers.
    pub phones: Option<Vec<PhoneNumberId>>,
    /// Only recipients in these countries.
    pub countries: Option<Vec<Country>>,
    /// Only these categories.
    pub categories: Option<Vec<PricingCategory>>,
    /// Only paid (`true`) or free (`false`) messages.
    pub paid: Option<Vec<bool>>,
}

/// One pricing analytics data point: a time bucket and the dimension values it splits by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct PricingPoint {
    /// The bucket's first day.
    pub start: Day,
    /// The day after its last.
    pub end: Day,
    /// The country, when split by it.
    pub country: Option<Country>,
    /// The number, when split by it.
    pub phone: Option<PhoneNumberId>,
    /// The category, when split by it.
    pub category: Option<PricingCategory>,
    /// Paid or free, when split by pricing type or tier.
    pub paid: Option<bool>,
    /// Messages delivered.
    pub volume: i64,
    /// What they cost, in millionths.
    pub cost_micros: i64,
}

/// Delivered volume and cost over `[from, until)`, in buckets of `granularity`, split by
/// `dims`, over the facts `filter` keeps; buckets without deliveries are left out. Sorted by
/// bucket, then by the dimension values.
pub fn pricing_points(
    facts: &[Fact],
    from: Day,
    until: Day,
    granularity: Granularity,
    dims: Dimensions,
    filter: &PricingFilter,
) -> Vec<PricingPoint> {
    let keep = |f: &Fact| {
        let paid = f.key.category != PricingCategory::Service;
        f.key.day >= from
            && f.key.day < until
            && filter
                .phones
                .as_ref()
                .is_none_or(|p| p.contains(&f.key.phone_number_id))
            && filter
                .countries
                .as_ref()
                .is_none_or(|c| c.contains(&f.key.country))
            && filter
                .categories
                .as_ref()
                .is_none_or(|c| c.contains(&f.key.category))
            && filter.paid.as_ref().is_none_or(|p| p.contains(&paid))
            && f.counts.delivered > 0
    };
    // Keyed by the point itself with nothing counted yet; the counts sum beside it.
    let mut points: BTreeMap<PricingPoint, (i64, i64)> = BTreeMap::new();
    for f in facts.iter().filter(|f| keep(f)) {
        let (start, end) = match granularity {
            Granularity::Daily => (f.key.day, f.key.day.next()),
            Granularity::Monthly => (
                f.key.day.month_start().max(from),
                f.key.day.next_month().min(until),
            ),
        };
        let paid = f.key.category != PricingCategory::Service;
        let key = PricingPoint {
            start,
            end,
            country: dims.country.then_some(f.key.country),
            phone: dims.phone.then_some(f.key.phone_number_id),
            category: dims.category.then_some(f.key.category),
            paid: (dims.pricing_type || dims.tier).then_some(paid),
            volume: 0,
            cost_micros: 0,
        };
        let slot = points.entry(key).or_default();
        slot.0 += f.counts.delivered;
        slot.1 += f.counts.cost_micros;
    }
    points
        .into_iter()
        .map(|(point, (volume, cost_micros))| PricingPoint {
            volume,
            cost_micros,
            ..point
        })
        .collect()
}

/// One messaging analytics data point (the WABA's `analytics` field): a time bucket and the
/// messages sent and delivered in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MessagingPoint {
    /// The bucket's first day.
    pub start: Day,
    /// The day after its last.
    pub end: Day,
    /// Messages sent.
    pub sent: i64,
    /// Messages delivered.
    pub delivered: i64,
}

/// Messages sent and delivered over `[from, until)` in buckets of `granularity`, over the facts
/// `keep` keeps; buckets without messages are left out, oldest first.
pub fn messaging_points(
    facts: &[Fact],
    from: Day,
    until: Day,
    granularity: Granularity,
    keep: impl Fn(&Fact) -> bool,
) -> Vec<MessagingPoint> {
    let mut buckets: BTreeMap<(Day, Day), (i64, i64)> = BTreeMap::new();
    for f in facts
        .iter()
        .filter(|f| f.key.day >= from && f.key.day < until && keep(f))
    {
        let bucket = match granularity {
            Granularity::Daily => (f.key.day, f.key.day.next()),
            Granularity::Monthly => (
                f.key.day.month_start().max(from),
                f.key.day.next_month().min(until),
            ),
        };
        let slot = buckets.entry(bucket).or_default();
        slot.0 += f.counts.sent;
        slot.1 += f.counts.delivered;
    }
    buckets
        .into_iter()
        .filter(|(_, (sent, delivered))| *sent > 0 || *delivered > 0)
        .map(|((start, end), (sent, delivered))| MessagingPoint {
            start,
            end,
            sent,
            delivered,
        })
        .collect()
}

/// How long after a click a conversion is still attributed to the message (last touch).
pub const ATTRIBUTION_WINDOW_DAYS: i64 = 7;

/// A conversion event a business reports, by Meta's standard event names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConversionEvent {
    /// `Purchase`.
    Purchase,
    /// `AddToCart`.
    AddToCart,
    /// `InitiateCheckout`.
    InitiateCheckout,
    /// `ActivateApp` (apps only).
    ActivateApp,
}

impl ConversionEvent {
    /// The event `name` names (Meta's standard event names).
    pub fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "Purchase" => Self::Purchase,
            "AddToCart" => Self::AddToCart,
            "InitiateCheckout" => Self::InitiateCheckout,
            "ActivateApp" => Self::ActivateApp,
            _ => return None,
        })
    }
}

/// Where a conversion happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    /// The business's website (Pixel or Conversions API web events).
    Website,
    /// The business's app (app events).
    App,
}

/// Why a conversion cannot be attributed to a message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Unattributed {
    /// Nobody clicked the message's link at or before the conversion.
    #[error("the message's link was never clicked before the conversion")]
    NoClick,
    /// The last click is older than the attribution window.
    #[error("the last click is more than {ATTRIBUTION_WINDOW_DAYS} days before the conversion")]
    OutsideWindow,
    /// A website does not report app activations.
    #[error("ActivateApp is an app event")]
    NotOnWebsite,
}

/// The fact a conversion adds to `message`, at `at`, worth `value_micros` (purchases): counted
/// on the day of the message's last click at or before `at`, when that click is within
/// [`ATTRIBUTION_WINDOW_DAYS`] (last touch wins; the caller found the message by the click).
pub fn conversion_fact(
    message: &Message,
    event: ConversionEvent,
    channel: Channel,
    value_micros: i64,
    at: Timestamp,
) -> Result<Fact, Unattributed> {
    let done = usize::try_from(message.steps_done).unwrap_or(usize::MAX);
    let clicked_at = message
        .plan
        .iter()
        .take(done)
        .filter(|(t, s)| *s == Step::Click && *t <= at)
        .map(|(t, _)| *t)
        .max()
        .ok_or(Unattributed::NoClick)?;
    if at.millis() - clicked_at.millis() > ATTRIBUTION_WINDOW_DAYS * DAY_MS {
        return Err(Unattributed::OutsideWindow);
    }
    let mut conversions = Conversions::default();
    match event {
        ConversionEvent::Purchase => {
            conversions.purchases = 1;
            conversions.purchase_value_micros = value_micros.max(0);
        }
        ConversionEvent::AddToCart => conversions.add_to_cart = 1,
        ConversionEvent::InitiateCheckout => conversions.checkouts_initiated = 1,
        ConversionEvent::ActivateApp if channel == Channel::App => conversions.activations = 1,
        ConversionEvent::ActivateApp => return Err(Unattributed::NotOnWebsite),
    }
    let mut counts = Counts::default();
    match channel {
        Channel::Website => counts.website = conversions,
        Channel::App => counts.app = conversions,
    }
    Ok(Fact {
        key: FactKey::of(message, clicked_at),
        counts,
    })
}

/// The click ID Meta appends to the CTA URL a recipient opens (`fbclid`), for the click of
/// `message` at `at`: the same for the same click every time it is shown, and unlike any
/// other click's.
pub fn click_id(message_id: &str, at: Timestamp) -> String {
    use sha2::{Digest as _, Sha256};
    let digest = Sha256::digest(format!("{message_id}|{}", at.millis()));
    let hex: String = digest.iter().take(20).map(|b| format!("{b:02x}")).collect();
    format!("IwAR{hex}")
}

/// `url` as the recipient opens it after clicking: with `fbclid` appended.
pub fn clicked_url(url: &str, fbclid: &str) -> String {
    let (base, fragment) = url
        .split_once('#')
        .map_or((url, None), |(b, f)| (b, Some(f)));
    let joiner = if base.contains('?') { '&' } else { '?' };
    match fragment {
        Some(f) => format!("{base}{joiner}fbclid={fbclid}#{f}"),
        None => format!("{base}{joiner}fbclid={fbclid}"),
    }
}

/// Whether the step at `index` of `message`'s plan is its first click.
pub fn is_first_click(message: &Message, index: usize) -> bool {
    message
        .plan
        .get(index)
        .is_some_and(|(_, s)| *s == Step::Click)
        && !message
            .plan
            .iter()
            .take(index)
            .any(|(_, s)| *s == Step::Click)
}

/// The rates of one market, in the rate card's currency per delivered template.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Rates {
    /// A MARKETING template (MM API and Cloud API alike).
    pub marketing: f64,
    /// A UTILITY template.
    pub utility: f64,
    /// An AUTHENTICATION template.
    pub authentication: f64,
}

/// What a delivered template costs, per market and category.
///
/// The defaults are a few markets of Meta's USD rate card of July 2025 (India, the United
/// States) and its "other" rates for every other country; a world file may replace them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RateCard {
    /// The currency of every rate (ISO 4217).
    pub currency: String,
    /// Rates by country (ISO 3166-1 alpha-2).
    #[serde(default)]
    pub countries: BTreeMap<String, Rates>,
    /// Rates for any country not listed.
    pub other: Rates,
}

impl Default for RateCard {
    fn default() -> Self {
        Self {
            currency: "USD".to_owned(),
            countries: BTreeMap::from([
                (
                    "IN".to_owned(),
                    Rates {
                        marketing: 0.0107,
                        utility: 0.0014,
                        authentication: 0.0014,
                    },
                ),
                (
                    "US".to_owned(),
                    Rates {
                        marketing: 0.025,
                        utility: 0.004,
                        authentication: 0.0135,
                    },
                ),
            ]),
            other: Rates {
                marketing: 0.0604,
                utility: 0.0077,
                authentication: 0.0077,
            },
        }
    }
}

impl RateCard {
    /// The price of delivering one message of `category` to `country`, in millionths of the
    /// currency; non-template messages are free.
    pub fn price_micros(&self, country: &str, category: PricingCategory) -> i64 {
        let rates = self.countries.get(country).unwrap_or(&self.other);
        let rate = match category {
            PricingCategory::MarketingLite | PricingCategory::Marketing => rates.marketing,
            PricingCategory::Utility => rates.utility,
            PricingCategory::Authentication => rates.authentication,
            PricingCategory::Service => return 0,
        };
        to_micros(rate)
    }

    /// Checks every rate is a finite, non-negative amount and the currency a three-letter code.
    pub fn validate(&self) -> Result<(), String> {
        if self.currency.len() != 3 || !self.currency.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(format!(
                "rate_card.currency must be an ISO 4217 code such as USD, not '{}'",
                self.currency
            ));
        }
        let all = self
            .countries
            .iter()
            .map(|(c, r)| (c.as_str(), r))
            .chain([("other", &self.other)]);
        for (market, r) in all {
            for (name, v) in [
                ("marketing", r.marketing),
                ("utility", r.utility),
                ("authentication", r.authentication),
            ] {
                if !v.is_finite() || !(0.0..=1000.0).contains(&v) {
                    return Err(format!(
                        "rate_card {market}.{name} must be an amount between 0 and 1000, not {v}"
                    ));
                }
            }
        }
        Ok(())
    }
}

/// An amount in millionths, rounded to the nearest.
fn to_micros(amount: f64) -> i64 {
    #[expect(
        clippy::cast_possible_truncation,
        reason = "validated rates are at most 1000, far inside i64 once scaled"
    )]
    let micros = (amount * 1_000_000.0).round() as i64;
    micros
}

/// An amount in millionths as a decimal number of the currency.
pub fn from_micros(micros: i64) -> f64 {
    #[expect(
        clippy::cast_precision_loss,
        reason = "amounts stay far below 2^53 millionths"
    )]
    let amount = micros as f64 / 1_000_000.0;
    amount
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sending::Step;

    fn message(route: Route, category: Option<TemplateCategory>) -> Message {
        Message {
            id: "wamid.x".into(),
            phone_number_id: PhoneNumberId::new(4001),
            waba_id: WabaId::new(3001),
            app_id: wamm_wire::ids::AppId::new(2000),
            to: "919800000001".into(),
            route,
            category,
            template_id: Some(TemplateId::new(5001)),
            biz_opaque_callback_data: None,
            graph_major: 23,
            accepted_at: Timestamp::from_millis(0),
            status: None,
            steps_done: 0,
            plan: vec![
                (Timestamp::from_millis(1), Step::Sent),
                (Timestamp::from_millis(2), Step::Delivered),
                (Timestamp::from_millis(3), Step::Click),
                (Timestamp::from_millis(4), Step::Click),
            ],
            timezone_id: None,
        }
    }

    #[test]
    fn days_split_at_midnight_utc() {
        let d = Day::of(Timestamp::from_millis(DAY_MS * 3 - 1));
        assert_eq!(d, Day(2));
        assert_eq!(Day::of(d.start()), d);
        assert_eq!(d.next().start(), Timestamp::from_millis(DAY_MS * 3));
        assert_eq!(Day::of(Timestamp::from_millis(-1)), Day(-1));
    }

    #[test]
    fn a_delivery_carries_its_price_and_other_steps_none() {
        let rates = RateCard::default();
        let m = message(Route::MarketingLite, Some(TemplateCategory::Marketing));
        let at = Timestamp::from_millis(5);
        let delivered = step_fact(&m, Step::Delivered, at, false, &rates).expect("fact");
        assert_eq!(delivered.counts.delivered, 1);
        assert_eq!(delivered.counts.cost_micros, 10_700);
        assert_eq!(delivered.key.category, PricingCategory::MarketingLite);
        let sent = step_fact(&m, Step::Sent, at, false, &rates).expect("fact");
        assert_eq!(
            sent.counts,
            Counts {
                sent: 1,
                ..Counts::default()
            }
        );
        assert!(step_fact(&m, Step::Expired, at, false, &rates).is_none());
        let mut text = message(Route::CloudApi, None);
        text.to = "16315552222".into();
        let free = step_fact(&text, Step::Delivered, at, false, &rates).expect("fact");
        assert_eq!(free.counts.cost_micros, 0);
        let mut elsewhere = message(Route::CloudApi, Some(TemplateCategory::Utility));
        // A calling code in no table: the rate card's "other" rates.
        elsewhere.to = "99912345678".into();
        let other = step_fact(&elsewhere, Step::Delivered, at, false, &rates);
        assert_eq!(other.expect("fact").counts.cost_micros, 7_700);
    }

    #[test]
    fn only_the_first_click_is_unique() {
        let m = message(Route::MarketingLite, Some(TemplateCategory::Marketing));
        assert!(!is_first_click(&m, 1));
        assert!(is_first_click(&m, 2));
        assert!(!is_first_click(&m, 3));
        assert!(!is_first_click(&m, 9));
    }

    #[test]
    fn rate_cards_are_checked() {
        assert!(RateCard::default().validate().is_ok());
        let mut bad = RateCard::default();
        bad.other.marketing = -1.0;
        assert!(bad.validate().is_err());
        let bad = RateCard {
            currency: "usd".into(),
            ..RateCard::default()
        };
        assert!(bad.validate().is_err());
        assert!((from_micros(10_700) - 0.0107).abs() < 1e-12);
    }

    #[test]
    fn late_reads_and_clicks_count_for_nothing() {
        let rates = RateCard::default();
        let m = message(Route::MarketingLite, Some(TemplateCategory::Marketing));
        let window = ACTIVITY_WINDOW_DAYS * DAY_MS;
        let inside = Timestamp::from_millis(window);
        let outside = Timestamp::from_millis(window + 1);
        assert!(step_fact(&m, Step::Read, inside, false, &rates).is_some());
        assert!(step_fact(&m, Step::Read, outside, false, &rates).is_none());
        assert!(step_fact(&m, Step::Click, outside, true, &rates).is_none());
        assert!(step_fact(&m, Step::Delivered, outside, false, &rates).is_some());
    }

    #[test]
    fn metric_types_read_in_any_case() {
        assert_eq!(MetricType::parse("sent"), Some(MetricType::Sent));
        assert_eq!(MetricType::parse(" CLICKED "), Some(MetricType::Clicked));
        assert_eq!(
            MetricType::parse("WEBSITE_PURCHASES"),
            Some(MetricType::Conversion("website_purchases"))
        );
        assert_eq!(MetricType::parse("likes"), None);
        assert_eq!(MetricType::all().len(), 15);
    }

    #[test]
    fn daily_totals_fill_every_day_newest_first_in_the_asked_order() {
        let t1 = TemplateId::new(1);
        let t2 = TemplateId::new(2);
        let fact = |t: TemplateId, day: i64, route: Route, sent: i64| Fact {
            key: FactKey {
                waba_id: WabaId::new(3),
                template_id: Some(t),
                phone_number_id: PhoneNumberId::new(4),
                day: Day(day),
                local_day: Day(day),
                route,
                category: PricingCategory::MarketingLite,
                country: UNKNOWN_COUNTRY,
            },
            counts: Counts {
                sent,
                ..Counts::default()
            },
        };
        let facts = [
            fact(t1, 10, Route::MarketingLite, 2),
            fact(t1, 10, Route::MarketingLite, 3),
            fact(t2, 11, Route::MarketingLite, 1),
            fact(t1, 11, Route::CloudApi, 7),
        ];
        let totals = daily_totals(&facts, &[t2, t1], Day(10), Day(12), Route::MarketingLite);
        let seen: Vec<(u64, i64, i64)> = totals
            .iter()
            .map(|d| (d.template_id.get(), d.day.0, d.counts.sent))
            .collect();
        assert_eq!(seen, vec![(2, 11, 1), (1, 11, 0), (2, 10, 0), (1, 10, 5)]);
        let cloud = daily_totals(&facts, &[t1], Day(11), Day(12), Route::CloudApi);
        assert_eq!(cloud[0].counts.sent, 7);
    }

    #[test]
    fn months_start_on_their_first_day() {
        // Mid-February goes back to February 1st and on to March 1st; December to January.
        let day = Day::of(Timestamp::parse("2031-02-03").expect("date"));
        assert_eq!(
            day.month_start().start(),
            Timestamp::parse("2031-02-01").expect("date")
        );
        assert_eq!(
            day.next_month().start(),
            Timestamp::parse("2031-03-01").expect("date")
        );
        let december = Day::of(Timestamp::parse("2030-12-31").expect("date"));
        assert_eq!(
            december.next_month().start(),
            Timestamp::parse("2031-01-01").expect("date")
        );
        assert_eq!(Day(0).month_start(), Day(0));
    }

    #[test]
    fn pricing_points_split_by_the_dimensions_asked_and_sum_the_rest() {
        let us: Country = "US".parse().expect("country");
        let br: Country = "BR".parse().expect("country");
        let fact = |day: i64, category: PricingCategory, country: Country, delivered: i64| Fact {
            key: FactKey {
                waba_id: WabaId::new(3),
                template_id: Some(TemplateId::new(1)),
                phone_number_id: PhoneNumberId::new(4),
                day: Day(day),
                local_day: Day(day),
                route: Route::MarketingLite,
                category,
                country,
            },
            counts: Counts {
                delivered,
                cost_micros: delivered * 10,
                ..Counts::default()
            },
        };
        let facts = [
            fact(22_314, PricingCategory::MarketingLite, us, 2),
            fact(22_314, PricingCategory::MarketingLite, br, 1),
            fact(22_314, PricingCategory::Service, us, 5),
            fact(22_315, PricingCategory::Marketing, us, 1),
            fact(22_316, PricingCategory::Utility, us, 0),
        ];
        let all = PricingFilter::default();
        let daily = pricing_points(
            &facts,
            Day(22_314),
            Day(22_317),
            Granularity::Daily,
            Dimensions::default(),
            &all,
        );
        let summed: Vec<(i64, i64, i64)> = daily
            .iter()
            .map(|p| (p.start.0, p.volume, p.cost_micros))
            .collect();
        assert_eq!(
            summed,
            vec![(22_314, 8, 80), (22_315, 1, 10)],
            "days without deliveries are left out"
        );
        let by = Dimensions {
            country: true,
            category: true,
            ..Dimensions::default()
        };
        let split = pricing_points(
            &facts,
            Day(22_314),
            Day(22_315),
            Granularity::Daily,
            by,
            &all,
        );
        assert_eq!(split.len(), 3);
        assert!(
            split
                .iter()
                .all(|p| p.country.is_some() && p.category.is_some() && p.phone.is_none())
        );
        let paid_only = PricingFilter {
            paid: Some(vec![true]),
            countries: Some(vec![us]),
            ..PricingFilter::default()
        };
        let monthly = pricing_points(
            &facts,
            Day(22_313),
            Day(22_320),
            Granularity::Monthly,
            Dimensions::default(),
            &paid_only,
        );
        assert_eq!(monthly.len(), 1);
        assert_eq!(
            (monthly[0].start, monthly[0].end, monthly[0].volume),
            (Day(22_313), Day(22_320), 3)
        );
    }

    #[test]
    fn conversions_count_on_the_last_click_day_within_the_window() {
        let mut m = message(Route::MarketingLite, Some(TemplateCategory::Marketing));
        m.steps_done = 4;
        let day = DAY_MS;
        m.plan[2].0 = Timestamp::from_millis(day);
        m.plan[3].0 = Timestamp::from_millis(3 * day);
        let at = Timestamp::from_millis(5 * day);
        let fact = conversion_fact(
            &m,
            ConversionEvent::Purchase,
            Channel::Website,
            499_000_000,
            at,
        )
        .expect("attributed");
        assert_eq!(fact.key.day, Day(3), "the last click wins");
        assert_eq!(fact.counts.website.purchases, 1);
        assert_eq!(fact.counts.website.purchase_value_micros, 499_000_000);
        assert_eq!(fact.counts.app, Conversions::default());
        assert_eq!(fact.counts.sent, 0);
        let late = Timestamp::from_millis(3 * day + ATTRIBUTION_WINDOW_DAYS * day + 1);
        assert_eq!(
            conversion_fact(&m, ConversionEvent::AddToCart, Channel::Website, 0, late),
            Err(Unattributed::OutsideWindow)
        );
        let before = Timestamp::from_millis(day / 2);
        assert_eq!(
            conversion_fact(&m, ConversionEvent::AddToCart, Channel::App, 0, before),
            Err(Unattributed::NoClick)
        );
        assert_eq!(
            conversion_fact(&m, ConversionEvent::ActivateApp, Channel::Website, 0, at),
            Err(Unattributed::NotOnWebsite)
        );
        let app =
            conversion_fact(&m, ConversionEvent::ActivateApp, Channel::App, 0, at).expect("app");
        assert_eq!(app.counts.app.activations, 1);
        m.steps_done = 2;
        assert_eq!(
            conversion_fact(&m, ConversionEvent::Purchase, Channel::Website, 1, at),
            Err(Unattributed::NoClick),
            "a click still planned has not happened"
        );
        assert_eq!(
            ConversionEvent::parse("Purchase"),
            Some(ConversionEvent::Purchase)
        );
        assert_eq!(ConversionEvent::parse("purchase"), None);
    }

    #[test]
    fn click_ids_are_stable_per_click_and_appended_to_the_url() {
        let at = Timestamp::from_millis(1_000);
        let id = click_id("wamid.A", at);
        assert_eq!(id, click_id("wamid.A", at));
        assert_ne!(id, click_id("wamid.A", Timestamp::from_millis(1_001)));
        assert_ne!(id, click_id("wamid.B", at));
        assert!(id.starts_with("IwAR") && id.len() == 44, "{id}");
        assert_eq!(
            clicked_url("https://shop.example/sale", "F"),
            "https://shop.example/sale?fbclid=F"
        );
        assert_eq!(
            clicked_url("https://shop.example/?a=1#top", "F"),
            "https://shop.example/?a=1&fbclid=F#top"
        );
    }

    #[test]
    fn categories_read_back_from_their_text() {
        for c in [
            PricingCategory::MarketingLite,
            PricingCategory::Marketing,
            PricingCategory::Utility,
            PricingCategory::Authentication,
            PricingCategory::Service,
        ] {
            assert_eq!(PricingCategory::parse(c.as_str()), Some(c));
        }
        assert_eq!(PricingCategory::parse("MARKETING"), None);
    }
}
