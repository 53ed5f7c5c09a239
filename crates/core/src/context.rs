//! Who is calling and from where: every command carries a `Caller`, and every audit record is
//! written from it.

use keyhall_types::{TenantId, TokenId, UserId};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    /// A user acting through an API token they own.
    Token { token_id: TokenId, user_id: UserId },
    /// A signed-in user (session).
    User(UserId),
    /// The operator at the command line.
    Operator,
    /// keyhall itself (background work).
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

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub tenant_id: TenantId,
    pub actor: Actor,
    pub origin: Origin,
}

impl Caller {
    pub fn operator(tenant_id: TenantId) -> Self {
        Self { tenant_id, actor: Actor::Operator, origin: Origin::default() }
    }

    pub fn system(tenant_id: TenantId) -> Self {
        Self { tenant_id, actor: Actor::System, origin: Origin::default() }
    }
}
