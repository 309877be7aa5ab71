//! Embedded Signup's end: what the client chose in the popup becomes a person, a business
//! (with the MM API terms when accepted), a WABA shared with the partner and a phone number,
//! the partner app's business integration system user, a single-use code, the MM API setup
//! and the partner's `account_update` webhooks, in one commit; then the code's exchange for
//! the business token.

use serde_json::{Value, json};
use subtle::ConstantTimeEq;
use wamm_domain::signup::{FinishEvent, FlowOptions, finish_event};
use wamm_domain::{
    App, AuthCode, Business, BusinessRole, NewEvent, PartnerAccess, PartnerType, Permission,
    Person, RequestStatus, SystemUser, TermsSigned, WabaPartner,
};
use wamm_store::{ChangeSet, Conflict, Guard, Put, StoreError};
use wamm_wire::GraphError;
use wamm_wire::ids::{BusinessId, PhoneNumberId, UserId, WabaId};
use wamm_wire::webhooks as wire;
use wamm_world::{Mint, hash_token};

use super::Error;
use crate::context::Platform;
use crate::webhooks::fanout;

/// How long a code stays exchangeable.
pub const CODE_TTL_SECONDS: i64 = 30;

/// Who logged in.
#[derive(Debug, Clone)]
pub enum PersonChoice {
    /// A new Facebook account.
    New {
        /// Name.
        name: String,
        /// Email.
        email: String,
    },
    /// A person the platform knows.
    Existing(Person),
}

/// The business portfolio chosen.
#[derive(Debug, Clone)]
pub enum BusinessChoice {
    /// A new portfolio.
    New {
        /// Name.
        name: String,
        /// Country code (US when missing or unknown).
        country: Option<String>,
    },
    /// One the person administers.
    Existing(Business),
}

/// The WABA chosen.
#[derive(Debug, Clone)]
pub enum WabaChoice {
    /// A new WABA of that name.
    New {
        /// Name.
        name: String,
    },
    /// One the business owns.
    Existing(WabaId),
}

/// The phone number chosen.
#[derive(Debug, Clone)]
pub enum PhoneChoice {
    /// A new number (or, in the coexistence flow, the WhatsApp Business app's number).
    New {
        /// As displayed.
        display_phone_number: String,
        /// Display name (the business's name when missing).
        verified_name: Option<String>,
    },
    /// A number the WABA already has.
    Existing(PhoneNumberId),
    /// None now.
    Skip,
}

/// Everything the popup collected.
#[derive(Debug, Clone)]
pub struct Choices {
    /// The partner's app.
    pub app: App,
    /// The Login for Business configuration's ID.
    pub config_id: u64,
    /// The permissions the configuration grants the business token.
    pub scopes: Vec<Permission>,
    /// The flow's options (coexistence, terms offered, session events).
    pub options: FlowOptions,
    /// Who.
    pub person: PersonChoice,
    /// Which business.
    pub business: BusinessChoice,
    /// Whether the MM API terms were accepted.
    pub accept_terms: bool,
    /// Which WABA.
    pub waba: WabaChoice,
    /// Which number.
    pub phone: PhoneChoice,
    /// The redirect URI the code is bound to (redirect flow only).
    pub code_redirect_uri: Option<String>,
}

/// What the popup hands back.
#[derive(Debug, Clone)]
pub struct Finished {
    /// The single-use code (plain; only its hash is stored).
    pub code: String,
    /// The person who logged in.
    pub person: UserId,
    /// The session event's `data`: `waba_id`, `business_id`, `phone_number_id`.
    pub data: Value,
    /// The session event.
    pub event: FinishEvent,
}

/// The name of the business integration system user an app gets in each client business.
fn integration_user_name(app: &App) -> String {
    format!("{} (business integration)", app.name)
}

