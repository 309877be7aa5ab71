//! Bounds on a world file's text, checked in one linear pass before a parser sees it: its size
//! and how deeply its collections nest.
//!
//! The YAML parser (libyaml, through `serde_norway`) does work proportional to the number of open
//! flow collections for every token it reads, so `apps: [[[[…` costs the square of its length:
//! a 48 KiB file took seconds. Its recursion limit (128) only fires after the whole document
//! has been scanned, too late to help. The pre-scan here follows libyaml's scanner closely enough to know
//! where quoted scalars, plain scalars, block scalars and comments start and end (a `[` inside
//! `"…"`, `# …` or a `|` block is text, not a collection), tracks open flow collections and
//! block indentation levels the way libyaml does, and refuses the file at the first point where
//! they add up to more than [`MAX_NESTING`]. JSON is scanned the same way, brackets outside
//! strings. Real world files nest about a dozen levels deep.

use crate::text::{Format, WorldError};

/// The largest world file read, in bytes (64 MiB).
///
/// A generated world of 25,000 clients going round every onboarding case
/// ([`clients_world`](crate::clients::clients_world)) is about 47 MB; the demo world is 13 KB.
pub const MAX_WORLD_BYTES: usize = 64 * 1024 * 1024;

/// The deepest nesting read: open flow collections (`[`, `{`) plus block indentation levels in
/// YAML, open brackets in JSON.
///
/// The demo world and generated worlds nest 12 levels deep, so the bound leaves room for files
/// written by hand in other styles while keeping the parser's work per token small.
pub const MAX_NESTING: usize = 64;

/// Refuses text that is too large or nests too deeply, before it is parsed.
pub(crate) fn check(text: &str, format: Format) -> Result<(), WorldError> {
    check_size(text.len())?;
    nesting(text, format, MAX_NESTING).map(|_| ())
}

/// The deepest nesting in `text`, or the error at the first point it passes `limit`.
fn nesting(text: &str, format: Format, limit: usize) -> Result<usize, WorldError> {
    match format {
        Format::Json => json_nesting(text.as_bytes(), limit),
        Format::Yaml => YamlScan::new(text.as_bytes(), limit).run(),
    }
}

/// Refuses a file of `bytes` bytes when it is larger than [`MAX_WORLD_BYTES`], without looking
/// at it (so a caller can refuse before copying or queueing the text).
pub fn check_size(bytes: usize) -> Result<(), WorldError> {
    if bytes > MAX_WORLD_BYTES {
        Err(WorldError::TooLarge {
            bytes,
            limit: MAX_WORLD_BYTES,
        })
    } else {
        Ok(())
    }
}

