//! Token endpoints: `/oauth/access_token`, `/debug_token`, `/me`, and the system user and app
//! nodes.

use serde_json::{Value, json};
use subtle::ConstantTimeEq;
use wamm_domain::{App, Permission, SystemUser, TokenKind, TokenRecord};
use wamm_wire::GraphError;
use wamm_wire::ids::AppId;
use wamm_world::hash_token;

use super::catalogue;
use super::render::Node;
use super::reply::{ApiResult, Reply};
use super::request::GraphRequest;
use super::routes::Ctx;
use crate::state::AppState;

fn oauth_error(code: i64, message: &str) -> GraphError {
    GraphError::new(400, wamm_wire::error::kind::OAUTH, code, message)
}

/// `GET|POST /oauth/access_token?grant_type=client_credentials&client_id=…&client_secret=…`.
pub async fn oauth_access_token(state: &AppState, req: &GraphRequest) -> ApiResult {
    let client_id = req
        .params
        .str("client_id")
        .ok_or_else(|| oauth_error(101, "Missing client_id parameter."))?;
    let app_id: AppId = client_id
        .parse()
        .map_err(|_| oauth_error(101, "Error validating application. Invalid application ID."))?;
    let app =
        state.store.app(app_id).await?.ok_or_else(|| {
            oauth_error(101, "Error validating application. Invalid application ID.")
        })?;
    let secret = req.params.str("client_secret").unwrap_or_default();
    if !bool::from(app.secret.as_bytes().ct_eq(secret.as_bytes())) {
        return Err(oauth_error(1, "Error validating client secret.").into());
    }
    if let Some(code) = req.params.str("code") {
        let redirect_uri = req.params.str("redirect_uri");
        let token =
            crate::usecase::signup::exchange(state, &app, &code, redirect_uri.as_deref()).await?;
        return Ok(Reply::json(
            json!({ "access_token": token, "token_type": "bearer" }),
        ));
    }
    match req.params.str("grant_type").as_deref() {
        Some("client_credentials") => {}
        Some(other) => {
            return Err(
                GraphError::invalid_parameter(format!("Unsupported grant_type: {other}")).into(),
            );
        }
        None => {
            return Err(
                GraphError::invalid_parameter("The parameter grant_type is required").into(),
            );
        }
    }
    let token = crate::usecase::tokens::issue_app_token(state, &app).await?;
    Ok(Reply::json(
        json!({ "access_token": token, "token_type": "bearer" }),
    ))
}

fn debug_data(record: &TokenRecord, app: &App, now: wamm_domain::Timestamp) -> Value {
    if record.kind == TokenKind::App {
        return json!({ "app_id": app.id.to_string(), "type": "APP", "application": app.name, "is_valid": true, "scopes": [] });
    }
    let valid =
        record.revoked_at.is_none_or(|at| at > now) && record.expires_at.is_none_or(|at| at > now);
    // WhatsApp scopes name the WABAs a token reaches; `ads_read` the linked ad accounts.
    let targets = |scope: Permission| -> Vec<String> {
        match scope {
            Permission::WhatsappBusinessManagement | Permission::WhatsappBusinessMessaging => {
                record
                    .target_wabas
                    .iter()
                    .map(ToString::to_string)
                    .collect()
            }
            Permission::AdsRead => record.target_ad_accounts.clone(),
            _ => Vec::new(),
        }
    };
    let granular: Vec<Value> = record
        .scopes
        .iter()
        .map(|scope| match targets(*scope) {
            ids if ids.is_empty() => json!({ "scope": scope.as_str() }),
            ids => json!({ "scope": scope.as_str(), "target_ids": ids }),
        })
        .collect();
    let mut data = json!({
        "app_id": app.id.to_string(),
        "type": record.kind.graph_type(),
        "application": app.name,
        "data_access_expires_at": 0,
        "expires_at": record.expires_at.map_or(0, wamm_domain::Timestamp::unix_seconds),
        "is_valid": valid,
        "issued_at": record.issued_at.unix_seconds(),
        "scopes": record.scopes.iter().map(|s| s.as_str()).collect::<Vec<_>>(),
        "granular_scopes": granular,
    });
    if let Some(user) = record.user_id {
        data["user_id"] = Value::String(user.to_string());
    }
    if !valid {
        data["error"] = json!({ "code": 190, "message": "Error validating access token: The session has been invalidated or has expired.", "subcode": 460 });
    }
    data
}

