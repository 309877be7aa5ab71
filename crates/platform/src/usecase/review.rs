//! What Meta's template review does after creation, driven through the control API: status
//! changes (`message_template_status_update`) and recategorisation (`template_category_update`,
//! impending and completed), each committed with its webhooks.

use serde_json::{Value, json};
use wamm_domain::{NewEvent, TemplateCategory, TemplateStatus};
use wamm_store::{ChangeSet, Put, StoreError};
use wamm_wire::ids::TemplateId;

use crate::context::Platform;
use crate::webhooks::fanout;
use wamm_wire::json::enum_text;

/// Why a review action did nothing.
#[derive(Debug, thiserror::Error)]
pub enum ReviewError {
    /// No such template.
    #[error("no template {0}")]
    NotFound(TemplateId),
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

async fn load(state: &Platform, id: TemplateId) -> Result<wamm_domain::Template, ReviewError> {
    state
        .store
        .template(id)
        .await?
        .ok_or(ReviewError::NotFound(id))
}

/// Sets template `id`'s status (with Meta's `reason`, e.g. `INCORRECT_CATEGORY` for a
/// rejection) and tells subscribed apps. Returns the webhook value sent.
pub async fn set_status(
    state: &Platform,
    id: TemplateId,
    status: TemplateStatus,
    reason: Option<String>,
) -> Result<Value, ReviewError> {
    let mut template = load(state, id).await?;
    let now = state.clock.now();
    let previous = template.status;
    template.status = status;
    let mut value = json!({
        "event": enum_text(status),
        "message_template_id": template.id.get(),
        "message_template_name": template.name,
        "message_template_language": template.language,
        "reason": reason.unwrap_or_else(|| "NONE".to_owned()),
    });
    match status {
        TemplateStatus::Paused => {
            value["other_info"] = json!({
                "title": "FIRST_PAUSE",
                "description": "Your WhatsApp message template has been paused for 3 hours until 2 AM because it continued to have issues.",
            });
        }
        TemplateStatus::Approved | TemplateStatus::Pending => {
            value["message_template_category"] = json!(enum_text(template.category));
        }
        TemplateStatus::Rejected | TemplateStatus::Disabled => {}
    }
    let hooks = fanout::for_waba(
        state,
        template.waba_id,
        "message_template_status_update",
        &value,
        now,
    )
    .await?;
    let event = NewEvent {
        at: now,
        kind: "template.status_changed".into(),
        subject: format!("template:{id}"),
        detail: json!({ "from": enum_text(previous), "to": enum_text(status), "webhooks": hooks.len() }),
    };
    state
        .commit(
            ChangeSet::new()
                .put(Put::Template(template))
                .webhooks(hooks)
                .event(event),
        )
        .await?;
    Ok(value)
}

/// Recategorises template `id` as `category`. `impending` only announces it (Meta's notice
/// a day ahead: `correct_category`, `category_update_timestamp`); otherwise the category
/// changes and the completed notice (`previous_category`, `new_category`) goes out. A template
/// that becomes MARKETING on a WABA with a linked ad account gets its ad entity chain.
pub async fn recategorise(
    state: &Platform,
    id: TemplateId,
    category: TemplateCategory,
    impending: bool,
) -> Result<Value, ReviewError> {
    let mut template = load(state, id).await?;
    let now = state.clock.now();
    let mut value = json!({
        "message_template_id": template.id.get(),
        "message_template_name": template.name,
        "message_template_language": template.language,
    });
    let mut changes = ChangeSet::new();
    if impending {
        value["correct_category"] = json!(enum_text(category));
        value["new_category"] = json!(enum_text(template.category));
        value["category_update_timestamp"] = json!(now.plus_seconds(86_400).unix_seconds());
    } else {
        value["previous_category"] = json!(enum_text(template.category));
        value["new_category"] = json!(enum_text(category));
        template.category = category;
        if category == TemplateCategory::Marketing
            && template.ad.is_none()
            && let Some(waba) = state.store.waba(template.waba_id).await?
            && let Some(account) = waba.ad_account_id
        {
            let mut block = state.minter.block(3).await?;
            template.ad = wamm_domain::template::ad_chain(&template, &account, || {
                wamm_world::Mint::next_id(&mut block)
            });
        }
        if category != TemplateCategory::Marketing {
            template.ad = None;
        }
        changes = changes.put(Put::Template(template.clone()));
    }
    let hooks = fanout::for_waba(
        state,
        template.waba_id,
        "template_category_update",
        &value,
        now,
    )
    .await?;
    let event = NewEvent {
        at: now,
        kind: if impending {
            "template.category_change_announced"
        } else {
            "template.recategorised"
        }
        .into(),
        subject: format!("template:{id}"),
        detail: value.clone(),
    };
    state.commit(changes.webhooks(hooks).event(event)).await?;
    Ok(value)
}
