//! The audit log: every staff action, who took it and what it changed.

use chrono::{DateTime, Utc};
use kernel::AccountId;
use serde_json::Value;
use uuid::Uuid;

/// A staff action as recorded.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditEntry {
    pub id: Uuid,
    pub actor: AccountId,
    pub action: String,
    pub target: String,
    pub before: Option<Value>,
    pub after: Option<Value>,
    pub at: DateTime<Utc>,
}

/// Which audit entries a search returns, newest first.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub action: Option<String>,
    pub actor: Option<AccountId>,
    /// Exactly this target (`player:{id}`, `game:{slug}`, `round:{id}`, …).
    pub target: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    pub limit: i64,
    pub offset: i64,
}
