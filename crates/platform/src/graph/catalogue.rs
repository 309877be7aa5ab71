//! The fields Meta documents for each node type wamm serves.
//!
//! Graph refuses a `fields=` name only when the node type has no such field; a documented field
//! that has no value for an object is left out of the answer. Each node type's fields are
//! declared here once: whether it is a default field, the permission it needs beyond the node's
//! own, how wamm renders it, and where Meta documents it. The node builders supply the values;
//! `Node::project` (in the Graph door's renderer) consults this table for fields a builder did
//! not supply, and a test keeps builders and table in agreement.

use wamm_domain::Permission;

/// How a documented field is rendered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Render {
    /// From wamm's state, whenever the object has a value for it.
    State,
    /// A value that is always there, following from wamm's state (`messaging_product` is
    /// always `whatsapp`).
    Derived,
    /// wamm holds no state for it, so it is omitted, as Graph omits a field with no value.
    Omitted,
    /// Computed from state on request, with its modifiers as parameters
    /// (`template_analytics.start(…).end(…)`): asked for without the parameters it needs, it is
    /// refused as its edge is.
    Query,
}

/// Where Meta documents a field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// Named in Meta's OpenAPI spec for the Business Messaging API (v23.0).
    Spec,
    /// Meta's reference or guide page at this address.
    Page(&'static str),
    /// Asked for by a pinned, widely used Graph client (named here) that tracks Meta's fields,
    /// where no Meta page or spec entry in reach names it yet. Such fields are omitted: an
    /// unchanged real client is the judge of what Graph accepts, and a refusal would break it.
    Client(&'static str),
}

/// One documented field (or edge) of a node type.
#[derive(Debug, Clone, Copy)]
pub struct FieldDef {
    /// The name `fields=` uses.
    pub name: &'static str,
    /// A permission the field needs beyond the node's read permissions, if any.
    pub permission: Option<Permission>,
    /// How wamm renders it.
    pub render: Render,
    /// Where Meta documents it.
    pub source: Source,
}

/// A node type: its Graph name, default fields and documented fields.
#[derive(Debug)]
pub struct NodeType {
    /// The Graph type name, as error messages print it.
    pub name: &'static str,
    /// The fields answered when no `fields=` is given.
    pub defaults: &'static [&'static str],
    /// Every field Meta documents for the type.
    pub fields: &'static [FieldDef],
}

impl NodeType {
    /// The documented field `name`, if any.
    pub fn field(&self, name: &str) -> Option<&FieldDef> {
        self.fields.iter().find(|f| f.name == name)
    }

    /// The permissions the selected fields need beyond the node's read permissions (none
    /// without a selection: default fields need nothing more).
    pub fn extra_permissions<'a>(
        &'a self,
        sel: Option<&'a wamm_wire::fields::FieldSelection>,
    ) -> impl Iterator<Item = Permission> + 'a {
        self.fields
            .iter()
            .filter(move |f| sel.is_some_and(|s| s.contains(f.name)))
            .filter_map(|f| f.permission)
    }
}

const fn field(name: &'static str, render: Render, source: Source) -> FieldDef {
    FieldDef {
        name,
        permission: None,
        render,
        source,
    }
}

const fn needs(mut def: FieldDef, permission: Permission) -> FieldDef {
    def.permission = Some(permission);
    def
}

use Render::{Derived, Omitted, Query, State};
use Source::{Page, Spec};

const WABA_PAGE: Source =
    Page("https://developers.facebook.com/docs/graph-api/reference/whats-app-business-account/");
const PHONE_PAGE: Source = Page(
    "https://developers.facebook.com/docs/graph-api/reference/whats-app-business-account-to-number-current-status/",
);
const TEMPLATE_PAGE: Source =
    Page("https://developers.facebook.com/docs/graph-api/reference/whats-app-business-hsm/");
const BUSINESS_PAGE: Source =
    Page("https://developers.facebook.com/docs/marketing-api/reference/business/");
const MM_ONBOARDING: Source = Page(
    "https://developers.facebook.com/documentation/business-messaging/whatsapp/marketing-messages/onboarding",
);
const MESSAGING_LIMITS: Source = Page(
    "https://developers.facebook.com/documentation/business-messaging/whatsapp/messaging-limits",
);
/// pywa, the real-client suite's pinned Python client.
const PYWA: Source = Source::Client("pywa 4.5.0");
const ANALYTICS_PAGE: Source =
    Page("https://developers.facebook.com/documentation/business-messaging/whatsapp/analytics");
const HEALTH_STATUS: Source = Page(
    "https://developers.facebook.com/documentation/business-messaging/whatsapp/support/health-status",
);
const APPLICATION_PAGE: Source =
    Page("https://developers.facebook.com/docs/graph-api/reference/application/");
