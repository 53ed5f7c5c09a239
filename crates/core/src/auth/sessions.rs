//! Login sessions. The session secret lives only in the client's cookie; the store keeps its
//! SHA-256 digest, the binding (IP, user agent) and an expiry that slides with use up to an
//! absolute end (`session_max_lifetime` after sign-in).

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

use std::net::IpAddr;

use keyhall_types::Secret;

use super::Auth;
use crate::audit::AuditEvent;
use crate::context::{Caller, Origin};
use crate::error::{DomainError, ErrorCode, Result};
use crate::identity::users::User;

/// A session just opened: the secret goes into the client's cookie, never into the store.
#[derive(Debug, Clone)]
pub struct OpenedSession {
    pub session: Session,
    pub secret: Secret<String>,
}

/// Whether a request's address is in the same network as the one the session was opened
/// from: the same /16 for IPv4, the same /96 for IPv6 (mobile clients move within those).
pub fn same_network(opened_from: &str, now_from: Option<IpAddr>) -> bool {
    let (Ok(a), Some(b)) = (opened_from.parse::<IpAddr>(), now_from) else {
        return false;
    };
    match (a, b) {
        (IpAddr::V4(a), IpAddr::V4(b)) => a.octets()[..2] == b.octets()[..2],
        (IpAddr::V6(a), IpAddr::V6(b)) => a.octets()[..12] == b.octets()[..12],
        _ => false,
    }
}

/// Cached session state for the authorize hot path.
#[derive(Debug, Clone)]
pub struct ActiveSession {
    pub session: Session,
    pub digest: String,
}

