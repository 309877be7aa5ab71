//! The webhook receiver over real sockets: the handshake, signed and unsigned deliveries,
//! typed events reaching the sink, size limits (declared and chunked), a refusing sink, and
//! the signature layer in front of a handler of the caller's.
//!
//! The bodies are the shared fixtures in `tests/fixtures/webhooks`, shaped like what the
//! platform sends. Every test runs its own server on `127.0.0.1:0`.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::Router;
use axum::body::Bytes;
use axum::routing::post;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use wamm_client::receiver::events::{AccountEvent, DeliveryStatus, PricingCategory};
use wamm_client::receiver::{self, Event, Notification, ReceiverConfig, SignatureLayer};
use wamm_wire::signature::{HEADER, sign};

const SECRET: &str = "receiver-app-secret";
const TOKEN: &str = "receiver-verify-token";

macro_rules! fixture {
    ($name:literal) => {
        include_bytes!(concat!("../fixtures/webhooks/", $name)) as &[u8]
    };
}

const FIXTURES: &[(&str, &[u8])] = &[
    ("onboarding", fixture!("onboarding.json")),
    ("embedded_signup", fixture!("embedded_signup.json")),
    (
        "coexistence_offboarding",
        fixture!("coexistence_offboarding.json"),
    ),
    ("status_sent_v23", fixture!("status_sent_v23.json")),
    (
        "status_delivered_v24",
        fixture!("status_delivered_v24.json"),
    ),
    (
        "status_read_and_failed",
        fixture!("status_read_and_failed.json"),
    ),
    ("link_click", fixture!("link_click.json")),
    ("template_status", fixture!("template_status.json")),
    ("template_category", fixture!("template_category.json")),
    ("unknown", fixture!("unknown.json")),
];

/// Serves `app` on a free local port until the test's runtime ends; returns its base URL.
async fn serve(app: Router) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("a port");
    let addr = listener.local_addr().expect("an address");
    tokio::spawn(async move { axum::serve(listener, app).await.expect("serving") });
    format!("http://{addr}")
}

/// A receiver whose sink is an unbounded queue the test reads.
struct Receiver {
    url: String,
    http: reqwest::Client,
    received: mpsc::UnboundedReceiver<Notification>,
}

impl Receiver {
    async fn start(config: ReceiverConfig) -> Self {
        let (tx, received) = mpsc::unbounded_channel();
        Self {
            url: serve(receiver::router(config, tx)).await,
            http: reqwest::Client::new(),
            received,
        }
    }

    async fn default() -> Self {
        Self::start(ReceiverConfig::new(SECRET, TOKEN)).await
    }

    async fn handshake(&self, query: &[(&str, &str)]) -> (u16, Option<String>, String) {
        let r = self
            .http
            .get(&self.url)
            .query(query)
            .send()
            .await
            .expect("an answer");
        let status = r.status().as_u16();
        let content_type = r
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        (status, content_type, r.text().await.expect("a body"))
    }

    async fn post(&self, body: &[u8], signature: Option<String>) -> (u16, String) {
        post_to(&self.http, &self.url, body, signature).await
    }

    async fn post_signed(&self, body: &[u8]) -> (u16, String) {
        self.post(body, Some(sign(SECRET, body))).await
    }

    /// What the sink got. The router answers only after the sink took a notification, so
    /// anything delivered before the last answer is already queued.
    fn delivered(&mut self) -> Vec<Notification> {
        let mut all = Vec::new();
        while let Ok(n) = self.received.try_recv() {
            all.push(n);
        }
        all
    }
}

async fn post_to(
    http: &reqwest::Client,
    url: &str,
    body: &[u8],
    signature: Option<String>,
) -> (u16, String) {
    let mut request = http
        .post(url)
        .header("content-type", "application/json")
        .body(body.to_vec());
    if let Some(signature) = signature {
        // Lower case, as the platform sends it.
        request = request.header("x-hub-signature-256", signature);
    }
    let r = request.send().await.expect("an answer");
    (r.status().as_u16(), r.text().await.expect("a body"))
}

