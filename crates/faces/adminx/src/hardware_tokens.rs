//! Hardware tokens (`/hardwaretokens/…`) and their test (`/hardwareotp/onespan/test`): the
//! community is the signed-in administrator's (the seed's bodies name none; when they do,
//! it must be the caller's).

use axum::Router;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{Multipart, Path, State as AxumState};
use axum::response::{IntoResponse, Response};
use axum::routing::{patch, post, put};
use keyhall_core::adminx::hardware_tokens::{HolderQuery, OathKind, SerialMatch, TokenQuery};
use keyhall_core::adminx::{Scope, SignedInCaller};
use serde_json::{Value, json};

use crate::documents::named_or_own;
use crate::envelope::{Call, UploadCall};
use crate::errors::{AdminxError, Result};
use crate::fields::{flag, given, must, page_json, paging, strings, text};
use crate::{BASE_PATH, State};

pub fn routes(router: Router<State>) -> Router<State> {
    let p = |path: &str| format!("{BASE_PATH}{path}");
    router
        .route(&p("/hardwaretokens/fetch"), post(fetch))
        .route(&p("/hardwaretokens/tokens"), put(create_from_text).delete(delete_tokens))
        .route(&p("/hardwaretokens/tokens/{id}"), patch(edit))
        .route(&p("/hardwaretokens/import_csv"), post(import_file))
        .route(&p("/hardwaretokens/resync"), post(resync))
        .route(&p("/hardwaretokens/usertokens/fetch"), post(fetch_holders))
        .route(&p("/hardwaretokens/usertokens"), put(assign).delete(unassign))
        .route(&p("/hardwaretokens/usertokens/csv_text"), put(assign_from_text))
        .route(&p("/hardwaretokens/usertokens/import_csv"), post(assign_from_file))
        .route(&p("/hardwareotp/onespan/test"), post(test_code))
}

/// The `query.serialNumbers` filter: exact serial numbers, or `/text/` for containing `text`.
fn serial_filter(query: &Value) -> Result<Vec<SerialMatch>> {
    let one = query.get("serialNumber").and_then(Value::as_str).map(|s| vec![s.to_string()]);
    let many = strings(query, "serialNumbers", 1000)
        .map_err(|_| AdminxError::bad_request("\"query.serialNumbers\" must be an array of strings"))?;
    Ok(many.or(one).unwrap_or_default().iter().map(|s| SerialMatch::parse(s.trim())).collect())
}

fn query_of(body: &Value) -> Result<Value> {
    match body.get("query") {
        None | Some(Value::Null) => Ok(json!({})),
        Some(q @ Value::Object(_)) => Ok(q.clone()),
        Some(_) => Err(AdminxError::bad_request("\"query\" must be an object")),
    }
}

/// `POST /hardwaretokens/fetch`: a page of tokens, never their seeds.
async fn fetch(AxumState(state): AxumState<State>, call: Call) -> Result<Response> {
    let (_, scope) = named_or_own(&state, &call).await?;
    let (limit, offset) = paging(&call.body, 10)?;
    let query = query_of(&call.body)?;
    let kind = match text(&query, "type").map_err(|_| AdminxError::bad_request("\"query.type\" must be a string"))? {
        None => None,
        Some(t) => Some(OathKind::parse(&t).ok_or_else(|| AdminxError::bad_request("\"query.type\" must be hotp or totp"))?),
    };
    let counts = flag(call.body.get("returnAssignedUserCount").unwrap_or(&Value::Null), "returnAssignedUserCount")?;
    let activity = flag(call.body.get("returnActivityStatus").unwrap_or(&Value::Null), "returnActivityStatus")?;
    let q = TokenQuery { serials: serial_filter(&query)?, kind, limit, offset };
    let (tokens, total) = state.core.adminx().hardware_tokens(scope, &q).await?;
    let now = state.core.now();
    let data: Vec<Value> = tokens
        .iter()
        .map(|(t, holders)| {
            let mut v = t.to_json(counts.unwrap_or(false).then_some(*holders), now);
            if !activity.unwrap_or(false) {
                v.as_object_mut().map(|o| o.remove("activityStatus"));
            }
            v
        })
        .collect();
    Ok(call.reply(&json!({ "data": data, "page": page_json(limit, offset, total) })))
}

/// What an import answers: how many rows, how many made.
fn imported(requested: usize, created: usize) -> Value {
    json!({ "requested": requested, "created": created, "failed": 0, "errors": [], "message": format!("{created} hardware token(s) created") })
}

