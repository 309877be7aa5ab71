//! Conversion readiness: for each client business, what stands between its MM API sends and
//! measured conversions, as findings a partner can act on.
//!
//! [`findings`] is the rule: a pure function over what the orchestrator reads through Graph
//! (the WABA's onboarding status, `is_enabled_for_insights`, its templates with their `ad_*`
//! fields, URL buttons and `cta_url_link_tracking_opted_out`, the datasets of the WABA's owner
//! business from `GET /{waba-id}/dataset`) and what it saw itself (whether
//! a template existed before the WABA was onboarded). [`check`] gathers those facts for every
//! client WABA, applies the rule and keeps the result in the store for the dashboard.
//!
//! Each finding has a stable [`Code`]: scripts and dashboards may key on it; the sentence may
//! be reworded.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::graph::{ConversionSetup, PartnerGraph, RemoteTemplate};
use crate::orchestrate::OrchestrateError;
use crate::stage::{WabaStatus, ineligibility};
use crate::store::{PartnerStore, TemplateSighting};

/// Hosts of link shorteners. Meta appends a click ID (`fbclid`) to a CTA URL before it sends
/// the message; a shortener that redirects without carrying the query string on loses it, and
/// the conversion is not attributed. A host matches itself and its subdomains.
pub const URL_SHORTENERS: &[&str] = &[
    "bit.ly",
    "bitly.com",
    "bl.ink",
    "buff.ly",
    "cutt.ly",
    "goo.gl",
    "is.gd",
    "lnkd.in",
    "ow.ly",
    "rb.gy",
    "rebrand.ly",
    "s.id",
    "short.io",
    "shorturl.at",
    "t.co",
    "t.ly",
    "tiny.cc",
    "tinyurl.com",
    "v.gd",
];

/// How much a finding costs the business's conversion measurement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// No conversion of the WABA can be measured until it is fixed.
    Blocker,
    /// Some conversions (a template's, or those of some sends) are lost.
    Warning,
}

impl Severity {
    /// How the CLI and the dashboard write it.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Blocker => "blocker",
            Self::Warning => "warning",
        }
    }
}

/// What a finding is about; the code is stable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Code {
    /// MM API onboarding is not complete: Meta has linked no ad account to the WABA.
    NoAdAccount,
    /// Template insights are not confirmed (`is_enabled_for_insights` is false).
    InsightsDisabled,
    /// The WABA's conversion dataset (Pixel) belongs to another business.
    PixelOtherBusiness,
    /// No approved MARKETING template has a URL button.
    NoCtaUrlTemplate,
    /// An approved MARKETING template has no ad entities yet: Meta's ad sync is pending.
    AdSyncPending,
    /// A MARKETING template existed before the WABA was onboarded.
    TemplatePredatesOnboarding,
    /// A MARKETING template opted out of CTA URL link tracking.
    LinkTrackingOptedOut,
    /// A MARKETING template's URL button points at a link shortener.
    UrlShortener,
    /// The WABA's owner business has no dataset (Pixel) to receive its conversion events.
    NoDataset,
}

impl Code {
    /// The stable code, as the CLI, the JSON and the dashboard write it.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::NoAdAccount => "no_ad_account",
            Self::InsightsDisabled => "insights_disabled",
            Self::PixelOtherBusiness => "pixel_other_business",
            Self::NoCtaUrlTemplate => "no_cta_url_template",
            Self::AdSyncPending => "ad_sync_pending",
            Self::TemplatePredatesOnboarding => "template_predates_onboarding",
            Self::LinkTrackingOptedOut => "link_tracking_opted_out",
            Self::UrlShortener => "url_shortener",
            Self::NoDataset => "no_dataset",
        }
    }

    /// How much it costs.
    pub const fn severity(self) -> Severity {
        match self {
            Self::NoAdAccount
            | Self::InsightsDisabled
            | Self::PixelOtherBusiness
            | Self::NoCtaUrlTemplate => Severity::Blocker,
            Self::AdSyncPending
            | Self::TemplatePredatesOnboarding
            | Self::LinkTrackingOptedOut
            | Self::UrlShortener
            | Self::NoDataset => Severity::Warning,
        }
    }
}

