//! whatsapp-api-js (the pinned release `scripts/ensure-whatsapp-api-js.sh` installs, found
//! through `WAMM_WHATSAPP_API_JS_DIR`) unchanged against `wamm up` with the demo world, only
//! its base URL switched (through the `fetch` its `ponyfill` option takes). The client runs as
//! a Node.js child process and prints one JSON line per call, as the pywa scripts do.
//!
//! What the library offers is what is covered: its template send (`sendMessage`, always
//! `POST /{phone}/messages`; it has no Marketing Messages call) with its `on.sent` callback
//! and the Graph error it hands back, and its webhook side: the verification handshake
//! (`get`), `X-Hub-Signature-256` checks (`verifyRequestSignature`, and `post`, which must
//! refuse a tampered body) and `post` handling our deliveries. The library has no calls for
//! the business account, phone number or template reads, nor for creating a template, so those
//! are not exercised here (pywa covers them).
//!
//! `post` only knows the `messages` and `calls` fields and reads `value.metadata` of any
//! change before looking at its field: our `messages` statuses reach `on.status` with typed
//! fields, a Marketing Messages click (a `messages` change with `user_actions`) is refused as
//! an unexpected payload, and `message_template_status_update` and `account_update` changes,
//! which carry no `metadata` on Graph, make it throw a `TypeError`. The signatures of all of
//! them must verify.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::real_clients::{TO, Target, client_env, demo, installed, run_client, text};

/// The whatsapp-api-js scripts, kept next to the pywa ones.
const WAJS_SEND: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/it/clients/wajs_send.mjs"
);
const WAJS_WEBHOOKS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/it/clients/wajs_webhooks.mjs"
);

/// The error class `post` throws for a signature that does not match the body.
const BAD_SIGNATURE: &str = "WhatsAppAPIFailedToVerifyError";

/// The npm folder holding whatsapp-api-js.
fn wajs_dir() -> String {
    installed(
        "WAMM_WHATSAPP_API_JS_DIR",
        "scripts/ensure-whatsapp-api-js.sh",
    )
}

/// Runs the whatsapp-api-js `script` with the client environment of the target plus `extra`.
async fn run_wajs(
    script: &str,
    info: &Value,
    target: &Target,
    extra: &[(&str, &str)],
) -> (BTreeMap<String, Value>, String) {
    let mut env = client_env(info, target, extra);
    env.push(("WAMM_WHATSAPP_API_JS_DIR".to_owned(), wajs_dir()));
    run_client("node".to_owned(), vec![script.to_owned()], env).await
}

/// The call's line, which must report success.
fn ok<'a>(calls: &'a BTreeMap<String, Value>, call: &str, stderr: &str) -> &'a Value {
    let got = calls
        .get(call)
        .unwrap_or_else(|| panic!("{call}: no result line in {calls:?}\nstderr:\n{stderr}"));
    assert_eq!(got["ok"], true, "{call} failed: {got}\nstderr:\n{stderr}");
    got
}

#[tokio::test]
async fn whatsapp_api_js_sends_a_template_and_reads_graph_errors() {
    let (_wamm, info, target) = demo().await;
    let (calls, stderr) = run_wajs(
        WAJS_SEND,
        &info,
        &target,
        &[("WAMM_MISSING_TEMPLATE", "no_such_template_here")],
    )
    .await;
    let phone = target.str("/phone_numbers/0/id");

    let sent = ok(&calls, "send_template", &stderr);
    let wamid = text(&sent["id"]);
    assert!(wamid.starts_with("wamid."), "{sent}");
    assert_eq!(sent["wa_id"], TO, "{sent}");
    // The library's own `on.sent` callback, fed from our answer.
    assert_eq!(
        sent["sent"],
        json!({
            "phoneID": phone,
            "to": TO,
            "type": "template",
            "id": wamid,
            // Our answer says `message_status: accepted`, so the message was not held.
            "held_for_quality_assessment": false,
        }),
        "{sent}"
    );
    // What the library sent is what the platform stored: the template, to the recipient.
    let base = text(&info["base_url"]);
    let stored: Value = reqwest::get(format!("{base}/_wamm/messages/{wamid}"))
        .await
        .expect("control API")
        .json()
        .await
        .expect("JSON");
    assert_eq!(stored["to"], TO, "{stored}");
    assert_eq!(text(&stored["phone_number_id"]), phone, "{stored}");
    assert_eq!(
        text(&stored["template_id"]),
        text(&target.send["id"]),
        "{stored}"
    );
    // `/messages` is the Cloud API route, whatever the WABA's onboarding.
    assert_eq!(stored["route"], "cloud_api", "{stored}");

    // Graph's error for a template the WABA lacks, as the library hands it back.
    let missing = ok(&calls, "send_missing_template", &stderr);
    assert_eq!(
        missing,
        &json!({
            "call": "send_missing_template",
            "ok": true,
            "code": 132_001,
            "type": "OAuthException",
            "has_message": true,
            "has_fbtrace_id": true,
        }),
    );
}

