//! `/{waba-id}`, and `/{waba-id}/subscribed_apps`.

use serde_json::{Value, json};
use wamm_domain::onboarding::{business_status, waba_status};
use wamm_domain::{Business, Waba, WabaStatus, WabaSubscription};
use wamm_wire::{FieldSelection, GraphError};

use super::auth::Caller;
use super::catalogue;
use super::render::Node;
use super::reply::{ApiResult, Reply};
use super::request::Params;
use super::routes::Ctx;
use super::{phone, template};
use crate::state::AppState;
use crate::usecase::waba_settings::{self, WabaChange};

fn wants(sel: Option<&FieldSelection>, name: &str) -> bool {
    sel.is_some_and(|s| s.contains(name))
}

fn business_info(owner: &Business, pending_since: Option<wamm_domain::Timestamp>) -> Node {
    // Meta's guide shows the terms status among the default fields of this object.
    Node::new(
        catalogue::BUSINESS.name,
        &["id", "name", "marketing_messages_onboarding_status"],
    )
    .value("id", owner.id.to_string())
    .value("name", owner.name.clone())
    .value(
        "marketing_messages_onboarding_status",
        serde_json::to_value(business_status(owner, pending_since)).unwrap_or(Value::Null),
    )
}

/// Builds the WABA node as `caller` sees it, loading edges only when `sel` asks for them.
pub async fn node(
    state: &AppState,
    caller: &Caller,
    waba: &Waba,
    sel: Option<&FieldSelection>,
) -> ApiResult<Node> {
    let owner = state.store.business(waba.owner_business_id).await?;
    let now = state.clock.now();
    let status = owner
        .as_ref()
        .map(|o| waba_status(waba, o, &state.config.countries, now));
    let viewer = caller.token.business_id;
    let ownership = if viewer == Some(waba.graph_owner()) {
        "SELF_OWNED"
    } else if waba.obo_owner().is_some() {
        "AGENCY_OWNED"
    } else {
        "CLIENT_OWNED"
    };
    let obo_client = match waba.obo_owner() {
        Some(_) => owner.as_ref().map(|o| {
            Node::of(&catalogue::BUSINESS)
                .value("id", o.id.to_string())
                .value("name", o.name.clone())
        }),
        None => None,
    };
    let graph_owner = if waba.obo_owner().is_some() {
        state.store.business(waba.graph_owner()).await?
    } else {
        owner.clone()
    };
    let pending_since = match &graph_owner {
        Some(o) => crate::usecase::onboard::pending_request(state, o.id)
            .await?
            .map(|r| r.created_at),
        None => None,
    };
    let phones = if wants(sel, "phone_numbers") {
        let list = state.store.phone_numbers_of(waba.id).await?;
        Some(list.iter().map(phone::node).collect())
    } else {
        None
    };
    let templates = if wants(sel, "message_templates") {
        let list = state.store.templates_of(waba.id).await?;
        let ready = template::synced(waba, now);
        Some(list.iter().map(|t| template::node(t, ready)).collect())
    } else {
        None
    };
    let subscribed = if wants(sel, "subscribed_apps") {
        let seen = subscriptions_seen_by(state, caller, waba).await?;
        Some(
            seen.iter()
                .map(|(app, sub)| subscription_node(app.as_ref(), sub))
                .collect(),
        )
    } else {
        None
    };
    // The analytics fields take their parameters as modifiers
    // (`template_analytics.start(…).end(…)`), and answer as their edges do.
    let template_analytics = match sel.and_then(|s| s.get("template_analytics")) {
        Some(spec) => Some(
            super::analytics::template_analytics_of(state, waba, &Params::of_modifiers(spec))
                .await?,
        ),
        None => None,
    };
    let pricing_analytics = match sel.and_then(|s| s.get("pricing_analytics")) {
        Some(spec) => Some(
            super::analytics::pricing_analytics_of(state, waba, &Params::of_modifiers(spec))
                .await?,
        ),
        None => None,
    };
    let conversation_analytics = match sel.and_then(|s| s.get("conversation_analytics")) {
        Some(spec) => Some(
            super::analytics::conversation_analytics_of(state, waba, &Params::of_modifiers(spec))
                .await?,
        ),
        None => None,
    };
    let template_group_analytics = match sel.and_then(|s| s.get("template_group_analytics")) {
        Some(spec) => Some(
            super::analytics::template_group_analytics_of(state, waba, &Params::of_modifiers(spec))
                .await?,
        ),
        None => None,
    };
    let analytics = match sel.and_then(|s| s.get("analytics")) {
        Some(spec) => Some(
            super::analytics::messaging_analytics_of(state, waba, &Params::of_modifiers(spec))
                .await?,
        ),
        None => None,
    };
    Ok(Node::of(&catalogue::WABA)
        .maybe("template_analytics", template_analytics)
        .maybe("pricing_analytics", pricing_analytics)
        .maybe("conversation_analytics", conversation_analytics)
        .maybe("analytics", analytics)
        .maybe("template_group_analytics", template_group_analytics)
        .value("id", waba.id.to_string())
        .value("name", waba.name.clone())
        .value("currency", waba.currency.clone())
        .value("timezone_id", waba.timezone_id.clone())
        .value(
            "message_template_namespace",
            waba.message_template_namespace.clone(),
        )
        .value(
            "account_review_status",
            if waba.status == WabaStatus::Disabled {
                "REJECTED"
            } else {
                "APPROVED"
            },
        )
        .maybe(
            "business_verification_status",
            owner
                .as_ref()
                .map(|o| o.verification_status.to_ascii_uppercase()),
        )
        .value("country", waba.tax_country.to_string())
        .maybe(
            "primary_business_location",
            owner.as_ref().map(|o| o.country.to_string()),
        )
        .value("ownership_type", ownership)
        .value(
            "status",
            serde_json::to_value(waba.status).unwrap_or(Value::Null),
        )
        .maybe(
            "marketing_messages_onboarding_status",
            status.map(|s| s.as_str()),
        )
        .maybe(
            "marketing_messages_lite_api_status",
            status.map(|s| s.legacy_status()),
        )
        .node(
            "owner_business_info",
            graph_owner
                .as_ref()
                .map(|o| business_info(o, pending_since)),
        )
        .node("on_behalf_of_business_info", obo_client)
        .maybe("solution_id", waba.solution_id.map(|s| s.to_string()))
        .value(
            "is_enabled_for_insights",
            waba.insights_enabled_at.is_some(),
        )
        .edge("phone_numbers", phones)
        .edge("message_templates", templates)
        .edge("subscribed_apps", subscribed))
}

