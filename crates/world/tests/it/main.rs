//! Integration tests of world files: the demo world, determinism, export roundtrips, the JSON
//! form, app webhook subscriptions and the errors bad files get.

use std::collections::HashSet;

use wamm_domain::Timestamp;
use wamm_domain::model::{PartnerAccess, TokenKind, WabaStatus, WorldState};
use wamm_world::{
    DEMO_WORLD, Format, Loaded, Mint, SeqMint, WEBHOOK_FIELDS, WorldError, WorldFile, export,
    hash_token, normalize, parse,
};

const NOW: Timestamp = Timestamp::from_millis(1_761_000_000_000);

fn demo(mint: &mut dyn Mint) -> Loaded {
    parse(DEMO_WORLD)
        .expect("demo parses")
        .build(mint, NOW)
        .expect("demo builds")
}

fn business<'a>(state: &'a WorldState, name: &str) -> &'a wamm_domain::Business {
    state
        .businesses
        .iter()
        .find(|b| b.name == name)
        .unwrap_or_else(|| panic!("{name} missing"))
}

fn wabas_of<'a>(state: &'a WorldState, name: &str) -> Vec<&'a wamm_domain::Waba> {
    let id = business(state, name).id;
    state
        .wabas
        .iter()
        .filter(|w| w.owner_business_id == id)
        .collect()
}

#[test]
fn demo_world_parses_and_builds() {
    let loaded = demo(&mut SeqMint::default());
    let state = &loaded.state;

    assert_eq!(state.apps.len(), 2);
    for name in ["Lucky Shrub Connect", "Lucky Shrub Starter"] {
        assert!(state.apps.iter().any(|a| a.name == name), "{name}");
    }
    let names = [
        "Lucky Shrub Partners",
        "Jasper's Bakery",
        "Casa Verde",
        "Nordic Knits",
        "Tehran Tiles",
        "Already Signed Co",
        "Coexist Cafe",
        "Lonely Shop",
        "Restricted Rides",
    ];
    assert_eq!(state.businesses.len(), names.len());
    for name in names {
        business(state, name);
    }
    let partner = business(state, "Lucky Shrub Partners");
    assert!(state.apps.iter().all(|a| a.business_id == partner.id));
    assert_eq!(partner.people.len(), 2);
    assert_eq!(state.system_users.len(), 1);

    assert_eq!(state.wabas.len(), 12);
    let partners: Vec<_> = state.wabas.iter().flat_map(|w| &w.partners).collect();
    assert!(partners.iter().all(|p| p.business_id == partner.id));
    let shared = partners
        .iter()
        .filter(|p| p.access == PartnerAccess::Shared)
        .count();
    let obo = partners
        .iter()
        .filter(|p| p.access == PartnerAccess::Obo)
        .count();
    let migrating = partners
        .iter()
        .filter(|p| p.migration_intent.is_some())
        .count();
    assert_eq!((shared, obo, migrating), (6, 4, 2));

    let nordic = wabas_of(state, "Nordic Knits");
    assert_eq!(nordic.len(), 2);
    assert!(
        nordic
            .iter()
            .all(|w| w.obo_owner().is_some_and(|p| p.migration_intent.is_some()))
    );
    assert!(nordic.iter().all(|w| w.graph_owner() == partner.id));
    let casa = wabas_of(state, "Casa Verde");
    assert_eq!(casa.iter().filter(|w| w.obo_owner().is_some()).count(), 2);
    assert!(
        wabas_of(state, "Lonely Shop")
            .iter()
            .all(|w| w.partners.is_empty())
    );
    assert_eq!(
        wabas_of(state, "Restricted Rides")[0].status,
        WabaStatus::Restricted
    );
    assert_eq!(
        wabas_of(state, "Tehran Tiles")[0].tax_country.as_str(),
        "IR"
    );

    let signed = business(state, "Already Signed Co");
    let terms = signed.mm_terms.expect("signed");
    assert_eq!(terms.by, signed.people.first().map(|p| p.id));
    assert_eq!(
        wabas_of(state, "Already Signed Co")[0].mm_setup_complete_at,
        Some(terms.at)
    );
    assert!(
        wabas_of(state, "Jasper's Bakery")[0]
            .mm_setup_complete_at
            .is_none()
    );

    let coexist = wabas_of(state, "Coexist Cafe")[0].id;
    assert!(
        state
            .phone_numbers
            .iter()
            .any(|p| p.waba_id == coexist && p.coexistence)
    );
    let bakery = wabas_of(state, "Jasper's Bakery")[0].id;
    assert_eq!(
        state
            .phone_numbers
            .iter()
            .filter(|p| p.waba_id == bakery)
            .count(),
        2
    );
    let summer = state
        .templates
        .iter()
        .find(|t| t.name == "summer_sale")
        .expect("summer_sale");
    assert_eq!(summer.message_send_ttl_seconds, Some(86_400));
    assert_eq!(summer.waba_id, bakery);

    assert_eq!(loaded.issued.len(), 1);
    let issued = &loaded.issued[0];
    assert_eq!(issued.key.as_deref(), Some("partner-token"));
    assert_eq!(issued.business_id, partner.id);
    assert_eq!(state.tokens.len(), 1);
    assert_eq!(state.tokens[0].hash, hash_token(&issued.token));
    assert_eq!(state.tokens[0].kind, TokenKind::SystemUser);
    assert_eq!(state.tokens[0].scopes.len(), 3);

    // Every Graph ID is distinct, and namespaces look like Graph's.
    let mut ids = HashSet::new();
    let all = state
        .apps
        .iter()
        .map(|a| a.id.get())
        .chain(state.businesses.iter().map(|b| b.id.get()))
        .chain(
            state
                .businesses
                .iter()
                .flat_map(|b| b.people.iter().map(|p| p.id.get())),
        )
        .chain(state.system_users.iter().map(|u| u.id.get()))
        .chain(state.wabas.iter().map(|w| w.id.get()))
        .chain(state.phone_numbers.iter().map(|p| p.id.get()))
        .chain(state.templates.iter().map(|t| t.id.get()));
    for id in all {
        assert!(ids.insert(id), "duplicate id {id}");
    }
    assert!(
        state
            .wabas
            .iter()
            .all(|w| w.message_template_namespace.len() == 36)
    );
}