const SYSTEM_USER_PAGE: Source = Page(
    "https://developers.facebook.com/documentation/ads-commerce/marketing-api/reference/system-user",
);
const SYSTEM_USERS_EDGE: Source = Page(
    "https://developers.facebook.com/documentation/ads-commerce/marketing-api/reference/business/system_users",
);
const EXTENDED_CREDIT_PAGE: Source =
    Page("https://developers.facebook.com/docs/marketing-api/reference/extended-credit/");
const ASSIGNED_USERS_PAGE: Source = Page(
    "https://developers.facebook.com/docs/graph-api/reference/whats-app-business-account/assigned_users/",
);
const ASSIGNED_WABAS_PAGE: Source = Page(
    "https://developers.facebook.com/documentation/ads-commerce/marketing-api/reference/system-user/assigned_whatsapp_business_accounts",
);

const AD_ACCOUNT_PAGE: Source =
    Page("https://developers.facebook.com/docs/marketing-api/reference/ad-account/");
const MM_SETTINGS_PAGE: Source = Page(
    "https://developers.facebook.com/documentation/ads-commerce/marketing-api/reference/ad-account-marketing-messages-settings",
);
const CAMPAIGN_PAGE: Source =
    Page("https://developers.facebook.com/docs/marketing-api/reference/ad-campaign-group/");
const ADSET_PAGE: Source =
    Page("https://developers.facebook.com/docs/marketing-api/reference/ad-campaign/");
const AD_PAGE: Source =
    Page("https://developers.facebook.com/docs/marketing-api/reference/adgroup/");
const REPORT_RUN_PAGE: Source =
    Page("https://developers.facebook.com/docs/marketing-api/reference/ad-report-run/");

/// `AdAccount`: the read-only ad account Meta links to an onboarded WABA.
pub const AD_ACCOUNT: NodeType = NodeType {
    name: "AdAccount",
    defaults: &["account_id", "id"],
    fields: &[
        field("id", State, AD_ACCOUNT_PAGE),
        field("account_id", State, AD_ACCOUNT_PAGE),
        field("name", State, AD_ACCOUNT_PAGE),
        field("account_status", State, AD_ACCOUNT_PAGE),
        field("currency", State, AD_ACCOUNT_PAGE),
        field("business", State, AD_ACCOUNT_PAGE),
        field("created_time", State, AD_ACCOUNT_PAGE),
        field("marketing_messages_settings", State, MM_SETTINGS_PAGE),
        field("amount_spent", Omitted, AD_ACCOUNT_PAGE),
        field("timezone_id", Omitted, AD_ACCOUNT_PAGE),
        field("timezone_name", Omitted, AD_ACCOUNT_PAGE),
        field("insights", Omitted, AD_ACCOUNT_PAGE),
    ],
};

/// `Campaign`: a MARKETING template's campaign.
pub const CAMPAIGN: NodeType = NodeType {
    name: "Campaign",
    defaults: &["id"],
    fields: &[
        field("id", State, CAMPAIGN_PAGE),
        field("name", State, CAMPAIGN_PAGE),
        field("account_id", State, CAMPAIGN_PAGE),
        field("objective", State, CAMPAIGN_PAGE),
        field("status", State, CAMPAIGN_PAGE),
        field("effective_status", State, CAMPAIGN_PAGE),
        field("created_time", State, CAMPAIGN_PAGE),
        field("start_time", State, CAMPAIGN_PAGE),
        field("insights", Omitted, CAMPAIGN_PAGE),
    ],
};

/// `AdSet`: a MARKETING template's ad set ("message set").
pub const ADSET: NodeType = NodeType {
    name: "AdSet",
    defaults: &["id"],
    fields: &[
        field("id", State, ADSET_PAGE),
        field("name", State, ADSET_PAGE),
        field("account_id", State, ADSET_PAGE),
        field("campaign_id", State, ADSET_PAGE),
        field("optimization_goal", State, ADSET_PAGE),
        field("status", State, ADSET_PAGE),
        field("effective_status", State, ADSET_PAGE),
        field("created_time", State, ADSET_PAGE),
        field("insights", Omitted, ADSET_PAGE),
    ],
};

/// `Ad`: a MARKETING template's ad.
pub const AD: NodeType = NodeType {
    name: "Ad",
    defaults: &["id"],
    fields: &[
        field("id", State, AD_PAGE),
        field("name", State, AD_PAGE),
        field("account_id", State, AD_PAGE),
        field("campaign_id", State, AD_PAGE),
        field("adset_id", State, AD_PAGE),
        field("status", State, AD_PAGE),
        field("effective_status", State, AD_PAGE),
        field("created_time", State, AD_PAGE),
        field("insights", Omitted, AD_PAGE),
    ],
};

