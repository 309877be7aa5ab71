//! Onboarding: the Intent API answer, MM API status fields of WABAs and business portfolios,
//! and the `filtering` clauses of `client_whatsapp_business_accounts`.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use wamm_wire::ids::{BusinessId, RequestId, WabaId};

use super::{lenient, open_enum, string_or_number};

/// The answer of `POST /{end-business-id}/onboard_partners_to_mm_lite`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OnboardResponse {
    /// The business agreement request, new or the pending one already on file.
    pub request_id: RequestId,
}

open_enum!(
    /// A WABA's `marketing_messages_onboarding_status`.
    OnboardingStatus {
        /// The WABA uses the deprecated on-behalf-of model.
        IneligibleOnBehalfOfWaba => "INELIGIBLE_ON_BEHALF_OF_WABA",
        /// The WABA is inactive or restricted by policy enforcement.
        IneligibleInactiveOrRestricted => "INELIGIBLE_INACTIVE_OR_RESTRICTED",
        /// The WABA's region is not supported.
        IneligibleCountryNotSupported => "INELIGIBLE_COUNTRY_NOT_SUPPORTED",
        /// The number is in use with the WhatsApp Business app.
        IneligibleUsingWhatsappBusinessApp => "INELIGIBLE_USING_WHATSAPP_BUSINESS_APP",
        /// The WABA can be onboarded.
        Eligible => "ELIGIBLE",
        /// A valid payment method is missing.
        PendingValidPaymentMethod => "PENDING_VALID_PAYMENT_METHOD",
        /// Terms signed; Meta is setting the WABA up.
        PendingInternalSetup => "PENDING_INTERNAL_SETUP",
        /// Ready to send through the MM API.
        Onboarded => "ONBOARDED",
    }
);

impl OnboardingStatus {
    /// Whether the status is one of the `INELIGIBLE_*` values.
    pub fn is_ineligible(&self) -> bool {
        self.as_str().starts_with("INELIGIBLE")
    }
}

open_enum!(
    /// The MM API terms status of a business portfolio.
    TermsStatus {
        /// The terms are signed.
        TermOfServiceSigned => "TERM_OF_SERVICE_SIGNED",
        /// An Intent API request is pending.
        RequestSent => "REQUEST_SENT",
        /// Nothing has happened yet.
        NotStarted => "NOT_STARTED",
    }
);

/// A business portfolio's `marketing_messages_onboarding_status`: `{status, time}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TermsStatusInfo {
    /// The status.
    #[serde(default, deserialize_with = "lenient")]
    pub status: Option<TermsStatus>,
    /// The date of the last change, `YYYY-MM-DD`.
    #[serde(
        default,
        deserialize_with = "lenient",
        skip_serializing_if = "Option::is_none"
    )]
    pub time: Option<String>,
}

/// A business portfolio, as `GET /{business-id}` or a WABA's `owner_business_info` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Business {
    /// The portfolio.
    pub id: BusinessId,
    /// Its name.
    #[serde(
        default,
        deserialize_with = "lenient",
        skip_serializing_if = "Option::is_none"
    )]
    pub name: Option<String>,
    /// Its MM API terms status (needs `business_management`).
    #[serde(
        default,
        deserialize_with = "lenient",
        skip_serializing_if = "Option::is_none"
    )]
    pub marketing_messages_onboarding_status: Option<TermsStatusInfo>,
}

impl Business {
    /// The terms status, if the answer carried one.
    pub fn terms_status(&self) -> Option<&TermsStatus> {
        self.marketing_messages_onboarding_status
            .as_ref()
            .and_then(|s| s.status.as_ref())
    }
}

