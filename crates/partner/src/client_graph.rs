//! The Graph port over `wamm-client`: the orchestrator's calls against real Graph or a wamm
//! platform, with the client's retries and `appsecret_proof`.

use wamm_client::{
    ClientError, GraphClient, RegisterRequest, SendRequest, SendTemplate, SubscribeRequest,
    TemplateComponent, Waba, WabaQuery,
};
use wamm_wire::ids::BusinessId;

use crate::graph::{Endpoint, GraphFailure, IntentOutcome, PartnerGraph, RemoteWaba};
use crate::send::SendOrder;
use crate::stage::WabaStatus;
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

/// A WABA as the orchestrator records it, with its first registered number.
async fn remote(client: &GraphClient, w: Waba) -> Result<RemoteWaba, GraphFailure> {
    let phones = client
        .list_phone_numbers(w.id)
        .await
        .map_err(|e| failure(&e))?;
    let registered = phones
        .iter()
        .find(|p| p.platform_type.as_deref() == Some("CLOUD_API"))
        .map(|p| p.id.to_string());
    let owner = w.owner_business_info.as_ref();
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
        let wabas = self
            .client
            .list_client_wabas(self.partner, &WabaQuery::all().limit(100))
            .await
            .map_err(|e| failure(&e))?;
        let mut out = Vec::with_capacity(wabas.len());
        for w in wabas {
            out.push(remote(&self.client, w).await?);
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
