//! Connections are bounded in time and number: slow heads, idle keep-alive connections, slow
//! bodies and connections over the limit are closed or refused, never left hanging, and
//! oversized heads are answered in Graph's error shape.
//!
//! These tests speak HTTP/1.1 over raw sockets, since the point is what a misbehaving client
//! sees, with timeouts short enough to wait out.

use std::time::{Duration, Instant};

use reqwest::Method;
use reqwest::header::HeaderMap;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use wamm_platform::{ConnectionLimits, PlatformConfig};

use crate::support::*;

/// The longest any step here may take before the test fails instead of hanging.
const BOUND: Duration = Duration::from_secs(10);

/// A platform (SQLite, suite world) with these connection limits.
async fn platform(connections: ConnectionLimits) -> TestPlatform {
    let config = PlatformConfig {
        connections,
        ..PlatformConfig::default()
    };
    TestPlatform::start_with(Backend::Sqlite, config, Some(WORLD)).await
}

fn limits(header: u64, idle: u64, body: u64, max: usize) -> ConnectionLimits {
    ConnectionLimits {
        header_timeout: Duration::from_millis(header),
        idle_timeout: Duration::from_millis(idle),
        body_timeout: Duration::from_millis(body),
        max_connections: max,
    }
}

async fn connect(p: &TestPlatform) -> TcpStream {
    TcpStream::connect(p.running.addr)
        .await
        .expect("connects to the platform")
}

/// Waits (bounded) until the server closes `stream`, discarding anything it sends first;
/// returns how long that took.
async fn closed(stream: &mut TcpStream) -> Duration {
    let started = Instant::now();
    let mut buf = [0u8; 1024];
    loop {
        match tokio::time::timeout(BOUND, stream.read(&mut buf)).await {
            Ok(Ok(0) | Err(_)) => return started.elapsed(),
            Ok(Ok(_)) => {}
            Err(_) => panic!("the connection was still open after {BOUND:?}"),
        }
    }
}

/// Whether `stream` stays open (no data, no close) for `wait`.
async fn stays_open(stream: &mut TcpStream, wait: Duration) -> bool {
    let mut buf = [0u8; 1];
    tokio::time::timeout(wait, stream.read(&mut buf))
        .await
        .is_err()
}

/// One HTTP/1.1 response read off a raw socket.
struct RawResponse {
    status: u16,
    headers: HeaderMap,
    json: Value,
}

impl RawResponse {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Asserts a Graph error object with this status and code, its trace in the header.
    #[track_caller]
    fn graph_error(&self, status: u16, code: i64) -> &Value {
        let err = &self.json["error"];
        assert_eq!(self.status, status, "status of {}", self.json);
        assert_eq!(err["code"].as_i64(), Some(code), "code of {}", self.json);
        assert!(
            err["type"].is_string() && err["message"].is_string(),
            "{}",
            self.json
        );
        let trace = err["fbtrace_id"].as_str().unwrap_or_default();
        assert!(!trace.is_empty(), "fbtrace_id in {}", self.json);
        assert_eq!(self.header("x-fb-trace-id"), Some(trace));
        assert!(
            self.header("content-type")
                .is_some_and(|t| t.starts_with("application/json")),
            "content type of {}",
            self.json
        );
        err
    }
}

/// Reads one response (head and `content-length` body), bounded in time.
async fn response(stream: &mut TcpStream) -> RawResponse {
    tokio::time::timeout(BOUND, read_response(stream))
        .await
        .expect("a response in time")
}

