//! Conformance of Graph answers to Meta's OpenAPI spec for the Business Messaging API.
//!
//! The spec vendored in `spec/meta/` is loaded once per test process, its schemas handed to a
//! JSON Schema validator as one resource, and every answer a suite sees is checked against the
//! operation it belongs to:
//!
//! - the request (method, and path without its `/vNN.N` prefix and query) is matched to a
//!   path template of the spec (`/{Version}/{Phone-Number-ID}/messages`): segment counts
//!   equal, literal segments equal, and the first parameter naming the kind of object the
//!   caller says the path's ID is (a phone number ID and a WABA ID are both numbers, so the
//!   number alone cannot tell `/{Phone-Number-ID}` from `/{WABA-ID}`). Among the templates
//!   left, those with the most literal segments win;
//! - the status must be one the operation declares (or `default`, or an `NXX` range);
//! - the headers the answer declares as required must be present, and those it declares and
//!   the answer carries must match their schemas;
//! - the JSON body must validate against the schema declared for that status.
//!
//! Where Meta's reference pages contradict the spec, [`DIVERGENCES`] says so, operation by
//! operation and JSON path by JSON path, with the page that says otherwise; nothing else is
//! excused.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, LazyLock, Mutex};

use jsonschema::{Draft, Registry, Validator};
use serde_json::{Value, json};

/// Where the spec lives in the repository.
pub const SPEC_FILE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../spec/meta/meta-business-messaging-api_v23.0.yaml"
);

/// The URI the spec is registered under; `$ref`s inside it resolve against it. The `.invalid`
/// domain can never be fetched, and the validator has no resolver that would try.
const SPEC_URI: &str = "https://spec.wamm.invalid/meta-business-messaging-api_v23.0.json";

/// What the first ID of a Graph path names, as the platform's store knows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Node {
    /// A business portfolio.
    Business,
    /// A WhatsApp Business Account.
    Waba,
    /// A business phone number.
    Phone,
    /// A message template.
    Template,
    /// A (system) user.
    User,
    /// An app.
    App,
    /// A Multi-Partner Solution.
    Solution,
    /// A solution migration intent.
    MigrationIntent,
    /// A Marketing API object (ad account, campaign, ad set, ad, report run): the spec has no
    /// path for any, so calls on one are recorded as uncovered.
    AdObject,
    /// A Meta Pixel (or dataset): the spec has no operation on one.
    Pixel,
}

/// What the first segment after the version is, which decides the templates it can match.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// The ID of an object of this kind.
    Node(Node),
    /// A number no object has: Graph answers such a call with an error whatever the
    /// template, so every template whose first segment is a parameter is a candidate.
    Missing,
    /// Not an ID (`me`, `debug_token`, `oauth`): only literal segments match it.
    Word,
}

/// The kind of object a spec path parameter names; `None` for parameters that name something
/// wamm does not serve (media, groups, flows, …), which match no object the platform has.
fn param_node(name: &str) -> Option<Node> {
    Some(match name {
        "Business-ID" => Node::Business,
        "WABA-ID" | "WhatsApp-Business-Account-ID" => Node::Waba,
        "Phone-Number-ID" => Node::Phone,
        "TEMPLATE_ID" => Node::Template,
        "User-ID" => Node::User,
        "Application-ID" => Node::App,
        "Solution-ID" => Node::Solution,
        "Migration-Intent-ID" => Node::MigrationIntent,
        _ => return None,
    })
}

/// The segments of a Graph path after its version prefix (`/v23.0`, or a malformed one such as
/// `/v23.x`, which Graph still reads as a version), without the query.
pub fn graph_segments(path: &str) -> Vec<&str> {
    let path = path.split('?').next().unwrap_or_default();
    let mut segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    if segments
        .first()
        .is_some_and(|s| s.len() > 1 && s.starts_with('v') && s.as_bytes()[1].is_ascii_digit())
    {
        segments.remove(0);
    }
    segments
}

/// One Graph exchange, as a suite saw it.
pub struct Exchange<'a> {
    /// The request method (`GET`, `POST`, …).
    pub method: &'a str,
    /// The request path as sent, with its version prefix and query, if any.
    pub path: &'a str,
    /// What the path's first segment after the version is.
    pub target: Target,
    /// The answer's status.
    pub status: u16,
    /// The answer's headers, looked up by (case-insensitive) name.
    pub header: &'a dyn Fn(&str) -> Option<String>,
    /// The answer's body, as text.
    pub body: &'a str,
}

