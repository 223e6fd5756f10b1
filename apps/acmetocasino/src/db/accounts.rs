//! Accounts, player profiles and refresh tokens.

use super::schema::{accounts, players, refresh_tokens, wallets};
use super::types::{DbId, DbTime};
use super::{Db, DbError, backend_queries, dispatch, unique_violation};
use chrono::NaiveDate;
use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};
use kernel::{AccountId, Currency};
use pam_core::port::{
    AccountRepository, CreateAccountError, Credentials, RefreshTokenRepository, StoreError, UniqueField,
};
use pam_core::{
    Account, AccountStatus, Country, DateOfBirth, Email, KycState, NewAccount, Player, PlayerFilter, PlayerOrder,
    PlayerPage, PlayerProfile, RefreshTokenRecord, Role, Username,
};
use uuid::Uuid;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = accounts)]
pub(crate) struct AccountRow {
    id: DbId,
    username: String,
    email: String,
    password_hash: String,
    role: String,
    status: String,
    created_at: DbTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = players)]
pub(crate) struct ProfileRow {
    account_id: DbId,
    date_of_birth: NaiveDate,
    country: String,
    currency: String,
    kyc_status: String,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = refresh_tokens)]
pub(crate) struct RefreshTokenRow {
    id: DbId,
    family_id: DbId,
    account_id: DbId,
    token_hash: String,
    created_at: DbTime,
    expires_at: DbTime,
    used_at: Option<DbTime>,
    revoked_at: Option<DbTime>,
}

fn bad(what: &str, value: &str) -> DbError {
    DbError::Row(format!("invalid {what} {value:?}"))
}

impl TryFrom<AccountRow> for Account {
    type Error = DbError;
    fn try_from(r: AccountRow) -> Result<Self, DbError> {
        Ok(Account {
            id: AccountId::from_uuid(r.id.0),
            username: Username::parse(&r.username).map_err(|_| bad("username", &r.username))?,
            email: Email::parse(&r.email).map_err(|_| bad("email", &r.email))?,
            role: Role::parse(&r.role).ok_or_else(|| bad("role", &r.role))?,
            status: AccountStatus::parse(&r.status).ok_or_else(|| bad("status", &r.status))?,
            created_at: r.created_at.0,
        })
    }
}

fn profile(r: ProfileRow, lifetime_wagered: i64) -> Result<PlayerProfile, DbError> {
    Ok(PlayerProfile {
        date_of_birth: DateOfBirth::from_stored(r.date_of_birth),
        country: Country::parse(&r.country).map_err(|_| bad("country", &r.country))?,
        currency: Currency::parse(&r.currency).map_err(|_| bad("currency", &r.currency))?,
        kyc_status: KycState::parse(&r.kyc_status).ok_or_else(|| bad("kyc_status", &r.kyc_status))?,
        lifetime_wagered,
    })
}

fn to_player((a, p, wagered): (AccountRow, ProfileRow, i64)) -> Result<Player, DbError> {
    Ok(Player { account: a.try_into()?, profile: profile(p, wagered)? })
}

impl From<RefreshTokenRow> for RefreshTokenRecord {
    fn from(r: RefreshTokenRow) -> Self {
        RefreshTokenRecord {
            id: r.id.0,
            family_id: r.family_id.0,
            account_id: AccountId::from_uuid(r.account_id.0),
            token_hash: r.token_hash,
            created_at: r.created_at.0,
            expires_at: r.expires_at.0,
            used_at: r.used_at.map(|t| t.0),
            revoked_at: r.revoked_at.map(|t| t.0),
        }
    }
}

/// `%q%` with LIKE's wildcards in `q` escaped by `\`.
fn like_pattern(q: &str) -> String {
    let escaped = q.to_lowercase().replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
    format!("%{escaped}%")
}

