//! A phone number's life after signup: verification codes (`request_code`, `verify_code`), the
//! WhatsApp Business profile and the number's settings, with Meta's validation rules.
//!
//! Everything here is a pure rule over the number's [`NumberLife`]: callers pass the request's
//! values and `now`, and get back the changed state or the reason it was refused.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::time::Timestamp;

/// How long a requested verification code can be used; Meta's reference gives "typically 10
/// minutes".
pub const CODE_TTL_MS: i64 = 10 * 60 * 1000;

/// Longest `about` text (Meta: 1 to 139 characters).
pub const ABOUT_MAX: usize = 139;
/// Longest `address` (Meta: 256 characters).
pub const ADDRESS_MAX: usize = 256;
/// Longest `description` (Meta's Cloud API reference: 512 characters).
pub const DESCRIPTION_MAX: usize = 512;
/// Longest `email` (Meta: 128 characters).
pub const EMAIL_MAX: usize = 128;
/// Most `websites` (Meta: 2).
pub const WEBSITES_MAX: usize = 2;
/// Longest website URL (Meta: 256 characters).
pub const WEBSITE_MAX: usize = 256;

/// The business verticals Meta accepts: the spec's `WhatsAppBusinessVertical` enum, plus
/// `UNDEFINED` and `NOT_A_BIZ`, which Meta's Cloud API reference also lists.
pub const VERTICALS: &[&str] = &[
    "UNDEFINED",
    "OTHER",
    "AUTO",
    "BEAUTY",
    "APPAREL",
    "EDU",
    "ENTERTAIN",
    "EVENT_PLAN",
    "FINANCE",
    "GROCERY",
    "GOVT",
    "HOTEL",
    "HEALTH",
    "NONPROFIT",
    "PROF_SERVICES",
    "RETAIL",
    "TRAVEL",
    "RESTAURANT",
    "ALCOHOL",
    "ONLINE_GAMBLING",
    "PHYSICAL_GAMBLING",
    "OTC_DRUGS",
    "NOT_A_BIZ",
];

/// How a verification code is delivered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CodeMethod {
    /// A text message.
    Sms,
    /// A voice call.
    Voice,
}

impl CodeMethod {
    /// Parses Meta's `code_method` (`SMS` or `VOICE`).
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "SMS" => Some(Self::Sms),
            "VOICE" => Some(Self::Voice),
            _ => None,
        }
    }

    /// Meta's spelling.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Sms => "SMS",
            Self::Voice => "VOICE",
        }
    }
}

/// A verification code that was requested and not yet used.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingCode {
    /// The six digits.
    pub code: String,
    /// How it was delivered.
    pub method: CodeMethod,
    /// The locale of the message (`en_US`).
    pub language: String,
    /// When it was requested; it lapses [`CODE_TTL_MS`] later.
    pub requested_at: Timestamp,
}

/// The business profile shown to WhatsApp users. Unset fields are `None` (or empty).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BusinessProfile {
    /// The About text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub about: Option<String>,
    /// The address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// The description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The contact email.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// The profile picture's URL, once a picture was set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile_picture_url: Option<String>,
    /// Up to two websites.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub websites: Vec<String>,
    /// The vertical (one of [`VERTICALS`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vertical: Option<String>,
}

/// A profile update as sent: each `Some` replaces the stored value.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProfileUpdate {
    /// New About text.
    pub about: Option<String>,
    /// New address.
    pub address: Option<String>,
    /// New description.
    pub description: Option<String>,
    /// New email.
    pub email: Option<String>,
    /// A profile picture handle from the Resumable Upload API.
    pub profile_picture_handle: Option<String>,
    /// New websites.
    pub websites: Option<Vec<String>>,
    /// New vertical; an empty string clears it.
    pub vertical: Option<String>,
}

/// Why a profile update was refused: names the parameter and Meta's rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Invalid parameter: {0}")]
pub struct ProfileError(pub String);

