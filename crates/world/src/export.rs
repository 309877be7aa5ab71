//! Writing a [`WorldState`] back as a [`WorldFile`], and the canonical order of a state.
//!
//! Exports name every object by a key derived from its ID (`app-<id>`, `business-<id>`,
//! `person-<id>`, `system-user-<id>`, `waba-<id>`, `phone-<id>`, `template-<id>`,
//! `pixel-<id>`), write every
//! ID, time and default explicitly and tokens as `token_sha256`, so that building the export
//! reproduces the state ([`normalize`]d).

use std::collections::{BTreeMap, HashSet};

use wamm_domain::model::{TokenKind, TokenRecord, WorldState};
use wamm_wire::ids::{BusinessId, UserId};

use crate::file::{
    AppEntry, AssignedWabaEntry, BusinessEntry, FORMAT, IntentDetails, MigrationIntentEntry,
    PartnerEntry, PersonEntry, PhoneEntry, PixelEntry, SubscriptionEntry, SystemUserEntry,
    TemplateEntry, Time, TokenEntry, WabaEntry, WebhookEntry, WorldFile,
};

/// Sorts every list of a state into the order [`WorldFile::build`] produces: objects by ID,
/// WABA partners by business, tokens by hash (their scopes and target WABAs sorted too),
/// WABA subscriptions by WABA then app, app subscriptions by app then object.
pub fn normalize(state: &mut WorldState) {
    state.apps.sort_by_key(|a| a.id);
    for app in &mut state.apps {
        app.permissions.sort_by_key(|p| p.permission);
    }
    state.businesses.sort_by_key(|b| b.id);
    for business in &mut state.businesses {
        business.people.sort_by_key(|p| p.id);
    }
    state.system_users.sort_by_key(|u| u.id);
    state.wabas.sort_by_key(|w| w.id);
    for waba in &mut state.wabas {
        waba.partners.sort_by_key(|p| p.business_id);
    }
    state.phone_numbers.sort_by_key(|p| p.id);
    state.templates.sort_by_key(|t| t.id);
    state.tokens.sort_by(|a, b| a.hash.cmp(&b.hash));
    for token in &mut state.tokens {
        token.scopes.sort();
        token.target_wabas.sort();
    }
    state.subscriptions.sort_by_key(|s| (s.waba_id, s.app_id));
    state
        .app_subscriptions
        .sort_by(|a, b| (a.app_id, &a.object).cmp(&(b.app_id, &b.object)));
    state.assignments.sort_by_key(|a| (a.waba_id, a.user_id));
    state.pixels.sort_by_key(|p| p.id);
}

fn app_key(id: impl std::fmt::Display) -> String {
    format!("app-{id}")
}

fn business_key(id: impl std::fmt::Display) -> String {
    format!("business-{id}")
}

fn waba_key(id: impl std::fmt::Display) -> String {
    format!("waba-{id}")
}