/// `AdReportRun`: an asynchronous Insights report.
pub const REPORT_RUN: NodeType = NodeType {
    name: "AdReportRun",
    defaults: &[
        "id",
        "account_id",
        "async_percent_completion",
        "async_status",
        "date_start",
        "date_stop",
        "time_completed",
        "time_ref",
    ],
    fields: &[
        field("id", State, REPORT_RUN_PAGE),
        field("account_id", State, REPORT_RUN_PAGE),
        field("async_percent_completion", State, REPORT_RUN_PAGE),
        field("async_status", State, REPORT_RUN_PAGE),
        field("date_start", State, REPORT_RUN_PAGE),
        field("date_stop", State, REPORT_RUN_PAGE),
        field("time_completed", State, REPORT_RUN_PAGE),
        field("time_ref", State, REPORT_RUN_PAGE),
        field("is_running", State, REPORT_RUN_PAGE),
        field("async_report_url", Omitted, REPORT_RUN_PAGE),
        field("error_code", Omitted, REPORT_RUN_PAGE),
        field("error_message", Omitted, REPORT_RUN_PAGE),
        field("error_subcode", Omitted, REPORT_RUN_PAGE),
        field("error_user_msg", Omitted, REPORT_RUN_PAGE),
        field("error_user_title", Omitted, REPORT_RUN_PAGE),
        field("emails", Omitted, REPORT_RUN_PAGE),
        field("friendly_name", Omitted, REPORT_RUN_PAGE),
        field("schedule_id", Omitted, REPORT_RUN_PAGE),
    ],
};

/// `WhatsAppBusinessAccount`.
pub const WABA: NodeType = NodeType {
    name: "WhatsAppBusinessAccount",
    defaults: &[
        "id",
        "name",
        "currency",
        "timezone_id",
        "message_template_namespace",
    ],
    fields: &[
        field("id", State, Spec),
        field("name", State, Spec),
        field("currency", State, Spec),
        field("timezone_id", State, Spec),
        field("message_template_namespace", State, Spec),
        field("account_review_status", State, Spec),
        field("business_verification_status", State, Spec),
        field("country", State, Spec),
        field("primary_business_location", State, Spec),
        field("ownership_type", State, Spec),
        field("status", State, Spec),
        field("on_behalf_of_business_info", State, Spec),
        field("owner_business_info", State, WABA_PAGE),
        field("marketing_messages_onboarding_status", State, MM_ONBOARDING),
        field("marketing_messages_lite_api_status", State, MM_ONBOARDING),
        field("solution_id", State, Spec),
        field("phone_numbers", State, Spec),
        field("message_templates", State, Spec),
        needs(
            field("subscribed_apps", State, Spec),
            Permission::WhatsappBusinessManagement,
        ),
        // wamm has no call that enables template insights, so it stays false.
        field("is_enabled_for_insights", State, Spec),
        field("purchase_order_number", Omitted, Spec),
        field("audiences", Omitted, Spec),
        field("schedules", Omitted, Spec),
        field("dcc_config", Omitted, Spec),
        field("analytics", Query, ANALYTICS_PAGE),
        field("template_analytics", Query, ANALYTICS_PAGE),
        field("pricing_analytics", Query, ANALYTICS_PAGE),
        field("conversation_analytics", Query, ANALYTICS_PAGE),
        field("template_group_analytics", Query, ANALYTICS_PAGE),
        field("auth_international_rate_eligibility", Omitted, WABA_PAGE),
        field("creation_time", Omitted, WABA_PAGE),
        field("health_status", Omitted, HEALTH_STATUS),
        field("disable_marketing_messages_on_cloud_api", Omitted, PYWA),
        field("is_shared_with_partners", Omitted, WABA_PAGE),
        field("linked_commerce_account", Omitted, WABA_PAGE),
        field("owner_business", Omitted, WABA_PAGE),
        field("primary_funding_id", Omitted, WABA_PAGE),
        field(
            "whatsapp_business_manager_messaging_limit",
            Omitted,
            WABA_PAGE,
        ),
    ],
};

/// `WhatsAppBusinessPhoneNumber`.
pub const PHONE: NodeType = NodeType {
    name: "WhatsAppBusinessPhoneNumber",
    defaults: &[
        "id",
        "display_phone_number",
        "verified_name",
        "quality_rating",
    ],
    fields: &[
        field("id", State, Spec),
        field("display_phone_number", State, Spec),
        field("verified_name", State, Spec),
        field("quality_rating", State, Spec),
        field("code_verification_status", State, Spec),
        field("name_status", State, Spec),
        field("status", State, Spec),
        field("account_mode", State, Spec),
        field("is_official_business_account", State, Spec),
        field("platform_type", State, PHONE_PAGE),
        field("throughput", State, PHONE_PAGE),
        field("is_on_biz_app", State, PHONE_PAGE),
        // wamm keeps no welcome message, prompts or commands for a number.
        field("conversational_automation", Omitted, PHONE_PAGE),
        field(
            "whatsapp_business_manager_messaging_limit",
            Omitted,
            MESSAGING_LIMITS,
        ),
        field("country_code", Omitted, Spec),
        field("country_dial_code", Omitted, Spec),
        field("messaging_limit_tier", Omitted, Spec),
        field("certificate", Omitted, Spec),
        field("unified_cert_status", Omitted, Spec),
        field("host_platform", Omitted, Spec),
        field("username", Omitted, Spec),
        field("quality_score", Omitted, PHONE_PAGE),
        field("webhook_configuration", Omitted, PHONE_PAGE),
        field("new_name_status", Omitted, PHONE_PAGE),
        field("new_certificate", Omitted, PHONE_PAGE),
        field("is_pin_enabled", Omitted, PHONE_PAGE),
        field("is_preverified_number", Omitted, PHONE_PAGE),
        field("search_visibility", Omitted, PHONE_PAGE),
        field(
            "eligibility_for_api_business_global_search",
            Omitted,
            PHONE_PAGE,
        ),
        field("last_onboarded_time", Omitted, Spec),
        field("health_status", Omitted, HEALTH_STATUS),
    ],
};

