//! Template creation rules: name, language, category, components and TTL.
//!
//! The limits are Meta's: names of lower-case letters, digits and underscores up to 512
//! characters; one BODY (≤1024 characters), at most one HEADER (text ≤60), FOOTER (≤60) and
//! BUTTONS component (≤10 buttons); marketing TTL between 12 hours and 30 days, utility between
//! 30 seconds and 12 hours, authentication between 30 seconds and 15 minutes.

use serde_json::Value;

use crate::model::{AdEntities, Template, TemplateCategory};

/// Marketing TTL bounds in seconds (12 h to 30 d).
pub const MARKETING_TTL: (i64, i64) = (43_200, 2_592_000);
/// Utility TTL bounds in seconds (30 s to 12 h).
pub const UTILITY_TTL: (i64, i64) = (30, 43_200);
/// Authentication TTL bounds in seconds (30 s to 15 min).
pub const AUTHENTICATION_TTL: (i64, i64) = (30, 900);

/// Locales Meta supports for templates.
pub const LANGUAGES: &[&str] = &[
    "af", "sq", "ar", "ar_EG", "ar_AE", "ar_LB", "ar_MA", "ar_QA", "az", "be_BY", "bn", "bn_IN",
    "bg", "ca", "zh_CN", "zh_HK", "zh_TW", "hr", "cs", "da", "prs_AF", "nl", "nl_BE", "en",
    "en_GB", "en_US", "en_AE", "en_AU", "en_CA", "en_GH", "en_IE", "en_IN", "en_JM", "en_MY",
    "en_NZ", "en_QA", "en_SG", "en_UG", "en_ZA", "et", "fil", "fi", "fr", "fr_BE", "fr_CA",
    "fr_CH", "fr_CI", "fr_MA", "ka", "de", "de_AT", "de_CH", "el", "gu", "ha", "he", "hi", "hu",
    "id", "ga", "it", "ja", "kn", "kk", "rw_RW", "ko", "ky_KG", "lo", "lv", "lt", "mk", "ms", "ml",
    "mr", "nb", "ps_AF", "fa", "pl", "pt_BR", "pt_PT", "pa", "ro", "ru", "sr", "si_LK", "sk", "sl",
    "es", "es_AR", "es_CL", "es_CO", "es_CR", "es_DO", "es_EC", "es_HN", "es_MX", "es_PA", "es_PE",
    "es_ES", "es_UY", "sw", "sv", "ta", "te", "th", "tr", "uk", "ur", "uz", "vi", "zu",
];

/// A refused template, naming the offending parameter.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{param}: {message}")]
pub struct TemplateError {
    /// The parameter at fault, e.g. `components[1].text`.
    pub param: String,
    /// What is wrong.
    pub message: String,
}

fn err(param: impl Into<String>, message: impl Into<String>) -> TemplateError {
    TemplateError {
        param: param.into(),
        message: message.into(),
    }
}

/// The ad entity chain Meta mirrors a MARKETING template onto under `ad_account` (campaign,
/// ad set, ad, numbered by `next_id`), its objective and goal fixed now from the template's
/// shape and whether one of `pixels` (the WABA owner business's) reports events for its CTA
/// URL's site; other categories get none.
pub fn ad_chain(
    t: &Template,
    ad_account: &str,
    pixels: &[crate::capi::Pixel],
    mut next_id: impl FnMut() -> u64,
) -> Option<AdEntities> {
    let (objective, goal) = crate::ads::goal(t, crate::ads::reports_events(t, pixels));
    (t.category == TemplateCategory::Marketing).then(|| AdEntities {
        ad_account_id: ad_account.to_owned(),
        ad_campaign_id: next_id().to_string(),
        ad_adset_id: next_id().to_string(),
        ad_id: next_id().to_string(),
        objective: Some(objective),
        optimization_goal: Some(goal),
    })
}

