//! 1Kosmos sign-in: the password (through the core's attempt counter and lock), then, when
//! the community's MFA settings ask for one, a second factor: a one-time code delivered by
//! mail or text (`/authenticate/otp`), or the user's TOTP. Between the two steps the client
//! holds a `user_token`: the user and the step reached, sealed under the master key, valid a
//! few minutes. Success opens a login session and signs a JWT bound to it.

use keyhall_types::{ChallengeId, UserId};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::templates::Wording;
use super::{Adminx, Member, Scope};
use crate::audit::AuditEvent;
use crate::context::{Caller, Origin};
use crate::credentials::challenges::{Challenge, ChallengeKind};
use crate::error::{DomainError, ErrorCode, Result};
use crate::ports::{Attempt, MailMessage, SmsMessage, UnitOfWork, Write};

/// The configuration key of the MFA settings (`/config/authentication/mfa_settings`).
pub const MFA_SETTINGS: &str = "mfa_settings";
const USER_TOKEN_PURPOSE: &str = "adminx.user_token";
const USER_TOKEN_TTL: time::Duration = time::Duration::minutes(10);
const OTP_TTL: time::Duration = time::Duration::minutes(5);

/// The community's MFA settings, as the seed names them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct MfaSettings {
    pub show_otp_email: bool,
    pub show_otp_phone: bool,
    pub show_otp_voice: bool,
    pub show_otp_hardware: bool,
    pub otp_prompt_text: String,
    #[serde(rename = "accountLockEnabled")]
    pub account_lock_enabled: bool,
    #[serde(rename = "otpMaxAttempts")]
    pub otp_max_attempts: i64,
    #[serde(rename = "lockDurationMinutes")]
    pub lock_duration_minutes: i64,
    pub onespan_domain: String,
    pub onespan_url: String,
    /// A boolean, or its text (the seed types it both ways).
    pub self_enroll_phone_allowed: Value,
    pub sync_window_for_first_usage: i64,
}

impl Default for MfaSettings {
    fn default() -> Self {
        MfaSettings {
            show_otp_email: false,
            show_otp_phone: false,
            show_otp_voice: false,
            show_otp_hardware: false,
            otp_prompt_text: "Enter the one-time passcode".into(),
            account_lock_enabled: true,
            otp_max_attempts: 5,
            lock_duration_minutes: 15,
            onespan_domain: String::new(),
            onespan_url: String::new(),
            self_enroll_phone_allowed: json!(false),
            sync_window_for_first_usage: 0,
        }
    }
}

impl MfaSettings {
    /// A second factor is asked for when any kind of code is switched on.
    pub fn requires_otp(&self) -> bool {
        self.show_otp_email || self.show_otp_phone || self.show_otp_voice || self.show_otp_hardware
    }

    /// The channels codes may be delivered through.
    pub fn allows(&self, method: &str) -> bool {
        match method {
            "email" => self.show_otp_email,
            "sms" => self.show_otp_phone,
            "voice" => self.show_otp_voice,
            _ => false,
        }
    }
}

/// What the password step gives: a session and its token, or the way to the second factor.
#[derive(Debug, Clone)]
pub enum PasswordOutcome {
    SignedIn { member: Member, jwt: String },
    NeedsOtp { member: Member, user_token: String },
}

/// What a `user_token` holds.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct UserToken {
    uid: String,
    community: String,
    /// `password` once the password was right; `identified` when the user was only looked up.
    step: String,
    exp: i64,
}

