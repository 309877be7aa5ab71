//! Graph error objects: `{"error": {message, type, code, error_subcode, error_data, fbtrace_id}}`.
//!
//! The constructors below are the catalogue of errors wamm answers with. Messages, codes and
//! HTTP statuses follow Meta's pages and the v23.0 OpenAPI spec; where Meta is silent the choice
//! is documented on the constructor so that partners can rely on it.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize};

/// The Graph exception class carried in the `type` member.
pub mod kind {
    /// Authentication, authorisation and most parameter errors.
    pub const OAUTH: &str = "OAuthException";
    /// Errors about the requested object or method (unknown object, bad proof).
    pub const GRAPH_METHOD: &str = "GraphMethodException";
}

/// The Graph error codes wamm emits, named after what they mean.
pub mod code {
    /// Unknown error.
    pub const UNKNOWN: i64 = 1;
    /// Service temporarily unavailable.
    pub const SERVICE: i64 = 2;
    /// Application request limit reached.
    pub const APP_RATE_LIMIT: i64 = 4;
    /// The application does not have permission for this action.
    pub const APP_PERMISSION: i64 = 10;
    /// Invalid parameter (also unknown objects, unknown fields and bad proofs).
    pub const INVALID_PARAMETER: i64 = 100;
    /// An access token is required to request this resource.
    pub const TOKEN_REQUIRED: i64 = 104;
    /// Invalid, expired or revoked access token.
    pub const ACCESS_TOKEN: i64 = 190;
    /// Permissions error: the token lacks a scope or the asset.
    pub const PERMISSION: i64 = 200;
    /// Unknown path components.
    pub const UNKNOWN_PATH: i64 = 2500;
}

/// The `error_subcode` values wamm emits.
pub mod subcode {
    /// The object does not exist, cannot be loaded, or does not support the operation.
    pub const UNSUPPORTED_REQUEST: i64 = 33;
    /// The session was invalidated (token revoked, app uninstalled by the business).
    pub const SESSION_INVALIDATED: i64 = 460;
    /// The access token has expired.
    pub const TOKEN_EXPIRED: i64 = 463;
    /// The app may not access or change the object ("Permission Denied").
    pub const PERMISSION_DENIED: i64 = 1_349_174;
}

/// Extra data Cloud API errors carry (`error_data`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct ErrorData {
    /// Always `whatsapp` on WhatsApp endpoints.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub messaging_product: Option<String>,
    /// Human-readable detail to build logic on together with `code`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<String>,
}

/// The members of a Graph error object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GraphErrorBody {
    /// Human-readable message, e.g. `(#100) Invalid parameter`.
    pub message: String,
    /// The exception class, e.g. `OAuthException`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The Graph error code.
    pub code: i64,
    /// A more specific code, where Graph has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_subcode: Option<i64>,
    /// Whether retrying the same call may succeed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_transient: Option<bool>,
    /// A title fit to show to an end user.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_user_title: Option<String>,
    /// A message fit to show to an end user.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_user_msg: Option<String>,
    /// Cloud API detail object.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient_error_data"
    )]
    pub error_data: Option<ErrorData>,
    /// The trace ID of the request, also sent as `x-fb-trace-id`.
    #[serde(default)]
    pub fbtrace_id: String,
}

/// Graph sometimes sends `error_data` as a JSON-encoded string; accept both forms.
fn lenient_error_data<'de, D: Deserializer<'de>>(d: D) -> Result<Option<ErrorData>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Either {
        Object(ErrorData),
        Text(String),
    }
    Ok(match Option::<Either>::deserialize(d)? {
        None => None,
        Some(Either::Object(data)) => Some(data),
        Some(Either::Text(text)) => Some(serde_json::from_str(&text).unwrap_or(ErrorData {
            messaging_product: None,
            details: Some(text),
        })),
    })
}

/// A Graph error together with the HTTP status it is answered with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GraphError {
    /// HTTP status code of the response.
    pub status: u16,
    /// The error object (boxed: errors travel in `Result`s on every call path, kept small).
    pub body: Box<GraphErrorBody>,
}

/// The JSON envelope `{"error": {...}}`.
#[derive(Debug, Serialize, Deserialize)]
pub struct ErrorEnvelope {
    /// The error object.
    pub error: GraphErrorBody,
}

impl GraphError {
    /// A bare error with a status, class, code and message.
    pub fn new(status: u16, kind: &str, code: i64, message: impl Into<String>) -> Self {
        Self {
            status,
            body: Box::new(GraphErrorBody {
                message: message.into(),
                kind: kind.to_owned(),
                code,
                error_subcode: None,
                is_transient: None,
                error_user_title: None,
                error_user_msg: None,
                error_data: None,
                fbtrace_id: String::new(),
            }),
        }
    }

    /// Sets `error_subcode`.
    #[must_use]
    pub fn with_subcode(mut self, subcode: i64) -> Self {
        self.body.error_subcode = Some(subcode);
        self
    }

