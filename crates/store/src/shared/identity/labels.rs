//! Labels on users.

use keyhall_core::identity::{Label, LabelScope};
use keyhall_core::ports;
use keyhall_core::{ErrorCode, Result};
use keyhall_types::{Timestamp, UserId};

use super::rows::{Conn, Run, col, col_id, col_ts, one_row};
use super::{DbRow, Store, ts};
use crate::errors::{corrupt, unique_or};

fn label_from_row(row: &DbRow) -> Result<Label> {
    Ok(Label {
        id: col_id(row, "id")?,
        user_id: col_id(row, "user_id")?,
        key: col(row, "key")?,
        value: col(row, "value")?,
        scope: LabelScope::parse(&col::<String>(row, "scope")?).ok_or_else(|| corrupt("label scope"))?,
        description: col(row, "description")?,
        created_at: col_ts(row, "created_at")?,
        updated_at: col_ts(row, "updated_at")?,
    })
}

/// What a label written meets when the user has one under the same key and scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LabelWrite {
    /// Refused: `label.key_taken`.
    Insert,
    /// Its value is overwritten.
    Put,
    /// It stays as it is.
    IfAbsent,
}

pub(crate) async fn insert_label_row(conn: &mut Conn, l: &Label, mode: LabelWrite) -> Result<()> {
    let sql = match mode {
        LabelWrite::Insert => concat!("INSERT INTO labels (", label_cols!(), ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"),
        LabelWrite::Put => concat!(
            "INSERT INTO labels (",
            label_cols!(),
            ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
             ON CONFLICT (user_id, key, scope) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at"
        ),
        LabelWrite::IfAbsent => concat!(
            "INSERT INTO labels (",
            label_cols!(),
            ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (user_id, key, scope) DO NOTHING"
        ),
    };
    sqlx::query(sql)
        .bind(l.id.to_string())
        .bind(l.user_id.to_string())
        .bind(&l.key)
        .bind(&l.value)
        .bind(l.scope.as_str())
        .bind(&l.description)
        .bind(ts(l.created_at))
        .bind(ts(l.updated_at))
        .execute(&mut *conn)
        .await
        .map_err(unique_or(ErrorCode::LabelKeyTaken))?;
    Ok(())
}

/// `label.not_found` when the user has no such label.
pub(crate) async fn update_label_row(
    conn: &mut Conn,
    user: UserId,
    key: &str,
    scope: LabelScope,
    value: &str,
    at: Timestamp,
) -> Result<()> {
    let done = sqlx::query("UPDATE labels SET value = $4, updated_at = $5 WHERE user_id = $1 AND key = $2 AND scope = $3")
        .bind(user.to_string())
        .bind(key)
        .bind(scope.as_str())
        .bind(value)
        .bind(ts(at))
        .run(&mut *conn)
        .await?;
    one_row(done, ErrorCode::LabelNotFound)
}

pub(crate) async fn delete_label_row(conn: &mut Conn, user: UserId, key: &str, scope: LabelScope) -> Result<()> {
    sqlx::query("DELETE FROM labels WHERE user_id = $1 AND key = $2 AND scope = $3")
        .bind(user.to_string())
        .bind(key)
        .bind(scope.as_str())
        .run(&mut *conn)
        .await?;
    Ok(())
}

#[async_trait::async_trait]
impl ports::LabelRepo for Store {
    async fn list_labels(&self, user: UserId) -> Result<Vec<Label>> {
        sqlx::query(concat!("SELECT ", label_cols!(), " FROM labels WHERE user_id = $1 ORDER BY created_at, id"))
            .bind(user.to_string())
            .all(self.read_pool(), label_from_row)
            .await
    }
}