#[test]
fn build_is_deterministic_for_a_deterministic_mint() {
    let a = demo(&mut SeqMint::new(42));
    let b = demo(&mut SeqMint::new(42));
    assert_eq!(a, b);
    let c = demo(&mut SeqMint::new(43));
    assert_ne!(a.state, c.state);
}

#[test]
fn export_then_build_reproduces_the_state() {
    let loaded = demo(&mut SeqMint::default());
    let exported = export(&loaded.state);
    // The export needs nothing from the mint and nothing from the clock.
    let rebuilt = exported
        .build(&mut SeqMint::new(1), Timestamp::from_millis(0))
        .expect("export builds");
    assert_eq!(rebuilt.state, loaded.state);
    assert!(rebuilt.issued.is_empty());

    // Through YAML text too.
    let yaml = exported.to_yaml().expect("serialises");
    let reparsed = parse(&yaml).expect("export parses");
    assert_eq!(reparsed, exported);
    let rebuilt = reparsed.build(&mut SeqMint::new(1), NOW).expect("builds");
    assert_eq!(rebuilt.state, loaded.state);
}

#[test]
fn export_roundtrips_a_state_in_any_order() {
    let mut state = demo(&mut SeqMint::default()).state;
    state.apps.reverse();
    state.wabas.reverse();
    state.templates.reverse();
    let rebuilt = export(&state)
        .build(&mut SeqMint::new(1), NOW)
        .expect("builds");
    normalize(&mut state);
    assert_eq!(rebuilt.state, state);
}

