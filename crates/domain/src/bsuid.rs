//! Business-scoped user IDs (BSUIDs): how a business sees a WhatsApp user.
//!
//! Meta gives every WhatsApp user one ID per business, written as the user's ISO 3166-1
//! alpha-2 country, a dot, and an alphanumeric string (`US.13491208655302741918`); the same
//! user has a different BSUID under another business. The platform derives it from the
//! business and the user's number, so it is stable across restarts and replicas without being
//! stored, and says nothing about the number to a reader.

use wamm_wire::ids::BusinessId;

/// Calling codes and the country Meta would put in front of the BSUID of a number under them.
/// Shared codes name their largest country (`1` is the US, `7` Russia). Looked up longest
/// prefix first; calling codes are prefix-free, so at most one length matches.
const CALLING_CODES: &[(&str, &str)] = &[
    ("1", "US"),
    ("7", "RU"),
    ("20", "EG"),
    ("27", "ZA"),
    ("30", "GR"),
    ("31", "NL"),
    ("32", "BE"),
    ("33", "FR"),
    ("34", "ES"),
    ("36", "HU"),
    ("39", "IT"),
    ("40", "RO"),
    ("41", "CH"),
    ("43", "AT"),
    ("44", "GB"),
    ("45", "DK"),
    ("46", "SE"),
    ("47", "NO"),
    ("48", "PL"),
    ("49", "DE"),
    ("51", "PE"),
    ("52", "MX"),
    ("53", "CU"),
    ("54", "AR"),
    ("55", "BR"),
    ("56", "CL"),
    ("57", "CO"),
    ("58", "VE"),
    ("60", "MY"),
    ("61", "AU"),
    ("62", "ID"),
    ("63", "PH"),
    ("64", "NZ"),
    ("65", "SG"),
    ("66", "TH"),
    ("81", "JP"),
    ("82", "KR"),
    ("84", "VN"),
    ("86", "CN"),
    ("90", "TR"),
    ("91", "IN"),
    ("92", "PK"),
    ("93", "AF"),
    ("94", "LK"),
    ("95", "MM"),
    ("98", "IR"),
    ("212", "MA"),
    ("213", "DZ"),
    ("216", "TN"),
    ("233", "GH"),
    ("234", "NG"),
    ("254", "KE"),
    ("255", "TZ"),
    ("256", "UG"),
    ("351", "PT"),
    ("352", "LU"),
    ("353", "IE"),
    ("354", "IS"),
    ("358", "FI"),
    ("370", "LT"),
    ("371", "LV"),
    ("372", "EE"),
    ("380", "UA"),
    ("420", "CZ"),
    ("421", "SK"),
    ("852", "HK"),
    ("880", "BD"),
    ("886", "TW"),
    ("961", "LB"),
    ("962", "JO"),
    ("965", "KW"),
    ("966", "SA"),
    ("971", "AE"),
    ("972", "IL"),
    ("974", "QA"),
];

/// The country of a number under no calling code in the table: ISO 3166-1's user-assigned
/// "unknown", so the ID keeps Meta's shape.
const UNKNOWN_COUNTRY: &str = "ZZ";

/// The country part of a BSUID for `wa_id` (digits): the country of its calling code.
pub fn country_of(wa_id: &str) -> &'static str {
    (1..=3)
        .rev()
        .filter_map(|len| wa_id.get(..len))
        .find_map(|prefix| {
            CALLING_CODES
                .iter()
                .find(|(code, _)| *code == prefix)
                .map(|(_, country)| *country)
        })
        .unwrap_or(UNKNOWN_COUNTRY)
}

/// The calling code `wa_id` (digits) starts with, when the platform knows it.
pub fn calling_code(wa_id: &str) -> Option<&'static str> {
    (1..=3)
        .rev()
        .filter_map(|len| wa_id.get(..len))
        .find_map(|prefix| {
            CALLING_CODES
                .iter()
                .find(|(code, _)| *code == prefix)
                .map(|(code, _)| *code)
        })
}

/// The BSUID of the user with number `wa_id` under `business`: the country of the number,
/// a dot, and 20 digits hashed from the business and the number.
pub fn bsuid(business: BusinessId, wa_id: &str) -> String {
    // FNV-1a over "business:number": stable across builds and platforms, which `std`'s
    // hasher does not promise. The ID needs to be stable and distinct, not secret.
    let hash = format!("{}:{wa_id}", business.get())
        .bytes()
        .fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        });
    format!("{}.{hash:020}", country_of(wa_id))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const fn business(id: u64) -> BusinessId {
        BusinessId::new(id)
    }

    #[test]
    fn countries_come_from_the_calling_code() {
        assert_eq!(country_of("16505551234"), "US");
        assert_eq!(country_of("447700900123"), "GB");
        assert_eq!(country_of("919876543210"), "IN");
        assert_eq!(country_of("5511987654321"), "BR");
        assert_eq!(country_of("353861234567"), "IE");
        assert_eq!(country_of("971501234567"), "AE");
        assert_eq!(country_of("79161234567"), "RU");
        assert_eq!(country_of("2991234"), "ZZ");
        assert_eq!(country_of(""), "ZZ");
    }

    #[test]
    fn the_table_is_prefix_free() {
        for (a, _) in CALLING_CODES {
            for (b, _) in CALLING_CODES {
                assert!(a == b || !b.starts_with(a), "{a} is a prefix of {b}");
            }
        }
    }

    #[test]
    fn ids_have_meta_shape_and_are_scoped_to_the_business() {
        let id = bsuid(business(1001), "16505551234");
        let (country, rest) = id.split_once('.').expect("a dot");
        assert_eq!(country, "US");
        assert_eq!(rest.len(), 20);
        assert!(rest.bytes().all(|b| b.is_ascii_digit()));
        assert_eq!(id, bsuid(business(1001), "16505551234"));
        assert_ne!(id, bsuid(business(1002), "16505551234"));
        assert_ne!(id, bsuid(business(1001), "16505551235"));
    }

    proptest! {
        #[test]
        fn any_number_gets_a_well_formed_id(b in 1u64..u64::MAX, wa_id in "[0-9]{0,16}") {
            let id = bsuid(business(b), &wa_id);
            let (country, rest) = id.split_once('.').expect("a dot");
            prop_assert_eq!(country.len(), 2);
            prop_assert!(country.bytes().all(|c| c.is_ascii_uppercase()));
            prop_assert_eq!(rest.len(), 20);
            prop_assert!(rest.bytes().all(|c| c.is_ascii_alphanumeric()));
        }
    }
}