fn too_long(name: &str, text: &str, max: usize) -> Result<(), ProfileError> {
    if text.chars().count() > max {
        return Err(ProfileError(format!(
            "{name} must be at most {max} characters"
        )));
    }
    Ok(())
}

/// Whether `email` has the shape of an address: one `@` with text on both sides and a dot in
/// the domain, no spaces.
pub fn email_shaped(email: &str) -> bool {
    let Some((local, domain)) = email.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !email.chars().any(char::is_whitespace)
}

/// Applies `update` to `profile` under Meta's rules: about 1..=139 characters, address ≤ 256,
/// description ≤ 512, email shaped and ≤ 128, at most two `http(s)://` websites of ≤ 256
/// characters, a vertical from [`VERTICALS`] (empty clears it). `picture_url` is where a
/// picture handle's upload is served from. Nothing changes when any value is refused.
pub fn update_profile(
    profile: &BusinessProfile,
    update: ProfileUpdate,
    picture_url: impl FnOnce(&str) -> String,
) -> Result<BusinessProfile, ProfileError> {
    let mut next = profile.clone();
    if let Some(about) = update.about {
        if about.is_empty() {
            return Err(ProfileError("about must be at least 1 character".into()));
        }
        too_long("about", &about, ABOUT_MAX)?;
        next.about = Some(about);
    }
    if let Some(address) = update.address {
        too_long("address", &address, ADDRESS_MAX)?;
        next.address = Some(address);
    }
    if let Some(description) = update.description {
        too_long("description", &description, DESCRIPTION_MAX)?;
        next.description = Some(description);
    }
    if let Some(email) = update.email {
        too_long("email", &email, EMAIL_MAX)?;
        if !email.is_empty() && !email_shaped(&email) {
            return Err(ProfileError("email must be a valid email address".into()));
        }
        next.email = Some(email);
    }
    if let Some(websites) = update.websites {
        if websites.len() > WEBSITES_MAX {
            return Err(ProfileError(format!(
                "websites can have at most {WEBSITES_MAX} entries"
            )));
        }
        for site in &websites {
            too_long("websites", site, WEBSITE_MAX)?;
            if !(site.starts_with("http://") || site.starts_with("https://")) {
                return Err(ProfileError(
                    "websites must include the http:// or https:// prefix".into(),
                ));
            }
        }
        next.websites = websites;
    }
    if let Some(vertical) = update.vertical {
        if vertical.is_empty() {
            next.vertical = None;
        } else if VERTICALS.contains(&vertical.as_str()) {
            next.vertical = Some(vertical);
        } else {
            return Err(ProfileError(format!(
                "vertical must be one of {}",
                VERTICALS.join(", ")
            )));
        }
    }
    if let Some(handle) = update.profile_picture_handle {
        if handle.trim().is_empty() {
            return Err(ProfileError(
                "The profile picture handle is invalid or expired".into(),
            ));
        }
        next.profile_picture_url = Some(picture_url(&handle));
    }
    Ok(next)
}

/// `enabled` or `disabled`, as the settings API spells a switch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Switch {
    /// On.
    Enabled,
    /// Off.
    #[default]
    Disabled,
}

impl Switch {
    fn parse(text: &str) -> Option<Self> {
        match text {
            "enabled" => Some(Self::Enabled),
            "disabled" => Some(Self::Disabled),
            _ => None,
        }
    }
}

/// Calling settings as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallingSettings {
    /// Calling on or off.
    pub status: Switch,
    /// `visible` or `hidden`.
    pub call_icon_visibility: String,
    /// Callback permission requests on or off.
    pub callback_permission_status: Switch,
    /// Video calling, once set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub video: Option<Switch>,
    /// SIP, once set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sip: Option<Switch>,
    /// `DTLS-SRTP` or `SDES-SRTP`, once set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub srtp_key_exchange_protocol: Option<String>,
}

