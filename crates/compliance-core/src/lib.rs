//! Compliance: who the player is (KYC), whether their money looks suspicious (AML)
//! and whether their play shows markers of harm.
//!
//! Everything here is a pure function of its inputs, so the application composes it
//! inside the same database transaction as the wallet posting or round it judges:
//!
//! - [`kyc`]: [`KycSubmission::parse`], the [`submit`]/[`decide`] state machine, the
//!   [`SimulatedProvider`] and the pre-KYC deposit allowance.
//! - [`aml`]: [`screen`] applies every [`AmlRule`] to one event and the player's recent
//!   [`Activity`]; [`should_raise`] de-duplicates alerts; [`review`] moves an alert on.
//! - [`register`]: whether a national self-exclusion register entry lists a person.
//! - [`harm`]: detectors for each [`HarmMarker`] and the graduated [`Intervention`].
//! - [`money`]: the [`Policy`] the money and play rules read, and a posting's result.
//! - [`audit`] and [`report`]: the audit log's entries and the regulator's report.
//!
//! The records the rules raise ([`AmlAlert`], [`HarmAlert`], [`KycRecord`]) live here too;
//! the app's adapter converts them from and to rows.

pub mod aml;
pub mod audit;
pub mod harm;
pub mod kyc;
pub mod money;
pub mod register;
pub mod report;

pub use aml::{
    Activity, ActivityNeeds, AlertCandidate, AlertFilter, AlertOrder, AlertStatus, AmlAlert, AmlError, AmlRule,
    AmlThresholds, EventKind, InvalidThresholds, ReviewOutcome, RiskLevel, ScreenedEvent, review, screen, should_raise,
    withdrawals_frozen,
};
pub use audit::{AuditEntry, AuditFilter};
pub use harm::{HarmAlert, HarmMarker, Intervention};
pub use kyc::{
    Decision, DocumentType, FieldError, KYC_DEPOSIT_THRESHOLD, KycError, KycForm, KycRecord, KycState, KycSubmission,
    SimulatedProvider, StaffDecisionOutcome, SubmissionOutcome, decide, deposit_requires_kyc, on_staff_decision,
    on_submission, submit,
};
pub use money::{MoneyResult, Policy};
pub use register::{Person, RegisterMatch, check_not_listed, register_match, strongest_match};
pub use report::ReportRow;

#[cfg(test)]
mod tests {
    use super::*;

    /// The serde spelling of every name is the one `as_str` gives and `parse` takes.
    fn round_trips<T>(all: &[T], as_str: fn(T) -> &'static str, parse: fn(&str) -> Option<T>)
    where
        T: Copy + PartialEq + std::fmt::Debug + serde::Serialize + serde::de::DeserializeOwned,
    {
        for &v in all {
            let json = serde_json::to_value(v).unwrap();
            assert_eq!(json, serde_json::Value::String(as_str(v).to_owned()));
            assert_eq!(serde_json::from_value::<T>(json).unwrap(), v);
            assert_eq!(parse(as_str(v)), Some(v));
        }
        assert_eq!(parse("no_such_name"), None);
    }

    #[test]
    fn names_are_one_spelling_everywhere() {
        round_trips(KycState::ALL, KycState::as_str, KycState::parse);
        round_trips(DocumentType::ALL, DocumentType::as_str, DocumentType::parse);
        round_trips(Decision::ALL, Decision::as_str, Decision::parse);
        round_trips(AmlRule::ALL, AmlRule::as_str, AmlRule::parse);
        round_trips(RiskLevel::ALL, RiskLevel::as_str, RiskLevel::parse);
        round_trips(AlertStatus::ALL, AlertStatus::as_str, AlertStatus::parse);
        round_trips(ReviewOutcome::ALL, ReviewOutcome::as_str, ReviewOutcome::parse);
        round_trips(EventKind::ALL, EventKind::as_str, EventKind::parse);
        round_trips(HarmMarker::ALL, HarmMarker::as_str, HarmMarker::parse);
        round_trips(Intervention::ALL, Intervention::as_str, Intervention::parse);
    }

    #[test]
    fn contract_spellings() {
        let names = |all: &[&str]| all.join(",");
        assert_eq!(
            names(&KycState::ALL.iter().map(|v| v.as_str()).collect::<Vec<_>>()),
            "none,pending,approved,rejected"
        );
        assert_eq!(
            names(&DocumentType::ALL.iter().map(|v| v.as_str()).collect::<Vec<_>>()),
            "passport,national_id,driving_licence,proof_of_address"
        );
        assert_eq!(
            names(&AmlRule::ALL.iter().map(|v| v.as_str()).collect::<Vec<_>>()),
            "deposit_velocity,bet_velocity,deposit_volume_24h,large_deposit,structuring,deposit_then_withdraw,\
             manual_credit,withdrawal_after_manual_credit"
        );
        assert_eq!(
            names(&AlertStatus::ALL.iter().map(|v| v.as_str()).collect::<Vec<_>>()),
            "open,dismissed,escalated,sar_filed"
        );
        assert_eq!(names(&RiskLevel::ALL.iter().map(|v| v.as_str()).collect::<Vec<_>>()), "low,medium,high,critical");
    }
}
