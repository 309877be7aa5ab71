//! Sending: one message accepted on a number, by MM API (`/marketing_messages`) or Cloud API
//! (`/messages`).
//!
//! Reads like the guide: the number must be registered; the payload is parsed; the template is
//! checked; the route is chosen (MM API when onboarded, else Cloud API unless `STRICT`); on the
//! MM route the template's ad sync must be done; the number's throughput and the recipient
//! pair's rate are taken; then the message is persisted with its planned life, and the steps
//! due at once with their webhooks, in one commit before the caller is answered. Later
//! statuses follow on the platform clock ([`super::lifecycle`]).

use serde_json::{Map, Value, json};
use wamm_domain::onboarding::{WabaOnboardingStatus, waba_status};
use wamm_domain::sending::{
    self, Content, Endpoint, Recipient, Route, SendError, check_template, plan,
};
use wamm_domain::{Message, NewEvent, PhoneNumber, TemplateCategory, ThroughputLevel, Waba};
use wamm_store::{ChangeSet, Put, StoreError};
use wamm_wire::ids::AppId;

use crate::context::Platform;
use crate::webhooks::fanout;

/// The default TTL of a message whose template sets none (30 days).
const DEFAULT_TTL_SECONDS: i64 = 2_592_000;

/// Messages per second a number may send: 20 for coexistence numbers, else by its level.
pub const fn throughput(phone: &PhoneNumber) -> u32 {
    if phone.coexistence {
        20
    } else {
        match phone.throughput {
            ThroughputLevel::Standard => 80,
            ThroughputLevel::High => 1_000,
        }
    }
}

/// One send, as a door received it.
#[derive(Debug)]
pub struct Order<'a> {
    /// The sending number.
    pub phone: &'a PhoneNumber,
    /// Its WABA.
    pub waba: &'a Waba,
    /// The caller's app (statuses go to its subscriptions).
    pub app: AppId,
    /// Which endpoint was called.
    pub endpoint: Endpoint,
    /// The Graph major version of the call (templates' parameter rules and webhooks follow it).
    pub graph_major: u32,
    /// The message payload: `messaging_product`, `to`, `type`, `template`, ….
    pub payload: Map<String, Value>,
}

/// An accepted message.
#[derive(Debug)]
pub struct Sent {
    /// Its wamid.
    pub wamid: String,
    /// The recipient as the caller wrote it.
    pub input: String,
    /// The recipient's WhatsApp ID.
    pub wa_id: String,
    /// Whether it was a template message (Graph then answers `message_status: accepted`).
    pub template: bool,
}