/// The player-list filters, applied to a boxed `accounts ⋈ players ⋈ wallets` query.
macro_rules! filter_players {
    ($query:expr, $f:expr) => {{
        let f: &PlayerFilter = $f;
        let mut q = $query.filter(accounts::role.eq(Role::Player.as_str()));
        if let Some(s) = f.status {
            q = q.filter(accounts::status.eq(s.as_str()));
        }
        if let Some(k) = f.kyc_status {
            q = q.filter(players::kyc_status.eq(k.as_str()));
        }
        if let Some(t) = f.vip_tier {
            let (lo, hi) = t.wagered_range();
            q = q.filter(wallets::lifetime_wagered.ge(lo));
            if let Some(hi) = hi {
                q = q.filter(wallets::lifetime_wagered.lt(hi));
            }
        }
        if let Some(country) = f.country {
            q = q.filter(players::country.eq(country.as_str().to_owned()));
        }
        if let Some(text) = f.q.as_deref().filter(|t| !t.is_empty()) {
            let p = like_pattern(text);
            q = q.filter(accounts::username.like(p.clone()).escape('\\').or(accounts::email.like(p).escape('\\')));
        }
        q
    }};
}

pub(crate) enum CreateFailure {
    Db(DbError),
    Duplicate(UniqueField),
}

impl From<DbError> for CreateFailure {
    fn from(e: DbError) -> Self {
        CreateFailure::Db(e)
    }
}

impl From<diesel::result::Error> for CreateFailure {
    fn from(e: diesel::result::Error) -> Self {
        match unique_violation(&e) {
            Some(c) if c.contains("username") => CreateFailure::Duplicate(UniqueField::Username),
            Some(c) if c.contains("email") => CreateFailure::Duplicate(UniqueField::Email),
            _ => CreateFailure::Db(e.into()),
        }
    }
}

#[backend_queries(siblings(wallet))]
mod queries {

    pub(crate) async fn create(c: &mut Conn, new: NewAccount) -> Result<(), CreateFailure> {
        let a = &new.account;
        let row = AccountRow {
            id: DbId(a.id.as_uuid()),
            username: a.username.as_str().to_owned(),
            email: a.email.as_str().to_owned(),
            password_hash: new.password_hash.clone(),
            role: a.role.as_str().to_owned(),
            status: a.status.as_str().to_owned(),
            created_at: DbTime(a.created_at),
        };
        c.transaction(async |c| {
            diesel::insert_into(accounts::table).values(&row).execute(c).await?;
            if let Some(p) = &new.profile {
                let prow = ProfileRow {
                    account_id: row.id,
                    date_of_birth: p.date_of_birth.date(),
                    country: p.country.as_str().to_owned(),
                    currency: p.currency.as_str().to_owned(),
                    kyc_status: p.kyc_status.as_str().to_owned(),
                };
                diesel::insert_into(players::table).values(&prow).execute(c).await?;
                // Every player gets a wallet in their currency, atomically.
                wallet::open_wallet(c, row.id, p.currency, row.created_at).await?;
            }
            Ok::<_, CreateFailure>(())
        })
        .await
    }

    pub(crate) async fn credentials(c: &mut Conn, login: &str) -> Result<Option<Credentials>, DbError> {
        let row = accounts::table
            .filter(accounts::username.eq(login).or(accounts::email.eq(login)))
            .select(AccountRow::as_select())
            .first(c)
            .await
            .optional()?;
        row.map(|r| {
            let password_hash = r.password_hash.clone();
            Ok(Credentials { account: r.try_into()?, password_hash })
        })
        .transpose()
    }

    pub(crate) async fn account(c: &mut Conn, id: DbId) -> Result<Option<Account>, DbError> {
        let row = accounts::table.find(id).select(AccountRow::as_select()).first(c).await.optional()?;
        row.map(Account::try_from).transpose()
    }

    pub(crate) async fn player(c: &mut Conn, id: DbId) -> Result<Option<Player>, DbError> {
        let row = accounts::table
            .inner_join(players::table.inner_join(wallets::table))
            .filter(accounts::id.eq(id))
            .select((AccountRow::as_select(), ProfileRow::as_select(), wallets::lifetime_wagered))
            .first::<(AccountRow, ProfileRow, i64)>(c)
            .await
            .optional()?;
        row.map(to_player).transpose()
    }

