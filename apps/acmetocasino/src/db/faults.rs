//! Named points where tests make a round's transaction fail, to prove it atomic.
//!
//! Only a build with the `fault-injection` feature (the tests' build) can arm one; in
//! any other build [`FaultPoints`] is empty and a round adds nothing to its writes.

#[cfg(feature = "fault-injection")]
use super::Db;
use super::statement::Pipelined;
#[cfg(feature = "fault-injection")]
use super::{types::DbId, types::sql::DbUuid};

/// The fault points a test has armed (none outside the `fault-injection` feature).
#[derive(Default)]
pub struct FaultPoints {
    #[cfg(feature = "fault-injection")]
    armed: std::sync::Mutex<std::collections::HashSet<&'static str>>,
}

#[cfg(feature = "fault-injection")]
impl FaultPoints {
    pub fn arm(&self, point: &'static str) {
        self.armed.lock().unwrap_or_else(|e| e.into_inner()).insert(point);
    }

    pub fn disarm(&self, point: &'static str) {
        self.armed.lock().unwrap_or_else(|e| e.into_inner()).remove(point);
    }

    fn armed(&self, point: &'static str) -> bool {
        self.armed.lock().unwrap_or_else(|e| e.into_inner()).contains(point)
    }
}

impl FaultPoints {
    /// What a round adds behind its writes: `RefusedWrite` while `FAULT_AFTER_BET` is
    /// armed, else (and always outside the `fault-injection` feature) nothing.
    pub(crate) fn after_bet(&self) -> Option<&'static dyn Pipelined> {
        #[cfg(feature = "fault-injection")]
        if self.armed(FAULT_AFTER_BET) {
            return Some(&REFUSED_WRITE);
        }
        None
    }
}

/// The fault point right after a round's writes (its `BET` first), in the same pipeline:
/// a write the database refuses ([`RefusedWrite`]).
#[cfg(feature = "fault-injection")]
pub const FAULT_AFTER_BET: &str = "round.after_bet";

#[cfg(feature = "fault-injection")]
super::statement::prepared! {
    /// What [`FAULT_AFTER_BET`] adds behind a round's writes: a round without a session,
    /// a player or an amount, which both databases refuse (`NOT NULL`).
    struct RefusedWrite = "INSERT INTO rounds (id) VALUES (?)" {
        id: DbId => DbUuid,
    }
}

#[cfg(feature = "fault-injection")]
static REFUSED_WRITE: RefusedWrite = RefusedWrite { id: DbId(uuid::Uuid::nil()) };

#[cfg(feature = "fault-injection")]
impl Db {
    /// The fault points tests arm (feature `fault-injection`).
    pub fn faults(&self) -> &FaultPoints {
        &self.faults
    }
}