/// The defaults of `GET /{waba-id}/phone_numbers`, which lists more than `GET /{phone-id}`.
pub const PHONE_LIST_DEFAULTS: &[&str] = &[
    "id",
    "display_phone_number",
    "verified_name",
    "quality_rating",
    "code_verification_status",
    "platform_type",
    "throughput",
];

/// `WhatsAppMessageTemplate`.
pub const TEMPLATE: NodeType = NodeType {
    name: "WhatsAppMessageTemplate",
    defaults: &[
        "name",
        "parameter_format",
        "components",
        "language",
        "status",
        "category",
        "id",
    ],
    fields: &[
        field("id", State, Spec),
        field("name", State, Spec),
        field("language", State, Spec),
        field("status", State, Spec),
        field("category", State, Spec),
        field("components", State, Spec),
        field("previous_category", State, Spec),
        field("parameter_format", State, TEMPLATE_PAGE),
        field("message_send_ttl_seconds", State, TEMPLATE_PAGE),
        field("rejected_reason", State, TEMPLATE_PAGE),
        field("ad_account_id", State, MM_ONBOARDING),
        field("ad_campaign_id", State, MM_ONBOARDING),
        field("ad_adset_id", State, MM_ONBOARDING),
        field("ad_id", State, MM_ONBOARDING),
        // Set only when Meta plans to recategorise a template, which wamm never does.
        field("correct_category", Omitted, TEMPLATE_PAGE),
        field("cta_url_link_tracking_opted_out", Omitted, TEMPLATE_PAGE),
        field("library_template_name", Omitted, TEMPLATE_PAGE),
        field("quality_score", Omitted, TEMPLATE_PAGE),
        field("sub_category", Omitted, TEMPLATE_PAGE),
        field("degrees_of_freedom_spec", Omitted, PYWA),
    ],
};

/// `Business` (a business portfolio).
pub const BUSINESS: NodeType = NodeType {
    name: "Business",
    defaults: &["id", "name"],
    fields: &[
        field("id", State, Spec),
        field("name", State, Spec),
        field("created_time", State, Spec),
        field("verification_status", State, Spec),
        field("timezone_id", State, Spec),
        // The MM API terms status is business_management data.
        needs(
            field("marketing_messages_onboarding_status", State, MM_ONBOARDING),
            Permission::BusinessManagement,
        ),
        field("updated_time", Omitted, Spec),
        field("link", Omitted, BUSINESS_PAGE),
        field("primary_page", Omitted, BUSINESS_PAGE),
        field("profile_picture_uri", Omitted, BUSINESS_PAGE),
        field("two_factor_type", Omitted, BUSINESS_PAGE),
        field("vertical", Omitted, BUSINESS_PAGE),
        field("vertical_id", Omitted, BUSINESS_PAGE),
        field("is_hidden", Omitted, BUSINESS_PAGE),
        field("created_by", Omitted, BUSINESS_PAGE),
        field("updated_by", Omitted, BUSINESS_PAGE),
    ],
};

/// `WhatsAppBusinessSolution`: a Multi-Partner Solution.
pub const SOLUTION: NodeType = NodeType {
    name: "WhatsAppBusinessSolution",
    defaults: &["id", "name", "status", "status_for_pending_request"],
    fields: &[
        field("id", State, Spec),
        field("name", State, Spec),
        field("status", State, Spec),
        field("status_for_pending_request", State, Spec),
        field("owner_app", State, Spec),
        field("owner_permissions", State, Spec),
    ],
};

/// `WhatsAppBusinessAccountMigrationIntent`: a WABA's migration intent to a solution.
pub const MIGRATION_INTENT: NodeType = NodeType {
    name: "WhatsAppBusinessAccountMigrationIntent",
    defaults: &["id", "status"],
    fields: &[field("id", State, Spec), field("status", State, Spec)],
};

const PIXEL_PAGE: Source =
    Page("https://developers.facebook.com/docs/marketing-api/reference/ads-pixel/");

