//! KYC in the store: submissions, their queue and decisions, and the KYC status on the
//! player's profile.
use super::schema::{kyc_submissions, players};
use super::types::{DbId, DbTime};
use super::{Db, DbError, backend_queries, dispatch};
use chrono::{DateTime, NaiveDate, Utc};
use compliance_core::{KycRecord, KycState, RegisterMatch};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};
use kernel::AccountId;
use serde_json::json;
use uuid::Uuid;

use super::compliance::id;
use pam_core::PlayerContext;

type KycRow = (
    DbId,
    DbId,
    String,
    String,
    String,
    NaiveDate,
    String,
    String,
    String,
    DbTime,
    Option<DbTime>,
    Option<DbId>,
    Option<String>,
);

pub(crate) fn to_kyc(r: KycRow) -> KycRecord {
    KycRecord {
        id: r.0.0,
        player_id: AccountId::from_uuid(r.1.0),
        document_type: r.2,
        document_number: r.3,
        issuing_country: r.4,
        expires_on: r.5,
        full_name: r.6,
        address: r.7,
        status: r.8,
        submitted_at: r.9.0,
        decided_at: r.10.map(|t| t.0),
        decided_by: r.11.map(|a| AccountId::from_uuid(a.0)),
        reason: r.12,
    }
}

macro_rules! kyc_columns {
    () => {
        (
            kyc_submissions::id,
            kyc_submissions::player_id,
            kyc_submissions::document_type,
            kyc_submissions::document_number,
            kyc_submissions::issuing_country,
            kyc_submissions::expires_on,
            kyc_submissions::full_name,
            kyc_submissions::address,
            kyc_submissions::status,
            kyc_submissions::submitted_at,
            kyc_submissions::decided_at,
            kyc_submissions::decided_by,
            kyc_submissions::reason,
        )
    };
}

/// A stored KYC status; a value no [`KycState`] names is a corrupt row, not "none".
pub(crate) fn kyc_state(s: &str) -> Result<KycState, DbError> {
    KycState::parse(s).ok_or_else(|| DbError::Row(format!("kyc_status {s:?}")))
}

#[backend_queries(siblings(wallet, compliance, audit, register))]
mod queries {
    use audit::record_audit;
    use compliance::player_context;
    use register::{exclude_listed, match_on_register, on_register};

    pub(crate) async fn kyc_history(c: &mut Conn, player: DbId) -> Result<Vec<KycRecord>, DbError> {
        let rows: Vec<KycRow> = kyc_submissions::table
            .filter(kyc_submissions::player_id.eq(player))
            .order(kyc_submissions::submitted_at.desc())
            .select(kyc_columns!())
            .load(c)
            .await?;
        Ok(rows.into_iter().map(to_kyc).collect())
    }

    pub(crate) async fn kyc_queue(
        c: &mut Conn,
        status: Option<String>,
        newest_first: bool,
        limit: i64,
        offset: i64,
    ) -> Result<Vec<KycRecord>, DbError> {
        let mut q = kyc_submissions::table.into_boxed();
        if let Some(s) = status {
            q = q.filter(kyc_submissions::status.eq(s));
        }
        let q = if newest_first {
            q.order((kyc_submissions::submitted_at.desc(), kyc_submissions::id.desc()))
        } else {
            q.order((kyc_submissions::submitted_at.asc(), kyc_submissions::id.asc()))
        };
        let rows: Vec<KycRow> = q.limit(limit).offset(offset).select(kyc_columns!()).load(c).await?;
        Ok(rows.into_iter().map(to_kyc).collect())
    }

    /// Records a submission (pending) and, when the provider decides at once, its decision:
    /// the player's state and the register loaded, [`compliance_core::on_submission`]
    /// decides, and the submission, the status and any hold are written.
    pub(crate) async fn submit_kyc(
        c: &mut Conn,
        player: DbId,
        sub: compliance_core::KycSubmission,
        provider: compliance_core::SimulatedProvider,
        at: DateTime<Utc>,
    ) -> Result<Result<KycRecord, compliance_core::KycError>, DbError> {
        c.transaction(async |c| {
            wallet::lock_head(c, player).await?;
            let ctx = player_context(c, player).await?.ok_or_else(|| DbError::Row("no such player".into()))?;
            // Every KYC decision consults the register, with the name on the documents.
            let listing = match_on_register(c, &ctx.email, ctx.date_of_birth, Some(sub.full_name())).await?;
            let outcome = match compliance_core::on_submission(ctx.kyc, &sub, listing, provider, at.date_naive()) {
                Ok(outcome) => outcome,
                Err(e) => return Ok(Err(e)),
            };
            if outcome.held_for_register_review {
                hold_for_register_review(c, player, &ctx, listing, DbTime(at)).await?;
            }
            let id = Uuid::new_v4();
            let state = outcome.state;
            let decided_at = outcome.decided_because.map(|_| DbTime(at));
            let reason = outcome.decided_because.map(str::to_owned);
            diesel::insert_into(kyc_submissions::table)
                .values((
                    kyc_submissions::id.eq(DbId(id)),
                    kyc_submissions::player_id.eq(player),
                    kyc_submissions::document_type.eq(sub.document_type().as_str()),
                    kyc_submissions::document_number.eq(sub.document_number()),
                    kyc_submissions::issuing_country.eq(sub.issuing_country()),
                    kyc_submissions::expires_on.eq(sub.expires_on()),
                    kyc_submissions::full_name.eq(sub.full_name()),
                    kyc_submissions::address.eq(sub.address()),
                    kyc_submissions::status.eq(state.as_str()),
                    kyc_submissions::submitted_at.eq(DbTime(at)),
                    kyc_submissions::decided_at.eq(decided_at),
                    kyc_submissions::reason.eq(reason),
                ))
                .execute(c)
                .await?;
            diesel::update(players::table.find(player)).set(players::kyc_status.eq(state.as_str())).execute(c).await?;
            let row = kyc_submissions::table.find(DbId(id)).select(kyc_columns!()).first::<KycRow>(c).await?;
            Ok(Ok(to_kyc(row)))
        })
        .await
    }

