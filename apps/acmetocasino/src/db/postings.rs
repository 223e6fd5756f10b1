//! Staff postings above the approval threshold: queued, then approved by a second
//! admin (the event is posted through every money rule) or rejected. Each step writes
//! its audit entry in the same transaction.

use super::compliance::{MoneyResult, Policy};
use super::money::{MoneyFailure, MoneyRules};
use super::schema::{manual_postings, wallet_events};
use super::types::{DbId, DbTime};
use super::{Db, DbError, backend_queries, dispatch};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};
use kernel::{AccountId, Amount};
use serde_json::json;
use uuid::Uuid;
use wallet_core::{
    ApprovalError, ApprovalStatus, Attribution, EventType, IdempotencyKey, ManualPosting, PostError, Posting,
    PostingFilter, Reason, Reference,
};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = manual_postings)]
pub(crate) struct ManualPostingRow {
    id: DbId,
    player_id: DbId,
    event_type: String,
    amount: i64,
    reference: Option<String>,
    compensates: Option<DbId>,
    idempotency_key: String,
    request_fingerprint: String,
    reason: String,
    requested_by: DbId,
    requested_at: DbTime,
    status: String,
    decided_by: Option<DbId>,
    decided_at: Option<DbTime>,
    decision_note: Option<String>,
    event_id: Option<DbId>,
}

impl TryFrom<ManualPostingRow> for ManualPosting {
    type Error = DbError;
    fn try_from(r: ManualPostingRow) -> Result<Self, DbError> {
        let corrupt = |what: &str| DbError::Row(format!("manual posting {}: {what}", r.id.0));
        let event_type = EventType::parse(&r.event_type).ok_or_else(|| corrupt("event type"))?;
        let amount = Amount::new(r.amount).map_err(|_| corrupt("amount"))?;
        let key = IdempotencyKey::parse(&r.idempotency_key).map_err(|_| corrupt("idempotency key"))?;
        let reference = r.reference.as_deref().map(Reference::parse).transpose().map_err(|_| corrupt("reference"))?;
        let mut posting = match r.compensates {
            Some(target) => Posting::rollback(target.0, amount, key, reference),
            None => Posting::new(event_type, amount, key, reference),
        };
        if posting.event_type != event_type {
            return Err(corrupt("a ROLLBACK without its target"));
        }
        posting.attribution = Some(Attribution {
            posted_by: AccountId::from_uuid(r.requested_by.0),
            reason: Reason::parse(&r.reason).map_err(|_| corrupt("reason"))?,
            approved_by: None,
        });
        if posting.fingerprint() != r.request_fingerprint {
            return Err(corrupt("fingerprint"));
        }
        Ok(ManualPosting {
            id: r.id.0,
            player_id: AccountId::from_uuid(r.player_id.0),
            posting,
            requested_at: r.requested_at.0,
            status: ApprovalStatus::parse(&r.status).ok_or_else(|| corrupt("status"))?,
            decided_by: r.decided_by.map(|d| AccountId::from_uuid(d.0)),
            decided_at: r.decided_at.map(|d| d.0),
            decision_note: r.decision_note,
            event_id: r.event_id.map(|e| e.0),
        })
    }
}

/// Why a queued posting could not be requested, approved or rejected. Nothing changed.
#[derive(Debug)]
pub enum ApprovalFailure {
    NotFound,
    Decision(ApprovalError),
    Money(MoneyFailure),
}

impl From<MoneyFailure> for ApprovalFailure {
    fn from(e: MoneyFailure) -> Self {
        ApprovalFailure::Money(e)
    }
}

impl From<DbError> for ApprovalFailure {
    fn from(e: DbError) -> Self {
        ApprovalFailure::Money(MoneyFailure::Db(e))
    }
}

impl From<diesel::result::Error> for ApprovalFailure {
    fn from(e: diesel::result::Error) -> Self {
        ApprovalFailure::Money(MoneyFailure::Db(e.into()))
    }
}

fn audit_details(p: &ManualPosting) -> serde_json::Value {
    let reason = p.posting.attribution.as_ref().map(|a| a.reason.as_str());
    json!({"posting_id": p.id, "type": p.posting.event_type.as_str(), "amount": p.posting.amount.minor_units(),
           "reason": reason, "status": p.status.as_str(), "event_id": p.event_id})
}

#[backend_queries(siblings(wallet, compliance, money))]
mod queries {

    async fn load(c: &mut Conn, id: DbId) -> Result<Option<ManualPosting>, DbError> {
        let row = manual_postings::table.find(id).select(ManualPostingRow::as_select()).first(c).await.optional()?;
        row.map(ManualPosting::try_from).transpose()
    }