/// `AdsPixel`: a Meta Pixel, which is also a dataset (`GET /{pixel-id}`).
pub const ADS_PIXEL: NodeType = NodeType {
    name: "AdsPixel",
    defaults: &["id", "name"],
    fields: &[
        field("id", State, PIXEL_PAGE),
        field("name", State, PIXEL_PAGE),
        field("owner_business", State, PIXEL_PAGE),
        field("creation_time", State, PIXEL_PAGE),
        field("is_unavailable", Derived, PIXEL_PAGE),
        field("is_created_by_business", Derived, PIXEL_PAGE),
        field("code", Omitted, PIXEL_PAGE),
        field("creator", Omitted, PIXEL_PAGE),
        field("data_use_setting", Omitted, PIXEL_PAGE),
        field("automatic_matching_fields", Omitted, PIXEL_PAGE),
        field("enable_automatic_matching", Omitted, PIXEL_PAGE),
        field("first_party_cookie_status", Omitted, PIXEL_PAGE),
        field("last_fired_time", Omitted, PIXEL_PAGE),
        field("owner_ad_account", Omitted, PIXEL_PAGE),
    ],
};

/// `BusinessOwnedObjectOnBehalfOfRequest`: an on-behalf-of request in progress on a WABA.
pub const OBO_REQUEST: NodeType = NodeType {
    name: "BusinessOwnedObjectOnBehalfOfRequest",
    defaults: &["id", "status", "business_owned_object"],
    fields: &[
        field("id", State, Spec),
        field("status", State, Spec),
        field("business_owned_object", State, Spec),
        field("receiving_business", State, Spec),
        field("requesting_business", State, Spec),
    ],
};

