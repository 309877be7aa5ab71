//! `/{waba-id}/message_templates` and `/{template-id}`.

use serde_json::{Value, json};
use wamm_domain::template::{
    TemplateError, ad_chain, validate_components, validate_language, validate_name, validate_ttl,
};
use wamm_domain::{NewEvent, Template, TemplateCategory, TemplateStatus, Waba};
use wamm_store::{ChangeSet, Delete, Put, StoreError};
use wamm_wire::GraphError;
use wamm_wire::ids::TemplateId;
use wamm_world::Mint;

use super::catalogue;
use super::lists::{id_key, page};
use super::render::{Node, enum_text};
use super::reply::{ApiError, ApiResult, Reply};
use super::request::GraphRequest;
use super::routes::Ctx;

/// Whether Meta's ad sync for `waba` is done by `now` (its ad fields are readable then).
pub fn synced(waba: &Waba, now: wamm_domain::Timestamp) -> bool {
    waba.mm_setup_complete_at.is_some_and(|t| t <= now)
}

/// The template node; `synced` says whether its ad entities are readable yet.
pub fn node(t: &Template, synced: bool) -> Node {
    let ad = t.ad.as_ref().filter(|_| synced);
    Node::of(&catalogue::TEMPLATE)
        .value("id", t.id.to_string())
        .value("name", t.name.clone())
        .value("language", t.language.clone())
        .value("status", enum_text(t.status))
        .value("category", enum_text(t.category))
        .value("parameter_format", t.parameter_format.clone())
        .value("components", t.components.clone())
        .maybe("message_send_ttl_seconds", t.message_send_ttl_seconds)
        .value(
            "rejected_reason",
            if t.status == TemplateStatus::Rejected {
                "INVALID_FORMAT"
            } else {
                "NONE"
            },
        )
        .maybe("previous_category", None::<String>)
        .maybe("ad_account_id", ad.map(|a| a.ad_account_id.clone()))
        .maybe("ad_campaign_id", ad.map(|a| a.ad_campaign_id.clone()))
        .maybe("ad_adset_id", ad.map(|a| a.ad_adset_id.clone()))
        .maybe("ad_id", ad.map(|a| a.ad_id.clone()))
}

fn invalid(e: &TemplateError) -> GraphError {
    GraphError::new(400, wamm_wire::error::kind::OAUTH, 100, "Invalid parameter")
        .with_user_message("Invalid parameter", e.to_string())
}

fn duplicate(name: &str, language: &str) -> GraphError {
    GraphError::new(400, wamm_wire::error::kind::OAUTH, 100, "Invalid parameter")
        .with_subcode(2_388_024)
        .with_user_message(
            "Content in This Language Already Exists",
            format!("There is already {language} content for the template {name}. You can create a new template and try again."),
        )
}

fn category(text: &str) -> Result<TemplateCategory, GraphError> {
    serde_json::from_value(Value::String(text.to_ascii_uppercase())).map_err(|_| {
        invalid(&TemplateError {
            param: "category".into(),
            message: format!("'{text}' is not a template category"),
        })
    })
}

/// `GET /{waba-id}/message_templates`, with Graph's `name`, `status`, `category` and
/// `language` filters, and the `summary` Meta documents for this edge.
pub async fn list(c: Ctx<'_>, waba: &Waba) -> ApiResult {
    let Ctx { state, req, .. } = c;
    let name = req.params.str("name");
    // Each filter takes one value or a list (`["APPROVED","PAUSED"]` or `APPROVED,PAUSED`).
    let upper = |items: Vec<String>| -> Vec<String> {
        items.iter().map(|s| s.to_ascii_uppercase()).collect()
    };
    let status = req.params.list("status").map(upper);
    let cat = req.params.list("category").map(upper);
    let language = req.params.list("language");
    let ready = synced(waba, state.clock.now());
    let all = state.store.templates_of(waba.id).await?;
    let nodes: Vec<(String, Node)> = all
        .iter()
        .filter(|t| name.as_ref().is_none_or(|n| t.name.contains(n.as_str())))
        .filter(|t| {
            status
                .as_ref()
                .is_none_or(|s| s.contains(&enum_text(t.status)))
        })
        .filter(|t| {
            cat.as_ref()
                .is_none_or(|c| c.contains(&enum_text(t.category)))
        })
        .filter(|t| language.as_ref().is_none_or(|l| l.contains(&t.language)))
        .map(|t| (id_key(t.id.get()), node(t, ready)))
        .collect();
    let total = nodes.len();
    let mut body = page(req, nodes, &req.params.filtering()?)?;
    if let Some(asked) = req.params.list("summary") {
        body["summary"] = summary(&asked, total, all.len());
    }
    Ok(Reply::json(body).about(waba.id))
}

