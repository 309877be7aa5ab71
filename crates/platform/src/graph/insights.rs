//! `GET /{ad-object}/insights` on the MM API's ad account, campaigns, ad sets and ads: what
//! the MM API messages of its templates did (the `marketing_messages_*` fields), summed from
//! the facts each message step committed, per slice of days and per level; and the same
//! request made asynchronously (`POST …/insights` gives a report run, read at
//! `/{report-run-id}` and `/{report-run-id}/insights` once it completes on the platform
//! clock).
//!
//! Numbers are strings, as Insights writes them. Days are UTC days. The conversion fields
//! Meta's SDKs dropped with Graph v26 (`marketing_messages_website_*`, `…_app_*`) are served
//! up to v25 and refused as invalid fields from v26, as Meta retired them.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use wamm_domain::Template;
use wamm_domain::Timestamp;
use wamm_domain::ads::AdObjectKind;
use wamm_domain::insights::{self, DatePreset, Level, Row, TimeIncrement};
use wamm_domain::metrics::{self, Counts, Day};
use wamm_domain::template::url_button;
use wamm_store::{ChangeSet, FactQuery, StoreError};
use wamm_wire::paging::paginate;
use wamm_wire::{Filter, GraphError};

use super::ads::chain_goal;
use super::catalogue;
use super::objects::AdNode;
use super::render::{Node, enum_text};
use super::reply::{ApiResult, Reply};
use super::request::{GraphRequest, Params};
use super::routes::Ctx;
use crate::state::AppState;

/// Where Meta's invalid-fields refusal points.
const FIELDS_HELP: &str = "please check https://developers.facebook.com/docs/marketing-api/reference/ads-insights/ for all valid values";

/// The `marketing_messages_*` fields of every version (Meta's SDK for v26 lists these 17).
const MM_FIELDS: [&str; 17] = [
    "marketing_messages_sent",
    "marketing_messages_delivered",
    "marketing_messages_read",
    "marketing_messages_link_btn_click",
    "marketing_messages_quick_reply_btn_click",
    "marketing_messages_delivery_rate",
    "marketing_messages_read_rate",
    "marketing_messages_link_btn_click_rate",
    "marketing_messages_quick_reply_btn_click_rate",
    "marketing_messages_phone_call_btn_click_rate",
    "marketing_messages_media_view_rate",
    "marketing_messages_spend",
    "marketing_messages_spend_currency",
    "marketing_messages_cost_per_delivered",
    "marketing_messages_cost_per_link_btn_click",
    "marketing_messages_read_rate_benchmark",
    "marketing_messages_click_rate_benchmark",
];

/// Conversion fields, served up to [`LAST_CONVERSION_VERSION`].
const CONVERSION_FIELDS: [&str; 8] = [
    "marketing_messages_website_add_to_cart",
    "marketing_messages_website_initiate_checkout",
    "marketing_messages_website_purchase",
    "marketing_messages_website_purchase_values",
    "marketing_messages_app_add_to_cart",
    "marketing_messages_app_initiate_checkout",
    "marketing_messages_app_purchase",
    "marketing_messages_app_purchase_values",
];

/// The last Graph version whose Insights carry the conversion fields.
const LAST_CONVERSION_VERSION: u16 = 25;

/// Standard Insights fields rendered from state.
const STANDARD_FIELDS: [&str; 15] = [
    "date_start",
    "date_stop",
    "account_id",
    "account_name",
    "account_currency",
    "campaign_id",
    "campaign_name",
    "adset_id",
    "adset_name",
    "ad_id",
    "ad_name",
    "impressions",
    "spend",
    "objective",
    "optimization_goal",
];