impl Default for CallingSettings {
    fn default() -> Self {
        Self {
            status: Switch::Disabled,
            call_icon_visibility: "visible".into(),
            callback_permission_status: Switch::Disabled,
            video: None,
            sip: None,
            srtp_key_exchange_protocol: None,
        }
    }
}

/// A number's settings (`/{phone-number-id}/settings`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PhoneSettings {
    /// Calling.
    #[serde(default)]
    pub calling: CallingSettings,
    /// Whether user identity change checks are on.
    #[serde(default)]
    pub user_identity_change: bool,
    /// The fingerprint of the client encryption key, when payload encryption is on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payload_encryption_fingerprint: Option<String>,
    /// The data localization region, when in-country storage is on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage_region: Option<String>,
}

/// Why a settings update was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Invalid parameter: {0}")]
pub struct SettingsError(pub String);

/// The features the settings API configures; a request sets exactly one.
pub const SETTING_FEATURES: [&str; 4] = [
    "calling",
    "user_identity_change",
    "payload_encryption",
    "storage_configuration",
];

fn switch(obj: &serde_json::Value, path: &str) -> Result<Option<Switch>, SettingsError> {
    match obj.get("status") {
        None => Ok(None),
        Some(v) => v
            .as_str()
            .and_then(Switch::parse)
            .map(Some)
            .ok_or_else(|| SettingsError(format!("{path}.status must be enabled or disabled"))),
    }
}

fn object<'a>(
    value: &'a serde_json::Value,
    path: &str,
) -> Result<&'a serde_json::Map<String, serde_json::Value>, SettingsError> {
    value
        .as_object()
        .ok_or_else(|| SettingsError(format!("{path} must be an object")))
}

/// Applies one feature's settings (`feature` is one of [`SETTING_FEATURES`], `value` its JSON
/// object) under the spec's rules; nothing changes when it is refused.
pub fn update_settings(
    settings: &PhoneSettings,
    feature: &str,
    value: &serde_json::Value,
) -> Result<PhoneSettings, SettingsError> {
    let mut next = settings.clone();
    match feature {
        "calling" => {
            let obj = object(value, "calling")?;
            let status = switch(value, "calling")?
                .ok_or_else(|| SettingsError("calling.status is required".into()))?;
            next.calling.status = status;
            if let Some(v) = obj.get("call_icon_visibility") {
                match v.as_str() {
                    Some(text @ ("visible" | "hidden")) => {
                        next.calling.call_icon_visibility = text.into();
                    }
                    _ => {
                        return Err(SettingsError(
                            "calling.call_icon_visibility must be visible or hidden".into(),
                        ));
                    }
                }
            }
            if let Some(v) = obj.get("callback_permission_status") {
                next.calling.callback_permission_status =
                    v.as_str().and_then(Switch::parse).ok_or_else(|| {
                        SettingsError(
                            "calling.callback_permission_status must be enabled or disabled".into(),
                        )
                    })?;
            }
            for (name, slot) in [
                ("video", &mut next.calling.video),
                ("sip", &mut next.calling.sip),
            ] {
                if let Some(v) = obj.get(name) {
                    let path = format!("calling.{name}");
                    object(v, &path)?;
                    *slot = Some(
                        switch(v, &path)?
                            .ok_or_else(|| SettingsError(format!("{path}.status is required")))?,
                    );
                }
            }
            if let Some(v) = obj.get("srtp_key_exchange_protocol") {
                match v.as_str() {
                    Some(text @ ("DTLS-SRTP" | "SDES-SRTP")) => {
                        next.calling.srtp_key_exchange_protocol = Some(text.into());
                    }
                    _ => {
                        return Err(SettingsError(
                            "calling.srtp_key_exchange_protocol must be DTLS-SRTP or SDES-SRTP"
                                .into(),
                        ));
                    }
                }
            }
        }
        "user_identity_change" => {
            let obj = object(value, "user_identity_change")?;
            next.user_identity_change = obj
                .get("enabled")
                .and_then(serde_json::Value::as_bool)
                .ok_or_else(|| {
                    SettingsError("user_identity_change.enabled must be true or false".into())
                })?;
        }
        "payload_encryption" => {
            let obj = object(value, "payload_encryption")?;
            let status = switch(value, "payload_encryption")?
                .ok_or_else(|| SettingsError("payload_encryption.status is required".into()))?;
            next.payload_encryption_fingerprint = match status {
                Switch::Disabled => None,
                Switch::Enabled => {
                    let key = obj
                        .get("client_encryption_key")
                        .and_then(serde_json::Value::as_str)
                        .filter(|k| !k.trim().is_empty())
                        .ok_or_else(|| {
                            SettingsError(
                                "payload_encryption.client_encryption_key is required when enabling encryption"
                                    .into(),
                            )
                        })?;
                    Some(fingerprint(key))
                }
            };
        }
        "storage_configuration" => {
            let obj = object(value, "storage_configuration")?;
            let enabled = obj
                .get("enabled")
                .and_then(serde_json::Value::as_bool)
                .ok_or_else(|| {
                    SettingsError("storage_configuration.enabled must be true or false".into())
                })?;
            next.storage_region = if enabled {
                let region = obj
                    .get("region")
                    .and_then(serde_json::Value::as_str)
                    .filter(|r| !r.trim().is_empty())
                    .ok_or_else(|| {
                        SettingsError(
                            "storage_configuration.region is required when enabling it".into(),
                        )
                    })?;
                Some(region.to_owned())
            } else {
                None
            };
        }
        other => {
            return Err(SettingsError(format!(
                "{other} is not a setting; use one of {}",
                SETTING_FEATURES.join(", ")
            )));
        }
    }
    Ok(next)
}

