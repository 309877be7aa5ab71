//! Where a client WABA stands in the MM API funnel, as a pure rule over what the partner knows
//! of it.
//!
//! The partner learns facts from three places: Graph reads (the WABA's
//! `marketing_messages_onboarding_status`, its owner's portfolio-level status), its own calls
//! (the Intent API's `request_id`, the business token it fetched and checked, the messages it
//! sent) and webhooks (`MM_LITE_TERMS_SIGNED`). [`stage`] turns them into one [`Stage`] with a
//! reason a person can read. Meta sends nothing when an admin rejects a request, so a rejection
//! is inferred: the portfolio left `REQUEST_SENT` without signing.

use serde::{Deserialize, Serialize};

/// A WABA's `marketing_messages_onboarding_status` and a portfolio's terms status, as the
/// client decodes them (a value Meta adds later is kept as `Other`).
pub use wamm_client::{OnboardingStatus as WabaStatus, TermsStatus as BusinessStatus};

/// Why a WABA in `status` cannot onboard, when its status says it cannot.
pub const fn ineligibility(status: &WabaStatus) -> Option<&'static str> {
    match status {
        WabaStatus::IneligibleOnBehalfOfWaba => Some(
            "owned on behalf of the client (OBO): transfer it to the client, or request \
             onboarding so Meta sets a migration intent",
        ),
        WabaStatus::IneligibleInactiveOrRestricted => {
            Some("inactive or restricted by policy enforcement")
        }
        WabaStatus::IneligibleCountryNotSupported => Some("its country is not supported"),
        WabaStatus::IneligibleUsingWhatsappBusinessApp => {
            Some("its number is in use with the WhatsApp Business app")
        }
        WabaStatus::Eligible
        | WabaStatus::Onboarded
        | WabaStatus::PendingInternalSetup
        | WabaStatus::PendingValidPaymentMethod
        | WabaStatus::Other(_) => None,
    }
}

/// The partner's Intent API request for a client, as it remembers it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Request {
    /// The `request_id` Graph answered; `None` when Graph said the client was already
    /// invited (1752041) without naming the request.
    pub request_id: Option<String>,
    /// When it was made (Unix seconds).
    pub at: i64,
}

/// Everything the partner knows of one client WABA.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Facts {
    /// The WABA's status at the last sync, if synced.
    pub waba_status: Option<WabaStatus>,
    /// Its owner portfolio's status at the last sync, if known.
    pub business_status: Option<BusinessStatus>,
    /// The partner's onboarding request for the owner, if it made one.
    pub request: Option<Request>,
    /// When `MM_LITE_TERMS_SIGNED` arrived for this WABA (Unix seconds).
    pub terms_signed_at: Option<i64>,
    /// The business token was fetched and `debug_token` confirmed it covers this WABA.
    pub token_ok: bool,
    /// The WABA has a number registered on Cloud API to send from.
    pub can_send: bool,
    /// When the partner's first message from this WABA was accepted (Unix seconds).
    pub first_sent_at: Option<i64>,
}

/// A stage of the funnel, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// Not synced from Graph yet.
    Unknown,
    /// Cannot onboard as things stand.
    Ineligible,
    /// Can be asked to onboard.
    Eligible,
    /// The admins declined the request (inferred: the portfolio left `REQUEST_SENT` unsigned).
    Rejected,
    /// Asked, no answer within the configured time.
    Unanswered,
    /// Asked, waiting for an admin.
    IntentRequested,
    /// Terms signed; Meta's setup or the partner's token fetch still to come.
    TermsSigned,
    /// The business token is fetched and checked.
    TokenFetched,
    /// Onboarded, token in hand, a number to send from.
    ReadyToSend,
    /// A first message went out.
    FirstMessageSent,
}

