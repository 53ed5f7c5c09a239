//! Limits on the costly things anyone can ask for without signing in: sign-ups (a password
//! hash and a mail each), mailed codes (confirmation, reset) and texts. Each is counted per
//! client address, so that one client cannot bomb mailboxes or pump texts; mailed codes are
//! also counted per recipient, so that many clients together cannot flood one mailbox. The
//! counters are the failure counters' table (one atomic statement per request).
//!
//! Past an address's limit the request is refused (`request.rate_limited`, with the time to
//! wait). Past a recipient's limit nothing more is sent, but the answer stays the same, so
//! that it tells nothing about the address.

use keyhall_types::TenantId;

use super::Auth;
use crate::context::Origin;
use crate::error::{DomainError, ErrorCode, Result};
use crate::ports::Attempt;

/// How many requests of one kind a subject may make in a window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    /// The counter's name (part of its key).
    pub name: &'static str,
    pub max: i64,
    pub window: time::Duration,
}

/// Sign-ups from one client address.
pub const SIGN_UPS_PER_ADDRESS: RateLimit = RateLimit { name: "sign-up", max: 10, window: time::Duration::hours(1) };
/// Mailed codes asked for from one client address.
pub const MAILED_CODES_PER_ADDRESS: RateLimit = RateLimit { name: "mail-code", max: 10, window: time::Duration::minutes(15) };
/// Mailed codes sent to one mailbox.
pub const MAILS_PER_RECIPIENT: RateLimit = RateLimit { name: "mail-to", max: 3, window: time::Duration::minutes(15) };
/// Texts asked for from one client address.
pub const TEXTS_PER_ADDRESS: RateLimit = RateLimit { name: "text", max: 10, window: time::Duration::minutes(15) };

impl Auth<'_> {
    /// Counts a request of `limit`'s kind from the client `origin`: `request.rate_limited`
    /// (with the time to wait) past the limit.
    pub async fn count_request(self, tenant: TenantId, limit: &RateLimit, origin: &Origin) -> Result<()> {
        let address = origin.ip.as_deref().unwrap_or("unknown");
        match self.count(tenant, limit, address).await? {
            None => Ok(()),
            Some(wait) => Err(DomainError::new(ErrorCode::RequestsLimited).retry_after(wait)),
        }
    }

    /// Counts one of `limit`'s kind for `subject`; the time to wait when it is over the
    /// limit, `None` when it is within.
    pub(crate) async fn count(self, tenant: TenantId, limit: &RateLimit, subject: &str) -> Result<Option<time::Duration>> {
        let now = self.core.now();
        let key = format!("rate:{}:{tenant}:{}", limit.name, subject.trim().to_lowercase());
        match self.core.store.reserve_attempt(&key, limit.max, now - limit.window, now).await? {
            Attempt::Allowed { .. } => Ok(None),
            // The window's start is not read back: at most one window to wait.
            Attempt::Locked { .. } => Ok(Some(limit.window)),
        }
    }
}
