//! Tenancy: tenants (a Comet company, a 1Kosmos tenant), the communities inside them, each
//! community's configuration documents (versioned JSON), and what each single-tenant face
//! serves.

pub mod companies;
pub mod config;
pub mod tenants;

pub use companies::{CompanyCreated, NewCompany};
pub use config::Versioned;
pub use tenants::{Community, CompanyProfile, DEFAULT_COMMUNITY, Tenant, TenantStatus};

crate::service! {
    /// Tenants and communities: `core.tenancy()`.
    Tenancy
}

impl Tenancy<'_> {
    /// Whether the store answers (a health check).
    pub async fn ping(self) -> crate::Result<()> {
        self.core.store.any_user().await.map(drop)
    }

    /// The community a tenant's users land in unless told otherwise.
    pub async fn default_community(self, tenant: keyhall_types::TenantId) -> crate::Result<Community> {
        self.core.store.default_community(tenant).await?.ok_or_else(|| crate::DomainError::new(crate::ErrorCode::TenantNotFound))
    }
}
