//! The route table: every Graph path the platform serves, declared once.
//!
//! A route is a path as README's Endpoints table writes it, a method, the access rule the
//! caller must pass ([`Access`]) and the handler. [`super::dispatch`] resolves the object a
//! path names, finds its route here, judges the rule, and only then calls the handler, which
//! parses, calls the use case and renders. A test compares this table with README's.

use std::future::Future;
use std::pin::Pin;

use axum::http::Method;
use wamm_domain::capi::Pixel;
use wamm_domain::sending::Endpoint;
use wamm_domain::solution::{Solution, SolutionMigration};
use wamm_domain::{App, Business, Permission, PhoneNumber, SystemUser, Template, Waba};

use super::access::Access;
use super::auth::Caller;
use super::catalogue::{self, NodeType};
use super::objects::{AdNode, NodeKind, ReportRun};
use super::reply::ApiResult;
use super::request::GraphRequest;
use super::{
    ads, analytics, assigned, business, business_tokens, clients, insights, intent, messages,
    numbers, phone, pixels, solutions, subscriptions, template, tokens, waba,
};
use crate::state::AppState;

/// What every handler is given: the platform, the parsed request, and the caller whose access
/// rule has already been judged.
#[derive(Clone, Copy)]
pub struct Ctx<'a> {
    /// The platform.
    pub state: &'a AppState,
    /// The request.
    pub req: &'a GraphRequest,
    /// The authenticated caller.
    pub caller: &'a Caller,
}

/// A handler's future.
pub type Fut<'a> = Pin<Box<dyn Future<Output = ApiResult> + Send + 'a>>;

/// A handler, typed by the node it acts on.
#[derive(Clone, Copy)]
pub enum Handler {
    /// A path that authenticates itself (no access token).
    Public(for<'a> fn(&'a AppState, &'a GraphRequest) -> Fut<'a>),
    /// A path on no object (`/me`, `/debug_token`).
    Root(for<'a> fn(Ctx<'a>) -> Fut<'a>),
    /// A business.
    Business(for<'a> fn(Ctx<'a>, &'a Business) -> Fut<'a>),
    /// A WABA.
    Waba(for<'a> fn(Ctx<'a>, &'a Waba) -> Fut<'a>),
    /// A phone number, with its WABA.
    Phone(for<'a> fn(Ctx<'a>, &'a PhoneNumber, &'a Waba) -> Fut<'a>),
    /// A template, with its WABA.
    Template(for<'a> fn(Ctx<'a>, &'a Template, &'a Waba) -> Fut<'a>),
    /// A system user.
    SystemUser(for<'a> fn(Ctx<'a>, &'a SystemUser) -> Fut<'a>),
    /// An app.
    App(for<'a> fn(Ctx<'a>, &'a App) -> Fut<'a>),
    /// A Multi-Partner Solution.
    Solution(for<'a> fn(Ctx<'a>, &'a Solution) -> Fut<'a>),
    /// A migration intent.
    MigrationIntent(for<'a> fn(Ctx<'a>, &'a SolutionMigration) -> Fut<'a>),
    /// An ad account (`act_<id>`).
    AdAccount(for<'a> fn(Ctx<'a>, &'a AdNode) -> Fut<'a>),
    /// A campaign.
    Campaign(for<'a> fn(Ctx<'a>, &'a AdNode) -> Fut<'a>),
    /// An ad set.
    Adset(for<'a> fn(Ctx<'a>, &'a AdNode) -> Fut<'a>),
    /// An ad.
    Ad(for<'a> fn(Ctx<'a>, &'a AdNode) -> Fut<'a>),
    /// An Insights report run, with the ad object it reports on.
    ReportRun(for<'a> fn(Ctx<'a>, &'a ReportRun, &'a AdNode) -> Fut<'a>),
    /// A pixel (dataset).
    Pixel(for<'a> fn(Ctx<'a>, &'a Pixel) -> Fut<'a>),
}

