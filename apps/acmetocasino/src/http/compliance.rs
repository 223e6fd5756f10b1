//! Compliance routes: KYC, AML alerts, regulatory reports, the national
//! self-exclusion register and the staff audit log.

use crate::app;
use crate::auth::AuthUser;
use crate::error::{ApiError, FieldProblem};
use crate::extract::{ApiJson, free_text};
use crate::state::AppState;
use actix_web::HttpResponse;
use actix_web::body::BoxBody;
use chrono::{DateTime, NaiveDate, Utc};
use compliance_core::{
    AlertFilter, AlertOrder, AmlAlert, AuditEntry, AuditFilter, Decision, KycForm, KycRecord, KycSubmission,
    ReviewOutcome,
};
use kernel::{AccountId, Clock};
use pam_core::Role;
use paperclip::actix::{Apiv2Schema, CreatedJson, OperationModifier, api_v2_operation, web};
use paperclip::v2::models::{DataType, DefaultOperationRaw, DefaultSchemaRaw, Either, Response};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

const COMPLIANCE_STAFF: &[Role] = &[Role::Compliance, Role::Admin];

#[derive(Debug, Deserialize, Apiv2Schema)]
pub struct KycSubmitRequest {
    /// `passport`, `national_id`, `driving_licence` or `proof_of_address`.
    pub document_type: String,
    pub document_number: String,
    /// ISO 3166-1 alpha-2.
    pub issuing_country: String,
    /// `YYYY-MM-DD`.
    pub expires_on: String,
    pub full_name: String,
    pub address: String,
}

/// One KYC submission and its decision.
#[derive(Debug, Serialize, Apiv2Schema)]
pub struct KycSubmissionResponse {
    pub id: Uuid,
    pub player_id: Uuid,
    pub document_type: String,
    pub document_number: String,
    pub issuing_country: String,
    pub expires_on: NaiveDate,
    pub full_name: String,
    pub address: String,
    /// `pending`, `approved` or `rejected`.
    pub status: String,
    pub submitted_at: DateTime<Utc>,
    pub decided_at: Option<DateTime<Utc>>,
    /// The staff member who decided; absent for the simulated provider or while pending.
    pub decided_by: Option<Uuid>,
    pub reason: Option<String>,
}

impl From<KycRecord> for KycSubmissionResponse {
    fn from(r: KycRecord) -> Self {
        KycSubmissionResponse {
            id: r.id,
            player_id: r.player_id.as_uuid(),
            document_type: r.document_type,
            document_number: r.document_number,
            issuing_country: r.issuing_country,
            expires_on: r.expires_on,
            full_name: r.full_name,
            address: r.address,
            status: r.status,
            submitted_at: r.submitted_at,
            decided_at: r.decided_at,
            decided_by: r.decided_by.map(|a| a.as_uuid()),
            reason: r.reason,
        }
    }
}

/// Submit KYC documents (the player themself)
///
/// `none` or `rejected` → `pending`; the simulated provider, when enabled, decides at once.
#[api_v2_operation(tags(Compliance))]
pub async fn submit_kyc(
    state: web::Data<AppState>,
    user: AuthUser,
    player_id: web::Path<Uuid>,
    body: ApiJson<KycSubmitRequest>,
) -> Result<CreatedJson<KycSubmissionResponse>, ApiError> {
    let player = AccountId::from_uuid(player_id.into_inner());
    // Staff accounts have no KYC record to submit to.
    user.require(&[Role::Player])?;
    if user.id != player {
        return Err(ApiError::Forbidden("players submit their own documents".into()));
    }
    let b = body.0;
    let form = KycForm {
        document_type: b.document_type,
        document_number: b.document_number,
        issuing_country: b.issuing_country,
        expires_on: b.expires_on,
        full_name: b.full_name,
        address: b.address,
    };
    let now = state.clock.now();
    let submission = KycSubmission::parse(&form, now.date_naive()).map_err(|errs| {
        ApiError::fields(
            errs.into_iter().map(|e| FieldProblem { field: e.field.to_owned(), message: e.message }).collect(),
        )
    })?;
    let record = app::compliance::submit_kyc(&state, player, submission, now).await??;
    state.publish(
        crate::events::Channel::PlayerEvents,
        "player.kyc_updated",
        serde_json::json!({"player_id": player, "kyc_status": record.status}),
    );
    Ok(CreatedJson(record.into()))
}