mod handshake {
    use super::*;

    #[tokio::test]
    async fn a_matching_token_gets_the_challenge_back() {
        let r = Receiver::default().await;
        let (status, content_type, body) = r
            .handshake(&[
                ("hub.mode", "subscribe"),
                ("hub.challenge", "1158201444"),
                ("hub.verify_token", TOKEN),
            ])
            .await;
        assert_eq!(status, 200);
        assert!(
            content_type
                .as_deref()
                .is_some_and(|t| t.starts_with("text/plain")),
            "{content_type:?}"
        );
        assert_eq!(body, "1158201444");
    }

    #[tokio::test]
    async fn a_wrong_token_is_forbidden() {
        let r = Receiver::default().await;
        for token in ["not-the-token", "", &TOKEN[..TOKEN.len() - 1]] {
            let (status, _, body) = r
                .handshake(&[
                    ("hub.mode", "subscribe"),
                    ("hub.challenge", "1158201444"),
                    ("hub.verify_token", token),
                ])
                .await;
            assert_eq!(status, 403, "{token:?}");
            assert!(!body.contains("1158201444"));
        }
        let (status, _, _) = r
            .handshake(&[("hub.mode", "subscribe"), ("hub.challenge", "1")])
            .await;
        assert_eq!(status, 403);
    }

    #[tokio::test]
    async fn a_wrong_mode_is_forbidden() {
        let r = Receiver::default().await;
        for mode in ["unsubscribe", "SUBSCRIBE", ""] {
            let (status, _, _) = r
                .handshake(&[
                    ("hub.mode", mode),
                    ("hub.challenge", "1158201444"),
                    ("hub.verify_token", TOKEN),
                ])
                .await;
            assert_eq!(status, 403, "{mode:?}");
        }
        let (status, _, _) = r
            .handshake(&[("hub.challenge", "1"), ("hub.verify_token", TOKEN)])
            .await;
        assert_eq!(status, 403);
    }

    #[tokio::test]
    async fn no_challenge_is_a_bad_request() {
        let r = Receiver::default().await;
        let (status, _, _) = r
            .handshake(&[("hub.mode", "subscribe"), ("hub.verify_token", TOKEN)])
            .await;
        assert_eq!(status, 400);
    }

    #[tokio::test]
    async fn the_router_works_nested_under_a_path() {
        let (tx, mut rx) = mpsc::unbounded_channel();
        let app = Router::new().nest(
            "/webhooks/meta",
            receiver::router(ReceiverConfig::new(SECRET, TOKEN), tx),
        );
        let url = format!("{}/webhooks/meta", serve(app).await);
        let http = reqwest::Client::new();
        let r = http
            .get(&url)
            .query(&[
                ("hub.mode", "subscribe"),
                ("hub.challenge", "77"),
                ("hub.verify_token", TOKEN),
            ])
            .send()
            .await
            .expect("an answer");
        assert_eq!(r.status().as_u16(), 200);
        assert_eq!(r.text().await.expect("a body"), "77");
        let body = fixture!("onboarding.json");
        assert_eq!(
            post_to(&http, &url, body, Some(sign(SECRET, body))).await.0,
            200
        );
        assert!(rx.try_recv().is_ok());
    }
}

mod deliveries {
    use super::*;

    #[tokio::test]
    async fn a_good_signature_delivers_typed_events() {
        let mut r = Receiver::default().await;
        let (status, _) = r.post_signed(fixture!("onboarding.json")).await;
        assert_eq!(status, 200);
        let delivered = r.delivered();
        assert_eq!(delivered.len(), 1);
        let events: Vec<_> = delivered[0].events().collect();
        assert_eq!(events.len(), 2);
        let kinds: Vec<_> = events
            .iter()
            .map(|(waba, e)| match e {
                Event::AccountUpdate(u) => {
                    assert_eq!(*waba, "102290129340398");
                    assert_eq!(u.waba_id(), Some("102290129340398"));
                    u.event.clone()
                }
                other => panic!("not an account update: {other:?}"),
            })
            .collect();
        assert_eq!(
            kinds,
            [
                AccountEvent::MmLiteTermsSigned,
                AccountEvent::AdAccountLinked
            ]
        );
    }