/// A WhatsApp Business Account with the fields the MM API flow reads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Waba {
    /// The WABA.
    pub id: WabaId,
    /// Its name.
    #[serde(
        default,
        deserialize_with = "lenient",
        skip_serializing_if = "Option::is_none"
    )]
    pub name: Option<String>,
    /// Its time zone ID.
    #[serde(
        default,
        deserialize_with = "string_or_number",
        skip_serializing_if = "Option::is_none"
    )]
    pub timezone_id: Option<String>,
    /// Its template namespace.
    #[serde(
        default,
        deserialize_with = "lenient",
        skip_serializing_if = "Option::is_none"
    )]
    pub message_template_namespace: Option<String>,
    /// Its currency.
    #[serde(
        default,
        deserialize_with = "lenient",
        skip_serializing_if = "Option::is_none"
    )]
    pub currency: Option<String>,
    /// The MM API onboarding status.
    #[serde(
        default,
        deserialize_with = "lenient",
        skip_serializing_if = "Option::is_none"
    )]
    pub marketing_messages_onboarding_status: Option<OnboardingStatus>,
    /// The deprecated MM Lite status (`INELIGIBLE`, `ELIGIBLE`, `ONBOARDED`, `UNKNOWN`).
    #[serde(
        default,
        deserialize_with = "lenient",
        skip_serializing_if = "Option::is_none"
    )]
    pub marketing_messages_lite_api_status: Option<String>,
    /// The owner portfolio, with its terms status.
    #[serde(
        default,
        deserialize_with = "lenient",
        skip_serializing_if = "Option::is_none"
    )]
    pub owner_business_info: Option<Business>,
    /// For an on-behalf-of WABA, the client it is operated for.
    #[serde(
        default,
        deserialize_with = "lenient",
        skip_serializing_if = "Option::is_none"
    )]
    pub on_behalf_of_business_info: Option<Business>,
    /// `SELF_OWNED`, `CLIENT_OWNED`, `AGENCY_OWNED`…
    #[serde(
        default,
        deserialize_with = "lenient",
        skip_serializing_if = "Option::is_none"
    )]
    pub ownership_type: Option<String>,
    /// `APPROVED`, `PENDING`, `REJECTED`.
    #[serde(
        default,
        deserialize_with = "lenient",
        skip_serializing_if = "Option::is_none"
    )]
    pub account_review_status: Option<String>,
    /// The WABA's numbers, when the `fields` expanded the edge (`phone_numbers{id,…}`): one
    /// call for a page of WABAs and their numbers.
    #[serde(
        default,
        deserialize_with = "lenient",
        skip_serializing_if = "Option::is_none"
    )]
    pub phone_numbers: Option<PhoneNumbers>,
}

/// An expanded `phone_numbers` edge: its first page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PhoneNumbers {
    /// The numbers.
    #[serde(default, deserialize_with = "super::lenient_list")]
    pub data: Vec<super::PhoneNumber>,
}

/// Operators of a `filtering` clause: the wire vocabulary the platform parses.
pub use wamm_wire::FilterOperator as FilterOp;

/// One clause of a `filtering=[{"field", "operator", "value"}]` parameter.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FilterClause {
    /// The field compared.
    pub field: String,
    /// The operator.
    pub operator: FilterOp,
    /// A string for the scalar operators, a list for `IN`/`NOT_IN`.
    pub value: Value,
}

impl FilterClause {
    /// `field IN values`.
    pub fn is_in<I, S>(field: impl Into<String>, values: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Self {
            field: field.into(),
            operator: FilterOp::In,
            value: Value::Array(
                values
                    .into_iter()
                    .map(|v| Value::String(v.into()))
                    .collect(),
            ),
        }
    }

    /// `field EQUAL value`.
    pub fn equal(field: impl Into<String>, value: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            operator: FilterOp::Equal,
            value: Value::String(value.into()),
        }
    }

    /// The MM API guide's filter: WABAs whose `marketing_messages_onboarding_status` is one of
    /// `statuses`.
    pub fn onboarding_status_in<'a>(
        statuses: impl IntoIterator<Item = &'a OnboardingStatus>,
    ) -> Self {
        Self::is_in(
            "marketing_messages_onboarding_status",
            statuses.into_iter().map(|s| s.as_str().to_owned()),
        )
    }

    /// The JSON text of a list of clauses, as the `filtering` parameter carries it.
    pub fn to_param(clauses: &[Self]) -> String {
        // Serialising strings and enums into JSON cannot fail.
        serde_json::to_string(clauses).unwrap_or_else(|_| "[]".to_owned())
    }
}

/// Parameters of `GET /{partner-business-id}/client_whatsapp_business_accounts`.
#[derive(Debug, Clone, PartialEq)]
pub struct WabaQuery {
    /// The `fields` selection.
    pub fields: String,
    /// `filtering` clauses; none lists every shared WABA.
    pub filtering: Vec<FilterClause>,
    /// Page size (Graph's default is 25, its maximum 100).
    pub limit: Option<u32>,
}

