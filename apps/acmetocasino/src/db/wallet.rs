//! The wallet stream and its projection.
//!
//! A posting runs in one transaction that starts by touching the wallet's
//! projection row (`UPDATE … SET seq = seq … RETURNING`): on PostgreSQL that takes
//! the row lock, on SQLite the database write lock, so postings on one wallet are
//! serialised across every process and the head read is the latest committed one.

use super::schema::{wallet_events, wallets};
use super::statement::{Pipeline, prepared};
use super::types::sql::{DbTimestamp, DbUuid};
use super::types::{DbId, DbTime};
use super::{Db, DbError, Dialect, backend_queries, dispatch, money_of};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text};
use diesel_async::{AsyncConnection, RunQueryDsl};
use kernel::{AccountId, Currency};
use uuid::Uuid;
use wallet_core::{
    Balances, EventType, HistoryQuery, MoneyDay, PostError, PostOutcome, Posting, StoreError, WalletEvent, WalletHead,
    WalletRepository, decide,
};
pub use wallet_core::{EventFilter, EventOrder, ROUND_REFERENCE_PREFIX};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = wallets)]
pub(crate) struct WalletRow {
    player_id: DbId,
    currency: String,
    seq: i64,
    cash: i64,
    bonus: i64,
    lifetime_wagered: i64,
    lifetime_deposited: i64,
    lifetime_net: i64,
    lifetime_deposits: i64,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = wallet_events)]
pub(crate) struct EventRow {
    id: DbId,
    player_id: DbId,
    seq: i64,
    event_type: String,
    amount: i64,
    currency: String,
    cash_delta: i64,
    bonus_delta: i64,
    cash_balance_after: i64,
    bonus_balance_after: i64,
    idempotency_key: String,
    request_fingerprint: String,
    reference: Option<String>,
    compensates: Option<DbId>,
    created_at: DbTime,
    posted_by: Option<DbId>,
    reason: Option<String>,
    approved_by: Option<DbId>,
    wagered_after: i64,
    net_after: i64,
    deposited_after: i64,
    deposits_after: i64,
}

impl TryFrom<WalletRow> for WalletHead {
    type Error = DbError;
    fn try_from(r: WalletRow) -> Result<Self, DbError> {
        Ok(WalletHead {
            player_id: AccountId::from_uuid(r.player_id.0),
            currency: Currency::parse(&r.currency).map_err(|_| DbError::Row(format!("currency {:?}", r.currency)))?,
            seq: r.seq,
            balances: Balances { cash: money_of("cash", r.cash)?, bonus: money_of("bonus", r.bonus)? },
            lifetime_wagered: r.lifetime_wagered,
            lifetime_deposited: r.lifetime_deposited,
            lifetime_deposits: r.lifetime_deposits,
            lifetime_net: r.lifetime_net,
        })
    }
}

impl TryFrom<EventRow> for WalletEvent {
    type Error = DbError;
    fn try_from(r: EventRow) -> Result<Self, DbError> {
        Ok(WalletEvent {
            id: r.id.0,
            player_id: AccountId::from_uuid(r.player_id.0),
            seq: r.seq,
            event_type: EventType::parse(&r.event_type)
                .ok_or_else(|| DbError::Row(format!("event type {:?}", r.event_type)))?,
            amount: money_of("amount", r.amount)?,
            currency: Currency::parse(&r.currency).map_err(|_| DbError::Row(format!("currency {:?}", r.currency)))?,
            cash_delta: r.cash_delta,
            bonus_delta: r.bonus_delta,
            cash_balance_after: money_of("cash_balance_after", r.cash_balance_after)?,
            bonus_balance_after: money_of("bonus_balance_after", r.bonus_balance_after)?,
            idempotency_key: r.idempotency_key,
            request_fingerprint: r.request_fingerprint,
            reference: r.reference,
            compensates: r.compensates.map(|c| c.0),
            posted_by: r.posted_by.map(|s| AccountId::from_uuid(s.0)),
            reason: r.reason,
            approved_by: r.approved_by.map(|s| AccountId::from_uuid(s.0)),
            wagered_after: r.wagered_after,
            net_after: r.net_after,
            deposited_after: r.deposited_after,
            deposits_after: r.deposits_after,
            created_at: r.created_at.0,
        })
    }
}

