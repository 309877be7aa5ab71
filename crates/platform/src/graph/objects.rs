//! Finding the object a Graph path names.
//!
//! Graph IDs are global: one number names exactly one object, whatever its type. The store
//! keeps a table per type, so the lookup asks each in turn, most common first.

use wamm_domain::{App, Business, PhoneNumber, SystemUser, Template, Waba};
use wamm_store::StoreError;
use wamm_wire::ids::{AppId, BusinessId, ObjectId, PhoneNumberId, TemplateId, UserId, WabaId};

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
    Ok(store.app(AppId(raw)).await?.map(Object::App))
}