impl Handler {
    /// The node the handler acts on; `None` for paths on no object.
    pub fn node(self) -> Option<NodeKind> {
        match self {
            Self::Public(_) | Self::Root(_) => None,
            Self::Business(_) => Some(NodeKind::Business),
            Self::Waba(_) => Some(NodeKind::Waba),
            Self::Phone(_) => Some(NodeKind::Phone),
            Self::Template(_) => Some(NodeKind::Template),
            Self::SystemUser(_) => Some(NodeKind::SystemUser),
            Self::App(_) => Some(NodeKind::App),
            Self::Solution(_) => Some(NodeKind::Solution),
            Self::MigrationIntent(_) => Some(NodeKind::MigrationIntent),
            Self::AdAccount(_) => Some(NodeKind::AdAccount),
            Self::Campaign(_) => Some(NodeKind::Campaign),
            Self::Adset(_) => Some(NodeKind::Adset),
            Self::Ad(_) => Some(NodeKind::Ad),
            Self::ReportRun(_) => Some(NodeKind::ReportRun),
            Self::Pixel(_) => Some(NodeKind::Pixel),
        }
    }
}

/// One served path and method.
#[derive(Clone)]
pub struct Route {
    /// The method.
    pub method: Method,
    /// The path as README's Endpoints table writes it: `/{waba-id}/phone_numbers`, `/me`.
    pub path: &'static str,
    /// Who may call it.
    pub access: Access,
    /// For a node read: the catalogue whose selected fields may need more permissions.
    pub fields: Option<&'static NodeType>,
    /// What serves it.
    pub handler: Handler,
}

impl Route {
    /// The edge the path names after its object (`phone_numbers`), or for a path on no object
    /// its whole path after the slash (`me`, `oauth/access_token`).
    pub fn edge(&self) -> Option<&'static str> {
        let rest = self.path.strip_prefix('/').unwrap_or(self.path);
        if self.handler.node().is_none() {
            return Some(rest);
        }
        rest.split_once('/').map(|(_, edge)| edge)
    }

    /// Whether the route serves `edge` of a `node` (or, on no object, the path `edge`).
    pub fn serves(&self, node: Option<NodeKind>, edge: Option<&str>) -> bool {
        self.handler.node() == node && self.edge() == edge
    }
}

const MANAGE: &[Permission] = &[Permission::WhatsappBusinessManagement];
const MESSAGE: &[Permission] = &[Permission::WhatsappBusinessMessaging];
const WABA_READ: &[Permission] = &[
    Permission::WhatsappBusinessManagement,
    Permission::WhatsappBusinessMessaging,
];
const EVENTS: &[Permission] = &[Permission::WhatsappBusinessManageEvents];
/// Reading a pixel or a WABA's datasets: managing the WABA, or logging its events.
const DATASET: &[Permission] = &[
    Permission::WhatsappBusinessManagement,
    Permission::WhatsappBusinessManageEvents,
];
const BUSINESS_READ: &[Permission] = &[
    Permission::BusinessManagement,
    Permission::WhatsappBusinessManagement,
];

/// Declares a route: `route!(METHOD "path", rule, [fields,] Kind |ctx, args..| body)`.
macro_rules! route {
    ($method:ident $path:literal, $access:expr, $kind:ident |$($arg:pat_param),*| $body:expr) => {
        route!($method $path, $access, None, $kind |$($arg),*| $body)
    };
    ($method:ident $path:literal, $access:expr, $fields:expr, $kind:ident |$($arg:pat_param),*| $body:expr) => {
        Route {
            method: Method::$method,
            path: $path,
            access: $access,
            fields: $fields,
            handler: Handler::$kind(|$($arg),*| Box::pin($body)),
        }
    };
}

/// Every Graph route the platform serves.
pub fn table() -> &'static [Route] {
    static TABLE: std::sync::LazyLock<Vec<Route>> = std::sync::LazyLock::new(build);
    &TABLE
}

/// Every served `(method, path)`, paths as README's Endpoints table writes them.
pub fn served() -> Vec<(String, &'static str)> {
    table()
        .iter()
        .map(|r| (r.method.to_string(), r.path))
        .collect()
}