/// The fingerprint rendered for a client encryption key: `SHA256:` and the first 16 hex digits
/// of its SHA-256.
pub fn fingerprint(key: &str) -> String {
    let digest = Sha256::digest(key.as_bytes());
    let hex: String = digest.iter().take(8).map(|b| format!("{b:02x}")).collect();
    format!("SHA256:{hex}")
}

/// What wamm keeps about a number beyond its signup record.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NumberLife {
    /// Whether a verification code was confirmed with `verify_code`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub code_verified: bool,
    /// The last requested, not yet used code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending_code: Option<PendingCode>,
    /// The business profile.
    #[serde(default, skip_serializing_if = "is_default")]
    pub profile: BusinessProfile,
    /// The settings.
    #[serde(default, skip_serializing_if = "is_default")]
    pub settings: PhoneSettings,
}

impl NumberLife {
    /// Whether nothing happened to the number after signup.
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

fn is_default<T: Default + PartialEq>(v: &T) -> bool {
    *v == T::default()
}

/// Why a `request_code` was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RequestCodeError {
    /// `code_method` is missing or not `SMS`/`VOICE`.
    #[error("Invalid parameter: code_method must be SMS or VOICE")]
    Method,
    /// `language` is missing or not `ll_CC`.
    #[error("Invalid parameter: language must be a locale such as en_US")]
    Language,
}

/// Whether `text` is a locale as the spec writes it: two lower-case letters, `_`, two
/// upper-case letters.
pub fn locale_shaped(text: &str) -> bool {
    let b = text.as_bytes();
    b.len() == 5
        && b[0].is_ascii_lowercase()
        && b[1].is_ascii_lowercase()
        && b[2] == b'_'
        && b[3].is_ascii_uppercase()
        && b[4].is_ascii_uppercase()
}

