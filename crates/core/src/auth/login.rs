//! Signing in with a password (and a TOTP code when the user has one), behind brute-force
//! protection: failed attempts are counted per account and per client address; past the limit
//! the account is locked for a time that doubles with each lockout. The counter is reserved
//! atomically before the (expensive) password check, so concurrent guesses can never get more
//! than the limit checked. A client that signed in to the account before (a known device) is
//! counted on its own, so that others' failures do not lock it out.

use keyhall_types::{Email, TenantId, Timestamp};

use super::Auth;
use crate::audit::AuditEvent;
use crate::auth::devices::DeviceToken;
use crate::auth::sessions::OpenedSession;
use crate::context::{Actor, Caller, Grants, Origin};
use crate::error::{DomainError, ErrorCode, Result};
use crate::identity::users::{User, UserStatus};
use crate::ports::Attempt;

/// Why a sign-in was refused, in the order the checks run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoginRefusal {
    /// Too many failures: try again after this instant.
    Locked { until: Timestamp },
    /// Unknown e-mail or wrong password (indistinguishable on purpose).
    InvalidCredentials,
    /// The password was right but the account may not sign in.
    Status(UserStatus),
    /// The account has a second factor and no code came with the request.
    MissingOtp,
    /// The second factor code is wrong (or already used).
    InvalidOtp,
}

impl LoginRefusal {
    /// Makes a refusal an error of the catalogue (for faces that do not need the details).
    pub fn to_error(&self) -> DomainError {
        match self {
            LoginRefusal::Locked { .. } => DomainError::new(ErrorCode::AccountLocked),
            LoginRefusal::InvalidCredentials => DomainError::new(ErrorCode::InvalidCredentials),
            LoginRefusal::Status(_) => DomainError::new(ErrorCode::InvalidCredentials),
            LoginRefusal::MissingOtp => DomainError::missing("code"),
            LoginRefusal::InvalidOtp => DomainError::new(ErrorCode::TotpInvalidCode),
        }
    }
}

/// How long a counter that was locked is kept after its lock ended: its lockouts still count.
const PURGE_LOCKS_AFTER: time::Duration = time::Duration::days(7);

/// A successful sign-in: the user, the session just opened for it, whether the user has a
/// second factor (read with the password, so that answering needs no second look), and a
/// device token for the client to show at its next sign-in.
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub user: User,
    pub session: OpenedSession,
    pub has_totp: bool,
    pub device: DeviceToken,
}

/// The failure counter a sign-in attempt was reserved on.
struct Counted {
    key: String,
    failures: i64,
    lockouts: i64,
    /// A known device: counted on its own, and not on the client address's counter.
    known_device: bool,
}

