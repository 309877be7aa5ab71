//! A small world with every kind of entity, and builders for single entities.

use serde_json::json;
use wamm_domain::{
    AccessLevel, App, AppPermission, AppSubscription, Attempt, Business, BusinessRole,
    DeliveryResult, NewEmail, NewEvent, NewWebhook, OnboardingRequest, Outcome, PartnerAccess,
    PartnerType, Permission, Person, PhoneNumber, QualityRating, RequestStatus, SystemUser,
    Template, TemplateCategory, TemplateStatus, TermsSigned, ThroughputLevel, Timestamp, TokenKind,
    TokenRecord, Waba, WabaPartner, WabaStatus, WabaSubscription, WorldState,
};
use wamm_domain::{MigrationIntent, country::Country};
use wamm_wire::ids::{
    AppId, BusinessId, PhoneNumberId, RequestId, SolutionId, TemplateId, UserId, WabaId,
};

/// The partner (BSP) business.
pub const PARTNER: BusinessId = BusinessId::new(1_000_000_000_001);
/// A client business.
pub const CLIENT: BusinessId = BusinessId::new(1_000_000_000_002);
/// The partner's app.
pub const APP: AppId = AppId::new(2_000_000_000_001);
/// The client's WABA, shared with the partner.
pub const WABA: WabaId = WabaId::new(3_000_000_000_001);

fn country(code: &str) -> Country {
    code.parse().expect("country code")
}

/// A business portfolio.
pub fn business(id: BusinessId, name: &str) -> Business {
    Business {
        id,
        name: name.to_owned(),
        country: country("US"),
        verification_status: "verified".to_owned(),
        people: vec![Person {
            id: UserId::new(id.get() + 500),
            name: format!("{name} admin"),
            email: "admin@example.com".to_owned(),
            role: BusinessRole::Admin,
        }],
        mm_terms: Some(TermsSigned {
            at: Timestamp::from_millis(1_700_000_000_000),
            by: None,
        }),
        created_at: Timestamp::from_millis(1_690_000_000_000),
    }
}

/// An app owned by `business`.
pub fn app(id: AppId, business: BusinessId) -> App {
    App {
        id,
        name: format!("app {id}"),
        secret: "s3cret".to_owned(),
        business_id: business,
        partner_type: PartnerType::Bsp,
        require_app_secret: true,
        mm_enrolment: None,
        review_requests: Vec::new(),
        login_configs: Vec::new(),
        permissions: vec![
            AppPermission {
                permission: Permission::WhatsappBusinessManagement,
                access: AccessLevel::Advanced,
            },
            AppPermission {
                permission: Permission::AdsRead,
                access: AccessLevel::Standard,
            },
        ],
    }
}

/// A system user of `business`.
pub fn system_user(id: UserId, business: BusinessId) -> SystemUser {
    SystemUser {
        id,
        business_id: business,
        name: format!("su {id}"),
        role: BusinessRole::Admin,
    }
}

/// A WABA owned by `owner`, held by `partners` (shared).
pub fn waba(id: WabaId, owner: BusinessId, partners: &[BusinessId]) -> Waba {
    Waba {
        id,
        name: format!("waba {id}"),
        owner_business_id: owner,
        tax_country: country("BR"),
        status: WabaStatus::Active,
        currency: "USD".to_owned(),
        timezone_id: "1".to_owned(),
        message_template_namespace: "ns_1".to_owned(),
        payment_method: true,
        partners: partners
            .iter()
            .map(|&business_id| WabaPartner {
                business_id,
                access: PartnerAccess::Shared,
                migration_intent: None,
            })
            .collect(),
        solution_id: None,
        mm_setup_complete_at: Some(Timestamp::from_millis(1_700_000_100_000)),
        message_activity_sharing: false,
        ad_account_id: None,
        disabled_ad_account_id: None,
        mm_setup_webhook_pending: false,
        mm_offboarded_at: None,
        insights_enabled_at: None,
        created_at: Timestamp::from_millis(1_695_000_000_000),
    }
}

