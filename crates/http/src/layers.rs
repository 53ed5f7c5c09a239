//! The middleware every request goes through: a request id (taken from `X-Request-Id` or
//! generated, and echoed on the response), a tracing span, panic containment, a body size
//! limit (larger on the few upload endpoints), a timeout, and metrics.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use http::{HeaderName, StatusCode};
use tower::ServiceBuilder;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

#[derive(Debug, Clone)]
pub struct LayerSettings {
    pub body_limit_bytes: usize,
    pub request_timeout: Duration,
    /// Paths that take file uploads, and the larger limit their bodies have.
    pub upload_paths: Vec<String>,
    pub upload_limit_bytes: usize,
    /// How each face answers a body over the limit, by path prefix (first match wins); other
    /// paths get a plain-text 413.
    pub too_large_answers: Vec<TooLargeAnswer>,
}

/// A face's own answer to a request body over the limit, for the paths under `prefix`.
#[derive(Debug, Clone)]
pub struct TooLargeAnswer {
    pub prefix: &'static str,
    pub answer: fn() -> axum::response::Response,
}

impl Default for LayerSettings {
    fn default() -> Self {
        Self {
            body_limit_bytes: 1024 * 1024,
            request_timeout: Duration::from_secs(30),
            upload_paths: Vec::new(),
            upload_limit_bytes: 1024 * 1024,
            too_large_answers: Vec::new(),
        }
    }
}

/// Refuses a body announced larger than the path's limit at once (413, before reading it),
/// and cuts off one that grows past it while read (the extractor then answers 413).
async fn limit_body(
    axum::extract::State(settings): axum::extract::State<Arc<LayerSettings>>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let path = req.uri().path();
    let limit =
        if settings.upload_paths.iter().any(|p| p == path) { settings.upload_limit_bytes } else { settings.body_limit_bytes };
    let announced = req.headers().get(http::header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    if announced.is_some_and(|n| n > limit as u64) {
        return match settings.too_large_answers.iter().find(|a| path.starts_with(a.prefix)) {
            Some(a) => (a.answer)(),
            None => (StatusCode::PAYLOAD_TOO_LARGE, "length limit exceeded").into_response(),
        };
    }
    next.run(req.map(|body| axum::body::Body::new(http_body_util::Limited::new(body, limit)))).await
}

pub fn apply(router: Router, settings: &LayerSettings) -> Router {
    let trace = TraceLayer::new_for_http().make_span_with(|req: &http::Request<_>| {
        let id = req.headers().get(REQUEST_ID).and_then(|v| v.to_str().ok()).unwrap_or("");
        tracing::info_span!("request", method = %req.method(), path = %req.uri().path(), request_id = %id)
    });
    router.route_layer(axum::middleware::from_fn_with_state(Arc::default(), crate::metrics::track)).layer(
        ServiceBuilder::new()
            .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
            .layer(PropagateRequestIdLayer::new(REQUEST_ID))
            .layer(trace)
            .layer(CatchPanicLayer::new())
            .layer(TimeoutLayer::with_status_code(StatusCode::SERVICE_UNAVAILABLE, settings.request_timeout))
            .layer(axum::middleware::from_fn_with_state(Arc::new(settings.clone()), limit_body)),
    )
}
