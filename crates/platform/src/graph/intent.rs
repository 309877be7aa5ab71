//! `POST /{end-business-id}/onboard_partners_to_mm_lite`: the Intent API.

use serde_json::json;
use wamm_domain::Business;
use wamm_domain::intent::IntentRefusal;
use wamm_wire::GraphError;
use wamm_wire::error::{code, kind};
use wamm_wire::ids::SolutionId;

use super::reply::{ApiError, ApiResult, Reply};
use super::routes::Ctx;
use crate::usecase::onboard::{OnboardingError, request_onboarding};

/// DESIGN: a second request while one is pending is an error, with the seed's words.
const DUPLICATE: &str = "Your business has already sent this request. To follow up on the request, contact the business you're requesting access from.";
const DUPLICATE_CODE: i64 = 1_752_041;

fn refusal(r: IntentRefusal) -> GraphError {
    match r {
        IntentRefusal::AppLacksAdvancedAccess => GraphError::app_permission(
            "The app does not have sufficient permissions to call this API.",
        ),
        IntentRefusal::Ineligible(why) => GraphError::new(
            400,
            kind::OAUTH,
            code::INVALID_PARAMETER,
            "Invalid recipient type",
        )
        .with_user_message("Invalid recipient type", why.reason()),
        IntentRefusal::Duplicate => GraphError::new(400, kind::OAUTH, DUPLICATE_CODE, DUPLICATE),
    }
}

/// `POST /{end-business-id}/onboard_partners_to_mm_lite[?solution_id=…]`.
pub async fn onboard(c: Ctx<'_>, client: &Business) -> ApiResult {
    let Ctx { state, req, caller } = c;
    // The route's rule has checked that the token acts for a business.
    let Some(partner_id) = caller.token.business_id else {
        return Err(GraphError::invalid_token().into());
    };
    let solution_id = match req.params.str("solution_id").filter(|s| !s.is_empty()) {
        None => None,
        Some(text) => Some(text.parse::<SolutionId>().map_err(|_| {
            GraphError::new(
                400,
                kind::OAUTH,
                code::INVALID_PARAMETER,
                "Invalid parameter: solution_id must be a valid numeric string",
            )
        })?),
    };
    // A named solution must exist, be ACTIVE, and have the caller's app as a party.
    if let Some(id) = solution_id {
        super::solutions::check_for_intent(&c, id).await?;
    }
    let partner = state
        .store
        .business(partner_id)
        .await?
        .ok_or_else(GraphError::invalid_token)?;
    match request_onboarding(state, &caller.app, &partner, client, solution_id).await {
        Ok(request) => {
            Ok(Reply::json(json!({ "request_id": request.id.to_string() })).about(client.id))
        }
        Err(OnboardingError::Refused(r)) => Err(refusal(r).into()),
        Err(OnboardingError::Store(e)) => Err(ApiError::Store(e)),
        Err(other) => Err(GraphError::invalid_parameter(other.to_string()).into()),
    }
}
