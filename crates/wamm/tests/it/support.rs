//! What the end-to-end suites share: a real `wamm serve` child process.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;

/// A `wamm serve` child process, killed (SIGKILL) and reaped when dropped, panics included.
pub(crate) struct Server {
    child: Child,
    /// `http://addr` of the server.
    pub(crate) base: String,
    log: Arc<Mutex<VecDeque<String>>>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    /// Starts `wamm serve` on a free port with `args`, and waits (bounded) until it has
    /// loaded its world (if any), announced its address and answers `/_wamm/health`.
    pub(crate) async fn start(database_url: &str, world: Option<&Path>, extra: &[&str]) -> Self {
        let cmd = Command::new(env!("CARGO_BIN_EXE_wamm"));
        Self::start_via(cmd, database_url, world, extra).await
    }

    /// Like [`Server::start`], with `cmd` running the binary: `cmd`'s arguments come first,
    /// e.g. a shell that lowers a limit and then runs `wamm` with the rest.
    pub(crate) async fn start_via(
        mut cmd: Command,
        database_url: &str,
        world: Option<&Path>,
        extra: &[&str],
    ) -> Self {
        cmd.args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--database-url",
            database_url,
        ])
        .args(["--webhook-allow", "127.0.0.0/8"])
        .args(extra)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
        if let Some(world) = world {
            cmd.arg("--world").arg(world);
        }
        let server = Self::spawn(cmd, "wamm platform listening on ").await;
        let health = http()
            .get(format!("{}/_wamm/health", server.base))
            .send()
            .await
            .expect("health answers");
        assert_eq!(health.status(), 200, "health of {}", server.base);
        server
    }

    /// Starts `wamm partner serve` on a free port with the partner's configuration in
    /// `env` (`WAMM_PARTNER_…`) and `extra` flags, and waits until it listens.
    pub(crate) async fn partner(env: &[(&str, &str)], extra: &[&str]) -> Self {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_wamm"));
        cmd.args(["partner", "serve", "--listen", "127.0.0.1:0"])
            .args(extra)
            .envs(env.iter().copied())
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        let server = Self::spawn(cmd, "wamm partner listening on ").await;
        let page = http()
            .get(format!("{}/api/status", server.base))
            .send()
            .await
            .expect("status answers");
        assert_eq!(page.status(), 200, "status of {}", server.base);
        server
    }

    /// Spawns `cmd` and waits (bounded) for the stderr line starting with `announce`, whose
    /// first word after it is the base URL.
    async fn spawn(mut cmd: Command, announce: &'static str) -> Self {
        let mut child = cmd.spawn().expect("wamm starts");
        let stderr = child.stderr.take().expect("stderr");
        let log = Arc::new(Mutex::new(VecDeque::new()));
        let (tx, rx) = tokio::sync::oneshot::channel();
        let thread_log = Arc::clone(&log);
        // Drains stderr for the whole life of the process (a full pipe would stall it),
        // keeping the last lines for failure messages.
        std::thread::spawn(move || {
            let mut tx = Some(tx);
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(rest) = line.strip_prefix(announce)
                    && let Some(tx) = tx.take()
                {
                    let base = rest.split_whitespace().next().unwrap_or_default();
                    let _ = tx.send(base.to_owned());
                }
                let mut log = thread_log.lock().expect("log lock");
                if log.len() == 40 {
                    log.pop_front();
                }
                log.push_back(line);
            }
        });
        let mut server = Self {
            child,
            base: String::new(),
            log,
        };
        let announced = tokio::time::timeout(Duration::from_secs(30), rx).await;
        match announced {
            Ok(Ok(base)) => server.base = base,
            _ => panic!("{announce}… never came; stderr:\n{}", server.log()),
        }
        server
    }

    pub(crate) fn pid(&self) -> u32 {
        self.child.id()
    }

    pub(crate) fn log(&self) -> String {
        Vec::from(self.log.lock().expect("log lock").clone()).join("\n")
    }

    /// A real crash: SIGKILL, no shutdown code runs.
    pub(crate) fn kill(mut self) {
        self.child.kill().expect("SIGKILL");
        self.child.wait().expect("reaped");
    }

    /// `GET /_wamm/webhooks/stats`: `{pending, delivered, dropped}`.
    pub(crate) async fn stats(&self) -> Value {
        self.get_json("/_wamm/webhooks/stats").await
    }

    /// `GET path` (from `/`) as JSON, whatever the status.
    pub(crate) async fn get_json(&self, path: &str) -> Value {
        http()
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .unwrap_or_else(|e| panic!("GET {path}: {e}"))
            .json()
            .await
            .unwrap_or_else(|e| panic!("GET {path} as JSON: {e}"))
    }
}

/// The item of a world export's `list` named `name`.
pub(crate) fn named<'a>(list: &'a Value, name: &str) -> &'a Value {
    list.as_array()
        .and_then(|items| items.iter().find(|i| i["name"] == name))
        .unwrap_or_else(|| panic!("no {name:?} in {list}"))
}

/// An ID of a world export (a string or a number) as text.
pub(crate) fn text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        other => panic!("not an ID: {other}"),
    }
}

/// An HTTP client with a bounded timeout.
pub(crate) fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .expect("HTTP client")
}

/// Runs `body` with the URL of a fresh PostgreSQL database named after `prefix`, as its own
/// task, so that the database is dropped even when the body panics (its servers are killed
/// as the panic unwinds); then passes the panic on.
pub(crate) async fn on_fresh_postgres<F>(prefix: &str, body: impl FnOnce(String) -> F)
where
    F: Future<Output = ()> + Send + 'static,
{
    let db = wamm_testkit::TestDatabase::create(prefix).await;
    let outcome = tokio::spawn(body(db.url.clone())).await;
    db.drop_now().await;
    if let Err(e) = outcome {
        std::panic::resume_unwind(e.into_panic());
    }
}
