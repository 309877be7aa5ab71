//! Country codes and the MM API country rules.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// An ISO 3166-1 alpha-2 country code, upper case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Country([u8; 2]);

/// Text that is not a two-letter country code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{0}' is not an ISO 3166-1 alpha-2 country code")]
pub struct BadCountry(pub String);

impl Country {
    /// `ZZ`, ISO 3166-1's user-assigned code, for a country nobody knows.
    pub const UNKNOWN: Self = Self(*b"ZZ");

    /// The code as text.
    pub fn as_str(&self) -> &str {
        // Constructed only from ASCII upper-case letters.
        std::str::from_utf8(&self.0).unwrap_or("??")
    }
}

impl FromStr for Country {
    type Err = BadCountry;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.as_bytes() {
            [a, b] if a.is_ascii_alphabetic() && b.is_ascii_alphabetic() => {
                Ok(Self([a.to_ascii_uppercase(), b.to_ascii_uppercase()]))
            }
            _ => Err(BadCountry(s.to_owned())),
        }
    }
}

impl fmt::Display for Country {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Country {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Country {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// Countries where neither a WABA's tax country nor its owner may be for MM API: the sanctioned
/// regions Meta lists (Cuba, Iran, North Korea, Syria; Crimea, Donetsk and Luhansk have no
/// ISO code of their own and are modelled by worlds that need them with a custom list).
pub const DEFAULT_INELIGIBLE: [&str; 4] = ["CU", "IR", "KP", "SY"];

/// The MM API country policy: which tax countries are not allowlisted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CountryPolicy {
    /// Countries refused for MM API.
    pub ineligible: Vec<Country>,
}

impl Default for CountryPolicy {
    fn default() -> Self {
        Self {
            ineligible: DEFAULT_INELIGIBLE
                .iter()
                .filter_map(|c| c.parse().ok())
                .collect(),
        }
    }
}

impl CountryPolicy {
    /// Whether MM API is offered in `country`.
    pub fn allows(&self, country: Country) -> bool {
        !self.ineligible.contains(&country)
    }
}
