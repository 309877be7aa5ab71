//! Parsing a Graph request: version prefix, path, and parameters from query and body.
//!
//! Graph accepts a parameter in the query string, a form body or a JSON body alike, so they are
//! merged into one [`Params`] map (body wins over query). Malformed bodies are refused with the
//! Graph error a client would see from Meta, never a bare 400.

use std::collections::BTreeMap;

use axum::http::{HeaderMap, Method, header};
use serde_json::Value;
use wamm_wire::{FieldSelection, Filter, GraphError, GraphVersion, PageRequest};

/// Request parameters, merged from the query string and the body.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Params(BTreeMap<String, Value>);

impl Params {
    /// Parses the query string and body.
    pub fn parse(
        query: Option<&str>,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Result<Self, GraphError> {
        let mut map = BTreeMap::new();
        if let Some(q) = query {
            let pairs: Vec<(String, String)> = serde_urlencoded::from_str(q)
                .map_err(|_| GraphError::invalid_parameter("Invalid query string"))?;
            for (k, v) in pairs {
                map.insert(k, Value::String(v));
            }
        }
        if body.iter().any(|b| !b.is_ascii_whitespace()) {
            let content_type = headers
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_ascii_lowercase();
            if content_type.starts_with("application/json") {
                let value: Value = serde_json::from_slice(body)
                    .map_err(|_| GraphError::invalid_parameter("Invalid JSON in request body"))?;
                match value {
                    Value::Object(obj) => map.extend(obj),
                    _ => {
                        return Err(GraphError::invalid_parameter(
                            "The request body must be a JSON object",
                        ));
                    }
                }
            } else if content_type.starts_with("multipart/form-data") {
                return Err(GraphError::invalid_parameter(
                    "multipart/form-data bodies are not supported here; send JSON or a form body",
                ));
            } else {
                // Form bodies are what Graph SDKs send by default, with or without a content type.
                let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(body)
                    .map_err(|_| GraphError::invalid_parameter("Invalid form body"))?;
                for (k, v) in pairs {
                    map.insert(k, Value::String(v));
                }
            }
        }
        Ok(Self(map))
    }

    /// The modifiers of a `fields=` entry as parameters: `template_analytics.start(1).end(2)`
    /// reads as `start=1&end=2`, so a field and its edge share one parser.
    pub fn of_modifiers(spec: &wamm_wire::fields::FieldSpec) -> Self {
        Self(
            spec.modifiers
                .iter()
                .map(|(name, arg)| (name.clone(), Value::String(arg.clone())))
                .collect(),
        )
    }

    /// Builds params from pairs.
    #[cfg(test)]
    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, Value)>) -> Self {
        Self(pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
    }

    /// Every parameter but the caller's credentials (`access_token`, `appsecret_proof`), to
    /// keep a request for later (an asynchronous Insights report).
    pub fn without_credentials(&self) -> BTreeMap<String, Value> {
        self.0
            .iter()
            .filter(|(k, _)| !matches!(k.as_str(), "access_token" | "appsecret_proof"))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }

    /// Params kept with [`Self::without_credentials`].
    pub fn from_kept(kept: BTreeMap<String, Value>) -> Self {
        Self(kept)
    }

    /// The raw value.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.0.get(name)
    }

    /// Whether the parameter was sent.
    pub fn has(&self, name: &str) -> bool {
        self.0.contains_key(name)
    }

    /// A parameter as text (numbers and booleans are rendered as text, as in a query string).
    pub fn str(&self, name: &str) -> Option<String> {
        match self.0.get(name)? {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    }

    /// A list parameter in any of the forms Graph clients send: a JSON array in a JSON body,
    /// JSON array text (`["APPROVED","PAUSED"]`, as Meta's SDKs send list filters), or
    /// comma-separated text (`APPROVED,PAUSED`). Blank items are dropped; `None` when the
    /// parameter is absent or lists nothing.
    pub fn list(&self, name: &str) -> Option<Vec<String>> {
        let items: Vec<String> = match self.0.get(name)? {
            Value::Array(items) => items
                .iter()
                .filter_map(|v| match v {
                    Value::String(s) => Some(s.clone()),
                    Value::Number(n) => Some(n.to_string()),
                    _ => None,
                })
                .collect(),
            Value::String(text) if text.trim_start().starts_with('[') => {
                match serde_json::from_str::<Vec<Value>>(text) {
                    Ok(items) => items
                        .into_iter()
                        .map(|v| match v {
                            Value::String(s) => s,
                            other => other.to_string(),
                        })
                        .collect(),
                    // Unquoted (`[SENT,READ]`) or single-quoted (`['SENT','READ']`) lists,
                    // as clients and Meta's own examples write them.
                    Err(_) => text
                        .trim()
                        .trim_start_matches('[')
                        .trim_end_matches(']')
                        .split(',')
                        .map(|item| item.trim().trim_matches(['\'', '"']).to_owned())
                        .collect(),
                }
            }
            other => {
                let text = match other {
                    Value::String(s) => s.clone(),
                    v => v.to_string(),
                };
                text.split(',').map(str::to_owned).collect()
            }
        };
        let items: Vec<String> = items
            .into_iter()
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
            .collect();
        (!items.is_empty()).then_some(items)
    }

    /// A parameter that carries JSON: either a JSON value in a JSON body, or JSON text in a
    /// query or form field (how SDKs send arrays and objects).
    pub fn json(&self, name: &str) -> Result<Option<Value>, GraphError> {
        match self.0.get(name) {
            None => Ok(None),
            Some(Value::String(text)) => serde_json::from_str(text).map(Some).map_err(|_| {
                GraphError::invalid_parameter(format!("Param {name} must be a JSON value"))
            }),
            Some(other) => Ok(Some(other.clone())),
        }
    }

    /// A boolean parameter: `true`/`false` (as JSON or text), `1`/`0`.
    pub fn bool(&self, name: &str) -> Result<Option<bool>, GraphError> {
        match self.0.get(name) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(v) => match v.as_str().map(str::to_ascii_lowercase).as_deref() {
                Some("true" | "1") => Ok(Some(true)),
                Some("false" | "0") => Ok(Some(false)),
                _ => Err(GraphError::invalid_parameter(format!(
                    "Param {name} must be a boolean"
                ))),
            },
        }
    }

    /// An integer parameter.
    pub fn int(&self, name: &str) -> Result<Option<i64>, GraphError> {
        match self.0.get(name) {
            None => Ok(None),
            Some(Value::Number(n)) => n.as_i64().map(Some).ok_or_else(|| {
                GraphError::invalid_parameter(format!("Param {name} must be an integer"))
            }),
            Some(Value::String(s)) => s.trim().parse().map(Some).map_err(|_| {
                GraphError::invalid_parameter(format!("Param {name} must be an integer"))
            }),
            Some(_) => Err(GraphError::invalid_parameter(format!(
                "Param {name} must be an integer"
            ))),
        }
    }

    /// A required text parameter.
    pub fn required(&self, name: &str) -> Result<String, GraphError> {
        self.str(name).filter(|s| !s.is_empty()).ok_or_else(|| {
            GraphError::invalid_parameter(format!("The parameter {name} is required"))
        })
    }

    /// The `fields=` selection, if any.
    pub fn fields(&self) -> Result<Option<FieldSelection>, GraphError> {
        match self.str("fields") {
            None => Ok(None),
            Some(text) if text.trim().is_empty() => Ok(None),
            Some(text) => FieldSelection::parse(&text)
                .map(Some)
                .map_err(|e| GraphError::invalid_parameter(e.to_string())),
        }
    }

    /// Paging parameters (`limit`, `after`, `before`).
    pub fn page(&self) -> Result<PageRequest, GraphError> {
        let limit = self.str("limit");
        let after = self.str("after");
        let before = self.str("before");
        PageRequest::from_query(limit.as_deref(), after.as_deref(), before.as_deref())
            .map_err(|e| GraphError::invalid_parameter(e.to_string()))
    }

    /// The `filtering=` clauses.
    pub fn filtering(&self) -> Result<Vec<Filter>, GraphError> {
        match self.0.get("filtering") {
            None => Ok(Vec::new()),
            Some(Value::String(text)) => {
                Filter::parse_all(text).map_err(|e| GraphError::invalid_parameter(e.to_string()))
            }
            Some(other) => Filter::parse_all(&other.to_string())
                .map_err(|e| GraphError::invalid_parameter(e.to_string())),
        }
    }
}

