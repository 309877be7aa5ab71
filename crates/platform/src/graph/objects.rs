//! Finding the object a Graph path names.
//!
//! Graph IDs are global: one number names exactly one object, whatever its type. The store
//! keeps a table per type, so the lookup asks each in turn, most common first.
//! A pixel and its dataset share one ID, so both resolve to the same node.

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
            Self::Pixel(_) => NodeKind::Pixel,
        }
    }
}

/// Looks up the object named `id`; `None` for unknown or non-numeric IDs.
pub async fn resolve(state: &AppState, id: &str) -> Result<Option<Object>, StoreError> {
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
    Ok(store.pixel(PixelId(raw)).await?.map(Object::Pixel))
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
            Self::Pixel => "pixel",
        }
    }
}
