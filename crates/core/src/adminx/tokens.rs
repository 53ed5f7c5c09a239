//! The JWTs 1Kosmos sign-in hands out (`jwt_token`): keyhall's signature over the user, the
//! community, the role and the login session (`sid`) they are bound to. A token is good
//! while that session lives: `/logout` (or an administrator ending the user's sessions) ends
//! it at once, whatever its expiry says.

use keyhall_types::SessionId;
use serde_json::{Value, json};

use super::{Adminx, Member, SignedInCaller};
use crate::context::{Caller, Origin};
use crate::error::{DomainError, ErrorCode, Result};

/// The audience of these tokens (so that no other token keyhall signs is taken for one).
pub const AUDIENCE: &str = "adminapi";
/// The configuration key of the community's environment (`PATCH /environment`).
pub const ENVIRONMENT: &str = "environment";

impl Adminx<'_> {
    /// Signs a token for `member` bound to `session`.
    /// `idle` is how long the session lives without use (the community's `sessionMaxAgeMinute`).
    pub(crate) async fn sign_token(
        self,
        member: &Member,
        session: &crate::auth::sessions::Session,
        idle: time::Duration,
    ) -> Result<String> {
        let now = self.core.now();
        let end = session.created_at + self.core.settings.session_max_lifetime;
        let claims = json!({
            "sub": member.user.id.to_string(),
            "uid": member.user.id.to_string(),
            "username": member.username,
            "tenantId": member.user.tenant_id.to_string(),
            "communityId": member.community_id.to_string(),
            "role": member.role.as_str(),
            "sid": session.id.to_string(),
            "idle": idle.whole_seconds(),
            "iat": now.unix_timestamp(),
            "exp": end.unix_timestamp(),
            "iss": self.core.settings.token_issuer,
            "aud": AUDIENCE,
            "jti": keyhall_crypto::random::alphanumeric(20),
        });
        self.core.auth().sign_jwt(&claims).await
    }

    /// The claims of a token that verifies: keyhall's signature, in time, for this API.
    pub async fn token_claims(self, token: &str) -> Result<std::sync::Arc<Value>> {
        let invalid = || DomainError::new(ErrorCode::InvalidToken);
        let token = token.trim();
        let now = self.core.now().unix_timestamp();
        let cache = &self.core.adminx_cache.claims;
        if let Some(claims) = cache.get(token) {
            keyhall_crypto::jwt::check_times(&claims, now, 0).map_err(|_| invalid())?;
            return Ok(claims);
        }
        let keys = self.core.auth().signing_keys().await?;
        let claims = keys.verifier.verify(token).map_err(|_| invalid())?;
        keyhall_crypto::jwt::check_times(&claims, now, 0).map_err(|_| invalid())?;
        if !keyhall_crypto::jwt::has_audience(&claims, AUDIENCE) {
            return Err(invalid());
        }
        let claims = std::sync::Arc::new(claims);
        cache.insert(token.to_string(), claims.clone());
        Ok(claims)
    }

    /// Authenticates a token: it verifies, its session lives (and slides forward when past
    /// half its time), its user may still sign in and is neither locked nor disabled. A
    /// token of a user that no longer stands ends all of that user's sessions (as the seed's
    /// `/jwt/verifyToken` does).
    pub async fn authenticate(self, token: Option<&str>, origin: Origin) -> Result<SignedInCaller> {
        let invalid = || DomainError::new(ErrorCode::InvalidToken);
        let token = token.ok_or_else(|| DomainError::new(ErrorCode::MissingCredentials))?;
        let claims = self.token_claims(token).await?;
        let sid = claims.get("sid").and_then(Value::as_str).and_then(SessionId::parse).ok_or_else(invalid)?;
        let auth = self.core.auth();
        let session = auth.live_session(sid).await?.ok_or_else(invalid)?;
        let member = self.cached_member(session.user_id).await?.ok_or_else(invalid)?;
        let now = self.core.now();
        if member.status(now) != "active" {
            auth.close_user_sessions(member.user.id, None).await?;
            return Err(invalid());
        }
        let ttl =
            claims.get("idle").and_then(Value::as_i64).map(time::Duration::seconds).unwrap_or(self.core.settings.session_ttl);
        if session.expires_at - now < ttl / 2 {
            let end = (now + ttl).min(session.created_at + self.core.settings.session_max_lifetime);
            if end > session.expires_at {
                self.core.store.extend_session(session.id, end).await?;
                self.core.live_sessions.invalidate(&session.id);
            }
        }
        let caller =
            Caller::user(member.user.tenant_id, member.user.id, origin).in_community(member.community_id, &member.username);
        Ok(SignedInCaller { member, session: sid, caller })
    }

    /// How long the community's sessions live without use: its `sessionMaxAgeMinute`
    /// (`PATCH /environment`), else the installation's session lifetime.
    pub async fn session_idle(self, scope: super::Scope) -> Result<time::Duration> {
        let doc = self.cached_document(scope, ENVIRONMENT).await?;
        let minutes = doc.as_ref().as_ref().and_then(|d| d.body.get("sessionMaxAgeMinute").and_then(Value::as_i64));
        Ok(minutes.map(time::Duration::minutes).unwrap_or(self.core.settings.session_ttl))
    }

    /// Ends the caller's login session: its token is refused from then on.
    pub async fn logout(self, caller: &SignedInCaller) -> Result<()> {
        let audit = crate::audit::AuditEvent::new(
            &caller.caller,
            "E_LOGOUT",
            "user",
            Some(caller.user_id().to_string()),
            self.core.now(),
        );
        self.core.store.delete_session(caller.session, Some(&audit)).await?;
        self.core.live_sessions.invalidate(&caller.session);
        Ok(())
    }

    /// Ends every session of the user (`all`), or every one but the caller's own.
    pub async fn end_sessions(self, caller: &SignedInCaller, user: &Member, keep_own: bool) -> Result<u64> {
        caller.require_over(user)?;
        let keep = keep_own.then_some(caller.session);
        let n = self.core.auth().close_user_sessions(user.user.id, keep).await?;
        let audit = crate::audit::AuditEvent::new(
            &caller.caller,
            "E_SESSIONS_TERMINATED",
            "user",
            Some(user.user.id.to_string()),
            self.core.now(),
        )
        .with_details(json!({ "count": n }));
        self.core.store.append_audit(&audit).await?;
        Ok(n)
    }
}
