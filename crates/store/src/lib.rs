//! Persistence for the wamm world, on SQLite or PostgreSQL behind one [`Store`] trait.
//!
//! Aggregates (apps, businesses, WABAs, …) are stored as JSON documents beside the key columns
//! that lookups use; rules never query inside the JSON. Every write goes through a
//! [`ChangeSet`], applied atomically by [`Store::commit`], so a rule's puts, deletes, settings,
//! event-log entries and enqueued webhooks land together or not at all.
//!
//! Webhook deliveries live in an outbox: [`ChangeSet::webhook`] enqueues them with the change
//! that caused them, dispatchers [`claim`](Store::claim_webhooks) due rows under a lease and
//! [`record`](Store::finish_deliveries) what each attempt did.
//!
//! Onboarding requests (Intent API) are stored beside the world, at most one pending per client
//! business; emails the platform sends land in a mailbox, committed with the change that sent
//! them.

mod cached;
mod convert;
mod document;
mod documents;
mod engine;
mod group;
mod journal;
mod outbox;
mod postgres;
mod sql;
mod sqlite;

use std::fmt;
use std::sync::Arc;

use wamm_domain::capi::{Click, Pixel, ReceivedEvent};
use wamm_domain::metrics::{Day, Fact};
use wamm_domain::solution::{Solution, SolutionMigration};
use wamm_domain::{
    App, AppSubscription, Attempt, AuthCode, Business, DeliveryResult, DeliveryStatus, Email,
    Event, Message, NewEmail, NewEvent, NewWebhook, OnboardingRequest, OutboxItem, PhoneNumber,
    SystemUser, Template, Timestamp, TokenRecord, Waba, WabaSubscription, WorldState,
};
use wamm_wire::ids::{
    AppId, BusinessId, MigrationIntentId, PhoneNumberId, PixelId, RequestId, SolutionId,
    TemplateId, UserId, WabaId,
};

pub use cached::CachedStore;
pub use postgres::PgStore;
pub use sqlite::SqliteStore;

/// The database engine behind a [`Store`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Backend {
    /// SQLite (a file, or in memory).
    Sqlite,
    /// PostgreSQL.
    Postgres,
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Sqlite => "sqlite",
            Self::Postgres => "postgres",
        })
    }
}

/// Which rule a refused write broke: a unique constraint of the schema, or a [`Guard`] that did
/// not hold.
///
/// Each displays as its snake-case name (the constraint's name in the schema, or the guard's),
/// so error texts read as the database names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Conflict {
    /// A second template with the same WABA, name and language (`templates_name_language`).
    TemplatesNameLanguage,
    /// A second pending onboarding request for the same client business
    /// (`onboarding_requests_one_pending`).
    OnboardingRequestsOnePending,
    /// A second migration intent in progress for the same WABA (`migration_intents_one_open`).
    MigrationIntentsOneOpen,
    /// A second dataset created for the same business (`pixels_one_dataset`).
    PixelsOneDataset,
    /// A unique constraint the database did not name, or none of the above (`unique`).
    Unique,
    /// [`Guard::WabaSetupPending`] failed: the setup webhook was already claimed
    /// (`waba_setup_claimed`).
    WabaSetupClaimed,
    /// [`Guard::CodeUnused`] failed: the code was already exchanged (`auth_code_used`).
    AuthCodeUsed,
    /// [`Guard::MessageStep`] failed: the step was already taken (`message_step_claimed`).
    MessageStepClaimed,
    /// [`Guard::ReminderDue`] failed: the reminder was already sent, or the request decided
    /// (`reminder_claimed`).
    ReminderClaimed,
    /// [`Guard::EventUnseen`] failed: the pixel saw the event within the window
    /// (`pixel_event_seen`).
    PixelEventSeen,
}

impl Conflict {
    /// Every conflict, in declaration order.
    pub const ALL: [Self; 10] = [
        Self::TemplatesNameLanguage,
        Self::OnboardingRequestsOnePending,
        Self::MigrationIntentsOneOpen,
        Self::PixelsOneDataset,
        Self::Unique,
        Self::WabaSetupClaimed,
        Self::AuthCodeUsed,
        Self::MessageStepClaimed,
        Self::ReminderClaimed,
        Self::PixelEventSeen,
    ];

