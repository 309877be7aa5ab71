//! A number's registration on Cloud API: registered numbers send; deregistered ones are
//! refused with 133010 until registered again.

use serde_json::json;
use wamm_domain::{NewEvent, PhoneNumber, Waba};
use wamm_store::{ChangeSet, Put};
use wamm_wire::GraphError;
use wamm_wire::ids::AppId;

use super::Error;
use crate::context::Platform;

/// Registers `phone` (the door has checked the PIN's form). Registering a registered number
/// again succeeds and changes nothing, as on Meta.
pub async fn register(
    platform: &Platform,
    app: AppId,
    waba: &Waba,
    phone: &PhoneNumber,
) -> Result<(), Error> {
    if !phone.registered {
        set_registered(platform, app, waba, phone, true).await?;
    }
    Ok(())
}

/// Takes `phone` off Cloud API. Refused, with Meta's words, for a number that is not
/// registered and for a coexistence number (the business keeps using it in the WhatsApp
/// Business app; it disconnects it there instead).
pub async fn deregister(
    platform: &Platform,
    app: AppId,
    waba: &Waba,
    phone: &PhoneNumber,
) -> Result<(), Error> {
    if phone.coexistence {
        return Err(deregister_refusal(
            "Deregister endpoint is not available for API solution for SMB businesses.",
        )
        .into());
    }
    if !phone.registered {
        return Err(deregister_refusal(
            "Phone number not registered on the WhatsApp Business Platform.",
        )
        .with_subcode(NOT_REGISTERED_SUBCODE)
        .into());
    }
    set_registered(platform, app, waba, phone, false).await
}

/// The subcode Meta's spec gives for deregistering a number that is not registered.
const NOT_REGISTERED_SUBCODE: i64 = 2_207_051;

/// A deregistration refusal: code 100 with the message exactly as Meta's spec shows it.
fn deregister_refusal(message: &str) -> GraphError {
    GraphError::new(
        400,
        wamm_wire::error::kind::OAUTH,
        wamm_wire::error::code::INVALID_PARAMETER,
        message,
    )
}

/// Puts `phone` on Cloud API (`registered`) or takes it off, with its event.
async fn set_registered(
    platform: &Platform,
    app: AppId,
    waba: &Waba,
    phone: &PhoneNumber,
    registered: bool,
) -> Result<(), Error> {
    let changed = PhoneNumber {
        registered,
        ..phone.clone()
    };
    let kind = if registered {
        "phone_number.registered"
    } else {
        "phone_number.deregistered"
    };
    platform
        .commit(
            ChangeSet::new()
                .put(Put::PhoneNumber(changed))
                .event(NewEvent {
                    at: platform.clock.now(),
                    kind: kind.into(),
                    subject: format!("phone_number:{}", phone.id),
                    detail: json!({ "waba_id": waba.id.to_string(), "app_id": app.to_string() }),
                }),
        )
        .await?;
    Ok(())
}
