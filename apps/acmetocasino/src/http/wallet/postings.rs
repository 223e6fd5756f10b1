//! The staff posting queue: postings above the approval threshold wait for a second
//! admin, who approves (through every money rule) or rejects them.

use super::*;

/// A staff posting queued for a second admin's approval.
#[derive(Debug, Serialize, Apiv2Schema)]
pub struct ManualPostingResponse {
    pub id: Uuid,
    pub player_id: Uuid,
    /// The event type it posts once approved.
    #[serde(rename = "type")]
    pub event_type: String,
    /// Minor units, in the wallet's currency.
    pub amount: i64,
    pub reference: Option<String>,
    pub compensates: Option<Uuid>,
    pub idempotency_key: String,
    pub reason: String,
    pub requested_by: Uuid,
    pub requested_at: DateTime<Utc>,
    /// `pending`, `approved` or `rejected`.
    pub status: String,
    pub decided_by: Option<Uuid>,
    pub decided_at: Option<DateTime<Utc>>,
    /// The rejecting staff member's reason.
    pub decision_note: Option<String>,
    /// The wallet event posted on approval.
    pub event_id: Option<Uuid>,
}

impl From<ManualPosting> for ManualPostingResponse {
    fn from(m: ManualPosting) -> Self {
        let by = m.posting.attribution.as_ref();
        ManualPostingResponse {
            id: m.id,
            player_id: m.player_id.as_uuid(),
            event_type: m.posting.event_type.as_str().to_owned(),
            amount: m.posting.amount.minor_units(),
            reference: m.posting.reference.as_ref().map(|r| r.as_str().to_owned()),
            compensates: m.posting.compensates,
            idempotency_key: m.posting.idempotency_key.as_str().to_owned(),
            reason: by.map(|a| a.reason.as_str().to_owned()).unwrap_or_default(),
            requested_by: by.map(|a| a.posted_by.as_uuid()).unwrap_or_default(),
            requested_at: m.requested_at,
            status: m.status.as_str().to_owned(),
            decided_by: m.decided_by.map(|d| d.as_uuid()),
            decided_at: m.decided_at,
            decision_note: m.decision_note,
            event_id: m.event_id,
        }
    }
}

#[derive(Debug, Deserialize, Apiv2Schema)]
pub struct ManualPostingParams {
    /// `pending`, `approved` or `rejected`.
    pub status: Option<String>,
    pub player_id: Option<Uuid>,
    /// 1–500 (default 50).
    pub limit: Option<i64>,
    /// Postings to skip (default 0).
    pub offset: Option<i64>,
}

/// Staff postings queued for approval, newest first (staff)
#[api_v2_operation(tags(Wallet))]
pub async fn manual_postings(
    state: web::Data<AppState>,
    user: AuthUser,
    query: web::Query<ManualPostingParams>,
) -> Result<web::Json<Vec<ManualPostingResponse>>, ApiError> {
    user.require_staff()?;
    let q = query.into_inner();
    let status = q
        .status
        .map(|s| {
            ApprovalStatus::parse(&s)
                .ok_or_else(|| ApiError::validation("status", "must be pending, approved or rejected"))
        })
        .transpose()?;
    let filter = PostingFilter {
        status,
        player: q.player_id.map(AccountId::from_uuid),
        limit: crate::http::bounded("limit", q.limit, 50, 1, 500)?,
        offset: crate::http::bounded("offset", q.offset, 0, 0, i64::MAX)?,
    };
    Ok(web::Json(app::wallet::manual_postings(&state, filter).await?.into_iter().map(Into::into).collect()))
}

/// One queued staff posting (staff)
#[api_v2_operation(tags(Wallet))]
pub async fn manual_posting(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
) -> Result<web::Json<ManualPostingResponse>, ApiError> {
    user.require_staff()?;
    let found = app::wallet::manual_posting(&state, id.into_inner()).await?;
    Ok(web::Json(found.ok_or_else(|| ApiError::NotFound("no such manual posting".into()))?.into()))
}

/// An approved posting and the event it posted.
#[derive(Debug, Serialize, Apiv2Schema)]
pub struct ApprovalResponse {
    pub posting: ManualPostingResponse,
    pub event: EventResponse,
}

/// Approve a queued staff posting (admin, not its requester)
///
/// Posts the event through every money rule, with `approved_by`; a rule that refuses
/// it (e.g. `insufficient_funds`) leaves the posting pending.
#[api_v2_operation(tags(Wallet))]
pub async fn approve_manual_posting(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
) -> Result<web::Json<ApprovalResponse>, ApiError> {
    user.require(&[Role::Admin])?;
    let (posting, result) =
        money::approve(&state, id.into_inner(), user.id, state.entropy.new_id(), state.clock.now()).await?;
    announce(&state, &result);
    Ok(web::Json(ApprovalResponse { posting: posting.into(), event: result.outcome.event.into() }))
}

#[derive(Debug, Deserialize, Apiv2Schema)]
pub struct RejectRequest {
    /// Why, 1–500 characters.
    pub reason: String,
}

/// Reject a queued staff posting (admin)
#[api_v2_operation(tags(Wallet))]
pub async fn reject_manual_posting(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
    body: ApiJson<RejectRequest>,
) -> Result<web::Json<ManualPostingResponse>, ApiError> {
    user.require(&[Role::Admin])?;
    let note = Reason::parse(&body.0.reason).map_err(|e| ApiError::validation("reason", e.to_string()))?;
    let rejected =
        app::wallet::reject(&state, id.into_inner(), user.id, note.as_str().to_owned(), state.clock.now()).await?;
    Ok(web::Json(rejected.into()))
}
