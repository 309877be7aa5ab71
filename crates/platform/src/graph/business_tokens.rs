//! `POST /{client-business-id}/system_user_access_tokens`: a partner fetches (or mints) the
//! business token it uses on a client's assets ([`crate::usecase::business_tokens`]).

use serde_json::json;
use wamm_domain::Business;

use super::access;
use super::reply::{ApiResult, Reply};
use super::routes::Ctx;
use crate::usecase::business_tokens;

/// `POST /{client-business-id}/system_user_access_tokens[?fetch_only=true]`.
pub async fn create(c: Ctx<'_>, client: &Business) -> ApiResult {
    let Ctx { state, req, caller } = c;
    let fetch_only = req.params.bool("fetch_only")?.unwrap_or(false);
    let linked = access::linkable_wabas(state, caller.app.business_id, client.id)
        .await?
        .into_iter()
        .map(|w| w.id)
        .collect();
    let token =
        business_tokens::fetch_or_mint(state, &caller.app, client.id, linked, fetch_only).await?;
    Ok(Reply::json(json!({ "access_token": token })).about(client.id))
}
