//! Multi-Partner Solutions and migration intents: create, answer, deactivate, the Intent API's
//! `solution_id`, and an OBO WABA's migration followed to its end, with every refusal.

use reqwest::Method;
use serde_json::{Value, json};
use wamm_wire::proof::appsecret_proof;

use crate::support::*;

/// An app of another business, reached with its literal app token.
const OTHER_APP: &str = "  - key: other
    id: \"2002\"
    name: Other Tech
    secret: other-secret-00000000000000000000
    business: stranger
    partner_type: TECH_PROVIDER
    permissions:
      whatsapp_business_management: advanced
businesses:";
const OTHER: &str = "2002|other-secret-00000000000000000000";

async fn start(backend: Backend) -> TestPlatform {
    let world = WORLD.replacen("businesses:", OTHER_APP, 1);
    TestPlatform::start_with(
        backend,
        wamm_platform::PlatformConfig::default(),
        Some(&world),
    )
    .await
}

/// `path` with the starter app's `appsecret_proof` (its app requires one).
fn starter(path: &str) -> String {
    let sep = if path.contains('?') { '&' } else { '?' };
    format!(
        "{path}{sep}appsecret_proof={}",
        appsecret_proof(STARTER_SECRET, STARTER)
    )
}

async fn create(p: &TestPlatform, owner: &str, token: &str, partner: &str) -> String {
    let r = p
        .post(
            &format!("/v23.0/{owner}/whatsapp_business_solution"),
            token,
            &json!({"solution_name": "Joint Messaging", "partner_app_id": partner, "owner_permissions": ["MESSAGING"], "partner_permissions": []}),
        )
        .await;
    r.ok()["solution_id"]
        .as_str()
        .expect("solution_id")
        .to_owned()
}

/// A solution of connect (owner) and starter (partner), accepted by starter.
async fn active(p: &TestPlatform) -> String {
    let id = create(p, "2000", FULL, "2001").await;
    p.post(
        &starter(&format!("/v23.0/{id}/accept")),
        STARTER,
        &json!({"partner_app_id": "2001"}),
    )
    .await
    .ok();
    id
}

async fn intent_with(p: &TestPlatform, solution: &str, token: &str) -> Resp {
    p.post(
        &format!("/v23.0/1001/onboard_partners_to_mm_lite?solution_id={solution}"),
        token,
        &json!({}),
    )
    .await
}

