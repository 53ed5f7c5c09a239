//! The collections of communities: one table, an item's kind and its name unique in its
//! community (the constraint that makes a duplicate tag or a second one-per-community item a
//! conflict, however many writers race).

use keyhall_core::adminx::Scope;
use keyhall_core::adminx::collections::CommunityItem;
use keyhall_core::{ErrorCode, Result, ports};
use keyhall_types::CommunityId;

use super::rows::{Conn, Run, col, col_id, col_ts, one_row};
use super::{DbRow, Store, ts};
use crate::errors::{corrupt, unique_or};

const ITEM_COLS: &str = "id, tenant_id, community_id, kind, name, body, created_by, created_at, updated_at";

fn item_from_row(row: &DbRow) -> Result<CommunityItem> {
    Ok(CommunityItem {
        id: col(row, "id")?,
        scope: Scope { tenant: col_id(row, "tenant_id")?, community: col_id(row, "community_id")? },
        kind: col(row, "kind")?,
        name: col(row, "name")?,
        body: serde_json::from_str(&col::<String>(row, "body")?).map_err(|_| corrupt("community item"))?,
        created_by: col(row, "created_by")?,
        created_at: col_ts(row, "created_at")?,
        updated_at: col_ts(row, "updated_at")?,
    })
}

#[async_trait::async_trait]
impl ports::CollectionRepo for Store {
    async fn community_items(&self, community: CommunityId, kind: &str) -> Result<Vec<CommunityItem>> {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {ITEM_COLS} FROM community_items WHERE community_id = $1 AND kind = $2 ORDER BY created_at, id"
        )))
        .bind(community.to_string())
        .bind(kind)
        .all(self.read_pool(), item_from_row)
        .await
    }

    async fn community_item_named(&self, community: CommunityId, kind: &str, name: &str) -> Result<Option<CommunityItem>> {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {ITEM_COLS} FROM community_items WHERE community_id = $1 AND kind = $2 AND name = $3"
        )))
        .bind(community.to_string())
        .bind(kind)
        .bind(name)
        .optional(self.read_pool(), item_from_row)
        .await
    }

    async fn items_of_kind(&self, kind: &str) -> Result<Vec<CommunityItem>> {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {ITEM_COLS} FROM community_items WHERE kind = $1 ORDER BY created_at, id"
        )))
        .bind(kind)
        .all(self.read_pool(), item_from_row)
        .await
    }

    async fn community_item(&self, id: &str) -> Result<Option<CommunityItem>> {
        sqlx::query(sqlx::AssertSqlSafe(format!("SELECT {ITEM_COLS} FROM community_items WHERE id = $1")))
            .bind(id)
            .optional(self.read_pool(), item_from_row)
            .await
    }
}

pub(crate) async fn insert_item_row(conn: &mut Conn, item: &CommunityItem) -> Result<()> {
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "INSERT INTO community_items ({ITEM_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
    )))
    .bind(&item.id)
    .bind(item.scope.tenant.to_string())
    .bind(item.scope.community.to_string())
    .bind(&item.kind)
    .bind(&item.name)
    .bind(item.body.to_string())
    .bind(&item.created_by)
    .bind(ts(item.created_at))
    .bind(ts(item.updated_at))
    .execute(&mut *conn)
    .await
    .map_err(unique_or(ErrorCode::ItemNameTaken))?;
    Ok(())
}

pub(crate) async fn update_item_row(conn: &mut Conn, item: &CommunityItem) -> Result<()> {
    let rows = sqlx::query("UPDATE community_items SET name = $2, body = $3, updated_at = $4 WHERE id = $1")
        .bind(&item.id)
        .bind(&item.name)
        .bind(item.body.to_string())
        .bind(ts(item.updated_at))
        .execute(&mut *conn)
        .await
        .map_err(unique_or(ErrorCode::ItemNameTaken))?
        .rows_affected();
    one_row(rows, ErrorCode::ItemNotFound)
}

pub(crate) async fn delete_item_row(conn: &mut Conn, id: &str) -> Result<()> {
    let rows = sqlx::query("DELETE FROM community_items WHERE id = $1").bind(id).run(&mut *conn).await?;
    one_row(rows, ErrorCode::ItemNotFound)
}
