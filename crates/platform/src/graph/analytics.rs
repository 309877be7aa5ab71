//! `GET /{waba-id}/template_analytics` (and the WABA's `template_analytics` field): per template
//! and per day, what its messages did (sent, delivered, read, button clicks) and cost; and the
//! WABA's `pricing_analytics` field: delivered volume and cost per day or month, by country,
//! number, pricing category and type. Both are sums of the facts each message step committed.
//!
//! Parameters as Meta's analytics page documents them: `start` and `end` (Unix seconds or
//! `YYYY-MM-DD`), `granularity` (`DAILY` only), `template_ids` (at most 10), `metric_types`
//! (all when omitted), `product_type` (Cloud API when omitted; the MM API under any of the
//! names Meta has used), within a 90-day lookback, once the business confirmed template
//! insights on the WABA.

use serde_json::{Map, Value, json};
use wamm_domain::country::Country;
use wamm_domain::metrics::{
    self, DailyTotal, Day, Dimensions, Granularity, MetricType, PricingCategory, PricingFilter,
};
use wamm_domain::sending::Route;
use wamm_domain::template::url_button;
use wamm_domain::timezone::{self, Zone};
use wamm_domain::{PhoneNumber, Template, Timestamp, Waba, phone_digits};
use wamm_store::FactQuery;
use wamm_wire::GraphError;
use wamm_wire::ids::TemplateId;

use super::reply::{ApiResult, Reply};
use super::request::Params;
use super::routes::Ctx;
use crate::state::AppState;

/// Most templates one call may ask for.
const MAX_TEMPLATES: usize = 10;
/// How far back template analytics reach, in days.
const LOOKBACK_DAYS: i64 = 90;

/// The product whose messages a call counts, and how the answer names it.
struct Product {
    route: Route,
    /// The lowercase of the name the caller sent (`cloud_api` when omitted).
    echo: String,
}

/// The product `product_type` names.
fn product(params: &Params) -> Result<Product, GraphError> {
    let Some(text) = params.str("product_type") else {
        return Ok(Product {
            route: Route::CloudApi,
            echo: "cloud_api".to_owned(),
        });
    };
    let upper = text.trim().to_ascii_uppercase();
    let route = match upper.as_str() {
        "CLOUD_API" => Route::CloudApi,
        // Meta's page, its SDKs and its changelog name the MM API three ways.
        "MARKETING_MESSAGES_API_FOR_WHATSAPP"
        | "MARKETING_MESSAGES_LITE_API"
        | "CAMPAIGN_INSIGHTS" => Route::MarketingLite,
        _ => {
            return Err(GraphError::invalid_parameter(format!(
                "Param product_type must be one of {{CLOUD_API, MARKETING_MESSAGES_API_FOR_WHATSAPP, MARKETING_MESSAGES_LITE_API}}, not {text}"
            )));
        }
    };
    Ok(Product {
        route,
        echo: upper.to_ascii_lowercase(),
    })
}

/// An instant `start` or `end` names: Unix seconds or a `YYYY-MM-DD` date. In `zone`, the
/// instant is read on the zone's wall clock (a date is the zone's midnight); otherwise in UTC.
fn instant(params: &Params, name: &str, zone: Option<Zone>) -> Result<Timestamp, GraphError> {
    let text = params.required(name)?;
    let text = text.trim();
    if let Ok(seconds) = text.parse::<i64>() {
        return seconds
            .checked_mul(1000)
            .map(Timestamp::from_millis)
            .map(|t| zone.map_or(t, |z| z.local(t)))
            .ok_or_else(|| GraphError::invalid_parameter(format!("Param {name} is out of range")));
    }
    if text.len() == 10
        && let Some(t) = Timestamp::parse(text)
    {
        return Ok(t);
    }
    Err(GraphError::invalid_parameter(format!(
        "Param {name} must be a Unix timestamp or a date (YYYY-MM-DD)"
    )))
}

/// The days `start` and `end` cover: `start`'s day, to `end` rounded up to the next midnight
/// and taken as exclusive, an `end` in the future clamped to the end of today.
fn days(
    params: &Params,
    now: Timestamp,
    lookback_days: i64,
    zone: Option<Zone>,
) -> Result<(Day, Day), GraphError> {
    let start = instant(params, "start", zone)?;
    let end = instant(params, "end", zone)?;
    let now = zone.map_or(now, |z| z.local(now));
    let from = Day::of(start);
    let on_boundary = Day::of(end).start() == end;
    let until = if on_boundary {
        Day::of(end)
    } else {
        Day::of(end).next()
    };
    let until = until.min(Day::of(now).next());
    if until <= from {
        return Err(GraphError::invalid_parameter(
            "Param end must be after start",
        ));
    }
    if from < Day(Day::of(now).0 - lookback_days) {
        return Err(GraphError::invalid_parameter(format!(
            "Param start must be within the last {lookback_days} days"
        )));
    }
    Ok((from, until))
}

