//! What a caller may do, decided here rather than in the faces: a face asks for the
//! capability an endpoint needs and gets `auth.permission_denied` when the caller lacks it.
//! Comet's Token Actions are the first capabilities; 1Kosmos community roles come next.

use crate::context::{Caller, Grants};
use crate::error::{DomainError, ErrorCode, Result};

/// A permission a command needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Capability<'a> {
    /// A Comet Token Action (e.g. `License::ListLicenses`): held by the API token the caller
    /// presented (the operator holds them all).
    TokenAction(&'a str),
}

impl Caller {
    /// Whether the caller holds `capability`.
    pub fn may(&self, capability: Capability<'_>) -> bool {
        match (capability, self.grants()) {
            (_, Grants::Everything) => true,
            (Capability::TokenAction(action), Grants::Token(token)) => token.allows(action),
            (Capability::TokenAction(_), Grants::Identity) => false,
        }
    }

    /// `Ok` when the caller holds `capability`, else `auth.permission_denied`.
    pub fn require(&self, capability: Capability<'_>) -> Result<()> {
        if self.may(capability) { Ok(()) } else { Err(DomainError::new(ErrorCode::PermissionDenied)) }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use keyhall_types::{TenantId, TokenId, UserId};

    use super::*;
    use crate::auth::api_tokens::ApiToken;
    use crate::context::{Actor, Origin};

    fn token_caller(permissions: &[&str]) -> Caller {
        let at = time::OffsetDateTime::UNIX_EPOCH;
        let token = ApiToken {
            id: TokenId::new(),
            tenant_id: TenantId::new(),
            user_id: UserId::new(),
            visible_prefix: "kh_x".into(),
            permissions: permissions.iter().map(|p| p.to_string()).collect(),
            created_at: at,
            updated_at: at,
            revoked_at: None,
            last_used_at: None,
        };
        let actor = Actor::Token { token_id: token.id, user_id: token.user_id };
        Caller::new(token.tenant_id, actor, Origin::default(), Grants::Token(Arc::new(token)))
    }

    #[test]
    fn token_actions_come_from_the_presented_token() {
        let caller = token_caller(&["License::ListLicenses"]);
        assert!(caller.require(Capability::TokenAction("License::ListLicenses")).is_ok());
        assert_eq!(caller.require(Capability::TokenAction("Token::CreateToken")).unwrap_err().code, ErrorCode::PermissionDenied);
        assert!(Caller::operator(TenantId::new()).may(Capability::TokenAction("Token::CreateToken")));
        let user = Caller::user(TenantId::new(), UserId::new(), Origin::default());
        assert!(!user.may(Capability::TokenAction("License::ListLicenses")), "a session holds no token actions");
    }
}
