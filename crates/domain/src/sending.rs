//! Sending rules for `/marketing_messages` and Cloud API `/messages`, as pure functions: parse
//! the payload, check the template, route, and plan each message's life from its recipient.
//!
//! The checks run in the order Meta's guide implies (payload, `type=template`, template exists
//! and is approved in the language, MARKETING category, paused or disabled, parameters,
//! routing, ad sync); each refusal is a [`SendError`] carrying Meta's code, title and details.

use serde_json::{Map, Value};

use crate::model::{Template, TemplateCategory, TemplateStatus};

/// Which endpoint a send came through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    /// `POST /{phone-number-id}/marketing_messages`.
    MarketingMessages,
    /// `POST /{phone-number-id}/messages` (Cloud API).
    Messages,
}

/// `product_policy` of a `/marketing_messages` send.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ProductPolicy {
    /// Deliver through Cloud API when the business is not onboarded (the default).
    #[default]
    CloudApiFallback,
    /// Refuse when the business is not onboarded.
    Strict,
}

/// A template reference in a send.
#[derive(Debug, Clone, PartialEq)]
pub struct TemplateRef {
    /// `template.name`.
    pub name: String,
    /// `template.language.code`.
    pub language: String,
    /// `template.components`, as sent.
    pub components: Vec<Value>,
}

/// What a message carries.
#[derive(Debug, Clone, PartialEq)]
pub enum Content {
    /// A template message.
    Template(TemplateRef),
    /// A text message (`/messages` only).
    Text {
        /// `text.body`.
        body: String,
    },
}

/// A parsed send.
#[derive(Debug, Clone, PartialEq)]
pub struct SendRequest {
    /// `to`, digits only.
    pub to: String,
    /// `to` as given (echoed as `contacts[].input`).
    pub input: String,
    /// The content.
    pub content: Content,
    /// `product_policy`.
    pub product_policy: ProductPolicy,
    /// `message_activity_sharing`, when given.
    pub message_activity_sharing: Option<bool>,
    /// `biz_opaque_callback_data`, echoed in status webhooks.
    pub biz_opaque_callback_data: Option<String>,
}

/// A refused send: Meta's code, title and details, and the HTTP status.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("(#{code}) {title}: {details}")]
pub struct SendError {
    /// HTTP status.
    pub status: u16,
    /// Graph error code.
    pub code: i64,
    /// Title (the message after `(#code)`).
    pub title: &'static str,
    /// `error_data.details`.
    pub details: String,
}

fn refuse(status: u16, code: i64, title: &'static str, details: impl Into<String>) -> SendError {
    SendError {
        status,
        code,
        title,
        details: details.into(),
    }
}

/// `(#100) Invalid parameter` with `details`.
pub fn invalid(details: impl Into<String>) -> SendError {
    refuse(400, 100, "Invalid parameter", details)
}

fn text<'a>(obj: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    obj.get(key).and_then(Value::as_str)
}

fn required<'a>(obj: &'a Map<String, Value>, key: &str) -> Result<&'a str, SendError> {
    text(obj, key)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| invalid(format!("The parameter {key} is required.")))
}

/// A boolean that may arrive as `true` or `"true"` (form bodies, and Meta's own examples).
fn flag(value: &Value) -> Option<bool> {
    match value {
        Value::Bool(b) => Some(*b),
        Value::String(s) if s == "true" => Some(true),
        Value::String(s) if s == "false" => Some(false),
        _ => None,
    }
}

/// A JSON value that form bodies send as a JSON string.
fn object(value: Option<&Value>) -> Option<Map<String, Value>> {
    match value? {
        Value::Object(o) => Some(o.clone()),
        Value::String(s) => serde_json::from_str(s).ok(),
        _ => None,
    }
}

