//! API tokens: random secrets shown once and stored as SHA-256 digests, each with the list of
//! actions it may perform. The actions are the vocabulary of the face that issued them; the
//! core only enforces that a token can never grant more than its creator holds.

use keyhall_types::{TenantId, Timestamp, TokenId, UserId};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiToken {
    pub id: TokenId,
    pub tenant_id: TenantId,
    /// The user the token acts for ("self").
    pub user_id: UserId,
    /// The first characters of the secret, kept to tell tokens apart in listings.
    pub visible_prefix: String,
    pub permissions: Vec<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub revoked_at: Option<Timestamp>,
    pub last_used_at: Option<Timestamp>,
}

impl ApiToken {
    pub fn allows(&self, action: &str) -> bool {
        self.permissions.iter().any(|p| p == action)
    }

    pub fn is_revoked(&self) -> bool {
        self.revoked_at.is_some()
    }
}

/// What a digest lookup returns: the token and whether its tenant still accepts requests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRecord {
    pub token: ApiToken,
    pub tenant_active: bool,
}

/// The prefix every keyhall API token starts with (helps secret scanners find leaked ones).
pub const TOKEN_PREFIX: &str = "kh_";

use std::collections::HashMap;
use std::sync::Mutex;

use keyhall_types::Secret;

use super::Auth;
use crate::access::Capability;
use crate::audit::AuditEvent;
use crate::context::{Actor, Caller, Grants, Origin};
use crate::error::{DomainError, ErrorCode, Result};
use crate::ports::{UnitOfWork, Write};

/// A freshly issued token: the only time its secret exists outside the client.
#[derive(Debug, Clone)]
pub struct IssuedToken {
    pub token: ApiToken,
    pub secret: Secret<String>,
}

/// A token that passed authentication, with the caller it stands for. The token is shared
/// with the verification cache (no copy of its permission list per request).
#[derive(Debug, Clone)]
pub struct Authenticated {
    pub token: std::sync::Arc<ApiToken>,
    pub caller: Caller,
}

/// The token hot path's memory: verified tokens for a short while, and the `last_used_at`
/// stamps not yet written (flushed in batches so a request never waits on a write).
pub struct TokenUses {
    verified: moka::sync::Cache<String, (std::sync::Arc<ApiToken>, bool)>,
    pending: Mutex<HashMap<TokenId, Timestamp>>,
}

impl TokenUses {
    pub fn new(ttl: std::time::Duration) -> Self {
        Self {
            verified: moka::sync::Cache::builder().max_capacity(100_000).time_to_live(ttl).build(),
            pending: Mutex::new(HashMap::new()),
        }
    }

    fn record_use(&self, id: TokenId, at: Timestamp) {
        let mut pending = self.pending.lock().unwrap_or_else(|e| e.into_inner());
        pending.insert(id, at);
    }

    fn pending_for(&self, id: TokenId) -> Option<Timestamp> {
        self.pending.lock().unwrap_or_else(|e| e.into_inner()).get(&id).copied()
    }

    fn drain(&self) -> Vec<(TokenId, Timestamp)> {
        std::mem::take(&mut *self.pending.lock().unwrap_or_else(|e| e.into_inner())).into_iter().collect()
    }
}