    /// Sets `error_user_title` and `error_user_msg`.
    #[must_use]
    pub fn with_user_message(mut self, title: impl Into<String>, msg: impl Into<String>) -> Self {
        self.body.error_user_title = Some(title.into());
        self.body.error_user_msg = Some(msg.into());
        self
    }

    /// Sets `error_data` the way Cloud API does (`messaging_product` + `details`).
    #[must_use]
    pub fn with_details(mut self, details: impl Into<String>) -> Self {
        self.body.error_data = Some(ErrorData {
            messaging_product: Some("whatsapp".to_owned()),
            details: Some(details.into()),
        });
        self
    }

    /// Sets `is_transient`.
    #[must_use]
    pub fn transient(mut self, transient: bool) -> Self {
        self.body.is_transient = Some(transient);
        self
    }

    /// Sets the trace ID.
    #[must_use]
    pub fn with_trace(mut self, fbtrace_id: impl Into<String>) -> Self {
        self.body.fbtrace_id = fbtrace_id.into();
        self
    }

    /// The error code.
    pub fn code(&self) -> i64 {
        self.body.code
    }

    /// The error subcode, if any.
    pub fn subcode(&self) -> Option<i64> {
        self.body.error_subcode
    }

    /// Serialises the `{"error": {...}}` envelope.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({ "error": &*self.body })
    }

    /// Code 104, HTTP 401: no access token on a call that needs one.
    pub fn token_required() -> Self {
        Self::new(
            401,
            kind::OAUTH,
            code::TOKEN_REQUIRED,
            "An access token is required to request this resource.",
        )
    }

    /// Code 190, HTTP 401: the token cannot be parsed or is unknown.
    pub fn invalid_token() -> Self {
        Self::new(
            401,
            kind::OAUTH,
            code::ACCESS_TOKEN,
            "Invalid OAuth access token - Cannot parse access token",
        )
    }

    /// Code 190 subcode 463, HTTP 401: the token has expired.
    pub fn expired_token(expired_at: &str, now: &str) -> Self {
        Self::new(
            401,
            kind::OAUTH,
            code::ACCESS_TOKEN,
            format!(
                "Error validating access token: Session has expired on {expired_at}. The current time is {now}."
            ),
        )
        .with_subcode(subcode::TOKEN_EXPIRED)
    }

    /// Code 190 subcode 460, HTTP 401: the token was revoked.
    pub fn revoked_token() -> Self {
        Self::new(
            401,
            kind::OAUTH,
            code::ACCESS_TOKEN,
            "Error validating access token: The session has been invalidated because the user changed their password or Facebook has changed the session for security reasons.",
        )
        .with_subcode(subcode::SESSION_INVALIDATED)
    }

    /// Code 100, HTTP 400: `appsecret_proof` is wrong.
    pub fn invalid_proof() -> Self {
        Self::new(
            400,
            kind::GRAPH_METHOD,
            code::INVALID_PARAMETER,
            "Invalid appsecret_proof provided in the API argument",
        )
    }

    /// Code 100, HTTP 400: the app requires `appsecret_proof` and none was sent.
    pub fn proof_required() -> Self {
        Self::new(
            400,
            kind::GRAPH_METHOD,
            code::INVALID_PARAMETER,
            "API calls from the server require an appsecret_proof argument",
        )
    }

    /// Code 100 subcode 33, HTTP 400: unknown object, hidden object or unsupported method.
    ///
    /// Graph answers the same for an object that does not exist and one the token may not see,
    /// so that IDs cannot be probed.
    pub fn unsupported_request(method: &str, id: &str) -> Self {
        Self::new(
            400,
            kind::GRAPH_METHOD,
            code::INVALID_PARAMETER,
            format!(
                "Unsupported {} request. Object with ID '{id}' does not exist, cannot be loaded due to missing permissions, or does not support this operation. Please read the Graph API documentation at https://developers.facebook.com/docs/graph-api",
                method.to_ascii_lowercase()
            ),
        )
        .with_subcode(subcode::UNSUPPORTED_REQUEST)
    }

    /// Code 2500, HTTP 400: the path has components Graph does not know.
    pub fn unknown_path(components: &str) -> Self {
        Self::new(
            400,
            kind::OAUTH,
            code::UNKNOWN_PATH,
            format!("Unknown path components: {components}"),
        )
    }

    /// Code 100, HTTP 400: a `fields=` entry the node does not have.
    pub fn nonexisting_field(field: &str, node_type: &str) -> Self {
        Self::new(
            400,
            kind::OAUTH,
            code::INVALID_PARAMETER,
            format!(
                "(#100) Tried accessing nonexisting field ({field}) on node type ({node_type})"
            ),
        )
    }

    /// Code 100, HTTP 400: a parameter is missing or malformed.
    pub fn invalid_parameter(message: impl fmt::Display) -> Self {
        Self::new(
            400,
            kind::OAUTH,
            code::INVALID_PARAMETER,
            format!("(#100) {message}"),
        )
    }

    /// Code 200, HTTP 403, subcode 1349174: the app may not do this to the object
    /// (`(#200) message`), Graph's "Permission Denied".
    pub fn permission_denied(message: impl fmt::Display) -> Self {
        Self::new(
            403,
            kind::OAUTH,
            code::PERMISSION,
            format!("(#200) {message}"),
        )
        .with_subcode(subcode::PERMISSION_DENIED)
    }

    /// Code 200, HTTP 403: the token lacks a scope the call needs.
    pub fn missing_scope(scope: &str) -> Self {
        Self::new(
            403,
            kind::OAUTH,
            code::PERMISSION,
            format!("(#200) Requires {scope} permission to manage the object"),
        )
    }

    /// Code 200, HTTP 403: the token's user has not been granted the asset.
    pub fn asset_not_granted() -> Self {
        Self::new(
            403,
            kind::OAUTH,
            code::PERMISSION,
            "(#200) Permissions error",
        )
        .with_details("The access token has not been granted access to this object.")
    }

    /// Code 10, HTTP 403: the app lacks the (advanced) permission the call needs.
    pub fn app_permission(message: impl Into<String>) -> Self {
        Self::new(403, kind::OAUTH, code::APP_PERMISSION, message)
    }

    /// Code 1, HTTP 500: an unexpected failure. Internals are never disclosed.
    pub fn unknown() -> Self {
        Self::new(
            500,
            kind::OAUTH,
            code::UNKNOWN,
            "An unknown error has occurred.",
        )
        .transient(true)
    }

    /// Code 2, HTTP 503: the service is temporarily unavailable.
    pub fn service_unavailable() -> Self {
        Self::new(
            503,
            kind::OAUTH,
            code::SERVICE,
            "An unexpected error has occurred. Please retry your request later.",
        )
        .transient(true)
    }

    /// Code 100, HTTP 414: the request URI is longer than the server accepts.
    ///
    /// Meta's edge answers oversized requests itself, without a Graph body; wamm answers them in
    /// Graph's shape so that clients parse one shape for every error.
    pub fn uri_too_long(limit: usize) -> Self {
        Self::new(
            414,
            kind::OAUTH,
            code::INVALID_PARAMETER,
            format!(
                "(#100) The request URI is longer than {limit} bytes; send long parameters in the request body"
            ),
        )
    }

    /// Code 100, HTTP 431: the request headers are larger (or more numerous) than the server
    /// accepts. `what` says which limit, e.g. `more than 32768 bytes`.
    pub fn headers_too_large(what: impl fmt::Display) -> Self {
        Self::new(
            431,
            kind::OAUTH,
            code::INVALID_PARAMETER,
            format!("(#100) The request headers are too large: {what}"),
        )
    }

    /// Code 100, HTTP 408: the request body did not arrive in time. Retrying may succeed.
    pub fn body_timeout(limit: std::time::Duration) -> Self {
        Self::new(
            408,
            kind::OAUTH,
            code::INVALID_PARAMETER,
            format!("(#100) The request body did not arrive within {limit:?}"),
        )
        .transient(true)
    }
}

