//! New client assets at run time: a WABA (with its first phone number) added to a business
//! portfolio, by Embedded Signup or through the control API.
//!
//! A WABA that joins a portfolio whose MM API terms are already signed starts its own setup
//! at once and, when the setup completes, gets its own `MM_LITE_TERMS_SIGNED` webhook.

use serde_json::json;
use wamm_domain::country::Country;
use wamm_domain::{
    Business, NewEvent, PartnerAccess, PhoneNumber, QualityRating, ThroughputLevel, Timestamp,
    Waba, WabaPartner, WabaStatus,
};
use wamm_store::{ChangeSet, Put, StoreError};
use wamm_wire::ids::{BusinessId, PhoneNumberId, WabaId};
use wamm_world::Mint;

use crate::context::Platform;

/// What a new WABA looks like.
#[derive(Debug, Clone)]
pub struct WabaSpec {
    /// Name.
    pub name: String,
    /// Tax country; the business's country when absent.
    pub tax_country: Option<Country>,
    /// Billing currency.
    pub currency: String,
    /// Whether a valid payment method is on file.
    pub payment_method: bool,
    /// A partner the WABA is shared with.
    pub shared_with: Option<BusinessId>,
}

impl WabaSpec {
    /// A WABA named `name`, billed in USD with a payment method, shared with nobody.
    pub fn named(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            tax_country: None,
            currency: "USD".into(),
            payment_method: true,
            shared_with: None,
        }
    }
}

/// What a new phone number looks like.
#[derive(Debug, Clone)]
pub struct PhoneSpec {
    /// Display form, e.g. `+1 555-010-0199`.
    pub display_phone_number: String,
    /// Display name.
    pub verified_name: String,
    /// A WhatsApp Business app number connected to Cloud API (coexistence): it is registered
    /// already and keeps its app.
    pub coexistence: bool,
}

/// The objects a [`add_waba`] created, with the changes that create them.
#[derive(Debug)]
pub struct Added {
    /// The writes, events and setup to commit.
    pub changes: ChangeSet,
    /// The new WABA.
    pub waba: WabaId,
    /// The new phone number, if one was asked for.
    pub phone_number: Option<PhoneNumberId>,
}

/// Builds a new WABA (and phone number) of `business` at `now`; when the business has signed
/// the MM API terms, the WABA's own setup starts in the same changes.
pub async fn add_waba(
    state: &Platform,
    business: &Business,
    spec: WabaSpec,
    phone: Option<PhoneSpec>,
    now: Timestamp,
) -> Result<Added, StoreError> {
    // The WABA, its namespace and a phone number (setup reserves its own).
    let mut block = state.minter.block(3).await?;
    let waba = Waba {
        id: WabaId::new(block.next_id()),
        name: spec.name,
        owner_business_id: business.id,
        tax_country: spec.tax_country.unwrap_or(business.country),
        status: WabaStatus::Active,
        currency: spec.currency,
        timezone_id: "1".into(),
        message_template_namespace: wamm_world::namespace(&mut block),
        payment_method: spec.payment_method,
        partners: spec
            .shared_with
            .map(|partner| WabaPartner {
                business_id: partner,
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
        created_at: now,
    };
    let mut changes = ChangeSet::new().event(NewEvent {
        at: now,
        kind: "waba.created".into(),
        subject: format!("waba:{}", waba.id),
        detail: json!({
            "owner_business_id": business.id.to_string(),
            "shared_with": spec.shared_with.map(|b| b.to_string()),
        }),
    });
    let phone_number = phone.map(|p| {
        let number = new_phone(&mut block, waba.id, p);
        let id = number.id;
        changes.puts.push(Put::PhoneNumber(number));
        id
    });
    let id = waba.id;
    let written = crate::usecase::setup::put_waba(
        state,
        waba,
        business,
        now,
        "added to a portfolio whose terms are signed",
    )
    .await?;
    Ok(Added {
        changes: changes.merge(written),
        waba: id,
        phone_number,
    })
}

/// A new phone number on `waba`. A coexistence number is registered already: it keeps
/// working in the WhatsApp Business app, and Cloud API registration is skipped.
pub fn new_phone(mint: &mut impl Mint, waba: WabaId, spec: PhoneSpec) -> PhoneNumber {
    PhoneNumber {
        id: PhoneNumberId::new(mint.next_id()),
        waba_id: waba,
        display_phone_number: spec.display_phone_number,
        verified_name: spec.verified_name,
        registered: spec.coexistence,
        throughput: ThroughputLevel::Standard,
        coexistence: spec.coexistence,
        quality_rating: QualityRating::Unknown,
        life: Default::default(),
    }
}