#[derive(Debug, Deserialize, Apiv2Schema)]
pub struct KycDecisionRequest {
    /// `approve` or `reject`.
    pub decision: String,
    /// Required for a rejection.
    pub reason: Option<String>,
    /// For `/compliance/kyc/verify` only.
    pub player_id: Option<Uuid>,
}

async fn decide(
    state: &AppState,
    user: &AuthUser,
    player: AccountId,
    b: KycDecisionRequest,
) -> Result<KycSubmissionResponse, ApiError> {
    user.require(COMPLIANCE_STAFF)?;
    let decision = match b.decision.as_str() {
        "approve" => Decision::Approve,
        "reject" => Decision::Reject,
        _ => return Err(ApiError::validation("decision", "must be approve or reject")),
    };
    // A blank reason is no reason (a rejection then says it needs one).
    let reason = b.reason.filter(|r| !r.trim().is_empty()).map(|r| free_text("reason", &r, 1..=500)).transpose()?;
    let record = state
        .db
        .decide_kyc(player, decision, reason, user.id, state.clock.now())
        .await?
        .ok_or_else(|| ApiError::NotFound("no such player".into()))??;
    state.publish(
        crate::events::Channel::PlayerEvents,
        "player.kyc_updated",
        serde_json::json!({"player_id": player, "kyc_status": record.status, "by": user.id}),
    );
    Ok(record.into())
}

/// Decide a player's pending KYC (compliance or admin)
#[api_v2_operation(tags(Compliance))]
pub async fn verify_kyc(
    state: web::Data<AppState>,
    user: AuthUser,
    player_id: web::Path<Uuid>,
    body: ApiJson<KycDecisionRequest>,
) -> Result<web::Json<KycSubmissionResponse>, ApiError> {
    Ok(web::Json(decide(&state, &user, AccountId::from_uuid(player_id.into_inner()), body.0).await?))
}

/// Decide a player's pending KYC, `player_id` in the body (compliance or admin)
#[api_v2_operation(tags(Compliance))]
pub async fn verify_kyc_body(
    state: web::Data<AppState>,
    user: AuthUser,
    body: ApiJson<KycDecisionRequest>,
) -> Result<web::Json<KycSubmissionResponse>, ApiError> {
    let b = body.0;
    let player = b.player_id.ok_or_else(|| ApiError::validation("player_id", "is required"))?;
    Ok(web::Json(decide(&state, &user, AccountId::from_uuid(player), b).await?))
}

/// A player's KYC status and history.
#[derive(Debug, Serialize, Apiv2Schema)]
pub struct KycStatusResponse {
    pub player_id: Uuid,
    /// `none`, `pending`, `approved` or `rejected`.
    pub kyc_status: String,
    /// Submissions, newest first.
    pub history: Vec<KycSubmissionResponse>,
}

/// A player's KYC record and history (self or staff)
#[api_v2_operation(tags(Compliance))]
pub async fn kyc_status(
    state: web::Data<AppState>,
    user: AuthUser,
    player_id: web::Path<Uuid>,
) -> Result<web::Json<KycStatusResponse>, ApiError> {
    let player = AccountId::from_uuid(player_id.into_inner());
    user.require_self_or_staff(player)?;
    let ctx = app::compliance::player_context(&state, player)
        .await?
        .ok_or_else(|| ApiError::NotFound("no such player".into()))?;
    let history = app::compliance::kyc_history(&state, player).await?;
    Ok(web::Json(KycStatusResponse {
        player_id: player.as_uuid(),
        kyc_status: ctx.kyc.as_str().into(),
        history: history.into_iter().map(Into::into).collect(),
    }))
}

