//! A partner's own MM API enrolment ("Onboarding yourself"): the App Dashboard's Quickstart
//! card, App Review for the advanced permissions MM API needs, and the Terms of Service.

use crate::model::{App, AppPermission, MmEnrolment, ReviewRequest, ReviewStatus};
use crate::permission::{AccessLevel, Permission};
use crate::time::Timestamp;

/// The advanced permissions a partner's app needs for MM API (`ads_read` is optional).
pub const REQUIRED: [Permission; 2] = [
    Permission::WhatsappBusinessMessaging,
    Permission::WhatsappBusinessManagement,
];

/// Why an enrolment step was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EnrolmentError {
    /// "Get started" has not been clicked.
    #[error("enrolment has not been started")]
    NotStarted,
    /// Advanced access is still missing.
    #[error("advanced access is still missing for: {0}")]
    MissingAccess(String),
    /// The app already has advanced access to the permission.
    #[error("the app already has advanced access to {0}")]
    AlreadyAdvanced(Permission),
    /// A review of the permission is already pending.
    #[error("a review of {0} is already pending")]
    AlreadyPending(Permission),
    /// No pending review of the permission.
    #[error("no pending review of {0}")]
    NoPendingReview(Permission),
    /// The terms were already accepted.
    #[error("the Terms of Service were already accepted")]
    AlreadyEnrolled,
}

/// The required permissions the app lacks advanced access to.
pub fn missing(app: &App) -> Vec<Permission> {
    REQUIRED
        .into_iter()
        .filter(|p| !app.has_advanced(*p))
        .collect()
}

/// "Get started" on the Quickstart card.
pub fn start(app: &mut App, now: Timestamp) {
    if app.mm_enrolment.is_none() {
        app.mm_enrolment = Some(MmEnrolment {
            started_at: now,
            terms_accepted_at: None,
        });
    }
}

/// Submits a permission for App Review.
pub fn request_review(
    app: &mut App,
    permission: Permission,
    now: Timestamp,
) -> Result<(), EnrolmentError> {
    if app.has_advanced(permission) {
        return Err(EnrolmentError::AlreadyAdvanced(permission));
    }
    if app
        .review_requests
        .iter()
        .any(|r| r.permission == permission && r.status == ReviewStatus::Pending)
    {
        return Err(EnrolmentError::AlreadyPending(permission));
    }
    app.review_requests.push(ReviewRequest {
        permission,
        requested_at: now,
        status: ReviewStatus::Pending,
        decided_at: None,
    });
    Ok(())
}

/// Decides a pending review; approval grants advanced access.
pub fn decide_review(
    app: &mut App,
    permission: Permission,
    approve: bool,
    now: Timestamp,
) -> Result<(), EnrolmentError> {
    let review = app
        .review_requests
        .iter_mut()
        .find(|r| r.permission == permission && r.status == ReviewStatus::Pending)
        .ok_or(EnrolmentError::NoPendingReview(permission))?;
    review.status = if approve {
        ReviewStatus::Approved
    } else {
        ReviewStatus::Rejected
    };
    review.decided_at = Some(now);
    if approve {
        match app
            .permissions
            .iter_mut()
            .find(|p| p.permission == permission)
        {
            Some(p) => p.access = AccessLevel::Advanced,
            None => app.permissions.push(AppPermission {
                permission,
                access: AccessLevel::Advanced,
            }),
        }
    }
    Ok(())
}

/// Accepts the Terms of Service after "Continue to integration guide": enrolled.
pub fn accept_terms(app: &mut App, now: Timestamp) -> Result<(), EnrolmentError> {
    let missing = missing(app);
    let enrolment = app
        .mm_enrolment
        .as_mut()
        .ok_or(EnrolmentError::NotStarted)?;
    if enrolment.terms_accepted_at.is_some() {
        return Err(EnrolmentError::AlreadyEnrolled);
    }
    if !missing.is_empty() {
        return Err(EnrolmentError::MissingAccess(
            missing
                .iter()
                .map(|p| p.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        ));
    }
    enrolment.terms_accepted_at = Some(now);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::PartnerType;
    use wamm_wire::ids::{AppId, BusinessId};

    fn app() -> App {
        App {
            id: AppId::new(1),
            name: "a".into(),
            secret: "s".into(),
            business_id: BusinessId::new(2),
            partner_type: PartnerType::Bsp,
            require_app_secret: false,
            permissions: vec![AppPermission {
                permission: Permission::WhatsappBusinessMessaging,
                access: AccessLevel::Standard,
            }],
            mm_enrolment: None,
            review_requests: Vec::new(),
            login_configs: Vec::new(),
        }
    }

    #[test]
    fn enrols_after_review_and_terms() {
        let mut a = app();
        let t = Timestamp(5);
        assert_eq!(accept_terms(&mut a, t), Err(EnrolmentError::NotStarted));
        start(&mut a, t);
        assert_eq!(missing(&a).len(), 2);
        assert!(matches!(
            accept_terms(&mut a, t),
            Err(EnrolmentError::MissingAccess(_))
        ));
        for p in REQUIRED {
            request_review(&mut a, p, t).expect("requested");
            assert_eq!(
                request_review(&mut a, p, t),
                Err(EnrolmentError::AlreadyPending(p))
            );
        }
        decide_review(&mut a, Permission::WhatsappBusinessMessaging, false, t).expect("rejected");
        assert_eq!(
            missing(&a),
            [
                Permission::WhatsappBusinessMessaging,
                Permission::WhatsappBusinessManagement
            ]
        );
        decide_review(&mut a, Permission::WhatsappBusinessManagement, true, t).expect("approved");
        request_review(&mut a, Permission::WhatsappBusinessMessaging, t).expect("again");
        decide_review(&mut a, Permission::WhatsappBusinessMessaging, true, t).expect("approved");
        assert!(missing(&a).is_empty());
        assert_eq!(
            request_review(&mut a, Permission::WhatsappBusinessMessaging, t),
            Err(EnrolmentError::AlreadyAdvanced(
                Permission::WhatsappBusinessMessaging
            ))
        );
        accept_terms(&mut a, Timestamp(9)).expect("enrolled");
        assert_eq!(
            a.mm_enrolment.and_then(|e| e.terms_accepted_at),
            Some(Timestamp(9))
        );
        assert_eq!(
            accept_terms(&mut a, t),
            Err(EnrolmentError::AlreadyEnrolled)
        );
    }
}