    #[tokio::test]
    async fn statuses_and_clicks_arrive_typed() {
        let mut r = Receiver::default().await;
        for body in [
            fixture!("status_sent_v23.json"),
            fixture!("status_read_and_failed.json"),
            fixture!("link_click.json"),
        ] {
            assert_eq!(r.post_signed(body).await.0, 200);
        }
        let delivered = r.delivered();
        let events: Vec<_> = delivered
            .iter()
            .flat_map(Notification::events)
            .map(|(_, e)| e.clone())
            .collect();
        assert_eq!(events.len(), 4);
        let Event::MessageStatus(sent) = &events[0] else {
            panic!("not a status: {:?}", events[0]);
        };
        assert_eq!(sent.status, DeliveryStatus::Sent);
        assert_eq!(
            sent.pricing.as_ref().and_then(|p| p.category.clone()),
            Some(PricingCategory::MarketingLite)
        );
        assert_eq!(
            sent.metadata.phone_number_id.as_deref(),
            Some("106540352242922")
        );
        assert!(matches!(&events[1], Event::MessageStatus(s) if s.status == DeliveryStatus::Read));
        assert!(
            matches!(&events[2], Event::MessageStatus(s) if s.status == DeliveryStatus::Failed && s.errors[0].code == Some(131_049))
        );
        assert!(matches!(&events[3], Event::UserAction(a) if a.link_click.is_some()));
    }

    #[tokio::test]
    async fn every_platform_shape_is_delivered_as_parsed() {
        let mut r = Receiver::default().await;
        for (name, body) in FIXTURES {
            assert_eq!(r.post_signed(body).await.0, 200, "{name}");
            let delivered = r.delivered();
            let expected = receiver::parse(body).expect("a fixture parses");
            assert_eq!(delivered, [expected], "{name}");
            assert!(delivered[0].events().count() > 0, "{name}");
        }
    }

