//! The `fields=` selection syntax: `id,name,owner_business_info{id,name},phone_numbers.limit(5){id}`.
//!
//! A selection is a list of fields; each may carry modifiers (`.limit(5)`, `.as(alias)`) and a
//! nested selection in braces. Parsing is strict so that a typo in a partner's query is reported
//! the way Graph reports it instead of being silently ignored.

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
        self.skip_ws();
        if self.peek().is_none() || self.peek() == Some('}') {
            return Ok(selection);
        }
        loop {
            let field = self.field(depth)?;
            if let Some(existing) = selection.fields.iter_mut().find(|f| f.name == field.name) {
                // Graph merges repeated fields; keep the richer request.
                if field.children.is_some() || !field.modifiers.is_empty() {
                    *existing = field;
                }
            } else {
                selection.fields.push(field);
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

    proptest! {
        #[test]
        fn display_then_parse_roundtrips(sel in selection()) {
            let text = sel.to_string();
            prop_assert_eq!(FieldSelection::parse(&text).ok(), Some(sel));
        }

        #[test]
        fn never_panics(input in ".{0,64}") {
            let _ = FieldSelection::parse(&input);
        }
    }
}