/// `Application`: an app, as `GET /{app-id}` and an app token's `GET /me` answer it, and
/// nested in a subscribed app's `whatsapp_business_api_data`.
pub const APPLICATION: NodeType = NodeType {
    name: "Application",
    // The fields Meta's subscribed apps answer carry for the app without a selection.
    defaults: &["link", "name", "id"],
    fields: &[
        field("id", State, Spec),
        field("name", State, Spec),
        // The app's page on Facebook follows from its ID.
        field("link", State, Spec),
        field("app_name", State, APPLICATION_PAGE),
        // wamm keeps an app's ID, name, secret, owner and permissions, nothing of its
        // settings, SDK configuration or audience.
        field("aam_rules", Omitted, APPLICATION_PAGE),
        field("an_ad_space_limit", Omitted, APPLICATION_PAGE),
        field("an_platforms", Omitted, APPLICATION_PAGE),
        field("android_key_hash", Omitted, APPLICATION_PAGE),
        field("android_sdk_error_categories", Omitted, APPLICATION_PAGE),
        field("app_domains", Omitted, APPLICATION_PAGE),
        field("app_events_config", Omitted, APPLICATION_PAGE),
        field("app_events_feature_bitmask", Omitted, APPLICATION_PAGE),
        field("app_events_session_timeout", Omitted, APPLICATION_PAGE),
        field("app_install_tracked", Omitted, APPLICATION_PAGE),
        field("app_signals_binding_ios", Omitted, APPLICATION_PAGE),
        field("app_type", Omitted, APPLICATION_PAGE),
        field("auth_dialog_data_help_url", Omitted, APPLICATION_PAGE),
        field("auth_dialog_headline", Omitted, APPLICATION_PAGE),
        field("auth_dialog_perms_explanation", Omitted, APPLICATION_PAGE),
        field(
            "auth_referral_default_activity_privacy",
            Omitted,
            APPLICATION_PAGE,
        ),
        field("auth_referral_enabled", Omitted, APPLICATION_PAGE),
        field("auth_referral_extended_perms", Omitted, APPLICATION_PAGE),
        field("auth_referral_friend_perms", Omitted, APPLICATION_PAGE),
        field("auth_referral_response_type", Omitted, APPLICATION_PAGE),
        field("auth_referral_user_perms", Omitted, APPLICATION_PAGE),
        field("auto_event_mapping_android", Omitted, APPLICATION_PAGE),
        field("auto_event_mapping_ios", Omitted, APPLICATION_PAGE),
        field("auto_event_setup_enabled", Omitted, APPLICATION_PAGE),
        field("canvas_fluid_height", Omitted, APPLICATION_PAGE),
        field("canvas_fluid_width", Omitted, APPLICATION_PAGE),
        field("canvas_url", Omitted, APPLICATION_PAGE),
        field("category", Omitted, APPLICATION_PAGE),
        field("client_config", Omitted, APPLICATION_PAGE),
        field("company", Omitted, APPLICATION_PAGE),
        field("configured_ios_sso", Omitted, APPLICATION_PAGE),
        field("contact_email", Omitted, APPLICATION_PAGE),
        field("created_time", Omitted, APPLICATION_PAGE),
        field("creator_uid", Omitted, APPLICATION_PAGE),
        field("daily_active_users", Omitted, APPLICATION_PAGE),
        field("daily_active_users_rank", Omitted, APPLICATION_PAGE),
        field("deauth_callback_url", Omitted, APPLICATION_PAGE),
        field("default_share_mode", Omitted, APPLICATION_PAGE),
        field("description", Omitted, APPLICATION_PAGE),
        field("financial_id", Omitted, APPLICATION_PAGE),
        field(
            "gdpv4_chrome_custom_tabs_enabled",
            Omitted,
            APPLICATION_PAGE,
        ),
        field("gdpv4_enabled", Omitted, APPLICATION_PAGE),
        field("gdpv4_nux_content", Omitted, APPLICATION_PAGE),
        field("gdpv4_nux_enabled", Omitted, APPLICATION_PAGE),
        field("has_messenger_product", Omitted, APPLICATION_PAGE),
        field("hosting_url", Omitted, APPLICATION_PAGE),
        field("icon_url", Omitted, APPLICATION_PAGE),
        field("ios_bundle_id", Omitted, APPLICATION_PAGE),
        field("ios_sdk_dialog_flows", Omitted, APPLICATION_PAGE),
        field("ios_sdk_error_categories", Omitted, APPLICATION_PAGE),
        field("ios_sfvc_attr", Omitted, APPLICATION_PAGE),
        field(
            "ios_supports_native_proxy_auth_flow",
            Omitted,
            APPLICATION_PAGE,
        ),
        field("ios_supports_system_auth", Omitted, APPLICATION_PAGE),
        field("ipad_app_store_id", Omitted, APPLICATION_PAGE),
        field("iphone_app_store_id", Omitted, APPLICATION_PAGE),
        field("latest_sdk_version", Omitted, APPLICATION_PAGE),
        field("logging_token", Omitted, APPLICATION_PAGE),
        field("login_secret", Omitted, APPLICATION_PAGE),
        field("logo_url", Omitted, APPLICATION_PAGE),
        field("migrations", Omitted, APPLICATION_PAGE),
        field("mobile_profile_section_url", Omitted, APPLICATION_PAGE),
        field("mobile_web_url", Omitted, APPLICATION_PAGE),
        field("monthly_active_users", Omitted, APPLICATION_PAGE),
        field("monthly_active_users_rank", Omitted, APPLICATION_PAGE),
        field("namespace", Omitted, APPLICATION_PAGE),
        field("object_store_urls", Omitted, APPLICATION_PAGE),
        field("page_tab_default_name", Omitted, APPLICATION_PAGE),
        field("page_tab_url", Omitted, APPLICATION_PAGE),
        field("photo_url", Omitted, APPLICATION_PAGE),
        field("privacy_policy_url", Omitted, APPLICATION_PAGE),
        field("profile_section_url", Omitted, APPLICATION_PAGE),
        field("property_id", Omitted, APPLICATION_PAGE),
        field("real_time_mode_devices", Omitted, APPLICATION_PAGE),
        field("restrictions", Omitted, APPLICATION_PAGE),
        field("restrictive_data_filter_params", Omitted, APPLICATION_PAGE),
        field("restrictive_data_filter_rules", Omitted, APPLICATION_PAGE),
        field("sdk_update_message", Omitted, APPLICATION_PAGE),
        field("seamless_login", Omitted, APPLICATION_PAGE),
        field("secure_canvas_url", Omitted, APPLICATION_PAGE),
        field("secure_page_tab_url", Omitted, APPLICATION_PAGE),
        field("server_ip_whitelist", Omitted, APPLICATION_PAGE),
        field("smart_login_bookmark_icon_url", Omitted, APPLICATION_PAGE),
        field("smart_login_menu_icon_url", Omitted, APPLICATION_PAGE),
        field("social_discovery", Omitted, APPLICATION_PAGE),
        field("subcategory", Omitted, APPLICATION_PAGE),
        field("suggested_events_setting", Omitted, APPLICATION_PAGE),
        field("supported_platforms", Omitted, APPLICATION_PAGE),
        field(
            "supports_apprequests_fast_app_switch",
            Omitted,
            APPLICATION_PAGE,
        ),
        field("supports_attribution", Omitted, APPLICATION_PAGE),
        field("supports_implicit_sdk_logging", Omitted, APPLICATION_PAGE),
        field("suppress_native_ios_gdp", Omitted, APPLICATION_PAGE),
        field("terms_of_service_url", Omitted, APPLICATION_PAGE),
        field("url_scheme_suffix", Omitted, APPLICATION_PAGE),
        field("user_support_email", Omitted, APPLICATION_PAGE),
        field("user_support_url", Omitted, APPLICATION_PAGE),
        field("website_url", Omitted, APPLICATION_PAGE),
        field("weekly_active_users", Omitted, APPLICATION_PAGE),
    ],
};

