//! Multi-Partner Solutions and the migration intents that move a WABA onto one.
//!
//! A solution joins two apps: the owner app that creates it and the partner app it invites.
//! Exactly one of them holds the configurable `MESSAGING` permission. Its life:
//!
//! ```text
//! create (owner)            → INITIATED, PENDING_ACTIVATION, partner NOTIFICATION_SENT
//! accept (partner)          → ACTIVE, NONE, partner ACCEPTED
//! reject (partner)          → REJECTED, NONE, partner REJECTED            (terminal)
//! send_deactivation (party) → INITIATED: DEACTIVATED at once; ACTIVE: PENDING_DEACTIVATION
//! accept_deactivation (other party)  → DEACTIVATED, NONE, partner DEACTIVATED (terminal)
//! reject_deactivation (other party)  → ACTIVE, NONE
//! ```
//!
//! A migration intent (an on-behalf-of request) asks the business that owns a WABA to let the
//! WABA move onto an active solution; it is set by a partner holding the WABA on the owner's
//! behalf:
//!
//! ```text
//! INITIATE (partner)          → INITIATED
//! business accepts / rejects  → ACCEPTED / REJECTED
//! CONFIRM (partner)           → COMPLETED: the WABA is on the solution
//! SCHEDULE (partner)          → completes when the platform clock reaches the time, once ACCEPTED
//! CANCEL (partner)            → REJECTED (cancelled), while INITIATED or ACCEPTED
//! ```
//!
//! Every rule is a pure function: the caller passes the state and `now` and stores what comes
//! back.

use serde::{Deserialize, Serialize};
use wamm_wire::ids::{AppId, BusinessId, MigrationIntentId, SolutionId, UserId};

use crate::model::{PartnerAccess, Waba};
use crate::time::Timestamp;

/// A solution's effective status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum SolutionStatus {
    /// Sent to the partner app, not yet answered.
    Initiated,
    /// Both apps agreed; businesses can be onboarded to it.
    Active,
    /// The partner app declined the invitation.
    Rejected,
    /// Ended by both parties (or withdrawn before activation).
    Deactivated,
}

/// A transition waiting for the other party.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum PendingRequest {
    /// Nothing is waiting.
    None,
    /// The partner app has not answered the invitation.
    PendingActivation,
    /// One party asked to deactivate; the other has not answered.
    PendingDeactivation,
}

/// Where the partner app's participation stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum PartnerStatus {
    /// Invited.
    NotificationSent,
    /// Accepted the invitation.
    Accepted,
    /// Declined the invitation.
    Rejected,
    /// The solution ended.
    Deactivated,
}

/// An app's part in a solution.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum SolutionRole {
    /// The app that created the solution.
    Owner,
    /// The app invited into it.
    Partner,
}

/// The permissions every solution partner receives on a client's WABA besides the
/// configurable `MESSAGING` (the spec's example of `owner_permissions`).
pub const DEFAULT_TASKS: [&str; 4] = ["MANAGE", "DEVELOP", "MANAGE_TEMPLATES", "VIEW_INSIGHTS"];

/// The only configurable permission.
pub const MESSAGING: &str = "MESSAGING";

/// Shortest and longest solution name (characters), as the spec bounds `solution_name`.
pub const NAME_CHARS: (usize, usize) = (2, 75);

/// A Multi-Partner Solution.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Solution {
    /// Its ID.
    pub id: SolutionId,
    /// Its name.
    pub name: String,
    /// The app that created it.
    pub owner_app_id: AppId,
    /// The owner app's business.
    pub owner_business_id: BusinessId,
    /// The invited app.
    pub partner_app_id: AppId,
    /// The partner app's business.
    pub partner_business_id: BusinessId,
    /// Whether the owner app holds `MESSAGING` (otherwise the partner app does).
    pub owner_messaging: bool,
    /// Its effective status.
    pub status: SolutionStatus,
    /// A transition waiting for the other party.
    pub pending: PendingRequest,
    /// The partner app's participation.
    pub partner_status: PartnerStatus,
    /// The app that asked to deactivate, while that request waits.
    pub deactivation_requested_by: Option<AppId>,
    /// When created (platform clock).
    pub created_at: Timestamp,
    /// When last changed (platform clock).
    pub updated_at: Timestamp,
}