/// Commits what the client chose.
pub async fn finish(platform: &Platform, choices: Choices) -> Result<Finished, StoreError> {
    let now = platform.clock.now();
    // A person, a business, a system user, a phone on an existing WABA and a code (a new
    // WABA and its setup reserve their own).
    let mut block = platform.minter.block(5).await?;
    let person = match choices.person {
        PersonChoice::New { name, email } => Person {
            id: UserId::new(block.next_id()),
            name,
            email,
            role: BusinessRole::Admin,
        },
        PersonChoice::Existing(p) => p,
    };
    let mut changes = ChangeSet::new();
    let (mut business, created_business) = match choices.business {
        BusinessChoice::Existing(b) => (b, false),
        BusinessChoice::New { name, country } => (
            Business {
                id: BusinessId::new(block.next_id()),
                name,
                country: country
                    .and_then(|c| c.to_ascii_uppercase().parse().ok())
                    .unwrap_or_else(|| "US".parse().expect("invariant: US is a country")),
                verification_status: "not_verified".into(),
                people: vec![Person {
                    role: BusinessRole::Admin,
                    ..person.clone()
                }],
                mm_terms: None,
                created_at: now,
            },
            true,
        ),
    };
    let signs_terms = business.mm_terms.is_none() && choices.accept_terms;
    if signs_terms {
        business.mm_terms = Some(TermsSigned {
            at: now,
            by: Some(person.id),
        });
        changes = changes.event(NewEvent {
            at: now,
            kind: "business.mm_terms_signed".into(),
            subject: format!("business:{}", business.id),
            detail: json!({ "by": person.id.to_string(), "via": "embedded_signup" }),
        });
        if let Some(mut pending) = super::onboard::pending_request(platform, business.id).await? {
            pending.status = RequestStatus::Accepted;
            pending.decided_at = Some(now);
            pending.decided_by = Some(person.id);
            pending.next_reminder_at = None;
            changes = changes.put(Put::Request(pending));
        }
    }
    let app = &choices.app;
    let partner = app.business_id;
    let coexistence = choices.options.coexistence;
    let new_phone = match &choices.phone {
        PhoneChoice::New {
            display_phone_number,
            verified_name,
        } => Some(super::assets::PhoneSpec {
            display_phone_number: display_phone_number.clone(),
            verified_name: verified_name
                .clone()
                .unwrap_or_else(|| business.name.clone()),
            coexistence,
        }),
        PhoneChoice::Existing(_) | PhoneChoice::Skip => None,
    };
    let (waba_id, phone_id) = match choices.waba {
        WabaChoice::New { name } => {
            let mut spec = super::assets::WabaSpec::named(name);
            spec.shared_with = Some(partner);
            let phone = new_phone;
            let added = super::assets::add_waba(platform, &business, spec, phone, now).await?;
            changes = changes.merge(added.changes);
            (added.waba, added.phone_number)
        }
        WabaChoice::Existing(id) => {
            let mut waba = platform
                .store
                .waba(id)
                .await?
                .ok_or_else(|| StoreError::Invalid(format!("no WABA {id}")))?;
            if waba.partner(partner).is_none() {
                waba.partners.push(WabaPartner {
                    business_id: partner,
                    access: PartnerAccess::Shared,
                    migration_intent: None,
                });
            }
            let phone_id = match (new_phone, &choices.phone) {
                (Some(spec), _) => {
                    // A newly connected number brings an offboarded WABA back.
                    waba.mm_offboarded_at = None;
                    let number = super::assets::new_phone(&mut block, waba.id, spec);
                    let id = number.id;
                    changes = changes.put(Put::PhoneNumber(number));
                    Some(id)
                }
                (None, PhoneChoice::Existing(p)) => Some(*p),
                (None, _) => None,
            };
            let id = waba.id;
            changes = changes.merge(
                super::setup::put_waba(
                    platform,
                    waba,
                    &business,
                    now,
                    "connected through Embedded Signup",
                )
                .await?,
            );
            (id, phone_id)
        }
    };
    if signs_terms {
        changes = changes.merge(
            super::setup::start_for_business(platform, &business, now, Some(waba_id)).await?,
        );
    }
    if !created_business && !business.people.iter().any(|p| p.id == person.id) {
        business.people.push(person.clone());
    }
    // The app's business integration system user in the client business.
    let user_name = integration_user_name(app);
    let system_user = match platform
        .store
        .system_users_of(business.id)
        .await?
        .into_iter()
        .find(|u| u.name == user_name)
    {
        Some(u) => u,
        None => {
            let u = SystemUser {
                id: UserId::new(block.next_id()),
                business_id: business.id,
                name: user_name,
                role: BusinessRole::Admin,
            };
            changes = changes.put(Put::SystemUser(u.clone()));
            u
        }
    };
    let plain = format!("AQ{}", &block.new_token()[4..]);
    let code = AuthCode {
        hash: hash_token(&plain),
        app_id: app.id,
        config_id: Some(choices.config_id),
        business_id: business.id,
        system_user_id: system_user.id,
        wabas: vec![waba_id],
        scopes: choices.scopes.clone(),
        redirect_uri: choices.code_redirect_uri.clone(),
        issued_at: now,
        expires_at: now.plus_seconds(CODE_TTL_SECONDS),
        used_at: None,
    };
    // The partner hears that its app was installed (and, for Solution Partners, that it was
    // added to the WABA) on its app-level `account_update` subscription.
    let targets = fanout::app_targets(platform, app.id, "account_update").await?;
    let update = |event: wire::AccountEvent, partner_app_id: Option<String>| {
        wire::to_value(&wire::AccountUpdate {
            waba_info: Some(wire::WabaInfo {
                waba_id: Some(waba_id.to_string()),
                owner_business_id: Some(business.id.to_string()),
                partner_app_id,
                ..wire::WabaInfo::default()
            }),
            ..wire::AccountUpdate::new(event)
        })
    };
    let mut values = vec![update(
        wire::AccountEvent::PartnerAppInstalled,
        Some(app.id.to_string()),
    )];
    if app.partner_type == PartnerType::Bsp {
        values.push(update(wire::AccountEvent::PartnerAdded, None));
    }
    for value in &values {
        changes = changes.webhooks(fanout::deliveries(
            &targets,
            waba_id,
            "account_update",
            value,
            now,
        ));
    }
    let finish = finish_event(&choices.options, phone_id.is_some());
    let mut data =
        json!({ "waba_id": waba_id.to_string(), "business_id": business.id.to_string() });
    if let Some(p) = phone_id {
        data["phone_number_id"] = json!(p.to_string());
    }
    changes = changes
        .event(NewEvent {
            at: now,
            kind: "embedded_signup.finished".into(),
            subject: format!("business:{}", business.id),
            detail: json!({
                "app_id": app.id.to_string(),
                "config_id": choices.config_id.to_string(),
                "event": finish.as_str(),
                "data": data,
                "mm_terms_signed": signs_terms,
            }),
        })
        .put(Put::AuthCode(code));
    // The business goes first: the WABA's setup reads as of the same transaction.
    changes.puts.insert(0, Put::Business(business));
    platform.commit(changes).await?;
    Ok(Finished {
        code: plain,
        person: person.id,
        data,
        event: finish,
    })
}

