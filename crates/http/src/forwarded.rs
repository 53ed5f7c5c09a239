//! The request a gateway asks about, when it is not the request itself. A gateway that asks
//! an authorization endpoint before forwarding (nginx `auth_request`, Traefik `ForwardAuth`,
//! Envoy with a fixed check path) often sends its question as a GET to a fixed location, and
//! names the original request in headers:
//!
//! - method: `X-Original-Method` (nginx, by convention), `X-Forwarded-Method` (Traefik);
//! - path: `X-Original-URI` (nginx), `X-Forwarded-Uri` (Traefik), `X-Envoy-Original-Path`
//!   (Envoy, when a route rewrote the path).
//!
//! Those headers are only believed from a trusted proxy (`TrustForwardedFor`): anyone else
//! could name a harmless request to be judged in place of the real one.

use axum::extract::FromRequestParts;
use http::Method;
use http::request::Parts;

use crate::client::TrustForwardedFor;

const METHOD_HEADERS: &[&str] = &["x-original-method", "x-forwarded-method"];
const URI_HEADERS: &[&str] = &["x-original-uri", "x-forwarded-uri", "x-envoy-original-path"];

/// What the headers say about the original request.
#[derive(Debug, Clone, Default)]
pub struct OriginalRequest {
    /// The method the headers name, if any (whoever sent them).
    pub method: Option<Method>,
    /// The path the headers name, percent-decoded once, without its query; only from a
    /// trusted proxy.
    pub path: Option<String>,
    /// Whether a trusted proxy sent the request.
    pub trusted: bool,
}

impl OriginalRequest {
    pub fn of(parts: &Parts) -> Self {
        let trusted = parts.extensions.get::<TrustForwardedFor>().is_some_and(|t| t.0);
        let first = |names: &[&str]| {
            names
                .iter()
                .find_map(|n| parts.headers.get(*n).and_then(|v| v.to_str().ok()).map(str::trim).filter(|v| !v.is_empty()))
        };
        let method = first(METHOD_HEADERS).and_then(|m| Method::from_bytes(m.to_ascii_uppercase().as_bytes()).ok());
        let path = first(URI_HEADERS).filter(|_| trusted).map(|uri| {
            let path = uri.split(['?', '#']).next().unwrap_or_default();
            percent_encoding::percent_decode_str(path).decode_utf8_lossy().into_owned()
        });
        OriginalRequest { method, path, trusted }
    }

    /// The methods a decision must hold for: the named one from a trusted proxy; otherwise
    /// the request's own and, when the headers name another, that one too (so that a named
    /// method can only make a decision stricter).
    pub fn methods_to_judge(&self, own: &Method) -> Vec<Method> {
        match &self.method {
            Some(named) if self.trusted => vec![named.clone()],
            Some(named) if named != own => vec![own.clone(), named.clone()],
            _ => vec![own.clone()],
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for OriginalRequest {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(OriginalRequest::of(parts))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(trusted: bool, headers: &[(&str, &str)]) -> Parts {
        let mut req = http::Request::builder().method("GET").uri("/api/v2/auth/x");
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let (mut parts, ()) = req.body(()).unwrap().into_parts();
        parts.extensions.insert(TrustForwardedFor(trusted));
        parts
    }

    #[test]
    fn a_trusted_proxy_names_the_request() {
        let o = OriginalRequest::of(&parts(
            true,
            &[("x-original-method", "post"), ("x-original-uri", "/api/v2/peatio/account/%2e%2e/admin?x=1")],
        ));
        assert_eq!(o.methods_to_judge(&Method::GET), vec![Method::POST]);
        assert_eq!(o.path.as_deref(), Some("/api/v2/peatio/account/../admin"));
        let traefik = OriginalRequest::of(&parts(true, &[("x-forwarded-method", "DELETE"), ("x-forwarded-uri", "/a/b")]));
        assert_eq!((traefik.method, traefik.path.as_deref()), (Some(Method::DELETE), Some("/a/b")));
        let envoy = OriginalRequest::of(&parts(true, &[("x-envoy-original-path", "/c")]));
        assert_eq!(envoy.path.as_deref(), Some("/c"));
    }

    #[test]
    fn anyone_else_can_only_make_it_stricter() {
        let o = OriginalRequest::of(&parts(false, &[("x-original-method", "GET"), ("x-original-uri", "/public/x")]));
        assert_eq!(o.path, None);
        assert_eq!(o.methods_to_judge(&Method::DELETE), vec![Method::DELETE, Method::GET]);
        let none = OriginalRequest::of(&parts(false, &[]));
        assert_eq!(none.methods_to_judge(&Method::PUT), vec![Method::PUT]);
    }
}