    /// The snake-case name: the schema's constraint name, or the guard's.
    pub const fn name(self) -> &'static str {
        match self {
            Self::TemplatesNameLanguage => "templates_name_language",
            Self::OnboardingRequestsOnePending => "onboarding_requests_one_pending",
            Self::MigrationIntentsOneOpen => "migration_intents_one_open",
            Self::PixelsOneDataset => "pixels_one_dataset",
            Self::Unique => "unique",
            Self::WabaSetupClaimed => "waba_setup_claimed",
            Self::AuthCodeUsed => "auth_code_used",
            Self::MessageStepClaimed => "message_step_claimed",
            Self::ReminderClaimed => "reminder_claimed",
            Self::PixelEventSeen => "pixel_event_seen",
        }
    }

    /// The conflict a violated constraint of this name stands for; [`Conflict::Unique`] for a
    /// name the schema does not give one of its rules.
    pub(crate) fn of_constraint(name: &str) -> Self {
        [
            Self::TemplatesNameLanguage,
            Self::OnboardingRequestsOnePending,
            Self::MigrationIntentsOneOpen,
            Self::PixelsOneDataset,
        ]
        .into_iter()
        .find(|c| c.name() == name)
        .unwrap_or(Self::Unique)
    }
}

impl fmt::Display for Conflict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A unique constraint was violated, or a guard did not hold; says which (its text is the
    /// constraint's or guard's name, e.g. `templates_name_language`, or `unique` when the
    /// database does not say which).
    #[error("unique constraint {0} violated")]
    Conflict(Conflict),
    /// A stored or given value does not fit (e.g. an ID beyond the database's integer range).
    #[error("invalid stored value: {0}")]
    Invalid(String),
    /// The database failed.
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    /// Migrating the schema failed.
    #[error(transparent)]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// A document did not serialise or deserialise.
    #[error(transparent)]
    Json(#[from] serde_json::Error),
    /// The database URL names no supported backend.
    #[error("unsupported database url: {0}")]
    Url(String),
}

/// One write, applied atomically with the others of a [`ChangeSet`]; an upsert by primary key.
#[derive(Debug, Clone, PartialEq)]
pub enum Put {
    /// Insert or replace an app.
    App(App),
    /// Insert or replace a business portfolio.
    Business(Business),
    /// Insert or replace a system user.
    SystemUser(SystemUser),
    /// Insert or replace a WABA (and its partner index).
    Waba(Waba),
    /// Insert or replace a phone number.
    PhoneNumber(PhoneNumber),
    /// Insert or replace a template; a clash on (WABA, name, language) is a conflict.
    Template(Template),
    /// Insert or replace a token record (by hash).
    Token(TokenRecord),
    /// Insert or replace a WABA webhook subscription (by WABA and app).
    Subscription(WabaSubscription),
    /// Insert or replace an app's webhook subscription (by app and object).
    AppSubscription(AppSubscription),
    /// Insert or replace an onboarding request; a second pending request for the same client
    /// business is the conflict `onboarding_requests_one_pending`.
    Request(OnboardingRequest),
    /// Insert or replace an Embedded Signup authorization code (by hash).
    AuthCode(AuthCode),
    /// Insert or replace a message (by ID).
    Message(Message),
    /// Insert or replace a Multi-Partner Solution (by ID).
    Solution(Solution),
    /// Insert or replace a template group (by ID).
    TemplateGroup(wamm_domain::TemplateGroup),
    /// Insert or replace a migration intent (by ID); a second one in progress (INITIATED or
    /// ACCEPTED) for the same WABA is the conflict `migration_intents_one_open`.
    MigrationIntent(SolutionMigration),
    /// Insert or replace a system user's assignment to a WABA (by WABA and user).
    Assignment(wamm_domain::assignment::WabaAssignment),
    /// Insert or replace a pixel (by ID); a second dataset created for the same business is
    /// the conflict `pixels_one_dataset`.
    Pixel(Pixel),
    /// Index a link click by its fbclid and `campaign_ids` (the same click again is kept as
    /// first written).
    Click(Click),
    /// Record an event a pixel received (the same ID again is kept as first written).
    PixelEvent(ReceivedEvent),
}

/// A condition checked and claimed first in a [`ChangeSet`]: when it does not hold, nothing
/// is written and the commit is [`StoreError::Conflict`] with the guard's [`Conflict`]. Guards make
/// "only once" work across replicas without locks held between reads and writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Guard {
    /// The WABA still owes its setup webhook; claims it (`waba_setup_claimed` otherwise).
    WabaSetupPending(WabaId),
    /// The authorization code was never exchanged; marks it used at the time given
    /// (`auth_code_used` otherwise).
    CodeUnused {
        /// The code's hash.
        hash: String,
        /// When it is being used.
        at: Timestamp,
    },
    /// The onboarding request is still pending with its reminder due at exactly this time;
    /// claims the reminder (`reminder_claimed` otherwise), so that two passes of the scheduler
    /// (a timer and a clock move, or two replicas) send it once, and a decided request is never
    /// overwritten by a stale copy.
    ReminderDue {
        /// The request.
        request: RequestId,
        /// When its reminder was due, as the pass read it.
        due_at: Timestamp,
    },
    /// The message has done exactly this many steps; claims the next one and records when
    /// the one after is due (`message_step_claimed` otherwise). The claim is the whole write
    /// a step makes to its message: its document stays as the send wrote it, and reads give
    /// it the stored step count and the status that follows from its plan
    /// ([`Message::after_steps`]).
    MessageStep {
        /// The message ID.
        id: String,
        /// Steps done before this one.
        done: u32,
        /// When the step after this one is due; `None` when this is the last.
        next_at: Option<Timestamp>,
    },
    /// The pixel has not seen this event ID for this event name since `since`; records it as
    /// seen at `at` (`pixel_event_seen` otherwise). Deduplicates Conversions API events.
    EventUnseen {
        /// The pixel.
        pixel: PixelId,
        /// The event name.
        event_name: String,
        /// The event ID.
        event_id: String,
        /// When the event is received.
        at: Timestamp,
        /// The start of the deduplication window: an earlier sighting no longer counts.
        since: Timestamp,
    },
}

