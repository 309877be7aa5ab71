//! The Graph client against a mock Graph server: error decoding, which failures are retried
//! and how long the client waits, `appsecret_proof` on every call, and the typed calls of the
//! partner flow. Every test runs its own mock on `127.0.0.1:0`; retry delays are milliseconds.

mod mock;

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use wamm_client::{
    ClientError, FilterClause, GraphClient, MessageStatus, OnboardingStatus, PhoneNumber,
    ProductPolicy, RegisterRequest, RetryPolicy, SendRequest, SendTemplate, SubscribeRequest,
    SystemUserTokenRequest, TemplateComponent, TermsStatus, TokenType, WabaQuery, scope,
};
use wamm_wire::ids::{AppId, BusinessId, PhoneNumberId, RequestId, SolutionId, WabaId};

use self::mock::{Mock, Reply, fast_retries};

const PHONE: PhoneNumberId = PhoneNumberId::new(106_540_352_242_922);
const WABA: WabaId = WabaId::new(524_126_980_791_429);
const CLIENT_BUSINESS: BusinessId = BusinessId::new(2_729_063_490_586_005);
const PARTNER: BusinessId = BusinessId::new(1_000_000_000_000_001);
const SEND_PATH: &str = "/v23.0/106540352242922/marketing_messages";
const WABA_PATH: &str = "/v23.0/524126980791429";

fn accepted() -> Reply {
    Reply::ok(json!({
        "messaging_product": "whatsapp",
        "contacts": [{"input": "16315552222", "wa_id": "16315552222"}],
        "messages": [{"id": "wamid.HBgLMTYzMTU1NTIyMjIVAgARGBI", "message_status": "accepted"}]
    }))
}

fn marketing_send() -> SendRequest {
    SendRequest::template(
        "16315552222",
        SendTemplate::new("summer_sale", "en_US")
            .component(TemplateComponent::body_text(["25OFF"])),
    )
}

fn waba_answer() -> Reply {
    Reply::ok(
        json!({"id": WABA.to_string(), "name": "Bakery", "marketing_messages_onboarding_status": "ELIGIBLE"}),
    )
}

fn error_of(result: Result<impl std::fmt::Debug, ClientError>) -> ClientError {
    result.expect_err("the call fails")
}

#[tokio::test]
async fn every_member_of_graph_error_objects_is_decoded() {
    let mock = Mock::start(None).await;
    let client = mock.client().retry_policy(RetryPolicy::none());
    mock.on(
        "POST",
        SEND_PATH,
        vec![Reply::error(
            400,
            131_055,
            json!({
                "message": "(#131055) Method not allowed",
                "error_subcode": 2_494_055,
                "is_transient": false,
                "error_user_title": "Not a marketing template",
                "error_user_msg": "Use /messages for utility templates",
                "error_data": {"messaging_product": "whatsapp", "details": "Only marketing template messages are supported"},
                "fbtrace_id": "AacMONwqoqRZJidqSa1LDey"
            }),
        )],
    );
    let err = error_of(
        client
            .send_marketing_message(PHONE, &marketing_send())
            .await,
    );
    let graph = err.graph().expect("a Graph error");
    assert_eq!(graph.status, 400);
    assert_eq!(graph.body.kind, "OAuthException");
    assert_eq!(graph.body.message, "(#131055) Method not allowed");
    assert_eq!(err.code(), Some(131_055));
    assert_eq!(err.subcode(), Some(2_494_055));
    assert_eq!(
        err.details(),
        Some("Only marketing template messages are supported")
    );
    assert_eq!(graph.body.is_transient, Some(false));
    assert_eq!(
        graph.body.error_user_title.as_deref(),
        Some("Not a marketing template")
    );
    assert_eq!(
        graph.body.error_user_msg.as_deref(),
        Some("Use /messages for utility templates")
    );
    assert_eq!(err.fbtrace_id(), Some("AacMONwqoqRZJidqSa1LDey"));
    assert!(!err.is_transient() && !err.is_throttling());

    // An expired token: 401, code 190, subcode 463, no error_data.
    mock.on(
        "GET",
        WABA_PATH,
        vec![Reply::error(
            401,
            190,
            json!({"error_subcode": 463, "message": "Error validating access token: Session has expired"}),
        )],
    );
    let err = error_of(client.fetch_waba(WABA).await);
    assert_eq!(err.status(), Some(401));
    assert_eq!((err.code(), err.subcode()), (Some(190), Some(463)));
    assert_eq!(err.details(), None);

    // `error_data` as a JSON-encoded string, `is_transient` set, trace ID only in a header.
    mock.on(
        "GET",
        "/v23.0/me",
        vec![
            Reply::json(
                503,
                json!({"error": {"message": "Service unavailable", "type": "OAuthException", "code": 2,
                    "is_transient": true, "error_data": "{\"details\":\"try later\"}"}}),
            )
            .header("x-fb-trace-id", "HeaderTrace"),
        ],
    );
    let err = error_of(client.me().await);
    assert_eq!(err.code(), Some(2));
    assert_eq!(err.details(), Some("try later"));
    assert_eq!(err.fbtrace_id(), Some("HeaderTrace"));
    assert!(err.is_transient());

    // Throttling, as the Intent API documents it: HTTP 429, code 4 with a subcode.
    mock.on(
        "POST",
        "/v23.0/2729063490586005/onboard_partners_to_mm_lite",
        vec![Reply::error(
            429,
            4,
            json!({"error_subcode": 2_446_079, "is_transient": true, "message": "Application request limit reached"}),
        )],
    );
    let err = error_of(
        client
            .onboard_partners_to_mm_lite(CLIENT_BUSINESS, None)
            .await,
    );
    assert!(err.is_throttling());
    assert_eq!((err.status(), err.subcode()), (Some(429), Some(2_446_079)));
}

