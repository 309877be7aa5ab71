//! The webhook payloads of `wamm_wire::webhooks`, which the platform renders every webhook
//! with, checked against the webhook schemas of Meta's vendored OpenAPI spec.
//!
//! The spec models only the `messages` field (`WebhookPayload`, `StatusMessageValue`,
//! `Statuses`): status values are validated whole, alone and inside the envelope. It has no
//! schema for `user_actions` link clicks, `account_update`, `message_template_status_update` or
//! `template_category_update`, and its `Change.field` enum lists none of those fields; the tests
//! below pin that down, so that a spec that gains them fails here and gets them validated.

use serde_json::{Value, json};
use wamm_testkit::conformance::SPEC;
use wamm_wire::webhooks::{
    self as wire, AccountEvent, AccountUpdate, ClickComponent, Conversation, DeliveryStatus,
    DisconnectionInfo, DisconnectionReason, InitiatedBy, LinkClick, MessagesValue, Metadata,
    OtherInfo, Pricing, PricingCategory, PricingModel, PricingType, StatusContact, StatusError,
    StatusItem, TemplateCategory, TemplateCategoryUpdate, TemplateStatus, TemplateStatusUpdate,
    UserActionItem, UserActionKind, WabaInfo,
};

fn metadata() -> Metadata {
    Metadata {
        display_phone_number: Some("15550783881".into()),
        phone_number_id: Some("106540352242922".into()),
    }
}

fn status(status: DeliveryStatus) -> StatusItem {
    StatusItem {
        id: Some("wamid.HBgLMTY1MDU1NTEyMzQVAgARGBI5QTNDQTVCM0Q0Q0Q2RTY3RTcA".into()),
        status,
        timestamp: Some(1_750_030_073),
        recipient_id: Some("16505551234".into()),
        recipient_user_id: Some("US.13491208655302741918".into()),
        recipient_parent_user_id: None,
        biz_opaque_callback_data: Some("campaign-42".into()),
        conversation: None,
        pricing: None,
        errors: Vec::new(),
    }
}

fn pricing() -> Pricing {
    Pricing {
        billable: Some(true),
        pricing_model: Some(PricingModel::Pmp),
        kind: Some(PricingType::Regular),
        category: Some(PricingCategory::MarketingLite),
    }
}

/// The `messages` status values the platform sends: `sent` on v23 (conversation and
/// pricing), `delivered` on v24 (pricing only), `read`, and `failed` (errors, no contacts).
fn status_values() -> Vec<(&'static str, Value)> {
    let contacts = vec![StatusContact {
        wa_id: Some("16505551234".into()),
        user_id: Some("US.13491208655302741918".into()),
        ..StatusContact::default()
    }];
    let value = |contacts: Vec<StatusContact>, item: StatusItem| {
        wire::to_value(&MessagesValue {
            messaging_product: Some("whatsapp".into()),
            metadata: metadata(),
            contacts,
            statuses: vec![item],
            user_actions: Vec::new(),
        })
    };
    let sent = StatusItem {
        conversation: Some(Conversation {
            id: Some("9f2c1b7a3e5d4c10".into()),
            expiration_timestamp: Some(1_750_116_473),
            origin_type: Some(PricingCategory::MarketingLite),
        }),
        pricing: Some(pricing()),
        ..status(DeliveryStatus::Sent)
    };
    let delivered = StatusItem {
        pricing: Some(pricing()),
        ..status(DeliveryStatus::Delivered)
    };
    let failed = StatusItem {
        recipient_user_id: None,
        errors: vec![StatusError {
            code: Some(131_049),
            title: Some("Message failed to send because of an ecosystem limit".into()),
            message: Some("Message failed to send because of an ecosystem limit".into()),
            details: Some(
                "The message was not delivered to maintain healthy ecosystem engagement.".into(),
            ),
            href: Some(
                "https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/"
                    .into(),
            ),
        }],
        ..status(DeliveryStatus::Failed)
    };
    vec![
        ("sent", value(contacts.clone(), sent)),
        ("delivered", value(contacts.clone(), delivered)),
        ("read", value(contacts, status(DeliveryStatus::Read))),
        ("failed", value(Vec::new(), failed)),
    ]
}

fn click_value() -> Value {
    wire::to_value(&MessagesValue {
        messaging_product: Some("whatsapp".into()),
        metadata: metadata(),
        user_actions: vec![UserActionItem {
            action_type: UserActionKind::MarketingMessagesLinkClick,
            timestamp: Some(1_750_030_100),
            marketing_messages_link_click_data: Some(LinkClick {
                click_component: Some(ClickComponent::Cta),
                click_id: Some("HBgLMTY1MDU1NTEyMzQ.1750030100".into()),
                product_id: None,
                tracking_token: None,
            }),
        }],
        ..MessagesValue::default()
    })
}

