//! The Graph port over `wamm-client`: the orchestrator's calls against real Graph or a wamm
//! platform, with the client's retries and `appsecret_proof`.

use std::collections::HashMap;

use wamm_client::{
    ClientError, GraphClient, InsightsQuery, InsightsRange, InsightsRow,
    Product as AnalyticsProduct, RegisterRequest, SendRequest, SendTemplate, SubscribeRequest,
    TemplateAnalyticsQuery, TemplateComponent, Waba, WabaQuery,
};
use wamm_wire::ids::BusinessId;

use crate::graph::{
    AdInsights, AdInsightsDay, ConversionSetup, Conversions, Endpoint, GraphFailure, IntentOutcome,
    PartnerGraph, Product, RemoteTemplate, RemoteWaba, TemplateDay,
};
use crate::metrics::{date, parse_date};
use crate::send::SendOrder;
use crate::stage::{BusinessStatus, WabaStatus};
use crate::vault::Secret;

/// [`PartnerGraph`] through a [`GraphClient`] holding the partner's system-user token and app
/// secret.
#[derive(Debug, Clone)]
pub struct ClientGraph {
    /// The partner's client.
    pub client: GraphClient,
    /// The partner's business portfolio.
    pub partner: BusinessId,
    /// The partner's app and its secret, for Embedded Signup code exchanges.
    pub app: Option<(String, Secret)>,
}

fn failure(e: &ClientError) -> GraphFailure {
    GraphFailure {
        code: e.code().unwrap_or(0),
        message: e.to_string(),
    }
}

/// An ID given as text, as the typed ID `wamm-client` calls take.
fn typed<T: std::str::FromStr>(text: &str) -> Result<T, GraphFailure> {
    text.parse().map_err(|_| GraphFailure {
        code: 100,
        message: format!("{text:?} is not a Graph ID"),
    })
}

/// What sync reads of each WABA: the status fields and, expanded, its numbers.
const SYNC_FIELDS: &str = "id,name,marketing_messages_onboarding_status,owner_business_info,\
                           phone_numbers{id,platform_type}";

/// A WABA as the orchestrator records it, with its first registered number (from the expanded
/// edge when the listing carried it, else asked for).
async fn remote(client: &GraphClient, w: Waba) -> Result<RemoteWaba, GraphFailure> {
    let phones = match w.phone_numbers.clone() {
        Some(expanded) => expanded.data,
        None => client
            .list_phone_numbers(w.id)
            .await
            .map_err(|e| failure(&e))?,
    };
    let registered = phones
        .iter()
        .find(|p| p.platform_type.as_deref() == Some("CLOUD_API"))
        .map(|p| p.id.to_string());
    // An OBO WABA is owned by the partner on Graph; the business it serves is the client.
    let owner = w
        .on_behalf_of_business_info
        .as_ref()
        .or(w.owner_business_info.as_ref());
    Ok(RemoteWaba {
        id: w.id.to_string(),
        name: w.name.clone().unwrap_or_default(),
        status: w
            .marketing_messages_onboarding_status
            .as_ref()
            .map_or(WabaStatus::Other(String::new()), |s| s.clone()),
        business_id: owner.map(|b| b.id.to_string()).unwrap_or_default(),
        business_name: owner.and_then(|b| b.name.clone()).unwrap_or_default(),
        business_status: owner.and_then(|b| b.terms_status()).cloned(),
        phone_number_id: registered,
    })
}

/// What readiness reads of each template.
const SETUP_TEMPLATE_FIELDS: &str = "id,name,language,status,category,components,ad_id,\
                                     ad_adset_id,ad_campaign_id,ad_account_id,\
                                     cta_url_link_tracking_opted_out";

/// A template's URL buttons (`BUTTONS` components' `URL` buttons), their `url` as written.
fn url_buttons(components: Option<&serde_json::Value>) -> Vec<String> {
    let kind = |v: &serde_json::Value, want: &str| {
        v["type"]
            .as_str()
            .is_some_and(|t| t.eq_ignore_ascii_case(want))
    };
    components
        .and_then(serde_json::Value::as_array)
        .into_iter()
        .flatten()
        .filter(|c| kind(c, "BUTTONS"))
        .filter_map(|c| c["buttons"].as_array())
        .flatten()
        .filter(|b| kind(b, "URL"))
        .filter_map(|b| b["url"].as_str().map(str::to_owned))
        .collect()
}

