//! Cursor paging: `limit`, `after`, `before`, and `paging{cursors{before,after},next,previous}`.
//!
//! Cursors are opaque to clients. wamm encodes the sort key of the boundary item, so a cursor
//! stays valid while items are added or removed around it, as Graph's do.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};

/// Graph's default page size on list edges.
pub const DEFAULT_LIMIT: usize = 25;
/// The largest page size wamm serves.
pub const MAX_LIMIT: usize = 100;

/// An opaque paging cursor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor(String);

/// A cursor that wamm did not issue.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid cursor '{0}'")]
pub struct CursorError(pub String);

const MAGIC: &str = "wamm1:";

impl Cursor {
    /// A cursor pointing at the item with this sort key.
    pub fn for_key(key: &str) -> Self {
        Self(URL_SAFE_NO_PAD.encode(format!("{MAGIC}{key}")))
    }

    /// Decodes a cursor a client sent back.
    pub fn decode(text: &str) -> Result<String, CursorError> {
        let bad = || CursorError(text.to_owned());
        let bytes = URL_SAFE_NO_PAD
            .decode(text.trim_end_matches('='))
            .map_err(|_| bad())?;
        let raw = String::from_utf8(bytes).map_err(|_| bad())?;
        raw.strip_prefix(MAGIC).map(str::to_owned).ok_or_else(bad)
    }

    /// The encoded text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What a client asked for: page size and position.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PageRequest {
    /// Requested page size, already clamped to `1..=MAX_LIMIT`.
    pub limit: usize,
    /// Return items after this key.
    pub after: Option<String>,
    /// Return items before this key.
    pub before: Option<String>,
}

impl PageRequest {
    /// Builds a request from raw query values, decoding cursors.
    pub fn from_query(
        limit: Option<&str>,
        after: Option<&str>,
        before: Option<&str>,
    ) -> Result<Self, PageRequestError> {
        let limit = match limit {
            None | Some("") => DEFAULT_LIMIT,
            Some(text) => match text.parse::<i64>() {
                Ok(n) if n >= 1 => usize::try_from(n).unwrap_or(MAX_LIMIT).min(MAX_LIMIT),
                Ok(_) => DEFAULT_LIMIT,
                Err(_) => return Err(PageRequestError::Limit(text.to_owned())),
            },
        };
        let decode = |c: Option<&str>| -> Result<Option<String>, PageRequestError> {
            c.filter(|c| !c.is_empty())
                .map(|c| Cursor::decode(c).map_err(PageRequestError::Cursor))
                .transpose()
        };
        Ok(Self {
            limit,
            after: decode(after)?,
            before: decode(before)?,
        })
    }
}

/// Why paging parameters were refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PageRequestError {
    /// `limit` is not a number.
    #[error("Param limit must be a number, got '{0}'")]
    Limit(String),
    /// A cursor wamm did not issue.
    #[error("{0}")]
    Cursor(CursorError),
}

/// One page cut from a sorted list, with the facts needed to render `paging`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slice<T> {
    /// The items of the page.
    pub items: Vec<T>,
    /// Cursor of the first item.
    pub before: Option<Cursor>,
    /// Cursor of the last item.
    pub after: Option<Cursor>,
    /// Whether items follow this page.
    pub has_next: bool,
    /// Whether items precede this page.
    pub has_previous: bool,
}

/// Cuts the requested page from `items`, which must be sorted ascending by `key`.
pub fn paginate<T>(items: Vec<T>, request: &PageRequest, key: impl Fn(&T) -> String) -> Slice<T> {
    let keys: Vec<String> = items.iter().map(&key).collect();
    let (start, end) = if let Some(after) = &request.after {
        let start = keys.partition_point(|k| k.as_str() <= after.as_str());
        (start, (start + request.limit).min(items.len()))
    } else if let Some(before) = &request.before {
        let end = keys.partition_point(|k| k.as_str() < before.as_str());
        (end.saturating_sub(request.limit), end)
    } else {
        (0, request.limit.min(items.len()))
    };
    let total = items.len();
    let items: Vec<T> = items.into_iter().skip(start).take(end - start).collect();
    Slice {
        before: keys
            .get(start)
            .filter(|_| !items.is_empty())
            .map(|k| Cursor::for_key(k)),
        after: (end > start).then(|| Cursor::for_key(&keys[end - 1])),
        has_next: end < total,
        has_previous: start > 0,
        items,
    }
}

/// `paging.cursors`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PagingCursors {
    /// Cursor of the first item of the page.
    pub before: String,
    /// Cursor of the last item of the page.
    pub after: String,
}

/// The `paging` member of a list response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Paging {
    /// The page's boundary cursors.
    pub cursors: PagingCursors,
    /// URL of the previous page, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous: Option<String>,
    /// URL of the next page, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
}

