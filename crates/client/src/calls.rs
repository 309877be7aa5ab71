//! The Graph calls of the MM API partner flow, one method each.
//!
//! In the order a partner meets them: app and business tokens, the Intent API, the status
//! fields that say where a client is in onboarding, the post-signup calls (webhook
//! subscription, number registration), templates, and sending. Each method says how safe it
//! is to repeat ([`Replay`]), which decides what the retry policy may do with it.
//!
//! The methods returning [`serde_json::Value`] predate the typed ones and stay for callers
//! that want Graph's JSON as is (e.g. with a custom `fields` selection).

use serde_json::{Value, json};
use wamm_wire::ids::{AppId, BusinessId, PhoneNumberId, PixelId, SolutionId, TemplateId, WabaId};

use crate::client::{GraphCall, GraphClient};
use crate::error::ClientError;
use crate::retry::Replay;
use crate::types::{
    AccessToken, AdAccount, AdObject, Business, CreatedTemplate, Dataset, DebugTokenEnvelope,
    EventsReceived, FilterClause, InsightsQuery, InsightsRow, MessageTemplate, NewTemplate,
    OnboardResponse, PhoneNumber, PricingAnalyticsQuery, PricingDataPoint, RegisterRequest,
    ReportRun, SendRequest, SendResponse, ServerEvent, SubscribeRequest, SubscribeResponse,
    SubscribedApp, Success, SystemUserTokenRequest, TemplateAnalytics, TemplateAnalyticsQuery,
    TokenInfo, Waba, WabaQuery,
};

/// The `fields` of a business portfolio that [`Business`] reads.
const BUSINESS_FIELDS: &str = "id,name,marketing_messages_onboarding_status";

fn to_json<T: serde::Serialize>(value: &T) -> Result<Value, ClientError> {
    serde_json::to_value(value).map_err(|e| ClientError::Decode {
        status: 0,
        message: format!("request body: {e}"),
    })
}

impl GraphClient {
    // ---- Tokens -------------------------------------------------------------------------

    /// `GET /oauth/access_token?grant_type=client_credentials`: an app access token.
    ///
    /// Sent without this client's token. Graph answers a wrong secret with code 1, which reads
    /// as transient; the exchange is therefore retried only when throttled.
    pub async fn client_credentials_token(
        &self,
        app_id: AppId,
        app_secret: &str,
    ) -> Result<AccessToken, ClientError> {
        let id = app_id.to_string();
        self.oauth_token(&id, app_secret, &[("grant_type", "client_credentials")])
            .await
    }

    /// `GET /oauth/access_token?code=…`: exchanges an Embedded Signup code for the client's
    /// business token (BISUAT).
    ///
    /// The code is single-use and expires in 30 seconds, so the exchange is never repeated
    /// unless Graph refused it for throttling. Pass `redirect_uri` only for a manual redirect
    /// flow, and then exactly the one used to obtain the code.
    pub async fn exchange_code(
        &self,
        app_id: AppId,
        app_secret: &str,
        code: &str,
        redirect_uri: Option<&str>,
    ) -> Result<AccessToken, ClientError> {
        let id = app_id.to_string();
        let mut params = vec![("code", code)];
        if let Some(uri) = redirect_uri {
            params.push(("redirect_uri", uri));
        }
        self.oauth_token(&id, app_secret, &params).await
    }

    async fn oauth_token(
        &self,
        app_id: &str,
        app_secret: &str,
        params: &[(&str, &str)],
    ) -> Result<AccessToken, ClientError> {
        let call = GraphCall::get("oauth/access_token")
            .query("client_id", app_id)
            .query("client_secret", app_secret)
            .queries(params.iter().copied())
            .replay(Replay::IfNotAccepted)
            .anonymous();
        self.call(&call).await
    }

    /// Exchanges app credentials for an app access token (`client_credentials`).
    pub async fn app_token(&self, app_id: &str, app_secret: &str) -> Result<String, ClientError> {
        let token: AccessToken = self
            .oauth_token(app_id, app_secret, &[("grant_type", "client_credentials")])
            .await?;
        Ok(token.access_token)
    }

    /// `POST /{client-business-id}/system_user_access_tokens`: the client's business token.
    ///
    /// Graph requires `appsecret_proof` here, so the client needs an app secret. With
    /// `fetch_only` the call only reads the existing token and is repeatable; otherwise it
    /// mints one and is retried only when throttled.
    pub async fn system_user_access_token(
        &self,
        client_business: BusinessId,
        request: &SystemUserTokenRequest,
    ) -> Result<AccessToken, ClientError> {
        let replay = if request.fetch_only {
            Replay::Idempotent
        } else {
            Replay::IfNotAccepted
        };
        let call = GraphCall::post(&format!("{client_business}/system_user_access_tokens"))
            .queries(request.to_query())
            .replay(replay);
        self.call(&call).await
    }

