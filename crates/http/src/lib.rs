//! HTTP plumbing shared by every face and the server: client information, form bodies,
//! request ids, per-route metrics, and the common middleware stack.

pub mod client;
pub mod form;
pub mod layers;
pub mod metrics;

pub use client::ClientInfo;
pub use form::FormPairs;
