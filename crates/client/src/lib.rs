//! A typed async client for the Graph endpoints an MM API partner uses.
//!
//! It talks to real Graph (`https://graph.facebook.com`) by default and to any other base URL,
//! such as a wamm platform, when told. It knows nothing of the platform's internals: only the
//! wire contract in `wamm-wire`. Graph errors come back decoded, with their HTTP status.

pub mod receiver;

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use wamm_wire::error::ErrorEnvelope;
use wamm_wire::ids::{BusinessId, PhoneNumberId, TemplateId, WabaId};
use wamm_wire::{GraphError, Page};

/// Meta's Graph API.
pub const GRAPH_BASE_URL: &str = "https://graph.facebook.com";
/// The Graph version used unless another is chosen.
pub const DEFAULT_VERSION: &str = "v23.0";

/// What went wrong with a call.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// Graph answered with an error object.
    #[error("Graph error: {0}")]
    Graph(GraphError),
    /// The request did not complete.
    #[error("HTTP: {0}")]
    Http(#[from] reqwest::Error),
    /// The answer was not what the endpoint documents.
    #[error("unexpected response (HTTP {status}): {message}")]
    Decode {
        /// HTTP status.
        status: u16,
        /// What could not be decoded.
        message: String,
    },
}

impl ClientError {
    /// The Graph error, if the call failed with one.
    pub fn graph(&self) -> Option<&GraphError> {
        match self {
            Self::Graph(e) => Some(e),
            _ => None,
        }
    }
}

/// A client bound to a base URL, a version, and optionally a token and app secret.
#[derive(Debug, Clone)]
pub struct GraphClient {
    http: reqwest::Client,
    base_url: String,
    version: String,
    token: Option<String>,
    app_secret: Option<String>,
}

/// Fields of a new message template.
#[derive(Debug, Clone, Serialize)]
pub struct NewTemplate {
    /// Lower case name.
    pub name: String,
    /// Locale, e.g. `en_US`.
    pub language: String,
    /// `MARKETING`, `UTILITY` or `AUTHENTICATION`.
    pub category: String,
    /// Components, as Graph's JSON.
    pub components: Value,
    /// Optional time to live in seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message_send_ttl_seconds: Option<i64>,
}

impl Default for GraphClient {
    fn default() -> Self {
        Self::new(GRAPH_BASE_URL)
    }
}

impl GraphClient {
    /// A client for `base_url` (no trailing slash needed) at [`DEFAULT_VERSION`].
    pub fn new(base_url: impl Into<String>) -> Self {
        Self {
            http: reqwest::Client::builder()
                .timeout(std::time::Duration::from_secs(30))
                .build()
                .unwrap_or_default(),
            base_url: base_url.into().trim_end_matches('/').to_owned(),
            version: DEFAULT_VERSION.to_owned(),
            token: None,
            app_secret: None,
        }
    }

    /// Uses another Graph version, e.g. `v24.0`.
    #[must_use]
    pub fn version(mut self, version: impl Into<String>) -> Self {
        self.version = version.into();
        self
    }

    /// Authenticates calls with `token` (sent as `Authorization: Bearer`).
    #[must_use]
    pub fn token(mut self, token: impl Into<String>) -> Self {
        self.token = Some(token.into());
        self
    }

    /// Signs calls with `appsecret_proof` computed from this app secret.
    #[must_use]
    pub fn app_secret(mut self, secret: impl Into<String>) -> Self {
        self.app_secret = Some(secret.into());
        self
    }

    fn url(&self, path: &str) -> String {
        format!(
            "{}/{}/{}",
            self.base_url,
            self.version,
            path.trim_start_matches('/')
        )
    }

    fn prepare(&self, builder: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        let mut builder = builder;
        if let Some(token) = &self.token {
            builder = builder.bearer_auth(token);
            if let Some(secret) = &self.app_secret {
                builder = builder.query(&[(
                    "appsecret_proof",
                    wamm_wire::proof::appsecret_proof(secret, token),
                )]);
            }
        }
        builder
    }

    async fn finish<T: DeserializeOwned>(
        &self,
        builder: reqwest::RequestBuilder,
    ) -> Result<T, ClientError> {
        let response = self.prepare(builder).send().await?;
        let status = response.status().as_u16();
        let bytes = response.bytes().await?;
        if (200..300).contains(&status) {
            return serde_json::from_slice(&bytes).map_err(|e| ClientError::Decode {
                status,
                message: e.to_string(),
            });
        }
        match serde_json::from_slice::<ErrorEnvelope>(&bytes) {
            Ok(env) => Err(ClientError::Graph(GraphError {
                status,
                body: Box::new(env.error),
            })),
            Err(e) => Err(ClientError::Decode {
                status,
                message: e.to_string(),
            }),
        }
    }

