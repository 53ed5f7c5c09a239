//! Users (`/users/…`): create, page through, count, find, change, lock and unlock the
//! community's users; a user's own profile.

use axum::extract::State as AxumState;
use axum::response::{IntoResponse, Response};
use keyhall_core::adminx::members::{MemberProfile, MemberQuery};
use keyhall_core::adminx::user_admin::{MemberChanges, NewMember};
use keyhall_core::adminx::{Member, Role, Scope, SignedInCaller, parse_module_id};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::State;
use crate::envelope::Call;
use crate::errors::{AdminxError, Result};
use crate::fields::{flag, must, text};

pub async fn create(AxumState(state): AxumState<State>, call: Call) -> Result<Response> {
    let caller = state.signed_in(&call).await?;
    caller.require_admin()?;
    let b = &call.body;
    let module = parse_module_id(&must(b, "moduleId")?)?;
    let input = NewMember {
        module,
        username: must(b, "username")?,
        role: must(b, "role")?,
        status: must(b, "status")?,
        disabled: flag(b.get("disabled").unwrap_or(&Value::Null), "disabled")?.unwrap_or(false),
        profile: MemberProfile {
            firstname: must(b, "firstname")?,
            middlename: text(b, "middlename")?.unwrap_or_default(),
            lastname: must(b, "lastname")?,
            email2: text(b, "email2")?.unwrap_or_default(),
            phone1: text(b, "phone1")?.unwrap_or_default(),
            email1_verified: flag(b.get("email1_verified").unwrap_or(&Value::Null), "email1_verified")?.unwrap_or(false),
            ..Default::default()
        },
        email1: must(b, "email1")?,
        password: text(b, "password")?,
    };
    let member = state.core.adminx().create_member(&caller, input).await?;
    Ok(call.reply_plain(&json!({
        "requested": 1,
        "created": 1,
        "failed": 0,
        "errors": [],
        "user": member.to_json(state.core.now()),
    })))
}

/// The page and filter of `/users/fetch` and `/users/count`.
pub(crate) fn member_query(body: &Value) -> Result<MemberQuery> {
    let (limit, offset) = crate::fields::paging(body, 25)?;
    let mut q = MemberQuery { limit, offset, ..Default::default() };
    if let Some(module) = text(body, "moduleId")? {
        q.module = Some(parse_module_id(&module)?);
    }
    match body.get("query") {
        None | Some(Value::Null) => {}
        Some(Value::Object(filter)) => {
            for (key, value) in filter {
                let value = value
                    .as_str()
                    .map(str::to_string)
                    .ok_or_else(|| AdminxError::bad_request(format!("\"query.{key}\" must be a string")))?;
                match key.as_str() {
                    "username" => q.username = Some(value),
                    "email" | "email1" => q.email = Some(value),
                    "role" | "roleValue" => {
                        q.role =
                            Some(Role::parse(&value).ok_or_else(|| AdminxError::bad_request("\"query.role\" is not a role"))?)
                    }
                    "search" | "text" => q.search = Some(value),
                    _ => {
                        return Err(AdminxError::bad_request(format!(
                            "\"query.{key}\" cannot be filtered on (username, email1, role, search)"
                        )));
                    }
                }
            }
        }
        Some(_) => return Err(AdminxError::bad_request("\"query\" must be an object")),
    }
    // `sort` is a list of `{field, order}` (the first is used), or one such object.
    let sort = match body.get("sort") {
        Some(Value::Array(list)) => list.first(),
        Some(one @ Value::Object(_)) => Some(one),
        _ => None,
    };
    if let Some(sort) = sort {
        q.sort_by_created = match sort.get("field").and_then(Value::as_str) {
            Some("username") | None => false,
            Some("createdAt") | Some("created_at") => true,
            Some(other) => return Err(AdminxError::bad_request(format!("cannot sort on \"{other}\" (username, createdAt)"))),
        };
        q.descending = matches!(
            sort.get("order").and_then(Value::as_str).map(str::to_ascii_lowercase).as_deref(),
            Some("desc" | "descending" | "-1")
        );
    }
    Ok(q)
}

