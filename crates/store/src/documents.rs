//! Every stored aggregate as a [`Document`]: its table, key and index columns, and the side
//! writes of the two kinds that keep other tables up to date (a WABA's partners and ad
//! objects, a template's ad objects). Also the lookups that are not one index column, and the
//! guards, which claim a condition on a document's index columns.

use std::borrow::Cow;

use wamm_domain::ads::{AdObjectKind, AdObjectRef};
use wamm_domain::assignment::WabaAssignment;
use wamm_domain::capi::{Pixel, ReceivedEvent};
use wamm_domain::solution::{MigrationStatus, Solution, SolutionMigration};
use wamm_domain::{
    App, AppSubscription, AuthCode, Business, OnboardingRequest, PartnerAccess, PhoneNumber,
    RequestStatus, SystemUser, Template, TemplateGroup, Timestamp, TokenRecord, Waba,
    WabaSubscription,
};
use wamm_wire::ids::{
    AppId, BusinessId, MigrationIntentId, PhoneNumberId, PixelId, RequestId, SolutionId,
    TemplateGroupId, TemplateId, UserId, WabaId,
};

use crate::convert::{db_id, db_id_opt, id_from_db};
use crate::document::{AdObjectRow, Document, Index, OnConflict, Statement, Value};
use crate::{Guard, StoreError};

/// An ID's value.
fn id(id: u64) -> Result<Value<'static>, StoreError> {
    Ok(Value::Int(db_id(id)?))
}

/// Borrowed text's value.
fn text(s: &str) -> Value<'_> {
    Value::Text(Cow::Borrowed(s))
}

impl Document for App {
    const TABLE: &'static str = "apps";
    const KEY: &'static [&'static str] = &["id"];
    const INDEX: &'static [&'static str] = &["business_id"];
    type Key = AppId;

    fn columns(&self) -> Result<Vec<Value<'_>>, StoreError> {
        Ok(vec![id(self.id.get())?, id(self.business_id.get())?])
    }
}

impl Document for Business {
    const TABLE: &'static str = "businesses";
    const KEY: &'static [&'static str] = &["id"];
    const INDEX: &'static [&'static str] = &[];
    type Key = BusinessId;

    fn columns(&self) -> Result<Vec<Value<'_>>, StoreError> {
        Ok(vec![id(self.id.get())?])
    }
}

impl Document for SystemUser {
    const TABLE: &'static str = "system_users";
    const KEY: &'static [&'static str] = &["id"];
    const INDEX: &'static [&'static str] = &["business_id"];
    type Key = UserId;

    fn columns(&self) -> Result<Vec<Value<'_>>, StoreError> {
        Ok(vec![id(self.id.get())?, id(self.business_id.get())?])
    }
}

/// The system users of a business.
pub(crate) const SYSTEM_USERS_OF: Index<SystemUser, BusinessId> = Index::new("business_id");

impl Document for Waba {
    const TABLE: &'static str = "wabas";
    const KEY: &'static [&'static str] = &["id"];
    const INDEX: &'static [&'static str] = &["owner_business_id", "setup_pending_at"];
    type Key = WabaId;

    fn columns(&self) -> Result<Vec<Value<'_>>, StoreError> {
        // Set only while the setup webhook is owed, so that due setups are found by index.
        let setup_pending_at = self
            .mm_setup_complete_at
            .filter(|_| self.mm_setup_webhook_pending)
            .map(Timestamp::millis);
        Ok(vec![
            id(self.id.get())?,
            id(self.owner_business_id.get())?,
            Value::OptInt(setup_pending_at),
        ])
    }

    /// The ad objects the WABA carries, then its partners (the old list cleared first).
    fn side_writes(&self) -> Result<Vec<Statement<'_>>, StoreError> {
        let waba = id(self.id.get())?;
        let mut writes = ad_objects(&wamm_domain::ads::refs_of_waba(self))?;
        writes.push(Statement::new(WABA_PARTNERS_CLEAR, vec![waba.clone()]));
        for partner in &self.partners {
            writes.push(Statement::new(
                WABA_PARTNER,
                vec![
                    waba.clone(),
                    id(partner.business_id.get())?,
                    Value::text(access_text(partner.access)),
                ],
            ));
        }
        Ok(writes)
    }
}