    /// Refuses a direct staff posting whose key a queued one already holds (a key names
    /// one request, whichever way it went).
    pub(crate) async fn refuse_key_of_a_queued_posting(
        c: &mut Conn,
        player: DbId,
        posting: &Posting,
    ) -> Result<(), MoneyFailure> {
        let queued: i64 = manual_postings::table
            .filter(manual_postings::player_id.eq(player))
            .filter(manual_postings::idempotency_key.eq(posting.idempotency_key.as_str()))
            .count()
            .get_result(c)
            .await?;
        if queued > 0 { Err(MoneyFailure::Post(PostError::IdempotencyConflict)) } else { Ok(()) }
    }

    /// Queues `posting` (a staff posting above the threshold) for a second admin; the
    /// same request again answers with the queued posting (`true`: replayed).
    pub(crate) async fn request(
        c: &mut Conn,
        player: DbId,
        posting: Posting,
        id: Uuid,
        at: DbTime,
    ) -> Result<(ManualPosting, bool), ApprovalFailure> {
        c.transaction(async |c| {
            wallet::lock_head(c, player).await?.ok_or(MoneyFailure::Post(PostError::WalletNotFound))?;
            let key = posting.idempotency_key.as_str();
            let queued = manual_postings::table
                .filter(manual_postings::player_id.eq(player))
                .filter(manual_postings::idempotency_key.eq(key))
                .select(ManualPostingRow::as_select())
                .first(c)
                .await
                .optional()?;
            if let Some(row) = queued {
                let queued = ManualPosting::try_from(row)?;
                return if queued.posting.fingerprint() == posting.fingerprint() {
                    Ok((queued, true))
                } else {
                    Err(MoneyFailure::Post(PostError::IdempotencyConflict).into())
                };
            }
            let posted: i64 = wallet_events::table
                .filter(wallet_events::player_id.eq(player))
                .filter(wallet_events::idempotency_key.eq(key))
                .count()
                .get_result(c)
                .await?;
            if posted > 0 {
                return Err(MoneyFailure::Post(PostError::IdempotencyConflict).into());
            }
            let by = posting.attribution.as_ref().ok_or(ApprovalFailure::Decision(ApprovalError::OwnPosting))?;
            let row = ManualPostingRow {
                id: DbId(id),
                player_id: player,
                event_type: posting.event_type.as_str().to_owned(),
                amount: posting.amount.minor_units(),
                reference: posting.reference.as_ref().map(|r| r.as_str().to_owned()),
                compensates: posting.compensates.map(DbId),
                idempotency_key: key.to_owned(),
                request_fingerprint: posting.fingerprint(),
                reason: by.reason.as_str().to_owned(),
                requested_by: DbId(by.posted_by.as_uuid()),
                requested_at: at,
                status: ApprovalStatus::Pending.as_str().to_owned(),
                decided_by: None,
                decided_at: None,
                decision_note: None,
                event_id: None,
            };
            let actor = row.requested_by;
            diesel::insert_into(manual_postings::table).values(&row).execute(c).await?;
            let queued = ManualPosting::try_from(row)?;
            compliance::record_audit(
                c,
                actor,
                "wallet.manual_posting_requested",
                &format!("player:{}", player.0),
                None,
                Some(audit_details(&queued)),
                at,
            )
            .await?;
            Ok((queued, false))
        })
        .await
    }

    /// Approves a queued posting: posts its event through every money rule, with
    /// `approved_by`, and marks it approved, in one transaction.
    pub(crate) async fn approve(
        c: &mut Conn,
        id: DbId,
        approver: DbId,
        event_id: Uuid,
        at: DateTime<Utc>,
        policy: &Policy,
        rules: MoneyRules,
    ) -> Result<(ManualPosting, MoneyResult), ApprovalFailure> {
        c.transaction(async |c| {
            let player = load(c, id).await?.ok_or(ApprovalFailure::NotFound)?.player_id;
            let player = DbId(player.as_uuid());
            // Decisions on a player's postings are serialised by their wallet's lock:
            // read the posting again behind it.
            let mut head = wallet::lock_head(c, player).await?.ok_or(MoneyFailure::Post(PostError::WalletNotFound))?;
            let mut queued = load(c, id).await?.ok_or(ApprovalFailure::NotFound)?;
            let posting = queued.approve(AccountId::from_uuid(approver.0)).map_err(ApprovalFailure::Decision)?;
            let result = money::apply_money(c, player, &mut head, &posting, event_id, at, policy, rules).await?;
            queued.status = ApprovalStatus::Approved;
            queued.decided_by = Some(AccountId::from_uuid(approver.0));
            queued.decided_at = Some(at);
            queued.event_id = Some(result.outcome.event.id);
            diesel::update(manual_postings::table.find(id))
                .set((
                    manual_postings::status.eq(ApprovalStatus::Approved.as_str()),
                    manual_postings::decided_by.eq(Some(approver)),
                    manual_postings::decided_at.eq(Some(DbTime(at))),
                    manual_postings::event_id.eq(Some(DbId(result.outcome.event.id))),
                ))
                .execute(c)
                .await?;
            compliance::record_audit(
                c,
                approver,
                "wallet.manual_posting_approved",
                &format!("player:{}", player.0),
                None,
                Some(audit_details(&queued)),
                DbTime(at),
            )
            .await?;
            Ok((queued, result))
        })
        .await
    }

