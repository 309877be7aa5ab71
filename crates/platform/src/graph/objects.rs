//! Finding the object a Graph path names.
//!
//! Graph IDs are global: one number names exactly one object, whatever its type. The store
//! keeps a table per type, so the lookup asks each in turn, most common first.
//! A pixel and its dataset share one ID, so both resolve to the same node.

use wamm_domain::ads::{AdObjectKind, AdObjectRef};
use wamm_domain::capi::Pixel;
use wamm_domain::solution::{Solution, SolutionMigration};
use wamm_domain::{App, Business, PhoneNumber, SystemUser, Template, Waba};
use wamm_store::StoreError;
use wamm_wire::ids::{
    AppId, BusinessId, MigrationIntentId, ObjectId, PhoneNumberId, PixelId, SolutionId, TemplateId,
    UserId, WabaId,
};

use crate::state::AppState;

/// An object found by ID.
#[derive(Debug, Clone)]
pub enum Object {
    /// A business portfolio.
    Business(Business),
    /// A WABA.
    Waba(Waba),
    /// A phone number.
    Phone(PhoneNumber),
    /// A message template.
    Template(Template),
    /// A system user.
    SystemUser(SystemUser),
    /// An app.
    App(App),
    /// A Multi-Partner Solution.
    Solution(Solution),
    /// A WABA's migration intent to a solution.
    MigrationIntent(SolutionMigration),
    /// An ad account, campaign, ad set or ad of the MM API.
    Ad(AdObjectRef),
    /// An asynchronous Insights report.
    ReportRun(ReportRun),
    /// A Meta Pixel (also a dataset).
    Pixel(Pixel),
}

impl Object {
    /// The object's kind.
    pub fn kind(&self) -> NodeKind {
        match self {
            Self::Business(_) => NodeKind::Business,
            Self::Waba(_) => NodeKind::Waba,
            Self::Phone(_) => NodeKind::Phone,
            Self::Template(_) => NodeKind::Template,
            Self::SystemUser(_) => NodeKind::SystemUser,
            Self::App(_) => NodeKind::App,
            Self::Solution(_) => NodeKind::Solution,
            Self::MigrationIntent(_) => NodeKind::MigrationIntent,
            Self::Ad(r) => NodeKind::of_ad(r.kind),
            Self::ReportRun(_) => NodeKind::ReportRun,
            Self::Pixel(_) => NodeKind::Pixel,
        }
    }
}

/// Looks up the object named `id`; `None` for unknown IDs. Besides numeric IDs, an ad account
/// is named `act_<id>`, as the Marketing API names it.
pub async fn resolve(state: &AppState, id: &str) -> Result<Option<Object>, StoreError> {
    if let Some(digits) = id.strip_prefix("act_") {
        let Ok(n) = digits.parse::<u64>() else {
            return Ok(None);
        };
        let account = state.store.ad_object(n).await?;
        return Ok(account
            .filter(|r| r.kind == AdObjectKind::Account)
            .map(Object::Ad));
    }
    let Ok(raw) = id.parse::<ObjectId>() else {
        return Ok(None);
    };
    let store = &state.store;
    if let Some(p) = store.phone_number(PhoneNumberId(raw)).await? {
        return Ok(Some(Object::Phone(p)));
    }
    if let Some(w) = store.waba(WabaId(raw)).await? {
        return Ok(Some(Object::Waba(w)));
    }
    if let Some(t) = store.template(TemplateId(raw)).await? {
        return Ok(Some(Object::Template(t)));
    }
    if let Some(b) = store.business(BusinessId(raw)).await? {
        return Ok(Some(Object::Business(b)));
    }
    if let Some(u) = store.system_user(UserId(raw)).await? {
        return Ok(Some(Object::SystemUser(u)));
    }
    if let Some(a) = store.app(AppId(raw)).await? {
        return Ok(Some(Object::App(a)));
    }
    if let Some(s) = store.solution(SolutionId(raw)).await? {
        return Ok(Some(Object::Solution(s)));
    }
    if let Some(m) = store.migration_intent(MigrationIntentId(raw)).await? {
        return Ok(Some(Object::MigrationIntent(m)));
    }
    // An ad account named by its bare digits (as the template's `ad_account_id` gives them)
    // is found too: Meta's own MM API page writes Insights paths with that value.
    if let Some(r) = store.ad_object(raw.get()).await? {
        return Ok(Some(Object::Ad(r)));
    }
    if let Some(p) = store.pixel(PixelId(raw)).await? {
        return Ok(Some(Object::Pixel(p)));
    }
    Ok(crate::graph::insights::report_run(state, raw.get())
        .await?
        .map(Object::ReportRun))
}

