//! What both backends share: the SQL (written once, with `$n` placeholders both engines
//! accept), value conversions, and the [`Store`](crate::Store) implementation, expanded per
//! backend by [`impl_store!`].
//!
//! A backend module supplies only what differs: how to connect, how to begin a consistent
//! read, and how to name a violated unique constraint.

use serde::Serialize;
use serde::de::DeserializeOwned;
use wamm_domain::solution::MigrationStatus;
use wamm_domain::{
    Attempt, DeliveryStatus, Email, Event, NewEmail, NewWebhook, OutboxItem, PartnerAccess,
    RequestStatus, Timestamp,
};
use wamm_wire::ids::{AppId, BusinessId, RequestId};

use crate::StoreError;

/// Upsert statements, by primary key.
pub(crate) mod put {
    /// Followed by `VALUES` rows of the key and the counters, then [`FACTS_TAIL`]: each row's
    /// counters are added to what its key already holds.
    pub(crate) const FACTS: &str = "INSERT INTO message_facts (waba_id, template_id, \
        phone_number_id, day, local_day, route, category, country, sent, delivered, read, clicked, \
        unique_clicked, failed, cost_micros, web_add_to_cart, web_checkouts, web_purchases, \
        web_purchase_value_micros, app_activations, app_add_to_cart, app_checkouts, \
        app_purchases, app_purchase_value_micros) ";
    pub(crate) const FACTS_TAIL: &str = " ON CONFLICT (waba_id, template_id, day, \
        local_day, phone_number_id, route, category, country) DO UPDATE SET \
        sent = message_facts.sent + excluded.sent, \
        delivered = message_facts.delivered + excluded.delivered, \
        read = message_facts.read + excluded.read, \
        clicked = message_facts.clicked + excluded.clicked, \
        unique_clicked = message_facts.unique_clicked + excluded.unique_clicked, \
        failed = message_facts.failed + excluded.failed, \
        cost_micros = message_facts.cost_micros + excluded.cost_micros, \
        web_add_to_cart = message_facts.web_add_to_cart + excluded.web_add_to_cart, \
        web_checkouts = message_facts.web_checkouts + excluded.web_checkouts, \
        web_purchases = message_facts.web_purchases + excluded.web_purchases, \
        web_purchase_value_micros = message_facts.web_purchase_value_micros \
            + excluded.web_purchase_value_micros, \
        app_activations = message_facts.app_activations + excluded.app_activations, \
        app_add_to_cart = message_facts.app_add_to_cart + excluded.app_add_to_cart, \
        app_checkouts = message_facts.app_checkouts + excluded.app_checkouts, \
        app_purchases = message_facts.app_purchases + excluded.app_purchases, \
        app_purchase_value_micros = message_facts.app_purchase_value_micros \
            + excluded.app_purchase_value_micros";
    pub(crate) const APP: &str = "INSERT INTO apps (id, business_id, doc) VALUES ($1, $2, $3) \
        ON CONFLICT (id) DO UPDATE SET business_id = excluded.business_id, doc = excluded.doc";
    pub(crate) const BUSINESS: &str = "INSERT INTO businesses (id, doc) VALUES ($1, $2) \
        ON CONFLICT (id) DO UPDATE SET doc = excluded.doc";
    pub(crate) const SYSTEM_USER: &str = "INSERT INTO system_users (id, business_id, doc) \
        VALUES ($1, $2, $3) \
        ON CONFLICT (id) DO UPDATE SET business_id = excluded.business_id, doc = excluded.doc";
    pub(crate) const WABA: &str = "INSERT INTO wabas (id, owner_business_id, \
        setup_pending_at, doc) VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO UPDATE \
        SET owner_business_id = excluded.owner_business_id, \
        setup_pending_at = excluded.setup_pending_at, doc = excluded.doc";
    /// Followed by `VALUES` rows of (`id`, `waba_id`, `steps_done`, `next_at`, `doc`) and
    /// [`MESSAGES_TAIL`].
    pub(crate) const MESSAGES: &str =
        "INSERT INTO messages (id, waba_id, steps_done, next_at, doc) ";
    pub(crate) const MESSAGES_TAIL: &str = " ON CONFLICT (id) DO UPDATE SET \
        steps_done = excluded.steps_done, next_at = excluded.next_at, doc = excluded.doc";
    pub(crate) const AUTH_CODE: &str = "INSERT INTO auth_codes (hash, app_id, used_at, doc) \
        VALUES ($1, $2, $3, $4) ON CONFLICT (hash) DO UPDATE SET app_id = excluded.app_id, \
        used_at = excluded.used_at, doc = excluded.doc";
    pub(crate) const WABA_PARTNERS_CLEAR: &str = "DELETE FROM waba_partners WHERE waba_id = $1";
    pub(crate) const AD_OBJECT: &str = "INSERT INTO ad_objects (id, kind, waba_id, template_id) \
        VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO UPDATE SET kind = excluded.kind, \
        waba_id = excluded.waba_id, template_id = excluded.template_id";
    pub(crate) const WABA_PARTNER: &str =
        "INSERT INTO waba_partners (waba_id, partner_business_id, access) VALUES ($1, $2, $3)";
    pub(crate) const PHONE_NUMBER: &str = "INSERT INTO phone_numbers (id, waba_id, doc) \
        VALUES ($1, $2, $3) \
        ON CONFLICT (id) DO UPDATE SET waba_id = excluded.waba_id, doc = excluded.doc";
    pub(crate) const TEMPLATE: &str = "INSERT INTO templates (id, waba_id, name, language, doc) \
        VALUES ($1, $2, $3, $4, $5) ON CONFLICT (id) DO UPDATE SET waba_id = excluded.waba_id, \
        name = excluded.name, language = excluded.language, doc = excluded.doc";
    pub(crate) const TOKEN: &str = "INSERT INTO tokens (hash, app_id, business_id, doc) \
        VALUES ($1, $2, $3, $4) ON CONFLICT (hash) DO UPDATE SET app_id = excluded.app_id, \
        business_id = excluded.business_id, doc = excluded.doc";
    pub(crate) const SUBSCRIPTION: &str = "INSERT INTO subscriptions (waba_id, app_id, doc) \
        VALUES ($1, $2, $3) ON CONFLICT (waba_id, app_id) DO UPDATE SET doc = excluded.doc";
    pub(crate) const ASSIGNMENT: &str = "INSERT INTO waba_assignments (waba_id, user_id, \
        business_id, doc) VALUES ($1, $2, $3, $4) ON CONFLICT (waba_id, user_id) \
        DO UPDATE SET business_id = excluded.business_id, doc = excluded.doc";
    pub(crate) const META: &str = "INSERT INTO meta (key, value) VALUES ($1, $2) \
        ON CONFLICT (key) DO UPDATE SET value = excluded.value";
    /// Followed by `VALUES` rows of (at, kind, subject, detail) and `RETURNING seq`.
    pub(crate) const EVENTS: &str = "INSERT INTO events (at, kind, subject, detail) ";
    pub(crate) const APP_SUBSCRIPTION: &str = "INSERT INTO app_subscriptions (app_id, object, doc) \
        VALUES ($1, $2, $3) ON CONFLICT (app_id, object) DO UPDATE SET doc = excluded.doc";
    pub(crate) const REQUEST: &str = "INSERT INTO onboarding_requests (id, client_business_id, \
        partner_business_id, status, next_reminder_at, doc) VALUES ($1, $2, $3, $4, $5, $6) \
        ON CONFLICT (id) DO UPDATE SET client_business_id = excluded.client_business_id, \
        partner_business_id = excluded.partner_business_id, status = excluded.status, \
        next_reminder_at = excluded.next_reminder_at, doc = excluded.doc";
    pub(crate) const TEMPLATE_GROUP: &str = "INSERT INTO template_groups (id, waba_id, doc) \
        VALUES ($1, $2, $3) \
        ON CONFLICT (id) DO UPDATE SET waba_id = excluded.waba_id, doc = excluded.doc";
    pub(crate) const SOLUTION: &str = "INSERT INTO solutions (id, owner_app_id, \
        partner_app_id, doc) VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO UPDATE \
        SET owner_app_id = excluded.owner_app_id, partner_app_id = excluded.partner_app_id, \
        doc = excluded.doc";
    pub(crate) const MIGRATION_INTENT: &str = "INSERT INTO migration_intents (id, waba_id, \
        solution_id, status, scheduled_at, doc) VALUES ($1, $2, $3, $4, $5, $6) \
        ON CONFLICT (id) DO UPDATE SET waba_id = excluded.waba_id, \
        solution_id = excluded.solution_id, status = excluded.status, \
        scheduled_at = excluded.scheduled_at, doc = excluded.doc";
    pub(crate) const PIXEL: &str = "INSERT INTO pixels (id, owner_business_id, \
        dataset_business_id, doc) VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO UPDATE \
        SET owner_business_id = excluded.owner_business_id, \
        dataset_business_id = excluded.dataset_business_id, doc = excluded.doc";
    pub(crate) const CLICK: &str = "INSERT INTO message_clicks (fbclid, campaign_ids, \
        message_id, waba_id, at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING";
    pub(crate) const PIXEL_EVENT: &str = "INSERT INTO pixel_events (id, pixel_id, doc) \
        VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING";
    /// Sends emails: then `VALUES (to_address, business_id, request_id, subject, body, link,
    /// sent_at), …`.
    pub(crate) const EMAILS: &str = "INSERT INTO emails (to_address, business_id, request_id, \
        subject, body, link, sent_at) ";
}

/// Multi-row webhook statements, completed by a `QueryBuilder` with one `VALUES` tuple per row
/// (at most [`ROWS_PER_STATEMENT`](super::ROWS_PER_STATEMENT) of them).
pub(crate) mod webhook {
    /// Enqueues: then `VALUES (app_id, endpoint, object_id, field, value, time_ms,
    /// include_time, 'pending', 0, next_attempt_at, created_at), …`.
    pub(crate) const ENQUEUE: &str = "INSERT INTO webhook_outbox (app_id, endpoint, object_id, \
        field, value, time_ms, include_time, status, attempts, next_attempt_at, created_at) ";
    /// Records attempts: then `VALUES (outbox_id, attempt, at, duration_ms, status_code, error,
    /// response_snippet), …` and [`ATTEMPTS_TAIL`]. An attempt already recorded is kept.
    pub(crate) const ATTEMPTS: &str = "INSERT INTO webhook_attempts (outbox_id, attempt, at, \
        duration_ms, status_code, error, response_snippet) ";
    /// Ends [`ATTEMPTS`].
    pub(crate) const ATTEMPTS_TAIL: &str = " ON CONFLICT (outbox_id, attempt) DO NOTHING";
    /// Marks delivered: then `VALUES (id, delivered_at, attempts), …` and [`UPDATE_TAIL`];
    /// whatever
    /// the row's status.
    pub(crate) const DELIVERED: &str = "UPDATE webhook_outbox SET status = 'delivered', \
        delivered_at = v.column2, attempts = v.column3, lease_until = NULL, last_error = NULL \
        FROM (";
    /// Schedules a retry: then `VALUES (id, attempts, next_attempt_at, last_error, lease), …`
    /// and [`RETRY_TAIL`].
    pub(crate) const RETRY: &str = "UPDATE webhook_outbox SET attempts = v.column2, \
        next_attempt_at = v.column3, lease_until = NULL, last_error = v.column4 FROM (";
    /// Gives up: then `VALUES (id, attempts, last_error, lease), …` and [`DROP_TAIL`].
    pub(crate) const DROP: &str = "UPDATE webhook_outbox SET status = 'dropped', \
        attempts = v.column2, lease_until = NULL, last_error = v.column3 FROM (";
    /// Ends [`DELIVERED`].
    pub(crate) const UPDATE_TAIL: &str = ") AS v WHERE webhook_outbox.id = v.column1";
    /// Ends [`RETRY`]: rows no longer pending, or claimed again under another lease than the
    /// one the result was obtained under, are left alone.
    pub(crate) const RETRY_TAIL: &str = ") AS v WHERE webhook_outbox.id = v.column1 \
        AND webhook_outbox.status = 'pending' \
        AND (v.column5 IS NULL OR webhook_outbox.lease_until = v.column5)";
    /// Ends [`DROP`], as [`RETRY_TAIL`] does.
    pub(crate) const DROP_TAIL: &str = ") AS v WHERE webhook_outbox.id = v.column1 \
        AND webhook_outbox.status = 'pending' \
        AND (v.column4 IS NULL OR webhook_outbox.lease_until = v.column4)";
    /// Makes a row pending again: `$1` due at, `$2` the ID.
    pub(crate) const REDELIVER: &str = "UPDATE webhook_outbox SET status = 'pending', \
        next_attempt_at = $1, lease_until = NULL WHERE id = $2";
}

