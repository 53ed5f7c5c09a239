//! The collections of a community (secrets, message gateways, service providers…): items of
//! one kind, each a JSON body checked against the kind's fields (the same field kinds as the
//! configuration documents, secrets sealed the same way), named uniquely in the community by
//! one of its fields, or alone of its kind. The store's constraint decides a race between two
//! writers of one name.

use serde_json::Value;

use super::documents::DocumentSchema;
use super::{Adminx, Scope, SignedInCaller};
use crate::audit::AuditEvent;
use crate::error::{DomainError, ErrorCode, Result};
use crate::ports::{UnitOfWork, Write};
use keyhall_types::Timestamp;

#[derive(Debug, Clone, PartialEq)]
pub struct CommunityItem {
    pub id: String,
    pub scope: Scope,
    pub kind: String,
    /// The item's name in its collection (the kind itself for one-of-a-kind items).
    pub name: String,
    pub body: Value,
    pub created_by: String,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// What names an item of a collection, uniquely in its community.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Naming {
    /// The value of this field (a secret's `tag`).
    Field(&'static str),
    /// Nothing but its id: the community may have many alike.
    Id,
}

/// A kind of item: its fields, what names it, its words and its events.
#[derive(Debug)]
pub struct Collection {
    /// The fields; `document.key` is the kind stored.
    pub document: DocumentSchema,
    /// What the vendor calls one (`Secret`): "Secret not found".
    pub noun: &'static str,
    /// What names an item in the community.
    pub naming: Naming,
    /// How many a community may have.
    pub max_items: usize,
    /// The audit events' stem (`E_SECRET` → `E_SECRET_CREATED`, `_MODIFIED`, `_DELETED`).
    pub event: &'static str,
}

impl Collection {
    pub fn kind(&self) -> &'static str {
        self.document.key
    }

    fn not_found(&self) -> DomainError {
        DomainError::new(ErrorCode::ItemNotFound).detail(format!("{} not found", self.noun))
    }

    /// The item's name in `body` (checked already); `id` for collections named by id.
    fn name_in(&self, body: &Value, id: &str) -> String {
        match self.naming {
            Naming::Field(field) => body[field].as_str().map(str::to_string).unwrap_or_else(|| body[field].to_string()),
            Naming::Id => id.to_string(),
        }
    }

    fn name_field(&self) -> &'static str {
        match self.naming {
            Naming::Field(field) => field,
            Naming::Id => "id",
        }
    }

    /// What a reader sees of an item: its fields without secrets.
    pub fn view(&self, item: &CommunityItem) -> Value {
        self.document.view(Some(&item.body))
    }

    fn taken(&self, e: DomainError) -> DomainError {
        if !e.is(ErrorCode::ItemNameTaken) {
            return e;
        }
        let noun = self.noun.to_lowercase();
        let article = if noun.starts_with(['a', 'e', 'i', 'o', 'u']) { "An" } else { "A" };
        let field = self.name_field();
        DomainError::new(ErrorCode::ItemNameTaken)
            .field(field)
            .detail(format!("{article} {noun} with this {field} already exists"))
    }
}