/// Checks one delivery's summary: the signature verified, the tampered copy was refused, and
/// `post` ended as `want` says (`{"callback": {...fields}}` compared field by field, or
/// `{"error": class, "message_has": text}`).
fn check_delivery(what: &str, got: &Value, want: &Value, failures: &mut Vec<String>) {
    if got["verified"] != true {
        failures.push(format!("{what}: signature not verified: {got}"));
    }
    if got["tampered"]["error"] != BAD_SIGNATURE {
        failures.push(format!("{what}: tampered body not refused: {got}"));
    }
    if let Some(fields) = want.get("callback").and_then(Value::as_object) {
        let fired = &got["outcome"]["callback"];
        for (key, value) in fields {
            if &fired[key] != value {
                failures.push(format!(
                    "{what}: {key} is {}, want {value}: {got}",
                    fired[key]
                ));
            }
        }
    } else {
        let outcome = &got["outcome"];
        let message_has = text(&want["message_has"]);
        if outcome["error"] != want["error"] || !text(&outcome["message"]).contains(&message_has) {
            failures.push(format!("{what}: post ended {outcome}, want {want}"));
        }
    }
}

/// A WABA shared with `partner` and its number connected to the WhatsApp Business app
/// (coexistence), whose disconnection the platform announces with `account_update`.
async fn coexistence_number(info: &Value) -> (String, String) {
    let base = text(&info["base_url"]);
    let world: Value = reqwest::get(format!("{base}/_wamm/world?format=json"))
        .await
        .expect("world answers")
        .json()
        .await
        .expect("world JSON");
    let partner = format!("business-{}", text(&info["partner_business_id"]));
    let wabas = world["businesses"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|b| b["wabas"].as_array().into_iter().flatten());
    for waba in wabas {
        let shared = waba["partners"]
            .as_array()
            .is_some_and(|ps| ps.iter().any(|p| p["business"] == partner.as_str()));
        let numbers = waba["phone_numbers"].as_array().into_iter().flatten();
        if let Some(number) = numbers.into_iter().find(|n| n["coexistence"] == true)
            && shared
        {
            return (text(&waba["id"]), text(&number["id"]));
        }
    }
    panic!("no coexistence number on a WABA shared with the partner in the demo world: {world}")
}

#[tokio::test]
async fn whatsapp_api_js_verifies_and_handles_our_webhooks() {
    let (_wamm, info, target) = demo().await;
    let template_id = text(&target.send["id"]);
    let (coex_waba, coex_phone) = coexistence_number(&info).await;
    let (calls, stderr) = run_wajs(
        WAJS_WEBHOOKS,
        &info,
        &target,
        &[
            ("WAMM_SEND_TEMPLATE_ID", template_id.as_str()),
            ("WAMM_COEX_WABA_ID", coex_waba.as_str()),
            ("WAMM_COEX_PHONE_ID", coex_phone.as_str()),
        ],
    )
    .await;
    let phone = target.str("/phone_numbers/0/id");

    let subscribed = ok(&calls, "subscribe", &stderr);
    assert_eq!(subscribed["success"], true, "{subscribed}");
    // The platform only stores the subscription once the library answered the challenge.
    assert!(
        subscribed["handshakes"].as_u64().is_some_and(|n| n >= 1),
        "{subscribed}"
    );

    let wamid = text(&ok(&calls, "send_template", &stderr)["id"]);
    let statuses = ok(&calls, "status_webhooks", &stderr);
    let click = ok(&calls, "click_webhook", &stderr);
    let template = ok(&calls, "template_status_webhook", &stderr);
    let account = ok(&calls, "account_update_webhook", &stderr);

    let mut failures = Vec::new();
    for status in ["sent", "delivered"] {
        check_delivery(
            &format!("{status} status"),
            &statuses[status],
            &json!({"callback": {
                "callback": "status",
                "status": status,
                "id": wamid,
                "phoneID": phone,
                "phone": TO,
                "type": "individual",
                "pricing": {"billable": true, "pricing_model": "PMP", "category": "marketing", "type": "regular"},
                "biz_opaque_callback_data": "wajs-campaign-7",
            }}),
            &mut failures,
        );
    }
    check_delivery(
        "read status",
        &click["read"],
        &json!({"callback": {
            "callback": "status", "status": "read", "id": click["id"], "phoneID": phone, "phone": TO,
        }}),
        &mut failures,
    );
    // A click is a `messages` change with neither `messages` nor `statuses`: not the
    // library's business, which it says with its "unexpected payload" error (HTTP 200).
    check_delivery(
        "click",
        &click["click"],
        &json!({"error": "WhatsAppAPIUnexpectedError", "message_has": "Unexpected payload"}),
        &mut failures,
    );
    // Neither field carries `metadata` on Graph; the library reads it first.
    for (what, got) in [
        ("message_template_status_update", template),
        ("account_update", account),
    ] {
        check_delivery(
            what,
            got,
            &json!({"error": "TypeError", "message_has": "phone_number_id"}),
            &mut failures,
        );
    }

    // The platform's own account_update for a number that left the WhatsApp Business app.
    if account["event"] != "PARTNER_REMOVED" {
        failures.push(format!("account_update event: {account}"));
    }

    let all = ok(&calls, "all_deliveries", &stderr);
    if all["unverified"] != json!([]) {
        failures.push(format!(
            "deliveries whose signature failed: {}",
            all["unverified"]
        ));
    }
    if all["tampered_accepted"] != json!([]) {
        failures.push(format!(
            "tampered deliveries not refused: {}",
            all["tampered_accepted"]
        ));
    }
    assert!(
        failures.is_empty(),
        "whatsapp-api-js webhook handling against wamm:\n{}\nstderr:\n{stderr}",
        failures.join("\n")
    );
}