async fn solutions_are_created_answered_and_deactivated(backend: Backend) {
    let p = start(backend).await;
    let create_path = "/v23.0/2000/whatsapp_business_solution";
    // Refusals of the creation itself.
    for (body, what) in [
        (
            json!({"solution_name": "Both", "partner_app_id": "2001", "owner_permissions": ["MESSAGING"], "partner_permissions": ["MESSAGING"]}),
            "Invalid Permissions",
        ),
        (
            json!({"solution_name": "None", "partner_app_id": "2001", "owner_permissions": [], "partner_permissions": []}),
            "Invalid Permissions",
        ),
        (
            json!({"solution_name": "J", "partner_app_id": "2001", "owner_permissions": ["MESSAGING"], "partner_permissions": []}),
            "solution_name",
        ),
        (
            json!({"solution_name": "Ghost", "partner_app_id": "2999", "owner_permissions": ["MESSAGING"], "partner_permissions": []}),
            "partner_app_id",
        ),
        (
            json!({"solution_name": "Self", "partner_app_id": "2000", "owner_permissions": ["MESSAGING"], "partner_permissions": []}),
            "partner_app_id",
        ),
        (
            json!({"solution_name": "Text", "partner_app_id": "x", "owner_permissions": ["MESSAGING"], "partner_permissions": []}),
            "partner_app_id",
        ),
        (
            json!({"solution_name": "Missing", "partner_app_id": "2001", "owner_permissions": ["MESSAGING"]}),
            "partner_permissions is required",
        ),
    ] {
        let r = p.post(create_path, FULL, &body).await;
        r.graph_error(400, 100, None);
        assert!(r.message().contains(what), "{what}: {}", r.message());
    }
    // Only the path's own app creates or lists its solutions.
    p.post(
        "/v23.0/2002/whatsapp_business_solution",
        FULL,
        &json!({"solution_name": "Theirs", "partner_app_id": "2001", "owner_permissions": ["MESSAGING"], "partner_permissions": []}),
    )
    .await
    .graph_error(403, 200, Some(1_349_174));
    p.get("/v23.0/2002/whatsapp_business_solutions", FULL)
        .await
        .graph_error(403, 200, Some(1_349_174));

    let id = create(&p, "2000", FULL, "2001").await;
    let r = p
        .get(&format!("/v23.0/{id}?fields=id,name,status,status_for_pending_request,owner_app,owner_permissions"), FULL)
        .await;
    assert_eq!(
        r.ok(),
        &json!({"id": id, "name": "Joint Messaging", "status": "INITIATED", "status_for_pending_request": "PENDING_ACTIVATION",
                "owner_app": {"id": "2000", "name": "Partner Connect"},
                "owner_permissions": ["MANAGE", "DEVELOP", "MANAGE_TEMPLATES", "VIEW_INSIGHTS", "MESSAGING"]})
    );
    // An app that is no party sees nothing of it.
    p.get(&format!("/v23.0/{id}"), OTHER)
        .await
        .graph_error(403, 200, Some(1_349_174));
    // The Intent API refuses a solution not yet active.
    let r = intent_with(&p, &id, FULL).await;
    r.graph_error(400, 100, None);
    assert!(r.message().contains("INITIATED"), "{}", r.message());
    // Only the invited partner answers, and only as itself.
    p.post(
        &format!("/v23.0/{id}/accept"),
        FULL,
        &json!({"partner_app_id": "2000"}),
    )
    .await
    .graph_error(403, 200, Some(1_349_175));
    p.post(
        &starter(&format!("/v23.0/{id}/accept")),
        STARTER,
        &json!({"partner_app_id": "2000"}),
    )
    .await
    .graph_error(403, 200, Some(1_349_175));
    p.post(
        &starter(&format!("/v23.0/{id}/accept")),
        STARTER,
        &json!({}),
    )
    .await
    .graph_error(400, 100, None);
    let r = p
        .post(
            &starter(&format!("/v23.0/{id}/accept")),
            STARTER,
            &json!({"partner_app_id": "2001"}),
        )
        .await;
    assert_eq!(r.ok()["partner_status"], "ACCEPTED");
    assert_eq!(r.ok()["success"], true);
    p.post(
        &starter(&format!("/v23.0/{id}/accept")),
        STARTER,
        &json!({"partner_app_id": "2001"}),
    )
    .await
    .graph_error(400, 100, Some(2_207_051));
    // Both apps list it, by role.
    let listed = |v: &Value| -> Vec<String> {
        v["data"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|s| s["id"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    };
    let r = p
        .get(
            &starter("/v23.0/2001/whatsapp_business_solutions?role=PARTNER"),
            STARTER,
        )
        .await;
    assert_eq!(listed(r.ok()), vec![id.clone()]);
    assert_eq!(r.ok()["data"][0]["status"], "ACTIVE");
    let r = p
        .get(
            &starter("/v23.0/2001/whatsapp_business_solutions?role=OWNER"),
            STARTER,
        )
        .await;
    assert_eq!(r.ok(), &json!({"data": []}));
    let r = p.get("/v23.0/2000/whatsapp_business_solutions", FULL).await;
    assert_eq!(listed(r.ok()), vec![id.clone()]);
    p.get("/v23.0/2000/whatsapp_business_solutions?role=BOSS", FULL)
        .await
        .graph_error(400, 100, None);
    // Active: the Intent API takes it.
    let r = intent_with(&p, &id, FULL).await;
    assert!(r.ok()["request_id"].is_string(), "{:?}", r.ok());

    // Deactivation: asked by one party, answered by the other.
    let path = |edge: &str| format!("/v23.0/{id}/{edge}");
    p.post(
        &path("reject_deactivation_request"),
        FULL,
        &json!({"reject_deactivation_request": true}),
    )
    .await
    .graph_error(400, 100, Some(2_207_013));
    let r = p
        .post(
            &path("send_deactivation_request"),
            FULL,
            &json!({"reason": "done"}),
        )
        .await;
    assert_eq!(r.ok()["success"], true);
    p.post(&path("send_deactivation_request"), FULL, &json!({}))
        .await
        .graph_error(400, 100, None);
    p.post(&path("accept_deactivation_request"), FULL, &json!({}))
        .await
        .graph_error(403, 200, Some(1_349_174));
    p.post(
        &starter(&path("reject_deactivation_request")),
        STARTER,
        &json!({}),
    )
    .await
    .graph_error(400, 100, None);
    let r = p
        .post(
            &starter(&path("reject_deactivation_request")),
            STARTER,
            &json!({"reject_deactivation_request": true}),
        )
        .await;
    assert_eq!(
        (
            r.ok()["status"].clone(),
            r.ok()["status_for_pending_request"].clone()
        ),
        (json!("ACTIVE"), json!("NONE"))
    );
    p.post(&path("send_deactivation_request"), FULL, &json!({}))
        .await
        .ok();
    let r = p.get(&format!("/v23.0/{id}"), FULL).await;
    assert_eq!(r.ok()["status_for_pending_request"], "PENDING_DEACTIVATION");
    let r = p
        .post(
            &starter(&path("accept_deactivation_request")),
            STARTER,
            &json!({}),
        )
        .await;
    assert_eq!(r.ok()["status"], "DEACTIVATED");
    let r = intent_with(&p, &id, FULL).await;
    r.graph_error(400, 100, None);
    assert!(r.message().contains("DEACTIVATED"), "{}", r.message());
    p.finish().await;
}

async fn rejections_and_the_intent_api_solution_checks(backend: Backend) {
    let p = start(backend).await;
    // Unknown and malformed IDs are invalid parameters, not stored numbers.
    let r = intent_with(&p, "999999999", FULL).await;
    r.graph_error(400, 100, None);
    assert!(r.message().contains("solution_id"), "{}", r.message());
    // A solution between two other apps: connect is no party to it.
    let theirs = create(&p, "2002", OTHER, "2001").await;
    p.post(
        &starter(&format!("/v23.0/{theirs}/accept")),
        STARTER,
        &json!({"partner_app_id": "2001"}),
    )
    .await
    .ok();
    intent_with(&p, &theirs, FULL)
        .await
        .graph_error(403, 200, Some(1_349_174));
    // The partner declines an invitation; request_type is required and checked.
    let id = create(&p, "2000", FULL, "2001").await;
    p.post(
        &starter(&format!("/v23.0/{id}/reject")),
        STARTER,
        &json!({}),
    )
    .await
    .graph_error(400, 100, None);
    p.post(
        &starter(&format!("/v23.0/{id}/reject")),
        STARTER,
        &json!({"request_type": "OTHER"}),
    )
    .await
    .graph_error(400, 100, None);
    p.post(
        &format!("/v23.0/{id}/reject"),
        FULL,
        &json!({"request_type": "PARTNERSHIP_REQUEST"}),
    )
    .await
    .graph_error(403, 200, Some(1_349_175));
    let r = p
        .post(
            &starter(&format!("/v23.0/{id}/reject")),
            STARTER,
            &json!({"request_type": "PARTNERSHIP_REQUEST", "rejection_reason": "no"}),
        )
        .await;
    assert_eq!(r.ok()["rejected_request_type"], "PARTNERSHIP_REQUEST");
    assert_eq!(r.ok()["partner_app_id"], "2001");
    let r = p.get(&format!("/v23.0/{id}"), FULL).await;
    assert_eq!(r.ok()["status"], "REJECTED");
    intent_with(&p, &id, FULL).await.graph_error(400, 100, None);
    // Withdrawn before activation: deactivated at once.
    let early = create(&p, "2000", FULL, "2001").await;
    p.post(
        &format!("/v23.0/{early}/send_deactivation_request"),
        FULL,
        &json!({}),
    )
    .await
    .ok();
    assert_eq!(
        p.get(&format!("/v23.0/{early}"), FULL).await.ok()["status"],
        "DEACTIVATED"
    );
    p.finish().await;
}

async fn migration(p: &TestPlatform, waba: &str, body: Value) -> Resp {
    p.post(
        &format!("/v23.0/{waba}/set_solution_migration_intent"),
        FULL,
        &body,
    )
    .await
}

async fn status_of(p: &TestPlatform, intent: &str) -> Value {
    p.get(&format!("/v23.0/{intent}"), FULL).await.ok()["status"].clone()
}

async fn an_obo_migration_is_followed_to_its_end(backend: Backend) {
    let p = start(backend).await;
    let sid = active(&p).await;
    // Refusals first: nothing is created by them.
    migration(&p, "3003", json!({"solution_id": "999999999"}))
        .await
        .graph_error(400, 100, None);
    migration(&p, "3003", json!({"solution_id": "abc"}))
        .await
        .graph_error(400, 100, None);
    migration(&p, "3003", json!({}))
        .await
        .graph_error(400, 100, None);
    migration(
        &p,
        "3003",
        json!({"solution_id": sid, "migration_intent": "TELEPORT"}),
    )
    .await
    .graph_error(400, 100, None);
    let r = migration(&p, "3002", json!({"solution_id": sid})).await;
    r.graph_error(400, 100, None);
    assert!(r.message().contains("on behalf"), "{}", r.message());
    let pending = create(&p, "2000", FULL, "2001").await;
    migration(&p, "3003", json!({"solution_id": pending}))
        .await
        .graph_error(400, 100, None);
    migration(
        &p,
        "3003",
        json!({"solution_id": sid, "migration_intent": "CONFIRM_MIGRATION"}),
    )
    .await
    .graph_error(400, 100, None);
    assert_eq!(
        p.get("/v23.0/3003/in_progress_onbehalf_request", FULL)
            .await
            .ok(),
        &json!({"data": []})
    );

    let r = migration(&p, "3003", json!({"solution_id": sid, "migration_intent": "INITIATE_MIGRATION", "migration_reason": "joint messaging"})).await;
    assert_eq!(
        (r.ok()["success"].clone(), r.ok()["status"].clone()),
        (json!(true), json!("PENDING"))
    );
    let mid = r.ok()["migration_intent_id"]
        .as_str()
        .expect("id")
        .to_owned();
    assert_eq!(
        p.get(&format!("/v23.0/{mid}"), FULL).await.ok(),
        &json!({"id": mid, "status": "INITIATED"})
    );
    // Another business's app sees nothing of it.
    p.get(&format!("/v23.0/{mid}"), OTHER)
        .await
        .graph_error(403, 200, Some(1_349_174));
    let r = p.get("/v23.0/3003/in_progress_onbehalf_request?fields=id,status,business_owned_object,receiving_business,requesting_business", FULL).await;
    assert_eq!(
        r.ok()["data"],
        json!([{"id": mid, "status": "IN_PROGRESS", "business_owned_object": "3003",
                "receiving_business": {"id": "1002", "name": "Client B Casa"},
                "requesting_business": {"id": "1000", "name": "Partner Inc"}}])
    );
    let r = p.get("/v23.0/3003/solutions", FULL).await;
    assert_eq!(r.ok()["data"][0]["id"], json!(sid));
    // One in progress per WABA; confirming waits for the business.
    let r = migration(&p, "3003", json!({"solution_id": sid})).await;
    r.graph_error(400, 100, None);
    assert!(r.message().contains(&mid), "{}", r.message());
    migration(
        &p,
        "3003",
        json!({"solution_id": sid, "migration_intent": "CONFIRM_MIGRATION"}),
    )
    .await
    .graph_error(400, 100, None);
    // The business accepts (Business settings > Requests), the partner confirms.
    let r = p
        .call(
            Method::POST,
            &format!("/_wamm/migration_intents/{mid}/accept"),
            None,
            None,
        )
        .await;
    assert_eq!(r.ok()["status"], "ACCEPTED");
    let r = p
        .call(
            Method::POST,
            &format!("/_wamm/migration_intents/{mid}/reject"),
            None,
            None,
        )
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(status_of(&p, &mid).await, "ACCEPTED");
    let r = migration(
        &p,
        "3003",
        json!({"solution_id": sid, "migration_intent": "CONFIRM_MIGRATION"}),
    )
    .await;
    assert_eq!(r.ok()["status"], "APPROVED");
    assert_eq!(status_of(&p, &mid).await, "COMPLETED");
    assert_eq!(
        p.get("/v23.0/3003?fields=solution_id", FULL).await.ok()["solution_id"],
        json!(sid)
    );
    assert_eq!(
        p.get("/v23.0/3003/in_progress_onbehalf_request", FULL)
            .await
            .ok(),
        &json!({"data": []})
    );
    migration(&p, "3003", json!({"solution_id": sid}))
        .await
        .graph_error(400, 100, None);

    // A second solution: scheduled on the platform clock.
    let next = active(&p).await;
    let mid2 = migration(&p, "3003", json!({"solution_id": next}))
        .await
        .ok()["migration_intent_id"]
        .as_str()
        .expect("id")
        .to_owned();
    p.call(
        Method::POST,
        &format!("/_wamm/migration_intents/{mid2}/accept"),
        None,
        None,
    )
    .await
    .ok();
    let now = p.call(Method::GET, "/_wamm/clock", None, None).await.ok()["now_ms"]
        .as_i64()
        .expect("now");
    let past = wamm_domain::Timestamp(now - 1_000).rfc3339();
    migration(&p, "3003", json!({"solution_id": next, "migration_intent": "SCHEDULE_MIGRATION", "scheduled_migration_time": past})).await.graph_error(400, 100, None);
    let at = wamm_domain::Timestamp(now + 3_600_000).rfc3339();
    let r = migration(&p, "3003", json!({"solution_id": next, "migration_intent": "SCHEDULE_MIGRATION", "scheduled_migration_time": at})).await;
    assert_eq!(r.ok()["status"], "SCHEDULED");
    assert_eq!(status_of(&p, &mid2).await, "ACCEPTED");
    p.clock(json!({"advance_seconds": 7200})).await;
    assert_eq!(status_of(&p, &mid2).await, "COMPLETED");
    assert_eq!(
        p.get("/v23.0/3003?fields=solution_id", FULL).await.ok()["solution_id"],
        json!(next)
    );

    // Cancelled by the partner; rejected by the business.
    let mid3 = migration(&p, "3003", json!({"solution_id": sid}))
        .await
        .ok()["migration_intent_id"]
        .as_str()
        .expect("id")
        .to_owned();
    let r = migration(
        &p,
        "3003",
        json!({"solution_id": sid, "migration_intent": "CANCEL_MIGRATION"}),
    )
    .await;
    assert_eq!(r.ok()["status"], "REJECTED");
    assert_eq!(status_of(&p, &mid3).await, "REJECTED");
    migration(
        &p,
        "3003",
        json!({"solution_id": sid, "migration_intent": "CANCEL_MIGRATION"}),
    )
    .await
    .graph_error(400, 100, None);
    let mid4 = migration(&p, "3003", json!({"solution_id": sid}))
        .await
        .ok()["migration_intent_id"]
        .as_str()
        .expect("id")
        .to_owned();
    let r = p
        .call(
            Method::POST,
            &format!("/_wamm/migration_intents/{mid4}/reject"),
            None,
            Some(&json!({"user_id": "1"})),
        )
        .await;
    assert_eq!(
        r.status, 400,
        "a person outside the business may not decide"
    );
    let r = p
        .call(
            Method::POST,
            &format!("/_wamm/migration_intents/{mid4}/reject"),
            None,
            None,
        )
        .await;
    assert_eq!(r.ok()["status"], "REJECTED");
    assert_eq!(
        p.get("/v23.0/3003?fields=solution_id", FULL).await.ok()["solution_id"],
        json!(next)
    );
    p.finish().await;
}

/// Every solution and migration intent route, called on a real active solution and a real
/// intent with tokens that are no party to them: a stranger app's token is refused as Graph
/// refuses a permission (403, code 200), revoked and expired tokens and no token at all as
/// Graph refuses credentials (OAuth codes 190 and 104), and neither object reads differently
/// afterwards.
async fn no_party_reaches_a_real_solution_or_intent(backend: Backend) {
    let p = start(backend).await;
    let sid = active(&p).await;
    let r = migration(&p, "3003", json!({"solution_id": sid})).await;
    let mid = r.ok()["migration_intent_id"]
        .as_str()
        .expect("id")
        .to_owned();
    let read = |id: String| {
        let p = &p;
        async move { p.get(&format!("/v23.0/{id}"), FULL).await.ok().clone() }
    };
    let before = (read(sid.clone()).await, read(mid.clone()).await);
    let routes = [
        (Method::GET, format!("/v23.0/{sid}")),
        (Method::POST, format!("/v23.0/{sid}/accept")),
        (Method::POST, format!("/v23.0/{sid}/reject")),
        (
            Method::POST,
            format!("/v23.0/{sid}/send_deactivation_request"),
        ),
        (
            Method::POST,
            format!("/v23.0/{sid}/accept_deactivation_request"),
        ),
        (
            Method::POST,
            format!("/v23.0/{sid}/reject_deactivation_request"),
        ),
        (Method::GET, format!("/v23.0/{mid}")),
    ];
    let body = json!({"partner_app_id": "2001"});
    for (method, path) in &routes {
        p.call(method.clone(), path, Some(OTHER), Some(&body))
            .await
            .graph_error(403, 200, Some(1_349_174));
        for token in [Some(REVOKED), Some(EXPIRED), None] {
            let r = p.call(method.clone(), path, token, Some(&body)).await;
            let code = r.json["error"]["code"].as_i64();
            assert!(
                (400..500).contains(&r.status)
                    && matches!(code, Some(190 | 104))
                    && r.json["error"]["type"] == "OAuthException",
                "{method} {path} with {token:?}: {} {}",
                r.status,
                r.text
            );
        }
    }
    assert_eq!(
        (read(sid).await, read(mid).await),
        before,
        "refused calls change nothing"
    );
    p.finish().await;
}

crate::on_both_backends!(
    solutions_are_created_answered_and_deactivated,
    rejections_and_the_intent_api_solution_checks,
    an_obo_migration_is_followed_to_its_end,
    no_party_reaches_a_real_solution_or_intent,
);