impl fmt::Display for GraphError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (code {}", self.body.message, self.body.code)?;
        if let Some(sub) = self.body.error_subcode {
            write!(f, ", subcode {sub}")?;
        }
        write!(f, ", HTTP {})", self.status)
    }
}

impl std::error::Error for GraphError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelope_has_graph_members_and_omits_absent_ones() {
        let err = GraphError::unsupported_request("GET", "123").with_trace("AbC");
        let json = err.to_json();
        assert_eq!(json["error"]["code"], 100);
        assert_eq!(json["error"]["error_subcode"], 33);
        assert_eq!(json["error"]["type"], "GraphMethodException");
        assert_eq!(json["error"]["fbtrace_id"], "AbC");
        assert!(
            json["error"]["message"]
                .as_str()
                .unwrap_or_default()
                .starts_with("Unsupported get request. Object with ID '123'")
        );
        assert!(json["error"].get("error_data").is_none());
        assert_eq!(err.status, 400);
    }

    #[test]
    fn error_data_is_parsed_from_object_or_string() {
        let obj: ErrorEnvelope = serde_json::from_str(
            r#"{"error":{"message":"m","type":"OAuthException","code":131055,"error_data":{"messaging_product":"whatsapp","details":"d"},"fbtrace_id":"x"}}"#,
        )
        .expect("object form parses");
        assert_eq!(
            obj.error.error_data.and_then(|d| d.details).as_deref(),
            Some("d")
        );
        let text: ErrorEnvelope = serde_json::from_str(
            r#"{"error":{"message":"m","type":"OAuthException","code":1,"error_data":"plain words","fbtrace_id":"x"}}"#,
        )
        .expect("string form parses");
        assert_eq!(
            text.error.error_data.and_then(|d| d.details).as_deref(),
            Some("plain words")
        );
    }
}
