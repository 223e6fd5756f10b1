//! The AcmeToCasino server: configuration, Diesel adapters, Redis, HTTP handlers,
//! OpenAPI and pages, composed around the domain cores.

pub mod db;
