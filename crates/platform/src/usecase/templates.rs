//! Templates: creation (with Meta's review outcome and, on an onboarded WABA, the ad chain of
//! a marketing template), edits and deletion by name.

use serde_json::json;
use wamm_domain::template::{
    TemplateError, ad_chain, validate_components, validate_language, validate_name, validate_ttl,
};
use wamm_domain::{NewEvent, Template, TemplateCategory, TemplateStatus, Waba};
use wamm_store::{ChangeSet, Delete, Put, StoreError};
use wamm_wire::GraphError;
use wamm_wire::ids::TemplateId;
use wamm_world::Mint;

use super::Error;
use crate::context::Platform;
use wamm_wire::json::enum_text;
use wamm_wire::webhooks as wire;

/// A template to create, as the caller wrote it.
#[derive(Debug, Clone)]
pub struct Draft {
    /// Name.
    pub name: String,
    /// Language code.
    pub language: String,
    /// Category.
    pub category: TemplateCategory,
    /// Components, as Graph takes them.
    pub components: serde_json::Value,
    /// `message_send_ttl_seconds`.
    pub ttl: Option<i64>,
    /// `POSITIONAL` or `NAMED`.
    pub parameter_format: String,
}

/// Changes to a template; `None` leaves a part as it is.
#[derive(Debug, Clone, Default)]
pub struct Edit {
    /// A new category (refused on an approved template).
    pub category: Option<TemplateCategory>,
    /// New components.
    pub components: Option<serde_json::Value>,
    /// A new TTL.
    pub ttl: Option<i64>,
}

/// A template parameter refused, as Graph words it.
pub fn invalid(e: &TemplateError) -> GraphError {
    GraphError::new(400, wamm_wire::error::kind::OAUTH, 100, "Invalid parameter")
        .with_user_message("Invalid parameter", e.to_string())
}

/// A template of this name and language exists already.
pub fn duplicate(name: &str, language: &str) -> GraphError {
    GraphError::new(400, wamm_wire::error::kind::OAUTH, 100, "Invalid parameter")
        .with_subcode(2_388_024)
        .with_user_message(
            "Content in This Language Already Exists",
            format!("There is already {language} content for the template {name}. You can create a new template and try again."),
        )
}

fn to_u32(ttl: Option<i64>) -> Option<u32> {
    ttl.and_then(|t| u32::try_from(t).ok())
}

/// Creates a template on `waba`; Meta's review approves it at once, and subscribed apps are
/// told so in the same commit.
pub async fn create(platform: &Platform, waba: &Waba, draft: Draft) -> Result<Template, Error> {
    let Draft {
        name,
        language,
        category: cat,
        components,
        ttl,
        parameter_format,
    } = draft;
    validate_name(&name).map_err(|e| invalid(&e))?;
    validate_language(&language).map_err(|e| invalid(&e))?;
    validate_components(&components).map_err(|e| invalid(&e))?;
    if let Some(ttl) = ttl {
        validate_ttl(cat, ttl).map_err(|e| invalid(&e))?;
    }
    if !matches!(parameter_format.as_str(), "POSITIONAL" | "NAMED") {
        return Err(invalid(&TemplateError {
            param: "parameter_format".into(),
            message: "must be POSITIONAL or NAMED".into(),
        })
        .into());
    }
    let existing = platform.store.templates_of(waba.id).await?;
    if existing
        .iter()
        .any(|t| t.name == name && t.language == language)
    {
        return Err(duplicate(&name, &language).into());
    }
    let mut block = platform.minter.block(4).await?;
    let mut template = Template {
        id: TemplateId::new(block.next_id()),
        waba_id: waba.id,
        name,
        language,
        category: cat,
        status: TemplateStatus::Approved,
        parameter_format,
        components,
        message_send_ttl_seconds: to_u32(ttl),
        ad: None,
        created_at: platform.clock.now(),
    };
    // On an onboarded WABA a new marketing template gets its ad entities right away.
    let pixels = match waba.ad_account_id {
        Some(_) => {
            platform
                .store
                .pixels_owned_by(waba.owner_business_id)
                .await?
        }
        None => Vec::new(),
    };
    template.ad = waba
        .ad_account_id
        .as_deref()
        .and_then(|account| ad_chain(&template, account, &pixels, || block.next_id()));
    let event = NewEvent {
        at: template.created_at,
        kind: "template.created".into(),
        subject: format!("template:{}", template.id),
        detail: json!({ "waba_id": waba.id.to_string(), "name": template.name, "language": template.language, "category": enum_text(cat) }),
    };
    // Meta tells subscribed apps about the review outcome.
    let status_update = wire::to_value(&wire::TemplateStatusUpdate {
        event: wire::TemplateStatus::from_wire(&enum_text(template.status)),
        message_template_id: Some(template.id.get().to_string()),
        message_template_name: Some(template.name.clone()),
        message_template_language: Some(template.language.clone()),
        reason: Some("NONE".to_owned()),
        message_template_category: Some(wire::TemplateCategory::from_wire(&enum_text(cat))),
        disable_date: None,
        other_info: None,
    });
    let hooks = crate::webhooks::fanout::for_waba(
        platform,
        waba.id,
        "message_template_status_update",
        &status_update,
        template.created_at,
    )
    .await?;
    let created = template.clone();
    match platform
        .commit(
            ChangeSet::new()
                .put(Put::Template(template))
                .event(event)
                .webhooks(hooks),
        )
        .await
    {
        Ok(_) => Ok(created),
        // A concurrent create of the same name and language lost the race.
        Err(StoreError::Conflict(_)) => Err(duplicate(&created.name, &created.language).into()),
        Err(e) => Err(e.into()),
    }
}