/// Records a requested code: checks the method and locale, and keeps `code` (replacing any
/// earlier one, which no longer verifies).
pub fn request_code(
    life: &NumberLife,
    method: Option<&str>,
    language: Option<&str>,
    code: String,
    now: Timestamp,
) -> Result<NumberLife, RequestCodeError> {
    let method = method
        .and_then(CodeMethod::parse)
        .ok_or(RequestCodeError::Method)?;
    let language = language
        .filter(|l| locale_shaped(l))
        .ok_or(RequestCodeError::Language)?;
    Ok(NumberLife {
        pending_code: Some(PendingCode {
            code,
            method,
            language: language.to_owned(),
            requested_at: now,
        }),
        ..life.clone()
    })
}

/// Why a `verify_code` was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum VerifyCodeError {
    /// The code is not six digits.
    #[error("Invalid verification code format")]
    Format,
    /// No code was requested, it lapsed, or it differs.
    #[error("The verification code is invalid or has expired")]
    Mismatch,
}

/// Checks `code` against the pending one: when it matches and has not lapsed, the number is
/// verified and the code is used up. A wrong code leaves the pending one in place.
pub fn verify_code(
    life: &NumberLife,
    code: &str,
    now: Timestamp,
) -> Result<NumberLife, VerifyCodeError> {
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Err(VerifyCodeError::Format);
    }
    match &life.pending_code {
        Some(p) if p.code == code && now.millis() - p.requested_at.millis() <= CODE_TTL_MS => {
            Ok(NumberLife {
                code_verified: true,
                pending_code: None,
                ..life.clone()
            })
        }
        _ => Err(VerifyCodeError::Mismatch),
    }
}

