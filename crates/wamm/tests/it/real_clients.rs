//! Unchanged third-party Graph clients against `wamm up` with the demo world, only their base
//! URL switched: here pywa (the pinned release `scripts/ensure-pywa.sh` installs, found
//! through `WAMM_PYWA_PYTHON`), and the demo world, environment and runner every client
//! script shares (whatsapp-api-js uses them from [`crate::real_clients_js`]). A client runs as
//! a child process and prints one JSON line per call; every call must succeed and answer what
//! the demo world holds, and pywa's own webhook handling must verify and parse what the
//! platform delivers.

use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;

use serde_json::{Value, json};

use crate::cli::{KillOnDrop, start_up};

/// The pywa scripts, kept next to the tests.
const PYWA_READS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/it/clients/pywa_reads.py"
);
const PYWA_WEBHOOKS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/it/clients/pywa_webhooks.py"
);

/// The name of the template the script creates.
const NEW_TEMPLATE: &str = "pywa_spring_sale";

/// The value of `var`, which `scripts/test.sh` exports from `script`. Missing is a failure,
/// not a skip: CI must run the real clients.
pub(crate) fn installed(var: &str, script: &str) -> String {
    std::env::var(var).unwrap_or_else(|_| {
        panic!("{var} is not set: run `export {var}=$({script})` (scripts/test.sh does)")
    })
}

/// The interpreter of the pywa venv.
fn pywa_python() -> String {
    installed("WAMM_PYWA_PYTHON", "scripts/ensure-pywa.sh")
}

/// What the test needs from the demo world: a WABA shared with the partner that finished
/// Marketing Messages onboarding, its phone numbers and templates, and an approved
/// marketing template to send with its example parameters.
pub(crate) struct Target {
    pub(crate) waba: Value,
    pub(crate) send: Value,
}

impl Target {
    /// Picks the target from `GET /_wamm/world?format=json` by its properties, not its name,
    /// so a reworded demo world still has one.
    fn pick(world: &Value, partner: &str) -> Self {
        let partner_key = format!("business-{partner}");
        let shared = |waba: &Value| {
            waba["partners"]
                .as_array()
                .is_some_and(|ps| ps.iter().any(|p| p["business"] == partner_key.as_str()))
        };
        let sendable = |t: &Value| t["status"] == "APPROVED" && t["category"] == "MARKETING";
        let wabas = world["businesses"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|b| b["wabas"].as_array().into_iter().flatten());
        for waba in wabas {
            if !shared(waba) || waba["mm_setup_complete_at"].is_null() {
                continue;
            }
            let templates = waba["templates"].as_array().into_iter().flatten();
            if let Some(send) = templates.into_iter().find(|t| sendable(t)) {
                return Self {
                    waba: waba.clone(),
                    send: send.clone(),
                };
            }
        }
        panic!("no onboarded WABA with an approved marketing template in the demo world: {world}")
    }

    /// The string at `pointer` in the WABA.
    pub(crate) fn str(&self, pointer: &str) -> String {
        self.waba
            .pointer(pointer)
            .and_then(Value::as_str)
            .unwrap_or_else(|| panic!("{pointer} in {}", self.waba))
            .to_owned()
    }

    fn set(&self, list: &str, key: &str) -> BTreeSet<String> {
        self.waba[list]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|v| v[key].as_str().map(str::to_owned))
            .collect()
    }

    /// The body parameters of the template to send, from its body example.
    fn send_params(&self) -> String {
        let body = self.send["components"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|c| c["type"] == "BODY");
        let example = body.and_then(|b| b.pointer("/example/body_text/0"));
        example
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join(",")
    }
}

/// `wamm up` on the demo world, and the target the scripts work on.
pub(crate) async fn demo() -> (KillOnDrop, Value, Target) {
    let (wamm, info) = start_up(&["--database-url", "sqlite::memory:", "--seed", "11"]).await;
    let base = info["base_url"].as_str().unwrap_or_default();
    let world: Value = reqwest::get(format!("{base}/_wamm/world?format=json"))
        .await
        .expect("world answers")
        .json()
        .await
        .expect("world JSON");
    let target = Target::pick(
        &world,
        info["partner_business_id"].as_str().unwrap_or_default(),
    );
    (wamm, info, target)
}

/// A JSON string as text, empty when it is none.
pub(crate) fn text(v: &Value) -> String {
    v.as_str().unwrap_or_default().to_owned()
}

/// The recipient every script sends to.
pub(crate) const TO: &str = "16315550100";

