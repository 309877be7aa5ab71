//! The journal: what is appended or counted rather than kept as a document — messages and
//! their steps, the webhook outbox and its attempts, analytics facts, the event log, the
//! mailbox, settings and counters, link clicks — with its SQL, its rows and the functions that
//! write and read them, many rows to a statement where it pays.
//!
//! Like the document layer, it is written once for any database whose driver binds and
//! decodes the column types it uses ([`Journal`]).

use std::future::Future;

use sqlx::{Database, Decode, Encode, Executor, FromRow, IntoArguments, QueryBuilder, Type};
use wamm_domain::capi::Click;
use wamm_domain::metrics::Fact;
use wamm_domain::{
    Attempt, DeliveryStatus, Email, Event, Message, NewEmail, NewEvent, OutboxItem, Outcome,
    Timestamp,
};
use wamm_wire::ids::{BusinessId, RequestId, WabaId};

use crate::convert::{count_from_db, db_count, db_id, db_id_opt, from_doc, id_from_db, to_doc};
use crate::document::RowsAffected;
use crate::outbox::{self, BatchInsert, BatchRow};
use crate::{ChangeSet, FactQuery, OutboxCounts, StoreError};

/// The journal's insert and upsert statements.
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
    /// Followed by `VALUES` rows of (`id`, `waba_id`, `steps_done`, `next_at`, `doc`) and
    /// [`MESSAGES_TAIL`].
    pub(crate) const MESSAGES: &str =
        "INSERT INTO messages (id, waba_id, steps_done, next_at, doc) ";
    pub(crate) const MESSAGES_TAIL: &str = " ON CONFLICT (id) DO UPDATE SET \
        steps_done = excluded.steps_done, next_at = excluded.next_at, doc = excluded.doc";
    pub(crate) const META: &str = "INSERT INTO meta (key, value) VALUES ($1, $2) \
        ON CONFLICT (key) DO UPDATE SET value = excluded.value";
    /// Followed by `VALUES` rows of (at, kind, subject, detail) and `RETURNING seq`.
    pub(crate) const EVENTS: &str = "INSERT INTO events (at, kind, subject, detail) ";
    pub(crate) const CLICK: &str = "INSERT INTO message_clicks (fbclid, campaign_ids, \
        message_id, waba_id, at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING";
    /// Sends emails: then `VALUES (to_address, business_id, request_id, subject, body, link,
    /// sent_at), …`.
    pub(crate) const EMAILS: &str = "INSERT INTO emails (to_address, business_id, request_id, \
        subject, body, link, sent_at) ";
}

/// Multi-row webhook statements, completed by a `QueryBuilder` with one `VALUES` tuple per row
/// (at most [`ROWS_PER_STATEMENT`](super::ROWS_PER_STATEMENT) of them).
pub(crate) mod webhook {
    /// Enqueues batches: then `VALUES (id, n, app_id, endpoint, items, 'pending', 0,
    /// next_attempt_at, created_at, lease_until), …`.
    pub(crate) const ENQUEUE: &str = "INSERT INTO webhook_batches (id, n, app_id, endpoint, \
        items, status, attempts, next_attempt_at, created_at, lease_until) ";
    /// Records attempts: then `VALUES (outbox_id, attempt, at, duration_ms, status_code, error,
    /// response_snippet), …` and [`ATTEMPTS_TAIL`]. An attempt already recorded is kept.
    pub(crate) const ATTEMPTS: &str = "INSERT INTO webhook_attempts (outbox_id, attempt, at, \
        duration_ms, status_code, error, response_snippet) ";
    /// Ends [`ATTEMPTS`].
    pub(crate) const ATTEMPTS_TAIL: &str = " ON CONFLICT (outbox_id, attempt) DO NOTHING";
    /// Marks delivered: then `VALUES (id, delivered_at, attempts), …` and [`UPDATE_TAIL`];
    /// whatever the row's status.
    pub(crate) const DELIVERED: &str = "UPDATE webhook_batches SET status = 'delivered', \
        delivered_at = v.column2, attempts = v.column3, lease_until = NULL, last_error = NULL \
        FROM (";
    /// Schedules a retry: then `VALUES (id, attempts, next_attempt_at, last_error, lease), …`
    /// and [`RETRY_TAIL`].
    pub(crate) const RETRY: &str = "UPDATE webhook_batches SET attempts = v.column2, \
        next_attempt_at = v.column3, lease_until = NULL, last_error = v.column4 FROM (";
    /// Gives up: then `VALUES (id, attempts, last_error, lease), …` and [`DROP_TAIL`].
    pub(crate) const DROP: &str = "UPDATE webhook_batches SET status = 'dropped', \
        attempts = v.column2, lease_until = NULL, last_error = v.column3 FROM (";
    /// Ends [`DELIVERED`].
    pub(crate) const UPDATE_TAIL: &str = ") AS v WHERE webhook_batches.id = v.column1";
    /// Ends [`RETRY`]: rows no longer pending, or claimed again under another lease than the
    /// one the result was obtained under, are left alone.
    pub(crate) const RETRY_TAIL: &str = ") AS v WHERE webhook_batches.id = v.column1 \
        AND webhook_batches.status = 'pending' \
        AND (v.column5 IS NULL OR webhook_batches.lease_until = v.column5)";
    /// Ends [`DROP`], as [`RETRY_TAIL`] does.
    pub(crate) const DROP_TAIL: &str = ") AS v WHERE webhook_batches.id = v.column1 \
        AND webhook_batches.status = 'pending' \
        AND (v.column4 IS NULL OR webhook_batches.lease_until = v.column4)";
    /// Makes the batch holding item `$2` pending again, due at `$1`.
    pub(crate) const REDELIVER: &str = "UPDATE webhook_batches SET status = 'pending', \
        next_attempt_at = $1, lease_until = NULL \
        WHERE id = (SELECT MAX(id) FROM webhook_batches WHERE id <= $2) AND id + n > $2";
}

