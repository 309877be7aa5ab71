//! Access tokens a person or an app asks for: a system user's token (the control API, as the
//! Business Manager would mint it) and an app token (client credentials).

use serde_json::json;
use wamm_domain::{App, NewEvent, Permission, SystemUser, TokenKind};
use wamm_store::{ChangeSet, Put, StoreError};
use wamm_wire::ids::AppId;
use wamm_world::Mint;

use crate::context::Platform;

/// Mints a token of `user` on `app` with `scopes`; returns it (once: only its hash is kept).
pub async fn mint_system_user_token(
    platform: &Platform,
    user: &SystemUser,
    app: AppId,
    scopes: Vec<Permission>,
) -> Result<String, StoreError> {
    let mut block = platform.minter.block(1).await?;
    let token = block.new_token();
    let now = platform.clock.now();
    let record = crate::mint::token_record(&token, TokenKind::SystemUser, app, now)
        .acting_as(user.business_id, user.id)
        .with_scopes(scopes);
    let event = NewEvent {
        at: now,
        kind: "token.issued".into(),
        subject: format!("system_user:{}", user.id),
        detail: json!({ "app_id": app.to_string(), "hint": record.hint }),
    };
    platform
        .commit(ChangeSet::new().put(Put::Token(record)).event(event))
        .await?;
    Ok(token)
}

/// Issues an app token for `app` (its secret was checked by the door).
pub async fn issue_app_token(platform: &Platform, app: &App) -> Result<String, StoreError> {
    let mut block = platform.minter.block(1).await?;
    // Graph's app tokens look like `app_id|opaque`; the opaque part is what we hash and keep.
    let token = format!("{}|{}", app.id, &block.new_token()[4..31]);
    let now = platform.clock.now();
    let record = crate::mint::token_record(&token, TokenKind::App, app.id, now);
    let event = NewEvent {
        at: now,
        kind: "token.app_issued".into(),
        subject: format!("app:{}", app.id),
        detail: json!({ "hint": record.hint }),
    };
    platform
        .commit(ChangeSet::new().put(Put::Token(record)).event(event))
        .await?;
    Ok(token)
}