/// The metrics `metric_types` asks for; all of them when it is omitted or empty.
fn metric_types(params: &Params) -> Result<Vec<MetricType>, GraphError> {
    let Some(items) = params.list("metric_types") else {
        return Ok(MetricType::all());
    };
    let mut wanted = Vec::new();
    for item in items {
        let metric = MetricType::parse(&item).ok_or_else(|| {
            GraphError::invalid_parameter(format!("Param metric_types has an invalid value {item}"))
        })?;
        if !wanted.contains(&metric) {
            wanted.push(metric);
        }
    }
    Ok(wanted)
}

/// The templates `template_ids` names (at most 10); those not of this WABA are left out, as
/// Meta counts only templates associated with the WABA when asked.
fn templates<'t>(
    params: &Params,
    of_waba: &'t [Template],
) -> Result<Vec<&'t Template>, GraphError> {
    let ids = params
        .list("template_ids")
        .ok_or_else(|| GraphError::invalid_parameter("The parameter template_ids is required."))?;
    if ids.len() > MAX_TEMPLATES {
        return Err(GraphError::invalid_parameter(format!(
            "Param template_ids must contain at most {MAX_TEMPLATES} IDs"
        )));
    }
    let mut picked = Vec::new();
    for id in ids {
        let id: TemplateId = id.parse().map_err(|_| {
            GraphError::invalid_parameter(format!("Param template_ids has an invalid ID {id}"))
        })?;
        if let Some(t) = of_waba.iter().find(|t| t.id == id)
            && !picked.iter().any(|p: &&Template| p.id == id)
        {
            picked.push(t);
        }
    }
    Ok(picked)
}

/// One data point: the asked metrics of one template on one day.
fn data_point(
    zone: Option<Zone>,
    total: &DailyTotal,
    template: &Template,
    wanted: &[MetricType],
    route: Route,
) -> Value {
    let c = total.counts;
    let mut point = Map::new();
    point.insert("template_id".into(), json!(total.template_id.to_string()));
    let start = |day: Day| zone.map_or(day.start(), |z| z.day_start(day.0));
    point.insert("start".into(), json!(start(total.day).unix_seconds()));
    point.insert("end".into(), json!(start(total.day.next()).unix_seconds()));
    let button = url_button(template).map(|b| b.text);
    for metric in wanted {
        match metric {
            MetricType::Sent => {
                point.insert("sent".into(), json!(c.sent));
            }
            MetricType::Delivered => {
                point.insert("delivered".into(), json!(c.delivered));
            }
            MetricType::Read => {
                point.insert("read".into(), json!(c.read));
            }
            // wamm takes in no replies, so none are counted.
            MetricType::Replied => {
                point.insert("replied".into(), json!(0));
            }
            MetricType::Clicked => {
                let clicked = button.as_ref().map_or_else(Vec::new, |text| {
                    vec![
                        json!({"type": "url_button", "button_content": text, "count": c.clicked}),
                        json!({"type": "unique_url_button", "button_content": text, "count": c.unique_clicked}),
                    ]
                });
                point.insert("clicked".into(), Value::Array(clicked));
            }
            MetricType::Cost => {
                let spent = metrics::from_micros(c.cost_micros);
                let mut cost = vec![json!({"type": "amount_spent", "value": spent})];
                if c.delivered > 0 {
                    cost.push(json!({"type": "cost_per_delivered", "value": per(c.cost_micros, c.delivered)}));
                }
                if button.is_some() && c.clicked > 0 {
                    cost.push(json!({"type": "cost_per_url_button_click", "value": per(c.cost_micros, c.clicked)}));
                }
                point.insert("cost".into(), Value::Array(cost));
            }
            // Conversions are reported for MM API sends only.
            MetricType::Conversion(key) if route == Route::MarketingLite => {
                point.insert((*key).into(), conversion(&c, key));
            }
            MetricType::Conversion(_) => {}
        }
    }
    Value::Object(point)
}

/// A conversion metric of `c` by its key: counts as integers, values as numbers.
fn conversion(c: &metrics::Counts, key: &str) -> Value {
    let (channel, metric) = match key.split_once('_') {
        Some(("app", metric)) => (&c.app, metric),
        Some(("website", metric)) => (&c.website, metric),
        _ => return json!(0),
    };
    match metric {
        "activations" => json!(channel.activations),
        "add_to_cart" => json!(channel.add_to_cart),
        "checkouts_initiated" => json!(channel.checkouts_initiated),
        "purchases" => json!(channel.purchases),
        "purchases_conversion_value" => json!(metrics::from_micros(channel.purchase_value_micros)),
        _ => json!(0),
    }
}

