//! The Intent API's rules: who may ask an end business to onboard to MM API, and what the
//! call does to its OBO WABAs (the seed document's eligibility list and OBO table).

use wamm_wire::ids::{BusinessId, WabaId};

use crate::country::CountryPolicy;
use crate::model::{App, Business, PartnerAccess, PartnerType, Waba};
use crate::permission::Permission;

/// Why an end business is not eligible ("Invalid recipient type").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ineligible {
    /// It has accepted the MM API terms already.
    TermsAlreadyAccepted,
    /// The business is not in an allowlisted country.
    CountryNotAllowlisted,
    /// No country-eligible WABA is shared with (or held OBO by) the partner.
    NoEligibleWaba,
}

impl Ineligible {
    /// The reason, as the seed words it.
    pub const fn reason(self) -> &'static str {
        match self {
            Self::TermsAlreadyAccepted => {
                "The end business has already accepted the MM API for WhatsApp Terms of Service."
            }
            Self::CountryNotAllowlisted => "The end business is not in an allowlisted country.",
            Self::NoEligibleWaba => "There are no country eligible WABAs shared with the partner.",
        }
    }
}

/// Why the Intent API refuses a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IntentRefusal {
    /// The app lacks advanced access on `whatsapp_business_messaging` or `whatsapp_business_management`.
    AppLacksAdvancedAccess,
    /// The end business is not eligible.
    Ineligible(Ineligible),
    /// A request to this end business is already pending.
    Duplicate,
}

/// What a successful call does.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct IntentPlan {
    /// Eligible WABAs shared with the partner.
    pub shared: Vec<WabaId>,
    /// Eligible OBO WABAs the partner holds.
    pub obo: Vec<WabaId>,
    /// OBO WABAs that get a migration intent now (BSPs only; those without one).
    pub set_obo_intents: Vec<WabaId>,
}