/// `GET /debug_token?input_token=…`.
pub async fn debug_token(c: Ctx<'_>) -> ApiResult {
    let Ctx { state, req, caller } = c;
    let input = req.params.required("input_token")?;
    let now = state.clock.now();
    let record = match state.store.token_by_hash(&hash_token(&input)).await? {
        Some(r) => Some(r),
        None => super::auth::literal_app_token(state, &input).await?,
    };
    let Some(record) = record else {
        return Ok(Reply::json(
            json!({ "data": { "error": { "code": 190, "message": "Invalid OAuth access token." }, "is_valid": false, "scopes": [] } }),
        ));
    };
    if record.app_id != caller.app.id {
        return Err(GraphError::invalid_parameter(
            "The App_id in the input_token did not match the Viewing App",
        )
        .into());
    }
    Ok(Reply::json(
        json!({ "data": debug_data(&record, &caller.app, now) }),
    ))
}

/// The system user node, as `/me` and `/{system-user-id}` render it.
pub(crate) fn user_node(user: &SystemUser) -> Node {
    Node::of(&catalogue::SYSTEM_USER)
        .value("id", user.id.to_string())
        .value("name", user.name.clone())
        .value(
            "role",
            if user.role == wamm_domain::BusinessRole::Admin {
                "ADMIN"
            } else {
                "EMPLOYEE"
            },
        )
}

/// The app node, as `/me` (app token), `/{app-id}` and a subscribed app render it.
pub(crate) fn app_node(id: AppId, name: &str) -> Node {
    Node::of(&catalogue::APPLICATION)
        .value("id", id.to_string())
        .value("name", name)
        .value("app_name", name)
        .value(
            "link",
            format!("https://www.facebook.com/games/?app_id={id}"),
        )
}

/// `GET /me`: the system user a token acts as, or the app for an app token.
pub async fn me(c: Ctx<'_>) -> ApiResult {
    let Ctx { state, req, caller } = c;
    let sel = req.params.fields()?;
    let node = match caller.token.user_id {
        Some(user_id) => match state.store.system_user(user_id).await? {
            Some(user) => user_node(&user),
            None => return Err(GraphError::unsupported_request(req.method_name(), "me").into()),
        },
        None => app_node(caller.app.id, &caller.app.name),
    };
    Ok(Reply::json(node.project(sel.as_ref())?))
}

/// `GET /{system-user-id}`: visible to tokens of the same business.
pub async fn system_user(c: Ctx<'_>, user: &SystemUser) -> ApiResult {
    let req = c.req;
    let sel = req.params.fields()?;
    Ok(Reply::json(user_node(user).project(sel.as_ref())?))
}

/// `GET /{app-id}`: an app's public fields.
pub async fn app(c: Ctx<'_>, app: &App) -> ApiResult {
    let req = c.req;
    let sel = req.params.fields()?;
    Ok(Reply::json(
        app_node(app.id, &app.name).project(sel.as_ref())?,
    ))
}

#[cfg(test)]
mod tests {
    use wamm_domain::BusinessRole;
    use wamm_wire::ids::{BusinessId, UserId};

    use super::*;

    #[test]
    fn builders_agree_with_the_catalogue() {
        let user = SystemUser {
            id: UserId::new(1100),
            business_id: BusinessId::new(1000),
            name: "Partner Ops".into(),
            role: BusinessRole::Admin,
        };
        catalogue::assert_builder_agrees(&user_node(&user));
        catalogue::assert_builder_agrees(&app_node(AppId::new(2000), "Partner Connect"));
    }
}
