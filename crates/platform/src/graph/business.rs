//! `/{business-id}` and its WABA list edges.

use serde_json::Value;
use wamm_domain::access::Denial;
use wamm_domain::onboarding::business_status;
use wamm_domain::{Business, PartnerAccess, Permission, Waba};

use super::auth::{Caller, any_scope, deny};
use super::catalogue;
use super::lists::{id_key, page_built, page_sorted};
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
    wabas: &[&Waba],
) -> ApiResult<Value> {
    let sel = req.params.fields()?;
    let sel = sel.as_ref();
    let find = req.params.str("find").filter(|f| !f.is_empty());
    let principal = caller.principal();
    // Unassigned WABAs are simply not listed, as Graph filters edges by access.
    let visible = |w: &&Waba| -> ApiResult<bool> {
        if find.as_ref().is_some_and(|f| *f != w.id.to_string()) {
            return Ok(false);
        }
        match any_scope(SCOPES, |s| principal.check_waba(w, s)) {
            Ok(()) => Ok(true),
            Err(Denial::AssetNotGranted | Denial::NotVisible) => Ok(false),
            Err(d) => Err(deny(d, req, &w.id.to_string(), "WhatsApp Business Account").into()),
        }
    };
    let key = |w: &&Waba| id_key(w.id.get());
    // A partner with thousands of clients pages through them: look at one page's worth.
    if find.is_none()
        && let Some(page) = page_sorted(req, wabas, key, visible, |w| {
            waba::node(state, caller, w, sel)
        })
        .await?
    {
        return Ok(page);
    }
    let mut shown = Vec::with_capacity(wabas.len());
    for w in wabas {
        if visible(w)? {
            shown.push((key(w), *w));
        }
    }
    page_built(req, shown, &req.params.filtering()?, |w| async move {
        waba::node(state, caller, w, sel).await
    })
    .await
}

/// `GET /{business-id}/client_whatsapp_business_accounts`: WABAs clients shared with the business.
pub async fn client_wabas(c: Ctx<'_>, business: &Business) -> ApiResult {
    let Ctx { state, req, caller } = c;
    let held = state
        .store
        .wabas_held_by_partner_shared(business.id)
        .await?;
    let wabas: Vec<&Waba> = held
        .iter()
        .filter(|w| {
            w.partner(business.id)
                .is_some_and(|p| p.access == PartnerAccess::Shared)
        })
        .collect();
    Ok(Reply::json(list(state, req, caller, &wabas).await?).about(business.id))
}

/// `GET /{business-id}/owned_whatsapp_business_accounts`: WABAs the business owns, including
/// those it holds on behalf of clients (OBO).
pub async fn owned_wabas(c: Ctx<'_>, business: &Business) -> ApiResult {
    let Ctx { state, req, caller } = c;
    let owned = state.store.wabas_owned_by_shared(business.id).await?;
    let held = state
        .store
        .wabas_held_by_partner_shared(business.id)
        .await?;
    let mut wabas: Vec<&Waba> = owned
        .iter()
        .filter(|w| w.obo_owner().is_none())
        .chain(
            held.iter()
                .filter(|w| w.obo_owner().is_some_and(|p| p.business_id == business.id)),
        )
        .collect();
    wabas.sort_by_key(|w| w.id);
    Ok(Reply::json(list(state, req, caller, &wabas).await?).about(business.id))
}
