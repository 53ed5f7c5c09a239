//! The protocol surface every face shares, at the paths the standards fix: the public keys
//! keyhall signs its tokens with (`/.well-known/jwks.json`, RFC 7517). Whatever face issued a
//! token, a relying service verifies it with these keys; the OpenID provider's discovery
//! document will sit beside them.

use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use http::StatusCode;
use keyhall_core::Core;

/// The routes under `/.well-known/`.
pub fn router(core: Arc<Core>) -> Router {
    Router::new().route("/.well-known/jwks.json", get(jwks)).with_state(core)
}

/// The JWK set of the signing keys (the newest signs, all verify).
async fn jwks(State(core): State<Arc<Core>>) -> Response {
    match core.auth().jwks().await {
        Ok(set) => axum::Json(set).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "the signing keys could not be loaded");
            (StatusCode::INTERNAL_SERVER_ERROR, axum::Json(serde_json::json!({ "error": "server_error" }))).into_response()
        }
    }
}
