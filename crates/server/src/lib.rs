//! The `keyhall` binary's library: configuration, wiring, telemetry and the command line.
//! This is the only crate that chooses between SQLite and PostgreSQL.

pub mod app;
pub mod azure;
pub mod cli;
pub mod clock;
pub mod config;
pub mod dev_sink;
pub mod keys;
pub mod ldap;
pub mod mail;
pub mod profile_api;
pub mod radius;
pub mod report_worker;
pub mod sms;
pub mod telemetry;
