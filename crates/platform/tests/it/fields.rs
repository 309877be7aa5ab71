//! `fields=` against Meta's documented fields: the field lists pywa's basic reads send, fields
//! wamm has no value for, and fields no node type has.

use serde_json::Value;
use wamm_platform::catalogue::{self, NodeType, Render};

use crate::support::*;

/// pywa's `WhatsAppBusinessAccount` fields (`get_business_account`).
const PYWA_WABA: &str = "id,name,timezone_id,message_template_namespace,status,\
business_verification_status,is_enabled_for_insights,marketing_messages_lite_api_status,\
marketing_messages_onboarding_status,on_behalf_of_business_info,ownership_type,health_status,\
currency,country,subscribed_apps";

/// pywa's `BusinessPhoneNumber` fields (`get_business_phone_number(s)`).
const PYWA_PHONE: &str = "id,verified_name,display_phone_number,conversational_automation,\
status,quality_rating,quality_score,webhook_configuration,name_status,new_name_status,\
code_verification_status,account_mode,is_on_biz_app,is_official_business_account,\
is_pin_enabled,is_preverified_number,messaging_limit_tier,search_visibility,platform_type,\
throughput,eligibility_for_api_business_global_search,health_status,certificate,\
new_certificate,last_onboarded_time";

/// pywa's retrieved template fields (`get_templates`).
const PYWA_TEMPLATE: &str = "name,language,category,components,parameter_format,\
message_send_ttl_seconds,id,status,correct_category,previous_category,rejected_reason,\
library_template_name,quality_score,cta_url_link_tracking_opted_out,sub_category";

