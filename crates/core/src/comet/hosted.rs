//! Hosted server instances and their provisioning lifecycle:
//! `provisioning` → `ready` → (delete) `deleting` → `deleted`.
//! Each transition is due at a stored instant; reads show the state as of now, and a sweeper
//! (and `license/resync_all`) persists due transitions.

use keyhall_types::{HostedInstanceId, TenantId, Timestamp};

use super::Comet;
use crate::audit::AuditEvent;
use crate::context::Caller;
use crate::credentials::seal_purpose;
use crate::error::{DomainError, ErrorCode, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HostedState {
    Provisioning,
    Ready,
    Deleting,
    Deleted,
}

impl HostedState {
    pub fn as_str(self) -> &'static str {
        match self {
            HostedState::Provisioning => "provisioning",
            HostedState::Ready => "ready",
            HostedState::Deleting => "deleting",
            HostedState::Deleted => "deleted",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "provisioning" => HostedState::Provisioning,
            "ready" => HostedState::Ready,
            "deleting" => HostedState::Deleting,
            "deleted" => HostedState::Deleted,
            _ => return None,
        })
    }
}

pub const REGIONS: &[(&str, &str)] = &[
    ("us-west-1", "US West (N. California)"),
    ("us-east-1", "US East (N. Virginia)"),
    ("eu-central-1", "Europe (Frankfurt)"),
    ("eu-west-2", "Europe (London)"),
    ("ap-southeast-2", "Asia Pacific (Sydney)"),
];

pub const STORAGE_TYPES: &[&str] = &["none", "wasabi", "backblaze"];
pub const DELIVERY_METHODS: &[&str] = &["ses", "smtp"];
pub const SMTP_SECURITY: &[&str] = &["tls", "starttls", "plain"];

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostedInstance {
    pub id: HostedInstanceId,
    pub tenant_id: TenantId,
    pub server_name: String,
    pub region: String,
    /// The instance's host name under the hosting domain.
    pub user_dns: String,
    pub admin_username: String,
    /// Sealed under the master key.
    pub admin_password_sealed: String,
    pub send_as_display_name: String,
    pub send_as_email_address: String,
    pub send_as_email_verified: bool,
    pub send_as_dmarc_verified: bool,
    pub use_custom_dns: bool,
    pub user_custom_dns: String,
    pub smtp_mode: String,
    pub smtp_host: String,
    pub smtp_port: i64,
    pub smtp_username: String,
    /// Sealed under the master key; empty when unset.
    pub smtp_password_sealed: String,
    pub smtp_security: String,
    pub smtp_accept_invalid_certificate: bool,
    pub storage_type: String,
    pub storage_bucket: String,
    /// Sealed JSON of the storage provider's keys; empty when none were given.
    pub storage_keys_sealed: String,
    pub favourited: bool,
    pub num_devices_online: i64,
    pub num_boosters_online: i64,
    pub version: String,
    pub state: HostedState,
    /// When the current state moves on by itself (end of provisioning or of deletion).
    pub state_due_at: Option<Timestamp>,
    pub pending_delete_failed: bool,
    pub created_at: Timestamp,
    pub date_deleted: Option<Timestamp>,
    pub updated_at: Timestamp,
    pub revision: i64,
}

impl HostedInstance {
    /// The instance as it is at `now`, with any due transition applied.
    pub fn at(mut self, now: Timestamp) -> Self {
        if let Some(due) = self.state_due_at
            && due <= now
        {
            match self.state {
                HostedState::Provisioning => {
                    self.state = HostedState::Ready;
                    self.state_due_at = None;
                }
                HostedState::Deleting => {
                    self.state = HostedState::Deleted;
                    self.date_deleted = Some(due);
                    self.state_due_at = None;
                }
                HostedState::Ready | HostedState::Deleted => {}
            }
        }
        self
    }

    pub fn pending_delete(&self) -> bool {
        self.state == HostedState::Deleting
    }
}

/// Input of `create_hosted`.
#[derive(Debug, Clone, Default)]
pub struct NewHosted {
    pub name: Option<String>,
    pub region: String,
    pub subdomain: Option<String>,
    pub email_send_as: String,
    pub email_from: String,
    pub storage_type: String,
    pub storage_bucket: Option<String>,
    pub wasabi_access_key: Option<String>,
    pub wasabi_secret_key: Option<String>,
    pub b2_application_key: Option<String>,
    pub b2_application_key_id: Option<String>,
}

