//! Labels: key/value facts attached to a user. `public` labels are the user's own; `private`
//! ones are set by keyhall or administrators (e.g. `email=verified`) and drive the user's level.

use keyhall_types::{Timestamp, UserId};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LabelScope {
    Public,
    Private,
}

impl LabelScope {
    pub fn as_str(self) -> &'static str {
        match self {
            LabelScope::Public => "public",
            LabelScope::Private => "private",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "public" => Some(LabelScope::Public),
            "private" => Some(LabelScope::Private),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Label {
    pub id: keyhall_types::LabelId,
    pub user_id: UserId,
    pub key: String,
    pub value: String,
    pub scope: LabelScope,
    pub description: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// The verification levels, in order: a user's level is the number of consecutive ones
/// satisfied by a private label.
pub const LEVELS: &[(&str, &str)] = &[("email", "verified"), ("phone", "verified"), ("document", "verified")];

pub fn level(labels: &[Label]) -> i64 {
    LEVELS
        .iter()
        .take_while(|(k, v)| labels.iter().any(|l| l.scope == LabelScope::Private && l.key == *k && l.value == *v))
        .count() as i64
}

impl Label {
    pub fn new(user_id: UserId, key: String, value: String, scope: LabelScope, at: Timestamp) -> Self {
        Self { id: keyhall_types::LabelId::new(), user_id, key, value, scope, description: None, created_at: at, updated_at: at }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_are_consecutive() {
        let t = time::OffsetDateTime::UNIX_EPOCH;
        let u = UserId::new();
        let l = |k: &str, s| Label::new(u, k.into(), "verified".into(), s, t);
        assert_eq!(level(&[]), 0);
        assert_eq!(level(&[l("email", LabelScope::Private)]), 1);
        assert_eq!(level(&[l("email", LabelScope::Public)]), 0, "public labels do not count");
        assert_eq!(level(&[l("email", LabelScope::Private), l("document", LabelScope::Private)]), 1);
        assert_eq!(level(&[l("phone", LabelScope::Private), l("email", LabelScope::Private)]), 2);
    }
}
