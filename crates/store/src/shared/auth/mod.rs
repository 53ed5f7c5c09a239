//! API tokens and keys, sessions, login counters, restrictions, signing keys.

use super::{DbRow, OPEN_SESSION_SQL, Store, audit, rows, ts};

mod api_keys;
mod attempts;
mod external;
mod restrictions;
mod sessions;
mod signing;
mod tokens;

pub(crate) use api_keys::{delete_api_key_row, insert_api_key_row, update_api_key_row};
pub(crate) use external::link_external_identity_row;
pub(crate) use restrictions::insert_restriction_row;
pub(crate) use sessions::delete_user_sessions_rows;
pub(crate) use tokens::insert_token_row;
