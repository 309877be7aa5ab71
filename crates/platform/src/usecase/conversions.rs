//! Conversions: a recipient who clicked a message's link goes on to add to cart, check out,
//! buy or open the business's app, and the conversion is attributed to the message (last
//! touch, within the attribution window), counted in its analytics facts.
//!
//! Two doors report conversions, and both count them through [`counted`]: the control API
//! names the message ([`convert`]), and the Conversions API (`POST /{pixel-id}/events`)
//! names the click by the IDs the business's website or app carried along ([`receive`]).
//! A pixel's events are counted only for messages of WABAs its owner business owns; an
//! event with a test code, or one whose ID the pixel saw within the deduplication window, is
//! received and counted nowhere. Each event's outcome is kept for the control API.

use serde_json::{Value, json};
use wamm_domain::capi::{
    self, ActionSource, ClickRef, DEDUP_WINDOW_HOURS, Invalid, Pixel, ReceivedEvent, ServerEvent,
};
use wamm_domain::metrics::{self, Channel, ConversionEvent, Fact, Unattributed};
use wamm_domain::{Message, NewEvent, Timestamp};
use wamm_store::{ChangeSet, Conflict, Guard, Put, StoreError};
use wamm_wire::GraphError;
use wamm_wire::error::kind;

use crate::context::Platform;

/// Why a conversion was not counted.
#[derive(Debug, thiserror::Error)]
pub enum ConvertError {
    /// The message has no click the conversion can be attributed to.
    #[error(transparent)]
    Unattributed(#[from] Unattributed),
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A conversion to count: what the recipient did, where, worth what, and when.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Conversion {
    /// The event.
    pub event: ConversionEvent,
    /// Website or app.
    pub channel: Channel,
    /// A purchase's value, in millionths.
    pub value_micros: i64,
    /// When it happened.
    pub at: Timestamp,
}

/// The fact `conversion` adds to `message` and the change set that counts it, logged at `now`
/// as reported by `source` (`control` or `conversions_api`).
pub fn counted(
    message: &Message,
    conversion: Conversion,
    source: &str,
    now: Timestamp,
) -> Result<(Fact, ChangeSet), Unattributed> {
    let Conversion {
        event,
        channel,
        value_micros,
        at,
    } = conversion;
    let fact = metrics::conversion_fact(message, event, channel, value_micros, at)?;
    let logged = NewEvent {
        at: now,
        kind: "message.converted".into(),
        subject: format!("message:{}", message.id),
        detail: json!({
            "event": format!("{event:?}"),
            "channel": format!("{channel:?}").to_ascii_lowercase(),
            "value": metrics::from_micros(value_micros),
            "counted_on": fact.key.day.start().date(),
            "source": source,
        }),
    };
    Ok((fact, ChangeSet::new().fact(fact).event(logged)))
}

/// Counts `event` on `channel`, worth `value_micros` (purchases), for `message` now (the
/// control API's door).
pub async fn convert(
    platform: &Platform,
    message: &Message,
    event: ConversionEvent,
    channel: Channel,
    value_micros: i64,
) -> Result<Fact, ConvertError> {
    let now = platform.clock.now();
    let conversion = Conversion {
        event,
        channel,
        value_micros,
        at: now,
    };
    let (fact, changes) = counted(message, conversion, "control", now)?;
    platform.commit(changes).await?;
    Ok(fact)
}

/// The Graph error a request with invalid events gets: code 100, the whole request refused.
pub fn refusal(invalid: &Invalid) -> GraphError {
    let (title, subcode) = match invalid {
        Invalid::TooOld(_) => ("Event Timestamp Too Old", Some(2_804_003)),
        Invalid::InFuture(_) => ("Event Timestamp In Future", Some(2_804_004)),
        Invalid::MessagingEventType { .. } => {
            ("Messaging Event Invalid Event Type", Some(2_804_066))
        }
        Invalid::Missing { .. } => ("Missing Parameter", None),
        Invalid::NoEvents
        | Invalid::TooMany(_)
        | Invalid::NotAnEvent(_)
        | Invalid::BadValue { .. } => ("Invalid Parameter", None),
    };
    let error = GraphError::new(400, kind::OAUTH, 100, "Invalid parameter")
        .with_user_message(title, invalid.to_string())
        .transient(false);
    match subcode {
        Some(s) => error.with_subcode(s),
        None => error,
    }
}

/// The refusal of a business messaging event whose `ctwa_clid` names no Click to WhatsApp ad
/// click: wamm serves no such ads, so every one is unknown.
fn unknown_ctwa_clid(index: usize) -> GraphError {
    GraphError::new(400, kind::OAUTH, 100, "Invalid parameter")
        .with_subcode(2_804_087)
        .with_user_message(
            "Invalid Ctwa Clid",
            format!(
                "data[{index}]: user_data.ctwa_clid does not name a click on a Click to WhatsApp ad"
            ),
        )
        .transient(false)
}

/// What became of one received event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Counted for the message, on this UTC day.
    Counted {
        /// The message.
        message_id: String,
        /// The day it counts on (the click's).
        day: String,
    },
    /// Received but attributed to no message, for this reason.
    NotAttributed(String),
    /// Its event ID was seen within the deduplication window: not counted again.
    Duplicate,
    /// Sent with `test_event_code`: shown on the control API, counted nowhere.
    Test,
}

impl Outcome {
    fn text(&self) -> &'static str {
        match self {
            Self::Counted { .. } => "counted",
            Self::NotAttributed(_) => "not_attributed",
            Self::Duplicate => "duplicate",
            Self::Test => "test",
        }
    }
}

