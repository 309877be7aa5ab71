//! The parser against envelopes shaped like the platform's (the shared fixtures in
//! `tests/fixtures/webhooks`), against Meta's variations, and against arbitrary JSON.

use proptest::prelude::*;
use serde_json::{Value, json};

use super::*;

macro_rules! fixture {
    ($name:literal) => {
        include_bytes!(concat!("../../../tests/fixtures/webhooks/", $name))
    };
}

fn events(body: &[u8]) -> Vec<(String, Event)> {
    parse(body).expect("an envelope").into_events()
}

fn only(body: &[u8]) -> Event {
    let mut all = events(body);
    assert_eq!(all.len(), 1, "{all:?}");
    all.remove(0).1
}

fn account(event: &Event) -> &AccountUpdate {
    match event {
        Event::AccountUpdate(a) => a,
        other => panic!("not an account update: {other:?}"),
    }
}

fn status(event: &Event) -> &MessageStatus {
    match event {
        Event::MessageStatus(s) => s,
        other => panic!("not a message status: {other:?}"),
    }
}

fn body(value: &Value) -> Vec<u8> {
    serde_json::to_vec(value).expect("JSON")
}

fn one_change(field: &str, value: &Value) -> Vec<u8> {
    body(&json!({
        "object": "whatsapp_business_account",
        "entry": [{ "id": "102290129340398", "changes": [{ "field": field, "value": value }] }],
    }))
}

#[test]
fn onboarding_events_carry_their_waba_info() {
    let n = parse(fixture!("onboarding.json")).expect("an envelope");
    assert_eq!(n.object, "whatsapp_business_account");
    assert_eq!(n.entry.len(), 2);
    assert_eq!(n.entry[0].id, "102290129340398");
    assert_eq!(n.entry[0].time, Some(1_744_823_932));
    assert_eq!(n.entry[0].changes[0].field, "account_update");
    let all: Vec<_> = n.events().collect();
    assert_eq!(all.len(), 2);
    let signed = account(all[0].1);
    assert_eq!(signed.event, AccountEvent::MmLiteTermsSigned);
    assert_eq!(signed.waba_id(), Some("102290129340398"));
    let info = signed.waba_info.as_ref().expect("waba_info");
    assert_eq!(info.owner_business_id.as_deref(), Some("215589313241560"));
    assert_eq!(info.ad_account_id, None);
    let linked = account(all[1].1);
    assert_eq!(linked.event, AccountEvent::AdAccountLinked);
    assert_eq!(
        linked
            .waba_info
            .as_ref()
            .and_then(|i| i.ad_account_id.as_deref()),
        Some("1003458921")
    );
}

#[test]
fn the_ad_account_is_read_under_either_documented_name() {
    let event = only(&one_change(
        "account_update",
        &json!({ "event": "AD_ACCOUNT_LINKED", "waba_info": { "waba_id": "1", "ad_account_id": "77" } }),
    ));
    assert_eq!(
        account(&event)
            .waba_info
            .as_ref()
            .and_then(|i| i.ad_account_id.as_deref()),
        Some("77")
    );
}

#[test]
fn embedded_signup_partner_events() {
    let all = events(fixture!("embedded_signup.json"));
    let installed = account(&all[0].1);
    assert_eq!(installed.event, AccountEvent::PartnerAppInstalled);
    assert_eq!(
        installed
            .waba_info
            .as_ref()
            .and_then(|i| i.partner_app_id.as_deref()),
        Some("2000")
    );
    assert_eq!(account(&all[1].1).event, AccountEvent::PartnerAdded);
}

#[test]
fn coexistence_offboarding_events() {
    let all = events(fixture!("coexistence_offboarding.json"));
    let removed = account(&all[0].1);
    assert_eq!(removed.event, AccountEvent::PartnerRemoved);
    assert_eq!(removed.phone_number.as_deref(), Some("15550783881"));
    assert_eq!(removed.waba_info, None);
    assert_eq!(removed.disconnection_info, None);
    let offboarded = account(&all[1].1);
    assert_eq!(offboarded.event, AccountEvent::AccountOffboarded);
    assert_eq!(all[1].0, "102290129340399");
    assert_eq!(
        offboarded.disconnection_info,
        Some(DisconnectionInfo {
            reason: Some(DisconnectionReason::CompanionInactivity),
            initiated_by: Some(InitiatedBy::System),
        })
    );
}