/// Standard Insights fields Meta documents that MM API messages have no value for: accepted
/// and left out of the rows, as Graph leaves out a field without a value.
const OMITTED_FIELDS: [&str; 24] = [
    "reach",
    "frequency",
    "clicks",
    "unique_clicks",
    "ctr",
    "unique_ctr",
    "cpc",
    "cpm",
    "cpp",
    "actions",
    "action_values",
    "conversions",
    "conversion_values",
    "cost_per_action_type",
    "cost_per_conversion",
    "inline_link_clicks",
    "inline_link_click_ctr",
    "outbound_clicks",
    "website_ctr",
    "purchase_roas",
    "buying_type",
    "attribution_setting",
    "created_time",
    "updated_time",
];

/// The only breakdown Meta lists for MM API rows.
const BUTTON_BREAKDOWN: &str = "marketing_messages_btn_name";

/// Meta's benchmark rates (the 75th percentile of similar businesses): wamm has no peers to
/// measure, so it answers the figures of Meta's own example.
const READ_RATE_BENCHMARK: &str = "70.27";
const CLICK_RATE_BENCHMARK: &str = "18.74";

/// A parsed Insights request.
struct Query {
    /// The fields each row carries, in the order asked.
    fields: Vec<String>,
    /// The slices of days: one list per `time_ranges` entry, or one list in all.
    ranges: Vec<Vec<(Day, Day)>>,
    /// What a row stands for.
    level: Level,
    /// Whether rows split by button name.
    by_button: bool,
    /// `filtering` clauses.
    filters: Vec<Filter>,
    /// `sort`: a field and whether descending.
    sort: Option<(String, bool)>,
    /// The fields `summary` (or `default_summary`) totals.
    summary: Option<Vec<String>>,
}

impl Query {
    /// The first day and the day after the last any slice covers.
    fn span(&self) -> (Day, Day) {
        let all = self.ranges.iter().flatten();
        let from = all.clone().map(|s| s.0).min().unwrap_or(Day(0));
        let until = all.map(|s| s.1).max().unwrap_or(Day(0));
        (from, until)
    }
}

/// Whether `name` is an Insights field at `version`.
fn known_field(name: &str, version: u16) -> bool {
    MM_FIELDS.contains(&name)
        || STANDARD_FIELDS.contains(&name)
        || OMITTED_FIELDS.contains(&name)
        || (version <= LAST_CONVERSION_VERSION && CONVERSION_FIELDS.contains(&name))
}

/// The level an object's own rows are at.
const fn own_level(kind: AdObjectKind) -> Level {
    match kind {
        AdObjectKind::Account => Level::Account,
        AdObjectKind::Campaign => Level::Campaign,
        AdObjectKind::Adset => Level::Adset,
        AdObjectKind::Ad => Level::Ad,
    }
}

/// The ID field of a level.
const fn level_id(level: Level) -> &'static str {
    match level {
        Level::Account => "account_id",
        Level::Campaign => "campaign_id",
        Level::Adset => "adset_id",
        Level::Ad => "ad_id",
    }
}

/// A `{since, until}` range, inclusive dates.
fn time_range(value: &Value, name: &str) -> Result<(Day, Day), GraphError> {
    let empty = || GraphError::invalid_parameter(format!("param {name} must be non-empty."));
    let Value::Object(map) = value else {
        return Err(GraphError::invalid_parameter(format!(
            "param {name} must be an object with since and until dates (YYYY-MM-DD)"
        )));
    };
    if map.is_empty() {
        return Err(empty());
    }
    let date = |key: &str| {
        map.get(key)
            .and_then(Value::as_str)
            .and_then(insights::parse_date)
            .ok_or_else(|| {
                GraphError::invalid_parameter(format!(
                    "param {name} must carry {key} as a date (YYYY-MM-DD); UNIX timestamps are not supported"
                ))
            })
    };
    let (since, until) = (date("since")?, date("until")?);
    if until < since {
        return Err(GraphError::invalid_parameter(format!(
            "param {name}: until must not be before since"
        )));
    }
    Ok((since, until.next()))
}

/// Refuses a range that starts more than 37 months back, as Meta does (3018).
fn within_reach(from: Day, today: Day) -> Result<(), GraphError> {
    if from < insights::oldest(today) {
        return Err(GraphError::new(
            400,
            wamm_wire::error::kind::OAUTH,
            3018,
            "(#3018) The start date of the time range cannot be beyond 37 months from the current date",
        ));
    }
    Ok(())
}

