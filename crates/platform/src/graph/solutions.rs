//! Multi-Partner Solutions and migration intents on the Graph door: parse, call
//! [`crate::usecase::solutions`], render. Errors follow the spec's examples: a refusal to an
//! app that is no party is code 200 (403), a malformed or unknown parameter code 100 (400), and
//! a call the solution's or intent's state does not allow code 100, also with HTTP 400: the
//! spec lists the same 400/401/403/404/422/429 set on every operation it has, and Graph answers
//! code 100 with 400 everywhere else (the phone number calls' own state refusals included).

use serde_json::{Value, json};
use wamm_domain::solution::{
    MigrationAction, MigrationRefusal, MigrationStatus, Solution, SolutionMigration,
    SolutionRefusal, SolutionRole,
};
use wamm_domain::{App, Timestamp, Waba};
use wamm_wire::GraphError;
use wamm_wire::error::{code, kind};
use wamm_wire::ids::{AppId, SolutionId};

use super::catalogue;
use super::lists::{id_key, page};
use super::render::{Node, enum_text};
use super::reply::{ApiError, ApiResult, Reply};
use super::routes::Ctx;
use crate::usecase::solutions::{self, MigrationCall, SolutionError, Transition};

/// Longest `migration_reason` and deactivation `reason`, as the spec bounds them.
const REASON_CHARS: usize = 500;

/// Code 100 with HTTP 400: a call the object's state does not allow.
fn state_refusal(message: impl std::fmt::Display) -> GraphError {
    GraphError::new(
        400,
        kind::GRAPH_METHOD,
        code::INVALID_PARAMETER,
        format!("(#100) {message}"),
    )
}

fn not_permitted(message: impl std::fmt::Display, subcode: i64) -> GraphError {
    GraphError::permission_denied(message).with_subcode(subcode)
}

/// The Graph error for a refused solution rule on solution `id`.
pub fn solution_refusal(r: SolutionRefusal, id: SolutionId) -> GraphError {
    use SolutionRefusal as R;
    match r {
        R::InvalidName => GraphError::invalid_parameter(
            "Invalid parameter value for solution_name: use 2 to 75 characters",
        ),
        R::InvalidPermissions => {
            GraphError::invalid_parameter("Invalid Permissions for either of the partners")
                .with_details(
                    "Only MESSAGING is configurable, and exactly one of the owner and partner apps must have it",
                )
        }
        R::PartnerIsOwner => GraphError::invalid_parameter(
            "Invalid parameter value for partner_app_id: the partner app must be another app",
        ),
        R::NotParty => not_permitted(
            format!("Your app is not a party to Multi-Partner Solution {id}"),
            1_349_174,
        ),
        R::NotInvitedPartner => not_permitted(
            "Only the invited partner app can answer this Multi-Partner Solution's invitation",
            1_349_175,
        ),
        R::NotInitiated(status) => state_refusal(format!(
            "Solution cannot be accepted or rejected: solution is not in INITIATED status (current status: {})",
            enum_text(status)
        ))
        .with_subcode(2_207_051),
        R::NotDeactivatable(status, pending) => state_refusal(format!(
            "Solution is not in a state that allows deactivation. Current status: {}, pending request: {}",
            enum_text(status),
            enum_text(pending)
        )),
        R::NoPendingDeactivation => {
            state_refusal("Solution must be ACTIVE with a pending deactivation request")
                .with_subcode(2_207_013)
        }
        R::OwnRequest => not_permitted(
            "The app that sent the deactivation request cannot answer it; the other partner must",
            1_349_174,
        ),
        R::NotActive(status) => state_refusal(format!(
            "Multi-Partner Solution {id} is not active (current status: {})",
            enum_text(status)
        )),
    }
}

