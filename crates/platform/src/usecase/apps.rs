//! An app's own setup: its MM API enrolment steps and its Login for Business configurations,
//! from the App Dashboard pages and the control API alike.

use wamm_domain::{App, LoginConfig, NewEvent, Permission};
use wamm_store::{ChangeSet, Put};
use wamm_wire::ids::AppId;

use crate::context::Platform;

/// Applies an enrolment step to the app and stores it with an event, in one transaction.
pub async fn enrolment_step(
    platform: &Platform,
    app_id: AppId,
    kind: &str,
    step: impl FnOnce(
        &mut App,
        wamm_domain::Timestamp,
    ) -> Result<(), wamm_domain::enrolment::EnrolmentError>,
) -> Result<Result<(), String>, wamm_store::StoreError> {
    let Some(mut app) = platform.store.app(app_id).await? else {
        return Ok(Err(format!("no app {app_id}")));
    };
    let now = platform.clock.now();
    if let Err(e) = step(&mut app, now) {
        return Ok(Err(e.to_string()));
    }
    let event = NewEvent {
        at: now,
        kind: kind.to_owned(),
        subject: format!("app:{app_id}"),
        detail: serde_json::json!({ "enrolment": app.mm_enrolment, "permissions": app.permissions }),
    };
    platform
        .store
        .commit(ChangeSet::new().put(Put::App(app)).event(event))
        .await?;
    Ok(Ok(()))
}

/// Adds a Login for Business configuration to `app` (the door has checked its name and
/// permissions) and returns its `config_id`.
pub async fn add_login_config(
    platform: &Platform,
    mut app: App,
    name: String,
    permissions: Vec<Permission>,
    marketing_messages: bool,
) -> Result<u64, wamm_store::StoreError> {
    let mut block = platform.minter.block(1).await?;
    let now = platform.clock.now();
    let config = LoginConfig {
        id: wamm_world::Mint::next_id(&mut block),
        name,
        permissions,
        marketing_messages,
        created_at: now,
    };
    let id = config.id;
    let event = NewEvent {
        at: now,
        kind: "app.login_config_created".into(),
        subject: format!("app:{}", app.id),
        detail: serde_json::json!({ "config_id": config.id.to_string(), "name": config.name }),
    };
    app.login_configs.push(config);
    platform
        .commit(ChangeSet::new().put(Put::App(app)).event(event))
        .await?;
    Ok(id)
}