/// Why a code exchange is refused, as Graph's OAuth errors.
fn code_error(subcode: i64, message: &str) -> GraphError {
    GraphError::new(400, wamm_wire::error::kind::OAUTH, 100, message).with_subcode(subcode)
}

/// Exchanges an Embedded Signup code for the business token (`GET /oauth/access_token?code=…`,
/// once the app and its secret were checked). A code is used once, by one app, before it
/// expires, with the `redirect_uri` of its dialog.
pub async fn exchange(
    platform: &Platform,
    app: &App,
    code: &str,
    redirect_uri: Option<&str>,
) -> Result<String, Error> {
    let hash = hash_token(code);
    let invalid = || code_error(36_007, "Invalid verification code format.");
    let record = platform.store.auth_code(&hash).await?.ok_or_else(invalid)?;
    // A code of another app is no code at all for this one.
    if !bool::from(
        record
            .app_id
            .get()
            .to_be_bytes()
            .ct_eq(&app.id.get().to_be_bytes()),
    ) {
        return Err(invalid().into());
    }
    let now = platform.clock.now();
    if record.used_at.is_some() {
        return Err(code_error(36_009, "This authorization code has been used.").into());
    }
    if now >= record.expires_at {
        return Err(code_error(36_007, "This authorization code has expired.").into());
    }
    if let Some(expected) = &record.redirect_uri
        && redirect_uri != Some(expected.as_str())
    {
        return Err(code_error(
            36_008,
            "Error validating verification code. Please make sure your redirect_uri is identical to the one you used in the OAuth dialog request",
        )
        .into());
    }
    let issued = super::business_tokens::issue(
        platform,
        app,
        record.business_id,
        Some(record.system_user_id),
        record.scopes.clone(),
        record.wabas.clone(),
        false,
    )
    .await?;
    let used = AuthCode {
        used_at: Some(now),
        ..record
    };
    let changes = issued
        .changes
        .guard(Guard::CodeUnused { hash, at: now })
        .put(Put::AuthCode(used))
        .event(NewEvent {
            at: now,
            kind: "embedded_signup.code_exchanged".into(),
            subject: format!("app:{}", app.id),
            detail: json!({}),
        });
    match platform.commit(changes).await {
        Ok(_) => Ok(issued.token),
        // Exchanged concurrently by another call.
        Err(StoreError::Conflict(Conflict::AuthCodeUsed)) => {
            Err(code_error(36_009, "This authorization code has been used.").into())
        }
        Err(e) => Err(e.into()),
    }
}