/// `micros` spread over `n`, in the currency.
fn per(micros: i64, n: i64) -> f64 {
    metrics::from_micros(micros) / f64::from(i32::try_from(n).unwrap_or(i32::MAX))
}

/// The days a template or template group analytics call covers, and the zone they are counted
/// in: the WABA must have confirmed template insights, `granularity` is `DAILY`, and with
/// `use_waba_timezone=true` the days are those of the WABA's zone (refused for a zone this
/// platform does not know).
fn daily_window(
    now: Timestamp,
    waba: &Waba,
    params: &Params,
) -> Result<(Day, Day, Option<Zone>), GraphError> {
    if waba.insights_enabled_at.is_none() {
        return Err(GraphError::invalid_parameter(format!(
            "Template insights are not enabled for this WhatsApp Business Account; confirm them with POST /{}?is_enabled_for_insights=true",
            waba.id
        ))
        .with_user_message(
            "Template insights not enabled",
            "Confirm template insights for this WhatsApp Business Account first.",
        ));
    }
    let granularity = params.required("granularity")?;
    if !granularity.trim().eq_ignore_ascii_case("DAILY") {
        return Err(GraphError::invalid_parameter(format!(
            "Param granularity must be DAILY, not {granularity}"
        )));
    }
    let zone = if params.bool("use_waba_timezone")? == Some(true) {
        let zone = timezone::zone(&waba.timezone_id).ok_or_else(|| {
            GraphError::invalid_parameter(format!(
                "use_waba_timezone: this WhatsApp Business Account's timezone_id {} is not one this platform knows ({}); ask for UTC days instead",
                waba.timezone_id,
                timezone::known_ids().join(", ")
            ))
        })?;
        Some(zone)
    } else {
        None
    };
    let (from, until) = days(params, now, LOOKBACK_DAYS, zone)?;
    Ok((from, until, zone))
}

/// The facts of `templates` of `waba` over `[from, until)`, keyed by UTC day, or by the
/// zone's day when counted in `zone`.
async fn daily_facts(
    state: &AppState,
    waba: &Waba,
    (from, until): (Day, Day),
    templates: &[TemplateId],
    zone: Option<Zone>,
) -> Result<Vec<metrics::Fact>, wamm_store::StoreError> {
    let mut facts = state
        .store
        .facts(&FactQuery {
            waba_id: waba.id,
            from,
            until,
            templates: Some(templates.to_vec()),
            by_local_day: zone.is_some(),
        })
        .await?;
    if zone.is_some() {
        // Counted on the zone's days.
        for f in &mut facts {
            f.key.day = f.key.local_day;
        }
    }
    Ok(facts)
}

/// `GET /{waba-id}/template_analytics`.
pub async fn template_analytics(c: Ctx<'_>, waba: &Waba) -> ApiResult {
    let body = template_analytics_of(c.state, waba, &c.req.params).await?;
    Ok(Reply::json(body).about(waba.id))
}

/// The answer of `template_analytics` for `params`, as the edge and the WABA's
/// `template_analytics` field (its modifiers as parameters) both give it.
pub async fn template_analytics_of(
    state: &AppState,
    waba: &Waba,
    params: &Params,
) -> ApiResult<Value> {
    let (from, until, zone) = daily_window(state.clock.now(), waba, params)?;
    let product = product(params)?;
    let mut wanted = metric_types(params)?;
    if !cost_visible(waba) {
        if params.has("metric_types") && wanted.contains(&MetricType::Cost) {
            return Err(cost_not_available().into());
        }
        wanted.retain(|m| *m != MetricType::Cost);
    }
    let of_waba = state.store.templates_of(waba.id).await?;
    let picked = templates(params, &of_waba)?;
    let ids: Vec<TemplateId> = picked.iter().map(|t| t.id).collect();
    let facts = daily_facts(state, waba, (from, until), &ids, zone).await?;
    let points: Vec<Value> = metrics::daily_totals(&facts, &ids, from, until, product.route)
        .iter()
        .filter_map(|total| {
            let template = picked.iter().find(|t| t.id == total.template_id)?;
            Some(data_point(zone, total, template, &wanted, product.route))
        })
        .collect();
    let mut entry = json!({
        "granularity": "DAILY",
        "product_type": product.echo,
        "data_points": points,
    });
    if let Some(zone) = zone {
        entry["waba_timezone"] = json!(zone.name);
    }
    let cursor = wamm_wire::paging::Cursor::for_key("0");
    Ok(json!({
        "data": [entry],
        "paging": {"cursors": {"before": cursor.as_str(), "after": cursor.as_str()}},
    }))
}

/// Whether the WABA's business sees what its messages cost: not when it is billed through its
/// Solution Partner (it has no payment method of its own).
const fn cost_visible(waba: &Waba) -> bool {
    waba.payment_method
}

