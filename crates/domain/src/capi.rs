//! The Conversions API side of conversion measurement, as pure rules.
//!
//! A business reports what recipients did on its website or in its app to a Meta Pixel (a
//! dataset: one ID names both) with `POST /{pixel-id}/events`. Each event is checked the way
//! Meta's parameter pages describe it ([`parse_events`]): a request with one bad event fails
//! whole. An event that carries a click ID wamm issued (`user_data.fbc`, `fbclid=` in
//! `event_source_url`, or an app's `app_data.campaign_ids`) names the message whose link was
//! clicked ([`ServerEvent::click_refs`]); the platform then counts the conversion on that
//! message through [`crate::metrics::conversion_fact`].
//!
//! Every click is indexed by its fbclid and by the opaque `campaign_ids` value an app deep
//! link would carry ([`Click`]), so an event finds its message without a scan.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use wamm_wire::ids::{BusinessId, PixelId, WabaId};

use crate::Message;
use crate::metrics::{Channel, ConversionEvent, click_id};
use crate::time::Timestamp;

/// Most events one request may carry.
pub const MAX_EVENTS: usize = 1000;
/// How old an event may be, in days, for the request to be accepted.
pub const MAX_AGE_DAYS: i64 = 7;
/// How far in the future an event's time may be (clock skew), in seconds.
pub const FUTURE_TOLERANCE_SECONDS: i64 = 600;
/// How long an `event_id` deduplicates later events of the same name on the same pixel, in
/// hours.
pub const DEDUP_WINDOW_HOURS: i64 = 48;

/// The event names Meta accepts with `action_source: business_messaging`.
pub const MESSAGING_EVENT_NAMES: [&str; 5] = [
    "LeadSubmitted",
    "Purchase",
    "AddToCart",
    "InitiateCheckout",
    "ViewContent",
];

/// A Meta Pixel, which is also the business's dataset (the same ID).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pixel {
    /// The pixel (and dataset) ID.
    pub id: PixelId,
    /// Its name.
    pub name: String,
    /// The business portfolio that owns it.
    pub owner_business_id: BusinessId,
    /// The website domains it reports events for.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub domains: Vec<String>,
    /// Whether `POST /{waba-id}/dataset` created it: a business has at most one such dataset.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub dataset: bool,
    /// When it was created.
    pub created_at: Timestamp,
}

/// One click of a message's link, as the click index keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Click {
    /// The click ID appended to the URL (`fbclid`).
    pub fbclid: String,
    /// The opaque value an app deep link of the click carries as `campaign_ids`.
    pub campaign_ids: String,
    /// The clicked message.
    pub message_id: String,
    /// The message's WABA.
    pub waba_id: WabaId,
    /// When the recipient clicked.
    pub at: Timestamp,
}

impl Click {
    /// The click of `message` at `at`.
    pub fn of(message: &Message, at: Timestamp) -> Self {
        let fbclid = click_id(&message.id, at);
        Self {
            campaign_ids: campaign_ids(&fbclid),
            fbclid,
            message_id: message.id.clone(),
            waba_id: message.waba_id,
            at,
        }
    }
}

/// An event a pixel received, as the control API lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReceivedEvent {
    /// Its ID: orders a pixel's events by arrival.
    pub id: String,
    /// The pixel that received it.
    pub pixel_id: PixelId,
    /// When it was received (platform clock).
    pub received_at: Timestamp,
    /// What it was and what became of it.
    pub detail: Value,
}

/// The `campaign_ids` value an app deep link (`al_applink_data`) carries for the click with
/// `fbclid`: opaque to the app, which sends it back in `app_data.campaign_ids`; `ci.` and 40
/// hexadecimal digits.
pub fn campaign_ids(fbclid: &str) -> String {
    use sha2::{Digest as _, Sha256};
    let digest = Sha256::digest(format!("campaign_ids|{fbclid}"));
    let hex: String = digest.iter().take(20).map(|b| format!("{b:02x}")).collect();
    format!("ci.{hex}")
}