/// A checked exchange.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The answer conforms to this operation of the spec.
    Validated {
        /// The operation (`POST /{Version}/{Phone-Number-ID}/messages (sendMessage)`).
        operation: String,
        /// The divergences from the spec the answer relied on, by [`Divergence::id`].
        divergences: Vec<&'static str>,
    },
    /// No operation of the spec covers the call; the path's IDs are written `{id}`.
    Uncovered {
        /// `METHOD /path` with IDs replaced.
        call: String,
    },
}

/// One way an answer departs from the spec.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Where: a JSON path into the body (`$.data[0].id`), `status` or `header NAME`.
    pub at: String,
    /// What the validator says.
    pub message: String,
}

/// An answer that does not conform to the operation it was matched to.
#[derive(Debug, Clone)]
pub struct Failure {
    /// The operation.
    pub operation: String,
    /// The answer's status.
    pub status: u16,
    /// The request path.
    pub path: String,
    /// Every departure found.
    pub problems: Vec<Problem>,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "answer to {} ({}) does not conform to Meta's spec, status {}:",
            self.operation, self.path, self.status
        )?;
        for p in &self.problems {
            writeln!(f, "  at {}: {}", p.at, p.message)?;
        }
        Ok(())
    }
}

/// How a divergence changes the check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// The operation declares no error answers, while Meta's pages say every Graph call can
    /// fail with a Graph error object: an error status (4xx, 5xx) the operation does not
    /// declare is accepted, and its body validated against the spec's own error schema,
    /// `#/components/schemas/GraphAPIError`.
    GraphErrors,
    /// Like [`Rule::GraphErrors`], for this one status only.
    ErrorStatus(u16),
    /// A property the schema marks required is absent at the divergence's JSON path while the
    /// call's `fields=` did not ask for it: Graph answers the fields asked for (and `id`).
    UnaskedField,
    /// The validator's complaint at the divergence's JSON path whose message contains this
    /// text is accepted.
    Accept(&'static str),
}

/// A place where wamm follows Meta's reference pages rather than the spec.
#[derive(Debug, Clone, Copy)]
pub struct Divergence {
    /// A short name, printed with the outcome and cited by the README's table.
    pub id: &'static str,
    /// The operation's `operationId`.
    pub operation: &'static str,
    /// The JSON path into the body it concerns (`$` for the answer's status); `[*]` matches
    /// any index.
    pub path: &'static str,
    /// What is accepted.
    pub rule: Rule,
    /// The Meta page that says otherwise.
    pub source: &'static str,
}

/// Meta's guide to Graph errors: any call can fail with the error object.
const ERRORS_PAGE: &str =
    "https://developers.facebook.com/docs/graph-api/using-graph-api/error-handling/";
/// Meta's Cloud API error codes, with the HTTP status of each.
const ERROR_CODES_PAGE: &str =
    "https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/";
/// Meta's guide to field selection: a node answers the fields asked for.
const FIELDS_PAGE: &str = "https://developers.facebook.com/docs/graph-api/guides/field-expansion/";
/// Meta's reference of the phone number node and its fields' values.
const PHONE_PAGE: &str = "https://developers.facebook.com/docs/graph-api/reference/whats-app-business-account-to-number-current-status/";
/// Meta's guide listing a WABA's phone numbers, with the default fields of the list.
const PHONE_LIST_PAGE: &str =
    "https://developers.facebook.com/docs/whatsapp/embedded-signup/manage-accounts/phone-numbers/";

