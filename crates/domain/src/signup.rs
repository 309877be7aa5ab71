//! Embedded Signup's flow as rules: which screen comes next from what the person has chosen,
//! and which session event the flow ends with.
//!
//! The popup is stateless on the server: every screen posts everything chosen so far, and
//! [`next_screen`] decides where the person is. That keeps the flow restartable and testable
//! without a browser.

use serde::Serialize;

/// What `extras` (and the login configuration) ask of the flow.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FlowOptions {
    /// `featureType: "whatsapp_business_app_onboarding"`: connect a WhatsApp Business app
    /// number (coexistence) instead of registering a new one.
    pub coexistence: bool,
    /// The MM API terms are offered: `features: [{name: "marketing_messages_lite"}]`,
    /// `featureType: "marketing_messages_lite"` (v2), or a v4 configuration with the product.
    pub marketing_messages: bool,
    /// Session events are posted to the opener (`sessionInfoVersion` or `version` given).
    pub session_events: bool,
    /// The session-info version the events carry (2 or 3).
    pub session_version: u8,
}

/// One screen of the popup.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Screen {
    /// Log in: choose who you are.
    Login,
    /// Choose or create a business portfolio.
    BusinessAccountSelection,
    /// Choose or create a WhatsApp Business Account.
    WabaSelection,
    /// Add, choose or skip a phone number (or connect the WhatsApp Business app's number).
    PhoneNumberSetup,
    /// Accept the Marketing Messages API for WhatsApp terms.
    MarketingMessagesTerms,
    /// Review the permissions and confirm.
    PermissionsReview,
    /// Everything is chosen: the flow finishes.
    Done,
}

impl Screen {
    /// The `current_step` a `CANCEL` event reports.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Login => "LOGIN",
            Self::BusinessAccountSelection => "BUSINESS_ACCOUNT_SELECTION",
            Self::WabaSelection => "WABA_SELECTION",
            Self::PhoneNumberSetup => "PHONE_NUMBER_SETUP",
            Self::MarketingMessagesTerms => "MARKETING_MESSAGES_TERMS",
            Self::PermissionsReview => "PERMISSIONS_REVIEW",
            Self::Done => "DONE",
        }
    }
}

/// What has been chosen so far (each `None` until the person answers that screen).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Progress {
    /// A person is chosen.
    pub person: bool,
    /// A business is chosen.
    pub business: bool,
    /// A WABA is chosen.
    pub waba: bool,
    /// A phone number is chosen, added or skipped.
    pub phone: bool,
    /// The chosen business signed the MM API terms before this flow.
    pub business_signed: bool,
    /// The person answered the MM API terms screen.
    pub terms_answered: bool,
    /// The person confirmed the permissions.
    pub confirmed: bool,
}

/// The screen the person is on.
pub fn next_screen(options: &FlowOptions, progress: Progress) -> Screen {
    if !progress.person {
        Screen::Login
    } else if !progress.business {
        Screen::BusinessAccountSelection
    } else if !progress.waba {
        Screen::WabaSelection
    } else if !progress.phone {
        Screen::PhoneNumberSetup
    } else if options.marketing_messages && !progress.business_signed && !progress.terms_answered {
        Screen::MarketingMessagesTerms
    } else if !progress.confirmed {
        Screen::PermissionsReview
    } else {
        Screen::Done
    }
}

/// The `event` of the `WA_EMBEDDED_SIGNUP` message a finished flow posts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum FinishEvent {
    /// A WABA and a phone number (Cloud API flow).
    Finish,
    /// A WABA without a phone number.
    FinishOnlyWaba,
    /// A WhatsApp Business app number connected (coexistence).
    FinishWhatsappBusinessAppOnboarding,
}

impl FinishEvent {
    /// The event's wire name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Finish => "FINISH",
            Self::FinishOnlyWaba => "FINISH_ONLY_WABA",
            Self::FinishWhatsappBusinessAppOnboarding => "FINISH_WHATSAPP_BUSINESS_APP_ONBOARDING",
        }
    }
}

/// How the flow ends: coexistence wins, then whether a phone number was set up.
pub const fn finish_event(options: &FlowOptions, with_phone: bool) -> FinishEvent {
    if options.coexistence {
        FinishEvent::FinishWhatsappBusinessAppOnboarding
    } else if with_phone {
        FinishEvent::Finish
    } else {
        FinishEvent::FinishOnlyWaba
    }
}