/// The values of the fields the spec has no schema for, by field.
fn unmodelled_values() -> Vec<(&'static str, Value)> {
    let waba_info = WabaInfo {
        waba_id: Some("102290129340398".into()),
        owner_business_id: Some("2729063490586005".into()),
        ..WabaInfo::default()
    };
    vec![
        ("messages", click_value()),
        (
            "account_update",
            wire::to_value(&AccountUpdate {
                waba_info: Some(waba_info.clone()),
                ..AccountUpdate::new(AccountEvent::MmLiteTermsSigned)
            }),
        ),
        (
            "account_update",
            wire::to_value(&AccountUpdate {
                waba_info: Some(WabaInfo {
                    partner_app_id: Some("1000".into()),
                    ..waba_info
                }),
                ..AccountUpdate::new(AccountEvent::PartnerAppInstalled)
            }),
        ),
        (
            "account_update",
            wire::to_value(&AccountUpdate {
                phone_number: Some("15550783881".into()),
                disconnection_info: Some(DisconnectionInfo {
                    reason: Some(DisconnectionReason::PrimaryInactivity),
                    initiated_by: Some(InitiatedBy::System),
                }),
                ..AccountUpdate::new(AccountEvent::AccountOffboarded)
            }),
        ),
        (
            "message_template_status_update",
            wire::to_value(&TemplateStatusUpdate {
                event: TemplateStatus::Paused,
                message_template_id: Some("5001".into()),
                message_template_name: Some("spring_sale".into()),
                message_template_language: Some("en_US".into()),
                reason: Some("NONE".into()),
                message_template_category: None,
                disable_date: None,
                other_info: Some(OtherInfo {
                    title: Some("FIRST_PAUSE".into()),
                    description: Some("Paused for 3 hours.".into()),
                }),
            }),
        ),
        (
            "template_category_update",
            wire::to_value(&TemplateCategoryUpdate {
                message_template_id: Some("5001".into()),
                message_template_name: Some("spring_sale".into()),
                message_template_language: Some("en_US".into()),
                previous_category: Some(TemplateCategory::Utility),
                new_category: Some(TemplateCategory::Marketing),
                ..TemplateCategoryUpdate::default()
            }),
        ),
    ]
}

fn envelope(field: &str, value: Value, time: Option<i64>) -> Value {
    wire::to_value(&wire::Envelope {
        object: wire::WABA_OBJECT.into(),
        entry: vec![wire::Entry {
            id: "102290129340398".into(),
            time,
            changes: vec![wire::Change {
                field: field.into(),
                value,
            }],
        }],
    })
}

#[test]
fn message_statuses_conform_to_the_spec_alone_and_in_the_envelope() {
    for (name, value) in status_values() {
        if let Err(problems) = SPEC.validate_schema("StatusMessageValue", &value) {
            panic!(
                "the {name} status value departs from StatusMessageValue: {problems:#?}\n{value:#}"
            );
        }
        let body = envelope("messages", value, None);
        if let Err(problems) = SPEC.validate_schema("WebhookPayload", &body) {
            panic!(
                "the {name} status envelope departs from WebhookPayload: {problems:#?}\n{body:#}"
            );
        }
    }
}

#[test]
fn the_spec_has_no_schema_for_the_other_payloads() {
    for name in [
        "AccountUpdate",
        "AccountUpdateValue",
        "UserActions",
        "MessageTemplateStatusUpdate",
        "TemplateCategoryUpdate",
    ] {
        assert!(
            !SPEC.has_schema(name),
            "the spec now models {name}: validate it here"
        );
    }
    for (field, value) in unmodelled_values() {
        // A link click is a `messages` value without `statuses`: none of the spec's four
        // `messages` value shapes fits it.
        assert!(
            SPEC.validate_schema("StatusMessageValue", &value).is_err(),
            "{field} {value}"
        );
        let problems = SPEC
            .validate_schema(
                "WebhookPayload",
                &envelope(field, value.clone(), Some(1_750_030_100)),
            )
            .expect_err("the spec's Change has no shape for it");
        assert!(
            problems
                .iter()
                .all(|p| p.at.starts_with("$.entry[0].changes[0]")),
            "only the change departs: {problems:#?}"
        );
    }
}

#[test]
fn entry_time_fits_the_envelope() {
    // `entry.time` and the envelope's own keys fit the spec; it is only the change that it
    // does not model.
    let body = envelope("messages", status_values().remove(0).1, Some(1_750_030_100));
    assert_eq!(SPEC.validate_schema("WebhookPayload", &body), Ok(()));
    assert_eq!(body["entry"][0]["time"], json!(1_750_030_100));
}
