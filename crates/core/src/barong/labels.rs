//! Public labels: key/value pairs a user keeps on themselves through Barong's resource API.
//! Private labels (set by keyhall or administrators) are read-only to their user.

use super::Barong;
use crate::audit::AuditEvent;
use crate::context::Caller;
use crate::error::{DomainError, ErrorCode, Result, Rule};
use crate::identity::{Label, LabelScope, User};
use crate::ports::{UnitOfWork, Write};

/// Keys and values: 3–255 characters of `a-z0-9_-`, lower-cased. A broken rule is a
/// violation of the attribute (`key` too short, `value` invalid, …).
pub fn normalise(attribute: &'static str, text: &str) -> Result<String> {
    let t = text.trim().to_lowercase();
    let rule = if t.chars().count() < 3 {
        Some(Rule::TooShort)
    } else if t.chars().count() > 255 {
        Some(Rule::TooLong)
    } else if !t.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-') {
        Some(Rule::Invalid)
    } else {
        None
    };
    match rule {
        Some(rule) => Err(DomainError::violation(attribute, rule)),
        None => Ok(t),
    }
}

impl Barong<'_> {
    /// Public labels: the user's own key/value pairs (private ones are read-only to them).
    pub async fn create_public_label(self, caller: &Caller, user: &User, key: &str, value: &str) -> Result<Label> {
        let key = normalise("key", key)?;
        let value = normalise("value", value)?;
        let label = Label::new(user.id, key, value, LabelScope::Public, self.core.now());
        let audit = AuditEvent::new(caller, "label.create", "user", Some(user.id.to_string()), label.created_at)
            .with_details(serde_json::json!({ "key": label.key }));
        self.core.store.commit(UnitOfWork::new().write(Write::InsertLabel(label.clone())).audit(audit)).await?;
        Ok(label)
    }

    /// Changes the value of one of the user's labels; private labels are refused.
    pub async fn update_public_label(self, caller: &Caller, user: &User, key: &str, value: &str) -> Result<Label> {
        let labels = self.core.store.list_labels(user.id).await?;
        let Some(current) = labels.iter().find(|l| l.key == key) else {
            return Err(DomainError::new(ErrorCode::LabelNotFound));
        };
        if current.scope == LabelScope::Private && !labels.iter().any(|l| l.key == key && l.scope == LabelScope::Public) {
            return Err(DomainError::new(ErrorCode::LabelPrivate));
        }
        let value = normalise("value", value)?;
        let now = self.core.now();
        let audit = AuditEvent::new(caller, "label.update", "user", Some(user.id.to_string()), now)
            .with_details(serde_json::json!({ "key": key }));
        let update =
            Write::UpdateLabel { user: user.id, key: key.into(), scope: LabelScope::Public, value: value.clone(), at: now };
        self.core.store.commit(UnitOfWork::new().write(update).audit(audit)).await?;
        let mut label = labels.into_iter().find(|l| l.key == key && l.scope == LabelScope::Public).expect("found above");
        label.value = value;
        label.updated_at = now;
        Ok(label)
    }

    pub async fn delete_public_label(self, caller: &Caller, user: &User, key: &str) -> Result<()> {
        let labels = self.core.store.list_labels(user.id).await?;
        if !labels.iter().any(|l| l.key == key) {
            return Err(DomainError::new(ErrorCode::LabelNotFound));
        }
        if !labels.iter().any(|l| l.key == key && l.scope == LabelScope::Public) {
            return Err(DomainError::new(ErrorCode::LabelPrivate));
        }
        let audit = AuditEvent::new(caller, "label.delete", "user", Some(user.id.to_string()), self.core.now())
            .with_details(serde_json::json!({ "key": key }));
        let delete = Write::DeleteLabel { user: user.id, key: key.into(), scope: LabelScope::Public };
        self.core.store.commit(UnitOfWork::new().write(delete).audit(audit)).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_rules() {
        assert_eq!(normalise("key", " My-Key_1 ").unwrap(), "my-key_1");
        assert_eq!(normalise("key", "ab").unwrap_err().violations[0].rule, Rule::TooShort);
        assert_eq!(normalise("key", "a b c").unwrap_err().violations[0].rule, Rule::Invalid);
    }
}
