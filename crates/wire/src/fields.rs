//! The `fields=` selection syntax: `id,name,owner_business_info{id,name},phone_numbers.limit(5){id}`.
//!
//! A selection is a list of fields; each may carry modifiers (`.limit(5)`, `.as(alias)`) and a
//! nested selection in braces. Parsing is strict so that a typo in a partner's query is reported
//! the way Graph reports it instead of being silently ignored.

use std::collections::HashMap;
use std::fmt;

/// One requested field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldSpec {
    /// The field's name.
    pub name: String,
    /// Modifiers in order, e.g. `("limit", "5")`.
    pub modifiers: Vec<(String, String)>,
    /// The nested selection, when braces follow the field.
    pub children: Option<FieldSelection>,
}

impl FieldSpec {
    /// The value of a modifier, e.g. `limit`.
    pub fn modifier(&self, name: &str) -> Option<&str> {
        self.modifiers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// A parsed `fields=` value.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FieldSelection {
    /// The fields in the order they were asked for, without duplicates.
    pub fields: Vec<FieldSpec>,
}

/// A syntax error in a `fields=` value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Syntax error \"{expected}\" at character {position}: {input}")]
pub struct FieldsError {
    /// What the parser expected.
    pub expected: String,
    /// Zero-based character position.
    pub position: usize,
    /// The whole input.
    pub input: String,
}

impl FieldSelection {
    /// Parses a `fields=` value. An empty or blank value is an empty selection.
    pub fn parse(input: &str) -> Result<Self, FieldsError> {
        let mut parser = Parser {
            input,
            chars: input.char_indices().collect(),
            pos: 0,
        };
        let selection = parser.selection(0)?;
        parser.skip_ws();
        if parser.pos < parser.chars.len() {
            return Err(parser.error("Expected end of string"));
        }
        Ok(selection)
    }

    /// A selection of plain fields, for defaults.
    pub fn of(names: &[&str]) -> Self {
        Self {
            fields: names
                .iter()
                .map(|n| FieldSpec {
                    name: (*n).to_owned(),
                    modifiers: Vec::new(),
                    children: None,
                })
                .collect(),
        }
    }

    /// True when no field was asked for.
    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    /// The field of that name, if selected.
    pub fn get(&self, name: &str) -> Option<&FieldSpec> {
        self.fields.iter().find(|f| f.name == name)
    }

    /// Whether the field is selected.
    pub fn contains(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// The selected names, in order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.fields.iter().map(|f| f.name.as_str())
    }
}

impl fmt::Display for FieldSelection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, field) in self.fields.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            f.write_str(&field.name)?;
            for (name, arg) in &field.modifiers {
                write!(f, ".{name}({arg})")?;
            }
            if let Some(children) = &field.children {
                write!(f, "{{{children}}}")?;
            }
        }
        Ok(())
    }
}

struct Parser<'a> {
    input: &'a str,
    chars: Vec<(usize, char)>,
    pos: usize,
}

/// Nesting deeper than this is refused: no Graph node needs it and it bounds recursion.
const MAX_DEPTH: usize = 8;