/// A posting's failure inside its transaction: either the business outcome or the
/// database's. Either way the transaction is rolled back.
#[derive(Debug)]
pub(crate) enum PostFailure {
    Post(PostError),
    Db(DbError),
}

impl From<diesel::result::Error> for PostFailure {
    fn from(e: diesel::result::Error) -> Self {
        PostFailure::Db(e.into())
    }
}

impl From<DbError> for PostFailure {
    fn from(e: DbError) -> Self {
        PostFailure::Db(e)
    }
}

impl From<PostFailure> for PostError {
    fn from(f: PostFailure) -> Self {
        match f {
            PostFailure::Post(p) => p,
            PostFailure::Db(e) => PostError::Store(e.into()),
        }
    }
}

/// Whether an event was posted by a game round (its reference names the round).
pub(crate) fn is_round_event(e: &WalletEvent) -> bool {
    e.reference.as_deref().is_some_and(|r| r.starts_with(ROUND_REFERENCE_PREFIX))
}

/// The event-search filters, applied to a boxed `wallet_events` query.
macro_rules! filter_events {
    ($query:expr, $f:expr) => {{
        let f: &EventFilter = $f;
        let mut q = $query;
        if let Some(p) = f.player {
            q = q.filter(wallet_events::player_id.eq(DbId(p.as_uuid())));
        }
        if !f.types.is_empty() {
            q = q.filter(wallet_events::event_type.eq_any(f.types.iter().map(|t| t.as_str()).collect::<Vec<_>>()));
        }
        if let Some(r) = &f.reference {
            q = q.filter(wallet_events::reference.eq(r.clone()));
        }
        if let Some(k) = &f.idempotency_key {
            q = q.filter(wallet_events::idempotency_key.eq(k.clone()));
        }
        if let Some(t) = f.from {
            q = q.filter(wallet_events::created_at.ge(DbTime(t)));
        }
        if let Some(t) = f.to {
            q = q.filter(wallet_events::created_at.lt(DbTime(t)));
        }
        q
    }};
}

prepared! {
    /// Takes the wallet's row lock (on SQLite, the write lock) and reads its head.
    pub(crate) struct LockWallet -> (DbUuid, Text, BigInt, BigInt, BigInt, BigInt, BigInt, BigInt, BigInt) =
        "UPDATE wallets SET seq = seq WHERE player_id = ? \
         RETURNING player_id, currency, seq, cash, bonus, lifetime_wagered, lifetime_deposited, lifetime_net, \
         lifetime_deposits" {
        player: DbId => DbUuid,
    }
}

prepared! {
    pub(crate) struct SetWalletHead = "UPDATE wallets SET seq = ?, cash = ?, bonus = ?, lifetime_wagered = ?, \
         lifetime_deposited = ?, lifetime_net = ?, lifetime_deposits = ?, updated_at = ? WHERE player_id = ?" {
        seq: i64 => BigInt,
        cash: i64 => BigInt,
        bonus: i64 => BigInt,
        lifetime_wagered: i64 => BigInt,
        lifetime_deposited: i64 => BigInt,
        lifetime_net: i64 => BigInt,
        lifetime_deposits: i64 => BigInt,
        updated_at: DbTime => DbTimestamp,
        player: DbId => DbUuid,
    }
}

prepared! {
    pub(crate) struct InsertEvent = "INSERT INTO wallet_events (id, player_id, seq, event_type, amount, currency, \
         cash_delta, bonus_delta, cash_balance_after, bonus_balance_after, idempotency_key, request_fingerprint, \
         reference, compensates, created_at, posted_by, reason, approved_by, wagered_after, net_after, \
         deposited_after, deposits_after) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)" {
        id: DbId => DbUuid,
        player_id: DbId => DbUuid,
        seq: i64 => BigInt,
        event_type: &'static str => Text,
        amount: i64 => BigInt,
        currency: String => Text,
        cash_delta: i64 => BigInt,
        bonus_delta: i64 => BigInt,
        cash_balance_after: i64 => BigInt,
        bonus_balance_after: i64 => BigInt,
        idempotency_key: String => Text,
        request_fingerprint: String => Text,
        reference: Option<String> => Nullable<Text>,
        compensates: Option<DbId> => Nullable<DbUuid>,
        created_at: DbTime => DbTimestamp,
        posted_by: Option<DbId> => Nullable<DbUuid>,
        reason: Option<String> => Nullable<Text>,
        approved_by: Option<DbId> => Nullable<DbUuid>,
        wagered_after: i64 => BigInt,
        net_after: i64 => BigInt,
        deposited_after: i64 => BigInt,
        deposits_after: i64 => BigInt,
    }
}

