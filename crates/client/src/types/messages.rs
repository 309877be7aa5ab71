//! Sending: the body of `POST /{phone-number-id}/marketing_messages` and `/messages`, and
//! their common answer.
//!
//! Both endpoints take the same envelope (`messaging_product`, `recipient_type`, `to`,
//! `type`); `/marketing_messages` accepts only `type: template` plus `product_policy` and
//! `message_activity_sharing`. One request type serves both, so that a partner routes a
//! message by template category without rebuilding it.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::{lenient, lenient_list, open_enum};

open_enum!(
    /// What `/marketing_messages` does when the business is not onboarded to the MM API.
    ProductPolicy {
        /// Deliver through Cloud API instead (Meta's default).
        CloudApiFallback => "CLOUD_API_FALLBACK",
        /// Refuse the message.
        Strict => "STRICT",
    }
);

open_enum!(
    /// `messages[].message_status` in a send answer.
    MessageStatus {
        /// Accepted for delivery.
        Accepted => "accepted",
        /// Held by template pacing while Meta assesses quality.
        HeldForQualityAssessment => "held_for_quality_assessment",
        /// Delivery paused.
        Paused => "paused",
    }
);

/// A template's language in a send: `{code, policy}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Language {
    /// Locale, e.g. `en_US`.
    pub code: String,
    /// `deterministic`, the only policy. Meta's v23.0 spec requires it though its examples
    /// omit it; it is sent by default so that strict gateways accept the body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy: Option<String>,
}

impl Language {
    /// `code` with the `deterministic` policy.
    pub fn new(code: impl Into<String>) -> Self {
        Self {
            code: code.into(),
            policy: Some("deterministic".to_owned()),
        }
    }
}

/// One component of a template send: `{type, sub_type?, index?, parameters}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TemplateComponent {
    /// `header`, `body` or `button`.
    #[serde(rename = "type")]
    pub kind: String,
    /// For buttons: `quick_reply`, `url`, `catalog`…
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub_type: Option<String>,
    /// For buttons: the button's position, as a string.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub index: Option<String>,
    /// Parameters, as Graph's JSON (`{"type": "text", "text": "25OFF"}`, images, currency…).
    #[serde(default)]
    pub parameters: Vec<Value>,
}

fn text_parameters<I, S>(texts: I) -> Vec<Value>
where
    I: IntoIterator<Item = S>,
    S: Into<String>,
{
    texts
        .into_iter()
        .map(|t| json!({ "type": "text", "text": t.into() }))
        .collect()
}

impl TemplateComponent {
    /// A body component with text parameters, in order.
    pub fn body_text<I, S>(texts: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Self::new("body", text_parameters(texts))
    }

    /// A component of `kind` with the given parameters.
    pub fn new(kind: impl Into<String>, parameters: Vec<Value>) -> Self {
        Self {
            kind: kind.into(),
            sub_type: None,
            index: None,
            parameters,
        }
    }

    /// A button component (`sub_type` such as `url` or `quick_reply`, at position `index`).
    pub fn button(sub_type: impl Into<String>, index: u8, parameters: Vec<Value>) -> Self {
        Self {
            kind: "button".to_owned(),
            sub_type: Some(sub_type.into()),
            index: Some(index.to_string()),
            parameters,
        }
    }
}

/// The `template` member of a send.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SendTemplate {
    /// The template's name.
    pub name: String,
    /// Its language.
    pub language: Language,
    /// Parameters by component; none for a template without variables.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub components: Vec<TemplateComponent>,
}

impl SendTemplate {
    /// Template `name` in locale `code`.
    pub fn new(name: impl Into<String>, code: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            language: Language::new(code),
            components: Vec::new(),
        }
    }

    /// Adds a component.
    #[must_use]
    pub fn component(mut self, component: TemplateComponent) -> Self {
        self.components.push(component);
        self
    }
}

/// The `text` member of a text message (`/messages` only).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TextBody {
    /// The text.
    pub body: String,
    /// Whether to render a link preview.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preview_url: Option<bool>,
}

/// The body of `POST /{phone-number-id}/marketing_messages` or `/messages`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SendRequest {
    /// Always `whatsapp`.
    pub messaging_product: String,
    /// `individual`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recipient_type: Option<String>,
    /// The recipient's WhatsApp ID or phone number.
    pub to: String,
    /// The message type: `template` (the only type `/marketing_messages` accepts), `text`…
    #[serde(rename = "type")]
    pub kind: String,
    /// The template, for `type: template`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template: Option<SendTemplate>,
    /// The text, for `type: text`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<TextBody>,
    /// `/marketing_messages` only: fall back to Cloud API or refuse.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product_policy: Option<ProductPolicy>,
    /// `/marketing_messages` only: per-message override of message activity sharing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_activity_sharing: Option<bool>,
    /// Opaque data echoed in status webhooks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub biz_opaque_callback_data: Option<String>,
    /// Any other member (`context`, `interactive`, `image`…), sent as given.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl SendRequest {
    /// A message of `kind` to `to`, with no content yet (add it with [`Self::field`]).
    pub fn new(to: impl Into<String>, kind: impl Into<String>) -> Self {
        Self {
            messaging_product: "whatsapp".to_owned(),
            recipient_type: Some("individual".to_owned()),
            to: to.into(),
            kind: kind.into(),
            template: None,
            text: None,
            product_policy: None,
            message_activity_sharing: None,
            biz_opaque_callback_data: None,
            extra: Map::new(),
        }
    }

    /// A template message: what `/marketing_messages` takes.
    pub fn template(to: impl Into<String>, template: SendTemplate) -> Self {
        Self {
            template: Some(template),
            ..Self::new(to, "template")
        }
    }

    /// A text message (`/messages` only, inside the customer service window).
    pub fn text(to: impl Into<String>, body: impl Into<String>) -> Self {
        Self {
            text: Some(TextBody {
                body: body.into(),
                preview_url: None,
            }),
            ..Self::new(to, "text")
        }
    }

    /// Sets `product_policy`.
    #[must_use]
    pub fn product_policy(mut self, policy: ProductPolicy) -> Self {
        self.product_policy = Some(policy);
        self
    }

    /// Sets `message_activity_sharing`.
    #[must_use]
    pub fn message_activity_sharing(mut self, share: bool) -> Self {
        self.message_activity_sharing = Some(share);
        self
    }

    /// Sets `biz_opaque_callback_data`.
    #[must_use]
    pub fn callback_data(mut self, data: impl Into<String>) -> Self {
        self.biz_opaque_callback_data = Some(data.into());
        self
    }

    /// Sets any other member.
    #[must_use]
    pub fn field(mut self, key: impl Into<String>, value: Value) -> Self {
        self.extra.insert(key.into(), value);
        self
    }
}

