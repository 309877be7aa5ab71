//! A phone number's life after signup: verification codes, the business profile and the
//! number's settings. Each loads nothing beyond the number it is given, applies the domain's
//! rule and commits the changed number with its event.
//!
//! A requested code is "delivered" to the event log (`phone_number.code_requested`, whose
//! detail carries the code), which is where a test or an operator reads it, as the mailbox is
//! for emails.

use serde_json::json;
use wamm_domain::numbers::{self, NumberLife, ProfileUpdate};
use wamm_domain::{NewEvent, PhoneNumber};
use wamm_store::{ChangeSet, Put, StoreError};

use crate::context::Platform;

/// What a use case here may refuse with.
#[derive(Debug, thiserror::Error)]
pub enum NumberError {
    /// `request_code`'s parameters.
    #[error(transparent)]
    Request(#[from] numbers::RequestCodeError),
    /// `verify_code`'s code.
    #[error(transparent)]
    Verify(#[from] numbers::VerifyCodeError),
    /// A profile value.
    #[error(transparent)]
    Profile(#[from] numbers::ProfileError),
    /// A settings value.
    #[error(transparent)]
    Settings(#[from] numbers::SettingsError),
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

async fn save(
    p: &Platform,
    phone: &PhoneNumber,
    life: NumberLife,
    kind: &str,
    detail: serde_json::Value,
) -> Result<(), StoreError> {
    let changed = PhoneNumber {
        life,
        ..phone.clone()
    };
    p.commit(
        ChangeSet::new()
            .put(Put::PhoneNumber(changed))
            .event(NewEvent {
                at: p.clock.now(),
                kind: kind.into(),
                subject: format!("phone_number:{}", phone.id),
                detail,
            }),
    )
    .await?;
    Ok(())
}

/// `request_code`: issues the number's next code (derived from the platform seed and a
/// per-number counter, so seeded runs repeat) and records it with its event.
pub async fn request_code(
    p: &Platform,
    phone: &PhoneNumber,
    method: Option<&str>,
    language: Option<&str>,
) -> Result<(), NumberError> {
    let now = p.clock.now();
    // Checked before a counter is spent, so a refused request changes nothing.
    numbers::request_code(&phone.life, method, language, String::new(), now)?;
    let n = p
        .store
        .reserve(&format!("verify_code:{}", phone.id), 1)
        .await?;
    let seed = p.config.seed.unwrap_or_else(|| now.millis().unsigned_abs());
    let code = numbers::derive_code(seed, phone.id.get(), n);
    let life = numbers::request_code(&phone.life, method, language, code.clone(), now)?;
    let pending = life.pending_code.clone();
    save(
        p,
        phone,
        life,
        "phone_number.code_requested",
        json!({
            "waba_id": phone.waba_id.to_string(),
            "code": code,
            "code_method": pending.as_ref().map(|c| c.method.as_str()),
            "language": pending.as_ref().map(|c| c.language.clone()),
        }),
    )
    .await?;
    Ok(())
}

/// `verify_code`: checks the code; the number is then verified.
pub async fn verify_code(p: &Platform, phone: &PhoneNumber, code: &str) -> Result<(), NumberError> {
    let life = numbers::verify_code(&phone.life, code, p.clock.now())?;
    save(
        p,
        phone,
        life,
        "phone_number.code_verified",
        json!({ "waba_id": phone.waba_id.to_string() }),
    )
    .await?;
    Ok(())
}

/// `POST whatsapp_business_profile`: applies the update. A picture handle becomes a picture URL
/// under the platform's address.
pub async fn update_profile(
    p: &Platform,
    phone: &PhoneNumber,
    update: ProfileUpdate,
    picture_base: &str,
) -> Result<(), NumberError> {
    let profile = numbers::update_profile(&phone.life.profile, update, |handle| {
        let digest = numbers::fingerprint(handle);
        let tail = digest.trim_start_matches("SHA256:");
        format!("{picture_base}/profile_pictures/{}/{tail}.jpg", phone.id)
    })?;
    let life = NumberLife {
        profile,
        ..phone.life.clone()
    };
    save(
        p,
        phone,
        life,
        "phone_number.profile_updated",
        json!({ "waba_id": phone.waba_id.to_string() }),
    )
    .await?;
    Ok(())
}

/// `POST settings`: applies one feature's settings.
pub async fn update_settings(
    p: &Platform,
    phone: &PhoneNumber,
    feature: &str,
    value: &serde_json::Value,
) -> Result<(), NumberError> {
    let settings = numbers::update_settings(&phone.life.settings, feature, value)?;
    let life = NumberLife {
        settings,
        ..phone.life.clone()
    };
    save(
        p,
        phone,
        life,
        "phone_number.settings_updated",
        json!({ "waba_id": phone.waba_id.to_string(), "feature": feature }),
    )
    .await?;
    Ok(())
}
