//! AML and markers-of-harm alerts in the store: raised (de-duplicated), listed and
//! reviewed.
use super::schema::{aml_alerts, harm_alerts};
use super::types::{DbId, DbTime};
use super::{Db, DbError, backend_queries, dispatch};
use chrono::{DateTime, Duration, Utc};
use compliance_core::{AlertCandidate, AlertFilter, AlertOrder, AlertStatus, AmlRule, HarmMarker, Intervention};
use compliance_core::{AmlAlert, HarmAlert};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};
use kernel::AccountId;
use serde_json::{Value, json};
use uuid::Uuid;

use super::audit::stored_json;
use super::compliance::{OpenAlertRow, id};

type AlertRow = (DbId, DbId, String, i32, String, String, String, DbTime, Option<DbId>, Option<DbTime>, Option<String>);

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

#[backend_queries(siblings(audit, compliance))]
mod queries {
    use audit::record_audit;
    use compliance::open_alerts;

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
}

impl Db {
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

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
}
