//! The application layer: the use cases, each owning the order of its steps — load
//! through the adapters, decide with the cores' pure rules, write. Handlers call these,
//! never the database directly; `db/` only loads and writes rows.

pub mod accounts;
pub mod game_control;
pub mod platform;