/// Input of the branding update.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BrandingUpdate {
    pub use_custom_domain: bool,
    pub custom_domain: Option<String>,
    pub email_send_as: String,
    pub email_from: String,
    pub delivery_method: String,
    pub smtp_host: Option<String>,
    pub smtp_port: Option<i64>,
    pub smtp_username: Option<String>,
    pub smtp_password: Option<String>,
    pub smtp_security: Option<String>,
    pub smtp_accept_invalid_certificate: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostedChange {
    Name(String),
    Favourite(bool),
    Branding(Box<BrandingUpdate>),
    Delete,
}

fn one_of(field: &'static str, value: &str, allowed: &[&str]) -> Result<String> {
    let v = value.trim().to_ascii_lowercase();
    if allowed.contains(&v.as_str()) {
        Ok(v)
    } else {
        Err(DomainError::invalid(field, format!("must be one of: {}", allowed.join(", "))))
    }
}

/// A DNS label: 3–63 of `a-z0-9-`, not starting or ending with `-`.
fn validate_subdomain(field: &'static str, text: &str) -> Result<String> {
    let s = text.trim().to_ascii_lowercase();
    let ok = (3..=63).contains(&s.len())
        && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-');
    if ok { Ok(s) } else { Err(DomainError::invalid(field, "must be 3-63 letters, digits or hyphens")) }
}

/// A host name: dot-separated DNS labels (1–63 chars each), at most 253 characters.
fn validate_hostname(field: &'static str, text: &str) -> Result<String> {
    let s = text.trim().trim_end_matches('.').to_ascii_lowercase();
    let ok = !s.is_empty()
        && s.len() <= 253
        && s.contains('.')
        && s.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        });
    if ok { Ok(s) } else { Err(DomainError::invalid(field, "must be a valid host name")) }
}

fn validate_display(field: &'static str, text: &str) -> Result<String> {
    let t = text.trim();
    if t.is_empty() {
        return Err(DomainError::invalid(field, "must not be empty"));
    }
    if t.chars().count() > 255 || t.chars().any(char::is_control) {
        return Err(DomainError::invalid(field, "must be at most 255 printable characters"));
    }
    Ok(t.to_string())
}

