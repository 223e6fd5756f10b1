//! Player account management: who may use the platform and how they prove it.
//!
//! Domain types ([`Username`], [`Email`], [`Password`], [`DateOfBirth`], [`Country`])
//! can only hold valid values. [`PamService`] runs registration, login with
//! throttling, refresh-token rotation with reuse detection, logout and staff
//! creation over the ports in [`port`].

mod model;
mod player;
mod service;
mod types;

pub mod memory;
pub mod port;

pub use model::{
    Account, AccountStatus, KycState, NewAccount, Player, PlayerFilter, PlayerOrder, PlayerPage, PlayerProfile,
    RefreshTokenRecord, Role, VipTier,
};
#[cfg(any(test, feature = "testkit"))]
pub use player::example_player;
pub use player::{PlayAllowed, PlayState, PlayerContext, UnreadableSettings, check_play, needs_minutes_played};
pub use service::{
    AttemptLimits, FieldError, IssuedSession, LoginError, PamService, RefreshError, RegisterError, Registration,
    StaffRegistration, ThrottleScope, TokenPolicy, ValidationErrors, hash_refresh_token,
};
pub use types::{Country, DateOfBirth, Email, Password, TypeError, Username};

#[cfg(feature = "testkit")]
pub mod contract;
