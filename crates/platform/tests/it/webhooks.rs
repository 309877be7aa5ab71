//! Webhooks: subscriptions behind the handshake, signed batched deliveries, retries on the
//! platform clock, isolation between endpoints, faults, and the delivery log.

use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};
use wamm_platform::PlatformConfig;

use crate::support::*;

/// Checks a delivery's signature with the suite's own HMAC, not the platform's code.
fn assert_signed(d: &Delivery, secret: &str) {
    wamm_testkit::assert_hub_signature(d.signature.as_deref(), &d.body, secret);
    assert_eq!(d.content_type.as_deref(), Some("application/json"));
}

const APP_TOKEN: &str = "2000|connect-secret-0000000000000000";

async fn subscribe_app(p: &TestPlatform, receiver: &Receiver, fields: &str) -> Resp {
    p.post(
        "/v23.0/2000/subscriptions",
        APP_TOKEN,
        &json!({"object": "whatsapp_business_account", "callback_url": receiver.url, "verify_token": "verify-me", "fields": fields}),
    )
    .await
}

async fn emit(p: &TestPlatform, waba: &str, field: &str, values: Vec<Value>) -> Value {
    p.call(
        Method::POST,
        "/_wamm/webhooks/emit",
        None,
        Some(&json!({"waba_id": waba, "field": field, "values": values})),
    )
    .await
    .ok()
    .clone()
}