/// The refusal of an explicit `COST` to a business that cannot see cost.
fn cost_not_available() -> GraphError {
    GraphError::invalid_parameter(
        "Cost is not available for this WhatsApp Business Account: it is billed through its Solution Partner",
    )
    .with_user_message(
        "Cost not available",
        "Cost is not available to businesses billed through a Solution Partner.",
    )
}

/// How far back pricing analytics reach, in days (a year since 2025-12-01).
const PRICING_LOOKBACK_DAYS: i64 = 365;

/// A list parameter's items, upper-cased; `None` when it is absent or empty.
fn upper_list(params: &Params, name: &str) -> Option<Vec<String>> {
    params
        .list(name)
        .map(|items| items.into_iter().map(|i| i.to_ascii_uppercase()).collect())
}

/// The dimensions `dimensions` names.
fn dimensions(params: &Params) -> Result<Dimensions, GraphError> {
    let mut dims = Dimensions::default();
    // Meta's own examples quote a comma list inside one element (`["COUNTRY,PHONE"]`).
    let items = upper_list(params, "dimensions").unwrap_or_default();
    for item in items.iter().flat_map(|i| i.split(',')).map(str::trim) {
        match item {
            "COUNTRY" => dims.country = true,
            "PHONE" => dims.phone = true,
            "PRICING_CATEGORY" => dims.category = true,
            "PRICING_TYPE" => dims.pricing_type = true,
            "TIER" => dims.tier = true,
            "" => {}
            other => {
                return Err(GraphError::invalid_parameter(format!(
                    "Param dimensions has an invalid value {other}"
                )));
            }
        }
    }
    Ok(dims)
}

/// The pricing category `text` names (`MARKETING_LITE`, `MARKETING`, …).
fn pricing_category(text: &str) -> Result<PricingCategory, GraphError> {
    PricingCategory::parse(&text.to_ascii_lowercase()).ok_or_else(|| {
        GraphError::invalid_parameter(format!(
            "Param pricing_categories has an invalid value {text}"
        ))
    })
}

/// What `phone_numbers`, `country_codes`, `pricing_categories` and `pricing_types` keep.
fn pricing_filter(params: &Params, phones: &[PhoneNumber]) -> Result<PricingFilter, GraphError> {
    let numbers = phone_filter(params, phones).map(|ps| ps.iter().map(|p| p.id).collect());
    let countries = country_codes(params)?;
    let categories = upper_list(params, "pricing_categories")
        .map(|items| {
            items
                .iter()
                .map(|c| pricing_category(c))
                .collect::<Result<Vec<_>, _>>()
        })
        .transpose()?;
    let paid = upper_list(params, "pricing_types")
        .map(|items| {
            items
                .iter()
                .map(|t| match t.as_str() {
                    "REGULAR" => Ok(true),
                    "FREE_CUSTOMER_SERVICE"
                    | "FREE_ENTRY_POINT"
                    | "FREE_GROUP_CUSTOMER_SERVICE" => Ok(false),
                    other => Err(GraphError::invalid_parameter(format!(
                        "Param pricing_types has an invalid value {other}"
                    ))),
                })
                .collect::<Result<Vec<_>, _>>()
        })
        .transpose()?;
    Ok(PricingFilter {
        phones: numbers,
        countries,
        categories,
        paid,
    })
}