/// A phone number on `waba`.
pub fn phone_number(id: PhoneNumberId, waba: WabaId) -> PhoneNumber {
    PhoneNumber {
        id,
        waba_id: waba,
        display_phone_number: "+1 555-010-0101".to_owned(),
        verified_name: "Acme".to_owned(),
        registered: true,
        throughput: ThroughputLevel::Standard,
        coexistence: false,
        quality_rating: QualityRating::Green,
        life: Default::default(),
    }
}

/// A template on `waba`.
pub fn template(id: TemplateId, waba: WabaId, name: &str, language: &str) -> Template {
    Template {
        id,
        waba_id: waba,
        name: name.to_owned(),
        language: language.to_owned(),
        category: TemplateCategory::Marketing,
        status: TemplateStatus::Approved,
        parameter_format: "POSITIONAL".to_owned(),
        components: json!([{ "type": "BODY", "text": "Hello {{1}}", "example": { "body_text": [["Ana"]] } }]),
        message_send_ttl_seconds: Some(3600),
        ad: None,
        created_at: Timestamp::from_millis(1_700_000_200_000),
    }
}

/// A token record issued to `app`.
pub fn token(hash: &str, app: AppId, business: Option<BusinessId>) -> TokenRecord {
    TokenRecord {
        hash: hash.to_owned(),
        kind: TokenKind::SystemUser,
        app_id: app,
        business_id: business,
        user_id: Some(UserId::new(4_000_000_000_001)),
        scopes: vec![
            Permission::WhatsappBusinessManagement,
            Permission::BusinessManagement,
        ],
        target_wabas: vec![WABA],
        target_ad_accounts: Vec::new(),
        issued_at: Timestamp::from_millis(1_700_000_300_000),
        expires_at: None,
        revoked_at: None,
        hint: hash.chars().rev().take(4).collect(),
    }
}

/// `app` subscribed to `waba`.
pub fn subscription(waba: WabaId, app: AppId) -> WabaSubscription {
    WabaSubscription {
        waba_id: waba,
        app_id: app,
        override_callback_uri: Some("https://example.com/hook".to_owned()),
        verify_token: Some("verify".to_owned()),
        subscribed_at: Timestamp::from_millis(1_700_000_400_000),
    }
}

/// `app`'s webhook subscription for `object`.
pub fn app_subscription(app: AppId, object: &str) -> AppSubscription {
    AppSubscription {
        app_id: app,
        object: object.to_owned(),
        callback_url: format!("https://example.com/{app}/{object}"),
        verify_token: "verify".to_owned(),
        fields: vec!["account_update".to_owned(), "messages".to_owned()],
        active: true,
        updated_at: Timestamp::from_millis(1_700_000_450_000),
    }
}

/// The `n`th webhook of a test, happening at `time_ms`.
pub fn webhook(n: u64, time_ms: i64) -> NewWebhook {
    NewWebhook {
        app_id: APP,
        endpoint: "https://example.com/hook".to_owned(),
        object_id: WABA.to_string(),
        field: "account_update".to_owned(),
        value: json!({ "n": n, "event": "VERIFIED_ACCOUNT", "nested": { "ok": true } }),
        time: Timestamp::from_millis(time_ms),
        include_time: n.is_multiple_of(2),
    }
}

/// Attempt number `attempt` of outbox row `outbox_id`, at `at`, answered with `status_code`
/// (a 2xx is a success; anything else, or no answer, an error).
pub fn attempt(outbox_id: i64, attempt: u32, at: i64, status_code: Option<u16>) -> Attempt {
    let error = match status_code {
        Some(code) if (200..300).contains(&code) => None,
        Some(code) => Some(format!("HTTP {code}")),
        None => Some("timeout".to_owned()),
    };
    Attempt {
        outbox_id,
        attempt,
        at: Timestamp::from_millis(at),
        duration_ms: 12,
        status_code,
        error,
        response_snippet: status_code.map_or_else(String::new, |c| format!("answer {c}")),
    }
}

/// The result of `attempt`, followed by `outcome`.
pub fn result(attempt: Attempt, outcome: Outcome) -> DeliveryResult {
    DeliveryResult {
        attempt,
        outcome,
        lease_until: None,
    }
}

