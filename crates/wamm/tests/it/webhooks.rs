//! Durable webhook delivery across real processes: a `wamm serve` killed with SIGKILL in the
//! middle of a burst loses no acknowledged event once restarted on the same SQLite file; one
//! killed after a message step committed but before its status webhook was delivered delivers
//! it, and the message's later steps, after the restart; and two replicas dispatching from one
//! PostgreSQL database deliver every event exactly once.

use std::collections::{BTreeMap, HashSet};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::support::{Server, http, on_fresh_postgres};

/// The secret of app 2000 in [`world`]: every delivery must be signed with it.
const APP_SECRET: &str = "connect-secret-0000000000000000";
/// The WABA events are emitted for.
const WABA: &str = "3001";
/// Entries per POST in the kill test (`--webhook-batch`).
const BATCH: usize = 10;
/// The dispatcher's POSTs in flight to one endpoint (its default `per_endpoint_concurrency`;
/// no flag changes it).
const CONCURRENCY: usize = 4;

/// A world with one partner app subscribed (as if after the handshake) to `account_update`
/// on WABA 3001, delivering to `callback`.
fn world(callback: &str) -> String {
    format!(
        r#"format: wamm-world/1
apps:
  - key: connect
    id: "2000"
    name: Partner Connect
    secret: {APP_SECRET}
    business: partner
    partner_type: BSP
    permissions:
      whatsapp_business_management: advanced
    webhooks:
      - callback_url: {callback}
        verify_token: verify-me
        fields: [account_update]
businesses:
  - key: partner
    id: "1000"
    name: Partner Inc
    country: US
    people:
      - {{ name: Pat Admin, email: pat@partner.test, role: ADMIN }}
  - key: client-a
    id: "1001"
    name: Client A Bakery
    country: BR
    people:
      - {{ name: Ana Admin, email: ana@a.test, role: ADMIN }}
    wabas:
      - key: a-main
        id: "{WABA}"
        name: Client A Main
        tax_country: BR
        partners: [{{ business: partner, access: SHARED }}]
        subscribed_apps: [{{ app: connect }}]
"#
    )
}

// ------------------------------------------------------------------------------ the receiver

/// One POST the receiver accepted.
#[derive(Debug, Clone)]
struct Post {
    /// The raw body, exactly as sent.
    body: Vec<u8>,
    /// The `X-Hub-Signature-256` header.
    signature: Option<String>,
    /// The sender's address (its ephemeral port tells which process sent it).
    peer: SocketAddr,
    /// When the POST reached the handler (before any delay).
    arrived: Instant,
    /// Its entries.
    entries: Vec<Value>,
    /// The `n` of every entry, in order (`u64::MAX` when missing).
    ns: Vec<u64>,
}

#[derive(Default)]
struct ReceiverState {
    posts: Mutex<Vec<Post>>,
    /// Milliseconds each POST takes before it is recorded and answered.
    delay_ms: AtomicU64,
    /// While set, every POST is answered 503 and not recorded.
    refuse: std::sync::atomic::AtomicBool,
    /// POSTs answered 503.
    refused: AtomicUsize,
}