impl Adminx<'_> {
    pub async fn mfa_settings(self, scope: Scope) -> Result<crate::tenancy::Versioned<MfaSettings>> {
        match self.cached_document(scope, MFA_SETTINGS).await?.as_ref() {
            None => Ok(crate::tenancy::Versioned { value: MfaSettings::default(), revision: 0 }),
            Some(doc) => Ok(crate::tenancy::Versioned {
                value: serde::Deserialize::deserialize(&doc.body).map_err(DomainError::internal)?,
                revision: doc.revision,
            }),
        }
    }

    /// A `user_token` for `member` at `step`.
    pub fn user_token(self, member: &Member, step: &str) -> String {
        let token = UserToken {
            uid: member.user.id.to_string(),
            community: member.community_id.to_string(),
            step: step.into(),
            exp: (self.core.now() + USER_TOKEN_TTL).unix_timestamp(),
        };
        self.core.keys.seal_str(USER_TOKEN_PURPOSE, &serde_json::to_string(&token).unwrap_or_default())
    }

    /// The member a `user_token` names, and the step it reached (`auth.invalid_token` when it
    /// is not one of ours, has expired, or is of another community).
    pub async fn user_of_token(self, scope: Scope, token: &str) -> Result<(Member, String)> {
        let invalid = || DomainError::new(ErrorCode::InvalidToken).field("user_token");
        let text = self.core.keys.unseal_string(USER_TOKEN_PURPOSE, token.trim()).map_err(|_| invalid())?;
        let t: UserToken = serde_json::from_str(&text).map_err(|_| invalid())?;
        if t.exp < self.core.now().unix_timestamp() || t.community != scope.community.to_string() {
            return Err(invalid());
        }
        let member = self.member(scope, &t.uid).await.map_err(|_| invalid())?;
        Ok((member, t.step))
    }

    /// The password alone (for the password step and for RADIUS): the member it proves, or
    /// the one refusal for unknown users, wrong passwords, disabled users and modules.
    pub async fn check_password(self, scope: Scope, username: &str, password: &str, origin: &Origin) -> Result<Member> {
        let now = self.core.now();
        let (member, verified) = match self.member_by_username(scope.community, username).await? {
            Some(member) => (member, false),
            None => match self.first_directory_sign_in(scope, username, password).await? {
                Some(member) => (member, true),
                None => {
                    self.record(scope, None, "E_LOGIN_FAILED", json!({ "username": username, "reason": "unknown user" }), origin)
                        .await?;
                    return Err(DomainError::new(ErrorCode::InvalidCredentials));
                }
            },
        };
        if member.is_locked(now) {
            return Err(crate::auth::attempts::locked(member.locked_until.unwrap_or(now), now));
        }
        if !verified {
            let user = member.user.clone();
            let module = self.core.store.auth_module(member.module_id).await?;
            if module.as_ref().is_some_and(|m| !m.enabled) {
                self.record(scope, Some(&member), "E_LOGIN_FAILED", json!({ "reason": "module disabled" }), origin).await?;
                return Err(DomainError::new(ErrorCode::InvalidCredentials));
            }
            let guess = match module.filter(|m| m.is_directory()) {
                // A directory's user: the directory judges the password.
                Some(module) => {
                    let name = member.username.clone();
                    self.core
                        .auth()
                        .guess(&user, || async move { Ok(self.directory_check(&module, &name, password).await?.is_some()) })
                        .await?
                }
                None => self.core.auth().guess(&user, || self.core.credentials().check_password(Some(&user), password)).await?,
            };
            if !guess.checked(now)? {
                self.record(scope, Some(&member), "E_LOGIN_FAILED", json!({ "reason": "wrong password" }), origin).await?;
                return Err(DomainError::new(ErrorCode::InvalidCredentials));
            }
        }
        if member.status(now) != "active" {
            self.record(scope, Some(&member), "E_LOGIN_FAILED", json!({ "reason": "disabled" }), origin).await?;
            return Err(DomainError::new(ErrorCode::InvalidCredentials));
        }
        Ok(member)
    }

    /// The password step. Unknown users and wrong passwords are the same refusal (and take
    /// the same time); every guess is counted on the account's counter and locks it at the limit.
    pub async fn verify_password(self, scope: Scope, username: &str, password: &str, origin: &Origin) -> Result<PasswordOutcome> {
        let member = self.check_password(scope, username, password, origin).await?;
        let now = self.core.now();
        // A second step when the community asks for one, and always for a user with a TOTP
        // of its own (its other faces ask for it too) or a hardware token.
        if self.needs_second_factor(scope, &member, origin).await? {
            let user_token = self.user_token(&member, "password");
            // The password step passed: the second may name the user alone (`/verifyuser`).
            let step = Challenge {
                id: ChallengeId::new(),
                tenant_id: scope.tenant,
                user_id: member.user.id,
                kind: ChallengeKind::LoginStep,
                // The second step by username alone is taken from this address only.
                state: origin.ip.clone().unwrap_or_default(),
                created_at: now,
                expires_at: now + USER_TOKEN_TTL,
            };
            self.core.store.put_challenge(&step, None).await?;
            return Ok(PasswordOutcome::NeedsOtp { member, user_token });
        }
        let jwt = self.open_session(scope, &member, origin).await?;
        Ok(PasswordOutcome::SignedIn { member, jwt })
    }

    /// A login name no user of the community has: the community's enabled directory modules
    /// are asked in turn (on the counter of the name tried); the first that knows the user
    /// and its password makes it a user here. Without directories, a dummy hash is checked so
    /// that an unknown name costs what a wrong password does.
    async fn first_directory_sign_in(self, scope: Scope, username: &str, password: &str) -> Result<Option<Member>> {
        let name = username.trim().to_lowercase();
        let directories: Vec<_> = self.auth_modules(scope).await?.into_iter().filter(|m| m.enabled && m.is_directory()).collect();
        let key = format!("account:{}:{name}", scope.tenant);
        let found = std::sync::Mutex::new(None);
        let guess = self
            .core
            .auth()
            .guess_on(&key, || async {
                if directories.is_empty() {
                    return self.core.credentials().verify_phc(None, password).await;
                }
                for module in &directories {
                    if let Some(entry) = self.directory_check(module, &name, password).await? {
                        *found.lock().unwrap_or_else(|e| e.into_inner()) = Some((module.clone(), entry));
                        return Ok(true);
                    }
                }
                Ok(false)
            })
            .await?;
        if !guess.checked(self.core.now())? {
            return Ok(None);
        }
        let Some((module, entry)) = found.into_inner().unwrap_or_else(|e| e.into_inner()) else { return Ok(None) };
        Ok(Some(self.adopt_directory_user(scope, &module, &name, &entry).await?))
    }

    /// The second step named by the user's login name: only after its password step (within
    /// the `user_token`'s lifetime).
    pub async fn second_step_for(self, scope: Scope, username: &str, code: &str, origin: &Origin) -> Result<(Member, String)> {
        let refused = || DomainError::new(ErrorCode::InvalidCredentials);
        let member = self.member_by_username(scope.community, username).await?.ok_or_else(refused)?;
        let now = self.core.now();
        let step = self.core.store.take_challenge(member.user.id, ChallengeKind::LoginStep, now).await?.ok_or_else(refused)?;
        if step.state != origin.ip.clone().unwrap_or_default() {
            self.core.store.put_challenge(&step, None).await?;
            return Err(refused());
        }
        let outcome = self.verify_otp(scope, member, code, origin).await;
        if outcome.is_err() {
            self.core.store.put_challenge(&step, None).await?;
        }
        outcome
    }

    /// The second step named by the `user_token` of the password step.
    pub async fn second_step_with_token(
        self,
        scope: Scope,
        user_token: &str,
        code: &str,
        origin: &Origin,
    ) -> Result<(Member, String)> {
        let (member, step) = self.user_of_token(scope, user_token).await?;
        if step != "password" {
            return Err(DomainError::new(ErrorCode::InvalidCredentials));
        }
        let now = self.core.now();
        let _ = self.core.store.take_challenge(member.user.id, ChallengeKind::LoginStep, now).await?;
        self.verify_otp(scope, member, code, origin).await
    }

    /// The second step: a code for the member who passed the password step. Codes are
    /// checked on a counter of their own: at the settings' `otpMaxAttempts` the account is
    /// locked for `lockDurationMinutes` (when `accountLockEnabled`).
    async fn verify_otp(self, scope: Scope, member: Member, code: &str, origin: &Origin) -> Result<(Member, String)> {
        self.check_second_factor(scope, &member, code, origin).await?;
        let jwt = self.open_session(scope, &member, origin).await?;
        Ok((member, jwt))
    }

    /// A second-factor code of a member who passed the password step, counted: at the
    /// settings' `otpMaxAttempts` the account is locked for `lockDurationMinutes` (when
    /// `accountLockEnabled`).
    pub async fn check_second_factor(self, scope: Scope, member: &Member, code: &str, origin: &Origin) -> Result<()> {
        let now = self.core.now();
        if member.is_locked(now) {
            return Err(crate::auth::attempts::locked(member.locked_until.unwrap_or(now), now));
        }
        let settings = self.mfa_settings(scope).await?.value;
        let key = format!("adminx-otp:{}", member.user.id);
        let limit = settings.otp_max_attempts.max(1);
        let lock_for = time::Duration::minutes(settings.lock_duration_minutes.max(1));
        let failures = match self.core.store.reserve_attempt(&key, limit, now - lock_for.max(OTP_TTL), now).await? {
            Attempt::Allowed { failures, .. } => failures,
            Attempt::Locked { until } => return Err(crate::auth::attempts::locked(until, now)),
        };
        let right = match self.check_code(member, code).await {
            Ok(right) => right,
            Err(e) => {
                self.core.store.release_attempt(&key).await?;
                return Err(e);
            }
        };
        if !right {
            self.record(scope, Some(member), "E_LOGIN_FAILED", json!({ "reason": "wrong otp" }), origin).await?;
            if failures >= limit && settings.account_lock_enabled {
                let until = now + lock_for;
                self.core.store.lock_attempts(&key, until).await?;
                let mut locked = member.clone();
                locked.locked_until = Some(until);
                let caller =
                    Caller::user(scope.tenant, member.user.id, origin.clone()).in_community(scope.community, &member.username);
                let audit = AuditEvent::new(&caller, "E_USER_LOCKED", "user", Some(member.user.id.to_string()), now)
                    .with_details(json!({ "reason": "otpMaxAttempts", "until": until.to_string() }));
                self.commit(UnitOfWork::new().write(Write::PutMember(locked.row())).audit(audit)).await?;
            }
            return Err(DomainError::new(ErrorCode::TotpInvalidCode).field("otp"));
        }
        self.core.store.clear_attempts(&key).await?;
        Ok(())
    }

    /// A delivered code (spent when right), or the user's TOTP code.
    async fn check_code(self, member: &Member, code: &str) -> Result<bool> {
        let code = code.trim();
        if code.is_empty() {
            return Ok(false);
        }
        let now = self.core.now();
        if let Some(c) = self.core.store.take_challenge(member.user.id, ChallengeKind::LoginOtp, now).await? {
            if keyhall_crypto::constant_time_eq(c.state.as_bytes(), otp_digest(member.user.id, code).as_bytes()) {
                return Ok(true);
            }
            // Not this one: the code stays for the next try (until it expires).
            self.core.store.put_challenge(&c, None).await?;
        }
        if self.check_hardware_code(member, code).await? {
            return Ok(true);
        }
        if self.core.credentials().has_second_factor(member.user.id).await? {
            return Ok(self.core.credentials().verify_totp(member.user.id, code).await.is_ok());
        }
        Ok(false)
    }

    /// Whether signing in takes a second factor: the community asks for one, the user has
    /// a TOTP of its own or holds a hardware token, or an authentication journey asks.
    pub async fn needs_second_factor(self, scope: Scope, member: &Member, origin: &Origin) -> Result<bool> {
        let sign_in = super::journeys::SignInContext { username: &member.username, ip: origin.ip.as_deref() };
        Ok(self.mfa_settings(scope).await?.value.requires_otp()
            || self.core.credentials().has_totp(member.user.id).await?
            || self.holds_hardware_token(member.user.id).await?
            || self.journey_requires_mfa(scope, &sign_in).await?)
    }

    /// Creates a code for the user of a `user_token` of the password step (not of a user merely
    /// looked up: `auth.invalid_token`) and sends it by `method` (`email`, `sms`, `voice`), to the
    /// destination named if it is one of the user's own (else the first one on record). Limited
    /// per client address and per user. Returns the destination.
    pub async fn deliver_otp(
        self,
        scope: Scope,
        user_token: &str,
        method: &str,
        destination: Option<&str>,
        origin: &Origin,
    ) -> Result<String> {
        let (member, step) = self.user_of_token(scope, user_token).await?;
        if step != "password" {
            return Err(DomainError::new(ErrorCode::InvalidToken).field("user_token"));
        }
        let member = &member;
        let settings = self.mfa_settings(scope).await?.value;
        let method = method.trim().to_ascii_lowercase();
        if !matches!(method.as_str(), "email" | "sms" | "voice") {
            return Err(DomainError::invalid("deliveryMethod", "must be email, sms or voice"));
        }
        if !settings.allows(&method) {
            return Err(DomainError::invalid("deliveryMethod", format!("{method} codes are not enabled for the community")));
        }
        let wanted = destination.map(|d| d.trim().to_lowercase()).filter(|d| !d.is_empty());
        let to = if method == "email" {
            let own = [member.user.email.as_str().to_string(), member.profile.email2.to_lowercase()];
            match wanted {
                Some(d) if own.contains(&d) => d,
                Some(_) => return Err(DomainError::invalid("destination", "is not an address of the user")),
                None => own[0].clone(),
            }
        } else {
            // `phone1` only: the numbers users add themselves are not verified.
            let own: Vec<String> = std::iter::once(member.profile.phone1.clone()).filter(|p| !p.is_empty()).collect();
            match wanted {
                Some(d) if own.iter().any(|p| p.to_lowercase() == d) => d,
                Some(_) => return Err(DomainError::invalid("destination", "is not a phone number of the user")),
                None => {
                    own.first().cloned().ok_or_else(|| DomainError::invalid("deliveryMethod", "the user has no phone number"))?
                }
            }
        };
        let auth = self.core.auth();
        auth.count_request(scope.tenant, &crate::auth::rate_limits::MAILED_CODES_PER_ADDRESS, origin).await?;
        let per_user = crate::auth::rate_limits::RateLimit {
            name: "otp-to-user",
            max: self.core.settings.login_max_failures,
            window: self.core.settings.login_window,
        };
        if let Some(wait) = auth.count(scope.tenant, &per_user, &member.user.id.to_string()).await? {
            return Err(DomainError::new(ErrorCode::RequestsLimited).retry_after(wait));
        }
        let code = keyhall_crypto::random::string_from(b"0123456789", 6);
        let now = self.core.now();
        let challenge = Challenge {
            id: ChallengeId::new(),
            tenant_id: scope.tenant,
            user_id: member.user.id,
            kind: ChallengeKind::LoginOtp,
            state: otp_digest(member.user.id, &code),
            created_at: now,
            expires_at: now + OTP_TTL,
        };
        let minutes = OTP_TTL.whole_minutes().to_string();
        let values = [
            ("code", code.as_str()),
            ("minutes", minutes.as_str()),
            ("firstname", member.profile.firstname.as_str()),
            ("username", member.username.as_str()),
        ];
        let fallback = if method == "email" {
            Wording {
                subject: "Your one-time passcode".into(),
                body: "Your one-time passcode is {{code}}. It is valid for {{minutes}} minutes and works once.\n".into(),
            }
        } else {
            Wording { subject: String::new(), body: "Your one-time passcode is {{code}} (valid {{minutes}} minutes)".into() }
        };
        let wording = self.wording(scope, "otp", &method, &values, fallback).await?;
        let message = if method == "email" {
            let to =
                keyhall_types::Email::parse(&to).map_err(|_| DomainError::invalid("destination", "is not an e-mail address"))?;
            self.community_mail(scope, MailMessage { to, subject: wording.subject, body: wording.body }).await?
        } else {
            self.community_text(scope, SmsMessage { to: to.clone(), body: wording.body, channel: method.clone(), gateway: None })
                .await?
        };
        let caller = Caller::user(scope.tenant, member.user.id, origin.clone()).in_community(scope.community, &member.username);
        let audit = AuditEvent::new(&caller, "E_OTP_SENT", "user", Some(member.user.id.to_string()), now)
            .with_details(json!({ "deliveryMethod": method }));
        self.core.store.put_challenge(&challenge, None).await?;
        let outbox = self.core.outbox();
        self.commit(UnitOfWork::new().write(outbox.queue(&message)).audit(audit)).await?;
        outbox.wake();
        Ok(to)
    }

    /// A passcode help desk reads to a user (on the phone, say): it stands in for the code
    /// of the second step once, for `validity` (1 minute to a day). Not sent anywhere.
    pub async fn helpdesk_passcode(
        self,
        caller: &super::SignedInCaller,
        member: &Member,
        validity: time::Duration,
    ) -> Result<(String, keyhall_types::Timestamp)> {
        caller.require_helpdesk()?;
        caller.require_over(member)?;
        if !(time::Duration::MINUTE..=time::Duration::DAY).contains(&validity) {
            return Err(DomainError::invalid("validitySeconds", "must be 60 to 86400 seconds"));
        }
        let per_caller = crate::auth::rate_limits::RateLimit { name: "helpdesk-passcode", max: 30, window: time::Duration::HOUR };
        if let Some(wait) = self.core.auth().count(member.user.tenant_id, &per_caller, &caller.user_id().to_string()).await? {
            return Err(DomainError::new(ErrorCode::RequestsLimited).retry_after(wait));
        }
        let code = keyhall_crypto::random::string_from(b"0123456789", 8);
        let now = self.core.now();
        let challenge = Challenge {
            id: ChallengeId::new(),
            tenant_id: member.user.tenant_id,
            user_id: member.user.id,
            kind: ChallengeKind::LoginOtp,
            state: otp_digest(member.user.id, &code),
            created_at: now,
            expires_at: now + validity,
        };
        let audit =
            AuditEvent::new(&caller.caller, "E_HELPDESK_PASSCODE_GENERATED", "user", Some(member.user.id.to_string()), now)
                .with_details(json!({ "validitySeconds": validity.whole_seconds() }));
        self.core.store.put_challenge(&challenge, Some(&audit)).await?;
        Ok((code, challenge.expires_at))
    }

    /// Opens the member's login session and signs its token (a sign-up, signed in at once).
    pub(crate) async fn signed_in_session(self, scope: Scope, member: &Member, origin: &Origin) -> Result<String> {
        self.open_session(scope, member, origin).await
    }

    /// Opens the member's login session and signs its token.
    async fn open_session(self, scope: Scope, member: &Member, origin: &Origin) -> Result<String> {
        let opened = self.core.auth().open_session(&member.user, origin).await?;
        self.record(scope, Some(member), "E_LOGIN_SUCCEEDED", json!({ "sessionId": opened.session.id.to_string() }), origin)
            .await?;
        // The community's own session length, when it set one.
        let idle = self.session_idle(scope).await?;
        let mut session = opened.session;
        if idle != self.core.settings.session_ttl {
            session.expires_at = (session.created_at + idle).min(session.created_at + self.core.settings.session_max_lifetime);
            self.core.store.extend_session(session.id, session.expires_at).await?;
        }
        self.sign_token(member, &session, idle).await
    }

    /// An event of the community's history (sign-ins, failures, locks, admin changes).
    pub(crate) async fn record(
        self,
        scope: Scope,
        member: Option<&Member>,
        event: &str,
        details: Value,
        origin: &Origin,
    ) -> Result<()> {
        let caller = match member {
            Some(m) => Caller::user(scope.tenant, m.user.id, origin.clone()).in_community(scope.community, &m.username),
            None => self
                .core
                .auth()
                .visitor(scope.tenant, origin.clone())
                .in_community(scope.community, details.get("username").and_then(Value::as_str).unwrap_or_default()),
        };
        let mut details = details;
        details["communityId"] = json!(scope.community.to_string());
        if let Some(m) = member {
            details["username"] = json!(m.username);
        }
        let audit =
            AuditEvent::new(&caller, event, "user", member.map(|m| m.user.id.to_string()), self.core.now()).with_details(details);
        self.core.store.append_audit(&audit).await
    }
}

/// What a delivered code is kept as: a digest bound to its user.
fn otp_digest(user: UserId, code: &str) -> String {
    keyhall_crypto::token::digest(&format!("{user}:{code}"))
}
