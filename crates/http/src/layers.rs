//! The middleware every request goes through: a request id (taken from `X-Request-Id` or
//! generated, and echoed on the response), a tracing span, panic containment, a body size
//! limit, a timeout, and metrics.

use std::time::Duration;

use axum::Router;
use http::{HeaderName, StatusCode};
use tower::ServiceBuilder;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

#[derive(Debug, Clone)]
pub struct LayerSettings {
    pub body_limit_bytes: usize,
    pub request_timeout: Duration,
}

impl Default for LayerSettings {
    fn default() -> Self {
        Self { body_limit_bytes: 1024 * 1024, request_timeout: Duration::from_secs(30) }
    }
}

pub fn apply(router: Router, settings: &LayerSettings) -> Router {
    let trace = TraceLayer::new_for_http().make_span_with(|req: &http::Request<_>| {
        let id = req.headers().get(REQUEST_ID).and_then(|v| v.to_str().ok()).unwrap_or("");
        tracing::info_span!("request", method = %req.method(), path = %req.uri().path(), request_id = %id)
    });
    router.route_layer(axum::middleware::from_fn(crate::metrics::track)).layer(
        ServiceBuilder::new()
            .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
            .layer(PropagateRequestIdLayer::new(REQUEST_ID))
            .layer(trace)
            .layer(CatchPanicLayer::new())
            .layer(TimeoutLayer::with_status_code(StatusCode::SERVICE_UNAVAILABLE, settings.request_timeout))
            .layer(RequestBodyLimitLayer::new(settings.body_limit_bytes)),
    )
}
