//! The platform's public endpoints: the server key, health, environment, the service
//! directory and the ECDSA helper (which needs no envelope: it takes its keys in the body).

use axum::Json;
use axum::extract::{Path, State as AxumState};
use axum::response::{IntoResponse, Response};
use keyhall_crypto::envelope::EnvelopeKey;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::errors::{AdminxError, Result};
use crate::{BASE_PATH, State};

pub async fn public_keys(AxumState(state): AxumState<State>) -> Result<Json<Value>> {
    Ok(Json(json!({ "publicKey": &*state.server_public_key().await? })))
}

/// `<version>.<commit>`, as the seed's `<git-tag>.<commit-id>` (no build date is recorded).
fn version() -> String {
    format!("{}.{}", env!("CARGO_PKG_VERSION"), option_env!("KEYHALL_GIT_SHA").unwrap_or("unknown"))
}

/// `/healthz` and `/platform_health`: the store answers, and the server key is there.
pub async fn healthz(AxumState(state): AxumState<State>) -> Response {
    let public_key = match state.server_public_key().await {
        Ok(k) => k,
        Err(e) => return e.into_response(),
    };
    let (status, code) = match state.core.tenancy().ping().await {
        Ok(()) => ("ok", 200),
        Err(e) => {
            tracing::warn!(error = %e, "health check: the store does not answer");
            ("unavailable", 503)
        }
    };
    let body = json!({ "status": status, "publicKey": &*public_key, "code": code, "version": version() });
    (http::StatusCode::from_u16(code).unwrap_or(http::StatusCode::OK), Json(body)).into_response()
}

/// What clients need to talk to this server: the request window and the envelope's curve.
pub async fn environment(AxumState(state): AxumState<State>) -> Result<Json<Value>> {
    Ok(Json(json!({
        "allowed_time_span": state.config.allowed_time_span,
        "EC_CURVE_NAME": state.config.curve.name(),
        "sessionMaxAgeMinute": state.core.settings().session_ttl.whole_minutes(),
    })))
}

/// The platform's services and where they answer: all of them are this server.
pub async fn service_directory(AxumState(state): AxumState<State>) -> Json<Value> {
    let base = format!("{}{BASE_PATH}", state.config.public_url);
    Json(json!({
        "adminconsole": base,
        "adminapi": base,
        "caas": base,
        "sessions": base,
        "reports": base,
        "licenses": base,
    }))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HelperRequest {
    data_str: String,
    public_key: String,
    private_key: String,
}

/// `POST /ecdsa_helper/{encrypt|decrypt}`: the envelope done for the caller with the keys it
/// names (a private key of its own and a peer's public key): a tool to check a client.
pub async fn ecdsa_helper(
    AxumState(state): AxumState<State>,
    Path(method): Path<String>,
    body: axum::body::Bytes,
) -> Result<Json<Value>> {
    let req: HelperRequest = serde_json::from_slice(&body).map_err(|e| {
        let text = e.to_string();
        match text.strip_prefix("missing field `").and_then(|r| r.split('`').next()) {
            Some(field) => AdminxError::missing(field),
            None => AdminxError::bad_request("Validation error"),
        }
    })?;
    let own = EnvelopeKey::from_private_base64(state.config.curve, req.private_key.trim())
        .map_err(|_| AdminxError::bad_request("\"privateKey\" is not a private key of the curve"))?;
    let key = own
        .shared_key(req.public_key.trim())
        .map_err(|_| AdminxError::bad_request("\"publicKey\" is not a public key of the curve"))?;
    let data = match method.as_str() {
        "encrypt" => key.encrypt(req.data_str.as_bytes()),
        "decrypt" => key
            .decrypt(req.data_str.trim())
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .ok_or_else(|| AdminxError::bad_request("\"dataStr\" could not be decrypted with these keys"))?,
        _ => return Err(AdminxError::bad_request("method must be encrypt or decrypt")),
    };
    Ok(Json(json!({ "data": data })))
}

pub async fn not_found() -> AdminxError {
    AdminxError::not_found("Route")
}
