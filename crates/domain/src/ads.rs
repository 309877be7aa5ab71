//! The read-only ad objects Meta creates for the MM API: an ad account per onboarded WABA, and
//! a campaign, an ad set ("message set") and an ad per MARKETING template, which exist so that
//! what the messages did can be reported and conversions attributed.
//!
//! Their parameters are technical: the objective and optimization goal follow the template's
//! shape when the chain is created (Meta's conversion measurement guide), and are not
//! recomputed afterwards.

use serde::{Deserialize, Serialize};
use wamm_wire::ids::{TemplateId, WabaId};

use crate::Template;
use crate::template::url_button;

/// A campaign's `objective`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Objective {
    /// A template without a CTA URL button.
    OutcomeSales,
    /// A template with a CTA URL button.
    LinkClicks,
}

/// An ad set's `optimization_goal`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum OptimizationGoal {
    /// No CTA URL button: the message is optimised for being seen.
    Impressions,
    /// A CTA URL to a site or app that reports no events.
    LinkClicks,
    /// A CTA URL to a site or app that reports events through a pixel, dataset or SDK of the
    /// same business portfolio.
    OffsiteConversions,
}

/// Whether `template`'s CTA URL leads to a site one of `pixels` (the WABA owner business's)
/// reports events for: its host is a pixel's domain or under one.
pub fn reports_events(template: &Template, pixels: &[crate::capi::Pixel]) -> bool {
    let Some(button) = url_button(template) else {
        return false;
    };
    let rest = button
        .url
        .split_once("://")
        .map_or(button.url.as_str(), |(_, r)| r);
    let host = rest
        .split(['/', '?', '#', ':'])
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase();
    pixels.iter().flat_map(|p| &p.domains).any(|d| {
        let d = d.trim().trim_start_matches("www.").to_ascii_lowercase();
        let h = host.trim_start_matches("www.");
        !d.is_empty() && (h == d || h.ends_with(&format!(".{d}")))
    })
}

/// The objective and goal Meta fixes for `template`'s campaign and ad set; `reports_events`
/// says whether its CTA URL's site reports events to a pixel of the WABA's business.
pub fn goal(template: &Template, reports_events: bool) -> (Objective, OptimizationGoal) {
    match url_button(template) {
        None => (Objective::OutcomeSales, OptimizationGoal::Impressions),
        Some(_) if reports_events => (Objective::LinkClicks, OptimizationGoal::OffsiteConversions),
        Some(_) => (Objective::LinkClicks, OptimizationGoal::LinkClicks),
    }
}

/// The kinds of ad object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AdObjectKind {
    /// An ad account (`act_<id>`).
    Account,
    /// A campaign.
    Campaign,
    /// An ad set.
    Adset,
    /// An ad.
    Ad,
}

impl AdObjectKind {
    /// The kind as the store writes it.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Account => "account",
            Self::Campaign => "campaign",
            Self::Adset => "adset",
            Self::Ad => "ad",
        }
    }

    /// The kind the store wrote as `text`.
    pub fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "account" => Self::Account,
            "campaign" => Self::Campaign,
            "adset" => Self::Adset,
            "ad" => Self::Ad,
            _ => return None,
        })
    }
}

/// Where an ad object's ID leads: its kind, the WABA it belongs to and, below the account,
/// the template it mirrors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AdObjectRef {
    /// The ID (digits; an ad account is addressed as `act_<id>`).
    pub id: u64,
    /// What it is.
    pub kind: AdObjectKind,
    /// The WABA.
    pub waba_id: WabaId,
    /// The template, for a campaign, ad set or ad.
    pub template_id: Option<TemplateId>,
}

/// The ad object rows a WABA and its templates index: its ad account (linked, or disabled by
/// offboarding) and each template's chain.
pub fn refs_of_waba(waba: &crate::Waba) -> Vec<AdObjectRef> {
    waba.ad_account_id
        .iter()
        .chain(waba.disabled_ad_account_id.iter())
        .filter_map(|id| id.parse().ok())
        .map(|id| AdObjectRef {
            id,
            kind: AdObjectKind::Account,
            waba_id: waba.id,
            template_id: None,
        })
        .collect()
}

