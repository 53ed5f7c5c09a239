//! Login sessions. The session secret lives only in the client's cookie; the store keeps its
//! SHA-256 digest, the binding (IP, user agent) and a sliding expiry.

use keyhall_types::{SessionId, TenantId, Timestamp, UserId};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub id: SessionId,
    pub tenant_id: TenantId,
    pub user_id: UserId,
    pub ip: String,
    pub user_agent: String,
    /// Anti-CSRF token returned at login and expected on cookie-authenticated writes.
    pub csrf_token: String,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
}