/// The divergences between Meta's spec and Meta's pages that wamm follows the pages on. The
/// README's "Conformance to Meta's spec" table lists the same entries with what each side
/// says. Each is one operation and one JSON path; nothing is skipped wholesale.
pub const DIVERGENCES: &[Divergence] = &[
    // Operations whose spec entry declares only `200`: their Graph errors are checked against
    // the spec's error schema.
    graph_errors("errors-undeclared", "getBusinessPortfolioSpecificFields"),
    graph_errors("errors-undeclared", "getTemplateByIdDefaultFields"),
    graph_errors("errors-undeclared", "editTemplate"),
    graph_errors("errors-undeclared", "getTemplateByNameDefaultFields"),
    graph_errors(
        "errors-undeclared",
        "createAuthenticationTemplateWOtpCopyCodeButton",
    ),
    graph_errors("errors-undeclared", "deleteTemplateByName"),
    graph_errors("errors-undeclared", "sendMessage"),
    graph_errors("errors-undeclared", "getCreditLines"),
    graph_errors("errors-undeclared", "getPhoneNumberSettings"),
    graph_errors("errors-undeclared", "updatePhoneNumberSettings"),
    // 132001 (template does not exist) is a 404 on Meta's error-code table; the MM API send
    // declares 400, 401 and 403 only.
    Divergence {
        id: "template-missing-404",
        operation: "sendMarketingMessage",
        path: "$",
        rule: Rule::ErrorStatus(404),
        source: ERROR_CODES_PAGE,
    },
    // A body over the size limit is refused before any route runs; wamm answers HTTP's 413
    // with a Graph error (code 100), where the spec lists no status for it.
    Divergence {
        id: "body-too-large-413",
        operation: "updateWhatsAppBusinessAccount",
        path: "$",
        rule: Rule::ErrorStatus(413),
        source: ERRORS_PAGE,
    },
    // `fields=` narrows a node to what was asked for, `name` included.
    Divergence {
        id: "fields-asked",
        operation: "getWhatsAppBusinessAccountDetails",
        path: "$",
        rule: Rule::UnaskedField,
        source: FIELDS_PAGE,
    },
    Divergence {
        id: "fields-asked",
        operation: "getClientWhatsAppBusinessAccounts",
        path: "$.data[*]",
        rule: Rule::UnaskedField,
        source: FIELDS_PAGE,
    },
    Divergence {
        id: "fields-asked",
        operation: "getOwnedWhatsAppBusinessAccounts",
        path: "$.data[*]",
        rule: Rule::UnaskedField,
        source: FIELDS_PAGE,
    },
    Divergence {
        id: "fields-asked",
        operation: "getWhatsAppBusinessAccountPhoneNumbers",
        path: "$.data[*]",
        rule: Rule::UnaskedField,
        source: FIELDS_PAGE,
    },
    Divergence {
        id: "fields-asked",
        operation: "getConnectedClientBusinesses",
        path: "$.data[*]",
        rule: Rule::UnaskedField,
        source: FIELDS_PAGE,
    },
    Divergence {
        id: "fields-asked",
        operation: "getAssignedWhatsAppBusinessAccounts",
        path: "$.data[*]",
        rule: Rule::UnaskedField,
        source: FIELDS_PAGE,
    },
    // An edge asked for as a field is a connection, `{"data": [...]}`, not a bare array.
    edge_field("subscribed_apps"),
    edge_field("phone_numbers"),
    edge_field("message_templates"),
    Divergence {
        id: "edge-as-connection",
        operation: "getAssignedWhatsAppBusinessAccounts",
        path: "$.data[*].phone_numbers",
        rule: Rule::Accept("is not of type \"array\""),
        source: FIELDS_PAGE,
    },
    // The phone number list's default fields do not include `status`.
    Divergence {
        id: "phone-list-defaults",
        operation: "getWhatsAppBusinessAccountPhoneNumbers",
        path: "$.data[*]",
        rule: Rule::Accept("\"status\" is a required property"),
        source: PHONE_LIST_PAGE,
    },
    // A number not yet verified is `NOT_VERIFIED` (as the spec's own
    // `WhatsAppCodeVerificationStatus_1` says), not `UNVERIFIED`.
    Divergence {
        id: "code-verification-not-verified",
        operation: "getWhatsAppBusinessAccountPhoneNumbers",
        path: "$.data[*].code_verification_status",
        rule: Rule::Accept("\"NOT_VERIFIED\" is not one of"),
        source: PHONE_PAGE,
    },
    Divergence {
        id: "code-verification-not-verified",
        operation: "getPhoneNumberById",
        path: "$.code_verification_status",
        rule: Rule::Accept("\"NOT_VERIFIED\" is not one of"),
        source: PHONE_PAGE,
    },
    // A registered number is `CONNECTED` (as the spec's own
    // `WhatsAppBusinessAccountToNumberStatus` says), a value the list's enum lacks.
    Divergence {
        id: "phone-status-connected",
        operation: "getWhatsAppBusinessAccountPhoneNumbers",
        path: "$.data[*].status",
        rule: Rule::Accept("\"CONNECTED\" is not one of"),
        source: PHONE_PAGE,
    },
];

