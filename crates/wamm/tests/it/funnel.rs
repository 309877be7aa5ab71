//! The whole partner funnel with the platform and the orchestrator as separate processes:
//! `wamm serve` holds a world of client businesses going round every onboarding case (each
//! eligibility case and each row of the OBO table), `wamm partner serve` syncs it and receives
//! its webhooks, `wamm partner onboard --all-eligible` asks (twice: the second run asks nobody),
//! admins accept some requests and reject others through the control API, and every client
//! WABA ends where the funnel rule says, with tokens checked by `debug_token` and sends routed
//! by onboarding, their statuses arriving by webhook.

use std::collections::{BTreeMap, HashMap};
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use wamm_client::GraphClient;
use wamm_partner::vault::{Key, Vault};
use wamm_world::clients::{self, Client, ClientCase};

use crate::support::{Server, http};

/// Four rounds of every case.
const CLIENTS: usize = 4 * ClientCase::ALL.len();
/// A Brazilian recipient (marketing to US numbers is blocked).
const RECIPIENT: &str = "5521988887777";
const VERIFY_TOKEN: &str = "funnel-verify-token";
const API_KEY: &str = "funnel-api-key";
/// Seconds after which the orchestrator counts a request as unanswered.
const UNANSWERED_AFTER: u64 = 15;

/// What an admin does with a client's request: by round of cases, accept, reject, leave it,
/// accept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Decision {
    Accept,
    Reject,
    Leave,
}

fn decision(client: &Client) -> Decision {
    match (client.index / ClientCase::ALL.len()) % 4 {
        1 => Decision::Reject,
        2 => Decision::Leave,
        _ => Decision::Accept,
    }
}

/// Whether the client has anything the Intent API covers (an eligible or OBO WABA).
fn askable(case: ClientCase) -> bool {
    !matches!(
        case,
        ClientCase::NotAClient
            | ClientCase::TaxCountryNotSupported
            | ClientCase::OwnerCountryNotSupported
            | ClientCase::Restricted
            | ClientCase::Disabled
            | ClientCase::AlreadyOnboarded
    )
}

/// Whether WABA `w` of a client in `case` is held on its behalf (OBO).
fn is_obo(case: ClientCase, w: usize) -> bool {
    match case {
        ClientCase::SharedAndOboWithIntent | ClientCase::SharedAndOboWithoutIntent => w > 0,
        ClientCase::OboOnlyWithIntent | ClientCase::OboOnlyWithoutIntent => true,
        _ => false,
    }
}

/// Whether WABA `w` of a client in `case` is ineligible whatever its admins do.
fn never_eligible(case: ClientCase, w: usize) -> bool {
    matches!(
        case,
        ClientCase::TaxCountryNotSupported
            | ClientCase::OwnerCountryNotSupported
            | ClientCase::Restricted
            | ClientCase::Disabled
    ) || (case == ClientCase::Mixed && w == 1)
}

/// The stage WABA `w` of `client` ends in, and whether the test sends from it (and by which
/// route).
fn expected(client: &Client, w: usize) -> (&'static str, Option<&'static str>) {
    let case = client.case;
    if case == ClientCase::NotAClient {
        return ("not in the funnel", None);
    }
    if never_eligible(case, w) {
        return ("ineligible", None);
    }
    if case == ClientCase::AlreadyOnboarded {
        return ("first_message_sent", Some("marketing_messages"));
    }
    match decision(client) {
        Decision::Accept if is_obo(case, w) => ("ineligible", None),
        Decision::Accept if case == ClientCase::NoPaymentMethod => ("token_fetched", None),
        Decision::Accept => ("first_message_sent", Some("marketing_messages")),
        // Not onboarded: the partner still sends for its client, through Cloud API.
        Decision::Reject if !is_obo(case, w) => ("rejected", Some("messages")),
        Decision::Reject => ("rejected", None),
        Decision::Leave => ("unanswered", None),
    }
}

/// Runs a one-shot `wamm partner …` command; returns its stdout.
fn partner_cli(env: &[(&str, &str)], args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_wamm"))
        .arg("partner")
        .args(args)
        .envs(env.iter().copied())
        .env("RUST_LOG", "warn")
        .output()
        .expect("wamm partner runs");
    assert!(
        out.status.success(),
        "wamm partner {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8")
}