/// Parses an Insights request on `ad` when it is `today`, at Graph `version`.
fn query(params: &Params, ad: &AdNode, today: Day, version: u16) -> Result<Query, GraphError> {
    let level = match params.str("level") {
        None => own_level(ad.kind),
        Some(text) => Level::parse(&text).ok_or_else(|| {
            GraphError::invalid_parameter(format!(
                "level must be one of the following values: ad, adset, campaign, account, not {text}"
            ))
        })?,
    };
    let fields = match params.list("fields") {
        Some(asked) => {
            let bad: Vec<&str> = asked
                .iter()
                .map(String::as_str)
                .filter(|f| !known_field(f, version))
                .collect();
            if !bad.is_empty() {
                return Err(GraphError::invalid_parameter(format!(
                    "{} are not valid for fields param. {FIELDS_HELP}",
                    bad.join(", ")
                )));
            }
            asked
        }
        // Meta's defaults: the level's ID, impressions and spend (dates always come).
        None => {
            let mut d = vec!["account_id".to_owned()];
            if level != Level::Account {
                d.push(level_id(level).to_owned());
            }
            d.extend(["impressions".to_owned(), "spend".to_owned()]);
            d
        }
    };
    let increment = match params.str("time_increment") {
        None => TimeIncrement::AllDays,
        Some(text) => TimeIncrement::parse(&text).ok_or_else(|| {
            GraphError::invalid_parameter(format!(
                "time_increment must be all_days, monthly or a number of days from 1 to 90, not {text}"
            ))
        })?,
    };
    let ranges = if let Some(list) = params.json("time_ranges")? {
        let Value::Array(items) = list else {
            return Err(GraphError::invalid_parameter(
                "param time_ranges must be a list of {since, until} objects",
            ));
        };
        if items.is_empty() {
            return Err(GraphError::invalid_parameter(
                "param time_ranges must be non-empty.",
            ));
        }
        // Each range is one row of its own: time_ranges overrides time_increment.
        items
            .iter()
            .map(|v| time_range(v, "time_ranges").map(|r| vec![r]))
            .collect::<Result<Vec<_>, _>>()?
    } else {
        let (from, until) = if let Some(range) = params.json("time_range")? {
            time_range(&range, "time_range")?
        } else {
            let preset = params.str("date_preset");
            let preset = match preset {
                None => DatePreset::LastDays(30),
                Some(text) => DatePreset::parse(&text).ok_or_else(|| {
                    GraphError::invalid_parameter(format!(
                        "date_preset must be one of the following values: {}",
                        DatePreset::NAMES.join(", ")
                    ))
                })?,
            };
            preset.range(today)
        };
        vec![increment.slices(from, until)]
    };
    for slices in &ranges {
        if let Some(first) = slices.first() {
            within_reach(first.0, today)?;
        }
    }
    let breakdowns = params.list("breakdowns").unwrap_or_default();
    if let Some(other) = breakdowns.iter().find(|b| b.as_str() != BUTTON_BREAKDOWN) {
        return Err(GraphError::invalid_parameter(format!(
            "Current combination of data breakdown columns ({other}) is invalid; Marketing Messages rows break down by {BUTTON_BREAKDOWN} only"
        )));
    }
    let filters = params.filtering()?;
    if let Some(bad) = filters.iter().find(|f| filter_field(&f.field).is_none()) {
        return Err(GraphError::invalid_parameter(format!(
            "Filtering field {} is invalid; filter by campaign.id, adset.id, ad.id or their names",
            bad.field
        )));
    }
    let sort = match params.list("sort").as_deref() {
        None => None,
        Some([one]) => {
            let (field, descending) = if let Some(f) = one.strip_suffix("_descending") {
                (f, true)
            } else if let Some(f) = one.strip_suffix("_ascending") {
                (f, false)
            } else {
                (one.as_str(), false)
            };
            if !known_field(field, version) {
                return Err(GraphError::invalid_parameter(format!(
                    "sort field {field} is not a valid field"
                )));
            }
            Some((field.to_owned(), descending))
        }
        Some(_) => {
            return Err(GraphError::invalid_parameter(
                "sort takes one field, as <field>_ascending or <field>_descending",
            ));
        }
    };
    let summary = if params.bool("default_summary").ok().flatten() == Some(true) {
        Some(fields.clone())
    } else {
        match params.str("summary").as_deref() {
            None | Some("false") => None,
            Some("true") => Some(fields.clone()),
            Some(_) => params.list("summary"),
        }
    };
    Ok(Query {
        fields,
        ranges,
        level,
        by_button: !breakdowns.is_empty(),
        filters,
        sort,
        summary,
    })
}