/// Parses a send's body for `endpoint`.
pub fn parse(body: &Map<String, Value>, endpoint: Endpoint) -> Result<SendRequest, SendError> {
    let product = required(body, "messaging_product")?;
    if product != "whatsapp" {
        return Err(invalid("messaging_product must be \"whatsapp\"."));
    }
    if let Some(kind) = text(body, "recipient_type")
        && kind != "individual"
    {
        return Err(invalid("recipient_type must be \"individual\"."));
    }
    if endpoint == Endpoint::MarketingMessages && text(body, "recipient_type").is_none() {
        return Err(invalid("The parameter recipient_type is required."));
    }
    let input = required(body, "to")?;
    let to = crate::model::phone_digits(input);
    let only_phone_chars = input
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, '+' | ' ' | '-' | '(' | ')'));
    if !only_phone_chars || !(7..=15).contains(&to.len()) {
        return Err(refuse(
            400,
            131_009,
            "Parameter value is not valid",
            "to: expected a phone number with its country code or a WhatsApp ID",
        ));
    }
    let kind = text(body, "type").unwrap_or("text");
    let content = match kind {
        "template" => {
            let t = object(body.get("template"))
                .ok_or_else(|| invalid("The parameter template is required."))?;
            let name = required(&t, "name")?.to_owned();
            let language = object(t.get("language"))
                .ok_or_else(|| invalid("The parameter template.language is required."))?;
            let code = required(&language, "code")?.to_owned();
            if let Some(policy) = text(&language, "policy")
                && policy != "deterministic"
            {
                return Err(invalid(
                    "template.language.policy must be \"deterministic\".",
                ));
            }
            let components = match t.get("components") {
                None => Vec::new(),
                Some(Value::Array(a)) => a.clone(),
                Some(_) => return Err(invalid("template.components must be an array.")),
            };
            Content::Template(TemplateRef {
                name,
                language: code,
                components,
            })
        }
        _ if endpoint == Endpoint::MarketingMessages => {
            return Err(invalid("Message must be a template message."));
        }
        "text" => {
            let t = object(body.get("text"))
                .ok_or_else(|| invalid("The parameter text is required."))?;
            let body_text = required(&t, "body")?;
            if body_text.chars().count() > 4096 {
                return Err(invalid("text.body is longer than 4096 characters."));
            }
            Content::Text {
                body: body_text.to_owned(),
            }
        }
        other => {
            return Err(refuse(
                400,
                131_051,
                "Unsupported message type",
                format!("Message type '{other}' is not supported here; send template or text"),
            ));
        }
    };
    let product_policy = match text(body, "product_policy") {
        Some(_) if endpoint == Endpoint::Messages => {
            return Err(invalid(
                "product_policy is a /marketing_messages parameter.",
            ));
        }
        None | Some("CLOUD_API_FALLBACK") => ProductPolicy::CloudApiFallback,
        Some("STRICT") => ProductPolicy::Strict,
        Some(other) => {
            return Err(invalid(format!(
                "product_policy must be CLOUD_API_FALLBACK or STRICT, not {other}."
            )));
        }
    };
    let message_activity_sharing = match body.get("message_activity_sharing") {
        None => None,
        Some(v) => {
            Some(flag(v).ok_or_else(|| invalid("message_activity_sharing must be a boolean."))?)
        }
    };
    let biz_opaque_callback_data = match body.get("biz_opaque_callback_data") {
        None => None,
        Some(Value::String(s)) if s.chars().count() <= 512 => Some(s.clone()),
        Some(_) => {
            return Err(invalid(
                "biz_opaque_callback_data must be a string of at most 512 characters.",
            ));
        }
    };
    Ok(SendRequest {
        to,
        input: input.to_owned(),
        content,
        product_policy,
        message_activity_sharing,
        biz_opaque_callback_data,
    })
}

/// The `{{n}}` (or `{{name}}`) placeholders in a component's text.
fn placeholders(text: &str) -> usize {
    text.matches("{{").count()
}

fn component<'a>(components: &'a [Value], kind: &str) -> Option<&'a Value> {
    components.iter().find(|c| {
        c.get("type")
            .and_then(Value::as_str)
            .is_some_and(|t| t.eq_ignore_ascii_case(kind))
    })
}

/// Checks the parameters a send gives against the template's placeholders (132000) and their
/// shape (132012).
fn check_parameters(template: &Template, sent: &[Value]) -> Result<(), SendError> {
    let authored = template.components.as_array().cloned().unwrap_or_default();
    for kind in ["body", "header"] {
        let expected = component(&authored, kind)
            .and_then(|c| c.get("text"))
            .and_then(Value::as_str)
            .map_or(0, placeholders);
        let given: Vec<Value> = component(sent, kind)
            .and_then(|c| c.get("parameters"))
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        if given.len() != expected {
            return Err(refuse(
                400,
                132_000,
                "Number of parameters does not match the expected number of params",
                format!(
                    "{kind}: number of localizable_params ({}) does not match the expected number of params ({expected})",
                    given.len()
                ),
            ));
        }
        for p in &given {
            let ok = match p.get("type").and_then(Value::as_str) {
                Some("text") => p
                    .get("text")
                    .and_then(Value::as_str)
                    .is_some_and(|t| !t.is_empty()),
                Some("currency") => p.get("currency").is_some_and(Value::is_object),
                Some("date_time") => p.get("date_time").is_some_and(Value::is_object),
                Some(media @ ("image" | "video" | "document")) => {
                    p.get(media).is_some_and(Value::is_object)
                }
                _ => false,
            };
            if !ok {
                return Err(refuse(
                    400,
                    132_012,
                    "Parameter format does not match format in the created template",
                    format!(
                        "{kind}: a parameter is not a well-formed text, currency, date_time or media parameter"
                    ),
                ));
            }
        }
    }
    Ok(())
}

