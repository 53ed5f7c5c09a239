//! Self-hosted server licenses.

use keyhall_types::{LicenseId, TenantId, Timestamp};

use super::Comet;
use crate::audit::AuditEvent;
use crate::context::Caller;
use crate::error::{DomainError, ErrorCode, Result};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct License {
    pub id: LicenseId,
    pub tenant_id: TenantId,
    pub serial: String,
    pub name: String,
    pub comment: String,
    /// The version the licensed server last reported; empty until it first checks in.
    pub server_version: String,
    pub num_clients_online: i64,
    pub num_boosters_online: i64,
    pub is_archived: bool,
    pub enabled: bool,
    pub allowed_ip_address: String,
    pub allowed_machine_id: String,
    pub favourited: bool,
    /// Code of the commercial region (see `regions`), from the company's country at creation.
    pub region_code: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// Bumped by every update; updates are conditional on it (optimistic concurrency).
    pub revision: i64,
}

/// A change to one license, applied by the store as one conditional update.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LicenseChange {
    Name(String),
    Favourite(bool),
    /// `true` locks the license (disables it).
    Locked(bool),
    /// Clears the IP-address and machine-id bindings.
    Relax,
    /// Disables the license for good.
    Archive,
}

impl LicenseChange {
    fn action(&self) -> &'static str {
        match self {
            LicenseChange::Name(_) => "license.set_name",
            LicenseChange::Favourite(_) => "license.set_favourite",
            LicenseChange::Locked(_) => "license.set_lock_state",
            LicenseChange::Relax => "license.relax",
            LicenseChange::Archive => "license.archive",
        }
    }

    /// Applies the change to a copy of the license, refusing what an archived license forbids.
    pub fn apply(&self, license: &License, at: Timestamp) -> Result<License> {
        let mut next = license.clone();
        if license.is_archived && !matches!(self, LicenseChange::Favourite(_) | LicenseChange::Name(_)) {
            return Err(DomainError::new(ErrorCode::LicenseArchived).detail("the license is archived"));
        }
        match self {
            LicenseChange::Name(name) => next.name = name.clone(),
            LicenseChange::Favourite(on) => next.favourited = *on,
            LicenseChange::Locked(locked) => next.enabled = !locked,
            LicenseChange::Relax => {
                next.allowed_ip_address.clear();
                next.allowed_machine_id.clear();
            }
            LicenseChange::Archive => {
                next.is_archived = true;
                next.enabled = false;
            }
        }
        next.updated_at = at;
        next.revision = license.revision + 1;
        Ok(next)
    }
}

/// Serial numbers: five groups of five characters from an alphabet without look-alikes
/// (no 0/O, 1/I/L), ≈ 120 bits, e.g. `7KQ2M-XR4TZ-…`.
pub fn new_serial() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";
    let raw = keyhall_crypto::random::string_from(ALPHABET, 25);
    raw.as_bytes().chunks(5).map(|c| std::str::from_utf8(c).unwrap_or_default()).collect::<Vec<_>>().join("-")
}

fn validate_license_name(field: &'static str, name: &str) -> Result<String> {
    let name = name.trim();
    if name.chars().count() > 255 || name.chars().any(char::is_control) {
        return Err(DomainError::invalid(field, "must be at most 255 printable characters"));
    }
    Ok(name.to_string())
}

impl Comet<'_> {
    pub async fn create_license(self, caller: &Caller, name: Option<&str>) -> Result<License> {
        let name = validate_license_name("name", name.unwrap_or(""))?;
        let now = self.core.now();
        let tenant = self.core.tenancy().tenant(caller.tenant_id()).await?;
        let region_code = super::regions::region_for_country(&tenant.profile.address_country).map(|r| r.code.to_string());
        let license = License {
            id: LicenseId::new(),
            tenant_id: caller.tenant_id(),
            serial: new_serial(),
            name,
            comment: String::new(),
            server_version: String::new(),
            num_clients_online: 0,
            num_boosters_online: 0,
            is_archived: false,
            enabled: true,
            allowed_ip_address: String::new(),
            allowed_machine_id: String::new(),
            favourited: false,
            region_code,
            created_at: now,
            updated_at: now,
            revision: 0,
        };
        let charge = self.charge_for_license(&license);
        let audit = AuditEvent::new(caller, "license.create", "license", Some(license.serial.clone()), now)
            .with_details(serde_json::json!({ "name": license.name }));
        self.core.store.insert_license(&license, &charge, &audit).await?;
        self.core.licenses.invalidate_all();
        Ok(license)
    }

    /// The company's licenses, oldest first (served from the read cache when fresh).
    pub async fn list_licenses(self, caller: &Caller) -> Result<std::sync::Arc<Vec<License>>> {
        self.core.licenses.get_or_load(caller.tenant_id(), || self.core.store.list_licenses(caller.tenant_id())).await
    }

    pub async fn license(self, caller: &Caller, serial: &str) -> Result<License> {
        self.core
            .store
            .get_license(caller.tenant_id(), serial.trim())
            .await?
            .ok_or_else(|| DomainError::new(ErrorCode::LicenseNotFound).field("serial"))
    }

    pub async fn change_license(self, caller: &Caller, serial: &str, change: LicenseChange) -> Result<License> {
        if let LicenseChange::Name(name) = &change {
            let name = validate_license_name("name", name)?;
            if name.is_empty() {
                return Err(DomainError::invalid("name", "must not be empty"));
            }
        }
        let details = match &change {
            LicenseChange::Name(n) => serde_json::json!({ "name": n }),
            LicenseChange::Favourite(f) => serde_json::json!({ "favourited": f }),
            LicenseChange::Locked(l) => serde_json::json!({ "locked": l }),
            LicenseChange::Relax | LicenseChange::Archive => serde_json::json!({}),
        };
        // The store writes only if the row still has the revision we read, so two concurrent
        // changes cannot overwrite each other; on a lost race, re-read and apply again.
        for _ in 0..8 {
            let now = self.core.now();
            let current = self.license(caller, serial).await?;
            let next = change.apply(&current, now)?;
            let audit = AuditEvent::new(caller, change.action(), "license", Some(current.serial.clone()), now)
                .with_details(details.clone());
            if self.core.store.update_license(&next, current.revision, &audit).await? {
                self.core.licenses.invalidate_all();
                return Ok(next);
            }
        }
        Err(DomainError::internal("license kept changing concurrently"))
    }

    /// Re-reads every license's state from the license service. In keyhall the license service
    /// is keyhall itself, so this applies every pending state transition now (hosted instances,
    /// CloudView) and stamps the licenses as synchronised.
    pub async fn resync_licenses(self, caller: &Caller) -> Result<u64> {
        let now = self.core.now();
        self.advance_lifecycles(now).await?;
        let audit = AuditEvent::new(caller, "license.resync_all", "tenant", Some(caller.tenant_id().to_string()), now);
        self.core.store.mark_licenses_synced(caller.tenant_id(), now, &audit).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serial_shape() {
        let s = new_serial();
        assert_eq!(s.len(), 29);
        assert_eq!(s.split('-').count(), 5);
        assert_ne!(s, new_serial());
    }
}
