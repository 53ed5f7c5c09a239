//! The Reports of communities: their events (indexed by community and time, then name, user,
//! category) and the download jobs, whose claim is one conditional update so that two nodes
//! never build the same job.

use keyhall_core::adminx::Scope;
use keyhall_core::adminx::report_jobs::{JobOrder, PENDING, RUNNING, ReportJob};
use keyhall_core::adminx::reports::{EventQuery, ReportEvent};
use keyhall_core::{ErrorCode, Result, ports};
use keyhall_types::{CommunityId, Timestamp};

use super::rows::{Conn, DbQuery, Run, col, col_id, col_ts, col_ts_opt, one_row};
use super::{DbRow, Store, ts};
use crate::errors::{corrupt, db};

const EVENT_COLS: &str =
    "id, tenant_id, community_id, category, event_name, user_id, outcome, session_id, application, auth_method, event_ts, body";
const JOB_COLS: &str = "id, tenant_id, community_id, report, params, format, status, requested_by, notify, token, size, error, \
                        claim, heartbeat_at, created_at, completed_at";

fn event_from_row(row: &DbRow) -> Result<ReportEvent> {
    Ok(ReportEvent {
        id: col(row, "id")?,
        scope: Scope { tenant: col_id(row, "tenant_id")?, community: col_id(row, "community_id")? },
        category: col(row, "category")?,
        event_name: col(row, "event_name")?,
        user_id: col(row, "user_id")?,
        outcome: col(row, "outcome")?,
        session_id: col(row, "session_id")?,
        application: col(row, "application")?,
        auth_method: col(row, "auth_method")?,
        event_ts: col(row, "event_ts")?,
        body: serde_json::from_str(&col::<String>(row, "body")?).map_err(|_| corrupt("report event"))?,
    })
}

fn job_from_row(row: &DbRow) -> Result<ReportJob> {
    let json = |name: &str| -> Result<serde_json::Value> {
        serde_json::from_str(&col::<String>(row, name)?).map_err(|_| corrupt("report job"))
    };
    Ok(ReportJob {
        id: col(row, "id")?,
        scope: Scope { tenant: col_id(row, "tenant_id")?, community: col_id(row, "community_id")? },
        report: col(row, "report")?,
        params: json("params")?,
        format: col(row, "format")?,
        status: col(row, "status")?,
        requested_by: col(row, "requested_by")?,
        notify: serde_json::from_value(json("notify")?).map_err(|_| corrupt("report job"))?,
        token: col(row, "token")?,
        size: col(row, "size")?,
        error: col(row, "error")?,
        claim: col(row, "claim")?,
        heartbeat_at: col_ts_opt(row, "heartbeat_at")?,
        created_at: col_ts(row, "created_at")?,
        completed_at: col_ts_opt(row, "completed_at")?,
    })
}

enum Bind {
    Text(String),
    Int(i64),
}

/// The `WHERE` of an event query (`$1` the community) and its values from `$2` on.
fn event_filter(community: CommunityId, q: &EventQuery) -> (String, Vec<Bind>) {
    let mut binds = vec![Bind::Text(community.to_string()), Bind::Int(q.from_ms), Bind::Int(q.to_ms)];
    let mut sql = String::from("WHERE community_id = $1 AND event_ts >= $2 AND event_ts <= $3");
    let mut add = |column: &str, value: &Option<String>, binds: &mut Vec<Bind>| {
        if let Some(v) = value {
            binds.push(Bind::Text(v.clone()));
            sql.push_str(&format!(" AND {column} = ${}", binds.len()));
        }
    };
    add("category", &q.category, &mut binds);
    add("user_id", &q.user_id.as_ref().map(|u| u.to_lowercase()), &mut binds);
    add("outcome", &q.outcome, &mut binds);
    add("application", &q.application, &mut binds);
    add("auth_method", &q.auth_method, &mut binds);
    for (column, values) in [("event_name", &q.event_names), ("session_id", &q.session_ids)] {
        if values.is_empty() {
            continue;
        }
        let mut marks = Vec::new();
        for v in values {
            binds.push(Bind::Text(v.clone()));
            marks.push(format!("${}", binds.len()));
        }
        sql.push_str(&format!(" AND {column} IN ({})", marks.join(", ")));
    }
    (sql, binds)
}

fn bound<'q>(mut q: DbQuery<'q>, binds: Vec<Bind>) -> DbQuery<'q> {
    for b in binds {
        q = match b {
            Bind::Text(t) => q.bind(t),
            Bind::Int(i) => q.bind(i),
        };
    }
    q
}

