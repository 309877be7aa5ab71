//! MM API onboarding status, derived from state.
//!
//! Nothing about a WABA's `marketing_messages_onboarding_status` is stored as such: it follows
//! from the WABA's standing, how partners hold it, the country policy, the owner's signed
//! terms and whether Meta's internal setup has finished by `now`.

use serde::Serialize;

use crate::country::CountryPolicy;
use crate::model::{Business, Waba, WabaStatus};
use crate::time::Timestamp;

/// `marketing_messages_onboarding_status` of a WABA.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum WabaOnboardingStatus {
    /// The WABA uses the deprecated OBO model.
    IneligibleOnBehalfOfWaba,
    /// The WABA is inactive or restricted.
    IneligibleInactiveOrRestricted,
    /// The tax or owner country is not supported.
    IneligibleCountryNotSupported,
    /// The number is used with the WhatsApp Business app (kept for completeness; wamm onboards
    /// coexistence numbers, as Meta has since 2025-09-29).
    IneligibleUsingWhatsappBusinessApp,
    /// May onboard.
    Eligible,
    /// Terms signed; a valid payment method is needed.
    PendingValidPaymentMethod,
    /// Terms signed; Meta-side setup in progress.
    PendingInternalSetup,
    /// Ready to send through MM API.
    Onboarded,
}

impl WabaOnboardingStatus {
    /// The Graph enum text.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::IneligibleOnBehalfOfWaba => "INELIGIBLE_ON_BEHALF_OF_WABA",
            Self::IneligibleInactiveOrRestricted => "INELIGIBLE_INACTIVE_OR_RESTRICTED",
            Self::IneligibleCountryNotSupported => "INELIGIBLE_COUNTRY_NOT_SUPPORTED",
            Self::IneligibleUsingWhatsappBusinessApp => "INELIGIBLE_USING_WHATSAPP_BUSINESS_APP",
            Self::Eligible => "ELIGIBLE",
            Self::PendingValidPaymentMethod => "PENDING_VALID_PAYMENT_METHOD",
            Self::PendingInternalSetup => "PENDING_INTERNAL_SETUP",
            Self::Onboarded => "ONBOARDED",
        }
    }

    /// The deprecated `marketing_messages_lite_api_status` value.
    pub const fn legacy_status(self) -> &'static str {
        match self {
            Self::Onboarded => "ONBOARDED",
            Self::Eligible | Self::PendingValidPaymentMethod | Self::PendingInternalSetup => {
                "ELIGIBLE"
            }
            _ => "INELIGIBLE",
        }
    }
}

/// Derives a WABA's onboarding status. `owner` is the client business the WABA serves.
pub fn waba_status(
    waba: &Waba,
    owner: &Business,
    policy: &CountryPolicy,
    now: Timestamp,
) -> WabaOnboardingStatus {
    use WabaOnboardingStatus as S;
    if waba.status != WabaStatus::Active {
        return S::IneligibleInactiveOrRestricted;
    }
    if waba.obo_owner().is_some() {
        return S::IneligibleOnBehalfOfWaba;
    }
    // Disconnecting a coexistence number offboards the WABA until it is connected again.
    if waba.mm_offboarded_at.is_some() {
        return S::IneligibleUsingWhatsappBusinessApp;
    }
    if !policy.allows(waba.tax_country) || !policy.allows(owner.country) {
        return S::IneligibleCountryNotSupported;
    }
    if owner.mm_terms.is_none() {
        return S::Eligible;
    }
    if !waba.payment_method {
        return S::PendingValidPaymentMethod;
    }
    match waba.mm_setup_complete_at {
        Some(done) if done <= now => S::Onboarded,
        _ => S::PendingInternalSetup,
    }
}

/// Offboards `waba` from MM API at `now`, as disconnecting its coexistence number does: setup
/// is undone and the linked ad account is disabled and unlinked (conversion tracking stops).
/// Returns the ad account that was unlinked, if there was one.
pub fn offboard(waba: &mut Waba, now: Timestamp) -> Option<String> {
    waba.mm_offboarded_at = Some(now);
    waba.mm_setup_complete_at = None;
    waba.mm_setup_webhook_pending = false;
    let unlinked = waba.ad_account_id.take();
    if unlinked.is_some() {
        waba.disabled_ad_account_id.clone_from(&unlinked);
    }
    unlinked
}

/// The business-level status object's `status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum BusinessTermsStatus {
    /// No request, no signature.
    NotStarted,
    /// An Intent API request is pending.
    RequestSent,
    /// An admin signed the MM API terms.
    TermOfServiceSigned,
}

/// `marketing_messages_onboarding_status` of a business portfolio: `{status, time}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BusinessOnboardingStatus {
    /// The status.
    pub status: BusinessTermsStatus,
    /// `YYYY-MM-DD` of the signature or request, absent when not started.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time: Option<String>,
}

