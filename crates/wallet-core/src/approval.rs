//! Staff postings that need a second admin: the four-eyes rule for money moved by hand.

use crate::Posting;
use chrono::{DateTime, Utc};
use kernel::{AccountId, string_enum};
use uuid::Uuid;

string_enum!(
    /// Where a queued staff posting is: no money moves while it is `pending`.
    ApprovalStatus { Pending = "pending", Approved = "approved", Rejected = "rejected" }
);

/// A staff posting waiting for (or past) a second admin's decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManualPosting {
    pub id: Uuid,
    pub player_id: AccountId,
    /// The posting as requested, with its [`crate::Attribution`] (`approved_by` unset).
    pub posting: Posting,
    pub requested_at: DateTime<Utc>,
    pub status: ApprovalStatus,
    pub decided_by: Option<AccountId>,
    pub decided_at: Option<DateTime<Utc>>,
    pub decision_note: Option<String>,
    /// The wallet event posted on approval.
    pub event_id: Option<Uuid>,
}

/// Why a decision on a queued posting was refused. Nothing changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ApprovalError {
    #[error("the posting was already {0}")]
    AlreadyDecided(ApprovalStatus),
    #[error("a posting needs the approval of a second admin, not of the staff member who requested it")]
    OwnPosting,
}

/// Whether a staff posting of `amount` minor units waits for a second admin: above the
/// configured threshold.
pub fn needs_approval(posting: &Posting, approval_above: i64) -> bool {
    posting.attribution.is_some() && posting.amount.minor_units() > approval_above
}

impl ManualPosting {
    /// The posting to make when `approver` approves: refused once decided, and for the
    /// staff member who requested it.
    pub fn approve(&self, approver: AccountId) -> Result<Posting, ApprovalError> {
        self.still_pending()?;
        let mut posting = self.posting.clone();
        match posting.attribution.as_mut() {
            Some(a) if a.posted_by == approver => Err(ApprovalError::OwnPosting),
            Some(a) => {
                a.approved_by = Some(approver);
                Ok(posting)
            }
            // Only staff postings are queued; without a requester there is no second pair of eyes.
            None => Err(ApprovalError::OwnPosting),
        }
    }

    /// Checks a rejection: anyone allowed to decide may reject (the requester too,
    /// withdrawing it), but only while it is pending.
    pub fn reject(&self) -> Result<(), ApprovalError> {
        self.still_pending()
    }

    fn still_pending(&self) -> Result<(), ApprovalError> {
        match self.status {
            ApprovalStatus::Pending => Ok(()),
            decided => Err(ApprovalError::AlreadyDecided(decided)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{EventType, IdempotencyKey, Reason};
    use kernel::Amount;

    fn staff(n: u128) -> AccountId {
        AccountId::from_uuid(Uuid::from_u128(n))
    }

    fn queued(amount: i64) -> ManualPosting {
        let posting =
            Posting::new(EventType::Win, Amount::new(amount).unwrap(), IdempotencyKey::parse("k").unwrap(), None)
                .by_staff(staff(1), Reason::parse("goodwill").unwrap());
        ManualPosting {
            id: Uuid::nil(),
            player_id: staff(9),
            posting,
            requested_at: Utc::now(),
            status: ApprovalStatus::Pending,
            decided_by: None,
            decided_at: None,
            decision_note: None,
            event_id: None,
        }
    }

    #[test]
    fn only_staff_postings_above_the_threshold_wait() {
        let p = queued(100_001);
        assert!(needs_approval(&p.posting, 100_000));
        assert!(!needs_approval(&queued(100_000).posting, 100_000), "at the threshold it posts at once");
        let players_own = Posting::new(
            EventType::Deposit,
            Amount::new(5_000_000).unwrap(),
            IdempotencyKey::parse("d").unwrap(),
            None,
        );
        assert!(!needs_approval(&players_own, 100_000));
    }

    #[test]
    fn four_eyes() {
        let p = queued(500_000);
        assert_eq!(p.approve(staff(1)), Err(ApprovalError::OwnPosting));
        let approved = p.approve(staff(2)).unwrap();
        assert_eq!(approved.attribution.as_ref().and_then(|a| a.approved_by), Some(staff(2)));
        assert_eq!(approved.fingerprint(), p.posting.fingerprint(), "a retry of the request still matches");
        assert_eq!(p.reject(), Ok(()));
        for status in [ApprovalStatus::Approved, ApprovalStatus::Rejected] {
            let decided = ManualPosting { status, ..p.clone() };
            assert_eq!(decided.approve(staff(2)), Err(ApprovalError::AlreadyDecided(status)));
            assert_eq!(decided.reject(), Err(ApprovalError::AlreadyDecided(status)));
        }
    }
}
