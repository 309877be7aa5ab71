//! Turning a [`WorldFile`] into a [`WorldState`]: resolving keys, generating what is absent
//! and checking every rule the platform relies on.

use std::collections::{BTreeMap, HashMap, HashSet};

use wamm_domain::model::{
    App, AppPermission, AppSubscription, Business, MigrationIntent, PartnerAccess, Person,
    PhoneNumber, SystemUser, Template, TermsSigned, TokenKind, TokenRecord, Waba, WabaPartner,
    WabaSubscription, WorldState,
};
use wamm_domain::template::{validate_components, validate_language, validate_name, validate_ttl};
use wamm_domain::{Permission, Timestamp};
use wamm_wire::ids::{AppId, BusinessId, PhoneNumberId, PixelId, TemplateId, UserId, WabaId};

use crate::WEBHOOK_FIELDS;
use crate::export::normalize;
use crate::file::{
    AppEntry, BusinessEntry, MigrationIntentEntry, TemplateEntry, Time, TokenEntry, WabaEntry,
    WebhookEntry, WorldFile,
};
use crate::mint::{Mint, hash_token, namespace};
use crate::text::{WorldError, check_format};

/// A built world.
#[derive(Debug, Clone, PartialEq)]
pub struct Loaded {
    /// The state to persist, every list sorted by ID (tokens by hash).
    pub state: WorldState,
    /// Plain tokens, from the file or generated, so the caller can print them once: the state
    /// only keeps their hashes.
    pub issued: Vec<IssuedToken>,
    /// The WABAs' message histories, for the platform to replay once the state is stored.
    pub history: Vec<wamm_domain::history::HistorySpec>,
}

/// A plain token the world issued.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedToken {
    /// The token's key in the file, if it has one.
    pub key: Option<String>,
    /// The plain token.
    pub token: String,
    /// The app it was issued to.
    pub app_id: AppId,
    /// The system user it acts as.
    pub user_id: UserId,
    /// The business owning that system user.
    pub business_id: BusinessId,
}

impl WorldFile {
    /// Validates the file and converts it into a world state.
    ///
    /// Absent IDs, secrets, namespaces and tokens come from `mint`, in document order, so a
    /// deterministic mint gives a deterministic world; absent times are `now`.
    pub fn build(&self, mint: &mut dyn Mint, now: Timestamp) -> Result<Loaded, WorldError> {
        check_format(&self.format)?;
        let ids = Ids::assign(self, mint)?;
        let mut builder = Builder {
            file: self,
            mint,
            now,
            ids,
            state: WorldState::default(),
            issued: Vec::new(),
            hashes: HashMap::new(),
            history: Vec::new(),
        };
        builder.run()?;
        let mut state = builder.state;
        if let Some(card) = &self.rate_card {
            card.validate().map_err(|message| WorldError::Invalid {
                path: "rate_card".to_owned(),
                message,
            })?;
            state.rate_card = Some(card.clone());
        }
        // Ad chains only read the pixels' domains; the pixels' own IDs are drawn last.
        link_ad_entities(&mut state, builder.mint);
        for pixel in &mut state.pixels {
            if pixel.id.get() == 0 {
                let id = builder
                    .ids
                    .claims
                    .fresh(builder.mint, Kind::Pixel, "pixels");
                pixel.id = PixelId::new(id);
            }
        }
        normalize(&mut state);
        Ok(Loaded {
            state,
            issued: builder.issued,
            history: builder.history,
        })
    }
}

/// WABAs whose MM API setup has started get what Meta's setup makes, unless the file gives
/// it: a linked ad account, and an ad entity chain for each MARKETING template.
fn link_ad_entities(state: &mut WorldState, mint: &mut dyn Mint) {
    for waba in state
        .wabas
        .iter_mut()
        .filter(|w| w.mm_setup_complete_at.is_some())
    {
        let account = waba
            .ad_account_id
            .get_or_insert_with(|| mint.next_id().to_string())
            .clone();
        let pixels: Vec<_> = state
            .pixels
            .iter()
            .filter(|p| p.owner_business_id == waba.owner_business_id)
            .cloned()
            .collect();
        for template in state
            .templates
            .iter_mut()
            .filter(|t| t.waba_id == waba.id && t.ad.is_none())
        {
            template.ad =
                wamm_domain::template::ad_chain(template, &account, &pixels, || mint.next_id());
        }
    }
}

fn invalid(path: impl Into<String>, message: impl Into<String>) -> WorldError {
    WorldError::invalid(path, message)
}

/// What kind of object a Graph ID names, for the "IDs are unique" rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    App,
    Business,
    /// A person, with the index of the business listing them.
    Person(usize),
    SystemUser,
    Waba,
    Phone,
    Template,
    Pixel,
}

/// Key tables: key → (ID, path where defined).
#[derive(Debug, Default)]
struct Keys<T> {
    kind: &'static str,
    map: HashMap<String, (T, String)>,
}

impl<T: Copy> Keys<T> {
    fn new(kind: &'static str) -> Self {
        Self {
            kind,
            map: HashMap::new(),
        }
    }

    fn define(&mut self, key: &str, id: T, path: &str) -> Result<(), WorldError> {
        if key.trim().is_empty() {
            return Err(invalid(
                format!("{path}.key"),
                format!("a {} key must not be empty", self.kind),
            ));
        }
        if let Some((_, first)) = self.map.get(key) {
            return Err(invalid(
                format!("{path}.key"),
                format!(
                    "duplicate {} key '{key}' (first defined at {first})",
                    self.kind
                ),
            ));
        }
        self.map.insert(key.to_owned(), (id, path.to_owned()));
        Ok(())
    }

    fn resolve(&self, key: &str, at: &str) -> Result<T, WorldError> {
        self.map
            .get(key)
            .map(|(id, _)| *id)
            .ok_or_else(|| invalid(at, format!("unknown {} key '{key}'", self.kind)))
    }
}