/// The WABAs a business owns.
pub(crate) const WABAS_OWNED_BY: Index<Waba, BusinessId> = Index::new("owner_business_id");

/// Forgets a WABA's partners before its put lists them again.
const WABA_PARTNERS_CLEAR: &str = "DELETE FROM waba_partners WHERE waba_id = $1";
/// One partner of a WABA.
const WABA_PARTNER: &str =
    "INSERT INTO waba_partners (waba_id, partner_business_id, access) VALUES ($1, $2, $3)";
/// Where an ad object ID leads.
const AD_OBJECT: &str = "INSERT INTO ad_objects (id, kind, waba_id, template_id) \
    VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO UPDATE SET kind = excluded.kind, \
    waba_id = excluded.waba_id, template_id = excluded.template_id";

/// Upserts of the ad object index, one per ad object.
fn ad_objects(refs: &[AdObjectRef]) -> Result<Vec<Statement<'static>>, StoreError> {
    refs.iter()
        .map(|r| {
            Ok(Statement::new(
                AD_OBJECT,
                vec![
                    id(r.id)?,
                    Value::text(r.kind.as_str()),
                    id(r.waba_id.get())?,
                    Value::OptInt(db_id_opt(r.template_id.map(TemplateId::get))?),
                ],
            ))
        })
        .collect()
}

/// The `access` column of `waba_partners`.
pub(crate) const fn access_text(access: PartnerAccess) -> &'static str {
    match access {
        PartnerAccess::Shared => "SHARED",
        PartnerAccess::Obo => "OBO",
    }
}

impl Document for PhoneNumber {
    const TABLE: &'static str = "phone_numbers";
    const KEY: &'static [&'static str] = &["id"];
    const INDEX: &'static [&'static str] = &["waba_id"];
    type Key = PhoneNumberId;

    fn columns(&self) -> Result<Vec<Value<'_>>, StoreError> {
        Ok(vec![id(self.id.get())?, id(self.waba_id.get())?])
    }
}

/// The phone numbers of a WABA.
pub(crate) const PHONE_NUMBERS_OF: Index<PhoneNumber, WabaId> = Index::new("waba_id");

impl Document for Template {
    const TABLE: &'static str = "templates";
    const KEY: &'static [&'static str] = &["id"];
    const INDEX: &'static [&'static str] = &["waba_id", "name", "language"];
    type Key = TemplateId;

    fn columns(&self) -> Result<Vec<Value<'_>>, StoreError> {
        Ok(vec![
            id(self.id.get())?,
            id(self.waba_id.get())?,
            text(&self.name),
            text(&self.language),
        ])
    }

    /// The ad objects the template carries.
    fn side_writes(&self) -> Result<Vec<Statement<'_>>, StoreError> {
        ad_objects(&wamm_domain::ads::refs_of_template(self))
    }
}

/// The templates of a WABA.
pub(crate) const TEMPLATES_OF: Index<Template, WabaId> = Index::new("waba_id");

impl Document for TokenRecord {
    const TABLE: &'static str = "tokens";
    const KEY: &'static [&'static str] = &["hash"];
    const INDEX: &'static [&'static str] = &["app_id", "business_id"];
    type Key = str;

    fn columns(&self) -> Result<Vec<Value<'_>>, StoreError> {
        Ok(vec![
            text(&self.hash),
            id(self.app_id.get())?,
            Value::OptInt(db_id_opt(self.business_id.map(BusinessId::get))?),
        ])
    }
}

/// The tokens issued to an app.
pub(crate) const TOKENS_OF_APP: Index<TokenRecord, AppId> = Index::new("app_id");

impl Document for WabaSubscription {
    const TABLE: &'static str = "subscriptions";
    const KEY: &'static [&'static str] = &["waba_id", "app_id"];
    const INDEX: &'static [&'static str] = &[];
    type Key = WabaId;

    fn columns(&self) -> Result<Vec<Value<'_>>, StoreError> {
        Ok(vec![id(self.waba_id.get())?, id(self.app_id.get())?])
    }
}

/// The apps subscribed to a WABA.
pub(crate) const SUBSCRIPTIONS_OF: Index<WabaSubscription, WabaId> = Index::new("waba_id");