impl Adminx<'_> {
    /// The community's items of a collection, oldest first.
    pub async fn items(self, scope: Scope, c: &Collection) -> Result<Vec<CommunityItem>> {
        self.core.store.community_items(scope.community, c.kind()).await
    }

    /// An item of the community by id (`item.not_found` for another community's).
    pub async fn item(self, scope: Scope, c: &Collection, id: &str) -> Result<CommunityItem> {
        match self.core.store.community_item(id.trim()).await? {
            Some(item) if item.scope == scope && item.kind == c.kind() => Ok(item),
            _ => Err(c.not_found()),
        }
    }

    /// An item of any community by id (what is served publicly by its id alone: images).
    pub async fn any_item(self, c: &Collection, id: &str) -> Result<Option<CommunityItem>> {
        Ok(self.core.store.community_item(id.trim()).await?.filter(|item| item.kind == c.kind()))
    }

    /// An item of the community by name.
    pub async fn item_named(self, scope: Scope, c: &Collection, name: &str) -> Result<CommunityItem> {
        self.core.store.community_item_named(scope.community, c.kind(), name).await?.ok_or_else(|| c.not_found())
    }

    /// A secret field of an item, unsealed, for the code that uses it (never for a reply).
    pub fn item_secret(self, item: &CommunityItem, field: &str) -> Option<String> {
        self.unseal_document_secret(&item.body[field])
    }

    /// Adds an item (administrators): its fields checked, its secrets sealed.
    pub async fn create_item(
        self,
        caller: &SignedInCaller,
        scope: Scope,
        c: &Collection,
        input: &Value,
    ) -> Result<CommunityItem> {
        caller.require_admin()?;
        let body = c.document.apply(None, input, &|text| self.seal_secret(text))?;
        if self.items(scope, c).await?.len() >= c.max_items {
            return Err(DomainError::new(ErrorCode::ItemLimitReached)
                .detail(format!("A community may have at most {} of them", c.max_items)));
        }
        let now = self.core.now();
        let id = uuid::Uuid::new_v4().to_string();
        let item = CommunityItem {
            scope,
            kind: c.kind().to_string(),
            name: c.name_in(&body, &id),
            id,
            body,
            created_by: caller.member.user.email.as_str().to_string(),
            created_at: now,
            updated_at: now,
        };
        let audit = AuditEvent::new(&caller.caller, &format!("{}_CREATED", c.event), c.kind(), Some(item.id.clone()), now)
            .with_details(serde_json::json!({ "name": item.name }));
        self.commit(UnitOfWork::new().write(Write::InsertItem(item.clone())).audit(audit)).await.map_err(|e| c.taken(e))?;
        Ok(item)
    }

    /// Changes the fields `input` carries of an item (administrators).
    pub async fn update_item(
        self,
        caller: &SignedInCaller,
        scope: Scope,
        c: &Collection,
        id: &str,
        input: &Value,
    ) -> Result<CommunityItem> {
        self.update_item_as(caller, scope, c, id, input, &format!("{}_MODIFIED", c.event)).await
    }

    /// `update_item`, recorded as `event`.
    pub async fn update_item_as(
        self,
        caller: &SignedInCaller,
        scope: Scope,
        c: &Collection,
        id: &str,
        input: &Value,
        event: &str,
    ) -> Result<CommunityItem> {
        caller.require_admin()?;
        let mut item = self.item(scope, c, id).await?;
        item.body = c.document.patch(&item.body, input, &|text| self.seal_secret(text))?;
        item.name = c.name_in(&item.body, &item.id);
        item.updated_at = self.core.now();
        let audit = AuditEvent::new(&caller.caller, event, c.kind(), Some(item.id.clone()), item.updated_at)
            .with_details(serde_json::json!({ "name": item.name }));
        self.commit(UnitOfWork::new().write(Write::UpdateItem(item.clone())).audit(audit)).await.map_err(|e| c.taken(e))?;
        Ok(item)
    }

    /// Stores `input` as the item named `name`, replacing what it held, or adds it
    /// (administrators): the upsert of RADIUS and auth-proxy configurations.
    pub async fn replace_item_named(
        self,
        caller: &SignedInCaller,
        scope: Scope,
        c: &Collection,
        name: &str,
        input: &Value,
    ) -> Result<CommunityItem> {
        caller.require_admin()?;
        for _ in 0..2 {
            let outcome = match self.item_named(scope, c, name).await {
                Ok(mut item) => {
                    item.body = c.document.apply(None, input, &|text| self.seal_secret(text))?;
                    if c.name_in(&item.body, &item.id) != name {
                        return Err(DomainError::invalid(c.name_field(), "must be the name in the path"));
                    }
                    item.updated_at = self.core.now();
                    let event = format!("{}_MODIFIED", c.event);
                    let audit = AuditEvent::new(&caller.caller, &event, c.kind(), Some(item.id.clone()), item.updated_at)
                        .with_details(serde_json::json!({ "name": item.name }));
                    self.commit(UnitOfWork::new().write(Write::UpdateItem(item.clone())).audit(audit)).await.map(|()| item)
                }
                Err(e) if e.is(ErrorCode::ItemNotFound) => self.create_item(caller, scope, c, input).await,
                Err(e) => Err(e),
            };
            match outcome {
                // Another writer added it in between: replace theirs.
                Err(e) if e.is(ErrorCode::ItemNameTaken) => continue,
                other => return other,
            }
        }
        Err(c.taken(DomainError::new(ErrorCode::ItemNameTaken)))
    }

    /// Removes an item (administrators).
    pub async fn delete_item(self, caller: &SignedInCaller, scope: Scope, c: &Collection, id: &str) -> Result<CommunityItem> {
        caller.require_admin()?;
        let item = self.item(scope, c, id).await?;
        let audit =
            AuditEvent::new(&caller.caller, &format!("{}_DELETED", c.event), c.kind(), Some(item.id.clone()), self.core.now())
                .with_details(serde_json::json!({ "name": item.name }));
        self.commit(UnitOfWork::new().write(Write::DeleteItem(item.id.clone())).audit(audit))
            .await
            .map_err(|e| if e.is(ErrorCode::ItemNotFound) { c.not_found() } else { e })?;
        Ok(item)
    }
}