/// Why a send was not accepted.
#[derive(Debug, thiserror::Error)]
pub enum Refused {
    /// A rule of the guide refused it.
    #[error("{}", .0.title)]
    Rule(SendError),
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<SendError> for Refused {
    fn from(e: SendError) -> Self {
        Self::Rule(e)
    }
}

/// Accepts `order` or says why not.
pub async fn send(platform: &Platform, order: Order<'_>) -> Result<Sent, Refused> {
    let Order {
        phone,
        waba,
        app,
        endpoint,
        graph_major,
        payload,
    } = order;
    if !phone.registered {
        return Err(sending::not_registered().into());
    }
    let request = sending::parse(&payload, endpoint)?;
    let now = platform.clock.now();
    let (template, route) = match &request.content {
        Content::Template(reference) => {
            let template = platform
                .store
                .templates_of(waba.id)
                .await?
                .into_iter()
                .find(|t| t.name == reference.name && t.language == reference.language);
            check_template(reference, template.as_ref(), endpoint, graph_major)?;
            let template = template.expect("invariant: check_template found it");
            let route = match endpoint {
                Endpoint::Messages => Route::CloudApi,
                Endpoint::MarketingMessages => {
                    let owner = platform.store.business(waba.owner_business_id).await?;
                    let onboarded = owner.is_some_and(|o| {
                        waba_status(waba, &o, &platform.config.countries, now)
                            == WabaOnboardingStatus::Onboarded
                    });
                    sending::route(onboarded, request.product_policy)?
                }
            };
            if route == Route::MarketingLite {
                // Meta mirrors each marketing template onto an ad; until that sync is done
                // (a new template, or one created before the WABA's setup) MM API refuses it.
                let sync = platform.config.timing.mm_setup_seconds();
                let synced_at = waba
                    .mm_setup_complete_at
                    .unwrap_or(now)
                    .max(template.created_at.plus_seconds(sync));
                if template.ad.is_none() || now < synced_at {
                    return Err(sending::still_syncing().into());
                }
            }
            (Some(template), route)
        }
        Content::Text { .. } => (None, Route::CloudApi),
    };
    let mps = throughput(phone);
    if !platform
        .limits
        .number(phone.id, mps, platform.throughput_ms())
    {
        return Err(sending::throughput_reached(mps).into());
    }
    if !platform.limits.pair(phone.id, &request.to, now.millis()) {
        return Err(sending::pair_rate_hit().into());
    }
    let category = template.as_ref().map(|t| t.category);
    // Marketing TTL is honoured on MM API only; elsewhere undelivered messages live 30 days.
    let ttl = match (&template, route) {
        (Some(t), Route::MarketingLite) => t
            .message_send_ttl_seconds
            .map_or(DEFAULT_TTL_SECONDS, i64::from),
        (Some(t), Route::CloudApi) if t.category != TemplateCategory::Marketing => t
            .message_send_ttl_seconds
            .map_or(DEFAULT_TTL_SECONDS, i64::from),
        _ => DEFAULT_TTL_SECONDS,
    };
    let recipient = Recipient::of(&request.to);
    let steps = plan(
        recipient,
        category == Some(TemplateCategory::Marketing),
        ttl,
    )
    .into_iter()
    .map(|(delay, step)| (now.plus_seconds(delay), step))
    .collect();
    let mut block = platform.minter.block(1).await?;
    let wamid = crate::mint::wamid(&mut block, &request.to);
    let mut message = Message {
        id: wamid.clone(),
        phone_number_id: phone.id,
        waba_id: waba.id,
        app_id: app,
        to: request.to.clone(),
        route,
        category,
        template_id: template.as_ref().map(|t| t.id),
        biz_opaque_callback_data: request.biz_opaque_callback_data.clone(),
        graph_major,
        accepted_at: now,
        status: None,
        steps_done: 0,
        plan: steps,
        timezone_id: Some(waba.timezone_id.clone()),
    };
    let event = NewEvent {
        at: now,
        kind: "message.accepted".into(),
        subject: format!("phone_number:{}", phone.id),
        detail: json!({
            "id": wamid,
            "route": route,
            "endpoint": if endpoint == Endpoint::MarketingMessages { "marketing_messages" } else { "messages" },
            "template": template.as_ref().map(|t| t.name.clone()),
            "recipient": recipient,
        }),
    };
    // Steps due at once (`sent`, or an immediate failure) are taken in the same commit, so
    // their webhooks need no second write.
    let targets = fanout::targets(platform, waba.id, "messages").await?;
    let display = wamm_domain::phone_digits(&phone.display_phone_number);
    let rates = platform.rates();
    let mut changes = ChangeSet::new();
    while message.next_at().is_some_and(|at| at <= now) {
        match super::lifecycle::advance(
            &mut message,
            &display,
            waba.owner_business_id,
            &targets,
            &rates,
        ) {
            Some(taken) => changes = taken.added_to(changes),
            None => break,
        }
    }
    // Persisted before the answer: a crash after a 200 keeps the message, its statuses and
    // what they count for.
    platform
        .commit(changes.put(Put::Message(message)).event(event))
        .await?;
    Ok(Sent {
        wamid,
        input: request.input,
        wa_id: request.to,
        template: template.is_some(),
    })
}