    pub(crate) async fn reject(
        c: &mut Conn,
        id: DbId,
        by: DbId,
        note: String,
        at: DbTime,
    ) -> Result<ManualPosting, ApprovalFailure> {
        c.transaction(async |c| {
            let player = DbId(load(c, id).await?.ok_or(ApprovalFailure::NotFound)?.player_id.as_uuid());
            wallet::lock_head(c, player).await?;
            let mut queued = load(c, id).await?.ok_or(ApprovalFailure::NotFound)?;
            queued.reject().map_err(ApprovalFailure::Decision)?;
            diesel::update(manual_postings::table.find(id))
                .set((
                    manual_postings::status.eq(ApprovalStatus::Rejected.as_str()),
                    manual_postings::decided_by.eq(Some(by)),
                    manual_postings::decided_at.eq(Some(at)),
                    manual_postings::decision_note.eq(Some(&note)),
                ))
                .execute(c)
                .await?;
            queued.status = ApprovalStatus::Rejected;
            queued.decided_by = Some(AccountId::from_uuid(by.0));
            queued.decided_at = Some(at.0);
            queued.decision_note = Some(note);
            compliance::record_audit(
                c,
                by,
                "wallet.manual_posting_rejected",
                &format!("player:{}", player.0),
                None,
                Some(audit_details(&queued)),
                at,
            )
            .await?;
            Ok(queued)
        })
        .await
    }

    pub(crate) async fn list(c: &mut Conn, f: PostingFilter) -> Result<Vec<ManualPosting>, DbError> {
        let mut q = manual_postings::table.into_boxed();
        if let Some(s) = f.status {
            q = q.filter(manual_postings::status.eq(s.as_str()));
        }
        if let Some(p) = f.player {
            q = q.filter(manual_postings::player_id.eq(DbId(p.as_uuid())));
        }
        let rows = q
            .order(manual_postings::position.desc())
            .limit(f.limit)
            .offset(f.offset)
            .select(ManualPostingRow::as_select())
            .load(c)
            .await?;
        rows.into_iter().map(ManualPosting::try_from).collect()
    }

    pub(crate) async fn get(c: &mut Conn, id: DbId) -> Result<Option<ManualPosting>, DbError> {
        load(c, id).await
    }
}

impl Db {
    pub async fn request_manual_posting(
        &self,
        player: AccountId,
        posting: Posting,
        id: Uuid,
        at: DateTime<Utc>,
    ) -> Result<(ManualPosting, bool), ApprovalFailure> {
        dispatch!(write self, self::request(DbId(player.as_uuid()), posting, id, DbTime(at)))
    }

    pub async fn approve_manual_posting(
        &self,
        id: Uuid,
        approver: AccountId,
        event_id: Uuid,
        at: DateTime<Utc>,
        policy: &Policy,
        rules: MoneyRules,
    ) -> Result<(ManualPosting, MoneyResult), ApprovalFailure> {
        dispatch!(write self, self::approve(DbId(id), DbId(approver.as_uuid()), event_id, at, policy, rules))
    }

    pub async fn reject_manual_posting(
        &self,
        id: Uuid,
        by: AccountId,
        note: String,
        at: DateTime<Utc>,
    ) -> Result<ManualPosting, ApprovalFailure> {
        dispatch!(write self, self::reject(DbId(id), DbId(by.as_uuid()), note, DbTime(at)))
    }

    pub async fn manual_postings(&self, filter: PostingFilter) -> Result<Vec<ManualPosting>, DbError> {
        dispatch!(stale self, self::list(filter))
    }

    pub async fn manual_posting(&self, id: Uuid) -> Result<Option<ManualPosting>, DbError> {
        dispatch!(read self, self::get(DbId(id)))
    }
}
