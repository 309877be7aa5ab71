//! The MM API's ad objects as Graph nodes: `/act_{ad-account-id}`, `/{campaign-id}`,
//! `/{adset-id}` and `/{ad-id}`, read-only, rendered from the WABA and the template they
//! mirror.
//!
//! Meta documents neither their names nor their statuses; wamm names the account after the
//! WABA, a campaign and an ad set after the template, and an ad after the template and its
//! language. The status follows the template (`PAUSED` while it is paused or disabled); the
//! account is `account_status` 1 (active), 2 (disabled) once coexistence offboarding
//! unlinked it.

use serde_json::json;
use wamm_domain::ads::{ActivationStatus, AdObjectKind, goal};
use wamm_domain::{Template, TemplateStatus};

use super::catalogue::{self, NodeType};
use super::objects::AdNode;
use super::render::{Node, enum_text};
use super::reply::{ApiResult, Reply};
use super::routes::Ctx;

/// `GET` on an ad account, campaign, ad set or ad.
pub async fn get(c: Ctx<'_>, ad: &AdNode) -> ApiResult {
    let sel = c.req.params.fields()?;
    let currency = c.state.rates().currency.clone();
    Ok(Reply::json(node(ad, &currency).project(sel.as_ref())?).about(&ad.account))
}

/// The node's catalogue entry.
pub fn node_type(kind: AdObjectKind) -> &'static NodeType {
    match kind {
        AdObjectKind::Account => &catalogue::AD_ACCOUNT,
        AdObjectKind::Campaign => &catalogue::CAMPAIGN,
        AdObjectKind::Adset => &catalogue::ADSET,
        AdObjectKind::Ad => &catalogue::AD,
    }
}

/// The node of `ad`; `currency` is what its spend is counted in (the rate card's).
pub fn node(ad: &AdNode, currency: &str) -> Node {
    let Some(template) = &ad.template else {
        return account(ad, currency);
    };
    let (objective, goal) = chain_goal(template);
    // Loading the node checked that the template's chain carries its ID.
    let chain = template.ad.as_ref();
    let status = status(template, ad.disabled());
    let created = template.created_at.graph_time();
    let base = Node::of(node_type(ad.kind))
        .value("id", ad.id.to_string())
        .value("account_id", ad.account.clone())
        .value("status", status)
        .value("effective_status", status)
        .value("created_time", created.clone());
    match ad.kind {
        AdObjectKind::Campaign => base
            .value("name", template.name.clone())
            .value("objective", enum_text(objective))
            .value("start_time", created),
        AdObjectKind::Adset => base
            .value("name", template.name.clone())
            .maybe("campaign_id", chain.map(|c| c.ad_campaign_id.clone()))
            .value("optimization_goal", enum_text(goal)),
        AdObjectKind::Ad | AdObjectKind::Account => base
            .value("name", format!("{} ({})", template.name, template.language))
            .maybe("campaign_id", chain.map(|c| c.ad_campaign_id.clone()))
            .maybe("adset_id", chain.map(|c| c.ad_adset_id.clone())),
    }
}

fn account(ad: &AdNode, currency: &str) -> Node {
    let disabled = ad.disabled();
    let activation = if disabled {
        ActivationStatus::MarketingMessageNotOnboarded
    } else {
        ActivationStatus::MarketingMessageOnboarded
    };
    Node::of(&catalogue::AD_ACCOUNT)
        .value("id", ad.graph_id())
        .value("account_id", ad.account.clone())
        .value("name", ad.waba.name.clone())
        .value("account_status", if disabled { 2 } else { 1 })
        .value("currency", currency.to_owned())
        .value(
            "business",
            json!({"id": ad.waba.owner_business_id.to_string()}),
        )
        .value("created_time", ad.waba.created_at.graph_time())
        .value(
            "marketing_messages_settings",
            json!({"whatsapp_activation_status": enum_text(activation)}),
        )
}

/// The objective and goal fixed on the template's chain (computed from its shape for chains
/// created before they were recorded).
pub fn chain_goal(
    template: &Template,
) -> (
    wamm_domain::ads::Objective,
    wamm_domain::ads::OptimizationGoal,
) {
    let computed = goal(template, false);
    let chain = template.ad.as_ref();
    (
        chain.and_then(|c| c.objective).unwrap_or(computed.0),
        chain
            .and_then(|c| c.optimization_goal)
            .unwrap_or(computed.1),
    )
}

/// `ACTIVE`, or `PAUSED` while the template cannot be sent or the account is disabled.
const fn status(template: &Template, disabled: bool) -> &'static str {
    match template.status {
        _ if disabled => "PAUSED",
        TemplateStatus::Paused | TemplateStatus::Disabled => "PAUSED",
        _ => "ACTIVE",
    }
}
