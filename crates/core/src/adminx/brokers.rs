//! The brokers of a directory module: on-premises agents that reach a directory the cloud
//! cannot. An agent registers itself (`register_broker`); administrators list them per
//! module, turn them on and off, rename and remove them, each recorded as the vendor's
//! `E_DIRECTORY_BROKER_*` events.

use keyhall_types::AuthModuleId;
use serde_json::{Value, json};

use super::collection_kinds::BROKERS;
use super::collections::CommunityItem;
use super::{Adminx, Scope, SignedInCaller};
use crate::error::{DomainError, ErrorCode, Result};

impl Adminx<'_> {
    /// The module's brokers (the module must be the community's).
    pub async fn brokers(self, scope: Scope, module: AuthModuleId) -> Result<Vec<CommunityItem>> {
        self.auth_module(scope, module).await?;
        let module = module.to_string();
        Ok(self.items(scope, &BROKERS).await?.into_iter().filter(|b| b.body["moduleId"] == module.as_str()).collect())
    }

    async fn broker(self, scope: Scope, module: AuthModuleId, uid: &str) -> Result<CommunityItem> {
        self.brokers(scope, module)
            .await?
            .into_iter()
            .find(|b| b.name == uid.trim())
            .ok_or_else(|| DomainError::new(ErrorCode::ItemNotFound).detail("Broker not found"))
    }

    /// An agent's registration under a module of the community (by the agent, with the
    /// administrator's authority it was installed with).
    pub async fn register_broker(
        self,
        caller: &SignedInCaller,
        scope: Scope,
        module: AuthModuleId,
        input: &Value,
    ) -> Result<CommunityItem> {
        self.auth_module(scope, module).await?;
        let mut input = input.clone();
        input["moduleId"] = json!(module.to_string());
        self.create_item(caller, scope, &BROKERS, &input).await
    }

    /// Turns a broker on or off (administrators).
    pub async fn set_broker_enabled(
        self,
        caller: &SignedInCaller,
        scope: Scope,
        module: AuthModuleId,
        uid: &str,
        enabled: bool,
    ) -> Result<CommunityItem> {
        let broker = self.broker(scope, module, uid).await?;
        let event = if enabled { "E_DIRECTORY_BROKER_ENABLED" } else { "E_DIRECTORY_BROKER_DISABLED" };
        self.update_item_as(caller, scope, &BROKERS, &broker.id, &json!({ "enabled": enabled }), event).await
    }

    /// Renames a broker (administrators): its name is all that may change here.
    pub async fn rename_broker(
        self,
        caller: &SignedInCaller,
        scope: Scope,
        module: AuthModuleId,
        uid: &str,
        name: &str,
    ) -> Result<CommunityItem> {
        let broker = self.broker(scope, module, uid).await?;
        self.update_item(caller, scope, &BROKERS, &broker.id, &json!({ "name": name })).await
    }

    /// Removes a broker (administrators).
    pub async fn delete_broker(
        self,
        caller: &SignedInCaller,
        scope: Scope,
        module: AuthModuleId,
        uid: &str,
    ) -> Result<CommunityItem> {
        let broker = self.broker(scope, module, uid).await?;
        self.delete_item(caller, scope, &BROKERS, &broker.id).await
    }
}
