//! The shared kernel: the few value types and ports that several domain cores need
//! (identifiers, money, currency, time, entropy). Pure: no IO, no framework.

#[macro_use]
mod string_enum;

pub mod clock;
pub mod entropy;
pub mod money;
pub mod refusal;
pub mod rtp;
pub mod store;

pub use clock::{Clock, SharedClock, SystemClock};
pub use entropy::Entropy;
pub use money::{Amount, AmountError, Currency, CurrencyError, MAX_AMOUNT, Money, NegativeMoney, checked_sum};
pub use refusal::{Refusal, Refused};
pub use rtp::{Rtp, RtpError};
pub use store::StoreError;

use serde::{Deserialize, Serialize};
use std::fmt;
use uuid::Uuid;

/// The identifier of an account (player or staff member). Players and their wallets
/// share it: one wallet per player.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct AccountId(Uuid);

impl AccountId {
    pub const fn from_uuid(id: Uuid) -> Self {
        Self(id)
    }

    pub const fn as_uuid(&self) -> Uuid {
        self.0
    }
}

impl fmt::Display for AccountId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

#[cfg(feature = "testkit")]
pub mod testkit {
    //! Deterministic stand-ins for the kernel's ports, for tests.
    pub use crate::clock::ManualClock;
    pub use crate::entropy::SeededEntropy;
}