#[test]
fn every_account_event_the_contract_lists_is_named() {
    for name in [
        "MM_LITE_TERMS_SIGNED",
        "AD_ACCOUNT_LINKED",
        "ACCOUNT_DELETED",
        "ACCOUNT_VIOLATION",
        "DISABLED_UPDATE",
        "AUTH_INTL_PRICE_ELIGIBILITY_UPDATE",
        "BUSINESS_PRIMARY_LOCATION_COUNTRY_UPDATE",
        "PARTNER_ADDED",
        "PARTNER_APP_INSTALLED",
        "PARTNER_APP_UNINSTALLED",
        "PARTNER_REMOVED",
        "PARTNER_CLIENT_CERTIFICATION_STATUS_UPDATE",
        "VOLUME_BASED_PRICING_TIER_UPDATE",
        "ACCOUNT_RESTRICTION",
        "ACCOUNT_OFFBOARDED",
        "ACCOUNT_RECONNECTED",
    ] {
        let event = AccountEvent::from_wire(name);
        assert!(!matches!(event, AccountEvent::Other(_)), "{name}");
        assert_eq!(event.as_str(), name);
        assert_eq!(event.to_string(), name);
    }
}

#[test]
fn account_event_details() {
    let event = only(&one_change(
        "account_update",
        &json!({ "event": "DISABLED_UPDATE", "ban_info": { "waba_ban_state": "SCHEDULE_FOR_DISABLE", "waba_ban_date": "April 17, 2025" } }),
    ));
    assert_eq!(
        account(&event).ban_info,
        Some(BanInfo {
            waba_ban_state: Some(BanState::ScheduleForDisable),
            waba_ban_date: Some("April 17, 2025".into()),
        })
    );
    let event = only(&one_change(
        "account_update",
        &json!({ "event": "ACCOUNT_VIOLATION", "violation_info": { "violation_type": "SCAM" } }),
    ));
    assert_eq!(
        account(&event)
            .violation_info
            .as_ref()
            .and_then(|v| v.violation_type.as_deref()),
        Some("SCAM")
    );
    let event = only(&one_change(
        "account_update",
        &json!({ "event": "BUSINESS_PRIMARY_LOCATION_COUNTRY_UPDATE", "country": "BR" }),
    ));
    assert_eq!(account(&event).country.as_deref(), Some("BR"));
    let event = only(&one_change(
        "account_update",
        &json!({ "event": "ACCOUNT_RESTRICTION", "restriction_info": [{ "restriction_type": "RESTRICTED_ADD_PHONE_NUMBER_ACTION" }] }),
    ));
    assert!(account(&event).restriction_info.is_some());
    let event = only(&one_change(
        "account_update",
        &json!({ "event": "PARTNER_APP_UNINSTALLED", "waba_info": { "waba_id": 5, "solution_partner_business_ids": ["6", 7] } }),
    ));
    let info = account(&event).waba_info.clone().expect("waba_info");
    assert_eq!(info.waba_id.as_deref(), Some("5"));
    assert_eq!(info.solution_partner_business_ids, ["6", "7"]);
}

#[test]
fn field_inside_value_is_accepted() {
    // One of Meta's examples nests `field` and `object` inside `value`.
    let n = parse(&body(&json!({
        "object": "whatsapp_business_account",
        "entry": [{ "id": "1", "time": 2, "changes": [{ "value": {
            "field": "account_update", "object": "whatsapp_business_account",
            "event": "PARTNER_ADDED", "waba_info": { "waba_id": "1" } } }] }],
    })))
    .expect("an envelope");
    let (_, event) = n.events().next().expect("one event");
    assert_eq!(account(event).event, AccountEvent::PartnerAdded);
    assert_eq!(n.entry[0].changes[0].field, "account_update");
}

