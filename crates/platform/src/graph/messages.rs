//! `POST /{phone-number-id}/marketing_messages` and Cloud API `POST /{phone-number-id}/messages`.
//!
//! A handler that reads like the guide: authorise the token on the number's WABA, parse the
//! payload, check the template, route (MM API when onboarded, else Cloud API unless `STRICT`),
//! check the template's ad sync on the MM route, take the number's throughput and the
//! recipient pair's rate, then persist the message with its planned life (and the steps due at
//! once, with their webhooks) before answering. Later statuses follow on the platform clock
//! ([`crate::lifecycle`]).

use std::collections::HashMap;
use std::sync::Mutex;

use serde_json::{Map, Value, json};
use wamm_domain::onboarding::{WabaOnboardingStatus, waba_status};
use wamm_domain::sending::{
    self, Content, Endpoint, Recipient, Route, SendError, check_template, plan,
};
use wamm_domain::{Message, NewEvent, PhoneNumber, TemplateCategory, ThroughputLevel, Waba};
use wamm_store::{ChangeSet, Put};
use wamm_wire::GraphError;
use wamm_wire::ids::PhoneNumberId;

use super::reply::{ApiResult, Reply};
use super::request::GraphRequest;
use super::routes::Ctx;
use crate::webhooks::fanout;

/// The default TTL of a message whose template sets none (30 days).
const DEFAULT_TTL_SECONDS: i64 = 2_592_000;
/// Pair rate: one message per 6 seconds to a recipient, with bursts of up to 45.
const PAIR_BURST: f64 = 45.0;
const PAIR_REFILL_MS: f64 = 6_000.0;

/// A token bucket.
#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at_ms: i64,
}