/// The answer of the WABA's `pricing_analytics` field for its modifiers: delivered volume and
/// cost per day or month, split by the dimensions asked.
pub async fn pricing_analytics_of(
    state: &AppState,
    waba: &Waba,
    params: &Params,
) -> ApiResult<Value> {
    let now = state.clock.now();
    let granularity = match params
        .required("granularity")?
        .trim()
        .to_ascii_uppercase()
        .as_str()
    {
        "DAILY" => Granularity::Daily,
        "MONTHLY" => Granularity::Monthly,
        "HALF_HOUR" => {
            return Err(GraphError::invalid_parameter(
                "granularity HALF_HOUR is not available on this platform: facts are kept by day",
            )
            .into());
        }
        other => {
            return Err(GraphError::invalid_parameter(format!(
                "Param granularity must be one of {{DAILY, MONTHLY, HALF_HOUR}}, not {other}"
            ))
            .into());
        }
    };
    let (from, until) = days(params, now, PRICING_LOOKBACK_DAYS, None)?;
    let dims = dimensions(params)?;
    let mut volume = true;
    let mut cost = cost_visible(waba);
    if let Some(metrics) = upper_list(params, "metric_types") {
        volume = metrics.iter().any(|m| m == "VOLUME");
        let asks_cost = metrics.iter().any(|m| m == "COST");
        if let Some(bad) = metrics
            .iter()
            .find(|m| !matches!(m.as_str(), "VOLUME" | "COST"))
        {
            return Err(GraphError::invalid_parameter(format!(
                "Param metric_types has an invalid value {bad}"
            ))
            .into());
        }
        if asks_cost && !cost {
            return Err(cost_not_available().into());
        }
        cost = asks_cost;
    }
    let phones = state.store.phone_numbers_of(waba.id).await?;
    let filter = pricing_filter(params, &phones)?;
    let facts = state
        .store
        .facts(&FactQuery {
            waba_id: waba.id,
            from,
            until,
            templates: None,
            by_local_day: false,
        })
        .await?;
    let points: Vec<Value> =
        metrics::pricing_points(&facts, from, until, granularity, dims, &filter)
            .iter()
            .map(|p| {
                let mut point = Map::new();
                point.insert("start".into(), json!(p.start.start().unix_seconds()));
                point.insert("end".into(), json!(p.end.start().unix_seconds()));
                if let Some(country) = p.country {
                    point.insert("country".into(), json!(country.to_string()));
                }
                if let Some(phone) = p.phone {
                    point.insert("phone_number".into(), json!(digits_of(&phones, phone)));
                }
                if let Some(paid) = p.paid {
                    // wamm has one volume tier; a free message has none.
                    if dims.tier && paid {
                        point.insert("tier".into(), json!("0:MAX"));
                    }
                    if dims.pricing_type {
                        let kind = if paid {
                            "REGULAR"
                        } else {
                            "FREE_CUSTOMER_SERVICE"
                        };
                        point.insert("pricing_type".into(), json!(kind));
                    }
                }
                if let Some(category) = p.category {
                    point.insert(
                        "pricing_category".into(),
                        json!(category.as_str().to_ascii_uppercase()),
                    );
                }
                if volume {
                    point.insert("volume".into(), json!(p.volume));
                }
                if cost {
                    point.insert("cost".into(), json!(metrics::from_micros(p.cost_micros)));
                }
                Value::Object(point)
            })
            .collect();
    Ok(json!({ "data": [{ "data_points": points }] }))
}

/// A granularity modifier: `DAY`/`DAILY` or `MONTH`/`MONTHLY` (Meta spells it per field;
/// both spellings are read for each); `HALF_HOUR` is refused, as facts are kept by day.
fn granularity_of(params: &Params) -> Result<Granularity, GraphError> {
    match params
        .required("granularity")?
        .trim()
        .to_ascii_uppercase()
        .as_str()
    {
        "DAY" | "DAILY" => Ok(Granularity::Daily),
        "MONTH" | "MONTHLY" => Ok(Granularity::Monthly),
        "HALF_HOUR" => Err(GraphError::invalid_parameter(
            "granularity HALF_HOUR is not available on this platform: facts are kept by day",
        )),
        other => Err(GraphError::invalid_parameter(format!(
            "Param granularity must be one of {{HALF_HOUR, DAY, MONTH}}, not {other}"
        ))),
    }
}

/// The numbers `phone_numbers` names (digits or IDs) among `phones`; `None` for all.
fn phone_filter(params: &Params, phones: &[PhoneNumber]) -> Option<Vec<PhoneNumber>> {
    params.list("phone_numbers").map(|items| {
        phones
            .iter()
            .filter(|p| {
                let digits = phone_digits(&p.display_phone_number);
                items.iter().any(|i| {
                    let i = i.trim_start_matches('+');
                    i == digits || i == p.id.to_string()
                })
            })
            .cloned()
            .collect()
    })
}

/// The countries `country_codes` names; `None` for all.
fn country_codes(params: &Params) -> Result<Option<Vec<Country>>, GraphError> {
    upper_list(params, "country_codes")
        .map(|items| {
            items
                .iter()
                .map(|c| {
                    c.parse::<Country>().map_err(|_| {
                        GraphError::invalid_parameter(format!(
                            "Param country_codes has an invalid value {c}"
                        ))
                    })
                })
                .collect::<Result<Vec<_>, _>>()
        })
        .transpose()
}

/// The digits of the number `id` among `phones`, as data points name a number.
fn digits_of(phones: &[PhoneNumber], id: wamm_wire::ids::PhoneNumberId) -> String {
    phones
        .iter()
        .find(|n| n.id == id)
        .map(|n| phone_digits(&n.display_phone_number))
        .unwrap_or_default()
}