#[test]
fn a_sent_status_on_v23_has_conversation_and_pricing() {
    let event = only(fixture!("status_sent_v23.json"));
    let s = status(&event);
    assert_eq!(
        s.metadata,
        Metadata {
            display_phone_number: Some("15550783881".into()),
            phone_number_id: Some("106540352242922".into()),
        }
    );
    assert_eq!(s.messaging_product.as_deref(), Some("whatsapp"));
    assert_eq!(
        s.id.as_deref(),
        Some("wamid.HBgLMTY1MDU1NTEyMzQVAgARGBI5QTNDQTVCM0Q0Q0Q2RTY3RTcA")
    );
    assert_eq!(s.status, DeliveryStatus::Sent);
    assert_eq!(s.timestamp, Some(1_750_030_073));
    assert_eq!(s.recipient_id.as_deref(), Some("16505551234"));
    assert_eq!(s.biz_opaque_callback_data.as_deref(), Some("campaign-42"));
    assert_eq!(
        s.recipient_user_id.as_deref(),
        Some("US.13491208655302741918")
    );
    assert_eq!(s.recipient_parent_user_id, None);
    assert_eq!(
        s.contact,
        Some(StatusContact {
            wa_id: Some("16505551234".into()),
            user_id: Some("US.13491208655302741918".into()),
            ..StatusContact::default()
        })
    );
    assert_eq!(
        s.conversation,
        Some(Conversation {
            id: Some("9f2c1b7a3e5d4c10".into()),
            expiration_timestamp: Some(1_750_116_473),
            origin_type: Some(PricingCategory::MarketingLite),
        })
    );
    assert_eq!(
        s.pricing,
        Some(Pricing {
            billable: Some(true),
            pricing_model: Some(PricingModel::Pmp),
            kind: Some(PricingType::Regular),
            category: Some(PricingCategory::MarketingLite),
        })
    );
    assert!(s.errors.is_empty());
}

#[test]
fn a_delivered_status_on_v24_has_no_conversation() {
    let event = only(fixture!("status_delivered_v24.json"));
    let s = status(&event);
    assert_eq!(s.status, DeliveryStatus::Delivered);
    assert_eq!(s.conversation, None);
    assert_eq!(s.biz_opaque_callback_data, None);
    // Statuses from before the BSUID rollout name the recipient by number only.
    assert_eq!(s.recipient_user_id, None);
    assert_eq!(s.contact, None);
    assert_eq!(
        s.pricing.as_ref().and_then(|p| p.category.clone()),
        Some(PricingCategory::Marketing)
    );
}

#[test]
fn read_and_failed_statuses() {
    let all = events(fixture!("status_read_and_failed.json"));
    assert_eq!(all.len(), 2);
    let read = status(&all[0].1);
    assert_eq!(read.status, DeliveryStatus::Read);
    assert_eq!(read.pricing, None);
    assert_eq!(
        read.contact.as_ref().and_then(|c| c.user_id.as_deref()),
        read.recipient_user_id.as_deref()
    );
    let failed = status(&all[1].1);
    assert_eq!(failed.status, DeliveryStatus::Failed);
    // A failed status to a phone number carries neither `contacts` nor `recipient_user_id`.
    assert_eq!(failed.recipient_user_id, None);
    assert_eq!(failed.contact, None);
    assert_eq!(failed.errors.len(), 1);
    let e = &failed.errors[0];
    assert_eq!(e.code, Some(131_049));
    assert!(
        e.details
            .as_deref()
            .is_some_and(|d| d.starts_with("In order to maintain"))
    );
    assert!(e.title.is_some() && e.message.is_some() && e.href.is_some());
}

#[test]
fn each_status_gets_the_contact_of_its_own_recipient() {
    let value = json!({
        "contacts": [
            { "wa_id": "15550000001", "user_id": "US.1", "parent_user_id": "US.ENT.9",
              "profile": { "username": "ann" } },
            { "wa_id": "15550000002", "user_id": "US.2" },
        ],
        "statuses": [
            { "status": "read", "recipient_id": "15550000002", "recipient_user_id": "US.2" },
            { "status": "delivered", "recipient_id": "15550000001", "recipient_parent_user_id": "US.ENT.9" },
            { "status": "sent", "recipient_id": "15550000003" },
        ],
    });
    let all = events(&one_change("messages", &value));
    let contact = |i: usize| status(&all[i].1).contact.clone();
    assert_eq!(contact(0).and_then(|c| c.wa_id), Some("15550000002".into()));
    let by_number = contact(1).expect("matched by number");
    assert_eq!(by_number.user_id.as_deref(), Some("US.1"));
    assert_eq!(by_number.parent_user_id.as_deref(), Some("US.ENT.9"));
    assert_eq!(by_number.username.as_deref(), Some("ann"));
    assert_eq!(
        status(&all[1].1).recipient_parent_user_id.as_deref(),
        Some("US.ENT.9")
    );
    // Two contacts and neither is this recipient: no guess.
    assert_eq!(contact(2), None);
    // Contacts that are not objects are skipped, not an error.
    let odd = json!({ "contacts": ["x", 1], "statuses": [{ "status": "sent" }] });
    assert_eq!(status(&only(&one_change("messages", &odd))).contact, None);
}

