//! Reading columns, and the plumbing every write shares.

use keyhall_core::Result;
use keyhall_types::Timestamp;
use sqlx::Row;

use super::{Db, DbRow, DbTime, read_ts};
use crate::errors::{corrupt, db};

/// The connection of a write transaction, as row writers take it.
pub(crate) type Conn = <Db as sqlx::Database>::Connection;

pub(crate) type DbQuery<'q> = sqlx::query::Query<'q, Db, <Db as sqlx::Database>::Arguments>;

pub(crate) fn col<'r, T>(row: &'r DbRow, name: &str) -> Result<T>
where
    T: sqlx::Decode<'r, Db> + sqlx::Type<Db>,
{
    row.try_get(name).map_err(db)
}

pub(crate) fn col_ts(row: &DbRow, name: &str) -> Result<Timestamp> {
    read_ts(col::<DbTime>(row, name)?)
}

pub(crate) fn col_ts_opt(row: &DbRow, name: &str) -> Result<Option<Timestamp>> {
    col::<Option<DbTime>>(row, name)?.map(read_ts).transpose()
}

pub(crate) fn col_id<T: std::str::FromStr>(row: &DbRow, name: &str) -> Result<T> {
    col::<String>(row, name)?.parse().map_err(|_| corrupt(name))
}

/// A calendar date, kept as `YYYY-MM-DD` text on both stores.
pub(crate) fn col_date(row: &DbRow, name: &str) -> Result<Option<time::Date>> {
    match col::<Option<String>>(row, name)? {
        Some(text) => keyhall_types::parse_iso_date(&text).map(Some).ok_or_else(|| corrupt(name)),
        None => Ok(None),
    }
}

/// Ends a conditional write: when the statement changed no row the transaction is rolled back
/// and `false` returned; otherwise the audit record is appended and the transaction committed.
pub(crate) async fn commit_if_changed(
    mut tx: sqlx::Transaction<'static, Db>,
    rows: u64,
    audit: &keyhall_core::audit::AuditEvent,
) -> Result<bool> {
    if rows == 0 {
        return Ok(false);
    }
    super::audit::insert_audit(&mut tx, audit).await?;
    tx.commit().await.map_err(db)?;
    Ok(true)
}

/// Whether a database error is a broken unique constraint.
pub(crate) fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(d) if d.is_unique_violation())
}

/// Reads one row into a value.
pub(crate) type ReadRow<T> = fn(&DbRow) -> Result<T>;

/// Where a query runs: a pool, or the connection of a transaction.
pub(crate) trait Exec<'c>: sqlx::Executor<'c, Database = Db> {}

impl<'c, E: sqlx::Executor<'c, Database = Db>> Exec<'c> for E {}

/// The ends every repository's queries share: run on an executor, map a database failure to
/// an internal error, read the rows.
pub(crate) trait Run<'q> {
    /// Every row the query returns.
    async fn all<'c, T>(self, executor: impl Exec<'c>, row: ReadRow<T>) -> Result<Vec<T>>
    where
        'q: 'c;

    /// The row the query returns, if any.
    async fn optional<'c, T>(self, executor: impl Exec<'c>, row: ReadRow<T>) -> Result<Option<T>>
    where
        'q: 'c;

    /// Runs a statement; returns how many rows it changed.
    async fn run<'c>(self, executor: impl Exec<'c>) -> Result<u64>
    where
        'q: 'c;
}

impl<'q> Run<'q> for DbQuery<'q> {
    async fn all<'c, T>(self, executor: impl Exec<'c>, row: ReadRow<T>) -> Result<Vec<T>>
    where
        'q: 'c,
    {
        self.fetch_all(executor).await.map_err(db)?.iter().map(row).collect()
    }

    async fn optional<'c, T>(self, executor: impl Exec<'c>, row: ReadRow<T>) -> Result<Option<T>>
    where
        'q: 'c,
    {
        self.fetch_optional(executor).await.map_err(db)?.as_ref().map(row).transpose()
    }

    async fn run<'c>(self, executor: impl Exec<'c>) -> Result<u64>
    where
        'q: 'c,
    {
        Ok(self.execute(executor).await.map_err(db)?.rows_affected())
    }
}

/// `Ok` when a write changed exactly one row; otherwise the error `code` (the row it needed
/// is not there, or not in the state it needed).
pub(crate) fn one_row(rows: u64, code: keyhall_core::ErrorCode) -> Result<()> {
    if rows == 1 { Ok(()) } else { Err(keyhall_core::DomainError::new(code)) }
}