#[test]
fn assignments_and_number_life_roundtrip() {
    let mut state = demo(&mut SeqMint::default()).state;
    let user = state.system_users[0].clone();
    let waba = state.wabas[0].id;
    state
        .assignments
        .push(wamm_domain::assignment::WabaAssignment {
            waba_id: waba,
            user_id: user.id,
            business_id: user.business_id,
            tasks: vec!["MANAGE".into(), "DEVELOP".into()],
            assigned_at: Timestamp(1_700_000_000_000),
        });
    let phone = &mut state.phone_numbers[0];
    phone.life.code_verified = true;
    phone.life.profile.about = Some("Open daily".into());
    phone.life.profile.vertical = Some("RETAIL".into());
    phone.life.settings.user_identity_change = true;
    let file = export(&state);
    let yaml = file.to_yaml().expect("serialises");
    assert!(yaml.contains("assigned_wabas"), "{yaml}");
    let rebuilt = parse(&yaml)
        .expect("parses")
        .build(&mut SeqMint::new(1), NOW)
        .expect("builds");
    normalize(&mut state);
    assert_eq!(rebuilt.state, state);

    // An unknown task is refused where it is written.
    let bad = yaml.replacen("- DEVELOP", "- DANCE", 1);
    let err = parse(&bad)
        .expect("parses")
        .build(&mut SeqMint::new(1), NOW)
        .expect_err("unknown task");
    assert!(err.to_string().contains("assigned_wabas[0].tasks"), "{err}");
}

#[test]
fn json_form_of_the_demo_builds_identically() {
    let file = parse(DEMO_WORLD).expect("parses");
    let json = file.to_json().expect("serialises");
    assert_eq!(Format::sniff(&json), Format::Json);
    let reparsed = parse(&json).expect("json parses");
    assert_eq!(reparsed, file);
    let from_yaml = file.build(&mut SeqMint::new(9), NOW).expect("builds");
    let from_json = reparsed.build(&mut SeqMint::new(9), NOW).expect("builds");
    assert_eq!(from_yaml, from_json);
}

/// A small valid world the bad cases below break one line of.
const SMALL: &str = "format: wamm-world/1
apps:
  - key: connect
    name: Connect
    business: partner
    partner_type: BSP
businesses:
  - key: partner
    name: Partner
    country: US
  - key: client
    name: Client
    country: BR
    wabas:
      - key: main
        name: Main
        tax_country: BR
        partners:
          - business: partner
            access: SHARED
        templates:
          - name: summer_sale
            language: en_US
            category: MARKETING
            components: [{type: BODY, text: Hi}]
";

fn error_of(text: &str) -> WorldError {
    match parse(text).and_then(|file| file.build(&mut SeqMint::default(), NOW)) {
        Ok(_) => panic!("built fine:\n{text}"),
        Err(e) => e,
    }
}

#[test]
fn the_small_world_is_valid() {
    let loaded = parse(SMALL)
        .expect("parses")
        .build(&mut SeqMint::default(), NOW)
        .expect("builds");
    assert_eq!(loaded.state.templates.len(), 1);
}

#[test]
fn bad_files_name_the_field_path() {
    let template = "          - name: summer_sale
            language: en_US
            category: MARKETING
            components: [{type: BODY, text: Hi}]
";
    let cases: Vec<(String, &str, &str)> = vec![
        (
            SMALL.replace("        tax_country: BR", "        tax_contry: BR"),
            "businesses[1].wabas[0].tax_contry",
            "unknown field `tax_contry`",
        ),
        (
            SMALL.replace("        tax_country: BR", "        tax_country: XX1"),
            "businesses[1].wabas[0].tax_country",
            "'XX1' is not an ISO 3166-1 alpha-2 country code",
        ),
        (
            SMALL.replace("    business: partner", "    business: partnr"),
            "apps[0].business",
            "unknown business key 'partnr'",
        ),
        (
            SMALL.replace("  - key: client", "  - key: partner"),
            "businesses[1].key",
            "duplicate business key 'partner'",
        ),
        (
            format!("{SMALL}{template}"),
            "businesses[1].wabas[0].templates[1].name",
            "already defined at businesses[1].wabas[0].templates[0]",
        ),
        (
            format!("{SMALL}            message_send_ttl_seconds: 60\n"),
            "businesses[1].wabas[0].templates[0].message_send_ttl_seconds",
            "between 43200 and 2592000",
        ),
        (
            SMALL.replace("text: Hi}", "text: Hi}, {type: FOOTER}"),
            "businesses[1].wabas[0].templates[0].components[1].text",
            "text is required",
        ),
        (
            SMALL.replace("name: summer_sale", "name: Summer-Sale"),
            "businesses[1].wabas[0].templates[0].name",
            "lowercase",
        ),
        (
            SMALL.replace("            access: SHARED", "            access: SHAERD"),
            "businesses[1].wabas[0].partners[0].access",
            "unknown variant `SHAERD`",
        ),
        (
            SMALL.replace(
                "          - business: partner",
                "          - business: client",
            ),
            "businesses[1].wabas[0].partners[0].business",
            "owns this WABA",
        ),
        (
            SMALL.replace(
                "    partner_type: BSP\n",
                "    partner_type: BSP\n    id: 12ab\n",
            ),
            "apps[0].id",
            "not a Graph object ID",
        ),
        (
            SMALL.replace(
                "    country: US\n",
                "    country: US\n    created_at: last tuesday\n",
            ),
            "businesses[0].created_at",
            "not an RFC 3339 time",
        ),
        (
            SMALL
                .replace("    name: Main\n", "    name: Main\n        id: 7\n")
                .replace("    name: Connect\n", "    name: Connect\n    id: 7\n"),
            "businesses[1].wabas[0].id",
            "ID 7 is already used by apps[0]",
        ),
        (
            SMALL.replace("format: wamm-world/1\n", ""),
            "(root)",
            "missing field `format`",
        ),
    ];
    for (text, path, message) in cases {
        let err = error_of(&text);
        assert_eq!(err.path(), Some(path), "{err}\n{text}");
        assert!(err.to_string().starts_with(&format!("{path}: ")), "{err}");
        assert!(err.to_string().contains(message), "{err}");
    }
}