impl Stage {
    /// Every stage, in funnel order.
    pub const ALL: [Self; 10] = [
        Self::Unknown,
        Self::Ineligible,
        Self::Eligible,
        Self::Rejected,
        Self::Unanswered,
        Self::IntentRequested,
        Self::TermsSigned,
        Self::TokenFetched,
        Self::ReadyToSend,
        Self::FirstMessageSent,
    ];

    /// The snake-case name (as in JSON and on the dashboard).
    pub const fn name(self) -> &'static str {
        match self {
            Self::Unknown => "unknown",
            Self::Ineligible => "ineligible",
            Self::Eligible => "eligible",
            Self::Rejected => "rejected",
            Self::Unanswered => "unanswered",
            Self::IntentRequested => "intent_requested",
            Self::TermsSigned => "terms_signed",
            Self::TokenFetched => "token_fetched",
            Self::ReadyToSend => "ready_to_send",
            Self::FirstMessageSent => "first_message_sent",
        }
    }
}

/// A stage and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Standing {
    /// Where the WABA stands.
    pub stage: Stage,
    /// Why, in words.
    pub reason: String,
}

impl Standing {
    fn new(stage: Stage, reason: impl Into<String>) -> Self {
        Self {
            stage,
            reason: reason.into(),
        }
    }
}

/// Whether the client signed the terms for a WABA: the webhook said so, the WABA is in or past
/// Meta's setup, or the portfolio signed and the WABA only waits for a payment method (Meta
/// sends that WABA's `MM_LITE_TERMS_SIGNED` once setup can start).
pub fn signed(
    terms_signed_at: Option<i64>,
    waba_status: Option<&WabaStatus>,
    business_status: Option<&BusinessStatus>,
) -> bool {
    terms_signed_at.is_some()
        || matches!(
            waba_status,
            Some(WabaStatus::Onboarded | WabaStatus::PendingInternalSetup)
        )
        || (waba_status == Some(&WabaStatus::PendingValidPaymentMethod)
            && business_status == Some(&BusinessStatus::TermOfServiceSigned))
}

/// Where a WABA with `facts` stands at `now` (Unix seconds), a request counting as unanswered
/// once `unanswered_after` seconds have passed without a decision.
pub fn stage(facts: &Facts, now: i64, unanswered_after: i64) -> Standing {
    let signed = signed(
        facts.terms_signed_at,
        facts.waba_status.as_ref(),
        facts.business_status.as_ref(),
    );
    if signed {
        return signed_standing(facts);
    }
    let Some(status) = &facts.waba_status else {
        return Standing::new(Stage::Unknown, "not synced from Graph yet");
    };
    // The client signed, but an OBO WABA stays out of MM API until it moves to the client
    // (the request set its migration intent): the request is answered, not pending.
    if *status == WabaStatus::IneligibleOnBehalfOfWaba
        && facts.business_status == Some(BusinessStatus::TermOfServiceSigned)
    {
        return Standing::new(
            Stage::Ineligible,
            "the client signed; this WABA is held on its behalf (OBO) and joins MM API once \
             it is migrated to the client",
        );
    }
    // A request covers the portfolio's eligible WABAs and, through migration intents, its OBO
    // ones; any other ineligible WABA stays out of it.
    let asked_for =
        *status == WabaStatus::IneligibleOnBehalfOfWaba || ineligibility(status).is_none();
    if let Some(request) = facts.request.as_ref().filter(|_| asked_for) {
        return requested_standing(facts, request, now, unanswered_after);
    }
    if let Some(why) = ineligibility(status) {
        return Standing::new(Stage::Ineligible, why);
    }
    match status {
        WabaStatus::PendingValidPaymentMethod => Standing::new(
            Stage::Eligible,
            "can be asked; the WABA needs a valid payment method before setup completes",
        ),
        WabaStatus::Other(text) => Standing::new(
            Stage::Eligible,
            format!("status {text} is new to this tool; treated as eligible"),
        ),
        _ => Standing::new(Stage::Eligible, "can be asked to onboard"),
    }
}