impl From<&WalletEvent> for InsertEvent {
    fn from(e: &WalletEvent) -> Self {
        InsertEvent {
            id: DbId(e.id),
            player_id: DbId(e.player_id.as_uuid()),
            seq: e.seq,
            event_type: e.event_type.as_str(),
            amount: e.amount.minor_units(),
            currency: e.currency.as_str().to_owned(),
            cash_delta: e.cash_delta,
            bonus_delta: e.bonus_delta,
            cash_balance_after: e.cash_balance_after.minor_units(),
            bonus_balance_after: e.bonus_balance_after.minor_units(),
            idempotency_key: e.idempotency_key.clone(),
            request_fingerprint: e.request_fingerprint.clone(),
            reference: e.reference.clone(),
            compensates: e.compensates.map(DbId),
            created_at: DbTime(e.created_at),
            posted_by: e.posted_by.map(|s| DbId(s.as_uuid())),
            reason: e.reason.clone(),
            approved_by: e.approved_by.map(|s| DbId(s.as_uuid())),
            wagered_after: e.wagered_after,
            net_after: e.net_after,
            deposited_after: e.deposited_after,
            deposits_after: e.deposits_after,
        }
    }
}

/// The event `posting` makes after `head`, or why it may not be made. A round
/// decides its `BET` and `WIN` this way and writes them with the rest of the round; it
/// holds the wallet's lock and has ruled out a replay (its postings carry keys derived
/// from the fresh round's id, and the unique key on `(player_id, idempotency_key)`
/// still stands behind that).
pub(crate) fn decide_event(
    head: &WalletHead,
    posting: &Posting,
    target: Option<(&WalletEvent, bool)>,
    event_id: Uuid,
    at: DateTime<Utc>,
) -> Result<WalletEvent, PostFailure> {
    let refused = |e: wallet_core::PostingError| PostFailure::Post(e.into());
    let (effect, after) = decide(head, posting, target).map_err(refused)?;
    WalletEvent::from_decision(event_id, head, posting, effect, after, at).map_err(refused)
}

impl SetWalletHead {
    pub(crate) fn of(head: &WalletHead, at: DateTime<Utc>) -> Self {
        SetWalletHead {
            seq: head.seq,
            cash: head.balances.cash.minor_units(),
            bonus: head.balances.bonus.minor_units(),
            lifetime_wagered: head.lifetime_wagered,
            lifetime_deposited: head.lifetime_deposited,
            lifetime_net: head.lifetime_net,
            lifetime_deposits: head.lifetime_deposits,
            updated_at: DbTime(at),
            player: DbId(head.player_id.as_uuid()),
        }
    }
}

fn rows_to_events(rows: Vec<EventRow>) -> Result<Vec<WalletEvent>, DbError> {
    rows.into_iter().map(WalletEvent::try_from).collect()
}

#[backend_queries]
mod queries {
    pub(crate) async fn open_wallet(c: &mut Conn, player: DbId, currency: Currency, at: DbTime) -> QueryResult<()> {
        diesel::insert_into(wallets::table)
            .values((
                wallets::player_id.eq(player),
                wallets::currency.eq(currency.as_str()),
                wallets::seq.eq(0),
                wallets::cash.eq(0),
                wallets::bonus.eq(0),
                wallets::lifetime_wagered.eq(0),
                wallets::lifetime_deposited.eq(0),
                wallets::lifetime_net.eq(0),
                wallets::lifetime_deposits.eq(0),
                wallets::updated_at.eq(at),
            ))
            .on_conflict_do_nothing()
            .execute(c)
            .await?;
        Ok(())
    }

    /// Locks the wallet for the rest of the transaction and reads its head.
    pub(crate) async fn lock_head(c: &mut Conn, player: DbId) -> Result<Option<WalletHead>, DbError> {
        let row = LockWallet { player }.get_result::<WalletRow>(c).await.optional()?;
        row.map(WalletHead::try_from).transpose()
    }