#[test]
fn yaml_syntax_errors_report_the_line() {
    let text = SMALL.replace("    country: US\n", "    country: [US\n");
    match error_of(&text) {
        WorldError::Syntax {
            line: Some(line), ..
        } => assert!((10..=13).contains(&line), "{line}"),
        other => panic!("{other:?}"),
    }
    let text = SMALL.replace(
        "    name: Partner\n",
        "    name: Partner\n   bad_indent: x\n",
    );
    let err = error_of(&text);
    assert!(
        matches!(err, WorldError::Syntax { line: Some(_), .. }),
        "{err:?}"
    );
    assert!(err.to_string().starts_with("line "), "{err}");
}

#[test]
fn plain_tokens_are_hashed_and_issued() {
    let text = SMALL.replace(
        "    country: US\n",
        "    country: US
    system_users:
      - name: Ops
        role: ADMIN
        tokens:
          - key: fixed
            app: connect
            token: EAAfixedtoken0000001234
            target_wabas: [main]
",
    );
    let loaded = parse(&text)
        .expect("parses")
        .build(&mut SeqMint::default(), NOW)
        .expect("builds");
    assert_eq!(loaded.issued.len(), 1);
    assert_eq!(loaded.issued[0].token, "EAAfixedtoken0000001234");
    let record = &loaded.state.tokens[0];
    assert_eq!(record.hash, hash_token("EAAfixedtoken0000001234"));
    assert_eq!(record.hint, "1234");
    assert_eq!(record.target_wabas.len(), 1);
    // The export keeps only the hash, and still rebuilds the same record.
    let exported = export(&loaded.state);
    let again = exported
        .build(&mut SeqMint::default(), NOW)
        .expect("builds");
    assert!(again.issued.is_empty());
    assert_eq!(again.state, loaded.state);

    let both = text.replace(
        "            token: EAAfixedtoken0000001234\n",
        "            token: EAAfixedtoken0000001234\n            token_sha256: abc\n",
    );
    assert_eq!(
        error_of(&both).path(),
        Some("businesses[0].system_users[0].tokens[0].token_sha256")
    );
}

#[test]
fn loose_tokens_roundtrip_through_the_top_level_list() {
    let mut state = parse(SMALL)
        .expect("parses")
        .build(&mut SeqMint::default(), NOW)
        .expect("builds")
        .state;
    let app_id = state.apps[0].id;
    state.tokens.push(wamm_domain::TokenRecord {
        hash: hash_token("an app token of sorts"),
        kind: TokenKind::App,
        app_id,
        business_id: None,
        user_id: None,
        scopes: Vec::new(),
        target_wabas: Vec::new(),
        target_ad_accounts: Vec::new(),
        issued_at: NOW,
        expires_at: Some(NOW.plus_seconds(3600)),
        revoked_at: None,
        hint: "orts".to_owned(),
    });
    let exported = export(&state);
    assert_eq!(exported.tokens.len(), 1);
    let rebuilt = exported
        .build(&mut SeqMint::default(), NOW)
        .expect("builds");
    assert_eq!(rebuilt.state, state);
    assert_eq!(WorldFile::default().format, wamm_world::FORMAT);
}