pub use crate::graph::insights::ReportRun;

/// An ad object with what it belongs to: its WABA (whose ad account it is, or is under) and,
/// for a campaign, ad set or ad, the template it mirrors.
#[derive(Debug, Clone)]
pub struct AdNode {
    /// Its ID (digits).
    pub id: u64,
    /// What it is.
    pub kind: AdObjectKind,
    /// The WABA.
    pub waba: Waba,
    /// The template, below the account.
    pub template: Option<Template>,
    /// The ad account's digits.
    pub account: String,
}

impl AdNode {
    /// Loads the objects `r` leads to; `None` when they no longer carry its ID (a template
    /// deleted, a chain dropped at offboarding).
    pub async fn load(state: &AppState, r: AdObjectRef) -> Result<Option<Self>, StoreError> {
        let Some(waba) = state.store.waba(r.waba_id).await? else {
            return Ok(None);
        };
        let id = r.id.to_string();
        // Meta creates the objects when the WABA's MM API setup completes; until then they
        // are not there to read. A disabled account stays readable.
        let synced = crate::graph::template::synced(&waba, state.clock.now());
        let disabled = waba.disabled_ad_account_id.as_deref() == Some(id.as_str());
        if !synced && !disabled {
            return Ok(None);
        }
        if r.kind == AdObjectKind::Account {
            let carries = waba.ad_account_id.as_deref() == Some(id.as_str())
                || waba.disabled_ad_account_id.as_deref() == Some(id.as_str());
            return Ok(carries.then_some(Self {
                id: r.id,
                kind: r.kind,
                waba,
                template: None,
                account: id,
            }));
        }
        let Some(template_id) = r.template_id else {
            return Ok(None);
        };
        let Some(template) = state.store.template(template_id).await? else {
            return Ok(None);
        };
        let Some(chain) = template.ad.clone() else {
            return Ok(None);
        };
        let carries = match r.kind {
            AdObjectKind::Campaign => chain.ad_campaign_id == id,
            AdObjectKind::Adset => chain.ad_adset_id == id,
            AdObjectKind::Ad | AdObjectKind::Account => chain.ad_id == id,
        };
        Ok(carries.then_some(Self {
            id: r.id,
            kind: r.kind,
            waba,
            template: Some(template),
            account: chain.ad_account_id,
        }))
    }

    /// The ID as Graph writes it: `act_<id>` for an ad account.
    pub fn graph_id(&self) -> String {
        if self.kind == AdObjectKind::Account {
            format!("act_{}", self.id)
        } else {
            self.id.to_string()
        }
    }

    /// Whether its ad account was disabled (coexistence offboarding unlinked it).
    pub fn disabled(&self) -> bool {
        self.waba.ad_account_id.as_deref() != Some(self.account.as_str())
    }
}

/// An object a route acts on, with what its access rule needs: an object that lives under a
/// WABA (a phone number, a template) comes with that WABA.
#[derive(Debug, Clone)]
pub enum Target {
    /// A business portfolio.
    Business(Business),
    /// A WABA.
    Waba(Waba),
    /// A phone number and its WABA.
    Phone(PhoneNumber, Waba),
    /// A template and its WABA.
    Template(Template, Waba),
    /// A system user.
    SystemUser(SystemUser),
    /// An app.
    App(App),
    /// A Multi-Partner Solution.
    Solution(Solution),
    /// A migration intent.
    MigrationIntent(SolutionMigration),
    /// An ad object.
    Ad(AdNode),
    /// An Insights report run, with the ad object it reports on.
    ReportRun(ReportRun, AdNode),
    /// A pixel (dataset).
    Pixel(Pixel),
}

