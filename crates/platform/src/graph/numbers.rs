//! A phone number after signup: `request_code`, `verify_code`, `whatsapp_business_profile` and
//! `settings`. Handlers parse, call [`crate::usecase::numbers`] and render.

use serde_json::{Value, json};
use wamm_domain::numbers::{ProfileUpdate, Switch};
use wamm_domain::{PhoneNumber, Waba};
use wamm_wire::GraphError;
use wamm_wire::error::{code, kind};

use super::catalogue;
use super::render::Node;
use super::reply::{ApiError, ApiResult, Reply};
use super::request::GraphRequest;
use super::routes::Ctx;
use crate::usecase::numbers::{self as uc, NumberError};

/// Where profile pictures set through a handle are served from.
const PICTURE_BASE: &str = "https://pps.whatsapp.net/v/wamm";

/// Renders a refusal from the use cases as Meta's spec words it: code 100, the message naming
/// the parameter and rule.
fn refused(err: NumberError) -> ApiError {
    match err {
        NumberError::Store(e) => e.into(),
        NumberError::Verify(e @ wamm_domain::numbers::VerifyCodeError::Mismatch) => {
            GraphError::new(
                400,
                kind::GRAPH_METHOD,
                code::INVALID_PARAMETER,
                e.to_string(),
            )
            .with_user_message(
                "Verification Failed",
                "The verification code you entered is invalid or has expired",
            )
            .into()
        }
        other => {
            GraphError::new(400, kind::OAUTH, code::INVALID_PARAMETER, other.to_string()).into()
        }
    }
}

/// `POST /{phone-number-id}/request_code`: `code_method` (`SMS` or `VOICE`) and `language`
/// (`en_US`). The code goes to the event log (`phone_number.code_requested`).
pub async fn request_code(c: Ctx<'_>, phone: &PhoneNumber, waba: &Waba) -> ApiResult {
    let req = c.req;
    let method = req.params.str("code_method");
    let language = req.params.str("language");
    uc::request_code(c.state, phone, method.as_deref(), language.as_deref())
        .await
        .map_err(refused)?;
    Ok(Reply::success().about(waba.id))
}

/// `POST /{phone-number-id}/verify_code`: `code` (six digits) → `{"success": true, "id"}`; the
/// number's `code_verification_status` then reads `VERIFIED`.
pub async fn verify_code(c: Ctx<'_>, phone: &PhoneNumber, waba: &Waba) -> ApiResult {
    let code = c.req.params.str("code").unwrap_or_default();
    uc::verify_code(c.state, phone, &code)
        .await
        .map_err(refused)?;
    Ok(Reply::json(json!({ "success": true, "id": phone.id.to_string() })).about(waba.id))
}

/// The number's profile as a node; unset fields have no value.
fn profile_node(phone: &PhoneNumber) -> Node {
    let profile = &phone.life.profile;
    Node::of(&catalogue::BUSINESS_PROFILE)
        .value("messaging_product", "whatsapp")
        .maybe("about", profile.about.clone())
        .maybe("address", profile.address.clone())
        .maybe("description", profile.description.clone())
        .maybe("email", profile.email.clone())
        .maybe("profile_picture_url", profile.profile_picture_url.clone())
        .maybe(
            "websites",
            (!profile.websites.is_empty()).then(|| json!(profile.websites)),
        )
        .maybe("vertical", profile.vertical.clone())
}

/// `GET /{phone-number-id}/whatsapp_business_profile`: `{"data": [{...}]}` with the fields
/// asked (`fields=`; all of them by default). Unset fields are left out, as Graph does.
pub async fn get_profile(c: Ctx<'_>, phone: &PhoneNumber, waba: &Waba) -> ApiResult {
    let sel = c.req.params.fields()?;
    let profile = profile_node(phone).project(sel.as_ref())?;
    Ok(Reply::json(json!({ "data": [profile] })).about(waba.id))
}

fn text(req: &GraphRequest, name: &str) -> Result<Option<String>, GraphError> {
    match req.params.get(name) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(GraphError::invalid_parameter(format!(
            "Invalid parameter: {name} must be a string"
        ))),
    }
}