#[derive(Debug, Deserialize, Apiv2Schema)]
pub struct KycQueueParams {
    /// `pending` (the default), `approved` or `rejected`.
    pub status: Option<String>,
    /// `submitted_at` (oldest first, the default: a queue) or `-submitted_at`.
    pub sort: Option<String>,
    /// 1–500 (default 100).
    pub limit: Option<i64>,
    /// Submissions to skip (default 0).
    pub offset: Option<i64>,
}

/// The KYC queue (staff)
#[api_v2_operation(tags(Compliance))]
pub async fn kyc_queue(
    state: web::Data<AppState>,
    user: AuthUser,
    query: web::Query<KycQueueParams>,
) -> Result<web::Json<Vec<KycSubmissionResponse>>, ApiError> {
    user.require_staff()?;
    let q = query.into_inner();
    let status = q.status.unwrap_or_else(|| "pending".into());
    if !["pending", "approved", "rejected"].contains(&status.as_str()) {
        return Err(ApiError::validation("status", "must be pending, approved or rejected"));
    }
    let newest_first = match q.sort.as_deref() {
        None | Some("submitted_at") => false,
        Some("-submitted_at") => true,
        Some(_) => return Err(ApiError::validation("sort", "must be submitted_at or -submitted_at")),
    };
    let limit = super::bounded("limit", q.limit, 100, 1, 500)?;
    let offset = super::bounded("offset", q.offset, 0, 0, i64::MAX)?;
    let queue = app::compliance::kyc_queue(&state, Some(status), newest_first, limit, offset).await?;
    Ok(web::Json(queue.into_iter().map(Into::into).collect()))
}

/// An AML alert.
#[derive(Debug, Serialize, Apiv2Schema)]
pub struct AlertResponse {
    pub id: Uuid,
    pub player_id: Uuid,
    /// `deposit_velocity`, `bet_velocity`, `deposit_volume_24h`, `large_deposit`,
    /// `structuring` or `deposit_then_withdraw`.
    pub rule: String,
    pub risk_score: i32,
    /// `low`, `medium`, `high` or `critical`.
    pub risk_level: String,
    /// `open`, `dismissed`, `escalated` or `sar_filed`.
    pub status: String,
    pub details: Value,
    pub created_at: DateTime<Utc>,
    pub reviewed_by: Option<Uuid>,
    pub reviewed_at: Option<DateTime<Utc>>,
    pub note: Option<String>,
}

impl From<AmlAlert> for AlertResponse {
    fn from(a: AmlAlert) -> Self {
        AlertResponse {
            id: a.id,
            player_id: a.player_id.as_uuid(),
            rule: a.rule,
            risk_score: a.risk_score,
            risk_level: a.risk_level,
            status: a.status,
            details: a.details,
            created_at: a.created_at,
            reviewed_by: a.reviewed_by.map(|r| r.as_uuid()),
            reviewed_at: a.reviewed_at,
            note: a.note,
        }
    }
}

#[derive(Debug, Deserialize, Apiv2Schema)]
pub struct AlertParams {
    /// `open`, `dismissed`, `escalated` or `sar_filed`.
    pub status: Option<String>,
    /// `low`, `medium`, `high` or `critical`.
    pub risk_level: Option<String>,
    pub player_id: Option<Uuid>,
    /// `-created_at` (the default), `created_at`, `-risk_score` or `risk_score`.
    pub sort: Option<String>,
    /// 1–500 (default 100).
    pub limit: Option<i64>,
    /// Alerts to skip (default 0).
    pub offset: Option<i64>,
}