/// The click IDs a `user_data.fbc` value may carry: `fb.<subdomainIndex>.<creationTime>.<fbclid>`
/// names its fbclid after the third dot; when more dot-separated parts follow, the last one is
/// tried too. Empty when the value does not have that form.
pub fn fbclids_of_fbc(fbc: &str) -> Vec<&str> {
    let mut parts = fbc.splitn(4, '.');
    let (Some("fb"), Some(index), Some(created), Some(rest)) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Vec::new();
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(index) || !digits(created) || rest.is_empty() {
        return Vec::new();
    }
    let first = rest.split('.').next().unwrap_or(rest);
    let last = rest.rsplit('.').next().unwrap_or(rest);
    let mut ids = vec![first];
    if last != first && !last.is_empty() {
        ids.push(last);
    }
    ids.retain(|s| !s.is_empty());
    ids
}

/// The `fbclid` query parameter of `url`, if it has one.
pub fn fbclid_of_url(url: &str) -> Option<&str> {
    let without_fragment = url.split('#').next().unwrap_or(url);
    let (_, query) = without_fragment.split_once('?')?;
    query
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .find(|(k, _)| *k == "fbclid")
        .map(|(_, v)| v)
        .filter(|v| !v.is_empty())
}

/// Where a conversion happened, as `action_source` says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionSource {
    /// `website`.
    Website,
    /// `app`.
    App,
    /// `business_messaging`.
    BusinessMessaging,
    /// `email`.
    Email,
    /// `phone_call`.
    PhoneCall,
    /// `chat`.
    Chat,
    /// `physical_store`.
    PhysicalStore,
    /// `system_generated`.
    SystemGenerated,
    /// `other`.
    Other,
}

impl ActionSource {
    /// Every action source, in Meta's parameter page order.
    pub const ALL: [Self; 9] = [
        Self::Email,
        Self::Website,
        Self::App,
        Self::PhoneCall,
        Self::Chat,
        Self::PhysicalStore,
        Self::SystemGenerated,
        Self::BusinessMessaging,
        Self::Other,
    ];

    /// The wire text.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Website => "website",
            Self::App => "app",
            Self::BusinessMessaging => "business_messaging",
            Self::Email => "email",
            Self::PhoneCall => "phone_call",
            Self::Chat => "chat",
            Self::PhysicalStore => "physical_store",
            Self::SystemGenerated => "system_generated",
            Self::Other => "other",
        }
    }

    /// The action source `text` names.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }
}

/// One event of a request, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct ServerEvent {
    /// Its position in `data`.
    pub index: usize,
    /// `event_name`.
    pub event_name: String,
    /// `event_time`.
    pub event_time: Timestamp,
    /// `event_id`, for deduplication.
    pub event_id: Option<String>,
    /// `action_source`.
    pub action_source: ActionSource,
    /// `event_source_url`.
    pub event_source_url: Option<String>,
    /// `user_data.fbc`.
    pub fbc: Option<String>,
    /// `user_data.ctwa_clid` (business messaging).
    pub ctwa_clid: Option<String>,
    /// `app_data.campaign_ids`.
    pub campaign_ids: Option<String>,
    /// `custom_data.value`, in millionths.
    pub value_micros: i64,
    /// `custom_data.currency`, upper case.
    pub currency: Option<String>,
    /// The event as sent.
    pub body: Value,
}

/// What identifies the click an event follows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClickRef {
    /// A web event's fbclid.
    Fbclid(String),
    /// An app event's `campaign_ids`.
    CampaignIds(String),
}

impl ServerEvent {
    /// The MM API conversion this event is, if it is one: a website or app `AddToCart`,
    /// `InitiateCheckout` or `Purchase`, or an app's `ActivateApp`.
    pub fn conversion(&self) -> Option<(ConversionEvent, Channel)> {
        let channel = match self.action_source {
            ActionSource::Website => Channel::Website,
            ActionSource::App => Channel::App,
            _ => return None,
        };
        let event = ConversionEvent::parse(&self.event_name)?;
        (event != ConversionEvent::ActivateApp || channel == Channel::App)
            .then_some((event, channel))
    }

    /// The click IDs the event carries, most specific first: for a web event the fbclid of
    /// `user_data.fbc`, then `fbclid=` of `event_source_url`; for an app event its
    /// `app_data.campaign_ids`. Nothing else (no matching on customer information).
    pub fn click_refs(&self) -> Vec<ClickRef> {
        let mut refs = Vec::new();
        match self.action_source {
            ActionSource::Website => {
                if let Some(fbc) = &self.fbc {
                    refs.extend(
                        fbclids_of_fbc(fbc)
                            .into_iter()
                            .map(|f| ClickRef::Fbclid(f.to_owned())),
                    );
                }
                if let Some(f) = self.event_source_url.as_deref().and_then(fbclid_of_url) {
                    let f = ClickRef::Fbclid(f.to_owned());
                    if !refs.contains(&f) {
                        refs.push(f);
                    }
                }
            }
            ActionSource::App => {
                if let Some(c) = &self.campaign_ids {
                    refs.push(ClickRef::CampaignIds(c.clone()));
                }
            }
            _ => {}
        }
        refs
    }
}

