//! Identity: users and what they say about themselves (profiles, phones, documents), the
//! labels that record what was verified, and how personal data is masked when shown.

pub mod countries;
pub mod documents;
pub mod labels;
pub mod masking;
pub mod phones;
pub mod profiles;
pub mod registration;
pub mod service_accounts;
pub mod users;

pub use labels::{Label, LabelScope};
pub use users::{NewUser, User, UserFlags, UserPatch, UserStatus};

crate::service! {
    /// Users, profiles, phones, documents and labels: `core.identity()`.
    Identity
}
