//! A platform under a small open-file limit stays available: hundreds of idle sockets are
//! refused or timed out, never left to use up the descriptors that serving and the SQLite
//! database need.

use std::process::Command;
use std::time::{Duration, Instant};

use tokio::io::AsyncReadExt;
use tokio::net::TcpStream;
use tokio::task::JoinSet;

use crate::support::{Server, http};

const TOKEN: &str = "TOK-E2E-FILES-00000000000";

const WORLD: &str = r#"format: wamm-world/1
apps:
  - key: connect
    id: "2000"
    name: Partner Connect
    secret: e2e-files-secret-000000000000000
    business: partner
    partner_type: BSP
    permissions: { whatsapp_business_management: advanced }
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
          - { app: connect, token: TOK-E2E-FILES-00000000000, scopes: [whatsapp_business_management] }
"#;

/// The open-file limit the platform runs under.
const OPEN_FILES: u32 = 256;
/// Idle sockets opened against it: more than it has descriptors.
const SOCKETS: usize = 300;
/// How long every socket may take to be closed by the server: refused at once, or cut off at
/// the (2 s) header timeout, with room for a slow machine.
const BOUND: Duration = Duration::from_secs(20);

/// Waits until the server closes `stream` (end of stream or reset); `false` if it is still
/// open after [`BOUND`].
async fn closed_by_server(mut stream: TcpStream) -> bool {
    let mut buf = [0u8; 512];
    let deadline = tokio::time::Instant::now() + BOUND;
    loop {
        match tokio::time::timeout_at(deadline, stream.read(&mut buf)).await {
            Ok(Ok(0) | Err(_)) => return true,
            Ok(Ok(_)) => {}
            Err(_) => return false,
        }
    }
}

/// A world file in `dir` and a SQLite file URL beside it.
fn files(dir: &tempfile::TempDir) -> (std::path::PathBuf, String) {
    let world = dir.path().join("world.yaml");
    std::fs::write(&world, WORLD).expect("world written");
    let database = format!("sqlite:{}", dir.path().join("wamm.db").display());
    (world, database)
}

/// Timeouts short enough to wait out.
const SHORT: [&str; 4] = ["--header-timeout-secs", "2", "--idle-timeout-secs", "2"];

/// Opens [`SOCKETS`] idle sockets to `server` and asserts that each is closed in bounded time
/// and that the platform then answers, its database included.
async fn survives_idle_sockets(server: &Server) {
    let addr = server.base.trim_start_matches("http://").to_owned();
    let started = Instant::now();
    let mut sockets = JoinSet::new();
    for _ in 0..SOCKETS {
        let stream = TcpStream::connect(&addr).await.expect("connects");
        sockets.spawn(closed_by_server(stream));
    }
    let mut open = 0;
    while let Some(closed) = sockets.join_next().await {
        if !closed.expect("socket task") {
            open += 1;
        }
    }
    assert_eq!(
        open,
        0,
        "{open} of {SOCKETS} idle sockets still open after {:?}; log:\n{}",
        started.elapsed(),
        server.log()
    );
    let health = http()
        .get(format!("{}/_wamm/health", server.base))
        .send()
        .await
        .expect("health answers");
    assert_eq!(health.status(), 200, "log:\n{}", server.log());
    // A Graph call reads the token and the business from the SQLite file.
    let business = http()
        .get(format!("{}/v23.0/1000?fields=id,name", server.base))
        .bearer_auth(TOKEN)
        .send()
        .await
        .expect("Graph answers");
    assert_eq!(business.status(), 200, "log:\n{}", server.log());
    let body: serde_json::Value = business.json().await.expect("JSON");
    assert_eq!(body["name"], "Partner Inc", "{body}");
}

/// Started under the limit, the platform serves fewer connections than descriptors and
/// refuses the rest.
#[tokio::test]
async fn idle_sockets_cannot_starve_the_platform_of_descriptors() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (world, database) = files(&dir);
    let mut shell = Command::new("sh");
    shell.args([
        "-c",
        &format!("ulimit -n {OPEN_FILES} && exec \"$0\" \"$@\""),
        env!("CARGO_BIN_EXE_wamm"),
    ]);
    let server = Server::start_via(shell, &database, Some(&world), &SHORT).await;
    survives_idle_sockets(&server).await;
    assert!(
        server.log().contains("open-file limit"),
        "the platform saw the limit; log:\n{}",
        server.log()
    );
}

/// With the limit lowered under it, the platform runs out of descriptors: it closes the
/// connections it cannot serve and recovers once the timeouts free descriptors.
#[cfg(target_os = "linux")]
#[tokio::test]
async fn a_platform_out_of_descriptors_recovers() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (world, database) = files(&dir);
    let server = Server::start(&database, Some(&world), &SHORT).await;
    // Far below the configured connection limit, so that accepting runs out of descriptors.
    let lowered = Command::new("prlimit")
        .args(["--pid", &server.pid().to_string(), "--nofile=100:100"])
        .status()
        .expect("prlimit (util-linux) runs");
    assert!(lowered.success(), "prlimit lowered the limit");
    survives_idle_sockets(&server).await;
    assert!(
        server.log().contains("out of file descriptors"),
        "the platform ran out of descriptors; log:\n{}",
        server.log()
    );
}