impl Document for AppSubscription {
    const TABLE: &'static str = "app_subscriptions";
    const KEY: &'static [&'static str] = &["app_id", "object"];
    const INDEX: &'static [&'static str] = &[];
    type Key = AppId;

    fn columns(&self) -> Result<Vec<Value<'_>>, StoreError> {
        Ok(vec![id(self.app_id.get())?, text(self.object.as_str())])
    }
}

/// An app's subscriptions.
pub(crate) const APP_SUBSCRIPTIONS_OF: Index<AppSubscription, AppId> = Index::new("app_id");

impl Document for WabaAssignment {
    const TABLE: &'static str = "waba_assignments";
    const KEY: &'static [&'static str] = &["waba_id", "user_id"];
    const INDEX: &'static [&'static str] = &["business_id"];
    type Key = WabaId;

    fn columns(&self) -> Result<Vec<Value<'_>>, StoreError> {
        Ok(vec![
            id(self.waba_id.get())?,
            id(self.user_id.get())?,
            id(self.business_id.get())?,
        ])
    }
}

/// The users assigned to a WABA.
pub(crate) const ASSIGNMENTS_OF_WABA: Index<WabaAssignment, WabaId> = Index::new("waba_id");
/// The WABAs a user is assigned to.
pub(crate) const ASSIGNMENTS_OF_USER: Index<WabaAssignment, UserId> = Index::new("user_id");

impl Document for OnboardingRequest {
    const TABLE: &'static str = "onboarding_requests";
    const KEY: &'static [&'static str] = &["id"];
    const INDEX: &'static [&'static str] = &[
        "client_business_id",
        "partner_business_id",
        "status",
        "next_reminder_at",
    ];
    type Key = RequestId;

    fn columns(&self) -> Result<Vec<Value<'_>>, StoreError> {
        Ok(vec![
            id(self.id.get())?,
            id(self.client_business_id.get())?,
            id(self.partner_business_id.get())?,
            Value::text(request_status_text(self.status)),
            Value::OptInt(self.next_reminder_at.map(Timestamp::millis)),
        ])
    }
}

/// The requests made to a client business.
pub(crate) const REQUESTS_OF: Index<OnboardingRequest, BusinessId> =
    Index::new("client_business_id");

/// The `status` column of `onboarding_requests`: the status's serde text.
pub(crate) const fn request_status_text(status: RequestStatus) -> &'static str {
    match status {
        RequestStatus::Pending => "PENDING",
        RequestStatus::Accepted => "ACCEPTED",
        RequestStatus::Rejected => "REJECTED",
    }
}

impl Document for AuthCode {
    const TABLE: &'static str = "auth_codes";
    const KEY: &'static [&'static str] = &["hash"];
    const INDEX: &'static [&'static str] = &["app_id", "used_at"];
    type Key = str;

    fn columns(&self) -> Result<Vec<Value<'_>>, StoreError> {
        Ok(vec![
            text(&self.hash),
            id(self.app_id.get())?,
            Value::OptInt(self.used_at.map(Timestamp::millis)),
        ])
    }
}

impl Document for TemplateGroup {
    const TABLE: &'static str = "template_groups";
    const KEY: &'static [&'static str] = &["id"];
    const INDEX: &'static [&'static str] = &["waba_id"];
    type Key = TemplateGroupId;

    fn columns(&self) -> Result<Vec<Value<'_>>, StoreError> {
        Ok(vec![id(self.id.get())?, id(self.waba_id.get())?])
    }
}

/// The template groups of a WABA.
pub(crate) const TEMPLATE_GROUPS_OF: Index<TemplateGroup, WabaId> = Index::new("waba_id");

impl Document for Solution {
    const TABLE: &'static str = "solutions";
    const KEY: &'static [&'static str] = &["id"];
    const INDEX: &'static [&'static str] = &["owner_app_id", "partner_app_id"];
    type Key = SolutionId;

    fn columns(&self) -> Result<Vec<Value<'_>>, StoreError> {
        Ok(vec![
            id(self.id.get())?,
            id(self.owner_app_id.get())?,
            id(self.partner_app_id.get())?,
        ])
    }
}

