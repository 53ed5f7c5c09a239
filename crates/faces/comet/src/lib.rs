//! The Comet Account Portal API face (`/api/v1/…`): form-encoded POST requests authenticated
//! by API token, answered in the `{status, code, data}` envelope (or plain text where the
//! vendor does). Every endpoint is one row of the table in `endpoints`; `dispatch` runs the
//! checks common to all of them (method, body, token, Token Action, parameters) before the
//! row's handler translates the request into a core command.

mod dispatch;
mod endpoints;
mod errors;
mod handlers;
pub mod openapi;
mod reply;
mod settings;
mod tables;
mod wire;

use std::sync::Arc;

use axum::Router;
use keyhall_core::Core;

pub use endpoints::{Deprecation, ENDPOINTS, Encoding, Endpoint, Kind, Param};

pub use settings::{CometLayer, CometSettings};

/// The Comet envelope's answer to a request body over the limit (the JSON envelope, also on
/// the few plain-text endpoints: the limit is checked before the route is known).
pub fn body_too_large() -> axum::response::Response {
    reply::ApiError::payload_too_large().into_json_response()
}

/// The face's routes, ready to be merged into the server's router.
pub fn router(core: Arc<Core>, config: CometSettings) -> Router {
    dispatch::router(core, Arc::new(config))
}
