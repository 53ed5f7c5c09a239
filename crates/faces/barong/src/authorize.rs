//! The authorize endpoint (`/api/v2/auth/<path>`): a gateway asks it about every request it
//! forwards. Public paths pass without a token; blocked ones are refused; everything else needs
//! a session cookie (with CSRF on writes) or API-key headers, then a role permission, and earns
//! `Authorization: Bearer <JWT>` describing the caller.

use std::sync::Arc;

use axum::extract::{Path, Request, State as AxumState};
use axum::response::{IntoResponse, Response};
use http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use keyhall_core::Caller;
use keyhall_core::audit::AuditEvent;
use keyhall_core::auth::api_keys::{ApiKeyRefusal, ApiKeyRequest};
use keyhall_core::barong::gateway::{Permit, Route, normalise_path};
use keyhall_core::barong::session_tokens::TokenBinding;
use keyhall_core::identity::users::User;
use serde_json::json;

use crate::State;
use crate::errors::{BarongError, Result};
use crate::session::Client;
use keyhall_http::forwarded::OriginalRequest;

const APIKEY: &str = "x-auth-apikey";
const NONCE: &str = "x-auth-nonce";
const SIGNATURE: &str = "x-auth-signature";

fn header_text<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

fn denied(code: &str) -> BarongError {
    BarongError::new(401, code)
}

/// Judges the request a gateway asks about: this one, or the one a trusted proxy names in
/// `X-Original-Method`/`X-Original-URI` (see `keyhall_http::forwarded`). The request is read
/// in place (this is the gateway's hot path: no copy of its headers).
pub async fn authorize(AxumState(state): AxumState<State>, Path(path): Path<String>, request: Request) -> Response {
    let (parts, _) = request.into_parts();
    let original = OriginalRequest::of(&parts);
    let client = Client { info: keyhall_http::client::client_info(&parts) };
    let path = original.path.as_deref().unwrap_or(&path);
    let methods = original.methods_to_judge(&parts.method);
    match decide(&state, path, &methods, &client, &parts.headers).await {
        Ok(Some(bearer)) => {
            let mut r = StatusCode::OK.into_response();
            r.headers_mut().insert(header::AUTHORIZATION, bearer);
            r
        }
        Ok(None) => StatusCode::OK.into_response(),
        Err(e) => e.into_response(),
    }
}

/// The paths restrictions never apply to (whitelisting one's address) and the sign-in paths
/// `blocklogin` restrictions refuse, under both prefixes the default rules know.
const WHITELINK_PATHS: &[&str] = &["api/v2/barong/identity/users/access", "api/v2/auth/identity/users/access"];
const SIGN_IN_PATHS: &[&str] = &[
    "api/v2/barong/identity/sessions",
    "api/v2/auth/identity/sessions",
    "api/v2/barong/identity/sessions/auth0",
    "api/v2/auth/identity/sessions/auth0",
];

/// Restrictions by client address come first: whitelisted addresses skip the rest of them,
/// a matching maintenance or blacklist restriction refuses the request with its code.
async fn restrict(state: &State, path: &str, client: &Client) -> Result<()> {
    if WHITELINK_PATHS.contains(&path) {
        return Ok(());
    }
    let list = state.core.auth().restrictions(state.config.tenant_id).await.map_err(BarongError::internal)?;
    match keyhall_core::auth::restrictions::decide(&list, client.info.ip, SIGN_IN_PATHS.contains(&path)) {
        None => Ok(()),
        Some(r) => {
            let status = u16::try_from(r.code).ok().filter(|c| (400..600).contains(c)).unwrap_or(401);
            Err(BarongError::new(status, format!("authz.restrict.{}", r.category)))
        }
    }
}

/// The decision on `raw` (the path asked about); it must hold for every one of `methods`.
/// Allowed with a holder: the `Authorization` header to hand on.
async fn decide(
    state: &State,
    raw: &str,
    methods: &[Method],
    client: &Client,
    headers: &HeaderMap,
) -> Result<Option<HeaderValue>> {
    // Every rule judges the path the service behind will see, once normalised; a path that
    // climbs above its root is nobody's.
    let path = &*normalise_path(raw).ok_or_else(|| denied("authz.permission_denied"))?;
    restrict(state, path, client).await?;
    match state.config.rules.route(path) {
        Route::Block => return Err(denied("authz.permission_denied")),
        Route::Pass => return Ok(None),
        Route::Protected => {}
    }
    let api_key_headers = [APIKEY, NONCE, SIGNATURE].map(|h| header_text(headers, h));
    let (holder, caller, binding) = if api_key_headers.iter().any(Option::is_some) {
        api_key_holder(state, api_key_headers, client).await?
    } else {
        cookie_holder(state, methods, client, headers).await?
    };
    let mut audited = Vec::new();
    for method in methods {
        match state.config.rules.permit(&holder.role, method.as_str(), path) {
            Permit::Denied => return Err(denied("authz.invalid_permission")),
            Permit::Allowed { audited: rules } => audited.extend(rules.into_iter().map(|rule| (method, rule))),
        }
    }
    for (method, rule) in audited {
        let audit = AuditEvent::new(&caller, "authz.audit", "path", Some(path.to_string()), state.core.now())
            .with_details(json!({ "method": method.as_str(), "rule": rule.path, "topic": "audit" }));
        state.core.audit().record(&audit).await.map_err(BarongError::internal)?;
    }
    token_for(state, &holder, &binding).await.map(Some)
}