/// The WABA's `analytics` field (messaging analytics): messages sent and delivered per day or
/// month, optionally for some numbers, recipient countries and product types (0 notification:
/// template messages; 2 customer support: the others). Meta gives no read counts here.
pub async fn messaging_analytics_of(
    state: &AppState,
    waba: &Waba,
    params: &Params,
) -> ApiResult<Value> {
    let now = state.clock.now();
    let granularity = granularity_of(params)?;
    let (from, until) = days(params, now, PRICING_LOOKBACK_DAYS, None)?;
    let phones = state.store.phone_numbers_of(waba.id).await?;
    let picked = phone_filter(params, &phones);
    let countries = country_codes(params)?;
    let products = params
        .list("product_types")
        .map(|items| {
            items
                .iter()
                .map(|p| match p.trim() {
                    "0" => Ok(true),
                    "2" => Ok(false),
                    other => Err(GraphError::invalid_parameter(format!(
                        "Param product_types has an invalid value {other}; 0 (notification) and 2 (customer support) are valid"
                    ))),
                })
                .collect::<Result<Vec<bool>, _>>()
        })
        .transpose()?;
    let facts = state
        .store
        .facts(&FactQuery {
            waba_id: waba.id,
            from,
            until,
            templates: None,
            by_local_day: false,
        })
        .await?;
    let keep = |f: &metrics::Fact| {
        picked
            .as_ref()
            .is_none_or(|ps| ps.iter().any(|p| p.id == f.key.phone_number_id))
            && countries
                .as_ref()
                .is_none_or(|c| c.contains(&f.key.country))
            && products
                .as_ref()
                .is_none_or(|p| p.contains(&f.key.template_id.is_some()))
    };
    let points: Vec<Value> = metrics::messaging_points(&facts, from, until, granularity, keep)
        .iter()
        .map(|p| {
            json!({"start": p.start.start().unix_seconds(), "end": p.end.start().unix_seconds(),
                   "sent": p.sent, "delivered": p.delivered})
        })
        .collect();
    let numbers: Vec<String> = picked
        .unwrap_or(phones)
        .iter()
        .map(|p| phone_digits(&p.display_phone_number))
        .collect();
    let mut out = json!({
        "phone_numbers": numbers,
        "granularity": if granularity == Granularity::Daily { "DAY" } else { "MONTH" },
        "data_points": points,
    });
    if let Some(countries) = countries {
        out["country_codes"] = json!(
            countries
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
        );
    }
    Ok(out)
}

/// A conversation category as `conversation_categories` names it; the MM API's under both of
/// the names Meta's pages use for it (`MARKETING_LITE`, `MARKETING_MESSAGES`).
fn conversation_category(text: &str) -> Result<PricingCategory, GraphError> {
    match text.trim().to_ascii_uppercase().as_str() {
        "MARKETING_MESSAGES" | "MARKETING_LITE" => Ok(PricingCategory::MarketingLite),
        "MARKETING" => Ok(PricingCategory::Marketing),
        "UTILITY" => Ok(PricingCategory::Utility),
        "AUTHENTICATION" | "AUTHENTICATION_INTERNATIONAL" => Ok(PricingCategory::Authentication),
        "SERVICE" => Ok(PricingCategory::Service),
        other => Err(GraphError::invalid_parameter(format!(
            "Param conversation_categories has an invalid value {other}"
        ))),
    }
}

