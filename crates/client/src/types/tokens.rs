//! Tokens: OAuth answers, the business token (BISUAT) fetch, and `debug_token`.

use std::fmt;

use serde::{Deserialize, Serialize};
use wamm_wire::ids::{AppId, UserId, WabaId};

use super::{lenient, lenient_list, open_enum};

/// Permission names as Graph spells them in `scopes`.
pub mod scope {
    /// Send messages, receive message webhooks.
    pub const WHATSAPP_BUSINESS_MESSAGING: &str = "whatsapp_business_messaging";
    /// Manage WABAs, numbers and templates.
    pub const WHATSAPP_BUSINESS_MANAGEMENT: &str = "whatsapp_business_management";
    /// Business portfolio calls: the Intent API, `system_user_access_tokens`.
    pub const BUSINESS_MANAGEMENT: &str = "business_management";
    /// Insights on linked ad accounts.
    pub const ADS_READ: &str = "ads_read";
}

/// An access token answer: `oauth/access_token` or `system_user_access_tokens`.
///
/// `Debug` shows only the start of the token, so that logging an answer does not leak it.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessToken {
    /// The token.
    pub access_token: String,
    /// `bearer`, when Graph says.
    #[serde(
        default,
        deserialize_with = "lenient",
        skip_serializing_if = "Option::is_none"
    )]
    pub token_type: Option<String>,
    /// Seconds until the token expires; absent for tokens that do not expire.
    #[serde(
        default,
        deserialize_with = "lenient",
        skip_serializing_if = "Option::is_none"
    )]
    pub expires_in: Option<u64>,
}

impl fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shown: String = self.access_token.chars().take(6).collect();
        f.debug_struct("AccessToken")
            .field("access_token", &format_args!("{shown}…"))
            .field("token_type", &self.token_type)
            .field("expires_in", &self.expires_in)
            .finish()
    }
}

/// Parameters of `POST /{client-business-id}/system_user_access_tokens`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SystemUserTokenRequest {
    /// Return the existing business token instead of minting a new one.
    pub fetch_only: bool,
    /// Permissions the token should carry (`scope`); empty leaves Graph's default.
    pub scope: Vec<String>,
    /// Asset IDs the token should reach (`asset`).
    pub asset: Vec<u64>,
    /// Make the token expire after 60 days.
    pub set_token_expires_in_60_days: Option<bool>,
    /// The system user the token is for.
    pub system_user_id: Option<UserId>,
}

impl SystemUserTokenRequest {
    /// The guide's refresh call: `fetch_only=true`, nothing else.
    pub fn fetch_only() -> Self {
        Self {
            fetch_only: true,
            ..Self::default()
        }
    }

    /// The parameters as Graph takes them (lists as a comma list and a JSON array).
    pub(crate) fn to_query(&self) -> Vec<(String, String)> {
        let mut query = Vec::new();
        if self.fetch_only {
            query.push(("fetch_only".to_owned(), "true".to_owned()));
        }
        if !self.scope.is_empty() {
            query.push(("scope".to_owned(), self.scope.join(",")));
        }
        if !self.asset.is_empty() {
            let list: Vec<String> = self.asset.iter().map(u64::to_string).collect();
            query.push(("asset".to_owned(), format!("[{}]", list.join(","))));
        }
        if let Some(expiring) = self.set_token_expires_in_60_days {
            query.push((
                "set_token_expires_in_60_days".to_owned(),
                expiring.to_string(),
            ));
        }
        if let Some(user) = self.system_user_id {
            query.push(("system_user_id".to_owned(), user.to_string()));
        }
        query
    }
}

open_enum!(
    /// The `type` of a token in `debug_token`.
    TokenType {
        /// A person's token.
        User => "USER",
        /// A page token.
        Page => "PAGE",
        /// An app token.
        App => "APP",
        /// A system user token (SUAT or business token).
        SystemUser => "SYSTEM_USER",
    }
);

/// One entry of `granular_scopes`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GranularScope {
    /// The permission.
    pub scope: String,
    /// The objects the permission is limited to (WABA IDs for the WhatsApp scopes, ad account
    /// IDs for `ads_read`); empty when it is not limited.
    #[serde(
        default,
        deserialize_with = "lenient_list",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub target_ids: Vec<String>,
}

/// The `error` member `debug_token` sets on an invalid token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenInfoError {
    /// Graph error code (190 for invalid tokens).
    #[serde(default, deserialize_with = "lenient")]
    pub code: Option<i64>,
    /// Why the token is invalid.
    #[serde(default, deserialize_with = "lenient")]
    pub message: Option<String>,
    /// Error subcode (e.g. 460, 463).
    #[serde(default, deserialize_with = "lenient")]
    pub subcode: Option<i64>,
}

