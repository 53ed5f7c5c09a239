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

/// A limit kept in this node's memory, for requests too frequent to count in the store (a
/// client's events): at most `max` per subject in a window that starts with its first
/// request. Each node counts its own, so behind N nodes a subject gets up to N times `max`.
pub struct NodeRateLimit {
    max: u64,
    window: std::time::Duration,
    windows: moka::sync::Cache<String, std::sync::Arc<Window>>,
}

struct Window {
    started: std::time::Instant,
    count: std::sync::atomic::AtomicU64,
}

impl NodeRateLimit {
    /// `max` per `window` (0: no limit), for up to 100,000 subjects at once.
    pub fn new(max: u64, window: std::time::Duration) -> Self {
        Self { max, window, windows: moka::sync::Cache::builder().max_capacity(100_000).time_to_live(window).build() }
    }

    /// `count` for the client `origin`, by its address block (`client_block`).
    pub fn count_client(&self, origin: &Origin) -> Result<()> {
        self.count(&client_block(origin.ip.as_deref()))
    }

    /// Counts one request of `subject`: `request.rate_limited` with the time left in its
    /// window once it is past the limit.
    pub fn count(&self, subject: &str) -> Result<()> {
        if self.max == 0 {
            return Ok(());
        }
        let fresh = || std::sync::Arc::new(Window { started: std::time::Instant::now(), count: Default::default() });
        let window = self.windows.get_with_by_ref(subject, fresh);
        if window.count.fetch_add(1, std::sync::atomic::Ordering::Relaxed) < self.max {
            return Ok(());
        }
        let left = self.window.saturating_sub(window.started.elapsed()).max(std::time::Duration::from_secs(1));
        Err(DomainError::new(ErrorCode::RequestsLimited).retry_after(time::Duration::seconds(left.as_secs_f64().ceil() as i64)))
    }
}

/// What one client is counted as: its IPv4 address, or the /64 of its IPv6 address (one
/// subscriber's network, whose addresses it may pick freely).
fn client_block(ip: Option<&str>) -> String {
    match ip.map(str::parse::<std::net::IpAddr>) {
        Some(Ok(std::net::IpAddr::V6(v6))) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
        Some(Ok(std::net::IpAddr::V4(v4))) => v4.to_string(),
        _ => ip.unwrap_or("unknown").to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_node_limit_refuses_past_its_maximum_until_the_window_ends() {
        let limit = NodeRateLimit::new(3, std::time::Duration::from_millis(300));
        for _ in 0..3 {
            limit.count("10.0.0.1").unwrap();
        }
        let refused = limit.count("10.0.0.1").unwrap_err();
        assert_eq!(refused.code, ErrorCode::RequestsLimited);
        assert_eq!(refused.retry_after, Some(time::Duration::seconds(1)), "the time left, at least a second");
        limit.count("10.0.0.2").expect("another subject counts apart");
        std::thread::sleep(std::time::Duration::from_millis(400));
        limit.count("10.0.0.1").expect("a new window");
    }

    #[test]
    fn a_node_limit_of_zero_never_refuses() {
        let limit = NodeRateLimit::new(0, std::time::Duration::from_secs(60));
        for _ in 0..1000 {
            limit.count("10.0.0.1").unwrap();
        }
    }

    #[test]
    fn a_client_is_counted_by_its_ipv4_address_or_its_ipv6_network() {
        assert_eq!(client_block(Some("203.0.113.7")), "203.0.113.7");
        assert_eq!(client_block(Some("2001:db8:1:2:aaaa::1")), "2001:db8:1:2::/64");
        assert_eq!(client_block(Some("2001:db8:1:2:bbbb::9")), client_block(Some("2001:db8:1:2:aaaa::1")));
        assert_ne!(client_block(Some("2001:db8:1:3::1")), client_block(Some("2001:db8:1:2::1")));
        assert_eq!(client_block(Some("::ffff:203.0.113.7")), "203.0.113.7");
        assert_eq!(client_block(None), "unknown");
    }
}