impl Document for SolutionMigration {
    const TABLE: &'static str = "migration_intents";
    const KEY: &'static [&'static str] = &["id"];
    const INDEX: &'static [&'static str] = &["waba_id", "solution_id", "status", "scheduled_at"];
    type Key = MigrationIntentId;

    fn columns(&self) -> Result<Vec<Value<'_>>, StoreError> {
        Ok(vec![
            id(self.id.get())?,
            id(self.waba_id.get())?,
            id(self.solution_id.get())?,
            Value::text(migration_status_text(self.status)),
            Value::OptInt(self.scheduled_at.map(Timestamp::millis)),
        ])
    }
}

/// The migration intents of a WABA.
pub(crate) const MIGRATION_INTENTS_OF: Index<SolutionMigration, WabaId> = Index::new("waba_id");

/// The `status` column of `migration_intents`: the status's serde text.
pub(crate) const fn migration_status_text(status: MigrationStatus) -> &'static str {
    match status {
        MigrationStatus::Initiated => "INITIATED",
        MigrationStatus::Accepted => "ACCEPTED",
        MigrationStatus::Completed => "COMPLETED",
        MigrationStatus::Rejected => "REJECTED",
    }
}

impl Document for Pixel {
    const TABLE: &'static str = "pixels";
    const KEY: &'static [&'static str] = &["id"];
    const INDEX: &'static [&'static str] = &["owner_business_id", "dataset_business_id"];
    type Key = PixelId;

    fn columns(&self) -> Result<Vec<Value<'_>>, StoreError> {
        let owner = db_id(self.owner_business_id.get())?;
        // Set only for a created dataset, so that a business has at most one.
        Ok(vec![
            id(self.id.get())?,
            Value::Int(owner),
            Value::OptInt(self.dataset.then_some(owner)),
        ])
    }
}

/// The pixels a business owns.
pub(crate) const PIXELS_OWNED_BY: Index<Pixel, BusinessId> = Index::new("owner_business_id");

impl Document for ReceivedEvent {
    const TABLE: &'static str = "pixel_events";
    const KEY: &'static [&'static str] = &["id"];
    const INDEX: &'static [&'static str] = &["pixel_id"];
    // The same event again is kept as first received.
    const ON_CONFLICT: OnConflict = OnConflict::Keep;
    type Key = str;

    fn columns(&self) -> Result<Vec<Value<'_>>, StoreError> {
        Ok(vec![text(&self.id), id(self.pixel_id.get())?])
    }
}

/// Lookups that are not one index column; each selects `doc`.
pub(crate) mod query {
    /// The WABAs that list `$1` among their partners.
    pub(crate) const WABAS_HELD_BY_PARTNER: &str = "SELECT doc FROM wabas WHERE id IN \
        (SELECT waba_id FROM waba_partners WHERE partner_business_id = $1) ORDER BY id";
    /// The WABAs owing their setup webhook by `$1`.
    pub(crate) const SETUPS_DUE: &str = "SELECT doc FROM wabas \
        WHERE setup_pending_at IS NOT NULL AND setup_pending_at <= $1 ORDER BY id";
    /// The pending requests whose reminder is due by `$1`.
    pub(crate) const DUE_REMINDERS: &str = "SELECT doc FROM onboarding_requests \
        WHERE status = 'PENDING' AND next_reminder_at <= $1 ORDER BY id";
    /// The solutions app `$1` owns or is the partner app of.
    pub(crate) const SOLUTIONS_OF_APP: &str = "SELECT doc FROM solutions \
        WHERE owner_app_id = $1 OR partner_app_id = $1 ORDER BY id";
    /// The accepted migration intents scheduled by `$1`.
    pub(crate) const MIGRATIONS_DUE: &str = "SELECT doc FROM migration_intents \
        WHERE status = 'ACCEPTED' AND scheduled_at <= $1 ORDER BY id";
    /// The newest `$2` events pixel `$1` received, newest first.
    pub(crate) const PIXEL_EVENTS: &str =
        "SELECT doc FROM pixel_events WHERE pixel_id = $1 ORDER BY id DESC LIMIT $2";
    /// How many businesses and apps there are.
    pub(crate) const ENTITY_COUNT: &str =
        "SELECT (SELECT COUNT(*) FROM businesses) + (SELECT COUNT(*) FROM apps)";
    /// Where ad object `$1` leads.
    pub(crate) const AD_OBJECT: &str =
        "SELECT kind, waba_id, template_id FROM ad_objects WHERE id = $1";
}

