//! A user's properties: phone numbers (mobiles, landlines), aliases (`alias1`…`alias8`, each
//! unique in the community: a database constraint), and the user PIN (argon2id).

use std::collections::BTreeMap;

use serde_json::json;

use super::{Adminx, Member, SignedInCaller};
use crate::audit::AuditEvent;
use crate::credentials::{Credential, CredentialKind};
use crate::error::{DomainError, ErrorCode, Result};
use crate::ports::{UnitOfWork, Write};

/// Phone numbers as stored: digits with an optional leading `+`, 5 to 20 digits.
fn phones(field: &'static str, list: &[String]) -> Result<Vec<String>> {
    list.iter()
        .map(|p| {
            let t = p.trim().replace([' ', '-', '(', ')'], "");
            let digits = t.strip_prefix('+').unwrap_or(&t);
            if (5..=20).contains(&digits.len()) && digits.chars().all(|c| c.is_ascii_digit()) {
                Ok(t)
            } else {
                Err(DomainError::invalid(field, format!("{p:?} is not a phone number")))
            }
        })
        .collect()
}

/// Adds `add` to `list` (once each) and takes `remove` out of it.
fn merge(list: &mut Vec<String>, add: Vec<String>, remove: &[String]) {
    for p in add {
        if !list.contains(&p) {
            list.push(p);
        }
    }
    list.retain(|p| !remove.contains(p));
}

/// What a PIN may be: 4 to 12 digits.
fn check_pin(pin: &str) -> Result<()> {
    if (4..=12).contains(&pin.len()) && pin.chars().all(|c| c.is_ascii_digit()) {
        Ok(())
    } else {
        Err(DomainError::invalid("pin", "must be 4 to 12 digits"))
    }
}