/// Derives a business's terms status; `pending_request_at` is when a pending Intent API
/// request was made, if one is pending.
pub fn business_status(
    business: &Business,
    pending_request_at: Option<Timestamp>,
) -> BusinessOnboardingStatus {
    match (business.mm_terms, pending_request_at) {
        (Some(signed), _) => BusinessOnboardingStatus {
            status: BusinessTermsStatus::TermOfServiceSigned,
            time: Some(signed.at.date()),
        },
        (None, Some(at)) => BusinessOnboardingStatus {
            status: BusinessTermsStatus::RequestSent,
            time: Some(at.date()),
        },
        (None, None) => BusinessOnboardingStatus {
            status: BusinessTermsStatus::NotStarted,
            time: None,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{PartnerAccess, TermsSigned, WabaPartner};
    use wamm_wire::ids::{BusinessId, WabaId};

    fn business(country: &str, signed: Option<i64>) -> Business {
        Business {
            id: BusinessId::new(1),
            name: "Client".into(),
            country: country.parse().expect("country"),
            verification_status: "verified".into(),
            people: Vec::new(),
            mm_terms: signed.map(|ms| TermsSigned {
                at: Timestamp(ms),
                by: None,
            }),
            created_at: Timestamp(0),
        }
    }

    fn waba(tax: &str) -> Waba {
        Waba {
            id: WabaId::new(2),
            name: "W".into(),
            owner_business_id: BusinessId::new(1),
            tax_country: tax.parse().expect("country"),
            status: WabaStatus::Active,
            currency: "USD".into(),
            timezone_id: "1".into(),
            message_template_namespace: "ns".into(),
            payment_method: true,
            partners: vec![WabaPartner {
                business_id: BusinessId::new(9),
                access: PartnerAccess::Shared,
                migration_intent: None,
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

    #[test]
    fn walks_the_state_machine() {
        use WabaOnboardingStatus as S;
        let policy = CountryPolicy::default();
        let now = Timestamp(10_000);
        let mut w = waba("BR");
        assert_eq!(
            waba_status(&w, &business("BR", None), &policy, now),
            S::Eligible
        );
        let signed = business("BR", Some(1_000));
        assert_eq!(
            waba_status(&w, &signed, &policy, now),
            S::PendingInternalSetup
        );
        w.mm_setup_complete_at = Some(Timestamp(20_000));
        assert_eq!(
            waba_status(&w, &signed, &policy, now),
            S::PendingInternalSetup
        );
        assert_eq!(
            waba_status(&w, &signed, &policy, Timestamp(20_000)),
            S::Onboarded
        );
        w.payment_method = false;
        assert_eq!(
            waba_status(&w, &signed, &policy, now),
            S::PendingValidPaymentMethod
        );
    }

    #[test]
    fn offboarding_undoes_setup_and_unlinks_the_ad_account() {
        use WabaOnboardingStatus as S;
        let policy = CountryPolicy::default();
        let signed = business("BR", Some(1_000));
        let mut w = waba("BR");
        w.mm_setup_complete_at = Some(Timestamp(2_000));
        w.ad_account_id = Some("act".into());
        assert_eq!(
            waba_status(&w, &signed, &policy, Timestamp(3_000)),
            S::Onboarded
        );
        assert_eq!(offboard(&mut w, Timestamp(4_000)).as_deref(), Some("act"));
        assert_eq!(w.ad_account_id, None);
        assert_eq!(
            waba_status(&w, &signed, &policy, Timestamp(5_000)),
            S::IneligibleUsingWhatsappBusinessApp
        );
        // Nothing left to unlink the second time.
        assert_eq!(offboard(&mut w, Timestamp(6_000)), None);
    }

    #[test]
    fn ineligibility_reasons_take_precedence() {
        use WabaOnboardingStatus as S;
        let policy = CountryPolicy::default();
        let now = Timestamp(0);
        assert_eq!(
            waba_status(&waba("IR"), &business("BR", None), &policy, now),
            S::IneligibleCountryNotSupported
        );
        assert_eq!(
            waba_status(&waba("BR"), &business("SY", None), &policy, now),
            S::IneligibleCountryNotSupported
        );
        let mut obo = waba("BR");
        obo.partners[0].access = PartnerAccess::Obo;
        assert_eq!(
            waba_status(&obo, &business("BR", None), &policy, now),
            S::IneligibleOnBehalfOfWaba
        );
        obo.status = WabaStatus::Restricted;
        assert_eq!(
            waba_status(&obo, &business("BR", None), &policy, now),
            S::IneligibleInactiveOrRestricted
        );
    }

    #[test]
    fn business_status_prefers_signature_over_request() {
        let b = business("BR", None);
        assert_eq!(
            business_status(&b, None).status,
            BusinessTermsStatus::NotStarted
        );
        let pending = business_status(&b, Timestamp::parse("2025-08-13"));
        assert_eq!(pending.status, BusinessTermsStatus::RequestSent);
        assert_eq!(pending.time.as_deref(), Some("2025-08-13"));
        let signed = business("BR", Timestamp::parse("2025-10-07").map(Timestamp::millis));
        assert_eq!(
            business_status(&signed, Timestamp::parse("2025-08-13"))
                .time
                .as_deref(),
            Some("2025-10-07")
        );
    }
}
