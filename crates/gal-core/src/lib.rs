//! The game aggregation layer: provably fair RNG, the game catalogue and exact game
//! math. Every game is a pure function of (RTP target, bet parameters, random stream).

pub mod catalogue;
pub mod game;
pub mod games;
pub mod rng;

pub use catalogue::Catalogue;
pub use game::{Game, GameInfo, GameKind, MICRO, Outcome, ParamsError, Rtp, RtpError, Theory, Volatility, payout};
pub use rng::{ClientSeed, ClientSeedError, Draw, RandomStream, ServerSeed};