/// Every object's ID, explicit or generated, and every key.
struct Ids {
    apps: Vec<AppId>,
    businesses: Vec<BusinessId>,
    /// Per business: people's IDs.
    people: Vec<Vec<UserId>>,
    /// Per business: system users' IDs.
    system_users: Vec<Vec<UserId>>,
    /// Per business, per WABA.
    wabas: Vec<Vec<WabaId>>,
    /// Per business, per WABA, per number.
    phones: Vec<Vec<Vec<PhoneNumberId>>>,
    /// Per business, per WABA, per template.
    templates: Vec<Vec<Vec<TemplateId>>>,
    /// Per business, per pixel: its explicit ID; absent ones are drawn once the rest of the
    /// world is built, so adding a pixel changes no other generated value.
    pixels: Vec<Vec<Option<PixelId>>>,
    /// Every ID claimed, for drawing the pixels' IDs last.
    claims: Claims,
    app_keys: Keys<AppId>,
    business_keys: Keys<BusinessId>,
    user_keys: Keys<UserId>,
    waba_keys: Keys<WabaId>,
}

/// Graph IDs claimed so far.
struct Claims {
    taken: HashMap<u64, (Kind, String)>,
}

impl Claims {
    fn claim(&mut self, id: u64, kind: Kind, path: &str) -> Result<(), WorldError> {
        if let Some((other, first)) = self.taken.get(&id) {
            let same_person =
                matches!((kind, *other), (Kind::Person(a), Kind::Person(b)) if a != b);
            if !same_person {
                return Err(invalid(
                    format!("{path}.id"),
                    format!("ID {id} is already used by {first}"),
                ));
            }
            return Ok(());
        }
        self.taken.insert(id, (kind, path.to_owned()));
        Ok(())
    }

    /// A fresh ID from the mint that nothing in the world uses.
    fn fresh(&mut self, mint: &mut dyn Mint, kind: Kind, path: &str) -> u64 {
        loop {
            let id = mint.next_id();
            if id != 0 && !self.taken.contains_key(&id) {
                self.taken.insert(id, (kind, path.to_owned()));
                return id;
            }
        }
    }
}

/// Called for every object with an ID: given its explicit ID (if any), its kind and path,
/// returns the ID to use.
type IdVisitor<'a> = dyn FnMut(Option<u64>, Kind, &str) -> Result<u64, WorldError> + 'a;

/// Walks every object that has an ID, in document order.
fn walk_ids(file: &WorldFile, visit: &mut IdVisitor<'_>) -> Result<Ids, WorldError> {
    let mut ids = Ids {
        apps: Vec::new(),
        businesses: Vec::new(),
        people: Vec::new(),
        system_users: Vec::new(),
        wabas: Vec::new(),
        phones: Vec::new(),
        templates: Vec::new(),
        pixels: Vec::new(),
        claims: Claims {
            taken: HashMap::new(),
        },
        app_keys: Keys::new("app"),
        business_keys: Keys::new("business"),
        user_keys: Keys::new("person or system user"),
        waba_keys: Keys::new("WABA"),
    };
    let mut phone_keys: Keys<PhoneNumberId> = Keys::new("phone number");
    let mut template_keys: Keys<TemplateId> = Keys::new("template");
    let mut token_keys: Keys<()> = Keys::new("token");
    for (i, app) in file.apps.iter().enumerate() {
        let path = format!("apps[{i}]");
        let id = AppId::new(visit(app.id.map(AppId::get), Kind::App, &path)?);
        ids.app_keys.define(&app.key, id, &path)?;
        ids.apps.push(id);
    }
    for (bi, business) in file.businesses.iter().enumerate() {
        let path = format!("businesses[{bi}]");
        let id = BusinessId::new(visit(
            business.id.map(BusinessId::get),
            Kind::Business,
            &path,
        )?);
        ids.business_keys.define(&business.key, id, &path)?;
        ids.businesses.push(id);
        let mut people = Vec::new();
        for (pi, person) in business.people.iter().enumerate() {
            let path = format!("{path}.people[{pi}]");
            let id = UserId::new(visit(person.id.map(UserId::get), Kind::Person(bi), &path)?);
            if let Some(key) = &person.key {
                ids.user_keys.define(key, id, &path)?;
            }
            people.push(id);
        }
        ids.people.push(people);
        let mut system_users = Vec::new();
        for (si, user) in business.system_users.iter().enumerate() {
            let path = format!("{path}.system_users[{si}]");
            let id = UserId::new(visit(user.id.map(UserId::get), Kind::SystemUser, &path)?);
            if let Some(key) = &user.key {
                ids.user_keys.define(key, id, &path)?;
            }
            for (ti, token) in user.tokens.iter().enumerate() {
                if let Some(key) = &token.key {
                    token_keys.define(key, (), &format!("{path}.tokens[{ti}]"))?;
                }
            }
            system_users.push(id);
        }
        ids.system_users.push(system_users);
        let (mut wabas, mut phones, mut templates) = (Vec::new(), Vec::new(), Vec::new());
        for (wi, waba) in business.wabas.iter().enumerate() {
            let path = format!("{path}.wabas[{wi}]");
            let id = WabaId::new(visit(waba.id.map(WabaId::get), Kind::Waba, &path)?);
            ids.waba_keys.define(&waba.key, id, &path)?;
            wabas.push(id);
            let mut waba_phones = Vec::new();
            for (ni, phone) in waba.phone_numbers.iter().enumerate() {
                let path = format!("{path}.phone_numbers[{ni}]");
                let id = PhoneNumberId::new(visit(
                    phone.id.map(PhoneNumberId::get),
                    Kind::Phone,
                    &path,
                )?);
                if let Some(key) = &phone.key {
                    phone_keys.define(key, id, &path)?;
                }
                waba_phones.push(id);
            }
            phones.push(waba_phones);
            let mut waba_templates = Vec::new();
            for (ti, template) in waba.templates.iter().enumerate() {
                let path = format!("{path}.templates[{ti}]");
                let id = TemplateId::new(visit(
                    template.id.map(TemplateId::get),
                    Kind::Template,
                    &path,
                )?);
                if let Some(key) = &template.key {
                    template_keys.define(key, id, &path)?;
                }
                waba_templates.push(id);
            }
            templates.push(waba_templates);
        }
        ids.wabas.push(wabas);
        ids.phones.push(phones);
        ids.templates.push(templates);
    }
    for (ti, token) in file.tokens.iter().enumerate() {
        if let Some(key) = &token.key {
            token_keys.define(key, (), &format!("tokens[{ti}]"))?;
        }
    }
    let mut pixel_keys: Keys<()> = Keys::new("pixel");
    for (bi, business) in file.businesses.iter().enumerate() {
        let mut pixels = Vec::new();
        for (pi, pixel) in business.pixels.iter().enumerate() {
            let path = format!("businesses[{bi}].pixels[{pi}]");
            if let Some(key) = &pixel.key {
                pixel_keys.define(key, (), &path)?;
            }
            if let Some(id) = pixel.id {
                visit(Some(id.get()), Kind::Pixel, &path)?;
            }
            pixels.push(pixel.id);
        }
        ids.pixels.push(pixels);
    }
    Ok(ids)
}