/// Checks the template a send names: it exists and is approved in that language (132001),
/// is MARKETING on `/marketing_messages` (134100 from v23.0, 131055 before), is not paused
/// (132015) or disabled (132016), and gets the right parameters.
pub fn check_template(
    reference: &TemplateRef,
    template: Option<&Template>,
    endpoint: Endpoint,
    graph_major: u32,
) -> Result<(), SendError> {
    let missing = || {
        refuse(
            404,
            132_001,
            "Template name does not exist in the translation",
            format!(
                "template name ({}) does not exist in {}",
                reference.name, reference.language
            ),
        )
    };
    let template = template.ok_or_else(missing)?;
    match template.status {
        TemplateStatus::Paused => {
            return Err(refuse(
                400,
                132_015,
                "Template is Paused",
                format!(
                    "Template {} is paused because of low quality",
                    template.name
                ),
            ));
        }
        TemplateStatus::Disabled => {
            return Err(refuse(
                400,
                132_016,
                "Template is Disabled",
                format!(
                    "Template {} was disabled because of low quality",
                    template.name
                ),
            ));
        }
        TemplateStatus::Pending | TemplateStatus::Rejected => return Err(missing()),
        TemplateStatus::Approved => {}
    }
    if endpoint == Endpoint::MarketingMessages && template.category != TemplateCategory::Marketing {
        return Err(if graph_major >= 23 {
            refuse(
                400,
                134_100,
                "Only marketing messages supported",
                "Only marketing template messages are supported on Marketing Messages API for WhatsApp",
            )
        } else {
            refuse(
                400,
                131_055,
                "Method not allowed",
                "Only marketing template messages are supported",
            )
        });
    }
    check_parameters(template, &reference.components)
}

/// How a message travels, and so how it is priced.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Route {
    /// Marketing Messages API (`pricing.category: marketing_lite`).
    MarketingLite,
    /// Cloud API: a fallback from `/marketing_messages` or a `/messages` send; priced by the
    /// template's category (`marketing`, `utility`, `authentication`) or `service` for text.
    CloudApi,
}

/// Routes a `/marketing_messages` send: onboarded → MM API; otherwise Cloud API unless
/// `STRICT`, which refuses (131055, the terms must be accepted).
pub fn route(onboarded: bool, policy: ProductPolicy) -> Result<Route, SendError> {
    match (onboarded, policy) {
        (true, _) => Ok(Route::MarketingLite),
        (false, ProductPolicy::CloudApiFallback) => Ok(Route::CloudApi),
        (false, ProductPolicy::Strict) => Err(refuse(
            400,
            131_055,
            "Method not allowed",
            "You must accept the Marketing Messages Lite API terms to use the API. product_policy STRICT does not fall back to Cloud API.",
        )),
    }
}

/// 134101: the template's ad sync is still running (MM API route only).
pub fn still_syncing() -> SendError {
    refuse(
        400,
        134_101,
        "Your template is still syncing",
        "The template is still syncing with its ad. Try again in a few minutes, or send through Cloud API.",
    )
}

/// 133010: the number is not registered on Cloud API (never registered, or deregistered).
pub fn not_registered() -> SendError {
    refuse(
        400,
        133_010,
        "Account not registered",
        "The phone number is not registered on Cloud API; call /register first.",
    )
}

/// 130429: the number's throughput is used up.
pub fn throughput_reached(mps: u32) -> SendError {
    refuse(
        400,
        130_429,
        "Rate limit hit",
        format!(
            "Cloud API message throughput ({mps} messages per second for this number) has been reached."
        ),
    )
}

/// 131056: too many messages to one recipient too fast.
pub fn pair_rate_hit() -> SendError {
    refuse(
        400,
        131_056,
        "(Business Account, Consumer Account) pair rate limit hit",
        "Message failed to send because there were too many messages sent from this phone number to the same phone number in a short period of time.",
    )
}