/// [`SMALL`] with app webhook subscriptions on two apps, written out of order.
fn with_webhooks() -> String {
    SMALL.replace(
        "    partner_type: BSP\n",
        "    partner_type: BSP
    webhooks:
      - object: whatsapp_business_account
        callback_url: https://hooks.partner.example/whatsapp
        verify_token: s3cret-verify
        fields: [account_update, messages, message_template_status_update]
        updated_at: 2025-10-07
      - object: business
        callback_url: http://localhost:9000/hooks?src=wamm
        verify_token: other
        fields: [security]
        active: false
  - key: second
    name: Second
    business: partner
    partner_type: BSP
    webhooks:
      - callback_url: https://second.example
        verify_token: v
        fields: [messages]
",
    )
}

#[test]
fn webhook_fields_are_sorted_and_distinct() {
    assert!(WEBHOOK_FIELDS.windows(2).all(|w| w[0] < w[1]));
    assert_eq!(WEBHOOK_FIELDS.len(), 22);
    assert!(WEBHOOK_FIELDS.contains(&"messages"));
}

#[test]
fn app_webhooks_build_and_roundtrip() {
    let text = with_webhooks();
    let loaded = parse(&text)
        .expect("parses")
        .build(&mut SeqMint::default(), NOW)
        .expect("builds");
    let state = &loaded.state;
    let subs = &state.app_subscriptions;
    assert_eq!(subs.len(), 3);
    // Sorted by (app, object).
    assert!(
        subs.windows(2)
            .all(|w| (w[0].app_id, &w[0].object) < (w[1].app_id, &w[1].object))
    );
    let connect = state
        .apps
        .iter()
        .find(|a| a.name == "Connect")
        .expect("connect")
        .id;
    let second = state
        .apps
        .iter()
        .find(|a| a.name == "Second")
        .expect("second")
        .id;
    let find = |app, object: &str| {
        subs.iter()
            .find(|s| s.app_id == app && s.object == object)
            .unwrap_or_else(|| panic!("{object}"))
    };
    let waba = find(connect, "whatsapp_business_account");
    assert_eq!(waba.callback_url, "https://hooks.partner.example/whatsapp");
    assert_eq!(waba.verify_token, "s3cret-verify");
    assert_eq!(
        waba.fields,
        [
            "account_update",
            "messages",
            "message_template_status_update"
        ]
    );
    assert!(waba.active);
    assert!(waba.wants("messages"));
    assert_eq!(Some(waba.updated_at), Timestamp::parse("2025-10-07"));
    let business = find(connect, "business");
    assert!(!business.active);
    assert!(!business.wants("security"));
    assert_eq!(business.updated_at, NOW);
    // The object defaults to whatsapp_business_account, and active to true.
    let defaulted = find(second, "whatsapp_business_account");
    assert!(defaulted.active);
    assert_eq!(defaulted.fields, ["messages"]);

    // Export and rebuild, directly and through YAML and JSON text.
    let exported = export(state);
    let rebuilt = exported
        .build(&mut SeqMint::new(1), Timestamp::from_millis(0))
        .expect("export builds");
    assert_eq!(&rebuilt.state, state);
    for text in [
        exported.to_yaml().expect("yaml"),
        exported.to_json().expect("json"),
    ] {
        let reparsed = parse(&text).expect("export parses");
        assert_eq!(reparsed, exported);
        let rebuilt = reparsed.build(&mut SeqMint::new(1), NOW).expect("builds");
        assert_eq!(&rebuilt.state, state);
    }

    // A state in any order exports to the normalized one.
    let mut shuffled = state.clone();
    shuffled.app_subscriptions.reverse();
    let rebuilt = export(&shuffled)
        .build(&mut SeqMint::new(1), NOW)
        .expect("builds");
    normalize(&mut shuffled);
    assert_eq!(rebuilt.state, shuffled);
    assert_eq!(&shuffled, state);
}