/// Guard statements: each claims its condition and must touch exactly one row.
pub(crate) mod guard {
    /// Followed by `VALUES` rows of (id, steps done, next step's time) and
    /// [`MESSAGE_STEPS_TAIL`]: a row whose step count moved on meanwhile is not touched.
    pub(crate) const MESSAGE_STEPS: &str = "UPDATE messages SET \
        steps_done = messages.steps_done + 1, next_at = v.column3 FROM (";
    pub(crate) const MESSAGE_STEPS_TAIL: &str = ") AS v \
        WHERE messages.id = v.column1 AND messages.steps_done = v.column2";
}

/// Read statements.
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
    /// A click's columns: `fbclid`, `campaign_ids`, `message_id`, `waba_id`, `at`.
    pub(crate) const CLICK_BY_FBCLID: &str = "SELECT fbclid, campaign_ids, message_id, waba_id, \
        at FROM message_clicks WHERE fbclid = $1";
    pub(crate) const CLICK_BY_CAMPAIGN_IDS: &str = "SELECT fbclid, campaign_ids, message_id, \
        waba_id, at FROM message_clicks WHERE campaign_ids = $1";
    /// A message's columns: the steps it took (the document keeps the count the send wrote),
    /// then its document.
    pub(crate) const MESSAGE: &str =
        "SELECT CAST(steps_done AS BIGINT), doc FROM messages WHERE id = $1";
    /// A WABA's messages in the order they were accepted (`rowid`: SQLite's own row number,
    /// a numbering column of that name on PostgreSQL), each with its position.
    pub(crate) const MESSAGES_OF_WABA: &str = "SELECT CAST(steps_done AS BIGINT), doc, \
        CAST(rowid AS BIGINT) FROM messages WHERE waba_id = $1 AND rowid > $2 \
        ORDER BY rowid LIMIT $3";
    pub(crate) const MESSAGES_DUE: &str = "SELECT CAST(steps_done AS BIGINT), doc \
        FROM messages WHERE next_at IS NOT NULL AND next_at <= $1 ORDER BY next_at LIMIT $2";
    /// The batches holding an item after `$1` (`$3`: the lowest batch ID that can), by ID.
    pub(crate) const OUTBOX_AFTER: &str = "SELECT id, n, app_id, endpoint, items, status, \
        attempts, next_attempt_at, created_at, delivered_at, last_error FROM webhook_batches \
        WHERE id >= $3 AND id + n - 1 > $1 ORDER BY id LIMIT $2";
    pub(crate) const OUTBOX_RECENT: &str = "SELECT id, n, app_id, endpoint, items, status, \
        attempts, next_attempt_at, created_at, delivered_at, last_error FROM webhook_batches \
        ORDER BY id DESC LIMIT $1";
    /// [`OUTBOX_AFTER`] in status `$4`.
    pub(crate) const OUTBOX_IN_STATUS_AFTER: &str = "SELECT id, n, app_id, endpoint, items, \
        status, attempts, next_attempt_at, created_at, delivered_at, last_error \
        FROM webhook_batches WHERE id >= $3 AND id + n - 1 > $1 AND status = $4 \
        ORDER BY id LIMIT $2";
    /// The batch that would hold item `$1`: the last one starting at or before it.
    pub(crate) const OUTBOX_BATCH_OF: &str = "SELECT id, n, app_id, endpoint, items, status, \
        attempts, next_attempt_at, created_at, delivered_at, last_error FROM webhook_batches \
        WHERE id <= $1 ORDER BY id DESC LIMIT 1";
    pub(crate) const ATTEMPTS_OF: &str = "SELECT outbox_id, attempt, at, duration_ms, \
        status_code, error, response_snippet FROM webhook_attempts WHERE outbox_id = $1 \
        ORDER BY attempt";
    pub(crate) const OUTBOX_COUNTS: &str =
        "SELECT status, CAST(SUM(n) AS BIGINT) FROM webhook_batches GROUP BY status";
    pub(crate) const NEXT_DUE_WEBHOOK: &str =
        "SELECT MIN(next_attempt_at) FROM webhook_batches WHERE status = 'pending'";
    pub(crate) const EVENTS_AFTER: &str = "SELECT seq, at, kind, subject, detail FROM events \
        WHERE seq > $1 ORDER BY seq LIMIT $2";
    pub(crate) const EVENTS_RECENT: &str =
        "SELECT seq, at, kind, subject, detail FROM events ORDER BY seq DESC LIMIT $1";
    pub(crate) const META: &str = "SELECT value FROM meta WHERE key = $1";
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
pub(crate) fn click_from_row(row: ClickRow) -> Result<Click, StoreError> {
    let (fbclid, campaign_ids, message_id, waba_id, at) = row;
    Ok(Click {
        fbclid,
        campaign_ids,
        message_id,
        waba_id: WabaId::new(id_from_db(waba_id)?),
        at: Timestamp::from_millis(at),
    })
}

