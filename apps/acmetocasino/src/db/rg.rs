//! Responsible-gaming settings in the store: loaded and saved (rg-core's port),
//! changed under the wallet's lock, and exclusions recorded.
use super::compliance::id;
use super::schema::{accounts, exclusions, players, rg_settings};
use super::types::{DbId, DbTime};
use super::{Db, DbError, backend_queries, dispatch};
use chrono::{DateTime, Utc};
use compliance_core::Policy;
use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};
use kernel::AccountId;
use pam_core::UnreadableSettings;
use rg_core::{RgChange, RgRecord, RgRepository, RgSettings, StoreError};
use serde_json::Value;
use uuid::Uuid;

/// Stored RG settings, or the defaults when none were saved; settings that do not read
/// are an error for the rules that read them.
pub(crate) fn rg_of(raw: Option<&str>) -> Result<RgSettings, UnreadableSettings> {
    raw.map(|r| serde_json::from_str(r).map_err(|e| UnreadableSettings(e.to_string())))
        .transpose()
        .map(Option::unwrap_or_default)
}

/// [`rg_of`], where settings that do not read are a corrupt row.
pub(crate) fn parse_rg(raw: Option<&str>) -> Result<RgSettings, DbError> {
    Ok(rg_of(raw)?)
}

#[backend_queries(siblings(wallet, compliance))]
mod queries {
    use compliance::player_context;

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

    /// A change the player asks of their RG settings, as load → decide → write under the
    /// wallet's lock: the stored settings and the player's jurisdiction loaded,
    /// [`rg_core::change_settings`] decides, and the settings (with a new exclusion, its
    /// record) are saved.
    pub(crate) async fn change_rg(
        c: &mut Conn,
        player: DbId,
        change: RgChange,
        policy: &Policy,
        at: DateTime<Utc>,
    ) -> Result<Result<RgSettings, rg_core::RgError>, DbError> {
        c.transaction(async |c| {
            wallet::lock_head(c, player).await?;
            let ctx = player_context(c, player).await?.ok_or_else(|| DbError::Row("no such player".into()))?;
            let stored = ctx.rg()?;
            let changed = match rg_core::change_settings(stored, change, policy.profiles.for_country(&ctx.country), at)
            {
                Ok(changed) => changed,
                Err(e) => return Ok(Err(e)),
            };
            if !changed.save {
                return Ok(Ok(changed.settings));
            }
            save_rg(c, player, &changed.settings, DbTime(at)).await?;
            if let (RgChange::Exclusion(request), Some(excl)) = (change, changed.settings.exclusion) {
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
            }
            Ok(Ok(changed.settings))
        })
        .await
    }
}

impl Db {
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

    /// A change the player asks of their RG settings; the settings after it.
    pub async fn change_rg(
        &self,
        player: AccountId,
        change: RgChange,
        policy: &Policy,
        at: DateTime<Utc>,
    ) -> Result<Result<RgSettings, rg_core::RgError>, DbError> {
        dispatch!(write self, self::change_rg(id(player), change, policy, at))
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