impl Ids {
    /// Claims every explicit ID, then generates the missing ones, both in document order.
    fn assign(file: &WorldFile, mint: &mut dyn Mint) -> Result<Self, WorldError> {
        let mut claims = Claims {
            taken: HashMap::new(),
        };
        walk_ids(file, &mut |id, kind, path| {
            if let Some(id) = id {
                claims.claim(id, kind, path)?;
            }
            Ok(0)
        })?;
        let mut ids = walk_ids(file, &mut |id, kind, path| {
            Ok(id.unwrap_or_else(|| claims.fresh(mint, kind, path)))
        })?;
        ids.claims = claims;
        Ok(ids)
    }
}

struct Builder<'a> {
    file: &'a WorldFile,
    mint: &'a mut dyn Mint,
    now: Timestamp,
    ids: Ids,
    state: WorldState,
    issued: Vec<IssuedToken>,
    /// Token hash → path where defined.
    hashes: HashMap<String, String>,
    /// Resolved `history:` sections.
    history: Vec<wamm_domain::history::HistorySpec>,
}

impl Builder<'_> {
    fn run(&mut self) -> Result<(), WorldError> {
        let file = self.file;
        for (i, entry) in file.apps.iter().enumerate() {
            let path = format!("apps[{i}]");
            let business_id = self
                .ids
                .business_keys
                .resolve(&entry.business, &format!("{path}.business"))?;
            let secret = match &entry.secret {
                Some(secret) if secret.is_empty() => {
                    return Err(invalid(
                        format!("{path}.secret"),
                        "an app secret must not be empty",
                    ));
                }
                Some(secret) => secret.clone(),
                None => self.mint.new_secret(),
            };
            let login_configs = entry
                .login_configs
                .iter()
                .map(|c| wamm_domain::LoginConfig {
                    id: c.id.unwrap_or_else(|| self.mint.next_id()),
                    name: c.name.clone(),
                    permissions: c.permissions.clone(),
                    marketing_messages: c.marketing_messages,
                    created_at: self.time(c.created_at),
                })
                .collect();
            self.state.apps.push(App {
                id: self.ids.apps[i],
                name: entry.name.clone(),
                secret,
                business_id,
                partner_type: entry.partner_type,
                require_app_secret: entry.require_app_secret,
                mm_enrolment: entry.mm_enrolment,
                review_requests: entry.review_requests.clone(),
                login_configs,
                permissions: entry
                    .permissions
                    .iter()
                    .map(|(&permission, &access)| AppPermission { permission, access })
                    .collect(),
            });
            self.webhooks(i, entry)?;
        }
        for (bi, entry) in file.businesses.iter().enumerate() {
            self.business(bi, entry)?;
        }
        for (ti, entry) in file.tokens.iter().enumerate() {
            let path = format!("tokens[{ti}]");
            if entry.token_sha256.is_none() {
                return Err(invalid(
                    &path,
                    "a top-level token needs token_sha256 (plain or generated tokens belong to a system user's tokens)",
                ));
            }
            let business_id = entry
                .business
                .as_deref()
                .map(|key| {
                    self.ids
                        .business_keys
                        .resolve(key, &format!("{path}.business"))
                })
                .transpose()?;
            let user_id = entry
                .user
                .as_deref()
                .map(|key| self.ids.user_keys.resolve(key, &format!("{path}.user")))
                .transpose()?;
            self.token(entry, &path, business_id, user_id)?;
        }
        Ok(())
    }

    /// The app-level webhook subscriptions of `apps[i]`.
    fn webhooks(&mut self, i: usize, app: &AppEntry) -> Result<(), WorldError> {
        let mut objects: HashMap<&str, String> = HashMap::new();
        for (wi, entry) in app.webhooks.iter().enumerate() {
            let path = format!("apps[{i}].webhooks[{wi}]");
            check_webhook(entry, &path)?;
            if let Some(first) = objects.get(entry.object.as_str()) {
                return Err(invalid(
                    format!("{path}.object"),
                    format!(
                        "app '{}' already subscribes to '{}' at {first}",
                        app.key, entry.object
                    ),
                ));
            }
            objects.insert(&entry.object, path);
            self.state.app_subscriptions.push(AppSubscription {
                app_id: self.ids.apps[i],
                object: entry.object.clone(),
                callback_url: entry.callback_url.clone(),
                verify_token: entry.verify_token.clone(),
                fields: entry.fields.clone(),
                active: entry.active,
                updated_at: self.time(entry.updated_at),
            });
        }
        Ok(())
    }

    fn business(&mut self, bi: usize, entry: &BusinessEntry) -> Result<(), WorldError> {
        let path = format!("businesses[{bi}]");
        let id = self.ids.businesses[bi];
        let signed_by = match (&entry.mm_terms_signed_by, entry.mm_terms_signed_at) {
            (Some(_), None) => {
                return Err(invalid(
                    format!("{path}.mm_terms_signed_by"),
                    "mm_terms_signed_by needs mm_terms_signed_at",
                ));
            }
            (Some(key), Some(_)) => Some(
                self.ids
                    .user_keys
                    .resolve(key, &format!("{path}.mm_terms_signed_by"))?,
            ),
            (None, _) => None,
        };
        let people = entry
            .people
            .iter()
            .zip(&self.ids.people[bi])
            .map(|(person, &id)| Person {
                id,
                name: person.name.clone(),
                email: person.email.clone(),
                role: person.role,
            })
            .collect();
        self.state.businesses.push(Business {
            id,
            name: entry.name.clone(),
            country: entry.country,
            verification_status: entry.verification_status.clone(),
            people,
            mm_terms: entry
                .mm_terms_signed_at
                .map(|Time(at)| TermsSigned { at, by: signed_by }),
            created_at: self.time(entry.created_at),
        });
        for (si, user) in entry.system_users.iter().enumerate() {
            let path = format!("{path}.system_users[{si}]");
            let user_id = self.ids.system_users[bi][si];
            self.state.system_users.push(SystemUser {
                id: user_id,
                business_id: id,
                name: user.name.clone(),
                role: user.role,
            });
            for (ai, assigned) in user.assigned_wabas.iter().enumerate() {
                let path = format!("{path}.assigned_wabas[{ai}]");
                let waba_id = self
                    .ids
                    .waba_keys
                    .resolve(&assigned.waba, &format!("{path}.waba"))?;
                let tasks = wamm_domain::assignment::tasks(&assigned.tasks)
                    .map_err(|e| invalid(format!("{path}.tasks"), e.to_string()))?;
                self.state
                    .assignments
                    .push(wamm_domain::assignment::WabaAssignment {
                        waba_id,
                        user_id,
                        business_id: id,
                        tasks,
                        assigned_at: self.time(assigned.assigned_at),
                    });
            }
            for (ti, token) in user.tokens.iter().enumerate() {
                let path = format!("{path}.tokens[{ti}]");
                if !matches!(
                    token.kind,
                    TokenKind::SystemUser | TokenKind::BusinessIntegration
                ) {
                    return Err(invalid(
                        format!("{path}.kind"),
                        "a system user's token is SYSTEM_USER or BUSINESS_INTEGRATION",
                    ));
                }
                for (field, value) in [("business", &token.business), ("user", &token.user)] {
                    if value.is_some() {
                        return Err(invalid(
                            format!("{path}.{field}"),
                            "only top-level tokens name their business and user",
                        ));
                    }
                }
                self.token(token, &path, Some(id), Some(user_id))?;
            }
        }
        for (wi, waba) in entry.wabas.iter().enumerate() {
            self.waba(bi, wi, entry, waba)?;
        }
        self.pixels(bi, entry)
    }

    /// The pixels of `businesses[bi]`; those without an ID get one once the world is built.
    fn pixels(&mut self, bi: usize, entry: &BusinessEntry) -> Result<(), WorldError> {
        let mut dataset: Option<String> = None;
        for (pi, pixel) in entry.pixels.iter().enumerate() {
            let path = format!("businesses[{bi}].pixels[{pi}]");
            if pixel.name.trim().is_empty() {
                return Err(invalid(
                    format!("{path}.name"),
                    "a pixel name must not be empty",
                ));
            }
            for (di, domain) in pixel.domains.iter().enumerate() {
                let host_like = !domain.is_empty()
                    && domain
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-');
                if !host_like {
                    return Err(invalid(
                        format!("{path}.domains[{di}]"),
                        format!(
                            "'{domain}' is not a domain such as shop.example (no scheme or path)"
                        ),
                    ));
                }
            }
            if pixel.dataset {
                if let Some(first) = &dataset {
                    return Err(invalid(
                        format!("{path}.dataset"),
                        format!("a business has at most one dataset (already {first})"),
                    ));
                }
                dataset = Some(path.clone());
            }
            self.state.pixels.push(wamm_domain::capi::Pixel {
                id: self.ids.pixels[bi][pi].unwrap_or(PixelId::new(0)),
                name: pixel.name.clone(),
                owner_business_id: self.ids.businesses[bi],
                domains: pixel
                    .domains
                    .iter()
                    .map(|d| d.to_ascii_lowercase())
                    .collect(),
                dataset: pixel.dataset,
                created_at: self.time(pixel.created_at),
            });
        }
        Ok(())
    }

    fn waba(
        &mut self,
        bi: usize,
        wi: usize,
        owner: &BusinessEntry,
        entry: &WabaEntry,
    ) -> Result<(), WorldError> {
        let path = format!("businesses[{bi}].wabas[{wi}]");
        let owner_id = self.ids.businesses[bi];
        let id = self.ids.wabas[bi][wi];
        let mut partners: Vec<WabaPartner> = Vec::new();
        let mut obo: Option<String> = None;
        for (pi, partner) in entry.partners.iter().enumerate() {
            let path = format!("{path}.partners[{pi}]");
            let business_id = self
                .ids
                .business_keys
                .resolve(&partner.business, &format!("{path}.business"))?;
            if business_id == owner_id {
                return Err(invalid(
                    format!("{path}.business"),
                    format!(
                        "'{}' owns this WABA and cannot also be its partner",
                        partner.business
                    ),
                ));
            }
            if partners.iter().any(|p| p.business_id == business_id) {
                return Err(invalid(
                    format!("{path}.business"),
                    format!("'{}' is already a partner of this WABA", partner.business),
                ));
            }
            if partner.access == PartnerAccess::Obo {
                if let Some(first) = &obo {
                    return Err(invalid(
                        format!("{path}.access"),
                        format!("a WABA has at most one OBO partner (already {first})"),
                    ));
                }
                obo = Some(path.clone());
            }
            let migration_intent = match partner.migration_intent {
                MigrationIntentEntry::None => None,
                MigrationIntentEntry::Set(_) if partner.access != PartnerAccess::Obo => {
                    return Err(invalid(
                        format!("{path}.migration_intent"),
                        "only an OBO partner can have a migration intent",
                    ));
                }
                MigrationIntentEntry::Set(details) => Some(MigrationIntent {
                    set_at: self.time(details.set_at),
                    solution_id: details.solution_id,
                }),
            };
            partners.push(WabaPartner {
                business_id,
                access: partner.access,
                migration_intent,
            });
        }
        let message_template_namespace = match &entry.message_template_namespace {
            Some(ns) if ns.is_empty() => {
                return Err(invalid(
                    format!("{path}.message_template_namespace"),
                    "a template namespace must not be empty",
                ));
            }
            Some(ns) => ns.clone(),
            None => namespace(self.mint),
        };
        let mm_setup_complete_at = match entry.mm_setup_complete_at {
            None => owner.mm_terms_signed_at.map(|Time(at)| at),
            Some(explicit) => explicit.map(|Time(at)| at),
        };
        self.state.wabas.push(Waba {
            id,
            name: entry.name.clone(),
            owner_business_id: owner_id,
            tax_country: entry.tax_country,
            status: entry.status,
            currency: entry.currency.clone(),
            timezone_id: entry.timezone_id.clone(),
            message_template_namespace,
            payment_method: entry.payment_method,
            partners,
            solution_id: entry.solution_id,
            mm_setup_complete_at,
            message_activity_sharing: entry.message_activity_sharing,
            ad_account_id: entry.ad_account_id.clone(),
            disabled_ad_account_id: None,
            mm_setup_webhook_pending: false,
            mm_offboarded_at: entry.mm_offboarded_at.map(|Time(t)| t),
            insights_enabled_at: entry.insights_enabled_at.map(|Time(t)| t),
            created_at: self.time(entry.created_at),
        });
        for (ni, phone) in entry.phone_numbers.iter().enumerate() {
            self.state.phone_numbers.push(PhoneNumber {
                id: self.ids.phones[bi][wi][ni],
                waba_id: id,
                display_phone_number: phone.display_phone_number.clone(),
                verified_name: phone.verified_name.clone(),
                registered: phone.registered,
                throughput: phone.throughput,
                coexistence: phone.coexistence,
                quality_rating: phone.quality_rating,
                life: phone.life.clone(),
            });
        }
        let mut names: HashMap<(&str, &str), String> = HashMap::new();
        for (ti, template) in entry.templates.iter().enumerate() {
            let path = format!("{path}.templates[{ti}]");
            let ttl = check_template(template, &path)?;
            if let Some(first) = names.get(&(template.name.as_str(), template.language.as_str())) {
                return Err(invalid(
                    format!("{path}.name"),
                    format!(
                        "template '{}' in {} is already defined at {first}",
                        template.name, template.language
                    ),
                ));
            }
            names.insert((&template.name, &template.language), path);
            self.state.templates.push(Template {
                id: self.ids.templates[bi][wi][ti],
                waba_id: id,
                name: template.name.clone(),
                language: template.language.clone(),
                category: template.category,
                status: template.status,
                parameter_format: template.parameter_format.clone(),
                components: template.components.clone(),
                message_send_ttl_seconds: ttl,
                ad: template.ad.clone(),
                created_at: self.time(template.created_at),
            });
        }
        let mut subscribed = HashSet::new();
        for (si, sub) in entry.subscribed_apps.iter().enumerate() {
            let path = format!("{path}.subscribed_apps[{si}]");
            let app_id = self
                .ids
                .app_keys
                .resolve(&sub.app, &format!("{path}.app"))?;
            if !subscribed.insert(app_id) {
                return Err(invalid(
                    format!("{path}.app"),
                    format!("app '{}' is already subscribed to this WABA", sub.app),
                ));
            }
            self.state.subscriptions.push(WabaSubscription {
                waba_id: id,
                app_id,
                override_callback_uri: sub.override_callback_uri.clone(),
                verify_token: sub.verify_token.clone(),
                subscribed_at: self.time(sub.subscribed_at),
            });
        }
        if let Some(history) = &entry.history {
            let phones: Vec<_> = entry
                .phone_numbers
                .iter()
                .zip(self.state.phone_numbers.iter().filter(|p| p.waba_id == id))
                .collect();
            let templates: Vec<_> = self
                .state
                .templates
                .iter()
                .filter(|t| t.waba_id == id)
                .collect();
            let spec = crate::history::resolve(
                history,
                &format!("{path}.history"),
                id,
                &phones,
                &templates,
            )?;
            self.history.push(spec);
        }
        Ok(())
    }

    fn token(
        &mut self,
        entry: &TokenEntry,
        path: &str,
        business_id: Option<BusinessId>,
        user_id: Option<UserId>,
    ) -> Result<(), WorldError> {
        let app_id = self
            .ids
            .app_keys
            .resolve(&entry.app, &format!("{path}.app"))?;
        let (hash, hint, plain) = match (&entry.token, &entry.token_sha256) {
            (Some(_), Some(_)) => {
                return Err(invalid(
                    format!("{path}.token_sha256"),
                    "give either token or token_sha256, not both",
                ));
            }
            (None, Some(hash)) => {
                let lower_hex = hash.len() == 64
                    && hash
                        .bytes()
                        .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
                if !lower_hex {
                    return Err(invalid(
                        format!("{path}.token_sha256"),
                        "token_sha256 must be 64 lowercase hex characters (a SHA-256 digest)",
                    ));
                }
                (hash.clone(), entry.hint.clone().unwrap_or_default(), None)
            }
            (plain, None) => {
                let plain = match plain {
                    Some(plain) if plain.chars().count() < 16 => {
                        return Err(invalid(
                            format!("{path}.token"),
                            "a plain token must be at least 16 characters",
                        ));
                    }
                    Some(plain) => plain.clone(),
                    None => self.mint.new_token(),
                };
                let hint = last_chars(&plain, 4);
                if entry.hint.as_ref().is_some_and(|given| *given != hint) {
                    return Err(invalid(
                        format!("{path}.hint"),
                        "the hint of a plain token is its last four characters; leave it out",
                    ));
                }
                (hash_token(&plain), hint, Some(plain))
            }
        };
        if let Some(first) = self.hashes.get(&hash) {
            return Err(invalid(
                path,
                format!("the same token is already defined at {first}"),
            ));
        }
        self.hashes.insert(hash.clone(), path.to_owned());
        let scopes = match &entry.scopes {
            Some(scopes) => scopes.clone(),
            None => self.app_permissions(app_id),
        };
        let target_wabas = entry
            .target_wabas
            .iter()
            .enumerate()
            .map(|(k, key)| {
                self.ids
                    .waba_keys
                    .resolve(key, &format!("{path}.target_wabas[{k}]"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        if let (Some(token), Some(user_id), Some(business_id)) = (plain, user_id, business_id) {
            self.issued.push(IssuedToken {
                key: entry.key.clone(),
                token,
                app_id,
                user_id,
                business_id,
            });
        }
        self.state.tokens.push(TokenRecord {
            hash,
            kind: entry.kind,
            app_id,
            business_id,
            user_id,
            scopes,
            target_wabas,
            target_ad_accounts: Vec::new(),
            issued_at: self.time(entry.issued_at),
            expires_at: entry.expires_at.map(|Time(t)| t),
            revoked_at: entry.revoked_at.map(|Time(t)| t),
            hint,
        });
        Ok(())
    }

    fn app_permissions(&self, app_id: AppId) -> Vec<Permission> {
        let granted: BTreeMap<Permission, ()> = self
            .state
            .apps
            .iter()
            .filter(|a| a.id == app_id)
            .flat_map(|a| a.permissions.iter().map(|p| (p.permission, ())))
            .collect();
        granted.into_keys().collect()
    }

    fn time(&self, given: Option<Time>) -> Timestamp {
        given.map_or(self.now, |Time(t)| t)
    }
}

/// The last `n` characters of `text`.
fn last_chars(text: &str, n: usize) -> String {
    let count = text.chars().count();
    text.chars().skip(count.saturating_sub(n)).collect()
}

/// Checks one app webhook subscription on its own (not against the app's others).
fn check_webhook(entry: &WebhookEntry, path: &str) -> Result<(), WorldError> {
    let object_ok = !entry.object.is_empty()
        && entry
            .object
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    if !object_ok {
        return Err(invalid(
            format!("{path}.object"),
            format!(
                "'{}' is not a webhook object (lower case letters, digits and underscores, e.g. whatsapp_business_account)",
                entry.object
            ),
        ));
    }
    check_callback_url(&entry.callback_url)
        .map_err(|message| invalid(format!("{path}.callback_url"), message))?;
    if entry.verify_token.trim().is_empty() {
        return Err(invalid(
            format!("{path}.verify_token"),
            "a verify token must not be empty",
        ));
    }
    if entry.fields.is_empty() {
        return Err(invalid(
            format!("{path}.fields"),
            "subscribe to at least one field",
        ));
    }
    for (fi, field) in entry.fields.iter().enumerate() {
        let at = format!("{path}.fields[{fi}]");
        if !WEBHOOK_FIELDS.contains(&field.as_str()) {
            return Err(invalid(
                at,
                format!(
                    "unknown webhook field '{field}' (known fields: {})",
                    WEBHOOK_FIELDS.join(", ")
                ),
            ));
        }
        if let Some(first) = entry.fields[..fi].iter().position(|f| f == field) {
            return Err(invalid(
                at,
                format!("field '{field}' is already listed at {path}.fields[{first}]"),
            ));
        }
    }
    Ok(())
}

/// Checks that `url` is an absolute `http://` or `https://` URL with a host; the reason when
/// it is not.
fn check_callback_url(url: &str) -> Result<(), String> {
    if url.is_empty() {
        return Err("a callback URL is required".to_owned());
    }
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(format!("'{url}' is not a URL: it contains white space"));
    }
    let rest = ["https://", "http://"]
        .iter()
        .find_map(|scheme| {
            let head = url.get(..scheme.len())?;
            head.eq_ignore_ascii_case(scheme)
                .then(|| url.get(scheme.len()..))
                .flatten()
        })
        .ok_or_else(|| format!("'{url}' is not an http:// or https:// URL"))?;
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, hp)| hp);
    let (host, port) = match host_port.strip_prefix('[') {
        // An IPv6 literal: `[::1]` or `[::1]:8080`.
        Some(bracketed) => {
            let (ip, after) = bracketed
                .split_once(']')
                .ok_or_else(|| format!("'{url}' has an unclosed [ in its host"))?;
            match after {
                "" => (ip, None),
                _ => (
                    ip,
                    Some(
                        after
                            .strip_prefix(':')
                            .ok_or_else(|| format!("'{url}' has a malformed host"))?,
                    ),
                ),
            }
        }
        None => match host_port.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (host_port, None),
        },
    };
    if host.is_empty() {
        return Err(format!("'{url}' has no host"));
    }
    let port_ok = |p: &str| p.bytes().all(|b| b.is_ascii_digit()) && p.parse::<u16>().is_ok();
    if port.is_some_and(|p| !port_ok(p)) {
        return Err(format!("'{url}' has an invalid port"));
    }
    Ok(())
}

