//! The Barong-only domain: the gateway access rules authorize applies, the public labels users
//! keep on themselves, and data storages.

pub mod data_storage;
pub mod gateway;
pub mod labels;

crate::service! {
    /// Barong-only commands: `core.barong()`.
    Barong
}