impl Solution {
    /// The part `app` plays in the solution, if any.
    pub fn role_of(&self, app: AppId) -> Option<SolutionRole> {
        if app == self.owner_app_id {
            Some(SolutionRole::Owner)
        } else if app == self.partner_app_id {
            Some(SolutionRole::Partner)
        } else {
            None
        }
    }

    /// The permission tasks `role` holds on a client's WABA.
    pub fn tasks_of(&self, role: SolutionRole) -> Vec<&'static str> {
        let mut tasks = DEFAULT_TASKS.to_vec();
        if (role == SolutionRole::Owner) == self.owner_messaging {
            tasks.push(MESSAGING);
        }
        tasks
    }

    /// The configurable permissions `role` holds (`["MESSAGING"]` or none).
    pub fn configurable_of(&self, role: SolutionRole) -> Vec<&'static str> {
        if (role == SolutionRole::Owner) == self.owner_messaging {
            vec![MESSAGING]
        } else {
            Vec::new()
        }
    }
}

/// Why a solution rule refuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SolutionRefusal {
    /// The name is shorter than 2 or longer than 75 characters.
    InvalidName,
    /// A permission other than `MESSAGING`, or not exactly one app with `MESSAGING`.
    InvalidPermissions,
    /// The partner app is the owner app.
    PartnerIsOwner,
    /// The caller's app is neither the owner nor the partner app.
    NotParty,
    /// Only the invited partner app may answer the invitation.
    NotInvitedPartner,
    /// The invitation was already answered (the solution is no longer INITIATED).
    NotInitiated(SolutionStatus),
    /// The solution cannot be deactivated in this state (or a request already waits).
    NotDeactivatable(SolutionStatus, PendingRequest),
    /// No deactivation request waits.
    NoPendingDeactivation,
    /// The app that asked to deactivate cannot answer its own request.
    OwnRequest,
    /// The solution is not ACTIVE, so it cannot be used.
    NotActive(SolutionStatus),
}

/// What creating a solution asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSolution<'a> {
    /// The new solution's ID.
    pub id: SolutionId,
    /// `solution_name`.
    pub name: &'a str,
    /// The creating app and its business.
    pub owner: (AppId, BusinessId),
    /// The invited app and its business.
    pub partner: (AppId, BusinessId),
    /// `owner_permissions`.
    pub owner_permissions: &'a [String],
    /// `partner_permissions`.
    pub partner_permissions: &'a [String],
}

fn messaging_in(permissions: &[String]) -> Result<bool, SolutionRefusal> {
    // The spec allows at most one item, and `MESSAGING` is the only configurable one.
    match permissions {
        [] => Ok(false),
        [p] if p == MESSAGING => Ok(true),
        _ => Err(SolutionRefusal::InvalidPermissions),
    }
}

/// Creates a solution: INITIATED, waiting for the partner app.
pub fn create(new: &NewSolution<'_>, now: Timestamp) -> Result<Solution, SolutionRefusal> {
    let name = new.name.trim();
    let chars = name.chars().count();
    if chars < NAME_CHARS.0 || chars > NAME_CHARS.1 {
        return Err(SolutionRefusal::InvalidName);
    }
    let owner_messaging = messaging_in(new.owner_permissions)?;
    let partner_messaging = messaging_in(new.partner_permissions)?;
    if owner_messaging == partner_messaging {
        return Err(SolutionRefusal::InvalidPermissions);
    }
    if new.owner.0 == new.partner.0 {
        return Err(SolutionRefusal::PartnerIsOwner);
    }
    Ok(Solution {
        id: new.id,
        name: name.to_owned(),
        owner_app_id: new.owner.0,
        owner_business_id: new.owner.1,
        partner_app_id: new.partner.0,
        partner_business_id: new.partner.1,
        owner_messaging,
        status: SolutionStatus::Initiated,
        pending: PendingRequest::PendingActivation,
        partner_status: PartnerStatus::NotificationSent,
        deactivation_requested_by: None,
        created_at: now,
        updated_at: now,
    })
}

fn invitation(s: &Solution, app: AppId) -> Result<(), SolutionRefusal> {
    match s.role_of(app) {
        None => Err(SolutionRefusal::NotParty),
        Some(SolutionRole::Owner) => Err(SolutionRefusal::NotInvitedPartner),
        Some(SolutionRole::Partner) if s.status != SolutionStatus::Initiated => {
            Err(SolutionRefusal::NotInitiated(s.status))
        }
        Some(SolutionRole::Partner) => Ok(()),
    }
}

