//! App permissions (token scopes) and their access levels.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A permission an app can be granted and a token can carry as a scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Permission {
    /// Send messages (`/messages`, `/marketing_messages`).
    WhatsappBusinessMessaging,
    /// Manage WABAs, phone numbers and templates.
    WhatsappBusinessManagement,
    /// Business-level calls: Intent API, system user tokens, business status.
    BusinessManagement,
    /// Insights API on linked ad accounts (optional for MM API).
    AdsRead,
    /// Log conversion events on behalf of a WABA.
    WhatsappBusinessManageEvents,
}

impl Permission {
    /// Every permission wamm knows, in a stable order.
    pub const ALL: [Self; 5] = [
        Self::WhatsappBusinessMessaging,
        Self::WhatsappBusinessManagement,
        Self::BusinessManagement,
        Self::AdsRead,
        Self::WhatsappBusinessManageEvents,
    ];

    /// The permission's Graph name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::WhatsappBusinessMessaging => "whatsapp_business_messaging",
            Self::WhatsappBusinessManagement => "whatsapp_business_management",
            Self::BusinessManagement => "business_management",
            Self::AdsRead => "ads_read",
            Self::WhatsappBusinessManageEvents => "whatsapp_business_manage_events",
        }
    }
}

impl fmt::Display for Permission {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A name that is not a known permission.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown permission '{0}'")]
pub struct UnknownPermission(pub String);

impl FromStr for Permission {
    type Err = UnknownPermission;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|p| p.as_str() == s)
            .ok_or_else(|| UnknownPermission(s.to_owned()))
    }
}

/// How far an app may use a permission (App Review outcome).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccessLevel {
    /// Only on assets of the app's own business.
    Standard,
    /// On assets of any business that granted access (clients).
    Advanced,
}