    pub(crate) async fn players(c: &mut Conn, f: &PlayerFilter) -> Result<PlayerPage, DbError> {
        let base = || accounts::table.inner_join(players::table.inner_join(wallets::table)).into_boxed();
        let total: i64 = filter_players!(base(), f).count().get_result(c).await?;
        let q = filter_players!(base(), f);
        let q = match f.order {
            PlayerOrder::NewestFirst => q.order((accounts::created_at.desc(), accounts::id.desc())),
            PlayerOrder::OldestFirst => q.order((accounts::created_at.asc(), accounts::id.asc())),
            PlayerOrder::UsernameAsc => q.order(accounts::username.asc()),
            PlayerOrder::UsernameDesc => q.order(accounts::username.desc()),
        };
        let rows = q
            .limit(f.limit)
            .offset(f.offset)
            .select((AccountRow::as_select(), ProfileRow::as_select(), wallets::lifetime_wagered))
            .load::<(AccountRow, ProfileRow, i64)>(c)
            .await?;
        Ok(PlayerPage { items: rows.into_iter().map(to_player).collect::<Result<_, _>>()?, total })
    }

    pub(crate) async fn staff(
        c: &mut Conn,
        role: Option<Role>,
        limit: i64,
        offset: i64,
    ) -> Result<(Vec<Account>, i64), DbError> {
        let base = || {
            let q = accounts::table.filter(accounts::role.ne(Role::Player.as_str())).into_boxed();
            match role {
                Some(r) => q.filter(accounts::role.eq(r.as_str())),
                None => q,
            }
        };
        let total: i64 = base().count().get_result(c).await?;
        let rows = base()
            .order((accounts::created_at.desc(), accounts::id.desc()))
            .limit(limit)
            .offset(offset)
            .select(AccountRow::as_select())
            .load(c)
            .await?;
        Ok((rows.into_iter().map(Account::try_from).collect::<Result<_, _>>()?, total))
    }

    pub(crate) async fn insert_refresh_token(c: &mut Conn, row: RefreshTokenRow) -> Result<(), DbError> {
        diesel::insert_into(refresh_tokens::table).values(&row).execute(c).await?;
        Ok(())
    }

    pub(crate) async fn find_refresh_token(c: &mut Conn, hash: &str) -> Result<Option<RefreshTokenRecord>, DbError> {
        let row = refresh_tokens::table
            .filter(refresh_tokens::token_hash.eq(hash))
            .select(RefreshTokenRow::as_select())
            .first(c)
            .await
            .optional()?;
        Ok(row.map(Into::into))
    }

    pub(crate) async fn mark_refresh_token_used(c: &mut Conn, id: DbId, at: DbTime) -> Result<bool, DbError> {
        // Conditional on still being unused: of two racing uses exactly one updates.
        let n = diesel::update(refresh_tokens::table.find(id).filter(refresh_tokens::used_at.is_null()))
            .set(refresh_tokens::used_at.eq(Some(at)))
            .execute(c)
            .await?;
        Ok(n == 1)
    }

    pub(crate) async fn session_standing(c: &mut Conn, account: DbId, family: DbId) -> Result<Option<String>, DbError> {
        let live = refresh_tokens::table
            .filter(refresh_tokens::family_id.eq(family))
            .filter(refresh_tokens::account_id.eq(account))
            .filter(refresh_tokens::revoked_at.is_null());
        let status = accounts::table
            .filter(accounts::id.eq(account))
            .filter(diesel::dsl::exists(live))
            .select(accounts::status)
            .first::<String>(c)
            .await
            .optional()?;
        Ok(status)
    }

    pub(crate) async fn revoke_refresh_family(c: &mut Conn, family: DbId, at: DbTime) -> Result<u64, DbError> {
        let n = diesel::update(
            refresh_tokens::table
                .filter(refresh_tokens::family_id.eq(family))
                .filter(refresh_tokens::revoked_at.is_null()),
        )
        .set(refresh_tokens::revoked_at.eq(Some(at)))
        .execute(c)
        .await?;
        Ok(n as u64)
    }
}