impl Guard {
    /// The conflict a failed guard commits with.
    pub const fn conflict(&self) -> Conflict {
        match self {
            Self::WabaSetupPending(_) => Conflict::WabaSetupClaimed,
            Self::CodeUnused { .. } => Conflict::AuthCodeUsed,
            Self::MessageStep { .. } => Conflict::MessageStepClaimed,
            Self::ReminderDue { .. } => Conflict::ReminderClaimed,
            Self::EventUnseen { .. } => Conflict::PixelEventSeen,
        }
    }
}

/// One removal, applied atomically with the rest of a [`ChangeSet`]; removing a missing row is
/// not an error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delete {
    /// Remove a template.
    Template(TemplateId),
    /// Remove an app's subscription to a WABA.
    Subscription {
        /// The WABA.
        waba: WabaId,
        /// The subscribed app.
        app: AppId,
    },
    /// Remove an app's webhook subscription for one object.
    AppSubscription {
        /// The app.
        app: AppId,
        /// The subscribed object, e.g. `whatsapp_business_account`.
        object: String,
    },
    /// Remove a system user's assignment to a WABA.
    Assignment {
        /// The WABA.
        waba: WabaId,
        /// The system user.
        user: UserId,
    },
}

/// Writes that land together or not at all: guards, then puts, then deletes, then settings,
/// then events, then webhooks, then emails.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ChangeSet {
    /// Conditions that must hold (and are claimed) before anything is written.
    pub guards: Vec<Guard>,
    /// Upserts, in order.
    pub puts: Vec<Put>,
    /// Removals, in order.
    pub deletes: Vec<Delete>,
    /// Event-log entries, in order.
    pub events: Vec<NewEvent>,
    /// Settings to write (key, value).
    pub meta: Vec<(String, String)>,
    /// Webhook deliveries to enqueue, in order (outbox IDs increase in this order).
    pub webhooks: Vec<NewWebhook>,
    /// Emails to put in the mailbox, in order (mailbox IDs increase in this order).
    pub emails: Vec<NewEmail>,
    /// Analytics facts to add to their rows' counters.
    pub facts: Vec<Fact>,
    /// When set, the webhooks are enqueued already leased until this wall-clock time (ms):
    /// the committing process delivers them itself, from memory, with no claim
    /// ([`Store::commit_delivering`]). Should it die first, the lease runs out and any
    /// dispatcher claims them, so delivery stays at least once.
    pub lease_until: Option<i64>,
}

