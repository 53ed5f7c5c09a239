//! Who is calling and from where: every command carries a `Caller`, and every audit record is
//! written from it. A `Caller` is made only by the core's authenticators (a verified API token,
//! session, API key, signed token, or the operator at the command line), so a face can act only
//! for someone the core has recognised; what the caller may do is checked in `access`.

use std::sync::Arc;

use keyhall_types::{TenantId, TokenId, UserId};

use crate::auth::api_tokens::ApiToken;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    /// A user acting through an API token they own.
    Token { token_id: TokenId, user_id: UserId },
    /// A signed-in user (session).
    User(UserId),
    /// The operator at the command line.
    Operator,
    /// keyhall itself (background work), or a visitor nobody has authenticated.
    System,
}

impl Actor {
    pub fn kind(&self) -> &'static str {
        match self {
            Actor::Token { .. } => "token",
            Actor::User(_) => "user",
            Actor::Operator => "operator",
            Actor::System => "system",
        }
    }

    pub fn id(&self) -> Option<String> {
        match self {
            Actor::Token { token_id, .. } => Some(token_id.to_string()),
            Actor::User(id) => Some(id.to_string()),
            Actor::Operator | Actor::System => None,
        }
    }

    /// The user on whose behalf the actor works, if any ("self" for the `*Self` actions).
    pub fn user_id(&self) -> Option<UserId> {
        match self {
            Actor::Token { user_id, .. } => Some(*user_id),
            Actor::User(id) => Some(*id),
            Actor::Operator | Actor::System => None,
        }
    }
}

/// Where a request came from (kept in the audit log).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Origin {
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

/// What the authenticator that made a caller grants it beyond its identity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Grants {
    /// Nothing beyond what the actor is (a user, a visitor).
    Identity,
    /// The actions of the API token it presented.
    Token(Arc<ApiToken>),
    /// Everything (the operator, keyhall itself).
    Everything,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    tenant_id: TenantId,
    actor: Actor,
    origin: Origin,
    grants: Grants,
    /// The 1Kosmos community it acts in, and its login name there (its records are that
    /// community's report events).
    community: Option<(keyhall_types::CommunityId, String)>,
}

impl Caller {
    pub(crate) fn new(tenant_id: TenantId, actor: Actor, origin: Origin, grants: Grants) -> Self {
        Self { tenant_id, actor, origin, grants, community: None }
    }

    /// The caller acting in a community, as `login` (empty for nobody signed in).
    pub(crate) fn in_community(mut self, community: keyhall_types::CommunityId, login: &str) -> Self {
        self.community = Some((community, login.to_string()));
        self
    }

    pub fn community(&self) -> Option<(keyhall_types::CommunityId, &str)> {
        self.community.as_ref().map(|(c, l)| (*c, l.as_str()))
    }

    /// A user the core recognised (by session, signed token, API key or mailed token).
    pub(crate) fn user(tenant_id: TenantId, user_id: UserId, origin: Origin) -> Self {
        Self::new(tenant_id, Actor::User(user_id), origin, Grants::Identity)
    }

    pub(crate) fn operator(tenant_id: TenantId) -> Self {
        Self::new(tenant_id, Actor::Operator, Origin::default(), Grants::Everything)
    }

    pub(crate) fn system(tenant_id: TenantId) -> Self {
        Self::new(tenant_id, Actor::System, Origin::default(), Grants::Everything)
    }

    pub fn tenant_id(&self) -> TenantId {
        self.tenant_id
    }

    pub fn actor(&self) -> &Actor {
        &self.actor
    }

    pub fn origin(&self) -> &Origin {
        &self.origin
    }

    pub(crate) fn grants(&self) -> &Grants {
        &self.grants
    }
}