fn build() -> Vec<Route> {
    use Access::{
        AdsRead, AnyTokenOfApp, Business as Biz, ClientCredentials, LinkClient, MigrationParty,
        OwnApp, OwnAppToken, OwnBusiness, OwnSystemUser, PartnerSystemUser, Pixel as OnPixel,
        SameBusiness, SolutionParty, Token, Waba as OnWaba, WabaAdmin,
    };
    vec![
        // Tokens and the caller.
        route!(GET "/oauth/access_token", ClientCredentials, Public |s, r| tokens::oauth_access_token(s, r)),
        route!(POST "/oauth/access_token", ClientCredentials, Public |s, r| tokens::oauth_access_token(s, r)),
        route!(GET "/me", Token, Root |c| tokens::me(c)),
        route!(GET "/debug_token", Token, Root |c| tokens::debug_token(c)),
        route!(GET "/{system-user-id}", SameBusiness, SystemUser |c, u| tokens::system_user(c, u)),
        route!(GET "/{app-id}", Token, App |c, a| tokens::app(c, a)),
        // Businesses.
        route!(GET "/{business-id}", Biz(BUSINESS_READ), Some(&catalogue::BUSINESS), Business |c, b| business::get(c, b)),
        route!(GET "/{business-id}/client_whatsapp_business_accounts", OwnBusiness(BUSINESS_READ), Business |c, b| business::client_wabas(c, b)),
        route!(GET "/{business-id}/owned_whatsapp_business_accounts", OwnBusiness(BUSINESS_READ), Business |c, b| business::owned_wabas(c, b)),
        route!(POST "/{end-business-id}/onboard_partners_to_mm_lite", PartnerSystemUser(Permission::WhatsappBusinessManagement), Business |c, b| intent::onboard(c, b)),
        route!(POST "/{client-business-id}/system_user_access_tokens", LinkClient(Permission::BusinessManagement), Business |c, b| business_tokens::create(c, b)),
        route!(GET "/{business-id}/extendedcredits", OwnBusiness(BUSINESS_READ), Business |c, b| clients::extended_credits(c, b)),
        // System users on WABAs.
        route!(GET "/{waba-id}/assigned_users", OnWaba(BUSINESS_READ), Waba |c, w| assigned::list(c, w)),
        route!(POST "/{waba-id}/assigned_users", WabaAdmin(BUSINESS_READ), Waba |c, w| assigned::add(c, w)),
        route!(DELETE "/{waba-id}/assigned_users", WabaAdmin(BUSINESS_READ), Waba |c, w| assigned::remove(c, w)),
        route!(GET "/{system-user-id}/assigned_whatsapp_business_accounts", OwnSystemUser(BUSINESS_READ), SystemUser |c, u| assigned::assigned_wabas(c, u)),
        // WhatsApp Business Accounts.
        route!(GET "/{waba-id}", OnWaba(WABA_READ), Some(&catalogue::WABA), Waba |c, w| waba::get(c, w)),
        route!(POST "/{waba-id}", OnWaba(MANAGE), Waba |c, w| waba::update(c, w)),
        route!(GET "/{waba-id}/phone_numbers", OnWaba(WABA_READ), Waba |c, w| phone::list(c, w)),
        route!(GET "/{waba-id}/template_analytics", OnWaba(MANAGE), Waba |c, w| analytics::template_analytics(c, w)),
        route!(GET "/{waba-id}/template_group_analytics", OnWaba(MANAGE), Waba |c, w| analytics::template_group_analytics(c, w)),
        route!(GET "/{waba-id}/template_groups", OnWaba(MANAGE), Waba |c, w| analytics::template_groups(c, w)),
        route!(POST "/{waba-id}/template_groups", OnWaba(MANAGE), Waba |c, w| analytics::create_template_group(c, w)),
        route!(GET "/{waba-id}/message_templates", OnWaba(MANAGE), Waba |c, w| template::list(c, w)),
        route!(POST "/{waba-id}/message_templates", OnWaba(MANAGE), Waba |c, w| template::create(c, w)),
        route!(DELETE "/{waba-id}/message_templates", OnWaba(MANAGE), Waba |c, w| template::delete_by_name(c, w)),
        route!(GET "/{waba-id}/subscribed_apps", OnWaba(MANAGE), Waba |c, w| waba::subscribed_apps(c, w)),
        route!(POST "/{waba-id}/subscribed_apps", OnWaba(MANAGE), Waba |c, w| waba::subscribe(c, w)),
        route!(DELETE "/{waba-id}/subscribed_apps", OnWaba(MANAGE), Waba |c, w| waba::unsubscribe(c, w)),
        // Phone numbers.
        route!(GET "/{phone-number-id}", OnWaba(WABA_READ), Some(&catalogue::PHONE), Phone |c, p, w| phone::get(c, p, w)),
        route!(POST "/{phone-number-id}/marketing_messages", OnWaba(MESSAGE), Phone |c, p, w| messages::send(c, p, w, Endpoint::MarketingMessages)),
        route!(POST "/{phone-number-id}/messages", OnWaba(MESSAGE), Phone |c, p, w| messages::send(c, p, w, Endpoint::Messages)),
        route!(POST "/{phone-number-id}/register", OnWaba(MANAGE), Phone |c, p, w| phone::register(c, p, w)),
        route!(POST "/{phone-number-id}/deregister", OnWaba(MANAGE), Phone |c, p, w| phone::deregister(c, p, w)),
        route!(POST "/{phone-number-id}/request_code", OnWaba(MANAGE), Phone |c, p, w| numbers::request_code(c, p, w)),
        route!(POST "/{phone-number-id}/verify_code", OnWaba(MANAGE), Phone |c, p, w| numbers::verify_code(c, p, w)),
        route!(GET "/{phone-number-id}/whatsapp_business_profile", OnWaba(MANAGE), Phone |c, p, w| numbers::get_profile(c, p, w)),
        route!(POST "/{phone-number-id}/whatsapp_business_profile", OnWaba(MANAGE), Phone |c, p, w| numbers::update_profile(c, p, w)),
        route!(GET "/{phone-number-id}/settings", OnWaba(MANAGE), Phone |c, p, w| numbers::get_settings(c, p, w)),
        route!(POST "/{phone-number-id}/settings", OnWaba(MANAGE), Phone |c, p, w| numbers::update_settings(c, p, w)),
        // Templates.
        route!(GET "/{template-id}", OnWaba(MANAGE), Some(&catalogue::TEMPLATE), Template |c, t, w| template::get(c, t, w)),
        route!(POST "/{template-id}", OnWaba(MANAGE), Template |c, t, w| template::edit(c, t, w)),
        // Apps.
        route!(GET "/{app-id}/connected_client_businesses", OwnApp(BUSINESS_READ), App |c, a| clients::connected(c, a)),
        route!(GET "/{app-id}/subscriptions", OwnAppToken, App |c, a| subscriptions::list(c, a)),
        route!(POST "/{app-id}/subscriptions", OwnAppToken, App |c, a| subscriptions::create(c, a)),
        route!(DELETE "/{app-id}/subscriptions", OwnAppToken, App |c, a| subscriptions::delete(c, a)),
        // Multi-Partner Solutions.
        route!(POST "/{app-id}/whatsapp_business_solution", AnyTokenOfApp, App |c, a| solutions::create(c, a)),
        route!(GET "/{app-id}/whatsapp_business_solutions", AnyTokenOfApp, App |c, a| solutions::list_of_app(c, a)),
        route!(GET "/{solution-id}", SolutionParty, Some(&catalogue::SOLUTION), Solution |c, s| solutions::get(c, s)),
        route!(POST "/{solution-id}/accept", SolutionParty, Solution |c, s| solutions::accept(c, s)),
        route!(POST "/{solution-id}/reject", SolutionParty, Solution |c, s| solutions::reject(c, s)),
        route!(POST "/{solution-id}/send_deactivation_request", SolutionParty, Solution |c, s| solutions::send_deactivation_request(c, s)),
        route!(POST "/{solution-id}/accept_deactivation_request", SolutionParty, Solution |c, s| solutions::accept_deactivation_request(c, s)),
        route!(POST "/{solution-id}/reject_deactivation_request", SolutionParty, Solution |c, s| solutions::reject_deactivation_request(c, s)),
        route!(GET "/{waba-id}/solutions", OnWaba(WABA_READ), Waba |c, w| solutions::of_waba(c, w)),
        route!(POST "/{waba-id}/set_solution_migration_intent", OnWaba(MANAGE), Waba |c, w| solutions::set_migration_intent(c, w)),
        route!(GET "/{waba-id}/in_progress_onbehalf_request", OnWaba(MANAGE), Waba |c, w| solutions::in_progress_onbehalf_request(c, w)),
        route!(GET "/{migration-intent-id}", MigrationParty, Some(&catalogue::MIGRATION_INTENT), MigrationIntent |c, m| solutions::get_migration_intent(c, m)),
        // The MM API's ad objects and their Insights.
        route!(GET "/{ad-account-id}", AdsRead, AdAccount |c, a| ads::get(c, a)),
        route!(GET "/{ad-account-id}/insights", AdsRead, AdAccount |c, a| insights::get(c, a)),
        route!(POST "/{ad-account-id}/insights", AdsRead, AdAccount |c, a| insights::start(c, a)),
        route!(GET "/{campaign-id}", AdsRead, Campaign |c, a| ads::get(c, a)),
        route!(GET "/{campaign-id}/insights", AdsRead, Campaign |c, a| insights::get(c, a)),
        route!(POST "/{campaign-id}/insights", AdsRead, Campaign |c, a| insights::start(c, a)),
        route!(GET "/{adset-id}", AdsRead, Adset |c, a| ads::get(c, a)),
        route!(GET "/{adset-id}/insights", AdsRead, Adset |c, a| insights::get(c, a)),
        route!(POST "/{adset-id}/insights", AdsRead, Adset |c, a| insights::start(c, a)),
        route!(GET "/{ad-id}", AdsRead, Ad |c, a| ads::get(c, a)),
        route!(GET "/{ad-id}/insights", AdsRead, Ad |c, a| insights::get(c, a)),
        route!(POST "/{ad-id}/insights", AdsRead, Ad |c, a| insights::start(c, a)),
        route!(GET "/{report-run-id}", AdsRead, ReportRun |c, r, a| insights::get_run(c, r, a)),
        route!(GET "/{report-run-id}/insights", AdsRead, ReportRun |c, r, a| insights::run_rows(c, r, a)),
        // Conversions API: datasets (pixels) and their events.
        route!(GET "/{waba-id}/dataset", OnWaba(DATASET), Waba |c, w| pixels::datasets(c, w)),
        route!(POST "/{waba-id}/dataset", OnWaba(DATASET), Waba |c, w| pixels::create_dataset(c, w)),
        route!(GET "/{pixel-id}", OnPixel(DATASET), Some(&catalogue::ADS_PIXEL), Pixel |c, p| pixels::get(c, p)),
        route!(POST "/{pixel-id}/events", OnPixel(EVENTS), Pixel |c, p| pixels::events(c, p)),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_two_routes_serve_the_same_path_and_method() {
        let mut seen = std::collections::BTreeSet::new();
        for r in table() {
            let key = (
                r.method.to_string(),
                r.handler.node().map(NodeKind::label),
                r.edge(),
            );
            assert!(
                seen.insert(key),
                "{} {} is declared twice",
                r.method,
                r.path
            );
        }
    }

    #[test]
    fn paths_name_their_node() {
        for r in table() {
            let first = r
                .path
                .trim_start_matches('/')
                .split('/')
                .next()
                .unwrap_or_default();
            let placeholder = first.starts_with('{') && first.ends_with("-id}");
            assert_eq!(
                placeholder,
                r.handler.node().is_some(),
                "{} {}: an object path starts with its ID placeholder",
                r.method,
                r.path
            );
        }
    }
}
