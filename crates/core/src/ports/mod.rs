//! The ports the core needs from the outside world, one file per context: storage as
//! role-sized repositories, plus time, mail and texts (`outside`). The store crate implements
//! the repositories for SQLite and PostgreSQL; each writing method is one transaction that
//! also appends the given audit record(s).

pub mod audit;
pub mod auth;
pub mod barong;
pub mod comet;
pub mod credentials;
pub mod identity;
pub mod outside;
pub mod tenancy;

pub use audit::*;
pub use auth::*;
pub use barong::*;
pub use comet::*;
pub use credentials::*;
pub use identity::*;
pub use outside::*;
pub use tenancy::*;

/// The whole store, as the server wires it.
pub trait Store:
    TenantRepo
    + UserRepo
    + CredentialRepo
    + ChallengeRepo
    + TokenRepo
    + SessionRepo
    + AuditRepo
    + CometRepo
    + LabelRepo
    + ApiKeyRepo
    + SettingsRepo
    + SigningKeyRepo
    + LoginAttemptRepo
    + DataStorageRepo
    + ProfileRepo
    + PhoneRepo
    + DocumentRepo
    + RestrictionRepo
{
}

impl<T> Store for T where
    T: TenantRepo
        + UserRepo
        + CredentialRepo
        + ChallengeRepo
        + TokenRepo
        + SessionRepo
        + AuditRepo
        + CometRepo
        + LabelRepo
        + ApiKeyRepo
        + SettingsRepo
        + SigningKeyRepo
        + LoginAttemptRepo
        + DataStorageRepo
        + ProfileRepo
        + PhoneRepo
        + DocumentRepo
        + RestrictionRepo
{
}