impl WabaQuery {
    /// The fields [`Waba`] reads.
    pub const DEFAULT_FIELDS: &'static str = "id,name,timezone_id,message_template_namespace,marketing_messages_onboarding_status,owner_business_info";

    /// Every shared WABA, with the default fields.
    pub fn all() -> Self {
        Self {
            fields: Self::DEFAULT_FIELDS.to_owned(),
            filtering: Vec::new(),
            limit: None,
        }
    }

    /// Shared WABAs whose MM API onboarding status is one of `statuses`.
    pub fn with_status<'a>(statuses: impl IntoIterator<Item = &'a OnboardingStatus>) -> Self {
        Self::all().filter(FilterClause::onboarding_status_in(statuses))
    }

    /// Adds a filtering clause.
    #[must_use]
    pub fn filter(mut self, clause: FilterClause) -> Self {
        self.filtering.push(clause);
        self
    }

    /// Uses another `fields` selection.
    #[must_use]
    pub fn fields(mut self, fields: impl Into<String>) -> Self {
        self.fields = fields.into();
        self
    }

    /// Sets the page size.
    #[must_use]
    pub fn limit(mut self, limit: u32) -> Self {
        self.limit = Some(limit);
        self
    }

    pub(crate) fn to_query(&self) -> Vec<(String, String)> {
        let mut query = vec![("fields".to_owned(), self.fields.clone())];
        if !self.filtering.is_empty() {
            query.push((
                "filtering".to_owned(),
                FilterClause::to_param(&self.filtering),
            ));
        }
        if let Some(limit) = self.limit {
            query.push(("limit".to_owned(), limit.to_string()));
        }
        query
    }
}

impl Default for WabaQuery {
    fn default() -> Self {
        Self::all()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_filter_is_the_guides_json() {
        let q = WabaQuery::with_status(&[OnboardingStatus::Eligible]).limit(50);
        let query = q.to_query();
        assert_eq!(query[1].0, "filtering");
        let sent: Value = serde_json::from_str(&query[1].1).expect("json");
        assert_eq!(
            sent,
            json!([{"field": "marketing_messages_onboarding_status", "operator": "IN", "value": ["ELIGIBLE"]}])
        );
        assert_eq!(query[2], ("limit".to_owned(), "50".to_owned()));
        assert_eq!(WabaQuery::all().to_query().len(), 1);
    }

    #[test]
    fn a_waba_with_its_owner_status_decodes() {
        let w: Waba = serde_json::from_value(json!({
            "id": "25002526842541",
            "name": "Bakery",
            "timezone_id": 1,
            "marketing_messages_onboarding_status": "PENDING_INTERNAL_SETUP",
            "owner_business_info": {
                "id": "2729063490586005",
                "name": "Bakery Ltd",
                "marketing_messages_onboarding_status": {"status": "TERM_OF_SERVICE_SIGNED", "time": "2025-10-07"}
            },
            "something_new": {"x": 1}
        }))
        .expect("decodes");
        assert_eq!(w.id, WabaId::new(25_002_526_842_541));
        assert_eq!(w.timezone_id.as_deref(), Some("1"));
        assert_eq!(
            w.marketing_messages_onboarding_status,
            Some(OnboardingStatus::PendingInternalSetup)
        );
        let owner = w.owner_business_info.expect("owner");
        assert_eq!(
            owner.terms_status(),
            Some(&TermsStatus::TermOfServiceSigned)
        );
        let odd: Waba = serde_json::from_value(json!({
            "id": 7, "marketing_messages_onboarding_status": "INELIGIBLE_NEW_REASON", "owner_business_info": "hidden"
        }))
        .expect("decodes");
        assert!(
            odd.marketing_messages_onboarding_status
                .is_some_and(|s| s.is_ineligible() && s.as_str() == "INELIGIBLE_NEW_REASON")
        );
        assert!(odd.owner_business_info.is_none());
    }

    #[test]
    fn intent_answer() {
        let r: OnboardResponse =
            serde_json::from_str(r#"{"request_id":"893436979557695"}"#).expect("decodes");
        assert_eq!(r.request_id, RequestId::new(893_436_979_557_695));
    }
}
