//! A read cache in front of a [`Store`]: the objects every Graph call looks up (tokens, apps,
//! system users, businesses, WABAs, phone numbers, a WABA's templates), where a WABA's webhooks
//! go (its subscribed apps, their subscriptions), and the WABAs a business owns or holds as a
//! partner (which every page of a WABA list reads whole) are served from memory.
//!
//! Staying correct within a process: every commit through the cache evicts the objects it
//! wrote, and bumps a generation; a read that started before a commit finished is not cached
//! (it may have seen the old row). Across replicas sharing a database an entry lives at most
//! [`TTL`], so another replica's change is seen within that time.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use wamm_domain::capi::{Click, Pixel, ReceivedEvent};
use wamm_domain::solution::{Solution, SolutionMigration};
use wamm_domain::{
    App, AppSubscription, Attempt, AuthCode, Business, DeliveryResult, DeliveryStatus, Email,
    Event, Message, OnboardingRequest, OutboxItem, PhoneNumber, SystemUser, Template, Timestamp,
    TokenRecord, Waba, WabaSubscription, WorldState,
};
use wamm_wire::ids::{
    AppId, BusinessId, MigrationIntentId, PhoneNumberId, PixelId, RequestId, SolutionId,
    TemplateId, UserId, WabaId,
};

use crate::{Backend, ChangeSet, Committed, Delete, OutboxCounts, Put, Store, StoreError};

/// How long an entry may serve reads (bounds staleness across replicas).
pub const TTL: Duration = Duration::from_secs(1);
/// Entries per map before it is emptied (bounds memory; the hot set refills at once).
const MAX_ENTRIES: usize = 100_000;

/// One map of cached reads.
struct Map<K, V> {
    entries: Mutex<HashMap<K, (V, Instant)>>,
}

