//! The reports as requests read them: which events each report means, the metrics, the
//! user reports, and every report as a table for its download.

use serde_json::{Value, json};

use super::hardware_tokens::{HolderQuery, SerialMatch, TokenQuery};
use super::members::MemberQuery;
use super::report_jobs::{ReportJob, ReportTable};
use super::reports::{EventQuery, ReportEvent, format_date, format_date_in, millis, window};
use super::{Adminx, Role, Scope};
use crate::error::{DomainError, Result};

/// The metrics the vendor documents: `M_C_*` are counts, the others series.
pub const METRICS: &[&str] = &[
    "M_C_ACTIVE_USER",
    "M_C_LOGIN_FAILED",
    "M_C_LOGINS",
    "M_C_NEW_DEVICES",
    "M_G_APPLICATION_USAGE",
    "M_G_LOGIN_FAILED",
    "M_GT_SUCCESSFUL_AUTHENTICATIONS",
    "M_T_NEW_DEVICES",
];
/// Events that mean a new device: a wallet made, a security key registered.
const NEW_DEVICE_EVENTS: &[&str] = &["E_WALLET_CREATED", "E_DEVICE_REGISTERED", "E_NEW_DEVICE"];
/// Rows a downloaded report holds at most.
pub const MAX_ROWS: usize = 100_000;

fn text(params: &Value, key: &str) -> Result<Option<String>> {
    match params.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s)) if s.len() <= 256 => Ok(Some(s.trim().to_string())),
        Some(_) => Err(DomainError::invalid(key.to_string(), "must be a string of at most 256 characters")),
    }
}

/// The events report `report` (`events`, `audit_log`, `login_activity`) means for a request;
/// `own` narrows it to one user (a basic user's own login activity).
pub fn event_query(report: &str, params: &Value, now: keyhall_types::Timestamp, own: Option<&str>) -> Result<EventQuery> {
    let (from_text, to_text) = (text(params, "from")?, text(params, "to")?);
    let (from, to) = window(from_text.as_deref(), to_text.as_deref(), now)?;
    let mut q = EventQuery {
        from_ms: millis(from),
        to_ms: millis(to),
        user_id: text(params, "user_id")?,
        window: Some(format!("{}|{}", from_text.unwrap_or_default(), to_text.unwrap_or_default())),
        ..Default::default()
    };
    match report {
        "events" => {
            q.event_names = text(params, "eventName")?.into_iter().collect();
            q.outcome = text(params, "outcome")?;
            if text(params, "broker_id")?.is_some() {
                return Err(DomainError::invalid("broker_id", "cannot be filtered on: keyhall has no broker connections"));
            }
        }
        "audit_log" => q.category = Some("AUDIT_LOG".into()),
        "login_activity" => {
            q.event_names = vec!["E_SP_REDIRECT_SUCCEEDED".into()];
            q.application = text(params, "application")?;
            q.auth_method = text(params, "auth_method")?;
        }
        other => return Err(DomainError::internal(format!("no events report {other}"))),
    }
    if let Some(user) = own {
        q.user_id = Some(user.to_string());
    }
    Ok(q)
}

/// A metrics request's name, checked.
pub fn metric_name(params: &Value) -> Result<String> {
    let name = text(params, "metricsName")?.ok_or_else(|| DomainError::missing("metricsName"))?;
    if !METRICS.contains(&name.as_str()) {
        return Err(DomainError::invalid("metricsName", format!("must be one of {}", METRICS.join(", "))));
    }
    Ok(name)
}

/// `responseTimezone`: `UTC` or an offset such as `+05:30`.
fn timezone(params: &Value) -> Result<time::UtcOffset> {
    let Some(tz) = text(params, "responseTimezone")? else { return Ok(time::UtcOffset::UTC) };
    if tz.eq_ignore_ascii_case("UTC") || tz.eq_ignore_ascii_case("GMT") || tz == "Z" {
        return Ok(time::UtcOffset::UTC);
    }
    let refuse = || DomainError::invalid("responseTimezone", "must be UTC or an offset such as +05:30");
    let sign = match tz.chars().next() {
        Some('+') => 1,
        Some('-') => -1,
        _ => return Err(refuse()),
    };
    let (h, m) = tz[1..].split_once(':').unwrap_or((&tz[1..], "0"));
    let (h, m): (i8, i8) = (h.parse().map_err(|_| refuse())?, m.parse().map_err(|_| refuse())?);
    time::UtcOffset::from_hms(sign * h, sign * m, 0).map_err(|_| refuse())
}