/// The ad object rows a template's chain indexes (none without a chain).
pub fn refs_of_template(template: &Template) -> Vec<AdObjectRef> {
    let Some(ad) = &template.ad else {
        return Vec::new();
    };
    [
        (&ad.ad_campaign_id, AdObjectKind::Campaign),
        (&ad.ad_adset_id, AdObjectKind::Adset),
        (&ad.ad_id, AdObjectKind::Ad),
    ]
    .into_iter()
    .filter_map(|(id, kind)| {
        Some(AdObjectRef {
            id: id.parse().ok()?,
            kind,
            waba_id: template.waba_id,
            template_id: Some(template.id),
        })
    })
    .collect()
}

/// `marketing_messages_settings.whatsapp_activation_status` of an ad account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ActivationStatus {
    /// The WABA is onboarded to the MM API.
    MarketingMessageOnboarded,
    /// It is not (or no longer: offboarded).
    MarketingMessageNotOnboarded,
    /// It cannot be (its country is not supported).
    MarketingMessageIneligible,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn template(components: &serde_json::Value) -> Template {
        serde_json::from_value(json!({
            "id": "10", "waba_id": "1", "name": "sale", "language": "en_US",
            "category": "MARKETING", "status": "APPROVED", "parameter_format": "POSITIONAL",
            "components": components, "message_send_ttl_seconds": null, "created_at": 0
        }))
        .expect("template")
    }

    #[test]
    fn the_goal_follows_the_templates_shape() {
        let plain = template(&json!([{"type": "BODY", "text": "Hi"}]));
        assert_eq!(
            goal(&plain, true),
            (Objective::OutcomeSales, OptimizationGoal::Impressions)
        );
        let link = template(&json!([{"type": "BUTTONS", "buttons": [
            {"type": "URL", "text": "Shop", "url": "https://shop.example/"}]}]));
        assert_eq!(
            goal(&link, false),
            (Objective::LinkClicks, OptimizationGoal::LinkClicks)
        );
        assert_eq!(
            goal(&link, true),
            (Objective::LinkClicks, OptimizationGoal::OffsiteConversions)
        );
        assert_eq!(
            serde_json::to_value(OptimizationGoal::OffsiteConversions).expect("json"),
            json!("OFFSITE_CONVERSIONS")
        );
    }

    #[test]
    fn a_pixel_of_the_urls_domain_reports_events() {
        let link = template(&json!([{"type": "BUTTONS", "buttons": [
            {"type": "URL", "text": "Shop", "url": "https://www.shop.example/sale?x=1"}]}]));
        let pixel = |domains: &[&str]| crate::capi::Pixel {
            id: wamm_wire::ids::PixelId::new(1),
            name: "p".into(),
            owner_business_id: wamm_wire::ids::BusinessId::new(2),
            domains: domains.iter().map(|d| (*d).to_owned()).collect(),
            dataset: false,
            created_at: crate::Timestamp::from_millis(0),
        };
        assert!(reports_events(&link, &[pixel(&["shop.example"])]));
        assert!(reports_events(
            &link,
            &[pixel(&["other.example"]), pixel(&["www.shop.example"])]
        ));
        assert!(!reports_events(&link, &[pixel(&["hop.example"])]));
        assert!(!reports_events(&link, &[]));
        let plain = template(&json!([{"type": "BODY", "text": "Hi"}]));
        assert!(!reports_events(&plain, &[pixel(&["shop.example"])]));
    }

    #[test]
    fn chains_index_their_three_objects() {
        let mut t = template(&json!([]));
        assert!(refs_of_template(&t).is_empty());
        t.ad = Some(crate::AdEntities {
            ad_account_id: "5".into(),
            ad_campaign_id: "6".into(),
            ad_adset_id: "7".into(),
            ad_id: "8".into(),
            objective: None,
            optimization_goal: None,
        });
        let refs = refs_of_template(&t);
        assert_eq!(
            refs.iter().map(|r| (r.id, r.kind)).collect::<Vec<_>>(),
            vec![
                (6, AdObjectKind::Campaign),
                (7, AdObjectKind::Adset),
                (8, AdObjectKind::Ad)
            ]
        );
        assert!(refs.iter().all(|r| r.template_id == Some(t.id)));
        for kind in [
            AdObjectKind::Account,
            AdObjectKind::Campaign,
            AdObjectKind::Adset,
            AdObjectKind::Ad,
        ] {
            assert_eq!(AdObjectKind::parse(kind.as_str()), Some(kind));
        }
    }
}
