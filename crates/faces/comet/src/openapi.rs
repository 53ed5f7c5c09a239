//! The face's OpenAPI 3.1 document, generated from the endpoint table and the wire types.

use serde_json::{Map, Value, json};
use utoipa::PartialSchema;

use crate::endpoints::{Deprecation, ENDPOINTS, Encoding, Kind};
use crate::wire::*;

fn component<T: PartialSchema>() -> Value {
    serde_json::to_value(T::schema()).unwrap_or(Value::Null)
}

fn data_schema(response: &str) -> Value {
    match response {
        "string" => json!({ "type": "string" }),
        "null" => json!({ "type": "null" }),
        "object" | "any" => json!({}),
        other => match other.strip_prefix("Array<").and_then(|s| s.strip_suffix('>')) {
            Some("string") => json!({ "type": "array", "items": { "type": "string" } }),
            Some("object") => json!({ "type": "array", "items": { "type": "object" } }),
            Some(inner) => json!({ "type": "array", "items": { "$ref": format!("#/components/schemas/{inner}") } }),
            None => json!({ "$ref": format!("#/components/schemas/{other}") }),
        },
    }
}

/// The whole document, as JSON.
pub fn document() -> Value {
    let mut paths = Map::new();
    for e in ENDPOINTS {
        let mut properties = Map::new();
        properties.insert(
            "auth_type".into(),
            json!({ "type": "string", "enum": ["token"], "description": "Required when the token is sent in the body." }),
        );
        properties
            .insert("token".into(), json!({ "type": "string", "description": "The API token (or use Authorization: Bearer)." }));
        let mut required = Vec::new();
        for p in e.params {
            let schema = match p.kind {
                Kind::Str => json!({ "type": "string" }),
                Kind::Bool => json!({ "type": "boolean" }),
                Kind::Number => json!({ "type": "integer" }),
                Kind::StrArray => json!({ "type": "array", "items": { "type": "string" } }),
            };
            let mut schema = schema.as_object().cloned().unwrap_or_default();
            if !p.doc.is_empty() {
                schema.insert("description".into(), Value::String(p.doc.into()));
            }
            properties.insert(p.name.into(), Value::Object(schema));
            if p.required {
                required.push(p.name);
            }
        }
        let success = match (e.encoding, e.response) {
            (Encoding::Json, r) => json!({ "description": "OK", "content": { "application/json": { "schema": {
                "type": "object", "required": ["status", "code", "data"],
                "properties": { "status": { "type": "string", "enum": ["ok"] }, "code": { "type": "integer", "enum": [200] }, "data": data_schema(r) } } } } }),
            (Encoding::Text, _) if e.name == "DownloadsGet" => {
                json!({ "description": "Redirect to the download", "headers": { "Location": { "schema": { "type": "string" } } } })
            }
            (Encoding::Text, "any") => json!({ "description": "The table in the requested format", "content": {
                "application/json": {}, "text/csv": {}, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {} } }),
            (Encoding::Text, _) => {
                json!({ "description": "OK", "content": { "text/plain": { "schema": { "type": "string" } } } })
            }
        };
        let error = match e.encoding {
            Encoding::Json => {
                json!({ "content": { "application/json": { "schema": { "$ref": "#/components/schemas/ApiError" } } } })
            }
            Encoding::Text => json!({ "content": { "text/plain": { "schema": { "type": "string" } } } }),
        };
        let mut responses = Map::new();
        responses.insert(if e.name == "DownloadsGet" { "301".into() } else { "200".into() }, success);
        for (code, text) in [
            ("400", "Missing or invalid parameter"),
            ("401", "Missing, invalid or revoked token, or the token lacks the Token Action"),
            ("404", "Unknown target"),
            ("405", "Method other than POST"),
        ] {
            let mut r = error.as_object().cloned().unwrap_or_default();
            r.insert("description".into(), Value::String(text.into()));
            responses.insert(code.into(), Value::Object(r));
        }
        let mut op = json!({
            "operationId": e.name,
            "summary": e.summary,
            "tags": [e.group],
            "description": format!("Token Action: `{}`", e.action),
            "security": [{ "bearer": [] }, { "formToken": [] }],
            "requestBody": { "required": true, "content": { "application/x-www-form-urlencoded": { "schema": {
                "type": "object", "properties": properties, "required": required } } } },
            "responses": responses,
        });
        if e.deprecated != Deprecation::No {
            op["deprecated"] = Value::Bool(true);
        }
        if let Deprecation::RemovedAfter(when) = e.deprecated {
            op["description"] = Value::String(format!(
                "Token Action: `{}`. Deprecated until {when}; answers 410 when legacy routes are disabled.",
                e.action
            ));
            responses_add_gone(&mut op, &error);
        }
        paths.insert(e.path.into(), json!({ "post": op }));
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "keyhall: Comet Account Portal API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "The Comet Account Portal API served by keyhall. All requests are POST with application/x-www-form-urlencoded bodies."
        },
        "paths": paths,
        "components": {
            "securitySchemes": {
                "bearer": { "type": "http", "scheme": "bearer" },
                "formToken": { "type": "apiKey", "in": "query", "name": "token", "description": "auth_type=token and token=<token> in the form body" }
            },
            "schemas": {
                "ApiError": { "type": "object", "required": ["status", "code", "data"], "properties": {
                    "status": { "type": "string", "enum": ["error"] }, "code": { "type": "integer" },
                    "data": { "type": "object", "required": ["message"], "properties": { "message": { "type": "string" } } } } },
                "AccountSettings": component::<AccountSettings>(),
                "CloudViewLoginCredentials": component::<CloudViewLoginCredentials>(),
                "CometVersion": component::<CometVersion>(),
                "CompanyApiToken": component::<CompanyApiToken>(),
                "HostedCometListRegionsResponse": component::<HostedCometListRegionsResponse>(),
                "HostedCometTenant": component::<HostedCometTenant>(),
                "Platform": component::<Platform>(),
                "Region": component::<Region>(),
                "ServerLicense": component::<ServerLicense>(),
                "User": component::<User>(),
                "UserMfaEnableWebauthnChallengeResponse": component::<UserMfaEnableWebauthnChallengeResponse>(),
            }
        }
    })
}

fn responses_add_gone(op: &mut Value, error: &Value) {
    let mut r = error.as_object().cloned().unwrap_or_default();
    r.insert("description".into(), Value::String("Endpoint removed (legacy routes disabled)".into()));
    op["responses"]["410"] = Value::Object(r);
}

/// The document as committed under `openapi/` (pretty-printed, trailing newline).
pub fn document_text() -> String {
    let mut text = serde_json::to_string_pretty(&document()).unwrap_or_default();
    text.push('\n');
    text
}