    /// Applies one posting inside the caller's transaction, after `head` (which the
    /// caller locked with [`lock_head`]), and moves `head` on. Only a round rollback
    /// passes `rounds_may_compensate`.
    pub(crate) async fn post_in_tx(
        c: &mut Conn,
        head: &mut WalletHead,
        posting: &Posting,
        event_id: Uuid,
        at: DateTime<Utc>,
        rounds_may_compensate: bool,
    ) -> Result<PostOutcome, PostFailure> {
        let player = DbId(head.player_id.as_uuid());
        let previous = wallet_events::table
            .filter(wallet_events::player_id.eq(player))
            .filter(wallet_events::idempotency_key.eq(posting.idempotency_key.as_str()))
            .select(EventRow::as_select())
            .first(c)
            .await
            .optional()?;
        if let Some(row) = previous {
            let event = WalletEvent::try_from(row)?;
            return if event.request_fingerprint == posting.fingerprint() {
                Ok(PostOutcome { event, replayed: true })
            } else {
                Err(PostFailure::Post(PostError::IdempotencyConflict))
            };
        }
        let target = match posting.compensates {
            None => None,
            Some(bet_id) => {
                let bet = wallet_events::table
                    .filter(wallet_events::id.eq(DbId(bet_id)))
                    .filter(wallet_events::player_id.eq(player))
                    .select(EventRow::as_select())
                    .first(c)
                    .await
                    .optional()?
                    .map(WalletEvent::try_from)
                    .transpose()?;
                let compensated: i64 = wallet_events::table
                    .filter(wallet_events::compensates.eq(Some(DbId(bet_id))))
                    .count()
                    .get_result(c)
                    .await?;
                // A round's BET and WIN are compensated only by rolling back the round,
                // which keeps the round record and the wallet in step.
                if !rounds_may_compensate && bet.as_ref().is_some_and(is_round_event) {
                    return Err(PostFailure::Post(PostError::Rejected(wallet_core::PostingError::RoundEvent)));
                }
                bet.map(|b| (b, compensated > 0))
            }
        };
        let event = decide_event(head, posting, target.as_ref().map(|(b, done)| (b, *done)), event_id, at)?;
        let next = event.advance(head);
        c.execute_in_order(&[&InsertEvent::from(&event), &SetWalletHead::of(&next, at)]).await?;
        *head = next;
        Ok(PostOutcome { event, replayed: false })
    }

    pub(crate) async fn post(
        c: &mut Conn,
        player: DbId,
        posting: Posting,
        event_id: Uuid,
        at: DateTime<Utc>,
    ) -> Result<PostOutcome, PostFailure> {
        c.transaction(async |c| {
            let mut head = lock_head(c, player).await?.ok_or(PostFailure::Post(PostError::WalletNotFound))?;
            post_in_tx(c, &mut head, &posting, event_id, at, false).await
        })
        .await
    }

    pub(crate) async fn head(c: &mut Conn, player: DbId) -> Result<Option<WalletHead>, DbError> {
        let row = wallets::table.find(player).select(WalletRow::as_select()).first(c).await.optional()?;
        row.map(WalletHead::try_from).transpose()
    }

    pub(crate) async fn history(c: &mut Conn, player: DbId, q: HistoryQuery) -> Result<Vec<WalletEvent>, DbError> {
        let mut query = wallet_events::table.filter(wallet_events::player_id.eq(player)).into_boxed();
        if let Some(before) = q.before_seq {
            query = query.filter(wallet_events::seq.lt(before));
        }
        if let Some(t) = q.event_type {
            query = query.filter(wallet_events::event_type.eq(t.as_str()));
        }
        let rows = query.order(wallet_events::seq.desc()).limit(q.limit).select(EventRow::as_select()).load(c).await?;
        rows_to_events(rows)
    }

    pub(crate) async fn snapshot(
        c: &mut Conn,
        player: DbId,
    ) -> Result<Option<(WalletHead, Vec<WalletEvent>)>, DbError> {
        c.transaction(async |c| {
            // Holding the wallet's lock keeps postings out between the two reads.
            let Some(head) = lock_head(c, player).await? else { return Ok(None) };
            Ok(Some((head, stream(c, player).await?)))
        })
        .await
    }

