//! The partner's metrics and conversion readiness end to end, against `wamm serve` (a child
//! process) holding `worlds/metrics.yaml`:
//!
//! - sends of two MARKETING templates through MM API and a utility one through Cloud API,
//!   moved through delivered, read, clicked and converted with the control API;
//! - `wamm partner metrics --json` agrees, figure by figure, with template analytics read
//!   directly through `wamm-client`;
//! - the dashboard of `wamm partner serve`, loaded in headless Chromium, shows in its table
//!   cells and its charts' labelled bars what template analytics report for its window (needs
//!   Debian's `chromium` and `chromium-driver`: without them the test fails, never skips);
//! - `wamm partner readiness` reports each client's findings, and they follow onboarding.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use wamm_client::{
    GraphClient, Product as AnalyticsProduct, SendRequest, SendTemplate, TemplateAnalyticsQuery,
};
use wamm_partner::metrics::{date, day_start};
use wamm_testkit::browser::browser;
use wamm_wire::ids::{PhoneNumberId, TemplateId, WabaId};

use crate::support::{Server, http, named, text};

const WORLD: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/it/worlds/metrics.yaml");
const DAY: i64 = 86_400;
/// Meta's conversion metrics in template analytics, counts and values alike.
const CONVERSION_KEYS: [&str; 9] = [
    "app_activations",
    "app_add_to_cart",
    "app_checkouts_initiated",
    "app_purchases",
    "app_purchases_conversion_value",
    "website_add_to_cart",
    "website_checkouts_initiated",
    "website_purchases",
    "website_purchases_conversion_value",
];

/// A platform holding the metrics world, and the partner's credentials in it.
struct World {
    platform: Server,
    dir: tempfile::TempDir,
    partner_id: String,
    token: String,
    app_id: String,
    app_secret: String,
    /// The orchestrator's token key (`wamm partner keygen`'s format).
    token_key: String,
}

impl World {
    /// Graph as the partner sees it.
    fn graph(&self) -> GraphClient {
        GraphClient::new(&self.platform.base)
            .token(&self.token)
            .app_secret(&self.app_secret)
    }

    /// The IDs of a client's first WABA and its first number, and its templates by name.
    async fn client(&self, name: &str) -> Client {
        let world = self.platform.get_json("/_wamm/world?format=json").await;
        let business = named(&world["businesses"], name);
        let waba = &business["wabas"][0];
        Client {
            business: text(&business["id"]),
            waba: text(&waba["id"]).parse().expect("a WABA ID"),
            phone: text(&waba["phone_numbers"][0]["id"])
                .parse()
                .expect("a number ID"),
            templates: waba["templates"]
                .as_array()
                .map(|all| {
                    all.iter()
                        .map(|t| {
                            (
                                t["name"].as_str().unwrap_or_default().to_owned(),
                                text(&t["id"]),
                            )
                        })
                        .collect()
                })
                .unwrap_or_default(),
        }
    }

    /// The orchestrator's store, in the world's directory.
    fn store_url(&self) -> String {
        format!("sqlite:{}", self.dir.path().join("partner.db").display())
    }

