//! A WABA's assets: phone numbers (and their registration), webhook subscriptions, and message
//! templates.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use wamm_wire::ids::{AppId, PhoneNumberId, TemplateId};

use super::{lenient, lenient_list, open_enum};

open_enum!(
    /// A phone number's `quality_rating`.
    QualityRating {
        /// High quality.
        Green => "GREEN",
        /// Medium quality.
        Yellow => "YELLOW",
        /// Low quality.
        Red => "RED",
        /// Not rated yet.
        Unknown => "UNKNOWN",
    }
);

/// A phone number's `throughput`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Throughput {
    /// `STANDARD` (80 mps), `HIGH` (up to 1,000 mps) or `NOT_APPLICABLE`.
    #[serde(default, deserialize_with = "lenient")]
    pub level: Option<String>,
}

/// A business phone number.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PhoneNumber {
    /// The number's ID (the `PHONE_NUMBER_ID` of send calls).
    pub id: PhoneNumberId,
    /// The number as displayed, e.g. `+1 631-555-5555`.
    #[serde(
        default,
        deserialize_with = "lenient",
        skip_serializing_if = "Option::is_none"
    )]
    pub display_phone_number: Option<String>,
    /// The verified business name.
    #[serde(
        default,
        deserialize_with = "lenient",
        skip_serializing_if = "Option::is_none"
    )]
    pub verified_name: Option<String>,
    /// Quality rating.
    #[serde(
        default,
        deserialize_with = "lenient",
        skip_serializing_if = "Option::is_none"
    )]
    pub quality_rating: Option<QualityRating>,
    /// `VERIFIED` or `NOT_VERIFIED`.
    #[serde(
        default,
        deserialize_with = "lenient",
        skip_serializing_if = "Option::is_none"
    )]
    pub code_verification_status: Option<String>,
    /// Display name review status.
    #[serde(
        default,
        deserialize_with = "lenient",
        skip_serializing_if = "Option::is_none"
    )]
    pub name_status: Option<String>,
    /// Connection status, e.g. `CONNECTED`, `PENDING`.
    #[serde(
        default,
        deserialize_with = "lenient",
        skip_serializing_if = "Option::is_none"
    )]
    pub status: Option<String>,
    /// `CLOUD_API` once registered.
    #[serde(
        default,
        deserialize_with = "lenient",
        skip_serializing_if = "Option::is_none"
    )]
    pub platform_type: Option<String>,
    /// Throughput level.
    #[serde(
        default,
        deserialize_with = "lenient",
        skip_serializing_if = "Option::is_none"
    )]
    pub throughput: Option<Throughput>,
    /// Whether the number is also used in the WhatsApp Business app (coexistence).
    #[serde(
        default,
        deserialize_with = "lenient",
        skip_serializing_if = "Option::is_none"
    )]
    pub is_on_biz_app: Option<bool>,
    /// Messaging limit tier, e.g. `TIER_1K`.
    #[serde(
        default,
        deserialize_with = "lenient",
        skip_serializing_if = "Option::is_none"
    )]
    pub messaging_limit_tier: Option<String>,
    /// `LIVE` or `SANDBOX`.
    #[serde(
        default,
        deserialize_with = "lenient",
        skip_serializing_if = "Option::is_none"
    )]
    pub account_mode: Option<String>,
}

impl PhoneNumber {
    /// The fields [`PhoneNumber`] reads.
    pub const DEFAULT_FIELDS: &'static str = "id,display_phone_number,verified_name,quality_rating,code_verification_status,name_status,status,platform_type,throughput,is_on_biz_app";
}

/// Body of `POST /{phone-number-id}/register`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegisterRequest {
    /// Always `whatsapp`.
    pub messaging_product: String,
    /// The six-digit two-step verification PIN.
    pub pin: String,
    /// Where message content may be stored at rest (Local Storage), e.g. `DE`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_localization_region: Option<String>,
}

impl RegisterRequest {
    /// Registers with a two-step verification PIN.
    pub fn new(pin: impl Into<String>) -> Self {
        Self {
            messaging_product: "whatsapp".to_owned(),
            pin: pin.into(),
            data_localization_region: None,
        }
    }
}

/// Body of `POST /{waba-id}/subscribed_apps`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct SubscribeRequest {
    /// A callback URL for this WABA only, instead of the app's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub override_callback_uri: Option<String>,
    /// The verify token Meta's handshake sends to the override URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verify_token: Option<String>,
}

/// The app part of a subscription.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubscribedAppData {
    /// The app.
    #[serde(default, deserialize_with = "lenient")]
    pub id: Option<AppId>,
    /// Its name.
    #[serde(default, deserialize_with = "lenient")]
    pub name: Option<String>,
    /// Its link.
    #[serde(default, deserialize_with = "lenient")]
    pub link: Option<String>,
}

/// An app subscribed to a WABA's webhooks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubscribedApp {
    /// The app.
    #[serde(default, deserialize_with = "lenient")]
    pub whatsapp_business_api_data: Option<SubscribedAppData>,
    /// The WABA-specific callback, when one is set.
    #[serde(default, deserialize_with = "lenient")]
    pub override_callback_uri: Option<String>,
}