#[test]
fn worlds_without_webhooks_export_none() {
    let loaded = demo(&mut SeqMint::default());
    assert!(loaded.state.app_subscriptions.is_empty());
    let yaml = export(&loaded.state).to_yaml().expect("serialises");
    assert!(!yaml.contains("webhooks"), "{yaml}");
}

#[test]
fn bad_webhooks_name_the_field_path() {
    let text = with_webhooks();
    let cases: Vec<(String, &str, &str)> = vec![
        (
            text.replace(
                "https://hooks.partner.example/whatsapp",
                "hooks.partner.example/whatsapp",
            ),
            "apps[0].webhooks[0].callback_url",
            "not an http:// or https:// URL",
        ),
        (
            text.replace("https://second.example", "https:///path"),
            "apps[1].webhooks[0].callback_url",
            "has no host",
        ),
        (
            text.replace(
                "[account_update, messages, message_template_status_update]",
                "[account_update, mesages]",
            ),
            "apps[0].webhooks[0].fields[1]",
            "unknown webhook field 'mesages'",
        ),
        (
            text.replace("fields: [security]", "fields: []"),
            "apps[0].webhooks[1].fields",
            "at least one field",
        ),
        (
            text.replace("fields: [security]", "fields: [security, calls, security]"),
            "apps[0].webhooks[1].fields[2]",
            "already listed at apps[0].webhooks[1].fields[0]",
        ),
        (
            text.replace("object: business", "object: whatsapp_business_account"),
            "apps[0].webhooks[1].object",
            "already subscribes to 'whatsapp_business_account' at apps[0].webhooks[0]",
        ),
        (
            // The default object counts too.
            text.replace("fields: [messages]\n", "fields: [messages]\n      - callback_url: https://x.example\n        verify_token: t\n        fields: [calls]\n"),
            "apps[1].webhooks[1].object",
            "already subscribes to 'whatsapp_business_account' at apps[1].webhooks[0]",
        ),
        (
            text.replace("verify_token: other", "verify_token: ''"),
            "apps[0].webhooks[1].verify_token",
            "must not be empty",
        ),
        (
            text.replace("        verify_token: v\n", ""),
            "apps[1].webhooks[0]",
            "missing field `verify_token`",
        ),
        (
            text.replace("        fields: [messages]\n", ""),
            "apps[1].webhooks[0]",
            "missing field `fields`",
        ),
        (
            text.replace("        active: false\n", "        activ: false\n"),
            "apps[0].webhooks[1].activ",
            "unknown field `activ`",
        ),
        (
            text.replace("object: business", "object: Business Account"),
            "apps[0].webhooks[1].object",
            "not a webhook object",
        ),
    ];
    for (text, path, message) in cases {
        let err = error_of(&text);
        assert_eq!(err.path(), Some(path), "{err}\n{text}");
        assert!(err.to_string().starts_with(&format!("{path}: ")), "{err}");
        assert!(err.to_string().contains(message), "{err}");
    }
}

#[test]
fn rate_cards_and_confirmed_insights_roundtrip_and_bad_rates_are_refused() {
    let text = format!(
        "{DEMO_WORLD}\nrate_card:\n  currency: EUR\n  countries:\n    BR: {{ marketing: 0.06, utility: 0.007, authentication: 0.03 }}\n  other: {{ marketing: 0.05, utility: 0.006, authentication: 0.006 }}\n"
    );
    let loaded = parse(&text)
        .expect("parses")
        .build(&mut SeqMint::default(), NOW)
        .expect("builds");
    let card = loaded.state.rate_card.clone().expect("the card is kept");
    assert_eq!(card.currency, "EUR");
    assert_eq!(
        card.price_micros("BR", wamm_domain::metrics::PricingCategory::MarketingLite),
        60_000
    );
    let bakery = wabas_of(&loaded.state, "Jasper's Bakery")[0];
    assert_eq!(
        bakery.insights_enabled_at,
        Timestamp::parse("2024-06-01"),
        "the demo's bakery has confirmed template insights"
    );
    let rebuilt = export(&loaded.state)
        .build(&mut SeqMint::new(1), NOW)
        .expect("export builds");
    assert_eq!(rebuilt.state.rate_card, loaded.state.rate_card);
    assert_eq!(rebuilt.state, loaded.state);
    // The demo itself keeps the default card.
    assert_eq!(demo(&mut SeqMint::default()).state.rate_card, None);
    let bad = text.replace("marketing: 0.05", "marketing: -1");
    match parse(&bad)
        .expect("parses")
        .build(&mut SeqMint::default(), NOW)
    {
        Err(WorldError::Invalid { path, message }) => {
            assert_eq!(path, "rate_card");
            assert!(message.contains("other.marketing"), "{message}");
        }
        other => panic!("a negative rate is refused, not {other:?}"),
    }
}