fn migration_refusal(r: MigrationRefusal, id: SolutionId) -> GraphError {
    use MigrationRefusal as R;
    match r {
        R::Solution(s) => solution_refusal(s, id),
        R::NotObo => state_refusal(
            "Migration intent cannot be set: your business does not hold this WhatsApp Business Account on behalf of its owner",
        ),
        R::AlreadyOnSolution => state_refusal(format!(
            "The WhatsApp Business Account is already on Multi-Partner Solution {id}"
        )),
        R::AlreadyOpen(open) => state_refusal(format!(
            "Migration intent {open} is already in progress for this WhatsApp Business Account"
        )),
        R::NoOpenIntent => state_refusal(format!(
            "No migration intent to Multi-Partner Solution {id} set by your business is in progress for this WhatsApp Business Account"
        )),
        R::NotAccepted(status) => state_refusal(format!(
            "The business has not accepted the migration intent yet (status: {})",
            enum_text(status)
        )),
        R::AlreadyDecided(status) => state_refusal(format!(
            "The migration intent was already decided (status: {})",
            enum_text(status)
        )),
        R::BadScheduleTime => GraphError::invalid_parameter(
            "Param scheduled_migration_time must be an ISO 8601 time after now",
        ),
    }
}

fn fail(e: SolutionError, id: SolutionId) -> ApiError {
    match e {
        SolutionError::Refused(r) => solution_refusal(r, id).into(),
        SolutionError::Migration(r) => migration_refusal(r, id).into(),
        SolutionError::UnknownSolution(s) => GraphError::invalid_parameter(format!(
            "Invalid parameter: solution_id {s} does not name a Multi-Partner Solution"
        ))
        .into(),
        SolutionError::UnknownPartnerApp(_) => {
            GraphError::invalid_parameter("Invalid parameter value for partner_app_id").into()
        }
        SolutionError::UnknownMigration(m) => GraphError::invalid_parameter(format!(
            "Invalid parameter: {m} does not name a migration intent"
        ))
        .into(),
        SolutionError::NotAllowed(m) => GraphError::invalid_parameter(m).into(),
        SolutionError::Store(e) => ApiError::Store(e),
    }
}

/// A numeric ID parameter; `what` names it in the error.
fn id_param<T: std::str::FromStr>(text: &str, name: &str) -> Result<T, GraphError> {
    text.parse().map_err(|_| {
        GraphError::invalid_parameter(format!(
            "Invalid parameter: {name} must be a valid numeric string"
        ))
    })
}

fn reason(c: &Ctx<'_>, name: &str) -> Result<Option<String>, GraphError> {
    let text = c.req.params.str(name).filter(|s| !s.trim().is_empty());
    if text
        .as_ref()
        .is_some_and(|t| t.chars().count() > REASON_CHARS)
    {
        return Err(GraphError::invalid_parameter(format!(
            "Param {name} must be at most {REASON_CHARS} characters"
        )));
    }
    Ok(text)
}

/// A solution as the `WhatsAppBusinessSolution` node.
pub async fn node(c: &Ctx<'_>, s: &Solution) -> ApiResult<Node> {
    let owner_name = c
        .state
        .store
        .app(s.owner_app_id)
        .await?
        .map(|a| a.name)
        .unwrap_or_default();
    Ok(Node::of(&catalogue::SOLUTION)
        .value("id", s.id.to_string())
        .value("name", s.name.clone())
        .value("status", enum_text(s.status))
        .value("status_for_pending_request", enum_text(s.pending))
        .value(
            "owner_app",
            json!({ "id": s.owner_app_id.to_string(), "name": owner_name }),
        )
        .value("owner_permissions", s.tasks_of(SolutionRole::Owner)))
}

async fn render(c: &Ctx<'_>, s: &Solution) -> ApiResult {
    let sel = c.req.params.fields()?;
    Ok(Reply::json(node(c, s).await?.project(sel.as_ref())?))
}

