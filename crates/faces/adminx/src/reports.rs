//! Reports (`/reports/…`): the community's events read back, or built as a CSV/XLSX download
//! in the background (any report with `download`), and the jobs' files at the link mailed.

use axum::Router;
use axum::extract::{Path, Query, State as AxumState};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, patch, post, put};
use keyhall_core::adminx::report_jobs::JobOrder;
use keyhall_core::adminx::report_queries::{event_query, metric_name, roles_of};
use keyhall_core::adminx::reports::{ReportEvent, format_date};
use keyhall_core::adminx::{Scope, SignedInCaller};
use serde_json::{Value, json};

use crate::documents::named_or_own;
use crate::envelope::Call;
use crate::errors::{AdminxError, Result};
use crate::fields::{flag, must, page_json, paging};
use crate::{BASE_PATH, State};

pub fn routes(router: Router<State>) -> Router<State> {
    let p = |path: &str| format!("{BASE_PATH}{path}");
    router
        .route(&p("/reports/events"), post(|s, c| events_report(s, c, "events")))
        .route(&p("/reports/audit_log"), post(|s, c| events_report(s, c, "audit_log")))
        .route(&p("/reports/login_activity"), post(login_activity))
        .route(&p("/reports/metrics"), post(metrics))
        .route(&p("/reports/role_assignment"), post(role_assignment))
        .route(&p("/reports/userenrollment"), post(user_enrollment))
        .route(&p("/reports/hardwaretokens_export"), post(hardware_tokens_export))
        .route(&p("/reports/event"), put(store_event))
        .route(&p("/reports/download/jobs"), post(jobs))
        .route(&p("/reports/download/jobs/{jobId}"), patch(cancel_job))
        .route("/downloads/reports/tenant/{tenant}/community/{community}/job/{job}/{file}", get(download))
}

/// The administrator and the community the body names.
async fn administrator(state: &State, call: &Call) -> Result<(SignedInCaller, Scope)> {
    let caller = state.signed_in(call).await?;
    caller.require_admin()?;
    let scope = crate::users::body_scope(&caller, &call.body)?;
    Ok((caller, scope))
}

/// The `download` object, when the request asks for one.
fn download_of(body: &Value) -> Result<Option<&Value>> {
    match body.get("download") {
        None | Some(Value::Null) => Ok(None),
        Some(d @ Value::Object(_)) => Ok(Some(d)),
        Some(_) => Err(AdminxError::bad_request("\"download\" must be an object with notificationList")),
    }
}

/// `{jobId}` for a report queued as a download.
async fn queued(
    state: &State,
    call: &Call,
    caller: &SignedInCaller,
    scope: Scope,
    report: &str,
    params: Value,
    d: &Value,
) -> Result<Response> {
    let job = state.core.adminx().request_report(caller, scope, report, params, d).await?;
    Ok(call.reply(&json!({ "jobId": job.id })))
}

/// The request as a job keeps it: its fields without the envelope's ids and the download.
fn params_of(body: &Value) -> Value {
    let mut fields = crate::documents::without_scope(body);
    if let Some(o) = fields.as_object_mut() {
        o.remove("download");
    }
    fields
}

/// `/reports/events` and `/reports/audit_log`: a page of events (newest first) or a job.
async fn events_report(AxumState(state): AxumState<State>, call: Call, report: &'static str) -> Result<Response> {
    let (caller, scope) = administrator(&state, &call).await?;
    let mut q = event_query(report, &call.body, state.core.now(), None)?;
    if let Some(d) = download_of(&call.body)? {
        return queued(&state, &call, &caller, scope, report, params_of(&call.body), d).await;
    }
    (q.limit, q.offset) = paging(&call.body, 10)?;
    let (events, total) = state.core.adminx().report_events(scope, &q).await?;
    let data: Vec<Value> = events.iter().map(ReportEvent::to_json).collect();
    let data = if report == "audit_log" { json!({ "auditLogEvents": data }) } else { Value::Array(data) };
    Ok(call.reply(&json!({ "page": page_json(q.limit, q.offset, total), "data": data })))
}

