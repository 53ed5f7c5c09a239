//! Authentication: password sign-in behind brute-force counters, sessions, API tokens (Comet)
//! and HMAC API keys (Barong), access restrictions by address, signed action tokens, and the
//! keys keyhall signs its tokens with.

pub mod action_tokens;
pub mod api_keys;
pub mod api_tokens;
pub mod attempts;
pub mod devices;
pub mod envelope_keys;
pub mod external;
pub mod login;
pub mod nonces;
pub mod rate_limits;
pub mod restrictions;
pub mod sessions;
pub mod signing;

pub use attempts::Guess;
pub use devices::DeviceToken;
pub use external::ExternalIdentity;
pub use login::{LoginRefusal, SignedIn};
pub use sessions::{OpenedSession, Session};

crate::service! {
    /// Sign-in, sessions, tokens, keys and restrictions: `core.auth()`.
    Auth
}

impl Auth<'_> {
    /// The operator at the command line: whoever can run `keyhall` on the data directory (or
    /// with the database URL) is trusted with every capability of the tenant.
    pub fn operator(self, tenant: keyhall_types::TenantId) -> crate::Caller {
        crate::Caller::operator(tenant)
    }

    /// A visitor nobody has authenticated, for the few public commands that act without a
    /// user (a whitelist link, say); it holds no capability.
    pub fn visitor(self, tenant: keyhall_types::TenantId, origin: crate::Origin) -> crate::Caller {
        crate::Caller::new(tenant, crate::Actor::System, origin, crate::context::Grants::Identity)
    }
}