impl ChangeSet {
    /// An empty change set.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds an upsert.
    #[must_use]
    pub fn put(mut self, put: Put) -> Self {
        self.puts.push(put);
        self
    }

    /// Appends everything `other` holds, after what this one holds.
    #[must_use]
    pub fn merge(mut self, other: Self) -> Self {
        self.guards.extend(other.guards);
        self.puts.extend(other.puts);
        self.deletes.extend(other.deletes);
        self.events.extend(other.events);
        self.meta.extend(other.meta);
        self.webhooks.extend(other.webhooks);
        self.emails.extend(other.emails);
        self.facts.extend(other.facts);
        self.lease_until = self.lease_until.or(other.lease_until);
        self
    }

    /// Adds a guard.
    #[must_use]
    pub fn guard(mut self, guard: Guard) -> Self {
        self.guards.push(guard);
        self
    }

    /// Adds a removal.
    #[must_use]
    pub fn delete(mut self, delete: Delete) -> Self {
        self.deletes.push(delete);
        self
    }

    /// Adds an event-log entry.
    #[must_use]
    pub fn event(mut self, event: NewEvent) -> Self {
        self.events.push(event);
        self
    }

    /// Adds a setting write.
    #[must_use]
    pub fn meta(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.meta.push((key.into(), value.into()));
        self
    }

    /// Enqueues the webhooks leased until `wall_ms` by the committing process (see
    /// [`ChangeSet::lease_until`]).
    #[must_use]
    pub const fn leased_until(mut self, wall_ms: i64) -> Self {
        self.lease_until = Some(wall_ms);
        self
    }

    /// Adds a webhook delivery to enqueue.
    #[must_use]
    pub fn webhook(mut self, webhook: NewWebhook) -> Self {
        self.webhooks.push(webhook);
        self
    }

    /// Adds webhook deliveries to enqueue, in order.
    #[must_use]
    pub fn webhooks(mut self, webhooks: impl IntoIterator<Item = NewWebhook>) -> Self {
        self.webhooks.extend(webhooks);
        self
    }

    /// Adds an email to send.
    #[must_use]
    pub fn email(mut self, email: NewEmail) -> Self {
        self.emails.push(email);
        self
    }

    /// Adds emails to send, in order.
    #[must_use]
    pub fn emails(mut self, emails: impl IntoIterator<Item = NewEmail>) -> Self {
        self.emails.extend(emails);
        self
    }

    /// Adds an analytics fact: its counts are added to its key's row.
    #[must_use]
    pub fn fact(mut self, fact: Fact) -> Self {
        self.facts.push(fact);
        self
    }

    /// Adds analytics facts (any number, an `Option` included).
    #[must_use]
    pub fn facts(mut self, facts: impl IntoIterator<Item = Fact>) -> Self {
        self.facts.extend(facts);
        self
    }

    /// Whether the change set writes nothing.
    pub fn is_empty(&self) -> bool {
        self.guards.is_empty()
            && self.puts.is_empty()
            && self.deletes.is_empty()
            && self.events.is_empty()
            && self.meta.is_empty()
            && self.webhooks.is_empty()
            && self.emails.is_empty()
            && self.facts.is_empty()
    }
}

/// Which analytics facts to read: a WABA's, over UTC days `from` (included) to `until`
/// (excluded), for some templates or all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FactQuery {
    /// The WABA.
    pub waba_id: WabaId,
    /// The first day.
    pub from: Day,
    /// The day after the last.
    pub until: Day,
    /// Only these templates; `None` for every message, with or without a template.
    pub templates: Option<Vec<TemplateId>>,
    /// Select by the day in the WABA's time zone rather than the UTC day.
    pub by_local_day: bool,
}

