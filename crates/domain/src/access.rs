//! Who may touch what: a token's reach over businesses and WABAs.
//!
//! Graph distinguishes three refusals, and so do we:
//! - the object is unrelated to the token's business: answered as if it did not exist
//!   (`100`/subcode `33`), so IDs cannot be probed;
//! - the object is related but the token lacks a scope, or its system user was not assigned
//!   the asset: `200` permissions error;
//! - the app reaches a client's asset with only standard access: `10`, because App Review
//!   (advanced access) is what lets an app act for other businesses.

use wamm_wire::ids::{BusinessId, WabaId};

use crate::model::{App, TokenRecord, Waba};
use crate::permission::Permission;

/// Why access was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Denial {
    /// Unrelated object: render as "does not exist".
    NotVisible,
    /// The token lacks this scope.
    MissingScope(Permission),
    /// The token's user was not assigned the asset.
    AssetNotGranted,
    /// The app needs advanced access to this permission for a client's asset.
    NeedsAdvancedAccess(Permission),
}

/// An authenticated caller: a live token and the app it belongs to.
#[derive(Debug, Clone, Copy)]
pub struct Principal<'a> {
    /// The token.
    pub token: &'a TokenRecord,
    /// The token's app.
    pub app: &'a App,
    /// For an employee system user's token, the WABAs its system user is assigned to: the
    /// token reaches no other (see [`crate::assignment`]). `None` for every other token.
    pub assigned: Option<&'a [WabaId]>,
}

