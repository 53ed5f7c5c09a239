//! Gateway access rules: which request paths are public (`pass`), which are never served
//! (`block`), and which roles may call which verbs on which path prefixes (`permissions`).

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PermissionAction {
    Accept,
    Drop,
    /// Allowed, and recorded in the audit log.
    Audit,
}

impl PermissionAction {
    pub fn parse(text: &str) -> Option<Self> {
        match text.to_ascii_lowercase().as_str() {
            "accept" => Some(PermissionAction::Accept),
            "drop" => Some(PermissionAction::Drop),
            "audit" => Some(PermissionAction::Audit),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Permission {
    pub role: String,
    /// An HTTP method, or `ALL`.
    pub verb: String,
    /// A path prefix without a leading slash, e.g. `api/v2/barong/resource`.
    pub path: String,
    pub action: PermissionAction,
}

/// What the rules say about a path before anyone is authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    /// Public: allowed without credentials and without a token.
    Pass,
    /// Never allowed through the gateway.
    Block,
    /// Needs a session or an API key, then a permission.
    Protected,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AccessRules {
    pub pass: Vec<String>,
    pub block: Vec<String>,
    pub permissions: Vec<Permission>,
}

/// The outcome of the permission check for an authenticated caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Permit {
    /// Allowed; `audited` lists the matching audit permissions (to record).
    Allowed {
        audited: Vec<Permission>,
    },
    Denied,
}

fn strip(path: &str) -> &str {
    path.trim_start_matches('/')
}

impl AccessRules {
    pub fn route(&self, path: &str) -> Route {
        let path = strip(path);
        if self.block.iter().any(|p| path.starts_with(strip(p))) {
            Route::Block
        } else if self.pass.iter().any(|p| path.starts_with(strip(p))) {
            Route::Pass
        } else {
            Route::Protected
        }
    }

    /// The permissions of `role` for `method` whose path is a prefix of `path`: denied when
    /// none match, when any drops, or when none accepts.
    pub fn permit(&self, role: &str, method: &str, path: &str) -> Permit {
        let path = strip(path);
        let matching: Vec<&Permission> = self
            .permissions
            .iter()
            .filter(|p| p.role == role)
            .filter(|p| p.verb.eq_ignore_ascii_case("all") || p.verb.eq_ignore_ascii_case(method))
            .filter(|p| path.starts_with(strip(&p.path)))
            .collect();
        let accepts = matching.iter().any(|p| p.action == PermissionAction::Accept);
        if matching.is_empty() || matching.iter().any(|p| p.action == PermissionAction::Drop) || !accepts {
            return Permit::Denied;
        }
        Permit::Allowed { audited: matching.into_iter().filter(|p| p.action == PermissionAction::Audit).cloned().collect() }
    }

    /// Barong's default rules, for both its own path prefix (`api/v2/barong/…`) and keyhall's
    /// (`api/v2/auth/…`).
    pub fn barong_defaults() -> Self {
        let pass = [
            "api/v2/barong/public",
            "api/v2/barong/identity",
            "api/v2/auth/public",
            "api/v2/auth/identity",
            "api/v2/peatio/public",
            "api/v2/ranger/public",
            "api/v2/applogic/public",
            "api/v2/arke/public",
            "api/v2/finex/public",
        ];
        let block = ["api/v2/barong/management", "api/v2/auth/management", "api/v2/peatio/management"];
        let p = |role: &str, verb: &str, path: &str, action| Permission {
            role: role.into(),
            verb: verb.into(),
            path: path.into(),
            action,
        };
        use PermissionAction::*;
        let mut permissions = vec![
            p("superadmin", "all", "api/v2", Accept),
            p("superadmin", "post", "api/v2/", Audit),
            p("superadmin", "put", "api/v2/", Audit),
            p("superadmin", "delete", "api/v2/", Audit),
            p("admin", "all", "api/v2", Accept),
            p("admin", "all", "api/v2/barong/admin/permissions", Drop),
            p("admin", "all", "api/v2/barong/admin/users/role", Drop),
            p("admin", "all", "api/v2/barong/admin/activities/admin", Drop),
            p("admin", "post", "api/v2/", Audit),
            p("admin", "put", "api/v2/", Audit),
            p("admin", "delete", "api/v2/", Audit),
        ];
        for path in [
            "api/v2/barong/resource",
            "api/v2/auth/resource",
            "api/v2/peatio/account",
            "api/v2/peatio/market",
            "api/v2/finex/market",
            "api/v2/applogic",
        ] {
            permissions.push(p("member", "all", path, Accept));
        }
        for path in ["api/v2/ranger", "api/v2/open_finance"] {
            permissions.push(p("member", "get", path, Accept));
        }
        // Service accounts that trade: a member's access without passwords, 2FA, KYC or keys.
        for path in [
            "api/v2/peatio/account",
            "api/v2/peatio/market",
            "api/v2/finex/market",
            "api/v2/barong/resource",
            "api/v2/auth/resource",
        ] {
            permissions.push(p("sa_maker", "all", path, Accept));
        }
        for prefix in ["api/v2/barong/resource", "api/v2/auth/resource"] {
            for area in ["otp", "phones", "profiles", "documents", "addresses", "api_keys", "users/password"] {
                permissions.push(p("sa_maker", "all", &format!("{prefix}/{area}"), Drop));
            }
        }
        permissions.push(p("sa_maker", "all", "api/v2/applogic/private/tenants", Drop));
        Self { pass: pass.map(String::from).to_vec(), block: block.map(String::from).to_vec(), permissions }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_and_permissions() {
        let r = AccessRules::barong_defaults();
        assert_eq!(r.route("/api/v2/peatio/public/ping"), Route::Pass);
        assert_eq!(r.route("api/v2/peatio/management/ping"), Route::Block);
        assert_eq!(r.route("api/v2/peatio/account/balances"), Route::Protected);
        assert!(matches!(r.permit("member", "GET", "api/v2/peatio/account/balances"), Permit::Allowed { .. }));
        assert_eq!(r.permit("member", "GET", "api/v2/not_in_the_rules"), Permit::Denied);
        assert_eq!(r.permit("member", "POST", "api/v2/ranger/x"), Permit::Denied, "GET only");
        assert_eq!(r.permit("admin", "GET", "api/v2/barong/admin/permissions"), Permit::Denied, "a drop wins");
        match r.permit("admin", "POST", "api/v2/barong/admin/users") {
            Permit::Allowed { audited } => assert_eq!(audited.len(), 1),
            other => panic!("{other:?}"),
        }
    }
}