#[tokio::test]
async fn a_non_json_error_body_keeps_its_status_and_is_retried_only_on_reads() {
    let mock = Mock::start(None).await;
    mock.on(
        "GET",
        WABA_PATH,
        vec![
            Reply::text(502, "<html><body>Bad Gateway</body></html>"),
            waba_answer(),
        ],
    );
    let once = mock.client().retry_policy(RetryPolicy::none());
    let err = error_of(once.fetch_waba(WABA).await);
    match &err {
        ClientError::Status { status, body } => {
            assert_eq!(*status, 502);
            assert!(body.contains("Bad Gateway"), "{body}");
        }
        other => panic!("expected a status error, got {other:?}"),
    }
    assert!(err.graph().is_none() && err.is_transient());

    // A read is repeated; the second answer (and every later one) is the WABA.
    let waba = mock.client().fetch_waba(WABA).await.expect("retried");
    assert_eq!(waba.id, WABA);
    assert_eq!(mock.seen_at("GET", WABA_PATH).len(), 2);

    // A send is not: the gateway may have forwarded it.
    mock.on(
        "POST",
        SEND_PATH,
        vec![Reply::text(502, "Bad Gateway"), accepted()],
    );
    let err = error_of(
        mock.client()
            .send_marketing_message(PHONE, &marketing_send())
            .await,
    );
    assert_eq!(err.status(), Some(502));
    assert_eq!(mock.seen_at("POST", SEND_PATH).len(), 1);
}

#[tokio::test]
async fn throttled_sends_are_retried_until_accepted() {
    for code in [130_429, 131_056, 80_007, 4] {
        let mock = Mock::start(None).await;
        mock.on(
            "POST",
            SEND_PATH,
            vec![
                Reply::error(400, code, json!({})),
                Reply::error(400, code, json!({})),
                accepted(),
            ],
        );
        let sent = mock
            .client()
            .send_marketing_message(PHONE, &marketing_send())
            .await
            .unwrap_or_else(|e| panic!("code {code}: {e}"));
        assert_eq!(
            sent.messages[0].message_status,
            Some(MessageStatus::Accepted)
        );
        let attempts = mock.seen_at("POST", SEND_PATH);
        assert_eq!(attempts.len(), 3, "code {code}");
        // Every attempt carried the same message.
        assert!(attempts.iter().all(|a| a.json() == attempts[0].json()));
    }
}

#[tokio::test]
async fn transient_errors_on_reads_are_retried() {
    for (code, extra) in [
        (1, json!({})),
        (2, json!({"is_transient": true})),
        (131_000, json!({"is_transient": true})),
    ] {
        let mock = Mock::start(None).await;
        mock.on(
            "GET",
            WABA_PATH,
            vec![
                Reply::error(500, code, extra.clone()),
                Reply::error(500, code, extra),
                waba_answer(),
            ],
        );
        let waba = mock
            .client()
            .fetch_waba(WABA)
            .await
            .unwrap_or_else(|e| panic!("code {code}: {e}"));
        assert_eq!(
            waba.marketing_messages_onboarding_status,
            Some(OnboardingStatus::Eligible)
        );
        assert_eq!(mock.seen_at("GET", WABA_PATH).len(), 3, "code {code}");
    }
}