/// A message row: the steps taken, then the document.
pub(crate) type MessageRow = (i64, String);

/// A message from its row: the document with the stored step count and the status that
/// follows from it (a step claims its count without rewriting the document).
pub(crate) fn message_from_row((steps_done, doc): MessageRow) -> Result<Message, StoreError> {
    let steps_done = u32::try_from(steps_done)
        .map_err(|_| StoreError::Invalid(format!("message step count {steps_done}")))?;
    Ok(from_doc::<Message>(&doc)?.after_steps(steps_done))
}

/// An event row: seq, at, kind, subject, detail (JSON text).
pub(crate) type EventRow = (i64, i64, String, String, String);

/// The setting holding the world's rate card (empty: the default card).
pub(crate) const RATE_CARD_KEY: &str = "rate_card";

/// Facts with each key once, their counts summed (one statement may not upsert a row twice),
/// in key order.
pub(crate) fn summed<'a>(facts: impl Iterator<Item = &'a Fact>) -> Vec<Fact> {
    let mut by_key = std::collections::BTreeMap::new();
    for f in facts {
        *by_key
            .entry(f.key)
            .or_insert_with(wamm_domain::metrics::Counts::default) += f.counts;
    }
    by_key
        .into_iter()
        .map(|(key, counts)| Fact { key, counts })
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
    pub(crate) fn of(f: &Fact) -> Result<Self, StoreError> {
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
    query: &FactQuery,
    rows: Vec<FactTuple>,
) -> Result<Vec<Fact>, StoreError> {
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
pub(crate) fn last_of_each(puts: Vec<&Message>) -> Vec<&Message> {
    let mut at = std::collections::HashMap::with_capacity(puts.len());
    let mut out: Vec<&Message> = Vec::with_capacity(puts.len());
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

/// Rows per multi-row statement: 500 rows of at most 11 parameters stay far below both
/// SQLite's (32766) and PostgreSQL's (65535) bound-parameter limits.
pub(crate) const ROWS_PER_STATEMENT: usize = 500;

/// An attempt row: `outbox_id`, `attempt`, `at`, `duration_ms`, `status_code`, `error`,
/// `response_snippet`.
pub(crate) type AttemptRow = (i64, i32, i64, i64, Option<i32>, Option<String>, String);

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

/// The `status` column of `webhook_batches`.
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

/// The value before a `reserve` of `n` that left `after`.
pub(crate) fn before_reserve(after: i64, n: i64) -> Result<i64, StoreError> {
    after
        .checked_sub(n)
        .ok_or_else(|| StoreError::Invalid(format!("reserved counter {after} underflows by {n}")))
}
/// The journal on one database.
pub(crate) trait Journal: Database {
    /// Upserts messages (each ID at most once), many to a statement.
    fn put_messages(
        conn: &mut Self::Connection,
        messages: &[&Message],
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Claims message steps (each moving its message to its next step's time), many to a
    /// statement; every one must match exactly.
    fn claim_steps(
        conn: &mut Self::Connection,
        steps: &[(&str, u32, Option<i64>)],
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Adds facts' counts to their rows, many to a statement.
    fn add_facts(
        conn: &mut Self::Connection,
        facts: &[Fact],
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Appends events, many to a statement; returns their sequence numbers in order.
    fn insert_events(
        conn: &mut Self::Connection,
        events: &[&NewEvent],
    ) -> impl Future<Output = Result<Vec<i64>, StoreError>> + Send;

    /// Writes a setting.
    fn put_meta(
        conn: &mut Self::Connection,
        key: &str,
        value: &str,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Enqueues the webhooks of `sets` in batches ([`outbox::plan`]), pending, due when their
    /// latest item is and leased as their change sets ask, IDs reserved for all at once.
    /// Answers, for each set, the items of the leased batches it opened, as written: the
    /// deliveries that fall to it.
    fn enqueue_webhooks(
        conn: &mut Self::Connection,
        sets: &[ChangeSet],
    ) -> impl Future<Output = Result<Vec<Vec<OutboxItem>>, StoreError>> + Send;

    /// Puts emails in the mailbox, in order, a chunk of rows per statement.
    fn send_emails(
        conn: &mut Self::Connection,
        emails: &[NewEmail],
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Indexes a link click (the same click again is kept as first written).
    fn put_click(
        conn: &mut Self::Connection,
        click: &Click,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Adds `n` to the counter `key`; returns the value before.
    fn reserve(
        conn: &mut Self::Connection,
        key: String,
        n: i64,
    ) -> impl Future<Output = Result<i64, StoreError>> + Send;

    /// Leases due webhooks with the backend's claim statement (see [`Write::Claim`]).
    ///
    /// [`Write::Claim`]: crate::engine::Write::Claim
    fn claim_webhooks(
        conn: &mut Self::Connection,
        claim: &'static str,
        now: Timestamp,
        wall_ms: i64,
        lease_ms: i64,
        limit: i64,
    ) -> impl Future<Output = Result<Vec<OutboxItem>, StoreError>> + Send;

    /// Records attempts (keeping any already recorded), a chunk per statement.
    fn record_attempts(
        conn: &mut Self::Connection,
        attempts: &[(AttemptColumns, Outcome)],
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Applies the outcomes of `attempts`: deliveries first, so a retry or drop of the same
    /// row in the same batch finds it no longer pending.
    fn apply_outcomes(
        conn: &mut Self::Connection,
        attempts: &[(AttemptColumns, Outcome)],
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Makes an outbox row pending again, due at `now`; whether there was such a row.
    fn redeliver(
        conn: &mut Self::Connection,
        id: i64,
        now: Timestamp,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// Up to `limit` events with `seq > after_seq`, oldest first.
    fn events(
        conn: &mut Self::Connection,
        after_seq: i64,
        limit: i64,
    ) -> impl Future<Output = Result<Vec<Event>, StoreError>> + Send;

    /// The `limit` newest events, newest first.
    fn recent_events(
        conn: &mut Self::Connection,
        limit: i64,
    ) -> impl Future<Output = Result<Vec<Event>, StoreError>> + Send;

    /// A setting.
    fn meta(
        conn: &mut Self::Connection,
        key: &str,
    ) -> impl Future<Output = Result<Option<String>, StoreError>> + Send;

    /// Up to `limit` outbox rows with `id > after_id` (in `status` when given), by ID.
    fn outbox(
        conn: &mut Self::Connection,
        status: Option<DeliveryStatus>,
        after_id: i64,
        limit: i64,
    ) -> impl Future<Output = Result<Vec<OutboxItem>, StoreError>> + Send;

    /// The newest `limit` outbox rows, newest first.
    fn recent_outbox(
        conn: &mut Self::Connection,
        limit: i64,
    ) -> impl Future<Output = Result<Vec<OutboxItem>, StoreError>> + Send;

    /// An outbox row by ID.
    fn outbox_item(
        conn: &mut Self::Connection,
        id: i64,
    ) -> impl Future<Output = Result<Option<OutboxItem>, StoreError>> + Send;

    /// The attempts of the batch holding an outbox item, by attempt number.
    fn attempts_of(
        conn: &mut Self::Connection,
        outbox_id: i64,
    ) -> impl Future<Output = Result<Vec<Attempt>, StoreError>> + Send;

    /// How many outbox rows are in each status.
    fn outbox_counts(
        conn: &mut Self::Connection,
    ) -> impl Future<Output = Result<OutboxCounts, StoreError>> + Send;

    /// When the earliest pending delivery is due.
    fn next_due_webhook(
        conn: &mut Self::Connection,
    ) -> impl Future<Output = Result<Option<Timestamp>, StoreError>> + Send;

    /// Up to `limit` emails with `id > after_id` (sent to `to` when given), by ID.
    fn emails(
        conn: &mut Self::Connection,
        to: Option<&str>,
        after_id: i64,
        limit: i64,
    ) -> impl Future<Output = Result<Vec<Email>, StoreError>> + Send;

    /// A message by ID.
    fn message(
        conn: &mut Self::Connection,
        id: &str,
    ) -> impl Future<Output = Result<Option<Message>, StoreError>> + Send;

    /// Up to `limit` messages of `waba` after position `after`, in the order they were
    /// accepted, each with its position.
    fn messages_of_waba(
        conn: &mut Self::Connection,
        waba: WabaId,
        after: i64,
        limit: i64,
    ) -> impl Future<Output = Result<Vec<(i64, Message)>, StoreError>> + Send;

    /// Up to `limit` messages whose next step is due by `now`, earliest first.
    fn messages_due(
        conn: &mut Self::Connection,
        now: Timestamp,
        limit: i64,
    ) -> impl Future<Output = Result<Vec<Message>, StoreError>> + Send;

    /// The facts `query` selects.
    fn facts(
        conn: &mut Self::Connection,
        query: &FactQuery,
    ) -> impl Future<Output = Result<Vec<Fact>, StoreError>> + Send;

    /// The click `sql` finds by `key` (its fbclid or its `campaign_ids`).
    fn click_by(
        conn: &mut Self::Connection,
        sql: &'static str,
        key: &str,
    ) -> impl Future<Output = Result<Option<Click>, StoreError>> + Send;
}

impl<DB> Journal for DB
where
    DB: Database,
    DB::Arguments: IntoArguments<DB>,
    DB::QueryResult: RowsAffected,
    usize: sqlx::ColumnIndex<DB::Row>,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'v> i64: Encode<'v, DB> + Type<DB> + Decode<'v, DB>,
    for<'v> i32: Encode<'v, DB> + Type<DB>,
    for<'v> bool: Encode<'v, DB> + Type<DB>,
    for<'v> String: Encode<'v, DB> + Type<DB> + Decode<'v, DB>,
    for<'v> &'v str: Encode<'v, DB> + Type<DB>,
    for<'v> Option<i64>: Encode<'v, DB> + Type<DB>,
    for<'v> Option<i32>: Encode<'v, DB> + Type<DB>,
    for<'v> Option<&'v str>: Encode<'v, DB> + Type<DB>,
    for<'r> (i64,): FromRow<'r, DB::Row>,
    for<'r> (Option<i64>,): FromRow<'r, DB::Row>,
    for<'r> (String,): FromRow<'r, DB::Row>,
    for<'r> (String, i64): FromRow<'r, DB::Row>,
    for<'r> BatchRow: FromRow<'r, DB::Row>,
    for<'r> AttemptRow: FromRow<'r, DB::Row>,
    for<'r> EventRow: FromRow<'r, DB::Row>,
    for<'r> EmailRow: FromRow<'r, DB::Row>,
    for<'r> ClickRow: FromRow<'r, DB::Row>,
{
    async fn put_messages(
        conn: &mut Self::Connection,
        messages: &[&Message],
    ) -> Result<(), StoreError> {
        for chunk in messages.chunks(ROWS_PER_STATEMENT) {
            let rows = chunk
                .iter()
                .map(|m| {
                    Ok::<_, StoreError>((
                        m.id.as_str(),
                        db_id(m.waba_id.get())?,
                        i64::from(m.steps_done),
                        m.next_at().map(Timestamp::millis),
                        to_doc(m)?,
                    ))
                })
                .collect::<Result<Vec<_>, _>>()?;
            let mut query = QueryBuilder::<DB>::new(put::MESSAGES);
            query.push_values(rows, |mut row, (id, waba, steps, next_at, doc)| {
                row.push_bind(id)
                    .push_bind(waba)
                    .push_bind(steps)
                    .push_bind(next_at)
                    .push_bind(doc);
            });
            query.push(put::MESSAGES_TAIL);
            query.build().execute(&mut *conn).await?;
        }
        Ok(())
    }

    async fn claim_steps(
        conn: &mut Self::Connection,
        steps: &[(&str, u32, Option<i64>)],
    ) -> Result<(), StoreError> {
        for chunk in steps.chunks(ROWS_PER_STATEMENT) {
            let mut query = QueryBuilder::<DB>::new(guard::MESSAGE_STEPS);
            query.push_values(chunk, |mut row, (id, done, next_at)| {
                row.push_bind(*id)
                    .push_bind(i64::from(*done))
                    .push_bind(*next_at);
            });
            query.push(guard::MESSAGE_STEPS_TAIL);
            let done = query.build().execute(&mut *conn).await?;
            if usize::try_from(done.rows_affected()).ok() != Some(chunk.len()) {
                return Err(StoreError::Conflict(crate::Conflict::MessageStepClaimed));
            }
        }
        Ok(())
    }

    async fn add_facts(conn: &mut Self::Connection, facts: &[Fact]) -> Result<(), StoreError> {
        for chunk in facts.chunks(ROWS_PER_STATEMENT) {
            let rows = chunk
                .iter()
                .map(FactRow::of)
                .collect::<Result<Vec<_>, _>>()?;
            let mut query = QueryBuilder::<DB>::new(put::FACTS);
            query.push_values(rows, |mut row, f| {
                row.push_bind(f.waba_id)
                    .push_bind(f.template_id)
                    .push_bind(f.phone_number_id)
                    .push_bind(f.day)
                    .push_bind(f.local_day)
                    .push_bind(f.route)
                    .push_bind(f.category)
                    .push_bind(f.country);
                for n in counters_of(&f.counts) {
                    row.push_bind(n);
                }
            });
            query.push(put::FACTS_TAIL);
            query.build().execute(&mut *conn).await?;
        }
        Ok(())
    }

    async fn insert_events(
        conn: &mut Self::Connection,
        events: &[&NewEvent],
    ) -> Result<Vec<i64>, StoreError> {
        let mut seqs = Vec::with_capacity(events.len());
        for chunk in events.chunks(ROWS_PER_STATEMENT) {
            let rows = chunk
                .iter()
                .map(|e| Ok::<_, StoreError>((e, to_doc(&e.detail)?)))
                .collect::<Result<Vec<_>, _>>()?;
            let mut query = QueryBuilder::<DB>::new(put::EVENTS);
            query.push_values(rows, |mut row, (e, detail)| {
                row.push_bind(e.at.millis())
                    .push_bind(e.kind.as_str())
                    .push_bind(e.subject.as_str())
                    .push_bind(detail);
            });
            query.push(" RETURNING seq");
            let mut got: Vec<i64> = query.build_query_scalar().fetch_all(&mut *conn).await?;
            // Rows take increasing sequence numbers in the order they are listed, whatever
            // order the database returns them in.
            got.sort_unstable();
            seqs.extend(got);
        }
        Ok(seqs)
    }

    async fn put_meta(
        conn: &mut Self::Connection,
        key: &str,
        value: &str,
    ) -> Result<(), StoreError> {
        sqlx::query(put::META)
            .bind(key)
            .bind(value)
            .execute(&mut *conn)
            .await?;
        Ok(())
    }

    async fn enqueue_webhooks(
        conn: &mut Self::Connection,
        sets: &[ChangeSet],
    ) -> Result<Vec<Vec<OutboxItem>>, StoreError> {
        let mut answers: Vec<Vec<OutboxItem>> = vec![Vec::new(); sets.len()];
        let batches = outbox::plan(sets);
        let total: usize = batches.iter().map(|b| b.members.len()).sum();
        if total == 0 {
            return Ok(answers);
        }
        let total = i64::try_from(total)
            .map_err(|_| StoreError::Invalid("too many webhooks in one commit".into()))?;
        let mut next = Self::reserve(conn, outbox::IDS_KEY.to_owned(), total).await? + 1;
        let mut rows = Vec::with_capacity(batches.len());
        for batch in &batches {
            let row = BatchInsert::of(batch, next)?;
            next += i64::from(row.n);
            if batch.lease.is_some()
                && let Some((owner, _)) = batch.members.first()
            {
                answers[*owner].extend(outbox::enqueued(batch, row.id, &row));
            }
            rows.push((row, batch));
        }
        for chunk in rows.chunks(ROWS_PER_STATEMENT) {
            let mut query = QueryBuilder::<DB>::new(webhook::ENQUEUE);
            query.push_values(chunk, |mut row, (b, planned)| {
                row.push_bind(b.id)
                    .push_bind(b.n)
                    .push_bind(b.app_id)
                    .push_bind(planned.endpoint)
                    .push_bind(b.items.as_str())
                    .push("'pending'")
                    .push("0")
                    .push_bind(b.due)
                    .push_bind(b.created)
                    .push_bind(planned.lease);
            });
            query.build().execute(&mut *conn).await?;
        }
        Ok(answers)
    }

    async fn send_emails(
        conn: &mut Self::Connection,
        emails: &[NewEmail],
    ) -> Result<(), StoreError> {
        let rows = emails
            .iter()
            .map(EmailColumns::of)
            .collect::<Result<Vec<_>, _>>()?;
        for chunk in rows.chunks(ROWS_PER_STATEMENT) {
            let mut query = QueryBuilder::<DB>::new(put::EMAILS);
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

    async fn put_click(conn: &mut Self::Connection, v: &Click) -> Result<(), StoreError> {
        sqlx::query(put::CLICK)
            .bind(v.fbclid.as_str())
            .bind(v.campaign_ids.as_str())
            .bind(v.message_id.as_str())
            .bind(db_id(v.waba_id.get())?)
            .bind(v.at.millis())
            .execute(&mut *conn)
            .await?;
        Ok(())
    }

    async fn reserve(conn: &mut Self::Connection, key: String, n: i64) -> Result<i64, StoreError> {
        let after: i64 = sqlx::query_scalar(get::RESERVE)
            .bind(key)
            .bind(n.to_string())
            .bind(n)
            .fetch_one(&mut *conn)
            .await?;
        before_reserve(after, n)
    }

    async fn claim_webhooks(
        conn: &mut Self::Connection,
        claim: &'static str,
        now: Timestamp,
        wall_ms: i64,
        lease_ms: i64,
        limit: i64,
    ) -> Result<Vec<OutboxItem>, StoreError> {
        let rows: Vec<BatchRow> = sqlx::query_as(claim)
            .bind(lease_end(wall_ms, lease_ms)?)
            .bind(now.millis())
            .bind(wall_ms)
            .bind(limit)
            .fetch_all(&mut *conn)
            .await?;
        outbox::items_of_rows(rows)
    }

    async fn record_attempts(
        conn: &mut Self::Connection,
        attempts: &[(AttemptColumns, Outcome)],
    ) -> Result<(), StoreError> {
        for chunk in attempts.chunks(ROWS_PER_STATEMENT) {
            let mut query = QueryBuilder::<DB>::new(webhook::ATTEMPTS);
            query.push_values(chunk, |mut row, (a, _)| {
                row.push_bind(a.outbox_id)
                    .push_bind(a.attempt)
                    .push_bind(a.at)
                    .push_bind(a.duration_ms)
                    .push_bind(a.status_code)
                    .push_bind(a.error.as_deref())
                    .push_bind(a.response_snippet.as_str());
            });
            query.push(webhook::ATTEMPTS_TAIL);
            query.build().execute(&mut *conn).await?;
        }
        Ok(())
    }

    async fn apply_outcomes(
        conn: &mut Self::Connection,
        attempts: &[(AttemptColumns, Outcome)],
    ) -> Result<(), StoreError> {
        let delivered: Vec<&AttemptColumns> = attempts
            .iter()
            .filter(|(_, o)| matches!(o, Outcome::Delivered))
            .map(|(a, _)| a)
            .collect();
        let retried: Vec<(&AttemptColumns, i64)> = attempts
            .iter()
            .filter_map(|(a, o)| match o {
                Outcome::Retry { next_attempt_at } => Some((a, next_attempt_at.millis())),
                Outcome::Delivered | Outcome::Drop => None,
            })
            .collect();
        let dropped: Vec<&AttemptColumns> = attempts
            .iter()
            .filter(|(_, o)| matches!(o, Outcome::Drop))
            .map(|(a, _)| a)
            .collect();
        for chunk in delivered.chunks(ROWS_PER_STATEMENT) {
            let mut query = QueryBuilder::<DB>::new(webhook::DELIVERED);
            query.push_values(chunk, |mut row, a| {
                row.push_bind(a.outbox_id)
                    .push_bind(a.at)
                    .push_bind(a.attempt);
            });
            query.push(webhook::UPDATE_TAIL);
            query.build().execute(&mut *conn).await?;
        }
        for chunk in retried.chunks(ROWS_PER_STATEMENT) {
            let mut query = QueryBuilder::<DB>::new(webhook::RETRY);
            query.push_values(chunk, |mut row, (a, next_attempt_at)| {
                row.push_bind(a.outbox_id)
                    .push_bind(a.attempt)
                    .push_bind(*next_attempt_at)
                    .push_bind(a.error.as_deref())
                    .push_bind(a.lease);
            });
            query.push(webhook::RETRY_TAIL);
            query.build().execute(&mut *conn).await?;
        }
        for chunk in dropped.chunks(ROWS_PER_STATEMENT) {
            let mut query = QueryBuilder::<DB>::new(webhook::DROP);
            query.push_values(chunk, |mut row, a| {
                row.push_bind(a.outbox_id)
                    .push_bind(a.attempt)
                    .push_bind(a.error.as_deref())
                    .push_bind(a.lease);
            });
            query.push(webhook::DROP_TAIL);
            query.build().execute(&mut *conn).await?;
        }
        Ok(())
    }

    async fn redeliver(
        conn: &mut Self::Connection,
        id: i64,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(webhook::REDELIVER)
            .bind(now.millis())
            .bind(id)
            .execute(&mut *conn)
            .await?;
        Ok(done.rows_affected() > 0)
    }

    async fn events(
        conn: &mut Self::Connection,
        after_seq: i64,
        limit: i64,
    ) -> Result<Vec<Event>, StoreError> {
        let rows: Vec<EventRow> = sqlx::query_as(get::EVENTS_AFTER)
            .bind(after_seq)
            .bind(limit)
            .fetch_all(&mut *conn)
            .await?;
        rows.into_iter().map(event_from_row).collect()
    }

    async fn recent_events(
        conn: &mut Self::Connection,
        limit: i64,
    ) -> Result<Vec<Event>, StoreError> {
        let rows: Vec<EventRow> = sqlx::query_as(get::EVENTS_RECENT)
            .bind(limit)
            .fetch_all(&mut *conn)
            .await?;
        rows.into_iter().map(event_from_row).collect()
    }

    async fn meta(conn: &mut Self::Connection, key: &str) -> Result<Option<String>, StoreError> {
        Ok(sqlx::query_scalar(get::META)
            .bind(key)
            .fetch_optional(&mut *conn)
            .await?)
    }

    async fn outbox(
        conn: &mut Self::Connection,
        status: Option<DeliveryStatus>,
        after_id: i64,
        limit: i64,
    ) -> Result<Vec<OutboxItem>, StoreError> {
        let lowest = outbox::lowest_batch_holding(after_id.saturating_add(1));
        // Every batch holds an item, so `limit` batches (the first perhaps in part) are enough.
        let batches = limit.saturating_add(1);
        let rows: Vec<BatchRow> = match status {
            Some(status) => {
                sqlx::query_as(get::OUTBOX_IN_STATUS_AFTER)
                    .bind(after_id)
                    .bind(batches)
                    .bind(lowest)
                    .bind(status_text(status))
                    .fetch_all(&mut *conn)
                    .await?
            }
            None => {
                sqlx::query_as(get::OUTBOX_AFTER)
                    .bind(after_id)
                    .bind(batches)
                    .bind(lowest)
                    .fetch_all(&mut *conn)
                    .await?
            }
        };
        let mut items = outbox::items_of_rows(rows)?;
        items.retain(|item| item.id > after_id);
        items.truncate(usize::try_from(limit).unwrap_or(0));
        Ok(items)
    }

    async fn recent_outbox(
        conn: &mut Self::Connection,
        limit: i64,
    ) -> Result<Vec<OutboxItem>, StoreError> {
        let rows: Vec<BatchRow> = sqlx::query_as(get::OUTBOX_RECENT)
            .bind(limit)
            .fetch_all(&mut *conn)
            .await?;
        // Decoding sorts by ID; the console wants the newest first.
        let mut items = outbox::items_of_rows(rows)?;
        items.reverse();
        items.truncate(usize::try_from(limit).unwrap_or(0));
        Ok(items)
    }

    async fn outbox_item(
        conn: &mut Self::Connection,
        id: i64,
    ) -> Result<Option<OutboxItem>, StoreError> {
        let row: Option<BatchRow> = sqlx::query_as(get::OUTBOX_BATCH_OF)
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?;
        let Some(row) = row else { return Ok(None) };
        Ok(outbox::items_of(row)?
            .into_iter()
            .find(|item| item.id == id))
    }

    async fn attempts_of(
        conn: &mut Self::Connection,
        outbox_id: i64,
    ) -> Result<Vec<Attempt>, StoreError> {
        let Some(item) = Self::outbox_item(conn, outbox_id).await? else {
            return Ok(Vec::new());
        };
        let rows: Vec<AttemptRow> = sqlx::query_as(get::ATTEMPTS_OF)
            .bind(item.batch)
            .fetch_all(&mut *conn)
            .await?;
        rows.into_iter().map(attempt_from_row).collect()
    }

    async fn outbox_counts(conn: &mut Self::Connection) -> Result<OutboxCounts, StoreError> {
        let rows: Vec<(String, i64)> = sqlx::query_as(get::OUTBOX_COUNTS)
            .fetch_all(&mut *conn)
            .await?;
        let mut counts = OutboxCounts::default();
        for (status, n) in rows {
            match status_from_text(&status)? {
                DeliveryStatus::Pending => counts.pending = n,
                DeliveryStatus::Delivered => counts.delivered = n,
                DeliveryStatus::Dropped => counts.dropped = n,
            }
        }
        Ok(counts)
    }

    async fn next_due_webhook(
        conn: &mut Self::Connection,
    ) -> Result<Option<Timestamp>, StoreError> {
        let due: Option<i64> = sqlx::query_scalar(get::NEXT_DUE_WEBHOOK)
            .fetch_one(&mut *conn)
            .await?;
        Ok(due.map(Timestamp::from_millis))
    }

    async fn emails(
        conn: &mut Self::Connection,
        to: Option<&str>,
        after_id: i64,
        limit: i64,
    ) -> Result<Vec<Email>, StoreError> {
        let rows: Vec<EmailRow> = match to {
            Some(to) => {
                sqlx::query_as(get::EMAILS_TO_AFTER)
                    .bind(to)
                    .bind(after_id)
                    .bind(limit)
                    .fetch_all(&mut *conn)
                    .await?
            }
            None => {
                sqlx::query_as(get::EMAILS_AFTER)
                    .bind(after_id)
                    .bind(limit)
                    .fetch_all(&mut *conn)
                    .await?
            }
        };
        rows.into_iter().map(email_from_row).collect()
    }

    async fn message(conn: &mut Self::Connection, id: &str) -> Result<Option<Message>, StoreError> {
        let row: Option<MessageRow> = sqlx::query_as(get::MESSAGE)
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?;
        row.map(message_from_row).transpose()
    }

    async fn messages_of_waba(
        conn: &mut Self::Connection,
        waba: WabaId,
        after: i64,
        limit: i64,
    ) -> Result<Vec<(i64, Message)>, StoreError> {
        let rows: Vec<(i64, String, i64)> = sqlx::query_as(get::MESSAGES_OF_WABA)
            .bind(db_id(waba.get())?)
            .bind(after)
            .bind(limit)
            .fetch_all(&mut *conn)
            .await?;
        rows.into_iter()
            .map(|(steps, doc, at)| Ok((at, message_from_row((steps, doc))?)))
            .collect()
    }

    async fn messages_due(
        conn: &mut Self::Connection,
        now: Timestamp,
        limit: i64,
    ) -> Result<Vec<Message>, StoreError> {
        let rows: Vec<MessageRow> = sqlx::query_as(get::MESSAGES_DUE)
            .bind(now.millis())
            .bind(limit)
            .fetch_all(&mut *conn)
            .await?;
        rows.into_iter().map(message_from_row).collect()
    }

    async fn facts(
        conn: &mut Self::Connection,
        query: &FactQuery,
    ) -> Result<Vec<Fact>, StoreError> {
        use sqlx::Row as _;
        let sql = if query.by_local_day {
            get::FACTS_BY_LOCAL_DAY
        } else {
            get::FACTS
        };
        let rows = sqlx::query(sql)
            .bind(db_id(query.waba_id.get())?)
            .bind(query.from.0)
            .bind(query.until.0)
            .fetch_all(&mut *conn)
            .await?;
        let mut read = Vec::with_capacity(rows.len());
        for r in &rows {
            let mut counters = [0_i64; COUNTERS];
            for (i, slot) in counters.iter_mut().enumerate() {
                *slot = r.try_get(6 + i)?;
            }
            read.push(FactTuple {
                key: (
                    r.try_get(0)?,
                    r.try_get(1)?,
                    r.try_get(2)?,
                    r.try_get(3)?,
                    r.try_get(4)?,
                    r.try_get(5)?,
                ),
                counters,
                local_day: r.try_get(6 + COUNTERS)?,
            });
        }
        facts_from_rows(query, read)
    }

    async fn click_by(
        conn: &mut Self::Connection,
        sql: &'static str,
        key: &str,
    ) -> Result<Option<Click>, StoreError> {
        let row: Option<ClickRow> = sqlx::query_as(sql)
            .bind(key)
            .fetch_optional(&mut *conn)
            .await?;
        row.map(click_from_row).transpose()
    }
}
