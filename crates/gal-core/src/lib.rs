//! The game aggregation layer: provably fair RNG, the game catalogue and exact game
//! math. Every game is a pure function of (RTP target, bet parameters, random stream);
//! a round's payout is its multiplier applied to the stake, rounded without bias
//! ([`payout`]), and only stakes and bets the rules allow are played ([`stake`]); a
//! round is settled from its seeds by [`settle`].
//! What play leaves behind, rounds, game sessions and seed pairs, is in [`round`], kept
//! through the [`RoundRepository`] port.

pub mod catalogue;
pub mod game;
pub mod games;
pub mod memory;
pub mod payout;
mod port;
pub mod rng;
pub mod round;
pub mod settle;
pub mod stake;

pub use catalogue::Catalogue;
pub use game::{
    Distribution, Game, GameInfo, GameKind, MICRO, Outcome, ParamsError, Rtp, RtpError, Theory, Volatility,
};
pub use payout::{ExactPayout, Rounding, StakeTheory};
pub use port::{RoundRepository, StoreError};
pub use rng::{ClientSeed, ClientSeedError, Draw, RandomStream, ServerSeed};
pub use round::{NewSeedPair, Rotation, Round, SeedPair, SeedPairView, Session, SessionTarget};
pub use stake::{StakeCap, StakeRefusal, StakeRules};

#[cfg(feature = "testkit")]
pub mod contract;