#[tokio::test]
async fn errors_that_will_not_change_are_not_retried() {
    let mock = Mock::start(None).await;
    let client = mock.client();
    for (status, code, extra) in [
        (400, 100, json!({"error_subcode": 33})),
        (401, 190, json!({"error_subcode": 463})),
        (403, 200, json!({})),
        (400, 1, json!({"is_transient": false})),
    ] {
        mock.on(
            "GET",
            WABA_PATH,
            vec![Reply::error(status, code, extra), waba_answer()],
        );
        let before = mock.seen_at("GET", WABA_PATH).len();
        let err = error_of(client.fetch_waba(WABA).await);
        assert_eq!(err.code(), Some(code));
        assert_eq!(
            mock.seen_at("GET", WABA_PATH).len() - before,
            1,
            "code {code} must not be retried"
        );
    }
    // A transient error on a send leaves open whether it went out: not retried either.
    mock.on(
        "POST",
        SEND_PATH,
        vec![
            Reply::error(500, 2, json!({"is_transient": true})),
            accepted(),
        ],
    );
    let err = error_of(
        client
            .send_marketing_message(PHONE, &marketing_send())
            .await,
    );
    assert_eq!(err.code(), Some(2));
    assert_eq!(mock.seen_at("POST", SEND_PATH).len(), 1);
    // A wrong client secret is code 1 on `oauth/access_token`: refused once, not retried.
    mock.on(
        "GET",
        "/v23.0/oauth/access_token",
        vec![Reply::error(
            400,
            1,
            json!({"message": "Error validating client secret."}),
        )],
    );
    let err = error_of(
        client
            .client_credentials_token(AppId::new(42), "wrong")
            .await,
    );
    assert_eq!(err.code(), Some(1));
    assert_eq!(mock.seen_at("GET", "/v23.0/oauth/access_token").len(), 1);
}

#[tokio::test]
async fn no_retries_when_the_policy_is_none() {
    let mock = Mock::start(None).await;
    mock.on(
        "POST",
        SEND_PATH,
        vec![Reply::error(400, 130_429, json!({})), accepted()],
    );
    let client = mock.client().retry_policy(RetryPolicy::none());
    let err = error_of(
        client
            .send_marketing_message(PHONE, &marketing_send())
            .await,
    );
    assert!(err.is_throttling());
    assert_eq!(err.code(), Some(130_429));
    assert_eq!(mock.seen_at("POST", SEND_PATH).len(), 1);
}

#[tokio::test]
async fn the_client_gives_up_after_max_attempts() {
    let mock = Mock::start(None).await;
    mock.on(
        "POST",
        SEND_PATH,
        vec![Reply::error(400, 131_056, json!({}))],
    );
    let client = mock
        .client()
        .retry_policy(fast_retries().with_max_attempts(3));
    let err = error_of(
        client
            .send_marketing_message(PHONE, &marketing_send())
            .await,
    );
    assert_eq!(err.code(), Some(131_056));
    assert_eq!(mock.seen_at("POST", SEND_PATH).len(), 3);
}

fn usage_header(minutes: u64) -> String {
    json!({ WABA.to_string(): [
        {"type": "whatsapp_business_management", "call_count": 100, "total_cputime": 12, "total_time": 9, "estimated_time_to_regain_access": minutes},
        {"type": "whatsapp", "call_count": 3, "total_cputime": 1, "total_time": 1, "estimated_time_to_regain_access": 0}
    ]})
    .to_string()
}