    /// The guide's token refresh: `system_user_access_tokens` with `fetch_only=true`.
    pub async fn fetch_business_token(
        &self,
        client_business: BusinessId,
    ) -> Result<AccessToken, ClientError> {
        self.system_user_access_token(client_business, &SystemUserTokenRequest::fetch_only())
            .await
    }

    /// `GET /debug_token?input_token=…`, typed: the token's app, type, expiry and scopes.
    pub async fn token_info(&self, input_token: &str) -> Result<TokenInfo, ClientError> {
        let envelope: DebugTokenEnvelope = self
            .get("debug_token", &[("input_token", input_token)])
            .await?;
        Ok(envelope.data)
    }

    /// `GET /debug_token?input_token=…`.
    pub async fn debug_token(&self, input: &str) -> Result<Value, ClientError> {
        self.get("debug_token", &[("input_token", input)]).await
    }

    /// `GET /me`.
    pub async fn me(&self) -> Result<Value, ClientError> {
        self.get("me", &[]).await
    }

    // ---- Onboarding -----------------------------------------------------------------------

    /// `POST /{end-business-id}/onboard_partners_to_mm_lite`: asks the client's admins to
    /// accept the MM API terms (the Intent API), optionally for a Multi-Partner Solution.
    ///
    /// Not repeated after an ambiguous failure: a second request for the same business is
    /// refused as a duplicate (or returns the pending one), so the caller should look before
    /// asking again. Throttling (HTTP 429, code 4) is retried.
    pub async fn onboard_partners_to_mm_lite(
        &self,
        end_business: BusinessId,
        solution: Option<SolutionId>,
    ) -> Result<OnboardResponse, ClientError> {
        let mut call = GraphCall::post(&format!("{end_business}/onboard_partners_to_mm_lite"))
            // Meta's examples send an empty JSON body; the spec takes `solution_id` as a query
            // parameter.
            .json(json!({}));
        if let Some(solution) = solution {
            call = call.query("solution_id", solution.to_string());
        }
        self.call(&call).await
    }

    /// `GET /{business-id}` with the MM API terms status (`business_management`).
    pub async fn fetch_business(&self, id: BusinessId) -> Result<Business, ClientError> {
        self.get(&id.to_string(), &[("fields", BUSINESS_FIELDS)])
            .await
    }

    /// `GET /{business-id}`.
    pub async fn business(&self, id: BusinessId, fields: &str) -> Result<Value, ClientError> {
        self.get(&id.to_string(), &[("fields", fields)]).await
    }

    /// Every WABA clients shared with `partner` that matches `query`, all pages.
    pub async fn list_client_wabas(
        &self,
        partner: BusinessId,
        query: &WabaQuery,
    ) -> Result<Vec<Waba>, ClientError> {
        let call = GraphCall::get(&format!("{partner}/client_whatsapp_business_accounts"))
            .queries(query.to_query());
        self.collect(&call).await
    }

    /// Every WABA `business` owns that matches `query`, all pages; for a partner these include
    /// the WABAs it holds on behalf of clients (OBO, with `on_behalf_of_business_info`).
    pub async fn list_owned_wabas(
        &self,
        business: BusinessId,
        query: &WabaQuery,
    ) -> Result<Vec<Waba>, ClientError> {
        let call = GraphCall::get(&format!("{business}/owned_whatsapp_business_accounts"))
            .queries(query.to_query());
        self.collect(&call).await
    }

    /// Every WABA clients shared with `partner`, optionally filtered by MM onboarding status.
    pub async fn client_wabas(
        &self,
        partner: BusinessId,
        fields: &str,
        statuses: &[&str],
    ) -> Result<Vec<Value>, ClientError> {
        let mut query = WabaQuery::all().fields(fields);
        if !statuses.is_empty() {
            query = query.filter(FilterClause::is_in(
                "marketing_messages_onboarding_status",
                statuses.iter().copied(),
            ));
        }
        let call = GraphCall::get(&format!("{partner}/client_whatsapp_business_accounts"))
            .queries(query.to_query());
        self.collect(&call).await
    }