/// Polls the orchestrator's `/api/status` until `done` holds, or fails with the last answer.
async fn status_until(partner: &Server, what: &str, done: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let status = partner.get_json("/api/status").await;
        if done(&status) {
            return status;
        }
        assert!(
            Instant::now() < deadline,
            "{what} never happened; the funnel: {status:#}\norchestrator log:\n{}",
            partner.log()
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// WABA ID → (stage, messages by status) from a status answer.
fn rows(status: &Value) -> HashMap<String, (String, BTreeMap<String, i64>)> {
    status["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|r| {
            let messages = r["messages"]
                .as_object()
                .map(|m| {
                    m.iter()
                        .map(|(k, v)| (k.clone(), v.as_i64().unwrap_or(0)))
                        .collect()
                })
                .unwrap_or_default();
            (
                r["waba_id"].as_str().expect("waba_id").to_owned(),
                (r["stage"].as_str().expect("stage").to_owned(), messages),
            )
        })
        .collect()
}

async fn advance(platform: &Server, seconds: u64) {
    let r = http()
        .post(format!("{}/_wamm/clock", platform.base))
        .json(&json!({ "advance_seconds": seconds }))
        .send()
        .await
        .expect("clock answers");
    assert_eq!(r.status(), 200, "clock advance");
}

#[tokio::test]
async fn every_case_through_the_funnel_with_separate_processes() {
    let dir = tempfile::tempdir().expect("temp dir");
    let platform_db = format!("sqlite:{}", dir.path().join("platform.db").display());
    let partner_db = format!("sqlite:{}", dir.path().join("partner.db").display());
    through_the_funnel(dir.path(), &platform_db, &partner_db).await;
}

/// The same run with the platform and the orchestrator each on its own PostgreSQL database.
#[tokio::test]
async fn every_case_through_the_funnel_on_postgres() {
    let dir = tempfile::tempdir().expect("temp dir");
    let platform_db = wamm_testkit::TestDatabase::create("wamm_funnel_platform").await;
    let partner_db = wamm_testkit::TestDatabase::create("wamm_funnel_partner").await;
    through_the_funnel(dir.path(), &platform_db.url, &partner_db.url).await;
    platform_db.drop_now().await;
    partner_db.drop_now().await;
}

async fn through_the_funnel(dir: &std::path::Path, platform_db: &str, partner_db: &str) {
    let world = dir.join("clients.yaml");
    std::fs::write(&world, clients::clients_world(CLIENTS)).expect("world written");
    let platform = Server::start(platform_db, Some(&world), &[]).await;
    let (_, key) = Key::generate("k1").expect("key");
    let business = clients::PARTNER_BUSINESS.to_string();
    let app = clients::PARTNER_APP.to_string();
    let env = [
        ("WAMM_PARTNER_GRAPH_URL", platform.base.as_str()),
        ("WAMM_PARTNER_BUSINESS_ID", business.as_str()),
        ("WAMM_PARTNER_TOKEN", clients::PARTNER_TOKEN),
        ("WAMM_PARTNER_APP_ID", app.as_str()),
        ("WAMM_PARTNER_APP_SECRET", clients::PARTNER_APP_SECRET),
        ("WAMM_PARTNER_DATABASE_URL", partner_db),
        ("WAMM_PARTNER_TOKEN_KEY", key.as_str()),
        ("WAMM_PARTNER_VERIFY_TOKEN", VERIFY_TOKEN),
        ("WAMM_PARTNER_API_KEY", API_KEY),
    ];
    let unanswered = UNANSWERED_AFTER.to_string();
    let partner = Server::partner(
        &env,
        &[
            "--sync-every-secs",
            "1",
            "--unanswered-after-secs",
            &unanswered,
        ],
    )
    .await;

    // The partner points its app's webhooks at the orchestrator; the platform's handshake
    // reaches it and must pass.
    let app_token = format!("{app}|{}", clients::PARTNER_APP_SECRET);
    let subscribed = http()
        .post(format!("{}/v23.0/{app}/subscriptions", platform.base))
        .form(&[
            ("object", "whatsapp_business_account"),
            ("callback_url", &format!("{}/webhooks", partner.base)),
            ("verify_token", VERIFY_TOKEN),
            (
                "fields",
                "account_update,messages,message_template_status_update,template_category_update",
            ),
            ("access_token", &app_token),
        ])
        .send()
        .await
        .expect("subscriptions answer");
    assert_eq!(
        subscribed.status(),
        200,
        "{}",
        subscribed.text().await.unwrap_or_default()
    );

    // Ask every eligible client, twice.
    let all = clients::clients(CLIENTS);
    let first: Value =
        serde_json::from_str(&partner_cli(&env, &["onboard", "--all-eligible", "--json"]))
            .expect("summary JSON");
    let mut requested: Vec<String> = first["asked"]
        .as_array()
        .expect("asked")
        .iter()
        .map(|a| {
            assert_eq!(a["outcome"], "requested", "{a}");
            a["business"].as_str().expect("business").to_owned()
        })
        .collect();
    requested.sort();
    let mut askable_ids: Vec<String> = all
        .iter()
        .filter(|c| askable(c.case))
        .map(|c| c.business_id.to_string())
        .collect();
    askable_ids.sort();
    assert_eq!(requested, askable_ids, "each askable client asked once");
    let second: Value =
        serde_json::from_str(&partner_cli(&env, &["onboard", "--all-eligible", "--json"]))
            .expect("summary JSON");
    assert_eq!(second["asked"], json!([]), "the second run asks nobody");
    assert_eq!(second["already_asked"], json!(requested.len()));

    // The platform holds one request per asked client, none for the others.
    let listed = platform.get_json("/_wamm/requests").await;
    let by_business: HashMap<String, String> = listed["data"]
        .as_array()
        .expect("requests")
        .iter()
        .map(|r| {
            (
                r["client_business_id"]
                    .to_string()
                    .trim_matches('"')
                    .to_owned(),
                r["id"].to_string().trim_matches('"').to_owned(),
            )
        })
        .collect();
    let mut platform_asked: Vec<String> = by_business.keys().cloned().collect();
    platform_asked.sort();
    assert_eq!(platform_asked, requested);

    // Admins decide.
    for client in all.iter().filter(|c| askable(c.case)) {
        let request = &by_business[&client.business_id.to_string()];
        let verb = match decision(client) {
            Decision::Accept => "accept",
            Decision::Reject => "reject",
            Decision::Leave => continue,
        };
        let r = http()
            .post(format!("{}/_wamm/requests/{request}/{verb}", platform.base))
            .json(&json!({}))
            .send()
            .await
            .expect("decision answers");
        assert_eq!(r.status(), 200, "{verb} {request}");
    }
    // Meta's setup runs its course (about ten minutes of platform time).
    advance(&platform, 700).await;

    // Every WABA the orchestrator will send from is ready: onboarded (a token checked) or,
    // for rejected clients, known.
    let ready = status_until(&partner, "onboarding of the accepted clients", |s| {
        let rows = rows(s);
        all.iter().all(|c| {
            c.waba_ids.iter().enumerate().all(|(w, id)| {
                match (expected(c, w), rows.get(&id.to_string())) {
                    (("first_message_sent", _), Some((stage, _))) => stage == "ready_to_send",
                    (("token_fetched", _), Some((stage, _))) => stage == "token_fetched",
                    _ => true,
                }
            })
        })
    })
    .await;
    assert!(!rows(&ready).is_empty());

    // Sends for the partner's customers, routed by onboarding and category.
    let mut sent = Vec::new();
    for client in &all {
        for (w, waba) in client.waba_ids.iter().enumerate() {
            let Some(route) = expected(client, w).1 else {
                continue;
            };
            let r = http()
                .post(format!("{}/api/send", partner.base))
                .bearer_auth(API_KEY)
                .json(&json!({
                    "waba_id": waba.to_string(),
                    "to": RECIPIENT,
                    "template": clients::MARKETING_TEMPLATE,
                    "language": clients::TEMPLATE_LANGUAGE,
                    "body": ["Ana", "10%"],
                }))
                .send()
                .await
                .expect("send answers");
            let status = r.status();
            let body: Value = r.json().await.expect("send JSON");
            assert_eq!(status, 200, "send from {waba} ({:?}): {body}", client.case);
            assert_eq!(
                body["route"], route,
                "route from {waba} ({:?})",
                client.case
            );
            let wamid = body["id"].as_str().expect("wamid").to_owned();
            // The platform agrees on the route it took.
            let message = platform.get_json(&format!("/_wamm/messages/{wamid}")).await;
            let on_platform = if route == "marketing_messages" {
                "marketing_lite"
            } else {
                "cloud_api"
            };
            assert_eq!(message["route"], on_platform, "{message}");
            sent.push((waba.to_string(), route));
        }
    }
    for route in ["marketing_messages", "messages"] {
        assert!(sent.iter().any(|(_, r)| *r == route), "{sent:?}");
    }
    // Delivery happens on the platform clock; its status webhooks reach the orchestrator.
    advance(&platform, 120).await;
    let unanswered_by = Instant::now() + Duration::from_secs(UNANSWERED_AFTER);
    let last = status_until(&partner, "every send delivered", |s| {
        let rows = rows(s);
        sent.iter().all(|(waba, _)| {
            rows.get(waba).is_some_and(|(_, m)| {
                m.get("delivered").copied().unwrap_or(0) + m.get("read").copied().unwrap_or(0) > 0
            })
        })
    })
    .await;
    if let Some(wait) = unanswered_by.checked_duration_since(Instant::now()) {
        tokio::time::sleep(wait).await;
    }
    let last = if Instant::now() >= unanswered_by {
        status_until(&partner, "requests left open counted unanswered", |s| {
            rows(s)
                .values()
                .all(|(stage, _)| stage != "intent_requested")
        })
        .await
    } else {
        last
    };

    // Each client WABA's final stage.
    let rows = rows(&last);
    for client in &all {
        for (w, waba) in client.waba_ids.iter().enumerate() {
            let found = rows.get(&waba.to_string());
            if client.case == ClientCase::NotAClient {
                assert!(found.is_none(), "a WABA nobody shared is not in the funnel");
                continue;
            }
            let (stage, _) = found.unwrap_or_else(|| panic!("WABA {waba} missing"));
            assert_eq!(
                stage,
                expected(client, w).0,
                "client {} ({:?}, {:?}) WABA {w}",
                client.index,
                client.case,
                decision(client)
            );
        }
    }

    // Each stored token opens with the key and is what `debug_token` says it is.
    let store = wamm_partner::store::connect(partner_db)
        .await
        .expect("the orchestrator's store");
    let vault = Vault::new(Key::parse(&key).expect("key"), vec![]).expect("vault");
    let graph = GraphClient::new(&platform.base).token(&app_token);
    let tokens = store.tokens().await.expect("tokens");
    let mut with_token: Vec<u64> = tokens
        .iter()
        .map(|t| t.business_id.parse().expect("business ID"))
        .collect();
    with_token.sort_unstable();
    let mut signed: Vec<u64> = all
        .iter()
        // A client whose WABAs are all OBO signs too, but it has no WABA of its own for a
        // business token to reach: the partner's own token already does.
        .filter(|c| {
            c.case == ClientCase::AlreadyOnboarded
                || (askable(c.case)
                    && decision(c) == Decision::Accept
                    && !is_obo(c.case, 0))
        })
        .map(|c| c.business_id)
        .collect();
    signed.sort_unstable();
    assert_eq!(
        with_token, signed,
        "a token for each signed client, no other"
    );
    for token in &tokens {
        let plain = vault
            .open(
                &token.sealed,
                &wamm_partner::orchestrate::token_row(&token.business_id),
            )
            .expect("the token opens");
        let info = graph.token_info(plain.expose()).await.expect("debug_token");
        assert!(info.is_valid, "{info:?}");
        assert_eq!(info.app_id.map(|a| a.to_string()), Some(app.clone()));
        let client = all
            .iter()
            .find(|c| c.business_id.to_string() == token.business_id)
            .expect("a client");
        let reach: Vec<String> = info.waba_ids().iter().map(ToString::to_string).collect();
        assert!(
            reach.contains(&client.waba_ids[0].to_string()),
            "{:?}: {reach:?}",
            client.case
        );
        assert!(
            !token.sealed.contains(plain.expose()),
            "stored sealed, not in plain"
        );
    }
    drop(partner);
    drop(platform);
}