/// A template a finding is about.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct TemplateRef {
    /// Its ID.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Its language.
    pub language: String,
}

/// One thing to fix.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    /// What it is about (stable).
    pub code: Code,
    /// How much it costs.
    pub severity: Severity,
    /// The WABA.
    pub waba_id: String,
    /// The template, when it is about one.
    pub template: Option<TemplateRef>,
    /// What is wrong and what to do, in a sentence or two.
    pub message: String,
}

/// Who owns the dataset (Pixel) that receives the business's web and app events.
///
/// Meta attributes conversions only from a Pixel or Conversions API dataset owned by the
/// WABA's own business. [`check`] reads `GET /{waba-id}/dataset`, which lists the datasets of
/// the WABA's owner business only: an empty list is [`DatasetOwner::NoDataset`], a dataset
/// there is [`DatasetOwner::SameBusiness`], and a refused read stays
/// [`DatasetOwner::Unchecked`]. A Pixel of another business never appears in that list, so
/// [`DatasetOwner::OtherBusiness`] is for a Pixel ID the partner configured for the client and
/// whose `owner_business` Graph names as another business; the orchestrator has no such
/// setting yet, so [`check`] never produces it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "owner")]
pub enum DatasetOwner {
    /// Not read (or Graph refused the read).
    #[default]
    Unchecked,
    /// The WABA's owner business has no dataset.
    NoDataset,
    /// The WABA's owner business holds the dataset.
    SameBusiness {
        /// The dataset's ID.
        dataset_id: String,
    },
    /// Another business holds it.
    OtherBusiness {
        /// The dataset's ID.
        dataset_id: String,
        /// The business that holds it.
        owner_business_id: String,
    },
}

/// A template with what the orchestrator saw of it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TemplateFacts {
    /// The template as Graph reports it.
    pub template: RemoteTemplate,
    /// Whether the orchestrator first saw it while its WABA was not yet onboarded.
    pub seen_before_onboarding: bool,
}

/// What the rule reads of one WABA.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WabaFacts {
    /// The WABA.
    pub waba_id: String,
    /// The WABA's owner business.
    pub business_id: String,
    /// Its `marketing_messages_onboarding_status`.
    pub status: WabaStatus,
    /// `is_enabled_for_insights`, when readable.
    pub insights_enabled: Option<bool>,
    /// Its templates.
    pub templates: Vec<TemplateFacts>,
    /// Who owns its dataset.
    pub dataset: DatasetOwner,
}

/// Whether a template could still be sent: not rejected, disabled or deleted.
fn live(t: &RemoteTemplate) -> bool {
    !matches!(
        t.status.as_deref(),
        Some("REJECTED" | "DISABLED" | "DELETED" | "PENDING_DELETION" | "ARCHIVED")
    )
}

fn marketing(t: &RemoteTemplate) -> bool {
    t.category
        .as_deref()
        .is_some_and(|c| c.eq_ignore_ascii_case("MARKETING"))
}

fn approved(t: &RemoteTemplate) -> bool {
    t.status.as_deref() == Some("APPROVED")
}

/// The host of a URL as a template writes it (placeholders such as `{{1}}` may stand in the
/// path), lower case, without `www.`.
pub fn url_host(url: &str) -> Option<String> {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let authority = rest.split(['/', '?', '#']).next()?;
    let host = authority.rsplit('@').next()?;
    let host = host.split(':').next()?.trim().to_ascii_lowercase();
    let host = host.strip_prefix("www.").unwrap_or(&host);
    (!host.is_empty()).then(|| host.to_owned())
}