/// Keeps only the fields `attributes` names (and always `uid`, `username`), when given.
fn project(user: Value, attributes: Option<&Value>) -> Value {
    let Some(names) = attributes.and_then(Value::as_array).filter(|a| !a.is_empty()) else { return user };
    let mut out = serde_json::Map::new();
    for key in ["uid", "username"].into_iter().chain(names.iter().filter_map(Value::as_str)) {
        if let Some(v) = user.get(key) {
            out.insert(key.to_string(), v.clone());
        }
    }
    Value::Object(out)
}

pub async fn fetch(AxumState(state): AxumState<State>, call: Call) -> Result<Response> {
    let caller = state.signed_in(&call).await?;
    caller.require_admin()?;
    let scope = body_scope(&caller, &call.body)?;
    let query = member_query(&call.body)?;
    let module = query.module.ok_or_else(|| AdminxError::missing("moduleId"))?;
    let adminx = state.core.adminx();
    adminx.auth_module(scope, module).await?;
    let now = state.core.now();
    let page_of = |total: i64| crate::fields::page_json(query.limit, query.offset, total);
    if call.body.get("attributes").and_then(Value::as_array).is_some_and(|a| !a.is_empty()) {
        let (members, total) = adminx.members(scope, &query).await?;
        let data: Vec<Value> = members.iter().map(|m| project(m.to_json(now), call.body.get("attributes"))).collect();
        return Ok(call.reply(&json!({ "data": data, "page": page_of(total) })));
    }
    // The whole users, serialized straight from their views and kept as bytes as briefly as
    // the page itself (the hot path of the console).
    #[derive(serde::Serialize)]
    struct Page<'a> {
        data: Vec<keyhall_core::adminx::members::MemberView<'a>>,
        page: Value,
    }
    let bytes = adminx
        .rendered_page(scope, &query, |members, total| {
            serde_json::to_vec(&Page { data: members.iter().map(|m| m.view(now)).collect(), page: page_of(total) })
                .unwrap_or_default()
        })
        .await?;
    Ok(call.reply_bytes(&bytes))
}

pub async fn count(AxumState(state): AxumState<State>, call: Call) -> Result<Response> {
    let caller = state.signed_in(&call).await?;
    let scope = body_scope(&caller, &call.body)?;
    // Anyone signed in may count a module's users; only administrators filter (a filter
    // would let anyone probe the addresses).
    if call.body.get("query").is_some_and(|q| !q.is_null()) {
        caller.require_admin()?;
    }
    let mut query = member_query(&call.body)?;
    let module_id = query.module.ok_or_else(|| AdminxError::missing("moduleId"))?;
    let module = state.core.adminx().auth_module(scope, module_id).await?;
    query.limit = 1;
    let (_, total) = state.core.adminx().members(scope, &query).await?;
    Ok(call.reply_plain(&json!({ "id": module.id.to_string(), "type": module.kind.as_str(), "count": total })))
}

pub async fn count_all(AxumState(state): AxumState<State>, call: Call) -> Result<Response> {
    let caller = state.signed_in(&call).await?;
    caller.require_admin()?;
    body_scope(&caller, &call.body)?;
    let adminx = state.core.adminx();
    let counts = adminx.member_counts(&caller).await?;
    let modules = adminx.auth_modules(caller.scope()).await?;
    let per_module: Vec<Value> = modules
        .iter()
        .map(|m| {
            let n = counts.iter().find(|(id, _)| *id == m.id).map(|(_, n)| *n).unwrap_or(0);
            json!({ "id": m.id.to_string(), "type": m.kind.as_str(), "name": m.name, "count": n })
        })
        .collect();
    let total: i64 = counts.iter().map(|(_, n)| n).sum();
    Ok(call.reply(&json!({ "count": total, "modules": per_module })))
}