impl Adminx<'_> {
    /// `/reports/metrics`: `{count}` for `M_C_*`, else a series per day (per hour when `to`
    /// equals `from`: that day's hours), dates in `responseTimezone`.
    pub async fn metrics(self, scope: Scope, params: &Value) -> Result<Value> {
        self.metrics_at(scope, params, self.core.now()).await
    }

    /// `metrics` as of `now` (a download job: when it was asked for).
    async fn metrics_at(self, scope: Scope, params: &Value, now: keyhall_types::Timestamp) -> Result<Value> {
        let name = metric_name(params)?;
        let offset = timezone(params)?;
        let (mut from, mut to) = window(text(params, "from")?.as_deref(), text(params, "to")?.as_deref(), now)?;
        let hourly = from == to;
        if hourly {
            // The day `from` names, in the zone asked for.
            from = time::PrimitiveDateTime::new(from.date(), time::Time::MIDNIGHT).assume_offset(offset);
            to = from + time::Duration::days(1) - time::Duration::milliseconds(1);
        }
        let names: Vec<String> = match name.as_str() {
            "M_C_ACTIVE_USER" | "M_C_LOGINS" | "M_GT_SUCCESSFUL_AUTHENTICATIONS" => vec!["E_LOGIN_SUCCEEDED".into()],
            "M_C_LOGIN_FAILED" | "M_G_LOGIN_FAILED" => vec!["E_LOGIN_FAILED".into()],
            "M_G_APPLICATION_USAGE" => vec!["E_SP_REDIRECT_SUCCEEDED".into()],
            _ => NEW_DEVICE_EVENTS.iter().map(|s| s.to_string()).collect(),
        };
        let q = EventQuery { from_ms: millis(from), to_ms: millis(to), event_names: names, ..Default::default() };
        if name.starts_with("M_C_") {
            let (events, users) = self.count_events(scope, &q, name == "M_C_ACTIVE_USER").await?;
            return Ok(json!({ "count": if name == "M_C_ACTIVE_USER" { users } else { events } }));
        }
        // Buckets start at midnight (or the hour) of the zone asked for.
        let bucket_ms: i64 = if hourly { 3_600_000 } else { 86_400_000 };
        let shift = i64::from(offset.whole_seconds()) * 1000;
        let by_app = name == "M_G_APPLICATION_USAGE";
        let rows = self.core.store.report_event_buckets(scope.community, &q, bucket_ms, shift, by_app).await?;
        let series: Vec<Value> = rows
            .into_iter()
            .map(|(bucket, app, count)| {
                let date = keyhall_types::Timestamp::from_unix_timestamp_nanos(i128::from(bucket) * 1_000_000)
                    .map(|t| format_date_in(t, offset))
                    .unwrap_or_default();
                let mut point = json!({ "date": date, "count": count });
                if by_app {
                    point["application"] = json!(app.unwrap_or_default());
                }
                point
            })
            .collect();
        Ok(Value::Array(series))
    }

    /// `/reports/login_activity`: a page of SP redirects, and for each session the sign-in
    /// that opened it.
    pub async fn login_activity(self, scope: Scope, q: &EventQuery) -> Result<(Value, i64)> {
        let (activity, total) = self.report_events(scope, q).await?;
        let sessions: Vec<String> = activity.iter().filter_map(|e| e.session_id.clone()).collect();
        let mut logins = serde_json::Map::new();
        if !sessions.is_empty() {
            let lq = EventQuery {
                from_ms: 0,
                to_ms: i64::MAX,
                event_names: vec!["E_LOGIN_SUCCEEDED".into()],
                session_ids: sessions,
                limit: 1000,
                ..Default::default()
            };
            for login in self.core.store.report_events(scope.community, &lq).await? {
                let Some(session) = &login.session_id else { continue };
                // Only the sign-in of the same user: a redirect naming someone else's session
                // shows nothing of it.
                let same_user = activity.iter().any(|a| a.session_id.as_ref() == Some(session) && a.user_id == login.user_id);
                if same_user {
                    logins.entry(session.clone()).or_insert_with(|| login.to_json());
                }
            }
        }
        let events: Vec<Value> = activity.iter().map(ReportEvent::to_json).collect();
        Ok((json!({ "activityEvents": events, "loginEvents": logins }), total))
    }

    /// The community's users holding one of `roles` (all users when none), with a total.
    pub async fn role_assignments(self, scope: Scope, roles: &[Role], limit: i64, offset: i64) -> Result<(Vec<Value>, i64)> {
        let now = self.core.now();
        let row = |m: &super::Member| {
            json!({ "username": m.username, "email": m.user.email.as_str(), "role": m.role.as_str(), "status": m.status(now),
                "uid": m.user.id.to_string() })
        };
        if roles.len() <= 1 {
            let q = MemberQuery { role: roles.first().copied(), limit, offset, ..Default::default() };
            let (members, total) = self.members(scope, &q).await?;
            return Ok((members.iter().map(row).collect(), total));
        }
        let mut all = Vec::new();
        for role in roles {
            let q = MemberQuery { role: Some(*role), limit: MAX_ROWS as i64, ..Default::default() };
            all.extend(self.members(scope, &q).await?.0.iter().map(row));
        }
        let total = all.len() as i64;
        Ok((all.into_iter().skip(offset.max(0) as usize).take(limit.max(0) as usize).collect(), total))
    }

    /// A job's report as a table, read in pages (the job's heartbeat between them).
    pub async fn report_table(self, job: &ReportJob) -> Result<ReportTable> {
        let p = &job.params;
        let mut table = ReportTable::default();
        let strings = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        match job.report.as_str() {
            "events" | "audit_log" | "login_activity" => {
                table.headers = strings(&[
                    "date",
                    "eventName",
                    "eventCategory",
                    "user_id",
                    "outcome",
                    "caller_ip",
                    "caller_user_agent",
                    "session_id",
                    "event_id",
                    "details",
                ]);
                let mut q = event_query(&job.report, p, job.created_at, text(p, "own_user_id")?.as_deref())?;
                q.limit = 1000;
                loop {
                    let page = self.core.store.report_events(job.scope.community, &q).await?;
                    for e in &page {
                        let v = e.to_json();
                        let cell = |k: &str| {
                            v.get(k).map(|x| x.as_str().map(str::to_string).unwrap_or_else(|| x.to_string())).unwrap_or_default()
                        };
                        table.rows.push(vec![
                            cell("date"),
                            e.event_name.clone(),
                            e.category.clone(),
                            e.user_id.clone().unwrap_or_default(),
                            e.outcome.clone().unwrap_or_default(),
                            cell("caller_ip"),
                            cell("caller_user_agent"),
                            e.session_id.clone().unwrap_or_default(),
                            e.id.clone(),
                            e.body.to_string(),
                        ]);
                    }
                    if page.len() < q.limit as usize || table.rows.len() >= MAX_ROWS {
                        break;
                    }
                    q.offset += q.limit;
                    if !self.beat_report_job(job).await? {
                        return Err(DomainError::new(crate::error::ErrorCode::ItemNotFound)
                            .detail("The job is no longer this node's to build"));
                    }
                }
            }
            "metrics" => {
                let result = self.metrics_at(job.scope, p, job.created_at).await?;
                let name = metric_name(p)?;
                match result {
                    Value::Array(points) => {
                        table.headers = strings(&["metricsName", "date", "application", "count"]);
                        for point in points {
                            table.rows.push(vec![
                                name.clone(),
                                point["date"].as_str().unwrap_or_default().into(),
                                point["application"].as_str().unwrap_or_default().into(),
                                point["count"].to_string(),
                            ]);
                        }
                    }
                    other => {
                        table.headers = strings(&["metricsName", "from", "to", "count"]);
                        let (from, to) = window(text(p, "from")?.as_deref(), text(p, "to")?.as_deref(), job.created_at)?;
                        table.rows.push(vec![name, format_date(from), format_date(to), other["count"].to_string()]);
                    }
                }
            }
            "role_assignment" => {
                table.headers = strings(&["username", "email", "role", "status", "uid"]);
                let roles = roles_of(p)?;
                let (rows, _) = self.role_assignments(job.scope, &roles, MAX_ROWS as i64, 0).await?;
                for r in rows {
                    table.rows.push(
                        ["username", "email", "role", "status", "uid"]
                            .iter()
                            .map(|k| r[*k].as_str().unwrap_or_default().to_string())
                            .collect(),
                    );
                }
            }
            "hardware_tokens" => {
                table.headers = strings(&[
                    "serialNumber",
                    "type",
                    "algorithm",
                    "digits",
                    "period",
                    "counter",
                    "assignedUserCount",
                    "lastUsedAt",
                ]);
                let q = TokenQuery { serials: serials_of(p), limit: MAX_ROWS as i64, ..Default::default() };
                let now = self.core.now();
                for (t, holders) in self.hardware_tokens(job.scope, &q).await?.0 {
                    let last = t.last_used_at.map(format_date).unwrap_or_default();
                    let v = t.to_json(Some(holders), now);
                    table.rows.push(vec![
                        t.serial_number.clone(),
                        t.kind.as_str().into(),
                        t.algorithm.name().into(),
                        t.digits.to_string(),
                        v.get("period").map(|x| x.to_string()).unwrap_or_default(),
                        t.counter.to_string(),
                        holders.to_string(),
                        last,
                    ]);
                }
            }
            "user_hardwaretokens" => {
                table.headers = strings(&["username", "serialNumber", "assignedAt"]);
                let q = HolderQuery { serials: serials_of(p), limit: MAX_ROWS as i64, ..Default::default() };
                for h in self.token_holders(job.scope, &q).await?.0 {
                    table.rows.push(vec![h.username.clone(), h.serial_number.clone(), format_date(h.assigned_at)]);
                }
            }
            other => return Err(DomainError::internal(format!("no report {other}"))),
        }
        Ok(table)
    }
}

/// `roleIds`: role names (`tenant_admin`, `community_admin`, `helpdesk`, `basic`).
pub fn roles_of(params: &Value) -> Result<Vec<Role>> {
    match params.get("roleIds") {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) if items.len() <= 10 => items
            .iter()
            .map(|i| i.as_str().and_then(Role::parse))
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| DomainError::invalid("roleIds", "must list roles: tenant_admin, community_admin, helpdesk, basic")),
        Some(_) => Err(DomainError::invalid("roleIds", "must be an array of at most 10 roles")),
    }
}

/// `query.serialNumbers` of a hardware-token export.
pub fn serials_of(params: &Value) -> Vec<SerialMatch> {
    params["query"]["serialNumbers"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).map(|s| SerialMatch::parse(s.trim())).collect())
        .unwrap_or_default()
}