/// Checks a template name.
pub fn validate_name(name: &str) -> Result<(), TemplateError> {
    let ok = !name.is_empty()
        && name.len() <= 512
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(err(
            "name",
            "Template names may only contain lowercase letters, numbers and underscores (at most 512 characters).",
        ))
    }
}

/// Checks a template language.
pub fn validate_language(language: &str) -> Result<(), TemplateError> {
    if LANGUAGES.contains(&language) {
        Ok(())
    } else {
        Err(err(
            "language",
            format!("'{language}' is not a supported template language."),
        ))
    }
}

/// Checks `message_send_ttl_seconds` against the category's range.
pub fn validate_ttl(category: TemplateCategory, ttl: i64) -> Result<(), TemplateError> {
    let (min, max) = match category {
        TemplateCategory::Marketing => MARKETING_TTL,
        TemplateCategory::Utility => UTILITY_TTL,
        TemplateCategory::Authentication => AUTHENTICATION_TTL,
    };
    if (min..=max).contains(&ttl) {
        Ok(())
    } else {
        Err(err(
            "message_send_ttl_seconds",
            format!("message_send_ttl_seconds must be between {min} and {max} for this category."),
        ))
    }
}

fn text_of<'a>(component: &'a Value, at: &str) -> Result<&'a str, TemplateError> {
    component
        .get("text")
        .and_then(Value::as_str)
        .ok_or_else(|| err(format!("{at}.text"), "text is required"))
}

/// Checks the `components` array.
pub fn validate_components(components: &Value) -> Result<(), TemplateError> {
    let list = components
        .as_array()
        .ok_or_else(|| err("components", "components must be an array"))?;
    let mut seen = std::collections::HashSet::new();
    for (i, component) in list.iter().enumerate() {
        let at = format!("components[{i}]");
        let kind = component
            .get("type")
            .and_then(Value::as_str)
            .map(str::to_ascii_uppercase)
            .ok_or_else(|| err(format!("{at}.type"), "type is required"))?;
        if !seen.insert(kind.clone()) {
            return Err(err(
                format!("{at}.type"),
                format!("only one {kind} component is allowed"),
            ));
        }
        match kind.as_str() {
            "BODY" => {
                let text = text_of(component, &at)?;
                if text.is_empty() || text.chars().count() > 1024 {
                    return Err(err(
                        format!("{at}.text"),
                        "body text must be 1 to 1024 characters",
                    ));
                }
            }
            "HEADER" => {
                let format = component
                    .get("format")
                    .and_then(Value::as_str)
                    .unwrap_or("TEXT");
                match format.to_ascii_uppercase().as_str() {
                    "TEXT" => {
                        if text_of(component, &at)?.chars().count() > 60 {
                            return Err(err(
                                format!("{at}.text"),
                                "header text must be at most 60 characters",
                            ));
                        }
                    }
                    "IMAGE" | "VIDEO" | "DOCUMENT" | "LOCATION" | "GIF" | "PRODUCT" => {}
                    other => {
                        return Err(err(
                            format!("{at}.format"),
                            format!("unknown header format '{other}'"),
                        ));
                    }
                }
            }
            "FOOTER" => {
                if text_of(component, &at)?.chars().count() > 60 {
                    return Err(err(
                        format!("{at}.text"),
                        "footer text must be at most 60 characters",
                    ));
                }
            }
            "BUTTONS" => {
                let buttons = component
                    .get("buttons")
                    .and_then(Value::as_array)
                    .ok_or_else(|| err(format!("{at}.buttons"), "buttons must be an array"))?;
                if buttons.is_empty() || buttons.len() > 10 {
                    return Err(err(
                        format!("{at}.buttons"),
                        "a template has 1 to 10 buttons",
                    ));
                }
                for (j, button) in buttons.iter().enumerate() {
                    let kind = button
                        .get("type")
                        .and_then(Value::as_str)
                        .unwrap_or_default();
                    let known = [
                        "QUICK_REPLY",
                        "URL",
                        "PHONE_NUMBER",
                        "COPY_CODE",
                        "OTP",
                        "FLOW",
                        "CATALOG",
                        "MPM",
                        "VOICE_CALL",
                    ];
                    if !known.contains(&kind.to_ascii_uppercase().as_str()) {
                        return Err(err(
                            format!("{at}.buttons[{j}].type"),
                            format!("unknown button type '{kind}'"),
                        ));
                    }
                }
            }
            "CAROUSEL" | "LIMITED_TIME_OFFER" | "CALL_PERMISSION_REQUEST" => {}
            other => {
                return Err(err(
                    format!("{at}.type"),
                    format!("unknown component type '{other}'"),
                ));
            }
        }
    }
    if !seen.contains("BODY") {
        return Err(err(
            "components",
            "a template needs exactly one BODY component",
        ));
    }
    Ok(())
}