/// A template's JSON as conversion measurement reads it.
fn remote_template(t: &serde_json::Value) -> RemoteTemplate {
    let text = |key: &str| match &t[key] {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    };
    RemoteTemplate {
        id: text("id").unwrap_or_default(),
        name: text("name").unwrap_or_default(),
        language: text("language").unwrap_or_default(),
        category: text("category"),
        status: text("status"),
        ad_id: text("ad_id"),
        ad_adset_id: text("ad_adset_id"),
        ad_campaign_id: text("ad_campaign_id"),
        ad_account_id: text("ad_account_id"),
        url_buttons: url_buttons(t.get("components")),
        link_tracking_opted_out: match &t["cta_url_link_tracking_opted_out"] {
            serde_json::Value::Bool(b) => *b,
            serde_json::Value::String(s) => s == "true",
            _ => false,
        },
    }
}

/// The Insights fields the orchestrator syncs: the ad, and the `marketing_messages_*` volumes,
/// rates and spend.
const INSIGHTS_FIELDS: [&str; 12] = [
    "ad_id",
    "ad_name",
    "marketing_messages_sent",
    "marketing_messages_delivered",
    "marketing_messages_read",
    "marketing_messages_link_btn_click",
    "marketing_messages_delivery_rate",
    "marketing_messages_read_rate",
    "marketing_messages_link_btn_click_rate",
    "marketing_messages_spend",
    "marketing_messages_spend_currency",
    "account_id",
];