impl Db {
    /// The account's status while the session (refresh-token family) is alive: `None`
    /// once it was revoked (sign-out, reuse detection) or for an unknown session.
    pub async fn session_standing(&self, account: AccountId, family: Uuid) -> Result<Option<AccountStatus>, DbError> {
        let status: Option<String> =
            dispatch!(read self, self::session_standing(DbId(account.as_uuid()), DbId(family)))?;
        status.map(|s| AccountStatus::parse(&s).ok_or_else(|| bad("status", &s))).transpose()
    }

    /// Staff accounts (of `role`, or every staff role), newest first, and how many match.
    pub async fn staff_accounts(
        &self,
        role: Option<Role>,
        limit: i64,
        offset: i64,
    ) -> Result<(Vec<Account>, i64), DbError> {
        dispatch!(stale self, self::staff(role, limit, offset))
    }
}

impl AccountRepository for Db {
    async fn create(&self, new: NewAccount) -> Result<(), CreateAccountError> {
        let r: Result<(), CreateFailure> = async { dispatch!(write self, self::create(new)) }.await;
        r.map_err(|e| match e {
            CreateFailure::Duplicate(f) => CreateAccountError::Duplicate(f),
            CreateFailure::Db(e) => CreateAccountError::Store(e.into()),
        })
    }

    async fn credentials(&self, login: &str) -> Result<Option<Credentials>, StoreError> {
        let r: Result<_, DbError> = async { dispatch!(read self, self::credentials(login)) }.await;
        Ok(r?)
    }

    async fn account(&self, id: AccountId) -> Result<Option<Account>, StoreError> {
        let r: Result<_, DbError> = async { dispatch!(read self, self::account(DbId(id.as_uuid()))) }.await;
        Ok(r?)
    }

    async fn player(&self, id: AccountId) -> Result<Option<Player>, StoreError> {
        let r: Result<_, DbError> = async { dispatch!(read self, self::player(DbId(id.as_uuid()))) }.await;
        Ok(r?)
    }

    async fn players(&self, filter: &PlayerFilter) -> Result<PlayerPage, StoreError> {
        let r: Result<_, DbError> = async { dispatch!(stale self, self::players(filter)) }.await;
        Ok(r?)
    }
}

impl RefreshTokenRepository for Db {
    async fn insert_refresh_token(&self, t: RefreshTokenRecord) -> Result<(), StoreError> {
        let row = RefreshTokenRow {
            id: DbId(t.id),
            family_id: DbId(t.family_id),
            account_id: DbId(t.account_id.as_uuid()),
            token_hash: t.token_hash,
            created_at: DbTime(t.created_at),
            expires_at: DbTime(t.expires_at),
            used_at: t.used_at.map(DbTime),
            revoked_at: t.revoked_at.map(DbTime),
        };
        let r: Result<_, DbError> = async { dispatch!(write self, self::insert_refresh_token(row)) }.await;
        Ok(r?)
    }

    async fn find_refresh_token(&self, hash: &str) -> Result<Option<RefreshTokenRecord>, StoreError> {
        let r: Result<_, DbError> = async { dispatch!(read self, self::find_refresh_token(hash)) }.await;
        Ok(r?)
    }

    async fn mark_refresh_token_used(&self, id: Uuid, at: chrono::DateTime<chrono::Utc>) -> Result<bool, StoreError> {
        let r: Result<_, DbError> =
            async { dispatch!(write self, self::mark_refresh_token_used(DbId(id), DbTime(at))) }.await;
        Ok(r?)
    }

    async fn revoke_refresh_family(&self, family: Uuid, at: chrono::DateTime<chrono::Utc>) -> Result<u64, StoreError> {
        let r: Result<_, DbError> =
            async { dispatch!(write self, self::revoke_refresh_family(DbId(family), DbTime(at))) }.await;
        Ok(r?)
    }
}