/// AML alerts (staff)
#[api_v2_operation(tags(Compliance))]
pub async fn alerts(
    state: web::Data<AppState>,
    user: AuthUser,
    query: web::Query<AlertParams>,
) -> Result<web::Json<Vec<AlertResponse>>, ApiError> {
    user.require_staff()?;
    let q = query.into_inner();
    if q.status.as_deref().is_some_and(|s| compliance_core::AlertStatus::parse(s).is_none()) {
        return Err(ApiError::validation("status", "must be open, dismissed, escalated or sar_filed"));
    }
    if q.risk_level.as_deref().is_some_and(|s| compliance_core::RiskLevel::parse(s).is_none()) {
        return Err(ApiError::validation("risk_level", "must be low, medium, high or critical"));
    }
    let filter = AlertFilter {
        status: q.status,
        risk_level: q.risk_level,
        player_id: q.player_id.map(AccountId::from_uuid),
        order: super::one_of("sort", q.sort, AlertOrder::ALL, AlertOrder::as_str)?.unwrap_or_default(),
        limit: super::bounded("limit", q.limit, 100, 1, 500)?,
        offset: super::bounded("offset", q.offset, 0, 0, i64::MAX)?,
    };
    Ok(web::Json(app::compliance::aml_alerts(&state, filter).await?.into_iter().map(Into::into).collect()))
}

#[derive(Debug, Deserialize, Apiv2Schema)]
pub struct ReviewRequest {
    /// `dismissed`, `escalated` or `sar_filed`.
    pub outcome: String,
    pub note: String,
}

/// Review an AML alert (compliance or admin)
#[api_v2_operation(tags(Compliance))]
pub async fn review_alert(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
    body: ApiJson<ReviewRequest>,
) -> Result<web::Json<AlertResponse>, ApiError> {
    user.require(COMPLIANCE_STAFF)?;
    let b = body.0;
    let outcome = match b.outcome.as_str() {
        "dismissed" => ReviewOutcome::Dismissed,
        "escalated" => ReviewOutcome::Escalated,
        "sar_filed" => ReviewOutcome::SarFiled,
        _ => return Err(ApiError::validation("outcome", "must be dismissed, escalated or sar_filed")),
    };
    let note = free_text("note", &b.note, 1..=2_000)?;
    let reviewed = state
        .db
        .review_alert(id.into_inner(), outcome, note, user.id, state.clock.now())
        .await?
        .ok_or_else(|| ApiError::NotFound("no such alert".into()))??;
    state.publish(
        crate::events::Channel::ComplianceAlerts,
        "aml.alert_reviewed",
        serde_json::json!({"alert_id": reviewed.id, "status": reviewed.status, "by": user.id}),
    );
    Ok(web::Json(reviewed.into()))
}

#[derive(Debug, Deserialize, Apiv2Schema)]
pub struct RegisterRequest {
    pub full_name: String,
    /// `YYYY-MM-DD`.
    pub date_of_birth: NaiveDate,
    pub email: String,
}

#[derive(Debug, Serialize, Apiv2Schema)]
pub struct RegisterResponse {
    pub id: Uuid,
    pub full_name: String,
    pub date_of_birth: NaiveDate,
    pub email: String,
}

/// Add a person to the simulated national self-exclusion register (compliance or admin)
///
/// An account of the person, existing or opened later, is self-excluded: refused
/// deposits and play (withdrawals stay possible).
#[api_v2_operation(tags(Compliance))]
pub async fn add_to_register(
    state: web::Data<AppState>,
    user: AuthUser,
    body: ApiJson<RegisterRequest>,
) -> Result<CreatedJson<RegisterResponse>, ApiError> {
    user.require(COMPLIANCE_STAFF)?;
    let b = body.0;
    let email = pam_core::Email::parse(&b.email).map_err(|e| ApiError::validation("email", e.0))?;
    let name = free_text("full_name", &b.full_name, 2..=100)?;
    let id = state
        .db
        .add_to_register(name.clone(), b.date_of_birth, email.as_str().to_owned(), user.id, state.clock.now())
        .await?;
    Ok(CreatedJson(RegisterResponse {
        id,
        full_name: name,
        date_of_birth: b.date_of_birth,
        email: email.as_str().to_owned(),
    }))
}

#[derive(Debug, Deserialize, Apiv2Schema)]
pub struct ReportParams {
    /// First day, `YYYY-MM-DD` (inclusive).
    pub from: NaiveDate,
    /// Last day, `YYYY-MM-DD` (inclusive).
    pub to: NaiveDate,
    /// A jurisdiction (`GB`, `SE`, `DE`, `MT` or `default`), or absent for all.
    pub jurisdiction: Option<String>,
    /// `json` (default) or `csv`.
    pub format: Option<String>,
}

