use crate::types::{Country, DateOfBirth, Email, Username};
use chrono::{DateTime, Utc};
pub use compliance_core::KycState;
use kernel::string_enum;
use kernel::{AccountId, Currency};
use serde::Serialize;
use uuid::Uuid;

string_enum!(
    /// What an account may do. Staff roles are everything but `player`.
    Role { Player = "player", Operator = "operator", Compliance = "compliance", Admin = "admin" }
);

impl Role {
    pub fn is_staff(self) -> bool {
        self != Role::Player
    }
}

string_enum!(
    /// The lifecycle state of an account.
    AccountStatus { Active = "active", Suspended = "suspended", SelfExcluded = "self_excluded", Closed = "closed" }
);

impl AccountStatus {
    /// Whether the account may sign in. Self-excluded players still may (to withdraw).
    pub fn may_sign_in(self) -> bool {
        matches!(self, AccountStatus::Active | AccountStatus::SelfExcluded)
    }
}

string_enum!(
    /// Loyalty tier, derived from the lifetime amount wagered.
    VipTier { Bronze = "bronze", Silver = "silver", Gold = "gold", Platinum = "platinum", Diamond = "diamond" }
);

impl VipTier {
    /// Lower bounds in minor units: 1,000.00 / 10,000.00 / 100,000.00 / 1,000,000.00.
    const THRESHOLDS: [(VipTier, i64); 5] = [
        (VipTier::Bronze, 0),
        (VipTier::Silver, 100_000),
        (VipTier::Gold, 1_000_000),
        (VipTier::Platinum, 10_000_000),
        (VipTier::Diamond, 100_000_000),
    ];

    pub fn from_lifetime_wagered(minor_units: i64) -> Self {
        Self::THRESHOLDS.iter().rev().find(|(_, lo)| minor_units >= *lo).map_or(VipTier::Bronze, |(t, _)| *t)
    }

    /// The half-open range `[low, high)` of lifetime wagered that maps to this tier.
    pub fn wagered_range(self) -> (i64, Option<i64>) {
        let i = Self::THRESHOLDS.iter().position(|(t, _)| *t == self).unwrap_or(0);
        (Self::THRESHOLDS[i].1, Self::THRESHOLDS.get(i + 1).map(|(_, lo)| *lo))
    }
}

/// Any account, player or staff.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Account {
    pub id: AccountId,
    pub username: Username,
    pub email: Email,
    pub role: Role,
    pub status: AccountStatus,
    pub created_at: DateTime<Utc>,
}

/// What only players have.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlayerProfile {
    pub date_of_birth: DateOfBirth,
    pub country: Country,
    pub currency: Currency,
    pub kyc_status: KycState,
    pub lifetime_wagered: i64,
}

/// A player account with its profile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Player {
    pub account: Account,
    pub profile: PlayerProfile,
}

impl Player {
    pub fn vip_tier(&self) -> VipTier {
        VipTier::from_lifetime_wagered(self.profile.lifetime_wagered)
    }
}

/// An account to create, with its password already hashed.
#[derive(Debug, Clone)]
pub struct NewAccount {
    pub account: Account,
    pub password_hash: String,
    /// `Some` for players, `None` for staff.
    pub profile: Option<PlayerProfile>,
}

/// Filters of the staff player list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PlayerFilter {
    pub status: Option<AccountStatus>,
    pub kyc_status: Option<KycState>,
    pub vip_tier: Option<VipTier>,
    /// Case-insensitive substring of username or e-mail.
    pub q: Option<String>,
    pub country: Option<Country>,
    pub order: PlayerOrder,
    pub limit: i64,
    pub offset: i64,
}

string_enum!(
    /// The order of a player list, by its `sort` parameter (`-` first: descending); ties
    /// are broken by id in the same direction.
    #[derive(Default)]
    PlayerOrder {
        #[default]
        NewestFirst = "-created_at",
        OldestFirst = "created_at",
        UsernameAsc = "username",
        UsernameDesc = "-username",
    }
);

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlayerPage {
    pub items: Vec<Player>,
    pub total: i64,
}

/// A stored refresh token: only its hash is ever kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefreshTokenRecord {
    pub id: Uuid,
    pub family_id: Uuid,
    pub account_id: AccountId,
    pub token_hash: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vip_tiers_from_wagered() {
        for (w, t) in [
            (0, VipTier::Bronze),
            (99_999, VipTier::Bronze),
            (100_000, VipTier::Silver),
            (999_999, VipTier::Silver),
            (1_000_000, VipTier::Gold),
            (10_000_000, VipTier::Platinum),
            (100_000_000, VipTier::Diamond),
            (i64::MAX, VipTier::Diamond),
        ] {
            assert_eq!(VipTier::from_lifetime_wagered(w), t, "{w}");
            let (lo, hi) = t.wagered_range();
            assert!(w >= lo && hi.is_none_or(|h| w < h));
        }
    }

    #[test]
    fn string_enums_round_trip() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Some(*r));
        }
        assert_eq!(Role::parse("root"), None);
        assert!(!Role::Player.is_staff() && Role::Admin.is_staff());
    }
}
