//! MM API onboarding of end businesses: the Intent API's request, the admin emails that
//! follow it (repeated on the platform clock), and an admin's acceptance or rejection.
//!
//! Acceptance signs the portfolio's terms and starts Meta's internal setup for each eligible
//! WABA in one transaction; [`crate::usecase::setup`] sends one `account_update` `MM_LITE_TERMS_SIGNED`
//! webhook per WABA when its setup completes on the platform clock.

use serde_json::json;
use wamm_domain::intent::{IntentPlan, IntentRefusal, plan};
use wamm_domain::onboarding::{WabaOnboardingStatus, waba_status};
use wamm_domain::{
    App, Business, BusinessRole, MigrationIntent, NewEmail, NewEvent, OnboardingRequest,
    RequestStatus, TermsSigned, Timestamp,
};
use wamm_store::{ChangeSet, Conflict, Guard, Put, StoreError};
use wamm_wire::ids::{BusinessId, RequestId, SolutionId, UserId};
use wamm_world::Mint;

use crate::context::Platform;

/// Why an onboarding action failed.
#[derive(Debug, thiserror::Error)]
pub enum OnboardingError {
    /// The Intent API refuses the call.
    #[error("refused: {0:?}")]
    Refused(IntentRefusal),
    /// No such request or business.
    #[error("{0}")]
    NotFound(String),
    /// The request was already decided, or the person may not decide it.
    #[error("{0}")]
    NotAllowed(String),
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The pending request to `client`, if any.
pub async fn pending_request(
    state: &Platform,
    client: BusinessId,
) -> Result<Option<OnboardingRequest>, StoreError> {
    Ok(state
        .store
        .requests_of(client)
        .await?
        .into_iter()
        .find(|r| r.status == RequestStatus::Pending))
}

fn admin_emails(
    business: &Business,
    partner_name: &str,
    request: &OnboardingRequest,
    now: Timestamp,
    reminder: bool,
) -> Vec<NewEmail> {
    let link = format!("/_wamm/businesses/{}/requests", business.id);
    business
        .admins()
        .map(|admin| NewEmail {
            to: admin.email.clone(),
            business_id: business.id,
            request_id: Some(request.id),
            subject: format!(
                "{}{partner_name} wants to help {} use the Marketing Messages API for WhatsApp",
                if reminder { "Reminder: " } else { "" },
                business.name
            ),
            body: format!(
                "Hi {},\n\n{partner_name} asked {} to onboard to the Marketing Messages API for WhatsApp. \
                 As an admin of this business portfolio, review the request and the Terms of Service \
                 in Business Settings > Requests, then accept or reject it:\n\n{link}\n\n\
                 We will remind you until the request is accepted or rejected.\n",
                admin.name, business.name
            ),
            link: link.clone(),
            sent_at: now,
        })
        .collect()
}

/// Makes an Intent API request for `client` on behalf of `partner`'s `app`.
pub async fn request_onboarding(
    state: &Platform,
    app: &App,
    partner: &Business,
    client: &Business,
    solution_id: Option<SolutionId>,
) -> Result<OnboardingRequest, OnboardingError> {
    let wabas = state.store.wabas_owned_by(client.id).await?;
    let pending = pending_request(state, client.id).await?.is_some();
    let IntentPlan {
        set_obo_intents, ..
    } = plan(
        app,
        partner.id,
        client,
        &wabas,
        &state.config.countries,
        pending,
    )
    .map_err(OnboardingError::Refused)?;
    let now = state.clock.now();
    let mut block = state.minter.block(1).await?;
    let request = OnboardingRequest {
        id: RequestId::new(block.next_id()),
        client_business_id: client.id,
        partner_business_id: partner.id,
        app_id: app.id,
        solution_id,
        status: RequestStatus::Pending,
        created_at: now,
        decided_at: None,
        decided_by: None,
        obo_intents_set: set_obo_intents.clone(),
        reminders_sent: 0,
        next_reminder_at: Some(now.plus_seconds(state.config.timing.reminder_seconds())),
    };
    let mut changes = ChangeSet::new();
    for mut waba in wabas
        .into_iter()
        .filter(|w| set_obo_intents.contains(&w.id))
    {
        for p in waba
            .partners
            .iter_mut()
            .filter(|p| p.business_id == partner.id)
        {
            p.migration_intent = Some(MigrationIntent {
                set_at: now,
                solution_id,
            });
        }
        changes = changes.event(NewEvent {
            at: now,
            kind: "waba.obo_migration_intent_set".into(),
            subject: format!("waba:{}", waba.id),
            detail: json!({ "partner_business_id": partner.id.to_string(), "request_id": request.id.to_string() }),
        });
        changes = changes.put(Put::Waba(waba));
    }
    let changes = changes
        .emails(admin_emails(client, &partner.name, &request, now, false))
        .event(NewEvent {
            at: now,
            kind: "onboarding.requested".into(),
            subject: format!("business:{}", client.id),
            detail: json!({
                "request_id": request.id.to_string(),
                "partner_business_id": partner.id.to_string(),
                "obo_intents_set": request.obo_intents_set.iter().map(ToString::to_string).collect::<Vec<_>>(),
            }),
        })
        .put(Put::Request(request.clone()));
    match state.commit(changes).await {
        Ok(_) => Ok(request),
        // Another call for the same business won the race: one request, as for a duplicate.
        Err(StoreError::Conflict(Conflict::OnboardingRequestsOnePending)) => {
            Err(OnboardingError::Refused(IntentRefusal::Duplicate))
        }
        Err(e) => Err(e.into()),
    }
}

async fn decidable(
    state: &Platform,
    id: RequestId,
    by: Option<UserId>,
) -> Result<(OnboardingRequest, Business, UserId), OnboardingError> {
    let request = state
        .store
        .request(id)
        .await?
        .ok_or_else(|| OnboardingError::NotFound(format!("no request {id}")))?;
    if request.status != RequestStatus::Pending {
        return Err(OnboardingError::NotAllowed(format!(
            "request {id} was already decided"
        )));
    }
    let business = state
        .store
        .business(request.client_business_id)
        .await?
        .ok_or_else(|| {
            OnboardingError::NotFound(format!("no business {}", request.client_business_id))
        })?;
    let admin = match by {
        Some(user) => business.people.iter().find(|p| p.id == user),
        None => business.admins().next(),
    }
    .ok_or_else(|| OnboardingError::NotAllowed("no such person in the business".into()))?;
    if admin.role != BusinessRole::Admin {
        return Err(OnboardingError::NotAllowed(format!(
            "{} has partial access; only an admin with full control may decide",
            admin.name
        )));
    }
    let admin_id = admin.id;
    Ok((request, business, admin_id))
}

/// Signs `business`'s terms at `now` by `by`, starting setup for every WABA that becomes
/// onboardable, and returns the changes (for the acceptance's transaction). The webhooks
/// follow when each setup completes ([`crate::usecase::setup::complete_due`]).
pub async fn sign_terms(
    state: &Platform,
    mut business: Business,
    by: Option<UserId>,
    now: Timestamp,
) -> Result<ChangeSet, StoreError> {
    business.mm_terms = Some(TermsSigned { at: now, by });
    Ok(
        crate::usecase::setup::start_for_business(state, &business, now, None)
            .await?
            .event(NewEvent {
                at: now,
                kind: "business.mm_terms_signed".into(),
                subject: format!("business:{}", business.id),
                detail: json!({ "by": by.map(|u| u.to_string()) }),
            })
            .put(Put::Business(business)),
    )
}

/// An admin accepts the request: the portfolio's terms are signed.
pub async fn accept(
    state: &Platform,
    id: RequestId,
    by: Option<UserId>,
) -> Result<OnboardingRequest, OnboardingError> {
    let (mut request, business, admin) = decidable(state, id, by).await?;
    let now = state.clock.now();
    request.status = RequestStatus::Accepted;
    request.decided_at = Some(now);
    request.decided_by = Some(admin);
    request.next_reminder_at = None;
    let changes = sign_terms(state, business, Some(admin), now)
        .await?
        .put(Put::Request(request.clone()))
        .event(NewEvent {
            at: now,
            kind: "onboarding.accepted".into(),
            subject: format!("business:{}", request.client_business_id),
            detail: json!({ "request_id": id.to_string(), "by": admin.to_string() }),
        });
    state.commit(changes).await?;
    Ok(request)
}

/// An admin rejects the request: it closes, and no webhook follows.
pub async fn reject(
    state: &Platform,
    id: RequestId,
    by: Option<UserId>,
) -> Result<OnboardingRequest, OnboardingError> {
    let (mut request, _, admin) = decidable(state, id, by).await?;
    let now = state.clock.now();
    request.status = RequestStatus::Rejected;
    request.decided_at = Some(now);
    request.decided_by = Some(admin);
    request.next_reminder_at = None;
    let event = NewEvent {
        at: now,
        kind: "onboarding.rejected".into(),
        subject: format!("business:{}", request.client_business_id),
        detail: json!({ "request_id": id.to_string(), "by": admin.to_string() }),
    };
    state
        .commit(
            ChangeSet::new()
                .put(Put::Request(request.clone()))
                .event(event),
        )
        .await?;
    Ok(request)
}

/// Sends the reminders due by now; returns how many requests were reminded.
pub async fn send_reminders(state: &Platform) -> Result<usize, StoreError> {
    let now = state.clock.now();
    let due = state.store.due_reminders(now).await?;
    let mut count = 0;
    for mut request in due {
        let Some(business) = state.store.business(request.client_business_id).await? else {
            continue;
        };
        let partner_name = state
            .store
            .business(request.partner_business_id)
            .await?
            .map_or_else(|| "Your partner".to_owned(), |b| b.name);
        let Some(due_at) = request.next_reminder_at else {
            continue;
        };
        request.reminders_sent += 1;
        request.next_reminder_at = Some(now.plus_seconds(state.config.timing.reminder_seconds()));
        let changes = ChangeSet::new()
            .guard(Guard::ReminderDue {
                request: request.id,
                due_at,
            })
            .emails(admin_emails(&business, &partner_name, &request, now, true))
            .event(NewEvent {
                at: now,
                kind: "onboarding.reminded".into(),
                subject: format!("business:{}", business.id),
                detail: json!({ "request_id": request.id.to_string(), "reminders_sent": request.reminders_sent }),
            })
            .put(Put::Request(request));
        match state.commit(changes).await {
            Ok(_) => count += 1,
            // Another pass sent it, or the request was decided meanwhile.
            Err(StoreError::Conflict(Conflict::ReminderClaimed)) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(count)
}

/// An admin's answer to a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Accept: sign the terms.
    Accept,
    /// Reject: close the request.
    Reject,
}

/// Applies an admin's decision to request `id`, acting as `by` (the first admin by default).
pub async fn decide(
    state: &Platform,
    id: RequestId,
    by: Option<UserId>,
    decision: Decision,
) -> Result<OnboardingRequest, OnboardingError> {
    match decision {
        Decision::Accept => accept(state, id, by).await,
        Decision::Reject => reject(state, id, by).await,
    }
}

/// WhatsApp Manager self-onboarding: an admin accepts the terms from the Alerts card. The
/// outcome is the same as accepting an Intent API request, and any pending request closes.
pub async fn self_onboard(
    state: &Platform,
    business: BusinessId,
    by: UserId,
) -> Result<(), OnboardingError> {
    let client = state
        .store
        .business(business)
        .await?
        .ok_or_else(|| OnboardingError::NotFound(format!("no business {business}")))?;
    if client.mm_terms.is_some() {
        return Err(OnboardingError::NotAllowed(
            "the terms are already accepted".into(),
        ));
    }
    let person = client
        .people
        .iter()
        .find(|p| p.id == by)
        .ok_or_else(|| OnboardingError::NotAllowed("no such person in the business".into()))?;
    if person.role != BusinessRole::Admin {
        return Err(OnboardingError::NotAllowed(format!(
            "{} has partial access; only an admin with full control may accept the terms",
            person.name
        )));
    }
    let now = state.clock.now();
    let eligible = state.store.wabas_owned_by(business).await?.iter().any(|w| {
        waba_status(w, &client, &state.config.countries, now) == WabaOnboardingStatus::Eligible
    });
    if !eligible {
        return Err(OnboardingError::NotAllowed(
            "no WhatsApp Business Account of this business is eligible".into(),
        ));
    }
    let mut changes = sign_terms(state, client, Some(by), now)
        .await?
        .event(NewEvent {
            at: now,
            kind: "onboarding.self_onboarded".into(),
            subject: format!("business:{business}"),
            detail: json!({ "by": by.to_string() }),
        });
    if let Some(mut pending) = pending_request(state, business).await? {
        pending.status = RequestStatus::Accepted;
        pending.decided_at = Some(now);
        pending.decided_by = Some(by);
        pending.next_reminder_at = None;
        changes = changes.put(Put::Request(pending));
    }
    state.commit(changes).await?;
    Ok(())
}
