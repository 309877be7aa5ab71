//! Accepted messages survive a crash: a `wamm serve` that answered 200 to sends and was then
//! killed with SIGKILL still has every message after a restart on the same SQLite file, and
//! delivers their status webhooks.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::support::{Server, http};

const TOKEN: &str = "TOK-E2E-SEND-000000000000";
const SECRET: &str = "e2e-send-secret-0000000000000000";

fn world(callback: &str) -> String {
    format!(
        r#"format: wamm-world/1
apps:
  - key: connect
    id: "2000"
    name: Partner Connect
    secret: {SECRET}
    business: partner
    partner_type: BSP
    permissions: {{ whatsapp_business_messaging: advanced, whatsapp_business_management: advanced }}
    webhooks:
      - {{ callback_url: "{callback}", verify_token: verify-me, fields: [messages] }}
businesses:
  - key: partner
    id: "1000"
    name: Partner Inc
    country: US
    system_users:
      - key: ops
        id: "1100"
        name: Ops
        role: ADMIN
        tokens:
          - {{ app: connect, token: {TOKEN}, scopes: [whatsapp_business_messaging, whatsapp_business_management] }}
  - key: client
    id: "1001"
    name: Client Bakery
    country: BR
    mm_terms_signed_at: 2025-10-07
    wabas:
      - key: main
        id: "3001"
        name: Client Main
        tax_country: BR
        partners: [{{ business: partner, access: SHARED }}]
        subscribed_apps: [{{ app: connect }}]
        phone_numbers: [{{ id: "4001", display_phone_number: "+55 11 4000-0001", verified_name: Bakery }}]
        templates:
          - {{ name: promo, language: en_US, category: MARKETING, created_at: 2025-10-01, components: [{{ type: BODY, text: Sale }}] }}
"#
    )
}

/// The statuses received per message ID.
type Statuses = Arc<Mutex<BTreeMap<String, BTreeSet<String>>>>;

async fn receiver(statuses: Statuses) -> (String, tokio::task::JoinHandle<()>) {
    async fn post(
        axum::extract::State(s): axum::extract::State<Statuses>,
        body: axum::body::Bytes,
    ) -> axum::http::StatusCode {
        let json: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
        for e in json["entry"].as_array().cloned().unwrap_or_default() {
            for st in e["changes"][0]["value"]["statuses"]
                .as_array()
                .cloned()
                .unwrap_or_default()
            {
                if let (Some(id), Some(status)) = (st["id"].as_str(), st["status"].as_str()) {
                    s.lock()
                        .expect("lock")
                        .entry(id.to_owned())
                        .or_default()
                        .insert(status.to_owned());
                }
            }
        }
        axum::http::StatusCode::OK
    }
    async fn verify(
        axum::extract::Query(q): axum::extract::Query<BTreeMap<String, String>>,
    ) -> String {
        q.get("hub.challenge").cloned().unwrap_or_default()
    }
    let app = axum::Router::new()
        .route("/hook", axum::routing::post(post).get(verify))
        .with_state(statuses);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("receiver binds");
    let addr = listener.local_addr().expect("address");
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (format!("http://{addr}/hook"), task)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn accepted_messages_survive_a_kill() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let statuses: Statuses = Arc::default();
    let (callback, task) = receiver(Arc::clone(&statuses)).await;
    let world_path = dir.path().join("world.yaml");
    std::fs::write(&world_path, world(&callback)).expect("world written");
    let database_url = format!("sqlite:{}", dir.path().join("w.db").display());
    // The first life accepts sends but dispatches nothing: every status webhook is still owed
    // when it dies.
    let first = Server::start(&database_url, Some(&world_path), &["--no-dispatch"]).await;
    let client = http();
    let mut accepted = Vec::new();
    for i in 0..40 {
        let res = client
            .post(format!("{}/v23.0/4001/marketing_messages", first.base))
            .bearer_auth(TOKEN)
            .json(&json!({
                "messaging_product": "whatsapp", "recipient_type": "individual",
                "to": format!("1631555{i:04}"), "type": "template",
                "template": {"name": "promo", "language": {"code": "en_US"}}
            }))
            .send()
            .await
            .expect("send answers");
        assert_eq!(res.status(), 200);
        let body: Value = res.json().await.expect("JSON");
        accepted.push(
            body["messages"][0]["id"]
                .as_str()
                .expect("wamid")
                .to_owned(),
        );
    }
    first.kill();
    assert!(
        statuses.lock().expect("lock").is_empty(),
        "nothing was delivered before the kill"
    );
    let second = Server::start(&database_url, None, &[]).await;
    for id in &accepted {
        let res = client
            .get(format!("{}/_wamm/messages/{id}", second.base))
            .send()
            .await
            .expect("answers");
        assert_eq!(res.status(), 200, "{id} survived the kill");
    }
    let start = Instant::now();
    loop {
        let done = {
            let s = statuses.lock().expect("lock");
            accepted.iter().all(|id| {
                s.get(id)
                    .is_some_and(|st| st.contains("sent") && st.contains("delivered"))
            })
        };
        if done {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "statuses after the restart: {:?} for {} messages\n{}",
            statuses
                .lock()
                .expect("lock")
                .values()
                .take(3)
                .collect::<Vec<_>>(),
            accepted.len(),
            second.log()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    second.kill();
    task.abort();
}
