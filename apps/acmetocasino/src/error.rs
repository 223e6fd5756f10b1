//! The one error type at the HTTP edge: every failure becomes an RFC 9457 problem
//! document with a stable `code`. Every domain error is mapped here, once.

use crate::db::compliance::MoneyFailure;
use crate::db::postings::ApprovalFailure;
use crate::db::round_rules::RoundFailure;
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use compliance_core::{AmlError, KycError};
use paperclip::actix::{Apiv2Schema, api_v2_errors};
use rg_core::RgError;
use serde::Serialize;
use wallet_core::{ApprovalError, PostError, PostingError};

pub const PROBLEM_JSON: &str = "application/problem+json";

/// One invalid field of a request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Apiv2Schema)]
pub struct FieldProblem {
    /// The field's path in the request (`amount`, `params.target`, `limit`, …).
    pub field: String,
    pub message: String,
}

/// An RFC 9457 problem document.
#[derive(Debug, Clone, Serialize, Apiv2Schema)]
pub struct Problem {
    /// A URI naming the problem type (`urn:acmetocasino:problem:<code>`).
    #[serde(rename = "type")]
    pub problem_type: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// Stable, machine-readable error code.
    pub code: String,
    /// For `validation_error`: every invalid field.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errors: Option<Vec<FieldProblem>>,
    /// For `rate_limited`: seconds until a retry may succeed (also in `Retry-After`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<u64>,
}

/// The refusals of the business rules, shared by every core: mapped to 422 here, once.
pub use kernel::{Refusal, Refused};

#[api_v2_errors(
    code = 400,
    description = "validation_error: malformed JSON, wrong types or out-of-range values",
    code = 401,
    description = "unauthorized: missing, invalid or expired access token, or bad credentials",
    code = 403,
    description = "forbidden: authenticated but not allowed",
    code = 404,
    description = "not_found: unknown resource",
    code = 409,
    description = "conflict: duplicate, or idempotency key reused with a different request",
    code = 422,
    description = "A business rule refused the request; nothing was written",
    code = 429,
    description = "rate_limited: too many attempts; see Retry-After",
    code = 503,
    description = "unavailable: a required dependency is down",
    default_schema = "Problem"
)]
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{detail}")]
    Validation { detail: String, errors: Vec<FieldProblem> },
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{detail}")]
    Refused { refusal: Refusal, detail: String },
    #[error("{detail}")]
    RateLimited { retry_after_secs: u64, detail: String },
    #[error("{0}")]
    Unavailable(String),
    #[error("{0}")]
    MethodNotAllowed(String),
    /// A bug: logged with its cause, answered without it.
    #[error("internal error: {0}")]
    Internal(String),
}

impl ApiError {
    pub fn validation(field: &str, message: impl Into<String>) -> Self {
        let message = message.into();
        ApiError::Validation {
            detail: format!("{field}: {message}"),
            errors: vec![FieldProblem { field: field.to_owned(), message }],
        }
    }

    pub fn fields(errors: Vec<FieldProblem>) -> Self {
        let detail = errors.iter().map(|e| format!("{}: {}", e.field, e.message)).collect::<Vec<_>>().join("; ");
        ApiError::Validation { detail, errors }
    }

    pub fn refused(refusal: Refusal, detail: impl Into<String>) -> Self {
        ApiError::Refused { refusal, detail: detail.into() }
    }

