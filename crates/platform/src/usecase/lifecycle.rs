//! The life of an accepted message on the platform clock: `sent`, `delivered`, `read` or
//! `failed`, link clicks, and expiry at the TTL, each step with its `messages` webhook.
//!
//! Every step is claimed by a store guard on the message's step count, in the transaction that
//! records it, enqueues its webhook, adds its analytics fact and indexes a click by its click
//! IDs, so replicas never send a status (or count a step) twice and a restart picks up where
//! the last commit left off.

use std::collections::HashMap;

use serde_json::Value;
use wamm_domain::bsuid::bsuid;
use wamm_domain::capi::Click;
use wamm_domain::metrics::{self, Fact, PricingCategory, RateCard};
use wamm_domain::sending::{Route, Step, failure_text};
use wamm_domain::{Message, Timestamp};
use wamm_store::{ChangeSet, Conflict, Guard, Put, StoreError};
use wamm_wire::ids::{BusinessId, PhoneNumberId, WabaId};
use wamm_wire::webhooks as wire;

use crate::context::Platform;
use crate::webhooks::fanout;

/// How many due messages one pass takes.
const BATCH: i64 = 500;

/// The `pricing.category` (and `conversation.origin.type`) of a message.
pub fn pricing_category(message: &Message) -> &'static str {
    PricingCategory::of(message.route, message.category).as_str()
}

fn pricing(message: &Message) -> wire::Pricing {
    let category = pricing_category(message);
    let service = category == "service";
    wire::Pricing {
        billable: Some(!service),
        pricing_model: Some(wire::PricingModel::Pmp),
        kind: Some(if service {
            wire::PricingType::FreeCustomerService
        } else {
            wire::PricingType::Regular
        }),
        category: Some(wire::PricingCategory::from_wire(category)),
    }
}

/// The `messages` change for `step` of `message`, sent from `display` (digits) by a WABA of
/// `business`, or `None` when the step is silent (expiry; clicks on messages that did not go
/// through MM API).
///
/// `sent`, `delivered` and `read` name the recipient in `contacts` (number and business-scoped
/// user ID) and carry `recipient_user_id`, as Meta sends them since the BSUID rollout. `failed`
/// carries neither: Meta omits `contacts` from failed statuses, and `recipient_user_id` too
/// when the message went to a phone number, which is the only way this platform sends.
pub fn change(
    message: &Message,
    display: &str,
    business: BusinessId,
    step: Step,
    at: Timestamp,
) -> Option<Value> {
    let metadata = wire::Metadata {
        display_phone_number: Some(display.to_owned()),
        phone_number_id: Some(message.phone_number_id.to_string()),
    };
    let status = match step {
        Step::Expired => return None,
        Step::Click if message.route != Route::MarketingLite => return None,
        Step::Click => {
            return Some(wire::to_value(&wire::MessagesValue {
                messaging_product: Some("whatsapp".to_owned()),
                metadata,
                user_actions: vec![wire::UserActionItem {
                    action_type: wire::UserActionKind::MarketingMessagesLinkClick,
                    timestamp: Some(at.unix_seconds()),
                    marketing_messages_link_click_data: Some(wire::LinkClick {
                        click_component: Some(wire::ClickComponent::Cta),
                        click_id: Some(format!(
                            "{}.{}",
                            message.id.trim_start_matches("wamid."),
                            at.unix_seconds()
                        )),
                        product_id: None,
                        tracking_token: None,
                    }),
                }],
                ..wire::MessagesValue::default()
            }));
        }
        Step::Sent | Step::Delivered | Step::Read | Step::Failed(_) => step.status()?,
    };
    let failed = matches!(step, Step::Failed(_));
    let user_id = bsuid(business, &message.to);
    let mut item = wire::StatusItem {
        id: Some(message.id.clone()),
        status: wire::DeliveryStatus::from_wire(status),
        timestamp: Some(at.unix_seconds()),
        recipient_id: Some(message.to.clone()),
        recipient_user_id: (!failed).then(|| user_id.clone()),
        recipient_parent_user_id: None,
        biz_opaque_callback_data: message.biz_opaque_callback_data.clone(),
        conversation: None,
        pricing: None,
        errors: Vec::new(),
    };
    if let Step::Failed(code) = step {
        let (title, details) = failure_text(code);
        item.errors = vec![wire::StatusError {
            code: Some(code),
            title: Some(title.to_owned()),
            message: Some(title.to_owned()),
            details: Some(details.to_owned()),
            href: Some(
                "https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/"
                    .to_owned(),
            ),
        }];
    } else if matches!(step, Step::Sent | Step::Delivered) {
        // Pricing comes with `sent` and with `delivered`; Graph v24.0 dropped the
        // per-message conversation object.
        if message.graph_major <= 23 {
            item.conversation = Some(wire::Conversation {
                id: Some(format!("{:x}", fxhash(&message.id))),
                expiration_timestamp: (step == Step::Sent)
                    .then(|| message.accepted_at.plus_seconds(86_400).unix_seconds()),
                origin_type: Some(wire::PricingCategory::from_wire(pricing_category(message))),
            });
        }
        item.pricing = Some(pricing(message));
    }
    let contacts = if failed {
        Vec::new()
    } else {
        vec![wire::StatusContact {
            wa_id: Some(message.to.clone()),
            user_id: Some(user_id),
            ..wire::StatusContact::default()
        }]
    };
    Some(wire::to_value(&wire::MessagesValue {
        messaging_product: Some("whatsapp".to_owned()),
        metadata,
        contacts,
        statuses: vec![item],
        user_actions: Vec::new(),
    }))
}