/// `User`: a system user, as `GET /{system-user-id}` and a system user token's `GET /me`
/// answer it.
pub const SYSTEM_USER: NodeType = NodeType {
    name: "User",
    defaults: &["id", "name"],
    fields: &[
        field("id", State, SYSTEM_USER_PAGE),
        field("name", State, SYSTEM_USER_PAGE),
        // Meta documents `role` (ADMIN or EMPLOYEE) on a business's system users edge; wamm
        // answers it wherever it renders a system user.
        field("role", State, SYSTEM_USERS_EDGE),
        // wamm records neither who created a system user nor when, and gives system users no
        // finance or ads-rights roles.
        field("created_by", Omitted, SYSTEM_USER_PAGE),
        field("created_time", Omitted, SYSTEM_USER_PAGE),
        field("finance_permission", Omitted, SYSTEM_USER_PAGE),
        field("ip_permission", Omitted, SYSTEM_USER_PAGE),
    ],
};

/// `ConnectedClientBusiness`: one of `GET /{app-id}/connected_client_businesses`.
pub const CONNECTED_CLIENT: NodeType = NodeType {
    name: "ConnectedClientBusiness",
    defaults: &["id", "name", "verification_status", "business_status"],
    fields: &[
        field("id", State, Spec),
        field("name", State, Spec),
        field("verification_status", State, Spec),
        field("business_status", State, Spec),
        field("created_time", State, Spec),
        field("updated_time", State, Spec),
    ],
};

/// `ExtendedCredit`: a credit line, one of `GET /{business-id}/extendedcredits`.
pub const EXTENDED_CREDIT: NodeType = NodeType {
    name: "ExtendedCredit",
    defaults: &["id", "legal_entity_name"],
    fields: &[
        field("id", State, Spec),
        field("legal_entity_name", State, Spec),
        field("owner_business", State, EXTENDED_CREDIT_PAGE),
        field("owner_business_name", State, EXTENDED_CREDIT_PAGE),
        // wamm keeps whether a credit line stands behind a payment method, not its amounts,
        // type, payments or allocations.
        field("allocated_amount", Omitted, EXTENDED_CREDIT_PAGE),
        field("balance", Omitted, EXTENDED_CREDIT_PAGE),
        field("credit_available", Omitted, EXTENDED_CREDIT_PAGE),
        field("credit_type", Omitted, EXTENDED_CREDIT_PAGE),
        field("is_access_revoked", Omitted, EXTENDED_CREDIT_PAGE),
        field("is_automated_experience", Omitted, EXTENDED_CREDIT_PAGE),
        field("last_payment_time", Omitted, EXTENDED_CREDIT_PAGE),
        field("liable_biz_name", Omitted, EXTENDED_CREDIT_PAGE),
        field("max_balance", Omitted, EXTENDED_CREDIT_PAGE),
        field("online_max_balance", Omitted, EXTENDED_CREDIT_PAGE),
        field("partition_from", Omitted, EXTENDED_CREDIT_PAGE),
        field(
            "receiving_credit_allocation_config",
            Omitted,
            EXTENDED_CREDIT_PAGE,
        ),
        field("send_bill_to_biz_name", Omitted, EXTENDED_CREDIT_PAGE),
    ],
};

/// `AssignedUser`: one of `GET /{waba-id}/assigned_users`, with the `tasks` the edge adds.
pub const ASSIGNED_USER: NodeType = NodeType {
    name: "AssignedUser",
    // Meta's example answer of the edge, asked without `fields=`, carries the tasks.
    defaults: &["id", "name", "tasks"],
    fields: &[
        field("id", State, Spec),
        field("name", State, Spec),
        field("business", State, Spec),
        field("user_type", State, Spec),
        field("tasks", State, ASSIGNED_USERS_PAGE),
    ],
};

/// `AssignedWhatsAppBusinessAccount`: one of `GET /{system-user-id}/assigned_whatsapp_business_accounts`,
/// with the `tasks` the edge adds.
pub const ASSIGNED_WABA: NodeType = NodeType {
    name: "AssignedWhatsAppBusinessAccount",
    defaults: &["id", "name", "status", "tasks"],
    fields: &[
        field("id", State, Spec),
        field("name", State, Spec),
        field("status", State, Spec),
        field("assignment_date", State, Spec),
        field("permissions", State, Spec),
        field("business_id", State, Spec),
        field("phone_numbers", State, Spec),
        field("tasks", State, ASSIGNED_WABAS_PAGE),
    ],
};