/// A template's URL (call-to-action) button: what it says and where it leads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UrlButton {
    /// The button's text.
    pub text: String,
    /// Its URL, as the template declares it (a dynamic suffix still reads `{{1}}`).
    pub url: String,
}

/// The first URL button of `template`, if it has one.
pub fn url_button(template: &Template) -> Option<UrlButton> {
    let is = |v: &Value, kind: &str| {
        v["type"]
            .as_str()
            .is_some_and(|t| t.eq_ignore_ascii_case(kind))
    };
    template
        .components
        .as_array()?
        .iter()
        .filter(|c| is(c, "BUTTONS"))
        .flat_map(|c| c["buttons"].as_array().into_iter().flatten())
        .find(|b| is(b, "URL"))
        .map(|b| UrlButton {
            text: b["text"].as_str().unwrap_or_default().to_owned(),
            url: b["url"].as_str().unwrap_or_default().to_owned(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn names_languages_and_ttls() {
        assert!(validate_name("summer_sale_2").is_ok());
        for bad in ["", "Summer", "sale-1", "sale 1"] {
            assert!(validate_name(bad).is_err(), "{bad}");
        }
        assert!(validate_language("en_US").is_ok());
        assert!(validate_language("en-us").is_err());
        assert!(validate_ttl(TemplateCategory::Marketing, 43_200).is_ok());
        assert!(validate_ttl(TemplateCategory::Marketing, 2_592_000).is_ok());
        assert!(validate_ttl(TemplateCategory::Marketing, 120).is_err());
        assert!(validate_ttl(TemplateCategory::Marketing, 2_592_001).is_err());
        assert!(validate_ttl(TemplateCategory::Utility, 30).is_ok());
        assert!(validate_ttl(TemplateCategory::Authentication, 901).is_err());
    }

    #[test]
    fn components() {
        let ok = json!([
            {"type": "HEADER", "format": "TEXT", "text": "Sale"},
            {"type": "BODY", "text": "Hi {{1}}, 20% off", "example": {"body_text": [["Ada"]]}},
            {"type": "FOOTER", "text": "Reply STOP to opt out"},
            {"type": "BUTTONS", "buttons": [{"type": "URL", "text": "Shop", "url": "https://shop.example"}]}
        ]);
        assert!(validate_components(&ok).is_ok());
        let no_body = json!([{"type": "FOOTER", "text": "x"}]);
        assert_eq!(
            validate_components(&no_body).map_err(|e| e.param),
            Err("components".to_owned())
        );
        let two_bodies = json!([{"type": "BODY", "text": "a"}, {"type": "BODY", "text": "b"}]);
        assert_eq!(
            validate_components(&two_bodies).map_err(|e| e.param),
            Err("components[1].type".to_owned())
        );
        let long_header = json!([{"type": "HEADER", "format": "TEXT", "text": "x".repeat(61)}, {"type": "BODY", "text": "b"}]);
        assert!(validate_components(&long_header).is_err());
        assert!(validate_components(&json!({"type": "BODY"})).is_err());
    }
}