impl Principal<'_> {
    fn require(&self, scope: Permission, own_asset: bool) -> Result<(), Denial> {
        if !self.token.has_scope(scope) {
            return Err(Denial::MissingScope(scope));
        }
        if !own_asset && !self.app.has_advanced(scope) {
            return Err(Denial::NeedsAdvancedAccess(scope));
        }
        Ok(())
    }

    /// Whether the token may use `scope` on `waba`.
    pub fn check_waba(&self, waba: &Waba, scope: Permission) -> Result<(), Denial> {
        // App tokens carry no business: they reach no WABA, and answer as for an unknown ID so
        // that an app token cannot tell which IDs exist.
        let Some(acting) = self.token.business_id else {
            return Err(Denial::NotVisible);
        };
        // The token's business must hold the WABA, and so must the business of the token's
        // app: a partner's business token acts as the client, but never reaches further than
        // what the client shared with that partner.
        let holds = |business: BusinessId| {
            waba.owner_business_id == business || waba.partner(business).is_some()
        };
        if !holds(acting) || !holds(self.app.business_id) {
            return Err(Denial::NotVisible);
        }
        if !self.assigned(waba.id) {
            return Err(Denial::AssetNotGranted);
        }
        let own = waba.graph_owner() == self.app.business_id
            || waba.owner_business_id == self.app.business_id;
        self.require(scope, own)
    }

    /// Whether the token may read `business` with `scope`. `is_client` says whether `business`
    /// is a client of the token's business (holds 1+ WABA shared with it or OBO).
    pub fn check_business(
        &self,
        business: BusinessId,
        is_client: bool,
        scope: Permission,
    ) -> Result<(), Denial> {
        let Some(acting) = self.token.business_id else {
            return Err(Denial::NotVisible);
        };
        if business != acting && !is_client {
            return Err(Denial::NotVisible);
        }
        self.require(scope, business == self.app.business_id)
    }

    /// Whether the token may act for its own business with `scope` (e.g. list its client WABAs).
    pub fn check_own_business(
        &self,
        business: BusinessId,
        scope: Permission,
    ) -> Result<(), Denial> {
        match self.token.business_id {
            Some(acting) if acting == business => self.require(scope, true),
            Some(_) | None => Err(Denial::NotVisible),
        }
    }

    /// Whether the token may read the ad account `account` linked to `waba` (and its
    /// campaigns, ad sets, ads and Insights) with `ads_read`.
    ///
    /// Meta creates the account under the client's portfolio and gives partners no access to
    /// it: only a token acting for the WABA's owner business sees it (the client's own tokens,
    /// or a partner app's business token for a WABA the client shared with that partner);
    /// anything else is answered as an unknown ID. A business token reaches the ad accounts
    /// its `ads_read` grant targets, which are the accounts linked when it was issued or last
    /// fetched: one issued before onboarding must be fetched again.
    pub fn check_ad_account(&self, waba: &Waba, account: &str) -> Result<(), Denial> {
        let Some(acting) = self.token.business_id else {
            return Err(Denial::NotVisible);
        };
        let app_holds = waba.owner_business_id == self.app.business_id
            || waba.partner(self.app.business_id).is_some();
        if acting != waba.owner_business_id || !app_holds {
            return Err(Denial::NotVisible);
        }
        let scope = Permission::AdsRead;
        let targeted = self.token.kind != crate::model::TokenKind::BusinessIntegration
            && self.token.target_ad_accounts.is_empty()
            || self.token.target_ad_accounts.iter().any(|a| a == account);
        if !targeted {
            return Err(Denial::MissingScope(scope));
        }
        self.require(scope, waba.owner_business_id == self.app.business_id)
    }

    /// Whether `waba` is within the token's assignment (for filtering lists): its target list,
    /// when it has one, names it, and so do its employee system user's assignments.
    pub fn assigned(&self, waba: WabaId) -> bool {
        let targeted =
            self.token.target_wabas.is_empty() || self.token.target_wabas.contains(&waba);
        targeted && self.assigned.is_none_or(|wabas| wabas.contains(&waba))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{
        AppPermission, PartnerAccess, PartnerType, TokenKind, WabaPartner, WabaStatus,
    };
    use crate::permission::AccessLevel;
    use crate::time::Timestamp;
    use wamm_wire::ids::{AppId, UserId};

    const PARTNER: BusinessId = BusinessId::new(10);
    const CLIENT: BusinessId = BusinessId::new(20);
    const STRANGER: BusinessId = BusinessId::new(30);

    fn app(level: AccessLevel) -> App {
        App {
            id: AppId::new(1),
            name: "a".into(),
            secret: "s".into(),
            business_id: PARTNER,
            partner_type: PartnerType::Bsp,
            require_app_secret: false,
            mm_enrolment: None,
            review_requests: Vec::new(),
            login_configs: Vec::new(),
            permissions: vec![AppPermission {
                permission: Permission::WhatsappBusinessManagement,
                access: level,
            }],
        }
    }

    fn token(scopes: Vec<Permission>, targets: Vec<WabaId>) -> TokenRecord {
        TokenRecord {
            hash: "h".into(),
            kind: TokenKind::SystemUser,
            app_id: AppId::new(1),
            business_id: Some(PARTNER),
            user_id: Some(UserId::new(5)),
            scopes,
            target_wabas: targets,
            target_ad_accounts: Vec::new(),
            issued_at: Timestamp(0),
            expires_at: None,
            revoked_at: None,
            hint: "abcd".into(),
        }
    }

    fn waba(id: u64, owner: BusinessId, partner: Option<BusinessId>) -> Waba {
        Waba {
            id: WabaId::new(id),
            name: "w".into(),
            owner_business_id: owner,
            tax_country: "BR".parse().expect("country"),
            status: WabaStatus::Active,
            currency: "BRL".into(),
            timezone_id: "1".into(),
            message_template_namespace: "ns".into(),
            payment_method: true,
            partners: partner
                .map(|b| WabaPartner {
                    business_id: b,
                    access: PartnerAccess::Shared,
                    migration_intent: None,
                })
                .into_iter()
                .collect(),
            solution_id: None,
            mm_setup_complete_at: None,
            message_activity_sharing: true,
            ad_account_id: None,
            disabled_ad_account_id: None,
            mm_setup_webhook_pending: false,
            mm_offboarded_at: None,
            insights_enabled_at: None,
            created_at: Timestamp(0),
        }
    }

    #[test]
    fn the_three_refusals() {
        let scope = Permission::WhatsappBusinessManagement;
        let advanced = app(AccessLevel::Advanced);
        let standard = app(AccessLevel::Standard);
        let tok = token(vec![scope], vec![]);
        let client_waba = waba(100, CLIENT, Some(PARTNER));
        let stranger_waba = waba(101, STRANGER, None);
        let own_waba = waba(102, PARTNER, None);

        let p = Principal {
            token: &tok,
            app: &advanced,
            assigned: None,
        };
        assert_eq!(p.check_waba(&client_waba, scope), Ok(()));
        assert_eq!(p.check_waba(&stranger_waba, scope), Err(Denial::NotVisible));

        let p = Principal {
            token: &tok,
            app: &standard,
            assigned: None,
        };
        assert_eq!(
            p.check_waba(&client_waba, scope),
            Err(Denial::NeedsAdvancedAccess(scope))
        );
        assert_eq!(p.check_waba(&own_waba, scope), Ok(()));

        let no_scope = token(vec![Permission::WhatsappBusinessMessaging], vec![]);
        let p = Principal {
            token: &no_scope,
            app: &advanced,
            assigned: None,
        };
        assert_eq!(
            p.check_waba(&client_waba, scope),
            Err(Denial::MissingScope(scope))
        );

        let narrow = token(vec![scope], vec![WabaId::new(999)]);
        let p = Principal {
            token: &narrow,
            app: &advanced,
            assigned: None,
        };
        assert_eq!(
            p.check_waba(&client_waba, scope),
            Err(Denial::AssetNotGranted)
        );
        assert!(!p.assigned(client_waba.id));
    }

    #[test]
    fn only_the_owners_tokens_read_its_ad_account() {
        let mut a = app(AccessLevel::Advanced);
        a.permissions.push(AppPermission {
            permission: Permission::AdsRead,
            access: AccessLevel::Advanced,
        });
        let mut linked = waba(100, CLIENT, Some(PARTNER));
        linked.ad_account_id = Some("77".into());
        let check = |tok: &TokenRecord, app: &App| {
            Principal {
                token: tok,
                app,
                assigned: None,
            }
            .check_ad_account(&linked, "77")
        };
        // The partner's own system user: the account is not theirs to see.
        let partner = token(vec![Permission::AdsRead], vec![]);
        assert_eq!(check(&partner, &a), Err(Denial::NotVisible));
        // The business token, fetched after onboarding: targeted at the account.
        let mut business = token(vec![Permission::AdsRead], vec![]);
        business.kind = TokenKind::BusinessIntegration;
        business.business_id = Some(CLIENT);
        business.target_ad_accounts = vec!["77".into()];
        assert_eq!(check(&business, &a), Ok(()));
        // Issued before onboarding: no target, so no reach until it is fetched again.
        business.target_ad_accounts.clear();
        assert_eq!(
            check(&business, &a),
            Err(Denial::MissingScope(Permission::AdsRead))
        );
        // Without ads_read at all.
        let mut narrow = business.clone();
        narrow.scopes = vec![Permission::WhatsappBusinessManagement];
        narrow.target_ad_accounts = vec!["77".into()];
        assert_eq!(
            check(&narrow, &a),
            Err(Denial::MissingScope(Permission::AdsRead))
        );
        // Standard access to ads_read cannot reach a client's account.
        business.target_ad_accounts = vec!["77".into()];
        assert_eq!(
            check(&business, &app(AccessLevel::Advanced)),
            Err(Denial::NeedsAdvancedAccess(Permission::AdsRead))
        );
        // A business token of another partner's app sees nothing.
        let mut other_app = a.clone();
        other_app.business_id = STRANGER;
        assert_eq!(check(&business, &other_app), Err(Denial::NotVisible));
    }

    #[test]
    fn business_reach() {
        let scope = Permission::BusinessManagement;
        let mut a = app(AccessLevel::Advanced);
        a.permissions.push(AppPermission {
            permission: scope,
            access: AccessLevel::Advanced,
        });
        let tok = token(vec![scope], vec![]);
        let p = Principal {
            token: &tok,
            app: &a,
            assigned: None,
        };
        assert_eq!(p.check_business(CLIENT, true, scope), Ok(()));
        assert_eq!(
            p.check_business(STRANGER, false, scope),
            Err(Denial::NotVisible)
        );
        assert_eq!(p.check_own_business(PARTNER, scope), Ok(()));
        assert_eq!(p.check_own_business(CLIENT, scope), Err(Denial::NotVisible));
    }

    #[test]
    fn a_business_token_reaches_only_what_was_shared_with_its_app_business() {
        const OTHER_PARTNER: BusinessId = BusinessId::new(40);
        let scope = Permission::WhatsappBusinessManagement;
        let advanced = app(AccessLevel::Advanced);
        // The partner's business token for CLIENT: it acts as the client, through the
        // partner's app.
        let mut business_token = token(vec![scope], vec![]);
        business_token.kind = TokenKind::BusinessIntegration;
        business_token.business_id = Some(CLIENT);
        let p = Principal {
            token: &business_token,
            app: &advanced,
            assigned: None,
        };
        assert_eq!(
            p.check_waba(&waba(100, CLIENT, Some(PARTNER)), scope),
            Ok(())
        );
        assert_eq!(
            p.check_waba(&waba(101, CLIENT, Some(OTHER_PARTNER)), scope),
            Err(Denial::NotVisible)
        );
        assert_eq!(
            p.check_waba(&waba(102, CLIENT, None), scope),
            Err(Denial::NotVisible)
        );
        // Even a token wrongly targeted at the other partner's WABA does not reach it.
        let mut widened = business_token.clone();
        widened.target_wabas = vec![WabaId::new(101)];
        let p = Principal {
            token: &widened,
            app: &advanced,
            assigned: None,
        };
        assert_eq!(
            p.check_waba(&waba(101, CLIENT, Some(OTHER_PARTNER)), scope),
            Err(Denial::NotVisible)
        );
    }

    #[test]
    fn an_employee_token_reaches_only_assigned_wabas() {
        let scope = Permission::WhatsappBusinessManagement;
        let advanced = app(AccessLevel::Advanced);
        let tok = token(vec![scope], vec![]);
        let a = waba(100, CLIENT, Some(PARTNER));
        let b = waba(103, CLIENT, Some(PARTNER));
        let assigned = [a.id];
        let p = Principal {
            token: &tok,
            app: &advanced,
            assigned: Some(&assigned),
        };
        assert_eq!(p.check_waba(&a, scope), Ok(()));
        assert_eq!(p.check_waba(&b, scope), Err(Denial::AssetNotGranted));
        assert!(p.assigned(a.id) && !p.assigned(b.id));
        // Assignment never widens a token's own target list.
        let targeted = token(vec![scope], vec![b.id]);
        let p = Principal {
            token: &targeted,
            app: &advanced,
            assigned: Some(&assigned),
        };
        assert_eq!(p.check_waba(&a, scope), Err(Denial::AssetNotGranted));
        assert_eq!(p.check_waba(&b, scope), Err(Denial::AssetNotGranted));
        // Nothing assigned: nothing reached, even an own WABA.
        let p = Principal {
            token: &tok,
            app: &advanced,
            assigned: Some(&[]),
        };
        assert_eq!(
            p.check_waba(&waba(102, PARTNER, None), scope),
            Err(Denial::AssetNotGranted)
        );
    }

    #[test]
    fn app_tokens_see_no_object_at_all() {
        let scope = Permission::WhatsappBusinessManagement;
        let advanced = app(AccessLevel::Advanced);
        let mut app_token = token(vec![scope], vec![]);
        app_token.kind = TokenKind::App;
        app_token.business_id = None;
        let p = Principal {
            token: &app_token,
            app: &advanced,
            assigned: None,
        };
        assert_eq!(
            p.check_waba(&waba(102, PARTNER, None), scope),
            Err(Denial::NotVisible)
        );
        assert_eq!(
            p.check_business(PARTNER, false, scope),
            Err(Denial::NotVisible)
        );
        assert_eq!(
            p.check_own_business(PARTNER, scope),
            Err(Denial::NotVisible)
        );
    }
}
