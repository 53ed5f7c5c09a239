//! The PostgreSQL back-end: one pool for reads and writes; several keyhall nodes may share
//! the database (all coordination is in SQL: unique constraints, conditional updates).

use std::time::Duration;

use keyhall_core::Result;
use keyhall_types::Timestamp;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{Pool, Postgres, Transaction};

use crate::OpenError;
use crate::errors::db;

type Db = Postgres;
type DbRow = sqlx::postgres::PgRow;
type Store = PgStore;

/// Timestamps are `TIMESTAMPTZ`.
type DbTime = time::OffsetDateTime;

fn ts(at: Timestamp) -> DbTime {
    at.to_offset(time::UtcOffset::UTC)
}

fn read_ts(value: DbTime) -> Result<Timestamp> {
    Ok(value.to_offset(time::UtcOffset::UTC))
}

const MIGRATIONS: &[(i64, &str, &str)] = migrations!("postgres");

/// How long the first connection may take before keyhall gives up on the server.
const FIRST_CONNECTION_DEADLINE: Duration = Duration::from_secs(5);

/// Opens and closes one connection, or says why it could not: where it tried (host, port,
/// database, user; never the password) and the cause in words a person can act on.
async fn first_connection(options: &PgConnectOptions) -> std::result::Result<(), OpenError> {
    let place = format!(
        "PostgreSQL at {}:{} (database {:?}, user {:?})",
        options.get_host(),
        options.get_port(),
        options.get_database().unwrap_or(options.get_username()),
        options.get_username()
    );
    let attempt = tokio::time::timeout(FIRST_CONNECTION_DEADLINE, sqlx::ConnectOptions::connect(options)).await;
    let error = match attempt {
        Ok(Ok(conn)) => {
            let _ = sqlx::Connection::close(conn).await;
            return Ok(());
        }
        Err(_) => format!("no answer within {} s (is the host reachable?)", FIRST_CONNECTION_DEADLINE.as_secs()),
        Ok(Err(e)) => connection_failure(&e),
    };
    Err(OpenError::Connect(format!("cannot connect to {place}: {error}")))
}

/// The cause of a failed connection, named by the kind of failure.
fn connection_failure(e: &sqlx::Error) -> String {
    match e {
        sqlx::Error::Io(io) if io.kind() == std::io::ErrorKind::ConnectionRefused => {
            "connection refused (is PostgreSQL running and listening on that address and port?)".into()
        }
        sqlx::Error::Io(io) => format!("{io}"),
        sqlx::Error::Database(d) => match d.code().as_deref() {
            Some("28P01") | Some("28000") => format!("authentication failed ({})", d.message()),
            Some("3D000") => format!("the database does not exist ({}; create it with createdb)", d.message()),
            _ => d.message().to_string(),
        },
        other => other.to_string(),
    }
}

#[derive(Debug, Clone)]
pub struct PgStore {
    pool: Pool<Postgres>,
}

impl PgStore {
    pub async fn connect(url: &str) -> std::result::Result<Self, OpenError> {
        let options: PgConnectOptions = url
            .parse()
            .map_err(|e: sqlx::Error| OpenError::Connect(format!("invalid database URL {}: {e}", crate::redact(url))))?;
        // One connection first, with a short deadline: the pool would retry a refused or
        // unanswered connection for its whole acquire timeout and then report only that.
        first_connection(&options).await?;
        // A connection is pinged before use only after it sat idle for a while (a restarted
        // server or a dropping firewall shows there); a ping before every query would double
        // the round trips.
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .test_before_acquire(false)
            .before_acquire(|conn, meta| {
                Box::pin(async move {
                    if meta.idle_for > Duration::from_secs(30) {
                        sqlx::Connection::ping(conn).await?;
                    }
                    Ok(true)
                })
            })
            .connect_with(options)
            .await
            .map_err(|e| OpenError::Connect(e.to_string()))?;
        let migrator = shared::migrator();
        // The migrator takes an advisory lock, so nodes starting together migrate once.
        migrator.run(&pool).await.map_err(|e| OpenError::Migrate(e.to_string()))?;
        Ok(Self { pool })
    }

    fn read_pool(&self) -> &Pool<Postgres> {
        &self.pool
    }

    fn write_pool(&self) -> &Pool<Postgres> {
        &self.pool
    }

    async fn begin_write(&self) -> Result<Transaction<'static, Postgres>> {
        self.pool.begin().await.map_err(db)
    }

    /// Runs one statement made to be atomic on its own (PostgreSQL runs a statement, with all
    /// its data-modifying CTEs, in one implicit transaction): one round trip instead of
    /// BEGIN, statement, COMMIT.
    async fn execute_atomically(&self, q: sqlx::query::Query<'_, Postgres, sqlx::postgres::PgArguments>) -> Result<()> {
        q.execute(&self.pool).await.map_err(db)?;
        Ok(())
    }
}

// The repositories, shared by both dialects; they take what they need from this module.
// Compiling them once per dialect is the point, hence the allowance.
#[allow(clippy::duplicate_mod)]
#[macro_use]
#[path = "shared/mod.rs"]
mod shared;

pub use shared::migrations;

/// Nodes sharing the database record each API-key nonce here: the first insert wins. A batch
/// is one statement (requests arriving together share a round trip).
#[async_trait::async_trait]
impl keyhall_core::ports::NonceRepo for PgStore {
    fn records_nonces(&self) -> bool {
        true
    }

    async fn remember_nonces(&self, nonces: &[keyhall_core::ports::NonceRecord]) -> Result<Vec<bool>> {
        use sqlx::Row;
        let kids: Vec<&str> = nonces.iter().map(|n| n.kid.as_str()).collect();
        let values: Vec<&str> = nonces.iter().map(|n| n.nonce.as_str()).collect();
        let expiries: Vec<_> = nonces.iter().map(|n| ts(n.expires_at)).collect();
        let inserted = sqlx::query(
            "INSERT INTO api_key_nonces (kid, nonce, expires_at) \
             SELECT * FROM UNNEST($1::text[], $2::text[], $3::timestamptz[]) \
             ON CONFLICT DO NOTHING RETURNING kid, nonce",
        )
        .bind(&kids)
        .bind(&values)
        .bind(&expiries)
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        let fresh: std::collections::HashSet<(String, String)> =
            inserted.iter().map(|r| (r.get::<String, _>("kid"), r.get::<String, _>("nonce"))).collect();
        Ok(nonces.iter().map(|n| fresh.contains(&(n.kid.clone(), n.nonce.clone()))).collect())
    }

    async fn purge_nonces(&self, now: Timestamp) -> Result<u64> {
        let done = sqlx::query("DELETE FROM api_key_nonces WHERE expires_at < $1")
            .bind(ts(now))
            .execute(&self.pool)
            .await
            .map_err(db)?;
        Ok(done.rows_affected())
    }
}

// After `shared`: it uses its column macros.
/// Opens a session: clears the named login counter ($10, none when NULL), inserts the session
/// ($1–$9) and its audit record ($11–$21), in one statement.
const OPEN_SESSION_SQL: &str = concat!(
    "WITH forget AS (DELETE FROM login_attempts WHERE key = $10), \
     audit AS (INSERT INTO audit_log (",
    audit_cols!(),
    ") VALUES ($11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21)) INSERT INTO sessions (",
    session_cols!(),
    ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
);