/// What a [`Store::commit_delivering`] wrote.
#[derive(Debug, Clone, PartialEq)]
pub struct Committed {
    /// The sequence numbers of its events, in order.
    pub events: Vec<i64>,
    /// The deliveries that fall to it, as written (IDs assigned, pending, no attempt yet), by
    /// ID: the items of every leased batch it opened. A batch it shares with change sets
    /// committed in the same group under the same lease holds their webhooks too, and theirs
    /// may hold some of its own, so each delivery is answered to exactly one of them.
    pub outbox: Vec<OutboxItem>,
}

/// How many outbox rows are in each delivery status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub struct OutboxCounts {
    /// Waiting for a (first or further) attempt.
    pub pending: i64,
    /// Acknowledged.
    pub delivered: i64,
    /// Given up.
    pub dropped: i64,
}

/// The world's storage. Lists come back sorted ascending by ID (tokens by hash, subscriptions
/// by WABA then app).
#[async_trait::async_trait]
pub trait Store: Send + Sync + 'static {
    /// Which database engine this is.
    fn backend(&self) -> Backend;

    /// Applies every put (upsert by primary key), delete, setting write, event insert, webhook
    /// enqueue (pending, due at its `time`) and email in one transaction. A unique violation
    /// rolls everything back and is [`StoreError::Conflict`] with the constraint name. Returns
    /// the sequence numbers assigned to the events, in order.
    async fn commit(&self, changes: ChangeSet) -> Result<Vec<i64>, StoreError>;

    /// Commits like [`Store::commit`] and answers the outbox rows its webhooks became, so that
    /// a process that leased them at enqueue ([`ChangeSet::lease_until`]) can deliver them
    /// without claiming them.
    async fn commit_delivering(&self, changes: ChangeSet) -> Result<Committed, StoreError>;

    /// Replaces the whole world in one transaction: removes every entity, every event, the
    /// whole webhook outbox with its attempts, every onboarding request, every email, every
    /// solution and migration intent (keeps settings), then inserts `world`.
    async fn replace_world(&self, world: &WorldState) -> Result<(), StoreError>;

    /// Every entity, each list sorted (by ID; tokens by hash; subscriptions by WABA, app; app
    /// subscriptions by app, object).
    async fn export_world(&self) -> Result<WorldState, StoreError>;

    /// Whether the store holds no businesses and no apps.
    async fn is_empty(&self) -> Result<bool, StoreError>;

    /// An app by ID.
    async fn app(&self, id: AppId) -> Result<Option<App>, StoreError>;

    /// Every app.
    async fn apps(&self) -> Result<Vec<App>, StoreError>;

    /// A business portfolio by ID.
    async fn business(&self, id: BusinessId) -> Result<Option<Business>, StoreError>;

    /// Every business portfolio.
    async fn businesses(&self) -> Result<Vec<Business>, StoreError>;

    /// A system user by ID.
    async fn system_user(&self, id: UserId) -> Result<Option<SystemUser>, StoreError>;

    /// The system users of a business portfolio.
    async fn system_users_of(&self, business: BusinessId) -> Result<Vec<SystemUser>, StoreError>;

    /// A WABA by ID.
    async fn waba(&self, id: WabaId) -> Result<Option<Waba>, StoreError>;

    /// Every WABA.
    async fn wabas(&self) -> Result<Vec<Waba>, StoreError>;

    /// The WABAs whose `owner_business_id` is `business`.
    async fn wabas_owned_by(&self, business: BusinessId) -> Result<Vec<Waba>, StoreError>;

    /// The WABAs that list `partner` among their partners.
    async fn wabas_held_by_partner(&self, partner: BusinessId) -> Result<Vec<Waba>, StoreError>;

    /// [`Store::wabas_owned_by`], shared rather than copied: what a caller that pages through
    /// a long list reads on every page.
    async fn wabas_owned_by_shared(
        &self,
        business: BusinessId,
    ) -> Result<Arc<Vec<Waba>>, StoreError> {
        Ok(Arc::new(self.wabas_owned_by(business).await?))
    }

    /// [`Store::wabas_held_by_partner`], shared rather than copied (see
    /// [`Store::wabas_owned_by_shared`]).
    async fn wabas_held_by_partner_shared(
        &self,
        partner: BusinessId,
    ) -> Result<Arc<Vec<Waba>>, StoreError> {
        Ok(Arc::new(self.wabas_held_by_partner(partner).await?))
    }

    /// A phone number by ID.
    async fn phone_number(&self, id: PhoneNumberId) -> Result<Option<PhoneNumber>, StoreError>;

    /// The phone numbers of a WABA.
    async fn phone_numbers_of(&self, waba: WabaId) -> Result<Vec<PhoneNumber>, StoreError>;

    /// A template by ID.
    async fn template(&self, id: TemplateId) -> Result<Option<Template>, StoreError>;

    /// The templates of a WABA.
    async fn templates_of(&self, waba: WabaId) -> Result<Vec<Template>, StoreError>;

    /// A token record by the hash of its token.
    async fn token_by_hash(&self, hash: &str) -> Result<Option<TokenRecord>, StoreError>;

    /// The token records issued to an app, by hash.
    async fn tokens_of_app(&self, app: AppId) -> Result<Vec<TokenRecord>, StoreError>;

    /// The apps subscribed to a WABA's webhooks, by app ID.
    async fn subscriptions_of(&self, waba: WabaId) -> Result<Vec<WabaSubscription>, StoreError>;

    /// An app's webhook subscriptions, by object.
    async fn app_subscriptions(&self, app: AppId) -> Result<Vec<AppSubscription>, StoreError>;

    /// The system users assigned to `waba`, by user ID.
    async fn assignments_of_waba(
        &self,
        waba: WabaId,
    ) -> Result<Vec<wamm_domain::assignment::WabaAssignment>, StoreError>;

    /// The WABAs `user` is assigned to, by WABA ID.
    async fn assignments_of_user(
        &self,
        user: UserId,
    ) -> Result<Vec<wamm_domain::assignment::WabaAssignment>, StoreError>;

    /// Up to `limit` events with `seq > after_seq`, oldest first.
    async fn events(&self, after_seq: i64, limit: i64) -> Result<Vec<Event>, StoreError>;

    /// The `limit` newest events, newest first.
    async fn recent_events(&self, limit: i64) -> Result<Vec<Event>, StoreError>;

    /// A setting.
    async fn meta(&self, key: &str) -> Result<Option<String>, StoreError>;

    /// Atomically adds `n` to the integer setting `key` (missing counts as 0) and returns the
    /// value before the add; safe with concurrent callers and processes.
    async fn reserve(&self, key: &str, n: i64) -> Result<i64, StoreError>;

    /// Atomically leases up to `limit` deliveries that are pending, due (`next_attempt_at <=
    /// now`, platform clock) and not leased (`lease_until` missing or before `wall_ms`, real
    /// time), lowest ID first, until `wall_ms + lease_ms`; returns them by ID. Safe with
    /// concurrent claimers in any number of processes: no row goes to two claimers while its
    /// lease lives.
    async fn claim_webhooks(
        &self,
        now: Timestamp,
        wall_ms: i64,
        lease_ms: i64,
        limit: i64,
    ) -> Result<Vec<OutboxItem>, StoreError>;

    /// Records attempts and their outcomes in one transaction, releasing the leases.
    ///
    /// `Delivered` always marks the row delivered; `Retry` and `Drop` only change rows still
    /// pending, so a late result never downgrades a delivered (or dropped) row. An attempt
    /// already recorded under the same (outbox ID, attempt number) is kept, not replaced.
    async fn finish_deliveries(&self, results: Vec<DeliveryResult>) -> Result<(), StoreError>;

    /// Up to `limit` outbox rows with `id > after_id` (in `status` when given), by ID.
    async fn outbox(
        &self,
        status: Option<DeliveryStatus>,
        after_id: i64,
        limit: i64,
    ) -> Result<Vec<OutboxItem>, StoreError>;

    /// The newest `limit` outbox rows, newest first (for the console).
    async fn recent_outbox(&self, limit: i64) -> Result<Vec<OutboxItem>, StoreError>;

    /// An outbox row by ID.
    async fn outbox_item(&self, id: i64) -> Result<Option<OutboxItem>, StoreError>;

    /// The attempts of an outbox row, by attempt number.
    async fn attempts_of(&self, outbox_id: i64) -> Result<Vec<Attempt>, StoreError>;

    /// Makes a row pending again, due at `now`, unleased (its attempt count stays); `false`
    /// when there is no such row.
    async fn redeliver(&self, id: i64, now: Timestamp) -> Result<bool, StoreError>;

    /// How many outbox rows are in each status.
    async fn outbox_counts(&self) -> Result<OutboxCounts, StoreError>;

    /// When the earliest pending delivery is due (platform clock), if any is pending.
    async fn next_due_webhook(&self) -> Result<Option<Timestamp>, StoreError>;

    /// An onboarding request by ID.
    async fn request(&self, id: RequestId) -> Result<Option<OnboardingRequest>, StoreError>;

    /// The onboarding requests made to a client business, by ID.
    async fn requests_of(&self, client: BusinessId) -> Result<Vec<OnboardingRequest>, StoreError>;

    /// Every onboarding request, by ID.
    async fn requests(&self) -> Result<Vec<OnboardingRequest>, StoreError>;

    /// The pending onboarding requests whose next reminder is due (`next_reminder_at <= now`),
    /// by ID.
    async fn due_reminders(&self, now: Timestamp) -> Result<Vec<OnboardingRequest>, StoreError>;

    /// Up to `limit` emails with `id > after_id` (sent to `to` when given), by ID.
    async fn emails(
        &self,
        to: Option<&str>,
        after_id: i64,
        limit: i64,
    ) -> Result<Vec<Email>, StoreError>;

    /// The WABAs still owing their setup webhook whose setup completes by `now`, by ID.
    async fn setups_due(&self, now: Timestamp) -> Result<Vec<Waba>, StoreError>;

    /// An Embedded Signup authorization code by hash.
    async fn auth_code(&self, hash: &str) -> Result<Option<AuthCode>, StoreError>;

    /// A message by ID.
    async fn message(&self, id: &str) -> Result<Option<Message>, StoreError>;

    /// Where the ad object `id` leads (an ad account, campaign, ad set or ad); `None` when no
    /// WABA or template ever carried it.
    async fn ad_object(&self, id: u64)
    -> Result<Option<wamm_domain::ads::AdObjectRef>, StoreError>;

    /// The facts `query` selects, one per key, sorted by template, day, phone number, route
    /// and category.
    async fn facts(&self, query: &FactQuery) -> Result<Vec<Fact>, StoreError>;

    /// Up to `limit` messages of `waba` after position `after` (0 for the first page), in the
    /// order they were accepted, each with its position: the next page starts after the last
    /// one's. A message stored again (a recipient acts) keeps its position.
    async fn messages_of_waba(
        &self,
        waba: WabaId,
        after: i64,
        limit: i64,
    ) -> Result<Vec<(i64, Message)>, StoreError>;

    /// Up to `limit` messages whose next step is due by `now`, earliest first.
    async fn messages_due(&self, now: Timestamp, limit: i64) -> Result<Vec<Message>, StoreError>;

    /// A Multi-Partner Solution by ID.
    async fn solution(&self, id: SolutionId) -> Result<Option<Solution>, StoreError>;

    /// The template groups of `waba`, by ID.
    async fn template_groups_of(
        &self,
        waba: WabaId,
    ) -> Result<Vec<wamm_domain::TemplateGroup>, StoreError>;

    /// The solutions `app` owns or is the partner app of, by ID.
    async fn solutions_of_app(&self, app: AppId) -> Result<Vec<Solution>, StoreError>;

    /// A migration intent by ID.
    async fn migration_intent(
        &self,
        id: MigrationIntentId,
    ) -> Result<Option<SolutionMigration>, StoreError>;

    /// The migration intents of a WABA, by ID.
    async fn migration_intents_of(
        &self,
        waba: WabaId,
    ) -> Result<Vec<SolutionMigration>, StoreError>;

    /// The ACCEPTED migration intents whose scheduled time is due by `now`, by ID.
    async fn migrations_due(&self, now: Timestamp) -> Result<Vec<SolutionMigration>, StoreError>;

    /// A pixel by ID.
    async fn pixel(&self, id: PixelId) -> Result<Option<Pixel>, StoreError>;

    /// The pixels `business` owns, by ID.
    async fn pixels_owned_by(&self, business: BusinessId) -> Result<Vec<Pixel>, StoreError>;

    /// The click whose fbclid is `fbclid`.
    async fn click_by_fbclid(&self, fbclid: &str) -> Result<Option<Click>, StoreError>;

    /// The click whose `campaign_ids` value is `campaign_ids`.
    async fn click_by_campaign_ids(&self, campaign_ids: &str) -> Result<Option<Click>, StoreError>;

    /// The newest `limit` events `pixel` received, newest first.
    async fn pixel_events(
        &self,
        pixel: PixelId,
        limit: i64,
    ) -> Result<Vec<ReceivedEvent>, StoreError>;
}

