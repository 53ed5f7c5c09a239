//! Sign-in with an Auth0 ID token: the token must be signed by a key of the configured Auth0
//! tenant's JWK set (fetched over HTTPS and cached ten minutes; refetched when a token names
//! an unknown key, at most once a minute, so that forged key ids cannot make keyhall hammer
//! the tenant), issued by that tenant for this client, and not expired.

use std::sync::Arc;
use std::time::Duration;

use keyhall_types::Timestamp;

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

const JWKS_TTL: time::Duration = time::Duration::minutes(10);
/// The shortest time between two fetches of the JWK set for unknown key ids.
const REFETCH_GAP: time::Duration = time::Duration::minutes(1);

pub struct Auth0 {
    pub config: Auth0Config,
    client: reqwest::Client,
    /// The JWK set and when it was fetched (by the core's clock).
    keys: tokio::sync::RwLock<Option<(Timestamp, Arc<JwkSet>)>>,
}

impl Auth0 {
    pub fn new(config: Auth0Config) -> Self {
        let client = reqwest::Client::builder().timeout(Duration::from_secs(5)).build().unwrap_or_default();
        Self { config, client, keys: tokio::sync::RwLock::new(None) }
    }

    async fn fetch(&self, now: Timestamp) -> Option<Arc<JwkSet>> {
        let response = self.client.get(&self.config.jwks_url).send().await.ok()?;
        let document: Value = response.error_for_status().ok()?.json().await.ok()?;
        let set = Arc::new(JwkSet::from_json(&document));
        *self.keys.write().await = Some((now, set.clone()));
        Some(set)
    }

    async fn keys(&self, now: Timestamp) -> Option<Arc<JwkSet>> {
        if let Some((at, set)) = self.keys.read().await.as_ref()
            && now - *at < JWKS_TTL
        {
            return Some(set.clone());
        }
        self.fetch(now).await
    }

    /// The token's claims when it is valid for this tenant and client; `None` otherwise.
    pub async fn verify(&self, token: &str, now: Timestamp) -> Option<Value> {
        let claims = match self.keys(now).await?.verify(token) {
            Ok(c) => c,
            // A key rotated since the last fetch: fetch again, unless that was under a minute ago.
            Err(keyhall_crypto::jwt::JwtError::UnknownKey) => {
                let fetched = self.keys.read().await.as_ref().map(|(at, _)| *at);
                if fetched.is_some_and(|at| now - at < REFETCH_GAP) {
                    return None;
                }
                self.fetch(now).await?.verify(token).ok()?
            }
            Err(_) => return None,
        };
        check_times(&claims, now.unix_timestamp(), 60).ok()?;
        let issuer_ok = claims.get("iss").and_then(Value::as_str) == Some(self.config.issuer().as_str());
        let audience_ok = keyhall_crypto::jwt::has_audience(&claims, &self.config.client_id);
        (issuer_ok && audience_ok).then_some(claims)
    }
}
