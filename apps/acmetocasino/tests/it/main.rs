//! The one integration-test binary of the server.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod architecture;
mod backoffice;
mod browser;
mod cdp;
mod compliance;
mod contracts;
mod events;
mod fairness;
mod games;
mod hardening;
mod operations;
mod pam;
mod platform;
mod postings;
mod processes;
mod providers;
mod security;
mod sharding;
mod simulator;
mod stakes;
mod support;
mod topology;
mod wallet;