/// `POST /{app-id}/whatsapp_business_solution`: the path's app creates a solution.
pub async fn create(c: Ctx<'_>, app: &App) -> ApiResult {
    let params = &c.req.params;
    let name = params.required("solution_name")?;
    let partner: AppId = id_param(&params.required("partner_app_id")?, "partner_app_id")?;
    let mut permissions = Vec::with_capacity(2);
    for key in ["owner_permissions", "partner_permissions"] {
        if !params.has(key) {
            return Err(
                GraphError::invalid_parameter(format!("The parameter {key} is required")).into(),
            );
        }
        permissions.push(params.list(key).unwrap_or_default());
    }
    let created = solutions::create(
        c.state,
        app,
        &name,
        partner,
        &permissions[0],
        &permissions[1],
    )
    .await
    .map_err(|e| fail(e, SolutionId::new(0)))?;
    Ok(Reply::json(
        json!({ "solution_id": created.id.to_string() }),
    ))
}

/// `GET /{app-id}/whatsapp_business_solutions[?role=OWNER|PARTNER]`.
pub async fn list_of_app(c: Ctx<'_>, app: &App) -> ApiResult {
    let role = match c
        .req
        .params
        .str("role")
        .filter(|r| !r.is_empty())
        .as_deref()
    {
        None => None,
        Some("OWNER") => Some(SolutionRole::Owner),
        Some("PARTNER") => Some(SolutionRole::Partner),
        Some(other) => {
            return Err(GraphError::invalid_parameter(format!(
                "Param role must be one of {{OWNER, PARTNER}}, not {other}"
            ))
            .into());
        }
    };
    let mut nodes = Vec::new();
    for s in c.state.store.solutions_of_app(app.id).await? {
        if role.is_none_or(|r| s.role_of(app.id) == Some(r)) {
            nodes.push((id_key(s.id.get()), node(&c, &s).await?));
        }
    }
    Ok(Reply::json(page(c.req, nodes, &c.req.params.filtering()?)?))
}

/// `GET /{solution-id}`.
pub async fn get(c: Ctx<'_>, s: &Solution) -> ApiResult {
    render(&c, s).await
}

async fn apply(c: &Ctx<'_>, s: &Solution, t: Transition) -> ApiResult<Solution> {
    solutions::transition(c.state, s, c.caller.app.id, t)
        .await
        .map_err(|e| fail(e, s.id))
}

/// `POST /{solution-id}/accept`: the invited partner app accepts.
pub async fn accept(c: Ctx<'_>, s: &Solution) -> ApiResult {
    let claimed: AppId = id_param(&c.req.params.required("partner_app_id")?, "partner_app_id")?;
    // The body names the accepting app; it must be the caller's own.
    if claimed != c.caller.app.id {
        return Err(not_permitted(
            "partner_app_id must be the app whose token makes the call",
            1_349_175,
        )
        .into());
    }
    let next = apply(&c, s, Transition::Accept).await?;
    Ok(Reply::json(json!({
        "solution_id": next.id.to_string(),
        "partner_status": enum_text(next.partner_status),
        "success": true,
        "message": "Solution partnership accepted successfully",
        "update_time": next.updated_at.rfc3339(),
    })))
}

/// `POST /{solution-id}/reject`: the invited partner app declines the invitation
/// (`PARTNERSHIP_REQUEST`), or a party rejects the other's deactivation request
/// (`DEACTIVATION_REQUEST`).
pub async fn reject(c: Ctx<'_>, s: &Solution) -> ApiResult {
    let kind = c.req.params.required("request_type")?;
    let t = match kind.as_str() {
        "PARTNERSHIP_REQUEST" => Transition::Reject,
        "DEACTIVATION_REQUEST" => Transition::RejectDeactivation,
        other => {
            return Err(GraphError::invalid_parameter(format!(
                "Param request_type must be one of {{PARTNERSHIP_REQUEST, DEACTIVATION_REQUEST}}, not {other}"
            ))
            .into());
        }
    };
    reason(&c, "rejection_reason")?;
    let next = apply(&c, s, t).await?;
    let mut body = json!({
        "success": true,
        "solution_id": next.id.to_string(),
        "rejected_request_type": kind,
        "rejection_timestamp": next.updated_at.rfc3339(),
    });
    if t == Transition::Reject {
        body["partner_app_id"] = Value::String(next.partner_app_id.to_string());
    }
    Ok(Reply::json(body))
}