/// The partner app accepts the invitation: the solution becomes ACTIVE.
pub fn accept(s: &Solution, app: AppId, now: Timestamp) -> Result<Solution, SolutionRefusal> {
    invitation(s, app)?;
    Ok(Solution {
        status: SolutionStatus::Active,
        pending: PendingRequest::None,
        partner_status: PartnerStatus::Accepted,
        updated_at: now,
        ..s.clone()
    })
}

/// The partner app declines the invitation: the solution is REJECTED for good.
pub fn reject(s: &Solution, app: AppId, now: Timestamp) -> Result<Solution, SolutionRefusal> {
    invitation(s, app)?;
    Ok(Solution {
        status: SolutionStatus::Rejected,
        pending: PendingRequest::None,
        partner_status: PartnerStatus::Rejected,
        updated_at: now,
        ..s.clone()
    })
}

fn deactivated(s: &Solution, now: Timestamp) -> Solution {
    Solution {
        status: SolutionStatus::Deactivated,
        pending: PendingRequest::None,
        partner_status: PartnerStatus::Deactivated,
        deactivation_requested_by: None,
        updated_at: now,
        ..s.clone()
    }
}

/// A party asks to deactivate. An ACTIVE solution waits for the other party; an INITIATED
/// one, which no business can be on yet, is withdrawn at once.
pub fn send_deactivation(
    s: &Solution,
    app: AppId,
    now: Timestamp,
) -> Result<Solution, SolutionRefusal> {
    if s.role_of(app).is_none() {
        return Err(SolutionRefusal::NotParty);
    }
    match (s.status, s.pending) {
        (SolutionStatus::Initiated, _) => Ok(deactivated(s, now)),
        (SolutionStatus::Active, PendingRequest::None) => Ok(Solution {
            pending: PendingRequest::PendingDeactivation,
            deactivation_requested_by: Some(app),
            updated_at: now,
            ..s.clone()
        }),
        (status, pending) => Err(SolutionRefusal::NotDeactivatable(status, pending)),
    }
}

fn answering(s: &Solution, app: AppId) -> Result<(), SolutionRefusal> {
    if s.role_of(app).is_none() {
        return Err(SolutionRefusal::NotParty);
    }
    if s.status != SolutionStatus::Active || s.pending != PendingRequest::PendingDeactivation {
        return Err(SolutionRefusal::NoPendingDeactivation);
    }
    if s.deactivation_requested_by == Some(app) {
        return Err(SolutionRefusal::OwnRequest);
    }
    Ok(())
}

/// The other party accepts a deactivation request: the solution is DEACTIVATED for good.
pub fn accept_deactivation(
    s: &Solution,
    app: AppId,
    now: Timestamp,
) -> Result<Solution, SolutionRefusal> {
    answering(s, app)?;
    Ok(deactivated(s, now))
}

/// The other party rejects a deactivation request: the solution stays ACTIVE.
pub fn reject_deactivation(
    s: &Solution,
    app: AppId,
    now: Timestamp,
) -> Result<Solution, SolutionRefusal> {
    answering(s, app)?;
    Ok(Solution {
        pending: PendingRequest::None,
        deactivation_requested_by: None,
        updated_at: now,
        ..s.clone()
    })
}

/// Whether `app` may use the solution (the Intent API's `solution_id`, a migration intent):
/// it must be a party, and the solution ACTIVE.
pub fn usable_by(s: &Solution, app: AppId) -> Result<(), SolutionRefusal> {
    if s.role_of(app).is_none() {
        return Err(SolutionRefusal::NotParty);
    }
    if s.status != SolutionStatus::Active {
        return Err(SolutionRefusal::NotActive(s.status));
    }
    Ok(())
}

/// Where a migration intent stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum MigrationStatus {
    /// Waiting for the business that owns the WABA.
    Initiated,
    /// The business accepted; waiting for the partner to confirm (or the scheduled time).
    Accepted,
    /// The WABA is on the solution.
    Completed,
    /// The business rejected it, or the partner cancelled it.
    Rejected,
}

/// `migration_intent`: what a `set_solution_migration_intent` call does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum MigrationAction {
    /// Create an intent.
    InitiateMigration,
    /// Withdraw the open intent.
    CancelMigration,
    /// Complete the accepted intent now.
    ConfirmMigration,
    /// Complete the intent at `scheduled_migration_time`, once accepted.
    ScheduleMigration,
}