/// Brackets outside strings; strings honour `\` escapes. Exact for JSON, so no false alarms.
fn json_nesting(b: &[u8], limit: usize) -> Result<usize, WorldError> {
    let (mut depth, mut deepest, mut line, mut line_start) = (0usize, 0usize, 0usize, 0usize);
    let (mut in_string, mut escaped) = (false, false);
    for (i, &c) in b.iter().enumerate() {
        if c == b'\n' {
            line += 1;
            line_start = i + 1;
        }
        if in_string {
            if escaped {
                escaped = false;
            } else if c == b'\\' {
                escaped = true;
            } else if c == b'"' {
                in_string = false;
            }
            continue;
        }
        match c {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                deepest = deepest.max(depth);
                if depth > limit {
                    return Err(too_deep(line, chars(&b[line_start..i]), limit));
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    Ok(deepest)
}

/// Characters (not bytes) in a slice of UTF-8: the count of bytes that start a character.
fn chars(b: &[u8]) -> usize {
    b.iter().filter(|&&c| !is_continuation(c)).count()
}

fn is_continuation(c: u8) -> bool {
    c & 0xC0 == 0x80
}

fn too_deep(line: usize, column: usize, limit: usize) -> WorldError {
    WorldError::TooDeep {
        line: line + 1,
        column: column + 1,
        limit,
    }
}

/// A position as libyaml marks it: 0-based line and column, and characters from the start.
#[derive(Debug, Clone, Copy)]
struct Mark {
    line: usize,
    column: usize,
    index: usize,
}

/// libyaml's scanner reduced to what decides nesting: token boundaries, the flow level, the
/// stack of block indentation columns and the simple key that may roll a new indentation.
///
/// Each step mirrors a `yaml_parser_fetch_*` or `yaml_parser_scan_*` function of libyaml's
/// `scanner.c`. Where libyaml would stop with an error the scan carries on: libyaml reads no
/// further, so nothing after that point can cost it anything, and carrying on only ever looks at
/// more of the text.
struct YamlScan<'a> {
    b: &'a [u8],
    pos: usize,
    mark: Mark,
    /// Open flow collections.
    flow: usize,
    /// The current block indentation column; -1 outside any block collection.
    indent: isize,
    /// Enclosing indentation columns (libyaml's `indents`); its length is the block nesting.
    indents: Vec<isize>,
    /// Whether a simple key may start here (libyaml's `simple_key_allowed`).
    key_allowed: bool,
    /// The block-level simple key, when one is possible (libyaml's bottom `simple_keys` slot).
    /// Keys inside flow collections never roll an indentation, so they are not tracked.
    block_key: Option<Mark>,
    /// The nesting refused.
    limit: usize,
    /// The deepest nesting seen so far.
    deepest: usize,
}

/// libyaml forgets a simple key after this many characters.
const SIMPLE_KEY_SPAN: usize = 1024;

impl<'a> YamlScan<'a> {
    fn new(b: &'a [u8], limit: usize) -> Self {
        Self {
            b,
            pos: 0,
            mark: Mark {
                line: 0,
                column: 0,
                index: 0,
            },
            flow: 0,
            indent: -1,
            indents: Vec::new(),
            key_allowed: true,
            block_key: None,
            limit,
            deepest: 0,
        }
    }

    fn at(&self, k: usize) -> Option<u8> {
        self.b.get(self.pos + k).copied()
    }

    fn peek(&self) -> Option<u8> {
        self.at(0)
    }

    fn is(&self, k: usize, c: u8) -> bool {
        self.at(k) == Some(c)
    }

    /// Byte length of the line break at `pos + k`, if one is there (LF, CR, CR LF, NEL, LS, PS).
    fn break_at(&self, k: usize) -> Option<usize> {
        match (self.at(k), self.at(k + 1), self.at(k + 2)) {
            (Some(b'\r'), Some(b'\n'), _) | (Some(0xC2), Some(0x85), _) => Some(2),
            (Some(b'\r' | b'\n'), ..) => Some(1),
            (Some(0xE2), Some(0x80), Some(0xA8 | 0xA9)) => Some(3),
            _ => None,
        }
    }

    fn is_break(&self, k: usize) -> bool {
        self.break_at(k).is_some()
    }

    fn is_blank(&self, k: usize) -> bool {
        matches!(self.at(k), Some(b' ' | b'\t'))
    }

    /// Blank, line break or end of text (libyaml's `IS_BLANKZ`).
    fn is_blankz(&self, k: usize) -> bool {
        self.at(k).is_none() || self.is_blank(k) || self.is_break(k)
    }

    fn is_breakz(&self, k: usize) -> bool {
        self.at(k).is_none() || self.is_break(k)
    }

    /// Moves past one character (not a line break).
    fn skip(&mut self) {
        if let Some(c) = self.peek() {
            let width = match c {
                0xF0.. => 4,
                0xE0.. => 3,
                0xC0.. => 2,
                _ => 1,
            };
            self.pos = (self.pos + width).min(self.b.len());
            self.mark.index += 1;
            self.mark.column += 1;
        }
    }

    /// Moves past a line break; anything else is skipped as one character.
    fn skip_line(&mut self) {
        let crlf = self.is(0, b'\r') && self.is(1, b'\n');
        match self.break_at(0) {
            Some(width) => {
                self.pos += width;
                // CR LF counts as two characters, as in libyaml; other breaks as one.
                self.mark.index += if crlf { 2 } else { 1 };
                self.mark.column = 0;
                self.mark.line += 1;
            }
            None => self.skip(),
        }
    }

    fn skip_to_breakz(&mut self) {
        while !self.is_breakz(0) {
            self.skip();
        }
    }

    /// `---` or `...` at the start of a line, followed by a blank or the end of a line.
    fn at_document_indicator(&self) -> bool {
        self.mark.column == 0
            && ((self.is(0, b'-') && self.is(1, b'-') && self.is(2, b'-'))
                || (self.is(0, b'.') && self.is(1, b'.') && self.is(2, b'.')))
            && self.is_blankz(3)
    }

    fn depth_check(&mut self) -> Result<(), WorldError> {
        let depth = self.flow + self.indents.len();
        self.deepest = self.deepest.max(depth);
        if depth > self.limit {
            Err(too_deep(self.mark.line, self.mark.column, self.limit))
        } else {
            Ok(())
        }
    }

    fn column(&self) -> isize {
        isize::try_from(self.mark.column).unwrap_or(isize::MAX)
    }

    fn roll_indent(&mut self, column: usize) -> Result<(), WorldError> {
        let column = isize::try_from(column).unwrap_or(isize::MAX);
        if self.flow == 0 && self.indent < column {
            self.indents.push(self.indent);
            self.indent = column;
            self.depth_check()?;
        }
        Ok(())
    }

    fn unroll_indent(&mut self, column: isize) {
        if self.flow == 0 {
            while self.indent > column {
                self.indent = self.indents.pop().unwrap_or(-1);
            }
        }
    }

    fn save_key(&mut self) {
        if self.flow == 0 && self.key_allowed {
            self.block_key = Some(self.mark);
        }
    }

    fn remove_key(&mut self) {
        if self.flow == 0 {
            self.block_key = None;
        }
    }

    /// The block-level simple key, unless it went stale (another line, or too far back).
    fn possible_key(&self) -> Option<Mark> {
        self.block_key
            .filter(|k| k.line == self.mark.line && k.index + SIMPLE_KEY_SPAN >= self.mark.index)
    }

    fn run(mut self) -> Result<usize, WorldError> {
        loop {
            self.skip_to_next_token();
            let Some(c) = self.peek() else {
                return Ok(self.deepest);
            };
            self.unroll_indent(self.column());
            if self.mark.column == 0 && c == b'%' {
                // A directive: a line of its own.
                self.unroll_indent(-1);
                self.remove_key();
                self.key_allowed = false;
                self.skip_to_breakz();
                continue;
            }
            if self.at_document_indicator() {
                self.unroll_indent(-1);
                self.remove_key();
                self.key_allowed = false;
                for _ in 0..3 {
                    self.skip();
                }
                continue;
            }
            let flow = self.flow > 0;
            match c {
                b'[' | b'{' => {
                    self.save_key();
                    self.flow += 1;
                    self.depth_check()?;
                    self.key_allowed = true;
                    self.skip();
                }
                b']' | b'}' => {
                    self.remove_key();
                    self.flow = self.flow.saturating_sub(1);
                    self.key_allowed = false;
                    self.skip();
                }
                b',' => {
                    self.remove_key();
                    self.key_allowed = true;
                    self.skip();
                }
                b'-' if self.is_blankz(1) => {
                    self.roll_indent(self.mark.column)?;
                    self.remove_key();
                    self.key_allowed = true;
                    self.skip();
                }
                b'?' if flow || self.is_blankz(1) => {
                    self.roll_indent(self.mark.column)?;
                    self.remove_key();
                    self.key_allowed = !flow;
                    self.skip();
                }
                b':' if flow || self.is_blankz(1) => {
                    match self.possible_key().filter(|_| !flow) {
                        Some(key) => {
                            self.roll_indent(key.column)?;
                            self.block_key = None;
                            self.key_allowed = false;
                        }
                        None => {
                            self.roll_indent(self.mark.column)?;
                            self.key_allowed = !flow;
                        }
                    }
                    self.skip();
                }
                b'*' | b'&' => {
                    self.save_key();
                    self.key_allowed = false;
                    self.skip();
                    while self.peek().is_some_and(is_anchor_char) {
                        self.skip();
                    }
                }
                b'!' => {
                    self.save_key();
                    self.key_allowed = false;
                    self.tag();
                }
                b'|' | b'>' if !flow => {
                    self.remove_key();
                    self.key_allowed = true;
                    self.block_scalar();
                }
                b'\'' | b'"' => {
                    self.save_key();
                    self.key_allowed = false;
                    self.quoted(c == b'\'');
                }
                _ if self.starts_plain(c, flow) => {
                    self.save_key();
                    self.key_allowed = false;
                    self.plain();
                }
                // libyaml stops here ("cannot start any token"); step over it and go on.
                _ => self.skip(),
            }
        }
    }

    /// libyaml's `yaml_parser_scan_skip_to_next_token`: blanks, comments and line breaks.
    fn skip_to_next_token(&mut self) {
        loop {
            if self.mark.column == 0 && self.is(0, 0xEF) && self.is(1, 0xBB) && self.is(2, 0xBF) {
                self.skip();
            }
            // libyaml refuses a tab here only where a simple key may start; skipping it either
            // way looks at no less of the text.
            while self.is_blank(0) {
                self.skip();
            }
            if self.is(0, b'#') {
                self.skip_to_breakz();
            }
            if !self.is_break(0) {
                return;
            }
            self.skip_line();
            if self.flow == 0 {
                self.key_allowed = true;
            }
        }
    }

    fn starts_plain(&self, c: u8, flow: bool) -> bool {
        let indicator = matches!(
            c,
            b'-' | b'?'
                | b':'
                | b','
                | b'['
                | b']'
                | b'{'
                | b'}'
                | b'#'
                | b'&'
                | b'*'
                | b'!'
                | b'|'
                | b'>'
                | b'\''
                | b'"'
                | b'%'
                | b'@'
                | b'`'
        );
        !(self.is_blankz(0) || indicator)
            || (c == b'-' && !self.is_blank(1))
            || (!flow && (c == b'?' || c == b':') && !self.is_blankz(1))
    }

    /// libyaml's `yaml_parser_scan_tag`: `!<uri>`, or `!`, `!handle!` and a suffix.
    fn tag(&mut self) {
        self.skip();
        if self.is(0, b'<') {
            self.skip();
            while self.peek().is_some_and(|c| is_uri_char(c, true)) {
                self.skip();
            }
            if self.is(0, b'>') {
                self.skip();
            }
        } else {
            // The handle's characters (alphanumerics and `!`) are URI characters too.
            while self.peek().is_some_and(|c| is_uri_char(c, false)) {
                self.skip();
            }
        }
    }

    /// libyaml's `yaml_parser_scan_flow_scalar`: to the closing quote, over line breaks.
    fn quoted(&mut self, single: bool) {
        let quote = if single { b'\'' } else { b'"' };
        self.skip();
        loop {
            if self.at_document_indicator() || self.peek().is_none() {
                // libyaml stops with an error; go on from here as if the scalar had ended.
                return;
            }
            while !self.is_blankz(0) {
                if single && self.is(0, b'\'') && self.is(1, b'\'') {
                    self.skip();
                    self.skip();
                } else if self.is(0, quote) {
                    break;
                } else if !single && self.is(0, b'\\') && self.is_break(1) {
                    self.skip();
                    self.skip_line();
                    break;
                } else if !single && self.is(0, b'\\') {
                    // An escape: the character after the backslash, whatever it is, is part
                    // of it (hex digits of \x, \u and \U are ordinary characters after that).
                    self.skip();
                    self.skip();
                } else {
                    self.skip();
                }
            }
            if self.is(0, quote) {
                self.skip();
                return;
            }
            while self.is_blank(0) || self.is_break(0) {
                self.skip_line();
            }
        }
    }

    /// libyaml's `yaml_parser_scan_plain_scalar`.
    fn plain(&mut self) {
        let flow = self.flow > 0;
        let indent = self.indent + 1;
        let mut leading_blanks = false;
        loop {
            if self.at_document_indicator() || self.is(0, b'#') {
                break;
            }
            while !self.is_blankz(0) {
                let c = self.peek();
                if c == Some(b':')
                    && (self.is_blankz(1)
                        || (flow
                            && matches!(self.at(1), Some(b',' | b'?' | b'[' | b']' | b'{' | b'}'))))
                {
                    // The end of the scalar (or, for `:[` in a flow, libyaml's error).
                    break;
                }
                if flow && matches!(c, Some(b',' | b'[' | b']' | b'{' | b'}')) {
                    break;
                }
                leading_blanks = false;
                self.skip();
            }
            if !(self.is_blank(0) || self.is_break(0)) {
                break;
            }
            while self.is_blank(0) || self.is_break(0) {
                if self.is_break(0) {
                    leading_blanks = true;
                }
                self.skip_line();
            }
            if !flow && self.column() < indent {
                break;
            }
        }
        if leading_blanks {
            self.key_allowed = true;
        }
    }

    /// libyaml's `yaml_parser_scan_block_scalar`: the header, then every line indented at least
    /// as far as the content (given by the header or found from the first non-empty line).
    fn block_scalar(&mut self) {
        self.skip();
        let mut increment = 0isize;
        let digit = |c: Option<u8>| match c {
            Some(d @ b'1'..=b'9') => Some(isize::from(d - b'0')),
            _ => None,
        };
        if matches!(self.peek(), Some(b'+' | b'-')) {
            self.skip();
            if let Some(d) = digit(self.peek()) {
                increment = d;
                self.skip();
            }
        } else if let Some(d) = digit(self.peek()) {
            increment = d;
            self.skip();
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.skip();
            }
        }
        while self.is_blank(0) {
            self.skip();
        }
        if self.is(0, b'#') {
            self.skip_to_breakz();
        }
        if !self.is_breakz(0) {
            // libyaml stops: "did not find expected comment or line break".
            return;
        }
        if self.is_break(0) {
            self.skip_line();
        }
        let mut indent = if increment > 0 {
            if self.indent >= 0 {
                self.indent + increment
            } else {
                increment
            }
        } else {
            0
        };
        self.block_breaks(&mut indent);
        while self.column() == indent && self.peek().is_some() {
            self.skip_to_breakz();
            if self.is_break(0) {
                self.skip_line();
            }
            self.block_breaks(&mut indent);
        }
    }

    /// libyaml's `yaml_parser_scan_block_scalar_breaks`: leading spaces and empty lines; fixes
    /// the content's indentation when the header did not.
    fn block_breaks(&mut self, indent: &mut isize) {
        let mut max_indent = 0isize;
        loop {
            while (*indent == 0 || self.column() < *indent) && self.is(0, b' ') {
                self.skip();
            }
            max_indent = max_indent.max(self.column());
            if !self.is_break(0) {
                break;
            }
            self.skip_line();
        }
        if *indent == 0 {
            *indent = max_indent.max(self.indent + 1).max(1);
        }
    }
}

/// Characters of an anchor or alias name (libyaml's `IS_ALPHA`).
fn is_anchor_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c == b'-'
}

