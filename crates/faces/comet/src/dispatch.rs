//! The request pipeline shared by every endpoint: method → legacy switch → body → token →
//! Token Action → parameters → handler. Each step fails in the endpoint's own encoding.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::Request;
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use http::{HeaderMap, Method, header};
use keyhall_core::{Caller, Capability, Core, DomainError, ErrorCode};
use keyhall_http::FormPairs;
use keyhall_http::form::FormError;

use crate::CometSettings;
use crate::endpoints::{Deprecation, ENDPOINTS, Endpoint, Kind};
use crate::reply::{ApiError, Reply};

pub type HandlerFuture = Pin<Box<dyn Future<Output = Result<Reply, ApiError>> + Send>>;
pub type Handler = fn(Ctx) -> HandlerFuture;

/// What a handler gets: the core, who is calling, and the checked parameters.
pub struct Ctx {
    pub core: Arc<Core>,
    pub caller: Caller,
    pub form: FormPairs,
    /// True when the request authenticated with `Authorization: Bearer`.
    pub bearer: bool,
    pub config: Arc<CometSettings>,
    pub rendered: Arc<Rendered>,
}

/// Responses kept in rendered form, keyed by the core value they were rendered from.
pub struct Rendered {
    /// Tenant → (the core's cached list it was rendered from, its JSON). The `Weak` keeps
    /// the list's allocation from being reused while the entry exists, so pointer equality
    /// means "same list".
    pub licenses: moka::sync::Cache<keyhall_types::TenantId, RenderedLicenses>,
}

pub type RenderedLicenses = (std::sync::Weak<Vec<keyhall_core::comet::licenses::License>>, Arc<[u8]>);

impl Rendered {
    fn new() -> Self {
        Self {
            licenses: moka::sync::Cache::builder().max_capacity(10_000).time_to_live(std::time::Duration::from_secs(60)).build(),
        }
    }
}

impl Ctx {
    /// A parameter's value, trimmed; `None` when absent or empty.
    pub fn text(&self, name: &str) -> Option<&str> {
        self.form.one(name).ok().flatten().map(str::trim).filter(|v| !v.is_empty())
    }

    /// A parameter's raw value (not trimmed: passwords keep their spaces); `None` when absent.
    pub fn raw(&self, name: &str) -> Option<&str> {
        self.form.one(name).ok().flatten().filter(|v| !v.is_empty())
    }

    /// A required parameter (presence was checked by the pipeline).
    pub fn required(&self, name: &str) -> &str {
        self.text(name).unwrap_or_default()
    }

    pub fn flag(&self, name: &str) -> Option<bool> {
        self.text(name).and_then(parse_bool)
    }

    pub fn number(&self, name: &str) -> Option<i64> {
        self.text(name).and_then(|v| v.parse().ok())
    }

    /// An array parameter: repeated `name=`, `name[]=`, or one JSON array string.
    pub fn list(&self, name: &str) -> Vec<String> {
        parse_list(&self.form, name).unwrap_or_default()
    }
}

/// `true`/`false`/`1`/`0`, any case.
pub fn parse_bool(v: &str) -> Option<bool> {
    match v.trim().to_ascii_lowercase().as_str() {
        "true" | "1" => Some(true),
        "false" | "0" => Some(false),
        _ => None,
    }
}

fn parse_list(form: &FormPairs, name: &str) -> Result<Vec<String>, String> {
    let values = form.all(name);
    if let [single] = values.as_slice()
        && single.trim_start().starts_with('[')
    {
        let parsed: Vec<String> = serde_json::from_str(single).map_err(|_| "must be a JSON array of strings".to_string())?;
        return Ok(parsed.into_iter().map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect());
    }
    Ok(values.iter().flat_map(|v| v.split(',')).map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect())
}

pub fn router(core: Arc<Core>, config: Arc<CometSettings>) -> Router {
    let mut router = Router::new();
    let rendered = Arc::new(Rendered::new());
    for endpoint in ENDPOINTS {
        let (core, config, rendered) = (core.clone(), config.clone(), rendered.clone());
        router = router.route(
            endpoint.path,
            any(move |request: Request| {
                let (core, config, rendered) = (core.clone(), config.clone(), rendered.clone());
                async move { handle(endpoint, core, config, rendered, request).await }
            }),
        );
    }
    router.fallback(|request: Request| async move {
        if request.uri().path().starts_with("/api/v1/") {
            ApiError::new(http::StatusCode::NOT_FOUND, "Unknown API endpoint.").into_json_response()
        } else {
            (http::StatusCode::NOT_FOUND, "Not found").into_response()
        }
    })
}

