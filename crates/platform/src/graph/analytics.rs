//! `GET /{waba-id}/template_analytics`: per template and per day, what its messages did (sent,
//! delivered, read, button clicks) and cost, summed from the facts each message step committed.
//!
//! Parameters as Meta's analytics page documents them: `start` and `end` (Unix seconds or
//! `YYYY-MM-DD`), `granularity` (`DAILY` only), `template_ids` (at most 10), `metric_types`
//! (all when omitted), `product_type` (Cloud API when omitted; the MM API under any of the
//! names Meta has used), within a 90-day lookback, once the business confirmed template
//! insights on the WABA.

use serde_json::{Map, Value, json};
use wamm_domain::metrics::{self, DailyTotal, Day, MetricType};
use wamm_domain::sending::Route;
use wamm_domain::{Template, Timestamp, Waba};
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

/// An instant `start` or `end` names: Unix seconds or a `YYYY-MM-DD` date (midnight UTC).
fn instant(params: &Params, name: &str) -> Result<Timestamp, GraphError> {
    let text = params.required(name)?;
    let text = text.trim();
    if let Ok(seconds) = text.parse::<i64>() {
        return seconds
            .checked_mul(1000)
            .map(Timestamp::from_millis)
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
fn days(params: &Params, now: Timestamp, lookback_days: i64) -> Result<(Day, Day), GraphError> {
    let start = instant(params, "start")?;
    let end = instant(params, "end")?;
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

/// The text of a template's URL button, if it has one.
fn url_button(template: &Template) -> Option<String> {
    let components = template.components.as_array()?;
    components
        .iter()
        .filter(|c| {
            c["type"]
                .as_str()
                .is_some_and(|t| t.eq_ignore_ascii_case("BUTTONS"))
        })
        .flat_map(|c| c["buttons"].as_array().into_iter().flatten())
        .find(|b| {
            b["type"]
                .as_str()
                .is_some_and(|t| t.eq_ignore_ascii_case("URL"))
        })
        .map(|b| b["text"].as_str().unwrap_or_default().to_owned())
}

/// One data point: the asked metrics of one template on one day.
fn data_point(
    total: &DailyTotal,
    template: &Template,
    wanted: &[MetricType],
    route: Route,
) -> Value {
    let c = total.counts;
    let mut point = Map::new();
    point.insert("template_id".into(), json!(total.template_id.to_string()));
    point.insert("start".into(), json!(total.day.start().unix_seconds()));
    point.insert("end".into(), json!(total.day.next().start().unix_seconds()));
    let button = url_button(template);
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
            // Conversions are reported for MM API sends only; nothing reports one yet, so
            // every count is zero.
            MetricType::Conversion(key) if route == Route::MarketingLite => {
                if key.ends_with("_value") {
                    point.insert((*key).into(), json!(0.0));
                } else {
                    point.insert((*key).into(), json!(0));
                }
            }
            MetricType::Conversion(_) => {}
        }
    }
    Value::Object(point)
}

/// `micros` spread over `n`, in the currency.
fn per(micros: i64, n: i64) -> f64 {
    metrics::from_micros(micros) / f64::from(i32::try_from(n).unwrap_or(i32::MAX))
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
    let now = state.clock.now();
    if waba.insights_enabled_at.is_none() {
        return Err(GraphError::invalid_parameter(format!(
            "Template insights are not enabled for this WhatsApp Business Account; confirm them with POST /{}?is_enabled_for_insights=true",
            waba.id
        ))
        .with_user_message(
            "Template insights not enabled",
            "Confirm template insights for this WhatsApp Business Account first.",
        )
        .into());
    }
    let granularity = params.required("granularity")?;
    if !granularity.trim().eq_ignore_ascii_case("DAILY") {
        return Err(GraphError::invalid_parameter(format!(
            "Param granularity must be DAILY, not {granularity}"
        ))
        .into());
    }
    if params.bool("use_waba_timezone")? == Some(true) {
        return Err(GraphError::invalid_parameter(
            "use_waba_timezone is not available on this platform yet: days are UTC days",
        )
        .into());
    }
    let (from, until) = days(params, now, LOOKBACK_DAYS)?;
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
    let facts = state
        .store
        .facts(&FactQuery {
            waba_id: waba.id,
            from,
            until,
            templates: Some(ids.clone()),
        })
        .await?;
    let points: Vec<Value> = metrics::daily_totals(&facts, &ids, from, until, product.route)
        .iter()
        .filter_map(|total| {
            let template = picked.iter().find(|t| t.id == total.template_id)?;
            Some(data_point(total, template, &wanted, product.route))
        })
        .collect();
    let entry = json!({
        "granularity": "DAILY",
        "product_type": product.echo,
        "data_points": points,
    });
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
