//! Short-lived server-side challenges: what a ceremony or a mailed token must be checked
//! against later (WebAuthn registration state, TOTP enrolment secrets, action-token ids).

use keyhall_types::{ChallengeId, TenantId, Timestamp, UserId};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChallengeKind {
    /// A WebAuthn registration ceremony in progress (state sealed).
    WebauthnRegistration,
    /// An e-mail address confirmation code (digest).
    EmailVerification,
    /// A one-time CloudView sign-in token (digest).
    CloudViewLogin,
    /// A password reset token (digest of its id).
    PasswordReset,
    /// A TOTP secret generated for enrolment and not confirmed yet (sealed).
    TotpEnrolment,
    /// A one-time passcode delivered for a 1Kosmos sign-in (digest).
    LoginOtp,
    /// A 1Kosmos sign-in past its password step, waiting for its second factor.
    LoginStep,
    /// A RADIUS sign-in past its password, waiting for the code its Access-Challenge asked
    /// for (digest of the State's handle and the configuration).
    RadiusStep,
}

impl ChallengeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ChallengeKind::WebauthnRegistration => "webauthn_registration",
            ChallengeKind::EmailVerification => "email_verification",
            ChallengeKind::CloudViewLogin => "cloudview_login",
            ChallengeKind::PasswordReset => "password_reset",
            ChallengeKind::TotpEnrolment => "totp_enrolment",
            ChallengeKind::LoginOtp => "login_otp",
            ChallengeKind::LoginStep => "login_step",
            ChallengeKind::RadiusStep => "radius_step",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "webauthn_registration" => ChallengeKind::WebauthnRegistration,
            "email_verification" => ChallengeKind::EmailVerification,
            "cloudview_login" => ChallengeKind::CloudViewLogin,
            "password_reset" => ChallengeKind::PasswordReset,
            "totp_enrolment" => ChallengeKind::TotpEnrolment,
            "login_otp" => ChallengeKind::LoginOtp,
            "login_step" => ChallengeKind::LoginStep,
            "radius_step" => ChallengeKind::RadiusStep,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    pub id: ChallengeId,
    pub tenant_id: TenantId,
    pub user_id: UserId,
    pub kind: ChallengeKind,
    /// Sealed ceremony state or a digest, depending on the kind.
    pub state: String,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
}