#[tokio::test]
async fn back_off_waits_for_the_estimated_time_to_regain_access() {
    let mock = Mock::start(None).await;
    mock.on(
        "GET",
        WABA_PATH,
        vec![
            Reply::error(400, 80_007, json!({}))
                .header("x-business-use-case-usage", usage_header(2)),
            waba_answer(),
        ],
    );
    // One "minute" is 40 ms here, so the header asks for 80 ms; back-off alone would be 1 ms.
    let unit = Duration::from_millis(40);
    let client = mock.client().retry_policy(
        fast_retries()
            .with_regain_access_unit(unit)
            .with_max_delay(Duration::from_secs(1))
            .with_max_regain_wait(Duration::from_millis(500)),
    );
    client
        .fetch_waba(WABA)
        .await
        .expect("retried after the wait");
    let attempts = mock.seen_at("GET", WABA_PATH);
    assert_eq!(attempts.len(), 2);
    let waited = attempts[1].at.duration_since(attempts[0].at);
    assert!(waited >= 2 * unit, "waited only {waited:?}");

    // An estimate beyond the bound: the error comes back at once, without a second attempt.
    let mock = Mock::start(None).await;
    mock.on(
        "GET",
        WABA_PATH,
        vec![
            Reply::error(400, 80_007, json!({}))
                .header("x-business-use-case-usage", usage_header(30)),
            waba_answer(),
        ],
    );
    let client = mock.client().retry_policy(
        fast_retries()
            .with_regain_access_unit(unit)
            .with_max_regain_wait(Duration::from_millis(500)),
    );
    let started = Instant::now();
    let err = error_of(client.fetch_waba(WABA).await);
    assert_eq!(err.code(), Some(80_007));
    assert_eq!(mock.seen_at("GET", WABA_PATH).len(), 1);
    assert!(started.elapsed() < Duration::from_millis(500));
}

#[tokio::test]
async fn appsecret_proof_is_on_every_authenticated_call() {
    let secret = "partner-app-secret";
    let mock = Mock::start(Some(secret)).await;
    let client = mock.client().app_secret(secret);
    let next = format!(
        "{}/v23.0/524126980791429/phone_numbers?limit=1&after=QVFI&access_token=EAAtoken&appsecret_proof=stale",
        mock.base
    );
    mock.on(
        "GET",
        "/v23.0/524126980791429/phone_numbers",
        vec![
            Reply::ok(json!({"data": [{"id": "1"}], "paging": {"cursors": {"before": "QVFH", "after": "QVFI"}, "next": next}})),
            Reply::ok(json!({"data": [{"id": "2"}], "paging": {"cursors": {"before": "QVFJ", "after": "QVFJ"}}})),
        ],
    );
    mock.on("GET", WABA_PATH, vec![waba_answer()]);
    mock.on("POST", SEND_PATH, vec![accepted()]);
    mock.on(
        "POST",
        "/v23.0/2729063490586005/system_user_access_tokens",
        vec![Reply::ok(json!({"access_token": "EAAbusiness"}))],
    );
    mock.on(
        "GET",
        "/v23.0/oauth/access_token",
        vec![Reply::ok(
            json!({"access_token": "42|apptoken", "token_type": "bearer"}),
        )],
    );

    let numbers = client.list_phone_numbers(WABA).await.expect("two pages");
    assert_eq!(numbers.len(), 2);
    client.fetch_waba(WABA).await.expect("waba");
    client
        .send_marketing_message(PHONE, &marketing_send())
        .await
        .expect("send");
    client
        .fetch_business_token(CLIENT_BUSINESS)
        .await
        .expect("token");
    let raw: Value = client.get(&WABA.to_string(), &[]).await.expect("raw get");
    assert_eq!(raw["name"], "Bakery");
    client
        .client_credentials_token(AppId::new(42), secret)
        .await
        .expect("app token");

    let seen = mock.seen();
    assert_eq!(seen.len(), 7);
    for request in &seen {
        if request.path.ends_with("oauth/access_token") {
            // Client credentials authenticate the exchange: no token, so no proof.
            assert_eq!(request.authorization, None);
            assert_eq!(request.param("appsecret_proof"), None);
            continue;
        }
        assert_eq!(request.authorization.as_deref(), Some("Bearer EAAtoken"));
        assert_eq!(request.proof_ok, Some(true), "{request:?}");
        // Exactly one proof, and no token in the URL even where Graph's next link had one.
        let proofs = request
            .query
            .iter()
            .filter(|(k, _)| k == "appsecret_proof")
            .count();
        assert_eq!(proofs, 1, "{request:?}");
        assert_eq!(request.param("access_token"), None);
    }
    let second_page = &mock.seen_at("GET", "/v23.0/524126980791429/phone_numbers")[1];
    assert_eq!(second_page.param("after"), Some("QVFI"));

    // A wrong secret is caught by the server, as Graph does when the app requires the proof.
    let wrong = mock.client().app_secret("not-the-secret");
    let err = error_of(wrong.fetch_waba(WABA).await);
    assert_eq!(err.code(), Some(100));
}