/// A WABA's migration intent to a solution.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SolutionMigration {
    /// Its ID (also the on-behalf-of request's).
    pub id: MigrationIntentId,
    /// The WABA that moves.
    pub waba_id: wamm_wire::ids::WabaId,
    /// The solution it moves onto.
    pub solution_id: SolutionId,
    /// The business that owns the WABA and decides.
    pub client_business_id: BusinessId,
    /// The partner business that set the intent (holds the WABA on the client's behalf).
    pub partner_business_id: BusinessId,
    /// The app whose token set it.
    pub app_id: AppId,
    /// Where it stands.
    pub status: MigrationStatus,
    /// `migration_reason`.
    pub reason: Option<String>,
    /// When a scheduled migration completes (platform clock).
    pub scheduled_at: Option<Timestamp>,
    /// Whether the partner cancelled it (status REJECTED).
    pub cancelled: bool,
    /// The business admin who decided, if one did.
    pub decided_by: Option<UserId>,
    /// When created (platform clock).
    pub created_at: Timestamp,
    /// When last changed (platform clock).
    pub updated_at: Timestamp,
}

impl SolutionMigration {
    /// Whether it is still in progress (INITIATED or ACCEPTED).
    pub const fn is_open(&self) -> bool {
        matches!(
            self.status,
            MigrationStatus::Initiated | MigrationStatus::Accepted
        )
    }

    /// Whether a scheduled completion is due at `now`.
    pub fn due(&self, now: Timestamp) -> bool {
        self.status == MigrationStatus::Accepted && self.scheduled_at.is_some_and(|at| at <= now)
    }
}

/// Why a migration rule refuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MigrationRefusal {
    /// The solution may not be used by the caller's app.
    Solution(SolutionRefusal),
    /// The caller's business does not hold the WABA on its owner's behalf.
    NotObo,
    /// The WABA is already on the solution.
    AlreadyOnSolution,
    /// An intent for the WABA is already in progress.
    AlreadyOpen(MigrationIntentId),
    /// No intent in progress for the WABA and solution.
    NoOpenIntent,
    /// The business has not accepted the intent yet.
    NotAccepted(MigrationStatus),
    /// The business has already decided.
    AlreadyDecided(MigrationStatus),
    /// `scheduled_migration_time` is missing or not after now.
    BadScheduleTime,
}

/// Checks an `INITIATE_MIGRATION` of `waba` onto `solution` by `app` of `partner`; `open` is the
/// WABA's intent in progress, if any.
pub fn may_initiate(
    solution: &Solution,
    app: AppId,
    partner: BusinessId,
    waba: &Waba,
    open: Option<&SolutionMigration>,
) -> Result<(), MigrationRefusal> {
    usable_by(solution, app).map_err(MigrationRefusal::Solution)?;
    if !waba
        .partner(partner)
        .is_some_and(|p| p.access == PartnerAccess::Obo)
    {
        return Err(MigrationRefusal::NotObo);
    }
    if waba.solution_id == Some(solution.id) {
        return Err(MigrationRefusal::AlreadyOnSolution);
    }
    if let Some(open) = open {
        return Err(MigrationRefusal::AlreadyOpen(open.id));
    }
    Ok(())
}

/// Applies a partner's cancel, confirm or schedule to the open intent `m`.
pub fn act(
    m: &SolutionMigration,
    action: MigrationAction,
    scheduled: Option<Timestamp>,
    now: Timestamp,
) -> Result<SolutionMigration, MigrationRefusal> {
    if !m.is_open() {
        return Err(MigrationRefusal::NoOpenIntent);
    }
    let mut next = m.clone();
    next.updated_at = now;
    match action {
        MigrationAction::InitiateMigration => return Err(MigrationRefusal::AlreadyOpen(m.id)),
        MigrationAction::CancelMigration => {
            next.status = MigrationStatus::Rejected;
            next.cancelled = true;
            next.scheduled_at = None;
        }
        MigrationAction::ConfirmMigration => {
            if m.status != MigrationStatus::Accepted {
                return Err(MigrationRefusal::NotAccepted(m.status));
            }
            next.status = MigrationStatus::Completed;
            next.scheduled_at = None;
        }
        MigrationAction::ScheduleMigration => match scheduled {
            Some(at) if at > now => next.scheduled_at = Some(at),
            _ => return Err(MigrationRefusal::BadScheduleTime),
        },
    }
    Ok(next)
}

