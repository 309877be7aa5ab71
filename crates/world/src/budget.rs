//! Reading YAML into a [`serde_norway::Value`] with a bound on its size once aliases expand.
//!
//! An alias (`*name`) repeats the whole node its anchor names, so a few kilobytes of aliases to
//! a large node (or to aliases of aliases) describe a document thousands of times larger than
//! its text: a 39 KB file took 15 s and gigabytes to read. `serde_norway` only caps the number of
//! alias jumps, not what they expand to. The value is built here node by node, exactly as
//! `serde_norway` builds its own `Value`, and the build stops once it passes [`node_budget`].

use std::cell::Cell;
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, EnumAccess, MapAccess, SeqAccess, Visitor};
use serde::de::{Error as _, VariantAccess as _};
use serde_norway::mapping::Entry;
use serde_norway::value::{Tag, TaggedValue};
use serde_norway::{Mapping, Value};

/// Nodes (scalars, sequences, mappings, tags) a YAML document may hold once its aliases
/// expand, per byte of its text.
///
/// Without aliases a document stays below this: its densest forms (`{a,b,c,…}`, a key and its
/// empty value in every two bytes) hold about one node per byte, and real world files one per
/// twelve bytes.
pub const NODES_PER_BYTE: usize = 2;

/// Nodes allowed on top of [`NODES_PER_BYTE`], so a small file may still share a node through
/// an anchor many times.
pub const EXTRA_NODES: usize = 100_000;

/// The most nodes a YAML document of `bytes` bytes may expand to.
pub fn node_budget(bytes: usize) -> usize {
    bytes
        .saturating_mul(NODES_PER_BYTE)
        .saturating_add(EXTRA_NODES)
}

/// Why YAML text could not be read into a value.
#[derive(Debug)]
pub(crate) enum ReadError {
    /// The document expands beyond [`node_budget`]; the budget it had.
    Budget(usize),
    /// Anything `serde_norway` reports (syntax, recursion limit, duplicate keys, …).
    Yaml(serde_norway::Error),
}

/// Reads one YAML document into a value, as `serde_norway::from_str::<Value>` does, stopping
/// once aliases expand it beyond [`node_budget`] of the text's length.
pub(crate) fn read(text: &str) -> Result<Value, ReadError> {
    let limit = node_budget(text.len());
    let budget = Budget {
        left: Cell::new(limit),
        exceeded: Cell::new(false),
    };
    match Node(&budget).deserialize(serde_norway::Deserializer::from_str(text)) {
        Ok(value) => Ok(value),
        Err(_) if budget.exceeded.get() => Err(ReadError::Budget(limit)),
        Err(e) => Err(ReadError::Yaml(e)),
    }
}

struct Budget {
    left: Cell<usize>,
    exceeded: Cell<bool>,
}

impl Budget {
    /// Counts one node; an error once the budget is spent (remembered, so the caller can tell
    /// it from `serde_norway`'s own errors).
    fn take<E: de::Error>(&self) -> Result<(), E> {
        match self.left.get().checked_sub(1) {
            Some(left) => {
                self.left.set(left);
                Ok(())
            }
            None => {
                self.exceeded.set(true);
                Err(E::custom("the document expands beyond its node budget"))
            }
        }
    }
}

/// Builds one node (and everything under it) against the shared budget.
#[derive(Clone, Copy)]
struct Node<'b>(&'b Budget);

