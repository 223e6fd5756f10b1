//! The audit log in the store: staff actions recorded and searched.
use super::compliance::id;
use super::schema::audit_log;
use super::types::{DbId, DbTime};
use super::{Db, DbError, backend_queries, dispatch};
use chrono::{DateTime, Utc};
use compliance_core::{AuditEntry, AuditFilter};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use kernel::AccountId;
use serde_json::Value;
use uuid::Uuid;

type AuditRow = (DbId, DbId, String, String, Option<String>, Option<String>, DbTime);

/// A stored JSON column; text that does not parse is a corrupt row, not `null`.
pub(crate) fn stored_json(column: &str, raw: &str) -> Result<Value, DbError> {
    serde_json::from_str(raw).map_err(|e| DbError::Row(format!("{column}: {e}")))
}

#[backend_queries]
mod queries {
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
}

impl Db {
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
}
