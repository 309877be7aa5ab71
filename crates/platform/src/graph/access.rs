//! The access rules a route can require, and the one place they are judged.
//!
//! A route names its rule ([`Access`]); [`authorize`] judges it against the resolved object
//! before any handler runs, so no handler checks permissions itself. Every refusal is the
//! one Graph gives: an object the caller may not see answers as an unknown ID (100/33), a
//! missing scope or an unassigned asset as 200, a client asset without advanced access as 10,
//! and a method that needs an app token as 15.

use wamm_domain::access::Denial;
use wamm_domain::{Business, BusinessRole, Permission, TokenKind, Waba};
use wamm_store::StoreError;
use wamm_wire::GraphError;
use wamm_wire::error::{code, kind};
use wamm_wire::ids::BusinessId;

use super::auth::{Caller, any_scope, deny};
use super::catalogue::NodeType;
use super::objects::Target;
use super::reply::ApiResult;
use super::request::GraphRequest;
use crate::state::AppState;

/// Who may call a route, judged on the object its path names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// No access token: the call authenticates itself (client credentials, a code).
    ClientCredentials,
    /// Any valid access token.
    Token,
    /// The path's app, called with that app's own app access token (15 otherwise).
    OwnAppToken,
    /// A system user of the token's own business.
    SameBusiness,
    /// A business the token acts for, or a client of it (holds a WABA shared with it or held
    /// on its behalf), with one of the scopes.
    Business(&'static [Permission]),
    /// The business the token acts for, with one of the scopes.
    OwnBusiness(&'static [Permission]),
    /// A WABA the token reaches with one of the scopes; for an object that lives under a WABA
    /// (a phone number, a template), the WABA it lives under, refused under the object's own
    /// ID so the refusal neither names the WABA nor differs from an unknown ID's.
    Waba(&'static [Permission]),
    /// The Intent API's rule: the path's business is the token's own or a client of it, the
    /// token is a system user's, and it carries the scope.
    PartnerSystemUser(Permission),
    /// The path's app is the token's app (any kind of token issued to it).
    AnyTokenOfApp,
    /// The token's app is the solution's owner or partner app.
    SolutionParty,
    /// The token acts for the business that set the migration intent or the business that
    /// owns its WABA.
    MigrationParty,
    /// The path's app, called with a token of that app acting for the app's own business
    /// (its system user's, as Meta's spec asks, or a person's) that carries one of the scopes
    /// (`connected_client_businesses`). An app token acts for no business and is refused.
    OwnApp(&'static [Permission]),
    /// A system user of the token's own business, with one of the scopes
    /// (`assigned_whatsapp_business_accounts`).
    OwnSystemUser(&'static [Permission]),
    /// Managing who is assigned to a WABA: the WABA rule with one of the scopes, and the token
    /// is an admin system user's, as Meta's "Manage System Users" guide requires.
    WabaAdmin(&'static [Permission]),
    /// The MM API's ad objects and their Insights: a token acting for the WABA's owner
    /// business, whose `ads_read` reaches the linked ad account
    /// ([`wamm_domain::access::Principal::check_ad_account`]).
    AdsRead,
    /// `system_user_access_tokens`' rule: `appsecret_proof` always, a token acting for the
    /// app's business or for the path's client, a client that shared something with the app's
    /// business, the scope, and advanced access to it for a client's assets.
    LinkClient(Permission),
    /// A pixel (dataset): a token acting for the business that owns it, or one that reaches a
    /// WABA of that business (a partner's), with one of the scopes.
    Pixel(&'static [Permission]),
}

/// Judges `rule` for `caller` on `target`; `fields` is the catalogue of a read whose selected
/// fields may need more than the rule's scopes.
pub async fn authorize(
    state: &AppState,
    req: &GraphRequest,
    caller: &Caller,
    rule: Access,
    target: &Target,
    fields: Option<&'static NodeType>,
) -> ApiResult<()> {
    let principal = caller.principal();
    let id = target.id();
    let label = target.label();
    let refuse = |d: Denial| deny(d, req, &id, label);
    match (rule, target) {
        (Access::ClientCredentials | Access::Token, _) => Ok(()),
        (Access::OwnAppToken, Target::App(app)) => {
            if caller.token.kind == TokenKind::App && caller.app.id == app.id {
                Ok(())
            } else {
                Err(GraphError::new(
                    400,
                    kind::OAUTH,
                    15,
                    "(#15) This method must be called with an app access_token.",
                )
                .into())
            }
        }
        (Access::OwnApp(scopes), Target::App(app)) => {
            let own_app = caller.app.id == app.id;
            if !own_app || caller.token.business_id != Some(app.business_id) {
                // Meta's words for a caller that is not the app or its business.
                return Err(GraphError::new(
                    403,
                    kind::OAUTH,
                    code::PERMISSION,
                    "Your app doesn't have permission to access connected client businesses for this application",
                )
                .with_subcode(1_349_174)
                .with_user_message(
                    "Permission Denied",
                    "Your app doesn't have permission to access this resource",
                )
                .into());
            }
            token_scope(caller, scopes)
                .map_err(refuse)
                .map_err(Into::into)
        }
        (Access::OwnSystemUser(scopes), Target::SystemUser(user)) => {
            if caller.token.business_id != Some(user.business_id) {
                return Err(refuse(Denial::NotVisible).into());
            }
            token_scope(caller, scopes)
                .map_err(refuse)
                .map_err(Into::into)
        }
        (Access::WabaAdmin(scopes), Target::Waba(waba)) => {
            waba_rule(req, caller, waba, scopes, None)?;
            let admin = caller
                .system_user(state)
                .await?
                .is_some_and(|u| u.role == BusinessRole::Admin);
            if admin {
                Ok(())
            } else {
                let verb = if req.method_name() == "delete" {
                    "remove users from"
                } else {
                    "add users to"
                };
                Err(GraphError::permission_denied(format!(
                    "Your app doesn't have permission to {verb} this WhatsApp Business Account"
                ))
                .with_details("Assigning users to a WhatsApp Business Account takes the access token of a system user with admin permissions.")
                .into())
            }
        }
        (Access::SameBusiness, Target::SystemUser(user)) => {
            if caller.token.business_id == Some(user.business_id) {
                Ok(())
            } else {
                Err(refuse(Denial::NotVisible).into())
            }
        }
        (Access::Business(scopes), Target::Business(business)) => {
            let is_client = match caller.token.business_id {
                Some(partner) => is_client_of(state, business.id, partner).await?,
                None => false,
            };
            let check = |s| principal.check_business(business.id, is_client, s);
            any_scope(scopes, check).map_err(refuse)?;
            for permission in extra_permissions(req, fields) {
                check(permission).map_err(refuse)?;
            }
            Ok(())
        }
        (Access::OwnBusiness(scopes), Target::Business(business)) => {
            any_scope(scopes, |s| principal.check_own_business(business.id, s))
                .map_err(refuse)
                .map_err(Into::into)
        }
        (Access::Waba(scopes), Target::Waba(waba)) => {
            waba_rule(req, caller, waba, scopes, None)?;
            for permission in extra_permissions(req, fields) {
                waba_rule(req, caller, waba, &[permission], None)?;
            }
            Ok(())
        }
        (Access::Waba(scopes), Target::Phone(_, waba) | Target::Template(_, waba)) => {
            waba_rule(req, caller, waba, scopes, Some(&id)).map_err(Into::into)
        }
        (Access::PartnerSystemUser(scope), Target::Business(client)) => {
            partner_system_user(state, req, caller, client, scope).await
        }
        (Access::AnyTokenOfApp, Target::App(app)) => {
            if caller.app.id == app.id {
                Ok(())
            } else {
                Err(GraphError::permission_denied(
                    "Your app doesn't have permission to access Multi-Partner Solutions for this application",
                )
                .into())
            }
        }
        (Access::SolutionParty, Target::Solution(s)) => {
            if s.role_of(caller.app.id).is_some() {
                Ok(())
            } else {
                Err(GraphError::permission_denied(
                    "Your app doesn't have permission to access this Multi-Partner Solution",
                )
                .into())
            }
        }
        (Access::MigrationParty, Target::MigrationIntent(m)) => {
            let business = caller.token.business_id;
            if business.is_some_and(|b| b == m.partner_business_id || b == m.client_business_id) {
                Ok(())
            } else {
                Err(GraphError::permission_denied(
                    "Your app doesn't have permission to access this migration intent",
                )
                .into())
            }
        }
        (Access::AdsRead, Target::Ad(ad) | Target::ReportRun(_, ad)) => principal
            .check_ad_account(&ad.waba, &ad.account)
            .map_err(|d| match d {
                Denial::MissingScope(_) | Denial::AssetNotGranted => ads_read_missing(),
                d => refuse(d),
            })
            .map_err(Into::into),
        (Access::LinkClient(scope), Target::Business(client)) => {
            link_client(state, req, caller, client, scope).await
        }
        (Access::Pixel(scopes), Target::Pixel(pixel)) => pixel_rule(state, caller, pixel, scopes)
            .await?
            .map_err(refuse)
            .map_err(Into::into),
        // A route table entry whose rule does not fit its node is a programming error; it is
        // refused rather than served unchecked.
        (rule, target) => {
            tracing::error!(
                ?rule,
                kind = target.label(),
                "route rule does not fit its node"
            );
            Err(refuse(Denial::NotVisible).into())
        }
    }
}

/// The refusal of an ad object to a token without `ads_read` on its account (Meta's
/// commonly reported wording; no subcode).
fn ads_read_missing() -> GraphError {
    GraphError::new(
        403,
        kind::OAUTH,
        code::PERMISSION,
        "(#200) Ad account owner has NOT grant ads_management or ads_read permission",
    )
}

/// Whether the token itself carries one of `scopes` (for rules on objects that are no asset:
/// an app, a system user).
fn token_scope(caller: &Caller, scopes: &[Permission]) -> Result<(), Denial> {
    any_scope(scopes, |s| {
        if caller.token.has_scope(s) {
            Ok(())
        } else {
            Err(Denial::MissingScope(s))
        }
    })
}

/// The permissions the fields a read selects need beyond the route's scopes (none without a
/// catalogue, or when the selection does not parse: the handler reports that).
fn extra_permissions(req: &GraphRequest, fields: Option<&'static NodeType>) -> Vec<Permission> {
    let Some(node) = fields else {
        return Vec::new();
    };
    let selection = req.params.fields().ok().flatten();
    node.extra_permissions(selection.as_ref()).collect()
}

/// Checks that the caller may use `waba` with one of `scopes`. For an object under the WABA
/// (`under` names it), a WABA the caller may not see is answered as that object unknown.
pub fn waba_rule(
    req: &GraphRequest,
    caller: &Caller,
    waba: &Waba,
    scopes: &[Permission],
    under: Option<&str>,
) -> Result<(), GraphError> {
    let principal = caller.principal();
    any_scope(scopes, |s| principal.check_waba(waba, s)).map_err(|d| match (d, under) {
        (Denial::NotVisible, Some(object)) => {
            GraphError::unsupported_request(req.method_name(), object)
        }
        (d, _) => deny(d, req, &waba.id.to_string(), "WhatsApp Business Account"),
    })
}

/// Whether the caller may use `pixel` with one of `scopes`: acting for its owner business,
/// the token needs the scope; otherwise it must reach a WABA of the owner business with it,
/// as a partner does (the refusal is the one for the WABA it came closest to reaching). A
/// caller that reaches none of them does not see the pixel.
async fn pixel_rule(
    state: &AppState,
    caller: &Caller,
    pixel: &wamm_domain::capi::Pixel,
    scopes: &[Permission],
) -> Result<Result<(), Denial>, StoreError> {
    if caller.token.business_id == Some(pixel.owner_business_id) {
        return Ok(token_scope(caller, scopes));
    }
    let principal = caller.principal();
    let mut nearest = Denial::NotVisible;
    for waba in state.store.wabas_owned_by(pixel.owner_business_id).await? {
        match any_scope(scopes, |s| principal.check_waba(&waba, s)) {
            Ok(()) => return Ok(Ok(())),
            Err(Denial::NotVisible) => {}
            Err(d) => {
                if nearest == Denial::NotVisible {
                    nearest = d;
                }
            }
        }
    }
    Ok(Err(nearest))
}

/// Whether `business` holds a WABA shared with `partner` or held on its behalf.
pub async fn is_client_of(
    state: &AppState,
    business: BusinessId,
    partner: BusinessId,
) -> Result<bool, StoreError> {
    Ok(state
        .store
        .wabas_owned_by(business)
        .await?
        .iter()
        .any(|w| w.partner(partner).is_some()))
}

async fn partner_system_user(
    state: &AppState,
    req: &GraphRequest,
    caller: &Caller,
    client: &Business,
    scope: Permission,
) -> ApiResult<()> {
    let hidden = || GraphError::unsupported_request(req.method_name(), &client.id.to_string());
    let Some(partner) = caller.token.business_id else {
        return Err(hidden().into());
    };
    // A business that holds nothing shared with (or held on its behalf by) the partner is not
    // its client: it is answered as an object the caller cannot see, so the call tells
    // nothing about whether it exists or has signed. Checked before anything else about the
    // caller, so no refusal tells more.
    if client.id != partner && !is_client_of(state, client.id, partner).await? {
        return Err(hidden().into());
    }
    if caller.token.kind != TokenKind::SystemUser {
        return Err(GraphError::new(
            403,
            kind::OAUTH,
            code::PERMISSION,
            "(#200) The Intent API must be called with a system user access token of the partner's business",
        )
        .into());
    }
    if !caller.token.has_scope(scope) {
        return Err(deny(
            Denial::MissingScope(scope),
            req,
            &client.id.to_string(),
            "business",
        )
        .into());
    }
    Ok(())
}

/// The WABAs of `client` a token of an app whose business is `partner` may link: every one
/// for the client's own app, otherwise those the client shared with (or let be held by) the
/// partner.
pub async fn linkable_wabas(
    state: &AppState,
    partner: BusinessId,
    client: BusinessId,
) -> Result<Vec<Waba>, StoreError> {
    Ok(state
        .store
        .wabas_owned_by(client)
        .await?
        .into_iter()
        .filter(|w| partner == client || w.partner(partner).is_some())
        .collect())
}

async fn link_client(
    state: &AppState,
    req: &GraphRequest,
    caller: &Caller,
    client: &Business,
    scope: Permission,
) -> ApiResult<()> {
    // The guide marks the proof as required here, whatever the app's own setting.
    if req.params.str("appsecret_proof").is_none() {
        return Err(GraphError::proof_required().into());
    }
    let id = client.id.to_string();
    let refuse = |d: Denial| deny(d, req, &id, "business");
    // The token acts either as the partner (its system user) or as the client (a business
    // token of the partner's app, or the client's own token). What it may link is decided by
    // the app's business: a token never reaches further than what the client shared with
    // the partner whose app it belongs to.
    let partner = caller.app.business_id;
    if !caller
        .token
        .business_id
        .is_some_and(|b| b == partner || b == client.id)
    {
        return Err(refuse(Denial::NotVisible).into());
    }
    if partner != client.id && linkable_wabas(state, partner, client.id).await?.is_empty() {
        return Err(refuse(Denial::NotVisible).into());
    }
    // Scopes are judged only once the business is known to be visible, so a narrow token
    // cannot probe which businesses exist.
    token_scope(caller, &[scope]).map_err(refuse)?;
    if client.id != partner && !caller.app.has_advanced(scope) {
        return Err(refuse(Denial::NeedsAdvancedAccess(scope)).into());
    }
    Ok(())
}
