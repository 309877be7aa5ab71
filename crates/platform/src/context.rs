//! The narrow context every use case runs in: storage, the platform clock, the ID minter,
//! settings, webhook delivery and the send limits. It knows nothing of the doors (Graph,
//! control API, pages) that call the use cases.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use wamm_domain::metrics::RateCard;
use wamm_store::{Store, StoreError};

use crate::clock::{Clock, ClockState};
use crate::config::PlatformConfig;
use crate::limits::SendLimits;
use crate::mint::Minter;
use crate::webhooks::WebhookConfig;
use crate::webhooks::dispatcher::{Handoff, Lease};
use crate::webhooks::faults::Faults;
use crate::webhooks::outbound::Outbound;

/// What webhook delivery needs at run time.
#[derive(Debug)]
pub struct WebhookRuntime {
    /// Settings.
    pub config: WebhookConfig,
    /// The guarded HTTP client.
    pub outbound: Outbound,
    /// Per-endpoint faults.
    pub faults: Faults,
    /// Wakes the dispatcher when this process enqueued deliveries.
    pub wake: tokio::sync::Notify,
    /// Deliveries this process committed already leased, for its own dispatcher to deliver
    /// without claiming them.
    handoff: tokio::sync::mpsc::Sender<Handoff>,
    /// The other end of `handoff`, until a dispatcher takes it.
    handed: Mutex<Option<tokio::sync::mpsc::Receiver<Handoff>>>,
    /// Whether a dispatcher of this process took the handoff (nothing is handed off before).
    dispatching: AtomicBool,
}

/// Batches of deliveries the handoff holds at most; beyond, commits enqueue rows unleased and
/// wake the dispatcher to claim them.
const HANDOFF_BATCHES: usize = 4096;

impl WebhookRuntime {
    fn new(config: WebhookConfig) -> Self {
        let outbound = Outbound::new(
            config.destinations.clone(),
            config.connect_timeout,
            config.request_timeout,
            config.response_cap_bytes,
        );
        let (handoff, handed) = tokio::sync::mpsc::channel(HANDOFF_BATCHES);
        Self {
            config,
            outbound,
            faults: Faults::default(),
            wake: tokio::sync::Notify::new(),
            handoff,
            handed: Mutex::new(Some(handed)),
            dispatching: AtomicBool::new(false),
        }
    }

    /// The receiving end of the handoff, for this process's dispatcher: the first caller gets
    /// it, and from then on commits hand their deliveries over.
    pub(crate) fn take_handoff(&self) -> Option<tokio::sync::mpsc::Receiver<Handoff>> {
        let taken = self
            .handed
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if taken.is_some() {
            self.dispatching.store(true, Ordering::Release);
        }
        taken
    }
}

const CLOCK_KEY: &str = "clock";

/// The setting the store keeps the world's rate card in (empty: the default card).
const RATE_CARD_KEY: &str = "rate_card";

/// Where versions before the key file kept the business-token key.
const LEGACY_TOKEN_KEY: &str = "business_token_key";

/// What a use case may touch.
#[derive(Clone)]
pub struct Platform {
    /// Storage.
    pub store: Arc<dyn Store>,
    /// The platform clock.
    pub clock: Arc<Clock>,
    /// ID and token generation.
    pub minter: Minter,
    /// Settings.
    pub config: Arc<PlatformConfig>,
    /// Webhook delivery.
    pub webhooks: Arc<WebhookRuntime>,
    /// Send limits (throughput per number, pair rate per recipient).
    pub limits: Arc<SendLimits>,
    /// The world's rate card, as last read from the store.
    rates: Arc<std::sync::RwLock<Arc<RateCard>>>,
    /// Held while message steps are taken, so that one pass at a time takes them in this
    /// process, and while a world's history is replayed, so that the live scheduler does not
    /// take the history's past steps as overdue ones.
    pub steps: Arc<tokio::sync::Mutex<()>>,
    /// Whether this context replays a world's history (see [`Platform::replaying`]).
    replaying: bool,
}

impl std::fmt::Debug for Platform {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Platform")
            .field("backend", &self.store.backend())
            .finish_non_exhaustive()
    }
}