/// After the terms: Meta's setup, the partner's token, a number, a first message.
fn signed_standing(facts: &Facts) -> Standing {
    if let Some(at) = facts.first_sent_at {
        return Standing::new(Stage::FirstMessageSent, format!("first message at {at}"));
    }
    let onboarded = facts.waba_status == Some(WabaStatus::Onboarded);
    let unpaid = facts.waba_status == Some(WabaStatus::PendingValidPaymentMethod);
    if !facts.token_ok {
        let why = if onboarded {
            "onboarded; the business token is still to be fetched and checked"
        } else if unpaid {
            "terms signed; the WABA needs a valid payment method before Meta's setup"
        } else {
            "terms signed; waiting for Meta's setup and the business token"
        };
        return Standing::new(Stage::TermsSigned, why);
    }
    if unpaid {
        return Standing::new(
            Stage::TokenFetched,
            "token checked; the WABA needs a valid payment method before Meta's setup \
             (PENDING_VALID_PAYMENT_METHOD)",
        );
    }
    if !onboarded {
        return Standing::new(
            Stage::TokenFetched,
            "token checked; waiting for Meta's setup to finish (PENDING_INTERNAL_SETUP)",
        );
    }
    if !facts.can_send {
        return Standing::new(
            Stage::TokenFetched,
            "onboarded with a token; no number registered to send from",
        );
    }
    Standing::new(
        Stage::ReadyToSend,
        "onboarded, token checked, number registered",
    )
}