/// `/reports/login_activity`: SP redirects and the sign-ins behind them; a basic user's own only.
async fn login_activity(AxumState(state): AxumState<State>, call: Call) -> Result<Response> {
    let caller = state.signed_in(&call).await?;
    let scope = crate::users::body_scope(&caller, &call.body)?;
    let own = (!caller.member.role.is_admin()).then(|| caller.member.username.clone());
    let mut q = event_query("login_activity", &call.body, state.core.now(), own.as_deref())?;
    if let Some(d) = download_of(&call.body)? {
        let mut params = params_of(&call.body);
        if let Some(user) = &own {
            params["own_user_id"] = json!(user);
        }
        return queued(&state, &call, &caller, scope, "login_activity", params, d).await;
    }
    (q.limit, q.offset) = paging(&call.body, 10)?;
    let (data, total) = state.core.adminx().login_activity(scope, &q).await?;
    Ok(call.reply(&json!({ "page": page_json(q.limit, q.offset, total), "data": data })))
}

/// `/reports/metrics`: `{count}` or a series, or a job.
async fn metrics(AxumState(state): AxumState<State>, call: Call) -> Result<Response> {
    let (caller, scope) = administrator(&state, &call).await?;
    metric_name(&call.body)?;
    if let Some(d) = download_of(&call.body)? {
        // The result is checked now, so that a bad request is refused rather than queued.
        state.core.adminx().metrics(scope, &call.body).await?;
        return queued(&state, &call, &caller, scope, "metrics", params_of(&call.body), d).await;
    }
    Ok(call.reply(&state.core.adminx().metrics(scope, &call.body).await?))
}

/// `/reports/role_assignment`: who holds which role (`roleIds` are role names), paged, or a job.
async fn role_assignment(AxumState(state): AxumState<State>, call: Call) -> Result<Response> {
    let (caller, scope) = administrator(&state, &call).await?;
    let roles = roles_of(&call.body)?;
    if let Some(d) = download_of(&call.body)? {
        return queued(&state, &call, &caller, scope, "role_assignment", params_of(&call.body), d).await;
    }
    let (limit, offset) = paging(&call.body, 10)?;
    let (data, total) = state.core.adminx().role_assignments(scope, &roles, limit, offset).await?;
    Ok(call.reply(&json!({ "page": page_json(limit, offset, total), "data": data })))
}

/// `/reports/userenrollment`: the users of a module (the default one when none is named) with
/// their last sign-in.
async fn user_enrollment(AxumState(state): AxumState<State>, call: Call) -> Result<Response> {
    let (_, scope) = administrator(&state, &call).await?;
    let mut query = crate::users::member_query(&call.body)?;
    (query.limit, query.offset) = paging(&call.body, 10)?;
    let adminx = state.core.adminx();
    match query.module {
        Some(module) => {
            adminx.auth_module(scope, module).await?;
        }
        None => query.module = Some(adminx.default_module(scope.community).await?.id),
    }
    let (members, total) = adminx.members(scope, &query).await?;
    let names: Vec<String> = members.iter().map(|m| m.username.clone()).collect();
    let last = adminx.last_logins(scope, &names).await?;
    let now = state.core.now();
    let data: Vec<Value> = members
        .iter()
        .map(|m| {
            let at = last.iter().find(|(u, _)| *u == m.username.to_lowercase()).and_then(|(_, ms)| {
                keyhall_types::Timestamp::from_unix_timestamp_nanos(i128::from(*ms) * 1_000_000).ok().map(format_date)
            });
            json!({ "username": m.username, "status": m.status(now), "email": m.user.email.as_str(), "lastLoginTime": at,
                "uid": m.user.id.to_string() })
        })
        .collect();
    Ok(call.reply(&json!({ "page": page_json(query.limit, query.offset, total), "data": data })))
}

/// `/reports/hardwaretokens_export`: the tokens or their holders, as a job.
async fn hardware_tokens_export(AxumState(state): AxumState<State>, call: Call) -> Result<Response> {
    let (caller, scope) = named_or_own(&state, &call).await?;
    let kind = must(&call.body, "reports_type")?;
    if kind != "hardware_tokens" && kind != "user_hardwaretokens" {
        return Err(AdminxError::bad_request("\"reports_type\" must be hardware_tokens or user_hardwaretokens"));
    }
    let d = download_of(&call.body)?.ok_or_else(|| AdminxError::missing("download"))?;
    let params = params_of(&call.body);
    queued(&state, &call, &caller, scope, &kind, params, d).await
}