    /// `GET /{waba-id}` with the MM API status fields ([`WabaQuery::DEFAULT_FIELDS`]).
    pub async fn fetch_waba(&self, id: WabaId) -> Result<Waba, ClientError> {
        self.get(&id.to_string(), &[("fields", WabaQuery::DEFAULT_FIELDS)])
            .await
    }

    /// `GET /{waba-id}`.
    pub async fn waba(&self, id: WabaId, fields: &str) -> Result<Value, ClientError> {
        self.get(&id.to_string(), &[("fields", fields)]).await
    }

    // ---- After signup: webhooks and numbers ----------------------------------------------

    /// `POST /{waba-id}/subscribed_apps`: subscribes the token's app to a WABA's webhooks,
    /// optionally with a callback for this WABA only. Repeatable.
    pub async fn subscribe_app_to_waba(
        &self,
        waba: WabaId,
        request: &SubscribeRequest,
    ) -> Result<SubscribeResponse, ClientError> {
        let call = GraphCall::post(&format!("{waba}/subscribed_apps"))
            .json(to_json(request)?)
            .replay(Replay::Idempotent);
        self.call(&call).await
    }

    /// Subscribes the token's app to a WABA's webhooks.
    pub async fn subscribe_app(&self, waba: WabaId) -> Result<Value, ClientError> {
        let call = GraphCall::post(&format!("{waba}/subscribed_apps"))
            .json(json!({}))
            .replay(Replay::Idempotent);
        self.call(&call).await
    }

    /// `GET /{waba-id}/subscribed_apps`: the apps subscribed to a WABA's webhooks.
    pub async fn list_subscribed_apps(
        &self,
        waba: WabaId,
    ) -> Result<Vec<SubscribedApp>, ClientError> {
        self.all(&format!("{waba}/subscribed_apps"), &[]).await
    }

    /// Every phone number of a WABA, typed.
    pub async fn list_phone_numbers(&self, waba: WabaId) -> Result<Vec<PhoneNumber>, ClientError> {
        self.all(
            &format!("{waba}/phone_numbers"),
            &[("fields", PhoneNumber::DEFAULT_FIELDS)],
        )
        .await
    }

    /// Every phone number of a WABA.
    pub async fn phone_numbers(&self, waba: WabaId) -> Result<Vec<Value>, ClientError> {
        self.all(&format!("{waba}/phone_numbers"), &[]).await
    }

    /// `GET /{phone-number-id}`, typed ([`PhoneNumber::DEFAULT_FIELDS`]).
    pub async fn fetch_phone_number(&self, id: PhoneNumberId) -> Result<PhoneNumber, ClientError> {
        self.get(&id.to_string(), &[("fields", PhoneNumber::DEFAULT_FIELDS)])
            .await
    }

    /// `GET /{phone-number-id}`.
    pub async fn phone_number(
        &self,
        id: PhoneNumberId,
        fields: &str,
    ) -> Result<Value, ClientError> {
        self.get(&id.to_string(), &[("fields", fields)]).await
    }

    /// `POST /{phone-number-id}/register`: registers the number on Cloud API (not for
    /// coexistence numbers). Repeatable: registering a registered number changes nothing.
    pub async fn register_phone_number(
        &self,
        id: PhoneNumberId,
        request: &RegisterRequest,
    ) -> Result<Success, ClientError> {
        let call = GraphCall::post(&format!("{id}/register"))
            .json(to_json(request)?)
            .replay(Replay::Idempotent);
        self.call(&call).await
    }

    // ---- Templates -------------------------------------------------------------------------

    /// Every template of a WABA, typed.
    pub async fn list_templates(&self, waba: WabaId) -> Result<Vec<MessageTemplate>, ClientError> {
        self.all(&format!("{waba}/message_templates"), &[]).await
    }

    /// Every template of a WABA.
    pub async fn templates(&self, waba: WabaId) -> Result<Vec<Value>, ClientError> {
        self.all(&format!("{waba}/message_templates"), &[]).await
    }

    /// `GET /{template-id}`, typed.
    pub async fn fetch_template(&self, id: TemplateId) -> Result<MessageTemplate, ClientError> {
        self.get(&id.to_string(), &[]).await
    }

    /// `GET /{template-id}`.
    pub async fn template(&self, id: TemplateId) -> Result<Value, ClientError> {
        self.get(&id.to_string(), &[]).await
    }

    /// Creates a template, typed. Retried only when throttled (a repeat would be refused as a
    /// duplicate name).
    pub async fn create_message_template(
        &self,
        waba: WabaId,
        template: &NewTemplate,
    ) -> Result<CreatedTemplate, ClientError> {
        self.post(&format!("{waba}/message_templates"), &to_json(template)?)
            .await
    }