/// Writes a state as a world file. [`WorldFile::build`] of the result gives back the
/// [`normalize`]d state, as long as the state's references resolve (every object's business,
/// app and WABA exist). A terms signer that is neither a person nor a system user of the world
/// is dropped.
pub fn export(state: &WorldState) -> WorldFile {
    let mut state = state.clone();
    normalize(&mut state);
    let people: HashSet<UserId> = state
        .businesses
        .iter()
        .flat_map(|b| b.people.iter().map(|p| p.id))
        .collect();
    let system_users: HashSet<UserId> = state.system_users.iter().map(|u| u.id).collect();
    let user_key = |id: UserId| {
        if people.contains(&id) {
            Some(format!("person-{id}"))
        } else if system_users.contains(&id) {
            Some(format!("system-user-{id}"))
        } else {
            None
        }
    };

    let apps = state
        .apps
        .iter()
        .map(|app| AppEntry {
            key: app_key(app.id),
            id: Some(app.id),
            name: app.name.clone(),
            secret: Some(app.secret.clone()),
            business: business_key(app.business_id),
            partner_type: app.partner_type,
            require_app_secret: app.require_app_secret,
            mm_enrolment: app.mm_enrolment,
            review_requests: app.review_requests.clone(),
            login_configs: app
                .login_configs
                .iter()
                .map(|c| crate::file::LoginConfigEntry {
                    id: Some(c.id),
                    name: c.name.clone(),
                    permissions: c.permissions.clone(),
                    marketing_messages: c.marketing_messages,
                    created_at: Some(Time(c.created_at)),
                })
                .collect(),
            permissions: app
                .permissions
                .iter()
                .map(|p| (p.permission, p.access))
                .collect(),
            webhooks: state
                .app_subscriptions
                .iter()
                .filter(|s| s.app_id == app.id)
                .map(|s| WebhookEntry {
                    object: s.object.clone(),
                    callback_url: s.callback_url.clone(),
                    verify_token: s.verify_token.clone(),
                    fields: s.fields.clone(),
                    active: s.active,
                    updated_at: Some(Time(s.updated_at)),
                })
                .collect(),
        })
        .collect();

    // Tokens held by a system user of their business go under it; the rest are top-level.
    let mut held: BTreeMap<UserId, Vec<&TokenRecord>> = BTreeMap::new();
    let mut loose = Vec::new();
    for token in &state.tokens {
        let holder = state.system_users.iter().find(|u| {
            Some(u.id) == token.user_id
                && Some(u.business_id) == token.business_id
                && matches!(
                    token.kind,
                    TokenKind::SystemUser | TokenKind::BusinessIntegration
                )
        });
        match holder {
            Some(user) => held.entry(user.id).or_default().push(token),
            None => loose.push(token),
        }
    }

    let mut keyed_people = HashSet::new();
    let businesses = state
        .businesses
        .iter()
        .map(|business| BusinessEntry {
            key: business_key(business.id),
            id: Some(business.id),
            name: business.name.clone(),
            country: business.country,
            verification_status: business.verification_status.clone(),
            created_at: Some(Time(business.created_at)),
            mm_terms_signed_at: business.mm_terms.map(|t| Time(t.at)),
            mm_terms_signed_by: business.mm_terms.and_then(|t| t.by).and_then(user_key),
            people: business
                .people
                .iter()
                .map(|person| PersonEntry {
                    // A person in several businesses is keyed once.
                    key: keyed_people
                        .insert(person.id)
                        .then(|| format!("person-{}", person.id)),
                    id: Some(person.id),
                    name: person.name.clone(),
                    email: person.email.clone(),
                    role: person.role,
                })
                .collect(),
            system_users: state
                .system_users
                .iter()
                .filter(|u| u.business_id == business.id)
                .map(|user| SystemUserEntry {
                    key: Some(format!("system-user-{}", user.id)),
                    id: Some(user.id),
                    name: user.name.clone(),
                    role: user.role,
                    tokens: held
                        .get(&user.id)
                        .map(|tokens| tokens.iter().map(|t| token_entry(t, false)).collect())
                        .unwrap_or_default(),
                    assigned_wabas: state
                        .assignments
                        .iter()
                        .filter(|a| a.user_id == user.id)
                        .map(|a| AssignedWabaEntry {
                            waba: waba_key(a.waba_id),
                            tasks: a.tasks.clone(),
                            assigned_at: Some(Time(a.assigned_at)),
                        })
                        .collect(),
                })
                .collect(),
            wabas: wabas_of(&state, business.id),
            pixels: state
                .pixels
                .iter()
                .filter(|p| p.owner_business_id == business.id)
                .map(|p| PixelEntry {
                    key: Some(format!("pixel-{}", p.id)),
                    id: Some(p.id),
                    name: p.name.clone(),
                    domains: p.domains.clone(),
                    dataset: p.dataset,
                    created_at: Some(Time(p.created_at)),
                })
                .collect(),
        })
        .collect();

    let tokens = loose
        .into_iter()
        .map(|token| {
            let mut entry = token_entry(token, true);
            entry.user = token.user_id.and_then(user_key);
            entry
        })
        .collect();

    WorldFile {
        format: FORMAT.to_owned(),
        apps,
        businesses,
        tokens,
        rate_card: state.rate_card.clone(),
    }
}