/// `GET /{waba-id}`.
pub async fn get(c: Ctx<'_>, waba: &Waba) -> ApiResult {
    let Ctx { state, req, caller } = c;
    let sel = req.params.fields()?;
    let node = node(state, caller, waba, sel.as_ref()).await?;
    Ok(Reply::json(node.project(sel.as_ref())?).about(waba.id))
}

/// `POST /{waba-id}`: rename, or change the timezone.
pub async fn update(c: Ctx<'_>, waba: &Waba) -> ApiResult {
    let Ctx { state, req, caller } = c;
    let change = WabaChange {
        name: req.params.str("name"),
        timezone_id: req.params.str("timezone_id"),
        insights: req.params.bool("is_enabled_for_insights")?,
    };
    let insights = change.insights.is_some();
    waba_settings::update(state, caller.app.id, waba, change).await?;
    // Meta's analytics page shows the WABA's ID as the answer to confirming insights; the
    // name and timezone updates answer `success`.
    let reply = if insights {
        Reply::json(serde_json::json!({"id": waba.id.to_string()}))
    } else {
        Reply::success()
    };
    Ok(reply.about(waba.id))
}

/// One subscribed app, as `/{waba-id}/subscribed_apps` and the WABA's `subscribed_apps` field
/// render it.
fn subscription_node(state_app: Option<&wamm_domain::App>, sub: &WabaSubscription) -> Node {
    let name = state_app.map(|a| a.name.as_str()).unwrap_or_default();
    Node::of(&catalogue::SUBSCRIBED_APP)
        .node(
            "whatsapp_business_api_data",
            Some(super::tokens::app_node(sub.app_id, name)),
        )
        .maybe("override_callback_uri", sub.override_callback_uri.clone())
}