/// `PUT /reports/event`: a client's event (no JWT: the login page stores its visits).
async fn store_event(AxumState(state): AxumState<State>, call: Call) -> Result<Response> {
    // Anyone may make a key pair and call this: an address storing events faster than a client
    // app emits them is refused (429) rather than filling the reports.
    state.client_events.count_client(&call.origin)?;
    let scope = state.scope(&text_of(&call.body, "tenantId"), &text_of(&call.body, "communityId")).await?;
    let event = call.body.get("eventData").filter(|v| !v.is_null()).ok_or_else(|| AdminxError::missing("eventData"))?;
    if !event.is_object() {
        return Err(AdminxError::bad_request("\"eventData\" must be an object"));
    }
    let server = call.body.get("serverEventData").cloned().unwrap_or(Value::Null);
    let server_ip =
        flag(server.get("caller_ip").or(server.get("remote_address")).unwrap_or(&Value::Null), "serverEventData.caller_ip")?;
    let server_ts = flag(server.get("event_ts").unwrap_or(&Value::Null), "serverEventData.event_ts")?;
    state
        .core
        .adminx()
        .store_client_event(scope, event, server_ip.unwrap_or(false), server_ts.unwrap_or(false), &call.origin)
        .await?;
    Ok(http::StatusCode::OK.into_response())
}

fn text_of(body: &Value, key: &str) -> Option<String> {
    body.get(key).and_then(Value::as_str).map(str::to_string)
}

/// `POST /reports/download/jobs`: a page of the community's jobs.
async fn jobs(AxumState(state): AxumState<State>, call: Call) -> Result<Response> {
    let (_, scope) = named_or_own(&state, &call).await?;
    let (limit, offset) = paging(&call.body, 10)?;
    let sort = match call.body.get("sort") {
        Some(Value::Array(list)) => list.first().cloned(),
        Some(one @ Value::Object(_)) => Some(one.clone()),
        None | Some(Value::Null) => None,
        Some(_) => return Err(AdminxError::bad_request("\"sort\" must be an array of {field, order}")),
    };
    let (order, field) = match sort.as_ref().and_then(|s| s.get("field")).and_then(Value::as_str) {
        None | Some("createdAt") => (JobOrder::CreatedAt, "createdAt"),
        Some("completedAt") => (JobOrder::CompletedAt, "completedAt"),
        Some("status") => (JobOrder::Status, "status"),
        Some(other) => {
            return Err(AdminxError::bad_request(format!("cannot sort on \"{other}\" (createdAt, completedAt, status)")));
        }
    };
    let descending = !matches!(
        sort.as_ref().and_then(|s| s.get("order")).and_then(Value::as_str).map(str::to_ascii_lowercase).as_deref(),
        Some("asc" | "ascending" | "1")
    );
    let adminx = state.core.adminx();
    let (jobs, total) = adminx.report_jobs(scope, order, descending, limit, offset).await?;
    let mut data = Vec::with_capacity(jobs.len());
    for job in &jobs {
        data.push(adminx.job_json(job).await?);
    }
    let mut page = page_json(limit, offset, total);
    page["sort"] = json!([{ "field": field, "order": if descending { "desc" } else { "asc" } }]);
    Ok(call.reply(&json!({ "page": page, "data": data })))
}

/// `PATCH /reports/download/jobs/{jobId}`: cancels it (204).
async fn cancel_job(AxumState(state): AxumState<State>, Path(id): Path<String>, call: Call) -> Result<Response> {
    let (caller, scope) = named_or_own(&state, &call).await?;
    state.core.adminx().cancel_report_job(&caller, scope, &id).await?;
    Ok(http::StatusCode::NO_CONTENT.into_response())
}

#[derive(serde::Deserialize)]
struct Token {
    token: Option<String>,
}

/// The mailed link: a completed job's file, for the holder of its token.
async fn download_file(
    state: &State,
    (tenant, community, job, file): (String, String, String, String),
    token: Option<String>,
) -> Result<Response> {
    let not_found = || AdminxError::not_found("Report");
    let scope = state.core.adminx().scope(&tenant, &community).await.map_err(|_| not_found())?;
    let (content, format) = state.core.adminx().report_file(scope, &job, token.as_deref().unwrap_or_default()).await?;
    if file != format!("report.{format}") {
        return Err(not_found());
    }
    let mime = if format == "xlsx" {
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    } else {
        "text/csv; charset=utf-8"
    };
    Ok((
        [
            (http::header::CONTENT_TYPE, mime.to_string()),
            (http::header::CONTENT_DISPOSITION, format!("attachment; filename=\"report-{job}.{format}\"")),
            (http::header::CACHE_CONTROL, "private, no-store".to_string()),
            (http::header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_string()),
        ],
        content,
    )
        .into_response())
}

async fn download(
    AxumState(state): AxumState<State>,
    Path(path): Path<(String, String, String, String)>,
    Query(token): Query<Token>,
) -> Result<Response> {
    download_file(&state, path, token.token).await
}
