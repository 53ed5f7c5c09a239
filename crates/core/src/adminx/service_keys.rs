//! Service keys: EC key pairs on the envelope's curve that a community's services use as
//! their own (`keyId` = the public key, sent as `publickey`; `keySecret` = the private key,
//! kept by the service). Kept sealed in the community's configuration; a `system` license
//! lists them and resets one (a new pair under the same tag). Made on first use.

use keyhall_crypto::envelope::{Curve, EnvelopeKey};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::{AccessLicense, Adminx, Scope};
use crate::audit::AuditEvent;
use crate::context::Origin;
use crate::error::{DomainError, ErrorCode, Result};

const SERVICE_KEYS: &str = "service_keys";
const SEAL_PURPOSE: &str = "adminx.service_key";

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct StoredKeys {
    keys: Vec<StoredKey>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct StoredKey {
    tag: String,
    #[serde(rename = "keyId")]
    key_id: String,
    /// The private key, sealed.
    secret: String,
}

/// A service key as the license holder sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceKey {
    pub tag: String,
    pub key_id: String,
    pub key_secret: String,
}

impl Adminx<'_> {
    async fn license_scope(self, license: &AccessLicense) -> Result<Scope> {
        let community = match license.community_id {
            Some(c) => c,
            None => self.core.tenancy().default_community(license.tenant_id).await?.id,
        };
        Ok(Scope { tenant: license.tenant_id, community })
    }

    fn new_key(self, curve: Curve, tag: &str) -> StoredKey {
        let key = EnvelopeKey::generate(curve);
        StoredKey {
            tag: tag.into(),
            key_id: key.public_base64(),
            secret: self.core.keys.seal_str(SEAL_PURPOSE, &key.private_base64()),
        }
    }

    fn open_keys(self, stored: &StoredKeys) -> Result<Vec<ServiceKey>> {
        stored
            .keys
            .iter()
            .map(|k| {
                let secret = self.core.keys.unseal_string(SEAL_PURPOSE, &k.secret).map_err(DomainError::internal)?;
                Ok(ServiceKey { tag: k.tag.clone(), key_id: k.key_id.clone(), key_secret: secret })
            })
            .collect()
    }

    /// The community's service keys (a `default` one is made on first use).
    pub async fn service_keys(self, license: &AccessLicense, curve: Curve, origin: &Origin) -> Result<Vec<ServiceKey>> {
        let scope = self.license_scope(license).await?;
        let caller = self.core.auth().visitor(scope.tenant, origin.clone());
        let tenancy = self.core.tenancy();
        let stored = tenancy.config::<StoredKeys>(&caller, scope.community, SERVICE_KEYS).await?;
        if !stored.value.keys.is_empty() {
            return self.open_keys(&stored.value);
        }
        let made = StoredKeys { keys: vec![self.new_key(curve, "default")] };
        match tenancy.put_config(&caller, scope.community, SERVICE_KEYS, &made, stored.revision).await {
            Ok(_) => self.open_keys(&made),
            // Another request made them first: those are the keys.
            Err(e) if e.is(ErrorCode::ConfigRevisionStale) => {
                self.open_keys(&tenancy.config::<StoredKeys>(&caller, scope.community, SERVICE_KEYS).await?.value)
            }
            Err(e) => Err(e),
        }
    }

    /// Replaces the key `key_id` by a new pair under the same tag; returns every key.
    pub async fn reset_service_key(
        self,
        license: &AccessLicense,
        curve: Curve,
        key_id: &str,
        origin: &Origin,
    ) -> Result<Vec<ServiceKey>> {
        self.service_keys(license, curve, origin).await?;
        let scope = self.license_scope(license).await?;
        let caller = self.core.auth().visitor(scope.tenant, origin.clone());
        let tenancy = self.core.tenancy();
        let mut stored = tenancy.config::<StoredKeys>(&caller, scope.community, SERVICE_KEYS).await?;
        let slot = stored
            .value
            .keys
            .iter_mut()
            .find(|k| k.key_id == key_id.trim())
            .ok_or_else(|| DomainError::new(ErrorCode::ServiceKeyNotFound))?;
        *slot = self.new_key(curve, &slot.tag.clone());
        tenancy.put_config(&caller, scope.community, SERVICE_KEYS, &stored.value, stored.revision).await?;
        let audit =
            AuditEvent::new(&caller, "E_SERVICE_KEY_RESET", "community", Some(scope.community.to_string()), self.core.now())
                .with_details(json!({ "license": license.tag }))
                .in_community(scope.community, "");
        self.core.store.append_audit(&audit).await?;
        self.open_keys(&stored.value)
    }
}