impl Comet<'_> {
    pub async fn create_hosted(self, caller: &Caller, input: NewHosted) -> Result<HostedInstance> {
        let region = one_of("region", &input.region, &REGIONS.iter().map(|r| r.0).collect::<Vec<_>>())?;
        let send_as = crate::identity::users::parse_email("email_send_as", &input.email_send_as)?;
        let from = validate_display("email_from", &input.email_from)?;
        let storage_type = one_of("storage_type", &input.storage_type, STORAGE_TYPES)?;
        let bucket = input.storage_bucket.as_deref().map(str::trim).unwrap_or("").to_string();
        if storage_type != "none" && bucket.is_empty() {
            return Err(DomainError::missing("storage_bucket_name")
                .detail(format!("is required when the storage type is {storage_type}")));
        }
        let name = match input.name.as_deref().map(str::trim) {
            Some(n) if !n.is_empty() => validate_display("name", n)?,
            _ => format!("Comet Server {}", &keyhall_crypto::random::alphanumeric(6).to_lowercase()),
        };
        let subdomain = match input.subdomain.as_deref().map(str::trim) {
            Some(s) if !s.is_empty() => validate_subdomain("domain", s)?,
            _ => format!("c{}", keyhall_crypto::random::string_from(b"abcdefghijklmnopqrstuvwxyz0123456789", 11)),
        };
        let keys = match storage_type.as_str() {
            "wasabi" => serde_json::json!({ "access_key": input.wasabi_access_key, "secret_key": input.wasabi_secret_key }),
            "backblaze" => {
                serde_json::json!({ "application_key": input.b2_application_key, "application_key_id": input.b2_application_key_id })
            }
            _ => serde_json::Value::Null,
        };
        let storage_keys_sealed = if keys.is_null() {
            String::new()
        } else {
            self.core.keys.seal_str(seal_purpose::HOSTED_STORAGE_KEYS, &keys.to_string())
        };
        let now = self.core.now();
        let admin_password = keyhall_crypto::random::alphanumeric(20);
        let instance = HostedInstance {
            id: HostedInstanceId::new(),
            tenant_id: caller.tenant_id(),
            server_name: name,
            region,
            user_dns: format!("{subdomain}.{}", self.core.settings.hosted_domain),
            admin_username: "admin".into(),
            admin_password_sealed: self.core.keys.seal_str(seal_purpose::HOSTED_ADMIN_PASSWORD, &admin_password),
            send_as_display_name: from,
            send_as_email_address: send_as.to_string(),
            send_as_email_verified: false,
            send_as_dmarc_verified: false,
            use_custom_dns: false,
            user_custom_dns: String::new(),
            smtp_mode: "ses".into(),
            smtp_host: String::new(),
            smtp_port: 0,
            smtp_username: String::new(),
            smtp_password_sealed: String::new(),
            smtp_security: String::new(),
            smtp_accept_invalid_certificate: false,
            storage_type,
            storage_bucket: bucket,
            storage_keys_sealed,
            favourited: false,
            num_devices_online: 0,
            num_boosters_online: 0,
            version: self.catalogue().latest(false).map(|v| v.version.clone()).unwrap_or_default(),
            state: HostedState::Provisioning,
            state_due_at: Some(now + self.core.settings.provision_delay),
            pending_delete_failed: false,
            created_at: now,
            date_deleted: None,
            updated_at: now,
            revision: 0,
        };
        let charge = self.charge_for_hosted(&instance);
        let audit = AuditEvent::new(caller, "hosted.create", "hosted_instance", Some(instance.id.to_string()), now).with_details(
            serde_json::json!({
                "region": instance.region, "user_dns": instance.user_dns, "storage_type": instance.storage_type
            }),
        );
        self.core
            .store
            .insert_hosted(&instance, &charge, &audit)
            .await
            .map_err(|e| if e.is(ErrorCode::HostedDomainTaken) { e.field("domain") } else { e })?;
        Ok(instance)
    }

    /// Instances that are not deleted, as of now.
    pub async fn list_hosted(self, caller: &Caller) -> Result<Vec<HostedInstance>> {
        let now = self.core.now();
        Ok(self
            .core
            .store
            .list_hosted(caller.tenant_id())
            .await?
            .into_iter()
            .map(|h| h.at(now))
            .filter(|h| h.state != HostedState::Deleted)
            .collect())
    }

    pub async fn hosted(self, caller: &Caller, id: &str) -> Result<HostedInstance> {
        let not_found = || DomainError::new(ErrorCode::HostedInstanceNotFound).field("hosted_server_id");
        let id = HostedInstanceId::parse(id).ok_or_else(not_found)?;
        let found = self.core.store.get_hosted(caller.tenant_id(), id).await?.ok_or_else(not_found)?;
        Ok(found.at(self.core.now()))
    }

    pub fn hosted_admin_password(self, instance: &HostedInstance) -> Result<String> {
        self.core
            .keys
            .unseal_string(seal_purpose::HOSTED_ADMIN_PASSWORD, &instance.admin_password_sealed)
            .map_err(DomainError::internal)
    }

    pub fn hosted_smtp_password(self, instance: &HostedInstance) -> Result<String> {
        if instance.smtp_password_sealed.is_empty() {
            return Ok(String::new());
        }
        self.core
            .keys
            .unseal_string(seal_purpose::HOSTED_SMTP_PASSWORD, &instance.smtp_password_sealed)
            .map_err(DomainError::internal)
    }

    pub async fn change_hosted(self, caller: &Caller, id: &str, change: HostedChange) -> Result<HostedInstance> {
        let change = match change {
            HostedChange::Name(n) => HostedChange::Name(validate_display("name", &n)?),
            HostedChange::Branding(b) => HostedChange::Branding(Box::new(self.validate_branding(*b)?)),
            other => other,
        };
        for _ in 0..8 {
            let now = self.core.now();
            let current = self.hosted(caller, id).await?;
            if matches!(current.state, HostedState::Deleting | HostedState::Deleted) {
                return Err(DomainError::new(ErrorCode::HostedInstanceDeleting)
                    .field("hosted_server_id")
                    .detail("the instance is being deleted"));
            }
            let mut next = current.clone();
            let action = match &change {
                HostedChange::Name(n) => {
                    next.server_name = n.clone();
                    "hosted.set_name"
                }
                HostedChange::Favourite(f) => {
                    next.favourited = *f;
                    "hosted.set_favourite"
                }
                HostedChange::Branding(b) => {
                    self.apply_branding(&mut next, b);
                    "hosted.update_branding"
                }
                HostedChange::Delete => {
                    next.state = HostedState::Deleting;
                    next.state_due_at = Some(now + self.core.settings.delete_delay);
                    "hosted.delete"
                }
            };
            next.updated_at = now;
            next.revision = current.revision + 1;
            let audit = AuditEvent::new(caller, action, "hosted_instance", Some(current.id.to_string()), now);
            if self.core.store.update_hosted(&next, current.revision, &audit).await? {
                return Ok(next);
            }
        }
        Err(DomainError::internal("hosted instance kept changing concurrently"))
    }

    fn validate_branding(self, mut b: BrandingUpdate) -> Result<BrandingUpdate> {
        b.email_send_as = crate::identity::users::parse_email("email_send_as", &b.email_send_as)?.to_string();
        b.email_from = validate_display("email_from", &b.email_from)?;
        b.delivery_method = one_of("email_delivery_method", &b.delivery_method, DELIVERY_METHODS)?;
        if b.use_custom_domain {
            let domain = b.custom_domain.as_deref().unwrap_or("").trim().to_string();
            if domain.is_empty() {
                return Err(DomainError::missing("custom_domain").detail("is required when the custom domain is in use"));
            }
            b.custom_domain = Some(validate_hostname("custom_domain", &domain)?);
        } else if let Some(d) = b.custom_domain.as_deref().filter(|d| !d.trim().is_empty()) {
            b.custom_domain = Some(validate_hostname("custom_domain", d)?);
        }
        if b.delivery_method == "smtp" {
            let host = b.smtp_host.as_deref().unwrap_or("").trim().to_string();
            if host.is_empty() {
                return Err(DomainError::missing("smtp_host").detail("is required when the delivery method is smtp"));
            }
            b.smtp_host = Some(validate_hostname("smtp_host", &host).or_else(|_| {
                host.parse::<std::net::IpAddr>()
                    .map(|_| host.clone())
                    .map_err(|_| DomainError::invalid("smtp_host", "must be a host name or IP address"))
            })?);
        }
        if let Some(port) = b.smtp_port
            && !(1..=65535).contains(&port)
        {
            return Err(DomainError::invalid("smtp_port", "must be between 1 and 65535"));
        }
        if let Some(sec) = &b.smtp_security {
            b.smtp_security = Some(one_of("smtp_security", sec, SMTP_SECURITY)?);
        }
        Ok(b)
    }

    fn apply_branding(self, h: &mut HostedInstance, b: &BrandingUpdate) {
        h.use_custom_dns = b.use_custom_domain;
        if let Some(d) = &b.custom_domain {
            h.user_custom_dns = d.clone();
        }
        if h.send_as_email_address != b.email_send_as {
            // A new sender address has to be verified again.
            h.send_as_email_verified = false;
            h.send_as_dmarc_verified = false;
        }
        h.send_as_email_address = b.email_send_as.clone();
        h.send_as_display_name = b.email_from.clone();
        h.smtp_mode = b.delivery_method.clone();
        if b.delivery_method == "smtp" {
            h.smtp_host = b.smtp_host.clone().unwrap_or_default();
            h.smtp_port = b.smtp_port.unwrap_or(587);
            h.smtp_username = b.smtp_username.clone().unwrap_or_default();
            if let Some(p) = &b.smtp_password {
                h.smtp_password_sealed = self.core.keys.seal_str(seal_purpose::HOSTED_SMTP_PASSWORD, p);
            }
            h.smtp_security = b.smtp_security.clone().unwrap_or_else(|| "starttls".into());
            h.smtp_accept_invalid_certificate = b.smtp_accept_invalid_certificate.unwrap_or(false);
        } else {
            h.smtp_host.clear();
            h.smtp_port = 0;
            h.smtp_username.clear();
            h.smtp_password_sealed.clear();
            h.smtp_security.clear();
            h.smtp_accept_invalid_certificate = false;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostnames_and_subdomains() {
        assert_eq!(validate_subdomain("d", "My-Box1").unwrap(), "my-box1");
        assert!(validate_subdomain("d", "-x-").is_err());
        assert!(validate_subdomain("d", "ab").is_err());
        assert_eq!(validate_hostname("h", "backup.example.com.").unwrap(), "backup.example.com");
        assert!(validate_hostname("h", "nodot").is_err());
        assert!(validate_hostname("h", "bad_char.example.com").is_err());
    }
}