/// Characters of a tag URI (libyaml's `yaml_parser_scan_tag_uri`); `,`, `[` and `]` only inside
/// `!<…>`.
fn is_uri_char(c: u8, verbatim: bool) -> bool {
    is_anchor_char(c)
        || matches!(
            c,
            b';' | b'/'
                | b'?'
                | b':'
                | b'@'
                | b'&'
                | b'='
                | b'+'
                | b'$'
                | b'.'
                | b'%'
                | b'!'
                | b'~'
                | b'*'
                | b'\''
                | b'('
                | b')'
        )
        || (verbatim && matches!(c, b',' | b'[' | b']'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn yaml_depth(text: &str) -> usize {
        nesting(text, Format::Yaml, usize::MAX).unwrap_or(usize::MAX)
    }

    fn refused_at(text: &str, format: Format) -> Option<(usize, usize)> {
        match check(text, format) {
            Err(WorldError::TooDeep { line, column, .. }) => Some((line, column)),
            _ => None,
        }
    }

    #[test]
    fn real_worlds_nest_a_dozen_levels() {
        assert_eq!(yaml_depth(crate::DEMO_WORLD), 12);
        assert_eq!(yaml_depth(&crate::clients::clients_world(28)), 12);
        let demo = crate::parse(crate::DEMO_WORLD).map(|f| f.to_json());
        let json = demo.and_then(|j| j).unwrap_or_default();
        let depth = nesting(&json, Format::Json, usize::MAX).unwrap_or(usize::MAX);
        assert!((5..=MAX_NESTING / 4).contains(&depth), "{depth}");
    }

    #[test]
    fn open_brackets_past_the_limit_are_refused_where_they_pass_it() {
        // `apps: ` is one level (the root mapping); 63 brackets make 64.
        let at_limit = format!("apps: {}", "[".repeat(MAX_NESTING - 1));
        assert_eq!(refused_at(&at_limit, Format::Yaml), None);
        let past = format!("apps: {}", "[".repeat(48 * 1024));
        assert_eq!(
            refused_at(&past, Format::Yaml),
            Some((1, 7 + MAX_NESTING - 1))
        );
        let maps = format!("apps: {}", "{a: ".repeat(1000));
        assert!(refused_at(&maps, Format::Yaml).is_some());
        let lines = format!("apps: {}", "[\n".repeat(1000));
        assert_eq!(refused_at(&lines, Format::Yaml).map(|p| p.0), Some(64));
        let json = format!("{{\"apps\": {}", "[".repeat(1000));
        assert_eq!(
            refused_at(&json, Format::Json),
            Some((1, 10 + MAX_NESTING - 1))
        );
    }

    #[test]
    fn block_nesting_counts_like_brackets() {
        let dashes = format!("apps:\n{}x\n", "- ".repeat(1000));
        assert!(refused_at(&dashes, Format::Yaml).is_some());
        let mut stairs = String::new();
        for i in 0..100 {
            stairs.push_str(&" ".repeat(i));
            stairs.push_str("a:\n");
        }
        // Refused at the `:` that opens the 65th mapping.
        assert_eq!(
            refused_at(&stairs, Format::Yaml),
            Some((MAX_NESTING + 1, MAX_NESTING + 2))
        );
        // Going back out frees the levels again.
        let mut waves = String::new();
        for _ in 0..50 {
            for i in 0..40 {
                waves.push_str(&format!("{}k{i}:\n", " ".repeat(i)));
            }
            waves.push_str(&format!("{}leaf: x\n", " ".repeat(40)));
        }
        assert_eq!(yaml_depth(&waves), 41);
    }

    #[test]
    fn brackets_in_text_are_not_collections() {
        let deep = "[".repeat(200);
        let closers = "]".repeat(200);
        for text in [
            format!("a: \"{deep}\"\n"),
            format!("a: '{deep}'\n"),
            format!("a: \"x\\\"{deep}\"\n"),
            format!("a: 'it''s {deep}'\n"),
            format!("a: \"{deep}\n  {deep}\"\n"),
            format!("# {deep}\na: b # {deep}\n"),
            format!("a: plain {deep} text\n"),
            format!("a: plain\n  continued {deep}\n"),
            format!("a: |\n  {deep}\n  {deep}\n\n  {closers}\nb: c\n"),
            format!("- >-\n   {deep}\n- x\n"),
            format!("a: !tag '{deep}'\n"),
            format!("a: !<tag:x,[[[]> plain {deep}\n"),
            format!("a: Jasper's {deep}\n"),
        ] {
            assert!(yaml_depth(&text) <= 2, "{text}");
        }
        let json = format!("{{\"a\": \"{deep}\\\"{deep}\"}}");
        assert_eq!(nesting(&json, Format::Json, usize::MAX).ok(), Some(1));
    }

    #[test]
    fn size_is_checked_without_reading() {
        assert!(check_size(MAX_WORLD_BYTES).is_ok());
        assert_eq!(
            check_size(MAX_WORLD_BYTES + 1),
            Err(WorldError::TooLarge {
                bytes: MAX_WORLD_BYTES + 1,
                limit: MAX_WORLD_BYTES
            })
        );
    }

    /// A YAML node with the nesting it should have.
    #[derive(Debug, Clone)]
    enum Node {
        Scalar(String),
        Seq(Vec<Node>),
        Map(Vec<Node>),
    }

    impl Node {
        fn depth(&self) -> usize {
            match self {
                Self::Scalar(_) => 0,
                Self::Seq(items) | Self::Map(items) => {
                    1 + items.iter().map(Self::depth).max().unwrap_or(0)
                }
            }
        }
    }

    /// Scalars that look like collections to a careless scanner, each valid in both block and
    /// flow context.
    fn scalar() -> impl Strategy<Value = String> {
        let tricky = "[\\[\\]{}#:, ]{0,12}";
        prop_oneof![
            "[a-z][a-z0-9]{0,6}",
            tricky.prop_map(|t| format!("'{}'", t.replace('\'', "''"))),
            tricky.prop_map(|t| format!("\"x\\\"{t}\"")),
            tricky.prop_map(|t| format!("!t '{t}'")),
            ("[a-z]{1,4}", tricky).prop_map(|(a, t)| format!("&{a} '{t}'")),
        ]
    }

    fn node() -> impl Strategy<Value = Node> {
        scalar()
            .prop_map(Node::Scalar)
            .prop_recursive(8, 64, 4, |inner| {
                prop_oneof![
                    proptest::collection::vec(inner.clone(), 1..4).prop_map(Node::Seq),
                    proptest::collection::vec(inner, 1..4).prop_map(Node::Map),
                ]
            })
    }

    fn flow(node: &Node, out: &mut String) {
        match node {
            Node::Scalar(s) => out.push_str(s),
            Node::Seq(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    flow(item, out);
                }
                out.push(']');
            }
            Node::Map(items) => {
                out.push('{');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    out.push_str(&format!("k{i}: "));
                    flow(item, out);
                }
                out.push('}');
            }
        }
    }

    /// Writes `node` as the value after `key: ` or `- ` at `indent`; `style` picks block or
    /// flow form (and block scalars or comments with brackets) per node.
    fn block(node: &Node, indent: usize, style: &mut impl Iterator<Item = u8>, out: &mut String) {
        let pick = style.next().unwrap_or(0);
        let pad = " ".repeat(indent);
        match node {
            Node::Scalar(s) if pick.is_multiple_of(4) => {
                out.push_str(&format!("|\n{pad}  {s} [[{{{{\n{pad}  ]]\n"));
            }
            Node::Scalar(s) if pick % 4 == 1 => out.push_str(&format!("{s} # [[[ {{{{\n")),
            Node::Scalar(s) => {
                out.push_str(s);
                out.push('\n');
            }
            _ if pick.is_multiple_of(3) => {
                flow(node, out);
                out.push('\n');
            }
            Node::Seq(items) => {
                out.push('\n');
                for item in items {
                    out.push_str(&format!("{pad}  - "));
                    block(item, indent + 4, style, out);
                }
            }
            Node::Map(items) => {
                out.push('\n');
                for (i, item) in items.iter().enumerate() {
                    if pick % 5 == 1 {
                        out.push_str(&format!("{pad}  # {{{{ [[ k{i}: [\n"));
                    }
                    out.push_str(&format!("{pad}  k{i}: "));
                    block(item, indent + 2, style, out);
                }
            }
        }
    }

    fn floor_boundary(text: &str, mut i: usize) -> usize {
        while !text.is_char_boundary(i) {
            i -= 1;
        }
        i
    }

    fn depth_of(value: &serde_norway::Value) -> usize {
        match value {
            serde_norway::Value::Sequence(items) => {
                1 + items.iter().map(depth_of).max().unwrap_or(0)
            }
            serde_norway::Value::Mapping(map) => {
                1 + map
                    .iter()
                    .map(|(k, v)| depth_of(k).max(depth_of(v)))
                    .max()
                    .unwrap_or(0)
            }
            serde_norway::Value::Tagged(tagged) => depth_of(&tagged.value),
            _ => 0,
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(128))]

        /// On documents of known shape, written with every kind of scalar, comment and block
        /// scalar that holds brackets, the scan finds exactly the real nesting (plus the root
        /// mapping), and the YAML parser agrees the text is that document.
        #[test]
        fn finds_the_nesting_of_well_formed_documents(
            node in node(),
            styles in proptest::collection::vec(any::<u8>(), 64),
        ) {
            let mut text = String::from("root: ");
            block(&node, 0, &mut styles.into_iter(), &mut text);
            let value: Result<serde_norway::Value, _> = serde_norway::from_str(&text);
            let value = value.map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
            prop_assert_eq!(depth_of(&value), 1 + node.depth(), "{}", text);
            prop_assert_eq!(yaml_depth(&text), 1 + node.depth(), "{}", text);
        }

        /// On any text the YAML parser reads (aliases aside, which repeat nodes), the scan never
        /// finds less nesting than the parsed value has: at most one level per bracket or
        /// indentation level, plus the one-pair mappings and indentless sequences YAML allows
        /// without either.
        #[test]
        fn never_finds_less_than_the_parser(text in "[\\[\\]{}\\-?:,#'\"|>!& \\na-c]{0,64}") {
            let depth = yaml_depth(&text);
            if let Ok(value) = serde_norway::from_str::<serde_norway::Value>(&text) {
                prop_assert!(depth_of(&value) <= 2 * depth + 1, "{} vs {}: {:?}", depth_of(&value), depth, text);
            }
        }

        /// The same on well-formed documents with a few random edits (brackets, quotes,
        /// comment and block scalar indicators inserted or cut), the texts most likely to
        /// make a scanner lose track of what is text and what is structure.
        #[test]
        fn never_finds_less_than_the_parser_near_valid_documents(
            node in node(),
            styles in proptest::collection::vec(any::<u8>(), 64),
            edits in proptest::collection::vec(
                (any::<prop::sample::Index>(), "[\\[\\]{}\\-?:,#'\"|>!& \\na-c]{0,3}", 0usize..3),
                1..6,
            ),
        ) {
            let mut text = String::from("root: ");
            block(&node, 0, &mut styles.into_iter(), &mut text);
            for (at, insert, cut) in edits {
                let start = floor_boundary(&text, at.index(text.len() + 1));
                let end = floor_boundary(&text, (start + cut).min(text.len()));
                text.replace_range(start..end, &insert);
            }
            let depth = yaml_depth(&text);
            if let Ok(value) = serde_norway::from_str::<serde_norway::Value>(&text) {
                prop_assert!(
                    depth_of(&value) <= 2 * depth + 1,
                    "{} > 2 * {} + 1: {:?}", depth_of(&value), depth, text
                );
            }
        }

        /// The scan never panics and is linear: any text, whatever bytes it holds.
        #[test]
        fn scans_any_text(text in any::<String>(), json in any::<bool>()) {
            let format = if json { Format::Json } else { Format::Yaml };
            let _ = check(&text, format);
        }
    }
}
