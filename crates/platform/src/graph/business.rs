//! `/{business-id}` and its WABA list edges.

use serde_json::Value;
use wamm_domain::access::Denial;
use wamm_domain::onboarding::business_status;
use wamm_domain::{Business, PartnerAccess, Permission, Waba};
use wamm_wire::GraphError;

use super::auth::{Caller, any_scope, deny};
use super::catalogue;
use super::lists::{id_key, page_built};
use super::render::Node;
use super::reply::{ApiResult, Reply};
use super::request::GraphRequest;
use super::waba;
use crate::state::AppState;

const LABEL: &str = "business";
const SCOPES: &[Permission] = &[
    Permission::BusinessManagement,
    Permission::WhatsappBusinessManagement,
];

/// `GET /{business-id}`.
pub async fn get(
    state: &AppState,
    req: &GraphRequest,
    caller: &Caller,
    business: &Business,
) -> ApiResult {
    let acting = caller.token.business_id;
    let is_client = match acting {
        Some(partner) => state
            .store
            .wabas_owned_by(business.id)
            .await?
            .iter()
            .any(|w| w.partner(partner).is_some()),
        None => false,
    };
    let principal = caller.principal();
    any_scope(SCOPES, |s| {
        principal.check_business(business.id, is_client, s)
    })
    .map_err(|d| deny(d, req, &business.id.to_string(), LABEL))?;
    let sel = req.params.fields()?;
    // Some fields need more than the node's read permissions (the MM API terms status is
    // business_management data, as Meta documents it).
    for permission in catalogue::BUSINESS.extra_permissions(sel.as_ref()) {
        principal
            .check_business(business.id, is_client, permission)
            .map_err(|d| deny(d, req, &business.id.to_string(), LABEL))?;
    }
    let pending_since = crate::onboarding::pending_request(state, business.id)
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

fn own_business(
    req: &GraphRequest,
    caller: &Caller,
    business: &Business,
) -> Result<(), GraphError> {
    let principal = caller.principal();
    any_scope(SCOPES, |s| principal.check_own_business(business.id, s))
        .map_err(|d| deny(d, req, &business.id.to_string(), LABEL))
}

/// `GET /{business-id}/client_whatsapp_business_accounts`: WABAs clients shared with the business.
pub async fn client_wabas(
    state: &AppState,
    req: &GraphRequest,
    caller: &Caller,
    business: &Business,
) -> ApiResult {
    own_business(req, caller, business)?;
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
pub async fn owned_wabas(
    state: &AppState,
    req: &GraphRequest,
    caller: &Caller,
    business: &Business,
) -> ApiResult {
    own_business(req, caller, business)?;
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