/// `POST /{solution-id}/send_deactivation_request`.
pub async fn send_deactivation_request(c: Ctx<'_>, s: &Solution) -> ApiResult {
    reason(&c, "reason")?;
    let next = apply(&c, s, Transition::SendDeactivation).await?;
    let message = if next.status == wamm_domain::solution::SolutionStatus::Deactivated {
        "Solution deactivated: it was never active, so no approval was needed"
    } else {
        "Deactivation request submitted successfully"
    };
    Ok(Reply::json(json!({ "success": true, "message": message })))
}

/// `POST /{solution-id}/accept_deactivation_request`.
pub async fn accept_deactivation_request(c: Ctx<'_>, s: &Solution) -> ApiResult {
    let next = apply(&c, s, Transition::AcceptDeactivation).await?;
    render(&c, &next).await
}

/// `POST /{solution-id}/reject_deactivation_request` with `reject_deactivation_request=true`.
pub async fn reject_deactivation_request(c: Ctx<'_>, s: &Solution) -> ApiResult {
    match c.req.params.bool("reject_deactivation_request")? {
        Some(true) => {}
        Some(false) => {
            return Err(GraphError::invalid_parameter(
                "Param reject_deactivation_request must be true to reject the request",
            )
            .into());
        }
        None => {
            return Err(GraphError::invalid_parameter(
                "The parameter reject_deactivation_request is required",
            )
            .into());
        }
    }
    let next = apply(&c, s, Transition::RejectDeactivation).await?;
    render(&c, &next).await
}

/// `GET /{waba-id}/solutions`: the solution the WABA is on and those its migration intents in
/// progress target.
pub async fn of_waba(c: Ctx<'_>, waba: &Waba) -> ApiResult {
    let mut nodes = Vec::new();
    for s in solutions::solutions_of_waba(c.state, waba).await? {
        nodes.push((id_key(s.id.get()), node(&c, &s).await?));
    }
    Ok(Reply::json(page(c.req, nodes, &c.req.params.filtering()?)?).about(waba.id))
}

/// How `set_solution_migration_intent` reports an intent's status (the spec's enum for it).
const fn call_status(m: &SolutionMigration) -> &'static str {
    match m.status {
        MigrationStatus::Initiated => "PENDING",
        MigrationStatus::Accepted if m.scheduled_at.is_some() => "SCHEDULED",
        MigrationStatus::Accepted | MigrationStatus::Completed => "APPROVED",
        MigrationStatus::Rejected => "REJECTED",
    }
}

