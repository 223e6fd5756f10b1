//! What the play and money rules read about a player, in the store: the player's
//! context (pam-core's [`PlayerContext`] from its row), deposit and play totals over time
//! windows, minutes played, the screening of postings and bets, and what the play rules
//! ([`pam_core::check_play`]) read. The
//! aggregates live beside it: `kyc`, `aml`, `rg`, `register`, `audit`, `reports` and
//! `money` (a posting's load and write); the names a round uses stay reachable here.

use super::kyc::kyc_state;
pub use super::money::MoneyFailure;
pub(crate) use super::register::{RegisterCandidates, RegisterEntry, register_lists};
use super::rg::rg_of;
use super::schema::{game_sessions, wallet_events, wallets};
use super::statement::prepared;
use super::types::sql::{DbTimestamp, DbUuid};
use super::types::{DbId, DbTime};
use super::{Db, DbError, backend_queries, count_of, dispatch};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use compliance_core::{Activity, AmlThresholds, EventKind, HarmMarker, Intervention, ScreenedEvent};
pub(crate) use compliance_core::{AmlAlert, HarmAlert, MoneyResult, Policy};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Date, Nullable, Text};
use diesel_async::RunQueryDsl;
pub use kernel::Refused;
use kernel::{AccountId, Amount};
use pam_core::{AccountStatus, PlayState, PlayerContext};
use rg_core::{DepositUsage, LimitPeriod, RgSettings};
use serde_json::json;
use wallet_core::{DepositTotals, EventType, PostError};

/// An open session with no activity for longer than this stops counting as play time.
pub const SESSION_IDLE_GAP: Duration = Duration::minutes(30);

#[backend_queries(siblings(aml, register, rg, audit))]
mod queries {
    use aml::{raise_aml, raise_aml_against, raise_harm};
    pub(crate) use audit::record_audit;
    use register::on_register;
    pub(crate) use rg::save_rg;

    /// Everything the play and money rules read about a player, in one query.
    pub(crate) async fn player_context(c: &mut Conn, player: DbId) -> Result<Option<PlayerContext>, DbError> {
        let rows = ContextQuery::of(player).load::<ContextRow>(c).await?;
        rows.into_iter().next().map(context_of).transpose()
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

    pub(crate) async fn open_alerts(c: &mut Conn, player: DbId) -> QueryResult<Vec<OpenAlertRow>> {
        OpenAlerts { player }.load(c).await
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

    /// What the play rules read about a player whose context `ctx` was read in this
    /// transaction: the register (unless read with the context), the RG settings and,
    /// when the rules read them, the minutes played today.
    pub(crate) async fn load_play(
        c: &mut Conn,
        player: DbId,
        ctx: &PlayerContext,
        at: DateTime<Utc>,
        betting: bool,
    ) -> Result<PlayState, DbError> {
        let listed = match ctx.listed {
            Some(listed) => listed,
            None => on_register(c, &ctx.email, ctx.date_of_birth, ctx.known_name.as_deref()).await?,
        };
        let rg = ctx.rg()?;
        let minutes_played_today = if pam_core::needs_minutes_played(&rg, betting, at) {
            minutes_played_today(c, player, at).await?
        } else {
            0
        };
        Ok(PlayState { listed, rg, minutes_played_today })
    }

    /// Whether the player may play (`betting`: also the session-time limit; a launch
    /// only needs the others), as load → decide → write: [`load_play`], then
    /// [`pam_core::check_play`] decides, and RG changes that fell due are saved.
    /// Returns the player's RG settings with those changes applied.
    pub(crate) async fn check_play(
        c: &mut Conn,
        player: DbId,
        at: DateTime<Utc>,
        betting: bool,
    ) -> Result<RgSettings, MoneyFailure> {
        let ctx = player_context(c, player).await?.ok_or(MoneyFailure::Post(PostError::WalletNotFound))?;
        let state = load_play(c, player, &ctx, at, betting).await?;
        let allowed = pam_core::check_play(&ctx, state, betting, at)?;
        if allowed.settled {
            save_rg(c, player, &allowed.rg, DbTime(at)).await?;
        }
        Ok(allowed.rg)
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
    /// The player's open AML alerts: rule, raised at, risk level.
    pub(crate) struct OpenAlerts -> (Text, DbTimestamp, Text) =
        "SELECT rule, created_at, risk_level FROM aml_alerts WHERE player_id = ? AND status = 'open'" {
        player: DbId => DbUuid,
    }
}

/// A row of [`OpenAlerts`].
pub(crate) type OpenAlertRow = (String, DbTime, String);

pub(crate) type ContextRow =
    (String, String, String, String, NaiveDate, Option<String>, Option<String>, Option<DbTime>);

/// A row of [`ContextQuery`] as the rules read it; stored RG settings that do not read
/// stay an error for the rules that read them (see [`PlayerContext::rg`]).
pub(crate) fn context_of(
    (status, country, kyc, email, date_of_birth, rg, known_name, forced): ContextRow,
) -> Result<PlayerContext, DbError> {
    Ok(PlayerContext {
        status: AccountStatus::parse(&status).ok_or_else(|| DbError::Row(format!("status {status:?}")))?,
        country,
        kyc: kyc_state(&kyc)?,
        email,
        date_of_birth,
        known_name,
        rg: rg_of(rg.as_deref()),
        forced_check_alert_at: forced.map(|t| t.0),
        listed: None,
    })
}

pub(crate) fn id(a: AccountId) -> DbId {
    DbId(a.as_uuid())
}

impl Db {
    pub async fn player_context(&self, player: AccountId) -> Result<Option<PlayerContext>, DbError> {
        dispatch!(read self, self::player_context(id(player)))
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
        let ctx = context_of(row(Some("{not json"))).expect("the context reads without the RG settings");
        assert_eq!(ctx.status, AccountStatus::Active);
        assert!(ctx.rg().is_err(), "the rules that read the RG settings still refuse a bad row");
        let fresh = context_of(row(None)).unwrap();
        assert_eq!(fresh.rg().unwrap(), RgSettings::default());
    }

    #[test]
    fn a_stored_kyc_status_no_state_names_is_a_corrupt_row() {
        use compliance_core::KycState;
        for state in KycState::ALL {
            assert_eq!(kyc_state(state.as_str()).unwrap(), *state);
        }
        assert!(matches!(kyc_state("verified"), Err(DbError::Row(_))), "not silently `none`");
        let mut corrupt = row(None);
        corrupt.2 = "APPROVED".into();
        assert!(context_of(corrupt).is_err(), "the context refuses it too");
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
