//! Who is calling: the access token, its app, and the `appsecret_proof` rule.
//!
//! Tokens are found by the SHA-256 of what the client sent; the plain token is never stored.
//! App tokens may also be sent in Graph's `app_id|app_secret` form, checked in constant time.

use axum::http::header;
use subtle::ConstantTimeEq;
use wamm_domain::access::{Denial, Principal};
use wamm_domain::{App, BusinessRole, Permission, SystemUser, TokenKind, TokenRecord};
use wamm_wire::GraphError;
use wamm_wire::ids::{AppId, WabaId};
use wamm_wire::proof::verify_appsecret_proof;

use super::reply::ApiResult;
use super::request::GraphRequest;
use crate::state::AppState;

/// An authenticated caller.
#[derive(Debug, Clone)]
pub struct Caller {
    /// The token's record.
    pub token: TokenRecord,
    /// The token's app.
    pub app: App,
    /// For an employee system user's token, the WABAs its system user is assigned to
    /// (`/{waba-id}/assigned_users`); `None` for every other token.
    pub assigned: Option<Vec<WabaId>>,
}

impl Caller {
    /// The domain view used by access rules.
    pub fn principal(&self) -> Principal<'_> {
        Principal {
            token: &self.token,
            app: &self.app,
            assigned: self.assigned.as_deref(),
        }
    }

    /// The system user behind the token, for a system user's token.
    pub async fn system_user(&self, state: &AppState) -> ApiResult<Option<SystemUser>> {
        if self.token.kind != TokenKind::SystemUser {
            return Ok(None);
        }
        match self.token.user_id {
            Some(id) => Ok(state.store.system_user(id).await?),
            None => Ok(None),
        }
    }
}

/// The WABAs an employee system user's token is confined to (see
/// [`wamm_domain::assignment`]); `None` for admin system users and every other token.
async fn assigned_wabas(state: &AppState, token: &TokenRecord) -> ApiResult<Option<Vec<WabaId>>> {
    if token.kind != TokenKind::SystemUser {
        return Ok(None);
    }
    let Some(user_id) = token.user_id else {
        return Ok(None);
    };
    match state.store.system_user(user_id).await? {
        Some(user) if user.role == BusinessRole::Employee => Ok(Some(
            state
                .store
                .assignments_of_user(user_id)
                .await?
                .into_iter()
                .map(|a| a.waba_id)
                .collect(),
        )),
        _ => Ok(None),
    }
}

/// The token sent with the request: `access_token` (query, form or JSON body) or
/// `Authorization: Bearer|OAuth <token>`.
///
/// When both are sent, `access_token` wins, as on Graph: clients such as pywa call app-level
/// endpoints with the app token in the query while their session's `Authorization` header
/// still carries a system user token.
pub fn presented_token(req: &GraphRequest) -> Option<String> {
    if let Some(token) = req.params.str("access_token").filter(|t| !t.is_empty()) {
        return Some(token);
    }
    let from_header = req
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            let (scheme, rest) = v.trim().split_once(' ')?;
            matches!(scheme.to_ascii_lowercase().as_str(), "bearer" | "oauth")
                .then(|| rest.trim().to_owned())
        });
    from_header.filter(|t| !t.is_empty())
}

fn parseable(token: &str) -> bool {
    token.len() <= 1024
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'|' | b'_' | b'-' | b'.'))
}

/// Authenticates the request: finds the token, checks expiry and revocation, then the proof.
pub async fn authenticate(state: &AppState, req: &GraphRequest) -> ApiResult<Caller> {
    let plain = presented_token(req).ok_or_else(GraphError::token_required)?;
    if !parseable(&plain) {
        return Err(GraphError::invalid_token().into());
    }
    let now = state.clock.now();
    let record = match state
        .store
        .token_by_hash(&wamm_world::hash_token(&plain))
        .await?
    {
        Some(record) => record,
        None => literal_app_token(state, &plain)
            .await?
            .ok_or_else(GraphError::invalid_token)?,
    };
    if record.revoked_at.is_some_and(|at| at <= now) {
        return Err(GraphError::revoked_token().into());
    }
    if let Some(expired) = record.expires_at.filter(|at| *at <= now) {
        return Err(GraphError::expired_token(&expired.graph_time(), &now.graph_time()).into());
    }
    let app = state
        .store
        .app(record.app_id)
        .await?
        .ok_or_else(GraphError::invalid_token)?;
    check_proof(req, &app, &plain, record.kind)?;
    let assigned = assigned_wabas(state, &record).await?;
    Ok(Caller {
        token: record,
        app,
        assigned,
    })
}

/// `app_id|app_secret`: Graph's literal app access token, checked in constant time.
pub async fn literal_app_token(state: &AppState, plain: &str) -> ApiResult<Option<TokenRecord>> {
    let Some((id, secret)) = plain.split_once('|') else {
        return Ok(None);
    };
    let Ok(app_id) = id.parse::<AppId>() else {
        return Ok(None);
    };
    let Some(app) = state.store.app(app_id).await? else {
        return Ok(None);
    };
    if !bool::from(app.secret.as_bytes().ct_eq(secret.as_bytes())) {
        return Ok(None);
    }
    // Nothing is stored for it: the record lives for this request only.
    Ok(Some(TokenRecord::new(
        String::new(),
        String::new(),
        TokenKind::App,
        app_id,
        state.clock.now(),
    )))
}

fn check_proof(
    req: &GraphRequest,
    app: &App,
    plain: &str,
    kind: TokenKind,
) -> Result<(), GraphError> {
    match req.params.str("appsecret_proof") {
        Some(proof) if verify_appsecret_proof(&app.secret, plain, &proof) => Ok(()),
        Some(_) => Err(GraphError::invalid_proof()),
        // The literal app token already carries the secret; Graph asks no proof of it.
        None if app.require_app_secret && !(kind == TokenKind::App && plain.contains('|')) => {
            Err(GraphError::proof_required())
        }
        None => Ok(()),
    }
}

/// Renders an access refusal the way Graph does for an object of `node_label` with `id`.
pub fn deny(denial: Denial, req: &GraphRequest, id: &str, node_label: &str) -> GraphError {
    match denial {
        Denial::NotVisible => GraphError::unsupported_request(req.method_name(), id),
        Denial::MissingScope(scope) => permission_denied(node_label, req).with_details(format!(
            "The access token does not carry the {scope} permission."
        )),
        Denial::AssetNotGranted => permission_denied(node_label, req)
            .with_details("The system user of this access token has not been assigned this asset."),
        Denial::NeedsAdvancedAccess(scope) => GraphError::app_permission(format!(
            "(#10) Application does not have permission for this action: advanced access to {scope} is required to reach a client's assets"
        )),
    }
}

fn permission_denied(node_label: &str, req: &GraphRequest) -> GraphError {
    let verb = if req.method_name() == "get" {
        "access"
    } else {
        "modify"
    };
    GraphError::permission_denied(format!(
        "Your app doesn't have permission to {verb} this {node_label}"
    ))
    .with_user_message(
        "Permission Denied",
        format!("Your app doesn't have permission to {verb} this resource"),
    )
}

/// Checks one of several scopes, trying each in order and reporting the first refusal.
pub fn any_scope(
    scopes: &[Permission],
    mut check: impl FnMut(Permission) -> Result<(), Denial>,
) -> Result<(), Denial> {
    let mut first = None;
    for scope in scopes {
        match check(*scope) {
            Ok(()) => return Ok(()),
            Err(d) => {
                first.get_or_insert(d);
            }
        }
    }
    Err(first.unwrap_or(Denial::NotVisible))
}