    /// Creates a template; returns `{id, status, category}`.
    pub async fn create_template(
        &self,
        waba: WabaId,
        template: &NewTemplate,
    ) -> Result<Value, ClientError> {
        self.post(&format!("{waba}/message_templates"), &to_json(template)?)
            .await
    }

    // ---- Sending ---------------------------------------------------------------------------

    /// `POST /{phone-number-id}/marketing_messages`: sends a marketing template through the
    /// MM API (or Cloud API, per `product_policy`).
    ///
    /// A send whose answer was lost may have gone out, so it is retried only when Graph
    /// refused it for throttling (130429, 131056, 4, 80007): a throttled send was not
    /// accepted, so sending it again cannot deliver it twice.
    pub async fn send_marketing_message(
        &self,
        phone: PhoneNumberId,
        message: &SendRequest,
    ) -> Result<SendResponse, ClientError> {
        self.send_to(phone, "marketing_messages", message).await
    }

    /// `POST /{phone-number-id}/messages`: sends any message through Cloud API. Retried like
    /// [`GraphClient::send_marketing_message`].
    pub async fn send_message(
        &self,
        phone: PhoneNumberId,
        message: &SendRequest,
    ) -> Result<SendResponse, ClientError> {
        self.send_to(phone, "messages", message).await
    }

    async fn send_to(
        &self,
        phone: PhoneNumberId,
        edge: &str,
        message: &SendRequest,
    ) -> Result<SendResponse, ClientError> {
        let call = GraphCall::post(&format!("{phone}/{edge}"))
            .json(to_json(message)?)
            .replay(Replay::IfNotAccepted);
        self.call(&call).await
    }

    // ---- Metrics ---------------------------------------------------------------------------

    /// `POST /{waba-id}` with `is_enabled_for_insights=true`: confirms template insights for
    /// the WABA. Meta cannot undo it; confirming again changes nothing, so it is repeatable.
    pub async fn enable_template_insights(&self, waba: WabaId) -> Result<(), ClientError> {
        let call = GraphCall::post(&waba.to_string())
            .json(json!({"is_enabled_for_insights": true}))
            .replay(Replay::Idempotent);
        let _: Value = self.call(&call).await?;
        Ok(())
    }

    /// `GET /{waba-id}/template_analytics`: per template and day, what its sends did and cost.
    pub async fn template_analytics(
        &self,
        waba: WabaId,
        query: &TemplateAnalyticsQuery,
    ) -> Result<TemplateAnalytics, ClientError> {
        #[derive(serde::Deserialize)]
        struct Answer {
            #[serde(default)]
            data: Vec<TemplateAnalytics>,
        }
        let params = query.params();
        let pairs: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let answer: Answer = self
            .get(&format!("{waba}/template_analytics"), &pairs)
            .await?;
        Ok(answer.data.into_iter().next().unwrap_or(TemplateAnalytics {
            granularity: "DAILY".to_owned(),
            product_type: String::new(),
            data_points: Vec::new(),
        }))
    }

    // ---- Ad objects and Insights ----------------------------------------------------------

    /// `GET /act_<id>`: the ad account Meta linked to an onboarded WABA (`account` is the
    /// digits a template's `ad_account_id` gives, with or without `act_`). Needs a token of
    /// the client business with `ads_read` on it.
    pub async fn ad_account(&self, account: &str) -> Result<AdAccount, ClientError> {
        self.get(&ad_account_path(account), &[("fields", AdAccount::FIELDS)])
            .await
    }

    /// `GET /{campaign-id}`: a MARKETING template's campaign.
    pub async fn campaign(&self, id: &str) -> Result<AdObject, ClientError> {
        self.get(id, &[("fields", "name,account_id,status,objective")])
            .await
    }

    /// `GET /{adset-id}`: a MARKETING template's ad set.
    pub async fn adset(&self, id: &str) -> Result<AdObject, ClientError> {
        let fields = "name,account_id,status,optimization_goal,campaign_id";
        self.get(id, &[("fields", fields)]).await
    }

    /// `GET /{ad-id}`: a MARKETING template's ad.
    pub async fn ad(&self, id: &str) -> Result<AdObject, ClientError> {
        let fields = "name,account_id,status,campaign_id,adset_id";
        self.get(id, &[("fields", fields)]).await
    }

