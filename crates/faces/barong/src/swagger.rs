//! `GET /api/v2/auth/resource/swagger_doc` (and `/swagger_doc/{name}` for one namespace): a
//! Swagger 2.0 description of the resource API, in the shape grape-swagger gives Barong's,
//! built from one table of the operations this face serves (a test checks each is routed).

use axum::extract::{Path, State as AxumState};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use http::{StatusCode, header};
use serde_json::{Map, Value, json};

use crate::State;

/// Where a parameter goes and what it holds.
#[derive(Clone, Copy)]
enum Kind {
    Text,
    Integer,
    Boolean,
    Date,
    File,
}

struct Param {
    name: &'static str,
    kind: Kind,
    required: bool,
}

const fn req(name: &'static str) -> Param {
    Param { name, kind: Kind::Text, required: true }
}

const fn opt(name: &'static str) -> Param {
    Param { name, kind: Kind::Text, required: false }
}

const fn of(kind: Kind, name: &'static str, required: bool) -> Param {
    Param { name, kind, required }
}

/// One operation of the resource API.
pub struct Operation {
    pub method: &'static str,
    /// Relative to the resource API's base path; `{name}` marks a path parameter.
    pub path: &'static str,
    summary: &'static str,
    params: &'static [Param],
    success: u16,
}

const PAGING: &[Param] = &[of(Kind::Integer, "page", false), of(Kind::Integer, "limit", false)];
const KEY_LISTING: &[Param] =
    &[opt("ordering"), opt("order_by"), of(Kind::Integer, "page", false), of(Kind::Integer, "limit", false)];
const PROFILE: &[Param] = &[
    opt("first_name"),
    opt("last_name"),
    of(Kind::Date, "dob", false),
    opt("address"),
    opt("postcode"),
    opt("city"),
    opt("country"),
    opt("metadata"),
    of(Kind::Boolean, "confirm", false),
];
const PHONE: &[Param] = &[req("phone_number"), opt("channel")];

macro_rules! op {
    ($method:literal, $path:literal, $summary:literal, $params:expr, $success:literal) => {
        Operation { method: $method, path: $path, summary: $summary, params: $params, success: $success }
    };
}

/// Every operation, in Barong's order of namespaces.
pub const OPERATIONS: &[Operation] = &[
    op!("get", "/users/me", "Returns current user", &[], 200),
    op!("put", "/users/me", "Updates the data of the current user", &[req("data")], 200),
    op!("delete", "/users/me", "Closes the account of the current user", &[req("password"), opt("otp_code")], 200),
    op!("get", "/users/activity/{topic}", "Returns user activity", PAGING, 200),
    op!(
        "put",
        "/users/password",
        "Sets new account password",
        &[req("old_password"), req("new_password"), req("confirm_password")],
        201
    ),
    op!("get", "/labels", "List all labels for current user", &[], 200),
    op!("post", "/labels", "Create a label with 'public' scope", &[req("key"), req("value")], 201),
    op!("get", "/labels/{key}", "Return a label by key", &[], 200),
    op!("patch", "/labels/{key}", "Update a label with 'public' scope", &[req("value")], 200),
    op!("delete", "/labels/{key}", "Delete a label with 'public' scope", &[], 204),
    op!("get", "/profiles/me", "Return profiles of current user", &[], 200),
    op!("post", "/profiles", "Create a profile for current user", PROFILE, 201),
    op!("put", "/profiles", "Update the drafted profile of current user", PROFILE, 200),
    op!("get", "/phones", "Returns list of user's phone numbers", &[], 200),
    op!("post", "/phones", "Add new phone", PHONE, 201),
    op!("post", "/phones/send_code", "Resend activation code", PHONE, 201),
    op!("post", "/phones/verify", "Verify a phone", &[req("phone_number"), req("verification_code")], 201),
    op!("get", "/documents", "Return current user documents list", &[], 200),
    op!(
        "post",
        "/documents",
        "Upload a new document for current user",
        &[
            req("doc_type"),
            req("doc_number"),
            of(Kind::File, "upload", true),
            of(Kind::Date, "doc_expire", false),
            opt("doc_category"),
            opt("identificator"),
            opt("metadata"),
        ],
        201
    ),
    op!(
        "post",
        "/addresses",
        "Upload a new address approval document for current user",
        &[req("country"), req("address"), of(Kind::File, "upload", true), req("city"), req("postcode")],
        201
    ),
    op!("post", "/otp/generate_qrcode", "Generate qr code for 2FA", &[], 201),
    op!("post", "/otp/enable", "Enable 2FA", &[req("code")], 201),
    op!("post", "/otp/disable", "Disable 2FA", &[req("code")], 201),
    op!("post", "/otp/verify", "Verify 2FA code", &[req("code")], 201),
    op!("get", "/api_keys", "List all api keys for current account.", KEY_LISTING, 200),
    op!("post", "/api_keys", "Create API key.", &[req("algorithm"), opt("scope"), req("totp_code")], 201),
    op!("patch", "/api_keys/{kid}", "Updates API key.", &[opt("scope"), opt("state"), req("totp_code")], 200),
    op!("delete", "/api_keys/{kid}", "Delete API key.", &[req("totp_code")], 204),
    op!("get", "/service_accounts", "List service accounts of current user.", PAGING, 200),
    op!("get", "/service_accounts/api_keys", "List api keys of a service account.", KEY_LISTING, 200),
    op!(
        "post",
        "/service_accounts/api_keys",
        "Create an api key for a service account.",
        &[req("service_account_uid"), req("algorithm"), opt("scope"), req("totp_code")],
        201
    ),
    op!(
        "put",
        "/service_accounts/api_keys/{kid}",
        "Update an api key of a service account.",
        &[req("service_account_uid"), opt("scope"), opt("state"), req("totp_code")],
        200
    ),
    op!(
        "delete",
        "/service_accounts/api_keys/{kid}",
        "Delete an api key of a service account.",
        &[req("service_account_uid"), req("totp_code")],
        204
    ),
    op!("post", "/data_storage", "Create data storage", &[req("title"), req("data")], 201),
];

