//! The AcmeToCasino server: configuration, Diesel adapters, Redis, HTTP handlers,
//! OpenAPI and pages, composed around the domain cores.

pub mod app;
pub mod auth;
pub mod client_ip;
pub mod config;
pub mod db;
pub mod error;
pub mod events;
pub mod extract;
pub mod http;
pub mod infra;
pub mod pages;
pub mod server;
pub mod simulator;
pub mod stakes;
pub mod state;
pub mod telemetry;