#[tokio::test]
async fn a_marketing_send_goes_out_as_documented_and_decodes() {
    let mock = Mock::start(None).await;
    mock.on(
        "POST",
        SEND_PATH,
        vec![Reply::ok(json!({
            "messaging_product": "whatsapp",
            "contacts": [{"input": "16315552222", "wa_id": "16315552222"}],
            "messages": [{"id": "wamid.gBGGSFcCNEOPAgkO_KJ55r4w_ww", "message_status": "held_for_quality_assessment"}],
            "success": true
        }))],
    );
    mock.on(
        "POST",
        "/v23.0/106540352242922/messages",
        vec![Reply::ok(
            json!({"messaging_product": "whatsapp", "contacts": [{"input": "1", "wa_id": "1"}], "messages": [{"id": "wamid.text"}]}),
        )],
    );
    let client = mock.client();
    let request = marketing_send()
        .product_policy(ProductPolicy::Strict)
        .message_activity_sharing(false);
    let sent = client
        .send_marketing_message(PHONE, &request)
        .await
        .expect("sent");
    assert_eq!(sent.messaging_product.as_deref(), Some("whatsapp"));
    assert_eq!(sent.contacts[0].input.as_deref(), Some("16315552222"));
    assert_eq!(sent.contacts[0].wa_id.as_deref(), Some("16315552222"));
    assert_eq!(sent.message_id(), Some("wamid.gBGGSFcCNEOPAgkO_KJ55r4w_ww"));
    assert_eq!(
        sent.messages[0].message_status,
        Some(MessageStatus::HeldForQualityAssessment)
    );
    let body = mock.seen_at("POST", SEND_PATH)[0].clone();
    assert_eq!(body.content_type.as_deref(), Some("application/json"));
    assert_eq!(
        body.json(),
        json!({
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": "16315552222",
            "type": "template",
            "template": {
                "name": "summer_sale",
                "language": {"code": "en_US", "policy": "deterministic"},
                "components": [{"type": "body", "parameters": [{"type": "text", "text": "25OFF"}]}]
            },
            "product_policy": "STRICT",
            "message_activity_sharing": false
        })
    );
    let text = client
        .send_message(PHONE, &SendRequest::text("1", "hello"))
        .await
        .expect("sent");
    assert_eq!(text.message_id(), Some("wamid.text"));
    assert_eq!(text.messages[0].message_status, None);
}

#[tokio::test]
async fn the_intent_api_and_business_status() {
    let mock = Mock::start(None).await;
    let path = "/v23.0/2729063490586005/onboard_partners_to_mm_lite";
    mock.on(
        "POST",
        path,
        vec![Reply::ok(json!({"request_id": "893436979557695"}))],
    );
    mock.on(
        "GET",
        "/v23.0/2729063490586005",
        vec![Reply::ok(json!({
            "id": "2729063490586005", "name": "Bakery Ltd",
            "marketing_messages_onboarding_status": {"status": "REQUEST_SENT", "time": "2025-08-13"}
        }))],
    );
    let client = mock.client();
    let answer = client
        .onboard_partners_to_mm_lite(
            CLIENT_BUSINESS,
            Some(SolutionId::new(9_876_543_210_987_654)),
        )
        .await
        .expect("intent sent");
    assert_eq!(answer.request_id, RequestId::new(893_436_979_557_695));
    let seen = &mock.seen_at("POST", path)[0];
    assert_eq!(seen.param("solution_id"), Some("9876543210987654"));
    assert_eq!(seen.json(), json!({}));
    let business = client
        .fetch_business(CLIENT_BUSINESS)
        .await
        .expect("status");
    assert_eq!(business.terms_status(), Some(&TermsStatus::RequestSent));
    assert_eq!(
        mock.seen_at("GET", "/v23.0/2729063490586005")[0].param("fields"),
        Some("id,name,marketing_messages_onboarding_status")
    );
}