/// Which template property a filtering field compares.
#[derive(Clone, Copy)]
enum FilterField {
    CampaignId,
    AdsetId,
    AdId,
    CampaignName,
    AdsetName,
    AdName,
}

fn filter_field(name: &str) -> Option<FilterField> {
    Some(match name {
        "campaign.id" | "campaign_id" => FilterField::CampaignId,
        "adset.id" | "adset_id" => FilterField::AdsetId,
        "ad.id" | "ad_id" => FilterField::AdId,
        "campaign.name" | "campaign_name" => FilterField::CampaignName,
        "adset.name" | "adset_name" => FilterField::AdsetName,
        "ad.name" | "ad_name" => FilterField::AdName,
        _ => return None,
    })
}

fn filter_value(t: &Template, field: FilterField) -> String {
    let chain = t.ad.as_ref();
    let id = |f: fn(&wamm_domain::AdEntities) -> &String| chain.map(f).cloned().unwrap_or_default();
    match field {
        FilterField::CampaignId => id(|c| &c.ad_campaign_id),
        FilterField::AdsetId => id(|c| &c.ad_adset_id),
        FilterField::AdId => id(|c| &c.ad_id),
        FilterField::CampaignName | FilterField::AdsetName => t.name.clone(),
        FilterField::AdName => ad_name(t),
    }
}

fn ad_name(t: &Template) -> String {
    format!("{} ({})", t.name, t.language)
}

/// What a row's fields are rendered from beyond its counts.
struct Scope<'a> {
    ad: &'a AdNode,
    templates: &'a [Template],
    currency: &'a str,
}

impl Scope<'_> {
    fn template(&self, row: &Row) -> Option<&Template> {
        let id = row.key.template?;
        self.templates.iter().find(|t| t.id == id)
    }
}

fn count(n: i64) -> Value {
    Value::String(n.to_string())
}

fn decimal(v: f64) -> Value {
    Value::String(insights::decimal(v))
}