/// Why a request's events were refused (the whole request fails).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Invalid {
    /// `data` is missing, not a list, or empty.
    #[error("param data must be a non-empty list of events")]
    NoEvents,
    /// More than [`MAX_EVENTS`] events.
    #[error("param data holds {0} events; a request may carry at most {MAX_EVENTS}")]
    TooMany(usize),
    /// An item of `data` is not an event object (nor JSON text of one).
    #[error("data[{0}] must be an event object or its JSON text")]
    NotAnEvent(usize),
    /// A required parameter is absent or empty.
    #[error("data[{index}]: the parameter {field} is required")]
    Missing {
        /// The event's position.
        index: usize,
        /// The parameter.
        field: &'static str,
    },
    /// A parameter has a value Meta does not accept.
    #[error("data[{index}]: {field} {why}")]
    BadValue {
        /// The event's position.
        index: usize,
        /// The parameter.
        field: &'static str,
        /// What is wrong with it.
        why: String,
    },
    /// `event_time` is more than [`MAX_AGE_DAYS`] days ago.
    #[error(
        "data[{0}]: event_time is more than {MAX_AGE_DAYS} days in the past; events must be sent within {MAX_AGE_DAYS} days of when they occurred"
    )]
    TooOld(usize),
    /// `event_time` is further in the future than [`FUTURE_TOLERANCE_SECONDS`].
    #[error("data[{0}]: event_time is in the future")]
    InFuture(usize),
    /// A business messaging event with a name Meta does not take for business messaging.
    #[error(
        "data[{index}]: {name} is not an event name of business messaging; use one of LeadSubmitted, Purchase, AddToCart, InitiateCheckout, ViewContent"
    )]
    MessagingEventType {
        /// The event's position.
        index: usize,
        /// The name sent.
        name: String,
    },
}

/// Reads and checks the events of a request at `now`: each item an event object, or its JSON
/// text (Meta's SDKs send `data` as a list of JSON-encoded strings).
pub fn parse_events(items: &[Value], now: Timestamp) -> Result<Vec<ServerEvent>, Invalid> {
    if items.is_empty() {
        return Err(Invalid::NoEvents);
    }
    if items.len() > MAX_EVENTS {
        return Err(Invalid::TooMany(items.len()));
    }
    items
        .iter()
        .enumerate()
        .map(|(index, item)| {
            let object = match item {
                Value::Object(o) => o.clone(),
                Value::String(text) => match serde_json::from_str::<Value>(text) {
                    Ok(Value::Object(o)) => o,
                    _ => return Err(Invalid::NotAnEvent(index)),
                },
                _ => return Err(Invalid::NotAnEvent(index)),
            };
            parse_event(index, object, now)
        })
        .collect()
}