/// How a request's events were sent, beside the events themselves.
#[derive(Debug, Clone, Default)]
pub struct Envelope {
    /// `test_event_code`.
    pub test_event_code: Option<String>,
    /// `partner_agent`.
    pub partner_agent: Option<String>,
    /// The request's `fbtrace_id`.
    pub trace: String,
}

/// Receives a request's events on `pixel` (`items`: objects or their JSON text): checks them
/// all (one bad event refuses the request and nothing is counted), then counts each that
/// follows a wamm click of a message of the pixel owner's WABAs, once per event ID within the
/// window. Returns each event's outcome, in order.
pub async fn receive(
    platform: &Platform,
    pixel: &Pixel,
    items: &[Value],
    envelope: &Envelope,
) -> Result<Vec<Outcome>, crate::usecase::Error> {
    let now = platform.clock.now();
    let events = capi::parse_events(items, now).map_err(|e| refusal(&e))?;
    let messaging = |e: &&ServerEvent| e.action_source == ActionSource::BusinessMessaging;
    if let Some(e) = events
        .iter()
        .filter(messaging)
        .find(|e| e.ctwa_clid.is_some())
    {
        return Err(unknown_ctwa_clid(e.index).into());
    }
    let mut outcomes = Vec::with_capacity(events.len());
    for event in &events {
        outcomes.push(receive_one(platform, pixel, event, envelope, now).await?);
    }
    Ok(outcomes)
}

async fn receive_one(
    platform: &Platform,
    pixel: &Pixel,
    event: &ServerEvent,
    envelope: &Envelope,
    now: Timestamp,
) -> Result<Outcome, StoreError> {
    let record =
        |outcome: &Outcome| Put::PixelEvent(received(pixel, event, envelope, outcome, now));
    if envelope.test_event_code.is_some() {
        let outcome = Outcome::Test;
        platform
            .commit(ChangeSet::new().put(record(&outcome)))
            .await?;
        return Ok(outcome);
    }
    let (outcome, counting) = match attribute(platform, pixel, event, now).await? {
        Ok(counted) => (
            Outcome::Counted {
                message_id: counted.message_id,
                day: counted.fact.key.day.start().date(),
            },
            counted.changes,
        ),
        Err(why) => (Outcome::NotAttributed(why), ChangeSet::new()),
    };
    let mut changes = counting.put(record(&outcome));
    if let Some(id) = &event.event_id {
        changes = changes.guard(Guard::EventUnseen {
            pixel: pixel.id,
            event_name: event.event_name.clone(),
            event_id: id.clone(),
            at: now,
            since: now.plus_seconds(-DEDUP_WINDOW_HOURS * 3600),
        });
    }
    match platform.commit(changes).await {
        Ok(_) => Ok(outcome),
        Err(StoreError::Conflict(Conflict::PixelEventSeen)) => {
            let outcome = Outcome::Duplicate;
            platform
                .commit(ChangeSet::new().put(record(&outcome)))
                .await?;
            Ok(outcome)
        }
        Err(e) => Err(e),
    }
}