/// The environment of a client script: the credentials of `info`, the target's WABA, phone
/// number and template to send, plus `extra`.
pub(crate) fn client_env(
    info: &Value,
    target: &Target,
    extra: &[(&str, &str)],
) -> Vec<(String, String)> {
    let mut env: Vec<(String, String)> = [
        ("WAMM_BASE_URL", text(&info["base_url"])),
        ("WAMM_TOKEN", text(&info["access_token"])),
        ("WAMM_APP_ID", text(&info["app_id"])),
        ("WAMM_APP_SECRET", text(&info["app_secret"])),
        ("WAMM_WABA_ID", target.str("/id")),
        ("WAMM_PHONE_ID", target.str("/phone_numbers/0/id")),
        ("WAMM_TO", TO.to_owned()),
        ("WAMM_SEND_TEMPLATE", text(&target.send["name"])),
        ("WAMM_SEND_LANGUAGE", text(&target.send["language"])),
        ("WAMM_SEND_PARAMS", target.send_params()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    env.extend(
        extra
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
    );
    env
}

/// Runs `program` with `args` and `env`; it must exit successfully. Answers each call's JSON
/// line by call name, and the program's stderr.
pub(crate) async fn run_client(
    program: String,
    args: Vec<String>,
    env: Vec<(String, String)>,
) -> (BTreeMap<String, Value>, String) {
    let out = tokio::task::spawn_blocking(move || {
        Command::new(&program)
            .args(&args)
            .envs(env)
            .output()
            .unwrap_or_else(|e| panic!("{program} runs: {e}"))
    })
    .await
    .expect("runner");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "the client script failed: {stderr}");
    let calls = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|line| {
            let v: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
            (text(&v["call"]), v)
        })
        .collect();
    (calls, stderr)
}

/// Runs the pywa `script` with [`client_env`].
async fn run_pywa(
    script: &'static str,
    info: &Value,
    target: &Target,
    extra: &[(&str, &str)],
) -> (BTreeMap<String, Value>, String) {
    let mut env = client_env(info, target, extra);
    // Importing the shared module must not write `__pycache__` into the source tree.
    env.push(("PYTHONDONTWRITEBYTECODE".to_owned(), "1".to_owned()));
    run_client(pywa_python(), vec![script.to_owned()], env).await
}

#[tokio::test]
async fn pywa_reads_creates_and_sends_against_the_demo_world() {
    let (_wamm, info, target) = demo().await;
    let (calls, stderr) = run_pywa(
        PYWA_READS,
        &info,
        &target,
        &[("WAMM_NEW_TEMPLATE", NEW_TEMPLATE)],
    )
    .await;
    let phone = &target.waba["phone_numbers"][0];

    // Every call is checked before failing, so one run names all the divergences.
    let templates = target.set("templates", "name");
    let expected = [
        (
            "get_business_account",
            json!({"id": target.str("/id"), "name": target.str("/name")}),
        ),
        (
            "get_business_phone_numbers",
            json!({"ids": target.set("phone_numbers", "id")}),
        ),
        (
            "get_business_phone_number",
            json!({"id": phone["id"], "display_phone_number": phone["display_phone_number"]}),
        ),
        ("get_templates", json!({"names": templates})),
        ("create_template", json!({"category": "MARKETING"})),
        ("send_template_mm_lite", json!({})),
    ];
    let mut failures = Vec::new();
    for (call, want) in expected {
        let Some(got) = calls.get(call) else {
            failures.push(format!("{call}: no result line"));
            continue;
        };
        if got["ok"] != true {
            failures.push(format!("{call}: {}", got["error"]));
            continue;
        }
        for (key, value) in want.as_object().into_iter().flatten() {
            // Lists compare as sets: Graph's order is the platform's business, not pywa's.
            let strings = |a: &Vec<Value>| a.iter().map(Value::to_string).collect::<BTreeSet<_>>();
            let same = match (value.as_array(), got[key].as_array()) {
                (Some(w), Some(g)) => strings(w) == strings(g),
                _ => &got[key] == value,
            };
            if !same {
                failures.push(format!("{call}: {key} is {}, want {value}", got[key]));
            }
        }
    }
    if let Some(created) = calls.get("create_template")
        && created["ok"] == true
        && created["id"].as_str().is_none_or(str::is_empty)
    {
        failures.push(format!("create_template: no id in {created}"));
    }
    if let Some(sent) = calls.get("send_template_mm_lite")
        && sent["ok"] == true
        && !sent["id"]
            .as_str()
            .is_some_and(|id| id.starts_with("wamid."))
    {
        failures.push(format!(
            "send_template_mm_lite: id {} is no wamid",
            sent["id"]
        ));
    }
    assert!(
        failures.is_empty(),
        "pywa calls failed against wamm:\n{}\nstderr:\n{stderr}",
        failures.join("\n")
    );
}

#[tokio::test]
async fn pywa_verifies_and_parses_the_status_webhooks_of_its_send() {
    let (_wamm, info, target) = demo().await;
    let (calls, stderr) = run_pywa(PYWA_WEBHOOKS, &info, &target, &[]).await;
    let mut failures = Vec::new();
    for call in [
        "set_app_callback_url",
        "send_template_mm_lite",
        "message_status_webhooks",
    ] {
        match calls.get(call) {
            Some(got) if got["ok"] == true => {}
            Some(got) => failures.push(format!("{call}: {}", got["error"])),
            None => failures.push(format!("{call}: no result line")),
        }
    }
    assert!(
        failures.is_empty(),
        "pywa webhook handling failed against wamm:\n{}\nstderr:\n{stderr}",
        failures.join("\n")
    );
    // Both arrived (the script waits for them); their order is the dispatcher's business.
    let seen = &calls["message_status_webhooks"]["statuses"];
    let kinds: BTreeSet<&str> = seen
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(kinds, BTreeSet::from(["delivered", "sent"]), "{seen}");
}
