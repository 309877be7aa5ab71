//! The control API, the console page, seeds and persistence.

use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::{Value, json};
use wamm_platform::PlatformConfig;

use crate::support::*;

async fn put_world(p: &TestPlatform, text: &str) -> Resp {
    p.raw(
        Method::PUT,
        "/_wamm/world",
        "",
        "application/yaml",
        text.as_bytes().to_vec(),
    )
    .await
}

async fn world_files_load_export_and_reset(backend: Backend) {
    let p = TestPlatform::start(backend).await;
    let exported = p
        .call(Method::GET, "/_wamm/world?format=json", None, None)
        .await;
    let file = exported.ok().clone();
    assert_eq!(file["format"], "wamm-world/1");
    // Loading the export reproduces the world: the same tokens keep working.
    let r = put_world(&p, &file.to_string()).await;
    assert_eq!(r.ok()["counts"]["wabas"], 7);
    p.get("/v23.0/3001", FULL).await.ok();
    let yaml = p.call(Method::GET, "/_wamm/world", None, None).await;
    assert!(
        yaml.status == 200
            && yaml.text.contains("wamm-world/1")
            && yaml.text.contains("token_sha256")
    );
    assert!(!yaml.text.contains(FULL), "plain tokens are never exported");
    let r = put_world(
        &p,
        "format: wamm-world/1\nbusinesses:\n  - key: b\n    name: B\n    country: XX1\n",
    )
    .await;
    assert_eq!(r.status, 400);
    assert!(
        r.json["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("businesses[0].country"),
        "{}",
        r.text
    );
    let r = put_world(&p, "format: [unclosed").await;
    assert_eq!(r.status, 400);
    assert!(
        r.json["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("line"),
        "{}",
        r.text
    );
    // A refused file leaves the world as it was.
    p.get("/v23.0/3001", FULL).await.ok();
    assert_eq!(
        p.call(Method::POST, "/_wamm/reset", None, None).await.ok(),
        &json!({"success": true})
    );
    p.get("/v23.0/me", FULL).await.graph_error(401, 190, None);
    p.finish().await;
}

/// The reported upload: `apps:` and 48 KiB of `[`, which took seconds of CPU per copy.
fn deep_world() -> String {
    format!("apps: {}", "[".repeat(48 * 1024))
}

async fn deep_worlds_are_refused_while_health_answers(backend: Backend) {
    let p = TestPlatform::start(backend).await;
    let deep = deep_world();
    let timed_upload = || async {
        let started = Instant::now();
        let r = put_world(&p, &deep).await;
        (r, started.elapsed())
    };
    let health = async {
        let mut slowest = Duration::ZERO;
        for _ in 0..5 {
            let started = Instant::now();
            let r = p.call(Method::GET, "/_wamm/health", None, None).await;
            assert_eq!(r.ok()["status"], "ok");
            slowest = slowest.max(started.elapsed());
        }
        slowest
    };
    let ((a, took_a), (b, took_b), slowest) = tokio::join!(timed_upload(), timed_upload(), health);
    for (r, took) in [(a, took_a), (b, took_b)] {
        assert_eq!(r.status, 400, "{}", r.text);
        assert!(
            r.message()
                .starts_with("line 1, column 70: collections nest deeper than 64 levels"),
            "{}",
            r.text
        );
        assert!(took < Duration::from_secs(5), "refused in {took:?}");
    }
    assert!(
        slowest < Duration::from_secs(2),
        "health answered in {slowest:?}"
    );
    // Nothing changed.
    p.get("/v23.0/3001", FULL).await.ok();
    p.finish().await;
}

async fn events_and_clock(backend: Backend) {
    let p = TestPlatform::start(backend).await;
    let clock = p
        .call(
            Method::POST,
            "/_wamm/clock",
            None,
            Some(&json!({"freeze": true, "set": "2030-01-01T00:00:00Z"})),
        )
        .await;
    assert_eq!(clock.ok()["now"], "2030-01-01T00:00:00.000Z");
    assert_eq!(clock.json["frozen"], true);
    let clock = p
        .call(
            Method::POST,
            "/_wamm/clock",
            None,
            Some(&json!({"advance_seconds": 600})),
        )
        .await;
    assert_eq!(clock.ok()["now"], "2030-01-01T00:10:00.000Z");
    assert_eq!(
        p.call(Method::GET, "/_wamm/clock", None, None).await.ok()["now"],
        "2030-01-01T00:10:00.000Z"
    );
    p.call(
        Method::POST,
        "/_wamm/clock",
        None,
        Some(&json!({"advance": 1})),
    )
    .await;
    let r = p
        .call(
            Method::POST,
            "/_wamm/clock",
            None,
            Some(&json!({"set": "tomorrow"})),
        )
        .await;
    assert_eq!(r.status, 400);
    // Moves past what a timestamp can show are refused whole, and the clock stays put.
    for huge in [
        json!({"advance_seconds": i64::MAX}),
        json!({"advance_seconds": -9_000_000_000_i64}),
        json!({"advance_seconds": 300_000_000_000_i64}),
        json!({"freeze": false, "advance_seconds": i64::MIN}),
        json!({"set": "0000-01-01T00:00:00Z"}),
    ] {
        let r = p
            .call(Method::POST, "/_wamm/clock", None, Some(&huge))
            .await;
        assert_eq!(r.status, 400, "{huge}: {}", r.text);
        assert!(r.json["error"]["message"].is_string(), "{}", r.text);
    }
    let after = p.call(Method::GET, "/_wamm/clock", None, None).await;
    assert_eq!(after.ok()["now"], "2030-01-01T00:10:00.000Z");
    assert_eq!(after.json["frozen"], true);
    p.post("/v23.0/3001/subscribed_apps", FULL, &json!({}))
        .await
        .ok();
    let events = p
        .call(Method::GET, "/_wamm/events?limit=1000", None, None)
        .await;
    let list = events.ok()["data"].as_array().cloned().unwrap_or_default();
    let sub = list
        .iter()
        .find(|e| e["kind"] == "waba.app_subscribed")
        .expect("subscription event");
    assert_eq!(sub["subject"], "waba:3001");
    assert_eq!(
        sub["at"], 1_893_456_600_000_i64,
        "events carry platform time"
    );
    let seqs: Vec<i64> = list.iter().filter_map(|e| e["seq"].as_i64()).collect();
    assert!(seqs.windows(2).all(|w| w[0] < w[1]));
    let after = seqs[seqs.len() - 2];
    let tail = p
        .call(
            Method::GET,
            &format!("/_wamm/events?after={after}"),
            None,
            None,
        )
        .await;
    assert_eq!(tail.ok()["data"].as_array().map(Vec::len), Some(1));
    p.finish().await;
}

async fn minted_tokens_and_health(backend: Backend) {
    let p = TestPlatform::start(backend).await;
    let health = p.call(Method::GET, "/_wamm/health", None, None).await;
    assert_eq!(health.ok()["status"], "ok");
    let r = p
        .call(
            Method::POST,
            "/_wamm/tokens",
            None,
            Some(&json!({"system_user_id": "1100", "app_id": "2000"})),
        )
        .await;
    let token = r.ok()["access_token"].as_str().expect("token").to_owned();
    assert_eq!(p.get("/v23.0/me", &token).await.ok()["id"], "1100");
    let r = p
        .call(
            Method::POST,
            "/_wamm/tokens",
            None,
            Some(&json!({"system_user_id": "42", "app_id": "2000"})),
        )
        .await;
    assert_eq!(r.status, 404);
    let r = p
        .call(
            Method::POST,
            "/_wamm/tokens",
            None,
            Some(&json!({"system_user_id": "1100", "app_id": "2000", "scopes": ["root"]})),
        )
        .await;
    assert_eq!(r.status, 400);
    p.finish().await;
}

async fn console_shows_the_world(backend: Backend) {
    let p = TestPlatform::start(backend).await;
    p.post("/v23.0/3001/subscribed_apps", FULL, &json!({}))
        .await
        .ok();
    let r = p.call(Method::GET, "/", None, None).await;
    assert_eq!(r.status, 200);
    assert!(
        r.header("content-type")
            .is_some_and(|c| c.starts_with("text/html"))
    );
    for needle in [
        "Webhook deliveries (0 pending, 0 delivered, 0 dropped)",
        "/_wamm/apps/2000",
        "Partner Connect",
        "Client A Bakery",
        "Client A Main",
        "INELIGIBLE_ON_BEHALF_OF_WABA",
        "ONBOARDED",
        "summer_sale",
        "+55 11 5555-0101",
        "waba.app_subscribed",
    ] {
        assert!(r.text.contains(needle), "console shows {needle}");
    }
    p.finish().await;
}

async fn export(p: &TestPlatform) -> Value {
    let mut world = p
        .call(Method::GET, "/_wamm/world?format=json", None, None)
        .await
        .ok()
        .clone();
    strip_times(&mut world);
    world
}

/// Creation times default to the platform clock, which runs; the seed governs IDs and secrets.
fn strip_times(v: &mut Value) {
    match v {
        Value::Object(map) => {
            map.retain(|k, _| !k.ends_with("_at"));
            map.values_mut().for_each(strip_times);
        }
        Value::Array(items) => items.iter_mut().for_each(strip_times),
        _ => {}
    }
}

async fn load_demo(p: &TestPlatform) -> wamm_platform::WorldSummary {
    p.running
        .handle()
        .load_world(wamm_world::DEMO_WORLD)
        .await
        .expect("demo loads")
}

async fn seeded_worlds_are_reproducible(backend: Backend) {
    let seeded = |seed| PlatformConfig {
        seed: Some(seed),
        ..PlatformConfig::default()
    };
    let a = TestPlatform::start_with(backend, seeded(42), None).await;
    let b = TestPlatform::start_with(backend, seeded(42), None).await;
    let c = TestPlatform::start_with(backend, seeded(43), None).await;
    let (ta, tb, tc) = (
        load_demo(&a).await,
        load_demo(&b).await,
        load_demo(&c).await,
    );
    assert_eq!(
        ta.tokens[0].token, tb.tokens[0].token,
        "same seed, same tokens"
    );
    assert_ne!(ta.tokens[0].token, tc.tokens[0].token);
    let (wa, wb, wc) = (export(&a).await, export(&b).await, export(&c).await);
    assert_eq!(wa, wb, "same seed, same IDs, secrets and namespaces");
    assert_ne!(wa["apps"], wc["apps"]);
    a.finish().await;
    b.finish().await;
    c.finish().await;
}

async fn app_review_is_decided_through_the_control_api(backend: Backend) {
    let p = TestPlatform::start(backend).await;
    let form = "permission=whatsapp_business_management";
    p.raw(
        Method::POST,
        "/_wamm/apps/2001/mm/start",
        "",
        "application/x-www-form-urlencoded",
        Vec::new(),
    )
    .await;
    p.raw(
        Method::POST,
        "/_wamm/apps/2001/mm/review",
        "",
        "application/x-www-form-urlencoded",
        form.as_bytes().to_vec(),
    )
    .await;
    let r = p
        .call(
            Method::POST,
            "/_wamm/apps/2001/reviews/whatsapp_business_management",
            None,
            Some(&json!({"approve": true})),
        )
        .await;
    let granted = r.ok()["permissions"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(granted.iter().any(|g| g["permission"] == "whatsapp_business_management" && g["access"] == "advanced"), "{granted:?}");
    // Nothing pending any more: a second decision is refused.
    let again = p
        .call(
            Method::POST,
            "/_wamm/apps/2001/reviews/whatsapp_business_management",
            None,
            Some(&json!({"approve": false})),
        )
        .await;
    assert_eq!(again.status, 400);
    p.finish().await;
}

crate::on_both_backends!(
    app_review_is_decided_through_the_control_api,
    world_files_load_export_and_reset,
    deep_worlds_are_refused_while_health_answers,
    events_and_clock,
    minted_tokens_and_health,
    console_shows_the_world,
    seeded_worlds_are_reproducible,
    the_control_api_refuses_other_sites_and_hosts,
);

/// World files larger than a Graph call's body limit load over HTTP; past the world file
/// bound the answer is 413 with the control API's JSON error.
#[tokio::test]
async fn large_world_files_load_up_to_the_bound() {
    let p = TestPlatform::start_with(Backend::Sqlite, PlatformConfig::default(), None).await;
    let text = wamm_world::clients::clients_world(700);
    assert!(text.len() > wamm_platform::MAX_GRAPH_BODY_BYTES);
    let r = put_world(&p, &text).await;
    assert_eq!(r.ok()["counts"]["businesses"], 701);
    let mut huge = "# padding\n".repeat(wamm_world::MAX_WORLD_BYTES / 10 + 1);
    huge.insert_str(0, "format: wamm-world/1\n");
    let r = put_world(&p, &huge).await;
    assert_eq!(r.status, 413, "{}", r.text);
    assert!(
        r.message().contains("larger than 67108864 bytes"),
        "{}",
        r.text
    );
    let err = p.running.handle().load_world(&huge).await.err();
    assert!(
        matches!(
            err,
            Some(wamm_platform::ControlError::World(
                wamm_world::WorldError::TooLarge { .. }
            ))
        ),
        "{err:?}"
    );
    p.finish().await;
}

/// A world that takes longer than `world_load_timeout` to read is refused with 503 and the
/// world is left as it was.
#[tokio::test]
async fn slow_world_loads_time_out_and_change_nothing() {
    let config = PlatformConfig {
        world_load_timeout: Duration::ZERO,
        ..PlatformConfig::default()
    };
    let p = TestPlatform::start_with(Backend::Sqlite, config, None).await;
    let r = put_world(&p, &wamm_world::clients::clients_world(200)).await;
    assert_eq!(r.status, 503, "{}", r.text);
    assert!(r.message().contains("took longer than"), "{}", r.text);
    let world = p
        .call(Method::GET, "/_wamm/world?format=json", None, None)
        .await;
    assert_eq!(world.ok().get("businesses"), None, "{}", world.text);
    p.finish().await;
}

/// A file database keeps the world, the clock and changes across restarts.
#[tokio::test]
async fn sqlite_file_persists_across_restarts() {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = format!("sqlite:{}", dir.path().join("wamm.db").display());
    let config = PlatformConfig {
        database_url: url,
        ..PlatformConfig::default()
    };
    let running = wamm_platform::start(config.clone()).await.expect("start");
    running.handle().load_world(WORLD).await.expect("world");
    running
        .handle()
        .advance_clock(Duration::from_secs(3600))
        .await
        .expect("clock saved");
    let ahead = running.handle().now();
    let http = reqwest::Client::new();
    let created = exchange(
        running.handle(),
        http
            .post(format!("{}/v23.0/3001/message_templates", running.base_url()))
            .bearer_auth(FULL)
            .json(&json!({"name": "kept", "language": "en_US", "category": "MARKETING", "components": [{"type": "BODY", "text": "x"}]})),
    )
    .await
    .json;
    running.stop().await;
    let again = wamm_platform::start(config).await.expect("restart");
    assert!(again.handle().now() >= ahead, "the clock keeps its offset");
    let id = created["id"].as_str().expect("id");
    let r = exchange(
        again.handle(),
        http.get(format!("{}/v23.0/{id}", again.base_url()))
            .bearer_auth(FULL),
    )
    .await
    .json;
    assert_eq!(r["name"], "kept");
    again.stop().await;
}

/// Two replicas on one PostgreSQL database share IDs without collision and follow each
/// other's clock.
#[tokio::test]
async fn replicas_share_one_postgres_database() {
    let a = TestPlatform::start(Backend::Postgres).await;
    let url = a.running.handle().database_url().to_owned();
    let b = wamm_platform::start(PlatformConfig {
        database_url: url,
        ..PlatformConfig::default()
    })
    .await
    .expect("second replica starts");
    a.call(
        Method::POST,
        "/_wamm/clock",
        None,
        Some(&json!({"set": "2031-02-03T04:05:06Z", "freeze": true})),
    )
    .await
    .ok();
    // The replica's follower may already have adopted it; either way it has it now.
    b.handle().sync_clock().await.expect("shared clock read");
    assert_eq!(b.handle().now().rfc3339(), "2031-02-03T04:05:06.000Z");
    assert!(
        !b.handle().sync_clock().await.expect("read again"),
        "nothing newer the second time"
    );
    let http = reqwest::Client::new();
    let mut ids = std::collections::HashSet::new();
    for (i, (base, state)) in [
        (a.base.clone(), a.running.handle()),
        (b.base_url(), b.handle()),
    ]
    .iter()
    .cycle()
    .take(6)
    .enumerate()
    {
        let created = exchange(
            state,
            http.post(format!("{base}/v23.0/3001/message_templates"))
                .bearer_auth(FULL)
                .json(&json!({"name": format!("replica_{i}"), "language": "en_US", "category": "MARKETING", "components": [{"type": "BODY", "text": "x"}]})),
        )
        .await
        .json;
        assert!(
            ids.insert(created["id"].as_str().expect("id").to_owned()),
            "IDs never repeat across replicas"
        );
    }
    b.stop().await;
    a.finish().await;
}

/// Sends `method path` with the given headers and body; no token.
async fn with_headers(
    p: &TestPlatform,
    method: Method,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> Resp {
    let mut request = reqwest::Client::new()
        .request(method, format!("{}{path}", p.base))
        .body(body.to_owned());
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    p.send(request).await
}

async fn the_control_api_refuses_other_sites_and_hosts(backend: Backend) {
    let p = TestPlatform::start(backend).await;
    let own = p.base.trim_start_matches("http://").to_owned();
    let world_is_intact = || async {
        let r = p
            .call(Method::GET, "/_wamm/world?format=json", None, None)
            .await;
        assert_eq!(r.ok()["businesses"].as_array().map(Vec::len), Some(6));
    };
    // Cross-site state changes: by Origin, by Fetch Metadata, by a simple content type.
    for (headers, status) in [
        (vec![("origin", "http://evil.test")], 403),
        (vec![("origin", "null")], 403),
        (
            vec![
                ("origin", "http://127.0.0.1:1"),
                ("content-type", "application/json"),
            ],
            403,
        ),
        (vec![("sec-fetch-site", "cross-site")], 403),
        (vec![("sec-fetch-site", "same-site")], 403),
        (vec![("content-type", "text/plain")], 415),
        (
            vec![("content-type", "multipart/form-data; boundary=x")],
            415,
        ),
        (
            vec![("content-type", "application/x-www-form-urlencoded")],
            403,
        ),
    ] {
        for path in [
            "/_wamm/reset",
            "/_wamm/clock",
            "/_wamm/world",
            "/_wamm/tokens",
        ] {
            let r = with_headers(&p, Method::POST, path, &headers, "").await;
            assert_eq!(r.status, status, "{path} {headers:?}: {}", r.text);
            assert!(r.json["error"]["message"].is_string(), "{}", r.text);
        }
    }
    world_is_intact().await;
    // The platform's own origin may.
    let origin = format!("http://{own}");
    let r = with_headers(
        &p,
        Method::POST,
        "/_wamm/clock",
        &[
            ("origin", &origin),
            ("sec-fetch-site", "same-origin"),
            ("content-type", "application/json"),
        ],
        r#"{"advance_seconds": 1}"#,
    )
    .await;
    r.ok();
    // Unknown Hosts get nothing, not even a read (DNS rebinding).
    for host in ["evil.test", "evil.test:80", "10.1.2.3"] {
        let r = with_headers(&p, Method::GET, "/_wamm/world", &[("host", host)], "").await;
        assert_eq!(r.status, 421, "{host}: {}", r.text);
        assert!(!r.text.contains("secret"), "{}", r.text);
        let r = with_headers(&p, Method::GET, "/", &[("host", host)], "").await;
        assert_eq!(r.status, 421, "{host}");
    }
    for host in ["localhost", "127.0.0.1", own.as_str()] {
        let r = with_headers(&p, Method::GET, "/_wamm/health", &[("host", host)], "").await;
        assert_eq!(r.status, 200, "{host}: {}", r.text);
    }
    // Pages set the CSRF cookie; JSON calls mint no token and set none.
    let r = with_headers(&p, Method::GET, "/_wamm/health", &[], "").await;
    assert!(r.headers.get("set-cookie").is_none(), "{:?}", r.headers);
    let r = with_headers(&p, Method::GET, "/", &[], "").await;
    assert!(
        r.headers
            .get("set-cookie")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("wamm_csrf=") && v.contains("SameSite=Strict")),
        "{:?}",
        r.headers
    );
    // Graph keeps answering whatever the Host: it authenticates each call by its token.
    let r = p
        .call_with_host("/v23.0/3001?fields=name", FULL, "wamm.internal")
        .await;
    r.ok();
    // A preflight grants nothing on the control API; Graph answers it as Graph does.
    let pre = [
        ("origin", "http://evil.test"),
        ("access-control-request-method", "POST"),
    ];
    let r = with_headers(&p, Method::OPTIONS, "/_wamm/reset", &pre, "").await;
    assert_eq!(r.status, 403);
    assert!(r.headers.get("access-control-allow-origin").is_none());
    let r = with_headers(&p, Method::OPTIONS, "/v23.0/3001", &pre, "").await;
    assert!(r.status < 300, "{}: {}", r.status, r.text);
    assert_eq!(r.headers["access-control-allow-origin"], "*");
    // Errors the framework answers under /_wamm/ have a JSON body too.
    for (method, path) in [
        (Method::GET, "/_wamm/no-such-thing"),
        (Method::DELETE, "/_wamm/clock"),
        (Method::GET, "/_wamm/webhooks/not-a-number"),
    ] {
        let r = with_headers(&p, method.clone(), path, &[], "").await;
        assert!(r.status >= 400, "{path}");
        assert!(r.json["error"]["message"].is_string(), "{path}: {}", r.text);
    }
    // A page's form needs the browser's CSRF token.
    let r = p
        .raw(
            Method::POST,
            "/_wamm/businesses/1002/whatsapp-manager/accept-terms",
            "",
            "application/x-www-form-urlencoded",
            Vec::new(),
        )
        .await;
    assert!(r.status < 400, "with the token: {}", r.text);
    let (cookie, _) = p.csrf().await;
    let r = with_headers(
        &p,
        Method::POST,
        "/_wamm/businesses/1003/whatsapp-manager/accept-terms",
        &[
            ("content-type", "application/x-www-form-urlencoded"),
            ("cookie", &cookie),
        ],
        "csrf=0123",
    )
    .await;
    assert_eq!(r.status, 403, "{}", r.text);
    p.finish().await;
}