/// An onboarding request from the partner to `client`, reminded at `next_reminder_ms` while
/// pending.
pub fn request(
    id: u64,
    client: BusinessId,
    status: RequestStatus,
    next_reminder_ms: Option<i64>,
) -> OnboardingRequest {
    let decided = status != RequestStatus::Pending;
    OnboardingRequest {
        id: RequestId::new(id),
        client_business_id: client,
        partner_business_id: PARTNER,
        app_id: APP,
        solution_id: Some(SolutionId::new(9_000_000_000_001)),
        status,
        created_at: Timestamp::from_millis(1_700_000_700_000),
        decided_at: decided.then(|| Timestamp::from_millis(1_700_000_800_000)),
        decided_by: decided.then_some(UserId::new(4_000_000_000_002)),
        obo_intents_set: vec![WabaId::new(3_000_000_000_002)],
        reminders_sent: 1,
        next_reminder_at: next_reminder_ms.map(Timestamp::from_millis),
    }
}

/// Email number `n` to `to`, about `request` when given.
pub fn email(n: i64, to: &str, request: Option<u64>) -> NewEmail {
    NewEmail {
        to: to.to_owned(),
        business_id: CLIENT,
        request_id: request.map(RequestId::new),
        subject: format!("Subject {n}"),
        body: format!("Body {n}\nwith a second line"),
        link: format!("http://localhost/console/requests/{n}"),
        sent_at: Timestamp::from_millis(1_700_000_900_000 + n),
    }
}

/// An event about `subject`.
pub fn event(subject: &str) -> NewEvent {
    NewEvent {
        at: Timestamp::from_millis(1_700_000_500_000),
        kind: "test.happened".to_owned(),
        subject: subject.to_owned(),
        detail: json!({ "subject": subject, "n": [1, 2, 3] }),
    }
}

/// A world with every kind of entity, each list sorted as `export_world` returns it.
pub fn world() -> WorldState {
    let mut obo = waba(WabaId::new(3_000_000_000_002), CLIENT, &[]);
    obo.partners.push(WabaPartner {
        business_id: PARTNER,
        access: PartnerAccess::Obo,
        migration_intent: Some(MigrationIntent {
            set_at: Timestamp::from_millis(1_700_000_600_000),
            solution_id: Some(SolutionId::new(9_000_000_000_001)),
        }),
    });
    obo.status = WabaStatus::Restricted;
    WorldState {
        apps: vec![
            app(APP, PARTNER),
            app(AppId::new(2_000_000_000_002), CLIENT),
        ],
        businesses: vec![business(PARTNER, "Partner"), business(CLIENT, "Client")],
        system_users: vec![
            system_user(UserId::new(4_000_000_000_001), PARTNER),
            system_user(UserId::new(4_000_000_000_002), CLIENT),
        ],
        wabas: vec![waba(WABA, CLIENT, &[PARTNER]), obo],
        phone_numbers: vec![
            {
                // A number with a life after signup: its document carries it back.
                let mut p = phone_number(PhoneNumberId::new(5_000_000_000_001), WABA);
                p.life.code_verified = true;
                p.life.profile.about = Some("Open daily".into());
                p.life.profile.websites = vec!["https://a.test".into()];
                p.life.settings.storage_region = Some("us".into());
                p
            },
            phone_number(PhoneNumberId::new(5_000_000_000_002), WABA),
        ],
        templates: vec![
            template(TemplateId::new(6_000_000_000_001), WABA, "welcome", "en_US"),
            template(TemplateId::new(6_000_000_000_002), WABA, "welcome", "pt_BR"),
        ],
        tokens: vec![
            token("0a1b2c3d", APP, Some(CLIENT)),
            token("ffee0011", APP, None),
        ],
        subscriptions: vec![
            subscription(WABA, APP),
            subscription(WabaId::new(3_000_000_000_002), APP),
        ],
        app_subscriptions: vec![
            app_subscription(APP, "application"),
            app_subscription(APP, "whatsapp_business_account"),
            app_subscription(AppId::new(2_000_000_000_002), "whatsapp_business_account"),
        ],
        assignments: vec![assignment(WABA, UserId::new(4_000_000_000_001), PARTNER)],
        pixels: vec![
            pixel(8_000_000_000_001, CLIENT, false),
            pixel(8_000_000_000_002, CLIENT, true),
        ],
        // A rate card of the world's own, kept as a setting beside the tables.
        rate_card: Some(wamm_domain::metrics::RateCard {
            currency: "EUR".into(),
            ..wamm_domain::metrics::RateCard::default()
        }),
    }
}