/// Checks a template with the platform's own rules; returns its TTL.
fn check_template(template: &TemplateEntry, path: &str) -> Result<Option<u32>, WorldError> {
    let at =
        |e: wamm_domain::template::TemplateError| invalid(format!("{path}.{}", e.param), e.message);
    validate_name(&template.name).map_err(at)?;
    validate_language(&template.language).map_err(at)?;
    if !matches!(template.parameter_format.as_str(), "POSITIONAL" | "NAMED") {
        return Err(invalid(
            format!("{path}.parameter_format"),
            format!("'{}' is not POSITIONAL or NAMED", template.parameter_format),
        ));
    }
    validate_components(&template.components).map_err(at)?;
    let Some(ttl) = template.message_send_ttl_seconds else {
        return Ok(None);
    };
    validate_ttl(template.category, ttl).map_err(at)?;
    u32::try_from(ttl).map(Some).map_err(|_| {
        invalid(
            format!("{path}.message_send_ttl_seconds"),
            "message_send_ttl_seconds is out of range",
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mint::SeqMint;
    use crate::text::parse;

    const NOW: Timestamp = Timestamp::from_millis(1_760_000_000_000);

    fn build(text: &str) -> Result<Loaded, WorldError> {
        parse(text)?.build(&mut SeqMint::new(1000), NOW)
    }

    fn path_of(text: &str) -> String {
        match build(text) {
            Ok(_) => "built fine".to_owned(),
            Err(e) => e.path().map_or_else(|| e.to_string(), str::to_owned),
        }
    }

    const BASE: &str = "format: wamm-world/1
apps:
  - key: connect
    name: Connect
    business: partner
    partner_type: BSP
    permissions: {business_management: advanced, whatsapp_business_messaging: standard}
businesses:
  - key: partner
    name: Partner
    country: US
    system_users:
      - key: ops
        name: Ops
        role: ADMIN
        tokens:
          - app: connect
  - key: client
    name: Client
    country: BR
    mm_terms_signed_at: 2025-10-07
    wabas:
      - key: w
        name: W
        tax_country: BR
        partners: [{business: partner, access: SHARED}]
";

    #[test]
    fn defaults_and_generated_values() {
        let loaded = build(BASE).expect("builds");
        let state = &loaded.state;
        assert_eq!(state.apps.len(), 1);
        assert_eq!(state.apps[0].secret.len(), 32);
        let token = &state.tokens[0];
        assert_eq!(token.kind, TokenKind::SystemUser);
        assert_eq!(
            token.scopes,
            [
                Permission::WhatsappBusinessMessaging,
                Permission::BusinessManagement
            ]
        );
        assert_eq!(token.issued_at, NOW);
        assert_eq!(loaded.issued.len(), 1);
        assert_eq!(hash_token(&loaded.issued[0].token), token.hash);
        assert_eq!(token.hint, last_chars(&loaded.issued[0].token, 4));
        let waba = &state.wabas[0];
        assert_eq!(waba.currency, "USD");
        assert_eq!(waba.timezone_id, "1");
        assert_eq!(waba.mm_setup_complete_at, Timestamp::parse("2025-10-07"));
        assert_eq!(waba.created_at, NOW);
    }

    #[test]
    fn explicit_null_setup_means_never() {
        let text = BASE.replace(
            "tax_country: BR\n",
            "tax_country: BR\n        mm_setup_complete_at: null\n",
        );
        let loaded = build(&text).expect("builds");
        assert_eq!(loaded.state.wabas[0].mm_setup_complete_at, None);
    }

    #[test]
    fn generated_ids_skip_explicit_ones() {
        let text = BASE.replace("  - key: client\n", "  - key: client\n    id: 1000\n");
        let loaded = build(&text).expect("builds");
        let ids: HashSet<u64> = loaded.state.businesses.iter().map(|b| b.id.get()).collect();
        assert!(ids.contains(&1000));
        assert_ne!(loaded.state.apps[0].id.get(), 1000);
    }

    #[test]
    fn rule_violations_name_their_path() {
        let cases = [
            (
                BASE.replace("business: partner", "business: partnr"),
                "apps[0].business",
            ),
            (
                BASE.replace(
                    "{business: partner, access: SHARED}",
                    "{business: client, access: SHARED}",
                ),
                "businesses[1].wabas[0].partners[0].business",
            ),
            (
                BASE.replace(
                    "[{business: partner, access: SHARED}]",
                    "[{business: partner, access: SHARED, migration_intent: true}]",
                ),
                "businesses[1].wabas[0].partners[0].migration_intent",
            ),
            (
                BASE.replace(
                    "      - app: connect",
                    "      - app: connect\n            token: short",
                ),
                "businesses[0].system_users[0].tokens[0].token",
            ),
            (
                BASE.replace(
                    "      - app: connect",
                    "      - app: connect\n            token_sha256: ABC",
                ),
                "businesses[0].system_users[0].tokens[0].token_sha256",
            ),
            (
                BASE.replace(
                    "      - app: connect",
                    "      - app: connect\n            target_wabas: [nope]",
                ),
                "businesses[0].system_users[0].tokens[0].target_wabas[0]",
            ),
            (
                BASE.replace(
                    "      - app: connect",
                    "      - app: connect\n            kind: APP",
                ),
                "businesses[0].system_users[0].tokens[0].kind",
            ),
            (
                BASE.replace("  - key: client\n", "  - key: client\n    id: 5\n")
                    .replace("  - key: partner\n", "  - key: partner\n    id: 5\n"),
                "businesses[1].id",
            ),
            (
                BASE.replace("mm_terms_signed_at: 2025-10-07", "mm_terms_signed_by: ops"),
                "businesses[1].mm_terms_signed_by",
            ),
            (
                BASE.replace("key: w", "key: ops2\n        key2: x"),
                "businesses[1].wabas[0].key2",
            ),
        ];
        for (text, expected) in cases {
            assert_eq!(path_of(&text), expected, "{text}");
        }
    }

    #[test]
    fn callback_urls_need_an_http_scheme_and_a_host() {
        for good in [
            "https://hooks.partner.example/whatsapp",
            "http://localhost:8080",
            "HTTPS://Hooks.Example?x=1",
            "https://user:pw@hooks.example:443/a#b",
            "http://[::1]:9000/hook",
            "http://127.0.0.1",
        ] {
            assert_eq!(check_callback_url(good), Ok(()), "{good}");
        }
        for bad in [
            "",
            "hooks.partner.example/whatsapp",
            "ftp://hooks.example",
            "https://",
            "https:///path",
            "https://:8080/x",
            "https://user@/x",
            "https://hooks.example:port",
            "https://hooks.example:+80",
            "https://hooks.example:99999",
            "https://hooks.example:",
            "http://[::1/x",
            "http://[]:80",
            "http://[::1]x",
            "https://hooks example",
            "https:/hooks.example",
        ] {
            assert!(check_callback_url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn two_obo_partners_are_refused() {
        let text = BASE.replace(
            "[{business: partner, access: SHARED}]",
            "[{business: partner, access: OBO}, {business: other, access: OBO}]",
        ) + "  - key: other\n    name: Other\n    country: DE\n";
        assert_eq!(path_of(&text), "businesses[1].wabas[0].partners[1].access");
    }

    #[test]
    fn the_same_person_may_belong_to_two_businesses() {
        let text = BASE
            .replace("    country: US\n", "    country: US\n    people: [{id: 77, name: A, email: a@x.example, role: ADMIN}]\n")
            .replace("    country: BR\n", "    country: BR\n    people: [{id: 77, name: A, email: a@x.example, role: EMPLOYEE}]\n");
        assert!(build(&text).is_ok());
        let clash = text.replace("  - key: w\n", "  - key: w\n        id: 77\n");
        assert_eq!(path_of(&clash), "businesses[1].wabas[0].id");
    }

    const HISTORY_WABA: &str = "        phone_numbers:
          - { key: main, display_phone_number: \"+55 11 4000-0001\", verified_name: W }
          - { key: spare, display_phone_number: \"+55 11 4000-0002\", verified_name: W2 }
        templates:
          - { name: promo, language: en_US, category: MARKETING, components: [
              { type: BODY, text: \"Hi {{1}}\", example: { body_text: [[Ana]] } },
              { type: BUTTONS, buttons: [{ type: URL, text: Shop, url: \"https://s.example/\" }] } ] }
          - { name: receipt, language: en_US, category: UTILITY, components: [{ type: BODY, text: Thanks }] }
          - { name: receipt, language: pt_BR, category: UTILITY, components: [{ type: BODY, text: Obrigado }] }
";

    fn with_history(history: &str) -> String {
        format!("{BASE}{HISTORY_WABA}        history:\n{history}")
    }

    #[test]
    fn a_history_resolves_against_its_waba() {
        let loaded = build(&with_history(
            "          days: 21
          seed: 9
          phone_number: spare
          templates:
            - { name: promo, marketing_messages: 40, messages: 5 }
            - { name: receipt, language: pt_BR, messages: 3 }
          recipients: 50
",
        ))
        .expect("builds");
        let [spec] = loaded.history.as_slice() else {
            panic!("one history: {:?}", loaded.history);
        };
        assert_eq!(spec.waba_id, loaded.state.wabas[0].id);
        assert_eq!(spec.phone_number_id, loaded.state.phone_numbers[1].id);
        assert_eq!((spec.days, spec.seed), (21, Some(9)));
        assert_eq!(spec.recipients.len(), 50);
        assert!(spec.recipients.iter().all(|r| r.starts_with("557")));
        assert!(spec.templates[0].clickable);
        assert!(!spec.templates[1].clickable);
        assert_eq!(spec.templates[1].language, "pt_BR");
        assert_eq!(
            spec.templates[0].components,
            vec![
                serde_json::json!({"type": "body", "parameters": [{"type": "text", "text": "Ana"}]})
            ]
        );
        assert_eq!(
            (spec.read_rate, spec.click_rate, spec.conversion_rate),
            (0.6, 0.3, 0.2)
        );
        // Exports leave the history out.
        assert!(
            crate::export(&loaded.state)
                .businesses
                .iter()
                .flat_map(|b| &b.wabas)
                .all(|w| w.history.is_none())
        );
    }

    #[test]
    fn history_mistakes_name_their_path() {
        let at = |history: &str| path_of(&with_history(history));
        let base = "businesses[1].wabas[0].history";
        for (history, field) in [
            (
                "          days: 0\n          templates: [{ name: promo, messages: 1 }]\n",
                "days",
            ),
            (
                "          days: 91\n          templates: [{ name: promo, messages: 1 }]\n",
                "days",
            ),
            ("          days: 5\n          templates: []\n", "templates"),
            (
                "          days: 5\n          templates: [{ name: promo }]\n",
                "templates",
            ),
            (
                "          days: 5\n          templates: [{ name: nope, messages: 1 }]\n",
                "templates[0].name",
            ),
            (
                "          days: 5\n          templates: [{ name: receipt, messages: 1 }]\n",
                "templates[0].language",
            ),
            (
                "          days: 5\n          templates: [{ name: receipt, language: en_US, marketing_messages: 1 }]\n",
                "templates[0].marketing_messages",
            ),
            (
                "          days: 5\n          templates: [{ name: promo, messages: 10001 }]\n",
                "templates[0].messages",
            ),
            (
                "          days: 90\n          templates: [{ name: promo, messages: 1200 }]\n",
                "templates",
            ),
            (
                "          days: 5\n          phone_number: other\n          templates: [{ name: promo, messages: 1 }]\n",
                "phone_number",
            ),
            (
                "          days: 5\n          recipients: 0\n          templates: [{ name: promo, messages: 1 }]\n",
                "recipients",
            ),
            (
                "          days: 5\n          recipients: [\"12\"]\n          templates: [{ name: promo, messages: 1 }]\n",
                "recipients[0]",
            ),
            (
                "          days: 5\n          read_rate: 1.5\n          templates: [{ name: promo, messages: 1 }]\n",
                "read_rate",
            ),
        ] {
            assert_eq!(at(history), format!("{base}.{field}"), "{history}");
        }
    }
}