/// What a recipient does with messages, from the reserved test numbers `+1 555-099-000X`
/// (any country code: the last ten digits decide) or normal behaviour otherwise.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Recipient {
    /// Delivered a moment after sending; read only when asked through the control API.
    Normal,
    /// `…555-099-0001`: not on WhatsApp — `failed` 131026.
    NotOnWhatsapp,
    /// `…555-099-0002`: stopped marketing messages — marketing `failed` 131050.
    OptedOut,
    /// `…555-099-0003`: per-user marketing limit — marketing `failed` 131049.
    MarketingLimit,
    /// `…555-099-0004`: delivered, never read.
    NeverReads,
    /// `…555-099-0005`: delivered, then read a little later.
    Reads,
    /// `…555-099-0006`: delivered, read, then clicks the message's link.
    Clicks,
    /// `…555-099-0007`: a slow device — delivered an hour later.
    SlowDevice,
    /// `…555-099-0008`: offline — never delivered (the message expires at its TTL).
    Offline,
}

impl Recipient {
    /// The behaviour of the recipient `to` (digits).
    pub fn of(to: &str) -> Self {
        match to.get(to.len().saturating_sub(10)..) {
            Some("5550990001") => Self::NotOnWhatsapp,
            Some("5550990002") => Self::OptedOut,
            Some("5550990003") => Self::MarketingLimit,
            Some("5550990004") => Self::NeverReads,
            Some("5550990005") => Self::Reads,
            Some("5550990006") => Self::Clicks,
            Some("5550990007") => Self::SlowDevice,
            Some("5550990008") => Self::Offline,
            _ => Self::Normal,
        }
    }
}

/// One step of a message's life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    /// `sent`.
    Sent,
    /// `delivered`.
    Delivered,
    /// `read`.
    Read,
    /// A `user_actions` `marketing_messages_link_click`.
    Click,
    /// `failed`, with the error code.
    Failed(i64),
    /// Dropped unseen at the TTL: no webhook (Meta sends none; a missing `delivered` means
    /// dropped).
    Expired,
}

impl Step {
    /// The status the step leaves its message in; `None` for a click, which leaves it as it
    /// was.
    pub const fn status(self) -> Option<&'static str> {
        match self {
            Self::Sent => Some("sent"),
            Self::Delivered => Some("delivered"),
            Self::Read => Some("read"),
            Self::Failed(_) => Some("failed"),
            Self::Expired => Some("expired"),
            Self::Click => None,
        }
    }
}

/// The planned life of a message: each step with its delay in seconds after the send.
///
/// `marketing` says whether the template is MARKETING (opt-outs and per-user limits apply only
/// to marketing); `ttl_seconds` is when an undelivered message is dropped.
pub fn plan(recipient: Recipient, marketing: bool, ttl_seconds: i64) -> Vec<(i64, Step)> {
    use Step::{Click, Delivered, Expired, Failed, Read, Sent};
    match recipient {
        Recipient::NotOnWhatsapp => vec![(0, Failed(131_026))],
        Recipient::OptedOut if marketing => vec![(0, Sent), (1, Failed(131_050))],
        Recipient::MarketingLimit if marketing => vec![(0, Sent), (1, Failed(131_049))],
        Recipient::Reads => vec![(0, Sent), (1, Delivered), (30, Read)],
        Recipient::Clicks => vec![(0, Sent), (1, Delivered), (30, Read), (45, Click)],
        Recipient::SlowDevice if ttl_seconds > 3600 => vec![(0, Sent), (3600, Delivered)],
        Recipient::SlowDevice | Recipient::Offline => vec![(0, Sent), (ttl_seconds, Expired)],
        Recipient::Normal
        | Recipient::NeverReads
        | Recipient::OptedOut
        | Recipient::MarketingLimit => vec![(0, Sent), (1, Delivered)],
    }
}