/// The shortener of [`URL_SHORTENERS`] `url` goes through, if any.
pub fn shortener(url: &str) -> Option<&'static str> {
    let host = url_host(url)?;
    URL_SHORTENERS
        .iter()
        .copied()
        .find(|s| host == *s || host.strip_suffix(s).is_some_and(|h| h.ends_with('.')))
}

/// What stands between one WABA's sends and measured conversions: blockers first, then
/// warnings, each in code order, then by template.
pub fn findings(waba: &WabaFacts) -> Vec<Finding> {
    let mut out = Vec::new();
    let mut add = |code: Code, template: Option<&RemoteTemplate>, message: String| {
        out.push(Finding {
            code,
            severity: code.severity(),
            waba_id: waba.waba_id.clone(),
            template: template.map(|t| TemplateRef {
                id: t.id.clone(),
                name: t.name.clone(),
                language: t.language.clone(),
            }),
            message,
        });
    };
    let id = &waba.waba_id;
    let onboarded = waba.status == WabaStatus::Onboarded;
    if !onboarded {
        let status = match waba.status.as_str() {
            "" => "unknown",
            s => s,
        };
        let message = match ineligibility(&waba.status) {
            Some(why) => format!(
                "WABA {id} cannot onboard to MM API ({status}: {why}), so Meta links no ad \
                 account to it and none of its conversions can be measured."
            ),
            None => format!(
                "MM API onboarding of WABA {id} is not complete (status {status}): Meta links \
                 the ad account that conversions are attributed to only once the business has \
                 accepted the MM API terms and Meta's setup is done."
            ),
        };
        add(Code::NoAdAccount, None, message);
    }
    if waba.insights_enabled == Some(false) {
        add(
            Code::InsightsDisabled,
            None,
            format!(
                "Template insights are not confirmed for WABA {id}: template analytics, clicks \
                 and conversions stay unreadable until POST /{id} with \
                 is_enabled_for_insights=true (it cannot be undone)."
            ),
        );
    }
    if let DatasetOwner::OtherBusiness {
        dataset_id,
        owner_business_id,
    } = &waba.dataset
    {
        add(
            Code::PixelOtherBusiness,
            None,
            format!(
                "Dataset {dataset_id} belongs to business {owner_business_id}, not to the WABA's \
                 owner {}: Meta attributes only events from a Pixel or dataset of the WABA's own \
                 business; report the events to one it owns.",
                waba.business_id
            ),
        );
    }
    if waba.dataset == DatasetOwner::NoDataset {
        add(
            Code::NoDataset,
            None,
            format!(
                "Business {} has no dataset (Pixel) for WABA {id}'s conversion events: create \
                 one with POST /{id}/dataset (dataset_name=…), or connect a Pixel the same \
                 business owns, and report website and app events to it with the Conversions \
                 API.",
                waba.business_id
            ),
        );
    }
    let templates: Vec<&RemoteTemplate> = waba
        .templates
        .iter()
        .map(|f| &f.template)
        .filter(|t| marketing(t) && live(t))
        .collect();
    if !templates
        .iter()
        .any(|t| approved(t) && !t.url_buttons.is_empty())
    {
        add(
            Code::NoCtaUrlTemplate,
            None,
            format!(
                "WABA {id} has no approved MARKETING template with a URL button: conversions are \
                 attributed through the click ID Meta adds to a URL button's link; create such a \
                 template."
            ),
        );
    }
    let mut per_template = Vec::new();
    for facts in &waba.templates {
        let t = &facts.template;
        if !marketing(t) || !live(t) {
            continue;
        }
        let name = &t.name;
        if onboarded && approved(t) && !t.linked() {
            per_template.push((
                Code::AdSyncPending,
                t,
                format!(
                    "Template {name} has no ad entities yet: Meta's ad sync takes up to 10 \
                     minutes after onboarding or the template's creation, and its sends are not \
                     measured (or fail with 131009) until it completes."
                ),
            ));
        }
        if facts.seen_before_onboarding {
            per_template.push((
                Code::TemplatePredatesOnboarding,
                t,
                format!(
                    "Template {name} existed before WABA {id} was onboarded to MM API, and Meta \
                     measures no conversions for such templates: create a new template with the \
                     same content for sends whose conversions matter."
                ),
            ));
        }
        if t.link_tracking_opted_out && !t.url_buttons.is_empty() {
            per_template.push((
                Code::LinkTrackingOptedOut,
                t,
                format!(
                    "Template {name} opted out of CTA URL link tracking: its clicks are not \
                     counted and no conversion can be attributed to its messages; create a new \
                     template without the opt-out."
                ),
            ));
        }
        for url in &t.url_buttons {
            if let Some(host) = shortener(url) {
                per_template.push((
                    Code::UrlShortener,
                    t,
                    format!(
                        "Template {name}'s URL button goes through {host}, a link shortener that \
                         can drop the fbclid Meta appends: link to the destination page directly \
                         (a changed URL needs a new template)."
                    ),
                ));
            }
        }
    }
    per_template.sort_by(|a, b| (a.0, &a.1.name, &a.1.id).cmp(&(b.0, &b.1.name, &b.1.id)));
    per_template.dedup_by(|a, b| a.0 == b.0 && a.1.id == b.1.id);
    for (code, t, message) in per_template {
        add(code, Some(t), message);
    }
    out.sort_by_key(|f| (f.severity, f.code));
    out
}