#[tokio::test]
async fn business_tokens_code_exchange_and_debug_token() {
    let mock = Mock::start(None).await;
    let tokens = "/v23.0/2729063490586005/system_user_access_tokens";
    // `fetch_only` only reads, so a transient failure is retried.
    mock.on(
        "POST",
        tokens,
        vec![
            Reply::error(500, 2, json!({"is_transient": true})),
            Reply::ok(json!({"access_token": "EAAbusiness"})),
        ],
    );
    mock.on(
        "GET",
        "/v23.0/oauth/access_token",
        vec![Reply::ok(
            json!({"access_token": "EAAfromcode", "token_type": "bearer", "expires_in": 5_183_944}),
        )],
    );
    mock.on(
        "GET",
        "/v23.0/debug_token",
        vec![Reply::ok(json!({"data": {
            "app_id": "634974688087057", "type": "SYSTEM_USER", "application": "Lucky Shrub",
            "data_access_expires_at": 0, "expires_at": 0, "is_valid": true, "issued_at": 1_712_099_387,
            "scopes": ["whatsapp_business_management", "whatsapp_business_messaging"],
            "granular_scopes": [
                {"scope": "whatsapp_business_management", "target_ids": ["524126980791429"]},
                {"scope": "whatsapp_business_messaging", "target_ids": ["524126980791429"]}
            ],
            "user_id": "104169029247128"
        }}))],
    );
    let client = mock.client();
    let token = client
        .system_user_access_token(
            CLIENT_BUSINESS,
            &SystemUserTokenRequest {
                scope: vec![scope::ADS_READ.to_owned()],
                ..SystemUserTokenRequest::fetch_only()
            },
        )
        .await
        .expect("fetched");
    assert_eq!(token.access_token, "EAAbusiness");
    let attempts = mock.seen_at("POST", tokens);
    assert_eq!(attempts.len(), 2);
    assert_eq!(attempts[1].param("fetch_only"), Some("true"));
    assert_eq!(attempts[1].param("scope"), Some("ads_read"));

    let exchanged = client
        .exchange_code(AppId::new(42), "secret", "AQBcode", None)
        .await
        .expect("exchanged");
    assert_eq!(exchanged.access_token, "EAAfromcode");
    assert_eq!(exchanged.expires_in, Some(5_183_944));
    let exchange = &mock.seen_at("GET", "/v23.0/oauth/access_token")[0];
    assert_eq!(exchange.param("client_id"), Some("42"));
    assert_eq!(exchange.param("client_secret"), Some("secret"));
    assert_eq!(exchange.param("code"), Some("AQBcode"));
    assert_eq!(exchange.param("grant_type"), None);

    let info = client.token_info("EAAbusiness").await.expect("debugged");
    assert!(info.is_valid && info.never_expires());
    assert_eq!(info.token_type, Some(TokenType::SystemUser));
    assert!(info.has_scope(scope::WHATSAPP_BUSINESS_MESSAGING));
    assert_eq!(info.waba_ids(), [WABA]);
    assert_eq!(
        mock.seen_at("GET", "/v23.0/debug_token")[0].param("input_token"),
        Some("EAAbusiness")
    );
}

#[tokio::test]
async fn client_wabas_are_filtered_and_every_page_is_read() {
    let mock = Mock::start(None).await;
    let path = "/v23.0/1000000000000001/client_whatsapp_business_accounts";
    let next = format!("{}{path}?after=QVFI&limit=1", mock.base);
    mock.on(
        "GET",
        path,
        vec![
            Reply::ok(json!({
                "data": [{"id": "1", "name": "A", "marketing_messages_onboarding_status": "ELIGIBLE", "timezone_id": "1"}],
                "paging": {"cursors": {"before": "QVFH", "after": "QVFI"}, "next": next}
            })),
            Reply::ok(json!({
                "data": [{"id": "2", "name": "B", "marketing_messages_onboarding_status": "SOMETHING_NEW"}]
            })),
        ],
    );
    let wabas = mock
        .client()
        .list_client_wabas(
            PARTNER,
            &WabaQuery::with_status(&[OnboardingStatus::Eligible]).limit(1),
        )
        .await
        .expect("listed");
    assert_eq!(
        wabas.iter().map(|w| w.id).collect::<Vec<_>>(),
        [WabaId::new(1), WabaId::new(2)]
    );
    assert_eq!(
        wabas[1].marketing_messages_onboarding_status,
        Some(OnboardingStatus::Other("SOMETHING_NEW".into()))
    );
    let first = &mock.seen_at("GET", path)[0];
    let filtering: Value =
        serde_json::from_str(first.param("filtering").expect("filtering sent")).expect("JSON");
    assert_eq!(
        filtering,
        json!([{"field": "marketing_messages_onboarding_status", "operator": "IN", "value": ["ELIGIBLE"]}])
    );
    assert_eq!(first.param("limit"), Some("1"));
    assert_eq!(first.param("fields"), Some(WabaQuery::DEFAULT_FIELDS));

    // The untyped list sends the same filter.
    let raw = mock
        .client()
        .client_wabas(PARTNER, "id", &["ELIGIBLE"])
        .await
        .expect("listed");
    assert_eq!(raw.len(), 1, "the mock's last page repeats");
    let again = mock.seen_at("GET", path).pop().expect("request");
    let sent: Value =
        serde_json::from_str(again.param("filtering").unwrap_or_default()).expect("filtering JSON");
    assert_eq!(
        sent,
        serde_json::to_value([FilterClause::onboarding_status_in(&[
            OnboardingStatus::Eligible
        ])])
        .expect("JSON")
    );
}

