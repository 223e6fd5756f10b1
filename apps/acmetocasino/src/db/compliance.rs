//! Compliance and responsible gaming in the store: KYC submissions, RG settings and
//! exclusions, AML and harm alerts, the national register, the audit log, reports —
//! and the money flow that binds them to the wallet in one transaction.

use super::schema::{
    accounts, aml_alerts, audit_log, exclusion_register, exclusions, game_sessions, harm_alerts, kyc_submissions,
    players, rg_settings, rounds, wallet_events, wallets,
};
use super::statement::prepared;
use super::types::sql::{DbTimestamp, DbUuid};
use super::types::{DbId, DbTime};
use super::wallet::PostFailure;
use super::{Db, DbError, backend_queries, count_of, dispatch};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use compliance_core::{
    Activity, AlertCandidate, AlertFilter, AlertOrder, AlertStatus, AmlRule, AmlThresholds, AuditEntry, AuditFilter,
    EventKind, HarmMarker, Intervention, KycRecord, KycState, Person, RegisterMatch, ReportRow, RiskLevel,
    ScreenedEvent,
};
pub(crate) use compliance_core::{AmlAlert, HarmAlert, MoneyResult, Policy};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Date, Nullable, Text};
use diesel_async::{AsyncConnection, RunQueryDsl};
pub use kernel::Refused;
use kernel::{AccountId, Amount, Refusal};
use pam_core::AccountStatus;
use rg_core::{DepositUsage, LimitPeriod, RgRecord, RgRepository, RgSettings, StoreError};
use serde_json::{Value, json};
use uuid::Uuid;
use wallet_core::{DepositTotals, EventType, PostError, Posting, WalletHead};

/// An open session with no activity for longer than this stops counting as play time.
pub const SESSION_IDLE_GAP: Duration = Duration::minutes(30);

/// What the rules need to know about a player, read inside the transaction.
#[derive(Debug, Clone)]
pub struct PlayerContext {
    pub status: AccountStatus,
    pub country: String,
    pub kyc: KycState,
    pub email: String,
    pub date_of_birth: NaiveDate,
    /// The full name of the player's latest KYC submission, if any.
    pub known_name: Option<String>,
    /// The saved RG settings as stored (see [`PlayerContext::rg`]).
    rg_json: Option<String>,
    /// When the player's latest harm alert asking for a forced reality check was raised.
    pub forced_check_alert_at: Option<DateTime<Utc>>,
    /// Whether the national register lists the player, when read with the context
    /// (a round does, in its first pipeline); `None`: the rules look it up.
    pub listed: Option<bool>,
}

/// A stored KYC status; a value no [`KycState`] names is a corrupt row, not "none".
pub(crate) fn kyc_state(s: &str) -> Result<KycState, DbError> {
    KycState::parse(s).ok_or_else(|| DbError::Row(format!("kyc_status {s:?}")))
}

/// What the rules of a deposit or withdrawal read, loaded behind the wallet's lock.
// One per posting, built and read in place: boxing would only add an allocation.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone)]
pub enum MoneyState {
    Deposit {
        player: PlayerContext,
        /// Whether the national register lists the player.
        listed: bool,
        /// As saved, due changes not yet applied.
        rg: RgSettings,
        /// The wallet's deposits ever, before this one.
        deposited_before: DepositTotals,
        /// What was deposited in each deposit-limit window ending now.
        usage: DepositUsage,
    },
    Withdrawal {
        player: PlayerContext,
        /// The risk levels of the player's open AML alerts.
        open_risks: Vec<RiskLevel>,
    },
    /// An operator's BET or bonus (the play rules judged it as it was loaded), or a
    /// posting no rule reads.
    Unruled,
}

/// What the rules decided a posting writes besides itself.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MoneyDecision {
    /// The player's RG settings with due changes applied, when there were any.
    pub settled_rg: Option<RgSettings>,
}

/// The rule book of deposits and withdrawals: a pure function of the posting, the state
/// loaded for it, the policy and the time.
pub type MoneyRules = fn(&Posting, &MoneyState, &Policy, DateTime<Utc>) -> Result<MoneyDecision, Refused>;

/// Why a money movement or a round was not made.
#[derive(Debug)]
pub enum MoneyFailure {
    Post(PostError),
    Refused(Refused),
    Db(DbError),
}

impl From<diesel::result::Error> for MoneyFailure {
    fn from(e: diesel::result::Error) -> Self {
        MoneyFailure::Db(e.into())
    }
}

impl From<DbError> for MoneyFailure {
    fn from(e: DbError) -> Self {
        MoneyFailure::Db(e)
    }
}

impl From<PostFailure> for MoneyFailure {
    fn from(e: PostFailure) -> Self {
        match e {
            PostFailure::Post(p) => MoneyFailure::Post(p),
            PostFailure::Db(d) => MoneyFailure::Db(d),
        }
    }
}

impl From<Refused> for MoneyFailure {
    fn from(r: Refused) -> Self {
        MoneyFailure::Refused(r)
    }
}

type AlertRow = (DbId, DbId, String, i32, String, String, String, DbTime, Option<DbId>, Option<DbTime>, Option<String>);

/// A stored JSON column; text that does not parse is a corrupt row, not `null`.
fn stored_json(column: &str, raw: &str) -> Result<Value, DbError> {
    serde_json::from_str(raw).map_err(|e| DbError::Row(format!("{column}: {e}")))
}

fn to_alert(r: AlertRow) -> Result<AmlAlert, DbError> {
    Ok(AmlAlert {
        id: r.0.0,
        player_id: AccountId::from_uuid(r.1.0),
        rule: r.2,
        risk_score: r.3,
        risk_level: r.4,
        status: r.5,
        details: stored_json("aml_alerts.details", &r.6)?,
        created_at: r.7.0,
        reviewed_by: r.8.map(|a| AccountId::from_uuid(a.0)),
        reviewed_at: r.9.map(|t| t.0),
        note: r.10,
    })
}

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

