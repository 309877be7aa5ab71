//! System users on WABAs: `/{waba-id}/assigned_users` (list, add, remove) and
//! `/{system-user-id}/assigned_whatsapp_business_accounts`. Handlers parse, call
//! [`crate::usecase::assign`] and render.

use serde_json::json;
use wamm_domain::assignment::WabaAssignment;
use wamm_domain::{Business, Permission, SystemUser, Waba};
use wamm_wire::error::{code, kind};
use wamm_wire::ids::{BusinessId, UserId};
use wamm_wire::{FieldSelection, GraphError};

use super::auth::{Caller, any_scope};
use super::catalogue;
use super::lists::{id_key, page};
use super::render::{Node, enum_text};
use super::reply::{ApiError, ApiResult, Reply};
use super::request::GraphRequest;
use super::routes::Ctx;
use crate::state::AppState;
use crate::usecase::assign::{self as uc, AssignError};

const READ: &[Permission] = &[
    Permission::BusinessManagement,
    Permission::WhatsappBusinessManagement,
    Permission::WhatsappBusinessMessaging,
];

fn refused(err: AssignError) -> ApiError {
    match err {
        AssignError::Store(e) => e.into(),
        // The spec's 404 for removing a user that is not assigned.
        e @ AssignError::NotAssigned => {
            GraphError::new(404, kind::GRAPH_METHOD, 803, e.to_string()).into()
        }
        e @ AssignError::AlreadyAssigned => GraphError::new(
            400,
            kind::GRAPH_METHOD,
            code::INVALID_PARAMETER,
            e.to_string(),
        )
        .into(),
        e @ AssignError::Tasks(_) => {
            GraphError::new(400, kind::OAUTH, code::INVALID_PARAMETER, e.to_string()).into()
        }
    }
}

fn bad_user() -> GraphError {
    GraphError::new(
        400,
        kind::OAUTH,
        code::INVALID_PARAMETER,
        "Invalid parameter: user must be a valid user ID",
    )
}

/// The `user` a call names: a system user of the caller's own business (the only users a
/// business can add to assets it holds).
async fn named_user(c: Ctx<'_>) -> ApiResult<SystemUser> {
    let raw = c.req.params.str("user").unwrap_or_default();
    let id: UserId = raw.trim().parse().map_err(|_| bad_user())?;
    match c.state.store.system_user(id).await? {
        Some(u) if Some(u.business_id) == c.caller.token.business_id => Ok(u),
        _ => Err(bad_user()
            .with_details("user must be a system user of the business the access token acts for.")
            .into()),
    }
}

/// `tasks` in the forms clients send: `['MANAGE']` (Meta's guide, single quotes), a JSON
/// array, or a comma list.
fn tasks(req: &GraphRequest) -> Vec<String> {
    req.params
        .list("tasks")
        .unwrap_or_default()
        .into_iter()
        .map(|t| {
            t.trim_matches(|c: char| matches!(c, '[' | ']' | '\'' | '"' | ' '))
                .to_owned()
        })
        .filter(|t| !t.is_empty())
        .collect()
}

/// A system user as the WABA's `assigned_users` lists it, with its `tasks` on the WABA.
fn user_node(user: &SystemUser, owner: Option<&Business>, a: &WabaAssignment) -> Node {
    let business = owner.map(|b| {
        Node::of(&catalogue::BUSINESS)
            .value("id", b.id.to_string())
            .value("name", b.name.clone())
    });
    Node::of(&catalogue::ASSIGNED_USER)
        .value("id", user.id.to_string())
        .value("name", user.name.clone())
        .node("business", business)
        .value("user_type", "SYSTEM_USER")
        .value("tasks", json!(a.tasks))
}

/// `GET /{waba-id}/assigned_users?business=`: the system users of `business` assigned to the
/// WABA; `business` is required, as in Meta's spec.
pub async fn list(c: Ctx<'_>, waba: &Waba) -> ApiResult {
    let Ctx { state, req, .. } = c;
    let Some(business) = req.params.str("business").filter(|b| !b.is_empty()) else {
        return Err(GraphError::new(
            400,
            kind::OAUTH,
            code::INVALID_PARAMETER,
            "The parameter business is required to specify a business",
        )
        .into());
    };
    let business: BusinessId = business.parse().map_err(|_| {
        GraphError::invalid_parameter("Invalid parameter: business must be a business ID")
    })?;
    // A business lists only its own users: another business's system users are its own
    // affair, even on a WABA both hold.
    if c.caller.token.business_id != Some(business) {
        return Err(GraphError::new(
            400,
            kind::OAUTH,
            code::INVALID_PARAMETER,
            "Invalid parameter: business must be the business the access token acts for",
        )
        .into());
    }
    let owner = state.store.business(business).await?;
    let mut nodes = Vec::new();
    for a in state.store.assignments_of_waba(waba.id).await? {
        if a.business_id != business {
            continue;
        }
        let Some(user) = state.store.system_user(a.user_id).await? else {
            continue;
        };
        let node = user_node(&user, owner.as_ref(), &a);
        nodes.push((id_key(user.id.get()), node));
    }
    let mut body = page(req, nodes, &req.params.filtering()?)?;
    let total = body["data"].as_array().map_or(0, Vec::len);
    body["summary"] = json!({ "total_count": total });
    Ok(Reply::json(body).about(waba.id))
}