/// A parsed Graph request.
#[derive(Debug, Clone)]
pub struct GraphRequest {
    /// HTTP method.
    pub method: Method,
    /// The version the call is served at.
    pub version: GraphVersion,
    /// Path segments after the version.
    pub path: Vec<String>,
    /// Parameters.
    pub params: Params,
    /// Request headers.
    pub headers: HeaderMap,
    /// `scheme://host` the client used, for paging URLs.
    pub origin: String,
    /// The request's `fbtrace_id` (also in its `x-fb-trace-id` header).
    pub trace: String,
}

impl GraphRequest {
    /// The method name in lower case, as Graph puts it in messages.
    pub fn method_name(&self) -> &'static str {
        match self.method {
            Method::POST => "post",
            Method::DELETE => "delete",
            Method::PUT => "put",
            _ => "get",
        }
    }

    /// The URL of the same call with other paging parameters, for `paging.next`/`previous`.
    ///
    /// Like Graph's, the link carries the call's access token (wherever it came from), and its
    /// `appsecret_proof` when one was sent, so a client can follow it as it is.
    pub fn page_url(&self, cursor_param: &str, cursor: &str) -> String {
        let mut pairs: Vec<(String, String)> = self
            .params
            .0
            .iter()
            .filter(|(k, _)| {
                !matches!(
                    k.as_str(),
                    "after" | "before" | "access_token" | "appsecret_proof"
                )
            })
            .map(|(k, v)| match v {
                Value::String(s) => (k.clone(), s.clone()),
                other => (k.clone(), other.to_string()),
            })
            .collect();
        if let Some(token) = super::auth::presented_token(self) {
            pairs.push(("access_token".to_owned(), token));
            if let Some(proof) = self.params.str("appsecret_proof") {
                pairs.push(("appsecret_proof".to_owned(), proof));
            }
        }
        pairs.push((cursor_param.to_owned(), cursor.to_owned()));
        let query = serde_urlencoded::to_string(&pairs).unwrap_or_default();
        format!(
            "{}/{}/{}?{query}",
            self.origin,
            self.version,
            self.path.join("/")
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;
    use proptest::prelude::*;
    use std::time::{Duration, Instant};

    /// A bound that catches a hang or a blow-up (quadratic parsing, alias expansion: seconds to
    /// minutes on these inputs before the bounds), not a speed target: inputs below parse in
    /// milliseconds, and a debug build on a loaded two-core machine must never come near it.
    const PROMPT: Duration = Duration::from_secs(30);

    #[test]
    fn lists_come_in_every_form_clients_send() {
        let parse =
            |query: &str| Params::parse(Some(query), &HeaderMap::new(), &[]).expect("parameters");
        let want = Some(vec!["APPROVED".to_owned(), "PAUSED".to_owned()]);
        assert_eq!(
            parse("status=%5B%22APPROVED%22,%22PAUSED%22%5D").list("status"),
            want
        );
        assert_eq!(parse("status=APPROVED,%20PAUSED").list("status"), want);
        assert_eq!(parse("status=%5BAPPROVED,PAUSED%5D").list("status"), want);
        assert_eq!(
            parse("status=%5B%27APPROVED%27,%20%27PAUSED%27%5D").list("status"),
            want
        );
        assert_eq!(
            parse("status=APPROVED").list("status"),
            Some(vec!["APPROVED".to_owned()])
        );
        assert_eq!(parse("status=").list("status"), None);
        assert_eq!(parse("status=%5B%5D").list("status"), None);
        assert_eq!(parse("other=1").list("status"), None);
        let json = Params::parse(
            None,
            &HeaderMap::from_iter([(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            )]),
            br#"{"status": ["APPROVED", "PAUSED"]}"#,
        )
        .expect("json body");
        assert_eq!(json.list("status"), want);
    }

    fn timed(query: Option<&str>, content_type: &str, body: &[u8]) -> Result<Params, GraphError> {
        let started = Instant::now();
        let result = Params::parse(query, &headers(content_type), body);
        assert!(started.elapsed() < PROMPT, "{:?}", started.elapsed());
        result
    }

    /// Pairs as a client sends them: arbitrary names and values, repeats included.
    fn pairs() -> impl Strategy<Value = Vec<(String, String)>> {
        proptest::collection::vec(("[a-c]{0,2}|.{0,6}", ".{0,12}"), 0..8)
    }

    /// What the parameters should be: the query's pairs, then the body's over them, a later
    /// repeat of a name replacing the earlier one.
    fn model(query: &[(String, String)], body: &[(String, String)]) -> BTreeMap<String, Value> {
        let mut map = BTreeMap::new();
        for (k, v) in query.iter().chain(body) {
            map.insert(k.clone(), Value::String(v.clone()));
        }
        map
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// Query and form body pairs, percent-encoded any way, merge as the model says.
        #[test]
        fn query_and_form_merge_as_the_model_says(query in pairs(), body in pairs(), typed in any::<bool>()) {
            let q = serde_urlencoded::to_string(&query).map_err(|e| TestCaseError::fail(e.to_string()))?;
            let b = serde_urlencoded::to_string(&body).map_err(|e| TestCaseError::fail(e.to_string()))?;
            let content_type = if typed { "application/x-www-form-urlencoded" } else { "" };
            let params = timed(Some(&q), content_type, b.as_bytes());
            let params = params.map_err(|e| TestCaseError::fail(format!("{e:?}")))?;
            prop_assert_eq!(params.0, model(&query, &body));
        }

        /// A JSON object body merges over the query member by member, whatever its values.
        #[test]
        fn json_objects_merge_over_the_query(
            query in pairs(),
            members in proptest::collection::btree_map(".{0,6}", prop_oneof![
                any::<i64>().prop_map(Value::from),
                // Floats are left out: serde_json reads some back one unit in the last place
                // off (its float_roundtrip feature is not enabled), which is not this parser's.
                Just(Value::from(2.5)),
                ".{0,8}".prop_map(Value::from),
                any::<bool>().prop_map(Value::from),
                Just(serde_json::json!([1, {"a": [null]}])),
            ], 0..6),
            content_type in "(application|APPLICATION)/(json|JSON)(; charset=utf-8)?",
        ) {
            let q = serde_urlencoded::to_string(&query).map_err(|e| TestCaseError::fail(e.to_string()))?;
            let body = serde_json::to_vec(&members).map_err(|e| TestCaseError::fail(e.to_string()))?;
            let params = timed(Some(&q), &content_type, &body);
            let params = params.map_err(|e| TestCaseError::fail(format!("{e:?}")))?;
            let mut expected = model(&query, &[]);
            expected.extend(members);
            prop_assert_eq!(params.0, expected);
        }

        /// Any query, content type and body bytes, and near-valid ones (broken percent
        /// escapes, deep or unbalanced JSON, huge numbers, odd unicode): no panic, a prompt
        /// answer, and a refusal is a Graph error (code 100, HTTP 400).
        #[test]
        fn any_request_is_answered_promptly(
            query in proptest::option::of(prop_oneof![
                ".{0,32}".boxed(),
                "([a-z%+=&]|%[0-9a-fA-F]{0,2}|%ff|%c3%28){0,16}".boxed(),
            ]),
            content_type in prop_oneof![
                Just(String::new()),
                Just("application/json".to_owned()),
                Just("application/x-www-form-urlencoded".to_owned()),
                Just("multipart/form-data; boundary=x".to_owned()),
                "[ -~]{0,24}",
            ],
            body in prop_oneof![
                proptest::collection::vec(any::<u8>(), 0..64).boxed(),
                (0usize..20_000).prop_map(|n| format!("{{\"a\": {}", "[".repeat(n)).into_bytes()).boxed(),
                (0usize..20_000).prop_map(|n| "{\"a\":".repeat(n).into_bytes()).boxed(),
                Just(b"{\"n\": 1e999, \"m\": 123456789012345678901234567890}".to_vec()).boxed(),
                Just("{\"\u{feff}\u{202e}\": \"\\ud800\"}".as_bytes().to_vec()).boxed(),
                Just(b" \n\t ".to_vec()).boxed(),
                "([a-z=&%+]|%[0-9a-fA-F]{0,2}){0,32}".prop_map(String::into_bytes).boxed(),
            ],
        ) {
            if let Err(e) = timed(query.as_deref(), &content_type, &body) {
                prop_assert_eq!((e.status, e.code()), (400, 100));
            }
        }
    }

    fn headers(ct: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_str(ct).expect("ascii"),
        );
        h
    }

    #[test]
    fn merges_query_form_and_json() {
        let p = Params::parse(
            Some("a=1&b=x"),
            &headers("application/x-www-form-urlencoded"),
            b"b=y&c=true",
        )
        .expect("form");
        assert_eq!(p.str("a").as_deref(), Some("1"));
        assert_eq!(p.str("b").as_deref(), Some("y"));
        assert_eq!(p.bool("c"), Ok(Some(true)));
        let j = Params::parse(
            None,
            &headers("application/json"),
            br#"{"components":[{"type":"BODY"}],"n":5}"#,
        )
        .expect("json");
        assert!(
            j.json("components")
                .expect("json value")
                .is_some_and(|v| v.is_array())
        );
        assert_eq!(j.int("n"), Ok(Some(5)));
    }

    #[test]
    fn refuses_malformed_bodies_with_graph_errors() {
        let err =
            Params::parse(None, &headers("application/json"), b"{nope").expect_err("bad json");
        assert_eq!(err.code(), 100);
        let err =
            Params::parse(None, &headers("application/json"), b"[1]").expect_err("array body");
        assert_eq!(err.status, 400);
        let p = Params::from_pairs([("limit", Value::String("x".into()))]);
        assert!(p.page().is_err());
        assert!(p.int("limit").is_err());
    }
}