#[tokio::test]
async fn a_next_link_to_another_host_is_not_followed() {
    let mock = Mock::start(None).await;
    let path = "/v23.0/524126980791429/message_templates";
    mock.on(
        "GET",
        path,
        vec![Reply::ok(json!({
            "data": [{"id": "1", "name": "a"}],
            "paging": {"cursors": {"before": "a", "after": "b"}, "next": "http://elsewhere.example/v23.0/x?after=b"}
        }))],
    );
    let err = error_of(mock.client().list_templates(WABA).await);
    assert!(matches!(err, ClientError::Decode { .. }), "{err:?}");
    assert_eq!(mock.seen().len(), 1);
}

#[tokio::test]
async fn subscriptions_registration_and_templates() {
    let mock = Mock::start(None).await;
    let subscribed = "/v23.0/524126980791429/subscribed_apps";
    mock.on(
        "POST",
        subscribed,
        vec![Reply::ok(json!({
            "success": true,
            "data": [{"override_callback_uri": "https://partner.example/wh", "whatsapp_business_api_data": {"id": "42", "name": "Partner App", "link": "https://www.facebook.com/games/?app_id=42"}}]
        }))],
    );
    mock.on(
        "GET",
        subscribed,
        vec![Reply::ok(
            json!({"data": [{"whatsapp_business_api_data": {"id": "42", "name": "Partner App"}}]}),
        )],
    );
    mock.on(
        "POST",
        "/v23.0/106540352242922/register",
        vec![
            Reply::error(503, 2, json!({"is_transient": true})),
            Reply::ok(json!({"success": true})),
        ],
    );
    mock.on(
        "GET",
        "/v23.0/106540352242922",
        vec![Reply::ok(json!({
            "id": "106540352242922", "display_phone_number": "+1 631-555-5555", "verified_name": "Bakery",
            "quality_rating": "GREEN", "code_verification_status": "VERIFIED", "platform_type": "CLOUD_API",
            "throughput": {"level": "STANDARD"}, "is_on_biz_app": false
        }))],
    );
    mock.on(
        "GET",
        "/v23.0/524126980791429/message_templates",
        vec![Reply::ok(json!({"data": [
            {"id": "7", "name": "summer_sale", "language": "en_US", "status": "APPROVED", "category": "MARKETING", "components": [{"type": "BODY", "text": "Hi"}]}
        ]}))],
    );
    let client = mock.client();
    let subscription = client
        .subscribe_app_to_waba(
            WABA,
            &SubscribeRequest {
                override_callback_uri: Some("https://partner.example/wh".into()),
                verify_token: Some("vt".into()),
            },
        )
        .await
        .expect("subscribed");
    assert!(subscription.success);
    assert_eq!(
        subscription.data[0].override_callback_uri.as_deref(),
        Some("https://partner.example/wh")
    );
    assert_eq!(
        mock.seen_at("POST", subscribed)[0].json(),
        json!({"override_callback_uri": "https://partner.example/wh", "verify_token": "vt"})
    );
    let apps = client.list_subscribed_apps(WABA).await.expect("listed");
    assert_eq!(
        apps[0]
            .whatsapp_business_api_data
            .as_ref()
            .and_then(|a| a.id),
        Some(AppId::new(42))
    );
    // Registering is repeatable, so a transient failure is retried.
    let registered = client
        .register_phone_number(PHONE, &RegisterRequest::new("123456"))
        .await
        .expect("registered");
    assert!(registered.success);
    let attempts = mock.seen_at("POST", "/v23.0/106540352242922/register");
    assert_eq!(attempts.len(), 2);
    assert_eq!(
        attempts[1].json(),
        json!({"messaging_product": "whatsapp", "pin": "123456"})
    );
    let phone = client.fetch_phone_number(PHONE).await.expect("phone");
    assert_eq!(phone.platform_type.as_deref(), Some("CLOUD_API"));
    assert_eq!(
        mock.seen_at("GET", "/v23.0/106540352242922")[0].param("fields"),
        Some(PhoneNumber::DEFAULT_FIELDS)
    );
    let templates = client.list_templates(WABA).await.expect("templates");
    assert_eq!(templates[0].name, "summer_sale");
    assert_eq!(
        templates[0].category.as_ref().map(|c| c.as_str()),
        Some("MARKETING")
    );
}