impl Parser<'_> {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).map(|(_, c)| *c)
    }

    fn skip_ws(&mut self) {
        while self.peek().is_some_and(char::is_whitespace) {
            self.pos += 1;
        }
    }

    fn error(&self, expected: &str) -> FieldsError {
        FieldsError {
            expected: expected.to_owned(),
            position: self.pos,
            input: self.input.to_owned(),
        }
    }

    fn ident(&mut self) -> Result<String, FieldsError> {
        self.skip_ws();
        let start = self.pos;
        while self
            .peek()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
        {
            self.pos += 1;
        }
        if start == self.pos {
            return Err(self.error("Expected a field name"));
        }
        Ok(self.chars[start..self.pos].iter().map(|(_, c)| c).collect())
    }

    fn selection(&mut self, depth: usize) -> Result<FieldSelection, FieldsError> {
        if depth > MAX_DEPTH {
            return Err(self.error("Field nesting too deep"));
        }
        let mut selection = FieldSelection::default();
        // Where each name sits in `selection.fields`: finding a repeat by scanning the list made
        // a selection of n distinct fields cost n² (a minute for a 1 MiB `fields=`).
        let mut seen: HashMap<String, usize> = HashMap::new();
        self.skip_ws();
        if self.peek().is_none() || self.peek() == Some('}') {
            return Ok(selection);
        }
        loop {
            let field = self.field(depth)?;
            match seen.get(&field.name) {
                Some(&at) => {
                    // Graph merges repeated fields; keep the richer request.
                    if field.children.is_some() || !field.modifiers.is_empty() {
                        selection.fields[at] = field;
                    }
                }
                None => {
                    seen.insert(field.name.clone(), selection.fields.len());
                    selection.fields.push(field);
                }
            }
            self.skip_ws();
            match self.peek() {
                Some(',') => self.pos += 1,
                _ => return Ok(selection),
            }
        }
    }

    fn field(&mut self, depth: usize) -> Result<FieldSpec, FieldsError> {
        let name = self.ident()?;
        let mut modifiers = Vec::new();
        let mut children = None;
        loop {
            self.skip_ws();
            match self.peek() {
                Some('.') => {
                    self.pos += 1;
                    let modifier = self.ident()?;
                    if self.peek() != Some('(') {
                        return Err(self.error("Expected \"(\""));
                    }
                    self.pos += 1;
                    let start = self.pos;
                    while self.peek().is_some_and(|c| c != ')') {
                        self.pos += 1;
                    }
                    if self.peek() != Some(')') {
                        return Err(self.error("Expected \")\""));
                    }
                    let arg: String = self.chars[start..self.pos].iter().map(|(_, c)| c).collect();
                    self.pos += 1;
                    modifiers.push((modifier, arg.trim().to_owned()));
                }
                Some('{') if children.is_none() => {
                    self.pos += 1;
                    children = Some(self.selection(depth + 1)?);
                    self.skip_ws();
                    if self.peek() != Some('}') {
                        return Err(self.error("Expected \"}\""));
                    }
                    self.pos += 1;
                }
                _ => {
                    return Ok(FieldSpec {
                        name,
                        modifiers,
                        children,
                    });
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_nested_fields_and_modifiers() {
        let sel = FieldSelection::parse(
            "id, name,owner_business_info{id,name,marketing_messages_onboarding_status},phone_numbers.limit(2){id}",
        )
        .expect("valid selection");
        assert_eq!(
            sel.names().collect::<Vec<_>>(),
            ["id", "name", "owner_business_info", "phone_numbers"]
        );
        let owner = sel
            .get("owner_business_info")
            .and_then(|f| f.children.as_ref())
            .expect("nested");
        assert!(owner.contains("marketing_messages_onboarding_status"));
        let phones = sel.get("phone_numbers").expect("edge");
        assert_eq!(phones.modifier("limit"), Some("2"));
    }

    #[test]
    fn empty_is_empty_and_duplicates_merge() {
        assert!(FieldSelection::parse("").expect("empty").is_empty());
        let sel = FieldSelection::parse("id,id,name{id}").expect("dups");
        assert_eq!(sel.fields.len(), 2);
    }

    #[test]
    fn reports_syntax_errors_with_position() {
        for (bad, pos) in [
            ("id,", 3),
            ("id{name", 7),
            ("a}", 1),
            ("id.limit", 8),
            ("na-me", 2),
            ("{id}", 0),
        ] {
            let err = FieldSelection::parse(bad).expect_err(bad);
            assert_eq!(err.position, pos, "{bad}: {err}");
        }
    }

    fn selection() -> impl Strategy<Value = FieldSelection> {
        let leaf = "[a-z_]{1,8}".prop_map(|n| FieldSpec {
            name: n,
            modifiers: Vec::new(),
            children: None,
        });
        let field = leaf.prop_recursive(3, 16, 4, |inner| {
            (
                "[a-z_]{1,8}",
                proptest::option::of(0u8..50),
                proptest::collection::vec(inner, 1..4),
            )
                .prop_map(|(name, limit, kids)| FieldSpec {
                    name,
                    modifiers: limit
                        .map(|l| ("limit".to_owned(), l.to_string()))
                        .into_iter()
                        .collect(),
                    children: Some(dedup(kids)),
                })
        });
        proptest::collection::vec(field, 1..5).prop_map(dedup)
    }

    fn dedup(fields: Vec<FieldSpec>) -> FieldSelection {
        let mut out: Vec<FieldSpec> = Vec::new();
        for f in fields {
            if !out.iter().any(|o| o.name == f.name) {
                out.push(f);
            }
        }
        FieldSelection { fields: out }
    }

    #[test]
    fn many_distinct_fields_parse_in_linear_time() {
        let names: Vec<String> = (0..100_000).map(|i| format!("f{i}")).collect();
        let text = names.join(",");
        let started = std::time::Instant::now();
        let sel = FieldSelection::parse(&text).expect("valid");
        let took = started.elapsed();
        assert_eq!(sel.fields.len(), names.len());
        assert!(took < std::time::Duration::from_secs(2), "{took:?}");
    }

    /// A bound that catches a hang or a blow-up (quadratic parsing, alias expansion: seconds to
    /// minutes on these inputs before the bounds), not a speed target: inputs below parse in
    /// milliseconds, and a debug build on a loaded two-core machine must never come near it.
    const PROMPT: std::time::Duration = std::time::Duration::from_secs(30);

    fn timed(input: &str) -> Result<FieldSelection, FieldsError> {
        let started = std::time::Instant::now();
        let result = FieldSelection::parse(input);
        assert!(
            started.elapsed() < PROMPT,
            "{:?} for {input:?}",
            started.elapsed()
        );
        result
    }

    /// Near-valid selections: the syntax's own characters in any order, with odd unicode.
    fn near_valid() -> impl Strategy<Value = String> {
        proptest::collection::vec(
            prop_oneof![
                "[a-z_]{1,6}",
                Just(",".to_owned()),
                Just("{".to_owned()),
                Just("}".to_owned()),
                Just(".limit(".to_owned()),
                Just(")".to_owned()),
                Just(".as(x)".to_owned()),
                Just(" ".to_owned()),
                Just("\u{feff}\u{202e}é\u{1f600}".to_owned()),
                (1usize..40).prop_map(|n| "a{".repeat(n)),
                (1usize..40).prop_map(|n| "}".repeat(n)),
                Just("99999999999999999999999999".to_owned()),
            ],
            0..24,
        )
        .prop_map(|parts| parts.concat())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn display_then_parse_roundtrips(sel in selection()) {
            let text = sel.to_string();
            prop_assert_eq!(FieldSelection::parse(&text).ok(), Some(sel));
        }

        /// Any text: no panic, a prompt answer, and an error position inside the input.
        #[test]
        fn never_panics(input in ".{0,64}") {
            if let Err(e) = timed(&input) {
                prop_assert!(e.position <= input.chars().count());
            }
        }

        /// Near-valid text: whatever parses prints as text that parses to the same selection.
        #[test]
        fn whatever_parses_prints_back(input in near_valid()) {
            if let Ok(sel) = timed(&input) {
                let text = sel.to_string();
                prop_assert_eq!(timed(&text).ok(), Some(sel), "{}", text);
            }
        }

        /// A plain list of names is those names, first occurrence first, repeats merged.
        #[test]
        fn a_list_of_names_is_those_names(
            names in proptest::collection::vec("[a-z]{1,3}", 1..40),
            spaces in proptest::collection::vec(" {0,2}", 40),
        ) {
            let text: Vec<String> = names
                .iter()
                .zip(&spaces)
                .map(|(n, s)| format!("{s}{n}{s}"))
                .collect();
            let sel = timed(&text.join(","));
            let mut expected: Vec<&str> = Vec::new();
            for n in &names {
                if !expected.contains(&n.as_str()) {
                    expected.push(n);
                }
            }
            let got: Option<Vec<String>> = sel.ok().map(|s| s.names().map(str::to_owned).collect());
            prop_assert_eq!(got, Some(expected.iter().map(|n| (*n).to_owned()).collect::<Vec<_>>()));
        }

        /// Nesting parses up to the limit and is refused past it, however deep it goes.
        #[test]
        fn nesting_is_bounded(depth in 0usize..10_000) {
            let text = format!("{}x{}", "a{".repeat(depth), "}".repeat(depth));
            let result = timed(&text);
            prop_assert_eq!(result.is_ok(), depth <= MAX_DEPTH, "{:?}", result.err());
        }
    }
}
