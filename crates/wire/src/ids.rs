//! Graph object IDs.
//!
//! Graph IDs are decimal numbers sent as JSON strings. Each kind of object gets its own newtype
//! so that a WABA ID can never be passed where a phone number ID is expected; all of them parse
//! from the same digit strings and serialise back to strings.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Why a string is not a Graph object ID.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{0}' is not a Graph object ID (expected 1 to 20 decimal digits that fit in 64 bits)")]
pub struct IdParseError(pub String);

/// An untyped Graph object ID, as it appears in a path before we know what it names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ObjectId(u64);

impl ObjectId {
    /// Wraps a raw numeric ID.
    pub const fn new(raw: u64) -> Self {
        Self(raw)
    }

    /// The numeric value.
    pub const fn get(self) -> u64 {
        self.0
    }
}

impl FromStr for ObjectId {
    type Err = IdParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        // Graph IDs are digits only: reject signs, spaces and leading '+' that u64 parsing accepts.
        if s.is_empty() || s.len() > 20 || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(IdParseError(s.to_owned()));
        }
        s.parse().map(Self).map_err(|_| IdParseError(s.to_owned()))
    }
}

impl fmt::Display for ObjectId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl Serialize for ObjectId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for ObjectId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Text(String),
            Number(u64),
        }
        match Raw::deserialize(d)? {
            Raw::Number(n) => Ok(Self(n)),
            Raw::Text(t) => t.parse().map_err(serde::de::Error::custom),
        }
    }
}

macro_rules! typed_id {
    ($(#[$doc:meta] $name:ident),+ $(,)?) => {$(
        #[$doc]
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub ObjectId);

        impl $name {
            /// Wraps a raw numeric ID.
            pub const fn new(raw: u64) -> Self {
                Self(ObjectId::new(raw))
            }

            /// The numeric value.
            pub const fn get(self) -> u64 {
                self.0.get()
            }
        }

        impl FromStr for $name {
            type Err = IdParseError;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                s.parse().map(Self)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl From<$name> for ObjectId {
            fn from(id: $name) -> Self {
                id.0
            }
        }
    )+};
}

typed_id!(
    /// A Meta app.
    AppId,
    /// A business portfolio (Business Manager).
    BusinessId,
    /// A person or system user of a business portfolio.
    UserId,
    /// A WhatsApp Business Account.
    WabaId,
    /// A business phone number registered on a WABA.
    PhoneNumberId,
    /// A message template.
    TemplateId,
    /// A Multi-Partner Solution.
    SolutionId,
    /// A business-agreement request (e.g. an MM API onboarding intent).
    RequestId,
    /// A WABA's migration intent to a Multi-Partner Solution (an on-behalf-of request).
    MigrationIntentId,
    /// A Meta Pixel, which is also a dataset (the same ID names both).
    PixelId,
    /// A group of a WABA's message templates (template group analytics).
    TemplateGroupId,
);

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn rejects_what_u64_parsing_would_accept() {
        for bad in [
            "",
            "+12",
            " 12",
            "12 ",
            "-1",
            "1e3",
            "99999999999999999999",
            "v23.0",
        ] {
            assert!(bad.parse::<ObjectId>().is_err(), "{bad:?} must not parse");
        }
    }

    #[test]
    fn serialises_as_string_and_reads_string_or_number() {
        let id = WabaId::new(102_290_129_340_398);
        assert_eq!(
            serde_json::to_string(&id).ok().as_deref(),
            Some("\"102290129340398\"")
        );
        let from_number: WabaId = serde_json::from_str("102290129340398").expect("number form");
        assert_eq!(from_number, id);
    }

    proptest! {
        #[test]
        fn display_parse_roundtrip(raw in any::<u64>()) {
            let id = PhoneNumberId::new(raw);
            prop_assert_eq!(id.to_string().parse::<PhoneNumberId>().ok(), Some(id));
        }
    }
}