#[test]
fn pixels_belong_to_their_business_and_roundtrip() {
    let loaded = demo(&mut SeqMint::default());
    let bakery = business(&loaded.state, "Jasper's Bakery").id;
    let pixels: Vec<_> = loaded
        .state
        .pixels
        .iter()
        .filter(|p| p.owner_business_id == bakery)
        .collect();
    assert_eq!(pixels.len(), 1, "the demo's bakery owns one pixel");
    assert_eq!(pixels[0].domains, vec!["jaspersbakery.example".to_owned()]);
    assert!(!pixels[0].dataset);
    let taken: HashSet<u64> = loaded
        .state
        .businesses
        .iter()
        .map(|b| b.id.get())
        .chain(loaded.state.wabas.iter().map(|w| w.id.get()))
        .chain(loaded.state.templates.iter().map(|t| t.id.get()))
        .collect();
    assert!(pixels[0].id.get() != 0 && !taken.contains(&pixels[0].id.get()));
    let rebuilt = export(&loaded.state)
        .build(&mut SeqMint::new(1), NOW)
        .expect("export builds");
    assert_eq!(rebuilt.state.pixels, loaded.state.pixels);
    assert_eq!(rebuilt.state, loaded.state);
    // Adding a pixel changes no other generated value.
    let without = parse(DEMO_WORLD)
        .map(|mut file| {
            for b in &mut file.businesses {
                b.pixels.clear();
            }
            file
        })
        .expect("parses")
        .build(&mut SeqMint::default(), NOW)
        .expect("builds");
    let mut with = loaded.state.clone();
    with.pixels.clear();
    assert_eq!(with, without.state);
}

#[test]
fn bad_pixels_are_refused_with_their_path() {
    let world = |pixels: &str| {
        format!(
            "format: wamm-world/1\nbusinesses:\n  - key: b\n    name: B\n    country: US\n    pixels:\n{pixels}"
        )
    };
    for (pixels, at) in [
        ("      - { name: \"\" }\n", "businesses[0].pixels[0].name"),
        (
            "      - { name: P, domains: [\"https://shop.example/\"] }\n",
            "businesses[0].pixels[0].domains[0]",
        ),
        (
            "      - { name: P, dataset: true }\n      - { name: Q, dataset: true }\n",
            "businesses[0].pixels[1].dataset",
        ),
        (
            "      - { key: p, name: P }\n      - { key: p, name: Q }\n",
            "businesses[0].pixels[1].key",
        ),
        (
            "      - { id: \"77\", name: P }\n      - { id: \"77\", name: Q }\n",
            "businesses[0].pixels[1].id",
        ),
    ] {
        match parse(&world(pixels))
            .expect("parses")
            .build(&mut SeqMint::default(), NOW)
        {
            Err(WorldError::Invalid { path, .. }) => assert_eq!(path, at, "{pixels}"),
            other => panic!("{pixels}: expected a refusal at {at}, got {other:?}"),
        }
    }
    let ok = parse(&world(
        "      - { id: \"77\", name: P, domains: [Shop.Example], dataset: true }\n",
    ))
    .expect("parses")
    .build(&mut SeqMint::default(), NOW)
    .expect("builds");
    assert_eq!(ok.state.pixels[0].id.get(), 77);
    assert_eq!(ok.state.pixels[0].domains, vec!["shop.example".to_owned()]);
}