/// A conversion an event counts for.
struct Attributed {
    /// The message it counts for.
    message_id: String,
    /// What it adds.
    fact: Fact,
    /// The change set that counts it.
    changes: ChangeSet,
}

/// The conversion `event` counts for, or why it counts for none.
async fn attribute(
    platform: &Platform,
    pixel: &Pixel,
    event: &ServerEvent,
    now: Timestamp,
) -> Result<Result<Attributed, String>, StoreError> {
    let Some((kind, channel)) = event.conversion() else {
        return Ok(Err(format!(
            "{} from {} is not a conversion MM API measures",
            event.event_name,
            event.action_source.as_str()
        )));
    };
    let mut click = None;
    for r in event.click_refs() {
        click = match &r {
            ClickRef::Fbclid(f) => platform.store.click_by_fbclid(f).await?,
            ClickRef::CampaignIds(c) => platform.store.click_by_campaign_ids(c).await?,
        };
        if click.is_some() {
            break;
        }
    }
    let Some(click) = click else {
        return Ok(Err(
            "the event carries no click ID of a message's link (user_data.fbc, fbclid in event_source_url, app_data.campaign_ids)".to_owned(),
        ));
    };
    let Some(waba) = platform.store.waba(click.waba_id).await? else {
        return Ok(Err("the clicked message's WABA is gone".to_owned()));
    };
    if waba.owner_business_id != pixel.owner_business_id {
        return Ok(Err(format!(
            "the pixel's owner business is not the owner of WABA {}, which sent the clicked message",
            waba.id
        )));
    }
    let Some(message) = platform.store.message(&click.message_id).await? else {
        return Ok(Err("the clicked message is gone".to_owned()));
    };
    let conversion = Conversion {
        event: kind,
        channel,
        value_micros: event.value_micros,
        at: event.event_time,
    };
    Ok(counted(&message, conversion, "conversions_api", now)
        .map(|(fact, changes)| Attributed {
            message_id: message.id.clone(),
            fact,
            changes,
        })
        .map_err(|e| e.to_string()))
}

/// The record of `event` as received by `pixel` at `now`, with its outcome.
fn received(
    pixel: &Pixel,
    event: &ServerEvent,
    envelope: &Envelope,
    outcome: &Outcome,
    now: Timestamp,
) -> ReceivedEvent {
    let mut detail = json!({
        "received_at": now.rfc3339(),
        "event_name": event.event_name,
        "event_time": event.event_time.rfc3339(),
        "event_id": event.event_id,
        "action_source": event.action_source.as_str(),
        "outcome": outcome.text(),
        "test_event_code": envelope.test_event_code,
        "partner_agent": envelope.partner_agent,
        "fbtrace_id": envelope.trace,
        "event": event.body,
    });
    match outcome {
        Outcome::Counted { message_id, day } => {
            detail["message_id"] = json!(message_id);
            detail["counted_on"] = json!(day);
        }
        Outcome::NotAttributed(reason) => detail["reason"] = json!(reason),
        Outcome::Duplicate => {
            detail["reason"] = json!(format!(
                "event_id seen for {} on this pixel within {DEDUP_WINDOW_HOURS} hours",
                event.event_name
            ));
        }
        Outcome::Test => {}
    }
    ReceivedEvent {
        id: format!("{:013}.{}.{:04}", now.millis(), envelope.trace, event.index),
        pixel_id: pixel.id,
        received_at: now,
        detail,
    }
}