/// Where ad object `id` leads, from its index row.
pub(crate) fn ad_object_of(
    id: u64,
    (kind, waba, template): AdObjectRow,
) -> Result<AdObjectRef, StoreError> {
    let kind = AdObjectKind::parse(&kind)
        .ok_or_else(|| StoreError::Invalid(format!("ad object {id} has kind {kind}")))?;
    Ok(AdObjectRef {
        id,
        kind,
        waba_id: WabaId::new(id_from_db(waba)?),
        template_id: template.map(id_from_db).transpose()?.map(TemplateId::new),
    })
}

/// Guard statements: each claims its condition and must touch exactly one row.
mod guard {
    pub(super) const WABA_SETUP_PENDING: &str = "UPDATE wabas SET setup_pending_at = NULL \
        WHERE id = $1 AND setup_pending_at IS NOT NULL";
    pub(super) const REMINDER_DUE: &str = "UPDATE onboarding_requests \
        SET next_reminder_at = NULL \
        WHERE id = $1 AND status = 'PENDING' AND next_reminder_at = $2";
    pub(super) const CODE_UNUSED: &str =
        "UPDATE auth_codes SET used_at = $2 WHERE hash = $1 AND used_at IS NULL";
    /// Records an event ID as seen at `$4`, unless it was seen after `$5`.
    pub(super) const EVENT_UNSEEN: &str = "INSERT INTO pixel_event_ids (pixel_id, event_name, \
        event_id, seen_at) VALUES ($1, $2, $3, $4) \
        ON CONFLICT (pixel_id, event_name, event_id) DO UPDATE SET seen_at = excluded.seen_at \
        WHERE pixel_event_ids.seen_at < $5";
}

