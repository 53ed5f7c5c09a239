//! The JWTs Barong's authorize endpoint hands to the services behind the gateway, and that
//! its resource API accepts as `Authorization: Bearer`: Barong's claims (`uid`, `email`,
//! `role`, `level`, `state`, `username`, `referral_id`, `sub=session`, …) signed with
//! keyhall's signing key. Each is bound to what authenticated its holder: the session (`sid`)
//! or the API key (`kid`). The resource API accepts it only while that still stands and the
//! user may still sign in, so signing out, a ban, closing the account or a password reset
//! ends it at once on this node (within seconds on the others), not when it expires.

use keyhall_types::{SessionId, TenantId};
use serde_json::{Value, json};

use super::Barong;
use crate::context::{Caller, Origin};
use crate::error::{DomainError, ErrorCode, Result};
use crate::identity::User;

const SUBJECT: &str = "session";

/// What a session token is bound to: it is good only while that is.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum TokenBinding {
    /// The session of a cookie.
    Session(SessionId),
    /// The API key (by `kid`) a request was signed with.
    ApiKey(String),
}

impl Barong<'_> {
    /// Signs a session token for `user`, valid for `ttl` while `binding` stands.
    pub async fn sign_session_token(self, user: &User, ttl: time::Duration, binding: &TokenBinding) -> Result<String> {
        let identity = self.core.identity();
        let labels = identity.labels(user.id).await?;
        let now = self.core.now();
        let settings = &self.core.settings;
        let mut claims = json!({
            "uid": user.uid,
            "email": user.email,
            "role": user.role,
            "level": crate::identity::labels::level(&labels),
            "state": user.status.as_str(),
            "iat": now.unix_timestamp(),
            "exp": (now + ttl).unix_timestamp(),
            "sub": SUBJECT,
            "iss": settings.token_issuer,
            "aud": settings.token_audience,
            "jti": keyhall_crypto::random::string_from(b"0123456789abcdef", 20),
        });
        match binding {
            TokenBinding::Session(id) => claims["sid"] = json!(id.to_string()),
            TokenBinding::ApiKey(kid) => claims["kid"] = json!(kid),
        }
        // Service accounts carry no username or referral.
        if user.owner_id.is_none() {
            claims["username"] = json!(user.username);
            let referral = match user.referral_id {
                Some(r) => identity.find_user(user.tenant_id, &r.to_string()).await?.map(|u| u.uid),
                None => None,
            };
            claims["referral_id"] = json!(referral);
        }
        self.core.auth().sign_jwt(&claims).await
    }

    /// Authenticates a session token: keyhall's signature, not expired, `sub=session` with a
    /// `jti`, its session or API key still standing; its `uid` names the user of `tenant`, who
    /// becomes the caller if they may still sign in. A token that does not verify, or whose
    /// binding or user no longer stands, is `auth.invalid_token`; one whose user is gone is
    /// `user.not_found`.
    pub async fn authenticate_session_token(self, tenant: TenantId, token: &str, origin: Origin) -> Result<(User, Caller)> {
        let invalid = || DomainError::new(ErrorCode::InvalidToken);
        let claims = self.verified_claims(token).await?;
        let uid = claims.get("uid").and_then(Value::as_str).unwrap_or_default();
        let user =
            self.core.identity().user_by_uid(tenant, uid).await?.ok_or_else(|| DomainError::new(ErrorCode::UserNotFound))?;
        let auth = self.core.auth();
        let bound = match (claims.get("sid").and_then(Value::as_str), claims.get("kid").and_then(Value::as_str)) {
            (Some(sid), _) => match SessionId::parse(sid) {
                Some(sid) => auth.live_session(sid).await?.is_some_and(|s| s.user_id == user.id),
                None => false,
            },
            (None, Some(kid)) => auth.live_api_key(kid, user.id).await?,
            (None, None) => false,
        };
        if !bound || !user.status.may_sign_in() {
            return Err(invalid());
        }
        let caller = Caller::user(user.tenant_id, user.id, origin);
        Ok((user, caller))
    }

    /// The claims of a session token that verifies; verified tokens are remembered (their
    /// times are still checked on every use).
    async fn verified_claims(self, token: &str) -> Result<Value> {
        let invalid = || DomainError::new(ErrorCode::InvalidToken);
        let now = self.core.now().unix_timestamp();
        if let Some(claims) = self.core.session_token_cache.get(token) {
            keyhall_crypto::jwt::check_times(&claims, now, 0).map_err(|_| invalid())?;
            return Ok(claims);
        }
        let keys = self.core.auth().signing_keys().await?;
        let claims = keys.verifier.verify(token).map_err(|_| invalid())?;
        keyhall_crypto::jwt::check_times(&claims, now, 0).map_err(|_| invalid())?;
        if claims.get("sub").and_then(Value::as_str) != Some(SUBJECT) || claims.get("jti").and_then(Value::as_str).is_none() {
            return Err(invalid());
        }
        self.core.session_token_cache.insert(token.to_string(), claims.clone());
        Ok(claims)
    }
}
