//! The regulator's report in the store: money, play, exclusions and alerts per
//! jurisdiction.
use super::schema::{aml_alerts, exclusions, harm_alerts, players, provider_transactions, rounds, wallet_events};
use super::types::DbTime;
use super::{Db, DbError, backend_queries, dispatch};
use chrono::{DateTime, Utc};
use compliance_core::ReportRow;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

#[backend_queries]
mod queries {
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
        // Third-party providers' play: the bets that stand and the wins paid.
        let provided: Vec<(String, String, i64)> = provider_transactions::table
            .inner_join(players::table.on(players::account_id.eq(provider_transactions::player_id)))
            .filter(provider_transactions::created_at.ge(from))
            .filter(provider_transactions::created_at.lt(to))
            .filter(provider_transactions::kind.eq_any(["bet", "win"]))
            .filter(provider_transactions::status.eq("applied"))
            .select((players::country, provider_transactions::kind, provider_transactions::amount))
            .load(c)
            .await?;
        for (country, kind, amount) in provided {
            let r = rows
                .entry(country.clone())
                .or_insert_with(|| ReportRow { jurisdiction: country, ..Default::default() });
            let total = if kind == "bet" { &mut r.wagered } else { &mut r.paid };
            *total = crate::db::money_total([*total, amount])?;
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

impl Db {
    pub async fn report(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Result<Vec<ReportRow>, DbError> {
        dispatch!(stale self, self::report(DbTime(from), DbTime(to)))
    }
}