/// How to lease due webhooks: `$1` lease until, `$2` now (platform clock), `$3` wall time,
/// `$4` limit; returns the leased rows as an [`OutboxRow`](super::OutboxRow), in no order.
pub(crate) mod claim {
    /// SQLite: one `UPDATE` takes the database's single write lock before it reads, so two
    /// claimers never see the same unleased row. Unleased and lapsed rows are found through
    /// their own indexes, so rows in flight cost nothing.
    pub(crate) const SQLITE: &str = "UPDATE webhook_outbox SET lease_until = $1 \
        WHERE id IN (SELECT id FROM ( \
        SELECT id FROM (SELECT id FROM webhook_outbox WHERE status = 'pending' \
        AND lease_until IS NULL AND next_attempt_at <= $2 ORDER BY id LIMIT $4) \
        UNION ALL \
        SELECT id FROM (SELECT id FROM webhook_outbox WHERE status = 'pending' \
        AND lease_until IS NOT NULL AND lease_until < $3 AND next_attempt_at <= $2 \
        ORDER BY lease_until LIMIT $4)) \
        ORDER BY id LIMIT $4) \
        RETURNING id, app_id, endpoint, object_id, field, value, time_ms, include_time, status, \
        attempts, next_attempt_at, created_at, delivered_at, last_error";
    /// PostgreSQL: rows another claimer holds are skipped, and rows it leased meanwhile fail
    /// the re-checked condition. The ids come as an array so the planner probes the primary
    /// key for each instead of joining against a scan of the whole outbox.
    pub(crate) const POSTGRES: &str = "WITH fresh AS (SELECT id FROM webhook_outbox \
        WHERE status = 'pending' AND lease_until IS NULL AND next_attempt_at <= $2 \
        ORDER BY id LIMIT $4 FOR UPDATE SKIP LOCKED), \
        lapsed AS (SELECT id FROM webhook_outbox WHERE status = 'pending' \
        AND lease_until IS NOT NULL AND lease_until < $3 AND next_attempt_at <= $2 \
        ORDER BY lease_until LIMIT $4 FOR UPDATE SKIP LOCKED) \
        UPDATE webhook_outbox SET lease_until = $1 \
        WHERE id = ANY(ARRAY(SELECT id FROM (SELECT id FROM fresh UNION ALL \
        SELECT id FROM lapsed) AS due ORDER BY id LIMIT $4)) \
        RETURNING id, app_id, endpoint, object_id, field, value, time_ms, include_time, status, \
        attempts, next_attempt_at, created_at, delivered_at, last_error";
}

/// Removal statements.
pub(crate) mod delete {
    pub(crate) const TEMPLATE: &str = "DELETE FROM templates WHERE id = $1";
    pub(crate) const SUBSCRIPTION: &str =
        "DELETE FROM subscriptions WHERE waba_id = $1 AND app_id = $2";
    pub(crate) const APP_SUBSCRIPTION: &str =
        "DELETE FROM app_subscriptions WHERE app_id = $1 AND object = $2";
    pub(crate) const ASSIGNMENT: &str =
        "DELETE FROM waba_assignments WHERE waba_id = $1 AND user_id = $2";
    /// Everything `replace_world` clears: every world table, the event log, the webhook
    /// outbox, onboarding requests and emails, not `meta`.
    pub(crate) const WORLD: [&str; 27] = [
        "DELETE FROM apps",
        "DELETE FROM businesses",
        "DELETE FROM system_users",
        "DELETE FROM wabas",
        "DELETE FROM waba_partners",
        "DELETE FROM phone_numbers",
        "DELETE FROM templates",
        "DELETE FROM tokens",
        "DELETE FROM subscriptions",
        "DELETE FROM events",
        "DELETE FROM app_subscriptions",
        "DELETE FROM webhook_outbox",
        "DELETE FROM webhook_attempts",
        "DELETE FROM onboarding_requests",
        "DELETE FROM emails",
        "DELETE FROM auth_codes",
        "DELETE FROM messages",
        "DELETE FROM solutions",
        "DELETE FROM migration_intents",
        "DELETE FROM waba_assignments",
        "DELETE FROM message_facts",
        "DELETE FROM ad_objects",
        "DELETE FROM template_groups",
        "DELETE FROM message_clicks",
        "DELETE FROM pixels",
        "DELETE FROM pixel_event_ids",
        "DELETE FROM pixel_events",
    ];
}

/// Guard statements: each claims its condition and must touch exactly one row.
pub(crate) mod guard {
    pub(crate) const WABA_SETUP_PENDING: &str = "UPDATE wabas SET setup_pending_at = NULL \
        WHERE id = $1 AND setup_pending_at IS NOT NULL";
    /// Followed by `VALUES` rows of (id, steps done) and `)`.
    pub(crate) const MESSAGE_STEPS: &str = "UPDATE messages SET steps_done = steps_done + 1 \
        WHERE (id, steps_done) IN (";
    pub(crate) const REMINDER_DUE: &str = "UPDATE onboarding_requests SET next_reminder_at = NULL \
        WHERE id = $1 AND status = 'PENDING' AND next_reminder_at = $2";
    pub(crate) const CODE_UNUSED: &str =
        "UPDATE auth_codes SET used_at = $2 WHERE hash = $1 AND used_at IS NULL";
    /// Records an event ID as seen at `$4`, unless it was seen after `$5`.
    pub(crate) const EVENT_UNSEEN: &str = "INSERT INTO pixel_event_ids (pixel_id, event_name, \
        event_id, seen_at) VALUES ($1, $2, $3, $4) \
        ON CONFLICT (pixel_id, event_name, event_id) DO UPDATE SET seen_at = excluded.seen_at \
        WHERE pixel_event_ids.seen_at < $5";
}

/// Read statements; every one selects the `doc` column (events: the event's columns).
pub(crate) mod get {
    /// The key columns, then the counters in [`super::COUNTERS`] order.
    pub(crate) const FACTS: &str = "SELECT template_id, phone_number_id, day, route, category, \
        country, sent, delivered, read, clicked, unique_clicked, failed, cost_micros, \
        web_add_to_cart, web_checkouts, web_purchases, web_purchase_value_micros, \
        app_activations, app_add_to_cart, app_checkouts, app_purchases, \
        app_purchase_value_micros, local_day \
        FROM message_facts WHERE waba_id = $1 AND day >= $2 AND day < $3 \
        ORDER BY template_id, day, phone_number_id, route, category, country";
    /// [`FACTS`] selected by the day in the WABA's time zone.
    pub(crate) const FACTS_BY_LOCAL_DAY: &str = "SELECT template_id, phone_number_id, day, \
        route, category, country, sent, delivered, read, clicked, unique_clicked, failed, \
        cost_micros, web_add_to_cart, web_checkouts, web_purchases, web_purchase_value_micros, \
        app_activations, app_add_to_cart, app_checkouts, app_purchases, \
        app_purchase_value_micros, local_day \
        FROM message_facts WHERE waba_id = $1 AND local_day >= $2 AND local_day < $3 \
        ORDER BY template_id, local_day, phone_number_id, route, category, country";
    pub(crate) const APP: &str = "SELECT doc FROM apps WHERE id = $1";
    pub(crate) const PIXEL: &str = "SELECT doc FROM pixels WHERE id = $1";
    pub(crate) const PIXELS: &str = "SELECT doc FROM pixels ORDER BY id";
    pub(crate) const PIXELS_OWNED_BY: &str =
        "SELECT doc FROM pixels WHERE owner_business_id = $1 ORDER BY id";
    /// A click's columns: `fbclid`, `campaign_ids`, `message_id`, `waba_id`, `at`.
    pub(crate) const CLICK_BY_FBCLID: &str = "SELECT fbclid, campaign_ids, message_id, waba_id, \
        at FROM message_clicks WHERE fbclid = $1";
    pub(crate) const CLICK_BY_CAMPAIGN_IDS: &str = "SELECT fbclid, campaign_ids, message_id, \
        waba_id, at FROM message_clicks WHERE campaign_ids = $1";
    pub(crate) const PIXEL_EVENTS: &str =
        "SELECT doc FROM pixel_events WHERE pixel_id = $1 ORDER BY id DESC LIMIT $2";
    pub(crate) const APPS: &str = "SELECT doc FROM apps ORDER BY id";
    pub(crate) const BUSINESS: &str = "SELECT doc FROM businesses WHERE id = $1";
    pub(crate) const BUSINESSES: &str = "SELECT doc FROM businesses ORDER BY id";
    pub(crate) const SYSTEM_USER: &str = "SELECT doc FROM system_users WHERE id = $1";
    pub(crate) const SYSTEM_USERS: &str = "SELECT doc FROM system_users ORDER BY id";
    pub(crate) const SYSTEM_USERS_OF: &str =
        "SELECT doc FROM system_users WHERE business_id = $1 ORDER BY id";
    pub(crate) const WABA: &str = "SELECT doc FROM wabas WHERE id = $1";
    pub(crate) const SETUPS_DUE: &str = "SELECT doc FROM wabas \
        WHERE setup_pending_at IS NOT NULL AND setup_pending_at <= $1 ORDER BY id";
    pub(crate) const AUTH_CODE: &str = "SELECT doc FROM auth_codes WHERE hash = $1";
    pub(crate) const MESSAGE: &str = "SELECT doc FROM messages WHERE id = $1";
    pub(crate) const MESSAGES_OF_WABA: &str = "SELECT doc FROM messages \
        WHERE waba_id = $1 AND id > $2 ORDER BY id LIMIT $3";
    pub(crate) const MESSAGES_DUE: &str = "SELECT doc FROM messages \
        WHERE next_at IS NOT NULL AND next_at <= $1 ORDER BY next_at LIMIT $2";
    pub(crate) const WABAS: &str = "SELECT doc FROM wabas ORDER BY id";
    pub(crate) const WABAS_OWNED_BY: &str =
        "SELECT doc FROM wabas WHERE owner_business_id = $1 ORDER BY id";
    pub(crate) const WABAS_HELD_BY_PARTNER: &str = "SELECT doc FROM wabas WHERE id IN \
        (SELECT waba_id FROM waba_partners WHERE partner_business_id = $1) ORDER BY id";
    pub(crate) const PHONE_NUMBER: &str = "SELECT doc FROM phone_numbers WHERE id = $1";
    pub(crate) const PHONE_NUMBERS: &str = "SELECT doc FROM phone_numbers ORDER BY id";
    pub(crate) const PHONE_NUMBERS_OF: &str =
        "SELECT doc FROM phone_numbers WHERE waba_id = $1 ORDER BY id";
    pub(crate) const TEMPLATE: &str = "SELECT doc FROM templates WHERE id = $1";
    pub(crate) const AD_OBJECT: &str =
        "SELECT kind, waba_id, template_id FROM ad_objects WHERE id = $1";
    pub(crate) const TEMPLATES: &str = "SELECT doc FROM templates ORDER BY id";
    pub(crate) const TEMPLATES_OF: &str =
        "SELECT doc FROM templates WHERE waba_id = $1 ORDER BY id";
    pub(crate) const TOKEN: &str = "SELECT doc FROM tokens WHERE hash = $1";
    pub(crate) const TOKENS: &str = "SELECT doc FROM tokens ORDER BY hash";
    pub(crate) const TOKENS_OF_APP: &str = "SELECT doc FROM tokens WHERE app_id = $1 ORDER BY hash";
    pub(crate) const SUBSCRIPTIONS: &str = "SELECT doc FROM subscriptions ORDER BY waba_id, app_id";
    pub(crate) const SUBSCRIPTIONS_OF: &str =
        "SELECT doc FROM subscriptions WHERE waba_id = $1 ORDER BY app_id";
    pub(crate) const ASSIGNMENTS: &str =
        "SELECT doc FROM waba_assignments ORDER BY waba_id, user_id";
    pub(crate) const ASSIGNMENTS_OF_WABA: &str =
        "SELECT doc FROM waba_assignments WHERE waba_id = $1 ORDER BY user_id";
    pub(crate) const ASSIGNMENTS_OF_USER: &str =
        "SELECT doc FROM waba_assignments WHERE user_id = $1 ORDER BY waba_id";
    pub(crate) const APP_SUBSCRIPTIONS: &str =
        "SELECT doc FROM app_subscriptions ORDER BY app_id, object";
    pub(crate) const APP_SUBSCRIPTIONS_OF: &str =
        "SELECT doc FROM app_subscriptions WHERE app_id = $1 ORDER BY object";
    pub(crate) const OUTBOX_AFTER: &str = "SELECT id, app_id, endpoint, object_id, field, \
        value, time_ms, include_time, status, attempts, next_attempt_at, created_at, \
        delivered_at, last_error FROM webhook_outbox WHERE id > $1 ORDER BY id LIMIT $2";
    pub(crate) const OUTBOX_RECENT: &str = "SELECT id, app_id, endpoint, object_id, field, \
        value, time_ms, include_time, status, attempts, next_attempt_at, created_at, \
        delivered_at, last_error FROM webhook_outbox ORDER BY id DESC LIMIT $1";
    pub(crate) const OUTBOX_IN_STATUS_AFTER: &str = "SELECT id, app_id, endpoint, object_id, \
        field, value, time_ms, include_time, status, attempts, next_attempt_at, created_at, \
        delivered_at, last_error FROM webhook_outbox WHERE status = $1 AND id > $2 \
        ORDER BY id LIMIT $3";
    pub(crate) const OUTBOX_ITEM: &str = "SELECT id, app_id, endpoint, object_id, field, value, \
        time_ms, include_time, status, attempts, next_attempt_at, created_at, delivered_at, \
        last_error FROM webhook_outbox WHERE id = $1";
    pub(crate) const ATTEMPTS_OF: &str = "SELECT outbox_id, attempt, at, duration_ms, \
        status_code, error, response_snippet FROM webhook_attempts WHERE outbox_id = $1 \
        ORDER BY attempt";
    pub(crate) const OUTBOX_COUNTS: &str =
        "SELECT status, COUNT(*) FROM webhook_outbox GROUP BY status";
    pub(crate) const NEXT_DUE_WEBHOOK: &str =
        "SELECT MIN(next_attempt_at) FROM webhook_outbox WHERE status = 'pending'";
    pub(crate) const ENTITY_COUNT: &str =
        "SELECT (SELECT COUNT(*) FROM businesses) + (SELECT COUNT(*) FROM apps)";
    pub(crate) const EVENTS_AFTER: &str = "SELECT seq, at, kind, subject, detail FROM events \
        WHERE seq > $1 ORDER BY seq LIMIT $2";
    pub(crate) const EVENTS_RECENT: &str =
        "SELECT seq, at, kind, subject, detail FROM events ORDER BY seq DESC LIMIT $1";
    pub(crate) const META: &str = "SELECT value FROM meta WHERE key = $1";
    pub(crate) const REQUEST: &str = "SELECT doc FROM onboarding_requests WHERE id = $1";
    pub(crate) const REQUESTS: &str = "SELECT doc FROM onboarding_requests ORDER BY id";
    pub(crate) const REQUESTS_OF: &str =
        "SELECT doc FROM onboarding_requests WHERE client_business_id = $1 ORDER BY id";
    pub(crate) const DUE_REMINDERS: &str = "SELECT doc FROM onboarding_requests \
        WHERE status = 'PENDING' AND next_reminder_at <= $1 ORDER BY id";
    pub(crate) const SOLUTION: &str = "SELECT doc FROM solutions WHERE id = $1";
    pub(crate) const TEMPLATE_GROUPS_OF: &str =
        "SELECT doc FROM template_groups WHERE waba_id = $1 ORDER BY id";
    pub(crate) const SOLUTIONS_OF_APP: &str = "SELECT doc FROM solutions \
        WHERE owner_app_id = $1 OR partner_app_id = $1 ORDER BY id";
    pub(crate) const MIGRATION_INTENT: &str = "SELECT doc FROM migration_intents WHERE id = $1";
    pub(crate) const MIGRATION_INTENTS_OF: &str =
        "SELECT doc FROM migration_intents WHERE waba_id = $1 ORDER BY id";
    pub(crate) const MIGRATIONS_DUE: &str = "SELECT doc FROM migration_intents \
        WHERE status = 'ACCEPTED' AND scheduled_at <= $1 ORDER BY id";
    pub(crate) const EMAILS_AFTER: &str = "SELECT id, to_address, business_id, request_id, \
        subject, body, link, sent_at FROM emails WHERE id > $1 ORDER BY id LIMIT $2";
    pub(crate) const EMAILS_TO_AFTER: &str = "SELECT id, to_address, business_id, request_id, \
        subject, body, link, sent_at FROM emails WHERE to_address = $1 AND id > $2 \
        ORDER BY id LIMIT $3";
    /// Adds `$3` to the integer under `$1` (inserting `$2`, the text of `$3`, when missing) in
    /// one statement, and returns the new value.
    pub(crate) const RESERVE: &str = "INSERT INTO meta (key, value) VALUES ($1, $2) \
        ON CONFLICT (key) DO UPDATE \
        SET value = CAST(CAST(meta.value AS BIGINT) + CAST($3 AS BIGINT) AS TEXT) \
        RETURNING CAST(value AS BIGINT)";
}