/// The statement that claims `guard`, which holds when it changes exactly one row; `None`
/// for a message step, which the journal claims with the others of its batch.
pub(crate) fn guard_statement(guard: &Guard) -> Result<Option<Statement<'_>>, StoreError> {
    Ok(Some(match guard {
        Guard::WabaSetupPending(waba) => {
            Statement::new(guard::WABA_SETUP_PENDING, vec![id(waba.get())?])
        }
        Guard::ReminderDue { request, due_at } => Statement::new(
            guard::REMINDER_DUE,
            vec![id(request.get())?, Value::Int(due_at.millis())],
        ),
        Guard::CodeUnused { hash, at } => Statement::new(
            guard::CODE_UNUSED,
            vec![text(hash), Value::Int(at.millis())],
        ),
        Guard::EventUnseen {
            pixel,
            event_name,
            event_id,
            at,
            since,
        } => Statement::new(
            guard::EVENT_UNSEEN,
            vec![
                id(pixel.get())?,
                text(event_name),
                text(event_id),
                Value::Int(at.millis()),
                Value::Int(since.millis()),
            ],
        ),
        Guard::MessageStep { .. } => return Ok(None),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::sql;

    /// Single spaces, for comparing statements written over several lines.
    fn squeezed(sql: &str) -> String {
        sql.split_whitespace().collect::<Vec<_>>().join(" ")
    }

    #[test]
    fn puts_are_the_upserts_by_primary_key() {
        let cases = [
            (
                sql::put::<App>(),
                "INSERT INTO apps (id, business_id, doc) VALUES ($1, $2, $3) ON CONFLICT (id) \
                 DO UPDATE SET business_id = excluded.business_id, doc = excluded.doc",
            ),
            (
                sql::put::<Business>(),
                "INSERT INTO businesses (id, doc) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE \
                 SET doc = excluded.doc",
            ),
            (
                sql::put::<Waba>(),
                "INSERT INTO wabas (id, owner_business_id, setup_pending_at, doc) VALUES ($1, \
                 $2, $3, $4) ON CONFLICT (id) DO UPDATE SET owner_business_id = \
                 excluded.owner_business_id, setup_pending_at = excluded.setup_pending_at, \
                 doc = excluded.doc",
            ),
            (
                sql::put::<Template>(),
                "INSERT INTO templates (id, waba_id, name, language, doc) VALUES ($1, $2, $3, \
                 $4, $5) ON CONFLICT (id) DO UPDATE SET waba_id = excluded.waba_id, name = \
                 excluded.name, language = excluded.language, doc = excluded.doc",
            ),
            (
                sql::put::<TokenRecord>(),
                "INSERT INTO tokens (hash, app_id, business_id, doc) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (hash) DO UPDATE SET app_id = excluded.app_id, business_id = \
                 excluded.business_id, doc = excluded.doc",
            ),
            (
                sql::put::<WabaSubscription>(),
                "INSERT INTO subscriptions (waba_id, app_id, doc) VALUES ($1, $2, $3) ON \
                 CONFLICT (waba_id, app_id) DO UPDATE SET doc = excluded.doc",
            ),
            (
                sql::put::<OnboardingRequest>(),
                "INSERT INTO onboarding_requests (id, client_business_id, \
                 partner_business_id, status, next_reminder_at, doc) VALUES ($1, $2, $3, $4, \
                 $5, $6) ON CONFLICT (id) DO UPDATE SET client_business_id = \
                 excluded.client_business_id, partner_business_id = \
                 excluded.partner_business_id, status = excluded.status, next_reminder_at = \
                 excluded.next_reminder_at, doc = excluded.doc",
            ),
            (
                sql::put::<Pixel>(),
                "INSERT INTO pixels (id, owner_business_id, dataset_business_id, doc) VALUES \
                 ($1, $2, $3, $4) ON CONFLICT (id) DO UPDATE SET owner_business_id = \
                 excluded.owner_business_id, dataset_business_id = \
                 excluded.dataset_business_id, doc = excluded.doc",
            ),
            (
                sql::put::<ReceivedEvent>(),
                "INSERT INTO pixel_events (id, pixel_id, doc) VALUES ($1, $2, $3) ON CONFLICT \
                 (id) DO NOTHING",
            ),
        ];
        for (got, want) in cases {
            assert_eq!(squeezed(&got), squeezed(want));
        }
    }

    #[test]
    fn reads_select_by_key_and_sort_by_the_rest_of_it() {
        assert_eq!(sql::get::<App>(), "SELECT doc FROM apps WHERE id = $1");
        assert_eq!(
            sql::get::<TokenRecord>(),
            "SELECT doc FROM tokens WHERE hash = $1"
        );
        assert_eq!(
            sql::all::<TokenRecord>(),
            "SELECT doc FROM tokens ORDER BY hash"
        );
        assert_eq!(
            sql::all::<WabaSubscription>(),
            "SELECT doc FROM subscriptions ORDER BY waba_id, app_id"
        );
        assert_eq!(
            sql::list::<WabaSubscription>(SUBSCRIPTIONS_OF.column),
            "SELECT doc FROM subscriptions WHERE waba_id = $1 ORDER BY app_id"
        );
        assert_eq!(
            sql::list::<WabaAssignment>(ASSIGNMENTS_OF_USER.column),
            "SELECT doc FROM waba_assignments WHERE user_id = $1 ORDER BY waba_id"
        );
        assert_eq!(
            sql::list::<AppSubscription>(APP_SUBSCRIPTIONS_OF.column),
            "SELECT doc FROM app_subscriptions WHERE app_id = $1 ORDER BY object"
        );
        assert_eq!(
            sql::list::<TokenRecord>(TOKENS_OF_APP.column),
            "SELECT doc FROM tokens WHERE app_id = $1 ORDER BY hash"
        );
        assert_eq!(
            sql::list::<OnboardingRequest>(REQUESTS_OF.column),
            "SELECT doc FROM onboarding_requests WHERE client_business_id = $1 ORDER BY id"
        );
    }

    #[test]
    fn removes_are_by_the_whole_key() {
        assert_eq!(
            sql::remove::<Template>(),
            "DELETE FROM templates WHERE id = $1"
        );
        assert_eq!(
            sql::remove::<WabaAssignment>(),
            "DELETE FROM waba_assignments WHERE waba_id = $1 AND user_id = $2"
        );
        assert_eq!(
            sql::remove::<AppSubscription>(),
            "DELETE FROM app_subscriptions WHERE app_id = $1 AND object = $2"
        );
    }

    #[test]
    fn status_columns_hold_the_serde_text() {
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
