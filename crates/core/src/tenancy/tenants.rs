//! Tenants (a Comet *company*) and the communities inside them. Every tenant has exactly one
//! default community, created with it, where users land unless told otherwise.

use keyhall_types::{CommunityId, TenantId, Timestamp};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TenantStatus {
    Active,
    /// Closed by its owner: tokens are revoked and nothing authenticates, data is kept.
    Closed,
}

impl TenantStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            TenantStatus::Active => "active",
            TenantStatus::Closed => "closed",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "active" => Some(TenantStatus::Active),
            "closed" => Some(TenantStatus::Closed),
            _ => None,
        }
    }
}

/// Contact details of the organisation.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CompanyProfile {
    pub phone: String,
    pub address_street: String,
    pub address_city: String,
    pub address_postcode: String,
    /// ISO 3166-1 alpha-2, upper case, or empty.
    pub address_country: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tenant {
    pub id: TenantId,
    pub name: String,
    pub status: TenantStatus,
    pub profile: CompanyProfile,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Community {
    pub id: CommunityId,
    pub tenant_id: TenantId,
    pub name: String,
    pub is_default: bool,
    pub created_at: Timestamp,
}

pub const DEFAULT_COMMUNITY: &str = "default";

/// Validates an organisation name: 1–255 characters after trimming, no control characters.
pub fn validate_name(field: &'static str, name: &str) -> crate::Result<String> {
    let name = name.trim();
    if name.is_empty() {
        return Err(crate::DomainError::invalid(field, "must not be empty"));
    }
    if name.chars().count() > 255 || name.chars().any(char::is_control) {
        return Err(crate::DomainError::invalid(field, "must be at most 255 printable characters"));
    }
    Ok(name.to_string())
}
