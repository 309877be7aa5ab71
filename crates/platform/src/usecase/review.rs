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
use wamm_wire::webhooks as wire;

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
    let mut update = wire::TemplateStatusUpdate {
        event: wire::TemplateStatus::from_wire(&enum_text(status)),
        message_template_id: Some(template.id.get().to_string()),
        message_template_name: Some(template.name.clone()),
        message_template_language: Some(template.language.clone()),
        reason: Some(reason.unwrap_or_else(|| "NONE".to_owned())),
        message_template_category: None,
        disable_date: None,
        other_info: None,
    };
    match status {
        TemplateStatus::Paused => {
            update.other_info = Some(wire::OtherInfo {
                title: Some("FIRST_PAUSE".to_owned()),
                description: Some("Your WhatsApp message template has been paused for 3 hours until 2 AM because it continued to have issues.".to_owned()),
            });
        }
        TemplateStatus::Approved | TemplateStatus::Pending => {
            update.message_template_category = Some(wire_category(template.category));
        }
        TemplateStatus::Rejected | TemplateStatus::Disabled => {}
    }
    let value = wire::to_value(&update);
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
    let mut update = wire::TemplateCategoryUpdate {
        message_template_id: Some(template.id.get().to_string()),
        message_template_name: Some(template.name.clone()),
        message_template_language: Some(template.language.clone()),
        ..wire::TemplateCategoryUpdate::default()
    };
    let mut changes = ChangeSet::new();
    if impending {
        update.correct_category = Some(wire_category(category));
        update.new_category = Some(wire_category(template.category));
        update.category_update_timestamp = Some(now.plus_seconds(86_400).unix_seconds());
    } else {
        update.previous_category = Some(wire_category(template.category));
        update.new_category = Some(wire_category(category));
        template.category = category;
        if category == TemplateCategory::Marketing
            && template.ad.is_none()
            && let Some(waba) = state.store.waba(template.waba_id).await?
            && let Some(account) = waba.ad_account_id
        {
            let mut block = state.minter.block(3).await?;
            let pixels = state.store.pixels_owned_by(waba.owner_business_id).await?;
            template.ad = wamm_domain::template::ad_chain(&template, &account, &pixels, || {
                wamm_world::Mint::next_id(&mut block)
            });
        }
        if category != TemplateCategory::Marketing {
            template.ad = None;
        }
        changes = changes.put(Put::Template(template.clone()));
    }
    let value = wire::to_value(&update);
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

/// A template category as webhooks write it.
fn wire_category(category: TemplateCategory) -> wire::TemplateCategory {
    wire::TemplateCategory::from_wire(&enum_text(category))
}