/// The owning business accepts or rejects the intent `m`.
pub fn decide(
    m: &SolutionMigration,
    accept: bool,
    by: Option<UserId>,
    now: Timestamp,
) -> Result<SolutionMigration, MigrationRefusal> {
    if m.status != MigrationStatus::Initiated {
        return Err(MigrationRefusal::AlreadyDecided(m.status));
    }
    Ok(SolutionMigration {
        status: if accept {
            MigrationStatus::Accepted
        } else {
            MigrationStatus::Rejected
        },
        decided_by: by,
        updated_at: now,
        ..m.clone()
    })
}

/// The WABA once the intent `m` completes: on the solution.
pub fn migrated(waba: &Waba, m: &SolutionMigration) -> Waba {
    Waba {
        solution_id: Some(m.solution_id),
        ..waba.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{WabaPartner, WabaStatus};
    use proptest::prelude::*;
    use wamm_wire::ids::WabaId;

    const OWNER: AppId = AppId::new(1);
    const PARTNER: AppId = AppId::new(2);
    const STRANGER: AppId = AppId::new(3);
    const T0: Timestamp = Timestamp(1_000);
    const T1: Timestamp = Timestamp(2_000);

    fn new_solution(
        owner: &[&str],
        partner: &[&str],
        name: &str,
    ) -> Result<Solution, SolutionRefusal> {
        let o: Vec<String> = owner.iter().map(|s| (*s).to_owned()).collect();
        let p: Vec<String> = partner.iter().map(|s| (*s).to_owned()).collect();
        create(
            &NewSolution {
                id: SolutionId::new(9),
                name,
                owner: (OWNER, BusinessId::new(10)),
                partner: (PARTNER, BusinessId::new(20)),
                owner_permissions: &o,
                partner_permissions: &p,
            },
            T0,
        )
    }

    fn initiated() -> Solution {
        new_solution(&[], &[MESSAGING], "Joint").expect("valid")
    }

    fn active() -> Solution {
        accept(&initiated(), PARTNER, T1).expect("partner accepts")
    }

    #[test]
    fn creation_validates_name_permissions_and_apps() {
        let s = initiated();
        assert_eq!(
            (s.status, s.pending, s.partner_status),
            (
                SolutionStatus::Initiated,
                PendingRequest::PendingActivation,
                PartnerStatus::NotificationSent
            )
        );
        assert_eq!(s.configurable_of(SolutionRole::Partner), vec![MESSAGING]);
        assert!(!s.tasks_of(SolutionRole::Owner).contains(&MESSAGING));
        assert_eq!(
            new_solution(&[], &[MESSAGING], "J"),
            Err(SolutionRefusal::InvalidName)
        );
        assert_eq!(
            new_solution(&[], &[MESSAGING], &"x".repeat(76)),
            Err(SolutionRefusal::InvalidName)
        );
        assert_eq!(
            new_solution(&[MESSAGING], &[MESSAGING], "Both"),
            Err(SolutionRefusal::InvalidPermissions)
        );
        assert_eq!(
            new_solution(&[], &[], "None"),
            Err(SolutionRefusal::InvalidPermissions)
        );
        assert_eq!(
            new_solution(&["MANAGE"], &[], "Other"),
            Err(SolutionRefusal::InvalidPermissions)
        );
        let no_perms: Vec<String> = Vec::new();
        let msg = vec![MESSAGING.to_owned()];
        assert_eq!(
            create(
                &NewSolution {
                    id: SolutionId::new(9),
                    name: "Self",
                    owner: (OWNER, BusinessId::new(10)),
                    partner: (OWNER, BusinessId::new(10)),
                    owner_permissions: &msg,
                    partner_permissions: &no_perms,
                },
                T0
            ),
            Err(SolutionRefusal::PartnerIsOwner)
        );
    }

    #[test]
    fn only_the_partner_answers_the_invitation_once() {
        let s = initiated();
        assert_eq!(
            accept(&s, OWNER, T1),
            Err(SolutionRefusal::NotInvitedPartner)
        );
        assert_eq!(accept(&s, STRANGER, T1), Err(SolutionRefusal::NotParty));
        let a = active();
        assert_eq!(
            (a.status, a.pending),
            (SolutionStatus::Active, PendingRequest::None)
        );
        assert_eq!(
            accept(&a, PARTNER, T1),
            Err(SolutionRefusal::NotInitiated(SolutionStatus::Active))
        );
        let r = reject(&s, PARTNER, T1).expect("partner declines");
        assert_eq!(
            (r.status, r.partner_status),
            (SolutionStatus::Rejected, PartnerStatus::Rejected)
        );
        assert_eq!(
            usable_by(&r, PARTNER),
            Err(SolutionRefusal::NotActive(SolutionStatus::Rejected))
        );
    }

    #[test]
    fn deactivation_needs_the_other_party() {
        let a = active();
        let asked = send_deactivation(&a, OWNER, T1).expect("owner asks");
        assert_eq!(asked.pending, PendingRequest::PendingDeactivation);
        assert_eq!(
            send_deactivation(&asked, PARTNER, T1),
            Err(SolutionRefusal::NotDeactivatable(
                SolutionStatus::Active,
                PendingRequest::PendingDeactivation
            ))
        );
        assert_eq!(
            accept_deactivation(&asked, OWNER, T1),
            Err(SolutionRefusal::OwnRequest)
        );
        assert_eq!(
            accept_deactivation(&asked, STRANGER, T1),
            Err(SolutionRefusal::NotParty)
        );
        assert_eq!(
            accept_deactivation(&a, PARTNER, T1),
            Err(SolutionRefusal::NoPendingDeactivation)
        );
        let kept = reject_deactivation(&asked, PARTNER, T1).expect("partner keeps it");
        assert_eq!(
            (kept.status, kept.pending),
            (SolutionStatus::Active, PendingRequest::None)
        );
        let done = accept_deactivation(&asked, PARTNER, T1).expect("partner agrees");
        assert_eq!(done.status, SolutionStatus::Deactivated);
        assert_eq!(
            send_deactivation(&done, OWNER, T1),
            Err(SolutionRefusal::NotDeactivatable(
                SolutionStatus::Deactivated,
                PendingRequest::None
            ))
        );
        // Withdrawn before activation: nothing for the other party to agree to.
        let withdrawn = send_deactivation(&initiated(), OWNER, T1).expect("withdraw");
        assert_eq!(withdrawn.status, SolutionStatus::Deactivated);
    }

    fn waba(access: PartnerAccess) -> Waba {
        Waba {
            id: WabaId::new(5),
            name: "w".into(),
            owner_business_id: BusinessId::new(30),
            tax_country: "BR".parse().expect("country"),
            status: WabaStatus::Active,
            currency: "USD".into(),
            timezone_id: "1".into(),
            message_template_namespace: "ns".into(),
            payment_method: true,
            partners: vec![WabaPartner {
                business_id: BusinessId::new(20),
                access,
                migration_intent: None,
            }],
            solution_id: None,
            mm_setup_complete_at: None,
            message_activity_sharing: true,
            ad_account_id: None,
            disabled_ad_account_id: None,
            mm_setup_webhook_pending: false,
            mm_offboarded_at: None,
            insights_enabled_at: None,
            created_at: T0,
        }
    }

    fn intent() -> SolutionMigration {
        SolutionMigration {
            id: MigrationIntentId::new(77),
            waba_id: WabaId::new(5),
            solution_id: SolutionId::new(9),
            client_business_id: BusinessId::new(30),
            partner_business_id: BusinessId::new(20),
            app_id: PARTNER,
            status: MigrationStatus::Initiated,
            reason: None,
            scheduled_at: None,
            cancelled: false,
            decided_by: None,
            created_at: T0,
            updated_at: T0,
        }
    }

    #[test]
    fn migration_follows_to_completion() {
        let s = active();
        let partner = BusinessId::new(20);
        let obo = waba(PartnerAccess::Obo);
        assert_eq!(may_initiate(&s, PARTNER, partner, &obo, None), Ok(()));
        assert_eq!(
            may_initiate(&s, PARTNER, partner, &waba(PartnerAccess::Shared), None),
            Err(MigrationRefusal::NotObo)
        );
        assert_eq!(
            may_initiate(&s, STRANGER, partner, &obo, None),
            Err(MigrationRefusal::Solution(SolutionRefusal::NotParty))
        );
        assert_eq!(
            may_initiate(&initiated(), PARTNER, partner, &obo, None),
            Err(MigrationRefusal::Solution(SolutionRefusal::NotActive(
                SolutionStatus::Initiated
            )))
        );
        let m = intent();
        assert_eq!(
            may_initiate(&s, PARTNER, partner, &obo, Some(&m)),
            Err(MigrationRefusal::AlreadyOpen(m.id))
        );
        assert_eq!(
            act(&m, MigrationAction::ConfirmMigration, None, T1),
            Err(MigrationRefusal::NotAccepted(MigrationStatus::Initiated))
        );
        let accepted = decide(&m, true, None, T1).expect("business accepts");
        assert_eq!(
            decide(&accepted, false, None, T1),
            Err(MigrationRefusal::AlreadyDecided(MigrationStatus::Accepted))
        );
        let done = act(&accepted, MigrationAction::ConfirmMigration, None, T1).expect("confirm");
        assert_eq!(done.status, MigrationStatus::Completed);
        assert_eq!(migrated(&obo, &done).solution_id, Some(s.id));
        assert_eq!(
            act(&done, MigrationAction::CancelMigration, None, T1),
            Err(MigrationRefusal::NoOpenIntent)
        );
        assert_eq!(
            may_initiate(&s, PARTNER, partner, &migrated(&obo, &done), None),
            Err(MigrationRefusal::AlreadyOnSolution)
        );
    }

    #[test]
    fn schedules_and_cancels() {
        let accepted = decide(&intent(), true, None, T0).expect("accept");
        assert_eq!(
            act(&accepted, MigrationAction::ScheduleMigration, Some(T0), T1),
            Err(MigrationRefusal::BadScheduleTime)
        );
        assert_eq!(
            act(&accepted, MigrationAction::ScheduleMigration, None, T1),
            Err(MigrationRefusal::BadScheduleTime)
        );
        let later = Timestamp(5_000);
        let scheduled = act(
            &accepted,
            MigrationAction::ScheduleMigration,
            Some(later),
            T1,
        )
        .expect("schedule");
        assert!(!scheduled.due(T1) && scheduled.due(later));
        let cancelled =
            act(&scheduled, MigrationAction::CancelMigration, None, T1).expect("cancel");
        assert_eq!(
            (cancelled.status, cancelled.cancelled),
            (MigrationStatus::Rejected, true)
        );
        assert!(!cancelled.due(later) && !cancelled.is_open());
        let rejected = decide(&intent(), false, None, T1).expect("reject");
        assert_eq!(rejected.status, MigrationStatus::Rejected);
    }

    #[derive(Debug, Clone, Copy)]
    enum Step {
        Accept,
        Reject,
        Send,
        AcceptDeactivation,
        RejectDeactivation,
    }

    fn step() -> impl Strategy<Value = (Step, AppId)> {
        (
            prop_oneof![
                Just(Step::Accept),
                Just(Step::Reject),
                Just(Step::Send),
                Just(Step::AcceptDeactivation),
                Just(Step::RejectDeactivation),
            ],
            prop_oneof![Just(OWNER), Just(PARTNER), Just(STRANGER)],
        )
    }

    proptest! {
        /// Whatever is asked by whom, the state stays coherent: a stranger changes nothing,
        /// terminal states stay terminal, and a deactivation request waits only on an ACTIVE
        /// solution, with its requester recorded.
        #[test]
        fn any_sequence_keeps_the_state_coherent(steps in proptest::collection::vec(step(), 0..12)) {
            let mut s = initiated();
            for (step, app) in steps {
                let before = s.clone();
                let next = match step {
                    Step::Accept => accept(&s, app, T1),
                    Step::Reject => reject(&s, app, T1),
                    Step::Send => send_deactivation(&s, app, T1),
                    Step::AcceptDeactivation => accept_deactivation(&s, app, T1),
                    Step::RejectDeactivation => reject_deactivation(&s, app, T1),
                };
                if app == STRANGER {
                    prop_assert_eq!(next.clone(), Err(SolutionRefusal::NotParty));
                }
                if let Ok(n) = next {
                    s = n;
                }
                if matches!(before.status, SolutionStatus::Rejected | SolutionStatus::Deactivated) {
                    prop_assert_eq!(&s, &before);
                }
                prop_assert_eq!(
                    s.pending == PendingRequest::PendingDeactivation,
                    s.deactivation_requested_by.is_some()
                );
                if s.pending == PendingRequest::PendingDeactivation {
                    prop_assert_eq!(s.status, SolutionStatus::Active);
                }
                if s.pending == PendingRequest::PendingActivation {
                    prop_assert_eq!(s.status, SolutionStatus::Initiated);
                }
            }
        }
    }
}
