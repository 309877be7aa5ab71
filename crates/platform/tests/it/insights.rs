//! The MM API's ad objects and their Insights over HTTP: the ad account, campaign, ad set and
//! ad behind each MARKETING template, read with the client business's `ads_read` token; what
//! MM API sends did, as Insights rows (numbers as strings), per range, increment, level,
//! button, filter and sort; asynchronous report runs on the platform clock; every refusal.

use serde_json::{Value, json};

use crate::support::*;

const BSP: &str = "TOK-INSIGHTS-BSP-00000000";
const CLIENT_ADS: &str = "TOK-INSIGHTS-CLIENT-ADS-0";
const CLIENT_NO_ADS: &str = "TOK-INSIGHTS-CLIENT-WBM-0";
const STRANGER: &str = "TOK-INSIGHTS-STRANGER-000";

fn world() -> String {
    format!(
        r##"format: wamm-world/1
apps:
  - {{ key: bsp, id: "700", name: BSP App, business: partner, partner_type: BSP,
       permissions: {{ whatsapp_business_messaging: advanced, whatsapp_business_management: advanced,
                      business_management: advanced, ads_read: advanced }} }}
  - {{ key: other, id: "701", name: Other App, business: stranger, partner_type: BSP,
       permissions: {{ whatsapp_business_management: advanced, ads_read: advanced }} }}
businesses:
  - key: partner
    id: "600"
    name: Partner Co
    country: US
    system_users:
      - key: ops
        id: "601"
        name: Ops
        role: ADMIN
        tokens:
          - {{ app: bsp, token: {BSP}, scopes: [whatsapp_business_messaging, whatsapp_business_management, business_management, ads_read] }}
  - key: stranger
    id: "650"
    name: Stranger Co
    country: US
    system_users:
      - key: them
        id: "651"
        name: Them
        role: ADMIN
        tokens:
          - {{ app: other, token: {STRANGER}, scopes: [whatsapp_business_management, ads_read] }}
  - key: onb
    id: "810"
    name: Onboarded Shop
    country: BR
    mm_terms_signed_at: 2025-10-07
    system_users:
      - key: owner
        id: "811"
        name: Owner
        role: ADMIN
        tokens:
          - {{ app: bsp, token: {CLIENT_ADS}, scopes: [whatsapp_business_management, ads_read] }}
          - {{ app: bsp, token: {CLIENT_NO_ADS}, scopes: [whatsapp_business_management] }}
    pixels:
      - {{ id: "8190", name: Shop Pixel, domains: [shop.example] }}
    wabas:
      - key: insights
        id: "8100"
        name: Insights WABA
        tax_country: BR
        insights_enabled_at: 2025-10-08
        partners: [{{ business: partner, access: SHARED }}]
        phone_numbers:
          - {{ id: "81000", display_phone_number: "+55 11 4000-0001", verified_name: Shop, coexistence: true }}
        templates:
          - {{ id: "5100", name: promo, language: en_US, category: MARKETING, created_at: 2025-10-01,
               components: [{{ type: BODY, text: "Big sale" }},
                            {{ type: BUTTONS, buttons: [{{ type: URL, text: "Shop now", url: "https://shop.example/" }}] }}] }}
          - {{ id: "5103", name: blog, language: en_US, category: MARKETING, created_at: 2025-10-01,
               components: [{{ type: BODY, text: "Read more" }},
                            {{ type: BUTTONS, buttons: [{{ type: URL, text: "Read", url: "https://blog.example/post" }}] }}] }}
          - {{ id: "5101", name: plain, language: en_US, category: MARKETING, created_at: 2025-10-01,
               components: [{{ type: BODY, text: "No button" }}] }}
          - {{ id: "5102", name: receipt, language: en_US, category: UTILITY, created_at: 2025-10-01,
               components: [{{ type: BODY, text: "Thanks" }}] }}
"##
    )
}

async fn start(backend: Backend) -> TestPlatform {
    TestPlatform::start_with(
        backend,
        wamm_platform::PlatformConfig::default(),
        Some(&world()),
    )
    .await
}

