//! The payloads render as the platform sends them and read back leniently.

use serde_json::json;

use super::*;

#[test]
fn a_sent_status_renders_timestamps_as_strings_and_nests_origin() {
    let value = MessagesValue {
        messaging_product: Some("whatsapp".into()),
        metadata: Metadata {
            display_phone_number: Some("15550783881".into()),
            phone_number_id: Some("106540352242922".into()),
        },
        contacts: vec![StatusContact {
            wa_id: Some("16505551234".into()),
            user_id: Some("US.1".into()),
            ..StatusContact::default()
        }],
        statuses: vec![StatusItem {
            id: Some("wamid.A".into()),
            status: DeliveryStatus::Sent,
            timestamp: Some(1_750_030_073),
            recipient_id: Some("16505551234".into()),
            recipient_user_id: Some("US.1".into()),
            recipient_parent_user_id: None,
            biz_opaque_callback_data: None,
            conversation: Some(Conversation {
                id: Some("9f".into()),
                expiration_timestamp: Some(1_750_116_473),
                origin_type: Some(PricingCategory::MarketingLite),
            }),
            pricing: Some(Pricing {
                billable: Some(true),
                pricing_model: Some(PricingModel::Pmp),
                kind: Some(PricingType::Regular),
                category: Some(PricingCategory::MarketingLite),
            }),
            errors: Vec::new(),
        }],
        user_actions: Vec::new(),
    };
    let rendered = to_value(&value);
    assert_eq!(
        rendered,
        json!({
            "messaging_product": "whatsapp",
            "metadata": { "display_phone_number": "15550783881", "phone_number_id": "106540352242922" },
            "contacts": [{ "wa_id": "16505551234", "user_id": "US.1" }],
            "statuses": [{
                "id": "wamid.A", "status": "sent", "timestamp": "1750030073",
                "recipient_id": "16505551234", "recipient_user_id": "US.1",
                "conversation": { "id": "9f", "expiration_timestamp": "1750116473", "origin": { "type": "marketing_lite" } },
                "pricing": { "billable": true, "pricing_model": "PMP", "type": "regular", "category": "marketing_lite" },
            }],
        })
    );
    assert_eq!(decode::<MessagesValue>(&rendered), Some(value));
}

#[test]
fn template_ids_are_numbers_on_the_wire_and_digits_in_rust() {
    let update = TemplateStatusUpdate {
        event: TemplateStatus::Rejected,
        message_template_id: Some("1234".into()),
        message_template_name: Some("promo".into()),
        message_template_language: Some("en_US".into()),
        reason: Some("NONE".into()),
        message_template_category: None,
        disable_date: None,
        other_info: None,
    };
    let rendered = to_value(&update);
    assert_eq!(rendered["message_template_id"], json!(1234));
    assert_eq!(decode::<TemplateStatusUpdate>(&rendered), Some(update));
}

#[test]
fn unknown_values_and_mistyped_fields_are_kept_or_dropped_not_refused() {
    let update: AccountUpdate = decode(&json!({
        "event": "SOMETHING_NEW",
        "waba_info": { "waba_id": 42, "ad_account_id": "act_1", "solution_partner_business_ids": "7" },
        "phone_number": ["not", "text"],
        "disconnection_info": { "reason": "NEW_REASON", "initiated_by": 3 },
        "ban_info": "not an object",
    }))
    .expect("an account update");
    assert_eq!(update.event, AccountEvent::Other("SOMETHING_NEW".into()));
    assert_eq!(update.waba_id(), Some("42"));
    let info = update.waba_info.as_ref().expect("waba_info");
    assert_eq!(info.ad_account_id.as_deref(), Some("act_1"));
    assert_eq!(info.solution_partner_business_ids, vec!["7".to_owned()]);
    assert_eq!(update.phone_number, None);
    assert_eq!(
        update.disconnection_info,
        Some(DisconnectionInfo {
            reason: Some(DisconnectionReason::Other("NEW_REASON".into())),
            initiated_by: None,
        })
    );
    assert_eq!(update.ban_info, None);
}

#[test]
fn what_makes_a_payload_is_required_and_only_objects_are_payloads() {
    assert_eq!(decode::<AccountUpdate>(&json!({ "waba_info": {} })), None);
    assert_eq!(decode::<StatusItem>(&json!({ "status": 7 })), None);
    assert_eq!(decode::<TemplateCategoryUpdate>(&json!([])), None);
    assert_eq!(
        decode::<TemplateCategoryUpdate>(&json!({})),
        Some(TemplateCategoryUpdate::default())
    );
}

#[test]
fn the_envelope_is_read_leniently_and_keeps_what_it_cannot_read() {
    let body = json!({
        "object": "whatsapp_business_account",
        "entry": [
            { "id": 42, "time": "1750030073", "changes": [
                { "field": "account_update", "value": { "event": "X" } },
                { "value": { "field": "messages", "statuses": [] } },
                "not a change",
            ] },
            7,
        ],
    });
    let read: Envelope = serde_json::from_value(body).expect("an envelope is never refused");
    assert_eq!(read.object, WABA_OBJECT);
    assert_eq!(read.entry.len(), 2, "no entry is dropped");
    let first = &read.entry[0];
    assert_eq!((first.id.as_str(), first.time), ("42", Some(1_750_030_073)));
    let fields: Vec<&str> = first.changes.iter().map(|c| c.field.as_str()).collect();
    assert_eq!(fields, ["account_update", "messages", ""]);
    assert_eq!(first.changes[2].value, json!("not a change"));
    let second = &read.entry[1];
    assert_eq!(second.id, "");
    assert_eq!(second.changes[0].value, json!(7));
    // What the platform renders reads back as it was.
    let rendered = Envelope {
        object: WABA_OBJECT.into(),
        entry: vec![Entry {
            id: "1".into(),
            time: Some(5),
            changes: vec![Change {
                field: FIELD_MESSAGES.into(),
                value: json!({"a": 1}),
            }],
        }],
    };
    let again: Envelope = serde_json::from_value(to_value(&rendered)).expect("reads back");
    assert_eq!(again, rendered);
}

#[test]
fn the_envelope_leaves_out_time_when_there_is_none() {
    let envelope = Envelope {
        object: WABA_OBJECT.into(),
        entry: vec![Entry {
            id: "1".into(),
            time: None,
            changes: vec![Change {
                field: FIELD_MESSAGES.into(),
                value: json!({}),
            }],
        }],
    };
    assert_eq!(
        to_value(&envelope),
        json!({ "object": "whatsapp_business_account", "entry": [{ "id": "1", "changes": [{ "field": "messages", "value": {} }] }] })
    );
}
