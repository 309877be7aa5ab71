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
    /// The text is larger than [`MAX_WORLD_BYTES`](crate::MAX_WORLD_BYTES); it was not read.
    TooLarge {
        /// Its size in bytes.
        bytes: usize,
        /// The most a world file may have.
        limit: usize,
    },
    /// Collections nest deeper than [`MAX_NESTING`](crate::MAX_NESTING); the text was not
    /// parsed.
    TooDeep {
        /// 1-based line where the nesting passed the limit.
        line: usize,
        /// 1-based column there.
        column: usize,
        /// The deepest nesting read.
        limit: usize,
    },
    /// YAML aliases expand the document beyond [`node_budget`](crate::node_budget) nodes.
    TooManyNodes {
        /// The budget for a file of this size.
        limit: usize,
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
            _ => None,
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
            Self::TooLarge { bytes, limit } => write!(
                f,
                "the world file has {bytes} bytes; a world file may have at most {limit}"
            ),
            Self::TooDeep {
                line,
                column,
                limit,
            } => write!(
                f,
                "line {line}, column {column}: collections nest deeper than {limit} levels \
                 (open brackets and indented blocks)"
            ),
            Self::TooManyNodes { limit } => write!(
                f,
                "aliases expand the document beyond {limit} nodes ({} per byte of the file, \
                 plus {})",
                crate::NODES_PER_BYTE,
                crate::EXTRA_NODES
            ),
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
/// Syntax errors carry the line; errors in the content carry the field path. Text larger than
/// [`MAX_WORLD_BYTES`](crate::MAX_WORLD_BYTES) or nesting deeper than
/// [`MAX_NESTING`](crate::MAX_NESTING) is refused before it is parsed, and YAML whose aliases
/// expand beyond [`node_budget`](crate::node_budget) while it is read, so the time and memory
/// a file takes stay proportional to its size.
pub fn parse_as(text: &str, format: Format) -> Result<WorldFile, WorldError> {
    crate::bounds::check(text, format)?;
    let file: WorldFile = match format {
        Format::Yaml => {
            let mut value = crate::budget::read(text).map_err(|e| match e {
                crate::budget::ReadError::Budget(limit) => WorldError::TooManyNodes { limit },
                crate::budget::ReadError::Yaml(e) => yaml_syntax(&e),
            })?;
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
    use proptest::prelude::*;
    use std::time::{Duration, Instant};

    /// A bound that catches a hang or a blow-up, not a speed target: before the bounds, 48 KiB
    /// of `[` took seconds in a release build and grew with the square of its size (the 256 KiB
    /// input below would take minutes); the inputs take milliseconds to a second or two in a
    /// debug build on a loaded two-core machine.
    const PROMPT: Duration = Duration::from_secs(30);

    fn timed(text: &str) -> Result<WorldFile, WorldError> {
        let started = Instant::now();
        let result = parse(text);
        let took = started.elapsed();
        assert!(took < PROMPT, "{took:?} for {} bytes", text.len());
        result
    }

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

    #[test]
    fn refuses_deep_nesting_before_parsing_it() {
        // The reported file: `apps:` and 48 KiB of `[`.
        let text = format!("apps: {}", "[".repeat(48 * 1024));
        assert_eq!(
            timed(&text).err(),
            Some(WorldError::TooDeep {
                line: 1,
                column: 70,
                limit: crate::MAX_NESTING
            })
        );
        let json = format!(
            "{{\"format\": \"wamm-world/1\", \"apps\": {}",
            "[".repeat(48 * 1024)
        );
        assert!(matches!(timed(&json), Err(WorldError::TooDeep { .. })));
        let dashes = format!("apps:\n{}x\n", "- ".repeat(24 * 1024));
        assert!(matches!(timed(&dashes), Err(WorldError::TooDeep { .. })));
        let message = timed(&text)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(message.starts_with("line 1, column 70: "), "{message}");
    }

    #[test]
    fn refuses_aliases_that_expand_too_far() {
        let mut text = format!(
            "format: wamm-world/1\nx: &a [{}x]\napps: [",
            "x,".repeat(6_000)
        );
        text.push_str(&"*a,".repeat(9_000));
        text.push_str("*a]\n");
        assert_eq!(
            timed(&text).err(),
            Some(WorldError::TooManyNodes {
                limit: crate::node_budget(text.len())
            })
        );
    }

    #[test]
    fn nesting_at_the_limit_parses_in_linear_time() {
        // 62 brackets deep (64 levels with the root mapping and the outer list), 256 KiB.
        let unit = format!("{}{},", "[".repeat(62), "]".repeat(62));
        let text = format!("format: wamm-world/1\napps: [{}[]]\n", unit.repeat(2_100));
        let err = timed(&text).err();
        assert_eq!(
            err.as_ref().and_then(WorldError::path),
            Some("apps[0]"),
            "{err:?}"
        );
    }

    #[test]
    fn merge_keys_through_anchors_still_work() {
        let text = "format: wamm-world/1\nbusinesses:\n  - &b {key: a, name: A, country: US}\n  - {<<: *b, key: b}\n";
        let file = parse(text).map_err(|e| e.to_string());
        assert_eq!(
            file.map(|f| f
                .businesses
                .iter()
                .map(|b| b.key.clone())
                .collect::<Vec<_>>()),
            Ok(vec!["a".to_owned(), "b".to_owned()])
        );
    }

    /// Fragments that stress a YAML or JSON parser: deep or unbalanced brackets, anchors and
    /// aliases, huge numbers, odd unicode, tabs, document markers, block scalar headers.
    fn fragment() -> impl Strategy<Value = String> {
        prop_oneof![
            (1usize..200).prop_map(|n| "[".repeat(n)),
            (1usize..200).prop_map(|n| "{a: ".repeat(n)),
            (1usize..200).prop_map(|n| "- ".repeat(n)),
            (1usize..100).prop_map(|n| "]}".repeat(n)),
            Just("&a ".to_owned()),
            Just("*a".to_owned()),
            Just("<<: *a\n".to_owned()),
            Just("99999999999999999999999999999999e999999".to_owned()),
            Just("-0x8000000000000000".to_owned()),
            Just("\u{feff}\u{202e}\u{2028}\u{85}\u{0}\u{1f600}".to_owned()),
            Just("\t".to_owned()),
            Just("\n---\n".to_owned()),
            Just("|+9\n".to_owned()),
            Just("!!binary ".to_owned()),
            Just("\"\\u00".to_owned()),
            Just("'".to_owned()),
            Just("#".to_owned()),
            "[ -~]{0,16}",
        ]
    }

    /// The demo world with fragments inserted (or put in place of a few characters) at random
    /// places: mostly broken, sometimes still a world.
    fn near_valid(base: String) -> impl Strategy<Value = String> {
        proptest::collection::vec((any::<prop::sample::Index>(), fragment(), 0usize..8), 1..6)
            .prop_map(move |edits| {
                let mut text = base.clone();
                for (at, fragment, cut) in edits {
                    let mut start = at.index(text.len() + 1);
                    while !text.is_char_boundary(start) {
                        start -= 1;
                    }
                    let mut end = (start + cut).min(text.len());
                    while !text.is_char_boundary(end) {
                        end -= 1;
                    }
                    text.replace_range(start..end, &fragment);
                }
                text
            })
    }

    /// When a file parses, writing it out and reading it back gives the same file, and building
    /// it answers (either way) without a panic.
    fn round_trips(file: &WorldFile) -> Result<(), TestCaseError> {
        let started = Instant::now();
        let _ = file.build(
            &mut crate::SeqMint::default(),
            wamm_domain::Timestamp::from_millis(1_760_000_000_000),
        );
        prop_assert!(started.elapsed() < PROMPT);
        let yaml = file
            .to_yaml()
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        let again = parse_as(&yaml, Format::Yaml);
        prop_assert_eq!(again.as_ref(), Ok(file), "{}", yaml);
        let json = file
            .to_json()
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        let again = parse_as(&json, Format::Json);
        prop_assert_eq!(again.as_ref(), Ok(file), "{}", json);
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(96))]

        /// Any text: no panic, a prompt answer.
        #[test]
        fn any_text_is_answered_promptly(text in any::<String>()) {
            let _ = timed(&text);
        }

        /// Any bytes that happen to be UTF-8, as an upload would arrive.
        #[test]
        fn any_bytes_are_answered_promptly(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            if let Ok(text) = std::str::from_utf8(&bytes) {
                let _ = timed(text);
            }
        }

        /// Broken copies of the demo world: a prompt answer, and whatever still parses builds
        /// (or is refused) without a panic, and writes out and reads back as itself.
        #[test]
        fn near_valid_yaml_worlds_are_answered_promptly(
            text in near_valid(crate::DEMO_WORLD.to_owned()),
        ) {
            if let Ok(file) = timed(&text) {
                round_trips(&file)?;
            }
        }

        /// The same with the demo world written as JSON.
        #[test]
        fn near_valid_json_worlds_are_answered_promptly(text in near_valid(demo_json())) {
            if let Ok(file) = timed(&text) {
                round_trips(&file)?;
            }
        }

        /// Nesting of every depth, in every bracket and block form, up to 48 KiB: refused past
        /// the limit, and promptly either way.
        #[test]
        fn pathological_nesting_is_refused_promptly(
            n in 1usize..48 * 1024,
            form in 0usize..5,
        ) {
            let text = match form {
                0 => format!("apps: {}", "[".repeat(n)),
                1 => format!("apps: {}", "{a: ".repeat(n / 4 + 1)),
                2 => format!("apps: {}", "[\n".repeat(n / 2 + 1)),
                3 => format!("apps:\n{}x\n", "- ".repeat(n / 2 + 1)),
                _ => format!("{{\"apps\": {}", "[".repeat(n)),
            };
            let result = timed(&text);
            let levels = match form {
                0 | 4 => n + 1,
                1 => n / 4 + 2,
                2 | 3 => n / 2 + 2,
                _ => 0,
            };
            if levels > crate::MAX_NESTING + 1 {
                prop_assert!(matches!(result, Err(WorldError::TooDeep { .. })), "{:?}", result);
            }
        }
    }

    fn demo_json() -> String {
        parse(crate::DEMO_WORLD)
            .and_then(|f| f.to_json())
            .expect("the demo world writes as JSON")
    }
}