    /// `GET {path}` with query parameters.
    pub async fn get<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, &str)],
    ) -> Result<T, ClientError> {
        self.finish(self.http.get(self.url(path)).query(query))
            .await
    }

    /// `POST {path}` with a JSON body.
    pub async fn post<T: DeserializeOwned>(
        &self,
        path: &str,
        body: &Value,
    ) -> Result<T, ClientError> {
        self.finish(self.http.post(self.url(path)).json(body)).await
    }

    /// `DELETE {path}` with query parameters.
    pub async fn delete<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, &str)],
    ) -> Result<T, ClientError> {
        self.finish(self.http.delete(self.url(path)).query(query))
            .await
    }

    /// Follows `paging.next` from a first page until the end, collecting every item.
    pub async fn all<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, &str)],
    ) -> Result<Vec<T>, ClientError> {
        let mut page: Page<T> = self.get(path, query).await?;
        let mut items = Vec::new();
        loop {
            items.append(&mut page.data);
            let Some(next) = page.paging.and_then(|p| p.next) else {
                break;
            };
            page = self.finish(self.http.get(next)).await?;
        }
        Ok(items)
    }

    /// `GET /{business-id}`.
    pub async fn business(&self, id: BusinessId, fields: &str) -> Result<Value, ClientError> {
        self.get(&id.to_string(), &[("fields", fields)]).await
    }

    /// Every WABA clients shared with `partner`, optionally filtered by MM onboarding status.
    pub async fn client_wabas(
        &self,
        partner: BusinessId,
        fields: &str,
        statuses: &[&str],
    ) -> Result<Vec<Value>, ClientError> {
        let filtering = (!statuses.is_empty())
            .then(|| json!([{ "field": "marketing_messages_onboarding_status", "operator": "IN", "value": statuses }]).to_string());
        let mut query = vec![("fields", fields)];
        if let Some(f) = &filtering {
            query.push(("filtering", f.as_str()));
        }
        self.all(
            &format!("{partner}/client_whatsapp_business_accounts"),
            &query,
        )
        .await
    }

    /// `GET /{waba-id}`.
    pub async fn waba(&self, id: WabaId, fields: &str) -> Result<Value, ClientError> {
        self.get(&id.to_string(), &[("fields", fields)]).await
    }

    /// Every phone number of a WABA.
    pub async fn phone_numbers(&self, waba: WabaId) -> Result<Vec<Value>, ClientError> {
        self.all(&format!("{waba}/phone_numbers"), &[]).await
    }

    /// `GET /{phone-number-id}`.
    pub async fn phone_number(
        &self,
        id: PhoneNumberId,
        fields: &str,
    ) -> Result<Value, ClientError> {
        self.get(&id.to_string(), &[("fields", fields)]).await
    }

    /// Every template of a WABA.
    pub async fn templates(&self, waba: WabaId) -> Result<Vec<Value>, ClientError> {
        self.all(&format!("{waba}/message_templates"), &[]).await
    }

    /// Creates a template; returns `{id, status, category}`.
    pub async fn create_template(
        &self,
        waba: WabaId,
        template: &NewTemplate,
    ) -> Result<Value, ClientError> {
        let body = serde_json::to_value(template).map_err(|e| ClientError::Decode {
            status: 0,
            message: e.to_string(),
        })?;
        self.post(&format!("{waba}/message_templates"), &body).await
    }

    /// `GET /{template-id}`.
    pub async fn template(&self, id: TemplateId) -> Result<Value, ClientError> {
        self.get(&id.to_string(), &[]).await
    }

    /// Subscribes the token's app to a WABA's webhooks.
    pub async fn subscribe_app(&self, waba: WabaId) -> Result<Value, ClientError> {
        self.post(&format!("{waba}/subscribed_apps"), &json!({}))
            .await
    }

    /// `GET /debug_token?input_token=…`.
    pub async fn debug_token(&self, input: &str) -> Result<Value, ClientError> {
        self.get("debug_token", &[("input_token", input)]).await
    }

    /// `GET /me`.
    pub async fn me(&self) -> Result<Value, ClientError> {
        self.get("me", &[]).await
    }

    /// Exchanges app credentials for an app access token (`client_credentials`).
    pub async fn app_token(&self, app_id: &str, app_secret: &str) -> Result<String, ClientError> {
        let v: Value = self
            .get(
                "oauth/access_token",
                &[
                    ("grant_type", "client_credentials"),
                    ("client_id", app_id),
                    ("client_secret", app_secret),
                ],
            )
            .await?;
        v.get("access_token")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or(ClientError::Decode {
                status: 200,
                message: "no access_token in the answer".into(),
            })
    }
}
