//! License keys: a caller that holds one (sent encrypted as `licensekey`) may use the calls
//! the seed opens to licenses. Keys are stored as SHA-256 digests; `system` keys may do what
//! `service` keys may and manage service keys.

use super::{AccessLicense, Adminx, Scope};
use crate::error::{DomainError, ErrorCode, Result};

impl Adminx<'_> {
    /// The license behind `key`, if it is one of this tenant's (for the community, or for the
    /// whole tenant): `license.invalid` otherwise.
    pub async fn license(self, scope: Option<Scope>, key: Option<&str>) -> Result<AccessLicense> {
        let invalid = || DomainError::new(ErrorCode::LicenseInvalid);
        let key = key.map(str::trim).filter(|k| !k.is_empty()).ok_or_else(invalid)?;
        let license = self.core.store.find_license(&keyhall_crypto::token::digest(key)).await?.ok_or_else(invalid)?;
        if let Some(scope) = scope
            && (license.tenant_id != scope.tenant || license.community_id.is_some_and(|c| c != scope.community))
        {
            return Err(invalid());
        }
        Ok(license)
    }

    /// `license` of authLevel `system`.
    pub async fn system_license(self, scope: Option<Scope>, key: Option<&str>) -> Result<AccessLicense> {
        let license = self.license(scope, key).await?;
        if license.auth_level != "system" {
            return Err(DomainError::new(ErrorCode::PermissionDenied).detail("a license of authLevel system is required"));
        }
        Ok(license)
    }
}