impl Target {
    /// Completes `object` into a target; `None` when the WABA it lives under is gone, which
    /// callers answer as the object unknown.
    pub async fn load(state: &AppState, object: Object) -> Result<Option<Self>, StoreError> {
        Ok(Some(match object {
            Object::Business(b) => Self::Business(b),
            Object::Waba(w) => Self::Waba(w),
            Object::Phone(p) => match state.store.waba(p.waba_id).await? {
                Some(w) => Self::Phone(p, w),
                None => return Ok(None),
            },
            Object::Template(t) => match state.store.waba(t.waba_id).await? {
                Some(w) => Self::Template(t, w),
                None => return Ok(None),
            },
            Object::SystemUser(u) => Self::SystemUser(u),
            Object::App(a) => Self::App(a),
            Object::Solution(s) => Self::Solution(s),
            Object::MigrationIntent(m) => Self::MigrationIntent(m),
            Object::Ad(r) => match AdNode::load(state, r).await? {
                Some(node) => Self::Ad(node),
                None => return Ok(None),
            },
            Object::ReportRun(run) => {
                let Some(r) = state.store.ad_object(run.object_id).await? else {
                    return Ok(None);
                };
                match AdNode::load(state, r).await? {
                    Some(node) => Self::ReportRun(run, node),
                    None => return Ok(None),
                }
            }
            Object::Pixel(p) => Self::Pixel(p),
        }))
    }

    /// The object's ID as Graph writes it.
    pub fn id(&self) -> String {
        match self {
            Self::Business(b) => b.id.to_string(),
            Self::Waba(w) => w.id.to_string(),
            Self::Phone(p, _) => p.id.to_string(),
            Self::Template(t, _) => t.id.to_string(),
            Self::SystemUser(u) => u.id.to_string(),
            Self::App(a) => a.id.to_string(),
            Self::Solution(s) => s.id.to_string(),
            Self::MigrationIntent(m) => m.id.to_string(),
            Self::Ad(node) => node.graph_id(),
            Self::ReportRun(run, _) => run.id.to_string(),
            Self::Pixel(p) => p.id.to_string(),
        }
    }

    /// The node's name as Graph's permission messages write it.
    pub fn label(&self) -> &'static str {
        self.kind().label()
    }

    /// The node's kind.
    pub fn kind(&self) -> NodeKind {
        match self {
            Self::Business(_) => NodeKind::Business,
            Self::Waba(_) => NodeKind::Waba,
            Self::Phone(..) => NodeKind::Phone,
            Self::Template(..) => NodeKind::Template,
            Self::SystemUser(_) => NodeKind::SystemUser,
            Self::App(_) => NodeKind::App,
            Self::Solution(_) => NodeKind::Solution,
            Self::MigrationIntent(_) => NodeKind::MigrationIntent,
            Self::Ad(node) => NodeKind::of_ad(node.kind),
            Self::ReportRun(..) => NodeKind::ReportRun,
            Self::Pixel(_) => NodeKind::Pixel,
        }
    }
}

/// The kinds of node the Graph surface serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodeKind {
    /// `/{business-id}`.
    Business,
    /// `/{waba-id}`.
    Waba,
    /// `/{phone-number-id}`.
    Phone,
    /// `/{template-id}`.
    Template,
    /// `/{system-user-id}`.
    SystemUser,
    /// `/{app-id}`.
    App,
    /// `/{solution-id}`.
    Solution,
    /// `/{migration-intent-id}`.
    MigrationIntent,
    /// `/act_{ad-account-id}`.
    AdAccount,
    /// `/{campaign-id}`.
    Campaign,
    /// `/{adset-id}`.
    Adset,
    /// `/{ad-id}`.
    Ad,
    /// `/{report-run-id}`.
    ReportRun,
    /// `/{pixel-id}` (also `/{dataset-id}`).
    Pixel,
}

impl NodeKind {
    /// The node's name as Graph's permission messages write it.
    pub fn label(self) -> &'static str {
        match self {
            Self::Business => "business",
            Self::Waba => "WhatsApp Business Account",
            Self::Phone => "WhatsApp Business Phone Number",
            Self::Template => "message template",
            Self::SystemUser => "user",
            Self::App => "application",
            Self::Solution => "Multi-Partner Solution",
            Self::MigrationIntent => "migration intent",
            Self::AdAccount => "ad account",
            Self::Campaign => "campaign",
            Self::Adset => "ad set",
            Self::Ad => "ad",
            Self::ReportRun => "report run",
            Self::Pixel => "pixel",
        }
    }

    /// The node kind of an ad object.
    pub const fn of_ad(kind: AdObjectKind) -> Self {
        match kind {
            AdObjectKind::Account => Self::AdAccount,
            AdObjectKind::Campaign => Self::Campaign,
            AdObjectKind::Adset => Self::Adset,
            AdObjectKind::Ad => Self::Ad,
        }
    }
}
