//! The platform's front door for code that embeds it (the `wamm` binary, its benchmarks, the
//! test suites): a cheap, cloneable handle on a started platform that loads worlds, mints
//! tokens, reads and moves the clock and says what an ID names. Everything else is reached over
//! HTTP, the way a partner reaches it.

use std::time::Duration;

use wamm_domain::{App, PartnerType, Permission, SystemUser, Timestamp};
use wamm_store::{Backend, StoreError};
use wamm_wire::GraphVersion;
use wamm_wire::ids::{AppId, BusinessId, UserId};

use crate::control::{self, ControlError, WorldSummary};
use crate::graph::objects::{self, NodeKind};
use crate::state::AppState;

/// A handle on a started platform; clones share it.
#[derive(Debug, Clone)]
pub struct Handle {
    state: AppState,
}

/// What a partner needs to call the platform at once (`wamm up` prints it): the partner's app,
/// its business, a system user and a token for them.
#[derive(Debug, Clone)]
pub struct Welcome {
    /// The partner's app.
    pub app_id: AppId,
    /// Its secret (for `appsecret_proof` and webhook signatures).
    pub app_secret: String,
    /// The partner's business portfolio.
    pub partner_business_id: BusinessId,
    /// A system user of that business.
    pub system_user_id: UserId,
    /// A token of that system user on that app, with the WhatsApp and business permissions.
    pub access_token: String,
}

impl Handle {
    pub(crate) fn new(state: AppState) -> Self {
        Self { state }
    }

    /// The state behind the handle, for the crate's own measurement hooks.
    pub(crate) fn state(&self) -> &AppState {
        &self.state
    }

    /// Replaces the world with the one described by `text` (YAML or JSON), as `PUT
    /// /_wamm/world` does; see [`ControlError`] for what is refused.
    pub async fn load_world(&self, text: &str) -> Result<WorldSummary, ControlError> {
        control::load_world(&self.state, text).await
    }

    /// Loads the demo world when the store is empty; `None` when it already held a world.
    pub async fn ensure_demo(&self) -> Result<Option<WorldSummary>, ControlError> {
        control::ensure_demo(&self.state).await
    }

    /// Mints a system user token for `user` on `app` with `scopes`, shown once.
    pub async fn mint_token(
        &self,
        user: UserId,
        app: AppId,
        scopes: Vec<Permission>,
    ) -> Result<String, ControlError> {
        control::mint_token(&self.state, user, app, scopes).await
    }

    /// The credentials a partner starts with: the solution partner's or tech provider's app
    /// that can reach clients (preferring one that does not require `appsecret_proof`, so that
    /// a plain curl works), a system user of its business, and a token for them: the one
    /// `issued` holds when the world was just loaded, else a fresh one (the store keeps only
    /// token hashes).
    pub async fn welcome(&self, issued: Option<&WorldSummary>) -> Result<Welcome, ControlError> {
        let world = self.state.store.export_world().await?;
        let (app, user) = welcome_pair(&world.apps, &world.system_users).ok_or_else(|| {
            ControlError::NotFound("the world has no app with a system user".to_owned())
        })?;
        let known = issued.and_then(|s| {
            s.tokens
                .iter()
                .find(|t| t.app_id == app.id && t.user_id == user.id)
        });
        let access_token = match known {
            Some(t) => t.token.clone(),
            None => {
                let scopes = vec![
                    Permission::WhatsappBusinessMessaging,
                    Permission::WhatsappBusinessManagement,
                    Permission::BusinessManagement,
                ];
                self.mint_token(user.id, app.id, scopes).await?
            }
        };
        Ok(Welcome {
            app_id: app.id,
            app_secret: app.secret.clone(),
            partner_business_id: app.business_id,
            system_user_id: user.id,
            access_token,
        })
    }

    /// The secret of `app`, when it exists.
    pub async fn app_secret(&self, app: AppId) -> Result<Option<String>, StoreError> {
        Ok(self.state.store.app(app).await?.map(|a| a.secret))
    }

    /// What the Graph ID `id` names, from the store; `None` for an unknown or non-numeric ID.
    pub async fn node_kind(&self, id: &str) -> Result<Option<NodeKind>, StoreError> {
        Ok(objects::resolve(&self.state, id).await?.map(|o| o.kind()))
    }

    /// The platform clock's reading.
    pub fn now(&self) -> Timestamp {
        self.state.clock.now()
    }

    /// Moves the platform clock forward by `by` and saves it, as `POST /_wamm/clock` with
    /// `advance_seconds` does (without its journal entry).
    pub async fn advance_clock(&self, by: Duration) -> Result<(), StoreError> {
        self.state
            .clock
            .advance_ms(i64::try_from(by.as_millis()).unwrap_or(i64::MAX));
        self.state.save_clock().await
    }

    /// Adopts a newer clock saved by another replica sharing the database; whether it did.
    pub async fn sync_clock(&self) -> Result<bool, StoreError> {
        self.state.sync_clock().await
    }

    /// The database the platform runs on, as configured.
    pub fn database_url(&self) -> &str {
        &self.state.config.database_url
    }

    /// The storage engine behind it.
    pub fn backend(&self) -> Backend {
        self.state.store.backend()
    }

    /// The newest Graph API version served.
    pub fn graph_version(&self) -> GraphVersion {
        self.state.config.versions.newest()
    }
}

/// The app and system user [`Handle::welcome`] hands out.
fn welcome_pair<'a>(apps: &'a [App], users: &'a [SystemUser]) -> Option<(&'a App, &'a SystemUser)> {
    let reaches_clients = |a: &&App| {
        a.partner_type != PartnerType::Direct
            && a.has_advanced(Permission::WhatsappBusinessManagement)
    };
    let app = apps
        .iter()
        .filter(reaches_clients)
        .min_by_key(|a| a.require_app_secret)
        .or_else(|| apps.iter().find(|a| a.partner_type != PartnerType::Direct))
        .or_else(|| apps.first())?;
    let user = users.iter().find(|u| u.business_id == app.business_id)?;
    Some((app, user))
}
