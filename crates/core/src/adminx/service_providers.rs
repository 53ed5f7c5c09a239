//! Service providers: an OpenID Connect one gets its client credentials from keyhall (a
//! random `client_id` and `client_secret`; the secret sealed and shown once, when made).

use serde_json::{Value, json};

use super::collection_kinds::SERVICE_PROVIDERS;
use super::collections::CommunityItem;
use super::{Adminx, Scope, SignedInCaller};
use crate::error::Result;

impl Adminx<'_> {
    /// Adds a service provider; for an OpenID Connect one also its client secret, which no
    /// later answer holds.
    pub async fn create_service_provider(
        self,
        caller: &SignedInCaller,
        scope: Scope,
        input: &Value,
    ) -> Result<(CommunityItem, Option<String>)> {
        let mut input = input.clone();
        let secret = if input["type"] == "oidc" {
            let secret = keyhall_crypto::random::alphanumeric(48);
            if !input["oidc_config"].is_object() {
                input["oidc_config"] = json!({});
            }
            input["oidc_config"]["client_id"] = json!(hex::encode(keyhall_crypto::random::bytes::<16>()));
            input["oidc_config"]["client_secret"] = json!(secret);
            Some(secret)
        } else {
            None
        };
        let item = self.create_item(caller, scope, &SERVICE_PROVIDERS, &input).await?;
        Ok((item, secret))
    }

    /// Changes a service provider; its client credentials stay keyhall's.
    pub async fn update_service_provider(
        self,
        caller: &SignedInCaller,
        scope: Scope,
        id: &str,
        input: &Value,
    ) -> Result<CommunityItem> {
        let mut input = input.clone();
        if let Some(oidc) = input.get_mut("oidc_config").and_then(Value::as_object_mut) {
            oidc.remove("client_id");
            oidc.remove("client_secret");
        }
        self.update_item(caller, scope, &SERVICE_PROVIDERS, id, &input).await
    }
}
