//! HMAC API keys (Barong's `kid`/`secret` pairs). A request proves possession of the secret by
//! signing `nonce ‖ kid` with HMAC-SHA256; the secret must therefore be recoverable and is
//! sealed under the master key. Creating, changing and deleting keys requires a TOTP code.

use hmac::{Hmac, KeyInit, Mac};
use keyhall_types::{TenantId, Timestamp, UserId};
use sha2::Sha256;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApiKeyState {
    Active,
    Inactive,
}

impl ApiKeyState {
    pub fn as_str(self) -> &'static str {
        match self {
            ApiKeyState::Active => "active",
            ApiKeyState::Inactive => "inactive",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "active" => Some(ApiKeyState::Active),
            "inactive" => Some(ApiKeyState::Inactive),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKey {
    pub id: keyhall_types::ApiKeyId,
    pub tenant_id: TenantId,
    /// The user or service account the key acts for.
    pub holder_id: UserId,
    /// 16 lower-case hex digits.
    pub kid: String,
    /// Only `HS256` is supported.
    pub algorithm: String,
    pub scope: Vec<String>,
    pub state: ApiKeyState,
    pub secret_sealed: String,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

pub const ALGORITHMS: &[&str] = &["HS256"];

/// `lowercase_hex(HMAC-SHA256(key = secret, message = nonce ‖ kid))`.
pub fn signature(secret: &str, nonce: &str, kid: &str) -> String {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(secret.as_bytes()).expect("HMAC takes keys of any length");
    mac.update(nonce.as_bytes());
    mac.update(kid.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

#[cfg(test)]
mod tests {
    #[test]
    fn signature_is_hmac_sha256_hex_of_nonce_then_kid() {
        // RFC 4231 test case 2, with the message split into "nonce" and "kid" parts.
        assert_eq!(
            super::signature("Jefe", "what do ya want ", "for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}

use keyhall_types::Secret;

use super::Auth;
use crate::audit::AuditEvent;
use crate::context::{Caller, Origin};
use crate::error::{DomainError, ErrorCode, Result, Rule};
use crate::identity::users::User;
use crate::ports::{UnitOfWork, Write};

/// Names the `kid` as the field of a key that was not found.
fn kid_field(e: DomainError) -> DomainError {
    if e.is(ErrorCode::ApiKeyNotFound) { e.field("kid") } else { e }
}

const SEAL_PURPOSE: &str = "api_key.secret";

/// Why API-key headers were refused, in the order the checks run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApiKeyRefusal {
    UnknownKey,
    NonceNotTimestamp,
    NonceExpired,
    BadSignature,
    /// The nonce was used already: a replayed request.
    NonceReused,
    KeyInactive,
    HolderInactive,
    SecondFactorDisabled,
}

/// The three headers of a request signed with an API key.
#[derive(Debug, Clone, Copy)]
pub struct ApiKeyRequest<'a> {
    pub kid: &'a str,
    pub nonce: &'a str,
    pub signature: &'a str,
}

/// A key that authenticated a request: the key, its holder, and the holder as the caller.
#[derive(Debug, Clone)]
pub struct KeyHolder {
    pub key: std::sync::Arc<ApiKey>,
    pub holder: std::sync::Arc<User>,
    pub caller: Caller,
}

/// A key with its unsealed secret and its holder, kept briefly for the authorize hot path
/// (changes made on this node clear it at once; other nodes see them within its lifetime).
#[derive(Clone)]
pub struct CachedKey {
    pub key: std::sync::Arc<ApiKey>,
    secret: std::sync::Arc<String>,
    holder: std::sync::Arc<User>,
    holder_has_totp: bool,
}

impl Auth<'_> {
    /// The owner's TOTP code, guessed through the owner's failure counter: a wrong one is
    /// `mfa.totp_invalid_code`, too many `session.account_locked`.
    async fn require_totp(self, holder: &User, code: Option<&str>) -> Result<()> {
        let owner = match holder.owner_id {
            Some(id) => self
                .core
                .store
                .get_user(holder.tenant_id, id)
                .await?
                .ok_or_else(|| DomainError::internal("key owner vanished"))?,
            None => holder.clone(),
        };
        if !self.core.credentials().has_totp(owner.id).await? {
            return Err(DomainError::new(ErrorCode::TotpNotEnabled));
        }
        let Some(code) = code.map(str::trim).filter(|c| !c.is_empty()) else {
            return Err(DomainError::missing("code"));
        };
        if self.core.credentials().recheck_totp(&owner, code).await?.checked(self.core.now())? {
            Ok(())
        } else {
            Err(DomainError::new(ErrorCode::TotpInvalidCode).field("code"))
        }
    }

    /// Creates a key for `holder` (the caller or one of its service accounts) after checking
    /// the owner's TOTP code. The secret is returned once.
    pub async fn create_api_key(
        self,
        caller: &Caller,
        holder: &User,
        algorithm: &str,
        scope: Vec<String>,
        totp_code: Option<&str>,
    ) -> Result<(ApiKey, Secret<String>)> {
        // Input errors must not cost the user a TOTP code: check them first.
        if !ALGORITHMS.contains(&algorithm) {
            return Err(DomainError::violation("algorithm", Rule::Inclusion));
        }
        self.require_totp(holder, totp_code).await?;
        let now = self.core.now();
        let secret = hex::encode(keyhall_crypto::random::bytes::<16>());
        let key = ApiKey {
            id: keyhall_types::ApiKeyId::new(),
            tenant_id: holder.tenant_id,
            holder_id: holder.id,
            kid: hex::encode(keyhall_crypto::random::bytes::<8>()),
            algorithm: algorithm.to_string(),
            scope,
            state: ApiKeyState::Active,
            secret_sealed: self.core.keys.seal_str(SEAL_PURPOSE, &secret),
            created_at: now,
            updated_at: now,
        };
        let audit = AuditEvent::new(caller, "api_key.create", "api_key", Some(key.kid.clone()), now)
            .with_details(serde_json::json!({ "holder": holder.uid, "scope": key.scope, "topic": "api_keys" }));
        self.core.store.commit(UnitOfWork::new().write(Write::InsertApiKey(key.clone())).audit(audit)).await?;
        Ok((key, Secret::new(secret)))
    }

    pub async fn api_keys_of(self, holder: &User) -> Result<Vec<ApiKey>> {
        self.core.store.list_api_keys(holder.id).await
    }

    /// Changes a key's state and/or scope after checking the owner's TOTP code.
    pub async fn update_api_key(
        self,
        caller: &Caller,
        holder: &User,
        kid: &str,
        state: Option<ApiKeyState>,
        scope: Option<Vec<String>>,
        totp_code: Option<&str>,
    ) -> Result<ApiKey> {
        self.require_totp(holder, totp_code).await?;
        let mut key = self
            .core
            .store
            .find_api_key(kid)
            .await?
            .filter(|k| k.holder_id == holder.id)
            .ok_or_else(|| DomainError::new(ErrorCode::ApiKeyNotFound).field("kid"))?;
        if let Some(s) = state {
            key.state = s;
        }
        if let Some(s) = scope {
            key.scope = s;
        }
        key.updated_at = self.core.now();
        let audit = AuditEvent::new(caller, "api_key.update", "api_key", Some(key.kid.clone()), key.updated_at)
            .with_details(serde_json::json!({ "state": key.state.as_str(), "scope": key.scope, "topic": "api_keys" }));
        let work = UnitOfWork::new().write(Write::UpdateApiKey(key.clone())).audit(audit);
        self.core.store.commit(work).await.map_err(kid_field)?;
        self.forget_api_keys();
        Ok(key)
    }

    pub async fn delete_api_key(self, caller: &Caller, holder: &User, kid: &str, totp_code: Option<&str>) -> Result<()> {
        self.require_totp(holder, totp_code).await?;
        let audit = AuditEvent::new(caller, "api_key.delete", "api_key", Some(kid.to_string()), self.core.now())
            .with_details(serde_json::json!({ "topic": "api_keys" }));
        let work = UnitOfWork::new().write(Write::DeleteApiKey { holder: holder.id, kid: kid.to_string() }).audit(audit);
        self.core.store.commit(work).await.map_err(kid_field)?;
        self.forget_api_keys();
        Ok(())
    }

    /// Whether the key `kid` still stands for `holder`: it is theirs and active (a token bound
    /// to it is then still good, if the holder may still sign in, which the caller checks).
    /// Read from the keys authorize remembers, else from the store.
    pub async fn live_api_key(self, kid: &str, holder: keyhall_types::UserId) -> Result<bool> {
        let stands = |key: &ApiKey| key.state == ApiKeyState::Active && key.holder_id == holder;
        if let Some(c) = self.core.api_key_cache.get(kid) {
            return Ok(stands(&c.key));
        }
        Ok(self.core.store.find_api_key(kid).await?.is_some_and(|key| stands(&key)))
    }

    /// Forgets the recorded API-key nonces past their expiry (they can no longer be replayed:
    /// their window is over).
    pub async fn purge_nonces(self) -> Result<u64> {
        self.core.store.purge_nonces(self.core.now()).await
    }

    pub(crate) fn forget_api_keys(self) {
        self.core.api_key_cache.invalidate_all();
    }

    /// Checks API-key request headers in Barong's order: key exists, nonce is a positive
    /// millisecond timestamp within `nonce_window_ms` of now, the signature matches (constant
    /// time), the key is active, its holder may sign in and (for a person) has 2FA on. A key
    /// that passes gives its holder as the caller.
    pub async fn authenticate_api_key(
        self,
        tenant: keyhall_types::TenantId,
        request: ApiKeyRequest<'_>,
        nonce_window_ms: i64,
        origin: Origin,
    ) -> Result<std::result::Result<KeyHolder, ApiKeyRefusal>> {
        let ApiKeyRequest { kid, nonce, signature: signature_hex } = request;
        let cached = match self.core.api_key_cache.get(kid) {
            Some(c) => c,
            None => {
                let Some(key) = self.core.store.find_api_key(kid).await?.filter(|k| k.tenant_id == tenant) else {
                    return Ok(Err(ApiKeyRefusal::UnknownKey));
                };
                let secret = self.core.keys.unseal_string(SEAL_PURPOSE, &key.secret_sealed).map_err(DomainError::internal)?;
                let holder = self
                    .core
                    .store
                    .get_user(tenant, key.holder_id)
                    .await?
                    .ok_or_else(|| DomainError::internal("API key holder vanished"))?;
                let holder_has_totp = self.core.credentials().has_totp(holder.id).await?;
                let c = CachedKey {
                    key: std::sync::Arc::new(key),
                    secret: std::sync::Arc::new(secret),
                    holder: std::sync::Arc::new(holder),
                    holder_has_totp,
                };
                self.core.api_key_cache.insert(kid.to_string(), c.clone());
                c
            }
        };
        // The nonce is read like Ruby's to_i: its leading digits.
        let digits: String = nonce.trim().chars().take_while(|c| c.is_ascii_digit()).collect();
        let nonce_ms: i64 = digits.parse().unwrap_or(0);
        if nonce_ms <= 0 {
            return Ok(Err(ApiKeyRefusal::NonceNotTimestamp));
        }
        let now_ms = (self.core.now().unix_timestamp_nanos() / 1_000_000) as i64;
        if (now_ms - nonce_ms).abs() >= nonce_window_ms {
            return Ok(Err(ApiKeyRefusal::NonceExpired));
        }
        let expected = signature(&cached.secret, nonce, kid);
        if !keyhall_crypto::constant_time_eq(expected.as_bytes(), signature_hex.trim().as_bytes()) {
            return Ok(Err(ApiKeyRefusal::BadSignature));
        }
        if cached.key.state != ApiKeyState::Active {
            return Ok(Err(ApiKeyRefusal::KeyInactive));
        }
        if !cached.holder.status.may_sign_in() {
            return Ok(Err(ApiKeyRefusal::HolderInactive));
        }
        if cached.holder.owner_id.is_none() && !cached.holder_has_totp {
            return Ok(Err(ApiKeyRefusal::SecondFactorDisabled));
        }
        // Last, once the request is known to be the key holder's: its nonce is spent, here
        // and, for nodes sharing the database, there.
        if !self.spend_nonce(kid, nonce, nonce_window_ms).await? {
            return Ok(Err(ApiKeyRefusal::NonceReused));
        }
        let caller = Caller::user(cached.holder.tenant_id, cached.holder.id, origin);
        Ok(Ok(KeyHolder { key: cached.key, holder: cached.holder, caller }))
    }
}