/// One client business's readiness, as last checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BusinessReadiness {
    /// The client business.
    pub business_id: String,
    /// When it was checked (Unix seconds).
    pub checked_at: i64,
    /// The WABAs read.
    pub wabas: Vec<String>,
    /// What to fix, blockers first.
    pub findings: Vec<Finding>,
    /// WABAs Graph would not describe, with its reason.
    pub skipped: Vec<(String, String)>,
}

impl BusinessReadiness {
    /// Whether nothing blocks or degrades conversion measurement (and every WABA was read).
    pub fn ready(&self) -> bool {
        self.findings.is_empty() && self.skipped.is_empty()
    }
}

/// Whether a WABA in `status` has been onboarded (Meta's setup done).
fn is_onboarded(status: &WabaStatus) -> bool {
    *status == WabaStatus::Onboarded
}

/// Checks the conversion readiness of every client business (or only `business`) at `now`:
/// reads each WABA's setup from Graph with the partner's credentials, records templates seen
/// for the first time, applies [`findings`] and keeps the result in the store.
pub async fn check(
    graph: &dyn PartnerGraph,
    store: &dyn PartnerStore,
    business: Option<&str>,
    now: i64,
) -> Result<Vec<BusinessReadiness>, OrchestrateError> {
    let mut by_business: BTreeMap<String, BusinessReadiness> = BTreeMap::new();
    for waba in store.wabas().await? {
        if business.is_some_and(|b| b != waba.business_id) {
            continue;
        }
        let entry = by_business
            .entry(waba.business_id.clone())
            .or_insert_with(|| BusinessReadiness {
                business_id: waba.business_id.clone(),
                checked_at: now,
                wabas: Vec::new(),
                findings: Vec::new(),
                skipped: Vec::new(),
            });
        let setup = match graph.conversion_setup(None, &waba.id).await {
            Ok(setup) => setup,
            Err(failure) => {
                entry.skipped.push((waba.id.clone(), failure.message));
                continue;
            }
        };
        // A refused read is not an empty list: the check is then left out.
        let dataset = match graph.datasets(None, &waba.id).await {
            Ok(ids) => dataset_owner(&ids),
            Err(failure) => {
                tracing::debug!(waba = %waba.id, reason = %failure.message, "datasets unread");
                DatasetOwner::Unchecked
            }
        };
        let mut facts = facts_of(store, &waba.id, &waba.business_id, setup, now).await?;
        facts.dataset = dataset;
        entry.wabas.push(waba.id.clone());
        entry.findings.extend(findings(&facts));
    }
    let checked: Vec<BusinessReadiness> = by_business.into_values().collect();
    for readiness in &checked {
        store.put_readiness(readiness).await?;
    }
    Ok(checked)
}

