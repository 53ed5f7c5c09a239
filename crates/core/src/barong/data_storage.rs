//! Data storages: small JSON documents a user keeps under a title from an operator-chosen
//! list (e.g. `personal`, `company`); each one also records a private label `<title>=recorded`.

use keyhall_types::{Timestamp, UserId};

use super::Barong;
use crate::audit::AuditEvent;
use crate::context::Caller;
use crate::error::{DomainError, ErrorCode, Result, Rule, Violation};
use crate::identity::labels::{Label, LabelScope};
use crate::identity::users::User;
use crate::ports::{UnitOfWork, Write};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataStorage {
    pub id: keyhall_types::DataStorageId,
    pub user_id: UserId,
    pub title: String,
    pub data: String,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// Titles that would shadow other kinds of user record.
pub const RESERVED_TITLES: &[&str] = &["document", "label", "profile", "phone", "user"];

/// Every broken rule, in the order a form lists them: the title not allowed (inclusion) or
/// reserved (exclusion), the data over 5120 characters or not JSON.
pub fn check(title: &str, data: &str, allowed_titles: &[String]) -> Vec<Violation> {
    let mut broken = Vec::new();
    if !allowed_titles.iter().any(|t| t == title) {
        broken.push(Violation::new("title", Rule::Inclusion));
    }
    if RESERVED_TITLES.contains(&title) {
        broken.push(Violation::new("title", Rule::Exclusion));
    }
    if data.chars().count() > 5120 {
        broken.push(Violation::new("data", Rule::TooLong));
    }
    if serde_json::from_str::<serde_json::Value>(data).is_err() {
        broken.push(Violation::new("data", Rule::InvalidFormat));
    }
    broken
}

impl Barong<'_> {
    pub async fn data_storages(self, user: UserId) -> Result<Vec<DataStorage>> {
        self.core.store.list_data_storages(user).await
    }

    /// Stores a document (already checked with `check`) and labels the user with its title.
    pub async fn create_data_storage(self, caller: &Caller, user: &User, title: &str, data: &str) -> Result<DataStorage> {
        let now = self.core.now();
        let doc = DataStorage {
            id: keyhall_types::DataStorageId::new(),
            user_id: user.id,
            title: title.to_string(),
            data: data.to_string(),
            created_at: now,
            updated_at: now,
        };
        let label = Label::new(user.id, title.to_string(), "recorded".into(), LabelScope::Private, now);
        let audit = AuditEvent::new(caller, "data_storage.create", "user", Some(user.id.to_string()), now)
            .with_details(serde_json::json!({ "title": title, "topic": "account" }));
        let work = UnitOfWork::new().write(Write::InsertDataStorage(doc.clone())).write(Write::PutLabel(label)).audit(audit);
        self.core.store.commit(work).await.map_err(|e| {
            if e.is(ErrorCode::DataStorageTitleTaken) {
                DomainError::new(ErrorCode::DataStorageTitleTaken).field("title")
            } else {
                e
            }
        })?;
        Ok(doc)
    }
}

#[cfg(test)]
mod tests {
    use crate::error::{Rule, Violation};

    #[test]
    fn rules() {
        let allowed = vec!["personal".to_string()];
        assert!(super::check("personal", "{\"a\":1}", &allowed).is_empty());
        assert_eq!(super::check("other", "{}", &allowed), [Violation::new("title", Rule::Inclusion)]);
        assert_eq!(
            super::check("user", "{}", &allowed),
            [Violation::new("title", Rule::Inclusion), Violation::new("title", Rule::Exclusion)]
        );
        assert_eq!(super::check("personal", "nope", &allowed), [Violation::new("data", Rule::InvalidFormat)]);
    }
}