    pub fn code(&self) -> &'static str {
        match self {
            ApiError::Validation { .. } => "validation_error",
            ApiError::Unauthorized(_) => "unauthorized",
            ApiError::Forbidden(_) => "forbidden",
            ApiError::NotFound(_) => "not_found",
            ApiError::Conflict(_) => "conflict",
            ApiError::Refused { refusal, .. } => refusal.code(),
            ApiError::RateLimited { .. } => "rate_limited",
            ApiError::Unavailable(_) => "unavailable",
            ApiError::MethodNotAllowed(_) => "method_not_allowed",
            ApiError::Internal(_) => "internal_error",
        }
    }

    pub fn problem(&self) -> Problem {
        let status = self.status_code();
        let detail = match self {
            // The cause is in the log, under the response's X-Correlation-ID.
            ApiError::Internal(_) => "an unexpected error occurred; it has been logged".to_owned(),
            ApiError::Unavailable(_) => "a service this request needs is unavailable; try again later".to_owned(),
            other => other.to_string(),
        };
        Problem {
            problem_type: format!("urn:acmetocasino:problem:{}", self.code()),
            title: status.canonical_reason().unwrap_or("Error").to_owned(),
            status: status.as_u16(),
            detail,
            code: self.code().to_owned(),
            errors: match self {
                ApiError::Validation { errors, .. } => Some(errors.clone()),
                _ => None,
            },
            retry_after: match self {
                ApiError::RateLimited { retry_after_secs, .. } => Some(*retry_after_secs),
                _ => None,
            },
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::Validation { .. } => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::Refused { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            ApiError::Internal(cause) => tracing::error!(%cause, "internal error"),
            ApiError::Unavailable(cause) => tracing::warn!(%cause, "dependency unavailable"),
            _ => {}
        }
        let mut resp = HttpResponse::build(self.status_code());
        resp.insert_header((header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON)));
        if let ApiError::RateLimited { retry_after_secs, .. } = self {
            resp.insert_header((header::RETRY_AFTER, retry_after_secs.to_string()));
        }
        if let ApiError::Unauthorized(_) = self {
            resp.insert_header((header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer")));
        }
        resp.json(self.problem())
    }
}

/// One store error type for every core: unreachable is a dependency down (503),
/// anything else a bug (500). Either way the cause goes to the log, not the client.
impl From<kernel::StoreError> for ApiError {
    fn from(e: kernel::StoreError) -> Self {
        if e.unreachable { ApiError::Unavailable(e.cause) } else { ApiError::Internal(e.cause) }
    }
}

impl From<crate::db::DbError> for ApiError {
    fn from(e: crate::db::DbError) -> Self {
        if e.is_unreachable() { ApiError::Unavailable(e.to_string()) } else { ApiError::Internal(e.to_string()) }
    }
}

impl From<Refused> for ApiError {
    fn from(r: Refused) -> Self {
        ApiError::Refused { refusal: r.refusal, detail: r.detail }
    }
}

/// A responsible-gaming request: an invalid value is a validation error, the rest
/// refusals.
impl From<RgError> for ApiError {
    fn from(e: RgError) -> Self {
        match e {
            RgError::Invalid { field, message } => ApiError::validation(field, message),
            refused => Refused::from(refused).into(),
        }
    }
}

impl From<KycError> for ApiError {
    fn from(e: KycError) -> Self {
        match e {
            KycError::AlreadyApproved | KycError::AlreadyPending => ApiError::Conflict(e.to_string()),
            KycError::NotPending => ApiError::refused(Refusal::RuleViolation, e.to_string()),
            KycError::ReasonRequired => ApiError::validation("reason", e.to_string()),
        }
    }
}

/// An alert reviewed twice, or moved the wrong way, conflicts with its current status.
impl From<AmlError> for ApiError {
    fn from(e: AmlError) -> Self {
        ApiError::Conflict(e.to_string())
    }
}

/// A posting the wallet refused (outside a round: a round names its own failures).
impl From<PostError> for ApiError {
    fn from(e: PostError) -> Self {
        match e {
            PostError::WalletNotFound => ApiError::NotFound("no wallet for that player".into()),
            PostError::IdempotencyConflict => {
                ApiError::Conflict("idempotency_key was already used for a different request".into())
            }
            PostError::Rejected(r @ PostingError::InsufficientFunds { .. }) => {
                ApiError::refused(Refusal::InsufficientFunds, r.to_string())
            }
            PostError::Rejected(r @ PostingError::RollbackTargetNotFound) => ApiError::NotFound(r.to_string()),
            PostError::Rejected(r @ PostingError::AlreadyRolledBack) => ApiError::Conflict(r.to_string()),
            PostError::Rejected(r) => ApiError::refused(Refusal::RuleViolation, r.to_string()),
            PostError::Store(s) => s.into(),
        }
    }
}

impl From<MoneyFailure> for ApiError {
    fn from(e: MoneyFailure) -> Self {
        match e {
            MoneyFailure::Post(p) => p.into(),
            MoneyFailure::Refused(r) => r.into(),
            MoneyFailure::Db(d) => d.into(),
        }
    }
}

impl From<ApprovalFailure> for ApiError {
    fn from(e: ApprovalFailure) -> Self {
        match e {
            ApprovalFailure::NotFound => ApiError::NotFound("no such manual posting".into()),
            ApprovalFailure::Decision(d @ ApprovalError::AlreadyDecided(_)) => ApiError::Conflict(d.to_string()),
            ApprovalFailure::Decision(d @ ApprovalError::OwnPosting) => ApiError::Forbidden(d.to_string()),
            ApprovalFailure::Money(m) => m.into(),
        }
    }
}

impl From<crate::app::game_control::ControlFailure> for ApiError {
    fn from(e: crate::app::game_control::ControlFailure) -> Self {
        use crate::app::game_control::ControlFailure;
        match e {
            ControlFailure::UnknownGame(_) => ApiError::NotFound(e.to_string()),
            ControlFailure::Limits(l) => ApiError::validation(l.field(), l.to_string()),
            ControlFailure::Catalogue { .. } | ControlFailure::Overflow => ApiError::Internal(e.to_string()),
            ControlFailure::Store(s) => s.into(),
        }
    }
}

/// A round the rules refused or could not play. Its wallet refusals keep the round's
/// own wording: a rejected posting inside a round is a rule violation.
impl From<RoundFailure> for ApiError {
    fn from(e: RoundFailure) -> Self {
        match e {
            RoundFailure::Db(d) => d.into(),
            RoundFailure::Post(PostError::Rejected(r @ PostingError::InsufficientFunds { .. })) => {
                ApiError::refused(Refusal::InsufficientFunds, r.to_string())
            }
            RoundFailure::Post(PostError::Rejected(r)) => ApiError::refused(Refusal::RuleViolation, r.to_string()),
            RoundFailure::Post(PostError::WalletNotFound) => ApiError::NotFound("no wallet for that player".into()),
            RoundFailure::Post(PostError::IdempotencyConflict) | RoundFailure::IdempotencyConflict => {
                ApiError::Conflict("idempotency_key was already used for a different request".into())
            }
            RoundFailure::Post(PostError::Store(s)) => s.into(),
            RoundFailure::UnknownGame => ApiError::NotFound("no such game".into()),
            RoundFailure::SessionNotFound => ApiError::NotFound("no such session".into()),
            RoundFailure::SessionNotYours => ApiError::Forbidden("the session belongs to another player".into()),
            RoundFailure::SessionClosed => ApiError::refused(Refusal::SessionClosed, "the session has ended"),
            RoundFailure::Params(p) => {
                ApiError::validation(&format!("params.{}", p.field.trim_start_matches("params.")), p.message)
            }
            RoundFailure::Stake(refusal) => ApiError::refused(Refusal::BetOutOfRange, refusal.to_string()),
            RoundFailure::RoundNotFound => ApiError::NotFound("no such round".into()),
            RoundFailure::AlreadyRolledBack => ApiError::Conflict("the round has already been rolled back".into()),
            RoundFailure::Refused(r) => ApiError::refused(r.refusal, r.detail),
        }
    }
}

impl From<pam_core::ValidationErrors> for ApiError {
    fn from(e: pam_core::ValidationErrors) -> Self {
        ApiError::fields(e.0.into_iter().map(|f| FieldProblem { field: f.field, message: f.message }).collect())
    }
}

/// Onboarding a provider: a bad key or game is a validation error, a taken slug a conflict.
impl From<crate::app::providers::OnboardFailure> for ApiError {
    fn from(e: crate::app::providers::OnboardFailure) -> Self {
        use crate::app::providers::OnboardFailure;
        match e {
            OnboardFailure::Invalid(field, message) => ApiError::validation(&field, message),
            OnboardFailure::Taken(why) => ApiError::Conflict(why),
            OnboardFailure::Db(d) => d.into(),
        }
    }
}

/// A provider game that cannot be launched: its provider is off, or the player may not play.
impl From<crate::app::providers::LaunchFailure> for ApiError {
    fn from(e: crate::app::providers::LaunchFailure) -> Self {
        use crate::app::providers::LaunchFailure;
        match e {
            LaunchFailure::ProviderDisabled(why) => ApiError::refused(Refusal::RuleViolation, why),
            LaunchFailure::Money(m) => m.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    /// A log sink for one test.
    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Captured {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    /// The response built inside a request's span (as `telemetry::observe` runs every
    /// handler), and what was logged meanwhile.
    fn answer(e: ApiError) -> (HttpResponse, String) {
        let log = Captured::default();
        let sink = log.clone();
        let subscriber = tracing_subscriber::fmt().with_writer(move || sink.clone()).with_ansi(false).finish();
        let response = tracing::subscriber::with_default(subscriber, || {
            tracing::info_span!("request", correlation_id = "corr-4711").in_scope(|| e.error_response())
        });
        let text = String::from_utf8(log.0.lock().unwrap().clone()).unwrap();
        (response, text)
    }

    #[test]
    fn a_bug_is_logged_with_its_cause_and_correlation_id_and_answered_without_them() {
        let (response, log) = answer(ApiError::Internal("database error: Record not found".into()));
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert!(log.contains("Record not found") && log.contains("corr-4711"), "{log}");
        let problem = ApiError::Internal("database error: Record not found".into()).problem();
        assert_eq!((problem.code.as_str(), problem.status), ("internal_error", 500));
        assert!(!problem.detail.contains("Record") && !problem.detail.contains("database"), "{}", problem.detail);
    }

    #[test]
    fn an_outage_is_logged_with_its_cause_and_answered_generically() {
        let (response, log) = answer(ApiError::Unavailable("database unavailable: Timeout(Wait)".into()));
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert!(log.contains("Timeout(Wait)") && log.contains("corr-4711"), "{log}");
        let detail = ApiError::Unavailable("database unavailable: Timeout(Wait)".into()).problem().detail;
        assert!(!detail.contains("Timeout") && !detail.contains("database"), "{detail}");
    }

    /// Architecture invariant: every domain error becomes its problem document here, once.
    #[test]
    fn domain_errors_map_to_their_contract_status_and_code() {
        let answer = |e: ApiError| (e.status_code().as_u16(), e.code());
        let invalid = RgError::Invalid { field: "period", message: "must be daily".into() };
        assert_eq!(answer(invalid.into()), (400, "validation_error"));
        let over = RgError::LimitExceeded { period: rg_core::LimitPeriod::Daily, limit: 1, used: 1, remaining: 0 };
        assert_eq!(answer(over.into()), (422, "limit_exceeded"));
        assert_eq!(answer(RgError::RuleViolation("too short".into()).into()), (422, "rule_violation"));
        assert_eq!(answer(KycError::AlreadyPending.into()), (409, "conflict"));
        assert_eq!(answer(KycError::NotPending.into()), (422, "rule_violation"));
        assert_eq!(answer(PostError::WalletNotFound.into()), (404, "not_found"));
        assert_eq!(answer(PostError::IdempotencyConflict.into()), (409, "conflict"));
        let refused = Refused::new(Refusal::KycRequired, "withdrawals need approved KYC");
        assert_eq!(answer(MoneyFailure::Refused(refused).into()), (422, "kyc_required"));
    }

    #[test]
    fn only_an_unreachable_store_is_an_outage() {
        let status = |e: kernel::StoreError| ApiError::from(e).status_code();
        assert_eq!(status(kernel::StoreError::unreachable("no connection")), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(status(kernel::StoreError::failed("constraint")), StatusCode::INTERNAL_SERVER_ERROR);
        let db = |e: crate::db::DbError| ApiError::from(e).status_code();
        assert_eq!(db(crate::db::DbError::Pool("timed out".into())), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(db(crate::db::DbError::Query(diesel::result::Error::NotFound)), StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(db(crate::db::DbError::Row("bad".into())), StatusCode::INTERNAL_SERVER_ERROR);
        let lost = diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::ClosedConnection,
            Box::new("server closed the connection".to_owned()),
        );
        assert_eq!(db(crate::db::DbError::Query(lost)), StatusCode::SERVICE_UNAVAILABLE);
    }
}