/// The `data` of `GET /debug_token?input_token=…`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenInfo {
    /// The app the token belongs to.
    #[serde(default, deserialize_with = "lenient")]
    pub app_id: Option<AppId>,
    /// The kind of token.
    #[serde(rename = "type", default, deserialize_with = "lenient")]
    pub token_type: Option<TokenType>,
    /// The app's name.
    #[serde(default, deserialize_with = "lenient")]
    pub application: Option<String>,
    /// When data access expires (Unix seconds; 0 for never).
    #[serde(default, deserialize_with = "lenient")]
    pub data_access_expires_at: Option<i64>,
    /// When the token expires (Unix seconds; 0 for never).
    #[serde(default, deserialize_with = "lenient")]
    pub expires_at: Option<i64>,
    /// Whether the token can be used now.
    #[serde(default)]
    pub is_valid: bool,
    /// When the token was issued (Unix seconds).
    #[serde(default, deserialize_with = "lenient")]
    pub issued_at: Option<i64>,
    /// The permissions granted.
    #[serde(default, deserialize_with = "lenient_list")]
    pub scopes: Vec<String>,
    /// The permissions with the objects they are limited to.
    #[serde(default, deserialize_with = "lenient_list")]
    pub granular_scopes: Vec<GranularScope>,
    /// The user or system user the token acts as.
    #[serde(default, deserialize_with = "lenient")]
    pub user_id: Option<UserId>,
    /// Why the token is invalid, when it is.
    #[serde(default, deserialize_with = "lenient")]
    pub error: Option<TokenInfoError>,
}

impl TokenInfo {
    /// Whether the token never expires (`expires_at: 0`).
    pub fn never_expires(&self) -> bool {
        self.expires_at == Some(0)
    }

    /// Whether the token carries `scope`.
    pub fn has_scope(&self, scope: &str) -> bool {
        self.scopes.iter().any(|s| s == scope)
            || self.granular_scopes.iter().any(|g| g.scope == scope)
    }

    /// The objects `scope` is limited to; empty when it is not limited or not granted.
    pub fn target_ids(&self, scope: &str) -> Vec<&str> {
        self.granular_scopes
            .iter()
            .filter(|g| g.scope == scope)
            .flat_map(|g| g.target_ids.iter().map(String::as_str))
            .collect()
    }

    /// The WABAs the WhatsApp scopes reach: how a partner discovers a business token's WABAs.
    pub fn waba_ids(&self) -> Vec<WabaId> {
        let mut ids: Vec<WabaId> = [
            scope::WHATSAPP_BUSINESS_MANAGEMENT,
            scope::WHATSAPP_BUSINESS_MESSAGING,
        ]
        .iter()
        .flat_map(|s| self.target_ids(s))
        .filter_map(|id| id.parse().ok())
        .collect();
        ids.sort_unstable();
        ids.dedup();
        ids
    }
}

/// The `debug_token` envelope: `{"data": {...}}`.
#[derive(Deserialize)]
pub(crate) struct DebugTokenEnvelope {
    pub(crate) data: TokenInfo,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_contracts_debug_token_example_decodes() {
        let info: TokenInfo = serde_json::from_value(json!({
            "app_id": "634974688087057", "type": "SYSTEM_USER", "application": "Lucky Shrub",
            "data_access_expires_at": 0, "expires_at": 0, "is_valid": true, "issued_at": 1_712_099_387,
            "scopes": ["whatsapp_business_management", "whatsapp_business_messaging"],
            "granular_scopes": [
                {"scope": "whatsapp_business_management", "target_ids": ["102290129340398", "102290129340399"]},
                {"scope": "whatsapp_business_messaging", "target_ids": ["102290129340398"]}
            ],
            "user_id": "104169029247128"
        }))
        .expect("decodes");
        assert!(info.is_valid && info.never_expires());
        assert_eq!(info.token_type, Some(TokenType::SystemUser));
        assert_eq!(info.app_id, Some(AppId::new(634_974_688_087_057)));
        assert!(info.has_scope(scope::WHATSAPP_BUSINESS_MESSAGING));
        assert!(!info.has_scope(scope::ADS_READ));
        assert_eq!(
            info.waba_ids(),
            [
                WabaId::new(102_290_129_340_398),
                WabaId::new(102_290_129_340_399)
            ]
        );
    }

    #[test]
    fn an_invalid_token_decodes_with_its_error() {
        let info: TokenInfo = serde_json::from_value(json!({
            "error": {"code": 190, "message": "Invalid OAuth access token."}, "is_valid": false, "scopes": []
        }))
        .expect("decodes");
        assert!(!info.is_valid);
        assert_eq!(info.error.and_then(|e| e.code), Some(190));
    }

    #[test]
    fn token_request_parameters_and_redacted_debug() {
        let request = SystemUserTokenRequest {
            scope: vec!["ads_read".into(), "business_management".into()],
            asset: vec![1, 2],
            set_token_expires_in_60_days: Some(false),
            system_user_id: Some(UserId::new(9)),
            ..SystemUserTokenRequest::fetch_only()
        };
        let query = request.to_query();
        assert_eq!(
            query,
            [
                ("fetch_only".to_owned(), "true".to_owned()),
                (
                    "scope".to_owned(),
                    "ads_read,business_management".to_owned()
                ),
                ("asset".to_owned(), "[1,2]".to_owned()),
                (
                    "set_token_expires_in_60_days".to_owned(),
                    "false".to_owned()
                ),
                ("system_user_id".to_owned(), "9".to_owned()),
            ]
        );
        let token: AccessToken =
            serde_json::from_str(r#"{"access_token":"EAAGsecretsecret","token_type":"bearer"}"#)
                .expect("decodes");
        let shown = format!("{token:?}");
        assert!(
            shown.contains("EAAGse") && !shown.contains("secretsecret"),
            "{shown}"
        );
    }
}
