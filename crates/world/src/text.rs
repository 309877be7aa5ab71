//! World file text: format sniffing, parsing and writing, and the errors that name what is
//! wrong.

use std::fmt;

use crate::file::{FORMAT, WorldFile};

/// The syntax of a world file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// YAML (the usual, commented form).
    Yaml,
    /// JSON.
    Json,
}

impl Format {
    /// Guesses the syntax: JSON when the first non-blank character is `{`, YAML otherwise.
    pub fn sniff(text: &str) -> Self {
        let body = text.trim_start_matches(|c: char| c.is_whitespace() || c == '\u{feff}');
        if body.starts_with('{') {
            Self::Json
        } else {
            Self::Yaml
        }
    }
}

/// Why a world file was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WorldError {
    /// The text is not well-formed YAML or JSON.
    Syntax {
        /// 1-based line, when known.
        line: Option<usize>,
        /// 1-based column, when known.
        column: Option<usize>,
        /// What the parser said.
        message: String,
    },
    /// The document is well-formed but a field is wrong.
    Invalid {
        /// The field path, e.g. `businesses[2].wabas[0].tax_country`; `(root)` for the document.
        path: String,
        /// What is wrong.
        message: String,
    },
}

impl WorldError {
    /// An [`WorldError::Invalid`] error.
    pub fn invalid(path: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Invalid {
            path: path.into(),
            message: message.into(),
        }
    }

    /// The field path, for [`WorldError::Invalid`].
    pub fn path(&self) -> Option<&str> {
        match self {
            Self::Invalid { path, .. } => Some(path),
            Self::Syntax { .. } => None,
        }
    }
}

impl fmt::Display for WorldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Syntax {
                line,
                column,
                message,
            } => {
                match (line, column) {
                    (Some(line), Some(column)) => write!(f, "line {line}, column {column}: ")?,
                    (Some(line), None) => write!(f, "line {line}: ")?,
                    _ => {}
                }
                f.write_str(message)
            }
            Self::Invalid { path, message } => write!(f, "{path}: {message}"),
        }
    }
}

/// Path text for the document itself.
pub(crate) const ROOT: &str = "(root)";

/// Parses a world file, YAML or JSON as [`Format::sniff`] guesses.
pub fn parse(text: &str) -> Result<WorldFile, WorldError> {
    parse_as(text, Format::sniff(text))
}

/// Parses a world file in the given syntax.
///
/// Syntax errors carry the line; errors in the content carry the field path.
pub fn parse_as(text: &str, format: Format) -> Result<WorldFile, WorldError> {
    let file: WorldFile = match format {
        Format::Yaml => {
            let mut value: serde_norway::Value =
                serde_norway::from_str(text).map_err(|e| yaml_syntax(&e))?;
            value.apply_merge().map_err(|e| yaml_syntax(&e))?;
            serde_path_to_error::deserialize(value).map_err(|e| content_error(&e))?
        }
        Format::Json => {
            let value: serde_json::Value =
                serde_json::from_str(text).map_err(|e| WorldError::Syntax {
                    line: Some(e.line()),
                    column: Some(e.column()),
                    message: strip_json_position(&e.to_string()),
                })?;
            serde_path_to_error::deserialize(value).map_err(|e| content_error(&e))?
        }
    };
    check_format(&file.format)?;
    Ok(file)
}

impl WorldFile {
    /// The file as YAML.
    pub fn to_yaml(&self) -> Result<String, WorldError> {
        serde_norway::to_string(self).map_err(|e| WorldError::invalid(ROOT, e.to_string()))
    }

    /// The file as pretty-printed JSON.
    pub fn to_json(&self) -> Result<String, WorldError> {
        serde_json::to_string_pretty(self).map_err(|e| WorldError::invalid(ROOT, e.to_string()))
    }
}

/// Refuses a `format` this crate does not read.
pub(crate) fn check_format(format: &str) -> Result<(), WorldError> {
    if format == FORMAT {
        Ok(())
    } else {
        Err(WorldError::invalid(
            "format",
            format!("unsupported format '{format}' (expected '{FORMAT}')"),
        ))
    }
}

fn yaml_syntax(e: &serde_norway::Error) -> WorldError {
    let location = e.location();
    let mut message = e.to_string();
    // The position is reported separately; drop its first mention from the text.
    if let Some(at) = location.as_ref() {
        message = message.replacen(
            &format!(" at line {} column {}", at.line(), at.column()),
            "",
            1,
        );
    }
    WorldError::Syntax {
        line: location.as_ref().map(serde_norway::Location::line),
        column: location.as_ref().map(serde_norway::Location::column),
        message,
    }
}

fn strip_json_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_owned(),
        None => message.to_owned(),
    }
}

fn content_error<E: fmt::Display>(e: &serde_path_to_error::Error<E>) -> WorldError {
    let segments = e.path().iter().count();
    let mut path = if segments == 0 {
        ROOT.to_owned()
    } else {
        e.path().to_string()
    };
    let message = e.inner().to_string();
    // An unknown field is reported at its parent; name the field itself.
    if let Some(field) = unknown_field(&message) {
        let named = matches!(
            e.path().iter().next_back(),
            Some(serde_path_to_error::Segment::Map { key }) if key == field
        );
        if !named {
            path = if segments == 0 {
                field.to_owned()
            } else {
                format!("{path}.{field}")
            };
        }
    }
    WorldError::Invalid { path, message }
}

/// The field name in serde's "unknown field `x`, expected …" message.
fn unknown_field(message: &str) -> Option<&str> {
    let rest = message.strip_prefix("unknown field `")?;
    rest.split_once('`').map(|(field, _)| field)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_json_by_the_first_brace() {
        assert_eq!(Format::sniff("  \n{\"format\": 1}"), Format::Json);
        assert_eq!(Format::sniff("\u{feff}{}"), Format::Json);
        assert_eq!(Format::sniff("format: wamm-world/1"), Format::Yaml);
        assert_eq!(Format::sniff("# {\n"), Format::Yaml);
    }

    #[test]
    fn displays_line_and_path() {
        let syntax = WorldError::Syntax {
            line: Some(12),
            column: Some(3),
            message: "bad".to_owned(),
        };
        assert_eq!(syntax.to_string(), "line 12, column 3: bad");
        assert_eq!(
            WorldError::invalid("apps[0].business", "x").to_string(),
            "apps[0].business: x"
        );
    }

    #[test]
    fn reports_yaml_syntax_with_a_line() {
        let err = parse("format: wamm-world/1\napps:\n  - key: [unclosed\n").err();
        assert!(
            matches!(err, Some(WorldError::Syntax { line: Some(_), .. })),
            "{err:?}"
        );
    }

    #[test]
    fn reports_json_syntax_with_a_line() {
        let err = parse("{\n  \"format\": \"wamm-world/1\",\n  \"apps\": [,]\n}").err();
        assert!(
            matches!(err, Some(WorldError::Syntax { line: Some(3), .. })),
            "{err:?}"
        );
    }

    #[test]
    fn names_the_unknown_field_and_bad_format() {
        let err = parse("format: wamm-world/1\nbusinesess: []\n").err();
        assert_eq!(
            err.as_ref().and_then(WorldError::path),
            Some("businesess"),
            "{err:?}"
        );
        let err = parse("format: wamm-world/2\n").err();
        assert_eq!(err.as_ref().and_then(WorldError::path), Some("format"));
        let err = parse("apps: []\n").err();
        assert_eq!(
            err.as_ref().and_then(WorldError::path),
            Some(ROOT),
            "{err:?}"
        );
    }
}