#[test]
fn a_link_click_is_a_user_action() {
    let event = only(fixture!("link_click.json"));
    let Event::UserAction(action) = event else {
        panic!("not a user action: {event:?}");
    };
    assert_eq!(action.action, UserActionKind::MarketingMessagesLinkClick);
    assert_eq!(action.timestamp, Some(1_750_030_300));
    assert_eq!(
        action.metadata.phone_number_id.as_deref(),
        Some("106540352242922")
    );
    let click = action.link_click.expect("click data");
    assert_eq!(click.click_component, Some(ClickComponent::Cta));
    assert!(click.click_id.is_some_and(|id| id.ends_with(".1750030300")));
    assert_eq!(click.product_id, None);
    assert_eq!(click.tracking_token, None);
}

#[test]
fn template_status_updates() {
    let all = events(fixture!("template_status.json"));
    let updates: Vec<_> = all
        .iter()
        .map(|(_, e)| match e {
            Event::TemplateStatusUpdate(u) => u,
            other => panic!("not a template status update: {other:?}"),
        })
        .collect();
    assert_eq!(updates[0].event, TemplateStatus::Approved);
    assert_eq!(
        updates[0].message_template_id.as_deref(),
        Some("1689556908129832")
    );
    assert_eq!(
        updates[0].message_template_name.as_deref(),
        Some("spring_sale")
    );
    assert_eq!(
        updates[0].message_template_language.as_deref(),
        Some("en_US")
    );
    assert_eq!(
        updates[0].message_template_category,
        Some(TemplateCategory::Marketing)
    );
    assert_eq!(updates[1].event, TemplateStatus::Paused);
    assert_eq!(
        updates[1]
            .other_info
            .as_ref()
            .and_then(|o| o.title.as_deref()),
        Some("FIRST_PAUSE")
    );
    assert_eq!(updates[1].message_template_category, None);
    assert_eq!(updates[2].event, TemplateStatus::Rejected);
    assert_eq!(updates[2].reason.as_deref(), Some("INCORRECT_CATEGORY"));
}

#[test]
fn template_category_updates_impending_and_completed() {
    let all = events(fixture!("template_category.json"));
    let updates: Vec<_> = all
        .iter()
        .map(|(_, e)| match e {
            Event::TemplateCategoryUpdate(u) => u,
            other => panic!("not a template category update: {other:?}"),
        })
        .collect();
    assert!(updates[0].is_impending());
    assert_eq!(updates[0].category_update_timestamp, Some(1_750_120_400));
    assert_eq!(
        updates[0].resulting_category(),
        Some(&TemplateCategory::Marketing)
    );
    assert!(!updates[1].is_impending());
    assert_eq!(
        updates[1].previous_category,
        Some(TemplateCategory::Utility)
    );
    assert_eq!(
        updates[1].resulting_category(),
        Some(&TemplateCategory::Marketing)
    );
}

#[test]
fn unknown_field_event_and_values_are_kept() {
    let n = parse(fixture!("unknown.json")).expect("an envelope");
    let all: Vec<_> = n.events().map(|(_, e)| e.clone()).collect();
    assert_eq!(all.len(), 3);
    let Event::Unknown { field, value } = &all[0] else {
        panic!("not unknown: {:?}", all[0]);
    };
    assert_eq!(field, "phone_number_quality_update");
    assert_eq!(value["event"], "THROUGHPUT_UPGRADE");
    let update = account(&all[1]);
    assert_eq!(
        update.event,
        AccountEvent::Other("BRAND_NEW_ACCOUNT_EVENT".into())
    );
    assert_eq!(update.event.as_str(), "BRAND_NEW_ACCOUNT_EVENT");
    assert_eq!(update.waba_id(), Some("102290129340398"));
    // What the typed event does not model is still in the raw value.
    assert_eq!(n.entry[0].changes[1].value["novel_info"]["anything"], true);
    let s = status(&all[2]);
    assert_eq!(s.status, DeliveryStatus::Other("hologram_viewed".into()));
    let pricing = s.pricing.clone().expect("pricing");
    assert_eq!(pricing.billable, Some(false));
    assert_eq!(
        pricing.pricing_model,
        Some(PricingModel::Other("FUTURE_MODEL".into()))
    );
    assert_eq!(
        pricing.kind,
        Some(PricingType::Other("free_forever".into()))
    );
    assert_eq!(
        pricing.category,
        Some(PricingCategory::Other("marketing_ultra".into()))
    );
}

