//! Typed identifiers. Every id is a UUIDv7 (time-ordered, so inserts stay local in B-tree
//! indexes) and travels as its hyphenated text form, in storage and on the wire.

use std::fmt;
use std::str::FromStr;

use uuid::Uuid;

macro_rules! typed_id {
    ($($(#[$doc:meta])* $name:ident),* $(,)?) => {$(
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        #[serde(transparent)]
        pub struct $name(Uuid);

        impl $name {
            /// A fresh, time-ordered id.
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }

            pub fn as_uuid(&self) -> Uuid {
                self.0
            }

            /// Parses the text form; `None` for anything that is not a UUID.
            pub fn parse(text: &str) -> Option<Self> {
                Uuid::parse_str(text.trim()).ok().map(Self)
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl From<Uuid> for $name {
            fn from(value: Uuid) -> Self {
                Self(value)
            }
        }

        impl FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map(Self)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0.hyphenated(), f)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self.0.hyphenated())
            }
        }
    )*};
}

typed_id! {
    /// A tenant: an isolated organisation (a Comet *company*, a 1Kosmos tenant).
    TenantId,
    /// A community inside a tenant; every tenant has a default one.
    CommunityId,
    /// A user account.
    UserId,
    /// One credential of a user (password, TOTP seed, WebAuthn key).
    CredentialId,
    /// An API token.
    TokenId,
    /// A login session.
    SessionId,
    /// One entry of the audit log.
    AuditId,
    /// A pending challenge (WebAuthn registration, e-mail verification, ...).
    ChallengeId,
    /// A self-hosted server license.
    LicenseId,
    /// A hosted server instance.
    HostedInstanceId,
    /// A billing record.
    BillingRecordId,
    /// A label on a user.
    LabelId,
    /// A KYC profile.
    ProfileId,
    /// A phone number a user added.
    PhoneId,
    /// An uploaded identity document or proof of address.
    DocumentId,
    /// An access restriction by client address.
    RestrictionId,
    /// An HMAC API key (its public handle is its `kid`).
    ApiKeyId,
    /// A user's data storage document.
    DataStorageId,
    /// A 1Kosmos auth module: a user store of a community (keyhall's own, or a directory).
    AuthModuleId,
}