/// Who is asking, as the caller, and what their token will be bound to.
type Holder = (Arc<User>, Caller, TokenBinding);

async fn api_key_holder(state: &State, [kid, nonce, signature]: [Option<&str>; 3], client: &Client) -> Result<Holder> {
    let (Some(kid), Some(nonce), Some(signature)) = (kid, nonce, signature) else {
        return Err(BarongError::new(422, "authz.invalid_api_key_headers"));
    };
    if [kid, nonce, signature].iter().any(|v| v.trim().is_empty()) {
        return Err(BarongError::new(422, "authz.invalid_api_key_headers"));
    }
    let outcome = state
        .core
        .auth()
        .authenticate_api_key(
            state.config.tenant_id,
            ApiKeyRequest { kid: kid.trim(), nonce, signature },
            state.config.nonce_lifetime_ms,
            client.origin(),
        )
        .await
        .map_err(BarongError::internal)?;
    outcome.map(|k| (k.holder, k.caller, TokenBinding::ApiKey(k.key.kid.clone()))).map_err(|r| {
        denied(match r {
            ApiKeyRefusal::UnknownKey => "authz.unexistent_apikey",
            ApiKeyRefusal::NonceNotTimestamp => "authz.nonce_not_valid_timestamp",
            ApiKeyRefusal::NonceExpired => "authz.nonce_expired",
            ApiKeyRefusal::NonceReused => "authz.nonce_reused",
            ApiKeyRefusal::BadSignature => "authz.invalid_signature",
            ApiKeyRefusal::KeyInactive => "authz.apikey_not_active",
            ApiKeyRefusal::HolderInactive => "authz.invalid_session",
            ApiKeyRefusal::SecondFactorDisabled => "authz.disabled_2fa",
        })
    })
}

async fn cookie_holder(state: &State, methods: &[Method], client: &Client, headers: &HeaderMap) -> Result<Holder> {
    let changes_state = methods.iter().any(|m| matches!(m.as_str(), "POST" | "PUT" | "PATCH" | "DELETE" | "TRACE"));
    let csrf = header_text(headers, "x-csrf-token");
    if state.config.csrf_protection && changes_state && csrf.is_none_or(|t| t.is_empty()) {
        return Err(denied("authz.missing_csrf_token"));
    }
    let secret = crate::session::cookie(headers, &state.config.session_cookie).ok_or_else(|| denied("authz.invalid_session"))?;
    let (session, caller) =
        state.core.auth().resolve_session(&secret, client.info.ip, client.origin()).await.map_err(|e| match e.code {
            keyhall_core::ErrorCode::SessionInvalid => denied("authz.invalid_session"),
            keyhall_core::ErrorCode::SessionMismatch => denied("authz.client_session_mismatch"),
            _ => e.into(),
        })?;
    if state.config.csrf_protection
        && changes_state
        && !keyhall_crypto::constant_time_eq(csrf.unwrap_or_default().as_bytes(), session.csrf_token.as_bytes())
    {
        return Err(denied("authz.csrf_token_mismatch"));
    }
    // A state change (ban, lock) reaches authorize within the two seconds users are cached.
    let user = match state.users.get(&session.user_id) {
        Some(u) => u,
        None => {
            let u = state
                .core
                .identity()
                .find_user(session.tenant_id, &session.user_id.to_string())
                .await
                .map_err(BarongError::internal)?
                .ok_or_else(|| denied("authz.invalid_session"))?;
            let u = Arc::new(u);
            state.users.insert(session.user_id, u.clone());
            u
        }
    };
    if !user.status.may_sign_in() {
        return Err(denied("authz.user_not_active"));
    }
    Ok((user, caller, TokenBinding::Session(session.id)))
}

/// The caller's token, as the header it goes out in: reused for the same session or key while
/// the holder's state and role are unchanged (signing costs far more than the rest of a
/// decision), fresh otherwise.
async fn token_for(state: &State, user: &User, binding: &TokenBinding) -> Result<HeaderValue> {
    let bound_to = match binding {
        TokenBinding::Session(id) => id.to_string(),
        TokenBinding::ApiKey(kid) => kid.clone(),
    };
    let cache_key = format!("{}|{}|{}|{bound_to}", user.uid, user.status.as_str(), user.role);
    if let Some(bearer) = state.issued_jwts.get(&cache_key) {
        return Ok(bearer);
    }
    let token =
        state.core.barong().sign_session_token(user, state.config.jwt_ttl, binding).await.map_err(BarongError::internal)?;
    let bearer = HeaderValue::from_str(&format!("Bearer {token}")).map_err(BarongError::internal)?;
    state.issued_jwts.insert(cache_key, bearer.clone());
    Ok(bearer)
}