/// `POST /{phone-number-id}/whatsapp_business_profile`: `messaging_product=whatsapp` and any of
/// `about`, `address`, `description`, `email`, `websites`, `vertical`,
/// `profile_picture_handle`, checked under Meta's rules; nothing changes on a refusal.
pub async fn update_profile(c: Ctx<'_>, phone: &PhoneNumber, waba: &Waba) -> ApiResult {
    let req = c.req;
    if req.params.str("messaging_product").as_deref() != Some("whatsapp") {
        return Err(GraphError::invalid_parameter("Invalid parameter")
            .with_details("messaging_product is required and must be \"whatsapp\".")
            .into());
    }
    let update = ProfileUpdate {
        about: text(req, "about")?,
        address: text(req, "address")?,
        description: text(req, "description")?,
        email: text(req, "email")?,
        profile_picture_handle: text(req, "profile_picture_handle")?,
        // An empty list (or `[]`) clears the websites.
        websites: if req.params.has("websites") {
            Some(req.params.list("websites").unwrap_or_default())
        } else {
            None
        },
        vertical: text(req, "vertical")?,
    };
    uc::update_profile(c.state, phone, update, PICTURE_BASE)
        .await
        .map_err(refused)?;
    Ok(Reply::success().about(waba.id))
}

fn switch(s: Switch) -> &'static str {
    match s {
        Switch::Enabled => "enabled",
        Switch::Disabled => "disabled",
    }
}

/// `GET /{phone-number-id}/settings`: calling, payload encryption, storage configuration and
/// user identity change, as last set (calling off and default storage until then).
pub async fn get_settings(c: Ctx<'_>, phone: &PhoneNumber, waba: &Waba) -> ApiResult {
    let _ = c;
    let s = &phone.life.settings;
    let mut calling = json!({
        "status": switch(s.calling.status),
        "call_icon_visibility": s.calling.call_icon_visibility,
        // wamm places no calls, so no media servers are announced.
        "ip_addresses": { "default": [] },
        "callback_permission_status": switch(s.calling.callback_permission_status),
    });
    if let Some(v) = s.calling.video {
        calling["video"] = json!({ "status": switch(v) });
    }
    if let Some(v) = s.calling.sip {
        calling["sip"] = json!({ "status": switch(v), "servers": [] });
    }
    if let Some(p) = &s.calling.srtp_key_exchange_protocol {
        calling["srtp_key_exchange_protocol"] = json!(p);
    }
    let payload_encryption = match &s.payload_encryption_fingerprint {
        Some(fp) => json!({ "status": "enabled", "client_encryption_key_fingerprint": fp }),
        None => json!({ "status": "disabled" }),
    };
    let storage = match &s.storage_region {
        Some(region) => {
            json!({ "status": "in_country_storage_enabled", "data_localization_region": region })
        }
        None => json!({ "status": "default" }),
    };
    Ok(Reply::json(json!({
        "calling": calling,
        "payload_encryption": payload_encryption,
        "storage_configuration": storage,
        "user_identity_change": { "enabled": s.user_identity_change },
    }))
    .about(waba.id))
}

/// `POST /{phone-number-id}/settings`: exactly one of `calling`, `user_identity_change`,
/// `payload_encryption`, `storage_configuration` (a JSON object), as the spec requires.
pub async fn update_settings(c: Ctx<'_>, phone: &PhoneNumber, waba: &Waba) -> ApiResult {
    let req = c.req;
    let given: Vec<&str> = wamm_domain::numbers::SETTING_FEATURES
        .into_iter()
        .filter(|f| req.params.has(f))
        .collect();
    let [feature] = given.as_slice() else {
        return Err(GraphError::invalid_parameter(
            "Invalid parameter: exactly one feature setting can be specified per request",
        )
        .with_details(format!(
            "Send one of {}.",
            wamm_domain::numbers::SETTING_FEATURES.join(", ")
        ))
        .into());
    };
    let value = req.params.json(feature)?.unwrap_or(Value::Null);
    uc::update_settings(c.state, phone, feature, &value)
        .await
        .map_err(refused)?;
    Ok(Reply::success().about(waba.id))
}

#[cfg(test)]
mod tests {
    use wamm_domain::{QualityRating, ThroughputLevel};
    use wamm_wire::ids::{PhoneNumberId, WabaId};

    use super::*;

    #[test]
    fn profile_builder_agrees_with_the_catalogue() {
        let phone = PhoneNumber {
            id: PhoneNumberId::new(4001),
            waba_id: WabaId::new(3001),
            display_phone_number: "+1 555-010-0101".into(),
            verified_name: "A".into(),
            registered: true,
            throughput: ThroughputLevel::Standard,
            coexistence: false,
            quality_rating: QualityRating::Green,
            life: Default::default(),
        };
        catalogue::assert_builder_agrees(&profile_node(&phone));
    }
}