impl Platform {
    /// Builds the context over an open store, restoring the persisted clock.
    pub async fn new(store: Arc<dyn Store>, config: PlatformConfig) -> Result<Self, StoreError> {
        let clock = match store.meta(CLOCK_KEY).await? {
            Some(text) => serde_json::from_str(&text).unwrap_or_default(),
            None => ClockState::default(),
        };
        // Stores written by earlier versions kept the business-token key beside the token
        // hashes; anyone reading the database could re-derive every business token. The key
        // now lives outside it, so the stored one is wiped. Tokens derived with it stay valid;
        // `fetch_only` mints their successors.
        if store
            .meta(LEGACY_TOKEN_KEY)
            .await?
            .is_some_and(|k| !k.is_empty())
        {
            store
                .commit(wamm_store::ChangeSet::new().meta(LEGACY_TOKEN_KEY, ""))
                .await?;
            tracing::info!(
                "removed the business-token key an earlier version kept in the database"
            );
        }
        let platform = Self {
            minter: Minter::new(Arc::clone(&store), config.seed),
            store,
            clock: Arc::new(Clock::new(clock)),
            webhooks: Arc::new(WebhookRuntime::new(config.webhooks.clone())),
            config: Arc::new(config),
            limits: Arc::default(),
            rates: Arc::default(),
            steps: Arc::default(),
            replaying: false,
        };
        platform.refresh_rates().await?;
        Ok(platform)
    }

    /// A context for replaying a world's history from `start`: the same store, minter,
    /// settings and rate card, with a clock of its own standing still at `start` (the replay
    /// moves it), send limits of its own whose throughput counts on that clock, its own step
    /// gate, and no webhook targets: statuses of the past were delivered in the past, so the
    /// replay enqueues none.
    pub fn replaying(&self, start: wamm_domain::Timestamp) -> Self {
        Self {
            clock: Arc::new(Clock::new(ClockState {
                offset_ms: 0,
                frozen_at: Some(start.millis()),
                version: 0,
            })),
            limits: Arc::default(),
            steps: Arc::default(),
            replaying: true,
            ..self.clone()
        }
    }

    /// Whether changes made through this context reach webhook subscribers (not while
    /// replaying history).
    pub const fn delivers_webhooks(&self) -> bool {
        !self.replaying
    }

    /// The time a number's throughput is counted on, in milliseconds: wall time, except while
    /// replaying history, whose sends are spaced on the replay's clock.
    pub fn throughput_ms(&self) -> i64 {
        if self.replaying {
            self.clock.now().millis()
        } else {
            crate::clock::wall_ms()
        }
    }

    /// The rate card deliveries are priced by.
    pub fn rates(&self) -> Arc<RateCard> {
        Arc::clone(&self.rates.read().unwrap_or_else(PoisonError::into_inner))
    }

    /// Reads the rate card from the store again (after a world load here or on another
    /// replica sharing the database).
    pub async fn refresh_rates(&self) -> Result<(), StoreError> {
        let card = match self.store.meta(RATE_CARD_KEY).await? {
            Some(text) if !text.is_empty() => serde_json::from_str(&text)?,
            _ => RateCard::default(),
        };
        *self.rates.write().unwrap_or_else(PoisonError::into_inner) = Arc::new(card);
        Ok(())
    }

    /// Commits `changes` and has this process's dispatcher deliver the webhooks they enqueue.
    ///
    /// When the dispatcher runs here and every webhook is due, the rows are enqueued already
    /// leased by this process and handed to the dispatcher as they were written: no claim,
    /// no read back. Otherwise (or when the handoff is full) the rows are enqueued for any
    /// dispatcher to claim, and this one is woken.
    pub async fn commit(&self, changes: wamm_store::ChangeSet) -> Result<Vec<i64>, StoreError> {
        if changes.webhooks.is_empty() {
            return self.store.commit(changes).await;
        }
        let rt = &self.webhooks;
        let now = self.clock.now();
        let handoff = if rt.dispatching.load(Ordering::Acquire)
            && changes.webhooks.iter().all(|w| w.time <= now)
        {
            rt.handoff.try_reserve().ok()
        } else {
            None
        };
        let Some(slot) = handoff else {
            let seqs = self.store.commit(changes).await?;
            rt.wake.notify_one();
            return Ok(seqs);
        };
        let lease = Lease::starting_now(&rt.config);
        let committed = self
            .store
            .commit_delivering(changes.leased_until(lease.until()))
            .await?;
        slot.send((committed.outbox, lease));
        Ok(committed.events)
    }

    /// Adopts a newer clock state saved by another replica sharing the database.
    pub async fn sync_clock(&self) -> Result<bool, StoreError> {
        let Some(text) = self.store.meta(CLOCK_KEY).await? else {
            return Ok(false);
        };
        Ok(serde_json::from_str(&text).is_ok_and(|state| self.clock.adopt(state)))
    }

    /// Persists the clock after the control API moved it.
    pub async fn save_clock(&self) -> Result<(), StoreError> {
        let text = serde_json::to_string(&self.clock.state())?;
        self.store
            .commit(wamm_store::ChangeSet::new().meta(CLOCK_KEY, &text))
            .await
            .map(|_| ())
    }
}
