//! The dialect's migration history, as the migrator runs it.

use sqlx::migrate::{Migration, MigrationType, Migrator};

use super::MIGRATIONS;

/// The migration history, as (version, name).
pub fn migrations() -> Vec<(i64, &'static str)> {
    MIGRATIONS.iter().map(|(v, name, _)| (*v, *name)).collect()
}

/// A migrator of the history; migrations run at start-up.
pub(crate) fn migrator() -> Migrator {
    Migrator::with_migrations(
        MIGRATIONS
            .iter()
            .map(|(v, name, sql)| {
                Migration::new(*v, (*name).into(), MigrationType::Simple, sqlx::SqlSafeStr::into_sql_str(*sql), false)
            })
            .collect(),
    )
}