    /// `GET /{object}/insights`, every page: `object` is `act_<id>` (or the account's digits),
    /// a campaign, an ad set or an ad.
    pub async fn insights(
        &self,
        object: &str,
        query: &InsightsQuery,
    ) -> Result<Vec<InsightsRow>, ClientError> {
        let call = GraphCall::get(&format!("{object}/insights")).queries(query.params());
        self.collect(&call).await
    }

    /// `POST /{object}/insights`: starts an asynchronous report; its run ID.
    pub async fn start_insights_report(
        &self,
        object: &str,
        query: &InsightsQuery,
    ) -> Result<String, ClientError> {
        #[derive(serde::Deserialize)]
        struct Started {
            report_run_id: String,
        }
        let call = GraphCall::post(&format!("{object}/insights")).form(query.params());
        let started: Started = self.call(&call).await?;
        Ok(started.report_run_id)
    }

    /// `GET /{report-run-id}`: the report's progress.
    pub async fn report_run(&self, id: &str) -> Result<ReportRun, ClientError> {
        self.get(
            id,
            &[("fields", "id,async_status,async_percent_completion")],
        )
        .await
    }

    /// `GET /{report-run-id}/insights`, every page, once the run completed.
    pub async fn report_rows(&self, id: &str) -> Result<Vec<InsightsRow>, ClientError> {
        self.collect(&GraphCall::get(&format!("{id}/insights")))
            .await
    }

    /// The WABA's `pricing_analytics` field: delivered volume and cost per day or month.
    pub async fn pricing_analytics(
        &self,
        waba: WabaId,
        query: &PricingAnalyticsQuery,
    ) -> Result<Vec<PricingDataPoint>, ClientError> {
        #[derive(serde::Deserialize)]
        struct Entry {
            #[serde(default)]
            data_points: Vec<PricingDataPoint>,
        }
        #[derive(serde::Deserialize, Default)]
        struct Field {
            #[serde(default)]
            data: Vec<Entry>,
        }
        #[derive(serde::Deserialize)]
        struct Answer {
            #[serde(default)]
            pricing_analytics: Option<Field>,
        }
        let field = query.field();
        let answer: Answer = self
            .get(&waba.to_string(), &[("fields", field.as_str())])
            .await?;
        Ok(answer
            .pricing_analytics
            .unwrap_or_default()
            .data
            .into_iter()
            .flat_map(|e| e.data_points)
            .collect())
    }

    // ---- Conversions API --------------------------------------------------------------------

    /// `GET /{waba-id}/dataset`: the datasets (pixels) of the WABA's owner business.
    pub async fn datasets(&self, waba: WabaId) -> Result<Vec<Dataset>, ClientError> {
        #[derive(serde::Deserialize)]
        struct Answer {
            #[serde(default)]
            data: Vec<Dataset>,
        }
        let answer: Answer = self.get(&format!("{waba}/dataset"), &[]).await?;
        Ok(answer.data)
    }

    /// `POST /{waba-id}/dataset` with `dataset_name`: the owner business's dataset, made when it
    /// has none. Asking again answers with the same dataset, so the call is repeatable.
    pub async fn create_dataset(&self, waba: WabaId, name: &str) -> Result<PixelId, ClientError> {
        #[derive(serde::Deserialize)]
        struct Answer {
            id: PixelId,
        }
        let call = GraphCall::post(&format!("{waba}/dataset"))
            .form([("dataset_name", name)])
            .replay(Replay::Idempotent);
        let answer: Answer = self.call(&call).await?;
        Ok(answer.id)
    }

    /// `POST /{pixel-id}/events`: reports `events` to a pixel (dataset); with
    /// `test_event_code` they are shown as test events and counted nowhere. One invalid event
    /// refuses the whole request. Repeating could count events without an `event_id` twice,
    /// so only failures that prove nothing was received are retried.
    pub async fn send_events(
        &self,
        pixel: PixelId,
        events: &[ServerEvent],
        test_event_code: Option<&str>,
    ) -> Result<EventsReceived, ClientError> {
        let mut body = json!({ "data": to_json(&events)? });
        if let Some(code) = test_event_code {
            body["test_event_code"] = json!(code);
        }
        let call = GraphCall::post(&format!("{pixel}/events"))
            .json(body)
            .replay(Replay::IfNotAccepted);
        self.call(&call).await
    }
}

/// The path of an ad account: `act_<digits>`, whichever way it was given.
fn ad_account_path(account: &str) -> String {
    format!("act_{}", account.trim_start_matches("act_"))
}
