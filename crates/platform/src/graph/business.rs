//! `/{business-id}` and its WABA list edges.

use serde_json::Value;
use wamm_domain::access::Denial;
use wamm_domain::onboarding::business_status;
use wamm_domain::{Business, PartnerAccess, Permission, Waba};

use super::auth::{Caller, any_scope, deny};
use super::catalogue;
use super::lists::{id_key, page_built};
use super::render::Node;
use super::reply::{ApiResult, Reply};
use super::request::GraphRequest;
use super::routes::Ctx;
use super::waba;
use crate::state::AppState;

const SCOPES: &[Permission] = &[
    Permission::BusinessManagement,
    Permission::WhatsappBusinessManagement,
];

/// `GET /{business-id}`.
pub async fn get(c: Ctx<'_>, business: &Business) -> ApiResult {
    let Ctx { state, req, .. } = c;
    let sel = req.params.fields()?;
    let pending_since = crate::usecase::onboard::pending_request(state, business.id)
        .await?
        .map(|r| r.created_at);
    let node = Node::of(&catalogue::BUSINESS)
        .value("id", business.id.to_string())
        .value("name", business.name.clone())
        .value("created_time", business.created_at.graph_time())
        .value("verification_status", business.verification_status.clone())
        .value("timezone_id", 0)
        .value(
            "marketing_messages_onboarding_status",
            serde_json::to_value(business_status(business, pending_since)).unwrap_or(Value::Null),
        );
    Ok(Reply::json(node.project(sel.as_ref())?).about(business.id))
}

async fn list(
    state: &AppState,
    req: &GraphRequest,
    caller: &Caller,
    wabas: Vec<Waba>,
) -> ApiResult<Value> {
    let sel = req.params.fields()?;
    let find = req.params.str("find").filter(|f| !f.is_empty());
    let principal = caller.principal();
    let mut visible = Vec::with_capacity(wabas.len());
    for w in wabas {
        if find.as_ref().is_some_and(|f| *f != w.id.to_string()) {
            continue;
        }
        match any_scope(SCOPES, |s| principal.check_waba(&w, s)) {
            Ok(()) => visible.push((id_key(w.id.get()), w)),
            // Unassigned WABAs are simply not listed, as Graph filters edges by access.
            Err(Denial::AssetNotGranted | Denial::NotVisible) => {}
            Err(d) => {
                return Err(deny(d, req, &w.id.to_string(), "WhatsApp Business Account").into());
            }
        }
    }
    let sel = sel.as_ref();
    page_built(req, visible, &req.params.filtering()?, |w| async move {
        waba::node(state, caller, &w, sel).await
    })
    .await
}

/// `GET /{business-id}/client_whatsapp_business_accounts`: WABAs clients shared with the business.
pub async fn client_wabas(c: Ctx<'_>, business: &Business) -> ApiResult {
    let Ctx { state, req, caller } = c;
    let wabas: Vec<Waba> = state
        .store
        .wabas_held_by_partner(business.id)
        .await?
        .into_iter()
        .filter(|w| {
            w.partner(business.id)
                .is_some_and(|p| p.access == PartnerAccess::Shared)
        })
        .collect();
    Ok(Reply::json(list(state, req, caller, wabas).await?).about(business.id))
}

/// `GET /{business-id}/owned_whatsapp_business_accounts`: WABAs the business owns, including
/// those it holds on behalf of clients (OBO).
pub async fn owned_wabas(c: Ctx<'_>, business: &Business) -> ApiResult {
    let Ctx { state, req, caller } = c;
    let mut wabas: Vec<Waba> = state
        .store
        .wabas_owned_by(business.id)
        .await?
        .into_iter()
        .filter(|w| w.obo_owner().is_none())
        .collect();
    wabas.extend(
        state
            .store
            .wabas_held_by_partner(business.id)
            .await?
            .into_iter()
            .filter(|w| w.obo_owner().is_some_and(|p| p.business_id == business.id)),
    );
    Ok(Reply::json(list(state, req, caller, wabas).await?).about(business.id))
}