    pub(crate) async fn stream(c: &mut Conn, player: DbId) -> Result<Vec<WalletEvent>, DbError> {
        let rows = wallet_events::table
            .filter(wallet_events::player_id.eq(player))
            .order(wallet_events::seq.asc())
            .select(EventRow::as_select())
            .load(c)
            .await?;
        rows_to_events(rows)
    }

    pub(crate) async fn search(c: &mut Conn, f: &EventFilter) -> Result<(Vec<WalletEvent>, i64), DbError> {
        let total: i64 = filter_events!(wallet_events::table.into_boxed(), f).count().get_result(c).await?;
        let q = filter_events!(wallet_events::table.into_boxed(), f);
        let q = match f.order {
            EventOrder::Newest => q.order(wallet_events::position.desc()),
            EventOrder::Oldest => q.order(wallet_events::position.asc()),
            EventOrder::AmountDesc => q.order((wallet_events::amount.desc(), wallet_events::position.desc())),
            EventOrder::AmountAsc => q.order((wallet_events::amount.asc(), wallet_events::position.asc())),
        };
        let rows = q.limit(f.limit).offset(f.offset).select(EventRow::as_select()).load(c).await?;
        Ok((rows_to_events(rows)?, total))
    }

    pub(crate) async fn money_by_day(c: &mut Conn, since: DbTime) -> Result<Vec<MoneyDay>, DbError> {
        let day = <Conn as Dialect>::utc_day("created_at");
        let rows: Vec<(String, String, i64, i64)> = diesel::dsl::sql::<(Text, Text, BigInt, BigInt)>(&format!(
            "SELECT {day}, currency, \
             CAST(COALESCE(SUM(CASE WHEN event_type = 'DEPOSIT' THEN amount ELSE 0 END), 0) AS BIGINT), \
             CAST(COALESCE(SUM(CASE WHEN event_type = 'WITHDRAWAL' THEN amount ELSE 0 END), 0) AS BIGINT) \
             FROM wallet_events WHERE event_type IN ('DEPOSIT', 'WITHDRAWAL') AND created_at >= "
        ))
        .bind::<DbTimestamp, _>(since)
        .sql(" GROUP BY 1, 2 ORDER BY 1, 2")
        .load(c)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(day, currency, deposits, withdrawals)| MoneyDay { day, currency, deposits, withdrawals })
            .collect())
    }

    pub(crate) async fn active_players_since(c: &mut Conn, since: DbTime) -> Result<i64, DbError> {
        Ok(wallet_events::table
            .filter(wallet_events::created_at.ge(since))
            .select(diesel::dsl::count(wallet_events::player_id).aggregate_distinct())
            .get_result(c)
            .await?)
    }

    pub(crate) async fn recent(c: &mut Conn, limit: i64) -> Result<Vec<WalletEvent>, DbError> {
        let rows = wallet_events::table
            .order(wallet_events::position.desc())
            .limit(limit)
            .select(EventRow::as_select())
            .load(c)
            .await?;
        rows_to_events(rows)
    }
}

impl WalletRepository for Db {
    async fn open(&self, player_id: AccountId, currency: Currency, at: DateTime<Utc>) -> Result<(), StoreError> {
        let r: Result<(), DbError> =
            async { Ok(dispatch!(write self, self::open_wallet(DbId(player_id.as_uuid()), currency, DbTime(at)))?) }
                .await;
        Ok(r?)
    }

    async fn post(
        &self,
        player_id: AccountId,
        posting: Posting,
        event_id: Uuid,
        at: DateTime<Utc>,
    ) -> Result<PostOutcome, PostError> {
        let r: Result<_, PostFailure> =
            async { dispatch!(write self, self::post(DbId(player_id.as_uuid()), posting, event_id, at)) }.await;
        Ok(r?)
    }

    async fn head(&self, player_id: AccountId) -> Result<Option<WalletHead>, StoreError> {
        let r: Result<_, DbError> = async { dispatch!(read self, self::head(DbId(player_id.as_uuid()))) }.await;
        Ok(r?)
    }