impl Auth<'_> {
    /// Issues a token for the calling user with `permissions`, each of which must be in
    /// `vocabulary` and held by the caller (a token never grants more than its creator holds).
    pub async fn issue_token(self, caller: &Caller, permissions: &[String], vocabulary: &[&str]) -> Result<IssuedToken> {
        let user_id = caller.actor().user_id().ok_or_else(|| DomainError::new(ErrorCode::PermissionDenied))?;
        self.issue_token_to(caller, user_id, permissions, vocabulary).await
    }

    /// Issues a token that acts for `holder`: the caller's own user, or any user of the tenant
    /// when the caller is the operator.
    pub async fn issue_token_to(
        self,
        caller: &Caller,
        holder: UserId,
        permissions: &[String],
        vocabulary: &[&str],
    ) -> Result<IssuedToken> {
        let own = caller.actor().user_id() == Some(holder);
        if !own && !matches!(caller.grants(), Grants::Everything) {
            return Err(DomainError::new(ErrorCode::PermissionDenied));
        }
        // A closed company's tokens are refused (`authenticate_token`): issuing one would hand
        // out a secret that never works.
        let tenant = self.core.tenancy().tenant(caller.tenant_id()).await?;
        if tenant.status != crate::tenancy::tenants::TenantStatus::Active {
            return Err(DomainError::new(ErrorCode::TenantNotFound).detail("the company is closed"));
        }
        let user_id = holder;
        if permissions.is_empty() {
            return Err(DomainError::missing("permissions"));
        }
        for p in permissions {
            if !vocabulary.contains(&p.as_str()) {
                return Err(DomainError::new(ErrorCode::TokenUnknownAction)
                    .field("permissions")
                    .detail(format!("unknown action '{p}'")));
            }
            if !caller.may(Capability::TokenAction(p)) {
                return Err(DomainError::new(ErrorCode::TokenEscalation)
                    .field("permissions")
                    .detail(format!("cannot grant '{p}', which the calling token does not hold")));
            }
        }
        // Keep the vocabulary's order and drop duplicates.
        let permissions: Vec<String> =
            vocabulary.iter().filter(|a| permissions.iter().any(|p| p == *a)).map(|a| a.to_string()).collect();
        let now = self.core.now();
        let (token, secret, digest) = new_token(caller.tenant_id(), user_id, permissions, now);
        let audit = AuditEvent::new(caller, "token.create", "token", Some(token.id.to_string()), now)
            .with_details(serde_json::json!({ "permissions": token.permissions }));
        let work = UnitOfWork::new().write(Write::InsertToken { token: token.clone(), digest }).audit(audit);
        self.core.store.commit(work).await?;
        Ok(IssuedToken { token, secret: Secret::new(secret) })
    }

    /// Verifies a presented token. Unknown, revoked, and closed-tenant tokens all fail the
    /// same way (`auth.invalid_token`).
    pub async fn authenticate_token(self, secret: &str, origin: Origin) -> Result<Authenticated> {
        let invalid = || DomainError::new(ErrorCode::InvalidToken);
        if secret.is_empty() || secret.len() > 256 {
            return Err(invalid());
        }
        let digest = keyhall_crypto::token::digest(secret);
        let (token, tenant_active) = match self.core.token_uses.verified.get(&digest) {
            Some(hit) => hit,
            None => {
                let r = self.core.store.find_token(&digest).await?.ok_or_else(invalid)?;
                let entry = (std::sync::Arc::new(r.token), r.tenant_active);
                self.core.token_uses.verified.insert(digest, entry.clone());
                entry
            }
        };
        if token.is_revoked() || !tenant_active {
            return Err(invalid());
        }
        self.core.token_uses.record_use(token.id, self.core.now());
        let actor = Actor::Token { token_id: token.id, user_id: token.user_id };
        let caller = Caller::new(token.tenant_id, actor, origin, Grants::Token(token.clone()));
        Ok(Authenticated { token, caller })
    }

    /// The tenant's tokens, oldest first, with `last_used_at` as this node last saw it.
    pub async fn list_tokens(self, caller: &Caller) -> Result<Vec<ApiToken>> {
        let mut tokens = self.core.store.list_tokens(caller.tenant_id()).await?;
        for t in &mut tokens {
            if let Some(seen) = self.core.token_uses.pending_for(t.id)
                && t.last_used_at.is_none_or(|stored| stored < seen)
            {
                t.last_used_at = Some(seen);
            }
        }
        Ok(tokens)
    }

    /// Revokes the tenant's token whose secret is `target_secret`. Revoking a revoked token
    /// is a no-op; a token of another tenant is "not found".
    pub async fn revoke_token_by_secret(self, caller: &Caller, target_secret: &str) -> Result<()> {
        let not_found = || DomainError::new(ErrorCode::TokenNotFound).field("token");
        let digest = keyhall_crypto::token::digest(target_secret.trim());
        let record = self.core.store.find_token(&digest).await?.ok_or_else(not_found)?;
        if record.token.tenant_id != caller.tenant_id() {
            return Err(not_found());
        }
        if !record.token.is_revoked() {
            let now = self.core.now();
            let audit = AuditEvent::new(caller, "token.revoke", "token", Some(record.token.id.to_string()), now);
            self.core.store.revoke_token(caller.tenant_id(), record.token.id, now, &audit).await?;
        }
        self.core.token_uses.verified.invalidate(&digest);
        Ok(())
    }

    /// Forgets every cached token verification (after bulk revocations).
    pub(crate) fn forget_verified_tokens(self) {
        self.core.token_uses.verified.invalidate_all();
    }

    /// Writes the batched `last_used_at` stamps. Called periodically and at shutdown.
    pub async fn flush_token_uses(self) -> Result<usize> {
        let uses = self.core.token_uses.drain();
        if uses.is_empty() {
            return Ok(0);
        }
        if let Err(e) = self.core.store.touch_tokens(&uses).await {
            // Put them back so the next flush retries.
            for (id, at) in &uses {
                self.core.token_uses.record_use(*id, *at);
            }
            return Err(e);
        }
        Ok(uses.len())
    }
}

/// A new token for `user`: the record, its secret, and the digest to store.
pub(crate) fn new_token(
    tenant_id: TenantId,
    user_id: UserId,
    permissions: Vec<String>,
    at: Timestamp,
) -> (ApiToken, String, String) {
    let secret = keyhall_crypto::token::generate(TOKEN_PREFIX);
    let digest = keyhall_crypto::token::digest(&secret);
    let token = ApiToken {
        id: TokenId::new(),
        tenant_id,
        user_id,
        visible_prefix: secret[..keyhall_crypto::token::VISIBLE_PREFIX].to_string(),
        permissions,
        created_at: at,
        updated_at: at,
        revoked_at: None,
        last_used_at: None,
    };
    (token, secret, digest)
}
