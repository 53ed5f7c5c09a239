//! Signed, single-use tokens mailed to users: e-mail confirmation and password reset. Each is
//! a JWT (`sub` = the purpose) signed with keyhall's signing key; the store keeps the digest of
//! the newest token's id per user and purpose, so a token works once and a newer one replaces
//! it.

use keyhall_crypto::jwt::JwtError;
use keyhall_types::{ChallengeId, TenantId, UserId};
use serde_json::{Value, json};

use super::Auth;
use crate::context::{Caller, Origin};
use crate::credentials::challenges::{Challenge, ChallengeKind};
use crate::error::{DomainError, ErrorCode, Result};
use crate::identity::users::User;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    Confirmation,
    Reset,
}

impl Purpose {
    pub fn subject(self) -> &'static str {
        match self {
            Purpose::Confirmation => "confirmation",
            Purpose::Reset => "reset",
        }
    }

    /// The audience of its tokens, and of no other: `keyhall:confirmation`, `keyhall:reset`.
    pub fn audience(self) -> String {
        format!("keyhall:{}", self.subject())
    }

    fn kind(self) -> ChallengeKind {
        match self {
            Purpose::Confirmation => ChallengeKind::EmailVerification,
            Purpose::Reset => ChallengeKind::PasswordReset,
        }
    }
}

/// A valid mailed token and the user it was issued to, as the caller.
#[derive(Debug, Clone)]
pub struct TokenHolder {
    pub user: User,
    pub caller: Caller,
    /// The token's id, to consume it with.
    pub jti: String,
}

/// Why a presented token was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ActionTokenError {
    /// Not a valid JWT of ours (the reason word as the JWT library would give it).
    Jwt(&'static str),
    /// Valid, but already used or replaced by a newer one.
    Utilized,
}

impl Auth<'_> {
    /// Issues a token for `user` and records it as the one to accept next.
    pub async fn issue_action_token(self, user: &User, purpose: Purpose) -> Result<String> {
        let now = self.core.now();
        let jti = hex::encode(keyhall_crypto::random::bytes::<10>());
        let exp = now + self.core.settings.action_token_ttl;
        let claims = json!({
            "sub": purpose.subject(),
            "email": user.email,
            "uid": user.uid,
            "iat": now.unix_timestamp(),
            "exp": exp.unix_timestamp(),
            "iss": self.core.settings.token_issuer,
            // Their own audience: no service that accepts session tokens accepts one of these.
            "aud": [purpose.audience()],
            "jti": jti,
        });
        let token = self.sign_jwt(&claims).await?;
        let challenge = Challenge {
            id: ChallengeId::new(),
            tenant_id: user.tenant_id,
            user_id: user.id,
            kind: purpose.kind(),
            state: keyhall_crypto::token::digest(&jti),
            created_at: now,
            expires_at: exp,
        };
        self.core.store.put_challenge(&challenge, None).await?;
        Ok(token)
    }

    /// Checks signature, expiry and purpose; returns the claims (not yet consumed).
    pub async fn decode_action_token(
        self,
        token: &str,
        purpose: Purpose,
    ) -> Result<std::result::Result<Value, ActionTokenError>> {
        let keys = self.signing_keys().await?;
        let claims = match keys.verifier.verify(token) {
            Ok(c) => c,
            Err(e) => return Ok(Err(ActionTokenError::Jwt(e.reason()))),
        };
        if let Err(e) = keyhall_crypto::jwt::check_times(&claims, self.core.now().unix_timestamp(), 0) {
            return Ok(Err(ActionTokenError::Jwt(e.reason())));
        }
        if claims.get("sub").and_then(Value::as_str) != Some(purpose.subject()) {
            return Ok(Err(ActionTokenError::Jwt(JwtError::Claim("sub").reason())));
        }
        if !keyhall_crypto::jwt::has_audience(&claims, &purpose.audience()) {
            return Ok(Err(ActionTokenError::Jwt(JwtError::Claim("aud").reason())));
        }
        if claims.get("jti").and_then(Value::as_str).is_none() {
            return Ok(Err(ActionTokenError::Jwt(JwtError::Claim("jti").reason())));
        }
        Ok(Ok(claims))
    }

    /// Checks a mailed token (signature, expiry, purpose) and finds the user of `tenant` it was
    /// issued to (by address for a confirmation, by uid for a reset), who becomes the caller:
    /// the token proves the request comes from them. `None` when no such user exists. The
    /// token is not consumed yet (`consume_action_token`), so the face can check the rest of
    /// the request first.
    pub async fn action_token_holder(
        self,
        tenant: TenantId,
        token: &str,
        purpose: Purpose,
        origin: Origin,
    ) -> Result<std::result::Result<Option<TokenHolder>, ActionTokenError>> {
        let claims = match self.decode_action_token(token, purpose).await? {
            Ok(c) => c,
            Err(e) => return Ok(Err(e)),
        };
        let text = |name| claims.get(name).and_then(Value::as_str).unwrap_or_default();
        let identity = self.core.identity();
        let user = match purpose {
            Purpose::Confirmation => identity.user_by_email(tenant, text("email")).await?,
            Purpose::Reset => identity.user_by_uid(tenant, text("uid")).await?,
        };
        Ok(Ok(user.map(|user| {
            let caller = Caller::user(user.tenant_id, user.id, origin);
            TokenHolder { jti: text("jti").to_string(), user, caller }
        })))
    }

    /// Consumes the token of `user` with id `jti`: succeeds once, for the newest token only.
    pub async fn consume_action_token(
        self,
        user: UserId,
        purpose: Purpose,
        jti: &str,
    ) -> Result<std::result::Result<(), ActionTokenError>> {
        let now = self.core.now();
        let Some(challenge) = self.core.store.take_challenge(user, purpose.kind(), now).await? else {
            return Ok(Err(ActionTokenError::Utilized));
        };
        if keyhall_crypto::constant_time_eq(challenge.state.as_bytes(), keyhall_crypto::token::digest(jti).as_bytes()) {
            Ok(Ok(()))
        } else {
            // A stale token must not burn the newest one: put it back.
            self.core.store.put_challenge(&challenge, None).await?;
            Ok(Err(ActionTokenError::Utilized))
        }
    }
}

impl From<ActionTokenError> for DomainError {
    fn from(e: ActionTokenError) -> Self {
        match e {
            ActionTokenError::Jwt(reason) => DomainError::new(ErrorCode::InvalidToken).detail(reason),
            ActionTokenError::Utilized => {
                DomainError::new(ErrorCode::InvalidToken).detail("the token was used or replaced already")
            }
        }
    }
}