/// The six-digit code for the `n`th request on a number, derived from the platform's seed so a
/// seeded run always issues the same codes.
pub fn derive_code(seed: u64, phone: u64, n: i64) -> String {
    let digest = Sha256::digest(format!("verify:{seed}:{phone}:{n}").as_bytes());
    let mut value = 0u32;
    for b in &digest[..4] {
        value = (value << 8) | u32::from(*b);
    }
    format!("{:06}", value % 1_000_000)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    fn update() -> ProfileUpdate {
        ProfileUpdate::default()
    }

    #[test]
    fn about_is_one_to_139_characters() {
        let p = BusinessProfile::default();
        let ok = update_profile(
            &p,
            ProfileUpdate {
                about: Some("é".repeat(139)),
                ..update()
            },
            |_| String::new(),
        );
        assert!(ok.is_ok());
        for bad in [String::new(), "a".repeat(140)] {
            let err = update_profile(
                &p,
                ProfileUpdate {
                    about: Some(bad),
                    ..update()
                },
                |_| String::new(),
            );
            assert!(err.is_err());
        }
    }

    #[test]
    fn websites_at_most_two_with_scheme() {
        let p = BusinessProfile::default();
        let two = vec!["https://a.test".to_owned(), "http://b.test".to_owned()];
        let done = update_profile(
            &p,
            ProfileUpdate {
                websites: Some(two.clone()),
                ..update()
            },
            |_| String::new(),
        )
        .expect("two websites");
        assert_eq!(done.websites, two);
        let three = vec!["https://a.test".to_owned(); 3];
        assert!(
            update_profile(
                &p,
                ProfileUpdate {
                    websites: Some(three),
                    ..update()
                },
                |_| String::new()
            )
            .is_err()
        );
        assert!(
            update_profile(
                &p,
                ProfileUpdate {
                    websites: Some(vec!["a.test".into()]),
                    ..update()
                },
                |_| String::new()
            )
            .is_err()
        );
    }

    #[test]
    fn vertical_from_the_enum_and_empty_clears() {
        let p = update_profile(
            &BusinessProfile::default(),
            ProfileUpdate {
                vertical: Some("RETAIL".into()),
                ..update()
            },
            |_| String::new(),
        )
        .expect("retail");
        assert_eq!(p.vertical.as_deref(), Some("RETAIL"));
        let cleared = update_profile(
            &p,
            ProfileUpdate {
                vertical: Some(String::new()),
                ..update()
            },
            |_| String::new(),
        )
        .expect("clear");
        assert_eq!(cleared.vertical, None);
        assert!(
            update_profile(
                &p,
                ProfileUpdate {
                    vertical: Some("SPACESHIPS".into()),
                    ..update()
                },
                |_| String::new()
            )
            .is_err()
        );
    }

    #[test]
    fn a_refused_update_changes_nothing() {
        let p = BusinessProfile {
            about: Some("before".into()),
            ..BusinessProfile::default()
        };
        let err = update_profile(
            &p,
            ProfileUpdate {
                about: Some("after".into()),
                email: Some("not-an-email".into()),
                ..update()
            },
            |_| String::new(),
        );
        assert!(err.is_err());
        assert_eq!(p.about.as_deref(), Some("before"));
    }

    #[test]
    fn codes_verify_once_and_lapse() {
        let now = Timestamp(1_000);
        let life = request_code(
            &NumberLife::default(),
            Some("SMS"),
            Some("en_US"),
            "123456".into(),
            now,
        )
        .expect("requested");
        assert_eq!(
            verify_code(&life, "654321", now),
            Err(VerifyCodeError::Mismatch)
        );
        assert_eq!(
            verify_code(&life, "12345", now),
            Err(VerifyCodeError::Format)
        );
        assert_eq!(
            verify_code(&life, "123456", Timestamp(now.0 + CODE_TTL_MS + 1)),
            Err(VerifyCodeError::Mismatch)
        );
        let done = verify_code(&life, "123456", now).expect("verified");
        assert!(done.code_verified);
        assert_eq!(
            verify_code(&done, "123456", now),
            Err(VerifyCodeError::Mismatch)
        );
    }

    #[test]
    fn request_code_checks_method_and_locale() {
        let life = NumberLife::default();
        let now = Timestamp(0);
        assert_eq!(
            request_code(&life, Some("EMAIL"), Some("en_US"), "1".into(), now),
            Err(RequestCodeError::Method)
        );
        assert_eq!(
            request_code(&life, Some("VOICE"), Some("english"), "1".into(), now),
            Err(RequestCodeError::Language)
        );
        assert_eq!(
            request_code(&life, Some("VOICE"), None, "1".into(), now),
            Err(RequestCodeError::Language)
        );
    }

    #[test]
    fn settings_set_one_feature_and_keep_the_rest() {
        let s = update_settings(
            &PhoneSettings::default(),
            "calling",
            &json!({"status": "enabled", "video": {"status": "enabled"}}),
        )
        .expect("calling");
        assert_eq!(s.calling.status, Switch::Enabled);
        assert_eq!(s.calling.video, Some(Switch::Enabled));
        let s = update_settings(
            &s,
            "storage_configuration",
            &json!({"enabled": true, "region": "us"}),
        )
        .expect("storage");
        assert_eq!(s.storage_region.as_deref(), Some("us"));
        assert_eq!(s.calling.status, Switch::Enabled);
        assert!(update_settings(&s, "calling", &json!({"status": "on"})).is_err());
        assert!(update_settings(&s, "payload_encryption", &json!({"status": "enabled"})).is_err());
        assert!(update_settings(&s, "colour", &json!({})).is_err());
    }

    proptest! {
        #[test]
        fn derived_codes_are_six_digits(seed in any::<u64>(), phone in any::<u64>(), n in 0i64..1000) {
            let code = derive_code(seed, phone, n);
            prop_assert_eq!(code.len(), 6);
            prop_assert!(code.bytes().all(|b| b.is_ascii_digit()));
            prop_assert_eq!(code, derive_code(seed, phone, n));
        }

        #[test]
        fn only_the_issued_code_verifies(code in "[0-9]{6}", other in "[0-9]{6}") {
            let now = Timestamp(5);
            let life = request_code(&NumberLife::default(), Some("SMS"), Some("pt_BR"), code.clone(), now)
                .expect("requested");
            prop_assert_eq!(verify_code(&life, &other, now).is_ok(), other == code);
        }
    }
}