async fn handle(
    endpoint: &'static Endpoint,
    core: Arc<Core>,
    config: Arc<CometSettings>,
    rendered: Arc<Rendered>,
    request: Request,
) -> Response {
    let encoding = endpoint.encoding;
    match run(endpoint, core, config, rendered, request).await {
        Ok(reply) => reply.into_response(encoding),
        Err(error) => error.into_response(encoding),
    }
}

async fn run(
    endpoint: &'static Endpoint,
    core: Arc<Core>,
    config: Arc<CometSettings>,
    rendered: Arc<Rendered>,
    request: Request,
) -> Result<Reply, ApiError> {
    if request.method() != Method::POST {
        return Err(ApiError::method_not_allowed());
    }
    if matches!(endpoint.deprecated, Deprecation::RemovedAfter(_)) && !config.legacy_routes {
        return Err(ApiError::from(DomainError::new(ErrorCode::EndpointRemoved)));
    }
    let client = {
        let (parts, body) = request.into_parts();
        let client = keyhall_http::client::client_info(&parts);
        (parts.headers, client, body)
    };
    let (headers, client, body) = client;
    let body: Bytes = axum::body::to_bytes(body, usize::MAX).await.map_err(|_| ApiError::payload_too_large())?;
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok());
    let form = FormPairs::parse(content_type, &body).map_err(|e| match e {
        FormError::WrongContentType(t) => {
            ApiError::bad_request(format!("Requests must be application/x-www-form-urlencoded (got {t})."))
        }
        FormError::Malformed => ApiError::bad_request("The request body is not valid form data."),
    })?;
    let (secret, bearer) = credentials(&headers, &form, endpoint)?;
    let authenticated = core.auth().authenticate_token(&secret, client.origin()).await.map_err(ApiError::from)?;
    authenticated.caller.require(Capability::TokenAction(endpoint.action)).map_err(ApiError::from)?;
    check_params(endpoint, &form)?;
    let ctx = Ctx { core, caller: authenticated.caller, form, bearer, config, rendered };
    (endpoint.handler)(ctx).await
}

/// Finds the API token: `Authorization: Bearer` first, else `auth_type=token` + `token` in the
/// body. Returns the secret and whether it came from the header.
fn credentials(headers: &HeaderMap, form: &FormPairs, endpoint: &Endpoint) -> Result<(String, bool), ApiError> {
    if let Some(value) = headers.get(header::AUTHORIZATION) {
        let value = value.to_str().unwrap_or("");
        let (scheme, secret) = value.trim().split_once(' ').unwrap_or((value, ""));
        if !scheme.eq_ignore_ascii_case("bearer") || secret.trim().is_empty() {
            return Err(DomainError::new(ErrorCode::InvalidToken)
                .detail("the Authorization header must be 'Bearer <token>'")
                .into());
        }
        return Ok((secret.trim().to_string(), true));
    }
    let token = form.one("token").map_err(|_| {
        ApiError::from(DomainError::new(ErrorCode::AmbiguousParameter).field("token").detail(
            if endpoint.name == "TokenRevokeToken" {
                "was given more than once; name the token to revoke target_token, or authenticate with Authorization: Bearer"
            } else {
                "was given more than once"
            },
        ))
    })?;
    let Some(token) = token.map(str::trim).filter(|t| !t.is_empty()) else {
        return Err(DomainError::new(ErrorCode::MissingCredentials).into());
    };
    match form.one("auth_type").ok().flatten().map(str::trim) {
        None | Some("") => Err(DomainError::missing("auth_type").into()),
        Some("token") => Ok((token.to_string(), false)),
        Some(other) => Err(DomainError::new(ErrorCode::UnsupportedAuthType)
            .field("auth_type")
            .detail(format!("'{other}' is not supported; use 'token'"))
            .into()),
    }
}

/// Presence and shape of the endpoint's parameters.
fn check_params(endpoint: &Endpoint, form: &FormPairs) -> Result<(), ApiError> {
    for param in endpoint.params {
        if param.kind == Kind::StrArray {
            let values = parse_list(form, param.name).map_err(|d| DomainError::invalid(param.name, d))?;
            if param.required && values.is_empty() {
                return Err(DomainError::missing(param.name).into());
            }
            continue;
        }
        let value = form
            .one(param.name)
            .map_err(|_| DomainError::new(ErrorCode::AmbiguousParameter).field(param.name).detail("was given more than once"))?;
        let value = value.map(str::trim).filter(|v| !v.is_empty());
        let Some(value) = value else {
            if param.required {
                return Err(DomainError::missing(param.name).into());
            }
            continue;
        };
        match param.kind {
            Kind::Bool if parse_bool(value).is_none() => {
                return Err(DomainError::invalid(param.name, "must be true or false").into());
            }
            Kind::Number if value.parse::<i64>().is_err() => {
                return Err(DomainError::invalid(param.name, "must be a whole number").into());
            }
            _ => {}
        }
    }
    Ok(())
}