/// A webhook receiver on a real socket that accepts everything with 200 and records it.
struct Receiver {
    url: String,
    port: u16,
    state: Arc<ReceiverState>,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl Receiver {
    async fn start() -> Self {
        use axum::extract::{ConnectInfo, State};
        use axum::http::{HeaderMap, StatusCode};

        async fn post(
            State(s): State<Arc<ReceiverState>>,
            ConnectInfo(peer): ConnectInfo<SocketAddr>,
            headers: HeaderMap,
            body: axum::body::Bytes,
        ) -> StatusCode {
            let arrived = Instant::now();
            if s.refuse.load(Ordering::SeqCst) {
                s.refused.fetch_add(1, Ordering::SeqCst);
                return StatusCode::SERVICE_UNAVAILABLE;
            }
            let delay = s.delay_ms.load(Ordering::Relaxed);
            if delay > 0 {
                // A slow receiver: it works on the batch before acknowledging it.
                tokio::time::sleep(Duration::from_millis(delay)).await;
            }
            let json: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
            let entries = json["entry"].as_array().cloned().unwrap_or_default();
            let signature = headers
                .get("x-hub-signature-256")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            s.posts.lock().expect("receiver lock").push(Post {
                body: body.to_vec(),
                signature,
                peer,
                arrived,
                ns: entries
                    .iter()
                    .map(|e| e["changes"][0]["value"]["n"].as_u64().unwrap_or(u64::MAX))
                    .collect(),
                entries,
            });
            StatusCode::OK
        }

        let state = Arc::new(ReceiverState::default());
        let app = axum::Router::new()
            .route("/hook", axum::routing::post(post))
            .with_state(Arc::clone(&state));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("receiver binds");
        let addr = listener.local_addr().expect("receiver address");
        let server = tokio::spawn(async move {
            let _ = axum::serve(
                listener,
                app.into_make_service_with_connect_info::<SocketAddr>(),
            )
            .await;
        });
        Self {
            url: format!("http://{addr}/hook"),
            port: addr.port(),
            state,
            server,
        }
    }

    fn set_delay(&self, delay: Duration) {
        let ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX);
        self.state.delay_ms.store(ms, Ordering::Relaxed);
    }

    /// Answers every POST 503 (`true`) or records and accepts them (`false`).
    fn set_refusing(&self, refuse: bool) {
        self.state.refuse.store(refuse, Ordering::SeqCst);
    }

    fn refused(&self) -> usize {
        self.state.refused.load(Ordering::SeqCst)
    }

    fn posts(&self) -> Vec<Post> {
        self.state.posts.lock().expect("receiver lock").clone()
    }

    /// Every delivered `n`, duplicates included, in arrival order.
    fn ns(&self) -> Vec<u64> {
        self.state
            .posts
            .lock()
            .expect("receiver lock")
            .iter()
            .flat_map(|p| p.ns.iter().copied())
            .collect()
    }

    fn distinct(&self) -> HashSet<u64> {
        self.ns().into_iter().collect()
    }
}

/// Checks a POST's signature with the shared test kit's own HMAC, not wamm's code,
/// and that its entries are the emitted `account_update` changes of the WABA.
fn assert_signed(post: &Post) {
    for e in &post.entries {
        assert_eq!(e["id"], WABA, "entry {e}");
        assert_eq!(e["changes"][0]["field"], "account_update", "entry {e}");
        assert!(e["changes"][0]["value"]["n"].is_u64(), "entry {e}");
    }
    wamm_testkit::assert_hub_signature(post.signature.as_deref(), &post.body, APP_SECRET);
}

/// How many deliveries beyond the first each `n` got, in total.
fn duplicates(ns: &[u64]) -> usize {
    ns.len() - ns.iter().collect::<HashSet<_>>().len()
}

/// `POST /_wamm/webhooks/emit` of `n` in `ns`: whether the server acknowledged it.
async fn emit(http: &reqwest::Client, base: &str, ns: std::ops::Range<u64>) -> bool {
    let len = ns.end - ns.start;
    let values: Vec<Value> = ns.map(|n| json!({"event": "TEST", "n": n})).collect();
    let Ok(res) = http
        .post(format!("{base}/_wamm/webhooks/emit"))
        .json(&json!({"waba_id": WABA, "field": "account_update", "values": values}))
        .send()
        .await
    else {
        return false;
    };
    if res.status() != 200 {
        return false;
    }
    let body: Value = res.json().await.unwrap_or(Value::Null);
    assert_eq!(
        body,
        json!({"changes": len, "deliveries": len}),
        "emit answer"
    );
    true
}