/// `WhatsAppBusinessProfile`: a number's profile, as `GET /{phone-number-id}/whatsapp_business_profile`
/// answers it.
pub const BUSINESS_PROFILE: NodeType = NodeType {
    name: "WhatsAppBusinessProfile",
    defaults: &[
        "about",
        "address",
        "description",
        "email",
        "messaging_product",
        "profile_picture_url",
        "websites",
        "vertical",
    ],
    fields: &[
        field("about", State, Spec),
        field("address", State, Spec),
        field("description", State, Spec),
        field("email", State, Spec),
        field("profile_picture_url", State, Spec),
        field("websites", State, Spec),
        field("vertical", State, Spec),
        // A profile belongs to WhatsApp alone.
        field("messaging_product", Derived, Spec),
        // Read through the profile's own ID, which wamm does not give a profile.
        field("id", Omitted, Spec),
        field("account_name", Omitted, Spec),
    ],
};

/// `WhatsAppBusinessAccountSubscribedApp`: one of a WABA's `subscribed_apps`.
pub const SUBSCRIBED_APP: NodeType = NodeType {
    name: "WhatsAppBusinessAccountSubscribedApp",
    defaults: &["whatsapp_business_api_data", "override_callback_uri"],
    fields: &[
        field("whatsapp_business_api_data", State, Spec),
        field("override_callback_uri", State, Spec),
    ],
};

/// Every node type in the catalogue.
pub const ALL: [&NodeType; 21] = [
    &WABA,
    &PHONE,
    &TEMPLATE,
    &BUSINESS,
    &SOLUTION,
    &MIGRATION_INTENT,
    &OBO_REQUEST,
    &APPLICATION,
    &SYSTEM_USER,
    &CONNECTED_CLIENT,
    &EXTENDED_CREDIT,
    &ASSIGNED_USER,
    &ASSIGNED_WABA,
    &BUSINESS_PROFILE,
    &SUBSCRIBED_APP,
    &AD_ACCOUNT,
    &CAMPAIGN,
    &ADSET,
    &AD,
    &REPORT_RUN,
    &ADS_PIXEL,
];

/// The node type called `name`, if the catalogue has it.
pub fn node_type(name: &str) -> Option<&'static NodeType> {
    ALL.into_iter().find(|t| t.name == name)
}

/// Whether Meta documents `field` on the node type `type_name`.
pub fn documents(type_name: &str, field: &str) -> bool {
    node_type(type_name).is_some_and(|t| t.field(field).is_some())
}

/// Checks that a builder's node agrees with its type's entry: it supplies every field the
/// catalogue renders from state or derives, and no field the catalogue omits or lacks.
#[cfg(test)]
pub(crate) fn assert_builder_agrees(node: &super::render::Node) {
    let t = node_type(node.type_name()).expect("catalogued node type");
    let supplied: Vec<&str> = node.names().collect();
    for name in &supplied {
        let def = t.field(name);
        assert!(
            def.is_some(),
            "{}.{name} is supplied but undocumented",
            t.name
        );
        assert!(
            def.is_some_and(|d| d.render != Omitted),
            "{}.{name} is supplied but catalogued as omitted",
            t.name
        );
    }
    // A query field is supplied only when asked for.
    for f in t
        .fields
        .iter()
        .filter(|f| !matches!(f.render, Omitted | Query))
    {
        assert!(
            supplied.contains(&f.name),
            "{}.{} is catalogued as rendered but not supplied",
            t.name,
            f.name
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Meta's OpenAPI spec, vendored in the repository (`spec/meta/`).
    fn spec() -> String {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../spec/meta/meta-business-messaging-api_v23.0.yaml"
        );
        std::fs::read_to_string(path)
            .unwrap_or_else(|e| panic!("Meta's vendored OpenAPI spec at {path}: {e}"))
    }

    fn names_word(text: &str, word: &str) -> bool {
        text.match_indices(word).any(|(at, _)| {
            let before = text[..at].chars().next_back();
            let after = text[at + word.len()..].chars().next();
            let part = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_');
            !part(before) && !part(after)
        })
    }

    #[test]
    fn every_field_has_a_source_and_is_declared_once() {
        for t in ALL {
            for (i, f) in t.fields.iter().enumerate() {
                assert!(
                    t.fields[i + 1..].iter().all(|g| g.name != f.name),
                    "{}.{} is declared twice",
                    t.name,
                    f.name
                );
                if let Page(url) = f.source {
                    assert!(
                        url.starts_with("https://developers.facebook.com/"),
                        "{}.{} cites {url}, not a Meta page",
                        t.name,
                        f.name
                    );
                }
            }
            for d in t.defaults {
                assert!(
                    t.field(d).is_some(),
                    "default {}.{d} is undocumented",
                    t.name
                );
            }
        }
        for d in PHONE_LIST_DEFAULTS {
            assert!(PHONE.field(d).is_some(), "list default {d} is undocumented");
        }
    }

    #[test]
    fn spec_sourced_fields_are_named_in_the_spec() {
        let spec = spec();
        for t in ALL {
            for f in t.fields.iter().filter(|f| f.source == Spec) {
                assert!(
                    names_word(&spec, f.name),
                    "{}.{} is cited to the spec, which does not name it",
                    t.name,
                    f.name
                );
            }
        }
    }
}