pub const BASE_PATH: &str = "/api/v2/auth/resource";

/// The namespace (tag) of a path: its first segment.
fn tag(path: &str) -> &str {
    path.trim_start_matches('/').split('/').next().unwrap_or("")
}

fn parameter(p: &Param, method: &str, in_path: bool) -> Value {
    let location = if in_path {
        "path"
    } else if method == "get" || method == "delete" {
        "query"
    } else {
        "formData"
    };
    let mut v = json!({ "in": location, "name": p.name, "required": p.required || in_path });
    let (t, format) = match p.kind {
        Kind::Text => ("string", None),
        Kind::Integer => ("integer", Some("int32")),
        Kind::Boolean => ("boolean", None),
        Kind::Date => ("string", Some("date")),
        Kind::File => ("file", None),
    };
    v["type"] = json!(t);
    if let Some(f) = format {
        v["format"] = json!(f);
    }
    v
}

fn operation_id(op: &Operation) -> String {
    let mut id = op.method.to_string();
    for part in op.path.split(['/', '_']).filter(|s| !s.is_empty()) {
        let part = part.trim_start_matches('{').trim_end_matches('}');
        let mut chars = part.chars();
        if let Some(first) = chars.next() {
            id.push(first.to_ascii_uppercase());
            id.extend(chars);
        }
    }
    id
}

/// The document, limited to one namespace when `only` is given; `None` for an unknown one.
pub fn document(host: &str, only: Option<&str>) -> Option<Value> {
    let ops: Vec<&Operation> = OPERATIONS.iter().filter(|o| only.is_none_or(|n| tag(o.path) == n)).collect();
    if ops.is_empty() {
        return None;
    }
    let mut tags: Vec<&str> = ops.iter().map(|o| tag(o.path)).collect();
    tags.sort_unstable();
    tags.dedup();
    let mut paths = Map::new();
    for op in &ops {
        let path_params: Vec<&str> =
            op.path.split('/').filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}'))).collect();
        let mut parameters: Vec<Value> = path_params
            .iter()
            .map(|name| parameter(&Param { name, kind: Kind::Text, required: true }, op.method, true))
            .collect();
        parameters.extend(op.params.iter().map(|p| parameter(p, op.method, false)));
        let uploads = op.params.iter().any(|p| matches!(p.kind, Kind::File));
        let mut entry = json!({
            "description": op.summary,
            "produces": ["application/json"],
            "parameters": parameters,
            "responses": {
                op.success.to_string(): { "description": op.summary },
                "401": { "description": "Invalid bearer token" },
                "422": { "description": "Validation errors" },
            },
            "tags": [tag(op.path)],
            "operationId": operation_id(op),
        });
        if op.method != "get" && op.method != "delete" {
            entry["consumes"] = if uploads {
                json!(["multipart/form-data"])
            } else {
                json!(["application/json", "application/x-www-form-urlencoded"])
            };
        }
        let slot = paths.entry(op.path.to_string()).or_insert_with(|| json!({}));
        slot[op.method] = entry;
    }
    Some(json!({
        "info": { "title": "API title", "version": "0.0.1" },
        "swagger": "2.0",
        "produces": ["application/json"],
        "securityDefinitions": {
            "BearerToken": {
                "description": "Bearer Token authentication",
                "type": "basic",
                "name": "Authorization",
                "in": "header",
            }
        },
        "host": host,
        "basePath": BASE_PATH,
        "tags": tags.iter().map(|t| json!({ "name": t, "description": format!("Operations about {t}") })).collect::<Vec<_>>(),
        "paths": paths,
    }))
}

fn answer(headers: &HeaderMap, only: Option<&str>) -> Response {
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok()).unwrap_or("localhost");
    match document(host, only) {
        Some(doc) => {
            let cors = [(header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"), (header::ACCESS_CONTROL_REQUEST_METHOD, "*")];
            (cors, axum::Json(doc)).into_response()
        }
        None => (StatusCode::BAD_REQUEST, axum::Json(json!({ "error": "named resource not exist" }))).into_response(),
    }
}

pub async fn all(AxumState(_): AxumState<State>, headers: HeaderMap) -> Response {
    answer(&headers, None)
}

pub async fn named(AxumState(_): AxumState<State>, Path(name): Path<String>, headers: HeaderMap) -> Response {
    answer(&headers, Some(&name))
}