#[test]
fn both_spellings_of_international_authentication() {
    assert_eq!(
        PricingCategory::from_wire("authentication-international"),
        PricingCategory::AuthenticationInternational
    );
    assert_eq!(
        PricingCategory::from_wire("authentication_international"),
        PricingCategory::AuthenticationInternational
    );
}

#[test]
fn missing_optional_fields_are_none() {
    let event = only(&one_change(
        "messages",
        &json!({ "statuses": [{ "status": "delivered" }] }),
    ));
    let s = status(&event);
    assert_eq!(s.metadata, Metadata::default());
    assert_eq!(s.messaging_product, None);
    assert_eq!(s.id, None);
    assert_eq!(s.timestamp, None);
    assert_eq!(s.recipient_id, None);
    assert_eq!(s.conversation, None);
    assert_eq!(s.pricing, None);
    assert!(s.errors.is_empty());
    let event = only(&one_change(
        "account_update",
        &json!({ "event": "MM_LITE_TERMS_SIGNED" }),
    ));
    let a = account(&event);
    assert_eq!(a.waba_info, None);
    assert_eq!(a.waba_id(), None);
    let n = parse(br#"{"entry":[{"changes":[{"field":"template_category_update","value":{}}]}]}"#)
        .expect("an envelope");
    assert_eq!(n.object, "");
    assert_eq!(n.entry[0].id, "");
    assert_eq!(n.entry[0].time, None);
    assert!(matches!(
        n.entry[0].changes[0].events[..],
        [Event::TemplateCategoryUpdate(_)]
    ));
}

#[test]
fn mistyped_fields_are_none_not_errors() {
    let event = only(&one_change(
        "messages",
        &json!({ "metadata": "nope", "statuses": [{ "status": "read", "timestamp": "soon",
                 "pricing": { "billable": "maybe", "category": 3 }, "errors": [1, { "code": "x" }] }] }),
    ));
    let s = status(&event);
    assert_eq!(s.status, DeliveryStatus::Read);
    assert_eq!(s.timestamp, None);
    assert_eq!(s.metadata, Metadata::default());
    let pricing = s.pricing.clone().expect("pricing");
    assert_eq!(pricing.billable, None);
    assert_eq!(pricing.category, None);
    assert_eq!(s.errors.len(), 1);
    assert_eq!(s.errors[0].code, None);
}

#[test]
fn unclassifiable_values_are_unknown() {
    // No event name, no status, no action type, a non-object value: nothing to classify.
    for (field, value) in [
        ("account_update", json!({ "waba_info": { "waba_id": "1" } })),
        ("account_update", json!("MM_LITE_TERMS_SIGNED")),
        (
            "message_template_status_update",
            json!({ "message_template_id": 1 }),
        ),
        (
            "messages",
            json!({ "contacts": [], "messages": [{ "from": "1", "type": "text" }] }),
        ),
        ("messages", json!({ "statuses": [] })),
    ] {
        let event = only(&one_change(field, &value));
        assert_eq!(
            event,
            Event::Unknown {
                field: field.to_owned(),
                value
            }
        );
    }
    let all = events(&one_change(
        "messages",
        &json!({ "statuses": [{ "id": "wamid.1" }, { "status": "sent" }], "user_actions": ["x"] }),
    ));
    assert!(matches!(
        all[..],
        [
            (_, Event::Unknown { .. }),
            (_, Event::MessageStatus(_)),
            (_, Event::Unknown { .. })
        ]
    ));
}

#[test]
fn odd_envelopes_are_kept_not_refused() {
    // A lone entry object instead of an array, a non-object entry, a non-object change,
    // numeric IDs and string times.
    let n = parse(&body(
        &json!({ "object": "page", "entry": { "id": 42, "time": "7", "changes": [5] } }),
    ))
    .expect("an envelope");
    assert_eq!(n.object, "page");
    assert_eq!(n.entry[0].id, "42");
    assert_eq!(n.entry[0].time, Some(7));
    assert_eq!(
        n.entry[0].changes[0].events,
        [Event::Unknown {
            field: String::new(),
            value: json!(5)
        }]
    );
    let n = parse(br#"{"entry":["junk"]}"#).expect("an envelope");
    assert_eq!(n.events().count(), 1);
    let n = parse(b"{}").expect("an envelope");
    assert!(n.entry.is_empty());
}

#[test]
fn a_body_that_is_not_a_json_object_is_an_error() {
    assert!(matches!(parse(b"[]"), Err(ParseError::NotAnObject)));
    assert!(matches!(parse(b"\"text\""), Err(ParseError::NotAnObject)));
    assert!(matches!(parse(b"null"), Err(ParseError::NotAnObject)));
    assert!(matches!(parse(b""), Err(ParseError::Json(_))));
    assert!(matches!(parse(b"{\"entry\": ["), Err(ParseError::Json(_))));
    assert!(matches!(
        parse(b"hub.mode=subscribe"),
        Err(ParseError::Json(_))
    ));
}

#[test]
fn events_and_into_events_agree() {
    let n = parse(fixture!("status_read_and_failed.json")).expect("an envelope");
    let borrowed: Vec<_> = n
        .events()
        .map(|(id, e)| (id.to_owned(), e.clone()))
        .collect();
    assert_eq!(borrowed, n.into_events());
}

const FIELDS: &[&str] = &[
    "account_update",
    "messages",
    "message_template_status_update",
    "template_category_update",
    "",
];

/// Keys the parser looks for, so that arbitrary values land where typed fields are read.
const KEYS: &[&str] = &[
    "event",
    "waba_info",
    "waba_id",
    "ad_account_linked",
    "solution_partner_business_ids",
    "phone_number",
    "disconnection_info",
    "reason",
    "ban_info",
    "statuses",
    "user_actions",
    "status",
    "action_type",
    "metadata",
    "pricing",
    "category",
    "conversation",
    "origin",
    "type",
    "errors",
    "error_data",
    "timestamp",
    "marketing_messages_link_click_data",
    "other_info",
    "correct_category",
    "field",
    "id",
    "time",
    "changes",
    "value",
];

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => proptest::sample::select(KEYS).prop_map(str::to_owned),
        1 => "[a-z_]{0,8}",
    ]
}

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        (-1.0e9..1.0e9f64).prop_map(Value::from),
        proptest::sample::select(
            &[
                "sent",
                "MM_LITE_TERMS_SIGNED",
                "marketing_lite",
                "1750030073"
            ][..]
        )
        .prop_map(Value::from),
        ".{0,10}".prop_map(Value::from),
    ]
}