    /// A staff decision on the player's pending submission, audited, as load → decide
    /// → write: the player's state, their pending submission and the register (staff
    /// decide with it consulted too) loaded, [`compliance_core::on_staff_decision`]
    /// decides, and the submission, the status, any exclusion and the audit entry are
    /// written.
    pub(crate) async fn decide_kyc(
        c: &mut Conn,
        player: DbId,
        decision: compliance_core::Decision,
        reason: Option<String>,
        actor: DbId,
        at: DbTime,
    ) -> Result<Option<Result<KycRecord, compliance_core::KycError>>, DbError> {
        c.transaction(async |c| {
            // Serialise decisions on one player (two officers at once).
            if wallet::lock_head(c, player).await?.is_none() {
                return Ok(None);
            }
            let Some(ctx) = player_context(c, player).await? else { return Ok(None) };
            let pending: Option<DbId> = kyc_submissions::table
                .filter(kyc_submissions::player_id.eq(player))
                .filter(kyc_submissions::status.eq("pending"))
                .order(kyc_submissions::submitted_at.desc())
                .select(kyc_submissions::id)
                .first(c)
                .await
                .optional()?;
            let listed = on_register(c, &ctx.email, ctx.date_of_birth, ctx.known_name.as_deref()).await?;
            let outcome = match compliance_core::on_staff_decision(
                ctx.kyc,
                pending.is_some(),
                decision,
                reason.as_deref(),
                listed,
            ) {
                Ok(outcome) => outcome,
                Err(e) => return Ok(Some(Err(e))),
            };
            let (Some(id), next) = (pending, outcome.state) else {
                return Ok(Some(Err(compliance_core::KycError::NotPending)));
            };
            if outcome.exclude_listed {
                exclude_listed(c, player, ctx.status).await?;
            }
            diesel::update(kyc_submissions::table.find(id))
                .set((
                    kyc_submissions::status.eq(next.as_str()),
                    kyc_submissions::decided_at.eq(Some(at)),
                    kyc_submissions::decided_by.eq(Some(actor)),
                    kyc_submissions::reason.eq(reason.clone()),
                ))
                .execute(c)
                .await?;
            diesel::update(players::table.find(player)).set(players::kyc_status.eq(next.as_str())).execute(c).await?;
            record_audit(
                c,
                actor,
                "kyc.decided",
                &format!("player:{}", player.0),
                Some(json!({"kyc_status": ctx.kyc.as_str()})),
                Some(json!({"kyc_status": next.as_str(), "reason": reason})),
                at,
            )
            .await?;
            let row = kyc_submissions::table.find(id).select(kyc_columns!()).first::<KycRow>(c).await?;
            Ok(Some(Ok(to_kyc(row))))
        })
        .await
    }

    /// A KYC submission the register lists or may list: left to staff, with an audit
    /// entry saying why (the player is not told about someone else's entry); a listing
    /// also self-excludes the account at once.
    async fn hold_for_register_review(
        c: &mut Conn,
        player: DbId,
        ctx: &PlayerContext,
        listing: RegisterMatch,
        at: DbTime,
    ) -> QueryResult<()> {
        if listing == RegisterMatch::Listed {
            exclude_listed(c, player, ctx.status).await?;
        }
        let strength = if listing == RegisterMatch::Listed { "listed" } else { "possible" };
        record_audit(
            c,
            player,
            "kyc.held_for_register_review",
            &format!("player:{}", player.0),
            None,
            Some(json!({"register_match": strength})),
            at,
        )
        .await
    }
}

impl Db {
    pub async fn kyc_history(&self, player: AccountId) -> Result<Vec<KycRecord>, DbError> {
        dispatch!(read self, self::kyc_history(id(player)))
    }

    /// Submissions (of `status`), oldest first unless `newest_first`.
    pub async fn kyc_queue(
        &self,
        status: Option<String>,
        newest_first: bool,
        limit: i64,
        offset: i64,
    ) -> Result<Vec<KycRecord>, DbError> {
        dispatch!(stale self, self::kyc_queue(status, newest_first, limit, offset))
    }

    pub async fn submit_kyc(
        &self,
        player: AccountId,
        submission: compliance_core::KycSubmission,
        provider: compliance_core::SimulatedProvider,
        at: DateTime<Utc>,
    ) -> Result<Result<KycRecord, compliance_core::KycError>, DbError> {
        dispatch!(write self, self::submit_kyc(id(player), submission, provider, at))
    }

    pub async fn decide_kyc(
        &self,
        player: AccountId,
        decision: compliance_core::Decision,
        reason: Option<String>,
        actor: AccountId,
        at: DateTime<Utc>,
    ) -> Result<Option<Result<KycRecord, compliance_core::KycError>>, DbError> {
        dispatch!(write self, self::decide_kyc(id(player), decision, reason, id(actor), DbTime(at)))
    }
}