/// `PUT /hardwaretokens/tokens`: tokens from `csv_text`, all or none.
async fn create_from_text(AxumState(state): AxumState<State>, call: Call) -> Result<Response> {
    let (caller, scope) = named_or_own(&state, &call).await?;
    let csv = must(&call.body, "csv_text")?;
    let tokens = state.core.adminx().import_tokens(&caller, scope, &csv).await?;
    Ok(call.reply(&imported(tokens.len(), tokens.len())))
}

/// The text of an uploaded CSV file (the first part of the form).
async fn uploaded_text(multipart: std::result::Result<Multipart, MultipartRejection>) -> Result<String> {
    let (_, bytes) = crate::envelope::uploaded_file(multipart).await?;
    let text = String::from_utf8(bytes.to_vec()).map_err(|_| AdminxError::bad_request("\"file\" must be a UTF-8 CSV file"))?;
    Ok(text.trim_start_matches('\u{feff}').to_string())
}

/// The administrator of an upload call, its community, and the CSV text of its file.
async fn uploaded_csv(
    state: &State,
    call: &Call,
    multipart: std::result::Result<Multipart, MultipartRejection>,
) -> Result<(SignedInCaller, Scope, String)> {
    let caller = state.signed_in(call).await?;
    caller.require_admin()?;
    let scope = caller.scope();
    Ok((caller, scope, uploaded_text(multipart).await?))
}

/// `POST /hardwaretokens/import_csv`: tokens from an uploaded CSV file.
async fn import_file(
    AxumState(state): AxumState<State>,
    UploadCall(call): UploadCall,
    multipart: std::result::Result<Multipart, MultipartRejection>,
) -> Result<Response> {
    let (caller, scope, csv) = uploaded_csv(&state, &call, multipart).await?;
    let tokens = state.core.adminx().import_tokens(&caller, scope, &csv).await?;
    Ok(call.reply(&imported(tokens.len(), tokens.len())))
}

/// `PATCH /hardwaretokens/tokens/{id}`: a new seed and/or counter (400 when neither).
async fn edit(AxumState(state): AxumState<State>, Path(id): Path<String>, call: Call) -> Result<Response> {
    let (caller, scope) = named_or_own(&state, &call).await?;
    let seed = given(&call.body, "seed")?;
    let counter = match call.body.get("counter") {
        None | Some(Value::Null) => None,
        Some(v) => Some(
            v.as_i64()
                .filter(|n| *n >= 0)
                .ok_or_else(|| AdminxError::bad_request("\"counter\" must be a whole number from 0"))?,
        ),
    };
    if seed.is_none() && counter.is_none() {
        return Err(AdminxError::bad_request("\"seed\" or \"counter\" is required"));
    }
    let token = state.core.adminx().edit_token(&caller, scope, &id, seed.as_deref(), counter).await?;
    Ok(call.reply(&json!({ "message": "Hardware token updated", "token": token.to_json(None, state.core.now()) })))
}

/// `DELETE /hardwaretokens/tokens`: `{deletedCount}`, plain as the seed shows it.
async fn delete_tokens(AxumState(state): AxumState<State>, call: Call) -> Result<Response> {
    let (caller, scope) = named_or_own(&state, &call).await?;
    let serials = strings(&call.body, "serialNumbers", 10_000)?
        .filter(|s| !s.is_empty())
        .ok_or_else(|| AdminxError::missing("serialNumbers"))?;
    let deleted = state.core.adminx().delete_tokens(&caller, scope, &serials).await?;
    Ok(call.reply_plain(&json!({ "deletedCount": deleted })))
}

/// `POST /hardwaretokens/resync`: three consecutive codes put the token back in step.
async fn resync(AxumState(state): AxumState<State>, call: Call) -> Result<Response> {
    let (caller, scope) = named_or_own(&state, &call).await?;
    let code = |name: &str| -> Result<String> {
        match call.body.get(name) {
            Some(Value::Number(n)) => Ok(numeric_code(n)),
            _ => must(&call.body, name),
        }
    };
    let (c1, c2, c3) = (code("code1")?, code("code2")?, code("code3")?);
    let serial = must(&call.body, "serialNumber")?;
    let token = state.core.adminx().resync_token(&caller, scope, &serial, [&c1, &c2, &c3]).await?;
    Ok(call
        .reply(&json!({ "message": "Hardware token re-synced", "serialNumber": token.serial_number, "counter": token.counter })))
}

