//! Per-route request counts and latencies, labelled by the matched route (never the raw path,
//! which would let clients create unbounded label sets).

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use http::Method;

pub const REQUESTS_TOTAL: &str = "keyhall_http_requests_total";
pub const REQUEST_DURATION: &str = "keyhall_http_request_duration_seconds";

/// The counter and histogram of each (status, method, route) seen, registered with the
/// recorder once: a request only looks its pair up (no label strings built per request).
#[derive(Default)]
pub struct RouteMetrics {
    handles: RwLock<HashMap<(u16, Method), HashMap<String, Handles>>>,
}

type Handles = (metrics::Counter, metrics::Histogram);

impl RouteMetrics {
    fn record(&self, status: u16, method: &Method, route: &str, seconds: f64) {
        let known = self.handles.read().ok().and_then(|h| h.get(&(status, method.clone()))?.get(route).cloned());
        let (counter, histogram) = known.unwrap_or_else(|| self.register(status, method, route));
        counter.increment(1);
        histogram.record(seconds);
    }

    fn register(&self, status: u16, method: &Method, route: &str) -> Handles {
        let labels = [("route", route.to_string()), ("method", method.as_str().to_string()), ("status", status.to_string())];
        let pair = (metrics::counter!(REQUESTS_TOTAL, &labels), metrics::histogram!(REQUEST_DURATION, &labels));
        if let Ok(mut handles) = self.handles.write() {
            handles.entry((status, method.clone())).or_default().insert(route.to_string(), pair.clone());
        }
        pair
    }
}

pub async fn track(State(metrics): State<Arc<RouteMetrics>>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let route = request.extensions().get::<MatchedPath>().cloned();
    let method = request.method().clone();
    let response = next.run(request).await;
    let route = route.as_ref().map(MatchedPath::as_str).unwrap_or("unmatched");
    metrics.record(response.status().as_u16(), &method, route, started.elapsed().as_secs_f64());
    response
}