impl Adminx<'_> {
    /// Whether nobody in the caller's community has `alias` (an administrator asks).
    pub async fn alias_is_unique(self, caller: &SignedInCaller, alias: &str) -> Result<bool> {
        caller.require_admin()?;
        Ok(self.core.store.alias_holder(caller.member.community_id, &alias.trim().to_lowercase()).await?.is_none())
    }

    /// Sets a user's numbers and aliases (those given replace the old ones).
    pub async fn set_properties(
        self,
        caller: &SignedInCaller,
        mut member: Member,
        mobiles: Option<Vec<String>>,
        landlines: Option<Vec<String>>,
        aliases: Option<BTreeMap<String, String>>,
    ) -> Result<Member> {
        caller.require_admin()?;
        caller.require_over(&member)?;
        if let Some(m) = mobiles {
            member.profile.mobiles = phones("mobiles", &m)?;
        }
        if let Some(l) = landlines {
            member.profile.landlines = phones("landlines", &l)?;
        }
        let mut work = UnitOfWork::new();
        if let Some(aliases) = aliases {
            let mut kept = BTreeMap::new();
            for (slot, alias) in aliases {
                let valid_slot =
                    slot.strip_prefix("alias").and_then(|n| n.parse::<u8>().ok()).is_some_and(|n| (1..=8).contains(&n));
                if !valid_slot {
                    return Err(DomainError::invalid("aliases", format!("{slot:?} is not one of alias1 to alias8")));
                }
                let alias = alias.trim().to_lowercase();
                if alias.chars().count() > 255 || alias.chars().any(char::is_control) {
                    return Err(DomainError::invalid("aliases", "an alias has at most 255 printable characters"));
                }
                if !alias.is_empty() {
                    kept.insert(slot, alias);
                }
            }
            let mut values: Vec<String> = kept.values().cloned().collect();
            values.sort();
            values.dedup();
            work = work.write(Write::SetAliases { community: member.community_id, user: member.user.id, aliases: values });
            member.profile.aliases = kept;
        }
        member.user.updated_at = self.core.now();
        let audit =
            AuditEvent::new(&caller.caller, "E_USER_MODIFIED", "user", Some(member.user.id.to_string()), member.user.updated_at)
                .with_details(json!({ "username": member.username, "properties": true }));
        let work = work.write(Write::UpdateUser(member.user.clone())).write(Write::PutMember(member.row())).audit(audit);
        self.commit(work).await?;
        Ok(member)
    }

    /// The caller's own numbers: `add` then `remove`.
    pub async fn change_own_phones(
        self,
        caller: &SignedInCaller,
        add: (Vec<String>, Vec<String>),
        remove: (Vec<String>, Vec<String>),
    ) -> Result<Member> {
        let settings = self.mfa_settings(caller.scope()).await?.value;
        let allowed = match &settings.self_enroll_phone_allowed {
            serde_json::Value::Bool(b) => *b,
            serde_json::Value::String(s) => s.eq_ignore_ascii_case("true"),
            _ => false,
        };
        if !allowed {
            return Err(DomainError::new(ErrorCode::PermissionDenied)
                .detail("Users of this community may not add phone numbers (self_enroll_phone_allowed)"));
        }
        let mut member = caller.member.as_ref().clone();
        let (add_mobiles, add_landlines) = (phones("updatePhones.mobiles", &add.0)?, phones("updatePhones.landlines", &add.1)?);
        let (remove_mobiles, remove_landlines) =
            (phones("removePhones.mobiles", &remove.0)?, phones("removePhones.landlines", &remove.1)?);
        merge(&mut member.profile.mobiles, add_mobiles, &remove_mobiles);
        merge(&mut member.profile.landlines, add_landlines, &remove_landlines);
        member.user.updated_at = self.core.now();
        let audit =
            AuditEvent::new(&caller.caller, "E_USER_MODIFIED", "user", Some(member.user.id.to_string()), member.user.updated_at)
                .with_details(json!({ "phones": true }));
        let work =
            UnitOfWork::new().write(Write::UpdateUser(member.user.clone())).write(Write::PutMember(member.row())).audit(audit);
        self.commit(work).await?;
        Ok(member)
    }

    async fn has_pin(self, caller: &SignedInCaller) -> Result<bool> {
        Ok(self.core.store.list_credentials(caller.user_id()).await?.iter().any(|c| c.kind == CredentialKind::Pin))
    }

    /// Registers the caller's PIN: `pin.exists` when there is one (change it with `update_pin`).
    pub async fn register_pin(self, caller: &SignedInCaller, pin: &str) -> Result<()> {
        check_pin(pin)?;
        if self.has_pin(caller).await? {
            return Err(DomainError::new(ErrorCode::PinExists));
        }
        self.write_pin(caller, pin, "E_USER_PIN_REGISTERED").await
    }

    /// Sets the caller's PIN, whether or not there was one.
    pub async fn update_pin(self, caller: &SignedInCaller, pin: &str) -> Result<()> {
        check_pin(pin)?;
        self.write_pin(caller, pin, "E_USER_PIN_UPDATED").await
    }

    async fn write_pin(self, caller: &SignedInCaller, pin: &str, event: &str) -> Result<()> {
        let phc = self.core.passwords.hash(pin).await?;
        let now = self.core.now();
        let credential = Credential::new(caller.user_id(), CredentialKind::Pin, phc, String::new(), now);
        let audit = AuditEvent::new(&caller.caller, event, "user", Some(caller.user_id().to_string()), now);
        self.commit(UnitOfWork::new().write(Write::ReplacePin(credential)).audit(audit)).await
    }

    /// Removes the caller's PIN: `credential.not_found` when there is none.
    pub async fn delete_pin(self, caller: &SignedInCaller) -> Result<()> {
        let audit =
            AuditEvent::new(&caller.caller, "E_USER_PIN_DELETED", "user", Some(caller.user_id().to_string()), self.core.now());
        let work =
            UnitOfWork::new().write(Write::DeleteCredentials { user: caller.user_id(), kind: CredentialKind::Pin }).audit(audit);
        self.commit(work).await
    }

    /// Whether the caller has a PIN (login options).
    pub async fn pin_enrolled(self, caller: &SignedInCaller) -> Result<bool> {
        self.has_pin(caller).await
    }
}