impl Auth<'_> {
    /// Opens a session for `user`, bound to the client's address and user agent.
    pub async fn open_session(self, user: &User, origin: &Origin) -> Result<OpenedSession> {
        self.open_session_forgetting(user, origin, None).await
    }

    /// Opens a session; `forget_attempts` names a failed-login counter to clear in the same
    /// transaction (the account's, after a successful password check).
    pub(crate) async fn open_session_forgetting(
        self,
        user: &User,
        origin: &Origin,
        forget_attempts: Option<&str>,
    ) -> Result<OpenedSession> {
        let now = self.core.now();
        let secret = keyhall_crypto::random::alphanumeric(43);
        let session = Session {
            id: keyhall_types::SessionId::new(),
            tenant_id: user.tenant_id,
            user_id: user.id,
            ip: origin.ip.clone().unwrap_or_default(),
            user_agent: origin.user_agent.clone().unwrap_or_default(),
            csrf_token: hex::encode(keyhall_crypto::random::bytes::<10>()),
            created_at: now,
            expires_at: now + self.core.settings.session_ttl.min(self.core.settings.session_max_lifetime),
        };
        let caller = Caller::user(user.tenant_id, user.id, origin.clone());
        let audit = AuditEvent::new(&caller, "session.create", "user", Some(user.id.to_string()), now);
        let digest = keyhall_crypto::token::digest(&secret);
        self.core.store.insert_session(&session, &digest, &audit, forget_attempts).await?;
        Ok(OpenedSession { session, secret: Secret::new(secret) })
    }

    /// Authenticates a session cookie: finds the live session behind it and checks its
    /// binding: the same user agent, an address (`ip`, the client's) in the same network, not
    /// expired. A session that fails the binding is destroyed (`session.mismatch`); an unknown
    /// or expired one is `session.invalid`. Success slides the expiry forward and gives the
    /// session's user as the caller.
    pub async fn resolve_session(self, secret: &str, ip: Option<IpAddr>, origin: Origin) -> Result<(Session, Caller)> {
        let user_agent = origin.user_agent.as_deref().unwrap_or_default();
        let session = self.bound_session(secret, ip, user_agent).await?;
        let caller = Caller::user(session.tenant_id, session.user_id, origin);
        Ok((session, caller))
    }

    async fn bound_session(self, secret: &str, ip: Option<IpAddr>, user_agent: &str) -> Result<Session> {
        let digest = keyhall_crypto::token::digest(secret);
        let now = self.core.now();
        let cached = self.core.session_cache.get(&digest);
        let session = match cached {
            Some(s) => s,
            None => {
                let s =
                    self.core.store.find_session(&digest).await?.ok_or_else(|| DomainError::new(ErrorCode::SessionInvalid))?;
                self.core.session_cache.insert(digest.clone(), s.clone());
                s
            }
        };
        let bound = session.user_agent == user_agent && same_network(&session.ip, ip);
        if !bound || now >= session.expires_at {
            self.core.session_cache.invalidate(&digest);
            self.core.live_sessions.invalidate(&session.id);
            self.core.store.delete_session(session.id, None).await?;
            // An expired session is simply gone; a replayed one is worth telling apart.
            let code = if bound { ErrorCode::SessionInvalid } else { ErrorCode::SessionMismatch };
            return Err(DomainError::new(code));
        }
        // Slide the expiry, writing at most once a minute per session (more often only when
        // sessions are shorter than ten minutes, so that the slide still keeps them alive),
        // never past the session's absolute end.
        let end = session.created_at + self.core.settings.session_max_lifetime;
        let wanted = (now + self.core.settings.session_ttl).min(end);
        let write_gap = (self.core.settings.session_ttl / 10_i32).min(time::Duration::minutes(1));
        if wanted - session.expires_at >= write_gap {
            self.core.store.extend_session(session.id, wanted).await?;
            let mut refreshed = session.clone();
            refreshed.expires_at = wanted;
            self.core.session_cache.insert(digest, refreshed.clone());
            return Ok(refreshed);
        }
        Ok(session)
    }

    /// Closes the session behind a cookie value; `None` when there was none.
    pub async fn close_session(self, secret: &str, origin: &Origin) -> Result<Option<Session>> {
        let digest = keyhall_crypto::token::digest(secret);
        self.core.session_cache.invalidate(&digest);
        let Some(session) = self.core.store.find_session(&digest).await? else {
            return Ok(None);
        };
        self.core.live_sessions.invalidate(&session.id);
        let caller = Caller::user(session.tenant_id, session.user_id, origin.clone());
        let audit = AuditEvent::new(&caller, "session.destroy", "user", Some(session.user_id.to_string()), self.core.now());
        self.core.store.delete_session(session.id, Some(&audit)).await?;
        Ok(Some(session))
    }

    /// Ends every session of a user except `keep` (after a password reset or 2FA change).
    pub async fn close_user_sessions(self, user: keyhall_types::UserId, keep: Option<keyhall_types::SessionId>) -> Result<u64> {
        let n = self.core.store.delete_user_sessions(user, keep).await?;
        self.forget_sessions();
        Ok(n)
    }

    /// Forgets the sessions this node remembers, after a write that ended some
    /// (`Write::EndSessions`): they are read from the store again.
    pub(crate) fn forget_sessions(self) {
        self.core.session_cache.invalidate_all();
        self.core.live_sessions.invalidate_all();
    }

    /// The session `id` if it is still open (a token bound to it is then still good). Seen
    /// sessions are remembered for a few seconds; a session closed on this node is forgotten
    /// at once, one closed on another node within those seconds.
    pub async fn live_session(self, id: SessionId) -> Result<Option<Session>> {
        let now = self.core.now();
        // A remembered session that looks expired may have slid forward since: ask again.
        if let Some(s) = self.core.live_sessions.get(&id).filter(|s| s.expires_at > now) {
            return Ok(Some(s));
        }
        let found = self.core.store.find_session_by_id(id).await?.filter(|s| s.expires_at > now);
        match &found {
            Some(s) => self.core.live_sessions.insert(id, s.clone()),
            None => self.core.live_sessions.invalidate(&id),
        }
        Ok(found)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn network_binding() {
        let ip = |s: &str| Some(s.parse::<IpAddr>().unwrap());
        assert!(same_network("168.238.57.64", ip("168.238.1.2")));
        assert!(!same_network("168.238.57.64", ip("168.27.3.225")));
        assert!(same_network("2001:db8::1", ip("2001:db8::ffff:1")));
        assert!(!same_network("2001:db8::1", ip("2001:db9::1")));
        assert!(!same_network("10.0.0.1", ip("::1")));
        assert!(!same_network("", ip("10.0.0.1")));
        assert!(!same_network("10.0.0.1", None));
    }
}
