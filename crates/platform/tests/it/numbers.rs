//! A number after signup (`request_code`, `verify_code`, `whatsapp_business_profile`,
//! `settings`), system users on WABAs (`assigned_users`, `assigned_whatsapp_business_accounts`)
//! and what the partner's business sees of its clients (`connected_client_businesses`,
//! `extendedcredits`).

use serde_json::{Value, json};
use wamm_platform::PlatformConfig;

use crate::support::*;

/// A token of an employee system user of the partner (`agent`, ID 1101), with every scope.
const AGENT: &str = "TOK-PARTNER-AGENT-00000";

/// The suite's world with the partner's employee system user added.
fn world_with_agent() -> String {
    let anchor = "    wabas:\n      - key: partner-own";
    assert!(WORLD.contains(anchor), "the suite world changed its layout");
    WORLD.replacen(
        anchor,
        "      - key: agent\n        id: \"1101\"\n        name: Partner Agent\n        role: EMPLOYEE\n        tokens:\n          - { key: agent-full, app: connect, token: TOK-PARTNER-AGENT-00000, scopes: [whatsapp_business_messaging, whatsapp_business_management, business_management] }\n    wabas:\n      - key: partner-own",
        1,
    )
}

async fn start(backend: Backend) -> TestPlatform {
    TestPlatform::start_with(
        backend,
        PlatformConfig::default(),
        Some(&world_with_agent()),
    )
    .await
}

/// The code the last `phone_number.code_requested` event of `phone` carries.
async fn last_code(p: &TestPlatform, phone: &str) -> String {
    let r = p
        .call(
            reqwest::Method::GET,
            "/_wamm/events?after=0&limit=1000",
            None,
            None,
        )
        .await;
    r.ok()["data"]
        .as_array()
        .expect("events")
        .iter()
        .rev()
        .find(|e| {
            e["kind"] == "phone_number.code_requested"
                && e["subject"] == format!("phone_number:{phone}")
        })
        .and_then(|e| e["detail"]["code"].as_str())
        .expect("a code was requested")
        .to_owned()
}

/// The number's `code_verification_status`.
async fn status(p: &TestPlatform, phone: &str) -> Value {
    p.get(
        &format!("/v23.0/{phone}?fields=code_verification_status"),
        FULL,
    )
    .await
    .ok()["code_verification_status"]
        .clone()
}