fn json_value() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(4, 48, 5, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            proptest::collection::btree_map(key(), inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn change() -> impl Strategy<Value = Value> {
    (
        prop_oneof![
            3 => proptest::sample::select(FIELDS).prop_map(str::to_owned),
            1 => ".{0,12}",
        ],
        json_value(),
    )
        .prop_map(|(field, value)| json!({ "field": field, "value": value }))
}

fn entry() -> impl Strategy<Value = Value> {
    (leaf(), leaf(), proptest::collection::vec(change(), 0..4))
        .prop_map(|(id, time, changes)| json!({ "id": id, "time": time, "changes": changes }))
}

proptest! {
    #[test]
    fn any_envelope_shaped_body_parses_with_every_change_kept(
        object in ".{0,20}",
        entries in proptest::collection::vec(entry(), 0..4),
    ) {
        let envelope = json!({ "object": object, "entry": entries });
        let n = parse(&body(&envelope)).expect("an envelope never fails");
        prop_assert_eq!(n.entry.len(), entries.len());
        for (parsed, sent) in n.entry.iter().zip(&entries) {
            let changes = sent["changes"].as_array().map_or(0, Vec::len);
            prop_assert_eq!(parsed.changes.len(), changes);
            for change in &parsed.changes {
                prop_assert!(!change.events.is_empty());
            }
        }
    }

    #[test]
    fn any_json_object_parses(value in proptest::collection::btree_map(key(), json_value(), 0..6)) {
        let object = Value::Object(value.into_iter().collect());
        prop_assert!(parse(&body(&object)).is_ok());
    }

    #[test]
    fn any_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
        let _ = parse(&bytes);
    }
}