/// A click row: `fbclid`, `campaign_ids`, `message_id`, `waba_id`, `at`.
pub(crate) type ClickRow = (String, String, String, i64, i64);

/// A click from its row.
pub(crate) fn click_from_row(row: ClickRow) -> Result<wamm_domain::capi::Click, StoreError> {
    let (fbclid, campaign_ids, message_id, waba_id, at) = row;
    Ok(wamm_domain::capi::Click {
        fbclid,
        campaign_ids,
        message_id,
        waba_id: wamm_wire::ids::WabaId::new(id_from_db(waba_id)?),
        at: Timestamp::from_millis(at),
    })
}

/// An event row: seq, at, kind, subject, detail (JSON text).
pub(crate) type EventRow = (i64, i64, String, String, String);

/// The setting holding the world's rate card (empty: the default card).
pub(crate) const RATE_CARD_KEY: &str = "rate_card";

/// Facts with each key once, their counts summed (one statement may not upsert a row twice),
/// in key order.
pub(crate) fn summed<'a>(
    facts: impl Iterator<Item = &'a wamm_domain::metrics::Fact>,
) -> Vec<wamm_domain::metrics::Fact> {
    let mut by_key = std::collections::BTreeMap::new();
    for f in facts {
        *by_key
            .entry(f.key)
            .or_insert_with(wamm_domain::metrics::Counts::default) += f.counts;
    }
    by_key
        .into_iter()
        .map(|(key, counts)| wamm_domain::metrics::Fact { key, counts })
        .collect()
}

/// A fact as its row's columns.
pub(crate) struct FactRow {
    pub(crate) waba_id: i64,
    pub(crate) template_id: i64,
    pub(crate) phone_number_id: i64,
    pub(crate) day: i64,
    pub(crate) local_day: i64,
    pub(crate) route: &'static str,
    pub(crate) category: &'static str,
    pub(crate) country: String,
    pub(crate) counts: wamm_domain::metrics::Counts,
}

impl FactRow {
    pub(crate) fn of(f: &wamm_domain::metrics::Fact) -> Result<Self, StoreError> {
        Ok(Self {
            waba_id: db_id(f.key.waba_id.get())?,
            // A message without a template counts under template 0, which names none.
            template_id: db_id(f.key.template_id.map_or(0, |t| t.get()))?,
            phone_number_id: db_id(f.key.phone_number_id.get())?,
            day: f.key.day.0,
            local_day: f.key.local_day.0,
            route: route_text(f.key.route),
            category: f.key.category.as_str(),
            country: f.key.country.to_string(),
            counts: f.counts,
        })
    }
}

/// How a route is written in the facts table.
const fn route_text(route: wamm_domain::sending::Route) -> &'static str {
    match route {
        wamm_domain::sending::Route::MarketingLite => "marketing_lite",
        wamm_domain::sending::Route::CloudApi => "cloud_api",
    }
}

/// How many counters a facts row has.
pub(crate) const COUNTERS: usize = 16;

/// A fact's counts as its row's counters, in column order.
pub(crate) const fn counters_of(c: &wamm_domain::metrics::Counts) -> [i64; COUNTERS] {
    [
        c.sent,
        c.delivered,
        c.read,
        c.clicked,
        c.unique_clicked,
        c.failed,
        c.cost_micros,
        c.website.add_to_cart,
        c.website.checkouts_initiated,
        c.website.purchases,
        c.website.purchase_value_micros,
        c.app.activations,
        c.app.add_to_cart,
        c.app.checkouts_initiated,
        c.app.purchases,
        c.app.purchase_value_micros,
    ]
}

/// A row's counters as counts.
const fn counts_of(n: [i64; COUNTERS]) -> wamm_domain::metrics::Counts {
    use wamm_domain::metrics::{Conversions, Counts};
    Counts {
        sent: n[0],
        delivered: n[1],
        read: n[2],
        clicked: n[3],
        unique_clicked: n[4],
        failed: n[5],
        cost_micros: n[6],
        website: Conversions {
            add_to_cart: n[7],
            checkouts_initiated: n[8],
            purchases: n[9],
            purchase_value_micros: n[10],
            activations: 0,
        },
        app: Conversions {
            activations: n[11],
            add_to_cart: n[12],
            checkouts_initiated: n[13],
            purchases: n[14],
            purchase_value_micros: n[15],
        },
    }
}

/// A facts row as read: template, phone number, day, route, category, country, the
/// counters, and the local day.
pub(crate) struct FactTuple {
    pub(crate) key: (i64, i64, i64, String, String, String),
    pub(crate) counters: [i64; COUNTERS],
    pub(crate) local_day: i64,
}

/// The facts of `query`'s WABA from their rows, keeping only the templates it asks for.
pub(crate) fn facts_from_rows(
    query: &crate::FactQuery,
    rows: Vec<FactTuple>,
) -> Result<Vec<wamm_domain::metrics::Fact>, StoreError> {
    use wamm_domain::metrics::{Day, Fact, FactKey, PricingCategory};
    use wamm_domain::sending::Route;
    let mut out = Vec::with_capacity(rows.len());
    for FactTuple {
        key: (template, phone, day, route, category, country),
        counters,
        local_day,
    } in rows
    {
        let template_id = (template != 0)
            .then(|| id_from_db(template).map(wamm_wire::ids::TemplateId::new))
            .transpose()?;
        if let Some(wanted) = &query.templates
            && !template_id.is_some_and(|t| wanted.contains(&t))
        {
            continue;
        }
        let route = match route.as_str() {
            "marketing_lite" => Route::MarketingLite,
            "cloud_api" => Route::CloudApi,
            other => return Err(StoreError::Invalid(format!("fact route '{other}'"))),
        };
        let category = PricingCategory::parse(&category)
            .ok_or_else(|| StoreError::Invalid(format!("fact category '{category}'")))?;
        out.push(Fact {
            key: FactKey {
                waba_id: query.waba_id,
                template_id,
                phone_number_id: wamm_wire::ids::PhoneNumberId::new(id_from_db(phone)?),
                day: Day(day),
                local_day: Day(local_day),
                route,
                category,
                country: country
                    .parse()
                    .map_err(|_| StoreError::Invalid(format!("fact country '{country}'")))?,
            },
            counts: counts_of(counters),
        });
    }
    Ok(out)
}

/// The messages of `puts` with each ID once, as the last put of it left it (one statement
/// may not upsert a row twice), in first-put order.
pub(crate) fn last_of_each(puts: Vec<&wamm_domain::Message>) -> Vec<&wamm_domain::Message> {
    let mut at = std::collections::HashMap::with_capacity(puts.len());
    let mut out: Vec<&wamm_domain::Message> = Vec::with_capacity(puts.len());
    for m in puts {
        match at.entry(m.id.as_str()) {
            std::collections::hash_map::Entry::Occupied(slot) => out[*slot.get()] = m,
            std::collections::hash_map::Entry::Vacant(slot) => {
                slot.insert(out.len());
                out.push(m);
            }
        }
    }
    out
}

/// A write to the database, applied in one transaction: by the SQLite writer in its turn (so
/// nothing else races for SQLite's single write lock), by PostgreSQL at once.
pub(crate) enum Write {
    /// A [`ChangeSet`](crate::ChangeSet); answers the sequence numbers of its events.
    Commit(crate::ChangeSet),
    /// Reserves `n` values of the counter `key`; answers the last value before them.
    Reserve { key: String, n: i64 },
    /// Leases due webhooks (see [`claim`]).
    Claim {
        now: Timestamp,
        wall_ms: i64,
        lease_ms: i64,
        limit: i64,
    },
    /// Records delivery attempts and their outcomes.
    Finish(Vec<(AttemptColumns, wamm_domain::Outcome)>),
    /// Puts an outbox row back to pending; answers whether it existed.
    Redeliver { id: i64, now: Timestamp },
    /// Replaces the whole world.
    World(Box<wamm_domain::WorldState>),
}

impl Write {
    /// Whether the write is one statement, which needs no transaction of its own.
    pub(crate) const fn is_one_statement(&self) -> bool {
        matches!(
            self,
            Self::Reserve { .. } | Self::Claim { .. } | Self::Redeliver { .. }
        )
    }
}

/// What a [`Write`] answers.
pub(crate) enum Written {
    /// The sequence numbers of a commit's events.
    Seqs(Vec<i64>),
    /// The counter value before a reservation.
    Reserved(i64),
    /// Leased webhooks.
    Claimed(Vec<OutboxItem>),
    /// Whether a row changed.
    Changed(bool),
    /// Nothing to answer.
    Done,
}

impl Written {
    fn other(self) -> StoreError {
        StoreError::Invalid("the writer answered a different kind of write".into())
    }

    pub(crate) fn seqs(self) -> Result<Vec<i64>, StoreError> {
        match self {
            Self::Seqs(v) => Ok(v),
            other => Err(other.other()),
        }
    }

    pub(crate) fn reserved(self) -> Result<i64, StoreError> {
        match self {
            Self::Reserved(v) => Ok(v),
            other => Err(other.other()),
        }
    }

    pub(crate) fn claimed(self) -> Result<Vec<OutboxItem>, StoreError> {
        match self {
            Self::Claimed(v) => Ok(v),
            other => Err(other.other()),
        }
    }

    pub(crate) fn changed(self) -> Result<bool, StoreError> {
        match self {
            Self::Changed(v) => Ok(v),
            other => Err(other.other()),
        }
    }

    pub(crate) fn done(self) -> Result<(), StoreError> {
        match self {
            Self::Done => Ok(()),
            other => Err(other.other()),
        }
    }
}

/// Rows per multi-row statement: 500 rows of at most 11 parameters stay far below both
/// SQLite's (32766) and PostgreSQL's (65535) bound-parameter limits.
pub(crate) const ROWS_PER_STATEMENT: usize = 500;

/// An outbox row: `id`, `app_id`, `endpoint`, `object_id`, `field`, `value` (JSON text),
/// `time_ms`, `include_time`, `status`, `attempts`, `next_attempt_at`, `created_at`,
/// `delivered_at`, `last_error`.
pub(crate) type OutboxRow = (
    i64,
    i64,
    String,
    String,
    String,
    String,
    i64,
    bool,
    String,
    i32,
    i64,
    i64,
    Option<i64>,
    Option<String>,
);

/// An attempt row: `outbox_id`, `attempt`, `at`, `duration_ms`, `status_code`, `error`,
/// `response_snippet`.
pub(crate) type AttemptRow = (i64, i32, i64, i64, Option<i32>, Option<String>, String);

/// A webhook as the columns its outbox row is enqueued with.
pub(crate) struct EnqueueRow {
    pub(crate) app_id: i64,
    pub(crate) endpoint: String,
    pub(crate) object_id: String,
    pub(crate) field: String,
    pub(crate) value: String,
    pub(crate) time_ms: i64,
    pub(crate) include_time: bool,
}

impl EnqueueRow {
    /// The columns of `w`.
    pub(crate) fn of(w: &NewWebhook) -> Result<Self, StoreError> {
        Ok(Self {
            app_id: db_id(w.app_id.get())?,
            endpoint: w.endpoint.clone(),
            object_id: w.object_id.clone(),
            field: w.field.clone(),
            value: to_doc(&w.value)?,
            time_ms: w.time.millis(),
            include_time: w.include_time,
        })
    }
}