/// `POST /{waba-id}/assigned_users`: `user` (a system user of the caller's business) and
/// `tasks` (1 to 16 of Meta's tasks) → `{"success": true}`.
pub async fn add(c: Ctx<'_>, waba: &Waba) -> ApiResult {
    let user = named_user(c).await?;
    let tasks = tasks(c.req);
    uc::assign(c.state, waba, &user, &tasks)
        .await
        .map_err(refused)?;
    Ok(Reply::success().about(waba.id))
}

/// `DELETE /{waba-id}/assigned_users`: `user` → `{"success": true}`; the user's tokens lose the
/// WABA at once when it is an employee system user.
pub async fn remove(c: Ctx<'_>, waba: &Waba) -> ApiResult {
    let user = named_user(c).await?;
    uc::unassign(c.state, waba, &user).await.map_err(refused)?;
    Ok(Reply::success().about(waba.id))
}

/// A WABA as the user's `assigned_whatsapp_business_accounts` lists it: `permissions` and
/// `tasks` are both the user's tasks on it (the spec's name and the reference page's).
fn waba_node(w: &Waba, a: &WabaAssignment, phones: Option<Vec<Node>>) -> Node {
    Node::of(&catalogue::ASSIGNED_WABA)
        .value("id", w.id.to_string())
        .value("name", w.name.clone())
        .value("status", enum_text(w.status))
        .value("assignment_date", a.assigned_at.graph_time())
        .value("permissions", json!(a.tasks))
        .value("tasks", json!(a.tasks))
        .value("business_id", w.owner_business_id.to_string())
        .edge("phone_numbers", phones)
}

async fn waba_nodes(
    state: &AppState,
    caller: &Caller,
    user: &SystemUser,
    sel: Option<&FieldSelection>,
) -> ApiResult<Vec<(String, Node)>> {
    let principal = caller.principal();
    // The numbers are read only when asked for, as the WABA node's edge is.
    let with_phones = sel.is_some_and(|s| s.contains("phone_numbers"));
    let mut nodes = Vec::new();
    for a in state.store.assignments_of_user(user.id).await? {
        let Some(w) = state.store.waba(a.waba_id).await? else {
            continue;
        };
        // Only WABAs the caller itself reaches are listed, as Graph filters edges by access.
        if any_scope(READ, |s| principal.check_waba(&w, s)).is_err() {
            continue;
        }
        let phones = if with_phones {
            let list = state.store.phone_numbers_of(w.id).await?;
            Some(list.iter().map(super::phone::node).collect())
        } else {
            None
        };
        nodes.push((id_key(w.id.get()), waba_node(&w, &a, phones)));
    }
    Ok(nodes)
}

/// `GET /{system-user-id}/assigned_whatsapp_business_accounts`: the WABAs the user is assigned
/// to, with `assignment_date` and `permissions` (the tasks).
pub async fn assigned_wabas(c: Ctx<'_>, user: &SystemUser) -> ApiResult {
    let Ctx { state, req, caller } = c;
    let sel = req.params.fields()?;
    let nodes = waba_nodes(state, caller, user, sel.as_ref()).await?;
    Ok(Reply::json(page(req, nodes, &req.params.filtering()?)?).about(user.id))
}

#[cfg(test)]
mod tests {
    use wamm_domain::{BusinessRole, Timestamp, WabaStatus};
    use wamm_wire::ids::WabaId;

    use super::*;

    fn assignment() -> WabaAssignment {
        WabaAssignment {
            waba_id: WabaId::new(3001),
            user_id: UserId::new(1101),
            business_id: BusinessId::new(1000),
            tasks: vec!["MANAGE".into()],
            assigned_at: Timestamp::from_millis(0),
        }
    }

    #[test]
    fn assigned_user_builder_agrees_with_the_catalogue() {
        let user = SystemUser {
            id: UserId::new(1101),
            business_id: BusinessId::new(1000),
            name: "Partner Agent".into(),
            role: BusinessRole::Employee,
        };
        catalogue::assert_builder_agrees(&user_node(&user, None, &assignment()));
    }

    #[test]
    fn assigned_waba_builder_agrees_with_the_catalogue() {
        let waba = Waba {
            id: WabaId::new(3001),
            name: "Client A Main".into(),
            owner_business_id: BusinessId::new(1001),
            tax_country: "BR".parse().expect("country"),
            status: WabaStatus::Active,
            currency: "BRL".into(),
            timezone_id: "1".into(),
            message_template_namespace: "ns".into(),
            payment_method: false,
            partners: Vec::new(),
            solution_id: None,
            mm_setup_complete_at: None,
            message_activity_sharing: false,
            ad_account_id: None,
            disabled_ad_account_id: None,
            mm_setup_webhook_pending: false,
            mm_offboarded_at: None,
            insights_enabled_at: None,
            created_at: Timestamp::from_millis(0),
        };
        catalogue::assert_builder_agrees(&waba_node(&waba, &assignment(), None));
    }
}
