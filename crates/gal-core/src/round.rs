//! Rounds, game sessions and seed pairs: what the game aggregation layer keeps of play.

use crate::{ClientSeed, Draw, Rounding, Rtp, ServerSeed};
use chrono::{DateTime, Utc};
use kernel::{AccountId, Amount, Money};
use serde_json::Value;
use uuid::Uuid;

/// A round with its RNG audit record.
#[derive(Debug, Clone, PartialEq)]
pub struct Round {
    pub id: Uuid,
    pub session_id: Uuid,
    pub player_id: AccountId,
    pub game_slug: String,
    /// The stake.
    pub amount: Amount,
    /// What the round paid (zero for a loss).
    pub payout: Money,
    pub multiplier_micro: u64,
    pub rtp: Rtp,
    pub expected_rtp: f64,
    pub params: Value,
    pub outcome: Value,
    pub server_seed_hash: String,
    pub client_seed: String,
    pub nonce: u64,
    pub draws: Vec<Draw>,
    /// How the payout was rounded to a minor unit (the last draw, if any, decided it).
    pub rounding: Rounding,
    /// Present once the seed pair has been rotated.
    pub server_seed: Option<String>,
    pub bet_event_id: Uuid,
    pub win_event_id: Option<Uuid>,
    pub rolled_back: bool,
    pub rolled_back_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl Round {
    /// payout − amount: signed, the player's gain (or, negative, loss) on the round.
    pub fn net(&self) -> i64 {
        self.payout.minor_units() - self.amount.minor_units()
    }

    /// A round is won only when it pays more than its stake (UKGC RTS 14: a return of
    /// the stake or less is not celebrated as a win).
    pub fn won(&self) -> bool {
        self.payout > Money::from(self.amount)
    }
}

/// A game session with its totals (a session may have wagered nothing yet).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub id: Uuid,
    pub player_id: AccountId,
    pub game_slug: String,
    pub open: bool,
    pub rounds: i64,
    pub wagered: Money,
    pub won: Money,
    pub started_at: DateTime<Utc>,
    pub ended_at: Option<DateTime<Utc>>,
    pub last_activity_at: Option<DateTime<Utc>>,
}

impl Session {
    /// When the player last played in the session (its start, before any round).
    pub fn last_active(&self) -> DateTime<Utc> {
        self.last_activity_at.unwrap_or(self.started_at)
    }
}

/// Which session a bet goes to.
#[derive(Debug, Clone)]
pub enum SessionTarget {
    /// An existing session (`/gal/bet`).
    Existing(Uuid),
    /// The player's open session of this game, or a new one with this id (`/gal/play`).
    LaunchOrReuse { game_slug: String, new_session_id: Uuid },
}

/// A player's seed pair as the player may see it (the server seed only once revealed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeedPairView {
    pub server_seed_hash: String,
    /// The hash of the server seed the next pair will use, published before the player
    /// can choose that pair's client seed.
    pub next_server_seed_hash: Option<String>,
    pub client_seed: String,
    /// The nonce of the next round.
    pub nonce: u64,
    pub revealed_server_seed: Option<String>,
}

/// A player's active seed pair, its secret server seed included, as a round draws from it.
#[derive(Debug, Clone)]
pub struct SeedPair {
    pub id: Uuid,
    pub server_seed: ServerSeed,
    pub server_seed_hash: String,
    pub client_seed: ClientSeed,
    /// The nonce of the next round.
    pub nonce: u64,
}

impl From<&NewSeedPair> for SeedPair {
    /// A pair just created, before its first round.
    fn from(p: &NewSeedPair) -> Self {
        SeedPair {
            id: p.id,
            server_seed: p.server_seed.clone(),
            server_seed_hash: p.server_seed.hash(),
            client_seed: p.client_seed.clone(),
            nonce: 0,
        }
    }
}

/// A seed pair to create when a player has none: both its server seed and its
/// successor's come fresh from the OS.
#[derive(Debug, Clone)]
pub struct NewSeedPair {
    pub id: Uuid,
    pub server_seed: ServerSeed,
    pub next_server_seed: ServerSeed,
    pub client_seed: ClientSeed,
}

/// What a rotation needs besides the pair it reveals: the new pair takes the server seed
/// committed to by the revealed one, and commits to `next_server_seed` (fresh from the
/// OS) in turn.
#[derive(Debug)]
pub struct Rotation {
    pub id: Uuid,
    pub next_server_seed: ServerSeed,
    /// The player's new client seed; `None` keeps the revealed pair's.
    pub client_seed: Option<ClientSeed>,
}
