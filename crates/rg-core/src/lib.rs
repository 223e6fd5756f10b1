//! Responsible gaming: the rules that protect a player from themselves.
//!
//! - [`Profiles`] says, per jurisdiction, how long loosening a limit waits, the shortest
//!   self-exclusion, any mandatory monthly deposit cap and any [`StakeCap`]s (the GB slot
//!   stake limits by age).
//! - [`DepositLimits`] and [`SessionLimits`] are [`LimitState`]s: a stricter setting
//!   binds at once, a looser one (or a removal) waits for the cooling-off.
//! - [`Exclusion`]s (time-outs and self-exclusions) can only ever be extended.
//! - [`reality_check_due`] and [`RealityCheck`] remind a player how long and how much
//!   they have played.
//!
//! Everything here is pure: time comes in as an argument, storage goes through the
//! [`RgRepository`] port. Every refusal is an [`RgError`].

#[macro_use]
mod text_enum;

mod change;
mod error;
mod exclusion;
mod jurisdiction;
mod limit;
mod limits;
mod measure;
pub mod memory;
mod port;
mod session;

pub use change::{RgChange, RgChanged, change_settings};
pub use error::RgError;
pub use exclusion::{
    Exclusion, ExclusionKind, ExclusionRequest, SelfExclusionDuration, TimeoutDuration, check_not_excluded,
    request_exclusion,
};
pub use jurisdiction::{JurisdictionProfile, Profiles, ProfilesError, StakeCap};
pub use limit::{LimitState, PendingChange};
pub use limits::{
    DepositLimits, DepositUsage, LimitPeriod, LimitsView, PendingLimitView, PeriodView, change_limit, check_deposit,
};
pub use measure::{Measure, RgRecord};
pub use port::{RgRepository, RgSettings, StoreError};
pub use session::{
    DailyMinutes, RealityCheck, RealityCheckMinutes, SessionLimits, SessionLimitsRequest, change_session_limits,
    check_session_time, reality_check_due,
};

#[cfg(feature = "testkit")]
pub mod contract;

/// `at + by`, saturating at the end of representable time instead of panicking.
fn later_by(at: chrono::DateTime<chrono::Utc>, by: chrono::Duration) -> chrono::DateTime<chrono::Utc> {
    at.checked_add_signed(by).unwrap_or(chrono::DateTime::<chrono::Utc>::MAX_UTC)
}
