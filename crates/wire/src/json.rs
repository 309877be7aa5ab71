//! JSON bodies as Meta writes them: ASCII only.
//!
//! Meta serializes webhook bodies with every non-ASCII character escaped as `\uXXXX` (lowercase
//! hex; characters outside the Basic Multilingual Plane as a UTF-16 surrogate pair), as Python's
//! `json.dumps(ensure_ascii=True)` does, and signs those bytes. Receivers that check
//! `X-Hub-Signature-256` over a re-serialization of the parsed body (pywa, for one) only agree
//! with a sender that escapes the same way, so anything we sign and send to a receiver goes
//! through [`to_ascii_vec`].

use std::io;

use serde::Serialize;
use serde_json::ser::{CompactFormatter, Formatter, Serializer};

/// A compact formatter that escapes every non-ASCII character as `\uXXXX`, lowercase hex.
///
/// `serde_json` already escapes quotes, backslashes and control characters before handing the
/// rest of a string over as fragments, so only the fragments need rewriting. DEL (`0x7f`) is
/// escaped too: Python treats everything outside space..`~` as needing an escape.
#[derive(Debug, Clone, Copy, Default)]
pub struct AsciiFormatter;

impl Formatter for AsciiFormatter {
    fn write_string_fragment<W>(&mut self, writer: &mut W, fragment: &str) -> io::Result<()>
    where
        W: ?Sized + io::Write,
    {
        let mut start = 0;
        for (at, ch) in fragment.char_indices() {
            if ch.is_ascii() && ch != '\u{7f}' {
                continue;
            }
            writer.write_all(&fragment.as_bytes()[start..at])?;
            let mut units = [0u16; 2];
            for unit in ch.encode_utf16(&mut units) {
                write!(writer, "\\u{unit:04x}")?;
            }
            start = at + ch.len_utf8();
        }
        writer.write_all(&fragment.as_bytes()[start..])
    }

    // The remaining methods keep `CompactFormatter`'s output: no whitespace between tokens.
    fn begin_array_value<W>(&mut self, writer: &mut W, first: bool) -> io::Result<()>
    where
        W: ?Sized + io::Write,
    {
        CompactFormatter.begin_array_value(writer, first)
    }

    fn begin_object_key<W>(&mut self, writer: &mut W, first: bool) -> io::Result<()>
    where
        W: ?Sized + io::Write,
    {
        CompactFormatter.begin_object_key(writer, first)
    }

    fn begin_object_value<W>(&mut self, writer: &mut W) -> io::Result<()>
    where
        W: ?Sized + io::Write,
    {
        CompactFormatter.begin_object_value(writer)
    }
}

/// Serializes `value` to compact JSON with every non-ASCII character escaped; the result is
/// pure ASCII and parses back to the same value.
pub fn to_ascii_vec<T: ?Sized + Serialize>(value: &T) -> serde_json::Result<Vec<u8>> {
    let mut out = Vec::with_capacity(128);
    let mut serializer = Serializer::with_formatter(&mut out, AsciiFormatter);
    value.serialize(&mut serializer)?;
    Ok(out)
}

/// The text of a unit enum as serde writes it (`APPROVED`, `advanced`, …); empty for a value
/// that does not serialize to a string.
pub fn enum_text<T: Serialize>(v: T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::{Value, json};

    fn ascii(value: &Value) -> String {
        String::from_utf8(to_ascii_vec(value).expect("serializes")).expect("ASCII is UTF-8")
    }

    #[test]
    fn escapes_like_python_ensure_ascii() {
        // Expected strings are what `json.dumps(s, separators=(",", ":"))` prints.
        let cases = [
            ("plain", r#""plain""#),
            ("café", r#""caf\u00e9""#),
            ("中文", r#""\u4e2d\u6587""#),
            ("😀", r#""\ud83d\ude00""#),
            ("a\"b\\c\nd", r#""a\"b\\c\nd""#),
            ("\u{7f}\u{80}\u{ff}", r#""\u007f\u0080\u00ff""#),
            ("\u{1}\u{1f}\t", r#""\u0001\u001f\t""#),
            ("\u{2028}\u{feff}", r#""\u2028\ufeff""#),
            ("Ωé😀x", r#""\u03a9\u00e9\ud83d\ude00x""#),
            ("\u{10ffff}", r#""\udbff\udfff""#),
        ];
        for (input, expected) in cases {
            assert_eq!(ascii(&json!(input)), expected, "{input:?}");
        }
    }

    #[test]
    fn escapes_keys_and_nested_values_and_stays_compact() {
        let value = json!({ "né": ["é", 1, null, true, { "k": "😀" }] });
        assert_eq!(
            ascii(&value),
            r#"{"n\u00e9":["\u00e9",1,null,true,{"k":"\ud83d\ude00"}]}"#
        );
    }

    #[test]
    fn matches_serde_json_for_ascii_text() {
        let value =
            json!({ "object": "whatsapp_business_account", "entry": [{ "id": "1", "n": 2.5 }] });
        assert_eq!(
            to_ascii_vec(&value).expect("serializes"),
            serde_json::to_vec(&value).expect("serializes")
        );
    }

    fn any_json() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            any::<String>().prop_map(Value::from),
        ];
        leaf.prop_recursive(4, 32, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                prop::collection::btree_map(any::<String>(), inner, 0..6)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #[test]
        fn output_is_ascii_and_round_trips(value in any_json()) {
            let bytes = to_ascii_vec(&value).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert!(bytes.is_ascii());
            let back: Value =
                serde_json::from_slice(&bytes).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(&back, &value);
            // Escaping is a function of the value: re-serializing the parsed body gives the same
            // bytes, which is what receivers that sign a re-serialization rely on.
            prop_assert_eq!(
                to_ascii_vec(&back).map_err(|e| TestCaseError::fail(e.to_string()))?,
                bytes
            );
        }

        #[test]
        fn every_char_escapes_as_utf16_units(ch in any::<char>()) {
            let text = ascii(&json!(ch.to_string()));
            let expected = if ch.is_ascii() && ch != '\u{7f}' {
                serde_json::to_string(&ch.to_string()).map_err(|e| TestCaseError::fail(e.to_string()))?
            } else {
                let mut units = [0u16; 2];
                let escaped: String = ch
                    .encode_utf16(&mut units)
                    .iter()
                    .map(|u| format!("\\u{u:04x}"))
                    .collect();
                format!("\"{escaped}\"")
            };
            prop_assert_eq!(text, expected);
        }
    }
}