/// The most templates a WABA may hold: Meta's documented 250 (the platform does not enforce
/// it; clients such as pywa read it from the summary).
const TEMPLATE_LIMIT: usize = 250;

/// `summary` of `message_templates`, holding the `asked` items Meta documents (`true` asks
/// for `total_count`, as on any Graph edge; other names are ignored): `total_count` counts the
/// templates the filters kept, `message_template_count` all of the WABA's, and
/// `are_translations_complete` is always true, since every template is created whole here.
fn summary(asked: &[String], total: usize, count: usize) -> Value {
    let mut out = serde_json::Map::new();
    for item in asked {
        let (key, value) = match item.as_str() {
            "true" | "total_count" => ("total_count", json!(total)),
            "message_template_count" => ("message_template_count", json!(count)),
            "message_template_limit" => ("message_template_limit", json!(TEMPLATE_LIMIT)),
            "are_translations_complete" => ("are_translations_complete", json!(true)),
            _ => continue,
        };
        out.insert(key.to_owned(), value);
    }
    Value::Object(out)
}

fn ttl_param(req: &GraphRequest) -> Result<Option<i64>, GraphError> {
    req.params.int("message_send_ttl_seconds")
}

fn to_u32(ttl: Option<i64>) -> Option<u32> {
    ttl.and_then(|t| u32::try_from(t).ok())
}

/// `POST /{waba-id}/message_templates`: creates a template.
pub async fn create(c: Ctx<'_>, waba: &Waba) -> ApiResult {
    let Ctx { state, req, .. } = c;
    let name = req.params.required("name")?;
    let language = req.params.required("language")?;
    let cat = category(&req.params.required("category")?)?;
    let components = req
        .params
        .json("components")?
        .ok_or_else(|| GraphError::invalid_parameter("The parameter components is required"))?;
    let ttl = ttl_param(req)?;
    let parameter_format = req
        .params
        .str("parameter_format")
        .map_or_else(|| "POSITIONAL".to_owned(), |f| f.to_ascii_uppercase());
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
    let existing = state.store.templates_of(waba.id).await?;
    if existing
        .iter()
        .any(|t| t.name == name && t.language == language)
    {
        return Err(duplicate(&name, &language).into());
    }
    let mut block = state.minter.block(4).await?;
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
        created_at: state.clock.now(),
    };
    // On an onboarded WABA a new marketing template gets its ad entities right away.
    template.ad = waba
        .ad_account_id
        .as_deref()
        .and_then(|account| ad_chain(&template, account, || block.next_id()));
    let event = NewEvent {
        at: template.created_at,
        kind: "template.created".into(),
        subject: format!("template:{}", template.id),
        detail: json!({ "waba_id": waba.id.to_string(), "name": template.name, "language": template.language, "category": enum_text(cat) }),
    };
    let body = json!({ "id": template.id.to_string(), "status": enum_text(template.status), "category": enum_text(cat) });
    let (name, language) = (template.name.clone(), template.language.clone());
    // Meta tells subscribed apps about the review outcome.
    let status_update = json!({
        "event": enum_text(template.status),
        "message_template_id": template.id.get(),
        "message_template_name": template.name,
        "message_template_language": template.language,
        "message_template_category": enum_text(cat),
        "reason": "NONE",
    });
    let hooks = crate::webhooks::fanout::for_waba(
        state,
        waba.id,
        "message_template_status_update",
        &status_update,
        template.created_at,
    )
    .await?;
    match state
        .commit(
            ChangeSet::new()
                .put(Put::Template(template))
                .event(event)
                .webhooks(hooks),
        )
        .await
    {
        Ok(_) => Ok(Reply::json(body).about(waba.id)),
        // A concurrent create of the same name and language lost the race.
        Err(StoreError::Conflict(_)) => Err(duplicate(&name, &language).into()),
        Err(e) => Err(ApiError::Store(e)),
    }
}

