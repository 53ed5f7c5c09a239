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
