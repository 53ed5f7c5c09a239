//! Authentication: password sign-in behind brute-force counters, sessions, API tokens (Comet)
//! and HMAC API keys (Barong), access restrictions by address, signed action tokens, and the
//! keys keyhall signs its tokens with.

pub mod action_tokens;
pub mod api_keys;
pub mod api_tokens;
pub mod login;
pub mod restrictions;
pub mod sessions;
pub mod signing;

pub use login::{LoginRefusal, SignedIn};
pub use sessions::{OpenedSession, Session};

crate::service! {
    /// Sign-in, sessions, tokens, keys and restrictions: `core.auth()`.
    Auth
}
