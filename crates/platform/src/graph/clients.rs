//! What an app's business sees of its clients and its billing:
//! `/{app-id}/connected_client_businesses` and `/{business-id}/extendedcredits`.

use std::collections::BTreeMap;

use wamm_domain::{App, Business, Timestamp};

use super::lists::{id_key, page};
use super::render::Node;
use super::reply::{ApiResult, Reply};
use super::routes::Ctx;

const CLIENT_DEFAULTS: &[&str] = &["id", "name", "verification_status", "business_status"];
const CREDIT_DEFAULTS: &[&str] = &["id", "legal_entity_name"];

/// The spec's `BusinessVerificationStatus` for the status a business portfolio carries.
fn verification(status: &str) -> &'static str {
    match status {
        "verified" => "VERIFIED",
        s if s.starts_with("pending") => "PENDING",
        "rejected" | "failed" | "revoked" => "REJECTED",
        _ => "UNVERIFIED",
    }
}

/// `GET /{app-id}/connected_client_businesses`: every business, other than the app's own, that
/// holds a WABA shared with the app's business or held by it on the client's behalf.
/// `created_time` is when the first of those WABAs was created, `updated_time` the last.
pub async fn connected(c: Ctx<'_>, app: &App) -> ApiResult {
    let Ctx { state, req, .. } = c;
    let mut spans: BTreeMap<u64, (Timestamp, Timestamp)> = BTreeMap::new();
    for w in state.store.wabas_held_by_partner(app.business_id).await? {
        if w.owner_business_id == app.business_id {
            continue;
        }
        let span = spans
            .entry(w.owner_business_id.get())
            .or_insert((w.created_at, w.created_at));
        span.0 = span.0.min(w.created_at);
        span.1 = span.1.max(w.created_at);
    }
    let mut nodes = Vec::new();
    for (id, (first, last)) in spans {
        let Some(b) = state
            .store
            .business(wamm_wire::ids::BusinessId::new(id))
            .await?
        else {
            continue;
        };
        let node = Node::new("ConnectedClientBusiness", CLIENT_DEFAULTS)
            .value("id", b.id.to_string())
            .value("name", b.name.clone())
            .value("verification_status", verification(&b.verification_status))
            .value("business_status", "ACTIVE")
            .value("created_time", first.graph_time())
            .value("updated_time", last.graph_time());
        nodes.push((id_key(id), node));
    }
    Ok(Reply::json(page(req, nodes, &req.params.filtering()?)?).about(app.id))
}

/// `GET /{business-id}/extendedcredits`: the business's credit line, when one stands behind a
/// payment method: a WABA it owns or holds for a client has `payment_method` on file. wamm
/// keeps one line per business; its ID is the business ID followed by `0001`, and its
/// `legal_entity_name` the business's name.
pub async fn extended_credits(c: Ctx<'_>, business: &Business) -> ApiResult {
    let Ctx { state, req, .. } = c;
    let held = state.store.wabas_held_by_partner(business.id).await?;
    let owned = state.store.wabas_owned_by(business.id).await?;
    let funded = held.iter().chain(owned.iter()).any(|w| w.payment_method);
    let mut nodes = Vec::new();
    if funded {
        let id = format!("{}0001", business.id);
        let node = Node::new("ExtendedCredit", CREDIT_DEFAULTS)
            .value("id", id.clone())
            .value("legal_entity_name", business.name.clone())
            .value("owner_business", business.id.to_string())
            .value("is_credit_line", true);
        nodes.push((id, node));
    }
    Ok(Reply::json(page(req, nodes, &req.params.filtering()?)?).about(business.id))
}