/// The value of `field` on `row`; `None` when the row has none (the field is left out).
fn value(field: &str, row: &Row, scope: &Scope<'_>) -> Option<Value> {
    let c: &Counts = &row.counts;
    let spend = metrics::from_micros(c.cost_micros);
    let t = scope.template(row);
    let chain = t.and_then(|t| t.ad.as_ref());
    Some(match field {
        "date_start" => json!(insights::date(row.key.from).to_string()),
        "date_stop" => json!(insights::date(Day(row.key.until.0 - 1)).to_string()),
        "account_id" => json!(scope.ad.account),
        "account_name" => json!(scope.ad.waba.name),
        "account_currency" | "marketing_messages_spend_currency" => json!(scope.currency),
        "campaign_id" => json!(chain?.ad_campaign_id),
        "adset_id" => json!(chain?.ad_adset_id),
        "ad_id" => json!(chain?.ad_id),
        "campaign_name" | "adset_name" => json!(t?.name),
        "ad_name" => json!(ad_name(t?)),
        "objective" => json!(enum_text(chain_goal(t?).0)),
        "optimization_goal" => json!(enum_text(chain_goal(t?).1)),
        "impressions" | "marketing_messages_delivered" => count(c.delivered),
        "spend" | "marketing_messages_spend" => decimal(spend),
        "marketing_messages_sent" => count(c.sent),
        "marketing_messages_read" => count(c.read),
        "marketing_messages_link_btn_click" => count(c.clicked),
        // wamm's recipients answer with no quick replies, calls or media views.
        "marketing_messages_quick_reply_btn_click" => count(0),
        "marketing_messages_quick_reply_btn_click_rate"
        | "marketing_messages_phone_call_btn_click_rate"
        | "marketing_messages_media_view_rate" => decimal(0.0),
        "marketing_messages_delivery_rate" => decimal(insights::rate(c.delivered, c.sent)),
        "marketing_messages_read_rate" => decimal(insights::rate(c.read, c.delivered)),
        "marketing_messages_link_btn_click_rate" => decimal(insights::rate(c.clicked, c.delivered)),
        "marketing_messages_cost_per_delivered" if c.delivered > 0 => {
            decimal(spend * insights::ratio(1, c.delivered))
        }
        "marketing_messages_cost_per_link_btn_click" if c.clicked > 0 => {
            decimal(spend * insights::ratio(1, c.clicked))
        }
        "marketing_messages_read_rate_benchmark" => json!(READ_RATE_BENCHMARK),
        "marketing_messages_click_rate_benchmark" => json!(CLICK_RATE_BENCHMARK),
        "marketing_messages_website_add_to_cart" => count(c.website.add_to_cart),
        "marketing_messages_website_initiate_checkout" => count(c.website.checkouts_initiated),
        "marketing_messages_website_purchase" => count(c.website.purchases),
        "marketing_messages_website_purchase_values" => {
            decimal(metrics::from_micros(c.website.purchase_value_micros))
        }
        "marketing_messages_app_add_to_cart" => count(c.app.add_to_cart),
        "marketing_messages_app_initiate_checkout" => count(c.app.checkouts_initiated),
        "marketing_messages_app_purchase" => count(c.app.purchases),
        "marketing_messages_app_purchase_values" => {
            decimal(metrics::from_micros(c.app.purchase_value_micros))
        }
        _ => return None,
    })
}

/// A row as Graph writes it: the asked fields that have a value, the breakdown, the dates.
fn render(row: &Row, fields: &[String], scope: &Scope<'_>) -> Map<String, Value> {
    let mut out = Map::new();
    for f in fields {
        if let Some(v) = value(f, row, scope) {
            out.insert(f.clone(), v);
        }
    }
    if let Some(button) = &row.key.button {
        out.insert(BUTTON_BREAKDOWN.to_owned(), json!(button));
    }
    for f in ["date_start", "date_stop"] {
        if let Some(v) = value(f, row, scope) {
            out.insert(f.to_owned(), v);
        }
    }
    out
}

/// The sort value of a rendered field: its number, or zero.
fn number(row: &Map<String, Value>, field: &str) -> f64 {
    row.get(field)
        .and_then(Value::as_str)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0.0)
}

