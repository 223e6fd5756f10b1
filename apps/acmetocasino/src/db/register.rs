//! The national self-exclusion register in the store: entries, matching a player
//! against them, and the self-exclusion a listing imposes.
use super::compliance::id;
use super::schema::{accounts, exclusion_register, players};
use super::statement::prepared;
use super::types::sql::DbUuid;
use super::types::{DbId, DbTime};
use super::{Db, DbError, backend_queries, dispatch};
use chrono::{DateTime, NaiveDate, Utc};
use compliance_core::{Person, RegisterMatch};
use diesel::prelude::*;
use diesel::sql_types::{Date, Text};
use diesel_async::{AsyncConnection, RunQueryDsl};
use kernel::AccountId;
use pam_core::AccountStatus;
use serde_json::json;
use uuid::Uuid;

prepared! {
    /// The national register's entries that may list the player: same email, or same
    /// date of birth ([`register_lists`] decides).
    pub(crate) struct RegisterCandidates -> (Text, Date, Text) =
        "SELECT e.email, e.date_of_birth, e.full_name FROM accounts a JOIN players p ON p.account_id = a.id \
         JOIN exclusion_register e ON e.email = a.email OR e.date_of_birth = p.date_of_birth WHERE a.id = ?" {
        player: DbId => DbUuid,
    }
}

/// A national register entry: email, date of birth, full name.
pub(crate) type RegisterEntry = (String, NaiveDate, String);

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

#[backend_queries(siblings(compliance, audit))]
mod queries {
    use audit::record_audit;
    use compliance::player_context;

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
}

impl Db {
    pub async fn apply_register(&self, player: AccountId) -> Result<bool, DbError> {
        dispatch!(write self, self::apply_register(id(player)))
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
}