    /// Meta escapes non-ASCII text (`\u00e9`, surrogate pairs beyond the BMP) and signs the
    /// escaped bytes; the receiver verifies those bytes as they are and decodes the text.
    #[tokio::test]
    async fn an_ascii_escaped_body_verifies_and_decodes() {
        let mut r = Receiver::default().await;
        let text = "caf\u{e9} \u{4e2d} \u{1f600}";
        let mut value: serde_json::Value =
            serde_json::from_slice(fixture!("status_sent_v23.json")).expect("fixture");
        value["entry"][0]["changes"][0]["value"]["statuses"][0]["biz_opaque_callback_data"] =
            serde_json::json!(text);
        let body = wamm_wire::json::to_ascii_vec(&value).expect("serializes");
        assert!(body.is_ascii());
        let raw = std::str::from_utf8(&body).expect("ASCII");
        assert!(raw.contains(r#"caf\u00e9 \u4e2d \ud83d\ude00"#), "{raw}");
        assert_eq!(r.post_signed(&body).await.0, 200);
        let delivered = r.delivered();
        let events: Vec<_> = delivered[0].events().map(|(_, e)| e.clone()).collect();
        let [Event::MessageStatus(sent)] = events.as_slice() else {
            panic!("not one status: {events:?}");
        };
        assert_eq!(sent.biz_opaque_callback_data.as_deref(), Some(text));
        assert_eq!(
            sent.contact.as_ref().and_then(|c| c.user_id.as_deref()),
            Some("US.13491208655302741918")
        );
    }

    #[tokio::test]
    async fn an_unknown_event_is_accepted_and_delivered_as_unknown() {
        let mut r = Receiver::default().await;
        assert_eq!(r.post_signed(fixture!("unknown.json")).await.0, 200);
        let delivered = r.delivered();
        let events: Vec<_> = delivered[0].events().map(|(_, e)| e).collect();
        assert!(
            matches!(events[0], Event::Unknown { field, .. } if field == "phone_number_quality_update")
        );
        assert!(
            matches!(events[1], Event::AccountUpdate(u) if u.event == AccountEvent::Other("BRAND_NEW_ACCOUNT_EVENT".into()))
        );
        assert!(
            matches!(events[2], Event::MessageStatus(s) if s.status == DeliveryStatus::Other("hologram_viewed".into()))
        );
    }

    #[tokio::test]
    async fn a_signed_body_that_is_not_an_envelope_is_a_bad_request() {
        let mut r = Receiver::default().await;
        for body in [&b"[1,2]"[..], b"not json", b""] {
            assert_eq!(r.post_signed(body).await.0, 400, "{body:?}");
        }
        assert!(r.delivered().is_empty());
    }

    #[tokio::test]
    async fn a_refusing_sink_gets_503_so_meta_retries() {
        let (tx, rx) = mpsc::channel::<Notification>(1);
        drop(rx);
        let url = serve(receiver::router(ReceiverConfig::new(SECRET, TOKEN), tx)).await;
        let body = fixture!("onboarding.json");
        let (status, _) = post_to(
            &reqwest::Client::new(),
            &url,
            body,
            Some(sign(SECRET, body)),
        )
        .await;
        assert_eq!(status, 503);
    }
}

mod signatures {
    use super::*;

    #[tokio::test]
    async fn a_bad_signature_is_401_and_nothing_is_delivered() {
        let mut r = Receiver::default().await;
        let body = fixture!("onboarding.json");
        // Signed, then one byte changed in transit.
        let signature = sign(SECRET, body);
        let mut tampered = body.to_vec();
        let at = tampered
            .iter()
            .position(|&b| b == b'5')
            .expect("a digit to change");
        tampered[at] = b'6';
        assert_eq!(r.post(&tampered, Some(signature.clone())).await.0, 401);
        // A digest with a flipped nibble.
        let mut flipped = signature.into_bytes();
        let last = flipped.len() - 1;
        flipped[last] = if flipped[last] == b'0' { b'1' } else { b'0' };
        let flipped = String::from_utf8(flipped).expect("hex");
        assert_eq!(r.post(body, Some(flipped)).await.0, 401);
        for malformed in ["", "sha256=", "sha256=zz", "sha1=00", "deadbeef"] {
            assert_eq!(
                r.post(body, Some(malformed.to_owned())).await.0,
                401,
                "{malformed:?}"
            );
        }
        assert!(r.delivered().is_empty());
    }

    #[tokio::test]
    async fn a_missing_signature_is_401() {
        let mut r = Receiver::default().await;
        let (status, _) = r.post(fixture!("onboarding.json"), None).await;
        assert_eq!(status, 401);
        assert!(r.delivered().is_empty());
    }

    #[tokio::test]
    async fn a_body_signed_with_another_secret_is_401() {
        let mut r = Receiver::default().await;
        let body = fixture!("status_sent_v23.json");
        let (status, _) = r.post(body, Some(sign("another-app-secret", body))).await;
        assert_eq!(status, 401);
        assert!(r.delivered().is_empty());
        // The same body with the right secret goes through.
        assert_eq!(r.post_signed(body).await.0, 200);
        assert_eq!(r.delivered().len(), 1);
    }
}

mod limits {
    use super::*;

    /// A signed envelope of exactly `len` bytes (padding in an unknown top-level key).
    fn padded(len: usize) -> Vec<u8> {
        let frame = br#"{"object":"whatsapp_business_account","entry":[],"pad":""}"#;
        let mut body = frame[..frame.len() - 2].to_vec();
        body.resize(len - 2, b'x');
        body.extend_from_slice(b"\"}");
        body
    }

    #[tokio::test]
    async fn an_oversized_body_is_413_and_not_delivered() {
        let mut r = Receiver::start(ReceiverConfig::new(SECRET, TOKEN).max_body_bytes(1024)).await;
        let big = padded(1025);
        assert_eq!(r.post_signed(&big).await.0, 413);
        assert!(r.delivered().is_empty());
        let fits = padded(1024);
        assert_eq!(r.post_signed(&fits).await.0, 200);
        assert_eq!(r.delivered().len(), 1);
    }

    #[tokio::test]
    async fn the_default_limit_is_4_mib() {
        let mut r = Receiver::default().await;
        let big = padded(receiver::DEFAULT_MAX_BODY_BYTES + 1);
        assert_eq!(r.post_signed(&big).await.0, 413);
        let fits = padded(3 * 1024 * 1024);
        assert_eq!(r.post_signed(&fits).await.0, 200);
        assert_eq!(r.delivered().len(), 1);
    }

    /// Posts `chunks` with `Transfer-Encoding: chunked` (no declared length) over a raw
    /// socket and returns the status code.
    async fn post_chunked(url: &str, chunks: &[&[u8]], signature: &str) -> u16 {
        let host = url.trim_start_matches("http://");
        let mut stream = TcpStream::connect(host).await.expect("a connection");
        let mut request = format!(
            "POST / HTTP/1.1\r\nhost: {host}\r\ncontent-type: application/json\r\n\
             {HEADER}: {signature}\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n"
        )
        .into_bytes();
        for chunk in chunks {
            request.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
            request.extend_from_slice(chunk);
            request.extend_from_slice(b"\r\n");
        }
        request.extend_from_slice(b"0\r\n\r\n");
        // The server may answer and close before reading everything; the answer still comes.
        let _ = stream.write_all(&request).await;
        let mut answer = Vec::new();
        let _ = stream.read_to_end(&mut answer).await;
        let answer = String::from_utf8_lossy(&answer);
        answer
            .strip_prefix("HTTP/1.1 ")
            .and_then(|rest| rest.get(..3))
            .and_then(|code| code.parse().ok())
            .unwrap_or_else(|| panic!("not an HTTP answer: {answer:?}"))
    }

    #[tokio::test]
    async fn chunked_bodies_are_joined_and_counted() {
        let body = fixture!("template_status.json");
        let signature = sign(SECRET, body);
        let (a, rest) = body.split_at(100);
        let (b, c) = rest.split_at(rest.len() / 2);
        let mut fits = Receiver::default().await;
        assert_eq!(post_chunked(&fits.url, &[a, b, c], &signature).await, 200);
        assert_eq!(
            fits.delivered(),
            [receiver::parse(body).expect("a fixture parses")]
        );
        let limit = ReceiverConfig::new(SECRET, TOKEN).max_body_bytes(body.len() - 1);
        let mut over = Receiver::start(limit).await;
        assert_eq!(post_chunked(&over.url, &[a, b, c], &signature).await, 413);
        assert!(over.delivered().is_empty());
    }
}

mod layer {
    use super::*;

    /// A handler of the caller's behind the layer: counts its calls and echoes the body.
    fn app(calls: Arc<AtomicUsize>) -> Router {
        Router::new().route(
            "/custom",
            post(move |body: Bytes| async move {
                calls.fetch_add(1, Ordering::SeqCst);
                body
            })
            .layer(SignatureLayer::new(SECRET).max_body_bytes(4096)),
        )
    }

    #[tokio::test]
    async fn the_layer_guards_a_custom_handler() {
        let calls = Arc::new(AtomicUsize::new(0));
        let url = format!("{}/custom", serve(app(Arc::clone(&calls))).await);
        let http = reqwest::Client::new();
        let body = fixture!("link_click.json");
        let (status, echoed) = post_to(&http, &url, body, Some(sign(SECRET, body))).await;
        assert_eq!(status, 200);
        // The handler sees exactly the bytes that were signed.
        assert_eq!(echoed.as_bytes(), body);
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        assert_eq!(post_to(&http, &url, body, None).await.0, 401);
        assert_eq!(
            post_to(&http, &url, body, Some(sign("other", body)))
                .await
                .0,
            401
        );
        let big = vec![b' '; 4097];
        assert_eq!(
            post_to(&http, &url, &big, Some(sign(SECRET, &big))).await.0,
            413
        );
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }
}