/// A Graph value written as text or as a number, as text.
fn id_text(v: &serde_json::Value) -> Option<String> {
    match v {
        serde_json::Value::String(s) if !s.is_empty() => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// One `level=ad`, `time_increment=1` Insights row as the store keeps it; `template_of` maps
/// ad IDs to the WABA's templates. A row without an ad or a readable day is left out.
fn insights_day(
    waba: &str,
    account: &str,
    template_of: &HashMap<String, String>,
    row: &InsightsRow,
) -> Option<AdInsightsDay> {
    let ad_id = row.fields.get("ad_id").and_then(id_text)?;
    let day = parse_date(&row.date_start)?;
    Some(AdInsightsDay {
        waba_id: waba.to_owned(),
        account_id: account.to_owned(),
        template_id: template_of.get(&ad_id).cloned(),
        ad_name: row.text("ad_name").unwrap_or_default().to_owned(),
        day,
        sent: row.count("marketing_messages_sent").unwrap_or_default(),
        delivered: row
            .count("marketing_messages_delivered")
            .unwrap_or_default(),
        read: row.count("marketing_messages_read").unwrap_or_default(),
        clicked: row
            .count("marketing_messages_link_btn_click")
            .unwrap_or_default(),
        spend: row.number("marketing_messages_spend").unwrap_or_default(),
        currency: row
            .text("marketing_messages_spend_currency")
            .map(str::to_owned),
        delivery_rate: row.number("marketing_messages_delivery_rate"),
        read_rate: row.number("marketing_messages_read_rate"),
        click_rate: row.number("marketing_messages_link_btn_click_rate"),
        ad_id,
    })
}

impl ClientGraph {
    /// The same client, acting with a client business's token.
    fn as_business(&self, token: &Secret) -> GraphClient {
        self.client.clone().token(token.expose())
    }

    /// With a business token, as the business; without, as the partner itself.
    fn acting(&self, token: Option<&Secret>) -> GraphClient {
        token.map_or_else(|| self.client.clone(), |t| self.as_business(t))
    }
}

#[async_trait::async_trait]
impl PartnerGraph for ClientGraph {
    async fn client_wabas(&self) -> Result<Vec<RemoteWaba>, GraphFailure> {
        let mut wabas = self
            .client
            .list_client_wabas(
                self.partner,
                &WabaQuery::all().fields(SYNC_FIELDS).limit(100),
            )
            .await
            .map_err(|e| failure(&e))?;
        // WABAs held on behalf of clients are the partner's own on Graph; a client whose
        // WABAs are all OBO can still be asked (the request sets migration intents).
        let obo_fields = format!("{SYNC_FIELDS},on_behalf_of_business_info");
        wabas.extend(
            self.client
                .list_owned_wabas(
                    self.partner,
                    &WabaQuery::all().fields(obo_fields.as_str()).limit(100),
                )
                .await
                .map_err(|e| failure(&e))?
                .into_iter()
                .filter(|w| w.on_behalf_of_business_info.is_some()),
        );
        let mut out = Vec::with_capacity(wabas.len());
        for w in wabas {
            out.push(remote(&self.client, w).await?);
        }
        // An OBO WABA names its client without the client's terms status: take it from the
        // client's shared WABAs, or read the client's portfolio.
        let mut known: HashMap<String, Option<BusinessStatus>> = out
            .iter()
            .filter(|w| w.business_status.is_some())
            .map(|w| (w.business_id.clone(), w.business_status.clone()))
            .collect();
        for w in &mut out {
            if w.business_status.is_some() {
                continue;
            }
            if !known.contains_key(&w.business_id) {
                let status = match typed::<BusinessId>(&w.business_id) {
                    Ok(id) => self
                        .client
                        .fetch_business(id)
                        .await
                        .ok()
                        .and_then(|b| b.terms_status().cloned()),
                    Err(_) => None,
                };
                known.insert(w.business_id.clone(), status);
            }
            w.business_status = known.get(&w.business_id).cloned().flatten();
        }
        Ok(out)
    }

    async fn exchange_code(&self, code: &str) -> Result<Secret, GraphFailure> {
        let (app, secret) = self.app.as_ref().ok_or_else(|| GraphFailure {
            code: 0,
            message: "the partner's app ID and secret are needed to exchange a code".into(),
        })?;
        let token = self
            .client
            .exchange_code(typed(app)?, secret.expose(), code, None)
            .await
            .map_err(|e| failure(&e))?;
        Ok(Secret::new(token.access_token))
    }

    async fn waba(&self, token: &Secret, waba: &str) -> Result<RemoteWaba, GraphFailure> {
        let client = self.as_business(token);
        let w = client
            .fetch_waba(typed(waba)?)
            .await
            .map_err(|e| failure(&e))?;
        remote(&client, w).await
    }

    async fn subscribe(&self, token: &Secret, waba: &str) -> Result<(), GraphFailure> {
        self.as_business(token)
            .subscribe_app_to_waba(typed(waba)?, &SubscribeRequest::default())
            .await
            .map_err(|e| failure(&e))?;
        Ok(())
    }

    async fn register(&self, token: &Secret, phone: &str, pin: &str) -> Result<(), GraphFailure> {
        self.as_business(token)
            .register_phone_number(typed(phone)?, &RegisterRequest::new(pin))
            .await
            .map_err(|e| failure(&e))?;
        Ok(())
    }

    async fn request_onboarding(&self, business: &str) -> Result<IntentOutcome, GraphFailure> {
        let answer = self
            .client
            .onboard_partners_to_mm_lite(typed::<BusinessId>(business)?, None)
            .await
            .map_err(|e| failure(&e))?;
        Ok(IntentOutcome::Requested {
            request_id: answer.request_id.to_string(),
        })
    }

    async fn business_token(&self, business: &str) -> Result<Secret, GraphFailure> {
        let token = self
            .client
            .fetch_business_token(typed::<BusinessId>(business)?)
            .await
            .map_err(|e| failure(&e))?;
        Ok(Secret::new(token.access_token))
    }

    async fn token_wabas(&self, token: &Secret) -> Result<Vec<String>, GraphFailure> {
        let info = self
            .client
            .token_info(token.expose())
            .await
            .map_err(|e| failure(&e))?;
        Ok(info.waba_ids().iter().map(ToString::to_string).collect())
    }

    async fn template_category(
        &self,
        token: Option<&Secret>,
        waba: &str,
        name: &str,
        language: &str,
    ) -> Result<Option<String>, GraphFailure> {
        let templates = self
            .acting(token)
            .list_templates(typed(waba)?)
            .await
            .map_err(|e| failure(&e))?;
        Ok(templates
            .into_iter()
            .find(|t| t.name == name && t.language.as_deref() == Some(language))
            .and_then(|t| t.category)
            .map(|c| c.as_str().to_owned()))
    }

    async fn template_metrics(
        &self,
        token: Option<&Secret>,
        waba: &str,
        start: i64,
        end: i64,
    ) -> Result<Vec<TemplateDay>, GraphFailure> {
        let client = self.acting(token);
        let id = typed(waba)?;
        let templates = client.list_templates(id).await.map_err(|e| failure(&e))?;
        let names: HashMap<_, _> = templates.iter().map(|t| (t.id, t.name.clone())).collect();
        let ids: Vec<_> = templates.iter().map(|t| t.id).collect();
        let mut days = Vec::new();
        // Template analytics take at most 10 templates a call.
        for chunk in ids.chunks(10) {
            for (product, asked) in [
                (
                    Product::MarketingMessages,
                    AnalyticsProduct::MarketingMessages,
                ),
                (Product::CloudApi, AnalyticsProduct::CloudApi),
            ] {
                let query = TemplateAnalyticsQuery {
                    start,
                    end,
                    template_ids: chunk.to_vec(),
                    metric_types: Vec::new(),
                    product: asked,
                };
                let answer = client
                    .template_analytics(id, &query)
                    .await
                    .map_err(|e| failure(&e))?;
                days.extend(answer.data_points.into_iter().map(|p| TemplateDay {
                    waba_id: waba.to_owned(),
                    template_id: p.template_id.to_string(),
                    template_name: names.get(&p.template_id).cloned().unwrap_or_default(),
                    day: p.start,
                    product,
                    sent: p.sent.unwrap_or_default(),
                    delivered: p.delivered.unwrap_or_default(),
                    read: p.read.unwrap_or_default(),
                    clicked: p.clicks("url_button"),
                    cost: p.cost("amount_spent"),
                    conversions: Conversions::from_keys(&p.other),
                }));
            }
        }
        Ok(days)
    }

    async fn conversion_setup(
        &self,
        token: Option<&Secret>,
        waba: &str,
    ) -> Result<ConversionSetup, GraphFailure> {
        let client = self.acting(token);
        let id: wamm_wire::ids::WabaId = typed(waba)?;
        let node = client
            .waba(
                id,
                "id,marketing_messages_onboarding_status,is_enabled_for_insights",
            )
            .await
            .map_err(|e| failure(&e))?;
        let templates: Vec<serde_json::Value> = client
            .all(
                &format!("{id}/message_templates"),
                &[("fields", SETUP_TEMPLATE_FIELDS), ("limit", "100")],
            )
            .await
            .map_err(|e| failure(&e))?;
        let status = node["marketing_messages_onboarding_status"]
            .as_str()
            .map_or(WabaStatus::Other(String::new()), WabaStatus::from);
        Ok(ConversionSetup {
            status,
            insights_enabled: node["is_enabled_for_insights"].as_bool(),
            templates: templates.iter().map(remote_template).collect(),
        })
    }

    async fn ad_insights(
        &self,
        token: &Secret,
        waba: &str,
        start: i64,
        end: i64,
    ) -> Result<AdInsights, GraphFailure> {
        let client = self.as_business(token);
        let id: wamm_wire::ids::WabaId = typed(waba)?;
        let templates: Vec<serde_json::Value> = client
            .all(
                &format!("{id}/message_templates"),
                &[("fields", "id,ad_id,ad_account_id"), ("limit", "100")],
            )
            .await
            .map_err(|e| failure(&e))?;
        // Every template of a WABA is mirrored into the same account; the bare digits are
        // what the templates give, `act_<digits>` what Insights paths take.
        let Some(account) = templates
            .iter()
            .find_map(|t| id_text(&t["ad_account_id"]))
            .map(|a| a.trim_start_matches("act_").to_owned())
        else {
            return Ok(AdInsights::NoAdAccount);
        };
        let template_of: HashMap<String, String> = templates
            .iter()
            .filter_map(|t| Some((id_text(&t["ad_id"])?, id_text(&t["id"])?)))
            .collect();
        let query = InsightsQuery {
            fields: INSIGHTS_FIELDS.map(str::to_owned).to_vec(),
            range: InsightsRange::Dates {
                since: date(start),
                until: date(end - 1),
            },
            time_increment: Some("1".to_owned()),
            level: Some("ad".to_owned()),
            by_button: false,
        };
        let rows = client
            .insights(&format!("act_{account}"), &query)
            .await
            .map_err(|e| failure(&e))?;
        let days = rows
            .iter()
            .filter_map(|r| insights_day(waba, &account, &template_of, r))
            .collect();
        Ok(AdInsights::Days {
            account_id: account,
            days,
        })
    }

    async fn datasets(
        &self,
        token: Option<&Secret>,
        waba: &str,
    ) -> Result<Vec<String>, GraphFailure> {
        let found = self
            .acting(token)
            .datasets(typed(waba)?)
            .await
            .map_err(|e| failure(&e))?;
        Ok(found.into_iter().map(|d| d.id).collect())
    }

    async fn send_template(
        &self,
        token: Option<&Secret>,
        endpoint: Endpoint,
        phone: &str,
        message: &SendOrder,
    ) -> Result<String, GraphFailure> {
        let client = self.acting(token);
        let mut template = SendTemplate::new(&message.template, &message.language);
        if !message.body.is_empty() {
            template = template.component(TemplateComponent::body_text(&message.body));
        }
        let request = SendRequest::template(&message.to, template);
        let phone = typed(phone)?;
        let answer = match endpoint {
            Endpoint::MarketingMessages => client.send_marketing_message(phone, &request).await,
            Endpoint::Messages => client.send_message(phone, &request).await,
        }
        .map_err(|e| failure(&e))?;
        answer
            .messages
            .into_iter()
            .next()
            .map(|m| m.id)
            .ok_or_else(|| GraphFailure {
                code: 0,
                message: "the send was answered without a message ID".into(),
            })
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn an_insights_row_becomes_an_ad_day_with_its_template() {
        let row: InsightsRow = serde_json::from_value(json!({
            "date_start": "2031-02-03", "date_stop": "2031-02-03",
            "ad_id": "901", "ad_name": "promo (en_US)", "account_id": "77",
            "marketing_messages_sent": "4", "marketing_messages_delivered": "4",
            "marketing_messages_read": "2", "marketing_messages_link_btn_click": "1",
            "marketing_messages_delivery_rate": "100", "marketing_messages_read_rate": "50",
            "marketing_messages_link_btn_click_rate": "25",
            "marketing_messages_spend": "0.1", "marketing_messages_spend_currency": "USD"
        }))
        .expect("row");
        let templates = HashMap::from([("901".to_owned(), "5100".to_owned())]);
        let day = insights_day("8100", "77", &templates, &row).expect("a day");
        assert_eq!(day.day, 1_927_843_200);
        assert_eq!(day.template_id.as_deref(), Some("5100"));
        assert_eq!(
            (day.sent, day.delivered, day.read, day.clicked),
            (4, 4, 2, 1)
        );
        assert!((day.spend - 0.1).abs() < 1e-12);
        assert_eq!(day.currency.as_deref(), Some("USD"));
        assert_eq!(
            (day.delivery_rate, day.read_rate, day.click_rate),
            (Some(100.0), Some(50.0), Some(25.0))
        );
        // A row of an ad no template names keeps the ad; one without an ad is left out.
        let other = insights_day("8100", "77", &HashMap::new(), &row).expect("a day");
        assert_eq!(other.template_id, None);
        let mut bare = row.clone();
        bare.fields.remove("ad_id");
        assert_eq!(insights_day("8100", "77", &templates, &bare), None);
        let mut undated = row;
        undated.date_start = "soon".into();
        assert_eq!(insights_day("8100", "77", &templates, &undated), None);
    }

    #[test]
    fn a_template_is_read_with_its_url_buttons_ad_fields_and_opt_out() {
        let t = remote_template(&json!({
            "id": "5100", "name": "summer_sale", "language": "en_US", "status": "APPROVED",
            "category": "MARKETING", "ad_id": "77", "ad_account_id": 88,
            "ad_adset_id": "78", "ad_campaign_id": "79",
            "cta_url_link_tracking_opted_out": true,
            "components": [
                {"type": "BODY", "text": "Hi"},
                {"type": "buttons", "buttons": [
                    {"type": "QUICK_REPLY", "text": "Stop"},
                    {"type": "url", "text": "Shop", "url": "https://bit.ly/{{1}}"},
                    {"type": "URL", "text": "Help"}
                ]}
            ]
        }));
        assert_eq!(t.id, "5100");
        assert_eq!(t.category.as_deref(), Some("MARKETING"));
        assert_eq!(
            (t.ad_id.as_deref(), t.ad_account_id.as_deref()),
            (Some("77"), Some("88"))
        );
        assert!(t.linked());
        assert_eq!(t.url_buttons, vec!["https://bit.ly/{{1}}".to_owned()]);
        assert!(t.link_tracking_opted_out);
        // Before the ad sync and without the opt-out field (Meta's default: false).
        let bare = remote_template(&json!({"id": "1", "name": "x", "components": []}));
        assert!(!bare.linked());
        assert_eq!((bare.ad_id, bare.link_tracking_opted_out), (None, false));
        assert!(bare.url_buttons.is_empty());
    }
}