/// A pixel of `owner`; `dataset` when `POST /{waba-id}/dataset` made it.
pub fn pixel(id: u64, owner: BusinessId, dataset: bool) -> wamm_domain::capi::Pixel {
    wamm_domain::capi::Pixel {
        id: wamm_wire::ids::PixelId::new(id),
        name: format!("Pixel {id}"),
        owner_business_id: owner,
        domains: if dataset {
            Vec::new()
        } else {
            vec!["shop.example".to_owned()]
        },
        dataset,
        created_at: Timestamp::from_millis(1_700_000_000_000),
    }
}

/// `user` (of `business`) assigned to `waba` with `MANAGE`.
pub fn assignment(
    waba: WabaId,
    user: UserId,
    business: BusinessId,
) -> wamm_domain::assignment::WabaAssignment {
    wamm_domain::assignment::WabaAssignment {
        waba_id: waba,
        user_id: user,
        business_id: business,
        tasks: vec!["MANAGE".into()],
        assigned_at: Timestamp::from_millis(1_700_000_900_000),
    }
}

/// A message to `to` on [`WABA`] with two steps planned (`sent` at 1 s, `delivered` at 2 s).
pub fn message(id: &str, to: &str) -> wamm_domain::Message {
    use wamm_domain::sending::{Route, Step};
    wamm_domain::Message {
        id: id.to_owned(),
        phone_number_id: PhoneNumberId::new(5_000_000_000_001),
        waba_id: WABA,
        app_id: APP,
        to: to.to_owned(),
        route: Route::MarketingLite,
        category: Some(TemplateCategory::Marketing),
        template_id: None,
        biz_opaque_callback_data: None,
        graph_major: 23,
        accepted_at: Timestamp::from_millis(0),
        status: None,
        steps_done: 0,
        plan: vec![
            (Timestamp::from_millis(1_000), Step::Sent),
            (Timestamp::from_millis(2_000), Step::Delivered),
        ],
        timezone_id: None,
    }
}

/// An ACTIVE solution of `owner` (app 1 of `PARTNER`) with `partner` (app 2 of `CLIENT`).
pub fn solution(id: u64, owner: AppId, partner: AppId) -> wamm_domain::solution::Solution {
    use wamm_domain::solution::{PartnerStatus, PendingRequest, Solution, SolutionStatus};
    Solution {
        id: SolutionId::new(id),
        name: format!("Solution {id}"),
        owner_app_id: owner,
        owner_business_id: PARTNER,
        partner_app_id: partner,
        partner_business_id: CLIENT,
        owner_messaging: true,
        status: SolutionStatus::Active,
        pending: PendingRequest::None,
        partner_status: PartnerStatus::Accepted,
        deactivation_requested_by: None,
        created_at: Timestamp(1_000),
        updated_at: Timestamp(1_000),
    }
}

/// A migration intent of `waba` onto solution `solution`, in `status`.
pub fn migration(
    id: u64,
    waba: WabaId,
    solution: u64,
    status: wamm_domain::solution::MigrationStatus,
    scheduled_at: Option<i64>,
) -> wamm_domain::solution::SolutionMigration {
    wamm_domain::solution::SolutionMigration {
        id: wamm_wire::ids::MigrationIntentId::new(id),
        waba_id: waba,
        solution_id: SolutionId::new(solution),
        client_business_id: CLIENT,
        partner_business_id: PARTNER,
        app_id: APP,
        status,
        reason: Some("move".into()),
        scheduled_at: scheduled_at.map(Timestamp),
        cancelled: false,
        decided_by: None,
        created_at: Timestamp(1_000),
        updated_at: Timestamp(1_000),
    }
}