/// A stable 64-bit hash for conversation IDs (FNV-1a).
fn fxhash(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Applies every message step due by now; returns how many steps were taken.
///
/// Passes take turns through [`Platform::steps`]. A pass commits its steps together (one
/// transaction, one guard per message); when another replica took one of them first, the pass
/// reads what is still due and commits it message by message.
pub async fn run_due(state: &Platform) -> Result<usize, StoreError> {
    // One pass at a time; a history replay holds the gate until its past is taken.
    let _gate = state.steps.lock().await;
    let mut taken = 0;
    let mut pass = Pass::default();
    loop {
        let due = state.store.messages_due(state.clock.now(), BATCH).await?;
        if due.is_empty() {
            return Ok(taken);
        }
        let count = due.len();
        let steps = pass.steps(state, due).await?;
        let claimed = steps.len();
        let together = steps.into_iter().fold(ChangeSet::new(), ChangeSet::merge);
        match state.commit(together).await {
            Ok(_) => taken += claimed,
            Err(StoreError::Conflict(Conflict::MessageStepClaimed)) => {
                let due = state.store.messages_due(state.clock.now(), BATCH).await?;
                for changes in pass.steps(state, due).await? {
                    match state.commit(changes).await {
                        Ok(_) => taken += 1,
                        Err(StoreError::Conflict(Conflict::MessageStepClaimed)) => {}
                        Err(e) => return Err(e),
                    }
                }
            }
            Err(e) => return Err(e),
        }
        if i64::try_from(count).unwrap_or(i64::MAX) < BATCH {
            return Ok(taken);
        }
    }
}

/// What a pass looked up once and reuses for every message: numbers' display digits, WABAs'
/// webhook targets and owner businesses.
#[derive(Default)]
struct Pass {
    displays: HashMap<PhoneNumberId, String>,
    targets: HashMap<WabaId, Vec<fanout::Target>>,
    businesses: HashMap<WabaId, BusinessId>,
}

impl Pass {
    /// The next step of each message in `due`, each as a change set claimed by its guard.
    async fn steps(
        &mut self,
        state: &Platform,
        due: Vec<Message>,
    ) -> Result<Vec<ChangeSet>, StoreError> {
        use std::collections::hash_map::Entry;
        let rates = state.rates();
        let mut steps = Vec::with_capacity(due.len());
        for message in due {
            if let Entry::Vacant(slot) = self.displays.entry(message.phone_number_id) {
                let digits = state
                    .store
                    .phone_number(message.phone_number_id)
                    .await?
                    .map(|p| wamm_domain::phone_digits(&p.display_phone_number))
                    .unwrap_or_default();
                slot.insert(digits);
            }
            if let Entry::Vacant(slot) = self.targets.entry(message.waba_id) {
                slot.insert(fanout::targets(state, message.waba_id, "messages").await?);
            }
            if let Entry::Vacant(slot) = self.businesses.entry(message.waba_id) {
                // A WABA that is gone leaves its messages' BSUIDs under business 0: still
                // stable, and no status of it reaches anyone (it has no subscribers).
                let business = state
                    .store
                    .waba(message.waba_id)
                    .await?
                    .map_or(BusinessId::new(0), |w| w.owner_business_id);
                slot.insert(business);
            }
            let display = &self.displays[&message.phone_number_id];
            let business = self.businesses[&message.waba_id];
            let to = self
                .targets
                .get(&message.waba_id)
                .map_or(&[][..], Vec::as_slice);
            if let Some(changes) = step_changes(message, display, business, to, &rates) {
                steps.push(changes);
            }
        }
        Ok(steps)
    }
}

/// The next step of `message` as a change set claimed by its guard, with its webhook to
/// `targets` and its fact; `None` when nothing is left to do. The guard is the step's whole
/// write to the message: the count of steps and when the next is due.
fn step_changes(
    mut message: Message,
    display: &str,
    business: BusinessId,
    targets: &[fanout::Target],
    rates: &RateCard,
) -> Option<ChangeSet> {
    let done = message.steps_done;
    let step = advance(&mut message, display, business, targets, rates)?;
    let next_at = message.next_at();
    let changes = ChangeSet::new().guard(Guard::MessageStep {
        id: message.id,
        done,
        next_at,
    });
    Some(step.added_to(changes))
}

/// What taking one step produced.
#[derive(Debug)]
pub struct Taken {
    /// Its webhooks (none for a silent step).
    pub webhooks: Vec<wamm_domain::NewWebhook>,
    /// What it counts for in analytics (nothing for expiry).
    pub fact: Option<Fact>,
    /// A link click, for the click index (Conversions API events find their message by it).
    pub click: Option<Click>,
}

impl Taken {
    /// `changes` with the step's webhooks, fact and click index entry added.
    pub fn added_to(self, changes: ChangeSet) -> ChangeSet {
        let changes = changes.webhooks(self.webhooks).facts(self.fact);
        match self.click {
            Some(click) => changes.put(Put::Click(click)),
            None => changes,
        }
    }
}

/// Takes the next step of `message`: counts it done, sets the status it leaves, and returns
/// its webhooks to `targets` and its fact, priced by `rates`; `None` when nothing is left to
/// do. `business` is the client business of the message's WABA, whose BSUIDs the webhooks
/// carry.
pub fn advance(
    message: &mut Message,
    display: &str,
    business: BusinessId,
    targets: &[fanout::Target],
    rates: &RateCard,
) -> Option<Taken> {
    let index = usize::try_from(message.steps_done).unwrap_or(usize::MAX);
    let &(at, step) = message.plan.get(index)?;
    let first_click = metrics::is_first_click(message, index);
    message.steps_done += 1;
    if let Some(text) = step.status() {
        message.status = Some(text.to_owned());
    }
    let webhooks = match change(message, display, business, step, at) {
        Some(value) => fanout::deliveries(targets, message.waba_id, "messages", &value, at),
        None => Vec::new(),
    };
    let fact = metrics::step_fact(message, step, at, first_click, rates);
    let click = (step == Step::Click).then(|| Click::of(message, at));
    Some(Taken {
        webhooks,
        fact,
        click,
    })
}

/// Adds `step` for `message` to happen at `at` (a control API action: the recipient reads or
/// clicks now), keeping the plan in time order. Steps already done stay as they are.
pub fn schedule(message: &mut Message, step: Step, at: Timestamp) {
    let done = usize::try_from(message.steps_done).unwrap_or(usize::MAX);
    let pending = message.plan.split_off(done.min(message.plan.len()));
    let mut pending: Vec<_> = pending.into_iter().filter(|(_, s)| *s != step).collect();
    pending.push((at, step));
    pending.sort_by_key(|(t, _)| *t);
    message.plan.extend(pending);
}

/// The recipient reads `message` (or clicks its link, which reads it first) now; the steps
/// and their webhooks are taken at once.
pub async fn recipient_acts(
    platform: &Platform,
    mut message: Message,
    step: Step,
) -> Result<(), StoreError> {
    let now = platform.clock.now();
    let already_read = message.status.as_deref() == Some("read")
        || message.plan[..usize::try_from(message.steps_done)
            .unwrap_or(0)
            .min(message.plan.len())]
            .iter()
            .any(|(_, s)| *s == Step::Read);
    if step == Step::Click && !already_read {
        schedule(&mut message, Step::Read, now);
    }
    schedule(&mut message, step, now);
    platform
        .commit(ChangeSet::new().put(Put::Message(message)))
        .await?;
    run_due(platform).await.map(|_| ())
}
