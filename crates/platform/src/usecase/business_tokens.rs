//! Business tokens: the business integration system user token (BISUAT) a partner fetches
//! (or mints) to act on a client's assets, through `system_user_access_tokens` or at the end
//! of Embedded Signup.
//!
//! Only token hashes are stored, yet `fetch_only=true` must return the *existing* token. So
//! business tokens are derived, not drawn: HMAC-SHA256 of (app, client, generation) under a
//! key kept outside the database ([`crate::token_keys`]). Each mint takes a generation of its
//! own from an atomic counter in the store, so concurrent mints never share a token; fetching
//! walks the generations down from the newest and returns the first live token it finds.

use hmac::{Hmac, Mac};
use serde_json::json;
use sha2::Sha256;
use wamm_domain::{App, NewEvent, Permission, Timestamp, TokenKind, TokenRecord};
use wamm_store::{ChangeSet, Put, StoreError};
use wamm_wire::ids::{AppId, BusinessId, UserId, WabaId};

use crate::context::Platform;
use crate::token_keys::TokenKey;

/// The store counter holding the next generation of `app`'s business token for `client`.
fn generation_counter(app: AppId, client: BusinessId) -> String {
    format!("business_token_generation:{app}:{client}")
}

fn derive(key: &TokenKey, app: &str, client: &str, generation: i64) -> String {
    let mut out = String::from("EAAW");
    let mut round = 0u32;
    while out.len() < 124 {
        let mut mac =
            Hmac::<Sha256>::new_from_slice(key.bytes()).expect("invariant: any key length");
        mac.update(format!("bisuat:{app}:{client}:{generation}:{round}").as_bytes());
        out.push_str(&crate::mint::base62(mac.finalize().into_bytes()));
        round += 1;
    }
    out.truncate(124);
    out
}

/// Fetches (`fetch_only`) or mints `app`'s business token for `client`, reaching `linked`
/// WABAs with every scope the app holds, and commits its record.
pub async fn fetch_or_mint(
    platform: &Platform,
    app: &App,
    client: BusinessId,
    linked: Vec<WabaId>,
    fetch_only: bool,
) -> Result<String, StoreError> {
    let scopes: Vec<Permission> = [
        Permission::WhatsappBusinessMessaging,
        Permission::WhatsappBusinessManagement,
        Permission::BusinessManagement,
        Permission::AdsRead,
        Permission::WhatsappBusinessManageEvents,
    ]
    .into_iter()
    .filter(|p| app.access(*p).is_some())
    .collect();
    let issued = issue(platform, app, client, None, scopes, linked, fetch_only).await?;
    platform.commit(issued.changes).await?;
    Ok(issued.token)
}

/// A business token and the writes that record it.
#[derive(Debug)]
pub struct Issued {
    /// The plain token, shown once to the caller.
    pub token: String,
    /// The token record (new, or refreshed targets) and its event.
    pub changes: ChangeSet,
}

/// The ad accounts Meta linked to `wabas` whose MM API setup has completed by `now`.
async fn linked_ad_accounts(
    state: &Platform,
    wabas: &[WabaId],
    now: Timestamp,
) -> Result<Vec<String>, StoreError> {
    let mut out = Vec::new();
    for id in wabas {
        if let Some(waba) = state.store.waba(*id).await?
            && waba.mm_offboarded_at.is_none()
            && waba.mm_setup_complete_at.is_some_and(|at| at <= now)
            && let Some(ad) = waba.ad_account_id
        {
            out.push(ad);
        }
    }
    Ok(out)
}

/// The business token of `app` for `client`, reaching `wabas` with `scopes`, and scoped to the
/// ad accounts linked to those WABAs once they are onboarded.
///
/// With `fetch_only`, the newest live token is returned, its targets brought up to date (the
/// "updated" token the guide asks partners to fetch after onboarding); otherwise, or when none
/// is live, the next generation is minted.
pub async fn issue(
    state: &Platform,
    app: &App,
    client: BusinessId,
    system_user: Option<UserId>,
    scopes: Vec<Permission>,
    wabas: Vec<WabaId>,
    fetch_only: bool,
) -> Result<Issued, StoreError> {
    let now = state.clock.now();
    let (app_text, client_text) = (app.id.to_string(), client.to_string());
    let ad_accounts = if scopes.contains(&Permission::AdsRead) {
        linked_ad_accounts(state, &wabas, now).await?
    } else {
        Vec::new()
    };
    let keys = &state.config.token_keys;
    let counter = generation_counter(app.id, client);
    if fetch_only
        && let Some((token, mut record)) = newest_live(state, app, client, &counter).await?
    {
        record.target_wabas = wabas;
        record.target_ad_accounts = ad_accounts;
        let event = NewEvent {
            at: now,
            kind: "token.business_fetched".into(),
            subject: format!("business:{client}"),
            detail: json!({ "app_id": app_text, "hint": record.hint, "ad_accounts": record.target_ad_accounts }),
        };
        return Ok(Issued {
            token,
            changes: ChangeSet::new().put(Put::Token(record)).event(event),
        });
    }
    // A generation of this call's own. One already holding a token (a store whose counter
    // started after tokens were minted) is skipped.
    let (free, token) = loop {
        let generation = state.store.reserve(&counter, 1).await?;
        let token = derive(keys.current(), &app_text, &client_text, generation);
        if state
            .store
            .token_by_hash(&wamm_world::hash_token(&token))
            .await?
            .is_none()
        {
            break (generation, token);
        }
    };
    let mut record = crate::mint::token_record(&token, TokenKind::BusinessIntegration, app.id, now)
        .with_scopes(scopes);
    record.business_id = Some(client);
    record.user_id = system_user;
    record.target_wabas = wabas;
    record.target_ad_accounts = ad_accounts;
    let event = NewEvent {
        at: now,
        kind: "token.business_issued".into(),
        subject: format!("business:{client}"),
        detail: json!({ "app_id": app_text, "generation": free, "hint": record.hint }),
    };
    Ok(Issued {
        token,
        changes: ChangeSet::new().put(Put::Token(record)).event(event),
    })
}

/// The live business token of `app` for `client` with the highest generation, derived with
/// any of the configured keys.
async fn newest_live(
    state: &Platform,
    app: &App,
    client: BusinessId,
    counter: &str,
) -> Result<Option<(String, TokenRecord)>, StoreError> {
    let minted = state
        .store
        .meta(counter)
        .await?
        .and_then(|n| n.parse::<i64>().ok())
        .unwrap_or(0);
    let (app_text, client_text) = (app.id.to_string(), client.to_string());
    for generation in (0..minted).rev() {
        for key in state.config.token_keys.all() {
            let token = derive(key, &app_text, &client_text, generation);
            if let Some(record) = state
                .store
                .token_by_hash(&wamm_world::hash_token(&token))
                .await?
                && record.kind == TokenKind::BusinessIntegration
                && record.app_id == app.id
                && record.business_id == Some(client)
                && record.revoked_at.is_none()
            {
                return Ok(Some((token, record)));
            }
        }
    }
    Ok(None)
}
