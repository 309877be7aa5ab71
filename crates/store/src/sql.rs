//! The [`Store`] on any [`Engine`], written once: applying change sets (guards, then
//! documents, then the journal), replacing and exporting the world, and every read.

use sqlx::Database;
use sqlx::pool::PoolConnection;
use wamm_domain::assignment::WabaAssignment;
use wamm_domain::capi::{Click, Pixel, ReceivedEvent};
use wamm_domain::metrics::Fact;
use wamm_domain::solution::{Solution, SolutionMigration};
use wamm_domain::{
    App, AppSubscription, Attempt, AuthCode, Business, DeliveryResult, DeliveryStatus, Email,
    Event, Message, NewEvent, OnboardingRequest, OutboxItem, PhoneNumber, SystemUser, Template,
    TemplateGroup, Timestamp, TokenRecord, Waba, WabaSubscription, WorldState,
};
use wamm_wire::ids::{
    AppId, BusinessId, MigrationIntentId, PhoneNumberId, PixelId, RequestId, SolutionId,
    TemplateId, UserId, WabaId,
};

use crate::convert::{db_id, from_doc, to_doc};
use crate::document::{Column, Documents, Statement, Value};
use crate::documents::{self as docs, query};
use crate::engine::{Engine, Write, Written, write_error};
use crate::journal::{self, AttemptColumns, Journal, RATE_CARD_KEY};
use crate::{
    Backend, ChangeSet, Committed, Delete, FactQuery, Guard, OutboxCounts, Put, Store, StoreError,
};

