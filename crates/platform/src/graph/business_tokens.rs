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
use wamm_domain::{Business, NewEvent, Permission, TokenKind};
use wamm_store::{ChangeSet, Put};
use wamm_wire::GraphError;

use super::auth::{Caller, deny};
use super::reply::{ApiResult, Reply};
use super::request::GraphRequest;
use crate::state::AppState;

const KEY_META: &str = "business_token_key";

async fn key(state: &AppState) -> Result<Vec<u8>, wamm_store::StoreError> {
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
    let key = key(state).await?;
    let (app, client_id) = (caller.app.id.to_string(), client.id.to_string());
    for generation in 0..1000 {
        let token = derive(&key, &app, &client_id, generation);
        match state
            .store
            .token_by_hash(&wamm_world::hash_token(&token))
            .await?
        {
            Some(record) if fetch_only && record.revoked_at.is_none() => {
                return Ok(Reply::json(json!({ "access_token": token })).about(client.id));
            }
            Some(_) => {}
            None => {
                let scopes: Vec<Permission> = [
                    Permission::WhatsappBusinessMessaging,
                    Permission::WhatsappBusinessManagement,
                    Permission::BusinessManagement,
                    Permission::AdsRead,
                ]
                .into_iter()
                .filter(|p| caller.app.access(*p).is_some())
                .collect();
                let mut record = crate::mint::token_record(
                    &token,
                    TokenKind::BusinessIntegration,
                    caller.app.id,
                    state.clock.now(),
                )
                .with_scopes(scopes);
                record.business_id = Some(client.id);
                record.target_wabas.clone_from(&linked);
                let event = NewEvent {
                    at: record.issued_at,
                    kind: "token.business_issued".into(),
                    subject: format!("business:{}", client.id),
                    detail: json!({ "app_id": app, "generation": generation, "hint": record.hint }),
                };
                state
                    .store
                    .commit(ChangeSet::new().put(Put::Token(record)).event(event))
                    .await?;
                return Ok(Reply::json(json!({ "access_token": token })).about(client.id));
            }
        }
    }
    Err(GraphError::unknown().into())
}
