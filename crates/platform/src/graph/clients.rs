//! What an app's business sees of its clients and its billing:
//! `/{app-id}/connected_client_businesses` and `/{business-id}/extendedcredits`.

use std::collections::BTreeMap;

use wamm_domain::{App, Business, Timestamp};

use super::catalogue;
use super::lists::{id_key, page};
use super::render::Node;
use super::reply::{ApiResult, Reply};
use super::routes::Ctx;

/// The spec's `BusinessVerificationStatus` for the status a business portfolio carries.
fn verification(status: &str) -> &'static str {
    match status {
        "verified" => "VERIFIED",
        s if s.starts_with("pending") => "PENDING",
        "rejected" | "failed" | "revoked" => "REJECTED",
        _ => "UNVERIFIED",
    }
}

/// A connected client business: `created_time` and `updated_time` are the first and last
/// creation of the WABAs that connect it.
fn client_node(b: &Business, first: Timestamp, last: Timestamp) -> Node {
    Node::of(&catalogue::CONNECTED_CLIENT)
        .value("id", b.id.to_string())
        .value("name", b.name.clone())
        .value("verification_status", verification(&b.verification_status))
        .value("business_status", "ACTIVE")
        .value("created_time", first.graph_time())
        .value("updated_time", last.graph_time())
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
        nodes.push((id_key(id), client_node(&b, first, last)));
    }
    Ok(Reply::json(page(req, nodes, &req.params.filtering()?)?).about(app.id))
}

/// The business's credit line `id`: the business owns it and is its legal entity.
fn credit_node(id: String, business: &Business) -> Node {
    Node::of(&catalogue::EXTENDED_CREDIT)
        .value("id", id)
        .value("legal_entity_name", business.name.clone())
        .node(
            "owner_business",
            Some(
                Node::of(&catalogue::BUSINESS)
                    .value("id", business.id.to_string())
                    .value("name", business.name.clone()),
            ),
        )
        .value("owner_business_name", business.name.clone())
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
        nodes.push((id.clone(), credit_node(id, business)));
    }
    Ok(Reply::json(page(req, nodes, &req.params.filtering()?)?).about(business.id))
}

#[cfg(test)]
mod tests {
    use wamm_wire::ids::BusinessId;

    use super::*;

    fn business() -> Business {
        Business {
            id: BusinessId::new(1001),
            name: "Client A Bakery".into(),
            country: "BR".parse().expect("country"),
            verification_status: "verified".into(),
            people: Vec::new(),
            mm_terms: None,
            created_at: Timestamp::from_millis(0),
        }
    }

    #[test]
    fn builders_agree_with_the_catalogue() {
        let at = Timestamp::from_millis(1_700_000_000_000);
        catalogue::assert_builder_agrees(&client_node(&business(), at, at));
        catalogue::assert_builder_agrees(&credit_node("10010001".into(), &business()));
    }
}
