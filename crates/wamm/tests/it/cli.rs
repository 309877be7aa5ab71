//! The `wamm` binary as a newcomer runs it: `wamm up --json` prints working credentials,
//! business tokens are fetched again across restarts and key rotation, and a world file past
//! the bounds stops `wamm serve` at once with the reason.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

/// A child process killed and reaped when dropped, panics included.
pub(crate) struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn up_prints_credentials_that_work_at_once() {
    // Several seeds: which app happens to get the lower ID must not matter.
    for seed in ["1", "2", "3", "7"] {
        up_once(seed).await;
    }
}

/// Starts `wamm up --json` with `args` and reads the credentials line it prints.
pub(crate) async fn start_up(args: &[&str]) -> (KillOnDrop, Value) {
    let child = Command::new(env!("CARGO_BIN_EXE_wamm"))
        .arg("up")
        .arg("--json")
        .args(["--listen", "127.0.0.1:0"])
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("wamm starts");
    let mut child = KillOnDrop(child);
    let stdout = child.0.stdout.take().expect("stdout");
    let line = tokio::task::spawn_blocking(move || {
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).map(|_| line)
    })
    .await
    .expect("reader")
    .expect("a line on stdout");
    let info: Value = serde_json::from_str(line.trim()).expect("one JSON object on a line");
    (child, info)
}

async fn up_once(seed: &str) {
    let (_child, info) = start_up(&["--database-url", "sqlite::memory:", "--seed", seed]).await;
    for key in [
        "base_url",
        "graph_url",
        "console_url",
        "app_id",
        "app_secret",
        "partner_business_id",
        "access_token",
    ] {
        assert!(
            info[key].as_str().is_some_and(|v| !v.is_empty()),
            "{key} in {info}"
        );
    }
    let http = reqwest::Client::new();
    let graph = info["graph_url"].as_str().unwrap_or_default();
    let token = info["access_token"].as_str().unwrap_or_default();
    let partner = info["partner_business_id"].as_str().unwrap_or_default();
    let r = http
        .get(format!("{graph}/{partner}/client_whatsapp_business_accounts?fields=id,marketing_messages_onboarding_status"))
        .bearer_auth(token)
        .send()
        .await
        .expect("Graph call");
    assert_eq!(r.status(), 200, "seed {seed}");
    let body: Value = r.json().await.expect("json");
    assert!(
        body["data"].as_array().is_some_and(|d| !d.is_empty()),
        "{body}"
    );
    let console = http
        .get(info["console_url"].as_str().unwrap_or_default())
        .send()
        .await
        .expect("console");
    assert_eq!(console.status(), 200);
}

/// `POST /{client}/system_user_access_tokens` as the partner printed by `up`.
async fn business_token(info: &Value, client: &str, fetch_only: bool) -> String {
    let graph = info["graph_url"].as_str().unwrap_or_default();
    let token = info["access_token"].as_str().unwrap_or_default();
    let secret = info["app_secret"].as_str().unwrap_or_default();
    let proof = wamm_wire::proof::appsecret_proof(secret, token);
    let r = reqwest::Client::new()
        .post(format!(
            "{graph}/{client}/system_user_access_tokens?fetch_only={fetch_only}&appsecret_proof={proof}"
        ))
        .bearer_auth(token)
        .send()
        .await
        .expect("Graph call");
    let body: Value = r.json().await.expect("json");
    body["access_token"]
        .as_str()
        .unwrap_or_else(|| panic!("a token in {body}"))
        .to_owned()
}

/// A client of the demo partner: the owner of its first shared WABA.
async fn first_client(info: &Value) -> String {
    let graph = info["graph_url"].as_str().unwrap_or_default();
    let token = info["access_token"].as_str().unwrap_or_default();
    let partner = info["partner_business_id"].as_str().unwrap_or_default();
    let body: Value = reqwest::Client::new()
        .get(format!(
            "{graph}/{partner}/client_whatsapp_business_accounts?fields=owner_business_info{{id}}"
        ))
        .bearer_auth(token)
        .send()
        .await
        .expect("Graph call")
        .json()
        .await
        .expect("json");
    body["data"][0]["owner_business_info"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("a client in {body}"))
        .to_owned()
}

#[tokio::test]
async fn business_tokens_are_fetched_again_after_restarts_and_key_rotation() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let db = dir.path().join("w.db");
    let url = format!("sqlite:{}", db.display());
    let key_file = dir.path().join("w.db.token-key");
    let args = ["--database-url", url.as_str(), "--seed", "5"];

    let (child, info) = start_up(&args).await;
    let client = first_client(&info).await;
    let first = business_token(&info, &client, true).await;
    assert_eq!(business_token(&info, &client, true).await, first);
    drop(child);
    // The key lives beside the database, readable by its owner only, and not inside it.
    let keys = std::fs::read_to_string(&key_file).expect("the key file was created");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key_file)
            .expect("meta")
            .permissions()
            .mode();
        assert_eq!(mode & 0o077, 0, "owner only: {mode:o}");
    }
    let stored = [
        std::fs::read(&db).unwrap_or_default(),
        std::fs::read(dir.path().join("w.db-wal")).unwrap_or_default(),
    ]
    .concat();
    for key in keys.lines().filter(|l| !l.starts_with('#')) {
        assert!(
            !stored.windows(key.len()).any(|w| w == key.as_bytes()),
            "the key is not in the database"
        );
    }

    // A restart (a new partner token is printed: only hashes are stored) fetches the same.
    let (child, info) = start_up(&args).await;
    assert_eq!(business_token(&info, &client, true).await, first);
    drop(child);

    // Rotation: the old key stays listed, so its token is still fetched; new mints use the new.
    let rotated = Command::new(env!("CARGO_BIN_EXE_wamm"))
        .args(["token-key", "rotate", "--file"])
        .arg(&key_file)
        .output()
        .expect("wamm token-key rotate runs");
    assert!(rotated.status.success(), "{rotated:?}");
    let (child, info) = start_up(&args).await;
    assert_eq!(business_token(&info, &client, true).await, first);
    let minted = business_token(&info, &client, false).await;
    assert_ne!(minted, first);
    assert_eq!(business_token(&info, &client, true).await, minted);
    drop(child);
}

/// A world file the bounds refuse stops `wamm serve` at once, saying why: one that nests too
/// deeply (read, and refused by the pre-scan) and one that is too large (refused by its size,
/// never read; the file is sparse).
#[test]
fn serve_refuses_world_files_past_the_bounds() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let deep = dir.path().join("deep.yaml");
    std::fs::write(&deep, format!("apps: {}", "[".repeat(48 * 1024))).expect("deep file");
    let huge = dir.path().join("huge.yaml");
    std::fs::File::create(&huge)
        .and_then(|f| f.set_len(64 * 1024 * 1024 + 1))
        .expect("sparse file");
    for (file, says) in [
        (
            &deep,
            "line 1, column 70: collections nest deeper than 64 levels",
        ),
        (&huge, "a world file may have at most 67108864"),
    ] {
        let started = Instant::now();
        let out = Command::new(env!("CARGO_BIN_EXE_wamm"))
            .args([
                "serve",
                "--listen",
                "127.0.0.1:0",
                "--database-url",
                "sqlite::memory:",
            ])
            .arg("--world")
            .arg(file)
            .stdout(Stdio::null())
            .output()
            .expect("wamm runs");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{stderr}");
        assert!(stderr.contains(says), "{stderr}");
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "{:?}",
            started.elapsed()
        );
    }
}