fn ids(body: &Value) -> Vec<String> {
    body["data"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|w| w["id"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

async fn request_and_verify_a_code(backend: Backend) {
    let p = start(backend).await;
    // 4003 is not registered: not verified yet.
    assert_eq!(status(&p, "4003").await, "NOT_VERIFIED");

    // Bad method, bad locale.
    let r = p
        .post(
            "/v23.0/4003/request_code",
            FULL,
            &json!({"code_method": "EMAIL", "language": "en_US"}),
        )
        .await;
    r.graph_error(400, 100, None);
    assert!(
        r.message().contains("code_method must be SMS or VOICE"),
        "{}",
        r.message()
    );
    p.post(
        "/v23.0/4003/request_code",
        FULL,
        &json!({"code_method": "SMS", "language": "english"}),
    )
    .await
    .graph_error(400, 100, None);

    let r = p
        .post(
            "/v23.0/4003/request_code",
            FULL,
            &json!({"code_method": "SMS", "language": "en_US"}),
        )
        .await;
    assert_eq!(r.ok(), &json!({"success": true}));
    let code = last_code(&p, "4003").await;
    assert_eq!(code.len(), 6);

    // A code of the wrong shape, then a wrong code: refused, still not verified.
    p.post("/v23.0/4003/verify_code", FULL, &json!({"code": "12ab"}))
        .await
        .graph_error(400, 100, None);
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let r = p
        .post("/v23.0/4003/verify_code", FULL, &json!({"code": wrong}))
        .await;
    r.graph_error(400, 100, None);
    assert_eq!(r.json["error"]["type"], "GraphMethodException");
    assert!(
        r.message().contains("invalid or has expired"),
        "{}",
        r.message()
    );
    assert_eq!(status(&p, "4003").await, "NOT_VERIFIED");

    let r = p
        .post("/v23.0/4003/verify_code", FULL, &json!({"code": code}))
        .await;
    assert_eq!(r.ok(), &json!({"success": true, "id": "4003"}));
    assert_eq!(status(&p, "4003").await, "VERIFIED");
    // A code verifies once.
    p.post("/v23.0/4003/verify_code", FULL, &json!({"code": code}))
        .await
        .graph_error(400, 100, None);

    // A new code lapses after ten minutes on the platform clock.
    p.post(
        "/v23.0/4001/request_code",
        FULL,
        &json!({"code_method": "VOICE", "language": "pt_BR"}),
    )
    .await
    .ok();
    let code = last_code(&p, "4001").await;
    p.clock(json!({"advance_seconds": 601})).await;
    p.post("/v23.0/4001/verify_code", FULL, &json!({"code": code}))
        .await
        .graph_error(400, 100, None);

    // The messaging-only token may not manage the number; a stranger's number is unknown.
    p.post(
        "/v23.0/4003/request_code",
        NARROW,
        &json!({"code_method": "SMS", "language": "en_US"}),
    )
    .await
    .graph_error(403, 200, Some(1_349_174));
    p.post(
        "/v23.0/4006/request_code",
        FULL,
        &json!({"code_method": "SMS", "language": "en_US"}),
    )
    .await
    .graph_error(400, 100, Some(33));
    p.finish().await;
}

async fn business_profile_reads_back_what_was_set(backend: Backend) {
    let p = start(backend).await;
    let r = p.get("/v23.0/4001/whatsapp_business_profile", FULL).await;
    assert_eq!(
        r.ok(),
        &json!({"data": [{"messaging_product": "whatsapp"}]})
    );

    let update = json!({
        "messaging_product": "whatsapp",
        "about": "Fresh bread daily",
        "address": "Rua A, 1",
        "email": "hello@a.test",
        "websites": ["https://a.test", "https://b.test"],
        "vertical": "RESTAURANT",
        "profile_picture_handle": "4:cGljLmpwZw==:aW1hZ2UvanBlZw==:xyz",
    });
    assert_eq!(
        p.post("/v23.0/4001/whatsapp_business_profile", FULL, &update)
            .await
            .ok(),
        &json!({"success": true})
    );
    let r = p.get("/v23.0/4001/whatsapp_business_profile", FULL).await;
    let profile = &r.ok()["data"][0];
    assert_eq!(profile["about"], "Fresh bread daily");
    assert_eq!(
        profile["websites"],
        json!(["https://a.test", "https://b.test"])
    );
    assert_eq!(profile["vertical"], "RESTAURANT");
    assert!(
        profile["profile_picture_url"]
            .as_str()
            .is_some_and(|u| u.starts_with("https://"))
    );
    let r = p
        .get(
            "/v23.0/4001/whatsapp_business_profile?fields=about,email",
            FULL,
        )
        .await;
    assert_eq!(
        r.ok(),
        &json!({"data": [{"about": "Fresh bread daily", "email": "hello@a.test"}]})
    );
    p.get("/v23.0/4001/whatsapp_business_profile?fields=colour", FULL)
        .await
        .graph_error(400, 100, None);

    // Meta's rules; each refusal changes nothing.
    for (bad, words) in [
        (json!({"about": "a".repeat(140)}), "about"),
        (json!({"about": ""}), "about"),
        (
            json!({"websites": ["https://a.test", "https://b.test", "https://c.test"]}),
            "websites",
        ),
        (json!({"websites": ["a.test"]}), "websites"),
        (json!({"vertical": "SPACESHIPS"}), "vertical"),
        (json!({"email": "nope"}), "email"),
    ] {
        let mut body = bad.clone();
        body["messaging_product"] = json!("whatsapp");
        let r = p
            .post("/v23.0/4001/whatsapp_business_profile", FULL, &body)
            .await;
        r.graph_error(400, 100, None);
        assert!(r.message().contains(words), "{bad}: {}", r.message());
    }
    p.post(
        "/v23.0/4001/whatsapp_business_profile",
        FULL,
        &json!({"about": "x"}),
    )
    .await
    .graph_error(400, 100, None);
    let r = p
        .get(
            "/v23.0/4001/whatsapp_business_profile?fields=about,vertical",
            FULL,
        )
        .await;
    assert_eq!(
        r.ok()["data"][0],
        json!({"about": "Fresh bread daily", "vertical": "RESTAURANT"})
    );

    // It survives a world export and import.
    let export = p
        .call(reqwest::Method::GET, "/_wamm/world?format=json", None, None)
        .await;
    let world = export.ok().clone();
    p.call(reqwest::Method::PUT, "/_wamm/world", None, Some(&world))
        .await
        .ok();
    let r = p
        .get("/v23.0/4001/whatsapp_business_profile?fields=about", FULL)
        .await;
    assert_eq!(r.ok()["data"][0], json!({"about": "Fresh bread daily"}));
    p.finish().await;
}

async fn settings_store_one_feature_at_a_time(backend: Backend) {
    let p = start(backend).await;
    let r = p.get("/v23.0/4001/settings", FULL).await;
    assert_eq!(r.ok()["calling"]["status"], "disabled");
    assert_eq!(
        r.ok()["storage_configuration"],
        json!({"status": "default"})
    );

    let calling = json!({"calling": {"status": "enabled", "call_icon_visibility": "hidden", "video": {"status": "enabled"}, "srtp_key_exchange_protocol": "DTLS-SRTP"}});
    assert_eq!(
        p.post("/v23.0/4001/settings", FULL, &calling).await.ok(),
        &json!({"success": true})
    );
    let storage = json!({"storage_configuration": {"enabled": true, "region": "us"}});
    p.post("/v23.0/4001/settings", FULL, &storage).await.ok();
    let encryption = json!({"payload_encryption": {"status": "enabled", "client_encryption_key": "LS0tLS1CRUdJTiBQVUJMSUMgS0VZLS0tLS0="}});
    p.post("/v23.0/4001/settings", FULL, &encryption).await.ok();

    let r = p.get("/v23.0/4001/settings", FULL).await;
    let s = r.ok();
    assert_eq!(s["calling"]["status"], "enabled");
    assert_eq!(s["calling"]["call_icon_visibility"], "hidden");
    assert_eq!(s["calling"]["video"], json!({"status": "enabled"}));
    assert_eq!(s["calling"]["srtp_key_exchange_protocol"], "DTLS-SRTP");
    assert_eq!(
        s["storage_configuration"],
        json!({"status": "in_country_storage_enabled", "data_localization_region": "us"})
    );
    assert_eq!(s["payload_encryption"]["status"], "enabled");
    assert!(
        s["payload_encryption"]["client_encryption_key_fingerprint"]
            .as_str()
            .is_some_and(|f| f.starts_with("SHA256:"))
    );
    // The other number is untouched.
    assert_eq!(
        p.get("/v23.0/4002/settings", FULL).await.ok()["calling"]["status"],
        "disabled"
    );

    // Two features at once, none, a bad value, a key missing.
    let two =
        json!({"calling": {"status": "disabled"}, "storage_configuration": {"enabled": false}});
    p.post("/v23.0/4001/settings", FULL, &two)
        .await
        .graph_error(400, 100, None);
    p.post("/v23.0/4001/settings", FULL, &json!({}))
        .await
        .graph_error(400, 100, None);
    p.post(
        "/v23.0/4001/settings",
        FULL,
        &json!({"calling": {"status": "on"}}),
    )
    .await
    .graph_error(400, 100, None);
    p.post(
        "/v23.0/4001/settings",
        FULL,
        &json!({"payload_encryption": {"status": "enabled"}}),
    )
    .await
    .graph_error(400, 100, None);
    assert_eq!(
        p.get("/v23.0/4001/settings", FULL).await.ok()["calling"]["status"],
        "enabled"
    );
    p.get("/v23.0/4001/settings", NARROW)
        .await
        .graph_error(403, 200, Some(1_349_174));
    p.finish().await;
}

async fn assignment_gives_an_employee_its_reach(backend: Backend) {
    let p = start(backend).await;
    // Unassigned, the employee's token reaches no WABA, even one its business holds.
    p.get("/v23.0/3001", AGENT)
        .await
        .graph_error(403, 200, Some(1_349_174));
    p.get("/v23.0/4001", AGENT)
        .await
        .graph_error(403, 200, Some(1_349_174));

    // Only an admin system user may assign.
    p.post(
        "/v23.0/3001/assigned_users",
        AGENT,
        &json!({"user": "1101", "tasks": ["MANAGE"]}),
    )
    .await
    .graph_error(403, 200, Some(1_349_174));
    // Bad user, bad tasks.
    p.post(
        "/v23.0/3001/assigned_users",
        FULL,
        &json!({"user": "9999", "tasks": ["MANAGE"]}),
    )
    .await
    .graph_error(400, 100, None);
    p.post(
        "/v23.0/3001/assigned_users",
        FULL,
        &json!({"user": "1101", "tasks": ["ADMIN"]}),
    )
    .await
    .graph_error(400, 100, None);
    p.post("/v23.0/3001/assigned_users", FULL, &json!({"user": "1101"}))
        .await
        .graph_error(400, 100, None);

    // Meta's guide writes the tasks `['MANAGE']`, in the query.
    let r = p
        .call(
            reqwest::Method::POST,
            "/v23.0/3001/assigned_users?user=1101&tasks=%5B%27MANAGE%27%2C%27DEVELOP%27%5D",
            Some(FULL),
            None,
        )
        .await;
    assert_eq!(r.ok(), &json!({"success": true}));
    p.post(
        "/v23.0/3001/assigned_users",
        FULL,
        &json!({"user": "1101", "tasks": ["MANAGE"]}),
    )
    .await
    .graph_error(400, 100, None);

    // Now the employee reaches 3001 and its numbers, and nothing else.
    assert_eq!(
        p.get("/v23.0/3001?fields=id", AGENT).await.ok(),
        &json!({"id": "3001"})
    );
    p.get("/v23.0/4001?fields=id", AGENT).await.ok();
    p.get("/v23.0/3002", AGENT)
        .await
        .graph_error(403, 200, Some(1_349_174));
    let r = p
        .get(
            "/v23.0/1000/client_whatsapp_business_accounts?fields=id",
            AGENT,
        )
        .await;
    assert_eq!(ids(r.ok()), ["3001"]);

    // Listed both ways.
    let r = p
        .get(
            "/v23.0/3001/assigned_users?business=1000&fields=id,name,tasks,user_type,business",
            FULL,
        )
        .await;
    assert_eq!(
        r.ok()["data"],
        json!([{"id": "1101", "name": "Partner Agent", "tasks": ["MANAGE", "DEVELOP"], "user_type": "SYSTEM_USER", "business": {"id": "1000", "name": "Partner Inc"}}])
    );
    assert_eq!(r.ok()["summary"]["total_count"], 1);
    p.get("/v23.0/3001/assigned_users", FULL)
        .await
        .graph_error(400, 100, None);
    p.get("/v23.0/3001/assigned_users?business=1001", FULL)
        .await
        .graph_error(400, 100, None);
    let r = p
        .get("/v23.0/1101/assigned_whatsapp_business_accounts?fields=id,name,permissions,business_id", FULL)
        .await;
    assert_eq!(
        r.ok()["data"],
        json!([{"id": "3001", "name": "Client A Main", "permissions": ["MANAGE", "DEVELOP"], "business_id": "1001"}])
    );
    let r = p
        .get("/v23.0/1101/assigned_whatsapp_business_accounts", AGENT)
        .await;
    assert_eq!(
        r.ok()["data"],
        json!([{"id": "3001", "name": "Client A Main", "status": "ACTIVE", "tasks": ["MANAGE", "DEVELOP"]}])
    );
    p.get("/v23.0/1101/assigned_whatsapp_business_accounts", NARROW)
        .await
        .graph_error(403, 200, Some(1_349_174));

    // Removing takes the reach away at once; removing again is the spec's 404.
    let r = p
        .call(
            reqwest::Method::DELETE,
            "/v23.0/3001/assigned_users?user=1101",
            Some(FULL),
            None,
        )
        .await;
    assert_eq!(r.ok(), &json!({"success": true}));
    p.get("/v23.0/3001", AGENT)
        .await
        .graph_error(403, 200, Some(1_349_174));
    let r = p
        .call(
            reqwest::Method::DELETE,
            "/v23.0/3001/assigned_users?user=1101",
            Some(FULL),
            None,
        )
        .await;
    r.graph_error(404, 803, None);
    assert!(r.message().contains("not assigned"), "{}", r.message());
    // An admin system user's tokens keep reaching every WABA, assigned or not.
    p.get("/v23.0/3002?fields=id", FULL).await.ok();
    // The stranger's WABA is unknown to the partner.
    p.post(
        "/v23.0/3006/assigned_users",
        FULL,
        &json!({"user": "1101", "tasks": ["MANAGE"]}),
    )
    .await
    .graph_error(400, 100, Some(33));
    p.finish().await;
}

async fn connected_clients_and_credit_lines(backend: Backend) {
    let p = start(backend).await;
    let r = p.get("/v23.0/2000/connected_client_businesses", FULL).await;
    assert_eq!(ids(r.ok()), ["1001", "1002", "1003", "1004"]);
    assert_eq!(
        r.ok()["data"][0],
        json!({"id": "1001", "name": "Client A Bakery", "verification_status": "VERIFIED", "business_status": "ACTIVE"})
    );
    let r = p
        .get(
            "/v23.0/2000/connected_client_businesses?fields=id,created_time&limit=1",
            FULL,
        )
        .await;
    assert_eq!(r.ok()["data"].as_array().map(Vec::len), Some(1));
    assert!(r.ok()["data"][0]["created_time"].is_string());
    assert!(r.ok()["paging"]["cursors"]["after"].is_string());
    // The app token and another app's token are refused; so is a token without the scopes.
    p.get(
        "/v23.0/2000/connected_client_businesses",
        "2000|connect-secret-0000000000000000",
    )
    .await
    .graph_error(403, 200, Some(1_349_174));
    p.get("/v23.0/2001/connected_client_businesses", FULL)
        .await
        .graph_error(403, 200, Some(1_349_174));
    p.get("/v23.0/2000/connected_client_businesses", NARROW)
        .await
        .graph_error(403, 200, Some(1_349_174));

    let r = p.get("/v23.0/1000/extendedcredits", FULL).await;
    assert_eq!(
        r.ok()["data"],
        json!([{"id": "10000001", "legal_entity_name": "Partner Inc"}])
    );
    // A client's business is not the token's own.
    p.get("/v23.0/1001/extendedcredits", FULL)
        .await
        .graph_error(400, 100, Some(33));
    p.get("/v23.0/1000/extendedcredits", NARROW)
        .await
        .graph_error(403, 200, Some(1_349_174));
    p.finish().await;
}

crate::on_both_backends!(
    request_and_verify_a_code,
    business_profile_reads_back_what_was_set,
    settings_store_one_feature_at_a_time,
    assignment_gives_an_employee_its_reach,
    connected_clients_and_credit_lines,
);