#[async_trait::async_trait]
impl ports::ReportRepo for Store {
    async fn report_events(&self, community: CommunityId, q: &EventQuery) -> Result<Vec<ReportEvent>> {
        let (filter, binds) = event_filter(community, q);
        let n = binds.len();
        let sql = format!(
            "SELECT {EVENT_COLS} FROM report_events {filter} ORDER BY event_ts DESC, id DESC LIMIT ${} OFFSET ${}",
            n + 1,
            n + 2
        );
        bound(sqlx::query(sqlx::AssertSqlSafe(sql)), binds)
            .bind(q.limit)
            .bind(q.offset)
            .all(self.read_pool(), event_from_row)
            .await
    }

    async fn count_report_events(&self, community: CommunityId, q: &EventQuery, users: bool) -> Result<(i64, i64)> {
        let (filter, binds) = event_filter(community, q);
        // Distinct users cost a sort of every matching row: only when asked.
        let distinct = if users { "COUNT(DISTINCT user_id)" } else { "COUNT(*) * 0" };
        let sql = format!("SELECT COUNT(*) AS n, {distinct} AS users FROM report_events {filter}");
        let row = bound(sqlx::query(sqlx::AssertSqlSafe(sql)), binds).fetch_one(self.read_pool()).await.map_err(db)?;
        Ok((col(&row, "n")?, col(&row, "users")?))
    }

    async fn report_event_buckets(
        &self,
        community: CommunityId,
        q: &EventQuery,
        bucket_ms: i64,
        shift_ms: i64,
        by_application: bool,
    ) -> Result<Vec<(i64, Option<String>, i64)>> {
        let (filter, binds) = event_filter(community, q);
        let app = if by_application { "application" } else { "NULL" };
        let (n, s) = (binds.len() + 1, binds.len() + 2);
        let bucket = format!("((event_ts + ${s}) / ${n}) * ${n} - ${s}");
        let group = if by_application { format!("{bucket}, application") } else { bucket.clone() };
        let sql = format!(
            "SELECT {bucket} AS bucket, {app} AS app, COUNT(*) AS n FROM report_events {filter} GROUP BY {group} ORDER BY bucket, app"
        );
        bound(sqlx::query(sqlx::AssertSqlSafe(sql)), binds)
            .bind(bucket_ms)
            .bind(shift_ms)
            .all(self.read_pool(), |r| Ok((col(r, "bucket")?, col(r, "app")?, col(r, "n")?)))
            .await
    }