/// Everything `replace_world` clears: every world table, the event log, the webhook outbox,
/// onboarding requests and emails, not `meta`.
const WIPE: [&str; 27] = [
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
    "DELETE FROM webhook_batches",
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

/// Upserts one value (messages go to the journal, many to a statement, in [`apply`]).
async fn put<DB: Documents + Journal>(
    conn: &mut DB::Connection,
    put: &Put,
) -> Result<(), StoreError> {
    match put {
        Put::App(v) => DB::put(conn, v).await,
        Put::Business(v) => DB::put(conn, v).await,
        Put::SystemUser(v) => DB::put(conn, v).await,
        Put::Waba(v) => DB::put(conn, v).await,
        Put::PhoneNumber(v) => DB::put(conn, v).await,
        Put::Template(v) => DB::put(conn, v).await,
        Put::Token(v) => DB::put(conn, v).await,
        Put::Subscription(v) => DB::put(conn, v).await,
        Put::AppSubscription(v) => DB::put(conn, v).await,
        Put::Request(v) => DB::put(conn, v).await,
        Put::Solution(v) => DB::put(conn, v).await,
        Put::TemplateGroup(v) => DB::put(conn, v).await,
        Put::MigrationIntent(v) => DB::put(conn, v).await,
        Put::Assignment(v) => DB::put(conn, v).await,
        Put::Pixel(v) => DB::put(conn, v).await,
        Put::PixelEvent(v) => DB::put(conn, v).await,
        Put::AuthCode(v) => DB::put(conn, v).await,
        Put::Message(v) => DB::put_messages(conn, &[v]).await,
        Put::Click(v) => DB::put_click(conn, v).await,
    }
}

/// Claims `guard`: [`StoreError::Conflict`] with its [`Conflict`](crate::Conflict) when it
/// does not hold.
async fn guard<DB: Documents + Journal>(
    conn: &mut DB::Connection,
    guard: &Guard,
) -> Result<(), StoreError> {
    if let Guard::MessageStep { id, done, next_at } = guard {
        // Message steps are the journal's, claimed many to a statement.
        return DB::claim_steps(
            conn,
            &[(id.as_str(), *done, next_at.map(Timestamp::millis))],
        )
        .await;
    }
    let claimed = match docs::guard_statement(guard)? {
        Some(statement) => DB::execute(conn, statement).await? == 1,
        None => true,
    };
    if claimed {
        Ok(())
    } else {
        Err(StoreError::Conflict(guard.conflict()))
    }
}

/// Applies one removal.
async fn delete<DB: Documents>(
    conn: &mut DB::Connection,
    delete: &Delete,
) -> Result<(), StoreError> {
    match delete {
        Delete::Template(id) => DB::remove::<Template>(conn, vec![id.value()?]).await,
        Delete::Subscription { waba, app } => {
            DB::remove::<WabaSubscription>(conn, vec![waba.value()?, app.value()?]).await
        }
        Delete::AppSubscription { app, object } => {
            DB::remove::<AppSubscription>(conn, vec![app.value()?, object.as_str().value()?]).await
        }
        Delete::Assignment { waba, user } => {
            DB::remove::<WabaAssignment>(conn, vec![waba.value()?, user.value()?]).await
        }
    }
}

/// Applies change sets as if one after another, each's guards first, then puts (messages
/// last, many to a statement), deletes, settings, events (many to a statement), webhooks and
/// emails. Returns each set's event sequence numbers and the deliveries that fall to it (see
/// [`crate::Committed::outbox`]).
///
/// Several sets at once run each kind of write for all of them together: callers pass several
/// only when none deletes, and take a failure as a failure of all.
pub(crate) async fn apply<DB: Documents + Journal>(
    conn: &mut DB::Connection,
    sets: &[ChangeSet],
) -> Result<Vec<(Vec<i64>, Vec<OutboxItem>)>, StoreError> {
    let mut steps = Vec::new();
    for g in sets.iter().flat_map(|c| &c.guards) {
        match g {
            Guard::MessageStep { id, done, next_at } => {
                steps.push((id.as_str(), *done, next_at.map(Timestamp::millis)));
            }
            other => guard::<DB>(conn, other).await?,
        }
    }
    DB::claim_steps(conn, &steps).await?;
    let mut messages = Vec::new();
    for p in sets.iter().flat_map(|c| &c.puts) {
        match p {
            Put::Message(m) => messages.push(m),
            other => put::<DB>(conn, other).await?,
        }
    }
    DB::put_messages(conn, &journal::last_of_each(messages)).await?;
    let facts = journal::summed(sets.iter().flat_map(|c| &c.facts));
    DB::add_facts(conn, &facts).await?;
    for d in sets.iter().flat_map(|c| &c.deletes) {
        delete::<DB>(conn, d).await?;
    }
    for (key, value) in sets.iter().flat_map(|c| &c.meta) {
        DB::put_meta(conn, key, value).await?;
    }
    let events: Vec<&NewEvent> = sets.iter().flat_map(|c| &c.events).collect();
    let mut seqs = DB::insert_events(conn, &events).await?.into_iter();
    let outbox = DB::enqueue_webhooks(conn, sets).await?;
    for c in sets {
        DB::send_emails(conn, &c.emails).await?;
    }
    Ok(sets
        .iter()
        .zip(outbox)
        .map(|(c, outbox)| (seqs.by_ref().take(c.events.len()).collect(), outbox))
        .collect())
}

/// Applies `write` on `conn` (inside whatever transaction the caller holds).
pub(crate) async fn run<E: Engine>(
    conn: &mut <E::Db as Database>::Connection,
    write: Write,
) -> Result<Written, StoreError> {
    match write {
        Write::Commit(changes) => {
            let mut written = apply::<E::Db>(conn, std::slice::from_ref(&changes)).await?;
            let (seqs, outbox) = written.pop().unwrap_or_default();
            Ok(Written::Enqueued { seqs, outbox })
        }
        Write::Reserve { key, n } => E::Db::reserve(conn, key, n).await.map(Written::Reserved),
        Write::Claim {
            now,
            wall_ms,
            lease_ms,
            limit,
        } => E::Db::claim_webhooks(conn, E::CLAIM, now, wall_ms, lease_ms, limit)
            .await
            .map(Written::Claimed),
        Write::Finish(attempts) => {
            E::Db::record_attempts(conn, &attempts).await?;
            E::Db::apply_outcomes(conn, &attempts).await?;
            Ok(Written::Done)
        }
        Write::Redeliver { id, now } => E::Db::redeliver(conn, id, now).await.map(Written::Changed),
        Write::World(world) => {
            load_world::<E::Db>(conn, &world).await?;
            Ok(Written::Done)
        }
    }
}

/// Clears the world (see [`WIPE`]) and writes `world`.
async fn load_world<DB: Documents + Journal>(
    conn: &mut DB::Connection,
    world: &WorldState,
) -> Result<(), StoreError> {
    for sql in WIPE {
        DB::execute(conn, Statement::new(sql, Vec::new())).await?;
    }
    for v in &world.businesses {
        DB::put(conn, v).await?;
    }
    for v in &world.apps {
        DB::put(conn, v).await?;
    }
    for v in &world.system_users {
        DB::put(conn, v).await?;
    }
    for v in &world.wabas {
        DB::put(conn, v).await?;
    }
    for v in &world.phone_numbers {
        DB::put(conn, v).await?;
    }
    for v in &world.templates {
        DB::put(conn, v).await?;
    }
    for v in &world.tokens {
        DB::put(conn, v).await?;
    }
    for v in &world.subscriptions {
        DB::put(conn, v).await?;
    }
    for v in &world.app_subscriptions {
        DB::put(conn, v).await?;
    }
    for v in &world.assignments {
        DB::put(conn, v).await?;
    }
    for v in &world.pixels {
        DB::put(conn, v).await?;
    }
    // The rate card is a setting: an empty value stands for the default card.
    let card = match &world.rate_card {
        Some(card) => to_doc(card)?,
        None => String::new(),
    };
    DB::put_meta(conn, RATE_CARD_KEY, &card).await
}

/// A connection of the pool, for one read.
async fn conn<E: Engine>(engine: &E) -> Result<PoolConnection<E::Db>, StoreError> {
    Ok(engine.pool().acquire().await?)
}

/// Applies `write` (see [`Engine::write`]), naming unique violations.
async fn written<E: Engine>(engine: &E, write: Write) -> Result<Written, StoreError> {
    engine
        .write(write)
        .await
        .map_err(|e| write_error(e, E::conflict))
}

#[async_trait::async_trait]
impl<E: Engine> Store for E {
    fn backend(&self) -> Backend {
        E::BACKEND
    }

    async fn commit(&self, changes: ChangeSet) -> Result<Vec<i64>, StoreError> {
        written(self, Write::Commit(changes)).await?.seqs()
    }

    async fn commit_delivering(&self, changes: ChangeSet) -> Result<Committed, StoreError> {
        let (events, outbox) = written(self, Write::Commit(changes)).await?.enqueued()?;
        Ok(Committed { events, outbox })
    }

    async fn replace_world(&self, world: &WorldState) -> Result<(), StoreError> {
        written(self, Write::World(Box::new(world.clone())))
            .await?
            .done()
    }

    async fn export_world(&self) -> Result<WorldState, StoreError> {
        let mut tx = self.begin_read().await?;
        let world = WorldState {
            apps: E::Db::all(&mut tx).await?,
            businesses: E::Db::all(&mut tx).await?,
            system_users: E::Db::all(&mut tx).await?,
            wabas: E::Db::all(&mut tx).await?,
            phone_numbers: E::Db::all(&mut tx).await?,
            templates: E::Db::all(&mut tx).await?,
            tokens: E::Db::all(&mut tx).await?,
            subscriptions: E::Db::all(&mut tx).await?,
            app_subscriptions: E::Db::all(&mut tx).await?,
            assignments: E::Db::all(&mut tx).await?,
            pixels: E::Db::all(&mut tx).await?,
            rate_card: None,
        };
        let card = E::Db::meta(&mut tx, RATE_CARD_KEY).await?;
        let world = WorldState {
            rate_card: card
                .filter(|c| !c.is_empty())
                .as_deref()
                .map(from_doc)
                .transpose()?,
            ..world
        };
        tx.rollback().await?;
        Ok(world)
    }

    async fn is_empty(&self) -> Result<bool, StoreError> {
        let count = E::Db::count(&mut *conn(self).await?, query::ENTITY_COUNT).await?;
        Ok(count == 0)
    }

    async fn app(&self, id: AppId) -> Result<Option<App>, StoreError> {
        E::Db::get(&mut *conn(self).await?, &id).await
    }

    async fn apps(&self) -> Result<Vec<App>, StoreError> {
        E::Db::all(&mut *conn(self).await?).await
    }

    async fn business(&self, id: BusinessId) -> Result<Option<Business>, StoreError> {
        E::Db::get(&mut *conn(self).await?, &id).await
    }

    async fn businesses(&self) -> Result<Vec<Business>, StoreError> {
        E::Db::all(&mut *conn(self).await?).await
    }

    async fn system_user(&self, id: UserId) -> Result<Option<SystemUser>, StoreError> {
        E::Db::get(&mut *conn(self).await?, &id).await
    }

    async fn system_users_of(&self, business: BusinessId) -> Result<Vec<SystemUser>, StoreError> {
        E::Db::list(&mut *conn(self).await?, docs::SYSTEM_USERS_OF, &business).await
    }

    async fn waba(&self, id: WabaId) -> Result<Option<Waba>, StoreError> {
        E::Db::get(&mut *conn(self).await?, &id).await
    }

    async fn wabas(&self) -> Result<Vec<Waba>, StoreError> {
        E::Db::all(&mut *conn(self).await?).await
    }

    async fn wabas_owned_by(&self, business: BusinessId) -> Result<Vec<Waba>, StoreError> {
        E::Db::list(&mut *conn(self).await?, docs::WABAS_OWNED_BY, &business).await
    }

    async fn wabas_held_by_partner(&self, partner: BusinessId) -> Result<Vec<Waba>, StoreError> {
        let statement = Statement::new(query::WABAS_HELD_BY_PARTNER, vec![partner.value()?]);
        E::Db::select(&mut *conn(self).await?, statement).await
    }

    async fn phone_number(&self, id: PhoneNumberId) -> Result<Option<PhoneNumber>, StoreError> {
        E::Db::get(&mut *conn(self).await?, &id).await
    }

    async fn phone_numbers_of(&self, waba: WabaId) -> Result<Vec<PhoneNumber>, StoreError> {
        E::Db::list(&mut *conn(self).await?, docs::PHONE_NUMBERS_OF, &waba).await
    }

    async fn template(&self, id: TemplateId) -> Result<Option<Template>, StoreError> {
        E::Db::get(&mut *conn(self).await?, &id).await
    }

    async fn templates_of(&self, waba: WabaId) -> Result<Vec<Template>, StoreError> {
        E::Db::list(&mut *conn(self).await?, docs::TEMPLATES_OF, &waba).await
    }

    async fn token_by_hash(&self, hash: &str) -> Result<Option<TokenRecord>, StoreError> {
        E::Db::get(&mut *conn(self).await?, hash).await
    }

    async fn tokens_of_app(&self, app: AppId) -> Result<Vec<TokenRecord>, StoreError> {
        E::Db::list(&mut *conn(self).await?, docs::TOKENS_OF_APP, &app).await
    }

    async fn subscriptions_of(&self, waba: WabaId) -> Result<Vec<WabaSubscription>, StoreError> {
        E::Db::list(&mut *conn(self).await?, docs::SUBSCRIPTIONS_OF, &waba).await
    }

    async fn app_subscriptions(&self, app: AppId) -> Result<Vec<AppSubscription>, StoreError> {
        E::Db::list(&mut *conn(self).await?, docs::APP_SUBSCRIPTIONS_OF, &app).await
    }

    async fn assignments_of_waba(&self, waba: WabaId) -> Result<Vec<WabaAssignment>, StoreError> {
        E::Db::list(&mut *conn(self).await?, docs::ASSIGNMENTS_OF_WABA, &waba).await
    }

    async fn assignments_of_user(&self, user: UserId) -> Result<Vec<WabaAssignment>, StoreError> {
        E::Db::list(&mut *conn(self).await?, docs::ASSIGNMENTS_OF_USER, &user).await
    }

    async fn events(&self, after_seq: i64, limit: i64) -> Result<Vec<Event>, StoreError> {
        E::Db::events(&mut *conn(self).await?, after_seq, limit).await
    }

    async fn recent_events(&self, limit: i64) -> Result<Vec<Event>, StoreError> {
        E::Db::recent_events(&mut *conn(self).await?, limit).await
    }

    async fn meta(&self, key: &str) -> Result<Option<String>, StoreError> {
        E::Db::meta(&mut *conn(self).await?, key).await
    }

    async fn reserve(&self, key: &str, n: i64) -> Result<i64, StoreError> {
        written(
            self,
            Write::Reserve {
                key: key.to_owned(),
                n,
            },
        )
        .await?
        .reserved()
    }

    async fn claim_webhooks(
        &self,
        now: Timestamp,
        wall_ms: i64,
        lease_ms: i64,
        limit: i64,
    ) -> Result<Vec<OutboxItem>, StoreError> {
        written(
            self,
            Write::Claim {
                now,
                wall_ms,
                lease_ms,
                limit,
            },
        )
        .await?
        .claimed()
    }

    async fn finish_deliveries(&self, results: Vec<DeliveryResult>) -> Result<(), StoreError> {
        if results.is_empty() {
            return Ok(());
        }
        let attempts = results
            .iter()
            .map(|r| {
                let mut columns = AttemptColumns::of(&r.attempt)?;
                columns.lease = r.lease_until;
                Ok::<_, StoreError>((columns, r.outcome))
            })
            .collect::<Result<Vec<_>, _>>()?;
        written(self, Write::Finish(attempts)).await?.done()
    }

    async fn outbox(
        &self,
        status: Option<DeliveryStatus>,
        after_id: i64,
        limit: i64,
    ) -> Result<Vec<OutboxItem>, StoreError> {
        E::Db::outbox(&mut *conn(self).await?, status, after_id, limit).await
    }

    async fn recent_outbox(&self, limit: i64) -> Result<Vec<OutboxItem>, StoreError> {
        E::Db::recent_outbox(&mut *conn(self).await?, limit).await
    }

    async fn outbox_item(&self, id: i64) -> Result<Option<OutboxItem>, StoreError> {
        E::Db::outbox_item(&mut *conn(self).await?, id).await
    }

    async fn attempts_of(&self, outbox_id: i64) -> Result<Vec<Attempt>, StoreError> {
        E::Db::attempts_of(&mut *conn(self).await?, outbox_id).await
    }

    async fn redeliver(&self, id: i64, now: Timestamp) -> Result<bool, StoreError> {
        written(self, Write::Redeliver { id, now }).await?.changed()
    }

    async fn outbox_counts(&self) -> Result<OutboxCounts, StoreError> {
        E::Db::outbox_counts(&mut *conn(self).await?).await
    }

    async fn next_due_webhook(&self) -> Result<Option<Timestamp>, StoreError> {
        E::Db::next_due_webhook(&mut *conn(self).await?).await
    }

    async fn request(&self, id: RequestId) -> Result<Option<OnboardingRequest>, StoreError> {
        E::Db::get(&mut *conn(self).await?, &id).await
    }

    async fn requests_of(&self, client: BusinessId) -> Result<Vec<OnboardingRequest>, StoreError> {
        E::Db::list(&mut *conn(self).await?, docs::REQUESTS_OF, &client).await
    }

    async fn requests(&self) -> Result<Vec<OnboardingRequest>, StoreError> {
        E::Db::all(&mut *conn(self).await?).await
    }

    async fn due_reminders(&self, now: Timestamp) -> Result<Vec<OnboardingRequest>, StoreError> {
        let statement = Statement::new(query::DUE_REMINDERS, vec![Value::Int(now.millis())]);
        E::Db::select(&mut *conn(self).await?, statement).await
    }

    async fn emails(
        &self,
        to: Option<&str>,
        after_id: i64,
        limit: i64,
    ) -> Result<Vec<Email>, StoreError> {
        E::Db::emails(&mut *conn(self).await?, to, after_id, limit).await
    }

    async fn setups_due(&self, now: Timestamp) -> Result<Vec<Waba>, StoreError> {
        let statement = Statement::new(query::SETUPS_DUE, vec![Value::Int(now.millis())]);
        E::Db::select(&mut *conn(self).await?, statement).await
    }

    async fn auth_code(&self, hash: &str) -> Result<Option<AuthCode>, StoreError> {
        E::Db::get(&mut *conn(self).await?, hash).await
    }

    async fn message(&self, id: &str) -> Result<Option<Message>, StoreError> {
        E::Db::message(&mut *conn(self).await?, id).await
    }

    async fn ad_object(
        &self,
        id: u64,
    ) -> Result<Option<wamm_domain::ads::AdObjectRef>, StoreError> {
        // An ID beyond the database's range was never stored.
        let Ok(key) = db_id(id) else {
            return Ok(None);
        };
        let statement = Statement::new(query::AD_OBJECT, vec![Value::Int(key)]);
        E::Db::ad_object_row(&mut *conn(self).await?, statement)
            .await?
            .map(|row| docs::ad_object_of(id, row))
            .transpose()
    }

    async fn facts(&self, query: &FactQuery) -> Result<Vec<Fact>, StoreError> {
        E::Db::facts(&mut *conn(self).await?, query).await
    }

    async fn messages_of_waba(
        &self,
        waba: WabaId,
        after: i64,
        limit: i64,
    ) -> Result<Vec<(i64, Message)>, StoreError> {
        E::Db::messages_of_waba(&mut *conn(self).await?, waba, after, limit).await
    }

    async fn messages_due(&self, now: Timestamp, limit: i64) -> Result<Vec<Message>, StoreError> {
        E::Db::messages_due(&mut *conn(self).await?, now, limit).await
    }

    async fn solution(&self, id: SolutionId) -> Result<Option<Solution>, StoreError> {
        E::Db::get(&mut *conn(self).await?, &id).await
    }

    async fn template_groups_of(&self, waba: WabaId) -> Result<Vec<TemplateGroup>, StoreError> {
        E::Db::list(&mut *conn(self).await?, docs::TEMPLATE_GROUPS_OF, &waba).await
    }

    async fn solutions_of_app(&self, app: AppId) -> Result<Vec<Solution>, StoreError> {
        let statement = Statement::new(query::SOLUTIONS_OF_APP, vec![app.value()?]);
        E::Db::select(&mut *conn(self).await?, statement).await
    }

    async fn migration_intent(
        &self,
        id: MigrationIntentId,
    ) -> Result<Option<SolutionMigration>, StoreError> {
        E::Db::get(&mut *conn(self).await?, &id).await
    }

    async fn migration_intents_of(
        &self,
        waba: WabaId,
    ) -> Result<Vec<SolutionMigration>, StoreError> {
        E::Db::list(&mut *conn(self).await?, docs::MIGRATION_INTENTS_OF, &waba).await
    }

    async fn migrations_due(&self, now: Timestamp) -> Result<Vec<SolutionMigration>, StoreError> {
        let statement = Statement::new(query::MIGRATIONS_DUE, vec![Value::Int(now.millis())]);
        E::Db::select(&mut *conn(self).await?, statement).await
    }

    async fn pixel(&self, id: PixelId) -> Result<Option<Pixel>, StoreError> {
        E::Db::get(&mut *conn(self).await?, &id).await
    }

    async fn pixels_owned_by(&self, business: BusinessId) -> Result<Vec<Pixel>, StoreError> {
        E::Db::list(&mut *conn(self).await?, docs::PIXELS_OWNED_BY, &business).await
    }

    async fn click_by_fbclid(&self, fbclid: &str) -> Result<Option<Click>, StoreError> {
        E::Db::click_by(
            &mut *conn(self).await?,
            journal::get::CLICK_BY_FBCLID,
            fbclid,
        )
        .await
    }

    async fn click_by_campaign_ids(&self, campaign_ids: &str) -> Result<Option<Click>, StoreError> {
        E::Db::click_by(
            &mut *conn(self).await?,
            journal::get::CLICK_BY_CAMPAIGN_IDS,
            campaign_ids,
        )
        .await
    }

    async fn pixel_events(
        &self,
        pixel: PixelId,
        limit: i64,
    ) -> Result<Vec<ReceivedEvent>, StoreError> {
        let statement =
            Statement::new(query::PIXEL_EVENTS, vec![pixel.value()?, Value::Int(limit)]);
        E::Db::select(&mut *conn(self).await?, statement).await
    }
}
