//! HTTP plumbing shared by every face and the server: client information, the original
//! request a gateway asks about (`forwarded`), form bodies, request ids, per-route metrics,
//! the common middleware stack, and the protocol routes every face shares (`well_known`).

pub mod client;
pub mod form;
pub mod forwarded;
pub mod layers;
pub mod metrics;
pub mod tables;
pub mod well_known;

pub use client::ClientInfo;
pub use form::FormPairs;