/// `POST /hardwaretokens/usertokens/fetch`: a page of who holds which token.
async fn fetch_holders(AxumState(state): AxumState<State>, call: Call) -> Result<Response> {
    let (_, scope) = named_or_own(&state, &call).await?;
    let (limit, offset) = paging(&call.body, 10)?;
    let query = query_of(&call.body)?;
    let username = given(&query, "username").map_err(|_| AdminxError::bad_request("\"query.username\" must be a string"))?;
    let q = HolderQuery { username, serials: serial_filter(&query)?, limit, offset };
    let (holders, total) = state.core.adminx().token_holders(scope, &q).await?;
    let data: Vec<Value> = holders.iter().map(|h| h.to_json()).collect();
    Ok(call.reply(&json!({ "data": data, "page": page_json(limit, offset, total) })))
}

/// The `list` of `{username, serialNumber}` pairs.
fn pairs(body: &Value) -> Result<Vec<(String, String)>> {
    let list = match body.get("list") {
        None | Some(Value::Null) => return Err(AdminxError::missing("list")),
        Some(Value::Array(items)) if !items.is_empty() && items.len() <= 10_000 => items,
        Some(_) => return Err(AdminxError::bad_request("\"list\" must be an array of 1 to 10000 {username, serialNumber}")),
    };
    list.iter()
        .map(|item| {
            let field = |name: &str| {
                item.get(name)
                    .and_then(Value::as_str)
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
                    .ok_or_else(|| AdminxError::bad_request(format!("every item of \"list\" needs \"{name}\"")))
            };
            Ok((field("username")?, field("serialNumber")?))
        })
        .collect()
}

fn assigned(requested: usize, added: usize) -> Value {
    json!({ "requested": requested, "assigned": added, "failed": 0, "errors": [], "message": format!("{added} assignment(s) made") })
}

/// `PUT /hardwaretokens/usertokens`: every pair, or none when one names an unknown user or token.
async fn assign(AxumState(state): AxumState<State>, call: Call) -> Result<Response> {
    let (caller, scope) = named_or_own(&state, &call).await?;
    let pairs = pairs(&call.body)?;
    let added = state.core.adminx().assign_tokens(&caller, scope, &pairs).await?;
    Ok(call.reply(&assigned(pairs.len(), added)))
}

/// `PUT /hardwaretokens/usertokens/csv_text`: pairs from `serialNumber,username` rows.
async fn assign_from_text(AxumState(state): AxumState<State>, call: Call) -> Result<Response> {
    let (caller, scope) = named_or_own(&state, &call).await?;
    let csv = must(&call.body, "csv_text")?;
    let added = state.core.adminx().assign_tokens_csv(&caller, scope, &csv).await?;
    Ok(call.reply(&assigned(added, added)))
}

/// `POST /hardwaretokens/usertokens/import_csv`: pairs from an uploaded CSV file.
async fn assign_from_file(
    AxumState(state): AxumState<State>,
    UploadCall(call): UploadCall,
    multipart: std::result::Result<Multipart, MultipartRejection>,
) -> Result<Response> {
    let (caller, scope, csv) = uploaded_csv(&state, &call, multipart).await?;
    let added = state.core.adminx().assign_tokens_csv(&caller, scope, &csv).await?;
    Ok(call.reply(&assigned(added, added)))
}

/// `DELETE /hardwaretokens/usertokens`: 204.
async fn unassign(AxumState(state): AxumState<State>, call: Call) -> Result<Response> {
    let (caller, scope) = named_or_own(&state, &call).await?;
    let pairs = pairs(&call.body)?;
    state.core.adminx().unassign_tokens(&caller, scope, &pairs).await?;
    Ok(http::StatusCode::NO_CONTENT.into_response())
}

/// `POST /hardwareotp/onespan/test`: keyhall is the OTP server of the tokens it holds, so the
/// test checks (and spends) a code of a token the user holds.
async fn test_code(AxumState(state): AxumState<State>, call: Call) -> Result<Response> {
    let (caller, scope) = named_or_own(&state, &call).await?;
    let username = must(&call.body, "user_name")?;
    let otp = match call.body.get("otp") {
        Some(Value::Number(n)) => numeric_code(n),
        _ => must(&call.body, "otp")?,
    };
    state.core.adminx().test_token_code(&caller, scope, &username, &otp).await?;
    Ok(call.reply(&json!({ "code": "200", "message": "Success." })))
}

/// A code sent as a JSON number (its leading zeros, lost, are the token's to put back).
fn numeric_code(n: &serde_json::Number) -> String {
    n.as_u64().map(|n| n.to_string()).unwrap_or_default()
}
