//! The Azure AD (Entra ID) client `azuread` auth modules sign users in through: the OAuth 2.0
//! resource-owner password grant at the tenant's token endpoint (the ID token it answers, read
//! straight from that TLS endpoint, names the user), and the client-credentials grant to test
//! the connection.

use keyhall_core::ports::{AzureAdClient, AzureAdConnection, DirectoryEntry};
use serde_json::Value;

pub struct AzureAd {
    http: reqwest::Client,
}

impl AzureAd {
    pub fn new() -> anyhow::Result<Self> {
        Ok(Self { http: reqwest::Client::builder().build()? })
    }

    async fn token(&self, c: &AzureAdConnection, form: &[(&str, &str)]) -> Result<(u16, Value), String> {
        let url = format!("{}/{}/oauth2/v2.0/token", c.login_base, c.tenant_id);
        let mut all = vec![("client_id", c.client_id.as_str()), ("client_secret", c.client_secret.as_str())];
        all.extend_from_slice(form);
        let response =
            self.http.post(&url).timeout(c.timeout).form(&all).send().await.map_err(|e| format!("cannot reach {url}: {e}"))?;
        let status = response.status().as_u16();
        let body = response.json::<Value>().await.unwrap_or(Value::Null);
        Ok((status, body))
    }
}

/// The claims of a JWT, read without checking its signature (it came from the issuer itself).
fn claims(token: &str) -> Option<Value> {
    use base64::Engine;
    let payload = token.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload.trim_end_matches('=')).ok()?;
    serde_json::from_slice(&bytes).ok()
}

#[async_trait::async_trait]
impl AzureAdClient for AzureAd {
    async fn test_connection(&self, c: &AzureAdConnection) -> Result<(), String> {
        let (status, body) =
            self.token(c, &[("grant_type", "client_credentials"), ("scope", "https://graph.microsoft.com/.default")]).await?;
        if status == 200 && body.get("access_token").is_some() {
            Ok(())
        } else {
            Err(format!(
                "the token endpoint answered {status}: {}",
                body.get("error_description").or(body.get("error")).unwrap_or(&Value::Null)
            ))
        }
    }

    async fn authenticate(
        &self,
        c: &AzureAdConnection,
        username: &str,
        password: &str,
    ) -> Result<Option<DirectoryEntry>, String> {
        let form =
            [("grant_type", "password"), ("scope", "openid profile email"), ("username", username), ("password", password)];
        let (status, body) = self.token(c, &form).await?;
        match (status, body.get("error").and_then(Value::as_str)) {
            (200, _) => {
                let id = body.get("id_token").and_then(Value::as_str).and_then(claims).ok_or("the answer has no ID token")?;
                let text = |k: &str| id.get(k).and_then(Value::as_str).map(str::to_string);
                Ok(Some(DirectoryEntry {
                    dn: format!("azuread:{}", text("oid").or(text("sub")).unwrap_or_default()),
                    mail: text("email").or(text("preferred_username")),
                    given_name: text("given_name"),
                    surname: text("family_name"),
                }))
            }
            // A wrong password (or an unknown user): a refusal, not a failure.
            (400 | 401, Some("invalid_grant")) => Ok(None),
            (status, error) => Err(format!("the token endpoint answered {status} {}", error.unwrap_or(""))),
        }
    }
}