/// Reads `extras` (the JSON object `FB.login` was given) together with whether the login
/// configuration selects the MM API product.
pub fn options_from_extras(extras: &serde_json::Value, config_has_mm_product: bool) -> FlowOptions {
    let feature_type = extras.get("featureType").and_then(|v| v.as_str());
    let features_ask_mm = extras
        .get("features")
        .and_then(|f| f.as_array())
        .is_some_and(|f| {
            f.iter()
                .any(|x| x.get("name").and_then(|n| n.as_str()) == Some("marketing_messages_lite"))
        });
    let session_info = extras.get("sessionInfoVersion").map(|v| match v {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    });
    let version = extras.get("version").and_then(|v| v.as_str());
    let v3 = session_info.as_deref() == Some("3") || version.is_some_and(|v| v.starts_with("v3"));
    FlowOptions {
        coexistence: matches!(
            feature_type,
            Some("whatsapp_business_app_onboarding" | "coexistence")
        ),
        marketing_messages: features_ask_mm
            || feature_type == Some("marketing_messages_lite")
            || config_has_mm_product,
        // v2 posts session events only when asked; v3 and later always do.
        session_events: session_info.is_some() || version.is_some() || config_has_mm_product,
        session_version: if v3 || config_has_mm_product { 3 } else { 2 },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    #[test]
    fn reads_the_seed_extras() {
        let o = options_from_extras(
            &json!({
                "featureType": "whatsapp_business_app_onboarding",
                "sessionInfoVersion": "3",
                "features": [{"name": "marketing_messages_lite"}],
                "version": "v3"
            }),
            false,
        );
        assert_eq!(
            o,
            FlowOptions {
                coexistence: true,
                marketing_messages: true,
                session_events: true,
                session_version: 3
            }
        );
        let plain = options_from_extras(&json!({}), false);
        assert!(!plain.coexistence && !plain.marketing_messages && !plain.session_events);
        assert!(options_from_extras(&json!({}), true).marketing_messages);
        assert!(
            options_from_extras(&json!({"featureType": "marketing_messages_lite"}), false)
                .marketing_messages
        );
        assert_eq!(
            options_from_extras(&json!({"sessionInfoVersion": 2}), false).session_version,
            2
        );
    }

    #[test]
    fn finish_events() {
        let coex = FlowOptions {
            coexistence: true,
            ..FlowOptions::default()
        };
        assert_eq!(
            finish_event(&coex, true).as_str(),
            "FINISH_WHATSAPP_BUSINESS_APP_ONBOARDING"
        );
        assert_eq!(
            finish_event(&FlowOptions::default(), true).as_str(),
            "FINISH"
        );
        assert_eq!(
            finish_event(&FlowOptions::default(), false).as_str(),
            "FINISH_ONLY_WABA"
        );
    }

    #[test]
    fn the_terms_screen_is_skipped_for_a_signed_business() {
        let mm = FlowOptions {
            marketing_messages: true,
            ..FlowOptions::default()
        };
        let chosen = Progress {
            person: true,
            business: true,
            waba: true,
            phone: true,
            ..Progress::default()
        };
        assert_eq!(next_screen(&mm, chosen), Screen::MarketingMessagesTerms);
        let signed = Progress {
            business_signed: true,
            ..chosen
        };
        assert_eq!(next_screen(&mm, signed), Screen::PermissionsReview);
        assert_eq!(
            next_screen(&FlowOptions::default(), chosen),
            Screen::PermissionsReview
        );
    }

    proptest! {
        /// Screens come in order: answering one never moves the person backwards, and the
        /// flow is done exactly when everything required is answered.
        #[test]
        fn screens_only_move_forward(bits in any::<[bool; 7]>(), mm in any::<bool>()) {
            let options = FlowOptions { marketing_messages: mm, ..FlowOptions::default() };
            let p = Progress {
                person: bits[0], business: bits[1], waba: bits[2], phone: bits[3],
                business_signed: bits[4], terms_answered: bits[5], confirmed: bits[6],
            };
            let screen = next_screen(&options, p);
            let needs_terms = mm && !p.business_signed && !p.terms_answered;
            let done = p.person && p.business && p.waba && p.phone && !needs_terms && p.confirmed;
            prop_assert_eq!(screen == Screen::Done, done);
            let order = |s: Screen| s as u8;
            let mut more = p;
            more.confirmed = true;
            prop_assert!(order(next_screen(&options, more)) >= order(screen));
        }
    }
}