    async fn last_logins(&self, community: CommunityId, usernames: &[String]) -> Result<Vec<(String, i64)>> {
        if usernames.is_empty() {
            return Ok(Vec::new());
        }
        let marks: Vec<String> = (0..usernames.len()).map(|i| format!("${}", i + 2)).collect();
        let sql = format!(
            "SELECT user_id, MAX(event_ts) AS last FROM report_events \
             WHERE community_id = $1 AND event_name = 'E_LOGIN_SUCCEEDED' AND user_id IN ({}) GROUP BY user_id",
            marks.join(", ")
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(community.to_string());
        for u in usernames {
            query = query.bind(u.to_lowercase());
        }
        query.all(self.read_pool(), |r| Ok((col(r, "user_id")?, col(r, "last")?))).await
    }

    async fn report_job(&self, id: &str) -> Result<Option<ReportJob>> {
        sqlx::query(sqlx::AssertSqlSafe(format!("SELECT {JOB_COLS} FROM report_jobs WHERE id = $1")))
            .bind(id)
            .optional(self.read_pool(), job_from_row)
            .await
    }

    async fn report_jobs(
        &self,
        community: CommunityId,
        order: JobOrder,
        descending: bool,
        limit: i64,
        offset: i64,
    ) -> Result<(Vec<ReportJob>, i64)> {
        let column = match order {
            JobOrder::CreatedAt => "created_at",
            JobOrder::CompletedAt => "completed_at",
            JobOrder::Status => "status",
        };
        let direction = if descending { "DESC" } else { "ASC" };
        let sql = format!(
            "SELECT {JOB_COLS} FROM report_jobs WHERE community_id = $1 ORDER BY {column} {direction}, created_at DESC, id LIMIT $2 OFFSET $3"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(community.to_string())
            .bind(limit)
            .bind(offset)
            .all(self.read_pool(), job_from_row)
            .await?;
        let row = sqlx::query("SELECT COUNT(*) AS n FROM report_jobs WHERE community_id = $1")
            .bind(community.to_string())
            .fetch_one(self.read_pool())
            .await
            .map_err(db)?;
        Ok((rows, col(&row, "n")?))
    }

    async fn report_job_content(&self, id: &str) -> Result<Option<Vec<u8>>> {
        sqlx::query("SELECT content FROM report_jobs WHERE id = $1")
            .bind(id)
            .optional(self.read_pool(), |r| col::<Option<Vec<u8>>>(r, "content"))
            .await
            .map(Option::flatten)
    }

    async fn claim_report_job(&self, claim: &str, now: Timestamp, stale_before: Timestamp) -> Result<Option<ReportJob>> {
        // Candidates oldest first; the conditional update is what claims one.
        let candidates = sqlx::query(
            "SELECT id FROM report_jobs WHERE status = $1 OR (status = $2 AND heartbeat_at < $3) ORDER BY created_at LIMIT 5",
        )
        .bind(PENDING)
        .bind(RUNNING)
        .bind(ts(stale_before))
        .all(self.read_pool(), |r| col::<String>(r, "id"))
        .await?;
        for id in candidates {
            let mut tx = self.begin_write().await?;
            let claimed = sqlx::query(
                "UPDATE report_jobs SET status = $2, heartbeat_at = $3, claim = $6 \
                 WHERE id = $1 AND (status = $4 OR (status = $2 AND heartbeat_at < $5))",
            )
            .bind(&id)
            .bind(RUNNING)
            .bind(ts(now))
            .bind(PENDING)
            .bind(ts(stale_before))
            .bind(claim)
            .run(&mut *tx)
            .await?;
            tx.commit().await.map_err(db)?;
            if claimed == 1 {
                return self.report_job(&id).await;
            }
        }
        Ok(None)
    }

    async fn expire_report_files(&self, before: Timestamp) -> Result<u64> {
        let mut tx = self.begin_write().await?;
        let gone = sqlx::query(
            "UPDATE report_jobs SET status = 'Expired', content = NULL WHERE status = 'Completed' AND completed_at < $1",
        )
        .bind(ts(before))
        .run(&mut *tx)
        .await?;
        tx.commit().await.map_err(db)?;
        Ok(gone)
    }

    async fn beat_report_job(&self, id: &str, claim: &str, now: Timestamp) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        let beat = sqlx::query("UPDATE report_jobs SET heartbeat_at = $2 WHERE id = $1 AND status = $3 AND claim = $4")
            .bind(id)
            .bind(ts(now))
            .bind(RUNNING)
            .bind(claim)
            .run(&mut *tx)
            .await?;
        tx.commit().await.map_err(db)?;
        Ok(beat == 1)
    }
}

pub(crate) async fn insert_event_row(conn: &mut Conn, e: &ReportEvent) -> Result<()> {
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "INSERT INTO report_events ({EVENT_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
    )))
    .bind(&e.id)
    .bind(e.scope.tenant.to_string())
    .bind(e.scope.community.to_string())
    .bind(&e.category)
    .bind(&e.event_name)
    .bind(&e.user_id)
    .bind(&e.outcome)
    .bind(&e.session_id)
    .bind(&e.application)
    .bind(&e.auth_method)
    .bind(e.event_ts)
    .bind(e.body.to_string())
    .run(&mut *conn)
    .await?;
    Ok(())
}

pub(crate) async fn insert_job_row(conn: &mut Conn, j: &ReportJob) -> Result<()> {
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "INSERT INTO report_jobs ({JOB_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)"
    )))
    .bind(&j.id)
    .bind(j.scope.tenant.to_string())
    .bind(j.scope.community.to_string())
    .bind(&j.report)
    .bind(j.params.to_string())
    .bind(&j.format)
    .bind(&j.status)
    .bind(&j.requested_by)
    .bind(serde_json::to_string(&j.notify).unwrap_or_else(|_| "[]".into()))
    .bind(&j.token)
    .bind(j.size)
    .bind(&j.error)
    .bind(&j.claim)
    .bind(j.heartbeat_at.map(ts))
    .bind(ts(j.created_at))
    .bind(j.completed_at.map(ts))
    .run(&mut *conn)
    .await?;
    Ok(())
}

pub(crate) async fn cancel_job_row(conn: &mut Conn, id: &str) -> Result<()> {
    let rows = sqlx::query("UPDATE report_jobs SET status = 'Cancelled' WHERE id = $1 AND status IN ('Pending', 'Running')")
        .bind(id)
        .run(&mut *conn)
        .await?;
    one_row(rows, ErrorCode::ItemNotFound)
}

pub(crate) async fn complete_job_row(conn: &mut Conn, j: &ReportJob, content: &[u8]) -> Result<()> {
    let rows = sqlx::query(
        "UPDATE report_jobs SET status = $2, size = $3, error = $4, completed_at = $5, content = $6 \
         WHERE id = $1 AND status = 'Running' AND claim = $7",
    )
    .bind(&j.id)
    .bind(&j.status)
    .bind(j.size)
    .bind(&j.error)
    .bind(j.completed_at.map(ts))
    .bind((!content.is_empty()).then(|| content.to_vec()))
    .bind(&j.claim)
    .run(&mut *conn)
    .await?;
    one_row(rows, ErrorCode::ItemNotFound)
}