fn wabas_of(state: &WorldState, owner: BusinessId) -> Vec<WabaEntry> {
    let owner_signed = state
        .businesses
        .iter()
        .any(|b| b.id == owner && b.mm_terms.is_some());
    state
        .wabas
        .iter()
        .filter(|w| w.owner_business_id == owner)
        .map(|waba| WabaEntry {
            key: waba_key(waba.id),
            id: Some(waba.id),
            name: waba.name.clone(),
            tax_country: waba.tax_country,
            status: waba.status,
            currency: waba.currency.clone(),
            timezone_id: waba.timezone_id.clone(),
            message_template_namespace: Some(waba.message_template_namespace.clone()),
            payment_method: waba.payment_method,
            message_activity_sharing: waba.message_activity_sharing,
            ad_account_id: waba.ad_account_id.clone(),
            mm_offboarded_at: waba.mm_offboarded_at.map(Time),
            insights_enabled_at: waba.insights_enabled_at.map(Time),
            // Absent means "when the owner signed"; write `null` when that default is wrong.
            mm_setup_complete_at: match waba.mm_setup_complete_at {
                Some(at) => Some(Some(Time(at))),
                None if owner_signed => Some(None),
                None => None,
            },
            solution_id: waba.solution_id,
            created_at: Some(Time(waba.created_at)),
            partners: waba
                .partners
                .iter()
                .map(|p| PartnerEntry {
                    business: business_key(p.business_id),
                    access: p.access,
                    migration_intent: p.migration_intent.map_or(MigrationIntentEntry::None, |m| {
                        MigrationIntentEntry::Set(IntentDetails {
                            set_at: Some(Time(m.set_at)),
                            solution_id: m.solution_id,
                        })
                    }),
                })
                .collect(),
            phone_numbers: state
                .phone_numbers
                .iter()
                .filter(|p| p.waba_id == waba.id)
                .map(|p| PhoneEntry {
                    key: Some(format!("phone-{}", p.id)),
                    id: Some(p.id),
                    display_phone_number: p.display_phone_number.clone(),
                    verified_name: p.verified_name.clone(),
                    registered: p.registered,
                    throughput: p.throughput,
                    coexistence: p.coexistence,
                    quality_rating: p.quality_rating,
                    life: p.life.clone(),
                })
                .collect(),
            templates: state
                .templates
                .iter()
                .filter(|t| t.waba_id == waba.id)
                .map(|t| TemplateEntry {
                    key: Some(format!("template-{}", t.id)),
                    id: Some(t.id),
                    name: t.name.clone(),
                    language: t.language.clone(),
                    category: t.category,
                    status: t.status,
                    parameter_format: t.parameter_format.clone(),
                    components: t.components.clone(),
                    message_send_ttl_seconds: t.message_send_ttl_seconds.map(i64::from),
                    ad: t.ad.clone(),
                    created_at: Some(Time(t.created_at)),
                })
                .collect(),
            subscribed_apps: state
                .subscriptions
                .iter()
                .filter(|s| s.waba_id == waba.id)
                .map(|s| SubscriptionEntry {
                    app: app_key(s.app_id),
                    override_callback_uri: s.override_callback_uri.clone(),
                    verify_token: s.verify_token.clone(),
                    subscribed_at: Some(Time(s.subscribed_at)),
                })
                .collect(),
            // A history made messages and facts, which world files do not carry.
            history: None,
        })
        .collect()
}

fn token_entry(token: &TokenRecord, top_level: bool) -> TokenEntry {
    TokenEntry {
        key: None,
        app: app_key(token.app_id),
        kind: token.kind,
        token: None,
        token_sha256: Some(token.hash.clone()),
        hint: Some(token.hint.clone()),
        scopes: Some(token.scopes.clone()),
        target_wabas: token.target_wabas.iter().map(|&w| waba_key(w)).collect(),
        issued_at: Some(Time(token.issued_at)),
        expires_at: token.expires_at.map(Time),
        revoked_at: token.revoked_at.map(Time),
        business: if top_level {
            token.business_id.map(business_key)
        } else {
            None
        },
        user: None,
    }
}
