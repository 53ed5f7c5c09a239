//! Signing in with another identity provider's ID token (Auth0 today, any OpenID provider
//! later). The provider's identity is linked to a keyhall user by issuer and subject, stored at
//! the first sign-in; an address is trusted to find or create that user only when the
//! provider says it verified it. The user's own second factor and the account's lock apply as
//! they do to a password sign-in.

use keyhall_types::{TenantId, UserId};

use super::Auth;
use super::attempts::{Guess, account_key};
use super::login::{LoginRefusal, SignedIn};
use crate::context::Origin;
use crate::error::Result;
use crate::identity::User;

/// Who another provider says is signing in, from a token keyhall has verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExternalIdentity {
    /// The provider (`iss`).
    pub issuer: String,
    /// The user at the provider (`sub`): stable, unlike the address.
    pub subject: String,
    pub email: Option<String>,
    /// Whether the provider verified `email`.
    pub email_verified: bool,
}

impl Auth<'_> {
    /// The user an external identity signs in as: the one linked to it; else, when the
    /// provider verified the address, the user with that address (linked now) or a new one.
    /// `None` when an unverified address is all there is.
    async fn external_user(self, tenant: TenantId, identity: &ExternalIdentity, origin: &Origin) -> Result<Option<User>> {
        let identity_service = self.core.identity();
        if let Some(id) = self.core.store.find_external_identity(tenant, &identity.issuer, &identity.subject).await? {
            return self.core.store.get_user(tenant, id).await;
        }
        let Some(email) = identity.email.as_deref().filter(|_| identity.email_verified) else {
            return Ok(None);
        };
        match identity_service.user_by_email(tenant, email).await? {
            Some(user) => {
                self.link_external(&user, identity).await?;
                Ok(Some(user))
            }
            None => identity_service.create_verified_user(tenant, email, origin, Some(identity)).await.map(Some),
        }
    }

    async fn link_external(self, user: &User, identity: &ExternalIdentity) -> Result<()> {
        let link = crate::ports::Write::LinkExternalIdentity {
            tenant: user.tenant_id,
            issuer: identity.issuer.clone(),
            subject: identity.subject.clone(),
            user: user.id,
            at: self.core.now(),
        };
        self.core.store.commit(crate::ports::UnitOfWork::new().write(link)).await
    }

    /// Signs in with an identity another provider vouched for (its token already verified),
    /// and opens a session bound to `origin`. Refusals as for a password sign-in: a locked
    /// account, an unknown identity (`InvalidCredentials`), an account that may not sign in,
    /// and the user's TOTP code missing or wrong (a wrong code counts as a failed guess).
    pub async fn external_sign_in(
        self,
        tenant: TenantId,
        identity: &ExternalIdentity,
        otp_code: Option<&str>,
        origin: &Origin,
    ) -> Result<std::result::Result<SignedIn, LoginRefusal>> {
        let Some(user) = self.external_user(tenant, identity, origin).await? else {
            return Ok(Err(LoginRefusal::InvalidCredentials));
        };
        let now = self.core.now();
        let key = account_key(tenant, user.email.as_str());
        let window_start = now - self.core.settings.login_window;
        if let (_, Some(until)) = self.core.store.peek_attempts(&key, window_start).await?
            && until > now
        {
            return Ok(Err(LoginRefusal::Locked { until }));
        }
        if !user.status.may_sign_in() {
            return Ok(Err(LoginRefusal::Status(user.status)));
        }
        let has_totp = self.core.credentials().has_totp(user.id).await?;
        if has_totp {
            let Some(code) = otp_code.map(str::trim).filter(|c| !c.is_empty()) else {
                return Ok(Err(LoginRefusal::MissingOtp));
            };
            match self.core.credentials().recheck_totp(&user, code).await? {
                Guess::Right => {}
                Guess::Wrong => return Ok(Err(LoginRefusal::InvalidOtp)),
                Guess::Locked { until } => return Ok(Err(LoginRefusal::Locked { until })),
            }
        }
        let session = self.open_session(&user, origin).await?;
        let device = self.issue_device_token(tenant, user.email.as_str());
        Ok(Ok(SignedIn { user, session, has_totp, device }))
    }

    /// The user an external identity is linked to, if any.
    pub async fn linked_user(self, tenant: TenantId, issuer: &str, subject: &str) -> Result<Option<UserId>> {
        self.core.store.find_external_identity(tenant, issuer, subject).await
    }
}
