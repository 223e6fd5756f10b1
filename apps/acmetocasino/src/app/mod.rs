//! The application layer: use cases that own the order of load → decide → write. The
//! adapter (`db`) loads a snapshot and writes a decision; the rules that decide are pure
//! functions here or in the cores; handlers parse a request, call a use case and map
//! its result once, and never touch the database.

pub mod accounts;
pub mod compliance;
pub mod game_control;
pub mod money;
pub mod platform;
pub mod play;
pub mod providers;
pub mod rg;
pub mod wallet;