#[tokio::test]
async fn options_version_timeout_and_the_callers_http_client() {
    let mock = Mock::start(None).await;
    mock.on("GET", "/v24.0/me", vec![Reply::ok(json!({"id": "1"}))]);
    let http = reqwest::Client::builder()
        .user_agent("partner-tool/1.0")
        .build()
        .expect("client");
    let client = GraphClient::builder()
        .base_url(format!("{}/", mock.base))
        .version("v24.0")
        .token("EAAtoken")
        .http_client(http)
        .retry(RetryPolicy::none())
        .build()
        .expect("valid options");
    assert_eq!(client.me().await.expect("me")["id"], "1");
    assert_eq!(
        mock.seen_at("GET", "/v24.0/me")[0].user_agent.as_deref(),
        Some("partner-tool/1.0")
    );

    // A slow answer past the request timeout is a timeout, not retried for a send.
    mock.on(
        "POST",
        SEND_PATH,
        vec![accepted().after(Duration::from_millis(300))],
    );
    let impatient = mock
        .client()
        .request_timeout(Some(Duration::from_millis(50)));
    let err = error_of(
        impatient
            .send_marketing_message(PHONE, &marketing_send())
            .await,
    );
    assert!(matches!(err, ClientError::Timeout(_)), "{err:?}");
    assert!(err.is_transient());
    assert_eq!(mock.seen_at("POST", SEND_PATH).len(), 1);
}

#[tokio::test]
async fn a_refused_connection_is_retried_even_for_a_send() {
    // A port that was free a moment ago: connections to it are refused.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("address");
    drop(listener);
    let client = GraphClient::new(format!("http://{addr}"))
        .token("EAAtoken")
        .retry_policy(fast_retries().with_max_attempts(2));
    let started = Instant::now();
    let err = error_of(
        client
            .send_marketing_message(PHONE, &marketing_send())
            .await,
    );
    assert!(matches!(err, ClientError::Http(_)), "{err:?}");
    assert!(err.never_sent() && err.is_transient());
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[tokio::test]
async fn a_transport_error_never_names_the_query() {
    // A port nobody listens on: the exchange fails before Graph answers.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let client = GraphClient::builder()
        .base_url(format!("http://127.0.0.1:{port}"))
        .token("EAAsystemuser")
        .app_secret("the-app-secret")
        .retry(RetryPolicy::none())
        .build()
        .expect("valid options");
    let err = error_of(
        client
            .exchange_code(AppId::new(42), "client-secret-1", "AQBsecretcode", None)
            .await,
    );
    assert!(matches!(err, ClientError::Http(_)), "{err:?}");
    let text = format!("{err} {err:?}");
    assert!(
        text.contains("oauth/access_token"),
        "the path stays: {text}"
    );
    for secret in ["client-secret-1", "AQBsecretcode"] {
        assert!(!text.contains(secret), "{secret} leaked: {text}");
    }
    let err = error_of(client.token_info("EAAbusinesstoken").await);
    let text = format!("{err} {err:?}");
    for secret in ["EAAbusinesstoken", "appsecret_proof"] {
        assert!(!text.contains(secret), "{secret} leaked: {text}");
    }
}