async fn outbox(p: &TestPlatform) -> Vec<Value> {
    p.call(Method::GET, "/_wamm/webhooks?limit=1000", None, None)
        .await
        .ok()["data"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

async fn handshake_accepts_and_refuses(backend: Backend) {
    let p = TestPlatform::start(backend).await;
    let good = Receiver::start(ReceiverBehaviour::default()).await;
    assert_eq!(
        subscribe_app(&p, &good, "account_update,messages")
            .await
            .ok(),
        &json!({"success": true})
    );
    assert_eq!(good.handshakes(), 1);
    let r = p.get("/v23.0/2000/subscriptions", APP_TOKEN).await;
    let sub = &r.ok()["data"][0];
    assert_eq!(sub["object"], "whatsapp_business_account");
    assert_eq!(sub["active"], true);
    assert_eq!(sub["callback_url"], good.url.as_str());
    assert_eq!(
        sub["fields"],
        json!([{"name": "account_update", "version": "v23.0"}, {"name": "messages", "version": "v23.0"}])
    );
    // A callback that fails the handshake changes nothing that worked: the verified callback
    // stays active and keeps receiving events.
    let working = || async {
        let r = p.get("/v23.0/2000/subscriptions", APP_TOKEN).await;
        let sub = r.ok()["data"][0].clone();
        assert_eq!(sub["active"], true, "{sub}");
        assert_eq!(sub["callback_url"], good.url.as_str(), "{sub}");
    };
    let wrong_token = Receiver::start(ReceiverBehaviour {
        verify_token: "other".into(),
        ..ReceiverBehaviour::default()
    })
    .await;
    subscribe_app(&p, &wrong_token, "account_update")
        .await
        .graph_error(400, 2200, None);
    working().await;
    let wrong_body = Receiver::start(ReceiverBehaviour {
        handshake: Some((200, "not the challenge".into())),
        ..ReceiverBehaviour::default()
    })
    .await;
    let r = subscribe_app(&p, &wrong_body, "account_update").await;
    r.graph_error(400, 2201, None);
    assert!(r.message().contains("does not match challenge"));
    working().await;
    let failing = Receiver::start(ReceiverBehaviour {
        handshake: Some((500, String::new())),
        ..ReceiverBehaviour::default()
    })
    .await;
    subscribe_app(&p, &failing, "account_update")
        .await
        .graph_error(400, 2200, None);
    working().await;
    p.post("/v23.0/3001/subscribed_apps", FULL, &json!({}))
        .await
        .ok();
    emit(
        &p,
        "3001",
        "account_update",
        vec![json!({"after": "failed change"})],
    )
    .await;
    assert_eq!(good.wait_for_entries(1).await.len(), 1);
    assert_eq!(failing.entries().len(), 0);
    // Only an app token of that app may manage its subscriptions; fields are checked.
    subscribe_app(&p, &good, "account_update").await.ok();
    p.post(
        "/v23.0/2000/subscriptions",
        FULL,
        &json!({"object": "whatsapp_business_account"}),
    )
    .await
    .graph_error(400, 15, None);
    subscribe_app(&p, &good, "no_such_field")
        .await
        .graph_error(400, 100, None);
    assert_eq!(
        p.delete("/v23.0/2000/subscriptions?fields=messages", APP_TOKEN)
            .await
            .ok(),
        &json!({"success": true})
    );
    let fields =
        p.get("/v23.0/2000/subscriptions", APP_TOKEN).await.ok()["data"][0]["fields"].clone();
    assert_eq!(
        fields,
        json!([{"name": "account_update", "version": "v23.0"}])
    );
    p.delete("/v23.0/2000/subscriptions", APP_TOKEN).await.ok();
    assert_eq!(
        p.get("/v23.0/2000/subscriptions", APP_TOKEN).await.ok(),
        &json!({"data": []})
    );
    // With nothing working to keep, the failed callback is kept inactive for the dashboard.
    subscribe_app(&p, &failing, "account_update")
        .await
        .graph_error(400, 2200, None);
    assert_eq!(
        p.get("/v23.0/2000/subscriptions", APP_TOKEN).await.ok()["data"][0]["active"],
        false
    );
    p.finish().await;
}

async fn signed_envelopes_only_for_subscribed_fields(backend: Backend) {
    let p = TestPlatform::start(backend).await;
    let receiver = Receiver::start(ReceiverBehaviour::default()).await;
    subscribe_app(
        &p,
        &receiver,
        "account_update,message_template_status_update",
    )
    .await
    .ok();
    p.post("/v23.0/3001/subscribed_apps", FULL, &json!({}))
        .await
        .ok();
    // A real platform change: creating a template tells subscribed apps its review outcome.
    let created = p
        .post("/v23.0/3001/message_templates", FULL, &json!({"name": "hooked", "language": "en_US", "category": "MARKETING", "components": [{"type": "BODY", "text": "x"}]}))
        .await;
    let template_id = created.ok()["id"].as_str().expect("id").to_owned();
    let entries = receiver.wait_for_entries(1).await;
    let posts = receiver.posts();
    assert_eq!(posts[0].json["object"], "whatsapp_business_account");
    assert_signed(&posts[0], CONNECT_SECRET);
    assert_eq!(entries[0]["id"], "3001");
    assert!(entries[0]["time"].is_i64());
    let change = &entries[0]["changes"][0];
    assert_eq!(change["field"], "message_template_status_update");
    assert_eq!(change["value"]["event"], "APPROVED");
    assert_eq!(
        change["value"]["message_template_id"].to_string(),
        template_id
    );
    // A field the app did not subscribe to is not delivered at all.
    assert_eq!(
        emit(&p, "3001", "messages", vec![json!({"n": 1})]).await["deliveries"],
        0
    );
    // A WABA the app is not subscribed to gets nothing either.
    assert_eq!(
        emit(&p, "3002", "account_update", vec![json!({"n": 2})]).await["deliveries"],
        0
    );
    let sent = emit(
        &p,
        "3001",
        "account_update",
        (0..50).map(|i| json!({"event": "TEST", "n": i})).collect(),
    )
    .await;
    assert_eq!(sent["deliveries"], 50);
    let entries = receiver.wait_for_entries(51).await;
    assert_eq!(entries.len(), 51);
    assert!(receiver.posts().len() < 51, "entries are batched");
    for post in receiver.posts() {
        assert_signed(&post, CONNECT_SECRET);
    }
    p.finish().await;
}

/// Bodies are written as Meta writes them, every non-ASCII character escaped, and signed over
/// exactly those bytes; a receiver that re-serializes the parsed body with the same escaping
/// (pywa does) gets the same bytes and so the same signature.
async fn non_ascii_text_is_escaped_and_signed(backend: Backend) {
    let p = TestPlatform::start(backend).await;
    let receiver = Receiver::start(ReceiverBehaviour::default()).await;
    subscribe_app(&p, &receiver, "account_update").await.ok();
    p.post("/v23.0/3001/subscribed_apps", FULL, &json!({}))
        .await
        .ok();
    let text = "Caf\u{e9} \u{4e2d} \u{1f600}";
    emit(
        &p,
        "3001",
        "account_update",
        vec![json!({"event": "TEST", "text": text, "k\u{e9}y": ["\u{4e2d}"]})],
    )
    .await;
    receiver.wait_for_entries(1).await;
    let post = &receiver.posts()[0];
    assert!(
        post.body.is_ascii(),
        "{}",
        String::from_utf8_lossy(&post.body)
    );
    let raw = std::str::from_utf8(&post.body).expect("ASCII");
    assert!(raw.contains(r#""Caf\u00e9 \u4e2d \ud83d\ude00""#), "{raw}");
    assert!(raw.contains(r#""k\u00e9y":["\u4e2d"]"#), "{raw}");
    assert_signed(post, CONNECT_SECRET);
    let value = &post.json["entry"][0]["changes"][0]["value"];
    assert_eq!(value["text"], text);
    assert_eq!(value["k\u{e9}y"][0], "\u{4e2d}");
    let reserialized = wamm_wire::json::to_ascii_vec(&post.json).expect("serializes");
    assert_eq!(reserialized, post.body);
    wamm_testkit::assert_hub_signature(post.signature.as_deref(), &reserialized, CONNECT_SECRET);
    p.finish().await;
}

async fn waba_override_callback(backend: Backend) {
    let p = TestPlatform::start(backend).await;
    let app_receiver = Receiver::start(ReceiverBehaviour::default()).await;
    let override_receiver = Receiver::start(ReceiverBehaviour::default()).await;
    subscribe_app(&p, &app_receiver, "account_update")
        .await
        .ok();
    p.post("/v23.0/3001/subscribed_apps", FULL, &json!({}))
        .await
        .ok();
    p.post(
        "/v23.0/3002/subscribed_apps",
        FULL,
        &json!({"override_callback_uri": override_receiver.url, "verify_token": "verify-me"}),
    )
    .await
    .ok();
    emit(
        &p,
        "3002",
        "account_update",
        vec![json!({"to": "override"})],
    )
    .await;
    emit(&p, "3001", "account_update", vec![json!({"to": "app"})]).await;
    let o = override_receiver.wait_for_entries(1).await;
    let a = app_receiver.wait_for_entries(1).await;
    assert_eq!(o[0]["id"], "3002");
    assert_eq!(a[0]["id"], "3001");
    assert_eq!(o.len(), 1);
    assert_eq!(a.len(), 1);
    // A new override that fails the handshake leaves the verified one in place.
    let failing = Receiver::start(ReceiverBehaviour {
        handshake: Some((500, String::new())),
        ..ReceiverBehaviour::default()
    })
    .await;
    p.post(
        "/v23.0/3002/subscribed_apps",
        FULL,
        &json!({"override_callback_uri": failing.url, "verify_token": "verify-me"}),
    )
    .await
    .graph_error(400, 2200, None);
    let listed = p.get("/v23.0/3002/subscribed_apps", FULL).await;
    assert_eq!(
        listed.ok()["data"][0]["override_callback_uri"],
        override_receiver.url.as_str()
    );
    emit(
        &p,
        "3002",
        "account_update",
        vec![json!({"to": "override again"})],
    )
    .await;
    assert_eq!(override_receiver.wait_for_entries(2).await.len(), 2);
    assert_eq!(failing.entries().len(), 0);
    p.finish().await;
}

async fn wait_outbox(p: &TestPlatform, pred: impl Fn(&[Value]) -> bool) -> Vec<Value> {
    for _ in 0..200 {
        let items = outbox(p).await;
        if pred(&items) {
            return items;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!(
        "outbox never reached the expected state: {:?}",
        outbox(p).await
    );
}

async fn retries_follow_the_platform_clock(backend: Backend) {
    let p = TestPlatform::start(backend).await;
    let receiver = Receiver::start(ReceiverBehaviour {
        fail_first: 2,
        ..ReceiverBehaviour::default()
    })
    .await;
    subscribe_app(&p, &receiver, "account_update").await.ok();
    p.post("/v23.0/3001/subscribed_apps", FULL, &json!({}))
        .await
        .ok();
    p.clock(json!({"freeze": true, "set": "2030-01-01T00:00:00Z"}))
        .await;
    emit(
        &p,
        "3001",
        "account_update",
        vec![json!({"event": "RETRY_ME"})],
    )
    .await;
    let items = wait_outbox(&p, |i| i.first().is_some_and(|x| x["attempts"] == 1)).await;
    let first_due = items[0]["next_attempt_at"].as_i64().expect("due");
    let start = 1_893_456_000_000_i64;
    assert!(
        (start + 4_000..=start + 6_000).contains(&first_due),
        "first retry ~5 s later: {first_due}"
    );
    assert_eq!(items[0]["status"], "pending");
    p.clock(json!({"advance_seconds": 6})).await;
    let items = wait_outbox(&p, |i| i.first().is_some_and(|x| x["attempts"] == 2)).await;
    let second_due = items[0]["next_attempt_at"].as_i64().expect("due");
    assert!(
        (start + 6_000 + 8_000..=start + 6_000 + 12_000).contains(&second_due),
        "then ~10 s: {second_due}"
    );
    p.clock(json!({"advance_seconds": 12})).await;
    let items = wait_outbox(&p, |i| {
        i.first().is_some_and(|x| x["status"] == "delivered")
    })
    .await;
    assert_eq!(items[0]["attempts"], 3);
    assert_eq!(receiver.refused(), 2);
    assert_eq!(receiver.entries().len(), 1);
    let id = items[0]["id"].as_i64().expect("id");
    let log = p
        .call(Method::GET, &format!("/_wamm/webhooks/{id}"), None, None)
        .await;
    let attempts = log.ok()["attempts"].as_array().cloned().unwrap_or_default();
    let codes: Vec<i64> = attempts
        .iter()
        .filter_map(|a| a["status_code"].as_i64())
        .collect();
    assert_eq!(codes, [500, 500, 200]);
    assert_eq!(attempts[0]["at"], start);
    // Manual redelivery sends it again.
    p.call(
        Method::POST,
        &format!("/_wamm/webhooks/{id}/redeliver"),
        None,
        None,
    )
    .await
    .ok();
    receiver.wait_for_entries(2).await;
    p.finish().await;
}

async fn deliveries_are_dropped_after_the_window(backend: Backend) {
    let mut config = PlatformConfig::default();
    config.webhooks.retry.max_age = Duration::from_secs(60);
    let p = TestPlatform::start_with(backend, config, Some(WORLD)).await;
    let receiver = Receiver::start(ReceiverBehaviour {
        fail_first: usize::MAX,
        ..ReceiverBehaviour::default()
    })
    .await;
    subscribe_app(&p, &receiver, "account_update").await.ok();
    p.post("/v23.0/3001/subscribed_apps", FULL, &json!({}))
        .await
        .ok();
    p.clock(json!({"freeze": true})).await;
    emit(
        &p,
        "3001",
        "account_update",
        vec![json!({"event": "DOOMED"})],
    )
    .await;
    let mut attempts = 1;
    wait_outbox(&p, |i| i.first().is_some_and(|x| x["attempts"] == 1)).await;
    loop {
        p.clock(json!({"advance_seconds": 30})).await;
        attempts += 1;
        let items = wait_outbox(&p, |i| {
            i.first()
                .is_some_and(|x| x["attempts"].as_i64() >= Some(attempts))
        })
        .await;
        if items[0]["status"] == "dropped" {
            break;
        }
        assert!(attempts < 10, "dropped within the window");
    }
    let events = p
        .call(Method::GET, "/_wamm/events?limit=1000", None, None)
        .await;
    assert!(
        events.ok()["data"]
            .as_array()
            .is_some_and(|e| e.iter().any(|e| e["kind"] == "webhook.dropped"))
    );
    assert_eq!(
        p.call(Method::GET, "/_wamm/webhooks/stats", None, None)
            .await
            .ok()["dropped"],
        1
    );
    p.finish().await;
}

async fn a_hanging_endpoint_does_not_delay_another(backend: Backend) {
    let mut config = PlatformConfig::default();
    config.webhooks.request_timeout = Duration::from_secs(5);
    let p = TestPlatform::start_with(backend, config, Some(WORLD)).await;
    let hanging = Receiver::start(ReceiverBehaviour {
        hang: true,
        ..ReceiverBehaviour::default()
    })
    .await;
    let healthy = Receiver::start(ReceiverBehaviour::default()).await;
    subscribe_app(&p, &hanging, "account_update").await.ok();
    p.post("/v23.0/3001/subscribed_apps", FULL, &json!({}))
        .await
        .ok();
    p.post(
        "/v23.0/3002/subscribed_apps",
        FULL,
        &json!({"override_callback_uri": healthy.url, "verify_token": "verify-me"}),
    )
    .await
    .ok();
    emit(&p, "3001", "account_update", vec![json!({"to": "hanging"})]).await;
    let started = std::time::Instant::now();
    emit(&p, "3002", "account_update", vec![json!({"to": "healthy"})]).await;
    healthy.wait_for_entries(1).await;
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "delivered before the hanging endpoint times out"
    );
    let items = outbox(&p).await;
    let hung = items
        .iter()
        .find(|i| i["webhook"]["object_id"] == "3001")
        .expect("the hanging delivery");
    assert_eq!(hung["attempts"], 0, "its attempt is still in flight");
    // Once it times out, the failed attempt records how long it took, not nothing.
    let path = format!("/_wamm/webhooks/{}", hung["id"]);
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    let attempt = loop {
        let r = p.call(Method::GET, &path, None, None).await;
        if let Some(first) = r.ok()["attempts"].get(0) {
            break first.clone();
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no attempt recorded: {}",
            r.text
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(attempt["error"].is_string(), "{attempt}");
    let took = attempt["duration_ms"].as_i64().unwrap_or_default();
    assert!(
        (4_500..20_000).contains(&took),
        "a timed-out attempt took about the 5 s timeout: {attempt}"
    );
    p.finish().await;
}

async fn faults_duplicate_and_reorder(backend: Backend) {
    let p = TestPlatform::start(backend).await;
    let receiver = Receiver::start(ReceiverBehaviour::default()).await;
    subscribe_app(&p, &receiver, "account_update").await.ok();
    p.post("/v23.0/3001/subscribed_apps", FULL, &json!({}))
        .await
        .ok();
    p.call(
        Method::PUT,
        "/_wamm/webhooks/faults",
        None,
        Some(&json!({"endpoint": receiver.url, "duplicate": true, "reorder": true})),
    )
    .await
    .ok();
    emit(
        &p,
        "3001",
        "account_update",
        vec![json!({"n": 0}), json!({"n": 1}), json!({"n": 2})],
    )
    .await;
    let entries = receiver.wait_for_entries(6).await;
    let posts = receiver.posts();
    assert_eq!(posts.len(), 2, "the batch was sent twice");
    assert_eq!(posts[0].body, posts[1].body);
    let order: Vec<i64> = entries[..3]
        .iter()
        .filter_map(|e| e["changes"][0]["value"]["n"].as_i64())
        .collect();
    assert_eq!(order, [2, 1, 0], "entries reversed within the batch");
    let faults = p
        .call(Method::GET, "/_wamm/webhooks/faults", None, None)
        .await;
    assert_eq!(faults.ok()[receiver.url.as_str()]["duplicate"], true);
    p.finish().await;
}

async fn destinations_are_allow_listed(backend: Backend) {
    let mut config = PlatformConfig::default();
    let p = TestPlatform::start_with(backend, config.clone(), Some(WORLD)).await;
    drop(p);
    // A platform that does not allow loopback refuses a loopback callback before any request.
    config.webhooks.destinations = wamm_platform::Destinations::default();
    let running = wamm_platform::start(PlatformConfig {
        database_url: "sqlite::memory:".into(),
        ..config
    })
    .await
    .expect("start");
    running.handle().load_world(WORLD).await.expect("world");
    let receiver = Receiver::start(ReceiverBehaviour::default()).await;
    let r = exchange(
        running.handle(),
        reqwest::Client::new()
            .post(format!("{}/v23.0/2000/subscriptions", running.base_url()))
            .bearer_auth(APP_TOKEN)
            .json(&json!({"object": "whatsapp_business_account", "callback_url": receiver.url, "verify_token": "verify-me", "fields": "account_update"})),
    )
    .await
    .json;
    assert_eq!(r["error"]["code"], 100, "{r}");
    assert!(
        r["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("not allowed"),
        "{r}"
    );
    assert_eq!(receiver.handshakes(), 0, "no request left the platform");
    running.stop().await;
}

/// A receiver that passes the handshake but answers every delivery with a redirect.
async fn redirecting_receiver(to: String) -> String {
    use axum::extract::Query;
    use axum::routing::get;
    let app = axum::Router::new().route(
        "/hook",
        get(
            |Query(q): Query<std::collections::HashMap<String, String>>| async move {
                q.get("hub.challenge").cloned().unwrap_or_default()
            },
        )
        .post(move || {
            let to = to.clone();
            async move {
                (
                    axum::http::StatusCode::FOUND,
                    [(axum::http::header::LOCATION, to)],
                )
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    format!("http://{addr}/hook")
}

async fn redirects_are_not_followed(backend: Backend) {
    let p = TestPlatform::start(backend).await;
    let target = Receiver::start(ReceiverBehaviour::default()).await;
    let redirecting = redirecting_receiver(target.url.clone()).await;
    let r = p
        .post(
            "/v23.0/2000/subscriptions",
            APP_TOKEN,
            &json!({"object": "whatsapp_business_account", "callback_url": redirecting, "verify_token": "any", "fields": "account_update"}),
        )
        .await;
    r.ok();
    p.post("/v23.0/3001/subscribed_apps", FULL, &json!({}))
        .await
        .ok();
    emit(&p, "3001", "account_update", vec![json!({"n": 1})]).await;
    let items = wait_outbox(&p, |i| i.first().is_some_and(|x| x["attempts"] == 1)).await;
    assert_eq!(
        items[0]["status"], "pending",
        "a redirect is a failed attempt, retried later"
    );
    assert_eq!(items[0]["last_error"], "HTTP 302");
    assert!(target.posts().is_empty(), "the redirect was not followed");
    p.finish().await;
}

crate::on_both_backends!(
    redirects_are_not_followed,
    handshake_accepts_and_refuses,
    signed_envelopes_only_for_subscribed_fields,
    non_ascii_text_is_escaped_and_signed,
    waba_override_callback,
    retries_follow_the_platform_clock,
    deliveries_are_dropped_after_the_window,
    a_hanging_endpoint_does_not_delay_another,
    faults_duplicate_and_reorder,
    destinations_are_allow_listed,
);
