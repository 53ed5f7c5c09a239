//! The OpenID Connect scopes a user has consented to give a service provider. Scopes are the
//! standard ones (each with its claims and a fixed uuid); a grant is kept per user and
//! provider as an item of the community, and `/user_consent/check` answers which of the scopes
//! a provider asks for the user has not granted yet.

use keyhall_types::UserId;
use serde_json::{Value, json};

use super::collection_kinds::{SCOPE_GRANTS, SERVICE_PROVIDERS};
use super::{Adminx, Scope, SignedInCaller};
use crate::error::{DomainError, ErrorCode, Result};

/// An OpenID Connect scope: its uuid, name and the claims it releases (OIDC Core §5.4).
pub struct OidcScope {
    pub uuid: &'static str,
    pub name: &'static str,
    pub claims: &'static [&'static str],
}

pub const SCOPES: &[OidcScope] = &[
    OidcScope { uuid: "0b6b9d6e-5d7c-4f0e-9a43-6f3a1c1e0001", name: "openid", claims: &["sub"] },
    OidcScope {
        uuid: "0b6b9d6e-5d7c-4f0e-9a43-6f3a1c1e0002",
        name: "profile",
        claims: &[
            "name",
            "family_name",
            "given_name",
            "middle_name",
            "nickname",
            "preferred_username",
            "profile",
            "picture",
            "website",
            "gender",
            "birthdate",
            "zoneinfo",
            "locale",
            "updated_at",
        ],
    },
    OidcScope { uuid: "0b6b9d6e-5d7c-4f0e-9a43-6f3a1c1e0003", name: "email", claims: &["email", "email_verified"] },
    OidcScope { uuid: "0b6b9d6e-5d7c-4f0e-9a43-6f3a1c1e0004", name: "address", claims: &["address"] },
    OidcScope { uuid: "0b6b9d6e-5d7c-4f0e-9a43-6f3a1c1e0005", name: "phone", claims: &["phone_number", "phone_number_verified"] },
    OidcScope { uuid: "0b6b9d6e-5d7c-4f0e-9a43-6f3a1c1e0006", name: "offline_access", claims: &[] },
];

/// A scope by its uuid or its name.
pub fn scope(id: &str) -> Option<&'static OidcScope> {
    SCOPES.iter().find(|s| s.uuid.eq_ignore_ascii_case(id.trim()) || s.name == id.trim())
}

fn grant_name(user: UserId, provider: &str) -> String {
    format!("{user}:{provider}")
}

impl Adminx<'_> {
    /// The scopes (by name) the user granted the provider.
    async fn granted(self, scope: Scope, user: UserId, provider: &str) -> Result<Vec<String>> {
        let name = grant_name(user, provider);
        Ok(self
            .core
            .store
            .community_item_named(scope.community, SCOPE_GRANTS.kind(), &name)
            .await?
            .map(|g| {
                g.body["scopes"]
                    .as_array()
                    .map(|a| a.iter().filter_map(Value::as_str).map(str::to_string).collect())
                    .unwrap_or_default()
            })
            .unwrap_or_default())
    }

    /// `/user_consent/check`: of `scope_ids` (uuids or names) the provider `sp_id` asks the
    /// caller for, those not granted yet, as `{uuid, name, claims}`.
    pub async fn ungranted_scopes(self, caller: &SignedInCaller, sp_id: &str, scope_ids: &[String]) -> Result<Value> {
        if scope_ids.is_empty() {
            return Err(DomainError::invalid("scopeIds", "must name at least one scope"));
        }
        let community = caller.scope();
        let provider = self.item(community, &SERVICE_PROVIDERS, sp_id).await?;
        let asked = scope_ids
            .iter()
            .map(|id| scope(id).ok_or_else(|| DomainError::invalid("scopeIds", format!("names an unknown scope: {id}"))))
            .collect::<Result<Vec<_>>>()?;
        let granted = self.granted(community, caller.user_id(), &provider.id).await?;
        let missing: Vec<Value> = asked
            .into_iter()
            .filter(|s| !granted.iter().any(|g| g == s.name))
            .map(|s| json!({ "uuid": s.uuid, "name": s.name, "claims": s.claims }))
            .collect();
        Ok(json!({ "nonGrantedScopes": missing }))
    }

    /// Records that the caller granted the provider these scopes (added to what it granted):
    /// the consent step of an OpenID Connect sign-in.
    pub async fn grant_scopes(self, caller: &SignedInCaller, sp_id: &str, scopes: &[&str]) -> Result<()> {
        let community = caller.scope();
        let provider = self.item(community, &SERVICE_PROVIDERS, sp_id).await?;
        let mut granted = self.granted(community, caller.user_id(), &provider.id).await?;
        for s in scopes {
            let known = scope(s).ok_or_else(|| DomainError::invalid("scopeIds", format!("names an unknown scope: {s}")))?;
            if !granted.iter().any(|g| g == known.name) {
                granted.push(known.name.to_string());
            }
        }
        let name = grant_name(caller.user_id(), &provider.id);
        let input = json!({ "key": name, "scopes": granted });
        // A grant is the user's own, not an administrator's change: written as keyhall.
        let item = super::collections::CommunityItem {
            id: uuid::Uuid::new_v4().to_string(),
            scope: community,
            kind: SCOPE_GRANTS.kind().to_string(),
            name: name.clone(),
            body: SCOPE_GRANTS.document.apply(None, &input, &|t| self.seal_secret(t))?,
            created_by: caller.member.user.email.as_str().to_string(),
            created_at: self.core.now(),
            updated_at: self.core.now(),
        };
        let existing = self.core.store.community_item_named(community.community, SCOPE_GRANTS.kind(), &name).await?;
        let write = match existing {
            Some(old) => crate::ports::Write::UpdateItem(super::collections::CommunityItem {
                id: old.id,
                created_at: old.created_at,
                ..item
            }),
            None => crate::ports::Write::InsertItem(item),
        };
        match self.commit(crate::ports::UnitOfWork::new().write(write)).await {
            Err(e) if e.is(ErrorCode::ItemNameTaken) => Err(DomainError::new(ErrorCode::ConfigRevisionStale)),
            other => other,
        }
    }
}