impl Bucket {
    /// Takes one token at `now_ms` from a bucket of `capacity` refilling one per `refill_ms`.
    fn take(slot: &mut Option<Self>, capacity: f64, refill_ms: f64, now_ms: i64) -> bool {
        let b = slot.get_or_insert(Self {
            tokens: capacity,
            at_ms: now_ms,
        });
        // Elapsed time is tiny next to 2^52 ms, so the conversion loses nothing.
        #[expect(
            clippy::cast_precision_loss,
            reason = "millisecond spans are far below 2^52"
        )]
        let elapsed = now_ms.saturating_sub(b.at_ms).max(0) as f64;
        b.tokens = (b.tokens + elapsed / refill_ms).min(capacity);
        b.at_ms = now_ms.max(b.at_ms);
        if b.tokens >= 1.0 {
            b.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

/// Per-process send limits: messages per second per number (wall clock) and the pair rate
/// per (number, recipient) (platform clock, so tests can move it).
#[derive(Debug, Default)]
pub struct SendLimits {
    numbers: Mutex<HashMap<PhoneNumberId, Bucket>>,
    pairs: Mutex<HashMap<(PhoneNumberId, String), Bucket>>,
}

/// Takes one token from the bucket of `key` in `map`.
fn take_from<K: Eq + std::hash::Hash>(
    map: &Mutex<HashMap<K, Bucket>>,
    key: K,
    capacity: f64,
    refill_ms: f64,
    now_ms: i64,
) -> bool {
    let mut map = map
        .lock()
        .expect("invariant: limits lock is never poisoned");
    let mut slot = map.get(&key).copied();
    let ok = Bucket::take(&mut slot, capacity, refill_ms, now_ms);
    if let Some(b) = slot {
        map.insert(key, b);
    }
    ok
}

impl SendLimits {
    fn number(&self, phone: PhoneNumberId, mps: u32, now_ms: i64) -> bool {
        take_from(
            &self.numbers,
            phone,
            f64::from(mps),
            1_000.0 / f64::from(mps),
            now_ms,
        )
    }

    fn pair(&self, phone: PhoneNumberId, to: &str, now_ms: i64) -> bool {
        take_from(
            &self.pairs,
            (phone, to.to_owned()),
            PAIR_BURST,
            PAIR_REFILL_MS,
            now_ms,
        )
    }
}

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

fn graph(e: &SendError) -> GraphError {
    GraphError::new(
        e.status,
        wamm_wire::error::kind::OAUTH,
        e.code,
        format!("(#{}) {}", e.code, e.title),
    )
    .with_details(e.details.clone())
}

/// The payload without the transport's own parameters.
fn payload(req: &GraphRequest) -> Map<String, Value> {
    let mut map = Map::new();
    for key in [
        "messaging_product",
        "recipient_type",
        "to",
        "type",
        "template",
        "text",
        "product_policy",
        "message_activity_sharing",
        "biz_opaque_callback_data",
    ] {
        if let Some(v) = req.params.get(key) {
            map.insert(key.to_owned(), v.clone());
        }
    }
    map
}

/// `POST /{phone-number-id}/marketing_messages` or `/messages`.
pub async fn send(c: Ctx<'_>, phone: &PhoneNumber, waba: &Waba, endpoint: Endpoint) -> ApiResult {
    let Ctx { state, req, caller } = c;
    if !phone.registered {
        return Err(GraphError::new(
            400,
            wamm_wire::error::kind::OAUTH,
            133_010,
            "(#133010) Account not registered",
        )
        .with_details("The phone number is not registered on Cloud API; call /register first.")
        .into());
    }
    let request = sending::parse(&payload(req), endpoint).map_err(|e| graph(&e))?;
    let now = state.clock.now();
    let (template, route) = match &request.content {
        Content::Template(reference) => {
            let template = state
                .store
                .templates_of(waba.id)
                .await?
                .into_iter()
                .find(|t| t.name == reference.name && t.language == reference.language);
            check_template(
                reference,
                template.as_ref(),
                endpoint,
                u32::from(req.version.major),
            )
            .map_err(|e| graph(&e))?;
            let template = template.expect("invariant: check_template found it");
            let route = match endpoint {
                Endpoint::Messages => Route::CloudApi,
                Endpoint::MarketingMessages => {
                    let owner = state.store.business(waba.owner_business_id).await?;
                    let onboarded = owner.is_some_and(|o| {
                        waba_status(waba, &o, &state.config.countries, now)
                            == WabaOnboardingStatus::Onboarded
                    });
                    sending::route(onboarded, request.product_policy).map_err(|e| graph(&e))?
                }
            };
            if route == Route::MarketingLite {
                // Meta mirrors each marketing template onto an ad; until that sync is done
                // (a new template, or one created before the WABA's setup) MM API refuses it.
                let sync = state.config.timing.mm_setup_seconds();
                let synced_at = waba
                    .mm_setup_complete_at
                    .unwrap_or(now)
                    .max(template.created_at.plus_seconds(sync));
                if template.ad.is_none() || now < synced_at {
                    return Err(graph(&sending::still_syncing()).into());
                }
            }
            (Some(template), route)
        }
        Content::Text { .. } => (None, Route::CloudApi),
    };
    let mps = throughput(phone);
    if !state.limits.number(phone.id, mps, crate::clock::wall_ms()) {
        return Err(graph(&sending::throughput_reached(mps)).into());
    }
    if !state.limits.pair(phone.id, &request.to, now.millis()) {
        return Err(graph(&sending::pair_rate_hit()).into());
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
    let mut block = state.minter.block(1).await?;
    let wamid = crate::mint::wamid(&mut block, &request.to);
    let mut message = Message {
        id: wamid.clone(),
        phone_number_id: phone.id,
        waba_id: waba.id,
        app_id: caller.app.id,
        to: request.to.clone(),
        route,
        category,
        template_id: template.as_ref().map(|t| t.id),
        biz_opaque_callback_data: request.biz_opaque_callback_data.clone(),
        graph_major: u32::from(req.version.major),
        accepted_at: now,
        status: None,
        steps_done: 0,
        plan: steps,
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
    let targets = fanout::targets(state, waba.id, "messages").await?;
    let display = wamm_domain::phone_digits(&phone.display_phone_number);
    let mut webhooks = Vec::new();
    while message.next_at().is_some_and(|at| at <= now) {
        match crate::lifecycle::advance(&mut message, &display, waba.owner_business_id, &targets) {
            Some(more) => webhooks.extend(more),
            None => break,
        }
    }
    // Persisted before the answer: a crash after a 200 keeps the message and its statuses.
    state
        .commit(
            ChangeSet::new()
                .put(Put::Message(message))
                .event(event)
                .webhooks(webhooks),
        )
        .await?;
    let mut entry = json!({ "id": wamid });
    if template.is_some() {
        entry["message_status"] = json!("accepted");
    }
    Ok(Reply::json(json!({
        "messaging_product": "whatsapp",
        "contacts": [{ "input": request.input, "wa_id": request.to }],
        "messages": [entry],
    }))
    .about(waba.id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_refill_and_cap() {
        let mut slot = None;
        for _ in 0..3 {
            assert!(Bucket::take(&mut slot, 3.0, 1_000.0, 0));
        }
        assert!(!Bucket::take(&mut slot, 3.0, 1_000.0, 0));
        assert!(Bucket::take(&mut slot, 3.0, 1_000.0, 1_000));
        assert!(!Bucket::take(&mut slot, 3.0, 1_000.0, 1_500));
        // A long pause refills to the cap, not beyond.
        for _ in 0..3 {
            assert!(Bucket::take(&mut slot, 3.0, 1_000.0, 100_000));
        }
        assert!(!Bucket::take(&mut slot, 3.0, 1_000.0, 100_000));
    }

    #[test]
    fn pair_rate_is_one_per_six_seconds_with_bursts() {
        let limits = SendLimits::default();
        let phone = PhoneNumberId::new(1);
        let sent = (0..50).filter(|_| limits.pair(phone, "1555", 0)).count();
        assert_eq!(sent, 45);
        assert!(!limits.pair(phone, "1555", 5_999));
        assert!(limits.pair(phone, "1555", 6_001));
        assert!(
            limits.pair(phone, "1666", 6_001),
            "another recipient has its own budget"
        );
    }
}