impl<'de> DeserializeSeed<'de> for Node<'_> {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Node<'_> {
    type Value = Value;

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("any YAML value")
    }

    fn visit_bool<E: de::Error>(self, b: bool) -> Result<Value, E> {
        self.0.take()?;
        Ok(Value::Bool(b))
    }

    fn visit_i64<E: de::Error>(self, i: i64) -> Result<Value, E> {
        self.0.take()?;
        Ok(Value::Number(i.into()))
    }

    fn visit_u64<E: de::Error>(self, u: u64) -> Result<Value, E> {
        self.0.take()?;
        Ok(Value::Number(u.into()))
    }

    fn visit_f64<E: de::Error>(self, f: f64) -> Result<Value, E> {
        self.0.take()?;
        Ok(Value::Number(f.into()))
    }

    fn visit_str<E: de::Error>(self, s: &str) -> Result<Value, E> {
        self.0.take()?;
        Ok(Value::String(s.to_owned()))
    }

    fn visit_string<E: de::Error>(self, s: String) -> Result<Value, E> {
        self.0.take()?;
        Ok(Value::String(s))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
        self.0.take()?;
        Ok(Value::Null)
    }

    fn visit_none<E: de::Error>(self) -> Result<Value, E> {
        self.0.take()?;
        Ok(Value::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        self.deserialize(deserializer)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        self.0.take()?;
        let mut items = Vec::new();
        while let Some(item) = seq.next_element_seed(self)? {
            items.push(item);
        }
        Ok(Value::Sequence(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        self.0.take()?;
        let mut mapping = Mapping::new();
        while let Some(key) = map.next_key_seed(self)? {
            match mapping.entry(key) {
                Entry::Occupied(entry) => {
                    return Err(A::Error::custom(duplicate_key(entry.key())));
                }
                Entry::Vacant(entry) => {
                    entry.insert(map.next_value_seed(self)?);
                }
            }
        }
        Ok(Value::Mapping(mapping))
    }

    fn visit_enum<A: EnumAccess<'de>>(self, data: A) -> Result<Value, A::Error> {
        self.0.take()?;
        let (tag, contents) = data.variant::<String>()?;
        if tag.is_empty() {
            // `Tag::new` refuses an empty tag by panicking; refuse it here first.
            return Err(A::Error::custom("empty YAML tag is not allowed"));
        }
        let value = contents.newtype_variant_seed(self)?;
        Ok(Value::Tagged(Box::new(TaggedValue {
            tag: Tag::new(tag),
            value,
        })))
    }
}

/// `serde_norway`'s own message for a repeated key.
fn duplicate_key(key: &Value) -> String {
    match key {
        Value::Null => "duplicate entry with null key".to_owned(),
        Value::Bool(b) => format!("duplicate entry with key `{b}`"),
        Value::Number(n) => format!("duplicate entry with key {n}"),
        Value::String(s) => format!("duplicate entry with key {s:?}"),
        Value::Sequence(_) | Value::Mapping(_) | Value::Tagged(_) => {
            "duplicate entry in YAML map".to_owned()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::time::{Duration, Instant};

    fn same_as_serde_norway(text: &str) {
        let ours = read(text);
        let theirs = serde_norway::from_str::<Value>(text);
        match (&ours, &theirs) {
            (Ok(a), Ok(b)) => assert_eq!(a, b, "{text}"),
            (Err(ReadError::Yaml(a)), Err(b)) => assert_eq!(a.to_string(), b.to_string()),
            _ => panic!("{text}: {ours:?} vs {theirs:?}"),
        }
    }

    #[test]
    fn builds_what_serde_norway_builds() {
        for text in [
            crate::DEMO_WORLD,
            "a: 1\nb: -2\nc: 2.5\nd: ~\ne: true\nf: 'x'\ng: [1, {h: i}]\n",
            "base: &b {x: 1, y: [2, 3]}\nuse: {<<: *b, z: 4}\nagain: *b\n",
            "t: !custom {a: 1}\nu: !!str 5\nv: !x [1]\n",
            "a: 1\na: 2\n",
            "? [1, 2]\n: x\n? [1, 2]\n: y\n",
            "{null: 1, ~: 2}",
            "x: [unclosed",
            "",
            "- - - deep\n",
        ] {
            same_as_serde_norway(text);
        }
    }

    #[test]
    fn aliases_stop_at_the_budget() {
        // 6,000 scalars named once and repeated 9,000 times: 54 million nodes from 39 KB,
        // which took 15 s and gigabytes before the budget.
        let mut text = format!("a: &a [{}x]\nb: [", "x,".repeat(6_000));
        text.push_str(&"*a,".repeat(9_000));
        text.push_str("*a]\n");
        let started = Instant::now();
        assert!(
            matches!(read(&text), Err(ReadError::Budget(limit)) if limit == node_budget(text.len()))
        );
        assert!(
            // A bound against the blow-up (15 s and gigabytes before the budget), not a speed
            // target.
            started.elapsed() < Duration::from_secs(30),
            "{:?}",
            started.elapsed()
        );
        // Nine levels of nine aliases each ("billion laughs").
        let mut laughs = String::from("l0: &l0 [x, x, x, x, x, x, x, x, x]\n");
        for i in 1..10 {
            let p = i - 1;
            laughs.push_str(&format!(
                "l{i}: &l{i} [{}*l{p}]\n",
                format!("*l{p}, ").repeat(8)
            ));
        }
        assert!(read(&laughs).is_err());
    }

    #[test]
    fn the_densest_plain_document_fits() {
        // One-key mappings without values: three nodes in four bytes.
        let text = format!("[{}{{a}}]", "{a},".repeat(32 * 1024));
        let value = read(&text);
        assert!(
            matches!(&value, Ok(Value::Sequence(items)) if items.len() == 32 * 1024 + 1),
            "{:?}",
            value.err()
        );
    }

    #[test]
    fn sharing_a_node_a_few_times_is_fine() {
        let mut text = String::from(
            "t: &t {name: offer, language: en_US, components: [{type: BODY, text: hi}]}\nall: [",
        );
        text.push_str(&"*t, ".repeat(2_000));
        text.push_str("*t]\n");
        assert!(matches!(read(&text), Ok(Value::Mapping(_))));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// Short YAML, aliases and tags included, reads exactly as `serde_norway` reads it (the
        /// budget cannot be reached in 64 characters).
        #[test]
        fn agrees_with_serde_norway(text in "[\\[\\]{}\\-?:,#'\"|>!&*<  \\na-c0-9]{0,64}") {
            same_as_serde_norway(&text);
        }
    }
}