/// An email row: `id`, `to_address`, `business_id`, `request_id`, `subject`, `body`, `link`,
/// `sent_at`.
pub(crate) type EmailRow = (i64, String, i64, Option<i64>, String, String, String, i64);

/// An email as the columns it is inserted with (all but `id`).
pub(crate) struct EmailColumns<'a> {
    pub(crate) to_address: &'a str,
    pub(crate) business_id: i64,
    pub(crate) request_id: Option<i64>,
    pub(crate) subject: &'a str,
    pub(crate) body: &'a str,
    pub(crate) link: &'a str,
    pub(crate) sent_at: i64,
}

impl<'a> EmailColumns<'a> {
    /// The columns of `e`.
    pub(crate) fn of(e: &'a NewEmail) -> Result<Self, StoreError> {
        Ok(Self {
            to_address: &e.to,
            business_id: db_id(e.business_id.get())?,
            request_id: db_id_opt(e.request_id.map(RequestId::get))?,
            subject: &e.subject,
            body: &e.body,
            link: &e.link,
            sent_at: e.sent_at.millis(),
        })
    }
}

/// An email row as the email.
pub(crate) fn email_from_row(
    (id, to, business_id, request_id, subject, body, link, sent_at): EmailRow,
) -> Result<Email, StoreError> {
    Ok(Email {
        id,
        email: NewEmail {
            to,
            business_id: BusinessId::new(id_from_db(business_id)?),
            request_id: request_id.map(id_from_db).transpose()?.map(RequestId::new),
            subject,
            body,
            link,
            sent_at: Timestamp::from_millis(sent_at),
        },
    })
}

/// The `status` column of `migration_intents`: the status's serde text.
pub(crate) const fn migration_status_text(status: MigrationStatus) -> &'static str {
    match status {
        MigrationStatus::Initiated => "INITIATED",
        MigrationStatus::Accepted => "ACCEPTED",
        MigrationStatus::Completed => "COMPLETED",
        MigrationStatus::Rejected => "REJECTED",
    }
}

/// The `status` column of `onboarding_requests`: the status's serde text.
pub(crate) const fn request_status_text(status: RequestStatus) -> &'static str {
    match status {
        RequestStatus::Pending => "PENDING",
        RequestStatus::Accepted => "ACCEPTED",
        RequestStatus::Rejected => "REJECTED",
    }
}

/// An attempt as the columns it is recorded with.
pub(crate) struct AttemptColumns {
    pub(crate) outbox_id: i64,
    pub(crate) attempt: i32,
    pub(crate) at: i64,
    pub(crate) duration_ms: i64,
    pub(crate) status_code: Option<i32>,
    pub(crate) error: Option<String>,
    pub(crate) response_snippet: String,
    /// Not a column of the attempt: the lease the recording worker held (see
    /// `DeliveryResult::lease_until`).
    pub(crate) lease: Option<i64>,
}

impl AttemptColumns {
    /// The columns of `a`.
    pub(crate) fn of(a: &Attempt) -> Result<Self, StoreError> {
        Ok(Self {
            outbox_id: a.outbox_id,
            attempt: db_count(a.attempt)?,
            at: a.at.millis(),
            duration_ms: a.duration_ms,
            status_code: a.status_code.map(i32::from),
            error: a.error.clone(),
            response_snippet: a.response_snippet.clone(),
            lease: None,
        })
    }
}

/// An attempt count as the database stores it.
pub(crate) fn db_count(n: u32) -> Result<i32, StoreError> {
    i32::try_from(n)
        .map_err(|_| StoreError::Invalid(format!("attempt {n} exceeds the INTEGER range")))
}

/// A stored attempt count.
fn count_from_db(n: i32) -> Result<u32, StoreError> {
    u32::try_from(n).map_err(|_| StoreError::Invalid(format!("negative attempt count {n}")))
}

/// A stored ID.
pub(crate) fn id_from_db(id: i64) -> Result<u64, StoreError> {
    u64::try_from(id).map_err(|_| StoreError::Invalid(format!("negative id {id}")))
}

/// The `status` column of `webhook_outbox`.
pub(crate) const fn status_text(status: DeliveryStatus) -> &'static str {
    match status {
        DeliveryStatus::Pending => "pending",
        DeliveryStatus::Delivered => "delivered",
        DeliveryStatus::Dropped => "dropped",
    }
}

/// A stored `status` column.
pub(crate) fn status_from_text(status: &str) -> Result<DeliveryStatus, StoreError> {
    match status {
        "pending" => Ok(DeliveryStatus::Pending),
        "delivered" => Ok(DeliveryStatus::Delivered),
        "dropped" => Ok(DeliveryStatus::Dropped),
        other => Err(StoreError::Invalid(format!(
            "unknown delivery status {other:?}"
        ))),
    }
}

/// An outbox row as the item.
pub(crate) fn outbox_from_row(
    (
        id,
        app_id,
        endpoint,
        object_id,
        field,
        value,
        time_ms,
        include_time,
        status,
        attempts,
        next_attempt_at,
        created_at,
        delivered_at,
        last_error,
    ): OutboxRow,
) -> Result<OutboxItem, StoreError> {
    Ok(OutboxItem {
        id,
        webhook: NewWebhook {
            app_id: AppId::new(id_from_db(app_id)?),
            endpoint,
            object_id,
            field,
            value: from_doc(&value)?,
            time: Timestamp::from_millis(time_ms),
            include_time,
        },
        status: status_from_text(&status)?,
        attempts: count_from_db(attempts)?,
        next_attempt_at: Timestamp::from_millis(next_attempt_at),
        created_at: Timestamp::from_millis(created_at),
        delivered_at: delivered_at.map(Timestamp::from_millis),
        last_error,
    })
}

/// Outbox rows as items, by ID.
pub(crate) fn outbox_from_rows(rows: Vec<OutboxRow>) -> Result<Vec<OutboxItem>, StoreError> {
    let mut items = rows
        .into_iter()
        .map(outbox_from_row)
        .collect::<Result<Vec<_>, _>>()?;
    items.sort_by_key(|item| item.id);
    Ok(items)
}

/// An attempt row as the attempt.
pub(crate) fn attempt_from_row(
    (outbox_id, attempt, at, duration_ms, status_code, error, response_snippet): AttemptRow,
) -> Result<Attempt, StoreError> {
    Ok(Attempt {
        outbox_id,
        attempt: count_from_db(attempt)?,
        at: Timestamp::from_millis(at),
        duration_ms,
        status_code: status_code
            .map(|code| {
                u16::try_from(code)
                    .map_err(|_| StoreError::Invalid(format!("HTTP status {code} out of range")))
            })
            .transpose()?,
        error,
        response_snippet,
    })
}

/// The end of a lease of `lease_ms` taken at `wall_ms`.
pub(crate) fn lease_end(wall_ms: i64, lease_ms: i64) -> Result<i64, StoreError> {
    wall_ms
        .checked_add(lease_ms)
        .ok_or_else(|| StoreError::Invalid(format!("lease {wall_ms} + {lease_ms} overflows")))
}

/// An ID as the database stores it.
pub(crate) fn db_id(id: u64) -> Result<i64, StoreError> {
    i64::try_from(id).map_err(|_| StoreError::Invalid(format!("id {id} exceeds the BIGINT range")))
}

/// An optional ID as the database stores it.
pub(crate) fn db_id_opt(id: Option<u64>) -> Result<Option<i64>, StoreError> {
    id.map(db_id).transpose()
}

/// A value as its stored JSON document.
pub(crate) fn to_doc<T: Serialize>(value: &T) -> Result<String, StoreError> {
    Ok(serde_json::to_string(value)?)
}

/// A stored JSON document as its value.
pub(crate) fn from_doc<T: DeserializeOwned>(doc: &str) -> Result<T, StoreError> {
    Ok(serde_json::from_str(doc)?)
}

/// An optional stored document as its value.
pub(crate) fn from_doc_opt<T: DeserializeOwned>(
    doc: Option<&str>,
) -> Result<Option<T>, StoreError> {
    doc.map(from_doc).transpose()
}

/// Stored documents as their values, in order.
pub(crate) fn from_docs<T: DeserializeOwned>(docs: &[String]) -> Result<Vec<T>, StoreError> {
    docs.iter().map(|d| from_doc(d)).collect()
}

/// An event row as the event.
pub(crate) fn event_from_row(
    (seq, at, kind, subject, detail): EventRow,
) -> Result<Event, StoreError> {
    Ok(Event {
        seq,
        at: Timestamp::from_millis(at),
        kind,
        subject,
        detail: from_doc(&detail)?,
    })
}

/// The `access` column of `waba_partners`.
pub(crate) const fn access_text(access: PartnerAccess) -> &'static str {
    match access {
        PartnerAccess::Shared => "SHARED",
        PartnerAccess::Obo => "OBO",
    }
}

/// The value before a `reserve` of `n` that left `after`.
pub(crate) fn before_reserve(after: i64, n: i64) -> Result<i64, StoreError> {
    after
        .checked_sub(n)
        .ok_or_else(|| StoreError::Invalid(format!("reserved counter {after} underflows by {n}")))
}

/// A database error from a write, with unique violations turned into
/// [`StoreError::Conflict`] named by `name_constraint`.
pub(crate) fn write_error(
    err: StoreError,
    name_constraint: impl FnOnce(&dyn sqlx::error::DatabaseError) -> String,
) -> StoreError {
    match err {
        StoreError::Database(sqlx::Error::Database(db)) if db.is_unique_violation() => {
            StoreError::Conflict(name_constraint(&*db))
        }
        other => other,
    }
}