/// The title and details of an asynchronous failure, as `errors[]` carries them.
pub fn failure_text(code: i64) -> (&'static str, &'static str) {
    match code {
        131_026 => (
            "Message undeliverable",
            "Unable to deliver message. The recipient is not on WhatsApp or uses an old version.",
        ),
        131_050 => (
            "User stopped marketing messages",
            "Unable to deliver message. The recipient has chosen to stop receiving marketing messages on WhatsApp from your business.",
        ),
        131_049 => (
            "This message was not delivered to maintain healthy ecosystem engagement.",
            "In order to maintain a healthy ecosystem engagement, the message failed to be delivered.",
        ),
        _ => ("Message failed", "The message could not be delivered."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn body(v: &Value) -> Map<String, Value> {
        v.as_object().cloned().expect("object")
    }

    fn send(extra: Value) -> Map<String, Value> {
        let mut b = body(&json!({
            "messaging_product": "whatsapp", "recipient_type": "individual", "to": "+1 631-555-2222",
            "type": "template", "template": {"name": "summer_sale", "language": {"code": "en_US"}}
        }));
        if let Value::Object(o) = extra {
            b.extend(o);
        }
        b
    }

    #[test]
    fn parses_the_reference_payload() {
        let r = parse(
            &send(json!({"product_policy": "STRICT", "message_activity_sharing": "false"})),
            Endpoint::MarketingMessages,
        )
        .expect("valid");
        assert_eq!(r.to, "16315552222");
        assert_eq!(r.input, "+1 631-555-2222");
        assert_eq!(r.product_policy, ProductPolicy::Strict);
        assert_eq!(r.message_activity_sharing, Some(false));
        assert!(
            matches!(r.content, Content::Template(ref t) if t.name == "summer_sale" && t.language == "en_US")
        );
    }

    #[test]
    fn refusals_carry_meta_codes() {
        let code = |b: Map<String, Value>, e| parse(&b, e).map(|_| ()).map_err(|e| e.code);
        assert_eq!(
            code(
                send(json!({"type": "text", "text": {"body": "hi"}})),
                Endpoint::MarketingMessages
            ),
            Err(100)
        );
        assert_eq!(
            parse(&send(json!({"type": "text"})), Endpoint::MarketingMessages)
                .map_err(|e| e.details),
            Err("Message must be a template message.".to_owned())
        );
        assert_eq!(
            code(
                send(json!({"product_policy": "SOMETIMES"})),
                Endpoint::MarketingMessages
            ),
            Err(100)
        );
        assert_eq!(
            code(
                send(json!({"messaging_product": "sms"})),
                Endpoint::MarketingMessages
            ),
            Err(100)
        );
        assert_eq!(
            code(
                send(json!({"to": "not a number"})),
                Endpoint::MarketingMessages
            ),
            Err(131_009)
        );
        assert_eq!(
            code(
                send(
                    json!({"template": {"name": "x", "language": {"code": "en", "policy": "fallback"}}})
                ),
                Endpoint::MarketingMessages
            ),
            Err(100)
        );
        assert_eq!(
            code(
                send(json!({"type": "text", "text": {"body": "hi"}})),
                Endpoint::Messages
            ),
            Ok(())
        );
        assert_eq!(
            code(send(json!({"type": "sticker"})), Endpoint::Messages),
            Err(131_051)
        );
        let mut no_kind = send(json!({}));
        no_kind.remove("recipient_type");
        assert_eq!(code(no_kind.clone(), Endpoint::MarketingMessages), Err(100));
        assert_eq!(code(no_kind, Endpoint::Messages), Ok(()));
    }

    #[test]
    fn routing() {
        assert_eq!(route(true, ProductPolicy::Strict), Ok(Route::MarketingLite));
        assert_eq!(
            route(false, ProductPolicy::CloudApiFallback),
            Ok(Route::CloudApi)
        );
        assert_eq!(
            route(false, ProductPolicy::Strict).map_err(|e| e.code),
            Err(131_055)
        );
    }

    #[test]
    fn webhook_numbers_are_digits() {
        assert_eq!(crate::model::phone_digits("+1 555-078-3881"), "15550783881");
    }

    #[test]
    fn reserved_recipients_and_their_plans() {
        assert_eq!(Recipient::of("15550990001"), Recipient::NotOnWhatsapp);
        assert_eq!(Recipient::of("445550990006"), Recipient::Clicks);
        assert_eq!(Recipient::of("16315550001"), Recipient::Normal);
        assert_eq!(Recipient::of("16315552222"), Recipient::Normal);
        assert_eq!(
            plan(Recipient::OptedOut, true, 100).last(),
            Some(&(1, Step::Failed(131_050)))
        );
        assert_eq!(
            plan(Recipient::OptedOut, false, 100).last(),
            Some(&(1, Step::Delivered))
        );
        assert_eq!(
            plan(Recipient::Offline, true, 43_200).last(),
            Some(&(43_200, Step::Expired))
        );
        assert_eq!(
            plan(Recipient::SlowDevice, true, 43_200).last(),
            Some(&(3600, Step::Delivered))
        );
        // Steps come in time order.
        for r in [
            Recipient::Normal,
            Recipient::Clicks,
            Recipient::Reads,
            Recipient::MarketingLimit,
        ] {
            let p = plan(r, true, 100_000);
            assert!(p.windows(2).all(|w| w[0].0 <= w[1].0), "{r:?}");
        }
    }
}
