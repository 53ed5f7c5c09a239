//! The OATH hardware tokens of communities and who holds them. A token's counter only moves
//! forward from the value its reader saw (the compare-and-set that spends a code once).

use keyhall_core::adminx::Scope;
use keyhall_core::adminx::hardware_tokens::{
    HardwareToken, HolderQuery, OathKind, SerialMatch, TokenHolder, TokenQuery, parse_algorithm,
};
use keyhall_core::{DomainError, ErrorCode, Result, ports};
use keyhall_types::{CommunityId, UserId};

use super::rows::{Conn, Run, col, col_id, col_ts, col_ts_opt, one_row};
use super::{DbRow, Store, ts};
use crate::errors::{corrupt, db, unique_or};

const TOKEN_COLS: &str = "t.id, t.tenant_id, t.community_id, t.serial_number, t.token_type, t.algorithm, t.digits, t.period, \
                          t.seed, t.counter, t.drift, t.last_used_at, t.created_by, t.created_at, t.updated_at";

fn token_from_row(row: &DbRow) -> Result<HardwareToken> {
    let digits: i64 = col(row, "digits")?;
    let period: i64 = col(row, "period")?;
    Ok(HardwareToken {
        id: col(row, "id")?,
        scope: Scope { tenant: col_id(row, "tenant_id")?, community: col_id(row, "community_id")? },
        serial_number: col(row, "serial_number")?,
        kind: OathKind::parse(&col::<String>(row, "token_type")?).ok_or_else(|| corrupt("hardware token type"))?,
        algorithm: parse_algorithm(&col::<String>(row, "algorithm")?).ok_or_else(|| corrupt("hardware token algorithm"))?,
        digits: u32::try_from(digits).map_err(|_| corrupt("hardware token digits"))?,
        period: u32::try_from(period).map_err(|_| corrupt("hardware token period"))?,
        seed: col(row, "seed")?,
        counter: col(row, "counter")?,
        drift: col(row, "drift")?,
        last_used_at: col_ts_opt(row, "last_used_at")?,
        created_by: col(row, "created_by")?,
        created_at: col_ts(row, "created_at")?,
        updated_at: col_ts(row, "updated_at")?,
    })
}

fn holder_from_row(row: &DbRow) -> Result<TokenHolder> {
    Ok(TokenHolder {
        token_id: col(row, "token_id")?,
        serial_number: col(row, "serial_number")?,
        scope: Scope { tenant: col_id(row, "tenant_id")?, community: col_id(row, "community_id")? },
        user_id: col_id(row, "user_id")?,
        username: col(row, "username")?,
        assigned_at: col_ts(row, "assigned_at")?,
    })
}

/// `LIKE` text matching `inner` anywhere, its wildcards taken literally, any case.
fn contains_pattern(inner: &str) -> String {
    let escaped = inner.to_lowercase().replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
    format!("%{escaped}%")
}

/// The `(…)` condition on `column` for a list of serial filters, its values numbered from
/// `first`, and the values in order; `TRUE` when the list is empty.
fn serial_condition(column: &str, serials: &[SerialMatch], first: usize) -> (String, Vec<String>) {
    if serials.is_empty() {
        return ("1 = 1".into(), Vec::new());
    }
    let mut parts = Vec::new();
    let mut values = Vec::new();
    for (i, m) in serials.iter().enumerate() {
        let n = first + i;
        match m {
            SerialMatch::Exact(s) => {
                parts.push(format!("{column} = ${n}"));
                values.push(s.clone());
            }
            SerialMatch::Contains(s) => {
                parts.push(format!("LOWER({column}) LIKE ${n} ESCAPE '\\'"));
                values.push(contains_pattern(s));
            }
        }
    }
    (format!("({})", parts.join(" OR ")), values)
}