impl Auth<'_> {
    /// Runs a password sign-in and opens a session bound to `origin`. `device` is the device
    /// token the client kept from an earlier sign-in, if any (see `devices`). `Ok(Ok(_))` is a
    /// success; `Ok(Err(refusal))` a refusal (already counted and audited); `Err` an internal
    /// failure.
    pub async fn password_sign_in(
        self,
        tenant: TenantId,
        email: &str,
        password: &str,
        otp_code: Option<&str>,
        device: Option<&str>,
        origin: &Origin,
    ) -> Result<std::result::Result<SignedIn, LoginRefusal>> {
        let now = self.core.now();
        let counted = match self.reserve_sign_in(tenant, email, device, origin, now).await? {
            Ok(counted) => counted,
            Err(refusal) => return Ok(Err(refusal)),
        };
        let ip_key = ip_key(tenant, origin);
        let window_start = now - self.core.settings.login_window;
        let ip_limit = self.core.settings.login_max_failures * 10;
        // One read of the user and its credentials serves the password check and the 2FA
        // question.
        let found = match Email::parse(email) {
            Ok(e) => self.core.store.find_user_with_credentials(tenant, &e).await?,
            Err(_) => None,
        };
        let (user, credentials) = match found {
            Some((u, c)) => (Some(u), c),
            None => (None, Vec::new()),
        };
        let has_totp = crate::credentials::has_totp(&credentials);
        let phc = credentials.iter().find(|c| c.kind == crate::credentials::CredentialKind::Password).map(|c| c.secret.as_str());
        let password_ok = match self.core.credentials().verify_phc(phc, password).await {
            Ok(ok) => ok,
            Err(e) => {
                // Not a guess (the hash queue was full, say): it must not count as one.
                self.core.store.release_attempt(&counted.key).await?;
                return Err(e);
            }
        };
        let refusal = if !password_ok {
            Some(LoginRefusal::InvalidCredentials)
        } else {
            let user = user.as_ref().expect("a password matched, so the user exists");
            if !user.status.may_sign_in() {
                Some(LoginRefusal::Status(user.status))
            } else if has_totp {
                match otp_code.map(str::trim).filter(|c| !c.is_empty()) {
                    None => Some(LoginRefusal::MissingOtp),
                    Some(code) => {
                        self.core.credentials().verify_totp(user.id, code).await.err().map(|_| LoginRefusal::InvalidOtp)
                    }
                }
            } else {
                None
            }
        };
        let caller = match &user {
            Some(u) => Caller::user(tenant, u.id, origin.clone()),
            None => Caller::new(tenant, Actor::System, origin.clone(), Grants::Identity),
        };
        match refusal {
            None => {
                let user = user.expect("checked above");
                // The session and the cleared counter are one write.
                let session = self.open_session_forgetting(&user, origin, Some(&counted.key)).await?;
                let device = self.issue_device_token(tenant, user.email.as_str());
                Ok(Ok(SignedIn { user, session, has_totp, device }))
            }
            // A missing code is a normal step of a two-step sign-in, not a failed guess; it
            // does not clear the count either, so wrong codes still add up.
            Some(LoginRefusal::MissingOtp) => {
                self.core.store.release_attempt(&counted.key).await?;
                Ok(Err(LoginRefusal::MissingOtp))
            }
            Some(refusal) => {
                self.lock_if_limit(&counted.key, counted.failures, counted.lockouts, now).await?;
                if !counted.known_device
                    && let Attempt::Allowed { failures: ip_failures, .. } =
                        self.core.store.reserve_attempt(&ip_key, i64::MAX, window_start, now).await?
                    && ip_failures >= ip_limit
                {
                    self.core.store.lock_attempts(&ip_key, now + self.core.settings.login_window).await?;
                }
                let audit =
                    AuditEvent::new(&caller, "session.login_failed", "user", user.as_ref().map(|u| u.id.to_string()), now)
                        .with_details(serde_json::json!({ "reason": format!("{refusal:?}") }));
                self.core.store.append_audit(&audit).await?;
                Ok(Err(refusal))
            }
        }
    }

    /// Reserves a sign-in attempt on the counter it is judged by: a known device's own, or
    /// (for any other client, and for a device that lost its standing by guessing) the
    /// account's, with the client address's consulted too.
    async fn reserve_sign_in(
        self,
        tenant: TenantId,
        email: &str,
        device: Option<&str>,
        origin: &Origin,
        now: Timestamp,
    ) -> Result<std::result::Result<Counted, LoginRefusal>> {
        let limit = self.core.settings.login_max_failures;
        let window_start = now - self.core.settings.login_window;
        if let Some(key) = device.and_then(|t| self.device_counter(tenant, email, t, now))
            && let Attempt::Allowed { failures, lockouts } =
                self.core.store.reserve_attempt(&key, limit, window_start, now).await?
        {
            return Ok(Ok(Counted { key, failures, lockouts, known_device: true }));
        }
        let key = super::attempts::account_key(tenant, email);
        let ip_key = ip_key(tenant, origin);
        // The address is only read: it counts failures, not attempts in flight, so many users
        // behind one address (an office, a gateway) can sign in at once.
        let (failures, lockouts, (ip_failures, ip_locked)) =
            match self.core.store.reserve_attempt_and_peek(&key, limit, window_start, now, &ip_key).await? {
                (Attempt::Allowed { failures, lockouts }, ip) => (failures, lockouts, ip),
                (Attempt::Locked { until }, _) => return Ok(Err(LoginRefusal::Locked { until: until.max(now) })),
            };
        if let Some(until) = ip_locked.filter(|u| *u > now) {
            self.core.store.release_attempt(&key).await?;
            return Ok(Err(LoginRefusal::Locked { until }));
        }
        if ip_failures >= limit * 10 {
            self.core.store.release_attempt(&key).await?;
            return Ok(Err(LoginRefusal::Locked { until: now + self.core.settings.login_window }));
        }
        Ok(Ok(Counted { key, failures, lockouts, known_device: false }))
    }

    /// Forgets failed-login counters that no longer count (see `LoginAttemptRepo::purge_attempts`):
    /// their window ended more than an hour ago (so that a sign-in still waiting for its hash
    /// can lock its counter), and any lock ended more than a week ago (so that lockouts keep
    /// growing across days of guessing).
    pub async fn purge_login_attempts(self) -> Result<u64> {
        let now = self.core.now();
        let margin = time::Duration::hours(1);
        self.core.store.purge_attempts(now - self.core.settings.login_window - margin, now - PURGE_LOCKS_AFTER).await
    }
}

/// The failure counter of a client address.
fn ip_key(tenant: TenantId, origin: &Origin) -> String {
    format!("ip:{tenant}:{}", origin.ip.as_deref().unwrap_or("unknown"))
}