impl<K: Eq + Hash + Clone, V: Clone> Map<K, V> {
    fn new() -> Self {
        Self {
            entries: Mutex::new(HashMap::new()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<K, (V, Instant)>> {
        self.entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn get(&self, key: &K) -> Option<V> {
        let map = self.lock();
        let (value, at) = map.get(key)?;
        (at.elapsed() < TTL).then(|| value.clone())
    }

    fn put(&self, key: K, value: V) {
        let mut map = self.lock();
        if map.len() >= MAX_ENTRIES {
            map.clear();
        }
        map.insert(key, (value, Instant::now()));
    }

    fn evict(&self, key: &K) {
        self.lock().remove(key);
    }

    fn clear(&self) {
        self.lock().clear();
    }
}

/// The cached entries a change set makes stale.
#[derive(Debug, Default)]
struct Stale {
    apps: Vec<AppId>,
    system_users: Vec<UserId>,
    businesses: Vec<BusinessId>,
    wabas: Vec<WabaId>,
    phones: Vec<PhoneNumberId>,
    tokens: Vec<String>,
    templates_of: Vec<WabaId>,
    subscriptions_of: Vec<WabaId>,
    app_subscriptions: Vec<AppId>,
    /// A deleted template's WABA is not named: every WABA's list goes.
    every_template_list: bool,
    /// A WABA was written: its owner or partners may have changed, so every business's WABA
    /// lists go.
    every_waba_list: bool,
}

impl Stale {
    fn of(changes: &ChangeSet) -> Self {
        let mut stale = Self::default();
        for put in &changes.puts {
            match put {
                Put::App(v) => stale.apps.push(v.id),
                Put::Business(v) => stale.businesses.push(v.id),
                Put::SystemUser(v) => stale.system_users.push(v.id),
                Put::Waba(v) => {
                    stale.wabas.push(v.id);
                    stale.every_waba_list = true;
                }
                Put::PhoneNumber(v) => stale.phones.push(v.id),
                Put::Template(v) => stale.templates_of.push(v.waba_id),
                Put::Token(v) => stale.tokens.push(v.hash.clone()),
                Put::Subscription(v) => stale.subscriptions_of.push(v.waba_id),
                Put::AppSubscription(v) => stale.app_subscriptions.push(v.app_id),
                // Assignments are read uncached.
                Put::Request(_)
                | Put::AuthCode(_)
                | Put::Message(_)
                | Put::Solution(_)
                | Put::TemplateGroup(_)
                | Put::MigrationIntent(_)
                | Put::Assignment(_)
                | Put::Pixel(_)
                | Put::Click(_)
                | Put::PixelEvent(_) => {}
            }
        }
        for delete in &changes.deletes {
            match delete {
                Delete::Template(_) => stale.every_template_list = true,
                Delete::Subscription { waba, .. } => stale.subscriptions_of.push(*waba),
                Delete::AppSubscription { app, .. } => stale.app_subscriptions.push(*app),
                Delete::Assignment { .. } => {}
            }
        }
        stale
    }
}

/// A [`Store`] with a read cache; see the module docs.
pub struct CachedStore {
    inner: Box<dyn Store>,
    generation: AtomicU64,
    tokens: Map<String, Option<TokenRecord>>,
    apps: Map<AppId, Option<App>>,
    system_users: Map<UserId, Option<SystemUser>>,
    businesses: Map<BusinessId, Option<Business>>,
    wabas: Map<WabaId, Option<Waba>>,
    phones: Map<PhoneNumberId, Option<PhoneNumber>>,
    templates_of: Map<WabaId, Vec<Template>>,
    subscriptions_of: Map<WabaId, Vec<WabaSubscription>>,
    app_subscriptions: Map<AppId, Vec<AppSubscription>>,
    wabas_owned_by: Map<BusinessId, Arc<Vec<Waba>>>,
    wabas_held_by_partner: Map<BusinessId, Arc<Vec<Waba>>>,
}

impl std::fmt::Debug for CachedStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CachedStore")
            .field("backend", &self.inner.backend())
            .finish_non_exhaustive()
    }
}

impl CachedStore {
    /// Puts a cache in front of `inner`.
    pub fn new(inner: Box<dyn Store>) -> Self {
        Self {
            inner,
            generation: AtomicU64::new(0),
            tokens: Map::new(),
            apps: Map::new(),
            system_users: Map::new(),
            businesses: Map::new(),
            wabas: Map::new(),
            phones: Map::new(),
            templates_of: Map::new(),
            subscriptions_of: Map::new(),
            app_subscriptions: Map::new(),
            wabas_owned_by: Map::new(),
            wabas_held_by_partner: Map::new(),
        }
    }

    /// Reads through `map`: a hit, or `load` cached unless a commit landed meanwhile.
    async fn through<K, V, F>(&self, map: &Map<K, V>, key: K, load: F) -> Result<V, StoreError>
    where
        K: Eq + Hash + Clone,
        V: Clone,
        F: Future<Output = Result<V, StoreError>>,
    {
        if let Some(v) = map.get(&key) {
            return Ok(v);
        }
        let before = self.generation.load(Ordering::Acquire);
        let value = load.await?;
        if self.generation.load(Ordering::Acquire) == before {
            map.put(key, value.clone());
        }
        Ok(value)
    }

    fn evict(&self, stale: &Stale) {
        for id in &stale.apps {
            self.apps.evict(id);
        }
        for id in &stale.system_users {
            self.system_users.evict(id);
        }
        for id in &stale.businesses {
            self.businesses.evict(id);
        }
        for id in &stale.wabas {
            self.wabas.evict(id);
        }
        for id in &stale.phones {
            self.phones.evict(id);
        }
        for hash in &stale.tokens {
            self.tokens.evict(hash);
        }
        for id in &stale.subscriptions_of {
            self.subscriptions_of.evict(id);
        }
        for id in &stale.app_subscriptions {
            self.app_subscriptions.evict(id);
        }
        if stale.every_waba_list {
            self.wabas_owned_by.clear();
            self.wabas_held_by_partner.clear();
        }
        if stale.every_template_list {
            self.templates_of.clear();
        } else {
            for id in &stale.templates_of {
                self.templates_of.evict(id);
            }
        }
    }

    fn clear(&self) {
        self.tokens.clear();
        self.apps.clear();
        self.system_users.clear();
        self.businesses.clear();
        self.wabas.clear();
        self.phones.clear();
        self.templates_of.clear();
        self.subscriptions_of.clear();
        self.app_subscriptions.clear();
        self.wabas_owned_by.clear();
        self.wabas_held_by_partner.clear();
    }
}

#[async_trait::async_trait]
impl Store for CachedStore {
    fn backend(&self) -> Backend {
        self.inner.backend()
    }

    async fn commit(&self, changes: ChangeSet) -> Result<Vec<i64>, StoreError> {
        // Evict before (no reader keeps the old value) and after (nor re-reads it meanwhile).
        let stale = Stale::of(&changes);
        self.evict(&stale);
        let result = self.inner.commit(changes).await;
        self.generation.fetch_add(1, Ordering::AcqRel);
        self.evict(&stale);
        result
    }

    async fn commit_delivering(&self, changes: ChangeSet) -> Result<Committed, StoreError> {
        let stale = Stale::of(&changes);
        self.evict(&stale);
        let result = self.inner.commit_delivering(changes).await;
        self.generation.fetch_add(1, Ordering::AcqRel);
        self.evict(&stale);
        result
    }

    async fn replace_world(&self, world: &WorldState) -> Result<(), StoreError> {
        self.clear();
        let result = self.inner.replace_world(world).await;
        self.generation.fetch_add(1, Ordering::AcqRel);
        self.clear();
        result
    }

    async fn export_world(&self) -> Result<WorldState, StoreError> {
        self.inner.export_world().await
    }

    async fn is_empty(&self) -> Result<bool, StoreError> {
        self.inner.is_empty().await
    }

    async fn app(&self, id: AppId) -> Result<Option<App>, StoreError> {
        self.through(&self.apps, id, self.inner.app(id)).await
    }

    async fn apps(&self) -> Result<Vec<App>, StoreError> {
        self.inner.apps().await
    }

    async fn business(&self, id: BusinessId) -> Result<Option<Business>, StoreError> {
        self.through(&self.businesses, id, self.inner.business(id))
            .await
    }

    async fn businesses(&self) -> Result<Vec<Business>, StoreError> {
        self.inner.businesses().await
    }

    async fn system_user(&self, id: UserId) -> Result<Option<SystemUser>, StoreError> {
        // Every call with a system user's token reads it (its role confines an employee).
        self.through(&self.system_users, id, self.inner.system_user(id))
            .await
    }

    async fn system_users_of(&self, business: BusinessId) -> Result<Vec<SystemUser>, StoreError> {
        self.inner.system_users_of(business).await
    }

    async fn waba(&self, id: WabaId) -> Result<Option<Waba>, StoreError> {
        self.through(&self.wabas, id, self.inner.waba(id)).await
    }

    async fn wabas(&self) -> Result<Vec<Waba>, StoreError> {
        self.inner.wabas().await
    }

    async fn wabas_owned_by(&self, business: BusinessId) -> Result<Vec<Waba>, StoreError> {
        Ok(self.wabas_owned_by_shared(business).await?.to_vec())
    }

    async fn wabas_held_by_partner(&self, partner: BusinessId) -> Result<Vec<Waba>, StoreError> {
        Ok(self.wabas_held_by_partner_shared(partner).await?.to_vec())
    }

    async fn wabas_owned_by_shared(
        &self,
        business: BusinessId,
    ) -> Result<Arc<Vec<Waba>>, StoreError> {
        self.through(&self.wabas_owned_by, business, async {
            Ok(Arc::new(self.inner.wabas_owned_by(business).await?))
        })
        .await
    }

    async fn wabas_held_by_partner_shared(
        &self,
        partner: BusinessId,
    ) -> Result<Arc<Vec<Waba>>, StoreError> {
        self.through(&self.wabas_held_by_partner, partner, async {
            Ok(Arc::new(self.inner.wabas_held_by_partner(partner).await?))
        })
        .await
    }

    async fn phone_number(&self, id: PhoneNumberId) -> Result<Option<PhoneNumber>, StoreError> {
        self.through(&self.phones, id, self.inner.phone_number(id))
            .await
    }

    async fn phone_numbers_of(&self, waba: WabaId) -> Result<Vec<PhoneNumber>, StoreError> {
        self.inner.phone_numbers_of(waba).await
    }

    async fn template(&self, id: TemplateId) -> Result<Option<Template>, StoreError> {
        self.inner.template(id).await
    }

    async fn templates_of(&self, waba: WabaId) -> Result<Vec<Template>, StoreError> {
        self.through(&self.templates_of, waba, self.inner.templates_of(waba))
            .await
    }

    async fn token_by_hash(&self, hash: &str) -> Result<Option<TokenRecord>, StoreError> {
        self.through(
            &self.tokens,
            hash.to_owned(),
            self.inner.token_by_hash(hash),
        )
        .await
    }

    async fn tokens_of_app(&self, app: AppId) -> Result<Vec<TokenRecord>, StoreError> {
        self.inner.tokens_of_app(app).await
    }

    async fn subscriptions_of(&self, waba: WabaId) -> Result<Vec<WabaSubscription>, StoreError> {
        self.through(
            &self.subscriptions_of,
            waba,
            self.inner.subscriptions_of(waba),
        )
        .await
    }

    async fn app_subscriptions(&self, app: AppId) -> Result<Vec<AppSubscription>, StoreError> {
        self.through(
            &self.app_subscriptions,
            app,
            self.inner.app_subscriptions(app),
        )
        .await
    }

    async fn assignments_of_waba(
        &self,
        waba: WabaId,
    ) -> Result<Vec<wamm_domain::assignment::WabaAssignment>, StoreError> {
        self.inner.assignments_of_waba(waba).await
    }

    async fn assignments_of_user(
        &self,
        user: UserId,
    ) -> Result<Vec<wamm_domain::assignment::WabaAssignment>, StoreError> {
        self.inner.assignments_of_user(user).await
    }

    async fn events(&self, after_seq: i64, limit: i64) -> Result<Vec<Event>, StoreError> {
        self.inner.events(after_seq, limit).await
    }

    async fn recent_events(&self, limit: i64) -> Result<Vec<Event>, StoreError> {
        self.inner.recent_events(limit).await
    }

    async fn meta(&self, key: &str) -> Result<Option<String>, StoreError> {
        self.inner.meta(key).await
    }

    async fn reserve(&self, key: &str, n: i64) -> Result<i64, StoreError> {
        self.inner.reserve(key, n).await
    }

    async fn claim_webhooks(
        &self,
        now: Timestamp,
        wall_ms: i64,
        lease_ms: i64,
        limit: i64,
    ) -> Result<Vec<OutboxItem>, StoreError> {
        self.inner
            .claim_webhooks(now, wall_ms, lease_ms, limit)
            .await
    }

    async fn finish_deliveries(&self, results: Vec<DeliveryResult>) -> Result<(), StoreError> {
        self.inner.finish_deliveries(results).await
    }

    async fn outbox(
        &self,
        status: Option<DeliveryStatus>,
        after_id: i64,
        limit: i64,
    ) -> Result<Vec<OutboxItem>, StoreError> {
        self.inner.outbox(status, after_id, limit).await
    }

    async fn recent_outbox(&self, limit: i64) -> Result<Vec<OutboxItem>, StoreError> {
        self.inner.recent_outbox(limit).await
    }

    async fn outbox_item(&self, id: i64) -> Result<Option<OutboxItem>, StoreError> {
        self.inner.outbox_item(id).await
    }

    async fn attempts_of(&self, outbox_id: i64) -> Result<Vec<Attempt>, StoreError> {
        self.inner.attempts_of(outbox_id).await
    }

    async fn redeliver(&self, id: i64, now: Timestamp) -> Result<bool, StoreError> {
        self.inner.redeliver(id, now).await
    }

    async fn outbox_counts(&self) -> Result<OutboxCounts, StoreError> {
        self.inner.outbox_counts().await
    }

    async fn next_due_webhook(&self) -> Result<Option<Timestamp>, StoreError> {
        self.inner.next_due_webhook().await
    }

    async fn request(&self, id: RequestId) -> Result<Option<OnboardingRequest>, StoreError> {
        self.inner.request(id).await
    }

    async fn requests_of(&self, client: BusinessId) -> Result<Vec<OnboardingRequest>, StoreError> {
        self.inner.requests_of(client).await
    }

    async fn requests(&self) -> Result<Vec<OnboardingRequest>, StoreError> {
        self.inner.requests().await
    }

    async fn due_reminders(&self, now: Timestamp) -> Result<Vec<OnboardingRequest>, StoreError> {
        self.inner.due_reminders(now).await
    }

    // Solutions and migration intents change state on every call that names them, and no
    // call path reads them more than once; they are read through.
    async fn solution(&self, id: SolutionId) -> Result<Option<Solution>, StoreError> {
        self.inner.solution(id).await
    }

    async fn template_groups_of(
        &self,
        waba: WabaId,
    ) -> Result<Vec<wamm_domain::TemplateGroup>, StoreError> {
        self.inner.template_groups_of(waba).await
    }

    async fn solutions_of_app(&self, app: AppId) -> Result<Vec<Solution>, StoreError> {
        self.inner.solutions_of_app(app).await
    }

    async fn migration_intent(
        &self,
        id: MigrationIntentId,
    ) -> Result<Option<SolutionMigration>, StoreError> {
        self.inner.migration_intent(id).await
    }

    async fn migration_intents_of(
        &self,
        waba: WabaId,
    ) -> Result<Vec<SolutionMigration>, StoreError> {
        self.inner.migration_intents_of(waba).await
    }

    async fn migrations_due(&self, now: Timestamp) -> Result<Vec<SolutionMigration>, StoreError> {
        self.inner.migrations_due(now).await
    }

    async fn emails(
        &self,
        to: Option<&str>,
        after_id: i64,
        limit: i64,
    ) -> Result<Vec<Email>, StoreError> {
        self.inner.emails(to, after_id, limit).await
    }

    async fn setups_due(&self, now: Timestamp) -> Result<Vec<Waba>, StoreError> {
        self.inner.setups_due(now).await
    }

    async fn auth_code(&self, hash: &str) -> Result<Option<AuthCode>, StoreError> {
        self.inner.auth_code(hash).await
    }

    async fn message(&self, id: &str) -> Result<Option<Message>, StoreError> {
        self.inner.message(id).await
    }

    async fn ad_object(
        &self,
        id: u64,
    ) -> Result<Option<wamm_domain::ads::AdObjectRef>, StoreError> {
        self.inner.ad_object(id).await
    }

    async fn facts(
        &self,
        query: &crate::FactQuery,
    ) -> Result<Vec<wamm_domain::metrics::Fact>, StoreError> {
        self.inner.facts(query).await
    }

    async fn messages_of_waba(
        &self,
        waba: WabaId,
        after: i64,
        limit: i64,
    ) -> Result<Vec<(i64, Message)>, StoreError> {
        self.inner.messages_of_waba(waba, after, limit).await
    }

    async fn messages_due(&self, now: Timestamp, limit: i64) -> Result<Vec<Message>, StoreError> {
        self.inner.messages_due(now, limit).await
    }

    async fn pixel(&self, id: PixelId) -> Result<Option<Pixel>, StoreError> {
        self.inner.pixel(id).await
    }

    async fn pixels_owned_by(&self, business: BusinessId) -> Result<Vec<Pixel>, StoreError> {
        self.inner.pixels_owned_by(business).await
    }

    async fn click_by_fbclid(&self, fbclid: &str) -> Result<Option<Click>, StoreError> {
        self.inner.click_by_fbclid(fbclid).await
    }

    async fn click_by_campaign_ids(&self, campaign_ids: &str) -> Result<Option<Click>, StoreError> {
        self.inner.click_by_campaign_ids(campaign_ids).await
    }

    async fn pixel_events(
        &self,
        pixel: PixelId,
        limit: i64,
    ) -> Result<Vec<ReceivedEvent>, StoreError> {
        self.inner.pixel_events(pixel, limit).await
    }
}
