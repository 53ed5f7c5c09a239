//! Phone numbers a user proves they hold: a number is added with a five-digit code sent by
//! SMS (or call), and verified with that code. A verified number earns the private label
//! `phone=verified` (level 2 after `email=verified`). Numbers are kept sealed and found by
//! digest; a number is verified by one user of a tenant at most.

use keyhall_types::{TenantId, Timestamp, UserId};

use super::Identity;
use crate::audit::AuditEvent;
use crate::context::Caller;
use crate::error::{DomainError, ErrorCode, Result};
use crate::identity::labels::{Label, LabelScope};
use crate::identity::users::User;
use crate::outbox::Message;
use crate::ports::{SmsMessage, UnitOfWork, Write};

const SEAL_NUMBER: &str = "phone.number";
const SEAL_CODE: &str = "phone.code";
/// Numbers a user may have waiting for verification at once.
pub const MAX_UNVERIFIED_PHONES: usize = 3;
/// How long a texted code is good for (a new one replaces it).
pub const CODE_TTL: time::Duration = time::Duration::minutes(10);

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Phone {
    pub id: keyhall_types::PhoneId,
    pub tenant_id: TenantId,
    pub user_id: UserId,
    /// ISO alpha-2 of the number's country.
    pub country: String,
    pub number_sealed: String,
    pub number_digest: String,
    pub code_sealed: String,
    pub validated_at: Option<Timestamp>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// A phone as its holder sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhoneView {
    pub country: String,
    /// Digits only: country code and national number.
    pub number: String,
    pub validated_at: Option<Timestamp>,
}

/// A number in any notation (`+44 (0)7418 084106`) as country calling code and national
/// number, digits only, with its country; `None` unless it is a valid number.
pub fn parse_number(raw: &str) -> Option<(String, String)> {
    let digits: String = raw.chars().filter(char::is_ascii_digit).collect();
    if digits.is_empty() {
        return None;
    }
    let parsed = phonenumber::parse(None, format!("+{digits}")).ok()?;
    if !phonenumber::is_valid(&parsed) {
        return None;
    }
    let country = parsed.country().id()?;
    let e164 = parsed.format().mode(phonenumber::Mode::E164).to_string();
    Some((e164.trim_start_matches('+').to_string(), format!("{country:?}")))
}

/// Keeps the country calling code and the last four digits: `44******4106`.
pub fn mask_number(digits: &str) -> String {
    let code_len = phonenumber::parse(None, format!("+{digits}")).map(|p| p.code().value().to_string().len()).unwrap_or(2);
    crate::identity::masking::mask_middle(digits, code_len, 4)
}

