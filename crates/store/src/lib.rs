//! Storage for keyhall: SQLite (embedded, the default) and PostgreSQL (for production and
//! scale-out), both implementing the core's repository ports.
//!
//! The two back-ends share one implementation: the modules under `shared/` are compiled twice,
//! once inside `sqlite` and once inside `postgres`, each of which supplies the few things that
//! differ (the sqlx database type, how a timestamp is stored, how a write transaction begins).
//! The SQL itself is portable (`$n` placeholders, `ON CONFLICT`, `RETURNING`, partial indexes).

mod errors;

/// The migration history, written once for both dialects: each has its own SQL files, named
/// and numbered in step (`migrations/<dialect>/NNNN_<name>.sql`).
macro_rules! migrations {
    ($dialect:literal) => {
        &[
            (1, "init", include_str!(concat!("../migrations/", $dialect, "/0001_init.sql"))),
            (2, "identity", include_str!(concat!("../migrations/", $dialect, "/0002_identity.sql"))),
            (3, "totp_steps", include_str!(concat!("../migrations/", $dialect, "/0003_totp_steps.sql"))),
            (4, "data_storages", include_str!(concat!("../migrations/", $dialect, "/0004_data_storages.sql"))),
            (5, "kyc", include_str!(concat!("../migrations/", $dialect, "/0005_kyc.sql"))),
            (6, "restrictions", include_str!(concat!("../migrations/", $dialect, "/0006_restrictions.sql"))),
            (7, "config_documents", include_str!(concat!("../migrations/", $dialect, "/0007_config_documents.sql"))),
            (8, "external_identities", include_str!(concat!("../migrations/", $dialect, "/0008_external_identities.sql"))),
            (9, "api_key_nonces", include_str!(concat!("../migrations/", $dialect, "/0009_api_key_nonces.sql"))),
            (10, "outbox", include_str!(concat!("../migrations/", $dialect, "/0010_outbox.sql"))),
            (11, "unlogged_nonces", include_str!(concat!("../migrations/", $dialect, "/0011_unlogged_nonces.sql"))),
            (12, "communities", include_str!(concat!("../migrations/", $dialect, "/0012_communities.sql"))),
            (13, "access_codes", include_str!(concat!("../migrations/", $dialect, "/0013_access_codes.sql"))),
            (14, "community_items", include_str!(concat!("../migrations/", $dialect, "/0014_community_items.sql"))),
            (15, "hardware_tokens", include_str!(concat!("../migrations/", $dialect, "/0015_hardware_tokens.sql"))),
            (16, "reports", include_str!(concat!("../migrations/", $dialect, "/0016_reports.sql"))),
        ]
    };
}

pub mod postgres;
pub mod sqlite;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use keyhall_core::ports::Store;

pub use postgres::PgStore;
pub use sqlite::SqliteStore;

#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("cannot open the database: {0}")]
    Connect(String),
    #[error("database migration failed: {0}")]
    Migrate(String),
}

/// Where a store is: a PostgreSQL URL, or a SQLite file.
enum Location<'a> {
    Postgres(&'a str),
    Sqlite(PathBuf),
}

/// The store `database_url` names (a `postgres://` or `postgresql://` URL, or `sqlite:` and a
/// path), or `keyhall.db` in `data_dir` without one.
fn locate<'a>(database_url: Option<&'a str>, data_dir: &Path) -> Result<Location<'a>, OpenError> {
    match database_url {
        Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => Ok(Location::Postgres(url)),
        Some(url) if url.starts_with("sqlite:") => {
            Ok(Location::Sqlite(PathBuf::from(url.trim_start_matches("sqlite://").trim_start_matches("sqlite:"))))
        }
        Some(other) => Err(OpenError::Connect(format!(
            "unsupported database URL scheme in {:?}: use postgres://… or sqlite:…",
            other.split(':').next().unwrap_or("")
        ))),
        None => Ok(Location::Sqlite(data_dir.join("keyhall.db"))),
    }
}

/// Opens the store named by `database_url`, or the SQLite database `keyhall.db` in `data_dir`
/// (see `locate`). Migrations run before this returns.
pub async fn open(database_url: Option<&str>, data_dir: &Path) -> Result<Arc<dyn Store>, OpenError> {
    Ok(match locate(database_url, data_dir)? {
        Location::Postgres(url) => Arc::new(PgStore::connect(url).await?),
        Location::Sqlite(path) => Arc::new(SqliteStore::open(&path).await?),
    })
}

/// Which back-end a URL selects (for log lines), without credentials.
pub fn describe(database_url: Option<&str>, data_dir: &Path) -> String {
    match database_url {
        Some(url) if url.starts_with("postgres") => {
            let host = url.split('@').next_back().unwrap_or("");
            format!("postgresql://{host}")
        }
        Some(url) => url.to_string(),
        None => format!("sqlite:{}", data_dir.join("keyhall.db").display()),
    }
}

/// The URL with its password (if any) replaced by `PASSWORD`, for messages a person may copy.
pub fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else { return url.to_string() };
    // The last `@` ends the credentials: a password may hold one.
    match rest.rsplit_once('@') {
        Some((credentials, host)) if credentials.contains(':') => {
            let user = credentials.split(':').next().unwrap_or_default();
            format!("{scheme}://{user}:PASSWORD@{host}")
        }
        _ => url.to_string(),
    }
}

/// Copies the SQLite database consistently (SQLite's `VACUUM INTO`, which reads one snapshot
/// while the server goes on writing) to `to`, a new file readable by its owner only. Copying
/// `keyhall.db` itself is not a backup: recent writes live in `keyhall.db-wal` until a
/// checkpoint. PostgreSQL is backed up with its own tools.
pub async fn backup(database_url: Option<&str>, data_dir: &Path, to: &Path) -> Result<(), OpenError> {
    let path = match locate(database_url, data_dir)? {
        Location::Sqlite(path) => path,
        Location::Postgres(_) => {
            return Err(OpenError::Connect(
                "keyhall backup copies the SQLite store; back PostgreSQL up with its own tools, e.g. pg_dump -Fc".into(),
            ));
        }
    };
    if !path.exists() {
        return Err(OpenError::Connect(format!("no database at {} (wrong --data-dir?)", path.display())));
    }
    SqliteStore::backup(&path, to).await
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_redacted_url_keeps_no_part_of_the_password() {
        assert_eq!(super::redact("postgres://kh:s3cret@db:5432/kh"), "postgres://kh:PASSWORD@db:5432/kh");
        assert_eq!(super::redact("postgres://kh:p@ss@db/kh"), "postgres://kh:PASSWORD@db/kh");
        assert_eq!(super::redact("postgres://kh@db/kh"), "postgres://kh@db/kh");
    }
}
