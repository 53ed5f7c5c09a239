//! Plain value types shared by every keyhall crate: identifiers, e-mail addresses, secrets,
//! timestamps and the error-code catalogue. No I/O lives here.

mod email;
mod error_code;
mod id;
mod secret;
mod timestamp;

pub use email::{Email, EmailError};
pub use error_code::{ErrorCode, ErrorKind};
pub use id::*;
pub use secret::Secret;
pub use timestamp::{Timestamp, iso_date, parse_iso_date, rfc3339};