/// Decides an Intent API call by `app` (owned by `partner`) for `client`, whose WABAs are
/// `client_wabas`; `pending` says whether a request to `client` is already pending.
pub fn plan(
    app: &App,
    partner: BusinessId,
    client: &Business,
    client_wabas: &[Waba],
    policy: &CountryPolicy,
    pending: bool,
) -> Result<IntentPlan, IntentRefusal> {
    use IntentRefusal as R;
    if !(app.has_advanced(Permission::WhatsappBusinessMessaging)
        && app.has_advanced(Permission::WhatsappBusinessManagement))
    {
        return Err(R::AppLacksAdvancedAccess);
    }
    if client.mm_terms.is_some() {
        return Err(R::Ineligible(Ineligible::TermsAlreadyAccepted));
    }
    let linked: Vec<&Waba> = client_wabas
        .iter()
        .filter(|w| w.partner(partner).is_some())
        .collect();
    if linked.is_empty() {
        return Err(R::Ineligible(Ineligible::NoEligibleWaba));
    }
    if !policy.allows(client.country) {
        return Err(R::Ineligible(Ineligible::CountryNotAllowlisted));
    }
    let eligible: Vec<&Waba> = linked
        .into_iter()
        .filter(|w| policy.allows(w.tax_country))
        .collect();
    let access = |w: &Waba| w.partner(partner).map(|p| p.access);
    let shared: Vec<WabaId> = eligible
        .iter()
        .filter(|w| access(w) == Some(PartnerAccess::Shared))
        .map(|w| w.id)
        .collect();
    let obo: Vec<&&Waba> = eligible
        .iter()
        .filter(|w| access(w) == Some(PartnerAccess::Obo))
        .collect();
    if shared.is_empty() && obo.is_empty() {
        return Err(R::Ineligible(Ineligible::NoEligibleWaba));
    }
    let without_intent: Vec<WabaId> = obo
        .iter()
        .filter(|w| {
            w.partner(partner)
                .is_some_and(|p| p.migration_intent.is_none())
        })
        .map(|w| w.id)
        .collect();
    let obo_with_intent = obo.len() - without_intent.len();
    // Only Solution Partners manage OBO WABAs; a tech provider's request cannot rest on intents
    // it may not set.
    let set_obo_intents = if app.partner_type == PartnerType::Bsp {
        without_intent
    } else {
        Vec::new()
    };
    if shared.is_empty() && obo_with_intent == 0 && set_obo_intents.is_empty() {
        return Err(R::Ineligible(Ineligible::NoEligibleWaba));
    }
    if pending {
        return Err(R::Duplicate);
    }
    Ok(IntentPlan {
        shared,
        obo: obo.iter().map(|w| w.id).collect(),
        set_obo_intents,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{AppPermission, MigrationIntent, TermsSigned, WabaPartner, WabaStatus};
    use crate::permission::AccessLevel;
    use crate::time::Timestamp;
    use wamm_wire::ids::AppId;

    const PARTNER: BusinessId = BusinessId::new(10);
    const CLIENT: BusinessId = BusinessId::new(20);

    fn app(kind: PartnerType, level: AccessLevel) -> App {
        App {
            id: AppId::new(1),
            name: "a".into(),
            secret: "s".into(),
            business_id: PARTNER,
            partner_type: kind,
            require_app_secret: false,
            mm_enrolment: None,
            review_requests: Vec::new(),
            login_configs: Vec::new(),
            permissions: [
                Permission::WhatsappBusinessMessaging,
                Permission::WhatsappBusinessManagement,
            ]
            .into_iter()
            .map(|permission| AppPermission {
                permission,
                access: level,
            })
            .collect(),
        }
    }

    fn client(country: &str, signed: bool) -> Business {
        Business {
            id: CLIENT,
            name: "c".into(),
            country: country.parse().expect("country"),
            verification_status: "verified".into(),
            people: Vec::new(),
            mm_terms: signed.then_some(TermsSigned {
                at: Timestamp(0),
                by: None,
            }),
            created_at: Timestamp(0),
        }
    }

    fn waba(id: u64, access: PartnerAccess, intent: bool, tax: &str) -> Waba {
        Waba {
            id: WabaId::new(id),
            name: "w".into(),
            owner_business_id: CLIENT,
            tax_country: tax.parse().expect("country"),
            status: WabaStatus::Active,
            currency: "USD".into(),
            timezone_id: "1".into(),
            message_template_namespace: "ns".into(),
            payment_method: true,
            partners: vec![WabaPartner {
                business_id: PARTNER,
                access,
                migration_intent: intent.then_some(MigrationIntent {
                    set_at: Timestamp(0),
                    solution_id: None,
                }),
            }],
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

    fn row(shared: usize, obo: usize, intent: bool) -> Vec<Waba> {
        let mut out: Vec<Waba> = (0..shared)
            .map(|i| waba(100 + i as u64, PartnerAccess::Shared, false, "BR"))
            .collect();
        out.extend((0..obo).map(|i| waba(200 + i as u64, PartnerAccess::Obo, intent, "BR")));
        out
    }

    fn run(wabas: &[Waba], kind: PartnerType) -> Result<IntentPlan, IntentRefusal> {
        plan(
            &app(kind, AccessLevel::Advanced),
            PARTNER,
            &client("BR", false),
            wabas,
            &CountryPolicy::default(),
            false,
        )
    }

    #[test]
    fn the_seed_obo_table() {
        // 1 shared, 4 OBO with intent: succeeds, no new intent.
        let p = run(&row(1, 4, true), PartnerType::Bsp).expect("row 1");
        assert!(p.set_obo_intents.is_empty());
        assert_eq!((p.shared.len(), p.obo.len()), (1, 4));
        // 0 shared, 5 OBO with intent: succeeds, no new intent.
        assert!(
            run(&row(0, 5, true), PartnerType::Bsp)
                .expect("row 2")
                .set_obo_intents
                .is_empty()
        );
        // 1 shared, 4 OBO without intent: succeeds, sets the intents.
        assert_eq!(
            run(&row(1, 4, false), PartnerType::Bsp)
                .expect("row 3")
                .set_obo_intents
                .len(),
            4
        );
        // 0 shared, 5 OBO without intent: succeeds, contingent on setting them.
        assert_eq!(
            run(&row(0, 5, false), PartnerType::Bsp)
                .expect("row 4")
                .set_obo_intents
                .len(),
            5
        );
        // 0 shared, 0 OBO: fails, nothing set.
        assert_eq!(
            run(&row(0, 0, false), PartnerType::Bsp),
            Err(IntentRefusal::Ineligible(Ineligible::NoEligibleWaba))
        );
    }

    #[test]
    fn tech_providers_set_no_intents() {
        assert!(
            run(&row(1, 4, false), PartnerType::TechProvider)
                .expect("shared carries it")
                .set_obo_intents
                .is_empty()
        );
        assert_eq!(
            run(&row(0, 5, false), PartnerType::TechProvider),
            Err(IntentRefusal::Ineligible(Ineligible::NoEligibleWaba))
        );
    }

    #[test]
    fn refusals() {
        let policy = CountryPolicy::default();
        let standard = app(PartnerType::Bsp, AccessLevel::Standard);
        assert_eq!(
            plan(
                &standard,
                PARTNER,
                &client("BR", false),
                &row(1, 0, false),
                &policy,
                false
            ),
            Err(IntentRefusal::AppLacksAdvancedAccess)
        );
        let advanced = app(PartnerType::Bsp, AccessLevel::Advanced);
        assert_eq!(
            plan(
                &advanced,
                PARTNER,
                &client("BR", true),
                &row(1, 0, false),
                &policy,
                false
            ),
            Err(IntentRefusal::Ineligible(Ineligible::TermsAlreadyAccepted))
        );
        assert_eq!(
            plan(
                &advanced,
                PARTNER,
                &client("IR", false),
                &row(1, 0, false),
                &policy,
                false
            ),
            Err(IntentRefusal::Ineligible(Ineligible::CountryNotAllowlisted))
        );
        let iranian_waba = vec![waba(1, PartnerAccess::Shared, false, "IR")];
        assert_eq!(
            plan(
                &advanced,
                PARTNER,
                &client("BR", false),
                &iranian_waba,
                &policy,
                false
            ),
            Err(IntentRefusal::Ineligible(Ineligible::NoEligibleWaba))
        );
        assert_eq!(
            plan(
                &advanced,
                PARTNER,
                &client("BR", false),
                &row(1, 0, false),
                &policy,
                true
            ),
            Err(IntentRefusal::Duplicate)
        );
    }
}
