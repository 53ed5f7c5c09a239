//! The Comet-only domain: licenses, hosted instances, the downloads catalogue, billing
//! records, CloudView, account settings and reports.

pub mod account;
pub mod actions;
pub mod billing;
pub mod cloudview;
pub mod downloads;
pub mod hosted;
pub mod licenses;
pub mod regions;
pub mod reports;

pub(crate) use crate::Core;
