//! The application layer: the use cases, which own the order of their steps, and the
//! pure decisions they compose from the cores. Handlers call these, never the database.

pub mod play;
