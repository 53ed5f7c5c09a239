//! The repository implementations shared by both dialects. This module is compiled twice, as
//! `sqlite::shared` and `postgres::shared` (a `#[path]` module of each dialect's file). Every
//! module below names what it takes from its dialect (`use super::{Db, ts, …}`): the sqlx
//! database type, how a timestamp is stored, the pools, and how a write transaction begins.
//! The SQL itself is portable (`$n` placeholders, `ON CONFLICT`, `RETURNING`, partial
//! indexes). Column lists are macros (`columns`), one per table, so that every query is a
//! `&'static str` built with `concat!`.

use super::{Db, DbRow, DbTime, MIGRATIONS, OPEN_SESSION_SQL, Store, read_ts, ts};

#[macro_use]
mod columns;
mod rows;

mod adminx;
mod audit;
mod auth;
mod barong;
mod comet;
mod community_items;
mod credentials;
mod hardware_tokens;
mod identity;
mod migrations;
mod outbox;
mod reports;
mod tenancy;
mod txn;

pub use migrations::migrations;
pub(crate) use migrations::migrator;
