//! The games of the standard catalogue.

pub mod classic_slot;
pub mod coin_flip;
pub mod crash;
pub mod dice;
pub mod keno;
pub mod plinko;
pub mod roulette;
pub mod video_slot;