async fn read_response(stream: &mut TcpStream) -> RawResponse {
    let mut data = Vec::new();
    let mut buf = [0u8; 4096];
    let head_end = loop {
        if let Some(i) = data.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        let n = stream.read(&mut buf).await.expect("reads the response");
        assert!(
            n > 0,
            "closed before a response: {:?}",
            String::from_utf8_lossy(&data)
        );
        data.extend_from_slice(&buf[..n]);
    };
    let head = String::from_utf8_lossy(&data[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse().ok())
        .expect("a status line");
    let mut headers = HeaderMap::new();
    for line in lines.filter(|l| !l.is_empty()) {
        let (name, value) = line.split_once(':').expect("a header line");
        headers.append(
            reqwest::header::HeaderName::from_bytes(name.trim().as_bytes()).expect("name"),
            value.trim().parse().expect("value"),
        );
    }
    let length: usize = headers
        .get("content-length")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let mut body = data[head_end..].to_vec();
    while body.len() < length {
        let n = stream.read(&mut buf).await.expect("reads the body");
        assert!(n > 0, "closed within the body");
        body.extend_from_slice(&buf[..n]);
    }
    RawResponse {
        status,
        headers,
        json: serde_json::from_slice(&body).unwrap_or(Value::Null),
    }
}

fn get(path: &str) -> String {
    format!("GET {path} HTTP/1.1\r\nhost: localhost\r\nauthorization: Bearer {FULL}\r\n\r\n")
}

#[tokio::test]
async fn a_slow_header_is_cut_off_at_the_header_timeout() {
    let p = platform(limits(800, 60_000, 60_000, 16)).await;
    let mut silent = connect(&p).await;
    let mut slow = connect(&p).await;
    slow.write_all(b"GET /v23.0/me HTTP/1.1\r\nhost: localhost\r\n")
        .await
        .expect("writes");
    // A byte now and then does not extend the deadline: the whole head is due in time.
    let dribble = async {
        for _ in 0..50 {
            tokio::time::sleep(Duration::from_millis(100)).await;
            if slow.write_all(b"x").await.is_err() {
                break;
            }
        }
    };
    let (waited, ()) = tokio::join!(closed(&mut silent), dribble);
    assert!(
        waited >= Duration::from_millis(600),
        "closed after {waited:?}"
    );
    let waited = closed(&mut slow).await;
    assert!(
        waited < Duration::from_secs(4),
        "dribbler closed after {waited:?}"
    );
    // Others are served as usual.
    let mut fresh = connect(&p).await;
    fresh
        .write_all(get("/v23.0/me").as_bytes())
        .await
        .expect("writes");
    assert_eq!(response(&mut fresh).await.status, 200);
    p.finish().await;
}

#[tokio::test]
async fn an_idle_keep_alive_connection_is_closed_at_the_idle_timeout() {
    let p = platform(limits(500, 2_000, 60_000, 16)).await;
    let mut stream = connect(&p).await;
    stream
        .write_all(get("/v23.0/me").as_bytes())
        .await
        .expect("writes");
    assert_eq!(response(&mut stream).await.json["id"], "1100");
    let idle_since = Instant::now();
    // Kept alive past the header timeout: between requests the idle timeout applies.
    assert!(stays_open(&mut stream, Duration::from_millis(1_000)).await);
    stream
        .write_all(get("/v23.0/me").as_bytes())
        .await
        .expect("writes");
    assert_eq!(response(&mut stream).await.status, 200);
    let idle_since_second = Instant::now();
    closed(&mut stream).await;
    let idle = idle_since_second.elapsed();
    assert!(
        idle >= Duration::from_millis(1_500),
        "closed {idle:?} after the last response (first at {:?})",
        idle_since.elapsed()
    );
    p.finish().await;
}

#[tokio::test]
async fn a_slow_body_gets_a_graph_timeout_and_the_connection_closes() {
    let p = platform(limits(10_000, 60_000, 800, 16)).await;
    let mut stream = connect(&p).await;
    let head = format!(
        "POST /v23.0/me HTTP/1.1\r\nhost: localhost\r\nauthorization: Bearer {FULL}\r\n\
         content-type: application/json\r\ncontent-length: 100\r\n\r\n{{\"a\":"
    );
    stream.write_all(head.as_bytes()).await.expect("writes");
    let started = Instant::now();
    let r = response(&mut stream).await;
    let err = r.graph_error(408, 100);
    assert_eq!(err["is_transient"], true, "{}", r.json);
    assert!(started.elapsed() >= Duration::from_millis(600));
    assert_eq!(r.header("connection"), Some("close"));
    closed(&mut stream).await;
    p.finish().await;
}

#[tokio::test]
async fn connections_over_the_limit_are_refused_until_others_close() {
    let p = platform(limits(30_000, 60_000, 30_000, 2)).await;
    let first = connect(&p).await;
    let mut second = connect(&p).await;
    second
        .write_all(get("/v23.0/me").as_bytes())
        .await
        .expect("writes");
    assert_eq!(response(&mut second).await.status, 200);
    let mut third = connect(&p).await;
    third
        .write_all(get("/v23.0/me").as_bytes())
        .await
        .expect("writes");
    let r = response(&mut third).await;
    let err = r.graph_error(503, 2);
    assert_eq!(err["is_transient"], true, "{}", r.json);
    assert_eq!(r.header("retry-after"), Some("1"));
    closed(&mut third).await;
    // The connections being served are not disturbed.
    second
        .write_all(get("/v23.0/me").as_bytes())
        .await
        .expect("writes");
    assert_eq!(response(&mut second).await.status, 200);
    drop(first);
    drop(second);
    // Once they close, their places are free again.
    let deadline = Instant::now() + BOUND;
    loop {
        let mut next = connect(&p).await;
        next.write_all(get("/v23.0/me").as_bytes())
            .await
            .expect("writes");
        match response(&mut next).await.status {
            200 => break,
            503 if Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            status => panic!("answered {status} after the others closed"),
        }
    }
    p.finish().await;
}

#[tokio::test]
async fn an_over_long_uri_gets_414_with_a_graph_error() {
    let p = platform(ConnectionLimits::default()).await;
    let long = format!("/v23.0/me?fields=id&pad={}", "a".repeat(20_000));
    let r = p.get(&long, FULL).await;
    r.graph_error(414, 100, None);
    assert!(r.message().contains("URI"), "{}", r.message());
    // Just within the limit is served.
    let fits = format!("/v23.0/me?fields=id&pad={}", "a".repeat(16_000));
    assert_eq!(p.get(&fits, FULL).await.ok()["id"], "1100");
    p.finish().await;
}

#[tokio::test]
async fn oversized_headers_get_431_with_a_graph_error() {
    let p = platform(ConnectionLimits::default()).await;
    let big = p
        .http_with(Method::GET, "/v23.0/me", |req| {
            req.bearer_auth(FULL)
                .header("x-padding", "a".repeat(40_000))
        })
        .await;
    big.graph_error(431, 100, None);
    let many = p
        .http_with(Method::GET, "/v23.0/me", |mut req| {
            for i in 0..150 {
                req = req.header(format!("x-pad-{i}"), "a");
            }
            req.bearer_auth(FULL)
        })
        .await;
    many.graph_error(431, 100, None);
    p.finish().await;
}

#[tokio::test]
async fn stopping_closes_idle_connections_and_answers_requests_in_flight() {
    let p = platform(limits(10_000, 60_000, 10_000, 16)).await;
    let mut idle = connect(&p).await;
    idle.write_all(get("/v23.0/me").as_bytes())
        .await
        .expect("writes");
    assert_eq!(response(&mut idle).await.status, 200);
    let mut busy = connect(&p).await;
    let body = br#"{"advance_seconds": 1}"#;
    // `Expect: 100-continue`: the interim answer comes once the handler reads the body, so the
    // request is surely in flight when the server stops.
    let head = format!(
        "POST /_wamm/clock HTTP/1.1\r\nhost: localhost\r\ncontent-type: application/json\r\n\
         expect: 100-continue\r\ncontent-length: {}\r\n\r\n",
        body.len()
    );
    busy.write_all(head.as_bytes()).await.expect("writes");
    assert_eq!(response(&mut busy).await.status, 100);
    let stopping = tokio::spawn(p.running.stop());
    closed(&mut idle).await;
    assert!(!stopping.is_finished(), "stopped with a request in flight");
    busy.write_all(body).await.expect("writes");
    let r = response(&mut busy).await;
    assert_eq!(r.status, 200, "{}", r.json);
    tokio::time::timeout(BOUND, stopping)
        .await
        .expect("stops once the request is answered")
        .expect("stop task");
}