fn to_kyc(r: KycRow) -> KycRecord {
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

type AuditRow = (DbId, DbId, String, String, Option<String>, Option<String>, DbTime);

macro_rules! alert_columns {
    () => {
        (
            aml_alerts::id,
            aml_alerts::player_id,
            aml_alerts::rule,
            aml_alerts::risk_score,
            aml_alerts::risk_level,
            aml_alerts::status,
            aml_alerts::details,
            aml_alerts::created_at,
            aml_alerts::reviewed_by,
            aml_alerts::reviewed_at,
            aml_alerts::note,
        )
    };
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

#[backend_queries(siblings(wallet, postings))]
mod queries {

    /// Everything the play and money rules read about a player, in one query.
    pub(crate) async fn player_context(c: &mut Conn, player: DbId) -> Result<Option<PlayerContext>, DbError> {
        let rows = ContextQuery::of(player).load::<ContextRow>(c).await?;
        rows.into_iter().next().map(PlayerContext::try_from).transpose()
    }

    pub(crate) async fn load_rg(c: &mut Conn, player: DbId) -> Result<RgSettings, DbError> {
        let raw: Option<String> =
            rg_settings::table.find(player).select(rg_settings::settings).first(c).await.optional()?;
        parse_rg(raw.as_deref())
    }

    /// Every player's stored settings whose JSON contains `contains` (a cheap prefilter;
    /// the caller decides on the parsed settings), most recently changed first.
    pub(crate) async fn rg_records(c: &mut Conn, contains: Option<&'static str>) -> Result<Vec<RgRecord>, DbError> {
        let mut q = rg_settings::table
            .inner_join(accounts::table.on(accounts::id.eq(rg_settings::player_id)))
            .inner_join(players::table.on(players::account_id.eq(rg_settings::player_id)))
            .into_boxed();
        if let Some(text) = contains {
            q = q.filter(rg_settings::settings.like(format!("%{text}%")));
        }
        let rows: Vec<(DbId, String, String, String, String, DbTime)> = q
            .order((rg_settings::updated_at.desc(), rg_settings::player_id.desc()))
            .select((
                rg_settings::player_id,
                accounts::username,
                players::country,
                players::currency,
                rg_settings::settings,
                rg_settings::updated_at,
            ))
            .load(c)
            .await?;
        rows.into_iter()
            .map(|(player, username, country, currency, raw, at)| {
                Ok(RgRecord {
                    player: AccountId::from_uuid(player.0),
                    username,
                    country,
                    currency,
                    settings: parse_rg(Some(&raw))?,
                    updated_at: at.0,
                })
            })
            .collect()
    }

    pub(crate) async fn save_rg(c: &mut Conn, player: DbId, settings: &RgSettings, at: DbTime) -> Result<(), DbError> {
        let json = serde_json::to_string(settings).map_err(|e| DbError::Row(e.to_string()))?;
        diesel::insert_into(rg_settings::table)
            .values((
                rg_settings::player_id.eq(player),
                rg_settings::settings.eq(&json),
                rg_settings::updated_at.eq(at),
            ))
            .on_conflict(rg_settings::player_id)
            .do_update()
            .set((rg_settings::settings.eq(&json), rg_settings::updated_at.eq(at)))
            .execute(c)
            .await?;
        Ok(())
    }

    /// The deposits the wallet ever had, as its projection keeps them (for reads outside
    /// a posting; a posting has them in its locked head).
    pub(crate) async fn deposit_totals(c: &mut Conn, player: DbId) -> QueryResult<DepositTotals> {
        let totals: Option<(i64, i64)> = wallets::table
            .find(player)
            .select((wallets::lifetime_deposits, wallets::lifetime_deposited))
            .first(c)
            .await
            .optional()?;
        Ok(totals.map_or(DepositTotals::default(), |(count, sum)| DepositTotals { count, sum }))
    }

    /// The deposits made after `since`, given the wallet's totals `now`: those less the
    /// running totals of the last deposit at or before `since`. Two index lookups,
    /// however many deposits the wallet holds (deposits made in the same instant are
    /// told apart by `seq`).
    pub(crate) async fn deposits_since(
        c: &mut Conn,
        player: DbId,
        now: DepositTotals,
        since: DbTime,
    ) -> Result<DepositTotals, DbError> {
        let earlier = diesel::alias!(wallet_events as earlier);
        let last_at = earlier
            .filter(earlier.field(wallet_events::player_id).eq(player))
            .filter(earlier.field(wallet_events::event_type).eq(EventType::Deposit.as_str()))
            .filter(earlier.field(wallet_events::created_at).le(since))
            .order(earlier.field(wallet_events::created_at).desc())
            .select(earlier.field(wallet_events::created_at))
            .limit(1)
            .single_value();
        // Both totals only grow, so the largest at that instant are the last deposit's.
        // (An `ORDER BY seq` here made SQLite walk the player's whole stream by seq.)
        let (count, sum): (Option<i64>, Option<i64>) = wallet_events::table
            .filter(wallet_events::player_id.eq(player))
            .filter(wallet_events::event_type.eq(EventType::Deposit.as_str()))
            .filter(wallet_events::created_at.nullable().eq(last_at))
            .select((diesel::dsl::max(wallet_events::deposits_after), diesel::dsl::max(wallet_events::deposited_after)))
            .first(c)
            .await?;
        let before = DepositTotals { count: count.unwrap_or(0), sum: sum.unwrap_or(0) };
        now.since(before).ok_or_else(|| DbError::Row(format!("deposit totals {now:?} are below an earlier {before:?}")))
    }

    /// What the player deposited in each deposit-limit window ending `at`.
    pub(crate) async fn deposit_usage(
        c: &mut Conn,
        player: DbId,
        now: DepositTotals,
        at: DateTime<Utc>,
    ) -> Result<DepositUsage, DbError> {
        let mut usage = DepositUsage::default();
        for &period in LimitPeriod::ALL {
            let used = deposits_since(c, player, now, DbTime(period.window_start(at))).await?;
            usage = usage.with(period, used.sum);
        }
        Ok(usage)
    }

    /// [`deposit_usage`] outside a posting, from the wallet's projection.
    pub(crate) async fn current_deposit_usage(
        c: &mut Conn,
        player: DbId,
        at: DateTime<Utc>,
    ) -> Result<DepositUsage, DbError> {
        let now = deposit_totals(c, player).await?;
        deposit_usage(c, player, now, at).await
    }

    /// How many deposits after `since` had an amount in `[from, to)`. The partial index
    /// on deposit amounts reaches only those (its predicate must appear literally).
    pub(crate) async fn deposits_in_band_since(
        c: &mut Conn,
        player: DbId,
        from: i64,
        to: i64,
        since: DbTime,
    ) -> Result<u32, DbError> {
        let n: i64 = wallet_events::table
            .filter(wallet_events::player_id.eq(player))
            .filter(diesel::dsl::sql::<diesel::sql_types::Bool>("event_type = 'DEPOSIT'"))
            .filter(wallet_events::amount.ge(from))
            .filter(wallet_events::amount.lt(to))
            .filter(wallet_events::created_at.gt(since))
            .count()
            .get_result(c)
            .await?;
        count_of(n)
    }

    /// Play since `since`: (wagered, net) where wagered is stakes less refunded stakes,
    /// and net is won − wagered with reversed wins taken back (rollbacks net out).
    /// The wallet's running totals less those of its last play event at or before
    /// `since`: a few index lookups, however long the history.
    pub(crate) async fn play_since(c: &mut Conn, player: DbId, since: DbTime) -> QueryResult<(i64, i64)> {
        let now: Option<(i64, i64)> = wallets::table
            .find(player)
            .select((wallets::lifetime_wagered, wallets::lifetime_net))
            .first(c)
            .await
            .optional()?;
        let Some((wagered, net)) = now else { return Ok((0, 0)) };
        // Only these types move the totals, and each has its own index range.
        let mut before: Option<(i64, i64, i64)> = None;
        for kind in [EventType::Bet, EventType::Win, EventType::Rollback] {
            let last: Option<(i64, i64, i64)> = wallet_events::table
                .filter(wallet_events::player_id.eq(player))
                .filter(wallet_events::event_type.eq(kind.as_str()))
                .filter(wallet_events::created_at.le(since))
                .order(wallet_events::created_at.desc())
                .select((wallet_events::seq, wallet_events::wagered_after, wallet_events::net_after))
                .first(c)
                .await
                .optional()?;
            if last.is_some_and(|l| before.is_none_or(|b| l.0 > b.0)) {
                before = last;
            }
        }
        let (wagered_before, net_before) = before.map_or((0, 0), |(_, w, n)| (w, n));
        Ok((wagered - wagered_before, net - net_before))
    }

    /// The sum of the credits staff made by hand since `since` (see
    /// [`Posting::is_manual_credit`]).
    pub(crate) async fn manual_credits_since(c: &mut Conn, player: DbId, since: DbTime) -> Result<i64, DbError> {
        // Through the partial index of staff postings only (a filter on the type here
        // would send the planners to the index of all of the player's credits).
        let postings: Vec<(String, i64)> = wallet_events::table
            .filter(wallet_events::player_id.eq(player))
            .filter(wallet_events::created_at.gt(since))
            .filter(wallet_events::posted_by.is_not_null())
            .select((wallet_events::event_type, wallet_events::amount))
            .load(c)
            .await?;
        let credit = [EventType::Deposit.as_str(), EventType::Win.as_str(), EventType::BonusCredit.as_str()];
        crate::db::money_total(postings.into_iter().filter(|(t, _)| credit.contains(&t.as_str())).map(|(_, a)| a))
    }

    /// Whether the national self-exclusion register lists this person.
    pub(crate) async fn on_register(
        c: &mut Conn,
        email: &str,
        date_of_birth: NaiveDate,
        full_name: Option<&str>,
    ) -> QueryResult<bool> {
        Ok(match_on_register(c, email, date_of_birth, full_name).await? == RegisterMatch::Listed)
    }

    /// How strongly the national self-exclusion register matches this person.
    pub(crate) async fn match_on_register(
        c: &mut Conn,
        email: &str,
        date_of_birth: NaiveDate,
        full_name: Option<&str>,
    ) -> QueryResult<RegisterMatch> {
        let entries: Vec<RegisterEntry> = exclusion_register::table
            .filter(exclusion_register::email.eq(email).or(exclusion_register::date_of_birth.eq(date_of_birth)))
            .select((exclusion_register::email, exclusion_register::date_of_birth, exclusion_register::full_name))
            .load(c)
            .await?;
        Ok(register_match(&entries, email, date_of_birth, full_name))
    }

    /// Marks an active account self-excluded (a national register listing).
    pub(crate) async fn exclude_listed(c: &mut Conn, player: DbId, status: AccountStatus) -> QueryResult<()> {
        if status == AccountStatus::Active {
            diesel::update(accounts::table.find(player))
                .set(accounts::status.eq(AccountStatus::SelfExcluded.as_str()))
                .execute(c)
                .await?;
        }
        Ok(())
    }

    pub(crate) async fn open_alerts(c: &mut Conn, player: DbId) -> QueryResult<Vec<OpenAlertRow>> {
        OpenAlerts { player }.load(c).await
    }

    /// Inserts the candidates that are not duplicates of an open alert in their window.
    pub(crate) async fn raise_aml(
        c: &mut Conn,
        player: DbId,
        candidates: Vec<AlertCandidate>,
        at: DateTime<Utc>,
    ) -> Result<Vec<AmlAlert>, DbError> {
        if candidates.is_empty() {
            return Ok(Vec::new());
        }
        let open = open_alerts(c, player).await?;
        raise_aml_against(c, player, candidates, &open, at).await
    }

    /// [`raise_aml`] with the player's open alerts already read (in this transaction).
    pub(crate) async fn raise_aml_against(
        c: &mut Conn,
        player: DbId,
        candidates: Vec<AlertCandidate>,
        open: &[OpenAlertRow],
        at: DateTime<Utc>,
    ) -> Result<Vec<AmlAlert>, DbError> {
        let open: Vec<(AmlRule, DateTime<Utc>)> =
            open.iter().filter_map(|(rule, t, _)| AmlRule::parse(rule).map(|r| (r, t.0))).collect();
        let mut raised = Vec::new();
        for cand in candidates {
            if !compliance_core::should_raise(cand.rule, &open, at) {
                continue;
            }
            let alert = AmlAlert {
                id: Uuid::new_v4(),
                player_id: AccountId::from_uuid(player.0),
                rule: cand.rule.as_str().to_owned(),
                risk_score: i32::from(cand.risk_score),
                risk_level: cand.risk_level.as_str().to_owned(),
                status: "open".into(),
                details: cand.details,
                created_at: at,
                reviewed_by: None,
                reviewed_at: None,
                note: None,
            };
            diesel::insert_into(aml_alerts::table)
                .values((
                    aml_alerts::id.eq(DbId(alert.id)),
                    aml_alerts::player_id.eq(player),
                    aml_alerts::rule.eq(&alert.rule),
                    aml_alerts::risk_score.eq(alert.risk_score),
                    aml_alerts::risk_level.eq(&alert.risk_level),
                    aml_alerts::status.eq("open"),
                    aml_alerts::details.eq(alert.details.to_string()),
                    aml_alerts::created_at.eq(DbTime(at)),
                ))
                .execute(c)
                .await?;
            raised.push(alert);
        }
        Ok(raised)
    }

    pub(crate) async fn raise_harm(
        c: &mut Conn,
        player: DbId,
        markers: Vec<(HarmMarker, Value)>,
        at: DateTime<Utc>,
    ) -> Result<Vec<HarmAlert>, DbError> {
        let mut raised = Vec::new();
        for (marker, details) in markers {
            let earlier: Vec<DbTime> = harm_alerts::table
                .filter(harm_alerts::player_id.eq(player))
                .filter(harm_alerts::created_at.gt(DbTime(at - compliance_core::harm::INTERVENTION_LOOKBACK)))
                .select(harm_alerts::created_at)
                .load(c)
                .await?;
            // One alert per marker and player per day is enough to act on.
            let same_today: i64 = harm_alerts::table
                .filter(harm_alerts::player_id.eq(player))
                .filter(harm_alerts::marker.eq(marker.as_str()))
                .filter(harm_alerts::created_at.gt(DbTime(at - Duration::days(1))))
                .count()
                .get_result(c)
                .await?;
            if same_today > 0 {
                continue;
            }
            let mut times: Vec<DateTime<Utc>> = earlier.into_iter().map(|t| t.0).collect();
            times.push(at);
            let intervention = Intervention::for_markers(&times, at).unwrap_or(Intervention::Message);
            let alert = HarmAlert {
                id: Uuid::new_v4(),
                player_id: AccountId::from_uuid(player.0),
                marker: marker.as_str().to_owned(),
                intervention: intervention.as_str().to_owned(),
                details,
                created_at: at,
            };
            diesel::insert_into(harm_alerts::table)
                .values((
                    harm_alerts::id.eq(DbId(alert.id)),
                    harm_alerts::player_id.eq(player),
                    harm_alerts::marker.eq(&alert.marker),
                    harm_alerts::intervention.eq(&alert.intervention),
                    harm_alerts::details.eq(alert.details.to_string()),
                    harm_alerts::created_at.eq(DbTime(at)),
                ))
                .execute(c)
                .await?;
            raised.push(alert);
        }
        Ok(raised)
    }

    /// A deposit or withdrawal (or an operator's other posting) through every rule, in
    /// one transaction with the posting and the alerts it raises: the state the rules read
    /// is loaded behind the wallet's lock, `rules` decide on it, and the decision, the
    /// posting and its screening are written.
    pub(crate) async fn move_money(
        c: &mut Conn,
        player: DbId,
        posting: Posting,
        event_id: Uuid,
        at: DateTime<Utc>,
        policy: &Policy,
        rules: MoneyRules,
    ) -> Result<MoneyResult, MoneyFailure> {
        c.transaction(async |c| {
            let mut head = wallet::lock_head(c, player).await?.ok_or(MoneyFailure::Post(PostError::WalletNotFound))?;
            if posting.attribution.is_some() {
                // The key of a staff posting that went to the approval queue stays its own.
                postings::refuse_key_of_a_queued_posting(c, player, &posting).await?;
            }
            apply_money(c, player, &mut head, &posting, event_id, at, policy, rules).await
        })
        .await
    }

    /// [`move_money`] after the wallet's lock (`head`): load, decide with `rules`, then
    /// write the posting, its screening and, for a staff posting, its audit entry.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn apply_money(
        c: &mut Conn,
        player: DbId,
        head: &mut WalletHead,
        posting: &Posting,
        event_id: Uuid,
        at: DateTime<Utc>,
        policy: &Policy,
        rules: MoneyRules,
    ) -> Result<MoneyResult, MoneyFailure> {
        {
            // A retried request gets its original answer, whatever the rules say now.
            let seen: i64 = wallet_events::table
                .filter(wallet_events::player_id.eq(player))
                .filter(wallet_events::idempotency_key.eq(posting.idempotency_key.as_str()))
                .count()
                .get_result(c)
                .await?;
            let kind = posting.event_type;
            if seen == 0 {
                let state = load_money(c, player, posting, head.deposits(), at).await?;
                let decision = rules(posting, &state, policy, at)?;
                if let Some(rg) = &decision.settled_rg {
                    save_rg(c, player, rg, DbTime(at)).await?;
                }
            }
            let outcome = wallet::post_in_tx(c, head, posting, event_id, at, false).await?;
            if outcome.replayed {
                return Ok(MoneyResult { outcome, aml_alerts: Vec::new(), harm_alerts: Vec::new() });
            }
            if let Some(by) = &posting.attribution {
                let e = &outcome.event;
                record_audit(
                    c,
                    DbId(by.posted_by.as_uuid()),
                    "wallet.manual_posting",
                    &format!("player:{}", player.0),
                    None,
                    Some(json!({"event_id": e.id, "seq": e.seq, "type": e.event_type.as_str(), "amount": e.amount,
                                "currency": e.currency.as_str(), "reason": by.reason.as_str(),
                                "approved_by": by.approved_by.map(|a| a.as_uuid())})),
                    DbTime(at),
                )
                .await?;
            }
            let amount = posting.amount;
            let (mut aml_alerts, harm_alerts) = match kind {
                EventType::Deposit => screen_deposit(c, player, amount, head.deposits(), at, policy).await?,
                EventType::Withdrawal => screen_withdrawal(c, player, amount, head.deposits(), at, policy).await?,
                EventType::Bet => {
                    let act = activity(c, player, EventKind::Bet, head.deposits(), at, &policy.aml).await?;
                    let open = open_alerts(c, player).await?;
                    screen_bet(c, player, amount, act, &open, at, at, policy).await?
                }
                _ => (Vec::new(), Vec::new()),
            };
            if posting.is_manual_credit() {
                let candidates = compliance_core::screen(
                    &ScreenedEvent { kind: EventKind::ManualCredit, amount },
                    &Activity::default(),
                    &policy.aml,
                );
                aml_alerts.extend(raise_aml(c, player, candidates, at).await?);
            }
            Ok(MoneyResult { outcome, aml_alerts, harm_alerts })
        }
    }

    /// What the rules of `posting` read about the player, behind the wallet's lock.
    /// `deposited_before`: the wallet's deposits ever, before this posting.
    pub(crate) async fn load_money(
        c: &mut Conn,
        player: DbId,
        posting: &Posting,
        deposited_before: DepositTotals,
        at: DateTime<Utc>,
    ) -> Result<MoneyState, MoneyFailure> {
        let ctx = player_context(c, player).await?.ok_or(MoneyFailure::Post(PostError::WalletNotFound))?;
        Ok(match posting.event_type {
            EventType::Deposit => {
                let listed = match ctx.listed {
                    Some(listed) => listed,
                    None => on_register(c, &ctx.email, ctx.date_of_birth, ctx.known_name.as_deref()).await?,
                };
                let rg = ctx.rg()?;
                let usage = deposit_usage(c, player, deposited_before, at).await?;
                MoneyState::Deposit { player: ctx, listed, rg, deposited_before, usage }
            }
            EventType::Withdrawal => {
                let open = open_alerts(c, player).await?;
                let open_risks = open.iter().filter_map(|(_, _, l)| RiskLevel::parse(l)).collect();
                MoneyState::Withdrawal { player: ctx, open_risks }
            }
            // An operator's BET is play: the same rules as a round's.
            EventType::Bet => {
                check_play_of(c, player, ctx, at, true).await?;
                MoneyState::Unruled
            }
            // No bonus for a player who may not play.
            EventType::BonusCredit => {
                check_play_of(c, player, ctx, at, false).await?;
                MoneyState::Unruled
            }
            _ => MoneyState::Unruled,
        })
    }

    /// The player's recent activity, as far as the rules for `kind` read it
    /// ([`EventKind::activity_needs`]); the rest is left at its defaults. `deposits`: the
    /// wallet's deposit totals now (its head's).
    pub(crate) async fn activity(
        c: &mut Conn,
        player: DbId,
        kind: EventKind,
        deposits: DepositTotals,
        at: DateTime<Utc>,
        t: &AmlThresholds,
    ) -> Result<Activity, DbError> {
        let needs = kind.activity_needs();
        let mut act = Activity::default();
        if needs.deposits {
            let last_hour = deposits_since(c, player, deposits, DbTime(at - Duration::hours(1))).await?;
            let last_24h = deposits_since(c, player, deposits, DbTime(at - Duration::days(1))).await?;
            act.deposits_last_hour = count_of(last_hour.count)?;
            act.deposits_last_24h = count_of(last_24h.count)?;
            act.deposited_last_24h = last_24h.sum;
            act.near_threshold_last_24h = deposits_in_band_since(
                c,
                player,
                t.structuring_floor(),
                t.large_deposit,
                DbTime(at - Duration::days(1)),
            )
            .await?;
            act.deposits_last_7d = deposits_since(c, player, deposits, DbTime(at - Duration::days(7))).await?.sum;
        }
        if needs.bets_last_minute {
            let (bets,) = BetsLastMinute::at(player, at).get_result::<(i64,)>(c).await?;
            act.bets_last_minute = count_of(bets)?;
        }
        if needs.wagered_last_7d {
            act.wagered_last_7d = play_since(c, player, DbTime(at - Duration::days(7))).await?.0;
        }
        if needs.manual_credits {
            let since = DbTime(at - Duration::hours(i64::from(t.manual_credit_withdrawal_hours)));
            act.manual_credits_recent = manual_credits_since(c, player, since).await?;
        }
        Ok(act)
    }

    /// Screens a deposit just posted; `deposits`: the wallet's deposit totals after it.
    pub(crate) async fn screen_deposit(
        c: &mut Conn,
        player: DbId,
        amount: Amount,
        deposits: DepositTotals,
        at: DateTime<Utc>,
        policy: &Policy,
    ) -> Result<(Vec<AmlAlert>, Vec<HarmAlert>), DbError> {
        let act = activity(c, player, EventKind::Deposit, deposits, at, &policy.aml).await?;
        let candidates =
            compliance_core::screen(&ScreenedEvent { kind: EventKind::Deposit, amount }, &act, &policy.aml);
        let aml = raise_aml(c, player, candidates, at).await?;
        // Markers of harm: rising deposit frequency, and deposits that chase losses.
        let last_7d = deposits_since(c, player, deposits, DbTime(at - Duration::days(7))).await?.count;
        let last_14d = deposits_since(c, player, deposits, DbTime(at - Duration::days(14))).await?.count;
        let (last_7d, prev_7d) = (count_of(last_7d)?, count_of(last_14d - last_7d)?);
        let mut markers = Vec::new();
        if compliance_core::harm::rising_deposit_frequency(last_7d, prev_7d) {
            markers.push((
                HarmMarker::RisingDepositFrequency,
                json!({"deposits_last_7d": last_7d, "deposits_previous_7d": prev_7d}),
            ));
        }
        let (_, net) = play_since(c, player, DbTime(at - Duration::days(1))).await?;
        // The last stake (a round's, or an operator's BET, which is play too): one index
        // lookup, where the player's rounds have no index by time.
        let last_bet: Option<DbTime> = wallet_events::table
            .filter(wallet_events::player_id.eq(player))
            .filter(wallet_events::event_type.eq(EventType::Bet.as_str()))
            .order(wallet_events::created_at.desc())
            .select(wallet_events::created_at)
            .first(c)
            .await
            .optional()?;
        if compliance_core::harm::chasing_losses(at, net, last_bet.map(|t| t.0)) {
            markers.push((HarmMarker::ChasingLosses, json!({"net_position_24h": net})));
        }
        let harm = raise_harm(c, player, markers, at).await?;
        Ok((aml, harm))
    }

    /// Screens a round's bet and looks for markers of harm in its session.
    /// `act`: the player's activity as [`activity`] reads it for a bet, and `open` their
    /// open AML alerts (a round reads both in the pipeline that locks its wallet).
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn screen_bet(
        c: &mut Conn,
        player: DbId,
        amount: Amount,
        act: Activity,
        open: &[OpenAlertRow],
        session_started_at: DateTime<Utc>,
        at: DateTime<Utc>,
        policy: &Policy,
    ) -> Result<(Vec<AmlAlert>, Vec<HarmAlert>), DbError> {
        let candidates = compliance_core::screen(&ScreenedEvent { kind: EventKind::Bet, amount }, &act, &policy.aml);
        let aml = raise_aml_against(c, player, candidates, open, at).await?;
        let mut markers = Vec::new();
        let length = at - session_started_at;
        if compliance_core::harm::long_session(length) {
            markers.push((HarmMarker::LongSession, json!({"session_minutes": length.num_minutes()})));
        }
        if compliance_core::harm::late_night_session(at, 0) {
            markers.push((HarmMarker::LateNightSession, json!({"at": at})));
        }
        Ok((aml, raise_harm(c, player, markers, at).await?))
    }

    /// Screens a withdrawal just posted; `deposits`: the wallet's deposit totals.
    pub(crate) async fn screen_withdrawal(
        c: &mut Conn,
        player: DbId,
        amount: Amount,
        deposits: DepositTotals,
        at: DateTime<Utc>,
        policy: &Policy,
    ) -> Result<(Vec<AmlAlert>, Vec<HarmAlert>), DbError> {
        let act = activity(c, player, EventKind::Withdrawal, deposits, at, &policy.aml).await?;
        let candidates =
            compliance_core::screen(&ScreenedEvent { kind: EventKind::Withdrawal, amount }, &act, &policy.aml);
        Ok((raise_aml(c, player, candidates, at).await?, Vec::new()))
    }

    /// The rules a round must pass before its bet is taken (inside the round's transaction).
    /// Refuses a player on the national register or under an exclusion; returns their
    /// RG settings with due changes applied (and saved).
    pub(crate) async fn check_not_barred(
        c: &mut Conn,
        player: DbId,
        ctx: &PlayerContext,
        at: DateTime<Utc>,
    ) -> Result<RgSettings, MoneyFailure> {
        let listed = match ctx.listed {
            Some(listed) => listed,
            None => on_register(c, &ctx.email, ctx.date_of_birth, ctx.known_name.as_deref()).await?,
        };
        compliance_core::check_not_listed(listed)?;
        let mut rg = ctx.rg()?;
        if rg.settle(at) {
            save_rg(c, player, &rg, DbTime(at)).await?;
        }
        rg_core::check_not_excluded(rg.exclusion.as_ref(), at).map_err(Refused::from)?;
        Ok(rg)
    }

    /// `betting`: also the session-time limit (a launch only needs the others). Returns
    /// what it read of the player and their RG settings with due changes applied.
    pub(crate) async fn check_play(
        c: &mut Conn,
        player: DbId,
        at: DateTime<Utc>,
        betting: bool,
    ) -> Result<(PlayerContext, RgSettings), MoneyFailure> {
        let ctx = player_context(c, player).await?.ok_or(MoneyFailure::Post(PostError::WalletNotFound))?;
        check_play_of(c, player, ctx, at, betting).await
    }

    /// [`check_play`] with the player's context already read (in this transaction).
    pub(crate) async fn check_play_of(
        c: &mut Conn,
        player: DbId,
        ctx: PlayerContext,
        at: DateTime<Utc>,
        betting: bool,
    ) -> Result<(PlayerContext, RgSettings), MoneyFailure> {
        match ctx.status {
            AccountStatus::Active => {}
            AccountStatus::SelfExcluded => {
                return Err(Refused::new(Refusal::SelfExcluded, "the player is self-excluded").into());
            }
            other => return Err(Refused::new(Refusal::AccountBlocked, format!("the account is {other}")).into()),
        }
        if !ctx.kyc.is_approved() {
            return Err(Refused::new(Refusal::KycRequired, "playing needs approved KYC").into());
        }
        let rg = check_not_barred(c, player, &ctx, at).await?;
        if betting {
            let minutes = if rg.limits_play_time(at) { minutes_played_today(c, player, at).await? } else { 0 };
            rg.check_bet(minutes, at).map_err(Refused::from)?;
        }
        Ok((ctx, rg))
    }

    /// Minutes of play today (UTC): each session from its start (or midnight) to its
    /// last activity — or to now, while it was active within the last
    /// [`SESSION_IDLE_GAP`] (the player is still at the table).
    pub(crate) async fn minutes_played_today(c: &mut Conn, player: DbId, at: DateTime<Utc>) -> Result<u32, DbError> {
        let midnight = at.date_naive().and_hms_opt(0, 0, 0).map(|d| d.and_utc()).unwrap_or(at);
        let sessions: Vec<(DbTime, Option<DbTime>, String)> = game_sessions::table
            .filter(game_sessions::player_id.eq(player))
            .filter(game_sessions::last_activity_at.gt(DbTime(midnight)))
            .select((game_sessions::started_at, game_sessions::last_activity_at, game_sessions::status))
            .load::<(DbTime, Option<DbTime>, String)>(c)
            .await?;
        let minutes: i64 = sessions
            .iter()
            .map(|(start, last, status)| {
                let from = start.0.max(midnight);
                let last = last.map_or(from, |l| l.0.min(at));
                let to = if status == "open" && at - last <= SESSION_IDLE_GAP { at } else { last };
                (to - from).num_seconds().max(0)
            })
            .sum::<i64>()
            / 60;
        Ok(u32::try_from(minutes).unwrap_or(u32::MAX))
    }

    /// At sign-in: a player listed on the national register is marked self-excluded
    /// (they may still sign in and withdraw). Returns whether they are listed.
    pub(crate) async fn apply_register(c: &mut Conn, player: DbId) -> Result<bool, DbError> {
        let Some(ctx) = player_context(c, player).await? else { return Ok(false) };
        let listed = on_register(c, &ctx.email, ctx.date_of_birth, ctx.known_name.as_deref()).await?;
        if listed {
            exclude_listed(c, player, ctx.status).await?;
        }
        Ok(listed)
    }

    pub(crate) async fn record_audit(
        c: &mut Conn,
        actor: DbId,
        action: &str,
        target: &str,
        before: Option<Value>,
        after: Option<Value>,
        at: DbTime,
    ) -> QueryResult<()> {
        diesel::insert_into(audit_log::table)
            .values((
                audit_log::id.eq(DbId(Uuid::new_v4())),
                audit_log::actor.eq(actor),
                audit_log::action.eq(action),
                audit_log::target.eq(target),
                audit_log::before.eq(before.map(|v| v.to_string())),
                audit_log::after.eq(after.map(|v| v.to_string())),
                audit_log::at.eq(at),
            ))
            .execute(c)
            .await?;
        Ok(())
    }

    pub(crate) async fn audit_entries(c: &mut Conn, f: AuditFilter) -> Result<Vec<AuditEntry>, DbError> {
        let mut q = audit_log::table.into_boxed();
        if let Some(a) = f.action {
            q = q.filter(audit_log::action.eq(a));
        }
        if let Some(a) = f.actor {
            q = q.filter(audit_log::actor.eq(DbId(a.as_uuid())));
        }
        if let Some(t) = f.target {
            q = q.filter(audit_log::target.eq(t));
        }
        if let Some(t) = f.from {
            q = q.filter(audit_log::at.ge(DbTime(t)));
        }
        if let Some(t) = f.to {
            q = q.filter(audit_log::at.lt(DbTime(t)));
        }
        let rows: Vec<AuditRow> = q
            .order(audit_log::position.desc())
            .limit(f.limit)
            .offset(f.offset)
            .select((
                audit_log::id,
                audit_log::actor,
                audit_log::action,
                audit_log::target,
                audit_log::before,
                audit_log::after,
                audit_log::at,
            ))
            .load(c)
            .await?;
        let json = |column, s: Option<String>| s.map(|s| stored_json(column, &s)).transpose();
        rows.into_iter()
            .map(|r| {
                Ok(AuditEntry {
                    id: r.0.0,
                    actor: AccountId::from_uuid(r.1.0),
                    action: r.2,
                    target: r.3,
                    before: json("audit_log.before", r.4)?,
                    after: json("audit_log.after", r.5)?,
                    at: r.6.0,
                })
            })
            .collect()
    }

    pub(crate) async fn alerts(c: &mut Conn, f: AlertFilter) -> Result<Vec<AmlAlert>, DbError> {
        let mut q = aml_alerts::table.into_boxed();
        if let Some(s) = f.status {
            q = q.filter(aml_alerts::status.eq(s));
        }
        if let Some(l) = f.risk_level {
            q = q.filter(aml_alerts::risk_level.eq(l));
        }
        if let Some(p) = f.player_id {
            q = q.filter(aml_alerts::player_id.eq(DbId(p.as_uuid())));
        }
        let q = match f.order {
            AlertOrder::Newest => q.order((aml_alerts::created_at.desc(), aml_alerts::id.desc())),
            AlertOrder::Oldest => q.order((aml_alerts::created_at.asc(), aml_alerts::id.asc())),
            AlertOrder::RiskDesc => q.order((aml_alerts::risk_score.desc(), aml_alerts::created_at.desc())),
            AlertOrder::RiskAsc => q.order((aml_alerts::risk_score.asc(), aml_alerts::created_at.desc())),
        };
        let rows: Vec<AlertRow> = q.limit(f.limit).offset(f.offset).select(alert_columns!()).load(c).await?;
        rows.into_iter().map(to_alert).collect()
    }

    pub(crate) async fn review_alert(
        c: &mut Conn,
        id: DbId,
        outcome: compliance_core::ReviewOutcome,
        note: String,
        actor: DbId,
        at: DbTime,
    ) -> Result<Option<Result<AmlAlert, compliance_core::AmlError>>, DbError> {
        c.transaction(async |c| {
            let Some(row) =
                aml_alerts::table.find(id).select(alert_columns!()).first::<AlertRow>(c).await.optional()?
            else {
                return Ok(None);
            };
            let before = to_alert(row)?;
            let current = AlertStatus::parse(&before.status).ok_or_else(|| DbError::Row("alert status".into()))?;
            let next = match compliance_core::review(current, outcome) {
                Ok(n) => n,
                Err(e) => return Ok(Some(Err(e))),
            };
            // Conditional on the status read: of two racing reviews only one applies.
            let changed = diesel::update(aml_alerts::table.find(id).filter(aml_alerts::status.eq(&before.status)))
                .set((
                    aml_alerts::status.eq(next.as_str()),
                    aml_alerts::reviewed_by.eq(Some(actor)),
                    aml_alerts::reviewed_at.eq(Some(at)),
                    aml_alerts::note.eq(Some(&note)),
                ))
                .execute(c)
                .await?;
            if changed == 0 {
                return Ok(Some(Err(compliance_core::AmlError::AlreadyReviewed)));
            }
            record_audit(
                c,
                actor,
                "aml.alert_reviewed",
                &format!("aml_alert:{}", id.0),
                Some(json!({"status": before.status})),
                Some(json!({"status": next.as_str(), "note": note})),
                at,
            )
            .await?;
            let after = aml_alerts::table.find(id).select(alert_columns!()).first::<AlertRow>(c).await?;
            Ok(Some(Ok(to_alert(after)?)))
        })
        .await
    }

    pub(crate) async fn harm_alerts_list(
        c: &mut Conn,
        player: Option<DbId>,
        limit: i64,
        offset: i64,
    ) -> Result<Vec<HarmAlert>, DbError> {
        let mut q = harm_alerts::table.into_boxed();
        if let Some(p) = player {
            q = q.filter(harm_alerts::player_id.eq(p));
        }
        let rows: Vec<(DbId, DbId, String, String, String, DbTime)> = q
            .order((harm_alerts::created_at.desc(), harm_alerts::id.desc()))
            .limit(limit)
            .offset(offset)
            .select((
                harm_alerts::id,
                harm_alerts::player_id,
                harm_alerts::marker,
                harm_alerts::intervention,
                harm_alerts::details,
                harm_alerts::created_at,
            ))
            .load(c)
            .await?;
        rows.into_iter()
            .map(|r| {
                Ok(HarmAlert {
                    id: r.0.0,
                    player_id: AccountId::from_uuid(r.1.0),
                    marker: r.2,
                    intervention: r.3,
                    details: stored_json("harm_alerts.details", &r.4)?,
                    created_at: r.5.0,
                })
            })
            .collect()
    }

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

    /// Records a submission (pending) and, when the provider decides at once, its decision.
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
            let next = match compliance_core::submit(ctx.kyc) {
                Ok(n) => n,
                Err(e) => return Ok(Err(e)),
            };
            let id = Uuid::new_v4();
            // Every KYC decision consults the register, with the name on the documents.
            let listing = match_on_register(c, &ctx.email, ctx.date_of_birth, Some(sub.full_name())).await?;
            if listing != RegisterMatch::None {
                hold_for_register_review(c, player, &ctx, listing, DbTime(at)).await?;
            }
            let decision = provider.auto_decide(&sub, listing, at.date_naive());
            let (state, decided_at, reason) = match decision {
                Some((d, why)) => (
                    compliance_core::decide(next, d, Some(why)).unwrap_or(next),
                    Some(DbTime(at)),
                    Some(why.to_owned()),
                ),
                None => (next, None, None),
            };
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

    /// A staff decision on the player's pending submission, audited.
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
            let status: Option<String> =
                players::table.find(player).select(players::kyc_status).first(c).await.optional()?;
            let Some(status) = status else { return Ok(None) };
            let next = match compliance_core::decide(kyc_state(&status)?, decision, reason.as_deref()) {
                Ok(n) => n,
                Err(e) => return Ok(Some(Err(e))),
            };
            let pending: Option<DbId> = kyc_submissions::table
                .filter(kyc_submissions::player_id.eq(player))
                .filter(kyc_submissions::status.eq("pending"))
                .order(kyc_submissions::submitted_at.desc())
                .select(kyc_submissions::id)
                .first(c)
                .await
                .optional()?;
            let Some(id) = pending else { return Ok(Some(Err(compliance_core::KycError::NotPending))) };
            // Staff decide with the register consulted too: a listing excludes whatever they decide.
            if let Some(ctx) = player_context(c, player).await?
                && on_register(c, &ctx.email, ctx.date_of_birth, ctx.known_name.as_deref()).await?
            {
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
                Some(json!({"kyc_status": status})),
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

    pub(crate) async fn add_to_register(
        c: &mut Conn,
        full_name: String,
        date_of_birth: NaiveDate,
        email: String,
        actor: DbId,
        at: DbTime,
    ) -> Result<Uuid, DbError> {
        c.transaction(async |c| {
            let id = Uuid::new_v4();
            diesel::insert_into(exclusion_register::table)
                .values((
                    exclusion_register::id.eq(DbId(id)),
                    exclusion_register::full_name.eq(&full_name),
                    exclusion_register::date_of_birth.eq(date_of_birth),
                    exclusion_register::email.eq(&email),
                    exclusion_register::added_by.eq(actor),
                    exclusion_register::added_at.eq(at),
                ))
                .execute(c)
                .await?;
            record_audit(
                c,
                actor,
                "register.person_added",
                &format!("register:{id}"),
                None,
                Some(json!({"email": email, "date_of_birth": date_of_birth})),
                at,
            )
            .await?;
            // Existing accounts of the person become self-excluded at once (withdrawals only).
            let matching: Vec<DbId> = accounts::table
                .inner_join(players::table)
                .filter(accounts::email.eq(&email).or(players::date_of_birth.eq(date_of_birth)))
                .select(accounts::id)
                .load(c)
                .await?;
            for account in matching {
                let ctx = player_context(c, account).await?;
                let entry = [(email.clone(), date_of_birth, full_name.clone())];
                if let Some(p) =
                    ctx.filter(|p| register_lists(&entry, &p.email, p.date_of_birth, p.known_name.as_deref()))
                {
                    exclude_listed(c, account, p.status).await?;
                }
            }
            Ok(id)
        })
        .await
    }

    /// Applies a self-imposed exclusion (under the wallet lock), recording it.
    pub(crate) async fn exclude(
        c: &mut Conn,
        player: DbId,
        request: rg_core::ExclusionRequest,
        policy: &Policy,
        at: DateTime<Utc>,
    ) -> Result<Result<rg_core::Exclusion, rg_core::RgError>, DbError> {
        c.transaction(async |c| {
            wallet::lock_head(c, player).await?;
            let ctx = player_context(c, player).await?.ok_or_else(|| DbError::Row("no such player".into()))?;
            let mut rg = ctx.rg()?;
            rg.settle(at);
            let profile = policy.profiles.for_country(&ctx.country);
            let excl = match rg_core::request_exclusion(rg.exclusion.as_ref(), request, profile, at) {
                Ok(e) => e,
                Err(e) => return Ok(Err(e)),
            };
            if rg.exclusion == Some(excl) {
                // Nothing changed (a shorter request keeps the longer exclusion).
                return Ok(Ok(excl));
            }
            rg.exclusion = Some(excl);
            save_rg(c, player, &rg, DbTime(at)).await?;
            let kind = serde_json::to_value(request).unwrap_or(Value::Null);
            diesel::insert_into(exclusions::table)
                .values((
                    exclusions::id.eq(DbId(Uuid::new_v4())),
                    exclusions::player_id.eq(player),
                    exclusions::kind.eq(kind["kind"].as_str().unwrap_or("")),
                    exclusions::duration.eq(kind["duration"].as_str().unwrap_or("")),
                    exclusions::started_at.eq(DbTime(at)),
                    exclusions::ends_at.eq(excl.ends_at.map(DbTime)),
                ))
                .execute(c)
                .await?;
            Ok(Ok(excl))
        })
        .await
    }

    /// Loads, changes and saves the player's RG settings under the wallet lock.
    pub(crate) async fn update_rg<
        F: FnOnce(&mut RgSettings, &rg_core::JurisdictionProfile) -> Result<(), rg_core::RgError> + Send,
    >(
        c: &mut Conn,
        player: DbId,
        policy: &Policy,
        at: DateTime<Utc>,
        change: F,
    ) -> Result<Result<RgSettings, rg_core::RgError>, DbError> {
        c.transaction(async |c| {
            wallet::lock_head(c, player).await?;
            let ctx = player_context(c, player).await?.ok_or_else(|| DbError::Row("no such player".into()))?;
            let mut rg = ctx.rg()?;
            rg.settle(at);
            if let Err(e) = change(&mut rg, policy.profiles.for_country(&ctx.country)) {
                return Ok(Err(e));
            }
            save_rg(c, player, &rg, DbTime(at)).await?;
            Ok(Ok(rg))
        })
        .await
    }

    pub(crate) async fn report(c: &mut Conn, from: DbTime, to: DbTime) -> Result<Vec<ReportRow>, DbError> {
        let mut rows: std::collections::BTreeMap<String, ReportRow> = Default::default();
        let money: Vec<(String, String, i64)> = wallet_events::table
            .inner_join(players::table.on(players::account_id.eq(wallet_events::player_id)))
            .filter(wallet_events::created_at.ge(from))
            .filter(wallet_events::created_at.lt(to))
            .filter(wallet_events::event_type.eq_any(["DEPOSIT", "WITHDRAWAL"]))
            .select((players::country, wallet_events::event_type, wallet_events::amount))
            .load(c)
            .await?;
        for (country, kind, amount) in money {
            let r = rows
                .entry(country.clone())
                .or_insert_with(|| ReportRow { jurisdiction: country, ..Default::default() });
            let total = if kind == "DEPOSIT" { &mut r.deposits } else { &mut r.withdrawals };
            *total = crate::db::money_total([*total, amount])?;
        }
        let played: Vec<(String, i64, i64)> = rounds::table
            .inner_join(players::table.on(players::account_id.eq(rounds::player_id)))
            .filter(rounds::created_at.ge(from))
            .filter(rounds::created_at.lt(to))
            .filter(rounds::status.eq("settled"))
            .select((players::country, rounds::amount, rounds::payout))
            .load(c)
            .await?;
        for (country, amount, payout) in played {
            let r = rows
                .entry(country.clone())
                .or_insert_with(|| ReportRow { jurisdiction: country, ..Default::default() });
            r.wagered = crate::db::money_total([r.wagered, amount])?;
            r.paid = crate::db::money_total([r.paid, payout])?;
        }
        // Exclusions started and alerts raised in the range, counted per country.
        macro_rules! count_per_country {
            ($table:ident, $at:ident, $field:ident) => {
                let countries: Vec<String> = $table::table
                    .inner_join(players::table.on(players::account_id.eq($table::player_id)))
                    .filter($table::$at.ge(from))
                    .filter($table::$at.lt(to))
                    .select(players::country)
                    .load(c)
                    .await?;
                for country in countries {
                    rows.entry(country.clone())
                        .or_insert_with(|| ReportRow { jurisdiction: country, ..Default::default() })
                        .$field += 1;
                }
            };
        }
        count_per_country!(exclusions, started_at, exclusions);
        count_per_country!(aml_alerts, created_at, aml_alerts);
        count_per_country!(harm_alerts, created_at, harm_alerts);
        Ok(rows.into_values().collect())
    }
}

prepared! {
    /// A player's [`PlayerContext`]: account, profile, RG settings, the name of the latest
    /// KYC submission and the latest harm alert asking for a forced reality check.
    pub(crate) struct ContextQuery -> (Text, Text, Text, Text, Date, Nullable<Text>, Nullable<Text>, Nullable<DbTimestamp>) =
        "SELECT a.status, p.country, p.kyc_status, a.email, p.date_of_birth, r.settings, \
         (SELECT k.full_name FROM kyc_submissions k WHERE k.player_id = a.id ORDER BY k.submitted_at DESC LIMIT 1), \
         (SELECT h.created_at FROM harm_alerts h WHERE h.player_id = a.id AND h.intervention = ? \
          ORDER BY h.created_at DESC LIMIT 1) \
         FROM accounts a JOIN players p ON p.account_id = a.id LEFT JOIN rg_settings r ON r.player_id = a.id \
         WHERE a.id = ?" {
        forced: &'static str => Text,
        player: DbId => DbUuid,
    }
}

impl ContextQuery {
    pub(crate) fn of(player: DbId) -> Self {
        ContextQuery { forced: Intervention::ForcedRealityCheck.as_str(), player }
    }
}

prepared! {
    /// The player's bets since `since` (AML bet velocity counts the last minute).
    pub(crate) struct BetsLastMinute -> (BigInt) =
        "SELECT COUNT(*) FROM wallet_events WHERE player_id = ? AND event_type = 'BET' AND created_at > ?" {
        player: DbId => DbUuid,
        since: DbTime => DbTimestamp,
    }
}

impl BetsLastMinute {
    pub(crate) fn at(player: DbId, at: DateTime<Utc>) -> Self {
        BetsLastMinute { player, since: DbTime(at - Duration::minutes(1)) }
    }
}

prepared! {
    /// The national register's entries that may list the player: same email, or same
    /// date of birth ([`register_lists`] decides).
    pub(crate) struct RegisterCandidates -> (Text, Date, Text) =
        "SELECT e.email, e.date_of_birth, e.full_name FROM accounts a JOIN players p ON p.account_id = a.id \
         JOIN exclusion_register e ON e.email = a.email OR e.date_of_birth = p.date_of_birth WHERE a.id = ?" {
        player: DbId => DbUuid,
    }
}

prepared! {
    /// The player's open AML alerts: rule, raised at, risk level.
    pub(crate) struct OpenAlerts -> (Text, DbTimestamp, Text) =
        "SELECT rule, created_at, risk_level FROM aml_alerts WHERE player_id = ? AND status = 'open'" {
        player: DbId => DbUuid,
    }
}

/// A national register entry: email, date of birth, full name.
pub(crate) type RegisterEntry = (String, NaiveDate, String);

/// A row of [`OpenAlerts`].
pub(crate) type OpenAlertRow = (String, DbTime, String);

/// How strongly `entries` match this person ([`compliance_core::register_match`]).
pub(crate) fn register_match(
    entries: &[RegisterEntry],
    email: &str,
    date_of_birth: NaiveDate,
    full_name: Option<&str>,
) -> RegisterMatch {
    let person = Person { email, date_of_birth, full_name };
    let listed = entries.iter().map(|(email, date_of_birth, name)| Person {
        email,
        date_of_birth: *date_of_birth,
        full_name: Some(name),
    });
    compliance_core::strongest_match(listed, &person)
}

/// Whether one of `entries` lists this person: the same email (any case), or the same
/// date of birth and full name (ignoring case, spacing and punctuation).
pub(crate) fn register_lists(
    entries: &[RegisterEntry],
    email: &str,
    date_of_birth: NaiveDate,
    full_name: Option<&str>,
) -> bool {
    register_match(entries, email, date_of_birth, full_name) == RegisterMatch::Listed
}

pub(crate) type ContextRow =
    (String, String, String, String, NaiveDate, Option<String>, Option<String>, Option<DbTime>);

impl TryFrom<ContextRow> for PlayerContext {
    type Error = DbError;
    fn try_from(
        (status, country, kyc, email, date_of_birth, rg, known_name, forced): ContextRow,
    ) -> Result<Self, DbError> {
        Ok(PlayerContext {
            status: AccountStatus::parse(&status).ok_or_else(|| DbError::Row(format!("status {status:?}")))?,
            country,
            kyc: kyc_state(&kyc)?,
            email,
            date_of_birth,
            known_name,
            rg_json: rg,
            forced_check_alert_at: forced.map(|t| t.0),
            listed: None,
        })
    }
}

impl PlayerContext {
    /// The saved RG settings (defaults when none were saved), due changes not applied.
    /// Parsed on demand, so a rule that does not read them never fails on them.
    pub fn rg(&self) -> Result<RgSettings, DbError> {
        parse_rg(self.rg_json.as_deref())
    }
}

/// Stored RG settings, or the defaults when none were saved.
fn parse_rg(raw: Option<&str>) -> Result<RgSettings, DbError> {
    raw.map(|r| serde_json::from_str(r).map_err(|e| DbError::Row(format!("rg settings: {e}"))))
        .transpose()
        .map(Option::unwrap_or_default)
}

/// Whether a markers-of-harm alert since the last reality check (and within a day) asks
/// for one now: the latest such alert before this request (`ctx`), or one it raised.
pub(crate) fn forced_reality_check(
    ctx: &PlayerContext,
    raised_now: &[HarmAlert],
    last_check: Option<DateTime<Utc>>,
    at: DateTime<Utc>,
) -> bool {
    let from = last_check.unwrap_or(at - Duration::days(1)).max(at - Duration::days(1));
    ctx.forced_check_alert_at.is_some_and(|t| t > from)
        || raised_now.iter().any(|a| a.intervention == Intervention::ForcedRealityCheck.as_str() && a.created_at > from)
}

fn id(a: AccountId) -> DbId {
    DbId(a.as_uuid())
}

impl Db {
    pub async fn move_money(
        &self,
        player: AccountId,
        posting: Posting,
        event_id: Uuid,
        at: DateTime<Utc>,
        policy: &Policy,
        rules: MoneyRules,
    ) -> Result<MoneyResult, MoneyFailure> {
        dispatch!(write self, self::move_money(id(player), posting, event_id, at, policy, rules))
    }

    pub async fn player_context(&self, player: AccountId) -> Result<Option<PlayerContext>, DbError> {
        dispatch!(read self, self::player_context(id(player)))
    }

    /// The stored settings of every player whose settings hold `measure` now (any
    /// measure for `None`), most recently changed first.
    pub async fn rg_measures(
        &self,
        measure: Option<rg_core::Measure>,
        now: DateTime<Utc>,
    ) -> Result<Vec<RgRecord>, DbError> {
        let contains = match measure {
            Some(rg_core::Measure::Pending) => Some("\"pending\":{"),
            Some(rg_core::Measure::Exclusion) => Some("\"exclusion\":{"),
            _ => None,
        };
        let records: Vec<RgRecord> = dispatch!(stale self, self::rg_records(contains))?;
        Ok(records.into_iter().filter(|r| r.settings.holds(measure, now)).collect())
    }

    /// What the player deposited in each deposit-limit window ending `at`.
    pub async fn deposit_usage(&self, player: AccountId, at: DateTime<Utc>) -> Result<DepositUsage, DbError> {
        dispatch!(read self, self::current_deposit_usage(id(player), at))
    }

    /// Won − wagered since `since`; rolled-back rounds net out through their ROLLBACKs.
    pub async fn net_position_since(&self, player: AccountId, since: DateTime<Utc>) -> Result<i64, DbError> {
        let (_, net) = dispatch!(read self, self::play_since(id(player), DbTime(since)))?;
        Ok(net)
    }

    pub async fn minutes_played_today(&self, player: AccountId, at: DateTime<Utc>) -> Result<u32, DbError> {
        dispatch!(read self, self::minutes_played_today(id(player), at))
    }

    pub async fn apply_register(&self, player: AccountId) -> Result<bool, DbError> {
        dispatch!(write self, self::apply_register(id(player)))
    }

    pub async fn audit(
        &self,
        actor: AccountId,
        action: &str,
        target: &str,
        before: Option<Value>,
        after: Option<Value>,
        at: DateTime<Utc>,
    ) -> Result<(), DbError> {
        Ok(dispatch!(write self, self::record_audit(id(actor), action, target, before, after, DbTime(at)))?)
    }

    pub async fn audit_log(&self, filter: AuditFilter) -> Result<Vec<AuditEntry>, DbError> {
        dispatch!(stale self, self::audit_entries(filter))
    }

    pub async fn aml_alerts(&self, filter: AlertFilter) -> Result<Vec<AmlAlert>, DbError> {
        dispatch!(stale self, self::alerts(filter))
    }

    pub async fn review_alert(
        &self,
        alert: Uuid,
        outcome: compliance_core::ReviewOutcome,
        note: String,
        actor: AccountId,
        at: DateTime<Utc>,
    ) -> Result<Option<Result<AmlAlert, compliance_core::AmlError>>, DbError> {
        dispatch!(write self, self::review_alert(DbId(alert), outcome, note, id(actor), DbTime(at)))
    }

    pub async fn harm_alerts(
        &self,
        player: Option<AccountId>,
        limit: i64,
        offset: i64,
    ) -> Result<Vec<HarmAlert>, DbError> {
        dispatch!(stale self, self::harm_alerts_list(player.map(id), limit, offset))
    }

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

    pub async fn add_to_register(
        &self,
        full_name: String,
        date_of_birth: NaiveDate,
        email: String,
        actor: AccountId,
        at: DateTime<Utc>,
    ) -> Result<Uuid, DbError> {
        dispatch!(write self, self::add_to_register(full_name, date_of_birth, email, id(actor), DbTime(at)))
    }

    pub async fn exclude(
        &self,
        player: AccountId,
        request: rg_core::ExclusionRequest,
        policy: &Policy,
        at: DateTime<Utc>,
    ) -> Result<Result<rg_core::Exclusion, rg_core::RgError>, DbError> {
        dispatch!(write self, self::exclude(id(player), request, policy, at))
    }

    pub async fn update_rg<F>(
        &self,
        player: AccountId,
        policy: &Policy,
        at: DateTime<Utc>,
        change: F,
    ) -> Result<Result<RgSettings, rg_core::RgError>, DbError>
    where
        F: FnOnce(&mut RgSettings, &rg_core::JurisdictionProfile) -> Result<(), rg_core::RgError> + Send,
    {
        dispatch!(write self, self::update_rg(id(player), policy, at, change))
    }

    pub async fn report(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Result<Vec<ReportRow>, DbError> {
        dispatch!(stale self, self::report(DbTime(from), DbTime(to)))
    }
}

/// The settings as the rules read them outside a round (a round reads and saves them
/// in its own pipelines).
impl RgRepository for Db {
    async fn load(&self, player: AccountId) -> Result<RgSettings, StoreError> {
        Ok(dispatch!(read self, self::load_rg(id(player)))?)
    }

    /// Stamped with the database host's time: the port carries no clock, and the stamp
    /// only orders the staff's list of measures.
    async fn save(&self, player: AccountId, settings: RgSettings) -> Result<(), StoreError> {
        Ok(dispatch!(write self, self::save_rg(id(player), &settings, DbTime(Utc::now())))?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(rg: Option<&str>) -> ContextRow {
        let dob = NaiveDate::from_ymd_opt(1990, 1, 1).unwrap();
        (
            "active".into(),
            "MT".into(),
            "approved".into(),
            "a@example.com".into(),
            dob,
            rg.map(str::to_owned),
            None,
            None,
        )
    }

    #[test]
    fn a_bad_rg_settings_row_fails_only_the_rules_that_read_it() {
        // Withdrawals, register matching and the player view read the context but not
        // the RG settings: a row they cannot parse must not stop them.
        let ctx = PlayerContext::try_from(row(Some("{not json"))).expect("the context reads without the RG settings");
        assert_eq!(ctx.status, AccountStatus::Active);
        assert!(ctx.rg().is_err(), "the rules that read the RG settings still refuse a bad row");
        let fresh = PlayerContext::try_from(row(None)).unwrap();
        assert_eq!(fresh.rg().unwrap(), RgSettings::default());
    }

    #[test]
    fn a_stored_kyc_status_no_state_names_is_a_corrupt_row() {
        for state in KycState::ALL {
            assert_eq!(kyc_state(state.as_str()).unwrap(), *state);
        }
        assert!(matches!(kyc_state("verified"), Err(DbError::Row(_))), "not silently `none`");
        let mut corrupt = row(None);
        corrupt.2 = "APPROVED".into();
        assert!(PlayerContext::try_from(corrupt).is_err(), "the context refuses it too");
    }

    #[test]
    fn stored_json_that_does_not_parse_is_a_corrupt_row() {
        assert_eq!(stored_json("aml_alerts.details", r#"{"n":1}"#).unwrap(), json!({"n": 1}));
        assert!(matches!(stored_json("aml_alerts.details", "{cut"), Err(DbError::Row(_))), "not silently null");
        let at = DbTime(Utc::now());
        let alert: AlertRow = (
            DbId(Uuid::nil()),
            DbId(Uuid::nil()),
            "large_deposit".into(),
            50,
            "medium".into(),
            "open".into(),
            "{cut".into(),
            at,
            None,
            None,
            None,
        );
        assert!(to_alert(alert).is_err());
    }

    #[test]
    fn a_negative_count_of_recent_bets_is_a_corrupt_row_not_zero() {
        assert_eq!(count_of(3).unwrap(), 3);
        assert!(matches!(count_of(-1), Err(DbError::Row(_))));
    }

    #[test]
    fn the_register_lists_a_person_by_email_or_by_birth_date_and_name() {
        let dob = NaiveDate::from_ymd_opt(1980, 5, 5).unwrap();
        let other_day = NaiveDate::from_ymd_opt(1980, 5, 6).unwrap();
        let entries = [("Listed@Example.com".to_owned(), dob, "Gambler  Person".to_owned())];
        assert!(register_lists(&entries, "listed@example.com", other_day, None), "email, in any case");
        assert!(register_lists(&entries, "new@example.com", dob, Some(" gambler person ")), "birth date and name");
        assert!(!register_lists(&entries, "new@example.com", dob, None), "a birth date alone is no match");
        assert!(!register_lists(&entries, "new@example.com", dob, Some("Gambler Personne")));
        assert!(
            !register_lists(&entries, "new@example.com", other_day, Some("Gambler Person")),
            "the name on another day"
        );
        assert!(!register_lists(&[], "listed@example.com", dob, Some("Gambler Person")));
    }
}