fn subscription_json(state_app: Option<&wamm_domain::App>, sub: &WabaSubscription) -> Value {
    // The default selection names only fields the node has, so projecting it cannot fail.
    subscription_node(state_app, sub)
        .project(None)
        .unwrap_or(Value::Null)
}

/// The apps subscribed to `waba`, as `caller` may see them: where another app's webhooks go is
/// that app's business, not the caller's.
async fn subscriptions_seen_by(
    state: &AppState,
    caller: &Caller,
    waba: &Waba,
) -> ApiResult<Vec<(Option<wamm_domain::App>, WabaSubscription)>> {
    let mut seen = Vec::new();
    for mut sub in state.store.subscriptions_of(waba.id).await? {
        if sub.app_id != caller.app.id {
            sub.override_callback_uri = None;
        }
        let app = state.store.app(sub.app_id).await?;
        seen.push((app, sub));
    }
    Ok(seen)
}

/// `GET /{waba-id}/subscribed_apps`.
pub async fn subscribed_apps(c: Ctx<'_>, waba: &Waba) -> ApiResult {
    let Ctx {
        state,
        req: _,
        caller,
    } = c;
    let data: Vec<Value> = subscriptions_seen_by(state, caller, waba)
        .await?
        .iter()
        .map(|(app, sub)| subscription_json(app.as_ref(), sub))
        .collect();
    Ok(Reply::json(json!({ "data": data })).about(waba.id))
}

/// `POST /{waba-id}/subscribed_apps`: subscribes the caller's app, optionally overriding the
/// callback for this WABA.
pub async fn subscribe(c: Ctx<'_>, waba: &Waba) -> ApiResult {
    let Ctx { state, req, caller } = c;
    let override_uri = req
        .params
        .str("override_callback_uri")
        .filter(|u| !u.is_empty());
    let verify_token = req.params.str("verify_token").filter(|t| !t.is_empty());
    if let Some(uri) = &override_uri {
        // The form is the outbound client's to judge; an unreachable or forbidden destination
        // fails the handshake below instead.
        if let Err(crate::webhooks::outbound::OutboundError::BadUrl(_)) =
            state.webhooks.outbound.check(uri)
        {
            return Err(GraphError::invalid_parameter("Invalid callback URI format").into());
        }
        let Some(token) = &verify_token else {
            return Err(GraphError::invalid_parameter(
                "The parameter verify_token is required with override_callback_uri",
            )
            .into());
        };
        // An override is used only once it passes Meta's verification handshake.
        crate::webhooks::handshake::verify(&state.webhooks.outbound, uri, token)
            .await
            .map_err(|e| crate::usecase::app_subscriptions::handshake_error(&e))?;
    }
    let sub =
        waba_settings::subscribe(state, caller.app.id, waba, override_uri, verify_token).await?;
    let body = if sub.override_callback_uri.is_some() {
        json!({ "success": true, "data": [subscription_json(Some(&caller.app), &sub)] })
    } else {
        json!({ "success": true })
    };
    Ok(Reply::json(body).about(waba.id))
}

/// `DELETE /{waba-id}/subscribed_apps`: unsubscribes the caller's app.
pub async fn unsubscribe(c: Ctx<'_>, waba: &Waba) -> ApiResult {
    let Ctx { state, caller, .. } = c;
    waba_settings::unsubscribe(state, caller.app.id, waba).await?;
    Ok(Reply::success().about(waba.id))
}

#[cfg(test)]
mod tests {
    use wamm_wire::ids::{AppId, WabaId};

    use super::*;

    #[test]
    fn subscribed_app_builder_agrees_with_the_catalogue() {
        let sub = WabaSubscription {
            waba_id: WabaId::new(3001),
            app_id: AppId::new(2000),
            override_callback_uri: Some("https://partner.example/wh".into()),
            verify_token: Some("verify".into()),
            subscribed_at: wamm_domain::Timestamp::from_millis(0),
        };
        catalogue::assert_builder_agrees(&subscription_node(None, &sub));
    }
}