/// The answer to an Insights request on `ad` with `params`, as of `today`, at `version`.
async fn answer(
    state: &AppState,
    req: &GraphRequest,
    params: &Params,
    ad: &AdNode,
    today: Day,
) -> ApiResult<Value> {
    let q = query(params, ad, today, req.version.major)?;
    // The templates the object stands for, narrowed by `filtering`.
    let mut templates: Vec<Template> = match &ad.template {
        Some(t) => vec![t.clone()],
        None => state
            .store
            .templates_of(ad.waba.id)
            .await?
            .into_iter()
            .filter(|t| t.ad.as_ref().is_some_and(|c| c.ad_account_id == ad.account))
            .collect(),
    };
    templates.retain(|t| {
        q.filters
            .iter()
            .all(|f| filter_field(&f.field).is_some_and(|field| f.matches(&filter_value(t, field))))
    });
    let ids: Vec<_> = templates.iter().map(|t| t.id).collect();
    let (from, until) = q.span();
    let facts = if ids.is_empty() || until <= from {
        Vec::new()
    } else {
        state
            .store
            .facts(&FactQuery {
                waba_id: ad.waba.id,
                from,
                until,
                templates: Some(ids.clone()),
                by_local_day: false,
            })
            .await?
    };
    let button_of = |id| {
        templates
            .iter()
            .find(|t| t.id == id)
            .and_then(url_button)
            .map(|b| b.text)
    };
    let button: Option<&dyn Fn(_) -> Option<String>> = q.by_button.then_some(&button_of);
    let rows: Vec<Row> = q
        .ranges
        .iter()
        .flat_map(|slices| insights::rows(&facts, &ids, slices, q.level, button))
        .collect();
    let currency = state.rates().currency.clone();
    let scope = Scope {
        ad,
        templates: &templates,
        currency: &currency,
    };
    let mut rendered: Vec<Map<String, Value>> =
        rows.iter().map(|r| render(r, &q.fields, &scope)).collect();
    if let Some((field, descending)) = &q.sort {
        rendered.sort_by(|a, b| {
            let order = number(a, field).total_cmp(&number(b, field));
            if *descending { order.reverse() } else { order }
        });
    }
    if rendered.is_empty() {
        return Ok(json!({ "data": [] }));
    }
    let summary = q.summary.as_ref().map(|fields| {
        let mut total = Counts::default();
        for r in &rows {
            total += r.counts;
        }
        let whole = Row {
            key: insights::RowKey {
                from,
                until,
                template: None,
                button: None,
            },
            counts: total,
        };
        render(&whole, fields, &scope)
    });
    let keyed: Vec<(String, Map<String, Value>)> = rendered
        .into_iter()
        .enumerate()
        .map(|(i, r)| (format!("{i:08}"), r))
        .collect();
    let page = paginate(keyed, &params.page()?, |(k, _)| k.clone());
    let mut paging = Map::new();
    let cursor = |c: &Option<wamm_wire::paging::Cursor>| {
        c.as_ref()
            .map(|c| c.as_str().to_owned())
            .unwrap_or_default()
    };
    paging.insert(
        "cursors".into(),
        json!({"before": cursor(&page.before), "after": cursor(&page.after)}),
    );
    if page.has_next
        && let Some(after) = &page.after
    {
        paging.insert("next".into(), json!(req.page_url("after", after.as_str())));
    }
    if page.has_previous
        && let Some(before) = &page.before
    {
        paging.insert(
            "previous".into(),
            json!(req.page_url("before", before.as_str())),
        );
    }
    let data: Vec<Value> = page
        .items
        .into_iter()
        .map(|(_, r)| Value::Object(r))
        .collect();
    let mut body = json!({ "data": data, "paging": paging });
    if let Some(summary) = summary {
        body["summary"] = Value::Object(summary);
    }
    Ok(body)
}

/// Adds the Insights throttle headers of a call by the caller's app on `ad`'s account.
fn throttled(c: Ctx<'_>, ad: &AdNode, body: Value) -> Reply {
    let usage = c.state.usage.insights_call(
        &c.caller.app.id.to_string(),
        &ad.account,
        c.state.clock.now().millis(),
    );
    Reply::json(body)
        .header("x-fb-ads-insights-throttle", usage.throttle)
        .header("x-ad-account-usage", usage.account)
        .header("x-business-use-case-usage", usage.business)
}

/// `GET /{ad-object}/insights`.
pub async fn get(c: Ctx<'_>, ad: &AdNode) -> ApiResult {
    let today = Day::of(c.state.clock.now());
    let body = answer(c.state, c.req, &c.req.params, ad, today).await?;
    Ok(throttled(c, ad, body))
}

