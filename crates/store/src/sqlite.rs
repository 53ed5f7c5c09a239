//! The SQLite back-end: a WAL database file with one writer connection (SQLite has one
//! writer at a time anyway; queueing in the pool is cheaper than retrying on SQLITE_BUSY) and
//! a pool of readers. Write transactions start with `BEGIN IMMEDIATE` so that other processes
//! (e.g. `keyhall company create` while the server runs) wait on the busy timeout instead of
//! failing at lock upgrade.

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use keyhall_core::Result;
use keyhall_types::Timestamp;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Pool, Sqlite, Transaction};

use crate::OpenError;
use crate::errors::{corrupt, db};

type Db = Sqlite;
type DbRow = sqlx::sqlite::SqliteRow;
type Store = SqliteStore;

/// Timestamps are stored as fixed-width RFC 3339 text in UTC with microseconds
/// (`2026-01-02T03:04:05.000006Z`), so text order is time order.
type DbTime = String;

const TIME_FORMAT: &[time::format_description::BorrowedFormatItem<'static>] =
    time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:6]Z");

fn ts(at: Timestamp) -> DbTime {
    at.to_offset(time::UtcOffset::UTC).format(TIME_FORMAT).expect("timestamps in range format")
}

fn read_ts(value: DbTime) -> Result<Timestamp> {
    time::PrimitiveDateTime::parse(&value, TIME_FORMAT).map(|t| t.assume_utc()).map_err(|_| corrupt("timestamp"))
}

const MIGRATIONS: &[(i64, &str, &str)] = migrations!("sqlite");

#[derive(Debug, Clone)]
pub struct SqliteStore {
    writer: Pool<Sqlite>,
    reader: Pool<Sqlite>,
}

impl SqliteStore {
    pub async fn open(path: &Path) -> std::result::Result<Self, OpenError> {
        if let Some(dir) = path.parent()
            && !dir.as_os_str().is_empty()
        {
            std::fs::create_dir_all(dir)
                .map_err(|e| OpenError::Connect(format!("cannot create the data directory {}: {e}", dir.display())))?;
        }
        private_file(path).map_err(|e| OpenError::Connect(format!("{}: {e}", path.display())))?;
        let options = SqliteConnectOptions::from_str("sqlite:")
            .map_err(|e| OpenError::Connect(e.to_string()))?
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10));
        // No liveness ping before each use: an in-process SQLite connection cannot be cut
        // off, and the ping would double the hand-offs to its worker thread on every query.
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .test_before_acquire(false)
            .connect_with(options.clone())
            .await
            .map_err(|e| OpenError::Connect(format!("{}: {e}", path.display())))?;
        let mut migrator = shared::migrator();
        migrator.set_locking(false);
        migrator.run(&writer).await.map_err(|e| OpenError::Migrate(e.to_string()))?;
        let readers = std::thread::available_parallelism().map(|n| n.get() * 2).unwrap_or(4).clamp(2, 16) as u32;
        let reader = SqlitePoolOptions::new()
            .max_connections(readers)
            .min_connections(1)
            .test_before_acquire(false)
            .connect_with(options.read_only(true))
            .await
            .map_err(|e| OpenError::Connect(e.to_string()))?;
        Ok(Self { writer, reader })
    }

    /// Writes a consistent copy of the database at `path` to `to`, a new file (refused if it
    /// exists) created owner-only, with `VACUUM INTO`.
    pub async fn backup(path: &Path, to: &Path) -> std::result::Result<(), OpenError> {
        let cannot = |e: &dyn std::fmt::Display| OpenError::Connect(format!("cannot write {}: {e}", to.display()));
        // An empty file of our own first: VACUUM INTO fills an empty file, and creating it
        // here refuses an existing one and sets its mode before any data is in it.
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        options.open(to).map_err(|e| cannot(&e))?;
        let copied = async {
            let options = SqliteConnectOptions::from_str("sqlite:")?.filename(path).busy_timeout(Duration::from_secs(10));
            let mut conn = sqlx::ConnectOptions::connect(&options).await?;
            sqlx::query("VACUUM INTO $1").bind(to.to_string_lossy().into_owned()).execute(&mut conn).await?;
            sqlx::Connection::close(conn).await
        }
        .await;
        copied.map_err(|e: sqlx::Error| {
            let _ = std::fs::remove_file(to);
            cannot(&e)
        })
    }

    fn read_pool(&self) -> &Pool<Sqlite> {
        &self.reader
    }

    fn write_pool(&self) -> &Pool<Sqlite> {
        &self.writer
    }

    async fn begin_write(&self) -> Result<Transaction<'static, Sqlite>> {
        self.writer.begin_with("BEGIN IMMEDIATE").await.map_err(db)
    }

    /// Runs the statements of one command in one write transaction. Sent as one command, they
    /// cost one hand-off to the connection's worker thread instead of one each; numbered
    /// parameters (`$n`) mean the same value in every statement. (sqlx marks several
    /// statements in one query as SQLite-only behaviour it may drop; the store contract test
    /// `a_sign_in_session_clears_its_login_counter_in_the_same_write` checks every effect.)
    async fn execute_atomically(&self, q: sqlx::query::Query<'_, Sqlite, sqlx::sqlite::SqliteArguments>) -> Result<()> {
        let mut tx = self.begin_write().await?;
        q.execute(&mut *tx).await.map_err(db)?;
        tx.commit().await.map_err(db)
    }
}

// The repositories, shared by both dialects; they take what they need from this module.
// Compiling them once per dialect is the point, hence the allowance.
#[allow(clippy::duplicate_mod)]
#[macro_use]
#[path = "shared/mod.rs"]
mod shared;

pub use shared::migrations;

/// Creates the database file readable by its owner only (SQLite gives its WAL and shared-memory
/// files the same mode), or narrows an existing one to that: it holds password hashes and
/// sealed secrets.
fn private_file(path: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        std::fs::OpenOptions::new().create(true).append(true).mode(0o600).open(path)?;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

/// A SQLite database is one node's, and that node's core remembers the nonces it served: no
/// other node needs to be told.
#[async_trait::async_trait]
impl keyhall_core::ports::NonceRepo for SqliteStore {
    fn records_nonces(&self) -> bool {
        false
    }

    async fn remember_nonces(&self, nonces: &[keyhall_core::ports::NonceRecord]) -> Result<Vec<bool>> {
        Ok(vec![true; nonces.len()])
    }

    async fn purge_nonces(&self, _now: Timestamp) -> Result<u64> {
        Ok(0)
    }
}

// After `shared`: it uses its column macros.
/// Opens a session: clears the named login counter ($10, none when NULL), inserts the session
/// ($1–$9) and its audit record ($11–$21).
const OPEN_SESSION_SQL: &str = concat!(
    "DELETE FROM login_attempts WHERE key = $10; INSERT INTO sessions (",
    session_cols!(),
    ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9); INSERT INTO audit_log (",
    audit_cols!(),
    ") VALUES ($11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21)"
);
