//! Sign-in with an Auth0 ID token: the token must be signed by a key of the configured Auth0
//! tenant's JWK set (fetched over HTTPS and cached; refetched once when a token names an
//! unknown key), issued by that tenant for this client, and not expired.

use std::sync::Arc;
use std::time::{Duration, Instant};

use keyhall_crypto::jwt::{JwkSet, check_times};
use serde_json::Value;

#[derive(Debug, Clone)]
pub struct Auth0Config {
    /// The tenant's domain, e.g. `example.eu.auth0.com`.
    pub domain: String,
    /// The application's client id (the tokens' audience).
    pub client_id: String,
    /// Where the JWK set is fetched; `https://<domain>/.well-known/jwks.json` by default.
    pub jwks_url: String,
}

impl Auth0Config {
    pub fn new(domain: &str, client_id: &str) -> Self {
        let domain = domain.trim_start_matches("https://").trim_end_matches('/').to_string();
        let jwks_url = format!("https://{domain}/.well-known/jwks.json");
        Self { domain, client_id: client_id.to_string(), jwks_url }
    }

    pub fn issuer(&self) -> String {
        format!("https://{}/", self.domain)
    }
}

const JWKS_TTL: Duration = Duration::from_secs(600);

pub struct Auth0 {
    pub config: Auth0Config,
    client: reqwest::Client,
    keys: tokio::sync::RwLock<Option<(Instant, Arc<JwkSet>)>>,
}

impl Auth0 {
    pub fn new(config: Auth0Config) -> Self {
        let client = reqwest::Client::builder().timeout(Duration::from_secs(5)).build().unwrap_or_default();
        Self { config, client, keys: tokio::sync::RwLock::new(None) }
    }

    async fn fetch(&self) -> Option<Arc<JwkSet>> {
        let response = self.client.get(&self.config.jwks_url).send().await.ok()?;
        let document: Value = response.error_for_status().ok()?.json().await.ok()?;
        let set = Arc::new(JwkSet::from_json(&document));
        *self.keys.write().await = Some((Instant::now(), set.clone()));
        Some(set)
    }

    async fn keys(&self) -> Option<Arc<JwkSet>> {
        if let Some((at, set)) = self.keys.read().await.as_ref()
            && at.elapsed() < JWKS_TTL
        {
            return Some(set.clone());
        }
        self.fetch().await
    }

    /// The token's claims when it is valid for this tenant and client; `None` otherwise.
    pub async fn verify(&self, token: &str, now: i64) -> Option<Value> {
        let claims = match self.keys().await?.verify(token) {
            Ok(c) => c,
            // A key rotated since the last fetch: fetch once more.
            Err(keyhall_crypto::jwt::JwtError::UnknownKey) => self.fetch().await?.verify(token).ok()?,
            Err(_) => return None,
        };
        check_times(&claims, now, 60).ok()?;
        let issuer_ok = claims.get("iss").and_then(Value::as_str) == Some(self.config.issuer().as_str());
        let audience_ok = match claims.get("aud") {
            Some(Value::String(a)) => *a == self.config.client_id,
            Some(Value::Array(a)) => a.iter().any(|v| v.as_str() == Some(&self.config.client_id)),
            _ => false,
        };
        (issuer_ok && audience_ok).then_some(claims)
    }
}
