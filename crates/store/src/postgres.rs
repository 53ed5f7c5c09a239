//! The PostgreSQL back-end: one pool for reads and writes; several keyhall nodes may share
//! the database (all coordination is in SQL: unique constraints, conditional updates).

use keyhall_core::Result;
use keyhall_types::Timestamp;
use sqlx::migrate::{Migration, MigrationType, Migrator};
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

const MIGRATIONS: &[(i64, &str, &str)] = &[
    (1, "init", include_str!("../migrations/postgres/0001_init.sql")),
    (2, "identity", include_str!("../migrations/postgres/0002_identity.sql")),
    (3, "totp_steps", include_str!("../migrations/postgres/0003_totp_steps.sql")),
    (4, "data_storages", include_str!("../migrations/postgres/0004_data_storages.sql")),
    (5, "kyc", include_str!("../migrations/postgres/0005_kyc.sql")),
    (6, "restrictions", include_str!("../migrations/postgres/0006_restrictions.sql")),
];

#[derive(Debug, Clone)]
pub struct PgStore {
    pool: Pool<Postgres>,
}

impl PgStore {
    pub async fn connect(url: &str) -> std::result::Result<Self, OpenError> {
        let options: PgConnectOptions = url.parse().map_err(|e: sqlx::Error| OpenError::Connect(e.to_string()))?;
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .connect_with(options)
            .await
            .map_err(|e| OpenError::Connect(e.to_string()))?;
        let migrator = Migrator::with_migrations(
            MIGRATIONS
                .iter()
                .map(|(v, name, sql)| {
                    Migration::new(*v, (*name).into(), MigrationType::Simple, sqlx::SqlSafeStr::into_sql_str(*sql), false)
                })
                .collect(),
        );
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
}

include!("shared/repos.rs");