fn ids(body: &Value) -> Vec<String> {
    body["data"]
        .as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(|i| i["id"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

async fn pywa_basic_reads_are_answered(backend: Backend) {
    let p = TestPlatform::start(backend).await;
    let waba = p
        .get(&format!("/v23.0/3001?fields={PYWA_WABA}"), FULL)
        .await;
    let body = waba.ok();
    assert_eq!(body["id"], "3001");
    assert_eq!(body["name"], "Client A Main");
    assert_eq!(body["is_enabled_for_insights"], false);
    assert!(body.get("health_status").is_none(), "{body}");
    assert_eq!(body["subscribed_apps"], serde_json::json!({"data": []}));
    p.post("/v23.0/3001/subscribed_apps", FULL, &serde_json::json!({}))
        .await
        .ok();
    let r = p
        .get(&format!("/v23.0/3001?fields={PYWA_WABA}"), FULL)
        .await;
    // The field renders as the subscribed_apps edge does.
    let edge = p.get("/v23.0/3001/subscribed_apps", FULL).await;
    assert_eq!(r.ok()["subscribed_apps"], *edge.ok());
    assert_eq!(
        r.json["subscribed_apps"]["data"][0]["whatsapp_business_api_data"]["id"],
        "2000"
    );

    let phones = p
        .get(
            &format!("/v23.0/3001/phone_numbers?fields={PYWA_PHONE}"),
            FULL,
        )
        .await;
    assert_eq!(ids(phones.ok()), ["4001", "4002", "4003"]);
    let first = &phones.json["data"][0];
    assert_eq!(first["platform_type"], "CLOUD_API");
    assert!(first.get("conversational_automation").is_none(), "{first}");

    let phone = p
        .get(&format!("/v23.0/4001?fields={PYWA_PHONE}"), FULL)
        .await;
    assert_eq!(phone.ok()["id"], "4001");
    assert_eq!(phone.json["display_phone_number"], "+55 11 5555-0101");

    let templates = p
        .get(
            &format!("/v23.0/3001/message_templates?fields={PYWA_TEMPLATE}"),
            FULL,
        )
        .await;
    let found = ids(templates.ok());
    assert!(found.contains(&"5001".to_owned()), "{found:?}");
    let first = &templates.json["data"][0];
    assert!(first.get("correct_category").is_none(), "{first}");
    assert!(first["components"].is_array(), "{first}");
    p.finish().await;
}

async fn documented_fields_without_a_value_are_omitted(backend: Backend) {
    let p = TestPlatform::start(backend).await;
    let r = p
        .get(
            "/v23.0/4001?fields=conversational_automation,quality_score",
            FULL,
        )
        .await;
    assert_eq!(r.ok(), &serde_json::json!({"id": "4001"}));
    let r = p
        .get("/v23.0/5001?fields=correct_category,name", FULL)
        .await;
    assert_eq!(
        r.ok(),
        &serde_json::json!({"id": "5001", "name": "summer_sale"})
    );
    let r = p.get("/v23.0/1000?fields=link,vertical,name", FULL).await;
    assert_eq!(
        r.ok(),
        &serde_json::json!({"id": "1000", "name": "Partner Inc"})
    );
    p.finish().await;
}

async fn undocumented_fields_are_still_refused(backend: Backend) {
    let p = TestPlatform::start(backend).await;
    for (path, node) in [
        ("/v23.0/3001", "WhatsAppBusinessAccount"),
        ("/v23.0/4001", "WhatsAppBusinessPhoneNumber"),
        ("/v23.0/5001", "WhatsAppMessageTemplate"),
        ("/v23.0/1000", "Business"),
        ("/v23.0/3001/phone_numbers", "WhatsAppBusinessPhoneNumber"),
        ("/v23.0/3001/message_templates", "WhatsAppMessageTemplate"),
    ] {
        let r = p.get(&format!("{path}?fields=id,not_a_field"), FULL).await;
        r.graph_error(400, 100, None);
        assert!(
            r.message()
                .contains(&format!("(not_a_field) on node type ({node})")),
            "{path}: {}",
            r.message()
        );
    }
    p.finish().await;
}

/// Every field `t` documents, as a `fields=` list.
/// Every field of `t` that can be asked for without parameters (query fields such as
/// `template_analytics` take theirs as modifiers; `analytics.rs` asks for them).
fn every_field(t: &NodeType) -> String {
    t.fields
        .iter()
        .filter(|f| f.render != Render::Query)
        .map(|f| f.name)
        .collect::<Vec<_>>()
        .join(",")
}

/// Checks a node of type `t` against the catalogue: fields rendered from state or derived are
/// there (when the object has a value), omitted ones are not.
#[track_caller]
fn check(t: &NodeType, body: &Value) {
    assert!(body.is_object(), "{}: {body}", t.name);
    for f in t.fields {
        let present = body.get(f.name).is_some();
        match f.render {
            Render::Omitted => assert!(!present, "{}.{} is rendered", t.name, f.name),
            Render::Derived => assert!(present, "{}.{} is missing", t.name, f.name),
            Render::State | Render::Query => {}
        }
    }
}

/// Assigns the partner's admin system user (1100) to WABA 3001, so that both assignment edges
/// have an item.
async fn assign_ops(p: &TestPlatform) {
    p.post(
        "/v23.0/3001/assigned_users",
        FULL,
        &serde_json::json!({"user": "1100", "tasks": ["MANAGE"]}),
    )
    .await
    .ok();
}

/// Asks each node for every field its type documents and checks the answer against the
/// catalogue: fields rendered from state or derived are there, omitted ones are not.
async fn every_documented_field_is_accepted(backend: Backend) {
    let p = TestPlatform::start(backend).await;
    for (path, t) in [
        ("/v23.0/3005", &catalogue::WABA),
        ("/v23.0/4001", &catalogue::PHONE),
        ("/v23.0/5001", &catalogue::TEMPLATE),
        ("/v23.0/1000", &catalogue::BUSINESS),
        ("/v23.0/2000", &catalogue::APPLICATION),
        ("/v23.0/1100", &catalogue::SYSTEM_USER),
    ] {
        let r = p
            .get(&format!("{path}?fields={}", every_field(t)), FULL)
            .await;
        check(t, r.ok());
    }

    // Nodes met as the items of an edge.
    assign_ops(&p).await;
    for (path, t) in [
        (
            "/v23.0/2000/connected_client_businesses?",
            &catalogue::CONNECTED_CLIENT,
        ),
        ("/v23.0/1000/extendedcredits?", &catalogue::EXTENDED_CREDIT),
        (
            "/v23.0/3001/assigned_users?business=1000&",
            &catalogue::ASSIGNED_USER,
        ),
        (
            "/v23.0/1100/assigned_whatsapp_business_accounts?",
            &catalogue::ASSIGNED_WABA,
        ),
        (
            "/v23.0/4001/whatsapp_business_profile?",
            &catalogue::BUSINESS_PROFILE,
        ),
    ] {
        let r = p
            .get(&format!("{path}fields={}", every_field(t)), FULL)
            .await;
        let items = r.ok()["data"].as_array().cloned().unwrap_or_default();
        assert!(!items.is_empty(), "{path}: {}", r.text);
        for item in &items {
            check(t, item);
        }
    }

    // Nested nodes: a subscribed app and its app, asked through the WABA's field.
    p.post("/v23.0/3001/subscribed_apps", FULL, &serde_json::json!({}))
        .await
        .ok();
    let (sub, app) = (&catalogue::SUBSCRIBED_APP, &catalogue::APPLICATION);
    let r = p
        .get(
            &format!(
                "/v23.0/3001?fields=subscribed_apps{{override_callback_uri,whatsapp_business_api_data{{{}}}}}",
                every_field(app)
            ),
            FULL,
        )
        .await;
    let item = &r.ok()["subscribed_apps"]["data"][0];
    check(sub, item);
    check(app, &item["whatsapp_business_api_data"]);
    assert_eq!(
        item["whatsapp_business_api_data"]["name"],
        "Partner Connect"
    );
    p.finish().await;
}

/// Apps, system users, connected clients, credit lines, assignments and profiles refuse a
/// field their type does not have, as Graph does, naming the type.
async fn app_user_client_credit_assignment_and_profile_nodes_refuse_undocumented_fields(
    backend: Backend,
) {
    let p = TestPlatform::start(backend).await;
    assign_ops(&p).await;
    for (path, node) in [
        ("/v23.0/2000?", "Application"),
        ("/v23.0/1100?", "User"),
        ("/v23.0/me?", "User"),
        (
            "/v23.0/2000/connected_client_businesses?",
            "ConnectedClientBusiness",
        ),
        ("/v23.0/1000/extendedcredits?", "ExtendedCredit"),
        ("/v23.0/3001/assigned_users?business=1000&", "AssignedUser"),
        (
            "/v23.0/1100/assigned_whatsapp_business_accounts?",
            "AssignedWhatsAppBusinessAccount",
        ),
        (
            "/v23.0/4001/whatsapp_business_profile?",
            "WhatsAppBusinessProfile",
        ),
    ] {
        let r = p.get(&format!("{path}fields=id,not_a_field"), FULL).await;
        r.graph_error(400, 100, None);
        assert!(
            r.message()
                .contains(&format!("(not_a_field) on node type ({node})")),
            "{path}: {}",
            r.message()
        );
    }
    // A documented field the object has no value for is left out instead.
    let r = p.get("/v23.0/2000?fields=name,category", FULL).await;
    assert_eq!(
        r.ok(),
        &serde_json::json!({"id": "2000", "name": "Partner Connect"})
    );
    p.finish().await;
}

/// A field that needs more than the node's read permissions is refused as its edge is.
async fn subscribed_apps_field_needs_what_its_edge_needs(backend: Backend) {
    let p = TestPlatform::start(backend).await;
    let r = p.get("/v23.0/3001?fields=name", NARROW).await;
    assert_eq!(r.ok()["name"], "Client A Main");
    let field = p
        .get("/v23.0/3001?fields=name,subscribed_apps", NARROW)
        .await;
    let edge = p.get("/v23.0/3001/subscribed_apps", NARROW).await;
    assert_ne!(edge.status, 200);
    assert_eq!(field.status, edge.status);
    assert_eq!(field.json["error"]["code"], edge.json["error"]["code"]);
    assert_eq!(
        field.json["error"]["message"],
        edge.json["error"]["message"]
    );
    p.finish().await;
}

crate::on_both_backends!(
    pywa_basic_reads_are_answered,
    documented_fields_without_a_value_are_omitted,
    undocumented_fields_are_still_refused,
    every_documented_field_is_accepted,
    app_user_client_credit_assignment_and_profile_nodes_refuse_undocumented_fields,
    subscribed_apps_field_needs_what_its_edge_needs,
);