/// Text of a string (or number) value; `None` for anything else or blank text.
fn text(value: Option<&Value>) -> Option<String> {
    match value? {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn parse_event(
    index: usize,
    event: Map<String, Value>,
    now: Timestamp,
) -> Result<ServerEvent, Invalid> {
    let missing = |field| Invalid::Missing { index, field };
    let bad = |field, why: &str| Invalid::BadValue {
        index,
        field,
        why: why.to_owned(),
    };
    let event_name = text(event.get("event_name")).ok_or(missing("event_name"))?;
    let seconds = match event.get("event_time") {
        None | Some(Value::Null) => return Err(missing("event_time")),
        Some(Value::Number(n)) => n.as_i64(),
        Some(Value::String(s)) => s.trim().parse::<i64>().ok(),
        Some(_) => None,
    }
    .filter(|s| *s >= 0)
    .ok_or_else(|| bad("event_time", "must be a Unix timestamp in seconds"))?;
    let event_time = seconds
        .checked_mul(1000)
        .map(Timestamp::from_millis)
        .ok_or_else(|| bad("event_time", "is out of range"))?;
    let age = now.millis() - event_time.millis();
    if age > MAX_AGE_DAYS * 86_400_000 {
        return Err(Invalid::TooOld(index));
    }
    if -age > FUTURE_TOLERANCE_SECONDS * 1000 {
        return Err(Invalid::InFuture(index));
    }
    let source_text = text(event.get("action_source")).ok_or(missing("action_source"))?;
    let action_source = ActionSource::parse(&source_text).ok_or_else(|| {
        bad(
            "action_source",
            &format!(
                "must be one of email, website, app, phone_call, chat, physical_store, system_generated, business_messaging, other; not {source_text}"
            ),
        )
    })?;
    let user_data = match event.get("user_data") {
        None | Some(Value::Null) => return Err(missing("user_data")),
        Some(Value::Object(o)) if o.values().any(|v| !v.is_null()) => o,
        Some(Value::Object(_)) => {
            return Err(bad(
                "user_data",
                "must carry at least one customer information parameter",
            ));
        }
        Some(_) => return Err(bad("user_data", "must be an object")),
    };
    let event_source_url = text(event.get("event_source_url"));
    let event_id = text(event.get("event_id"));
    let fbc = text(user_data.get("fbc"));
    let ctwa_clid = text(user_data.get("ctwa_clid"));
    match action_source {
        ActionSource::Website => {
            if text(user_data.get("client_user_agent")).is_none() {
                return Err(missing("user_data.client_user_agent"));
            }
            if event_source_url.is_none() {
                return Err(missing("event_source_url"));
            }
        }
        ActionSource::App if !matches!(event.get("app_data"), Some(Value::Object(_))) => {
            return Err(missing("app_data"));
        }
        ActionSource::BusinessMessaging => {
            if !MESSAGING_EVENT_NAMES.contains(&event_name.as_str()) {
                return Err(Invalid::MessagingEventType {
                    index,
                    name: event_name,
                });
            }
            let channel =
                text(event.get("messaging_channel")).ok_or(missing("messaging_channel"))?;
            if !matches!(channel.as_str(), "whatsapp" | "messenger" | "instagram") {
                return Err(bad(
                    "messaging_channel",
                    &format!("must be whatsapp, messenger or instagram, not {channel}"),
                ));
            }
            if channel == "whatsapp" && ctwa_clid.is_none() {
                return Err(missing("user_data.ctwa_clid"));
            }
        }
        _ => {}
    }
    let campaign_ids = match event.get("app_data") {
        Some(Value::Object(app)) => text(app.get("campaign_ids")),
        _ => None,
    };
    let custom = match event.get("custom_data") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(o)) => o.clone(),
        Some(_) => return Err(bad("custom_data", "must be an object")),
    };
    let value = match custom.get("value") {
        None | Some(Value::Null) => None,
        Some(Value::Number(n)) => n.as_f64(),
        Some(Value::String(s)) => s.trim().parse::<f64>().ok(),
        Some(_) => return Err(bad("custom_data.value", "must be a number")),
    };
    if custom.get("value").is_some_and(|v| !v.is_null()) && value.is_none() {
        return Err(bad("custom_data.value", "must be a number"));
    }
    let value_micros = match value {
        None => 0,
        Some(v) if v.is_finite() && (0.0..=1_000_000_000.0).contains(&v) => {
            #[expect(
                clippy::cast_possible_truncation,
                reason = "the value is bounded above, far inside i64 once scaled"
            )]
            let micros = (v * 1_000_000.0).round() as i64;
            micros
        }
        Some(_) => {
            return Err(bad(
                "custom_data.value",
                "must be an amount between 0 and 1000000000",
            ));
        }
    };
    let currency = match text(custom.get("currency")) {
        None => None,
        Some(c) if c.len() == 3 && c.bytes().all(|b| b.is_ascii_alphabetic()) => {
            Some(c.to_ascii_uppercase())
        }
        Some(c) => {
            return Err(bad(
                "custom_data.currency",
                &format!("must be an ISO 4217 code such as USD, not {c}"),
            ));
        }
    };
    if event_name == "Purchase" {
        if currency.is_none() {
            return Err(missing("custom_data.currency"));
        }
        if value.is_none() {
            return Err(missing("custom_data.value"));
        }
    }
    Ok(ServerEvent {
        index,
        event_name,
        event_time,
        event_id,
        action_source,
        event_source_url,
        fbc,
        ctwa_clid,
        campaign_ids,
        value_micros,
        currency,
        body: Value::Object(event),
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const NOW: Timestamp = Timestamp::from_millis(1_900_000_000_000);

    fn web(extra: Value) -> Value {
        let mut event = json!({
            "event_name": "Purchase",
            "event_time": NOW.unix_seconds(),
            "action_source": "website",
            "event_source_url": "https://shop.example/cart",
            "user_data": {"fbc": "fb.1.1900000000000.IwARabc", "client_user_agent": "x"},
            "custom_data": {"currency": "inr", "value": 499},
        });
        if let (Value::Object(e), Value::Object(x)) = (&mut event, extra) {
            e.extend(x);
        }
        event
    }

    fn one(event: Value) -> Result<ServerEvent, Invalid> {
        parse_events(&[event], NOW).map(|mut v| v.remove(0))
    }

    #[test]
    fn objects_and_their_json_text_read_alike() {
        let object = one(web(json!({}))).expect("valid");
        let text = one(Value::String(web(json!({})).to_string())).expect("valid");
        assert_eq!(object, text);
        assert_eq!(object.value_micros, 499_000_000);
        assert_eq!(object.currency.as_deref(), Some("INR"));
        assert_eq!(
            object.conversion(),
            Some((ConversionEvent::Purchase, Channel::Website))
        );
        assert_eq!(
            object.click_refs(),
            vec![ClickRef::Fbclid("IwARabc".into())]
        );
        assert_eq!(parse_events(&[json!(7)], NOW), Err(Invalid::NotAnEvent(0)));
        assert_eq!(
            parse_events(&[json!("not json")], NOW),
            Err(Invalid::NotAnEvent(0))
        );
        assert_eq!(parse_events(&[], NOW), Err(Invalid::NoEvents));
        let many = vec![web(json!({})); MAX_EVENTS + 1];
        assert_eq!(
            parse_events(&many, NOW),
            Err(Invalid::TooMany(MAX_EVENTS + 1))
        );
    }

    #[test]
    fn required_parameters_are_named() {
        let cases = [
            (json!({"event_name": ""}), "event_name"),
            (json!({"event_time": null}), "event_time"),
            (json!({"action_source": null}), "action_source"),
            (json!({"user_data": null}), "user_data"),
            (
                json!({"user_data": {"fbc": "fb.1.1.IwAR"}}),
                "user_data.client_user_agent",
            ),
            (json!({"event_source_url": null}), "event_source_url"),
            (json!({"custom_data": {"value": 5}}), "custom_data.currency"),
            (
                json!({"custom_data": {"currency": "USD"}}),
                "custom_data.value",
            ),
            (json!({"action_source": "app"}), "app_data"),
        ];
        for (extra, field) in cases {
            assert_eq!(
                one(web(extra.clone())),
                Err(Invalid::Missing { index: 0, field }),
                "{extra}"
            );
        }
        // The second event is the bad one: the request fails, naming it.
        let err = parse_events(&[web(json!({})), web(json!({"event_name": null}))], NOW);
        assert_eq!(
            err,
            Err(Invalid::Missing {
                index: 1,
                field: "event_name"
            })
        );
    }

    #[test]
    fn bad_values_are_refused() {
        for extra in [
            json!({"event_time": "yesterday"}),
            json!({"event_time": -5}),
            json!({"action_source": "carrier_pigeon"}),
            json!({"user_data": {}}),
            json!({"user_data": "someone"}),
            json!({"custom_data": {"currency": "dollars", "value": 1}}),
            json!({"custom_data": {"currency": "USD", "value": -1}}),
            json!({"custom_data": {"currency": "USD", "value": "lots"}}),
            json!({"custom_data": []}),
        ] {
            assert!(
                matches!(one(web(extra.clone())), Err(Invalid::BadValue { .. })),
                "{extra}"
            );
        }
    }

    #[test]
    fn event_times_are_bounded() {
        let day = 86_400;
        let at = |seconds: i64| web(json!({"event_time": seconds}));
        assert!(one(at(NOW.unix_seconds() - MAX_AGE_DAYS * day)).is_ok());
        assert_eq!(
            one(at(NOW.unix_seconds() - MAX_AGE_DAYS * day - 1)),
            Err(Invalid::TooOld(0))
        );
        assert!(one(at(NOW.unix_seconds() + FUTURE_TOLERANCE_SECONDS)).is_ok());
        assert_eq!(
            one(at(NOW.unix_seconds() + FUTURE_TOLERANCE_SECONDS + 1)),
            Err(Invalid::InFuture(0))
        );
        let text = one(web(json!({"event_time": NOW.unix_seconds().to_string()})));
        assert_eq!(text.map(|e| e.event_time), Ok(NOW));
    }

    #[test]
    fn business_messaging_events_take_its_names_and_a_click_id() {
        let bm = |name: &str, user_data: Value| {
            json!({"event_name": name, "event_time": NOW.unix_seconds(),
                   "action_source": "business_messaging", "messaging_channel": "whatsapp",
                   "user_data": user_data, "custom_data": {"currency": "USD", "value": 10}})
        };
        let ok = one(bm("LeadSubmitted", json!({"ctwa_clid": "C1"}))).expect("valid");
        assert_eq!(ok.ctwa_clid.as_deref(), Some("C1"));
        assert_eq!(ok.conversion(), None, "not an MM API conversion");
        assert_eq!(
            one(bm("Lead", json!({"ctwa_clid": "C1"}))),
            Err(Invalid::MessagingEventType {
                index: 0,
                name: "Lead".into()
            })
        );
        assert_eq!(
            one(bm("Purchase", json!({"whatsapp_business_account_id": "1"}))),
            Err(Invalid::Missing {
                index: 0,
                field: "user_data.ctwa_clid"
            })
        );
    }

    #[test]
    fn click_ids_come_from_fbc_the_url_or_campaign_ids() {
        assert_eq!(fbclids_of_fbc("fb.1.1554763741205.IwARx"), vec!["IwARx"]);
        assert_eq!(
            fbclids_of_fbc("fb.2.1554763741205.IwARx.extra"),
            vec!["IwARx", "extra"]
        );
        for bad in ["fb.1.IwARx", "xx.1.2.IwARx", "fb.a.2.IwARx", "fb.1.2.", ""] {
            assert!(fbclids_of_fbc(bad).is_empty(), "{bad}");
        }
        assert_eq!(
            fbclid_of_url("https://shop.example/?a=1&fbclid=IwARy#top"),
            Some("IwARy")
        );
        assert_eq!(fbclid_of_url("https://shop.example/#fbclid=IwARy"), None);
        let url_only = one(web(json!({
            "user_data": {"client_user_agent": "x"},
            "event_source_url": "https://shop.example/?fbclid=IwARz"
        })))
        .expect("valid");
        assert_eq!(
            url_only.click_refs(),
            vec![ClickRef::Fbclid("IwARz".into())]
        );
        let app = one(web(json!({
            "action_source": "app", "event_name": "ActivateApp",
            "app_data": {"campaign_ids": "ci.1"}, "custom_data": null
        })))
        .expect("valid");
        assert_eq!(app.click_refs(), vec![ClickRef::CampaignIds("ci.1".into())]);
        assert_eq!(
            app.conversion(),
            Some((ConversionEvent::ActivateApp, Channel::App))
        );
        let web_activation = one(web(
            json!({"event_name": "ActivateApp", "custom_data": null}),
        ))
        .expect("valid");
        assert_eq!(web_activation.conversion(), None);
    }

    #[test]
    fn a_click_is_indexed_by_its_fbclid_and_campaign_ids() {
        let message = Message {
            id: "wamid.A".into(),
            phone_number_id: wamm_wire::ids::PhoneNumberId::new(1),
            waba_id: WabaId::new(2),
            app_id: wamm_wire::ids::AppId::new(3),
            to: "15550001111".into(),
            route: crate::sending::Route::MarketingLite,
            category: None,
            template_id: None,
            biz_opaque_callback_data: None,
            graph_major: 23,
            accepted_at: Timestamp::from_millis(0),
            status: None,
            steps_done: 0,
            plan: Vec::new(),
            timezone_id: None,
        };
        let at = Timestamp::from_millis(5_000);
        let click = Click::of(&message, at);
        assert_eq!(click.fbclid, click_id("wamid.A", at));
        assert_eq!(click.campaign_ids, campaign_ids(&click.fbclid));
        assert!(click.campaign_ids.starts_with("ci.") && click.campaign_ids.len() == 43);
        assert_ne!(
            campaign_ids(&click.fbclid),
            campaign_ids(&click_id("wamid.A", Timestamp::from_millis(5_001)))
        );
        assert_eq!(click.waba_id, WabaId::new(2));
    }

    #[test]
    fn action_sources_read_back_from_their_text() {
        for s in ActionSource::ALL {
            assert_eq!(ActionSource::parse(s.as_str()), Some(s));
        }
        assert_eq!(ActionSource::parse("WEBSITE"), None);
    }
}