/// Polls (bounded) until `done` holds, every 20 ms; panics with `what` when time runs out.
async fn wait_until(limit: Duration, what: &str, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(
            start.elapsed() < limit,
            "gave up after {limit:?} waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Waits (bounded) until the server's outbox has nothing pending; asserts nothing was dropped.
async fn wait_for_empty_outbox(server: &Server, limit: Duration) -> Value {
    let start = Instant::now();
    loop {
        let stats = server.stats().await;
        if stats["pending"] == 0 {
            assert_eq!(stats["dropped"], 0, "no delivery given up: {stats}");
            return stats;
        }
        assert!(
            start.elapsed() < limit,
            "outbox still pending after {limit:?}: {stats}\n{}",
            server.log()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

// ------------------------------------------------------------------------------ kill -9

/// The partner token of [`message_world`].
const SENDER: &str = "TOK-RESTART-SENDER-000000";

/// A world whose partner app is subscribed to `messages` on WABA 3001, delivering to
/// `callback`, with a number and a utility template to send.
fn message_world(callback: &str) -> String {
    format!(
        r#"format: wamm-world/1
apps:
  - key: connect
    id: "2000"
    name: Partner Connect
    secret: {APP_SECRET}
    business: partner
    partner_type: BSP
    permissions:
      whatsapp_business_messaging: advanced
      whatsapp_business_management: advanced
    webhooks:
      - callback_url: {callback}
        verify_token: verify-me
        fields: [messages]
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
          - {{ app: connect, token: {SENDER}, scopes: [whatsapp_business_messaging] }}
  - key: client-a
    id: "1001"
    name: Client A Bakery
    country: BR
    wabas:
      - key: a-main
        id: "{WABA}"
        name: Client A Main
        tax_country: BR
        partners: [{{ business: partner, access: SHARED }}]
        subscribed_apps: [{{ app: connect }}]
        phone_numbers:
          - {{ id: "4001", display_phone_number: "+55 11 4000-0001", verified_name: Client A }}
        templates:
          - {{ name: receipt, language: en_US, category: UTILITY, components: [{{ type: BODY, text: "Thanks" }}] }}
"#
    )
}

/// The statuses of `wamid` in the order the receiver accepted them.
fn statuses_of(receiver: &Receiver, wamid: &str) -> Vec<String> {
    receiver
        .posts()
        .iter()
        .flat_map(|p| p.entries.clone())
        .flat_map(|e| e["changes"].as_array().cloned().unwrap_or_default())
        .flat_map(|c| {
            c["value"]["statuses"]
                .as_array()
                .cloned()
                .unwrap_or_default()
        })
        .filter(|s| s["id"] == wamid)
        .filter_map(|s| s["status"].as_str().map(str::to_owned))
        .collect()
}

/// A send's `sent` step commits and its webhook is refused; the server is killed before any
/// delivery succeeds. Restarted on the same database, it delivers that webhook, then takes the
/// message's later steps and delivers theirs, in order, and the message counts each step once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_restart_between_a_steps_commit_and_its_delivery_loses_no_status() {
    let dir = tempfile::tempdir().expect("temp dir");
    let receiver = Receiver::start().await;
    receiver.set_refusing(true);
    let world_path = dir.path().join("world.yaml");
    std::fs::write(&world_path, message_world(&receiver.url)).expect("world file written");
    let database_url = format!("sqlite://{}", dir.path().join("wamm.db").display());
    let first = Server::start(&database_url, Some(&world_path), &[]).await;
    let sent: Value = http()
        .post(format!("{}/v23.0/4001/messages", first.base))
        .bearer_auth(SENDER)
        .json(
            &json!({"messaging_product": "whatsapp", "recipient_type": "individual",
            "to": "15550990005", "type": "template",
            "template": {"name": "receipt", "language": {"code": "en_US"}}}),
        )
        .send()
        .await
        .expect("send")
        .json()
        .await
        .expect("send answer");
    let wamid = sent["messages"][0]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("a wamid: {sent}"))
        .to_owned();
    wait_until(
        Duration::from_secs(30),
        "a refused delivery of the sent status",
        || receiver.refused() >= 1,
    )
    .await;
    assert!(receiver.posts().is_empty(), "nothing was accepted yet");
    first.kill();

    receiver.set_refusing(false);
    let second = Server::start(&database_url, None, &[]).await;
    // An hour on: the refused delivery's retry and the message's later steps are due.
    let moved = http()
        .post(format!("{}/_wamm/clock", second.base))
        .json(&json!({"advance_seconds": 3600}))
        .send()
        .await
        .expect("clock");
    assert!(moved.status().is_success());
    wait_until(Duration::from_secs(60), "sent, delivered and read", || {
        let seen = statuses_of(&receiver, &wamid);
        ["sent", "delivered", "read"]
            .iter()
            .all(|s| seen.iter().any(|x| x == s))
    })
    .await;
    let seen = statuses_of(&receiver, &wamid);
    let first_of = |s: &str| seen.iter().position(|x| x == s).expect("seen");
    assert!(
        first_of("sent") < first_of("delivered") && first_of("delivered") < first_of("read"),
        "in order: {seen:?}"
    );
    for post in receiver.posts() {
        wamm_testkit::assert_hub_signature(post.signature.as_deref(), &post.body, APP_SECRET);
    }
    let message = second.get_json(&format!("/_wamm/messages/{wamid}")).await;
    assert_eq!(message["status"], "read", "{message}");
    // Every planned step was taken, each once (the store claims a step by its count).
    let planned = message["plan"].as_array().map_or(0, Vec::len);
    assert_eq!(message["steps_done"], json!(planned), "{message}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_killed_server_loses_nothing() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let database_url = format!("sqlite:{}", dir.path().join("w.db").display());
    killed_server_loses_nothing(dir.path(), database_url).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_killed_server_on_postgres_loses_nothing() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let path = dir.path().to_owned();
    on_fresh_postgres("wamm_kill", |url| killed_server_loses_nothing(path, url)).await;
}

/// Emits in a burst, SIGKILLs the server mid-burst, restarts it on the same database and
/// checks that every acknowledged event is delivered, with duplicates bounded by what was in
/// flight.
async fn killed_server_loses_nothing(dir: impl AsRef<std::path::Path>, database_url: String) {
    const CALLS: u64 = 200;
    const PER_CALL: u64 = 10;
    const KILL_AFTER_CALLS: usize = 60;

    let receiver = Receiver::start().await;
    receiver.set_delay(Duration::from_millis(20));
    let world_path = dir.as_ref().join("world.yaml");
    std::fs::write(&world_path, world(&receiver.url)).expect("world file written");
    let batch = BATCH.to_string();
    let first = Server::start(
        &database_url,
        Some(&world_path),
        &["--webhook-batch", &batch, "--webhook-timeout-secs", "2"],
    )
    .await;

    // Emits in many small calls from a task; records the n of every acknowledged call.
    let acked = Arc::new(Mutex::new(Vec::<u64>::new()));
    let acked_calls = Arc::new(AtomicUsize::new(0));
    let emitter = tokio::spawn({
        let (acked, acked_calls, base) = (
            Arc::clone(&acked),
            Arc::clone(&acked_calls),
            first.base.clone(),
        );
        async move {
            let http = http();
            for call in 0..CALLS {
                let ns = call * PER_CALL..(call + 1) * PER_CALL;
                if !emit(&http, &base, ns.clone()).await {
                    break;
                }
                acked.lock().expect("acked lock").extend(ns);
                acked_calls.fetch_add(1, Ordering::SeqCst);
            }
        }
    });
    wait_until(
        Duration::from_secs(30),
        "acknowledged emits and first deliveries",
        || acked_calls.load(Ordering::SeqCst) >= KILL_AFTER_CALLS && !receiver.ns().is_empty(),
    )
    .await;
    first.kill();
    let killed_at = Instant::now();
    emitter.await.expect("emitter ends once the server is gone");
    let acked: Vec<u64> = acked.lock().expect("acked lock").clone();
    assert!(
        acked.len() < usize::try_from(CALLS * PER_CALL).expect("small"),
        "the kill landed before every emit was acknowledged"
    );
    receiver.set_delay(Duration::ZERO);

    // The same database, no world: the world, the subscription and the outbox persisted.
    let second = Server::start(
        &database_url,
        None,
        &["--webhook-batch", &batch, "--webhook-timeout-secs", "2"],
    )
    .await;
    let restarted_at = Instant::now();
    wait_until(
        Duration::from_secs(60),
        "every acknowledged event after the restart",
        || {
            let seen = receiver.distinct();
            acked.iter().all(|n| seen.contains(n))
        },
    )
    .await;
    let recovered_after = restarted_at.elapsed();
    // Whatever was committed but not acknowledged goes out too; then nothing is left.
    let stats = wait_for_empty_outbox(&second, Duration::from_secs(30)).await;

    let posts = receiver.posts();
    let ns = receiver.ns();
    let seen: HashSet<u64> = ns.iter().copied().collect();
    let missing: Vec<u64> = acked
        .iter()
        .copied()
        .filter(|n| !seen.contains(n))
        .collect();
    assert!(missing.is_empty(), "acknowledged but lost: {missing:?}");
    // What each process delivered: POSTs that reached the receiver before the kill returned
    // came from the first one (the second was not started yet).
    let (before, after): (Vec<&Post>, Vec<&Post>) =
        posts.iter().partition(|p| p.arrived < killed_at);
    let flat =
        |posts: &[&Post]| -> Vec<u64> { posts.iter().flat_map(|p| p.ns.iter().copied()).collect() };
    let (before, after) = (flat(&before), flat(&after));
    assert_eq!(duplicates(&before), 0, "the first process repeated itself");
    assert_eq!(duplicates(&after), 0, "the second process repeated itself");
    let before: HashSet<u64> = before.into_iter().collect();
    let undelivered_at_kill = acked.iter().filter(|n| !before.contains(n)).count();
    assert!(
        undelivered_at_kill > 0,
        "the kill landed while deliveries were still flowing ({} acknowledged, all delivered)",
        acked.len()
    );
    let dups = duplicates(&ns);
    let redelivered = after.iter().filter(|n| before.contains(n)).count();
    assert_eq!(
        dups, redelivered,
        "every duplicate is a redelivery after the restart"
    );
    // A row is delivered again only when its POST was answered but the process died before
    // recording the outcome: at most the batches in flight to the endpoint at the kill.
    let bound = CONCURRENCY * BATCH;
    eprintln!(
        "kill test: {} acknowledged ({} calls), {} delivered and {undelivered_at_kill} \
         acknowledged undelivered at the kill; {} emitted in all (acknowledged or not), {} \
         deliveries, {dups} duplicates (bound {bound}); all acknowledged delivered \
         {recovered_after:?} after the restart, {:?} after the kill; outbox {stats}",
        acked.len(),
        acked_calls.load(Ordering::SeqCst),
        before.len(),
        seen.len(),
        ns.len(),
        killed_at.elapsed(),
    );
    assert!(
        dups <= bound,
        "{dups} duplicate deliveries; at most {bound} could have been in flight"
    );
    assert!(
        posts.iter().all(|p| p.ns.len() <= BATCH),
        "batches respect --webhook-batch"
    );
    for post in &posts {
        assert_signed(post);
    }
    second.kill();
}

// ------------------------------------------------------------------------------ two replicas

/// The local ports of `pid`'s TCP connections to `remote_port` on this machine, from
/// `/proc` (Linux): which process a receiver's peer address belongs to.
fn client_ports(pid: u32, remote_port: u16) -> HashSet<u16> {
    let inodes: HashSet<String> = std::fs::read_dir(format!("/proc/{pid}/fd"))
        .expect("/proc/<pid>/fd readable")
        .filter_map(|fd| std::fs::read_link(fd.ok()?.path()).ok())
        .filter_map(|target| {
            let target = target.to_string_lossy().into_owned();
            Some(
                target
                    .strip_prefix("socket:[")?
                    .strip_suffix(']')?
                    .to_owned(),
            )
        })
        .collect();
    let port = |addr: &str| {
        addr.rsplit(':')
            .next()
            .and_then(|p| u16::from_str_radix(p, 16).ok())
    };
    let mut ports = HashSet::new();
    for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
        let Ok(text) = std::fs::read_to_string(table) else {
            continue;
        };
        for line in text.lines().skip(1) {
            let cols: Vec<&str> = line.split_whitespace().collect();
            if cols.len() > 9
                && port(cols[2]) == Some(remote_port)
                && inodes.contains(cols[9])
                && let Some(local) = port(cols[1])
            {
                ports.insert(local);
            }
        }
    }
    ports
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_replicas_share_one_postgres_database() {
    on_fresh_postgres("wamm_e2e", two_replicas).await;
}

async fn two_replicas(database_url: String) {
    const CALLS_EACH: u64 = 100;
    const PER_CALL: u64 = 10;
    const TOTAL: u64 = 2 * CALLS_EACH * PER_CALL;

    let dir = tempfile::tempdir().expect("temporary directory");
    let receiver = Receiver::start().await;
    let world_path = dir.path().join("world.yaml");
    std::fs::write(&world_path, world(&receiver.url)).expect("world file written");
    let a = Server::start(&database_url, Some(&world_path), &[]).await;
    let b = Server::start(&database_url, None, &[]).await;

    // Both control APIs at once, interleaved n ranges: calls 0, 2, 4… to A, 1, 3, 5… to B.
    let started = Instant::now();
    let emitters: Vec<_> = [(0, a.base.clone()), (1, b.base.clone())]
        .into_iter()
        .map(|(parity, base)| {
            tokio::spawn(async move {
                let http = http();
                for i in 0..CALLS_EACH {
                    let call = 2 * i + parity;
                    let ns = call * PER_CALL..(call + 1) * PER_CALL;
                    assert!(emit(&http, &base, ns).await, "emit {call} to {base}");
                }
            })
        })
        .collect();
    for emitter in emitters {
        emitter.await.expect("emitter");
    }
    let emitted_after = started.elapsed();
    wait_until(Duration::from_secs(60), "all 2000 events delivered", || {
        receiver.distinct().len() == usize::try_from(TOTAL).expect("small")
    })
    .await;
    let delivered_after = started.elapsed();
    let stats_a = wait_for_empty_outbox(&a, Duration::from_secs(30)).await;
    let stats_b = b.stats().await;
    assert_eq!(stats_a, stats_b, "both replicas read the same outbox");
    assert_eq!(stats_a["delivered"], TOTAL, "outbox {stats_a}");

    let ns = receiver.ns();
    let seen: HashSet<u64> = ns.iter().copied().collect();
    let missing: Vec<u64> = (0..TOTAL).filter(|n| !seen.contains(n)).collect();
    assert!(missing.is_empty(), "lost: {missing:?}");
    let mut counts: BTreeMap<u64, usize> = BTreeMap::new();
    for n in &ns {
        *counts.entry(*n).or_default() += 1;
    }
    let twice: Vec<u64> = counts
        .iter()
        .filter(|(_, c)| **c > 1)
        .map(|(n, _)| *n)
        .collect();
    assert!(
        twice.is_empty(),
        "delivered more than once with no crash: {twice:?}"
    );
    let posts = receiver.posts();
    for post in &posts {
        assert_signed(post);
    }

    // Which replica sent each POST: its peer port is one of that process's connections to
    // the receiver (kept alive in its pool while the process runs).
    let ports_a = client_ports(a.pid(), receiver.port);
    let ports_b = client_ports(b.pid(), receiver.port);
    let by = |ports: &HashSet<u16>| -> usize {
        posts
            .iter()
            .filter(|p| ports.contains(&p.peer.port()))
            .map(|p| p.ns.len())
            .sum()
    };
    let (from_a, from_b) = (by(&ports_a), by(&ports_b));
    eprintln!(
        "two replicas: {TOTAL} events emitted in {emitted_after:?}, all delivered after \
         {delivered_after:?} in {} POSTs, 0 duplicates; entries sent by A {from_a} \
         ({} connections), by B {from_b} ({} connections), unattributed {}; outbox {stats_a}",
        posts.len(),
        ports_a.len(),
        ports_b.len(),
        ns.len() - from_a - from_b,
    );
    assert!(
        from_a > 0 && from_b > 0,
        "both replicas dispatched (A {from_a}, B {from_b})"
    );
    a.kill();
    b.kill();
}

// ------------------------------------------------------------------ a replica killed mid-burst

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_replica_killed_mid_burst_loses_nothing() {
    on_fresh_postgres("wamm_e2e_kill", replica_killed_mid_burst).await;
}

/// Two replicas on one PostgreSQL database take a burst together; one is killed (SIGKILL) in the
/// middle of it. The survivor delivers everything either acknowledged, including the rows the
/// dead one had claimed (once their lease runs out), and repeats at most what the dead one
/// had in flight.
async fn replica_killed_mid_burst(database_url: String) {
    const CALLS_EACH: u64 = 100;
    const PER_CALL: u64 = 10;
    const KILL_AFTER_CALLS: usize = 40;

    let dir = tempfile::tempdir().expect("temporary directory");
    let receiver = Receiver::start().await;
    receiver.set_delay(Duration::from_millis(20));
    let world_path = dir.path().join("world.yaml");
    std::fs::write(&world_path, world(&receiver.url)).expect("world file written");
    let batch = BATCH.to_string();
    let flags = [
        "--webhook-batch",
        batch.as_str(),
        "--webhook-timeout-secs",
        "2",
    ];
    let a = Server::start(&database_url, Some(&world_path), &flags).await;
    let b = Server::start(&database_url, None, &flags).await;

    let acked = Arc::new(Mutex::new(Vec::<u64>::new()));
    let acked_by_a = Arc::new(AtomicUsize::new(0));
    let emitters: Vec<_> = [(0, a.base.clone()), (1, b.base.clone())]
        .into_iter()
        .map(|(parity, base)| {
            let (acked, acked_by_a) = (Arc::clone(&acked), Arc::clone(&acked_by_a));
            tokio::spawn(async move {
                let http = http();
                for i in 0..CALLS_EACH {
                    let call = 2 * i + parity;
                    let ns = call * PER_CALL..(call + 1) * PER_CALL;
                    if !emit(&http, &base, ns.clone()).await {
                        assert_eq!(parity, 0, "only the killed replica stops answering");
                        break;
                    }
                    acked.lock().expect("acked lock").extend(ns);
                    if parity == 0 {
                        acked_by_a.fetch_add(1, Ordering::SeqCst);
                    }
                }
            })
        })
        .collect();
    wait_until(
        Duration::from_secs(30),
        "acknowledged emits and first deliveries",
        || acked_by_a.load(Ordering::SeqCst) >= KILL_AFTER_CALLS && !receiver.ns().is_empty(),
    )
    .await;
    a.kill();
    let killed_at = Instant::now();
    for emitter in emitters {
        emitter.await.expect("emitter");
    }
    let acked: Vec<u64> = acked.lock().expect("acked lock").clone();
    assert!(
        acked_by_a.load(Ordering::SeqCst) < usize::try_from(CALLS_EACH).expect("small"),
        "the kill landed before A acknowledged its whole share"
    );
    receiver.set_delay(Duration::ZERO);
    wait_until(
        Duration::from_secs(90),
        "every acknowledged event delivered by the survivor",
        || {
            let seen = receiver.distinct();
            acked.iter().all(|n| seen.contains(n))
        },
    )
    .await;
    let recovered_after = killed_at.elapsed();
    let stats = wait_for_empty_outbox(&b, Duration::from_secs(60)).await;
    let ns = receiver.ns();
    let dups = duplicates(&ns);
    // Only what the dead replica had POSTed without recording the outcome can come twice.
    let bound = CONCURRENCY * BATCH;
    eprintln!(
        "replica killed mid-burst: {} acknowledged, {} deliveries, {dups} duplicates (bound \
         {bound}), all acknowledged delivered {recovered_after:?} after the kill; outbox {stats}",
        acked.len(),
        ns.len(),
    );
    assert!(
        dups <= bound,
        "{dups} duplicate deliveries; at most {bound} could have been in flight at the kill"
    );
    for post in &receiver.posts() {
        assert_signed(post);
    }
    b.kill();
}
