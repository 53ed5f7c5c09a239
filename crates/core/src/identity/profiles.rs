//! KYC profiles: the personal details a user submits for verification. A user keeps at most
//! one profile open (drafted or submitted); a drafted one can still be edited, a submitted one
//! waits for an administrator to verify or reject it. The private label `profile` mirrors the
//! state of the latest profile.

use keyhall_types::{Timestamp, UserId};

use super::Identity;
use crate::audit::AuditEvent;
use crate::context::Caller;
use crate::error::{DomainError, ErrorCode, Result, Rule, Violation};
use crate::identity::labels::{Label, LabelScope};
use crate::identity::users::User;
use crate::ports::{UnitOfWork, Write};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProfileState {
    Drafted,
    Submitted,
    Verified,
    Rejected,
}

impl ProfileState {
    pub fn as_str(self) -> &'static str {
        match self {
            ProfileState::Drafted => "drafted",
            ProfileState::Submitted => "submitted",
            ProfileState::Verified => "verified",
            ProfileState::Rejected => "rejected",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [Self::Drafted, Self::Submitted, Self::Verified, Self::Rejected].into_iter().find(|s| s.as_str() == text)
    }
}

/// What a user says about themselves; every field is optional.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProfileDetails {
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub dob: Option<time::Date>,
    pub address: Option<String>,
    pub postcode: Option<String>,
    pub city: Option<String>,
    pub country: Option<String>,
    /// A JSON text, kept as written.
    pub metadata: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Profile {
    pub id: keyhall_types::ProfileId,
    pub user_id: UserId,
    pub details: ProfileDetails,
    pub state: ProfileState,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// What a request changes: the details it gives (the others stay as they are), and whether it
/// submits the profile for verification.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProfileChanges {
    pub details: ProfileDetails,
    pub confirm: bool,
}

/// Runs of whitespace collapse to one space and the ends are trimmed (names, city, postcode).
fn squish(text: String) -> String {
    text.split_ascii_whitespace().collect::<Vec<_>>().join(" ")
}

impl ProfileChanges {
    fn apply(self, p: &mut Profile) {
        fn set<T>(slot: &mut Option<T>, value: Option<T>) {
            if value.is_some() {
                *slot = value;
            }
        }
        let (given, kept) = (self.details, &mut p.details);
        set(&mut kept.first_name, given.first_name.map(squish));
        set(&mut kept.last_name, given.last_name.map(squish));
        set(&mut kept.dob, given.dob);
        set(&mut kept.address, given.address);
        set(&mut kept.postcode, given.postcode.map(squish));
        set(&mut kept.city, given.city.map(squish));
        set(&mut kept.country, given.country);
        set(&mut kept.metadata, given.metadata);
        if self.confirm {
            p.state = ProfileState::Submitted;
        }
    }
}

fn word(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

fn space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n' | '\x0b' | '\x0c')
}

/// Checks a value given at all (blank values are not checked): its length in characters and
/// that every character is a word character, whitespace or one of `extra`.
fn check_text(broken: &mut Vec<Violation>, attr: &'static str, value: &Option<String>, min: usize, extra: &str) {
    let Some(v) = value.as_deref().filter(|v| !v.trim().is_empty()) else { return };
    let len = v.chars().count();
    if len < min {
        broken.push(Violation::new(attr, Rule::TooShort));
    }
    if len > 255 {
        broken.push(Violation::new(attr, Rule::TooLong));
    }
    if !v.chars().all(|c| word(c) || space(c) || extra.contains(c)) {
        broken.push(Violation::new(attr, Rule::Invalid));
    }
}

/// Every broken rule of a profile, in the order Barong lists them (first name, last name,
/// city, country, postcode, address, metadata, day of birth).
pub fn check(p: &ProfileDetails, today: time::Date) -> Vec<Violation> {
    let mut broken = Vec::new();
    check_text(&mut broken, "first_name", &p.first_name, 1, "-'");
    check_text(&mut broken, "last_name", &p.last_name, 1, "-'");
    check_text(&mut broken, "city", &p.city, 1, "-\u{2013}.~'");
    if let Some(c) = p.country.as_deref().filter(|c| !c.trim().is_empty())
        && !crate::identity::countries::is_code(c)
    {
        broken.push(Violation::new("country", Rule::CountryCode));
    }
    check_text(&mut broken, "postcode", &p.postcode, 2, "-");
    check_text(&mut broken, "address", &p.address, 1, "-\u{2013},.~;/:#\"\\&')(");
    if let Some(m) = &p.metadata
        && serde_json::from_str::<serde_json::Value>(m).is_err()
    {
        broken.push(Violation::new("metadata", Rule::InvalidFormat));
    }
    if p.dob.is_some_and(|d| d > today) {
        broken.push(Violation::new("dob", Rule::Invalid));
    }
    broken
}

const SEAL_PERSONAL: &str = "profile.personal";

