//! One function per endpoint: read the checked parameters, call the core, shape the reply.

pub mod cloudview;
pub mod company;
pub mod downloads;
pub mod hosted;
pub mod licenses;
pub mod mfa;
pub mod reports;
pub mod tokens;
pub mod users;