/// The ad IDs of a template: (account, campaign, ad set, ad).
async fn chain(p: &TestPlatform, template: &str) -> (String, String, String, String) {
    let r = p
        .get(
            &format!("/v23.0/{template}?fields=ad_account_id,ad_campaign_id,ad_adset_id,ad_id"),
            BSP,
        )
        .await;
    let v = r.ok();
    let s = |k: &str| {
        v[k].as_str()
            .unwrap_or_else(|| panic!("{k}: {v}"))
            .to_owned()
    };
    (
        s("ad_account_id"),
        s("ad_campaign_id"),
        s("ad_adset_id"),
        s("ad_id"),
    )
}

async fn send(p: &TestPlatform, edge: &str, name: &str, to: &str) {
    p.post(
        &format!("/v23.0/81000/{edge}"),
        BSP,
        &json!({"messaging_product": "whatsapp", "recipient_type": "individual", "to": to, "type": "template",
                "template": {"name": name, "language": {"code": "en_US"}}}),
    )
    .await
    .ok();
}

/// 2031-02-03: four MM API sends of `promo` (all delivered, two read, one clicked), one of
/// `plain`, and one Cloud API send of `promo`; every step taken.
async fn a_day_of_sends(p: &TestPlatform, account: &str) {
    p.clock(json!({"set": "2031-02-03T10:00:00Z"})).await;
    for to in ["15550990006", "15550990005", "16315552222", "16315553333"] {
        send(p, "marketing_messages", "promo", to).await;
    }
    send(p, "marketing_messages", "plain", "16315556666").await;
    send(p, "messages", "promo", "16315554444").await;
    p.clock(json!({"advance_seconds": 60})).await;
    let query = format!(
        "/v26.0/act_{account}/insights?fields=marketing_messages_read,marketing_messages_link_btn_click&time_range={{\"since\":\"2031-02-03\",\"until\":\"2031-02-03\"}}"
    );
    for _ in 0..200 {
        let r = p.get(&query, CLIENT_ADS).await;
        let row = &r.ok()["data"][0];
        if row["marketing_messages_read"] == "2" && row["marketing_messages_link_btn_click"] == "1"
        {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    panic!("the sends' steps were not all taken");
}

async fn ad_objects_mirror_the_templates(backend: Backend) {
    let p = start(backend).await;
    let (account, campaign, adset, ad) = chain(&p, "5100").await;
    let acct = p.get(&format!("/v23.0/act_{account}"), CLIENT_ADS).await;
    assert_eq!(
        acct.ok(),
        &json!({"account_id": account, "id": format!("act_{account}")})
    );
    let r = p
        .get(
            &format!("/v23.0/act_{account}?fields=marketing_messages_settings{{whatsapp_activation_status}},name,account_status,currency,business"),
            CLIENT_ADS,
        )
        .await;
    assert_eq!(
        r.ok(),
        &json!({"marketing_messages_settings": {"whatsapp_activation_status": "MARKETING_MESSAGE_ONBOARDED"},
                "name": "Insights WABA", "account_status": 1, "currency": "USD",
                "business": {"id": "810"}, "id": format!("act_{account}")}),
        "{}",
        r.text
    );
    // The bare digits the template gives name the account too.
    assert_eq!(
        p.get(&format!("/v23.0/{account}"), CLIENT_ADS).await.ok()["id"],
        json!(format!("act_{account}"))
    );
    let c = p
        .get(
            &format!("/v23.0/{campaign}?fields=name,objective,status,account_id"),
            CLIENT_ADS,
        )
        .await;
    assert_eq!(
        c.ok(),
        &json!({"name": "promo", "objective": "LINK_CLICKS", "status": "ACTIVE", "account_id": account, "id": campaign})
    );
    let s = p
        .get(
            &format!("/v23.0/{adset}?fields=optimization_goal,campaign_id"),
            CLIENT_ADS,
        )
        .await;
    // The shop's own pixel reports events for the CTA URL's site: optimised for conversions.
    assert_eq!(
        s.ok(),
        &json!({"optimization_goal": "OFFSITE_CONVERSIONS", "campaign_id": campaign, "id": adset})
    );
    // A CTA URL no pixel of the business reports for: optimised for link clicks.
    let (_, _, blog_adset, _) = chain(&p, "5103").await;
    let blog = p
        .get(
            &format!("/v23.0/{blog_adset}?fields=optimization_goal"),
            CLIENT_ADS,
        )
        .await;
    assert_eq!(blog.ok()["optimization_goal"], "LINK_CLICKS");
    let a = p
        .get(
            &format!("/v23.0/{ad}?fields=name,adset_id,campaign_id"),
            CLIENT_ADS,
        )
        .await;
    assert_eq!(
        a.ok(),
        &json!({"name": "promo (en_US)", "adset_id": adset, "campaign_id": campaign, "id": ad})
    );
    assert_eq!(
        p.get(&format!("/v23.0/{ad}"), CLIENT_ADS).await.ok(),
        &json!({"id": ad})
    );
    // A template without a URL button: sales objective, impressions goal.
    let (_, plain_campaign, plain_adset, _) = chain(&p, "5101").await;
    let objective = p
        .get(
            &format!("/v23.0/{plain_campaign}?fields=objective"),
            CLIENT_ADS,
        )
        .await;
    assert_eq!(objective.ok()["objective"], "OUTCOME_SALES");
    let goal = p
        .get(
            &format!("/v23.0/{plain_adset}?fields=optimization_goal"),
            CLIENT_ADS,
        )
        .await;
    assert_eq!(goal.ok()["optimization_goal"], "IMPRESSIONS");
    // A UTILITY template has no chain.
    let receipt = p.get("/v23.0/5102?fields=ad_id,category", BSP).await;
    assert!(receipt.ok().get("ad_id").is_none(), "{}", receipt.text);
    // Read-only: a write is an unsupported request.
    let w = p
        .post(
            &format!("/v23.0/{campaign}"),
            CLIENT_ADS,
            &json!({"name": "x"}),
        )
        .await;
    w.graph_error(400, 100, Some(33));
    // An undocumented field is refused as on every node.
    p.get(&format!("/v23.0/{ad}?fields=bid_amount_x"), CLIENT_ADS)
        .await
        .graph_error(400, 100, None);
    p.finish().await;
}

async fn insights_sum_what_mm_sends_did(backend: Backend) {
    let p = start(backend).await;
    let (account, campaign, _, ad) = chain(&p, "5100").await;
    a_day_of_sends(&p, &account).await;
    let fields = "marketing_messages_sent,marketing_messages_delivered,marketing_messages_read,marketing_messages_read_rate,marketing_messages_link_btn_click_rate,marketing_messages_spend";
    let day = r#"time_range={"since":"2031-02-03","until":"2031-02-03"}"#;
    let r = p
        .get(
            &format!("/v26.0/act_{account}/insights?fields={fields}&{day}"),
            CLIENT_ADS,
        )
        .await;
    // promo's four and plain's one, all to US numbers (0.025 each); the Cloud API send has
    // no ad objects and counts nowhere here.
    assert_eq!(
        r.ok()["data"],
        json!([{"marketing_messages_sent": "5", "marketing_messages_delivered": "5",
                "marketing_messages_read": "2", "marketing_messages_read_rate": "40",
                "marketing_messages_link_btn_click_rate": "20", "marketing_messages_spend": "0.125",
                "date_start": "2031-02-03", "date_stop": "2031-02-03"}]),
        "{}",
        r.text
    );
    assert!(r.ok()["paging"]["cursors"]["before"].is_string());
    let throttle: Value = serde_json::from_str(
        &r.header("x-fb-ads-insights-throttle")
            .expect("throttle header"),
    )
    .expect("json");
    assert_eq!(throttle["ads_api_access_tier"], "standard_access");
    assert!(
        throttle["acc_id_util_pct"]
            .as_f64()
            .is_some_and(|p| p > 0.0)
    );
    let buc: Value =
        serde_json::from_str(&r.header("x-business-use-case-usage").expect("buc")).expect("json");
    assert_eq!(buc[format!("act_{account}")][0]["type"], "ads_insights");
    assert!(r.header("x-ad-account-usage").is_some());

    // The campaign reports promo alone, with its costs per delivery and click.
    let c = p
        .get(
            &format!("/v26.0/{campaign}/insights?fields=campaign_id,marketing_messages_sent,marketing_messages_link_btn_click,marketing_messages_cost_per_delivered,marketing_messages_cost_per_link_btn_click,marketing_messages_delivery_rate&{day}"),
            CLIENT_ADS,
        )
        .await;
    assert_eq!(
        c.ok()["data"],
        json!([{"campaign_id": campaign, "marketing_messages_sent": "4",
                "marketing_messages_link_btn_click": "1",
                "marketing_messages_cost_per_delivered": "0.025",
                "marketing_messages_cost_per_link_btn_click": "0.1",
                "marketing_messages_delivery_rate": "100",
                "date_start": "2031-02-03", "date_stop": "2031-02-03"}]),
        "{}",
        c.text
    );
    // Three days, one row each, zeros where nothing happened.
    let daily = p
        .get(
            &format!(r#"/v26.0/act_{account}/insights?fields=marketing_messages_sent&time_increment=1&time_range={{"since":"2031-02-01","until":"2031-02-03"}}"#),
            CLIENT_ADS,
        )
        .await;
    let rows: Vec<(Value, Value)> = daily.ok()["data"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|r| {
            (
                r["date_start"].clone(),
                r["marketing_messages_sent"].clone(),
            )
        })
        .collect();
    assert_eq!(
        rows,
        vec![
            (json!("2031-02-01"), json!("0")),
            (json!("2031-02-02"), json!("0")),
            (json!("2031-02-03"), json!("5")),
        ]
    );
    // Per ad, then only promo's ad, then broken down by button.
    let per_ad = p
        .get(
            &format!("/v26.0/act_{account}/insights?level=ad&fields=ad_id,ad_name,marketing_messages_sent&{day}&sort=marketing_messages_sent_descending"),
            CLIENT_ADS,
        )
        .await;
    let rows = per_ad.ok()["data"].as_array().expect("rows").clone();
    assert_eq!(rows.len(), 2, "{}", per_ad.text);
    assert_eq!(
        (
            rows[0]["ad_id"].clone(),
            rows[0]["ad_name"].clone(),
            rows[0]["marketing_messages_sent"].clone()
        ),
        (json!(ad), json!("promo (en_US)"), json!("4"))
    );
    assert_eq!(rows[1]["marketing_messages_sent"], "1");
    let filtered = p
        .get(
            &format!(r#"/v26.0/act_{account}/insights?level=ad&fields=marketing_messages_sent&{day}&filtering=[{{"field":"ad.id","operator":"IN","value":["{ad}"]}}]"#),
            CLIENT_ADS,
        )
        .await;
    assert_eq!(filtered.ok()["data"].as_array().map(Vec::len), Some(1));
    assert_eq!(filtered.ok()["data"][0]["marketing_messages_sent"], "4");
    let by_button = p
        .get(
            &format!(r#"/v26.0/{campaign}/insights?fields=marketing_messages_link_btn_click&breakdowns=["marketing_messages_btn_name"]&{day}"#),
            CLIENT_ADS,
        )
        .await;
    assert_eq!(
        by_button.ok()["data"][0]["marketing_messages_btn_name"],
        "Shop now"
    );
    // Paging: a page of one row names the next.
    let paged = p
        .get(
            &format!("/v26.0/act_{account}/insights?level=ad&fields=marketing_messages_sent&{day}&limit=1"),
            CLIENT_ADS,
        )
        .await;
    assert_eq!(paged.ok()["data"].as_array().map(Vec::len), Some(1));
    let next = paged.ok()["paging"]["next"]
        .as_str()
        .expect("next")
        .to_owned();
    assert!(next.contains("after="), "{next}");
    // Defaults: the account's ID, impressions (deliveries) and spend.
    p.clock(json!({"set": "2031-02-10T08:00:00Z"})).await;
    let defaults = p
        .get(
            &format!("/v26.0/act_{account}/insights?date_preset=last_7d"),
            CLIENT_ADS,
        )
        .await;
    assert_eq!(
        defaults.ok()["data"],
        json!([{"account_id": account, "impressions": "5", "spend": "0.125",
                "date_start": "2031-02-03", "date_stop": "2031-02-09"}]),
        "{}",
        defaults.text
    );
    // The default range, the last 30 days, includes the sends too; a summary totals them.
    let summed = p
        .get(
            &format!(
                "/v26.0/act_{account}/insights?fields=marketing_messages_sent&default_summary=true"
            ),
            CLIENT_ADS,
        )
        .await;
    assert_eq!(summed.ok()["data"][0]["marketing_messages_sent"], "5");
    assert_eq!(summed.ok()["summary"]["marketing_messages_sent"], "5");
    // Nothing in the range: no data.
    let empty = p
        .get(
            &format!("/v26.0/act_{account}/insights?date_preset=yesterday"),
            CLIENT_ADS,
        )
        .await;
    assert_eq!(empty.ok(), &json!({"data": []}));
    p.finish().await;
}

async fn conversion_fields_follow_the_version(backend: Backend) {
    let p = start(backend).await;
    let (account, ..) = chain(&p, "5100").await;
    a_day_of_sends(&p, &account).await;
    let day = r#"time_range={"since":"2031-02-03","until":"2031-02-03"}"#;
    let fields = "marketing_messages_website_purchase,marketing_messages_website_purchase_values,marketing_messages_app_add_to_cart";
    let v25 = p
        .get(
            &format!("/v25.0/act_{account}/insights?fields={fields}&{day}"),
            CLIENT_ADS,
        )
        .await;
    assert_eq!(
        v25.ok()["data"][0],
        json!({"marketing_messages_website_purchase": "0", "marketing_messages_website_purchase_values": "0",
               "marketing_messages_app_add_to_cart": "0", "date_start": "2031-02-03", "date_stop": "2031-02-03"})
    );
    let v26 = p
        .get(
            &format!("/v26.0/act_{account}/insights?fields=marketing_messages_sent,{fields}&{day}"),
            CLIENT_ADS,
        )
        .await;
    let e = v26.graph_error(400, 100, None);
    assert_eq!(
        e["message"],
        "(#100) marketing_messages_website_purchase, marketing_messages_website_purchase_values, marketing_messages_app_add_to_cart are not valid for fields param. please check https://developers.facebook.com/docs/marketing-api/reference/ads-insights/ for all valid values"
    );
    p.finish().await;
}

async fn insights_refusals(backend: Backend) {
    let p = start(backend).await;
    let (account, campaign, ..) = chain(&p, "5100").await;
    p.clock(json!({"set": "2031-02-03T10:00:00Z"})).await;
    let path = format!("/v26.0/act_{account}/insights");
    let bad = p
        .get(&format!("{path}?fields=marketing_messages_foo"), CLIENT_ADS)
        .await;
    assert_eq!(
        bad.graph_error(400, 100, None)["message"],
        "(#100) marketing_messages_foo are not valid for fields param. please check https://developers.facebook.com/docs/marketing-api/reference/ads-insights/ for all valid values"
    );
    let far = p
        .get(
            &format!(r#"{path}?time_range={{"since":"2027-12-01","until":"2028-01-01"}}"#),
            CLIENT_ADS,
        )
        .await;
    far.graph_error(400, 3018, None);
    for query in [
        r#"time_range={}"#,
        r#"time_range={"since":"2031-02-03","until":"2031-02-01"}"#,
        r#"time_range={"since":1927843200,"until":1927929600}"#,
        "time_increment=91",
        "date_preset=last_31d",
        "level=business",
        r#"breakdowns=["age"]"#,
        r#"filtering=[{"field":"ad.bid","operator":"IN","value":["1"]}]"#,
        "sort=marketing_messages_foo_descending",
    ] {
        let r = p.get(&format!("{path}?{query}"), CLIENT_ADS).await;
        r.graph_error(400, 100, None);
    }
    // No ads_read: a permissions error; the partner's own token and another business's: the
    // account does not exist for them.
    for target in [format!("act_{account}"), campaign.clone()] {
        for p_path in [
            format!("/v26.0/{target}"),
            format!("/v26.0/{target}/insights"),
        ] {
            let r = p.get(&p_path, CLIENT_NO_ADS).await;
            let e = r.graph_error(403, 200, None);
            assert!(
                e["message"]
                    .as_str()
                    .is_some_and(|m| m.contains("ads_read")),
                "{}",
                r.text
            );
            p.get(&p_path, BSP).await.graph_error(400, 100, Some(33));
            p.get(&p_path, STRANGER)
                .await
                .graph_error(400, 100, Some(33));
        }
    }
    p.get("/v26.0/act_999999/insights", CLIENT_ADS)
        .await
        .graph_error(400, 100, Some(33));
    p.finish().await;
}

async fn report_runs_complete_on_the_platform_clock(backend: Backend) {
    let p = start(backend).await;
    let (account, ..) = chain(&p, "5100").await;
    a_day_of_sends(&p, &account).await;
    p.clock(json!({"freeze": true, "set": "2031-02-04T08:00:00Z"}))
        .await;
    let sync = p
        .get(
            &format!("/v26.0/act_{account}/insights?fields=marketing_messages_sent,marketing_messages_read&date_preset=last_7d"),
            CLIENT_ADS,
        )
        .await
        .ok()
        .clone();
    // As Meta's SDK asks: a form body with the fields as a JSON array.
    let started = p
        .http_with(
            reqwest::Method::POST,
            &format!("/v26.0/act_{account}/insights"),
            |r| {
                r.bearer_auth(CLIENT_ADS).form(&[
                    (
                        "fields",
                        r#"["marketing_messages_sent","marketing_messages_read"]"#,
                    ),
                    ("date_preset", "last_7d"),
                ])
            },
        )
        .await;
    let run = started.ok()["report_run_id"]
        .as_str()
        .expect("report_run_id")
        .to_owned();
    let status = p.get(&format!("/v26.0/{run}/"), CLIENT_ADS).await;
    assert_eq!(
        status.ok()["async_status"],
        "Job Not Started",
        "{}",
        status.text
    );
    assert_eq!(status.ok()["async_percent_completion"], 0);
    assert_eq!(status.ok()["account_id"], json!(account));
    p.get(&format!("/v26.0/{run}/insights"), CLIENT_ADS)
        .await
        .graph_error(400, 100, None);
    p.clock(json!({"advance_seconds": 60})).await;
    let done = p
        .get(
            &format!("/v26.0/{run}?fields=async_status,async_percent_completion,is_running"),
            CLIENT_ADS,
        )
        .await;
    assert_eq!(done.ok()["async_status"], "Job Completed");
    assert_eq!(done.ok()["async_percent_completion"], 100);
    assert_eq!(done.ok()["is_running"], false);
    let rows = p.get(&format!("/v26.0/{run}/insights"), CLIENT_ADS).await;
    assert_eq!(rows.ok()["data"], sync["data"], "{}", rows.text);
    // The run is the account's: other tokens cannot read it.
    p.get(&format!("/v26.0/{run}"), BSP)
        .await
        .graph_error(400, 100, Some(33));
    p.finish().await;
}

async fn offboarding_disables_the_ad_account(backend: Backend) {
    let p = start(backend).await;
    let (account, campaign, ..) = chain(&p, "5100").await;
    let r = p
        .call(
            reqwest::Method::POST,
            "/_wamm/phone_numbers/81000/disconnect",
            None,
            Some(&json!({})),
        )
        .await;
    assert!(r.status < 300, "{}", r.text);
    // The account stays as a disabled one; its chains are gone; the client's token, whose
    // grant named the account, still reads it.
    let a = p
        .get(
            &format!("/v23.0/act_{account}?fields=account_status,marketing_messages_settings"),
            CLIENT_ADS,
        )
        .await;
    assert_eq!(a.ok()["account_status"], 2, "{}", a.text);
    assert_eq!(
        a.ok()["marketing_messages_settings"]["whatsapp_activation_status"],
        "MARKETING_MESSAGE_NOT_ONBOARDED"
    );
    p.get(&format!("/v23.0/{campaign}"), CLIENT_ADS)
        .await
        .graph_error(400, 100, Some(33));
    p.finish().await;
}

crate::on_both_backends!(
    ad_objects_mirror_the_templates,
    insights_sum_what_mm_sends_did,
    conversion_fields_follow_the_version,
    insights_refusals,
    report_runs_complete_on_the_platform_clock,
    offboarding_disables_the_ad_account,
);
