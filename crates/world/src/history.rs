//! A WABA's `history:` section, checked and resolved against the WABA's numbers and templates
//! into the domain's [`HistorySpec`], which the platform replays after loading the world.

use wamm_domain::history::{
    HistorySpec, HistoryTemplate, MAX_DAYS, MAX_SENDS, MAX_SENDS_PER_DAY, example_components,
    generated_recipients,
};
use wamm_domain::model::{PhoneNumber, Template, TemplateCategory, TemplateStatus};
use wamm_domain::template::url_button;
use wamm_wire::ids::WabaId;

use crate::file::{HistoryEntry, PhoneEntry, RecipientsEntry};
use crate::text::WorldError;

/// The most recipients a history may generate or list.
const MAX_RECIPIENTS: usize = 100_000;

/// Resolves `entry` (at `path`) for the WABA `waba_id`, whose numbers are `phones` (as the
/// file gives them, and as built) and whose templates are `templates`.
pub(crate) fn resolve(
    entry: &HistoryEntry,
    path: &str,
    waba_id: WabaId,
    phones: &[(&PhoneEntry, &PhoneNumber)],
    templates: &[&Template],
) -> Result<HistorySpec, WorldError> {
    if entry.days == 0 || entry.days > MAX_DAYS {
        return Err(WorldError::invalid(
            format!("{path}.days"),
            format!("a history covers 1 to {MAX_DAYS} days"),
        ));
    }
    let phone = match &entry.phone_number {
        None => phones.first().map(|(_, p)| *p).ok_or_else(|| {
            WorldError::invalid(
                format!("{path}.phone_number"),
                "the WABA has no phone number to send its history from",
            )
        })?,
        Some(name) => phones
            .iter()
            .find(|(e, p)| e.key.as_deref() == Some(name) || p.display_phone_number == *name)
            .map(|(_, p)| *p)
            .ok_or_else(|| {
                WorldError::invalid(
                    format!("{path}.phone_number"),
                    format!("'{name}' is neither the key nor the display number of one of this WABA's numbers"),
                )
            })?,
    };
    if !phone.registered {
        return Err(WorldError::invalid(
            format!("{path}.phone_number"),
            "a history is sent from a registered number",
        ));
    }
    if entry.templates.is_empty() {
        return Err(WorldError::invalid(
            format!("{path}.templates"),
            "a history sends at least one template",
        ));
    }
    let mut resolved = Vec::new();
    for (i, t) in entry.templates.iter().enumerate() {
        let path = format!("{path}.templates[{i}]");
        let named: Vec<&&Template> = templates
            .iter()
            .filter(|c| c.name == t.name && t.language.as_ref().is_none_or(|l| *l == c.language))
            .collect();
        let template = match named.as_slice() {
            [one] => **one,
            [] => {
                return Err(WorldError::invalid(
                    format!("{path}.name"),
                    format!(
                        "the WABA has no template '{}'{}",
                        t.name,
                        t.language
                            .as_ref()
                            .map(|l| format!(" in {l}"))
                            .unwrap_or_default()
                    ),
                ));
            }
            _ => {
                return Err(WorldError::invalid(
                    format!("{path}.language"),
                    format!("'{}' exists in several languages; say which", t.name),
                ));
            }
        };
        if template.status != TemplateStatus::Approved {
            return Err(WorldError::invalid(
                format!("{path}.name"),
                format!("'{}' is not approved, so it cannot be sent", t.name),
            ));
        }
        if t.marketing_messages > 0 && template.category != TemplateCategory::Marketing {
            return Err(WorldError::invalid(
                format!("{path}.marketing_messages"),
                format!(
                    "'{}' is not a MARKETING template; MM API sends only those",
                    t.name
                ),
            ));
        }
        for (field, n) in [
            ("marketing_messages", t.marketing_messages),
            ("messages", t.messages),
        ] {
            if n > MAX_SENDS_PER_DAY {
                return Err(WorldError::invalid(
                    format!("{path}.{field}"),
                    format!("at most {MAX_SENDS_PER_DAY} sends a day"),
                ));
            }
        }
        resolved.push(HistoryTemplate {
            template_id: template.id,
            name: template.name.clone(),
            language: template.language.clone(),
            clickable: url_button(template).is_some(),
            components: example_components(&template.components),
            marketing_messages: t.marketing_messages,
            messages: t.messages,
        });
    }
    if resolved
        .iter()
        .all(|t| t.marketing_messages == 0 && t.messages == 0)
    {
        return Err(WorldError::invalid(
            format!("{path}.templates"),
            "a history sends something: give marketing_messages or messages",
        ));
    }
    let daily: u64 = resolved
        .iter()
        .map(|t| u64::from(t.marketing_messages) + u64::from(t.messages))
        .sum();
    if daily * u64::from(entry.days) > MAX_SENDS {
        return Err(WorldError::invalid(
            format!("{path}.templates"),
            format!(
                "{} days of {daily} sends is more than the {MAX_SENDS} sends a history may make",
                entry.days
            ),
        ));
    }
    let recipients = match &entry.recipients {
        RecipientsEntry::Count(n) => {
            let n = usize::try_from(*n).unwrap_or(usize::MAX);
            if n == 0 || n > MAX_RECIPIENTS {
                return Err(WorldError::invalid(
                    format!("{path}.recipients"),
                    format!("a history has 1 to {MAX_RECIPIENTS} recipients"),
                ));
            }
            let sender = wamm_domain::phone_digits(&phone.display_phone_number);
            generated_recipients(&sender, u32::try_from(n).unwrap_or(u32::MAX))
        }
        RecipientsEntry::Numbers(numbers) => {
            if numbers.is_empty() || numbers.len() > MAX_RECIPIENTS {
                return Err(WorldError::invalid(
                    format!("{path}.recipients"),
                    format!("a history has 1 to {MAX_RECIPIENTS} recipients"),
                ));
            }
            let mut digits = Vec::with_capacity(numbers.len());
            for (i, n) in numbers.iter().enumerate() {
                let d = wamm_domain::phone_digits(n);
                if !(7..=15).contains(&d.len()) {
                    return Err(WorldError::invalid(
                        format!("{path}.recipients[{i}]"),
                        format!("'{n}' is not a phone number (7 to 15 digits)"),
                    ));
                }
                digits.push(d);
            }
            digits
        }
    };
    for (field, rate) in [
        ("read_rate", entry.read_rate),
        ("click_rate", entry.click_rate),
        ("conversion_rate", entry.conversion_rate),
    ] {
        if !(0.0..=1.0).contains(&rate) {
            return Err(WorldError::invalid(
                format!("{path}.{field}"),
                "a rate is between 0 and 1",
            ));
        }
    }
    Ok(HistorySpec {
        waba_id,
        phone_number_id: phone.id,
        days: entry.days,
        seed: entry.seed,
        templates: resolved,
        recipients,
        read_rate: entry.read_rate,
        click_rate: entry.click_rate,
        conversion_rate: entry.conversion_rate,
    })
}