/// `contacts[]` of a send answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SentContact {
    /// The `to` that was sent.
    #[serde(default, deserialize_with = "lenient")]
    pub input: Option<String>,
    /// The recipient's WhatsApp ID.
    #[serde(default, deserialize_with = "lenient")]
    pub wa_id: Option<String>,
}

/// `messages[]` of a send answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SentMessage {
    /// The message ID (`wamid.…`), which status webhooks refer to.
    pub id: String,
    /// `accepted`, `held_for_quality_assessment` or `paused`; absent on plain Cloud API sends.
    #[serde(
        default,
        deserialize_with = "lenient",
        skip_serializing_if = "Option::is_none"
    )]
    pub message_status: Option<MessageStatus>,
}

/// The answer of `/marketing_messages` and `/messages`.
///
/// It does not say whether a marketing message went through the MM API or fell back to Cloud
/// API; that arrives in status webhooks (`pricing.category`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SendResponse {
    /// `whatsapp`.
    #[serde(default, deserialize_with = "lenient")]
    pub messaging_product: Option<String>,
    /// The recipients.
    #[serde(default, deserialize_with = "lenient_list")]
    pub contacts: Vec<SentContact>,
    /// The messages created.
    #[serde(default)]
    pub messages: Vec<SentMessage>,
}

impl SendResponse {
    /// The ID of the (first) message created.
    pub fn message_id(&self) -> Option<&str> {
        self.messages.first().map(|m| m.id.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_marketing_send_serialises_as_the_contract_shows() {
        let request = SendRequest::template(
            "16315552222",
            SendTemplate::new("summer_sale", "en_US")
                .component(TemplateComponent::body_text(["25OFF"])),
        )
        .product_policy(ProductPolicy::CloudApiFallback)
        .message_activity_sharing(true);
        assert_eq!(
            serde_json::to_value(&request).expect("json"),
            json!({
                "messaging_product": "whatsapp",
                "recipient_type": "individual",
                "to": "16315552222",
                "type": "template",
                "template": {
                    "name": "summer_sale",
                    "language": {"code": "en_US", "policy": "deterministic"},
                    "components": [{"type": "body", "parameters": [{"type": "text", "text": "25OFF"}]}]
                },
                "product_policy": "CLOUD_API_FALLBACK",
                "message_activity_sharing": true
            })
        );
    }

    #[test]
    fn other_members_are_flattened() {
        let request = SendRequest::new("1", "interactive")
            .field("interactive", json!({"type": "button"}))
            .callback_data("ref-1");
        let v = serde_json::to_value(&request).expect("json");
        assert_eq!(v["interactive"]["type"], "button");
        assert_eq!(v["biz_opaque_callback_data"], "ref-1");
        assert!(v.get("template").is_none() && v.get("product_policy").is_none());
        let text = serde_json::to_value(SendRequest::text("1", "hi")).expect("json");
        assert_eq!(text["text"], json!({"body": "hi"}));
    }

    #[test]
    fn the_send_answer_decodes_with_unknown_members() {
        let r: SendResponse = serde_json::from_value(json!({
            "messaging_product": "whatsapp",
            "contacts": [{"input": "16315552222", "wa_id": "16315552222"}],
            "messages": [{"id": "wamid.gBGGSFcCNEOPAgkO_KJ55r4w_ww", "message_status": "held_for_quality_assessment"}],
            "success": true
        }))
        .expect("decodes");
        assert_eq!(r.message_id(), Some("wamid.gBGGSFcCNEOPAgkO_KJ55r4w_ww"));
        assert_eq!(
            r.messages[0].message_status,
            Some(MessageStatus::HeldForQualityAssessment)
        );
        assert_eq!(r.contacts[0].wa_id.as_deref(), Some("16315552222"));
        let cloud: SendResponse = serde_json::from_value(json!({
            "messages": [{"id": "wamid.X", "message_status": "queued_somewhere"}]
        }))
        .expect("decodes");
        assert_eq!(
            cloud.messages[0].message_status,
            Some(MessageStatus::Other("queued_somewhere".into()))
        );
    }
}
