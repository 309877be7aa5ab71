//! `POST /{client-business-id}/system_user_access_tokens`: a partner fetches (or mints) the
//! business integration system user token (BISUAT) it uses on a client's assets.
//!
//! Only token hashes are stored, yet `fetch_only=true` must return the *existing* token. So
//! business tokens are derived, not drawn: HMAC-SHA256 of (app, client, generation) under a
//! random key the platform keeps in its database. Fetching re-derives the live token; minting
//! moves to the next generation.

use hmac::{Hmac, Mac};
use serde_json::json;
use sha2::Sha256;
use wamm_domain::access::Denial;
use wamm_domain::{App, Business, NewEvent, Permission, Timestamp, TokenKind};
use wamm_store::{ChangeSet, Put, StoreError};
use wamm_wire::GraphError;
use wamm_wire::ids::{BusinessId, UserId, WabaId};

use super::auth::{Caller, deny};
use super::reply::{ApiResult, Reply};
use super::request::GraphRequest;
use crate::state::AppState;

const KEY_META: &str = "business_token_key";

async fn key(state: &AppState) -> Result<Vec<u8>, StoreError> {
    if let Some(k) = state.store.meta(KEY_META).await? {
        return Ok(hex::decode(k).unwrap_or_default());
    }
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).expect("invariant: the OS provides randomness");
    state
        .store
        .commit(ChangeSet::new().meta(KEY_META, hex::encode(bytes)))
        .await?;
    // Another replica may have written its key first; the stored one wins.
    Ok(state
        .store
        .meta(KEY_META)
        .await?
        .and_then(|k| hex::decode(k).ok())
        .unwrap_or(bytes.to_vec()))
}

fn derive(key: &[u8], app: &str, client: &str, generation: u32) -> String {
    let mut out = String::from("EAAW");
    let mut round = 0u32;
    while out.len() < 124 {
        let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("invariant: any key length");
        mac.update(format!("bisuat:{app}:{client}:{generation}:{round}").as_bytes());
        out.push_str(&crate::mint::base62(mac.finalize().into_bytes()));
        round += 1;
    }
    out.truncate(124);
    out
}

/// `POST /{client-business-id}/system_user_access_tokens[?fetch_only=true]`.
pub async fn create(
    state: &AppState,
    req: &GraphRequest,
    caller: &Caller,
    client: &Business,
) -> ApiResult {
    // The guide marks the proof as required here, whatever the app's own setting.
    if req.params.str("appsecret_proof").is_none() {
        return Err(GraphError::proof_required().into());
    }
    let label = "business";
    let id = client.id.to_string();
    if !caller.token.has_scope(Permission::BusinessManagement) {
        return Err(deny(
            Denial::MissingScope(Permission::BusinessManagement),
            req,
            &id,
            label,
        )
        .into());
    }
    let acting = caller
        .token
        .business_id
        .ok_or_else(|| deny(Denial::AssetNotGranted, req, &id, label))?;
    let linked: Vec<_> = state
        .store
        .wabas_owned_by(client.id)
        .await?
        .into_iter()
        .filter(|w| acting == client.id || w.partner(acting).is_some())
        .map(|w| w.id)
        .collect();
    if acting != client.id && linked.is_empty() {
        return Err(deny(Denial::NotVisible, req, &id, label).into());
    }
    if client.id != caller.app.business_id
        && !caller.app.has_advanced(Permission::BusinessManagement)
    {
        return Err(deny(
            Denial::NeedsAdvancedAccess(Permission::BusinessManagement),
            req,
            &id,
            label,
        )
        .into());
    }
    let fetch_only = req.params.bool("fetch_only")?.unwrap_or(false);
    let scopes: Vec<Permission> = [
        Permission::WhatsappBusinessMessaging,
        Permission::WhatsappBusinessManagement,
        Permission::BusinessManagement,
        Permission::AdsRead,
    ]
    .into_iter()
    .filter(|p| caller.app.access(*p).is_some())
    .collect();
    let issued = issue(
        state,
        &caller.app,
        client.id,
        None,
        scopes,
        linked,
        fetch_only,
    )
    .await?;
    state.store.commit(issued.changes).await?;
    Ok(Reply::json(json!({ "access_token": issued.token })).about(client.id))
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
    state: &AppState,
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
    state: &AppState,
    app: &App,
    client: BusinessId,
    system_user: Option<UserId>,
    scopes: Vec<Permission>,
    wabas: Vec<WabaId>,
    fetch_only: bool,
) -> Result<Issued, StoreError> {
    let key = key(state).await?;
    let now = state.clock.now();
    let (app_text, client_text) = (app.id.to_string(), client.to_string());
    let ad_accounts = if scopes.contains(&Permission::AdsRead) {
        linked_ad_accounts(state, &wabas, now).await?
    } else {
        Vec::new()
    };
    let mut newest_live = None;
    let mut generation = 0;
    let free = loop {
        let token = derive(&key, &app_text, &client_text, generation);
        match state
            .store
            .token_by_hash(&wamm_world::hash_token(&token))
            .await?
        {
            Some(record) => {
                if record.revoked_at.is_none() {
                    newest_live = Some((token, record));
                }
            }
            None => break generation,
        }
        generation += 1;
    };
    if fetch_only && let Some((token, mut record)) = newest_live {
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
    let token = derive(&key, &app_text, &client_text, free);
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
