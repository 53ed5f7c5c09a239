//! The ports the core needs from the outside world, one file per context: storage as
//! role-sized repositories, plus time, mail and texts (`outside`). The store crate implements
//! them for SQLite and PostgreSQL. A command's writes go through one unit of work (`txn`):
//! typed row operations and their audit records, committed once; the few writes left as
//! methods (hot paths, counters, conditional updates) are each one transaction too.

pub mod adminx;
pub mod audit;
pub mod auth;
pub mod barong;
pub mod comet;
pub mod credentials;
pub mod identity;
pub mod outside;
pub mod tenancy;
pub mod txn;

pub use adminx::*;
pub use audit::*;
pub use auth::*;
pub use barong::*;
pub use comet::*;
pub use credentials::*;
pub use identity::*;
pub use outside::*;
pub use tenancy::*;
pub use txn::*;

/// The whole store, as the server wires it: every repository port, and nothing else.
macro_rules! store {
    ($($port:ident),* $(,)?) => {
        pub trait Store: $($port +)* {}
        impl<T> Store for T where T: $($port +)* {}
    };
}

store! {
    TenantRepo,
    ConfigRepo,
    DirectoryRepo,
    CollectionRepo,
    HardwareTokenRepo,
    ReportRepo,
    SettingsRepo,
    UserRepo,
    LabelRepo,
    ProfileRepo,
    PhoneRepo,
    DocumentRepo,
    CredentialRepo,
    ChallengeRepo,
    TokenRepo,
    ExternalIdentityRepo,
    SessionRepo,
    ApiKeyRepo,
    NonceRepo,
    SigningKeyRepo,
    LoginAttemptRepo,
    RestrictionRepo,
    AuditRepo,
    CometRepo,
    DataStorageRepo,
    OutboxRepo,
    UnitOfWorkRepo,
}
