//! `/{waba-id}/message_templates` and `/{template-id}`.

use serde_json::{Value, json};

use crate::support::*;

fn body(name: &str, category: &str) -> Value {
    json!({
        "name": name,
        "language": "en_US",
        "category": category,
        "components": [
            {"type": "HEADER", "format": "TEXT", "text": "Big sale"},
            {"type": "BODY", "text": "Hi {{1}}, shop now", "example": {"body_text": [["Ana"]]}},
            {"type": "BUTTONS", "buttons": [{"type": "URL", "text": "Shop", "url": "https://shop.test"}]}
        ],
        "message_send_ttl_seconds": 43200
    })
}

async fn create_read_edit_delete(backend: Backend) {
    let p = TestPlatform::start(backend).await;
    let r = p
        .post(
            "/v23.0/3001/message_templates",
            FULL,
            &body("winter_sale", "MARKETING"),
        )
        .await;
    let created = r.ok().clone();
    assert_eq!(created["status"], "APPROVED");
    assert_eq!(created["category"], "MARKETING");
    let id = created["id"].as_str().expect("id").to_owned();
    assert_eq!(id.len(), 15, "generated IDs look like Meta's");
    let r = p
        .get(
            &format!("/v23.0/{id}?fields=name,language,status,category,message_send_ttl_seconds"),
            FULL,
        )
        .await;
    assert_eq!(
        r.ok(),
        &json!({"id": id, "name": "winter_sale", "language": "en_US", "status": "APPROVED", "category": "MARKETING", "message_send_ttl_seconds": 43200})
    );
    let list = p
        .get("/v23.0/3001/message_templates?fields=name", FULL)
        .await;
    let names: Vec<&str> = list.ok()["data"]
        .as_array()
        .map(|a| a.iter().filter_map(|t| t["name"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(names, ["summer_sale", "order_update", "winter_sale"]);
    let only = p
        .get("/v23.0/3001/message_templates?category=UTILITY", FULL)
        .await;
    assert_eq!(only.ok()["data"][0]["name"], "order_update");
    assert_eq!(only.json["data"].as_array().map(Vec::len), Some(1));
    // List filters as Meta's SDKs send them (JSON array text) and as comma lists.
    let names_of = |r: &Resp| -> Vec<String> {
        r.json["data"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|t| t["name"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    };
    for (query, expected) in [
        (
            r#"status=["APPROVED"]&category=["MARKETING"]"#,
            vec!["summer_sale", "winter_sale"],
        ),
        (
            "status=APPROVED,PAUSED&category=UTILITY",
            vec!["order_update"],
        ),
        (
            r#"category=["MARKETING","UTILITY"]&language=["en_US"]"#,
            vec!["summer_sale", "order_update", "winter_sale"],
        ),
        (r#"status=["PAUSED"]"#, vec![]),
    ] {
        let encoded = query
            .replace('[', "%5B")
            .replace(']', "%5D")
            .replace('"', "%22");
        let r = p
            .get(
                &format!("/v23.0/3001/message_templates?fields=name&{encoded}"),
                FULL,
            )
            .await;
        r.ok();
        assert_eq!(names_of(&r), expected, "{query}");
    }
    let edited = p
        .post(
            &format!("/v23.0/{id}"),
            FULL,
            &json!({"message_send_ttl_seconds": 86400}),
        )
        .await;
    assert_eq!(edited.ok(), &json!({"success": true}));
    p.post(
        &format!("/v23.0/{id}"),
        FULL,
        &json!({"category": "UTILITY"}),
    )
    .await
    .graph_error(400, 100, None);
    let gone = p
        .delete("/v23.0/3001/message_templates?name=winter_sale", FULL)
        .await;
    assert_eq!(gone.ok(), &json!({"success": true}));
    p.get(&format!("/v23.0/{id}"), FULL)
        .await
        .graph_error(400, 100, Some(33));
    p.delete("/v23.0/3001/message_templates?name=winter_sale", FULL)
        .await
        .graph_error(400, 100, None);
    p.finish().await;
}

async fn creation_is_validated(backend: Backend) {
    let p = TestPlatform::start(backend).await;
    let dup = p
        .post(
            "/v23.0/3001/message_templates",
            FULL,
            &body("summer_sale", "MARKETING"),
        )
        .await;
    let err = dup.graph_error(400, 100, Some(2_388_024));
    assert_eq!(
        err["error_user_title"],
        "Content in This Language Already Exists"
    );
    let cases: Vec<(Value, &str)> = vec![
        (
            {
                let mut b = body("Bad Name", "MARKETING");
                b["name"] = json!("Bad Name");
                b
            },
            "name",
        ),
        (
            {
                let mut b = body("x_lang", "MARKETING");
                b["language"] = json!("english");
                b
            },
            "language",
        ),
        (body("x_cat", "PROMO"), "category"),
        (
            {
                let mut b = body("x_ttl", "MARKETING");
                b["message_send_ttl_seconds"] = json!(120);
                b
            },
            "message_send_ttl_seconds",
        ),
        (
            {
                let mut b = body("x_utility_ttl", "UTILITY");
                b["message_send_ttl_seconds"] = json!(86400);
                b
            },
            "message_send_ttl_seconds",
        ),
        (
            {
                let mut b = body("x_nobody", "MARKETING");
                b["components"] = json!([{"type": "FOOTER", "text": "f"}]);
                b
            },
            "components",
        ),
    ];
    for (case, param) in cases {
        let r = p.post("/v23.0/3001/message_templates", FULL, &case).await;
        let err = r.graph_error(400, 100, None);
        assert!(
            err["error_user_msg"]
                .as_str()
                .unwrap_or_default()
                .contains(param),
            "{param}: {}",
            r.text
        );
    }
    let missing = p
        .post("/v23.0/3001/message_templates", FULL, &json!({"name": "x"}))
        .await;
    missing.graph_error(400, 100, None);
    // Form-encoded bodies with JSON-in-a-field components work as the SDKs send them.
    let form = format!(
        "name=form_sale&language=en_US&category=MARKETING&components={}",
        super::business::urlencode(&json!([{"type": "BODY", "text": "Hello"}]).to_string())
    );
    let r = p
        .raw(
            reqwest::Method::POST,
            "/v23.0/3001/message_templates",
            FULL,
            "application/x-www-form-urlencoded",
            form.into_bytes(),
        )
        .await;
    assert_eq!(r.ok()["status"], "APPROVED");
    p.post(
        "/v23.0/3001/message_templates",
        NARROW,
        &body("x_scope", "MARKETING"),
    )
    .await
    .graph_error(403, 200, Some(1_349_174));
    p.finish().await;
}

/// The list's `summary`, as pywa asks for it on every `get_templates`: counts over the filtered
/// list and over the WABA, whatever the page size; absent unless asked for.
async fn list_summary(backend: Backend) {
    let p = TestPlatform::start(backend).await;
    let all = "total_count,message_template_count,message_template_limit,are_translations_complete";
    let r = p
        .get(
            &format!("/v23.0/3001/message_templates?fields=name&category=UTILITY&summary={all}"),
            FULL,
        )
        .await;
    assert_eq!(
        r.ok()["summary"],
        json!({"total_count": 1, "message_template_count": 2, "message_template_limit": 250, "are_translations_complete": true})
    );
    let r = p
        .get(
            "/v23.0/3001/message_templates?fields=name&limit=1&summary=true",
            FULL,
        )
        .await;
    assert_eq!(r.ok()["summary"], json!({"total_count": 2}));
    assert_eq!(r.json["data"].as_array().map(Vec::len), Some(1));
    let r = p
        .get("/v23.0/3001/message_templates?fields=name", FULL)
        .await;
    assert!(r.ok().get("summary").is_none(), "{}", r.json);
    p.finish().await;
}

crate::on_both_backends!(create_read_edit_delete, creation_is_validated, list_summary);