/// The community named in a body, which must be the caller's own (when named).
pub(crate) fn body_scope(caller: &SignedInCaller, body: &Value) -> Result<Scope> {
    Ok(caller.require_scope(&must(body, "tenantId")?, &must(body, "communityId")?)?)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FindRequest {
    tenant_id: Option<String>,
    community_id: Option<String>,
    email: Option<String>,
    username: Option<String>,
}

/// `a***@example.com`, `***4106`: enough for a person to recognise, not to harvest.
pub fn mask(to: &str) -> String {
    match to.split_once('@') {
        Some((local, domain)) => format!("{}***@{domain}", local.chars().next().unwrap_or('*')),
        None if to.is_empty() => String::new(),
        None => format!("***{}", to.chars().rev().take(4).collect::<Vec<_>>().into_iter().rev().collect::<String>()),
    }
}

/// `/users/find`: the login page looks a user up by username or e-mail. Addresses come
/// back masked, with keyed digests (HMAC under the installation's key, so that they cannot be
/// reversed by trying values) and a `user_token` for the next step.
pub async fn find(AxumState(state): AxumState<State>, call: Call) -> Result<Response> {
    let req: FindRequest = call.parse()?;
    let scope = state.scope(&req.tenant_id, &req.community_id).await?;
    let wanted = req.username.as_deref().or(req.email.as_deref()).map(str::trim).filter(|s| !s.is_empty());
    let wanted = wanted.ok_or_else(|| AdminxError::missing("username"))?;
    let adminx = state.core.adminx();
    let digest = |text: &str| adminx.contact_digest(text);
    let mut found = adminx.member_by_username(scope.community, wanted).await?;
    if found.is_none() && wanted.contains('@') {
        let query = MemberQuery { email: Some(wanted.to_string()), limit: 1, ..Default::default() };
        found = adminx.members(scope, &query).await?.0.into_iter().next();
    }
    let users: Vec<Value> = found
        .iter()
        .map(|m| {
            let p = &m.profile;
            json!({
                "username": m.username,
                "usernameHash": digest(&m.username),
                "email1": mask(m.user.email.as_str()),
                "email1Hash": digest(m.user.email.as_str()),
                "email2": mask(&p.email2),
                "email2Hash": if p.email2.is_empty() { String::new() } else { digest(&p.email2) },
                "phone": mask(&p.phone1),
                "phoneHash": if p.phone1.is_empty() { String::new() } else { digest(&p.phone1) },
                "deviceName": "",
                "aliasUsed": false,
                "user_token": adminx.user_token(m, "identified"),
            })
        })
        .collect();
    Ok(call.reply_plain(&json!({ "users": users })))
}

/// The user a body names by `username` (and `uid`, when given, which must agree).
pub(crate) async fn named_member(state: &State, caller: &SignedInCaller, body: &Value) -> Result<Member> {
    let adminx = state.core.adminx();
    let member = match (text(body, "uid")?, text(body, "username")?) {
        (Some(uid), username) => {
            let m = adminx.member(caller.scope(), &uid).await?;
            if username.is_some_and(|u| !u.trim().eq_ignore_ascii_case(&m.username)) {
                return Err(AdminxError::bad_request("\"uid\" and \"username\" name different users"));
            }
            m
        }
        (None, Some(username)) => adminx
            .member_by_username(caller.member.community_id, &username)
            .await?
            .ok_or_else(|| AdminxError::not_found("User"))?,
        (None, None) => return Err(AdminxError::missing("username")),
    };
    Ok(member)
}

pub async fn update(AxumState(state): AxumState<State>, call: Call) -> Result<Response> {
    let caller = state.signed_in(&call).await?;
    caller.require_admin()?;
    let b = &call.body;
    body_scope(&caller, b)?;
    let member = named_member(&state, &caller, b).await?;
    let changes = MemberChanges {
        firstname: text(b, "firstname")?,
        middlename: text(b, "middlename")?,
        lastname: text(b, "lastname")?,
        email1: text(b, "email1")?,
        email1_verified: flag(b.get("email1_verified").unwrap_or(&Value::Null), "email1_verified")?,
        email2: text(b, "email2")?,
        phone1: text(b, "phone1")?,
        address: b.get("address").filter(|a| a.is_object()).cloned(),
        disabled: flag(b.get("disabled").unwrap_or(&Value::Null), "disabled")?,
        status: text(b, "status")?,
        role: text(b, "role")?.or(text(b, "newRole")?),
    };
    let member = state.core.adminx().update_member(&caller, member, changes).await?;
    Ok(call.reply_plain(&member.to_json(state.core.now())))
}

pub async fn update_role(AxumState(state): AxumState<State>, call: Call) -> Result<Response> {
    let caller = state.signed_in(&call).await?;
    caller.require_admin()?;
    let b = &call.body;
    body_scope(&caller, b)?;
    let (old, new) = (must(b, "oldRole")?, must(b, "newRole")?);
    let member = named_member(&state, &caller, b).await?;
    state.core.adminx().change_role(&caller, member, &old, &new).await?;
    Ok(call.reply_plain(&json!({ "status": "success" })))
}

pub async fn lock(AxumState(state): AxumState<State>, call: Call) -> Result<Response> {
    let caller = state.signed_in(&call).await?;
    caller.require_helpdesk()?;
    let minutes = match call.body.get("lock_duration") {
        None | Some(Value::Null) => return Err(AdminxError::missing("lock_duration")),
        Some(v) => v.as_i64().ok_or_else(|| AdminxError::bad_request("\"lock_duration\" must be a number of minutes"))?,
    };
    let member = named_member(&state, &caller, &call.body).await?;
    state.core.adminx().lock_member(&caller, member, minutes).await?;
    Ok(http::StatusCode::NO_CONTENT.into_response())
}

pub async fn unlock(AxumState(state): AxumState<State>, call: Call) -> Result<Response> {
    let caller = state.signed_in(&call).await?;
    caller.require_helpdesk()?;
    let member = named_member(&state, &caller, &call.body).await?;
    state.core.adminx().unlock_member(&caller, member).await?;
    Ok(http::StatusCode::NO_CONTENT.into_response())
}

/// The caller's own profile.
pub async fn profile(AxumState(state): AxumState<State>, call: Call) -> Result<Response> {
    let caller = state.signed_in(&call).await?;
    let me = caller.member.to_json(state.core.now());
    Ok(call.reply(&project(me, call.body.get("attributes"))))
}

/// A user's detailed profile: anyone signed in may read their own; help desk and
/// administrators anyone's in the community.
pub async fn detail_profile(AxumState(state): AxumState<State>, call: Call) -> Result<Response> {
    let caller = state.signed_in(&call).await?;
    let b = &call.body;
    body_scope(&caller, b)?;
    let who = b.get("user").filter(|u| u.is_object()).ok_or_else(|| AdminxError::missing("user"))?;
    let member = named_member(&state, &caller, who).await?;
    if member.user.id != caller.user_id() {
        caller.require_helpdesk()?;
    }
    let now = state.core.now();
    let mut detail = member.to_json(now);
    let p = &member.profile;
    detail["dguid"] = json!(member.user.id.to_string());
    detail["urn"] = json!(format!("urn:keyhall:user:{}", member.user.id));
    detail["email"] = json!(member.user.email.as_str());
    detail["phone"] = json!(p.phone1);
    detail["ial"] = json!(1);
    detail["aliases"] = json!({});
    detail["userProperties"] = json!({ "mobiles": p.mobiles, "landlines": p.landlines, "aliases": {} });
    Ok(call.reply_plain(&project(detail, b.get("attributes"))))
}

/// `GET /users/user/ip`: the address the caller is seen from.
pub async fn ip(AxumState(state): AxumState<State>, call: Call) -> Result<Response> {
    state.signed_in(&call).await?;
    Ok(call.reply(&json!({ "ip": call.origin.ip.clone().unwrap_or_default() })))
}