/// Asked but not signed: waiting, unanswered, or rejected.
fn requested_standing(facts: &Facts, request: &Request, now: i64, after: i64) -> Standing {
    let id = request.request_id.as_deref().map_or_else(
        || "already requested".to_owned(),
        |id| format!("request {id}"),
    );
    match facts.business_status {
        // The portfolio is no longer waiting and did not sign: an admin declined.
        Some(BusinessStatus::NotStarted) => Standing::new(
            Stage::Rejected,
            format!("{id} was declined by the client's admins"),
        ),
        _ if now.saturating_sub(request.at) >= after => Standing::new(
            Stage::Unanswered,
            format!("{id} unanswered for {} s", now.saturating_sub(request.at)),
        ),
        _ => Standing::new(Stage::IntentRequested, format!("{id} waiting for an admin")),
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    const DAY: i64 = 86_400;

    fn facts(status: &str) -> Facts {
        Facts {
            waba_status: Some(WabaStatus::from(status)),
            ..Facts::default()
        }
    }

    /// [`facts`] of a WABA whose owner was asked at time 0.
    fn asked(status: &str) -> Facts {
        Facts {
            request: Some(Request {
                request_id: Some("1".into()),
                at: 0,
            }),
            ..facts(status)
        }
    }

    #[test]
    fn a_signed_client_waiting_for_a_payment_method_is_signed() {
        let mut f = asked("PENDING_VALID_PAYMENT_METHOD");
        f.business_status = Some(BusinessStatus::RequestSent);
        assert_eq!(stage(&f, 10, DAY).stage, Stage::IntentRequested);
        f.business_status = Some(BusinessStatus::TermOfServiceSigned);
        let standing = stage(&f, 10 * DAY, DAY);
        assert_eq!(standing.stage, Stage::TermsSigned);
        assert!(standing.reason.contains("payment"), "{}", standing.reason);
        f.token_ok = true;
        assert_eq!(stage(&f, 10 * DAY, DAY).stage, Stage::TokenFetched);
    }

    #[test]
    fn an_obo_waba_of_a_signed_client_waits_for_its_migration() {
        let mut f = asked("INELIGIBLE_ON_BEHALF_OF_WABA");
        f.business_status = Some(BusinessStatus::RequestSent);
        assert_eq!(stage(&f, 10, DAY).stage, Stage::IntentRequested);
        f.business_status = Some(BusinessStatus::TermOfServiceSigned);
        let standing = stage(&f, 10 * DAY, DAY);
        assert_eq!(standing.stage, Stage::Ineligible);
        assert!(standing.reason.contains("migrated"), "{}", standing.reason);
    }

    #[test]
    fn statuses_round_trip_and_keep_new_values() {
        for text in [
            "ELIGIBLE",
            "ONBOARDED",
            "PENDING_INTERNAL_SETUP",
            "PENDING_VALID_PAYMENT_METHOD",
            "INELIGIBLE_ON_BEHALF_OF_WABA",
            "INELIGIBLE_INACTIVE_OR_RESTRICTED",
            "INELIGIBLE_COUNTRY_NOT_SUPPORTED",
            "INELIGIBLE_USING_WHATSAPP_BUSINESS_APP",
            "SOMETHING_NEW",
        ] {
            assert_eq!(WabaStatus::from(text).as_str(), text);
        }
        assert_eq!(
            WabaStatus::from("SOMETHING_NEW"),
            WabaStatus::Other("SOMETHING_NEW".into())
        );
    }

    #[test]
    fn the_funnel_in_order() {
        let mut f = facts("ELIGIBLE");
        assert_eq!(stage(&f, 0, DAY).stage, Stage::Eligible);
        f.request = Some(Request {
            request_id: Some("893".into()),
            at: 0,
        });
        f.business_status = Some(BusinessStatus::RequestSent);
        let s = stage(&f, 10, DAY);
        assert_eq!(s.stage, Stage::IntentRequested);
        assert!(s.reason.contains("893"), "{}", s.reason);
        f.terms_signed_at = Some(20);
        f.waba_status = Some(WabaStatus::PendingInternalSetup);
        assert_eq!(stage(&f, 20, DAY).stage, Stage::TermsSigned);
        f.token_ok = true;
        assert_eq!(stage(&f, 20, DAY).stage, Stage::TokenFetched);
        f.waba_status = Some(WabaStatus::Onboarded);
        assert_eq!(
            stage(&f, 30, DAY).stage,
            Stage::TokenFetched,
            "no number yet"
        );
        f.can_send = true;
        assert_eq!(stage(&f, 30, DAY).stage, Stage::ReadyToSend);
        f.first_sent_at = Some(40);
        assert_eq!(stage(&f, 40, DAY).stage, Stage::FirstMessageSent);
    }

    #[test]
    fn every_ineligibility_has_its_reason() {
        for (status, words) in [
            ("INELIGIBLE_ON_BEHALF_OF_WABA", "OBO"),
            ("INELIGIBLE_INACTIVE_OR_RESTRICTED", "restricted"),
            ("INELIGIBLE_COUNTRY_NOT_SUPPORTED", "country"),
            (
                "INELIGIBLE_USING_WHATSAPP_BUSINESS_APP",
                "WhatsApp Business app",
            ),
        ] {
            let s = stage(&facts(status), 0, DAY);
            assert_eq!(s.stage, Stage::Ineligible, "{status}");
            assert!(s.reason.contains(words), "{status}: {}", s.reason);
        }
    }

    #[test]
    fn an_obo_waba_with_a_request_is_in_the_funnel() {
        // The Intent API sets a migration intent on OBO WABAs: asking is the way forward.
        let f = asked("INELIGIBLE_ON_BEHALF_OF_WABA");
        assert_eq!(stage(&f, 1, DAY).stage, Stage::IntentRequested);
    }

    #[test]
    fn a_request_leaves_other_ineligible_wabas_out() {
        let f = asked("INELIGIBLE_COUNTRY_NOT_SUPPORTED");
        assert_eq!(stage(&f, 1, DAY).stage, Stage::Ineligible);
    }

    #[test]
    fn silence_and_refusal() {
        let mut f = facts("ELIGIBLE");
        f.request = Some(Request {
            request_id: None,
            at: 100,
        });
        f.business_status = Some(BusinessStatus::RequestSent);
        let waiting = stage(&f, 100 + DAY - 1, DAY);
        assert_eq!(waiting.stage, Stage::IntentRequested);
        assert!(waiting.reason.contains("already requested"));
        assert_eq!(stage(&f, 100 + DAY, DAY).stage, Stage::Unanswered);
        f.business_status = Some(BusinessStatus::NotStarted);
        assert_eq!(stage(&f, 200, DAY).stage, Stage::Rejected);
    }

    #[test]
    fn signing_wins_over_everything_before_it() {
        // Self-onboarding in WhatsApp Manager signs without any request of ours.
        let mut f = facts("ONBOARDED");
        assert_eq!(stage(&f, 0, DAY).stage, Stage::TermsSigned);
        f.business_status = Some(BusinessStatus::NotStarted);
        f.request = Some(Request {
            request_id: Some("1".into()),
            at: 0,
        });
        assert_eq!(stage(&f, 10 * DAY, DAY).stage, Stage::TermsSigned);
    }

    #[test]
    fn unsynced_is_unknown_unless_a_webhook_said_more() {
        assert_eq!(stage(&Facts::default(), 0, DAY).stage, Stage::Unknown);
        let f = Facts {
            terms_signed_at: Some(5),
            ..Facts::default()
        };
        assert_eq!(stage(&f, 5, DAY).stage, Stage::TermsSigned);
    }

    fn any_status() -> impl Strategy<Value = WabaStatus> {
        prop_oneof![
            Just(WabaStatus::Eligible),
            Just(WabaStatus::Onboarded),
            Just(WabaStatus::PendingInternalSetup),
            Just(WabaStatus::PendingValidPaymentMethod),
            Just(WabaStatus::IneligibleOnBehalfOfWaba),
            Just(WabaStatus::IneligibleCountryNotSupported),
            "[A-Z_]{1,12}".prop_map(|t| WabaStatus::from(t.as_str())),
        ]
    }

    fn any_facts() -> impl Strategy<Value = Facts> {
        (
            proptest::option::of(any_status()),
            proptest::option::of(prop_oneof![
                Just(BusinessStatus::NotStarted),
                Just(BusinessStatus::RequestSent),
                Just(BusinessStatus::TermOfServiceSigned),
            ]),
            proptest::option::of((proptest::option::of("[0-9]{1,6}"), 0..1_000i64)),
            proptest::option::of(0..1_000i64),
            any::<bool>(),
            any::<bool>(),
            proptest::option::of(0..1_000i64),
        )
            .prop_map(
                |(waba_status, business_status, request, terms, token_ok, can_send, first)| Facts {
                    waba_status,
                    business_status,
                    request: request.map(|(request_id, at)| Request { request_id, at }),
                    terms_signed_at: terms,
                    token_ok,
                    can_send,
                    first_sent_at: first,
                },
            )
    }

    proptest! {
        #[test]
        fn learning_more_after_signing_never_moves_back(f in any_facts(), now in 0..2_000i64) {
            let mut signed = f;
            signed.terms_signed_at = Some(0);
            let before = stage(&signed, now, DAY).stage;
            prop_assert!(before >= Stage::TermsSigned);
            let mut more = signed;
            more.token_ok = true;
            prop_assert!(stage(&more, now, DAY).stage >= before);
            more.first_sent_at = Some(now);
            prop_assert_eq!(stage(&more, now, DAY).stage, Stage::FirstMessageSent);
        }

        #[test]
        fn every_standing_has_a_reason(f in any_facts(), now in 0..2_000i64) {
            let s = stage(&f, now, DAY);
            prop_assert!(!s.reason.is_empty());
            // A first message only counts once the terms are signed.
            if s.stage == Stage::FirstMessageSent {
                prop_assert!(f.first_sent_at.is_some());
            }
        }
    }
}