/// Edits `template` of `waba`.
pub async fn edit(
    platform: &Platform,
    waba: &Waba,
    template: &Template,
    edit: Edit,
) -> Result<(), Error> {
    let mut t = template.clone();
    if let Some(cat) = edit.category {
        if cat != t.category && t.status == TemplateStatus::Approved {
            return Err(GraphError::invalid_parameter(
                "The category of an approved template cannot be changed",
            )
            .into());
        }
        t.category = cat;
    }
    if let Some(components) = edit.components {
        validate_components(&components).map_err(|e| invalid(&e))?;
        t.components = components;
    }
    if let Some(ttl) = edit.ttl {
        validate_ttl(t.category, ttl).map_err(|e| invalid(&e))?;
        t.message_send_ttl_seconds = to_u32(Some(ttl));
    }
    let event = NewEvent {
        at: platform.clock.now(),
        kind: "template.edited".into(),
        subject: format!("template:{}", t.id),
        detail: json!({ "waba_id": waba.id.to_string() }),
    };
    platform
        .commit(ChangeSet::new().put(Put::Template(t)).event(event))
        .await?;
    Ok(())
}

/// Deletes the templates of `waba` named `name` (every language), or only the one `hsm_id`
/// names.
pub async fn delete_named(
    platform: &Platform,
    waba: &Waba,
    name: &str,
    hsm_id: Option<&str>,
) -> Result<(), Error> {
    let doomed: Vec<Template> = platform
        .store
        .templates_of(waba.id)
        .await?
        .into_iter()
        .filter(|t| t.name == name && hsm_id.is_none_or(|h| h == t.id.to_string()))
        .collect();
    if doomed.is_empty() {
        return Err(GraphError::invalid_parameter(format!(
            "Message template \"{name}\" does not exist"
        ))
        .into());
    }
    let mut changes = ChangeSet::new();
    for t in &doomed {
        changes = changes.delete(Delete::Template(t.id)).event(NewEvent {
            at: platform.clock.now(),
            kind: "template.deleted".into(),
            subject: format!("template:{}", t.id),
            detail: json!({ "waba_id": waba.id.to_string(), "name": t.name, "language": t.language }),
        });
    }
    platform.commit(changes).await?;
    Ok(())
}

/// Most templates a template group holds.
pub const MAX_GROUP_TEMPLATES: usize = 100;

/// Creates a template group on `waba`: `name` (1 to 512 characters), an optional
/// `description`, and 1 to [`MAX_GROUP_TEMPLATES`] templates, all of the WABA.
pub async fn create_group(
    platform: &Platform,
    waba: &Waba,
    name: &str,
    description: &str,
    templates: &[TemplateId],
) -> Result<wamm_domain::TemplateGroup, Error> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 512 {
        return Err(GraphError::invalid_parameter(
            "Param name must be between 1 and 512 characters",
        )
        .into());
    }
    if templates.is_empty() || templates.len() > MAX_GROUP_TEMPLATES {
        return Err(GraphError::invalid_parameter(format!(
            "Param whatsapp_business_templates must list 1 to {MAX_GROUP_TEMPLATES} template IDs"
        ))
        .into());
    }
    let of_waba = platform.store.templates_of(waba.id).await?;
    if let Some(stranger) = templates
        .iter()
        .find(|t| !of_waba.iter().any(|o| o.id == **t))
    {
        return Err(GraphError::invalid_parameter(format!(
            "Template {stranger} is not a template of this WhatsApp Business Account"
        ))
        .into());
    }
    let mut unique: Vec<TemplateId> = Vec::with_capacity(templates.len());
    for t in templates {
        if !unique.contains(t) {
            unique.push(*t);
        }
    }
    let mut block = platform.minter.block(1).await?;
    let now = platform.clock.now();
    let group = wamm_domain::TemplateGroup {
        id: wamm_wire::ids::TemplateGroupId::new(block.next_id()),
        waba_id: waba.id,
        name: name.to_owned(),
        description: description.trim().to_owned(),
        template_ids: unique,
        created_at: now,
    };
    let event = NewEvent {
        at: now,
        kind: "template_group.created".into(),
        subject: format!("waba:{}", waba.id),
        detail: json!({ "id": group.id.to_string(), "name": group.name, "templates": group.template_ids.len() }),
    };
    platform
        .commit(
            ChangeSet::new()
                .put(Put::TemplateGroup(group.clone()))
                .event(event),
        )
        .await?;
    Ok(group)
}