#[async_trait::async_trait]
impl ports::HardwareTokenRepo for Store {
    async fn hardware_tokens(&self, community: CommunityId, q: &TokenQuery) -> Result<(Vec<(HardwareToken, i64)>, i64)> {
        let (serials, values) = serial_condition("t.serial_number", &q.serials, 3);
        let filter = format!("WHERE t.community_id = $1 AND ($2 IS NULL OR t.token_type = $2) AND {serials}");
        let next = 3 + values.len();
        let page = format!(
            "SELECT {TOKEN_COLS}, (SELECT COUNT(*) FROM hardware_token_users h WHERE h.token_id = t.id) AS holders \
             FROM hardware_tokens t {filter} ORDER BY t.serial_number, t.id LIMIT ${next} OFFSET ${}",
            next + 1
        );
        let kind = q.kind.map(|k| k.as_str().to_string());
        let mut query = sqlx::query(sqlx::AssertSqlSafe(page)).bind(community.to_string()).bind(kind.clone());
        for v in &values {
            query = query.bind(v.clone());
        }
        let rows = query
            .bind(q.limit)
            .bind(q.offset)
            .all(self.read_pool(), |r| Ok((token_from_row(r)?, col::<i64>(r, "holders")?)))
            .await?;
        let mut count = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) AS n FROM hardware_tokens t {filter}")))
            .bind(community.to_string())
            .bind(kind);
        for v in values {
            count = count.bind(v);
        }
        let row = count.fetch_one(self.read_pool()).await.map_err(db)?;
        Ok((rows, col(&row, "n")?))
    }

    async fn hardware_token(&self, id: &str) -> Result<Option<HardwareToken>> {
        sqlx::query(sqlx::AssertSqlSafe(format!("SELECT {TOKEN_COLS} FROM hardware_tokens t WHERE t.id = $1")))
            .bind(id)
            .optional(self.read_pool(), token_from_row)
            .await
    }

    async fn hardware_token_by_serial(&self, community: CommunityId, serial: &str) -> Result<Option<HardwareToken>> {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {TOKEN_COLS} FROM hardware_tokens t WHERE t.community_id = $1 AND t.serial_number = $2"
        )))
        .bind(community.to_string())
        .bind(serial)
        .optional(self.read_pool(), token_from_row)
        .await
    }

    async fn user_hardware_tokens(&self, user: UserId) -> Result<Vec<HardwareToken>> {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {TOKEN_COLS} FROM hardware_tokens t JOIN hardware_token_users h ON h.token_id = t.id \
             WHERE h.user_id = $1 ORDER BY h.assigned_at, t.id"
        )))
        .bind(user.to_string())
        .all(self.read_pool(), token_from_row)
        .await
    }

    async fn token_holders(&self, community: CommunityId, q: &HolderQuery) -> Result<(Vec<TokenHolder>, i64)> {
        let (serials, values) = serial_condition("t.serial_number", &q.serials, 3);
        let filter = format!(
            "FROM hardware_token_users h JOIN hardware_tokens t ON t.id = h.token_id \
             WHERE h.community_id = $1 AND ($2 IS NULL OR h.username = $2) AND {serials}"
        );
        let next = 3 + values.len();
        let page = format!(
            "SELECT h.token_id, t.serial_number, t.tenant_id, h.community_id, h.user_id, h.username, h.assigned_at {filter} \
             ORDER BY h.username, t.serial_number LIMIT ${next} OFFSET ${}",
            next + 1
        );
        let username = q.username.as_ref().map(|u| u.trim().to_lowercase());
        let mut query = sqlx::query(sqlx::AssertSqlSafe(page)).bind(community.to_string()).bind(username.clone());
        for v in &values {
            query = query.bind(v.clone());
        }
        let rows = query.bind(q.limit).bind(q.offset).all(self.read_pool(), holder_from_row).await?;
        let mut count =
            sqlx::query(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) AS n {filter}"))).bind(community.to_string()).bind(username);
        for v in values {
            count = count.bind(v);
        }
        let row = count.fetch_one(self.read_pool()).await.map_err(db)?;
        Ok((rows, col(&row, "n")?))
    }
}

pub(crate) async fn insert_token_row(conn: &mut Conn, t: &HardwareToken) -> Result<()> {
    sqlx::query(
        "INSERT INTO hardware_tokens (id, tenant_id, community_id, serial_number, token_type, algorithm, digits, period, \
         seed, counter, drift, last_used_at, created_by, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
    )
    .bind(&t.id)
    .bind(t.scope.tenant.to_string())
    .bind(t.scope.community.to_string())
    .bind(&t.serial_number)
    .bind(t.kind.as_str())
    .bind(t.algorithm.name())
    .bind(i64::from(t.digits))
    .bind(i64::from(t.period))
    .bind(&t.seed)
    .bind(t.counter)
    .bind(t.drift)
    .bind(t.last_used_at.map(ts))
    .bind(&t.created_by)
    .bind(ts(t.created_at))
    .bind(ts(t.updated_at))
    .execute(&mut *conn)
    .await
    .map_err(unique_or(ErrorCode::ItemNameTaken))?;
    Ok(())
}

pub(crate) async fn update_token_row(conn: &mut Conn, t: &HardwareToken) -> Result<()> {
    let rows = sqlx::query("UPDATE hardware_tokens SET seed = $2, counter = $3, drift = $4, updated_at = $5 WHERE id = $1")
        .bind(&t.id)
        .bind(&t.seed)
        .bind(t.counter)
        .bind(t.drift)
        .bind(ts(t.updated_at))
        .run(&mut *conn)
        .await?;
    one_row(rows, ErrorCode::ItemNotFound)
}

pub(crate) async fn advance_token_row(conn: &mut Conn, t: &HardwareToken, expected: i64) -> Result<()> {
    let rows = sqlx::query(
        "UPDATE hardware_tokens SET counter = $2, drift = $3, last_used_at = COALESCE($4, last_used_at), updated_at = $5 \
         WHERE id = $1 AND counter = $6",
    )
    .bind(&t.id)
    .bind(t.counter)
    .bind(t.drift)
    .bind(t.last_used_at.map(ts))
    .bind(ts(t.updated_at))
    .bind(expected)
    .run(&mut *conn)
    .await?;
    if rows == 0 {
        return Err(DomainError::new(ErrorCode::TokenCounterMoved));
    }
    Ok(())
}

pub(crate) async fn delete_token_row(conn: &mut Conn, id: &str) -> Result<()> {
    sqlx::query("DELETE FROM hardware_tokens WHERE id = $1").bind(id).run(&mut *conn).await?;
    Ok(())
}

pub(crate) async fn assign_token_row(conn: &mut Conn, h: &TokenHolder) -> Result<()> {
    sqlx::query(
        "INSERT INTO hardware_token_users (token_id, user_id, community_id, username, assigned_at) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (token_id, user_id) DO NOTHING",
    )
    .bind(&h.token_id)
    .bind(h.user_id.to_string())
    .bind(h.scope.community.to_string())
    .bind(h.username.to_lowercase())
    .bind(ts(h.assigned_at))
    .run(&mut *conn)
    .await?;
    Ok(())
}

pub(crate) async fn unassign_token_row(conn: &mut Conn, token: &str, user: UserId) -> Result<()> {
    sqlx::query("DELETE FROM hardware_token_users WHERE token_id = $1 AND user_id = $2")
        .bind(token)
        .bind(user.to_string())
        .run(&mut *conn)
        .await?;
    Ok(())
}
