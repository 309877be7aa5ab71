//! Typed request and response bodies of the Graph calls a partner makes.
//!
//! Decoding is lenient on purpose: Meta adds fields and enum values without a version bump
//! (new pricing categories broke strict parsers before), so unknown fields are ignored, unknown
//! enum values are kept verbatim in an `Other` variant, and optional members that arrive in an
//! unexpected form are read as absent instead of failing the whole answer. Members a partner
//! cannot do without (an object's `id`, a message ID, a token) stay required.
//!
//! Requests serialise to exactly what Meta documents, with optional members left out rather
//! than sent as `null`.

mod accounts;
mod conversions;
mod insights;
mod messages;
mod metrics;
mod onboarding;
mod tokens;

pub use accounts::{
    CreatedTemplate, MessageTemplate, NewTemplate, PhoneNumber, QualityRating, RegisterRequest,
    SubscribeRequest, SubscribeResponse, SubscribedApp, SubscribedAppData, TemplateCategory,
    TemplateStatus, Throughput,
};
pub use conversions::{
    ActionSource, AppData, CustomData, Dataset, EventsReceived, ServerEvent, UserData, fbc,
};
pub use insights::{
    AdAccount, AdObject, InsightsQuery, InsightsRange, InsightsRow, MarketingMessagesSettings,
    ReportRun,
};
pub use messages::{
    Language, MessageStatus, ProductPolicy, SendRequest, SendResponse, SendTemplate, SentContact,
    SentMessage, TemplateComponent, TextBody,
};
pub use metrics::{
    ButtonClicks, CostItem, PricingAnalyticsQuery, PricingDataPoint, Product, TemplateAnalytics,
    TemplateAnalyticsQuery, TemplateDataPoint,
};
pub use onboarding::{
    Business, FilterClause, FilterOp, OnboardResponse, OnboardingStatus, PhoneNumbers, TermsStatus,
    TermsStatusInfo, Waba, WabaQuery,
};
pub use tokens::{
    AccessToken, GranularScope, SystemUserTokenRequest, TokenInfo, TokenInfoError, TokenType, scope,
};

pub(crate) use tokens::DebugTokenEnvelope;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};
use serde_json::Value;

/// `{"success": true}`, the answer of Graph's write-only calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, serde::Serialize)]
pub struct Success {
    /// Whether Graph did what was asked.
    #[serde(default)]
    pub success: bool,
}

/// Reads an optional member, treating a value of the wrong shape as absent: one odd member
/// should not cost the caller the rest of the answer.
pub(crate) fn lenient<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: DeserializeOwned,
{
    let value = Option::<Value>::deserialize(d)?;
    Ok(value.and_then(|v| serde_json::from_value(v).ok()))
}

/// Reads an optional string that Graph sometimes sends as a number (`timezone_id`).
pub(crate) fn string_or_number<'de, D>(d: D) -> Result<Option<String>, D::Error>
where
    D: Deserializer<'de>,
{
    Ok(match Option::<Value>::deserialize(d)? {
        Some(Value::String(s)) => Some(s),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    })
}

/// Reads a list, treating `null` or a non-list as empty and skipping items that do not decode.
pub(crate) fn lenient_list<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: DeserializeOwned,
{
    Ok(match Option::<Value>::deserialize(d)? {
        Some(Value::Array(items)) => items
            .into_iter()
            .filter_map(|v| serde_json::from_value(v).ok())
            .collect(),
        _ => Vec::new(),
    })
}

/// Defines a string enum of Graph values that keeps values it does not know in `Other`.
macro_rules! open_enum {
    (
        $(#[$meta:meta])*
        $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident => $text:literal, )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )+
            /// A value this client does not know, kept verbatim.
            Other(String),
        }

        impl $name {
            /// The value as Graph spells it.
            pub fn as_str(&self) -> &str {
                match self {
                    $( Self::$variant => $text, )+
                    Self::Other(text) => text,
                }
            }
        }

        impl From<&str> for $name {
            fn from(text: &str) -> Self {
                match text {
                    $( $text => Self::$variant, )+
                    other => Self::Other(other.to_owned()),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                // Anything that is not a string is kept as its JSON text, never refused.
                Ok(match serde_json::Value::deserialize(d)? {
                    serde_json::Value::String(text) => Self::from(text.as_str()),
                    other => Self::Other(other.to_string()),
                })
            }
        }
    };
}

pub(crate) use open_enum;

#[cfg(test)]
mod tests {
    use super::*;

    open_enum!(
        /// A test enum.
        Colour {
            /// Red.
            Red => "RED",
            /// Green.
            Green => "GREEN",
        }
    );

    #[test]
    fn open_enums_round_trip_and_keep_unknown_values() {
        let parsed: Vec<Colour> =
            serde_json::from_str(r#"["RED","GREEN","PLAID",7]"#).expect("parses");
        assert_eq!(
            parsed,
            [
                Colour::Red,
                Colour::Green,
                Colour::Other("PLAID".into()),
                Colour::Other("7".into())
            ]
        );
        assert_eq!(
            serde_json::to_string(&parsed).expect("serialises"),
            r#"["RED","GREEN","PLAID","7"]"#
        );
        assert_eq!(Colour::Green.to_string(), "GREEN");
    }

    #[derive(Deserialize)]
    struct Sample {
        #[serde(default, deserialize_with = "lenient")]
        when: Option<i64>,
        #[serde(default, deserialize_with = "string_or_number")]
        tz: Option<String>,
        #[serde(default, deserialize_with = "lenient_list")]
        items: Vec<u8>,
    }

    #[test]
    fn lenient_members() {
        let s: Sample =
            serde_json::from_str(r#"{"when":"soon","tz":7,"items":[1,"x",2]}"#).expect("parses");
        assert_eq!(s.when, None);
        assert_eq!(s.tz.as_deref(), Some("7"));
        assert_eq!(s.items, [1, 2]);
        let empty: Sample = serde_json::from_str(r#"{"items":null}"#).expect("parses");
        assert!(empty.items.is_empty() && empty.when.is_none() && empty.tz.is_none());
    }
}