const fn graph_errors(id: &'static str, operation: &'static str) -> Divergence {
    Divergence {
        id,
        operation,
        path: "$",
        rule: Rule::GraphErrors,
        source: ERRORS_PAGE,
    }
}

const fn edge_field(field: &'static str) -> Divergence {
    Divergence {
        id: "edge-as-connection",
        operation: "getWhatsAppBusinessAccountDetails",
        path: match field.as_bytes() {
            b"subscribed_apps" => "$.subscribed_apps",
            b"phone_numbers" => "$.phone_numbers",
            _ => "$.message_templates",
        },
        rule: Rule::Accept("is not of type \"array\""),
        source: FIELDS_PAGE,
    }
}

/// The top-level names a call's `fields=` asks for (`a,b{c},d.limit(2)` → `a`, `b`, `d`);
/// `None` when the call has no `fields=`.
fn asked_fields(path: &str) -> Option<Vec<String>> {
    let query = path.split_once('?')?.1;
    let raw = query
        .split('&')
        .find_map(|pair| pair.strip_prefix("fields="))?;
    let text = percent_decode(raw);
    let mut names = Vec::new();
    let mut depth = 0usize;
    let mut current = String::new();
    let mut cut = false;
    for c in text.chars() {
        match c {
            '{' | '(' => {
                depth += 1;
                cut = true;
            }
            '}' | ')' => depth = depth.saturating_sub(1),
            '.' if depth == 0 => cut = true,
            ',' if depth == 0 => {
                names.push(std::mem::take(&mut current).trim().to_owned());
                cut = false;
            }
            _ if depth == 0 && !cut => current.push(c),
            _ => {}
        }
    }
    names.push(current.trim().to_owned());
    Some(names)
}

/// Decodes `%XX` escapes and `+` in a query value.
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => match text.get(i + 1..i + 3).map(|h| u8::from_str_radix(h, 16)) {
                Some(Ok(b)) => {
                    out.push(b);
                    i += 3;
                    continue;
                }
                _ => out.push(b'%'),
            },
            b'+' => out.push(b' '),
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A spec operation.
#[derive(Debug)]
struct Operation {
    method: String,
    template: String,
    operation_id: Option<String>,
    /// The template's segments after `{Version}`: `Ok(literal)` or `Err(parameter name)`.
    segments: Vec<Result<String, String>>,
    /// JSON pointer to the operation object in the spec.
    pointer: String,
}

impl Operation {
    fn name(&self) -> String {
        match &self.operation_id {
            Some(id) => format!("{} {} ({id})", self.method, self.template),
            None => format!("{} {}", self.method, self.template),
        }
    }

    fn literals(&self) -> usize {
        self.segments.iter().filter(|s| s.is_ok()).count()
    }

    fn matches(&self, segments: &[&str], target: Target) -> bool {
        self.segments.len() == segments.len()
            && self
                .segments
                .iter()
                .zip(segments)
                .enumerate()
                .all(|(i, (seg, got))| match seg {
                    Ok(literal) => literal == got,
                    Err(_) if i > 0 => true,
                    Err(param) => match target {
                        Target::Node(node) => param_node(param) == Some(node),
                        Target::Missing => true,
                        Target::Word => false,
                    },
                })
    }
}

/// The loaded spec.
pub struct Spec {
    doc: Value,
    registry: Registry<'static>,
    operations: Vec<Operation>,
    validators: Mutex<HashMap<String, Arc<Validator>>>,
}

/// The spec, loaded on first use.
pub static SPEC: LazyLock<Spec> = LazyLock::new(Spec::load);