/// The WABA's `conversation_analytics` field. Since per-message pricing (2025-07-01) each
/// delivered message is charged on its own, so wamm counts each delivered message as one
/// conversation: business-initiated and `REGULAR` for a template, user-initiated and
/// `FREE_TIER` for the rest, in its pricing category.
pub async fn conversation_analytics_of(
    state: &AppState,
    waba: &Waba,
    params: &Params,
) -> ApiResult<Value> {
    let now = state.clock.now();
    let granularity = granularity_of(params)?;
    let (from, until) = days(params, now, PRICING_LOOKBACK_DAYS, None)?;
    let mut dims = Dimensions::default();
    let mut split_type = false;
    let mut split_direction = false;
    let items = upper_list(params, "dimensions").unwrap_or_default();
    for item in items.iter().flat_map(|i| i.split(',')).map(str::trim) {
        match item {
            "CONVERSATION_CATEGORY" => dims.category = true,
            "CONVERSATION_TYPE" => split_type = true,
            "CONVERSATION_DIRECTION" => split_direction = true,
            "COUNTRY" => dims.country = true,
            "PHONE" => dims.phone = true,
            "" => {}
            other => {
                return Err(GraphError::invalid_parameter(format!(
                    "Param dimensions has an invalid value {other}"
                ))
                .into());
            }
        }
    }
    dims.pricing_type = split_type || split_direction;
    let mut conversation = true;
    let mut cost = cost_visible(waba);
    if let Some(metrics) = upper_list(params, "metric_types") {
        if let Some(bad) = metrics
            .iter()
            .find(|m| !matches!(m.as_str(), "CONVERSATION" | "COST"))
        {
            return Err(GraphError::invalid_parameter(format!(
                "Param metric_types has an invalid value {bad}"
            ))
            .into());
        }
        conversation = metrics.iter().any(|m| m == "CONVERSATION");
        let asks_cost = metrics.iter().any(|m| m == "COST");
        if asks_cost && !cost {
            return Err(cost_not_available().into());
        }
        cost = asks_cost;
    }
    let phones = state.store.phone_numbers_of(waba.id).await?;
    let categories = upper_list(params, "conversation_categories")
        .map(|items| {
            items
                .iter()
                .map(|c| conversation_category(c))
                .collect::<Result<Vec<_>, _>>()
        })
        .transpose()?;
    let paid_from = |name: &str, items: Option<Vec<String>>, paid: &str, free: &str| {
        items
            .map(|items| {
                items
                    .iter()
                    .map(|t| match t.as_str() {
                        t if t == paid => Ok(true),
                        t if t == free || (free == "FREE_TIER" && t == "FREE_ENTRY_POINT") => {
                            Ok(false)
                        }
                        other => Err(GraphError::invalid_parameter(format!(
                            "Param {name} has an invalid value {other}"
                        ))),
                    })
                    .collect::<Result<Vec<_>, _>>()
            })
            .transpose()
    };
    let by_type = paid_from(
        "conversation_types",
        upper_list(params, "conversation_types"),
        "REGULAR",
        "FREE_TIER",
    )?;
    let by_direction = paid_from(
        "conversation_directions",
        upper_list(params, "conversation_directions"),
        "BUSINESS_INITIATED",
        "USER_INITIATED",
    )?;
    let paid = match (by_type, by_direction) {
        (Some(a), Some(b)) => Some(a.into_iter().filter(|p| b.contains(p)).collect()),
        (a, b) => a.or(b),
    };
    let filter = PricingFilter {
        phones: phone_filter(params, &phones).map(|ps| ps.iter().map(|p| p.id).collect()),
        countries: None,
        categories,
        paid,
    };
    let facts = state
        .store
        .facts(&FactQuery {
            waba_id: waba.id,
            from,
            until,
            templates: None,
            by_local_day: false,
        })
        .await?;
    let points: Vec<Value> =
        metrics::pricing_points(&facts, from, until, granularity, dims, &filter)
            .iter()
            .map(|p| {
                let mut point = Map::new();
                point.insert("start".into(), json!(p.start.start().unix_seconds()));
                point.insert("end".into(), json!(p.end.start().unix_seconds()));
                if conversation {
                    point.insert("conversation".into(), json!(p.volume));
                }
                if let Some(phone) = p.phone {
                    point.insert("phone_number".into(), json!(digits_of(&phones, phone)));
                }
                if let Some(country) = p.country {
                    point.insert("country".into(), json!(country.to_string()));
                }
                if let Some(paid) = p.paid {
                    if split_type {
                        let t = if paid { "REGULAR" } else { "FREE_TIER" };
                        point.insert("conversation_type".into(), json!(t));
                    }
                    if split_direction {
                        let d = if paid {
                            "BUSINESS_INITIATED"
                        } else {
                            "USER_INITIATED"
                        };
                        point.insert("conversation_direction".into(), json!(d));
                    }
                }
                if let Some(category) = p.category {
                    point.insert(
                        "conversation_category".into(),
                        json!(category.as_str().to_ascii_uppercase()),
                    );
                }
                if cost {
                    point.insert("cost".into(), json!(metrics::from_micros(p.cost_micros)));
                }
                Value::Object(point)
            })
            .collect();
    Ok(json!({ "data": [{ "data_points": points }] }))
}

/// Most template groups one call may ask for.
const MAX_GROUPS: usize = 10;

/// `GET /{waba-id}/template_groups`: the WABA's template groups, by ID.
pub async fn template_groups(c: Ctx<'_>, waba: &Waba) -> ApiResult {
    let groups = c.state.store.template_groups_of(waba.id).await?;
    let data: Vec<Value> = groups
        .iter()
        .map(|g| {
            json!({
                "id": g.id.to_string(),
                "name": g.name,
                "description": g.description,
                "whatsapp_business_templates": g.template_ids.iter().map(ToString::to_string).collect::<Vec<_>>(),
            })
        })
        .collect();
    Ok(Reply::json(json!({ "data": data })).about(waba.id))
}