/// A list response: `{"data": [...], "paging": {...}}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Page<T> {
    /// The items.
    pub data: Vec<T>,
    /// Paging information; absent on an empty page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paging: Option<Paging>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn req(limit: usize, after: Option<&str>, before: Option<&str>) -> PageRequest {
        PageRequest {
            limit,
            after: after.map(str::to_owned),
            before: before.map(str::to_owned),
        }
    }

    #[test]
    fn cursor_roundtrip_and_rejects_foreign_text() {
        let c = Cursor::for_key("000123");
        assert_eq!(Cursor::decode(c.as_str()).ok().as_deref(), Some("000123"));
        assert!(Cursor::decode("MAZDZD").is_err());
        assert!(Cursor::decode("%%%").is_err());
    }

    #[test]
    fn limit_is_clamped_and_validated() {
        assert_eq!(
            PageRequest::from_query(None, None, None).map(|r| r.limit),
            Ok(DEFAULT_LIMIT)
        );
        assert_eq!(
            PageRequest::from_query(Some("500"), None, None).map(|r| r.limit),
            Ok(MAX_LIMIT)
        );
        assert!(PageRequest::from_query(Some("ten"), None, None).is_err());
        assert!(PageRequest::from_query(None, Some("bogus"), None).is_err());
    }

    #[test]
    fn walks_forward_and_back() {
        let items: Vec<String> = (0..5).map(|i| format!("k{i}")).collect();
        let first = paginate(items.clone(), &req(2, None, None), Clone::clone);
        assert_eq!(first.items, ["k0", "k1"]);
        assert!(first.has_next && !first.has_previous);
        let after =
            Cursor::decode(first.after.as_ref().map(Cursor::as_str).unwrap_or_default()).ok();
        let second = paginate(items.clone(), &req(2, after.as_deref(), None), Clone::clone);
        assert_eq!(second.items, ["k2", "k3"]);
        assert!(second.has_next && second.has_previous);
        let back = paginate(items, &req(2, None, Some("k2")), Clone::clone);
        assert_eq!(back.items, ["k0", "k1"]);
        assert!(!back.has_previous);
    }

    /// A bound that catches a hang or a blow-up (quadratic parsing, alias expansion: seconds to
    /// minutes on these inputs before the bounds), not a speed target: inputs below parse in
    /// milliseconds, and a debug build on a loaded two-core machine must never come near it.
    const PROMPT: std::time::Duration = std::time::Duration::from_secs(30);

    /// The page size `limit=text` should give: absent or empty is the default, a positive
    /// integer is clamped to the maximum, zero or less is the default, anything else an error.
    fn limit_model(text: Option<&str>) -> Option<usize> {
        match text {
            None | Some("") => Some(DEFAULT_LIMIT),
            Some(t) => t
                .parse::<i128>()
                .ok()
                .filter(|n| i64::try_from(*n).is_ok())
                .map(|n| {
                    if n >= 1 {
                        usize::try_from(n).map_or(MAX_LIMIT, |n| n.min(MAX_LIMIT))
                    } else {
                        DEFAULT_LIMIT
                    }
                }),
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// Any key makes a cursor that decodes back to it.
        #[test]
        fn cursors_round_trip(key in any::<String>()) {
            let cursor = Cursor::for_key(&key);
            prop_assert_eq!(Cursor::decode(cursor.as_str()), Ok(key));
        }

        /// Any text, base64-looking or not, with padding or not: no panic, a prompt answer,
        /// and only text wamm issued decodes.
        #[test]
        fn any_cursor_text_is_answered_promptly(
            text in prop_oneof![
                any::<String>().boxed(),
                "[A-Za-z0-9_=+/-]{0,64}".boxed(),
                (0usize..200_000).prop_map(|n| "A".repeat(n)).boxed(),
                (0usize..200_000).prop_map(|n| "=".repeat(n)).boxed(),
            ],
        ) {
            let started = std::time::Instant::now();
            let decoded = Cursor::decode(&text);
            prop_assert!(started.elapsed() < PROMPT);
            if let Ok(key) = decoded {
                prop_assert_eq!(Cursor::decode(Cursor::for_key(&key).as_str()), Ok(key));
            }
        }

        /// `limit` follows the model whatever is sent: huge, negative, signed, blank or not a
        /// number.
        #[test]
        fn limit_follows_the_model(
            limit in proptest::option::of(prop_oneof![
                any::<i64>().prop_map(|n| n.to_string()),
                any::<i128>().prop_map(|n| n.to_string()),
                "[+-]?[0-9]{0,30}",
                ".{0,8}",
            ]),
        ) {
            let got = PageRequest::from_query(limit.as_deref(), None, None);
            prop_assert_eq!(got.as_ref().ok().map(|r| r.limit), limit_model(limit.as_deref()), "{:?}", got);
        }

        #[test]
        fn forward_walk_visits_every_item_once(n in 0usize..60, limit in 1usize..10) {
            let items: Vec<String> = (0..n).map(|i| format!("{i:04}")).collect();
            let mut seen = Vec::new();
            let mut after: Option<String> = None;
            loop {
                let page = paginate(items.clone(), &req(limit, after.as_deref(), None), Clone::clone);
                prop_assert!(page.items.len() <= limit);
                seen.extend(page.items.clone());
                if !page.has_next { break; }
                after = page.after.and_then(|c| Cursor::decode(c.as_str()).ok());
            }
            prop_assert_eq!(seen, items);
        }
    }
}