/// The answer of `POST /{waba-id}/subscribed_apps`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubscribeResponse {
    /// Whether the subscription is in place.
    #[serde(default)]
    pub success: bool,
    /// The subscription, when an override callback was set.
    #[serde(default, deserialize_with = "lenient_list")]
    pub data: Vec<SubscribedApp>,
}

open_enum!(
    /// A template's review `status`.
    TemplateStatus {
        /// Usable.
        Approved => "APPROVED",
        /// In review.
        Pending => "PENDING",
        /// Refused.
        Rejected => "REJECTED",
        /// Paused for low quality.
        Paused => "PAUSED",
        /// Disabled for low quality.
        Disabled => "DISABLED",
        /// A rejection is being appealed.
        InAppeal => "IN_APPEAL",
        /// Being deleted.
        PendingDeletion => "PENDING_DELETION",
        /// Deleted.
        Deleted => "DELETED",
        /// The WABA's template limit was reached.
        LimitExceeded => "LIMIT_EXCEEDED",
        /// Archived.
        Archived => "ARCHIVED",
    }
);

open_enum!(
    /// A template's `category`.
    TemplateCategory {
        /// Marketing: the only category `/marketing_messages` accepts.
        Marketing => "MARKETING",
        /// Utility.
        Utility => "UTILITY",
        /// Authentication.
        Authentication => "AUTHENTICATION",
    }
);

/// A message template.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MessageTemplate {
    /// The template.
    pub id: TemplateId,
    /// Its name.
    #[serde(default)]
    pub name: String,
    /// Its locale, e.g. `en_US`.
    #[serde(
        default,
        deserialize_with = "lenient",
        skip_serializing_if = "Option::is_none"
    )]
    pub language: Option<String>,
    /// Review status.
    #[serde(
        default,
        deserialize_with = "lenient",
        skip_serializing_if = "Option::is_none"
    )]
    pub status: Option<TemplateStatus>,
    /// Category; only `MARKETING` templates go to `/marketing_messages`.
    #[serde(
        default,
        deserialize_with = "lenient",
        skip_serializing_if = "Option::is_none"
    )]
    pub category: Option<TemplateCategory>,
    /// Components, as Graph's JSON.
    #[serde(default, deserialize_with = "lenient_list")]
    pub components: Vec<Value>,
    /// `positional` or `named`.
    #[serde(
        default,
        deserialize_with = "lenient",
        skip_serializing_if = "Option::is_none"
    )]
    pub parameter_format: Option<String>,
    /// Time to live of messages sent with it (seconds; honoured by the MM API only).
    #[serde(
        default,
        deserialize_with = "lenient",
        skip_serializing_if = "Option::is_none"
    )]
    pub message_send_ttl_seconds: Option<i64>,
    /// Why it was rejected.
    #[serde(
        default,
        deserialize_with = "lenient",
        skip_serializing_if = "Option::is_none"
    )]
    pub rejected_reason: Option<String>,
}

/// The answer of `POST /{waba-id}/message_templates`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreatedTemplate {
    /// The new template.
    pub id: TemplateId,
    /// Its review status.
    #[serde(default, deserialize_with = "lenient")]
    pub status: Option<TemplateStatus>,
    /// Its category (Meta may recategorise what was asked for).
    #[serde(default, deserialize_with = "lenient")]
    pub category: Option<TemplateCategory>,
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn phone_numbers_and_templates_decode_leniently() {
        let phone: PhoneNumber = serde_json::from_value(json!({
            "id": "106540352242922", "display_phone_number": "+1 555-0100", "quality_rating": "GREEN",
            "throughput": {"level": "STANDARD"}, "is_on_biz_app": "no", "new_field": true
        }))
        .expect("decodes");
        assert_eq!(phone.id, PhoneNumberId::new(106_540_352_242_922));
        assert_eq!(phone.quality_rating, Some(QualityRating::Green));
        assert_eq!(
            phone.throughput.and_then(|t| t.level).as_deref(),
            Some("STANDARD")
        );
        assert_eq!(phone.is_on_biz_app, None);
        let template: MessageTemplate = serde_json::from_value(json!({
            "id": "1", "name": "summer_sale", "status": "APPROVED", "category": "MARKETING_LITE",
            "components": [{"type": "BODY", "text": "Hi"}]
        }))
        .expect("decodes");
        assert_eq!(template.status, Some(TemplateStatus::Approved));
        assert_eq!(
            template.category,
            Some(TemplateCategory::Other("MARKETING_LITE".into()))
        );
    }

    #[test]
    fn request_bodies_leave_out_what_is_not_set() {
        assert_eq!(
            serde_json::to_value(RegisterRequest::new("123456")).expect("json"),
            json!({"messaging_product": "whatsapp", "pin": "123456"})
        );
        assert_eq!(
            serde_json::to_value(SubscribeRequest::default()).expect("json"),
            json!({})
        );
        let subscribed: SubscribeResponse = serde_json::from_value(json!({
            "success": true,
            "data": [{"override_callback_uri": "https://x.example/wh", "whatsapp_business_api_data": {"id": "12", "name": "App"}}]
        }))
        .expect("decodes");
        assert_eq!(
            subscribed.data[0]
                .whatsapp_business_api_data
                .as_ref()
                .and_then(|d| d.id),
            Some(AppId::new(12))
        );
    }
}