/// `POST /{waba-id}/template_groups`: `name`, `description`, `whatsapp_business_templates` (a
/// list of the WABA's template IDs) → `{"id"}`.
pub async fn create_template_group(c: Ctx<'_>, waba: &Waba) -> ApiResult {
    let params = &c.req.params;
    let name = params.required("name")?;
    let description = params.str("description").unwrap_or_default();
    let ids = params
        .list("whatsapp_business_templates")
        .unwrap_or_default()
        .iter()
        .map(|t| {
            t.parse::<TemplateId>().map_err(|_| {
                GraphError::invalid_parameter(format!(
                    "Param whatsapp_business_templates has an invalid ID {t}"
                ))
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let group =
        crate::usecase::templates::create_group(c.state, waba, &name, &description, &ids).await?;
    Ok(Reply::json(json!({ "id": group.id.to_string() })).about(waba.id))
}

/// `GET /{waba-id}/template_group_analytics`.
pub async fn template_group_analytics(c: Ctx<'_>, waba: &Waba) -> ApiResult {
    let body = template_group_analytics_of(c.state, waba, &c.req.params).await?;
    Ok(Reply::json(body).about(waba.id))
}

/// The answer of `template_group_analytics` for `params` (the edge, and the WABA field of
/// that name): per group and day, the sums of its templates' MM API and Cloud API sends
/// (sent, delivered, read, clicks and cost), newest day first.
pub async fn template_group_analytics_of(
    state: &AppState,
    waba: &Waba,
    params: &Params,
) -> ApiResult<Value> {
    let (from, until, zone) = daily_window(state.clock.now(), waba, params)?;
    let asked = params.list("template_group_ids").ok_or_else(|| {
        GraphError::invalid_parameter("The parameter template_group_ids is required.")
    })?;
    if asked.len() > MAX_GROUPS {
        return Err(GraphError::invalid_parameter(format!(
            "Param template_group_ids must contain at most {MAX_GROUPS} IDs"
        ))
        .into());
    }
    let all = state.store.template_groups_of(waba.id).await?;
    let mut groups = Vec::new();
    for id in &asked {
        let id: wamm_wire::ids::TemplateGroupId = id.parse().map_err(|_| {
            GraphError::invalid_parameter(format!(
                "Param template_group_ids has an invalid ID {id}"
            ))
        })?;
        if let Some(g) = all.iter().find(|g| g.id == id)
            && !groups
                .iter()
                .any(|h: &&wamm_domain::TemplateGroup| h.id == id)
        {
            groups.push(g);
        }
    }
    let mut wanted = Vec::new();
    match upper_list(params, "metric_types") {
        None => wanted.extend(["SENT", "DELIVERED", "READ", "CLICKED", "COST"].map(str::to_owned)),
        Some(items) => {
            for m in items {
                if !matches!(
                    m.as_str(),
                    "SENT" | "DELIVERED" | "READ" | "CLICKED" | "COST"
                ) {
                    return Err(GraphError::invalid_parameter(format!(
                        "Param metric_types has an invalid value {m}"
                    ))
                    .into());
                }
                wanted.push(m);
            }
        }
    }
    if !cost_visible(waba) {
        if params.has("metric_types") && wanted.iter().any(|m| m == "COST") {
            return Err(cost_not_available().into());
        }
        wanted.retain(|m| m != "COST");
    }
    let ids: Vec<TemplateId> = groups
        .iter()
        .flat_map(|g| g.template_ids.iter().copied())
        .collect();
    let facts = daily_facts(state, waba, (from, until), &ids, zone).await?;
    let start = |day: Day| zone.map_or(day.start(), |z| z.day_start(day.0));
    let mut points = Vec::new();
    let mut day = until;
    while day > from {
        day = Day(day.0 - 1);
        for g in &groups {
            let mut c = metrics::Counts::default();
            for f in facts.iter().filter(|f| {
                f.key.day == day
                    && f.key
                        .template_id
                        .is_some_and(|t| g.template_ids.contains(&t))
            }) {
                c += f.counts;
            }
            let mut point = Map::new();
            point.insert("template_group_id".into(), json!(g.id.to_string()));
            point.insert("start".into(), json!(start(day).unix_seconds()));
            point.insert("end".into(), json!(start(day.next()).unix_seconds()));
            for m in &wanted {
                match m.as_str() {
                    "SENT" => {
                        point.insert("sent".into(), json!(c.sent));
                    }
                    "DELIVERED" => {
                        point.insert("delivered".into(), json!(c.delivered));
                    }
                    "READ" => {
                        point.insert("read".into(), json!(c.read));
                    }
                    "CLICKED" => {
                        point.insert(
                            "clicked".into(),
                            json!([{"type": "url_button", "count": c.clicked},
                                   {"type": "unique_url_button", "count": c.unique_clicked}]),
                        );
                    }
                    _ => {
                        point.insert(
                            "cost".into(),
                            json!([{"type": "amount_spent", "value": metrics::from_micros(c.cost_micros)}]),
                        );
                    }
                }
            }
            points.push(Value::Object(point));
        }
    }
    let mut entry = json!({ "granularity": "DAILY", "data_points": points });
    if let Some(zone) = zone {
        entry["waba_timezone"] = json!(zone.name);
    }
    let cursor = wamm_wire::paging::Cursor::for_key("0");
    Ok(json!({
        "data": [entry],
        "paging": {"cursors": {"before": cursor.as_str(), "after": cursor.as_str()}},
    }))
}
