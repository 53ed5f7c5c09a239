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

crate::service! {
    /// Comet-only commands: `core.comet()`.
    Comet
}

impl<'a> Comet<'a> {
    pub fn catalogue(self) -> &'a downloads::DownloadCatalogue {
        &self.core.catalogue
    }

    /// Persists lifecycle transitions that are due (hosted instances, CloudView).
    pub async fn advance_lifecycles(self, now: keyhall_types::Timestamp) -> crate::Result<u64> {
        self.core.store.advance_lifecycles(now).await
    }
}