/// One jurisdiction's figures.
#[derive(Debug, Serialize, Apiv2Schema)]
pub struct ReportLine {
    pub jurisdiction: String,
    pub wagered: i64,
    pub paid: i64,
    /// Gross gaming revenue: wagered − paid.
    pub ggr: i64,
    pub deposits: i64,
    pub withdrawals: i64,
    pub exclusions: i64,
    pub aml_alerts: i64,
    pub harm_alerts: i64,
}

#[derive(Debug, Serialize, Apiv2Schema)]
pub struct ReportResponse {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub lines: Vec<ReportLine>,
}

/// A regulatory report as JSON or CSV.
pub enum Report {
    Json(ReportResponse),
    Csv(String),
}

impl actix_web::Responder for Report {
    type Body = BoxBody;
    fn respond_to(self, _: &actix_web::HttpRequest) -> HttpResponse {
        match self {
            Report::Json(r) => HttpResponse::Ok().json(r),
            Report::Csv(text) => HttpResponse::Ok()
                .content_type("text/csv; charset=utf-8")
                .insert_header(("Content-Disposition", "attachment; filename=\"report.csv\""))
                .body(text),
        }
    }
}

impl paperclip::v2::schema::Apiv2Schema for Report {}

impl OperationModifier for Report {
    fn update_response(op: &mut DefaultOperationRaw) {
        web::Json::<ReportResponse>::update_response(op);
        let csv = DefaultSchemaRaw { data_type: Some(DataType::String), ..Default::default() };
        op.responses.entry("200".into()).or_insert_with(|| {
            Either::Right(Response { description: Some("CSV".into()), schema: Some(csv), ..Default::default() })
        });
    }
    fn update_definitions(map: &mut std::collections::BTreeMap<String, DefaultSchemaRaw>) {
        web::Json::<ReportResponse>::update_definitions(map);
    }
}

/// Regulatory report per jurisdiction (staff)
///
/// GGR (wagered − paid), deposits, withdrawals, exclusions started and alerts raised
/// between `from` and `to` (UTC days, inclusive), as JSON or CSV.
#[api_v2_operation(tags(Compliance))]
pub async fn report(
    state: web::Data<AppState>,
    user: AuthUser,
    query: web::Query<ReportParams>,
) -> Result<Report, ApiError> {
    user.require_staff()?;
    let q = query.into_inner();
    if q.to < q.from {
        return Err(ApiError::validation("to", "must not be before from"));
    }
    let csv = match q.format.as_deref() {
        None | Some("json") => false,
        Some("csv") => true,
        Some(_) => return Err(ApiError::validation("format", "must be json or csv")),
    };
    let start =
        q.from.and_hms_opt(0, 0, 0).map(|d| d.and_utc()).ok_or_else(|| ApiError::validation("from", "invalid"))?;
    let end =
        q.to.succ_opt()
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .map(|d| d.and_utc())
            .ok_or_else(|| ApiError::validation("to", "invalid"))?;
    // Countries without a profile of their own report under the `default` jurisdiction.
    let mut by_jurisdiction: std::collections::BTreeMap<String, ReportLine> = Default::default();
    for r in app::compliance::report(&state, start, end).await? {
        let code = state.policy.profiles.for_country(&r.jurisdiction).code.clone();
        let line = by_jurisdiction.entry(code.clone()).or_insert_with(|| ReportLine {
            jurisdiction: code,
            wagered: 0,
            paid: 0,
            ggr: 0,
            deposits: 0,
            withdrawals: 0,
            exclusions: 0,
            aml_alerts: 0,
            harm_alerts: 0,
        });
        let sum = |a: i64, b: i64| {
            kernel::checked_sum([a, b]).ok_or_else(|| ApiError::Internal("report total overflows".into()))
        };
        line.wagered = sum(line.wagered, r.wagered)?;
        line.paid = sum(line.paid, r.paid)?;
        line.ggr = sum(line.ggr, sum(r.wagered, -r.paid)?)?;
        line.deposits = sum(line.deposits, r.deposits)?;
        line.withdrawals = sum(line.withdrawals, r.withdrawals)?;
        line.exclusions += r.exclusions;
        line.aml_alerts += r.aml_alerts;
        line.harm_alerts += r.harm_alerts;
    }
    let wanted = q
        .jurisdiction
        .map(|j| if j.eq_ignore_ascii_case("default") { j.to_ascii_lowercase() } else { j.to_ascii_uppercase() });
    let lines: Vec<ReportLine> =
        by_jurisdiction.into_values().filter(|l| wanted.as_ref().is_none_or(|w| *w == l.jurisdiction)).collect();
    if csv {
        let mut out =
            String::from("jurisdiction,wagered,paid,ggr,deposits,withdrawals,exclusions,aml_alerts,harm_alerts\n");
        for l in &lines {
            out.push_str(&format!(
                "{},{},{},{},{},{},{},{},{}\n",
                l.jurisdiction,
                l.wagered,
                l.paid,
                l.ggr,
                l.deposits,
                l.withdrawals,
                l.exclusions,
                l.aml_alerts,
                l.harm_alerts
            ));
        }
        return Ok(Report::Csv(out));
    }
    Ok(Report::Json(ReportResponse { from: q.from, to: q.to, lines }))
}

