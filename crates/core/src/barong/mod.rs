//! The Barong-only domain: the gateway access rules authorize applies, the session tokens it
//! hands out, the public labels users keep on themselves, and data storages.

pub mod data_storage;
pub mod gateway;
pub mod labels;
pub mod session_tokens;

crate::service! {
    /// Barong-only commands: `core.barong()`.
    Barong
}
