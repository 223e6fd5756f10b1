//! Compliance use cases: KYC submissions and staff views of KYC, AML alerts, the
//! regulatory report and the audit log.

use crate::db::DbError;
use crate::state::AppState;
use chrono::{DateTime, Utc};
use compliance_core::{AlertFilter, AmlAlert, AuditEntry, AuditFilter, KycError, KycRecord, KycSubmission, ReportRow};
use kernel::AccountId;
use pam_core::PlayerContext;

/// A player's submission, decided at once by the simulated provider where the policy
/// lets it, else queued for staff.
pub async fn submit_kyc(
    state: &AppState,
    player: AccountId,
    submission: KycSubmission,
    at: DateTime<Utc>,
) -> Result<Result<KycRecord, KycError>, DbError> {
    state.db.submit_kyc(player, submission, state.policy.kyc_provider, at).await
}

/// The player's standing as the rules read it (account, KYC, country, settings).
pub async fn player_context(state: &AppState, player: AccountId) -> Result<Option<PlayerContext>, DbError> {
    state.db.player_context(player).await
}

pub async fn kyc_history(state: &AppState, player: AccountId) -> Result<Vec<KycRecord>, DbError> {
    state.db.kyc_history(player).await
}

/// The staff's KYC queue: submissions in `status`, oldest first unless `newest_first`.
pub async fn kyc_queue(
    state: &AppState,
    status: Option<String>,
    newest_first: bool,
    limit: i64,
    offset: i64,
) -> Result<Vec<KycRecord>, DbError> {
    state.db.kyc_queue(status, newest_first, limit, offset).await
}

pub async fn aml_alerts(state: &AppState, filter: AlertFilter) -> Result<Vec<AmlAlert>, DbError> {
    state.db.aml_alerts(filter).await
}

/// The regulatory report's rows for `[from, to)`.
pub async fn report(state: &AppState, from: DateTime<Utc>, to: DateTime<Utc>) -> Result<Vec<ReportRow>, DbError> {
    state.db.report(from, to).await
}

pub async fn audit_log(state: &AppState, filter: AuditFilter) -> Result<Vec<AuditEntry>, DbError> {
    state.db.audit_log(filter).await
}