/// One recorded staff action.
#[derive(Debug, Serialize, Apiv2Schema)]
pub struct AuditResponse {
    pub id: Uuid,
    pub actor: Uuid,
    /// e.g. `kyc.decided`, `aml.alert_reviewed`, `rtp.changed`, `game.limits_changed`,
    /// `round.rolled_back`, `staff.created`, `register.person_added`.
    pub action: String,
    pub target: String,
    pub before: Option<Value>,
    pub after: Option<Value>,
    pub at: DateTime<Utc>,
}

impl From<AuditEntry> for AuditResponse {
    fn from(e: AuditEntry) -> Self {
        AuditResponse {
            id: e.id,
            actor: e.actor.as_uuid(),
            action: e.action,
            target: e.target,
            before: e.before,
            after: e.after,
            at: e.at,
        }
    }
}

#[derive(Debug, Deserialize, Apiv2Schema)]
pub struct AuditParams {
    /// e.g. `kyc.decided`.
    pub action: Option<String>,
    /// The staff member (or player) who acted.
    pub actor: Option<Uuid>,
    /// Exactly this target: `player:{id}`, `game:{slug}`, `round:{id}`, `account:{id}`,
    /// `aml_alert:{id}` or `register:{id}`.
    pub target: Option<String>,
    /// From this instant (RFC 3339, inclusive).
    pub from: Option<DateTime<Utc>>,
    /// Before this instant (RFC 3339).
    pub to: Option<DateTime<Utc>>,
    /// 1–1000 (default 100).
    pub limit: Option<i64>,
    /// Entries to skip (default 0).
    pub offset: Option<i64>,
}

/// The staff audit log, newest first, filtered (admin or compliance)
#[api_v2_operation(tags(Compliance))]
pub async fn audit_log(
    state: web::Data<AppState>,
    user: AuthUser,
    query: web::Query<AuditParams>,
) -> Result<web::Json<Vec<AuditResponse>>, ApiError> {
    user.require(COMPLIANCE_STAFF)?;
    let q = query.into_inner();
    let (from, to) = super::time_range(q.from, q.to)?;
    let filter = AuditFilter {
        action: q.action.map(|a| free_text("action", &a, 1..=100)).transpose()?,
        actor: q.actor.map(AccountId::from_uuid),
        target: q.target.map(|t| free_text("target", &t, 1..=200)).transpose()?,
        from,
        to,
        limit: super::bounded("limit", q.limit, 100, 1, 1_000)?,
        offset: super::bounded("offset", q.offset, 0, 0, i64::MAX)?,
    };
    Ok(web::Json(app::compliance::audit_log(&state, filter).await?.into_iter().map(Into::into).collect()))
}