impl Identity<'_> {
    /// Names and address are kept sealed (as Barong keeps them encrypted); the day of birth,
    /// postcode, city and country stay readable for the store.
    fn sealed_profile(self, p: &Profile) -> Profile {
        let mut sealed = p.clone();
        let d = &mut sealed.details;
        for field in [&mut d.first_name, &mut d.last_name, &mut d.address] {
            if let Some(v) = field.as_mut() {
                *v = self.core.keys.seal_str(SEAL_PERSONAL, v);
            }
        }
        sealed
    }

    fn opened_profile(self, mut p: Profile) -> Result<Profile> {
        let d = &mut p.details;
        for field in [&mut d.first_name, &mut d.last_name, &mut d.address] {
            if let Some(v) = field.as_mut() {
                *v = self.core.keys.unseal_string(SEAL_PERSONAL, v).map_err(DomainError::internal)?;
            }
        }
        Ok(p)
    }

    /// Oldest first.
    pub async fn profiles(self, user: UserId) -> Result<Vec<Profile>> {
        let stored = self.core.store.list_profiles(user).await?;
        stored.into_iter().map(|p| self.opened_profile(p)).collect()
    }

    /// Starts a new profile (drafted, or submitted with `confirm`). Rule failures come back as
    /// `request.invalid_parameter` with their violations (a second open profile is one:
    /// `state` exists).
    pub async fn create_profile(self, caller: &Caller, user: &User, changes: ProfileChanges) -> Result<Profile> {
        let now = self.core.now();
        let mut profile = Profile {
            id: keyhall_types::ProfileId::new(),
            user_id: user.id,
            details: ProfileDetails::default(),
            state: ProfileState::Drafted,
            created_at: now,
            updated_at: now,
        };
        changes.apply(&mut profile);
        let mut broken = check(&profile.details, now.date());
        // Only one profile may be open at a time (the store enforces it too, under races).
        let open = self
            .core
            .store
            .list_profiles(user.id)
            .await?
            .iter()
            .any(|p| matches!(p.state, ProfileState::Drafted | ProfileState::Submitted));
        if open {
            broken.push(Violation::new("state", Rule::Exists));
        }
        if !broken.is_empty() {
            return Err(DomainError::violations(broken));
        }
        let audit = AuditEvent::new(caller, "profile.create", "user", Some(user.id.to_string()), now)
            .with_details(serde_json::json!({ "state": profile.state.as_str(), "topic": "account" }));
        let label = Label::new(user.id, "profile".into(), profile.state.as_str().into(), LabelScope::Private, now);
        let work = UnitOfWork::new()
            .write(Write::InsertProfile(self.sealed_profile(&profile)))
            .write(Write::PutLabel(label))
            .audit(audit);
        self.core
            .store
            .commit(work)
            .await
            .map_err(|e| if e.is(ErrorCode::ProfileOpenExists) { DomainError::violation("state", Rule::Exists) } else { e })?;
        Ok(profile)
    }

    /// Edits the user's drafted profile (and submits it with `confirm`).
    pub async fn update_profile(self, caller: &Caller, user: &User, changes: ProfileChanges) -> Result<Profile> {
        let drafted = self.profiles(user.id).await?.into_iter().find(|p| p.state == ProfileState::Drafted);
        let Some(mut profile) = drafted else {
            return Err(DomainError::new(ErrorCode::ProfileNotEditable));
        };
        let now = self.core.now();
        changes.apply(&mut profile);
        let broken = check(&profile.details, now.date());
        if !broken.is_empty() {
            return Err(DomainError::violations(broken));
        }
        profile.updated_at = now;
        let audit = AuditEvent::new(caller, "profile.update", "user", Some(user.id.to_string()), now)
            .with_details(serde_json::json!({ "state": profile.state.as_str(), "topic": "account" }));
        let label = Label::new(user.id, "profile".into(), profile.state.as_str().into(), LabelScope::Private, now);
        let work = UnitOfWork::new()
            .write(Write::UpdateDraftedProfile(self.sealed_profile(&profile)))
            .write(Write::PutLabel(label))
            .audit(audit);
        self.core.store.commit(work).await?;
        Ok(profile)
    }
}

/// Masks a last name as Barong shows it: the first letter, then one `*` per further letter.
pub fn mask_last_name(name: &str) -> String {
    crate::identity::masking::mask_middle(name, 1, 0)
}

/// Masks a date of birth: `2007-05-**`.
pub fn mask_dob(dob: time::Date) -> String {
    format!("{:04}-{:02}-**", dob.year(), u8::from(dob.month()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn details() -> ProfileDetails {
        ProfileDetails {
            first_name: Some("Chae-won".into()),
            last_name: Some("O'Neil".into()),
            dob: Some(time::macros::date!(1990 - 01 - 02)),
            address: Some("12, Main st. #4 (rear)".into()),
            postcode: Some("SW1A 1AA".into()),
            city: Some("Saint-Étienne".into()),
            country: Some("fra".into()),
            metadata: Some("{\"a\":1}".into()),
        }
    }

    #[test]
    fn rules() {
        let today = time::macros::date!(2026 - 01 - 01);
        assert!(check(&details(), today).is_empty(), "{:?}", check(&details(), today));
        let mut p = details();
        p.first_name = Some("Bob@".into());
        p.country = Some("France".into());
        p.postcode = Some("1".into());
        p.metadata = Some("{ bar: baz }".into());
        p.dob = Some(time::macros::date!(2030 - 01 - 01));
        assert_eq!(
            check(&p, today),
            [
                Violation::new("first_name", Rule::Invalid),
                Violation::new("country", Rule::CountryCode),
                Violation::new("postcode", Rule::TooShort),
                Violation::new("metadata", Rule::InvalidFormat),
                Violation::new("dob", Rule::Invalid),
            ]
        );
    }

    #[test]
    fn masks() {
        assert_eq!(mask_last_name("Berezniy"), "B*******");
        assert_eq!(mask_last_name("국"), "국");
        assert_eq!(mask_dob(time::macros::date!(2007 - 05 - 12)), "2007-05-**");
    }
}