    /// `wamm partner <args>` against the platform with the partner's credentials and a store
    /// in the world's directory; asserts success and returns stdout.
    async fn partner_cli(&self, args: &[&str]) -> String {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_wamm"));
        command
            .arg("partner")
            .args(args)
            .env("WAMM_PARTNER_GRAPH_URL", &self.platform.base)
            .env("WAMM_PARTNER_BUSINESS_ID", &self.partner_id)
            .env("WAMM_PARTNER_TOKEN", &self.token)
            .env("WAMM_PARTNER_APP_SECRET", &self.app_secret)
            .env("WAMM_PARTNER_TOKEN_KEY", &self.token_key)
            .env("WAMM_PARTNER_DATABASE_URL", self.store_url())
            .env("RUST_LOG", "warn");
        let out = tokio::task::spawn_blocking(move || command.output())
            .await
            .expect("joined")
            .expect("wamm runs");
        assert!(
            out.status.success(),
            "wamm partner {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("UTF-8")
    }
}

/// A client of the world.
struct Client {
    business: String,
    waba: WabaId,
    phone: PhoneNumberId,
    templates: BTreeMap<String, String>,
}

/// Starts `wamm serve` with the metrics world and mints the partner's system user token.
async fn world() -> World {
    let dir = tempfile::tempdir().expect("temporary directory");
    let platform = Server::start(
        &format!("sqlite:{}", dir.path().join("platform.db").display()),
        Some(Path::new(WORLD)),
        &[],
    )
    .await;
    let exported = platform.get_json("/_wamm/world?format=json").await;
    let app = named(&exported["apps"], "Metrics Connect");
    let partner = named(&exported["businesses"], "Metrics Partners");
    let ops = named(&partner["system_users"], "Partner Ops");
    let minted: Value = http()
        .post(format!("{}/_wamm/tokens", platform.base))
        .json(&json!({ "system_user_id": text(&ops["id"]), "app_id": text(&app["id"]) }))
        .send()
        .await
        .expect("token minted")
        .json()
        .await
        .expect("token JSON");
    World {
        partner_id: text(&partner["id"]),
        token: minted["access_token"]
            .as_str()
            .unwrap_or_else(|| panic!("a token: {minted}"))
            .to_owned(),
        app_id: text(&app["id"]),
        app_secret: text(&app["secret"]),
        token_key: wamm_partner::vault::Key::generate("e2e")
            .expect("a token key")
            .1,
        platform,
        dir,
    }
}

/// `POST /_wamm/messages/{wamid}/{act}` with `body`; asserts a 200.
async fn act(world: &World, wamid: &str, act: &str, body: Value) {
    let res = http()
        .post(format!(
            "{}/_wamm/messages/{wamid}/{act}",
            world.platform.base
        ))
        .json(&body)
        .send()
        .await
        .expect("control API answers");
    let status = res.status();
    let answer = res.text().await.unwrap_or_default();
    assert_eq!(status, 200, "{act} {wamid}: {answer}");
}

/// Waits (bounded) until the platform's view of `wamid` satisfies `done`.
async fn until(world: &World, wamid: &str, what: &str, done: impl Fn(&Value) -> bool) {
    let start = Instant::now();
    loop {
        let message = world
            .platform
            .get_json(&format!("/_wamm/messages/{wamid}"))
            .await;
        if done(&message) {
            return;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "{wamid} never {what}: {message}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Sends the shop's templates and moves them: `spring_sale` ×5 (3 clicked, 1 more read; two
/// purchases and an add to cart), `restock_alert` ×2 (1 read, 1 clicked with a website
/// checkout and an app activation and purchase), `receipt` ×1 through Cloud API.
async fn play(world: &World) -> Client {
    let shop = world.client("Metrics Shop").await;
    let graph = world.graph();
    let mut wamids = BTreeMap::new();
    let sends = [
        ("spring_sale", 1),
        ("spring_sale", 2),
        ("spring_sale", 3),
        ("spring_sale", 4),
        ("spring_sale", 5),
        ("restock_alert", 6),
        ("restock_alert", 7),
        ("receipt", 8),
    ];
    for (template, n) in sends {
        let request = SendRequest::template(
            format!("1628555020{n}"),
            SendTemplate::new(template, "en_US"),
        );
        let answer = if template == "receipt" {
            graph.send_message(shop.phone, &request).await
        } else {
            graph.send_marketing_message(shop.phone, &request).await
        }
        .unwrap_or_else(|e| panic!("{template} to {n}: {e}"));
        wamids.insert(n, answer.messages[0].id.clone());
    }
    for wamid in wamids.values() {
        until(world, wamid, "delivered", |m| m["status"] == "delivered").await;
    }
    for n in [1, 2, 3, 7] {
        act(world, &wamids[&n], "click", json!({})).await;
    }
    for n in [4, 6] {
        act(world, &wamids[&n], "read", json!({})).await;
    }
    for n in [1, 2, 3, 7] {
        until(world, &wamids[&n], "clicked", |m| {
            m["clicks"].as_array().is_some_and(|c| !c.is_empty())
        })
        .await;
    }
    for n in [4, 6] {
        until(world, &wamids[&n], "read", |m| m["status"] == "read").await;
    }
    for (n, body) in [
        (1, json!({"event": "Purchase", "value": 30})),
        (1, json!({"event": "AddToCart"})),
        (2, json!({"event": "Purchase", "value": 12.5})),
        (7, json!({"event": "InitiateCheckout"})),
        (7, json!({"event": "ActivateApp", "channel": "app"})),
        (
            7,
            json!({"event": "Purchase", "value": 8, "channel": "app"}),
        ),
    ] {
        act(world, &wamids[&n], "convert", body).await;
    }
    shop
}

/// One template's figures for one product over a range, as template analytics sum them.
#[derive(Debug, Clone, Default, PartialEq)]
struct Figures {
    sent: i64,
    delivered: i64,
    read: i64,
    clicked: i64,
    cost: Option<f64>,
    conversions: BTreeMap<&'static str, f64>,
}

impl Figures {
    fn purchases(&self) -> i64 {
        (self.conversions["website_purchases"] + self.conversions["app_purchases"]).round() as i64
    }
}

/// What template analytics say of every template of `waba` from `start` to `end`, per
/// (template ID, product as the partner writes it), and the messages sent per day.
async fn analytics(
    world: &World,
    waba: WabaId,
    start: i64,
    end: i64,
) -> (
    BTreeMap<(String, &'static str), Figures>,
    BTreeMap<i64, i64>,
) {
    let graph = world.graph();
    let ids: Vec<TemplateId> = graph
        .list_templates(waba)
        .await
        .expect("templates")
        .into_iter()
        .map(|t| t.id)
        .collect();
    let mut figures = BTreeMap::new();
    let mut daily = BTreeMap::new();
    for (product, name) in [
        (AnalyticsProduct::MarketingMessages, "marketing_messages"),
        (AnalyticsProduct::CloudApi, "cloud_api"),
    ] {
        let answer = graph
            .template_analytics(
                waba,
                &TemplateAnalyticsQuery {
                    start,
                    end,
                    template_ids: ids.clone(),
                    metric_types: Vec::new(),
                    product,
                },
            )
            .await
            .expect("template analytics");
        for p in answer.data_points {
            *daily.entry(p.start).or_insert(0) += p.sent.unwrap_or_default();
            let f: &mut Figures = figures
                .entry((p.template_id.to_string(), name))
                .or_default();
            f.sent += p.sent.unwrap_or_default();
            f.delivered += p.delivered.unwrap_or_default();
            f.read += p.read.unwrap_or_default();
            f.clicked += p.clicks("url_button");
            if let Some(c) = p.cost("amount_spent") {
                f.cost = Some(f.cost.unwrap_or_default() + c);
            }
            for key in CONVERSION_KEYS {
                *f.conversions.entry(key).or_default() +=
                    p.other.get(key).and_then(Value::as_f64).unwrap_or_default();
            }
        }
    }
    (figures, daily)
}

/// The last 30 UTC days, today included, as the CLI's and the dashboard's default window.
fn window() -> (i64, i64) {
    let today = day_start(wamm_partner::web::system_now());
    (today - 29 * DAY, today + DAY)
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

/// The world played as intended: Graph reports what the control API did.
fn check_the_story(figures: &BTreeMap<(String, &'static str), Figures>, shop: &Client) {
    let of = |name: &str, product: &'static str| {
        figures
            .get(&(shop.templates[name].clone(), product))
            .unwrap_or_else(|| panic!("{name} {product} in {figures:?}"))
    };
    let spring = of("spring_sale", "marketing_messages");
    assert_eq!(
        (spring.sent, spring.delivered, spring.read, spring.clicked),
        (5, 5, 4, 3),
        "{spring:?}"
    );
    assert!(close(spring.conversions["website_purchases"], 2.0));
    assert!(close(
        spring.conversions["website_purchases_conversion_value"],
        42.5
    ));
    assert!(close(spring.conversions["website_add_to_cart"], 1.0));
    let restock = of("restock_alert", "marketing_messages");
    assert_eq!(
        (restock.sent, restock.read, restock.clicked),
        (2, 2, 1),
        "{restock:?}"
    );
    assert!(close(
        restock.conversions["website_checkouts_initiated"],
        1.0
    ));
    assert!(close(restock.conversions["app_activations"], 1.0));
    assert!(close(
        restock.conversions["app_purchases_conversion_value"],
        8.0
    ));
    assert_eq!(of("receipt", "cloud_api").sent, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn partner_metrics_json_agrees_with_template_analytics() {
    let world = world().await;
    let shop = play(&world).await;
    let (start, end) = window();
    let (figures, _) = analytics(&world, shop.waba, start, end).await;
    check_the_story(&figures, &shop);

    let out = world
        .partner_cli(&["metrics", "--json", "--since", &date(start)])
        .await;
    let doc: Value = serde_json::from_str(&out).expect("a JSON document");
    let rows: Vec<Value> = doc["templates"].as_array().expect("templates").clone();
    let shop_rows: Vec<&Value> = rows
        .iter()
        .filter(|r| r["waba_id"] == shop.waba.to_string().as_str())
        .collect();
    let shown: Vec<(String, String)> = shop_rows
        .iter()
        .map(|r| (text(&r["template_id"]), text(&r["product"])))
        .collect();
    let sending: Vec<(String, String)> = figures
        .iter()
        .filter(|(_, f)| f.sent > 0)
        .map(|((t, p), _)| (t.clone(), (*p).to_owned()))
        .collect();
    assert_eq!(shown, sending, "a row per template and product that sent");
    for row in shop_rows {
        let key = (text(&row["template_id"]), product_of(&row["product"]));
        let graph = &figures[&key];
        let at = |k: &str| row[k].as_i64().unwrap_or_else(|| panic!("{k} in {row}"));
        assert_eq!(
            (at("sent"), at("delivered"), at("read"), at("clicked")),
            (graph.sent, graph.delivered, graph.read, graph.clicked),
            "{key:?}: {row}"
        );
        assert_eq!(row["business_id"], shop.business.as_str());
        match graph.cost {
            Some(cost) => assert!(
                row["cost"].as_f64().is_some_and(|c| close(c, cost)),
                "{key:?} cost {cost}: {row}"
            ),
            None => assert_eq!(row["cost"], Value::Null, "{row}"),
        }
        for k in CONVERSION_KEYS {
            let cli = row["conversions"][k]
                .as_f64()
                .unwrap_or_else(|| panic!("{k} in {row}"));
            assert!(close(cli, graph.conversions[k]), "{key:?} {k}: {row}");
        }
    }
}

/// The product as template analytics name it in [`analytics`]' keys.
fn product_of(product: &Value) -> &'static str {
    match product.as_str() {
        Some("marketing_messages") => "marketing_messages",
        Some("cloud_api") => "cloud_api",
        other => panic!("a product: {other:?}"),
    }
}

/// What the dashboard shows, read in the browser from its cells and its charts' bars.
const READ_PAGE: &str = r#"
const rows = [...document.querySelectorAll('#metric-rows tr')].map(tr => ({
  template_id: tr.dataset.templateId,
  waba: tr.dataset.waba,
  product: tr.dataset.product,
  cells: Object.fromEntries([...tr.querySelectorAll('td[data-metric]')]
    .map(td => [td.dataset.metric, td.innerText.trim()])),
  steps: [...tr.querySelectorAll('svg rect[data-step]')].map(r => ({
    step: r.dataset.step, value: r.dataset.value,
    title: r.querySelector('title').textContent })),
}));
const days = [...document.querySelectorAll('svg.daily-chart rect[data-date]')].map(r => ({
  date: r.dataset.date, value: r.dataset.value, title: r.querySelector('title').textContent }));
const clients = [...document.querySelectorAll('#readiness .client')].map(c => ({
  business: c.dataset.business,
  codes: [...c.querySelectorAll('li[data-code]')].map(li => li.dataset.code),
}));
return { rows, days, clients, window: document.querySelector('#metrics h2').innerText };
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dashboard_charts_show_what_template_analytics_report_in_chromium() {
    let world = world().await;
    let shop = play(&world).await;
    let (start, end) = window();
    let (figures, daily) = analytics(&world, shop.waba, start, end).await;
    check_the_story(&figures, &shop);

    let (_, key) = wamm_partner::vault::Key::generate("e2e").expect("a token key");
    let store = format!("sqlite:{}", world.dir.path().join("served.db").display());
    let orchestrator = Server::partner(
        &[
            ("WAMM_PARTNER_GRAPH_URL", &world.platform.base),
            ("WAMM_PARTNER_BUSINESS_ID", &world.partner_id),
            ("WAMM_PARTNER_TOKEN", &world.token),
            ("WAMM_PARTNER_APP_ID", &world.app_id),
            ("WAMM_PARTNER_APP_SECRET", &world.app_secret),
            ("WAMM_PARTNER_DATABASE_URL", &store),
            ("WAMM_PARTNER_TOKEN_KEY", &key),
            ("WAMM_PARTNER_VERIFY_TOKEN", "metrics-e2e"),
        ],
        &["--sync-every-secs", "1"],
    )
    .await;
    // The serve loop syncs the funnel, the metrics and readiness on its timer.
    let spring = shop.templates["spring_sale"].clone();
    let started = Instant::now();
    loop {
        let metrics = orchestrator.get_json("/api/metrics").await;
        let readiness = orchestrator.get_json("/api/readiness").await;
        let synced = metrics["templates"].as_array().is_some_and(|all| {
            all.iter().any(|t| {
                t["template_id"] == spring.as_str()
                    && t["sent"] == 5
                    && t["conversions"]["website_purchases"] == 2
            })
        });
        if synced && readiness.as_array().is_some_and(|r| r.len() == 3) {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the orchestrator never synced: {metrics}\n{readiness}\n{}",
            orchestrator.log()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    let (_driver, client) = browser().await;
    client
        .goto(&format!("{}/", orchestrator.base))
        .await
        .expect("the dashboard loads");
    let page = client
        .execute(READ_PAGE, Vec::new())
        .await
        .expect("the page reads");
    if let Ok(path) = std::env::var("WAMM_SCREENSHOT") {
        let png = client.screenshot().await.expect("screenshot");
        std::fs::write(path, png).expect("screenshot written");
    }
    client.close().await.expect("session closes");

    assert!(
        page["window"]
            .as_str()
            .is_some_and(|w| w.contains(&format!("since {}", date(start)))),
        "{}",
        page["window"]
    );
    // The table and each row's funnel chart: one row per template and product that sent.
    let rows = page["rows"].as_array().expect("rows");
    let sending = figures.values().filter(|f| f.sent > 0).count();
    assert_eq!(rows.len(), sending, "{page}");
    for row in rows {
        let key = (text(&row["template_id"]), product_of(&row["product"]));
        let graph = figures
            .get(&key)
            .unwrap_or_else(|| panic!("{key:?} is not in template analytics: {row}"));
        assert_eq!(row["waba"], shop.waba.to_string().as_str());
        let cells = &row["cells"];
        let rate = |part: i64, whole: i64| format!("{:.1}%", part as f64 * 100.0 / whole as f64);
        let purchase_value = graph.conversions["website_purchases_conversion_value"]
            + graph.conversions["app_purchases_conversion_value"];
        let count = |k: &str| graph.conversions[k].round() as i64;
        let expected = json!({
            "sent": graph.sent.to_string(),
            "delivered": graph.delivered.to_string(),
            "read": graph.read.to_string(),
            "clicked": graph.clicked.to_string(),
            "read_rate": rate(graph.read, graph.delivered),
            "click_rate": rate(graph.clicked, graph.delivered),
            "spend": graph.cost.map_or_else(|| "hidden".to_owned(), |c| format!("{c:.4}")),
            "purchases": graph.purchases().to_string(),
            "purchase_value": format!("{purchase_value:.2}"),
            "add_to_cart": (count("website_add_to_cart") + count("app_add_to_cart")).to_string(),
            "checkouts_initiated": (count("website_checkouts_initiated")
                + count("app_checkouts_initiated")).to_string(),
            "app_activations": count("app_activations").to_string(),
        });
        assert_eq!(cells, &expected, "{key:?}");
        let steps: Vec<(String, String, String)> = row["steps"]
            .as_array()
            .expect("steps")
            .iter()
            .map(|s| (text(&s["step"]), text(&s["value"]), text(&s["title"])))
            .collect();
        let want: Vec<(String, String, String)> = [
            ("sent", graph.sent),
            ("delivered", graph.delivered),
            ("read", graph.read),
            ("clicked", graph.clicked),
            ("purchased", graph.purchases()),
        ]
        .into_iter()
        .map(|(step, n)| (step.to_owned(), n.to_string(), format!("{step} {n}")))
        .collect();
        assert_eq!(steps, want, "{key:?}: the funnel chart");
    }
    // The daily chart: a bar per day of the window, each labelled with Graph's sends.
    let days: Vec<(String, String, String)> = page["days"]
        .as_array()
        .expect("days")
        .iter()
        .map(|d| (text(&d["date"]), text(&d["value"]), text(&d["title"])))
        .collect();
    let want: Vec<(String, String, String)> = (0..30)
        .map(|i| {
            let day = start + i * DAY;
            let n = daily.get(&day).copied().unwrap_or_default();
            (date(day), n.to_string(), format!("{}: {n}", date(day)))
        })
        .collect();
    assert_eq!(days, want, "the daily chart");
    assert!(
        want.iter().any(|(_, n, _)| n == "8"),
        "today's eight sends are in the chart"
    );
    // Readiness per client: the shop is ready, the others are told what to fix.
    let codes = |name: &str| -> Vec<String> {
        let business = readiness_block(&page, name);
        business["codes"]
            .as_array()
            .expect("codes")
            .iter()
            .map(text)
            .collect()
    };
    let shortlink = world.client("Shortlink Store").await.business;
    let quiet = world.client("Quiet Co").await.business;
    assert_eq!(codes(&shop.business), Vec::<String>::new());
    assert_eq!(
        codes(&shortlink),
        [
            "no_ad_account",
            "template_predates_onboarding",
            "url_shortener",
            "no_dataset"
        ]
    );
    assert_eq!(
        codes(&quiet),
        ["insights_disabled", "no_cta_url_template", "no_dataset"]
    );
    drop(orchestrator);
}

/// The readiness block of `business` on the page read by [`READ_PAGE`].
fn readiness_block<'a>(page: &'a Value, business: &str) -> &'a Value {
    page["clients"]
        .as_array()
        .and_then(|all| all.iter().find(|c| c["business"] == business))
        .unwrap_or_else(|| panic!("{business} in {}", page["clients"]))
}

/// The codes of each business's findings in `wamm partner readiness --json`.
fn codes_by_business(out: &str) -> BTreeMap<String, Vec<String>> {
    let checked: Vec<Value> = serde_json::from_str(out).expect("a JSON list");
    checked
        .iter()
        .map(|b| {
            (
                text(&b["business_id"]),
                b["findings"]
                    .as_array()
                    .expect("findings")
                    .iter()
                    .map(|f| text(&f["code"]))
                    .collect(),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn partner_readiness_reports_each_client_and_follows_onboarding() {
    let world = world().await;
    let shop = world.client("Metrics Shop").await;
    let shortlink = world.client("Shortlink Store").await;
    let quiet = world.client("Quiet Co").await;

    let first = codes_by_business(&world.partner_cli(&["readiness", "--json"]).await);
    assert_eq!(
        first,
        BTreeMap::from([
            (shop.business.clone(), vec![]),
            (
                shortlink.business.clone(),
                vec![
                    "no_ad_account".to_owned(),
                    "template_predates_onboarding".to_owned(),
                    "url_shortener".to_owned(),
                    "no_dataset".to_owned()
                ]
            ),
            (
                quiet.business.clone(),
                vec![
                    "insights_disabled".to_owned(),
                    "no_cta_url_template".to_owned(),
                    "no_dataset".to_owned()
                ]
            ),
        ])
    );
    let text_out = world
        .partner_cli(&["readiness", "--business", &quiet.business])
        .await;
    assert!(
        text_out.contains(&format!("Quiet Co ({}), 1 WABA: not ready", quiet.business))
            && text_out.contains("blocker  insights_disabled")
            && !text_out.contains(&shop.business),
        "{text_out}"
    );

    // The partner asks the Shortlink Store to onboard; its admin accepts and Meta's setup
    // completes on the platform clock.
    let asked: Value = serde_json::from_str(
        &world
            .partner_cli(&["onboard", "--business", &shortlink.business, "--json"])
            .await,
    )
    .expect("onboard JSON");
    let request_id = asked["asked"]
        .as_array()
        .and_then(|a| a.iter().find_map(|x| x["request_id"].as_str()))
        .unwrap_or_else(|| panic!("a request: {asked}"))
        .to_owned();
    let accepted = http()
        .post(format!(
            "{}/_wamm/requests/{request_id}/accept",
            world.platform.base
        ))
        .json(&json!({}))
        .send()
        .await
        .expect("accept");
    assert!(accepted.status().is_success(), "{}", accepted.status());
    http()
        .post(format!("{}/_wamm/clock", world.platform.base))
        .json(&json!({ "advance_seconds": 3_600 }))
        .send()
        .await
        .expect("clock");

    // Onboarded: the ad account is linked and the template synced, but the template existed
    // before onboarding and still links through bit.ly.
    let after = codes_by_business(
        &world
            .partner_cli(&["readiness", "--business", &shortlink.business, "--json"])
            .await,
    );
    assert_eq!(
        after,
        BTreeMap::from([(
            shortlink.business.clone(),
            vec![
                "template_predates_onboarding".to_owned(),
                "url_shortener".to_owned(),
                "no_dataset".to_owned()
            ]
        )])
    );
    // The platform agrees that the template is now linked to its ad.
    let template: TemplateId = shortlink.templates["flash_sale"].parse().expect("an ID");
    let linked = world
        .graph()
        .get::<Value>(&template.to_string(), &[("fields", "ad_id,ad_account_id")])
        .await
        .expect("template");
    assert!(linked["ad_id"].is_string(), "{linked}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn partner_metrics_syncs_insights_with_the_business_token_as_graph_gives_them() {
    use wamm_client::{InsightsQuery, InsightsRange};
    use wamm_partner::vault::{Key, Vault};

    let world = world().await;
    let shop = play(&world).await;
    let shortlink = world.client("Shortlink Store").await;
    let (start, end) = window();
    let out = world
        .partner_cli(&["metrics", "--json", "--since", &date(start)])
        .await;
    let doc: Value = serde_json::from_str(&out).expect("a JSON document");

    // The business token the orchestrator took and sealed for the shop.
    let store = wamm_partner::store::connect(&world.store_url())
        .await
        .expect("the orchestrator's store");
    let sealed = store
        .token(&shop.business)
        .await
        .expect("read")
        .expect("the shop's business token is stored");
    let vault = Vault::new(Key::parse(&world.token_key).expect("key"), vec![]).expect("vault");
    let token = vault
        .open(
            &sealed.sealed,
            &wamm_partner::orchestrate::token_row(&shop.business),
        )
        .expect("the token opens");
    let client = GraphClient::new(&world.platform.base)
        .token(token.expose())
        .app_secret(&world.app_secret);

    // Insights as Graph gives them to that token, per ad and day.
    let template: Value = client
        .get(
            &shop.templates["spring_sale"],
            &[("fields", "ad_account_id")],
        )
        .await
        .expect("template");
    let account = text(&template["ad_account_id"]);
    let query = InsightsQuery {
        fields: [
            "ad_id",
            "marketing_messages_sent",
            "marketing_messages_delivered",
            "marketing_messages_read",
            "marketing_messages_link_btn_click",
            "marketing_messages_spend",
            "marketing_messages_spend_currency",
        ]
        .map(str::to_owned)
        .to_vec(),
        range: InsightsRange::Dates {
            since: date(start),
            until: date(end - 1),
        },
        time_increment: Some("1".to_owned()),
        level: Some("ad".to_owned()),
        by_button: false,
    };
    let rows = client
        .insights(&format!("act_{account}"), &query)
        .await
        .expect("Insights with the business token");
    let from_graph: AdDays = rows
        .iter()
        .map(|r| {
            let n = |k: &str| r.count(k).unwrap_or_else(|| panic!("{k} in {r:?}"));
            (
                (text(&r.fields["ad_id"]), r.date_start.clone()),
                (
                    n("marketing_messages_sent"),
                    n("marketing_messages_delivered"),
                    n("marketing_messages_read"),
                    n("marketing_messages_link_btn_click"),
                    r.text("marketing_messages_spend").unwrap_or("0").to_owned(),
                ),
            )
        })
        .collect();
    assert!(
        from_graph.values().map(|v| v.0).sum::<i64>() == 7,
        "the story's seven MM API sends: {from_graph:?}"
    );

    // The synced rows are Graph's, row for row.
    let synced = store
        .ad_insights_days(Some(&shop.business), start)
        .await
        .expect("synced Insights");
    let from_store: AdDays = synced
        .iter()
        .map(|d| {
            assert_eq!(d.account_id, account);
            (
                (d.ad_id.clone(), date(d.day)),
                (
                    d.sent,
                    d.delivered,
                    d.read,
                    d.clicked,
                    r_spend(d.spend, &from_graph, &d.ad_id, &date(d.day)),
                ),
            )
        })
        .collect();
    assert_eq!(from_store, from_graph);
    // Each ad is tied to its template.
    let templates: std::collections::BTreeSet<String> = synced
        .iter()
        .filter_map(|d| d.template_id.clone())
        .collect();
    assert_eq!(
        templates,
        [
            &shop.templates["spring_sale"],
            &shop.templates["restock_alert"]
        ]
        .into_iter()
        .cloned()
        .collect()
    );

    // The CLI's per-client figures are Graph's sums.
    let insights = doc["insights"].as_array().expect("an insights section");
    let row = insights
        .iter()
        .find(|r| r["waba_id"] == shop.waba.to_string().as_str())
        .unwrap_or_else(|| panic!("the shop in {doc}"));
    let sum = |i: usize| -> i64 { from_graph.values().map(|v| [v.0, v.1, v.2, v.3][i]).sum() };
    assert_eq!(
        (
            row["sent"].as_i64(),
            row["delivered"].as_i64(),
            row["read"].as_i64(),
            row["clicked"].as_i64()
        ),
        (Some(sum(0)), Some(sum(1)), Some(sum(2)), Some(sum(3))),
        "{row}"
    );
    let spend: f64 = from_graph
        .values()
        .map(|v| v.4.parse::<f64>().expect("spend"))
        .sum();
    assert!(
        spend > 0.0
            && row["spend"]
                .as_f64()
                .is_some_and(|s| close_enough(s, spend)),
        "{row}"
    );
    assert_eq!(row["business_id"], shop.business.as_str());
    assert_eq!(row["currency"], "USD");
    // A client not onboarded is reported and skipped, not fatal.
    let skipped = doc["insights_skipped"].as_array().expect("skipped");
    assert!(
        skipped
            .iter()
            .any(|s| s[0] == shortlink.waba.to_string().as_str()
                && s[1].as_str().is_some_and(|r| r.contains("not onboarded"))),
        "{doc}"
    );
}

/// Insights per (ad, `YYYY-MM-DD`): sent, delivered, read, link clicks and spend as written.
type AdDays = BTreeMap<(String, String), (i64, i64, i64, i64, String)>;

/// The stored spend written as Graph's row writes it, when they agree to six decimals (Insights'
/// precision); the stored value otherwise, so the comparison shows the difference.
fn r_spend(stored: f64, graph: &AdDays, ad: &str, day: &str) -> String {
    match graph.get(&(ad.to_owned(), day.to_owned())) {
        Some(g) if g.4.parse::<f64>().is_ok_and(|v| close_enough(v, stored)) => g.4.clone(),
        _ => stored.to_string(),
    }
}

/// Equal to Insights' six decimals.
fn close_enough(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-6
}