    async fn history(&self, player_id: AccountId, q: HistoryQuery) -> Result<Vec<WalletEvent>, StoreError> {
        let r: Result<_, DbError> = async { dispatch!(stale self, self::history(DbId(player_id.as_uuid()), q)) }.await;
        Ok(r?)
    }

    async fn snapshot(&self, player_id: AccountId) -> Result<Option<(WalletHead, Vec<WalletEvent>)>, StoreError> {
        let r: Result<_, DbError> =
            async { dispatch!(write_long self, self::snapshot(DbId(player_id.as_uuid()))) }.await;
        Ok(r?)
    }

    async fn stream(&self, player_id: AccountId) -> Result<Vec<WalletEvent>, StoreError> {
        let r: Result<_, DbError> = async { dispatch!(read self, self::stream(DbId(player_id.as_uuid()))) }.await;
        Ok(r?)
    }

    async fn recent(&self, limit: i64) -> Result<Vec<WalletEvent>, StoreError> {
        let r: Result<_, DbError> = async { dispatch!(stale self, self::recent(limit)) }.await;
        Ok(r?)
    }
}

impl Db {
    /// Wallet events platform-wide matching `filter`, and how many match.
    pub async fn search_events(&self, filter: &EventFilter) -> Result<(Vec<WalletEvent>, i64), DbError> {
        dispatch!(stale self, self::search(filter))
    }

    /// Deposits and withdrawals per UTC day and currency, from `since` on.
    pub async fn money_by_day(&self, since: DateTime<Utc>) -> Result<Vec<MoneyDay>, DbError> {
        dispatch!(stale self, self::money_by_day(DbTime(since)))
    }

    /// Players whose wallet moved (money or play) from `since` on.
    pub async fn active_players_since(&self, since: DateTime<Utc>) -> Result<i64, DbError> {
        dispatch!(stale self, self::active_players_since(DbTime(since)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head_row() -> WalletRow {
        WalletRow {
            player_id: DbId(Uuid::nil()),
            currency: "EUR".into(),
            seq: 2,
            cash: 500,
            bonus: 50,
            lifetime_wagered: 0,
            lifetime_deposited: 550,
            lifetime_net: 0,
            lifetime_deposits: 2,
        }
    }

    fn event_row() -> EventRow {
        EventRow {
            id: DbId(Uuid::nil()),
            player_id: DbId(Uuid::nil()),
            seq: 1,
            event_type: "DEPOSIT".into(),
            amount: 500,
            currency: "EUR".into(),
            cash_delta: 500,
            bonus_delta: 0,
            cash_balance_after: 500,
            bonus_balance_after: 0,
            idempotency_key: "k".into(),
            request_fingerprint: "f".into(),
            reference: None,
            compensates: None,
            created_at: DbTime(Utc::now()),
            posted_by: None,
            reason: None,
            approved_by: None,
            wagered_after: 0,
            net_after: 0,
            deposited_after: 500,
            deposits_after: 1,
        }
    }

    #[test]
    fn stored_balances_and_amounts_are_money_and_a_negative_one_is_a_corrupt_row() {
        let head = WalletHead::try_from(head_row()).unwrap();
        assert_eq!((head.balances.cash.minor_units(), head.balances.bonus.minor_units()), (500, 50));
        let event = WalletEvent::try_from(event_row()).unwrap();
        assert_eq!((event.amount.minor_units(), event.cash_balance_after.minor_units()), (500, 500));
        for corrupt in [WalletRow { cash: -1, ..head_row() }, WalletRow { bonus: -1, ..head_row() }] {
            assert!(matches!(WalletHead::try_from(corrupt), Err(DbError::Row(_))), "not a zero balance");
        }
        let corrupt = [
            EventRow { amount: -500, ..event_row() },
            EventRow { cash_balance_after: -1, ..event_row() },
            EventRow { bonus_balance_after: -1, ..event_row() },
        ];
        for corrupt in corrupt {
            assert!(matches!(WalletEvent::try_from(corrupt), Err(DbError::Row(_))));
        }
        // A debit's delta is signed on purpose: only sums of money are never negative.
        let debit =
            EventRow { event_type: "WITHDRAWAL".into(), cash_delta: -500, cash_balance_after: 0, ..event_row() };
        assert_eq!(WalletEvent::try_from(debit).unwrap().cash_delta, -500);
    }
}