/// `GET /{template-id}`.
pub async fn get(c: Ctx<'_>, t: &Template, waba: &Waba) -> ApiResult {
    let Ctx { state, req, .. } = c;
    let sel = req.params.fields()?;
    let ready = synced(waba, state.clock.now());
    Ok(Reply::json(node(t, ready).project(sel.as_ref())?).about(waba.id))
}

/// `POST /{template-id}`: edits components, category or TTL.
pub async fn edit(c: Ctx<'_>, t: &Template, waba: &Waba) -> ApiResult {
    let Ctx { state, req, .. } = c;
    let mut t = t.clone();
    if let Some(text) = req.params.str("category") {
        let cat = category(&text)?;
        if cat != t.category && t.status == TemplateStatus::Approved {
            return Err(GraphError::invalid_parameter(
                "The category of an approved template cannot be changed",
            )
            .into());
        }
        t.category = cat;
    }
    if let Some(components) = req.params.json("components")? {
        validate_components(&components).map_err(|e| invalid(&e))?;
        t.components = components;
    }
    if let Some(ttl) = ttl_param(req)? {
        validate_ttl(t.category, ttl).map_err(|e| invalid(&e))?;
        t.message_send_ttl_seconds = to_u32(Some(ttl));
    }
    let event = NewEvent {
        at: state.clock.now(),
        kind: "template.edited".into(),
        subject: format!("template:{}", t.id),
        detail: json!({ "waba_id": waba.id.to_string() }),
    };
    state
        .store
        .commit(ChangeSet::new().put(Put::Template(t)).event(event))
        .await?;
    Ok(Reply::success().about(waba.id))
}

/// `DELETE /{waba-id}/message_templates?name=…[&hsm_id=…]`.
pub async fn delete_by_name(c: Ctx<'_>, waba: &Waba) -> ApiResult {
    let Ctx { state, req, .. } = c;
    let name = req.params.required("name")?;
    let hsm = req.params.str("hsm_id");
    let doomed: Vec<Template> = state
        .store
        .templates_of(waba.id)
        .await?
        .into_iter()
        .filter(|t| t.name == name && hsm.as_ref().is_none_or(|h| *h == t.id.to_string()))
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
            at: state.clock.now(),
            kind: "template.deleted".into(),
            subject: format!("template:{}", t.id),
            detail: json!({ "waba_id": waba.id.to_string(), "name": t.name, "language": t.language }),
        });
    }
    state.store.commit(changes).await?;
    Ok(Reply::success().about(waba.id))
}

#[cfg(test)]
mod tests {
    use wamm_wire::ids::WabaId;

    use super::*;

    #[test]
    fn builder_agrees_with_the_catalogue() {
        let t = Template {
            id: TemplateId::new(5001),
            waba_id: WabaId::new(3001),
            name: "summer_sale".into(),
            language: "en_US".into(),
            category: TemplateCategory::Marketing,
            status: TemplateStatus::Approved,
            parameter_format: "POSITIONAL".into(),
            components: json!([]),
            message_send_ttl_seconds: None,
            ad: None,
            created_at: wamm_domain::Timestamp(0),
        };
        catalogue::assert_builder_agrees(&node(&t, true));
    }
}