/// What the datasets `GET /{waba-id}/dataset` lists (IDs, all of the WABA's owner business)
/// say of the WABA's dataset.
pub fn dataset_owner(ids: &[String]) -> DatasetOwner {
    ids.first()
        .map_or(DatasetOwner::NoDataset, |id| DatasetOwner::SameBusiness {
            dataset_id: id.clone(),
        })
}

/// The rule's view of a WABA: Graph's `setup`, and when the orchestrator first saw each
/// template (recorded now for new ones).
async fn facts_of(
    store: &dyn PartnerStore,
    waba: &str,
    business: &str,
    setup: ConversionSetup,
    now: i64,
) -> Result<WabaFacts, OrchestrateError> {
    let before = !is_onboarded(&setup.status);
    let sightings: Vec<TemplateSighting> = setup
        .templates
        .iter()
        .map(|t| TemplateSighting {
            waba_id: waba.to_owned(),
            template_id: t.id.clone(),
            first_seen_at: now,
            before_onboarding: before,
        })
        .collect();
    store.record_sightings(&sightings).await?;
    let seen: BTreeMap<String, bool> = store
        .sightings(waba)
        .await?
        .into_iter()
        .map(|s| (s.template_id, s.before_onboarding))
        .collect();
    Ok(WabaFacts {
        waba_id: waba.to_owned(),
        business_id: business.to_owned(),
        status: setup.status,
        insights_enabled: setup.insights_enabled,
        templates: setup
            .templates
            .into_iter()
            .map(|template| TemplateFacts {
                seen_before_onboarding: seen.get(&template.id).copied().unwrap_or(false),
                template,
            })
            .collect(),
        dataset: DatasetOwner::Unchecked,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An approved MARKETING template with a URL button, linked to its ad.
    fn good(id: &str) -> TemplateFacts {
        TemplateFacts {
            template: RemoteTemplate {
                id: id.into(),
                name: format!("offer_{id}"),
                language: "en_US".into(),
                category: Some("MARKETING".into()),
                status: Some("APPROVED".into()),
                ad_id: Some(format!("ad{id}")),
                ad_adset_id: Some(format!("set{id}")),
                ad_campaign_id: Some(format!("cmp{id}")),
                ad_account_id: Some("77".into()),
                url_buttons: vec!["https://shop.example/sale".into()],
                link_tracking_opted_out: false,
            },
            seen_before_onboarding: false,
        }
    }

    /// An onboarded WABA with insights confirmed and `templates`.
    fn waba(templates: Vec<TemplateFacts>) -> WabaFacts {
        WabaFacts {
            waba_id: "1001".into(),
            business_id: "2002".into(),
            status: WabaStatus::Onboarded,
            insights_enabled: Some(true),
            templates,
            dataset: DatasetOwner::Unchecked,
        }
    }

    fn codes(found: &[Finding]) -> Vec<&'static str> {
        found.iter().map(|f| f.code.as_str()).collect()
    }

    #[test]
    fn a_ready_waba_has_no_findings() {
        assert_eq!(findings(&waba(vec![good("1")])), vec![]);
    }

    #[test]
    fn a_waba_not_onboarded_has_no_ad_account_and_no_sync_noise() {
        let mut w = waba(vec![good("1")]);
        w.status = WabaStatus::PendingInternalSetup;
        w.templates[0].template.ad_id = None;
        let found = findings(&w);
        assert_eq!(codes(&found), ["no_ad_account"]);
        assert_eq!(found[0].severity, Severity::Blocker);
        assert!(
            found[0].message.contains("PENDING_INTERNAL_SETUP"),
            "{found:?}"
        );
        assert_eq!(found[0].waba_id, "1001");
        assert_eq!(found[0].template, None);
        // An ineligible WABA is told why it cannot onboard.
        w.status = WabaStatus::IneligibleCountryNotSupported;
        let found = findings(&w);
        assert_eq!(codes(&found), ["no_ad_account"]);
        assert!(
            found[0].message.contains("cannot onboard")
                && found[0].message.contains("its country is not supported"),
            "{found:?}"
        );
    }

    #[test]
    fn insights_not_confirmed_is_a_blocker_and_unreadable_is_not_guessed() {
        let mut w = waba(vec![good("1")]);
        w.insights_enabled = Some(false);
        let found = findings(&w);
        assert_eq!(codes(&found), ["insights_disabled"]);
        assert!(found[0].message.contains("is_enabled_for_insights=true"));
        w.insights_enabled = None;
        assert_eq!(findings(&w), vec![]);
    }

    #[test]
    fn without_an_approved_marketing_url_template_nothing_can_be_attributed() {
        let mut quick_reply = good("1");
        quick_reply.template.url_buttons.clear();
        let mut utility = good("2");
        utility.template.category = Some("UTILITY".into());
        let mut pending = good("3");
        pending.template.status = Some("PENDING".into());
        let found = findings(&waba(vec![quick_reply, utility, pending]));
        assert_eq!(codes(&found), ["no_cta_url_template"]);
        assert_eq!(found[0].severity, Severity::Blocker);
        // One approved one is enough.
        assert_eq!(findings(&waba(vec![good("4")])), vec![]);
    }

    #[test]
    fn an_unlinked_template_on_an_onboarded_waba_waits_for_the_ad_sync() {
        let mut syncing = good("2");
        syncing.template.ad_id = None;
        syncing.template.ad_campaign_id = None;
        let found = findings(&waba(vec![good("1"), syncing]));
        assert_eq!(codes(&found), ["ad_sync_pending"]);
        assert_eq!(found[0].severity, Severity::Warning);
        assert_eq!(found[0].template.as_ref().map(|t| t.id.as_str()), Some("2"));
        assert!(found[0].message.contains("offer_2"));
    }

    #[test]
    fn a_template_seen_before_onboarding_has_no_conversion_metrics() {
        let mut old = good("1");
        old.seen_before_onboarding = true;
        let found = findings(&waba(vec![old, good("2")]));
        assert_eq!(codes(&found), ["template_predates_onboarding"]);
        assert!(found[0].message.contains("offer_1"));
        // Only MARKETING templates matter.
        let mut utility = good("3");
        utility.template.category = Some("UTILITY".into());
        utility.seen_before_onboarding = true;
        assert_eq!(findings(&waba(vec![good("1"), utility])), vec![]);
    }

    #[test]
    fn opting_out_of_link_tracking_is_reported_for_url_templates() {
        let mut out = good("1");
        out.template.link_tracking_opted_out = true;
        let found = findings(&waba(vec![out, good("2")]));
        assert_eq!(codes(&found), ["link_tracking_opted_out"]);
        let mut no_url = good("3");
        no_url.template.url_buttons.clear();
        no_url.template.link_tracking_opted_out = true;
        assert_eq!(findings(&waba(vec![good("1"), no_url])), vec![]);
    }

    #[test]
    fn shortened_cta_urls_are_named_with_their_shortener() {
        let mut short = good("1");
        short.template.url_buttons = vec![
            "https://bit.ly/{{1}}".into(),
            "https://shop.example/x".into(),
        ];
        let found = findings(&waba(vec![short, good("2")]));
        assert_eq!(codes(&found), ["url_shortener"]);
        assert!(found[0].message.contains("bit.ly"), "{found:?}");
        assert_eq!(
            shortener("http://www.TinyURL.com/abc?x=1"),
            Some("tinyurl.com")
        );
        assert_eq!(shortener("https://go.rebrand.ly/abc"), Some("rebrand.ly"));
        assert_eq!(shortener("https://t.co/abc"), Some("t.co"));
        assert_eq!(shortener("https://user@is.gd:443/abc"), Some("is.gd"));
        assert_eq!(shortener("https://not-t.co/abc"), None);
        assert_eq!(shortener("https://bit.ly.example.com/abc"), None);
        assert_eq!(shortener("https://shop.example/bit.ly"), None);
        assert_eq!(url_host("https://{{1}}"), Some("{{1}}".to_owned()));
    }

    #[test]
    fn a_dataset_of_another_business_blocks_attribution() {
        let mut w = waba(vec![good("1")]);
        w.dataset = DatasetOwner::OtherBusiness {
            dataset_id: "555".into(),
            owner_business_id: "999".into(),
        };
        let found = findings(&w);
        assert_eq!(codes(&found), ["pixel_other_business"]);
        assert!(found[0].message.contains("999") && found[0].message.contains("2002"));
        w.dataset = DatasetOwner::SameBusiness {
            dataset_id: "555".into(),
        };
        assert_eq!(findings(&w), vec![]);
    }

    #[test]
    fn a_business_without_a_dataset_is_told_how_to_make_one() {
        let mut w = waba(vec![good("1")]);
        w.dataset = dataset_owner(&[]);
        let found = findings(&w);
        assert_eq!(codes(&found), ["no_dataset"]);
        assert_eq!(found[0].severity, Severity::Warning);
        assert_eq!(found[0].template, None);
        assert!(
            found[0].message.contains("POST /1001/dataset") && found[0].message.contains("2002"),
            "{found:?}"
        );
        // A listed dataset is the owner's own; an unread list is not guessed.
        w.dataset = dataset_owner(&["555".to_owned(), "556".to_owned()]);
        assert_eq!(
            w.dataset,
            DatasetOwner::SameBusiness {
                dataset_id: "555".into()
            }
        );
        assert_eq!(findings(&w), vec![]);
        w.dataset = DatasetOwner::Unchecked;
        assert_eq!(findings(&w), vec![]);
    }

    #[test]
    fn a_missing_dataset_comes_after_blockers_and_other_warnings() {
        let mut short = good("1");
        short.template.url_buttons = vec!["https://bit.ly/y".into()];
        let mut w = waba(vec![short]);
        w.insights_enabled = Some(false);
        w.dataset = DatasetOwner::NoDataset;
        assert_eq!(
            codes(&findings(&w)),
            ["insights_disabled", "url_shortener", "no_dataset"]
        );
        assert_eq!(Code::NoDataset.as_str(), "no_dataset");
        assert_eq!(
            serde_json::to_value(Code::NoDataset).expect("json"),
            "no_dataset"
        );
    }

    #[test]
    fn retired_templates_are_ignored_and_findings_come_blockers_first() {
        let mut rejected = good("1");
        rejected.template.status = Some("REJECTED".into());
        rejected.template.url_buttons = vec!["https://bit.ly/x".into()];
        let mut short = good("2");
        short.template.url_buttons = vec!["https://bit.ly/y".into()];
        let mut w = waba(vec![rejected, short]);
        w.insights_enabled = Some(false);
        let found = findings(&w);
        assert_eq!(codes(&found), ["insights_disabled", "url_shortener"]);
        assert_eq!(found[1].template.as_ref().map(|t| t.id.as_str()), Some("2"));
    }

    #[test]
    fn codes_are_stable_text() {
        let json = serde_json::to_value(Code::TemplatePredatesOnboarding).expect("json");
        assert_eq!(json, "template_predates_onboarding");
        assert_eq!(Code::UrlShortener.as_str(), "url_shortener");
        assert_eq!(
            serde_json::to_value(Severity::Blocker).expect("json"),
            Severity::Blocker.as_str()
        );
    }
}
