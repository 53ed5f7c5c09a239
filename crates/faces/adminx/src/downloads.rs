//! `/downloadables/…`: the software catalogue and its files (administrators).

use axum::extract::State as AxumState;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::State;
use crate::envelope::Call;
use crate::errors::{AdminxError, Result};
use crate::fields::given;

fn list(body: &Value, name: &str) -> Result<Vec<String>> {
    crate::fields::strings(body, name, 20)?.ok_or_else(|| AdminxError::missing(name))
}

/// `POST /downloadables/versions/fetch`: `{artifacts: [{software, os, displayVersion, version}]}`.
pub async fn versions(AxumState(state): AxumState<State>, call: Call) -> Result<Response> {
    let caller = state.signed_in(&call).await?;
    caller.require_admin()?;
    let software = list(&call.body, "software")?;
    let os = list(&call.body, "os")?;
    let latest = crate::fields::flag(call.body.get("latest").unwrap_or(&Value::Null), "latest")?.unwrap_or(true);
    let artifacts: Vec<Value> = state
        .config
        .downloadables
        .versions(&software, &os, latest)
        .into_iter()
        .map(|a| json!({ "software": a.software, "os": a.os, "displayVersion": a.display_version, "version": a.version }))
        .collect();
    Ok(call.reply_plain(&json!({ "artifacts": artifacts })))
}

/// `POST /downloadables/artifact/fetch`: the file itself (`type` broker by default, `os`
/// windows, `version` latest, as the vendor's console asks), for a module of the community.
pub async fn artifact(AxumState(state): AxumState<State>, call: Call) -> Result<Response> {
    let caller = state.signed_in(&call).await?;
    caller.require_admin()?;
    let scope = crate::users::body_scope(&caller, &call.body)?;
    let module = keyhall_core::adminx::parse_module_id(&crate::fields::must(&call.body, "moduleId")?)?;
    state.core.adminx().auth_module(scope, module).await?;
    let software = given(&call.body, "type")?.unwrap_or_else(|| "broker".into());
    let os = given(&call.body, "os")?.unwrap_or_else(|| "windows".into());
    let version = given(&call.body, "version")?;
    let not_found = || AdminxError::not_found("Artifact");
    let found = state.config.downloadables.artifact(&software, &os, version.as_deref()).ok_or_else(not_found)?;
    let file = tokio::fs::File::open(&found.file).await.map_err(|_| not_found())?;
    let length = file.metadata().await.map_err(AdminxError::internal)?.len();
    let name = found.download_name().replace(['"', '\\', '\r', '\n'], "_");
    let body = axum::body::Body::from_stream(tokio_util::io::ReaderStream::new(file));
    Ok((
        [
            (http::header::CONTENT_TYPE, "application/octet-stream".to_string()),
            (http::header::CONTENT_LENGTH, length.to_string()),
            (http::header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\"")),
        ],
        body,
    )
        .into_response())
}