impl Identity<'_> {
    /// How a number is found: keyed with the master key, so that a copy of the database does
    /// not give the numbers away to someone who tries every possible one.
    fn phone_digest(self, digits: &str) -> String {
        hex::encode(self.core.keys.mac("phone.digest", digits.as_bytes()))
    }

    pub async fn phones(self, user: UserId) -> Result<Vec<PhoneView>> {
        let phones = self.core.store.list_phones(user).await?;
        phones
            .into_iter()
            .map(|p| {
                let number = self.core.keys.unseal(SEAL_NUMBER, &p.number_sealed).map_err(DomainError::internal)?;
                Ok(PhoneView {
                    country: p.country,
                    number: String::from_utf8(number).map_err(DomainError::internal)?,
                    validated_at: p.validated_at,
                })
            })
            .collect()
    }

    /// The checks every phone operation starts with: a valid number no user of the tenant
    /// has verified yet. Returns the number's digits and country.
    async fn unverified_number(self, user: &User, raw: &str) -> Result<(String, String)> {
        let (digits, country) = parse_number(raw).ok_or_else(|| DomainError::new(ErrorCode::PhoneInvalidNumber))?;
        if self.core.store.phone_verified_in(user.tenant_id, &self.phone_digest(&digits)).await? {
            return Err(DomainError::new(ErrorCode::PhoneVerifiedElsewhere));
        }
        Ok((digits, country))
    }

    /// Texts cost money and reach third parties: a user gets at most as many in a window as
    /// sign-in failures are allowed (5 in 15 minutes by default), a client address at most
    /// `TEXTS_PER_ADDRESS`. Counted before anything is stored, so that a refused request
    /// leaves nothing behind.
    async fn reserve_text(self, user: &User, origin: &crate::Origin) -> Result<()> {
        self.core.auth().count_request(user.tenant_id, &crate::auth::rate_limits::TEXTS_PER_ADDRESS, origin).await?;
        let per_user = crate::auth::rate_limits::RateLimit {
            name: "text-to-user",
            max: self.core.settings.login_max_failures,
            window: self.core.settings.login_window,
        };
        match self.core.auth().count(user.tenant_id, &per_user, &user.id.to_string()).await? {
            Some(wait) => Err(DomainError::new(ErrorCode::SmsLimitReached).retry_after(wait)),
            None => Ok(()),
        }
    }

    /// A fresh code: five random digits, and the code sealed as a phone keeps it.
    fn new_code(self) -> (String, String) {
        let code = keyhall_crypto::random::string_from(b"0123456789", 5);
        let sealed = self.core.keys.seal(SEAL_CODE, code.as_bytes());
        (code, sealed)
    }

    /// The text that carries `code` to the number, to queue with the phone's write.
    fn code_text(self, digits: &str, code: &str, channel: &str) -> Write {
        let message = SmsMessage {
            to: format!("+{digits}"),
            body: format!("Your keyhall verification code: {code}"),
            channel: channel.to_string(),
            gateway: None,
        };
        self.core.outbox().queue(&Message::Text(message))
    }

    /// Adds a number to the user's phones and sends it a verification code. A user may have
    /// a few numbers waiting for verification at once, no more.
    pub async fn add_phone(self, caller: &Caller, user: &User, raw: &str, channel: &str) -> Result<()> {
        let (digits, country) = self.unverified_number(user, raw).await?;
        let number_digest = self.phone_digest(&digits);
        if self.core.store.find_user_phone(user.id, &number_digest).await?.is_some() {
            return Err(DomainError::new(ErrorCode::PhoneExists));
        }
        let waiting = self.core.store.list_phones(user.id).await?.iter().filter(|p| p.validated_at.is_none()).count();
        if waiting >= MAX_UNVERIFIED_PHONES {
            return Err(DomainError::new(ErrorCode::PhoneLimitReached));
        }
        self.reserve_text(user, caller.origin()).await?;
        let now = self.core.now();
        let (code, code_sealed) = self.new_code();
        let phone = Phone {
            id: keyhall_types::PhoneId::new(),
            tenant_id: user.tenant_id,
            user_id: user.id,
            country,
            number_sealed: self.core.keys.seal(SEAL_NUMBER, digits.as_bytes()),
            number_digest,
            code_sealed,
            validated_at: None,
            created_at: now,
            updated_at: now,
        };
        let audit = AuditEvent::new(caller, "phone.create", "user", Some(user.id.to_string()), now)
            .with_details(serde_json::json!({ "number": mask_number(&digits), "topic": "account" }));
        let text = self.code_text(&digits, &code, channel);
        self.core.store.commit(UnitOfWork::new().write(Write::InsertPhone(phone.clone())).write(text).audit(audit)).await?;
        self.core.outbox().wake();
        Ok(())
    }

    /// Sends an unverified phone of the user a new code, which replaces the one sent before.
    pub async fn resend_phone_code(self, caller: &Caller, user: &User, raw: &str, channel: &str) -> Result<()> {
        let (digits, _) = self.unverified_number(user, raw).await?;
        let phone = self.core.store.find_user_phone(user.id, &self.phone_digest(&digits)).await?;
        let mut phone = phone.ok_or_else(|| DomainError::new(ErrorCode::PhoneNotFound))?;
        self.reserve_text(user, caller.origin()).await?;
        let (code, code_sealed) = self.new_code();
        phone.code_sealed = code_sealed;
        phone.updated_at = self.core.now();
        let text = self.code_text(&digits, &code, channel);
        self.core.store.commit(UnitOfWork::new().write(Write::ReplacePhoneCode(phone)).write(text)).await?;
        self.core.outbox().wake();
        Ok(())
    }

    /// Checks the code sent to the user's phone; on success the phone is verified and the
    /// user earns `phone=verified`. Wrong codes count like failed sign-ins: past the limit the
    /// phone accepts no code until the window has passed.
    pub async fn verify_phone(self, caller: &Caller, user: &User, raw: &str, code: &str) -> Result<User> {
        let (digits, _) = self.unverified_number(user, raw).await?;
        let phone = self.core.store.find_user_phone(user.id, &self.phone_digest(&digits)).await?;
        let phone = phone.ok_or_else(|| DomainError::new(ErrorCode::PhoneNotFound))?;
        let now = self.core.now();
        // Guesses are counted per user, whichever phone they are for; a code is good for ten
        // minutes after it was sent.
        let expected = self.core.keys.unseal(SEAL_CODE, &phone.code_sealed).map_err(DomainError::internal)?;
        let fresh = now - phone.updated_at < CODE_TTL;
        let check = || async { Ok(fresh && keyhall_crypto::constant_time_eq(&expected, code.trim().as_bytes())) };
        let right = self.core.auth().guess_on(&format!("phone-code:{}", user.id), check).await?.checked(now)?;
        if !right {
            let audit = AuditEvent::new(caller, "phone.verify_failed", "user", Some(user.id.to_string()), now)
                .with_details(serde_json::json!({ "number": mask_number(&digits), "topic": "account" }));
            self.core.store.append_audit(&audit).await?;
            return Err(DomainError::new(ErrorCode::PhoneCodeInvalid));
        }
        let label = Label::new(user.id, "phone".into(), "verified".into(), LabelScope::Private, now);
        let audit = AuditEvent::new(caller, "phone.verify", "user", Some(user.id.to_string()), now)
            .with_details(serde_json::json!({ "number": mask_number(&digits), "topic": "account" }));
        let mut verified = phone.clone();
        verified.validated_at = Some(now);
        verified.updated_at = now;
        // A `phone` label the user already holds (e.g. set by an administrator) stays.
        let work = UnitOfWork::new().write(Write::VerifyPhone(verified)).write(Write::AddLabelIfAbsent(label)).audit(audit);
        self.core.store.commit(work).await?;
        // The phone is verified whatever happens next; a failed refresh is retried by the
        // next change of the user's labels.
        match self.refresh_user_state(caller, user).await {
            Ok(fresh) => Ok(fresh),
            Err(e) => {
                tracing::warn!(error = %e, user = %user.id, "user state not refreshed after phone verification");
                Ok(user.clone())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers() {
        assert_eq!(parse_number("+44 07418084106"), Some(("447418084106".into(), "GB".into())));
        assert_eq!(parse_number("++447418084106"), Some(("447418084106".into(), "GB".into())));
        assert_eq!(parse_number("+380 97 123 23 22"), Some(("380971232322".into(), "UA".into())));
        assert_eq!(parse_number("123"), None);
        assert_eq!(parse_number(""), None);
    }

    #[test]
    fn masks() {
        assert_eq!(mask_number("79225551234"), "7******1234");
        assert_eq!(mask_number("201112341923"), "20******1923");
        assert_eq!(mask_number("380971232322"), "380*****2322");
        assert_eq!(mask_number("447418084106"), "44******4106");
    }
}