/// Connects by URL and migrates the schema.
///
/// Accepts `sqlite::memory:`, `sqlite:path.db` and `sqlite://path.db` (the file is created if
/// missing, in WAL mode) or `postgres://…` / `postgresql://…`, behind a [`CachedStore`].
pub async fn connect(url: &str) -> Result<Arc<dyn Store>, StoreError> {
    let inner: Box<dyn Store> = if url.starts_with("sqlite:") {
        Box::new(SqliteStore::connect(url).await?)
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Box::new(PgStore::connect(url).await?)
    } else {
        return Err(StoreError::Url(redact(url)));
    };
    Ok(Arc::new(CachedStore::new(inner)))
}

/// The URL without any password, for error messages.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let userinfo = &url[scheme_end + 3..at];
            match userinfo.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme_end + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_passwords_only() {
        assert_eq!(redact("mysql://u:secret@h/db"), "mysql://u:***@h/db");
        assert_eq!(redact("mysql://u@h/db"), "mysql://u@h/db");
        assert_eq!(redact("nonsense"), "nonsense");
    }

    #[test]
    fn conflicts_display_their_schema_and_guard_names() {
        let names: Vec<String> = Conflict::ALL.iter().map(ToString::to_string).collect();
        assert_eq!(
            names,
            [
                "templates_name_language",
                "onboarding_requests_one_pending",
                "migration_intents_one_open",
                "pixels_one_dataset",
                "unique",
                "waba_setup_claimed",
                "auth_code_used",
                "message_step_claimed",
                "reminder_claimed",
                "pixel_event_seen",
            ]
        );
        assert_eq!(
            StoreError::Conflict(Conflict::TemplatesNameLanguage).to_string(),
            "unique constraint templates_name_language violated"
        );
    }

    #[test]
    fn constraint_names_map_to_their_conflicts() {
        for c in [
            Conflict::TemplatesNameLanguage,
            Conflict::OnboardingRequestsOnePending,
            Conflict::MigrationIntentsOneOpen,
            Conflict::PixelsOneDataset,
        ] {
            assert_eq!(Conflict::of_constraint(c.name()), c);
        }
        // Guards are not constraints, and other constraints have no rule of their own.
        assert_eq!(
            Conflict::of_constraint("waba_setup_claimed"),
            Conflict::Unique
        );
        assert_eq!(Conflict::of_constraint("apps_pkey"), Conflict::Unique);
    }

    #[test]
    fn guards_name_their_conflicts() {
        let at = Timestamp::from_millis(0);
        let guards = [
            Guard::WabaSetupPending(WabaId::new(1)),
            Guard::CodeUnused {
                hash: String::new(),
                at,
            },
            Guard::MessageStep {
                id: String::new(),
                done: 0,
                next_at: None,
            },
            Guard::ReminderDue {
                request: RequestId::new(1),
                due_at: at,
            },
            Guard::EventUnseen {
                pixel: PixelId::new(1),
                event_name: String::new(),
                event_id: String::new(),
                at,
                since: at,
            },
        ];
        let names: Vec<&str> = guards.iter().map(|g| g.conflict().name()).collect();
        assert_eq!(
            names,
            [
                "waba_setup_claimed",
                "auth_code_used",
                "message_step_claimed",
                "reminder_claimed",
                "pixel_event_seen"
            ]
        );
    }

    #[test]
    fn backend_names() {
        assert_eq!(Backend::Sqlite.to_string(), "sqlite");
        assert_eq!(Backend::Postgres.to_string(), "postgres");
    }
}