/// `POST /{waba-id}/set_solution_migration_intent`.
pub async fn set_migration_intent(c: Ctx<'_>, waba: &Waba) -> ApiResult {
    let params = &c.req.params;
    let solution_id: SolutionId = id_param(&params.required("solution_id")?, "solution_id")?;
    // A destination named apart from `solution_id` takes precedence: it is where the WABA goes.
    let target = match params.str("target_solution_id").filter(|t| !t.is_empty()) {
        Some(t) => id_param(&t, "target_solution_id")?,
        None => solution_id,
    };
    let action = match params.str("migration_intent").filter(|a| !a.is_empty()) {
        None => MigrationAction::InitiateMigration,
        Some(text) => serde_json::from_value(Value::String(text.clone())).map_err(|_| {
            GraphError::invalid_parameter(format!(
                "Param migration_intent must be one of {{INITIATE_MIGRATION, CANCEL_MIGRATION, CONFIRM_MIGRATION, SCHEDULE_MIGRATION}}, not {text}"
            ))
        })?,
    };
    let scheduled = match params
        .str("scheduled_migration_time")
        .filter(|t| !t.is_empty())
    {
        None => None,
        Some(text) => Some(Timestamp::parse(&text).ok_or_else(|| {
            GraphError::invalid_parameter(
                "Param scheduled_migration_time must be an ISO 8601 time after now",
            )
        })?),
    };
    // The route's rule has checked the token reaches the WABA, so it acts for a business.
    let Some(partner) = c.caller.token.business_id else {
        return Err(GraphError::invalid_token().into());
    };
    let call = MigrationCall {
        solution_id: target,
        action,
        reason: reason(&c, "migration_reason")?,
        scheduled,
    };
    let m = solutions::set_migration_intent(c.state, &c.caller.app, partner, waba, call)
        .await
        .map_err(|e| fail(e, target))?;
    let mut body = json!({
        "success": true,
        "migration_intent_id": m.id.to_string(),
        "status": call_status(&m),
    });
    if let Some(at) = m.scheduled_at {
        body["estimated_completion_time"] = Value::String(at.rfc3339());
    }
    Ok(Reply::json(body).about(waba.id))
}

/// `GET /{migration-intent-id}`.
pub async fn get_migration_intent(c: Ctx<'_>, m: &SolutionMigration) -> ApiResult {
    let sel = c.req.params.fields()?;
    let node = Node::of(&catalogue::MIGRATION_INTENT)
        .value("id", m.id.to_string())
        .value("status", enum_text(m.status));
    Ok(Reply::json(node.project(sel.as_ref())?))
}

async fn business_node(c: &Ctx<'_>, id: wamm_wire::ids::BusinessId) -> ApiResult<Value> {
    let name = c
        .state
        .store
        .business(id)
        .await?
        .map(|b| b.name)
        .unwrap_or_default();
    Ok(json!({ "id": id.to_string(), "name": name }))
}

/// `GET /{waba-id}/in_progress_onbehalf_request`: the WABA's migration intents still in
/// progress, as on-behalf-of requests from the partner to the business that owns the WABA.
pub async fn in_progress_onbehalf_request(c: Ctx<'_>, waba: &Waba) -> ApiResult {
    let mut nodes = Vec::new();
    for m in solutions::in_progress(c.state, waba).await? {
        let node = Node::of(&catalogue::OBO_REQUEST)
            .value("id", m.id.to_string())
            .value("status", "IN_PROGRESS")
            .value("business_owned_object", m.waba_id.to_string())
            .value(
                "receiving_business",
                business_node(&c, m.client_business_id).await?,
            )
            .value(
                "requesting_business",
                business_node(&c, m.partner_business_id).await?,
            );
        nodes.push((id_key(m.id.get()), node));
    }
    Ok(Reply::json(page(c.req, nodes, &c.req.params.filtering()?)?).about(waba.id))
}

/// Checks the Intent API's `solution_id` for `app`: it must name a solution, active, to which
/// the app is a party.
pub async fn check_for_intent(c: &Ctx<'_>, id: SolutionId) -> ApiResult<()> {
    solutions::usable(c.state, c.caller.app.id, id)
        .await
        .map(|_| ())
        .map_err(|e| fail(e, id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_refusals_are_400_and_party_refusals_403() {
        let id = SolutionId::new(1);
        let e = solution_refusal(
            SolutionRefusal::NotActive(wamm_domain::solution::SolutionStatus::Initiated),
            id,
        );
        assert_eq!((e.status, e.code()), (400, 100));
        assert!(e.body.message.contains("INITIATED"));
        let e = solution_refusal(SolutionRefusal::NotParty, id);
        assert_eq!(
            (e.status, e.code(), e.subcode()),
            (403, 200, Some(1_349_174))
        );
        let e = migration_refusal(MigrationRefusal::BadScheduleTime, id);
        assert_eq!((e.status, e.code()), (400, 100));
    }
}