/// Escapes a JSON pointer token.
fn escape(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

/// Rewrites OpenAPI 3.0's `nullable: true` (still met in specs that say 3.1) into the JSON
/// Schema that means the same: `null` added to `type`, or an `anyOf` with `null` when the
/// schema has no `type` of its own.
fn convert_nullable(value: &mut Value) {
    match value {
        Value::Object(map) => {
            if map.get("nullable") == Some(&Value::Bool(true)) {
                map.remove("nullable");
                match map.get_mut("type") {
                    Some(Value::String(t)) => {
                        let t = std::mem::take(t);
                        map.insert("type".to_owned(), json!([t, "null"]));
                    }
                    Some(Value::Array(types)) => {
                        if !types.contains(&json!("null")) {
                            types.push(json!("null"));
                        }
                    }
                    _ => {
                        let inner = Value::Object(std::mem::take(map));
                        map.insert("anyOf".to_owned(), json!([inner, {"type": "null"}]));
                    }
                }
            } else if map.get("nullable") == Some(&Value::Bool(false)) {
                map.remove("nullable");
            }
            for v in map.values_mut() {
                convert_nullable(v);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(convert_nullable),
        _ => {}
    }
}

/// A JSON pointer as a URI fragment: the spec's templates hold braces, which a URI may not.
fn fragment(pointer: &str) -> String {
    let mut out = String::with_capacity(pointer.len());
    for b in pointer.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/!$&'()*+,;=:@".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// `$.a[0].b` for the JSON pointer `/a/0/b`.
fn json_path(pointer: &str) -> String {
    let mut out = String::from("$");
    for token in pointer.split('/').skip(1) {
        let token = token.replace("~1", "/").replace("~0", "~");
        if !token.is_empty() && token.bytes().all(|b| b.is_ascii_digit()) {
            out.push_str(&format!("[{token}]"));
        } else {
            out.push('.');
            out.push_str(&token);
        }
    }
    out
}

/// Whether `message` says a required property is missing that `asked` (the call's `fields=`)
/// did not name. A call without `fields=` gets the defaults, which excuse nothing.
fn unasked(message: &str, asked: Option<&[String]>) -> bool {
    let Some(asked) = asked else {
        return false;
    };
    let Some(rest) = message.strip_suffix(" is a required property") else {
        return false;
    };
    let name = rest.trim_matches('"');
    !asked.iter().any(|a| a == name)
}

/// Whether `path` is matched by `pattern`, where `[*]` in the pattern matches any index.
fn path_matches(pattern: &str, path: &str) -> bool {
    let mut rest = path;
    for (i, part) in pattern.split("[*]").enumerate() {
        if i > 0 {
            let Some(after) = rest.strip_prefix('[') else {
                return false;
            };
            let Some(close) = after.find(']') else {
                return false;
            };
            if !after[..close].bytes().all(|b| b.is_ascii_digit()) {
                return false;
            }
            rest = &after[close + 1..];
        }
        let Some(after) = rest.strip_prefix(part) else {
            return false;
        };
        rest = after;
    }
    rest.is_empty()
}

impl Spec {
    fn load() -> Self {
        let text = std::fs::read_to_string(SPEC_FILE)
            .unwrap_or_else(|e| panic!("Meta's vendored OpenAPI spec at {SPEC_FILE}: {e}"));
        let mut doc: Value = serde_norway::from_str(&text)
            .unwrap_or_else(|e| panic!("Meta's OpenAPI spec parses as YAML: {e}"));
        convert_nullable(&mut doc);
        let mut operations = Vec::new();
        if let Some(paths) = doc["paths"].as_object() {
            for (template, item) in paths {
                let Some(item) = item.as_object() else {
                    continue;
                };
                let segments: Vec<Result<String, String>> = template
                    .split('/')
                    .filter(|s| !s.is_empty())
                    .skip_while(|s| *s == "{Version}")
                    .map(
                        |s| match s.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                            Some(param) => Err(param.to_owned()),
                            None => Ok(s.to_owned()),
                        },
                    )
                    .collect();
                for (method, op) in item {
                    if !matches!(
                        method.as_str(),
                        "get" | "post" | "put" | "delete" | "patch" | "head" | "options"
                    ) {
                        continue;
                    }
                    operations.push(Operation {
                        method: method.to_uppercase(),
                        template: template.clone(),
                        operation_id: op["operationId"].as_str().map(str::to_owned),
                        segments: segments.clone(),
                        pointer: format!("/paths/{}/{method}", escape(template)),
                    });
                }
            }
        }
        let registry = Registry::new()
            .draft(Draft::Draft202012)
            .retrieve_known_draft_meta_schemas(false)
            .add(SPEC_URI, doc.clone())
            .and_then(jsonschema::RegistryBuilder::prepare)
            .unwrap_or_else(|e| panic!("Meta's OpenAPI spec registers as a schema resource: {e}"));
        Self {
            doc,
            registry,
            operations,
            validators: Mutex::new(HashMap::new()),
        }
    }

    /// How many operations the spec has.
    pub fn operation_count(&self) -> usize {
        self.operations.len()
    }

    /// Follows `$ref`s inside the spec (responses, headers, parameters) to the object itself;
    /// returns it with its JSON pointer.
    fn deref<'s>(&'s self, value: &'s Value, pointer: String) -> (&'s Value, String) {
        let mut value = value;
        let mut pointer = pointer;
        while let Some(target) = value.get("$ref").and_then(Value::as_str) {
            let Some(local) = target.strip_prefix('#') else {
                break;
            };
            match self.doc.pointer(local) {
                Some(found) => {
                    value = found;
                    local.clone_into(&mut pointer);
                }
                None => break,
            }
        }
        (value, pointer)
    }

    /// The validator for the schema at `pointer` in the spec, compiled once.
    fn validator(&self, pointer: &str) -> Arc<Validator> {
        let mut cache = self.validators.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(v) = cache.get(pointer) {
            return Arc::clone(v);
        }
        let schema = json!({ "$ref": format!("{SPEC_URI}#{}", fragment(pointer)) });
        let validator = jsonschema::options()
            .with_draft(Draft::Draft202012)
            .with_registry(&self.registry)
            .build(&schema)
            .unwrap_or_else(|e| panic!("schema at #{pointer} of Meta's spec compiles: {e}"));
        let validator = Arc::new(validator);
        cache.insert(pointer.to_owned(), Arc::clone(&validator));
        validator
    }

    /// The operations a request can be, best match first: the templates with the most literal
    /// segments among those that match.
    fn candidates(&self, method: &str, segments: &[&str], target: Target) -> Vec<&Operation> {
        let matching: Vec<&Operation> = self
            .operations
            .iter()
            .filter(|op| op.method.eq_ignore_ascii_case(method) && op.matches(segments, target))
            .collect();
        let best = matching.iter().map(|op| op.literals()).max().unwrap_or(0);
        matching
            .into_iter()
            .filter(|op| op.literals() == best)
            .collect()
    }

    /// Validates `value` against the schema `name` of the spec's `components/schemas` (such as
    /// `WebhookPayload` or `StatusMessageValue`), for payloads that are not Graph answers.
    ///
    /// # Errors
    ///
    /// Every departure, by JSON path, when the value does not conform.
    ///
    /// # Panics
    ///
    /// When the spec has no schema `name`: a test that names one expects it to be there.
    pub fn validate_schema(&self, name: &str, value: &Value) -> Result<(), Vec<Problem>> {
        let pointer = format!("/components/schemas/{}", escape(name));
        assert!(
            self.doc.pointer(&pointer).is_some(),
            "Meta's spec has no schema {name}"
        );
        let problems: Vec<Problem> = self
            .validator(&pointer)
            .iter_errors(value)
            .map(|error| Problem {
                at: json_path(error.instance_path().as_str()),
                message: error.to_string(),
            })
            .collect();
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems)
        }
    }

    /// Whether the spec has a schema `name` in `components/schemas`.
    pub fn has_schema(&self, name: &str) -> bool {
        self.doc
            .pointer(&format!("/components/schemas/{}", escape(name)))
            .is_some()
    }

    /// Checks one exchange against the spec.
    ///
    /// # Errors
    ///
    /// The [`Failure`] naming the operation, status and every departure, when the answer does
    /// not conform.
    pub fn check(&self, ex: &Exchange<'_>) -> Result<Outcome, Failure> {
        let segments = graph_segments(ex.path);
        let candidates = self.candidates(ex.method, &segments, ex.target);
        if candidates.is_empty() {
            let shown: Vec<String> = segments
                .iter()
                .map(|s| {
                    if s.bytes().all(|b| b.is_ascii_digit()) {
                        "{id}".to_owned()
                    } else {
                        (*s).to_owned()
                    }
                })
                .collect();
            return Ok(Outcome::Uncovered {
                call: format!("{} /{}", ex.method.to_uppercase(), shown.join("/")),
            });
        }
        // Several candidates only when the ID names no object: the answer must fit one of them.
        let mut first_failure = None;
        for op in &candidates {
            match self.check_operation(op, ex) {
                Ok(divergences) => {
                    let operation = if candidates.len() == 1 {
                        op.name()
                    } else {
                        format!(
                            "{} templates (ID of no object), first fitting {}",
                            candidates.len(),
                            op.name()
                        )
                    };
                    return Ok(Outcome::Validated {
                        operation,
                        divergences,
                    });
                }
                Err(problems) => {
                    first_failure.get_or_insert((op.name(), problems));
                }
            }
        }
        let (operation, problems) = first_failure.unwrap_or_default();
        let operation = if candidates.len() == 1 {
            operation
        } else {
            format!(
                "{operation} (and {} more templates the unknown ID could name)",
                candidates.len() - 1
            )
        };
        Err(Failure {
            operation,
            status: ex.status,
            path: ex.path.to_owned(),
            problems,
        })
    }

    /// Checks `ex` against one operation; the divergences it relied on, or every problem.
    fn check_operation(
        &self,
        op: &Operation,
        ex: &Exchange<'_>,
    ) -> Result<Vec<&'static str>, Vec<Problem>> {
        let key = op.operation_id.as_deref().unwrap_or_default();
        let applicable: Vec<&Divergence> =
            DIVERGENCES.iter().filter(|d| d.operation == key).collect();
        let mut used = Vec::new();
        let mut problems = Vec::new();
        let asked = asked_fields(ex.path);
        let responses_pointer = format!("{}/responses", op.pointer);
        let responses = self.doc.pointer(&responses_pointer).unwrap_or(&Value::Null);
        let status = ex.status.to_string();
        let range = format!("{}XX", ex.status / 100);
        let declared = [status.as_str(), range.as_str(), "default"]
            .into_iter()
            .find(|s| responses.get(*s).is_some());
        let schema_pointer = match declared {
            Some(s) => {
                let (response, pointer) =
                    self.deref(&responses[s], format!("{responses_pointer}/{}", escape(s)));
                self.check_headers(response, &pointer, ex, &mut problems);
                response
                    .get("content")
                    .and_then(|c| c.get("application/json"))
                    .and_then(|c| c.get("schema"))
                    .map(|_| format!("{pointer}/content/application~1json/schema"))
            }
            None => {
                let excused = applicable.iter().find(|d| match d.rule {
                    Rule::GraphErrors => ex.status >= 400,
                    Rule::ErrorStatus(status) => status == ex.status,
                    Rule::UnaskedField | Rule::Accept(_) => false,
                });
                if let Some(d) = excused {
                    used.push(d.id);
                    Some("/components/schemas/GraphAPIError".to_owned())
                } else {
                    let mut listed: Vec<&str> = responses
                        .as_object()
                        .map(|m| m.keys().map(String::as_str).collect())
                        .unwrap_or_default();
                    listed.sort_unstable();
                    problems.push(Problem {
                        at: "status".to_owned(),
                        message: format!(
                            "{} is not declared (declared: {})",
                            ex.status,
                            listed.join(", ")
                        ),
                    });
                    None
                }
            }
        };
        if let Some(pointer) = schema_pointer {
            match serde_json::from_str::<Value>(ex.body) {
                Err(e) => problems.push(Problem {
                    at: "$".to_owned(),
                    message: format!("the body is not JSON ({e}): {:?}", ex.body),
                }),
                Ok(body) => {
                    let validator = self.validator(&pointer);
                    for error in validator.iter_errors(&body) {
                        let at = json_path(error.instance_path().as_str());
                        let message = error.to_string();
                        let excused = applicable.iter().find(|d| {
                            path_matches(d.path, &at)
                                && match d.rule {
                                    Rule::Accept(text) => message.contains(text),
                                    Rule::UnaskedField => unasked(&message, asked.as_deref()),
                                    Rule::GraphErrors | Rule::ErrorStatus(_) => false,
                                }
                        });
                        match excused {
                            Some(d) => {
                                if !used.contains(&d.id) {
                                    used.push(d.id);
                                }
                            }
                            None => problems.push(Problem { at, message }),
                        }
                    }
                }
            }
        }
        if problems.is_empty() {
            Ok(used)
        } else {
            Err(problems)
        }
    }

    /// Required headers are present; present declared headers match their schemas.
    fn check_headers(
        &self,
        response: &Value,
        response_pointer: &str,
        ex: &Exchange<'_>,
        problems: &mut Vec<Problem>,
    ) {
        let Some(headers) = response.get("headers").and_then(Value::as_object) else {
            return;
        };
        for (name, header) in headers {
            let (header, pointer) = self.deref(
                header,
                format!("{response_pointer}/headers/{}", escape(name)),
            );
            let value = (ex.header)(name);
            match value {
                None if header["required"] == Value::Bool(true) => problems.push(Problem {
                    at: format!("header {name}"),
                    message: "required by the spec, missing".to_owned(),
                }),
                Some(value) if header.get("schema").is_some() => {
                    let validator = self.validator(&format!("{pointer}/schema"));
                    if let Err(e) = validator.validate(&Value::String(value)) {
                        problems.push(Problem {
                            at: format!("header {name}"),
                            message: e.to_string(),
                        });
                    }
                }
                // Absent and optional, or declared without a schema.
                _ => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_paths_read_like_jq() {
        assert_eq!(json_path(""), "$");
        assert_eq!(json_path("/data/0/a~1b"), "$.data[0].a/b");
        assert!(path_matches("$.data[*].id", "$.data[12].id"));
        assert!(!path_matches("$.data[*].id", "$.data[12].name"));
        assert!(path_matches("$", "$"));
    }

    #[test]
    fn fields_asked_are_read_at_the_top_level() {
        assert_eq!(asked_fields("/1"), None);
        assert_eq!(
            asked_fields(
                "/1?limit=2&fields=id,owner_business_info%7Bid,name%7D,phone_numbers.limit(2)%7Bid%7D"
            ),
            Some(vec![
                "id".to_owned(),
                "owner_business_info".to_owned(),
                "phone_numbers".to_owned()
            ])
        );
        let asked = asked_fields("/1?fields=id,status");
        assert!(unasked("\"name\" is a required property", asked.as_deref()));
        assert!(!unasked(
            "\"status\" is a required property",
            asked.as_deref()
        ));
        assert!(!unasked("\"name\" is a required property", None));
    }

    #[test]
    fn nullable_becomes_a_null_type() {
        let mut v = json!({"type": "string", "nullable": true, "properties": {"nullable": {"type": "integer"}}});
        convert_nullable(&mut v);
        assert_eq!(v["type"], json!(["string", "null"]));
        assert_eq!(v["properties"]["nullable"], json!({"type": "integer"}));
        let mut r = json!({"$ref": "#/x", "nullable": true});
        convert_nullable(&mut r);
        assert_eq!(r, json!({"anyOf": [{"$ref": "#/x"}, {"type": "null"}]}));
    }

    #[test]
    fn every_divergence_names_a_spec_operation_and_a_meta_page() {
        for d in DIVERGENCES {
            assert!(
                SPEC.operations
                    .iter()
                    .any(|op| op.operation_id.as_deref() == Some(d.operation)),
                "{}: the spec has no operation {}",
                d.id,
                d.operation
            );
            assert!(
                d.source.starts_with("https://developers.facebook.com/"),
                "{}: {} is not a Meta page",
                d.id,
                d.source
            );
        }
    }

    #[test]
    fn literal_segments_win_over_parameters() {
        let spec = &*SPEC;
        let ops = spec.candidates("GET", &["1", "phone_numbers"], Target::Node(Node::Waba));
        assert_eq!(ops.len(), 1);
        assert_eq!(ops[0].template, "/{Version}/{WABA-ID}/phone_numbers");
        let ops = spec.candidates("GET", &["1"], Target::Node(Node::Phone));
        assert_eq!(ops.len(), 1);
        assert_eq!(ops[0].template, "/{Version}/{Phone-Number-ID}");
        assert!(spec.candidates("GET", &["me"], Target::Word).is_empty());
    }
}
