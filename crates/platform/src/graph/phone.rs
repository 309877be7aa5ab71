//! `/{phone-number-id}` and `/{waba-id}/phone_numbers`.

use serde_json::json;
use wamm_domain::{PhoneNumber, Waba};
use wamm_wire::GraphError;

use super::catalogue;
use super::lists::{id_key, page};
use super::render::{Node, enum_text};
use super::reply::{ApiResult, Reply};
use super::routes::Ctx;
use crate::usecase::registration;

fn build(phone: &PhoneNumber, defaults: &'static [&'static str]) -> Node {
    Node::new(catalogue::PHONE.name, defaults)
        .value("id", phone.id.to_string())
        .value("display_phone_number", phone.display_phone_number.clone())
        .value("verified_name", phone.verified_name.clone())
        .value("quality_rating", enum_text(phone.quality_rating))
        .value(
            "code_verification_status",
            // A registered number proved its ownership at signup; any other one once
            // `verify_code` accepted its code.
            if phone.registered || phone.life.code_verified {
                "VERIFIED"
            } else {
                "NOT_VERIFIED"
            },
        )
        .value("name_status", "APPROVED")
        .value(
            "status",
            if phone.registered {
                "CONNECTED"
            } else {
                "PENDING"
            },
        )
        .value(
            "platform_type",
            if phone.registered {
                "CLOUD_API"
            } else {
                "NOT_APPLICABLE"
            },
        )
        .value(
            "throughput",
            json!({ "level": serde_json::to_value(phone.throughput).unwrap_or_default() }),
        )
        .value("is_on_biz_app", phone.coexistence)
        .value("account_mode", "LIVE")
        .value("is_official_business_account", false)
}

/// The phone number node as list edges render it.
pub fn node(phone: &PhoneNumber) -> Node {
    build(phone, catalogue::PHONE_LIST_DEFAULTS)
}

/// `POST /{phone-number-id}/register`: registers the number on Cloud API with a six-digit
/// two-step verification PIN (`{"messaging_product": "whatsapp", "pin": "123456"}`), after
/// which it can send. Registering a registered number again succeeds, as on Meta.
pub async fn register(c: Ctx<'_>, phone: &PhoneNumber, waba: &Waba) -> ApiResult {
    let Ctx { state, req, caller } = c;
    if req.params.str("messaging_product").as_deref() != Some("whatsapp") {
        return Err(GraphError::invalid_parameter("Invalid parameter")
            .with_details("messaging_product is required and must be \"whatsapp\".")
            .into());
    }
    let pin = req.params.str("pin").unwrap_or_default();
    if pin.len() != 6 || !pin.bytes().all(|b| b.is_ascii_digit()) {
        return Err(GraphError::invalid_parameter("Invalid parameter")
            .with_details("pin must be the number's six-digit two-step verification PIN.")
            .into());
    }
    registration::register(state, caller.app.id, waba, phone).await?;
    Ok(Reply::json(json!({ "success": true })).about(waba.id))
}

/// `POST /{phone-number-id}/deregister`: takes the number off Cloud API; it sends nothing until
/// it is registered again.
pub async fn deregister(c: Ctx<'_>, phone: &PhoneNumber, waba: &Waba) -> ApiResult {
    let Ctx { state, caller, .. } = c;
    registration::deregister(state, caller.app.id, waba, phone).await?;
    Ok(Reply::json(json!({ "success": true })).about(waba.id))
}

/// `GET /{phone-number-id}`.
pub async fn get(c: Ctx<'_>, phone: &PhoneNumber, waba: &Waba) -> ApiResult {
    let req = c.req;
    let sel = req.params.fields()?;
    Ok(Reply::json(build(phone, catalogue::PHONE.defaults).project(sel.as_ref())?).about(waba.id))
}

/// `GET /{waba-id}/phone_numbers`.
pub async fn list(c: Ctx<'_>, waba: &Waba) -> ApiResult {
    let Ctx { state, req, .. } = c;
    let nodes = state
        .store
        .phone_numbers_of(waba.id)
        .await?
        .iter()
        .map(|p| (id_key(p.id.get()), node(p)))
        .collect();
    Ok(Reply::json(page(req, nodes, &req.params.filtering()?)?).about(waba.id))
}

#[cfg(test)]
mod tests {
    use wamm_domain::{QualityRating, ThroughputLevel};
    use wamm_wire::ids::{PhoneNumberId, WabaId};

    use super::*;

    #[test]
    fn builder_agrees_with_the_catalogue() {
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
        catalogue::assert_builder_agrees(&node(&phone));
    }
}
