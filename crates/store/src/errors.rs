//! Mapping of database errors onto the core's error catalogue.

use keyhall_core::{DomainError, ErrorCode};

/// Any database failure that is not a business outcome: an internal error (logged with its
/// cause by the face, never shown to clients).
pub(crate) fn db(e: sqlx::Error) -> DomainError {
    match &e {
        // Text PostgreSQL cannot hold (a NUL character) arrived from a client: its input is
        // invalid, on both stores alike, not a failure of the server.
        sqlx::Error::Database(d) if d.code().as_deref() == Some(PG_CHARACTER_NOT_IN_REPERTOIRE) => {
            DomainError::new(ErrorCode::InvalidParameter)
        }
        _ => DomainError::internal(format!("database: {e}")),
    }
}

/// SQLSTATE 22021, what PostgreSQL answers to a NUL byte in text.
const PG_CHARACTER_NOT_IN_REPERTOIRE: &str = "22021";

/// A unique-constraint violation becomes `code`; anything else is internal.
pub(crate) fn unique_or(code: ErrorCode) -> impl Fn(sqlx::Error) -> DomainError {
    move |e| match &e {
        sqlx::Error::Database(d) if d.is_unique_violation() => DomainError::new(code),
        _ => db(e),
    }
}

pub(crate) fn corrupt(what: &str) -> DomainError {
    DomainError::internal(format!("database holds an unreadable {what}"))
}