/// An asynchronous Insights report: the request, kept to be answered as of the day it was made.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReportRun {
    /// Its ID.
    pub id: u64,
    /// The ad object it reports on.
    pub object_id: u64,
    /// The request's parameters (without credentials).
    pub params: BTreeMap<String, Value>,
    /// When it was made.
    pub created_at: Timestamp,
    /// When it completes.
    pub done_at: Timestamp,
}

/// The meta key a report run is kept under.
fn run_key(id: u64) -> String {
    format!("report_run:{id}")
}

/// The report run `id`, if there is one.
pub async fn report_run(state: &AppState, id: u64) -> Result<Option<ReportRun>, StoreError> {
    let Some(text) = state.store.meta(&run_key(id)).await? else {
        return Ok(None);
    };
    Ok(serde_json::from_str(&text).ok())
}

/// `POST /{ad-object}/insights`: starts an asynchronous report, checked now as the synchronous
/// call would be, and answers its ID.
pub async fn start(c: Ctx<'_>, ad: &AdNode) -> ApiResult {
    let now = c.state.clock.now();
    query(&c.req.params, ad, Day::of(now), c.req.version.major)?;
    let id = wamm_world::Mint::next_id(&mut c.state.minter.block(1).await?);
    let seconds = c.state.config.timing.report_run_seconds();
    let run = ReportRun {
        id,
        object_id: ad.id,
        params: c.req.params.without_credentials(),
        created_at: now,
        done_at: now.plus_seconds(seconds),
    };
    let doc = serde_json::to_string(&run).map_err(StoreError::from)?;
    c.state
        .commit(ChangeSet::new().meta(run_key(id), doc))
        .await?;
    let body = json!({ "report_run_id": id.to_string() });
    Ok(throttled(c, ad, body))
}

/// How far a run is, in percent.
fn percent(run: &ReportRun, now: Timestamp) -> i64 {
    let total = (run.done_at.millis() - run.created_at.millis()).max(1);
    let done = (now.millis() - run.created_at.millis()).clamp(0, total);
    done * 100 / total
}

/// `GET /{report-run-id}`.
pub async fn get_run(c: Ctx<'_>, run: &ReportRun, ad: &AdNode) -> ApiResult {
    let now = c.state.clock.now();
    let pct = percent(run, now);
    let status = match pct {
        100 => "Job Completed",
        0 => "Job Not Started",
        _ => "Job Running",
    };
    let params = Params::from_kept(run.params.clone());
    let made = Day::of(run.created_at);
    let (from, until) =
        query(&params, ad, made, c.req.version.major).map_or((made, made.next()), |q| q.span());
    let node = Node::of(&catalogue::REPORT_RUN)
        .value("id", run.id.to_string())
        .value("account_id", ad.account.clone())
        .value("async_percent_completion", pct)
        .value("async_status", status)
        .value("date_start", insights::date(from).to_string())
        .value("date_stop", insights::date(Day(until.0 - 1)).to_string())
        .value("time_ref", run.created_at.unix_seconds())
        .maybe(
            "time_completed",
            (pct == 100).then(|| run.done_at.unix_seconds()),
        )
        .value("is_running", pct < 100);
    let sel = c.req.params.fields()?;
    Ok(Reply::json(node.project(sel.as_ref())?))
}

/// `GET /{report-run-id}/insights`: the rows, once the run completed.
pub async fn run_rows(c: Ctx<'_>, run: &ReportRun, ad: &AdNode) -> ApiResult {
    if percent(run, c.state.clock.now()) < 100 {
        return Err(GraphError::invalid_parameter(format!(
            "Report run {} has not completed yet; read /{} until async_status is Job Completed",
            run.id, run.id
        ))
        .into());
    }
    let mut kept = run.params.clone();
    // Paging comes from this call, the rest from the run.
    for name in ["limit", "after", "before"] {
        kept.remove(name);
        if let Some(v) = c.req.params.get(name) {
            kept.insert(name.to_owned(), v.clone());
        }
    }
    let params = Params::from_kept(kept);
    let body = answer(c.state, c.req, &params, ad, Day::of(run.created_at)).await?;
    Ok(throttled(c, ad, body))
}