/// Implements [`Store`](crate::Store) for a backend's store type.
///
/// `$store` must have a `pool: sqlx::Pool<$db>` field and provide
/// `async fn begin_read(&self) -> Result<sqlx::Transaction<'static, $db>, StoreError>` (a
/// transaction whose reads see one snapshot),
/// `async fn write(&self, Write) -> Result<Written, StoreError>` (applies a [`Write`] with
/// `Self::run`, in a transaction) and
/// `fn constraint_name(&dyn sqlx::error::DatabaseError) -> String`; `$claim` is the backend's
/// statement from [`claim`].
macro_rules! impl_store {
    ($store:ty, $db:ty, $conn:ty, $backend:expr, $claim:expr) => {
        impl $store {
            /// Applies `write` (see the backend's `write`), naming unique violations.
            async fn written(
                &self,
                write: $crate::shared::Write,
            ) -> Result<$crate::shared::Written, $crate::StoreError> {
                self.write(write)
                    .await
                    .map_err(|e| $crate::shared::write_error(e, Self::constraint_name))
            }

            async fn put_app(
                conn: &mut $conn,
                v: &wamm_domain::App,
            ) -> Result<(), $crate::StoreError> {
                sqlx::query($crate::shared::put::APP)
                    .bind($crate::shared::db_id(v.id.get())?)
                    .bind($crate::shared::db_id(v.business_id.get())?)
                    .bind($crate::shared::to_doc(v)?)
                    .execute(&mut *conn)
                    .await?;
                Ok(())
            }

            async fn put_business(
                conn: &mut $conn,
                v: &wamm_domain::Business,
            ) -> Result<(), $crate::StoreError> {
                sqlx::query($crate::shared::put::BUSINESS)
                    .bind($crate::shared::db_id(v.id.get())?)
                    .bind($crate::shared::to_doc(v)?)
                    .execute(&mut *conn)
                    .await?;
                Ok(())
            }

            async fn put_system_user(
                conn: &mut $conn,
                v: &wamm_domain::SystemUser,
            ) -> Result<(), $crate::StoreError> {
                sqlx::query($crate::shared::put::SYSTEM_USER)
                    .bind($crate::shared::db_id(v.id.get())?)
                    .bind($crate::shared::db_id(v.business_id.get())?)
                    .bind($crate::shared::to_doc(v)?)
                    .execute(&mut *conn)
                    .await?;
                Ok(())
            }

            async fn put_waba(
                conn: &mut $conn,
                v: &wamm_domain::Waba,
            ) -> Result<(), $crate::StoreError> {
                let id = $crate::shared::db_id(v.id.get())?;
                let setup_pending_at = v
                    .mm_setup_complete_at
                    .filter(|_| v.mm_setup_webhook_pending)
                    .map(wamm_domain::Timestamp::millis);
                sqlx::query($crate::shared::put::WABA)
                    .bind(id)
                    .bind($crate::shared::db_id(v.owner_business_id.get())?)
                    .bind(setup_pending_at)
                    .bind($crate::shared::to_doc(v)?)
                    .execute(&mut *conn)
                    .await?;
                Self::put_ad_objects(conn, &wamm_domain::ads::refs_of_waba(v)).await?;
                sqlx::query($crate::shared::put::WABA_PARTNERS_CLEAR)
                    .bind(id)
                    .execute(&mut *conn)
                    .await?;
                for partner in &v.partners {
                    sqlx::query($crate::shared::put::WABA_PARTNER)
                        .bind(id)
                        .bind($crate::shared::db_id(partner.business_id.get())?)
                        .bind($crate::shared::access_text(partner.access))
                        .execute(&mut *conn)
                        .await?;
                }
                Ok(())
            }

            async fn put_pixel(
                conn: &mut $conn,
                v: &wamm_domain::capi::Pixel,
            ) -> Result<(), $crate::StoreError> {
                let owner = $crate::shared::db_id(v.owner_business_id.get())?;
                sqlx::query($crate::shared::put::PIXEL)
                    .bind($crate::shared::db_id(v.id.get())?)
                    .bind(owner)
                    .bind(v.dataset.then_some(owner))
                    .bind($crate::shared::to_doc(v)?)
                    .execute(&mut *conn)
                    .await?;
                Ok(())
            }

            async fn put_phone_number(
                conn: &mut $conn,
                v: &wamm_domain::PhoneNumber,
            ) -> Result<(), $crate::StoreError> {
                sqlx::query($crate::shared::put::PHONE_NUMBER)
                    .bind($crate::shared::db_id(v.id.get())?)
                    .bind($crate::shared::db_id(v.waba_id.get())?)
                    .bind($crate::shared::to_doc(v)?)
                    .execute(&mut *conn)
                    .await?;
                Ok(())
            }

            async fn put_template(
                conn: &mut $conn,
                v: &wamm_domain::Template,
            ) -> Result<(), $crate::StoreError> {
                sqlx::query($crate::shared::put::TEMPLATE)
                    .bind($crate::shared::db_id(v.id.get())?)
                    .bind($crate::shared::db_id(v.waba_id.get())?)
                    .bind(v.name.as_str())
                    .bind(v.language.as_str())
                    .bind($crate::shared::to_doc(v)?)
                    .execute(&mut *conn)
                    .await?;
                Self::put_ad_objects(conn, &wamm_domain::ads::refs_of_template(v)).await
            }

            /// Indexes where ad object IDs lead.
            async fn put_ad_objects(
                conn: &mut $conn,
                refs: &[wamm_domain::ads::AdObjectRef],
            ) -> Result<(), $crate::StoreError> {
                for r in refs {
                    sqlx::query($crate::shared::put::AD_OBJECT)
                        .bind($crate::shared::db_id(r.id)?)
                        .bind(r.kind.as_str())
                        .bind($crate::shared::db_id(r.waba_id.get())?)
                        .bind($crate::shared::db_id_opt(r.template_id.map(|t| t.get()))?)
                        .execute(&mut *conn)
                        .await?;
                }
                Ok(())
            }

            async fn put_token(
                conn: &mut $conn,
                v: &wamm_domain::TokenRecord,
            ) -> Result<(), $crate::StoreError> {
                sqlx::query($crate::shared::put::TOKEN)
                    .bind(v.hash.as_str())
                    .bind($crate::shared::db_id(v.app_id.get())?)
                    .bind($crate::shared::db_id_opt(v.business_id.map(|b| b.get()))?)
                    .bind($crate::shared::to_doc(v)?)
                    .execute(&mut *conn)
                    .await?;
                Ok(())
            }

            async fn put_subscription(
                conn: &mut $conn,
                v: &wamm_domain::WabaSubscription,
            ) -> Result<(), $crate::StoreError> {
                sqlx::query($crate::shared::put::SUBSCRIPTION)
                    .bind($crate::shared::db_id(v.waba_id.get())?)
                    .bind($crate::shared::db_id(v.app_id.get())?)
                    .bind($crate::shared::to_doc(v)?)
                    .execute(&mut *conn)
                    .await?;
                Ok(())
            }

            async fn put_app_subscription(
                conn: &mut $conn,
                v: &wamm_domain::AppSubscription,
            ) -> Result<(), $crate::StoreError> {
                sqlx::query($crate::shared::put::APP_SUBSCRIPTION)
                    .bind($crate::shared::db_id(v.app_id.get())?)
                    .bind(v.object.as_str())
                    .bind($crate::shared::to_doc(v)?)
                    .execute(&mut *conn)
                    .await?;
                Ok(())
            }

            async fn put_assignment(
                conn: &mut $conn,
                v: &wamm_domain::assignment::WabaAssignment,
            ) -> Result<(), $crate::StoreError> {
                sqlx::query($crate::shared::put::ASSIGNMENT)
                    .bind($crate::shared::db_id(v.waba_id.get())?)
                    .bind($crate::shared::db_id(v.user_id.get())?)
                    .bind($crate::shared::db_id(v.business_id.get())?)
                    .bind($crate::shared::to_doc(v)?)
                    .execute(&mut *conn)
                    .await?;
                Ok(())
            }

            async fn put_request(
                conn: &mut $conn,
                v: &wamm_domain::OnboardingRequest,
            ) -> Result<(), $crate::StoreError> {
                sqlx::query($crate::shared::put::REQUEST)
                    .bind($crate::shared::db_id(v.id.get())?)
                    .bind($crate::shared::db_id(v.client_business_id.get())?)
                    .bind($crate::shared::db_id(v.partner_business_id.get())?)
                    .bind($crate::shared::request_status_text(v.status))
                    .bind(v.next_reminder_at.map(|t| t.millis()))
                    .bind($crate::shared::to_doc(v)?)
                    .execute(&mut *conn)
                    .await?;
                Ok(())
            }

            async fn put_template_group(
                conn: &mut $conn,
                v: &wamm_domain::TemplateGroup,
            ) -> Result<(), $crate::StoreError> {
                sqlx::query($crate::shared::put::TEMPLATE_GROUP)
                    .bind($crate::shared::db_id(v.id.get())?)
                    .bind($crate::shared::db_id(v.waba_id.get())?)
                    .bind($crate::shared::to_doc(v)?)
                    .execute(&mut *conn)
                    .await?;
                Ok(())
            }

            async fn put_solution(
                conn: &mut $conn,
                v: &wamm_domain::solution::Solution,
            ) -> Result<(), $crate::StoreError> {
                sqlx::query($crate::shared::put::SOLUTION)
                    .bind($crate::shared::db_id(v.id.get())?)
                    .bind($crate::shared::db_id(v.owner_app_id.get())?)
                    .bind($crate::shared::db_id(v.partner_app_id.get())?)
                    .bind($crate::shared::to_doc(v)?)
                    .execute(&mut *conn)
                    .await?;
                Ok(())
            }

            async fn put_migration_intent(
                conn: &mut $conn,
                v: &wamm_domain::solution::SolutionMigration,
            ) -> Result<(), $crate::StoreError> {
                sqlx::query($crate::shared::put::MIGRATION_INTENT)
                    .bind($crate::shared::db_id(v.id.get())?)
                    .bind($crate::shared::db_id(v.waba_id.get())?)
                    .bind($crate::shared::db_id(v.solution_id.get())?)
                    .bind($crate::shared::migration_status_text(v.status))
                    .bind(v.scheduled_at.map(|t| t.millis()))
                    .bind($crate::shared::to_doc(v)?)
                    .execute(&mut *conn)
                    .await?;
                Ok(())
            }

            /// Puts emails in the mailbox, in order, a chunk of rows per statement.
            async fn send_emails(
                conn: &mut $conn,
                emails: &[wamm_domain::NewEmail],
            ) -> Result<(), $crate::StoreError> {
                let rows = emails
                    .iter()
                    .map($crate::shared::EmailColumns::of)
                    .collect::<Result<Vec<_>, _>>()?;
                for chunk in rows.chunks($crate::shared::ROWS_PER_STATEMENT) {
                    let mut query = sqlx::QueryBuilder::<$db>::new($crate::shared::put::EMAILS);
                    query.push_values(chunk, |mut row, e| {
                        row.push_bind(e.to_address)
                            .push_bind(e.business_id)
                            .push_bind(e.request_id)
                            .push_bind(e.subject)
                            .push_bind(e.body)
                            .push_bind(e.link)
                            .push_bind(e.sent_at);
                    });
                    query.build().execute(&mut *conn).await?;
                }
                Ok(())
            }

            /// Enqueues webhooks, pending and due at their time, a chunk of rows per statement.
            async fn enqueue_webhooks(
                conn: &mut $conn,
                webhooks: &[&wamm_domain::NewWebhook],
            ) -> Result<(), $crate::StoreError> {
                let rows = webhooks
                    .iter()
                    .map(|w| $crate::shared::EnqueueRow::of(w))
                    .collect::<Result<Vec<_>, _>>()?;
                for chunk in rows.chunks($crate::shared::ROWS_PER_STATEMENT) {
                    let mut query =
                        sqlx::QueryBuilder::<$db>::new($crate::shared::webhook::ENQUEUE);
                    query.push_values(chunk, |mut row, w| {
                        row.push_bind(w.app_id)
                            .push_bind(w.endpoint.as_str())
                            .push_bind(w.object_id.as_str())
                            .push_bind(w.field.as_str())
                            .push_bind(w.value.as_str())
                            .push_bind(w.time_ms)
                            .push_bind(w.include_time)
                            .push("'pending'")
                            .push("0")
                            .push_bind(w.time_ms)
                            .push_bind(w.time_ms);
                    });
                    query.build().execute(&mut *conn).await?;
                }
                Ok(())
            }

            /// Records attempts (keeping any already recorded), a chunk per statement.
            async fn record_attempts(
                conn: &mut $conn,
                attempts: &[($crate::shared::AttemptColumns, wamm_domain::Outcome)],
            ) -> Result<(), $crate::StoreError> {
                for chunk in attempts.chunks($crate::shared::ROWS_PER_STATEMENT) {
                    let mut query =
                        sqlx::QueryBuilder::<$db>::new($crate::shared::webhook::ATTEMPTS);
                    query.push_values(chunk, |mut row, (a, _)| {
                        row.push_bind(a.outbox_id)
                            .push_bind(a.attempt)
                            .push_bind(a.at)
                            .push_bind(a.duration_ms)
                            .push_bind(a.status_code)
                            .push_bind(a.error.as_deref())
                            .push_bind(a.response_snippet.as_str());
                    });
                    query.push($crate::shared::webhook::ATTEMPTS_TAIL);
                    query.build().execute(&mut *conn).await?;
                }
                Ok(())
            }

            /// Applies the outcomes of `attempts`: deliveries first, so a retry or drop of the
            /// same row in the same batch finds it no longer pending.
            async fn apply_outcomes(
                conn: &mut $conn,
                attempts: &[($crate::shared::AttemptColumns, wamm_domain::Outcome)],
            ) -> Result<(), $crate::StoreError> {
                use wamm_domain::Outcome;
                let delivered: Vec<&$crate::shared::AttemptColumns> = attempts
                    .iter()
                    .filter(|(_, o)| matches!(o, Outcome::Delivered))
                    .map(|(a, _)| a)
                    .collect();
                let retried: Vec<(&$crate::shared::AttemptColumns, i64)> = attempts
                    .iter()
                    .filter_map(|(a, o)| match o {
                        Outcome::Retry { next_attempt_at } => Some((a, next_attempt_at.millis())),
                        Outcome::Delivered | Outcome::Drop => None,
                    })
                    .collect();
                let dropped: Vec<&$crate::shared::AttemptColumns> = attempts
                    .iter()
                    .filter(|(_, o)| matches!(o, Outcome::Drop))
                    .map(|(a, _)| a)
                    .collect();
                for chunk in delivered.chunks($crate::shared::ROWS_PER_STATEMENT) {
                    let mut query =
                        sqlx::QueryBuilder::<$db>::new($crate::shared::webhook::DELIVERED);
                    query.push_values(chunk, |mut row, a| {
                        row.push_bind(a.outbox_id)
                            .push_bind(a.at)
                            .push_bind(a.attempt);
                    });
                    query.push($crate::shared::webhook::UPDATE_TAIL);
                    query.build().execute(&mut *conn).await?;
                }
                for chunk in retried.chunks($crate::shared::ROWS_PER_STATEMENT) {
                    let mut query = sqlx::QueryBuilder::<$db>::new($crate::shared::webhook::RETRY);
                    query.push_values(chunk, |mut row, (a, next_attempt_at)| {
                        row.push_bind(a.outbox_id)
                            .push_bind(a.attempt)
                            .push_bind(*next_attempt_at)
                            .push_bind(a.error.as_deref())
                            .push_bind(a.lease);
                    });
                    query.push($crate::shared::webhook::RETRY_TAIL);
                    query.build().execute(&mut *conn).await?;
                }
                for chunk in dropped.chunks($crate::shared::ROWS_PER_STATEMENT) {
                    let mut query = sqlx::QueryBuilder::<$db>::new($crate::shared::webhook::DROP);
                    query.push_values(chunk, |mut row, a| {
                        row.push_bind(a.outbox_id)
                            .push_bind(a.attempt)
                            .push_bind(a.error.as_deref())
                            .push_bind(a.lease);
                    });
                    query.push($crate::shared::webhook::DROP_TAIL);
                    query.build().execute(&mut *conn).await?;
                }
                Ok(())
            }

            async fn put(conn: &mut $conn, put: &$crate::Put) -> Result<(), $crate::StoreError> {
                use $crate::Put;
                match put {
                    Put::App(v) => Self::put_app(conn, v).await,
                    Put::Business(v) => Self::put_business(conn, v).await,
                    Put::SystemUser(v) => Self::put_system_user(conn, v).await,
                    Put::Waba(v) => Self::put_waba(conn, v).await,
                    Put::PhoneNumber(v) => Self::put_phone_number(conn, v).await,
                    Put::Template(v) => Self::put_template(conn, v).await,
                    Put::Token(v) => Self::put_token(conn, v).await,
                    Put::Subscription(v) => Self::put_subscription(conn, v).await,
                    Put::AppSubscription(v) => Self::put_app_subscription(conn, v).await,
                    Put::Request(v) => Self::put_request(conn, v).await,
                    Put::Solution(v) => Self::put_solution(conn, v).await,
                    Put::TemplateGroup(v) => Self::put_template_group(conn, v).await,
                    Put::MigrationIntent(v) => Self::put_migration_intent(conn, v).await,
                    Put::Assignment(v) => Self::put_assignment(conn, v).await,
                    Put::Message(v) => Self::put_messages(conn, &[v]).await,
                    Put::Pixel(v) => Self::put_pixel(conn, v).await,
                    Put::Click(v) => {
                        sqlx::query($crate::shared::put::CLICK)
                            .bind(v.fbclid.as_str())
                            .bind(v.campaign_ids.as_str())
                            .bind(v.message_id.as_str())
                            .bind($crate::shared::db_id(v.waba_id.get())?)
                            .bind(v.at.millis())
                            .execute(&mut *conn)
                            .await?;
                        Ok(())
                    }
                    Put::PixelEvent(v) => {
                        sqlx::query($crate::shared::put::PIXEL_EVENT)
                            .bind(v.id.as_str())
                            .bind($crate::shared::db_id(v.pixel_id.get())?)
                            .bind($crate::shared::to_doc(v)?)
                            .execute(&mut *conn)
                            .await?;
                        Ok(())
                    }
                    Put::AuthCode(v) => {
                        sqlx::query($crate::shared::put::AUTH_CODE)
                            .bind(v.hash.as_str())
                            .bind($crate::shared::db_id(v.app_id.get())?)
                            .bind(v.used_at.map(wamm_domain::Timestamp::millis))
                            .bind($crate::shared::to_doc(v)?)
                            .execute(&mut *conn)
                            .await?;
                        Ok(())
                    }
                }
            }

            async fn guard(
                conn: &mut $conn,
                guard: &$crate::Guard,
            ) -> Result<(), $crate::StoreError> {
                use $crate::Guard;
                let done = match guard {
                    Guard::WabaSetupPending(waba) => {
                        sqlx::query($crate::shared::guard::WABA_SETUP_PENDING)
                            .bind($crate::shared::db_id(waba.get())?)
                            .execute(&mut *conn)
                            .await?
                    }
                    Guard::MessageStep { id, done } => {
                        return Self::claim_steps(conn, &[(id.as_str(), *done)]).await;
                    }
                    Guard::ReminderDue { request, due_at } => {
                        sqlx::query($crate::shared::guard::REMINDER_DUE)
                            .bind($crate::shared::db_id(request.get())?)
                            .bind(due_at.millis())
                            .execute(&mut *conn)
                            .await?
                    }
                    Guard::CodeUnused { hash, at } => {
                        sqlx::query($crate::shared::guard::CODE_UNUSED)
                            .bind(hash.as_str())
                            .bind(at.millis())
                            .execute(&mut *conn)
                            .await?
                    }
                    Guard::EventUnseen {
                        pixel,
                        event_name,
                        event_id,
                        at,
                        since,
                    } => {
                        sqlx::query($crate::shared::guard::EVENT_UNSEEN)
                            .bind($crate::shared::db_id(pixel.get())?)
                            .bind(event_name.as_str())
                            .bind(event_id.as_str())
                            .bind(at.millis())
                            .bind(since.millis())
                            .execute(&mut *conn)
                            .await?
                    }
                };
                if done.rows_affected() == 1 {
                    Ok(())
                } else {
                    Err($crate::StoreError::Conflict(
                        guard.conflict_name().to_owned(),
                    ))
                }
            }

            async fn delete(
                conn: &mut $conn,
                delete: &$crate::Delete,
            ) -> Result<(), $crate::StoreError> {
                use $crate::Delete;
                match delete {
                    Delete::Template(id) => {
                        sqlx::query($crate::shared::delete::TEMPLATE)
                            .bind($crate::shared::db_id(id.get())?)
                            .execute(&mut *conn)
                            .await?;
                    }
                    Delete::Subscription { waba, app } => {
                        sqlx::query($crate::shared::delete::SUBSCRIPTION)
                            .bind($crate::shared::db_id(waba.get())?)
                            .bind($crate::shared::db_id(app.get())?)
                            .execute(&mut *conn)
                            .await?;
                    }
                    Delete::AppSubscription { app, object } => {
                        sqlx::query($crate::shared::delete::APP_SUBSCRIPTION)
                            .bind($crate::shared::db_id(app.get())?)
                            .bind(object.as_str())
                            .execute(&mut *conn)
                            .await?;
                    }
                    Delete::Assignment { waba, user } => {
                        sqlx::query($crate::shared::delete::ASSIGNMENT)
                            .bind($crate::shared::db_id(waba.get())?)
                            .bind($crate::shared::db_id(user.get())?)
                            .execute(&mut *conn)
                            .await?;
                    }
                }
                Ok(())
            }

            /// Applies change sets as if one after another, each's guards first, then puts
            /// (messages last, many to a statement), deletes, settings, events (many to a
            /// statement), webhooks and emails. Returns each set's event sequence numbers.
            ///
            /// Several sets at once run each kind of write for all of them together: callers
            /// pass several only when none deletes, and take a failure as a failure of all.
            async fn apply(
                conn: &mut $conn,
                sets: &[$crate::ChangeSet],
            ) -> Result<Vec<Vec<i64>>, $crate::StoreError> {
                use $crate::{Guard, Put};
                let mut steps = Vec::new();
                for g in sets.iter().flat_map(|c| &c.guards) {
                    match g {
                        Guard::MessageStep { id, done } => steps.push((id.as_str(), *done)),
                        other => Self::guard(conn, other).await?,
                    }
                }
                Self::claim_steps(conn, &steps).await?;
                let mut messages = Vec::new();
                for p in sets.iter().flat_map(|c| &c.puts) {
                    match p {
                        Put::Message(m) => messages.push(m),
                        other => Self::put(conn, other).await?,
                    }
                }
                Self::put_messages(conn, &$crate::shared::last_of_each(messages)).await?;
                let facts = $crate::shared::summed(sets.iter().flat_map(|c| &c.facts));
                Self::add_facts(conn, &facts).await?;
                for d in sets.iter().flat_map(|c| &c.deletes) {
                    Self::delete(conn, d).await?;
                }
                for (key, value) in sets.iter().flat_map(|c| &c.meta) {
                    sqlx::query($crate::shared::put::META)
                        .bind(key.as_str())
                        .bind(value.as_str())
                        .execute(&mut *conn)
                        .await?;
                }
                let events: Vec<&wamm_domain::NewEvent> =
                    sets.iter().flat_map(|c| &c.events).collect();
                let mut seqs = Self::insert_events(conn, &events).await?.into_iter();
                let webhooks: Vec<&wamm_domain::NewWebhook> =
                    sets.iter().flat_map(|c| &c.webhooks).collect();
                Self::enqueue_webhooks(conn, &webhooks).await?;
                for c in sets {
                    Self::send_emails(conn, &c.emails).await?;
                }
                Ok(sets
                    .iter()
                    .map(|c| seqs.by_ref().take(c.events.len()).collect())
                    .collect())
            }

            /// Claims message steps, many to a statement; every one must match exactly.
            async fn claim_steps(
                conn: &mut $conn,
                steps: &[(&str, u32)],
            ) -> Result<(), $crate::StoreError> {
                for chunk in steps.chunks($crate::shared::ROWS_PER_STATEMENT) {
                    let mut query =
                        sqlx::QueryBuilder::<$db>::new($crate::shared::guard::MESSAGE_STEPS);
                    query.push_values(chunk, |mut row, (id, done)| {
                        row.push_bind(*id).push_bind(i64::from(*done));
                    });
                    query.push(")");
                    let done = query.build().execute(&mut *conn).await?;
                    if usize::try_from(done.rows_affected()).ok() != Some(chunk.len()) {
                        return Err($crate::StoreError::Conflict(
                            "message_step_claimed".to_owned(),
                        ));
                    }
                }
                Ok(())
            }

            /// Upserts messages (each ID at most once), many to a statement.
            async fn put_messages(
                conn: &mut $conn,
                messages: &[&wamm_domain::Message],
            ) -> Result<(), $crate::StoreError> {
                for chunk in messages.chunks($crate::shared::ROWS_PER_STATEMENT) {
                    let rows = chunk
                        .iter()
                        .map(|m| {
                            Ok::<_, $crate::StoreError>((
                                m.id.as_str(),
                                $crate::shared::db_id(m.waba_id.get())?,
                                i64::from(m.steps_done),
                                m.next_at().map(wamm_domain::Timestamp::millis),
                                $crate::shared::to_doc(m)?,
                            ))
                        })
                        .collect::<Result<Vec<_>, _>>()?;
                    let mut query = sqlx::QueryBuilder::<$db>::new($crate::shared::put::MESSAGES);
                    query.push_values(rows, |mut row, (id, waba, steps, next_at, doc)| {
                        row.push_bind(id)
                            .push_bind(waba)
                            .push_bind(steps)
                            .push_bind(next_at)
                            .push_bind(doc);
                    });
                    query.push($crate::shared::put::MESSAGES_TAIL);
                    query.build().execute(&mut *conn).await?;
                }
                Ok(())
            }

            /// Adds facts' counts to their rows, many to a statement.
            async fn add_facts(
                conn: &mut $conn,
                facts: &[wamm_domain::metrics::Fact],
            ) -> Result<(), $crate::StoreError> {
                for chunk in facts.chunks($crate::shared::ROWS_PER_STATEMENT) {
                    let rows = chunk
                        .iter()
                        .map($crate::shared::FactRow::of)
                        .collect::<Result<Vec<_>, _>>()?;
                    let mut query = sqlx::QueryBuilder::<$db>::new($crate::shared::put::FACTS);
                    query.push_values(rows, |mut row, f| {
                        row.push_bind(f.waba_id)
                            .push_bind(f.template_id)
                            .push_bind(f.phone_number_id)
                            .push_bind(f.day)
                            .push_bind(f.local_day)
                            .push_bind(f.route)
                            .push_bind(f.category)
                            .push_bind(f.country);
                        for n in $crate::shared::counters_of(&f.counts) {
                            row.push_bind(n);
                        }
                    });
                    query.push($crate::shared::put::FACTS_TAIL);
                    query.build().execute(&mut *conn).await?;
                }
                Ok(())
            }

            /// Appends events, many to a statement; returns their sequence numbers in order.
            async fn insert_events(
                conn: &mut $conn,
                events: &[&wamm_domain::NewEvent],
            ) -> Result<Vec<i64>, $crate::StoreError> {
                let mut seqs = Vec::with_capacity(events.len());
                for chunk in events.chunks($crate::shared::ROWS_PER_STATEMENT) {
                    let rows = chunk
                        .iter()
                        .map(|e| {
                            Ok::<_, $crate::StoreError>((e, $crate::shared::to_doc(&e.detail)?))
                        })
                        .collect::<Result<Vec<_>, _>>()?;
                    let mut query = sqlx::QueryBuilder::<$db>::new($crate::shared::put::EVENTS);
                    query.push_values(rows, |mut row, (e, detail)| {
                        row.push_bind(e.at.millis())
                            .push_bind(e.kind.as_str())
                            .push_bind(e.subject.as_str())
                            .push_bind(detail);
                    });
                    query.push(" RETURNING seq");
                    let mut got: Vec<i64> =
                        query.build_query_scalar().fetch_all(&mut *conn).await?;
                    // Rows take increasing sequence numbers in the order they are listed,
                    // whatever order the database returns them in.
                    got.sort_unstable();
                    seqs.extend(got);
                }
                Ok(seqs)
            }

            /// Applies `write` on `conn` (inside whatever transaction the caller holds).
            async fn run(
                conn: &mut $conn,
                write: $crate::shared::Write,
            ) -> Result<$crate::shared::Written, $crate::StoreError> {
                use $crate::shared::{Write, Written};
                match write {
                    Write::Commit(changes) => {
                        let mut seqs = Self::apply(conn, std::slice::from_ref(&changes)).await?;
                        Ok(Written::Seqs(seqs.pop().unwrap_or_default()))
                    }
                    Write::Reserve { key, n } => {
                        let after: i64 = sqlx::query_scalar($crate::shared::get::RESERVE)
                            .bind(key)
                            .bind(n.to_string())
                            .bind(n)
                            .fetch_one(&mut *conn)
                            .await?;
                        $crate::shared::before_reserve(after, n).map(Written::Reserved)
                    }
                    Write::Claim {
                        now,
                        wall_ms,
                        lease_ms,
                        limit,
                    } => {
                        let rows: Vec<$crate::shared::OutboxRow> = sqlx::query_as($claim)
                            .bind($crate::shared::lease_end(wall_ms, lease_ms)?)
                            .bind(now.millis())
                            .bind(wall_ms)
                            .bind(limit)
                            .fetch_all(&mut *conn)
                            .await?;
                        $crate::shared::outbox_from_rows(rows).map(Written::Claimed)
                    }
                    Write::Finish(attempts) => {
                        Self::record_attempts(conn, &attempts).await?;
                        Self::apply_outcomes(conn, &attempts).await?;
                        Ok(Written::Done)
                    }
                    Write::Redeliver { id, now } => {
                        let done = sqlx::query($crate::shared::webhook::REDELIVER)
                            .bind(now.millis())
                            .bind(id)
                            .execute(&mut *conn)
                            .await?;
                        Ok(Written::Changed(done.rows_affected() > 0))
                    }
                    Write::World(world) => {
                        Self::load_world(conn, &world).await?;
                        Ok(Written::Done)
                    }
                }
            }

            async fn load_world(
                conn: &mut $conn,
                world: &wamm_domain::WorldState,
            ) -> Result<(), $crate::StoreError> {
                for sql in $crate::shared::delete::WORLD {
                    sqlx::query(sql).execute(&mut *conn).await?;
                }
                for v in &world.businesses {
                    Self::put_business(conn, v).await?;
                }
                for v in &world.apps {
                    Self::put_app(conn, v).await?;
                }
                for v in &world.system_users {
                    Self::put_system_user(conn, v).await?;
                }
                for v in &world.wabas {
                    Self::put_waba(conn, v).await?;
                }
                for v in &world.phone_numbers {
                    Self::put_phone_number(conn, v).await?;
                }
                for v in &world.templates {
                    Self::put_template(conn, v).await?;
                }
                for v in &world.tokens {
                    Self::put_token(conn, v).await?;
                }
                for v in &world.subscriptions {
                    Self::put_subscription(conn, v).await?;
                }
                for v in &world.app_subscriptions {
                    Self::put_app_subscription(conn, v).await?;
                }
                for v in &world.assignments {
                    Self::put_assignment(conn, v).await?;
                }
                for v in &world.pixels {
                    Self::put_pixel(conn, v).await?;
                }
                // The rate card is a setting: an empty value stands for the default card.
                let card = match &world.rate_card {
                    Some(card) => $crate::shared::to_doc(card)?,
                    None => String::new(),
                };
                sqlx::query($crate::shared::put::META)
                    .bind($crate::shared::RATE_CARD_KEY)
                    .bind(card)
                    .execute(&mut *conn)
                    .await?;
                Ok(())
            }

            async fn all_docs<T: serde::de::DeserializeOwned>(
                conn: &mut $conn,
                sql: &'static str,
            ) -> Result<Vec<T>, $crate::StoreError> {
                let docs: Vec<String> = sqlx::query_scalar(sql).fetch_all(&mut *conn).await?;
                $crate::shared::from_docs(&docs)
            }

            async fn docs_by_id<T: serde::de::DeserializeOwned>(
                &self,
                sql: &'static str,
                id: u64,
            ) -> Result<Vec<T>, $crate::StoreError> {
                let docs: Vec<String> = sqlx::query_scalar(sql)
                    .bind($crate::shared::db_id(id)?)
                    .fetch_all(&self.pool)
                    .await?;
                $crate::shared::from_docs(&docs)
            }

            async fn doc_by_id<T: serde::de::DeserializeOwned>(
                &self,
                sql: &'static str,
                id: u64,
            ) -> Result<Option<T>, $crate::StoreError> {
                let doc: Option<String> = sqlx::query_scalar(sql)
                    .bind($crate::shared::db_id(id)?)
                    .fetch_optional(&self.pool)
                    .await?;
                $crate::shared::from_doc_opt(doc.as_deref())
            }

            /// The click `sql` finds by `key` (its fbclid or its `campaign_ids`).
            async fn click_by(
                &self,
                sql: &'static str,
                key: &str,
            ) -> Result<Option<wamm_domain::capi::Click>, $crate::StoreError> {
                let row: Option<$crate::shared::ClickRow> = sqlx::query_as(sql)
                    .bind(key)
                    .fetch_optional(&self.pool)
                    .await?;
                row.map($crate::shared::click_from_row).transpose()
            }
        }

        #[async_trait::async_trait]
        impl $crate::Store for $store {
            fn backend(&self) -> $crate::Backend {
                $backend
            }

            async fn commit(
                &self,
                changes: $crate::ChangeSet,
            ) -> Result<Vec<i64>, $crate::StoreError> {
                self.written($crate::shared::Write::Commit(changes))
                    .await?
                    .seqs()
            }

            async fn replace_world(
                &self,
                world: &wamm_domain::WorldState,
            ) -> Result<(), $crate::StoreError> {
                self.written($crate::shared::Write::World(Box::new(world.clone())))
                    .await?
                    .done()
            }

            async fn export_world(&self) -> Result<wamm_domain::WorldState, $crate::StoreError> {
                let mut tx = self.begin_read().await?;
                let world = wamm_domain::WorldState {
                    apps: Self::all_docs(&mut tx, $crate::shared::get::APPS).await?,
                    businesses: Self::all_docs(&mut tx, $crate::shared::get::BUSINESSES).await?,
                    system_users: Self::all_docs(&mut tx, $crate::shared::get::SYSTEM_USERS)
                        .await?,
                    wabas: Self::all_docs(&mut tx, $crate::shared::get::WABAS).await?,
                    phone_numbers: Self::all_docs(&mut tx, $crate::shared::get::PHONE_NUMBERS)
                        .await?,
                    templates: Self::all_docs(&mut tx, $crate::shared::get::TEMPLATES).await?,
                    tokens: Self::all_docs(&mut tx, $crate::shared::get::TOKENS).await?,
                    subscriptions: Self::all_docs(&mut tx, $crate::shared::get::SUBSCRIPTIONS)
                        .await?,
                    app_subscriptions: Self::all_docs(
                        &mut tx,
                        $crate::shared::get::APP_SUBSCRIPTIONS,
                    )
                    .await?,
                    assignments: Self::all_docs(&mut tx, $crate::shared::get::ASSIGNMENTS).await?,
                    pixels: Self::all_docs(&mut tx, $crate::shared::get::PIXELS).await?,
                    rate_card: None,
                };
                let card: Option<String> = sqlx::query_scalar($crate::shared::get::META)
                    .bind($crate::shared::RATE_CARD_KEY)
                    .fetch_optional(&mut *tx)
                    .await?;
                let world = wamm_domain::WorldState {
                    rate_card: card
                        .filter(|c| !c.is_empty())
                        .as_deref()
                        .map($crate::shared::from_doc)
                        .transpose()?,
                    ..world
                };
                tx.rollback().await?;
                Ok(world)
            }

            async fn is_empty(&self) -> Result<bool, $crate::StoreError> {
                let count: i64 = sqlx::query_scalar($crate::shared::get::ENTITY_COUNT)
                    .fetch_one(&self.pool)
                    .await?;
                Ok(count == 0)
            }

            async fn app(
                &self,
                id: wamm_wire::ids::AppId,
            ) -> Result<Option<wamm_domain::App>, $crate::StoreError> {
                self.doc_by_id($crate::shared::get::APP, id.get()).await
            }

            async fn apps(&self) -> Result<Vec<wamm_domain::App>, $crate::StoreError> {
                let mut conn = self.pool.acquire().await?;
                Self::all_docs(&mut conn, $crate::shared::get::APPS).await
            }

            async fn business(
                &self,
                id: wamm_wire::ids::BusinessId,
            ) -> Result<Option<wamm_domain::Business>, $crate::StoreError> {
                self.doc_by_id($crate::shared::get::BUSINESS, id.get())
                    .await
            }

            async fn businesses(&self) -> Result<Vec<wamm_domain::Business>, $crate::StoreError> {
                let mut conn = self.pool.acquire().await?;
                Self::all_docs(&mut conn, $crate::shared::get::BUSINESSES).await
            }

            async fn system_user(
                &self,
                id: wamm_wire::ids::UserId,
            ) -> Result<Option<wamm_domain::SystemUser>, $crate::StoreError> {
                self.doc_by_id($crate::shared::get::SYSTEM_USER, id.get())
                    .await
            }

            async fn system_users_of(
                &self,
                business: wamm_wire::ids::BusinessId,
            ) -> Result<Vec<wamm_domain::SystemUser>, $crate::StoreError> {
                self.docs_by_id($crate::shared::get::SYSTEM_USERS_OF, business.get())
                    .await
            }

            async fn waba(
                &self,
                id: wamm_wire::ids::WabaId,
            ) -> Result<Option<wamm_domain::Waba>, $crate::StoreError> {
                self.doc_by_id($crate::shared::get::WABA, id.get()).await
            }

            async fn wabas(&self) -> Result<Vec<wamm_domain::Waba>, $crate::StoreError> {
                let mut conn = self.pool.acquire().await?;
                Self::all_docs(&mut conn, $crate::shared::get::WABAS).await
            }

            async fn wabas_owned_by(
                &self,
                business: wamm_wire::ids::BusinessId,
            ) -> Result<Vec<wamm_domain::Waba>, $crate::StoreError> {
                self.docs_by_id($crate::shared::get::WABAS_OWNED_BY, business.get())
                    .await
            }

            async fn wabas_held_by_partner(
                &self,
                partner: wamm_wire::ids::BusinessId,
            ) -> Result<Vec<wamm_domain::Waba>, $crate::StoreError> {
                self.docs_by_id($crate::shared::get::WABAS_HELD_BY_PARTNER, partner.get())
                    .await
            }

            async fn phone_number(
                &self,
                id: wamm_wire::ids::PhoneNumberId,
            ) -> Result<Option<wamm_domain::PhoneNumber>, $crate::StoreError> {
                self.doc_by_id($crate::shared::get::PHONE_NUMBER, id.get())
                    .await
            }

            async fn phone_numbers_of(
                &self,
                waba: wamm_wire::ids::WabaId,
            ) -> Result<Vec<wamm_domain::PhoneNumber>, $crate::StoreError> {
                self.docs_by_id($crate::shared::get::PHONE_NUMBERS_OF, waba.get())
                    .await
            }

            async fn template(
                &self,
                id: wamm_wire::ids::TemplateId,
            ) -> Result<Option<wamm_domain::Template>, $crate::StoreError> {
                self.doc_by_id($crate::shared::get::TEMPLATE, id.get())
                    .await
            }

            async fn templates_of(
                &self,
                waba: wamm_wire::ids::WabaId,
            ) -> Result<Vec<wamm_domain::Template>, $crate::StoreError> {
                self.docs_by_id($crate::shared::get::TEMPLATES_OF, waba.get())
                    .await
            }

            async fn token_by_hash(
                &self,
                hash: &str,
            ) -> Result<Option<wamm_domain::TokenRecord>, $crate::StoreError> {
                let doc: Option<String> = sqlx::query_scalar($crate::shared::get::TOKEN)
                    .bind(hash)
                    .fetch_optional(&self.pool)
                    .await?;
                $crate::shared::from_doc_opt(doc.as_deref())
            }

            async fn tokens_of_app(
                &self,
                app: wamm_wire::ids::AppId,
            ) -> Result<Vec<wamm_domain::TokenRecord>, $crate::StoreError> {
                self.docs_by_id($crate::shared::get::TOKENS_OF_APP, app.get())
                    .await
            }

            async fn subscriptions_of(
                &self,
                waba: wamm_wire::ids::WabaId,
            ) -> Result<Vec<wamm_domain::WabaSubscription>, $crate::StoreError> {
                self.docs_by_id($crate::shared::get::SUBSCRIPTIONS_OF, waba.get())
                    .await
            }

            async fn app_subscriptions(
                &self,
                app: wamm_wire::ids::AppId,
            ) -> Result<Vec<wamm_domain::AppSubscription>, $crate::StoreError> {
                self.docs_by_id($crate::shared::get::APP_SUBSCRIPTIONS_OF, app.get())
                    .await
            }

            async fn assignments_of_waba(
                &self,
                waba: wamm_wire::ids::WabaId,
            ) -> Result<Vec<wamm_domain::assignment::WabaAssignment>, $crate::StoreError> {
                self.docs_by_id($crate::shared::get::ASSIGNMENTS_OF_WABA, waba.get())
                    .await
            }

            async fn assignments_of_user(
                &self,
                user: wamm_wire::ids::UserId,
            ) -> Result<Vec<wamm_domain::assignment::WabaAssignment>, $crate::StoreError> {
                self.docs_by_id($crate::shared::get::ASSIGNMENTS_OF_USER, user.get())
                    .await
            }

            async fn events(
                &self,
                after_seq: i64,
                limit: i64,
            ) -> Result<Vec<wamm_domain::Event>, $crate::StoreError> {
                let rows: Vec<$crate::shared::EventRow> =
                    sqlx::query_as($crate::shared::get::EVENTS_AFTER)
                        .bind(after_seq)
                        .bind(limit)
                        .fetch_all(&self.pool)
                        .await?;
                rows.into_iter()
                    .map($crate::shared::event_from_row)
                    .collect()
            }

            async fn recent_events(
                &self,
                limit: i64,
            ) -> Result<Vec<wamm_domain::Event>, $crate::StoreError> {
                let rows: Vec<$crate::shared::EventRow> =
                    sqlx::query_as($crate::shared::get::EVENTS_RECENT)
                        .bind(limit)
                        .fetch_all(&self.pool)
                        .await?;
                rows.into_iter()
                    .map($crate::shared::event_from_row)
                    .collect()
            }

            async fn meta(&self, key: &str) -> Result<Option<String>, $crate::StoreError> {
                Ok(sqlx::query_scalar($crate::shared::get::META)
                    .bind(key)
                    .fetch_optional(&self.pool)
                    .await?)
            }

            async fn reserve(&self, key: &str, n: i64) -> Result<i64, $crate::StoreError> {
                self.written($crate::shared::Write::Reserve {
                    key: key.to_owned(),
                    n,
                })
                .await?
                .reserved()
            }

            async fn claim_webhooks(
                &self,
                now: wamm_domain::Timestamp,
                wall_ms: i64,
                lease_ms: i64,
                limit: i64,
            ) -> Result<Vec<wamm_domain::OutboxItem>, $crate::StoreError> {
                self.written($crate::shared::Write::Claim {
                    now,
                    wall_ms,
                    lease_ms,
                    limit,
                })
                .await?
                .claimed()
            }

            async fn finish_deliveries(
                &self,
                results: Vec<wamm_domain::DeliveryResult>,
            ) -> Result<(), $crate::StoreError> {
                if results.is_empty() {
                    return Ok(());
                }
                let attempts = results
                    .iter()
                    .map(|r| {
                        let mut columns = $crate::shared::AttemptColumns::of(&r.attempt)?;
                        columns.lease = r.lease_until;
                        Ok::<_, $crate::StoreError>((columns, r.outcome))
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                self.written($crate::shared::Write::Finish(attempts))
                    .await?
                    .done()
            }

            async fn outbox(
                &self,
                status: Option<wamm_domain::DeliveryStatus>,
                after_id: i64,
                limit: i64,
            ) -> Result<Vec<wamm_domain::OutboxItem>, $crate::StoreError> {
                let rows: Vec<$crate::shared::OutboxRow> = match status {
                    Some(status) => {
                        sqlx::query_as($crate::shared::get::OUTBOX_IN_STATUS_AFTER)
                            .bind($crate::shared::status_text(status))
                            .bind(after_id)
                            .bind(limit)
                            .fetch_all(&self.pool)
                            .await?
                    }
                    None => {
                        sqlx::query_as($crate::shared::get::OUTBOX_AFTER)
                            .bind(after_id)
                            .bind(limit)
                            .fetch_all(&self.pool)
                            .await?
                    }
                };
                $crate::shared::outbox_from_rows(rows)
            }

            async fn recent_outbox(
                &self,
                limit: i64,
            ) -> Result<Vec<wamm_domain::OutboxItem>, $crate::StoreError> {
                let rows: Vec<$crate::shared::OutboxRow> =
                    sqlx::query_as($crate::shared::get::OUTBOX_RECENT)
                        .bind(limit)
                        .fetch_all(&self.pool)
                        .await?;
                // Decoding sorts by ID; the console wants the newest first.
                let mut items = $crate::shared::outbox_from_rows(rows)?;
                items.reverse();
                Ok(items)
            }

            async fn outbox_item(
                &self,
                id: i64,
            ) -> Result<Option<wamm_domain::OutboxItem>, $crate::StoreError> {
                let row: Option<$crate::shared::OutboxRow> =
                    sqlx::query_as($crate::shared::get::OUTBOX_ITEM)
                        .bind(id)
                        .fetch_optional(&self.pool)
                        .await?;
                row.map($crate::shared::outbox_from_row).transpose()
            }

            async fn attempts_of(
                &self,
                outbox_id: i64,
            ) -> Result<Vec<wamm_domain::Attempt>, $crate::StoreError> {
                let rows: Vec<$crate::shared::AttemptRow> =
                    sqlx::query_as($crate::shared::get::ATTEMPTS_OF)
                        .bind(outbox_id)
                        .fetch_all(&self.pool)
                        .await?;
                rows.into_iter()
                    .map($crate::shared::attempt_from_row)
                    .collect()
            }

            async fn redeliver(
                &self,
                id: i64,
                now: wamm_domain::Timestamp,
            ) -> Result<bool, $crate::StoreError> {
                self.written($crate::shared::Write::Redeliver { id, now })
                    .await?
                    .changed()
            }

            async fn outbox_counts(&self) -> Result<$crate::OutboxCounts, $crate::StoreError> {
                let rows: Vec<(String, i64)> = sqlx::query_as($crate::shared::get::OUTBOX_COUNTS)
                    .fetch_all(&self.pool)
                    .await?;
                let mut counts = $crate::OutboxCounts::default();
                for (status, n) in rows {
                    match $crate::shared::status_from_text(&status)? {
                        wamm_domain::DeliveryStatus::Pending => counts.pending = n,
                        wamm_domain::DeliveryStatus::Delivered => counts.delivered = n,
                        wamm_domain::DeliveryStatus::Dropped => counts.dropped = n,
                    }
                }
                Ok(counts)
            }

            async fn next_due_webhook(
                &self,
            ) -> Result<Option<wamm_domain::Timestamp>, $crate::StoreError> {
                let due: Option<i64> = sqlx::query_scalar($crate::shared::get::NEXT_DUE_WEBHOOK)
                    .fetch_one(&self.pool)
                    .await?;
                Ok(due.map(wamm_domain::Timestamp::from_millis))
            }

            async fn request(
                &self,
                id: wamm_wire::ids::RequestId,
            ) -> Result<Option<wamm_domain::OnboardingRequest>, $crate::StoreError> {
                self.doc_by_id($crate::shared::get::REQUEST, id.get()).await
            }

            async fn requests_of(
                &self,
                client: wamm_wire::ids::BusinessId,
            ) -> Result<Vec<wamm_domain::OnboardingRequest>, $crate::StoreError> {
                self.docs_by_id($crate::shared::get::REQUESTS_OF, client.get())
                    .await
            }

            async fn requests(
                &self,
            ) -> Result<Vec<wamm_domain::OnboardingRequest>, $crate::StoreError> {
                let mut conn = self.pool.acquire().await?;
                Self::all_docs(&mut conn, $crate::shared::get::REQUESTS).await
            }

            async fn setups_due(
                &self,
                now: wamm_domain::Timestamp,
            ) -> Result<Vec<wamm_domain::Waba>, $crate::StoreError> {
                let docs: Vec<String> = sqlx::query_scalar($crate::shared::get::SETUPS_DUE)
                    .bind(now.millis())
                    .fetch_all(&self.pool)
                    .await?;
                $crate::shared::from_docs(&docs)
            }

            async fn auth_code(
                &self,
                hash: &str,
            ) -> Result<Option<wamm_domain::AuthCode>, $crate::StoreError> {
                let doc: Option<String> = sqlx::query_scalar($crate::shared::get::AUTH_CODE)
                    .bind(hash)
                    .fetch_optional(&self.pool)
                    .await?;
                doc.as_deref().map($crate::shared::from_doc).transpose()
            }

            async fn message(
                &self,
                id: &str,
            ) -> Result<Option<wamm_domain::Message>, $crate::StoreError> {
                let doc: Option<String> = sqlx::query_scalar($crate::shared::get::MESSAGE)
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await?;
                doc.as_deref().map($crate::shared::from_doc).transpose()
            }

            async fn ad_object(
                &self,
                id: u64,
            ) -> Result<Option<wamm_domain::ads::AdObjectRef>, $crate::StoreError> {
                use sqlx::Row as _;
                let Ok(key) = i64::try_from(id) else {
                    return Ok(None);
                };
                let Some(row) = sqlx::query($crate::shared::get::AD_OBJECT)
                    .bind(key)
                    .fetch_optional(&self.pool)
                    .await?
                else {
                    return Ok(None);
                };
                let kind: String = row.try_get(0)?;
                let waba: i64 = row.try_get(1)?;
                let template: Option<i64> = row.try_get(2)?;
                let kind = wamm_domain::ads::AdObjectKind::parse(&kind).ok_or_else(|| {
                    $crate::StoreError::Invalid(format!("ad object {id} has kind {kind}"))
                })?;
                Ok(Some(wamm_domain::ads::AdObjectRef {
                    id,
                    kind,
                    waba_id: wamm_wire::ids::WabaId::new($crate::shared::id_from_db(waba)?),
                    template_id: template
                        .map($crate::shared::id_from_db)
                        .transpose()?
                        .map(wamm_wire::ids::TemplateId::new),
                }))
            }

            async fn facts(
                &self,
                query: &$crate::FactQuery,
            ) -> Result<Vec<wamm_domain::metrics::Fact>, $crate::StoreError> {
                use sqlx::Row as _;
                let sql = if query.by_local_day {
                    $crate::shared::get::FACTS_BY_LOCAL_DAY
                } else {
                    $crate::shared::get::FACTS
                };
                let rows = sqlx::query(sql)
                    .bind($crate::shared::db_id(query.waba_id.get())?)
                    .bind(query.from.0)
                    .bind(query.until.0)
                    .fetch_all(&self.pool)
                    .await?;
                let mut read = Vec::with_capacity(rows.len());
                for r in &rows {
                    let mut counters = [0_i64; $crate::shared::COUNTERS];
                    for (i, slot) in counters.iter_mut().enumerate() {
                        *slot = r.try_get(6 + i)?;
                    }
                    read.push($crate::shared::FactTuple {
                        key: (
                            r.try_get(0)?,
                            r.try_get(1)?,
                            r.try_get(2)?,
                            r.try_get(3)?,
                            r.try_get(4)?,
                            r.try_get(5)?,
                        ),
                        counters,
                        local_day: r.try_get(6 + $crate::shared::COUNTERS)?,
                    });
                }
                $crate::shared::facts_from_rows(query, read)
            }

            async fn messages_of_waba(
                &self,
                waba: wamm_wire::ids::WabaId,
                after: &str,
                limit: i64,
            ) -> Result<Vec<wamm_domain::Message>, $crate::StoreError> {
                let docs: Vec<String> = sqlx::query_scalar($crate::shared::get::MESSAGES_OF_WABA)
                    .bind($crate::shared::db_id(waba.get())?)
                    .bind(after)
                    .bind(limit)
                    .fetch_all(&self.pool)
                    .await?;
                $crate::shared::from_docs(&docs)
            }

            async fn messages_due(
                &self,
                now: wamm_domain::Timestamp,
                limit: i64,
            ) -> Result<Vec<wamm_domain::Message>, $crate::StoreError> {
                let docs: Vec<String> = sqlx::query_scalar($crate::shared::get::MESSAGES_DUE)
                    .bind(now.millis())
                    .bind(limit)
                    .fetch_all(&self.pool)
                    .await?;
                $crate::shared::from_docs(&docs)
            }

            async fn solution(
                &self,
                id: wamm_wire::ids::SolutionId,
            ) -> Result<Option<wamm_domain::solution::Solution>, $crate::StoreError> {
                self.doc_by_id($crate::shared::get::SOLUTION, id.get())
                    .await
            }

            async fn template_groups_of(
                &self,
                waba: wamm_wire::ids::WabaId,
            ) -> Result<Vec<wamm_domain::TemplateGroup>, $crate::StoreError> {
                self.docs_by_id($crate::shared::get::TEMPLATE_GROUPS_OF, waba.get())
                    .await
            }

            async fn solutions_of_app(
                &self,
                app: wamm_wire::ids::AppId,
            ) -> Result<Vec<wamm_domain::solution::Solution>, $crate::StoreError> {
                self.docs_by_id($crate::shared::get::SOLUTIONS_OF_APP, app.get())
                    .await
            }

            async fn migration_intent(
                &self,
                id: wamm_wire::ids::MigrationIntentId,
            ) -> Result<Option<wamm_domain::solution::SolutionMigration>, $crate::StoreError> {
                self.doc_by_id($crate::shared::get::MIGRATION_INTENT, id.get())
                    .await
            }

            async fn migration_intents_of(
                &self,
                waba: wamm_wire::ids::WabaId,
            ) -> Result<Vec<wamm_domain::solution::SolutionMigration>, $crate::StoreError> {
                self.docs_by_id($crate::shared::get::MIGRATION_INTENTS_OF, waba.get())
                    .await
            }

            async fn migrations_due(
                &self,
                now: wamm_domain::Timestamp,
            ) -> Result<Vec<wamm_domain::solution::SolutionMigration>, $crate::StoreError> {
                let docs: Vec<String> = sqlx::query_scalar($crate::shared::get::MIGRATIONS_DUE)
                    .bind(now.millis())
                    .fetch_all(&self.pool)
                    .await?;
                $crate::shared::from_docs(&docs)
            }

            async fn pixel(
                &self,
                id: wamm_wire::ids::PixelId,
            ) -> Result<Option<wamm_domain::capi::Pixel>, $crate::StoreError> {
                self.doc_by_id($crate::shared::get::PIXEL, id.get()).await
            }

            async fn pixels_owned_by(
                &self,
                business: wamm_wire::ids::BusinessId,
            ) -> Result<Vec<wamm_domain::capi::Pixel>, $crate::StoreError> {
                self.docs_by_id($crate::shared::get::PIXELS_OWNED_BY, business.get())
                    .await
            }

            async fn click_by_fbclid(
                &self,
                fbclid: &str,
            ) -> Result<Option<wamm_domain::capi::Click>, $crate::StoreError> {
                self.click_by($crate::shared::get::CLICK_BY_FBCLID, fbclid)
                    .await
            }

            async fn click_by_campaign_ids(
                &self,
                campaign_ids: &str,
            ) -> Result<Option<wamm_domain::capi::Click>, $crate::StoreError> {
                self.click_by($crate::shared::get::CLICK_BY_CAMPAIGN_IDS, campaign_ids)
                    .await
            }

            async fn pixel_events(
                &self,
                pixel: wamm_wire::ids::PixelId,
                limit: i64,
            ) -> Result<Vec<wamm_domain::capi::ReceivedEvent>, $crate::StoreError> {
                let docs: Vec<String> = sqlx::query_scalar($crate::shared::get::PIXEL_EVENTS)
                    .bind($crate::shared::db_id(pixel.get())?)
                    .bind(limit)
                    .fetch_all(&self.pool)
                    .await?;
                $crate::shared::from_docs(&docs)
            }

            async fn due_reminders(
                &self,
                now: wamm_domain::Timestamp,
            ) -> Result<Vec<wamm_domain::OnboardingRequest>, $crate::StoreError> {
                let docs: Vec<String> = sqlx::query_scalar($crate::shared::get::DUE_REMINDERS)
                    .bind(now.millis())
                    .fetch_all(&self.pool)
                    .await?;
                $crate::shared::from_docs(&docs)
            }

            async fn emails(
                &self,
                to: Option<&str>,
                after_id: i64,
                limit: i64,
            ) -> Result<Vec<wamm_domain::Email>, $crate::StoreError> {
                let rows: Vec<$crate::shared::EmailRow> = match to {
                    Some(to) => {
                        sqlx::query_as($crate::shared::get::EMAILS_TO_AFTER)
                            .bind(to)
                            .bind(after_id)
                            .bind(limit)
                            .fetch_all(&self.pool)
                            .await?
                    }
                    None => {
                        sqlx::query_as($crate::shared::get::EMAILS_AFTER)
                            .bind(after_id)
                            .bind(limit)
                            .fetch_all(&self.pool)
                            .await?
                    }
                };
                rows.into_iter()
                    .map($crate::shared::email_from_row)
                    .collect()
            }
        }
    };
}

pub(crate) use impl_store;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migration_status_text_is_the_serde_text() {
        for status in [
            MigrationStatus::Initiated,
            MigrationStatus::Accepted,
            MigrationStatus::Completed,
            MigrationStatus::Rejected,
        ] {
            assert_eq!(
                serde_json::to_value(status).expect("serialise"),
                serde_json::Value::from(migration_status_text(status))
            );
        }
    }

    #[test]
    fn request_status_text_is_the_serde_text() {
        for status in [
            RequestStatus::Pending,
            RequestStatus::Accepted,
            RequestStatus::Rejected,
        ] {
            assert_eq!(
                serde_json::to_value(status).expect("serialise"),
                serde_json::Value::from(request_status_text(status))
            );
        }
    }
}
