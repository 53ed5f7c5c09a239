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

/// A request path as the rules judge it, and as the service behind the gateway will see it:
/// separators (`/`, `\\`) collapsed, `.` segments dropped and `..` segments resolved, without
/// a slash at either end (`api/v2/x`). Percent-escapes must be decoded once already (as the
/// router does, and as the service behind does). `None` for a path that climbs above its root.
pub fn normalise_path(path: &str) -> Option<std::borrow::Cow<'_, str>> {
    let plain = !path.starts_with('/')
        && !path.ends_with('/')
        && !path.contains("//")
        && !path.contains('\\')
        && !path.split('/').any(|s| s == "." || s == "..");
    if plain {
        return Some(path.into());
    }
    let mut segments: Vec<&str> = Vec::new();
    for segment in path.split(['/', '\\']) {
        match segment {
            "" | "." => {}
            ".." => {
                segments.pop()?;
            }
            s => segments.push(s),
        }
    }
    Some(segments.join("/").into())
}

/// Whether the normalised `path` is `prefix` or lies under it, segment by segment
/// (`api/v2/applogic` covers `api/v2/applogic/x`, not `api/v2/applogicx`).
fn under(path: &str, prefix: &str) -> bool {
    let prefix = prefix.trim_matches('/');
    prefix.is_empty() || path == prefix || path.strip_prefix(prefix).is_some_and(|rest| rest.starts_with('/'))
}

impl AccessRules {
    /// What the rules say about a normalised path (`normalise_path`).
    pub fn route(&self, path: &str) -> Route {
        if self.block.iter().any(|p| under(path, p)) {
            Route::Block
        } else if self.pass.iter().any(|p| under(path, p)) {
            Route::Pass
        } else {
            Route::Protected
        }
    }

    /// The permissions of `role` for `method` whose path covers the normalised `path`: denied
    /// when none match, when any drops, or when none accepts.
    pub fn permit(&self, role: &str, method: &str, path: &str) -> Permit {
        let matching: Vec<&Permission> = self
            .permissions
            .iter()
            .filter(|p| p.role == role)
            .filter(|p| p.verb.eq_ignore_ascii_case("all") || p.verb.eq_ignore_ascii_case(method))
            .filter(|p| under(path, &p.path))
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
        assert_eq!(r.route("api/v2/peatio/public/ping"), Route::Pass);
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

    #[test]
    fn paths_are_normalised_before_any_rule() {
        let n = |p| normalise_path(p).map(|c| c.into_owned());
        assert_eq!(n("api/v2/x").as_deref(), Some("api/v2/x"));
        assert!(matches!(normalise_path("api/v2/x"), Some(std::borrow::Cow::Borrowed(_))), "no copy when already normal");
        assert_eq!(n("/api/v2//barong/./management/x/").as_deref(), Some("api/v2/barong/management/x"));
        assert_eq!(n("api/v2/peatio/account/../admin/members").as_deref(), Some("api/v2/peatio/admin/members"));
        assert_eq!(n("api/v2/peatio/public\\..\\management").as_deref(), Some("api/v2/peatio/management"));
        assert_eq!(n("api/../../etc"), None, "above the root");
        let r = AccessRules::barong_defaults();
        assert_eq!(r.route(&n("api/v2/barong//management/x").unwrap()), Route::Block);
        assert_eq!(r.route(&n("api/v2/auth/./management/x").unwrap()), Route::Block);
        assert_eq!(r.route(&n("api/v2/peatio/public/../management/x").unwrap()), Route::Block);
        assert_eq!(r.permit("member", "GET", &n("api/v2/peatio/account/../admin/members").unwrap()), Permit::Denied);
        assert_eq!(r.permit("member", "GET", "api/v2/applogicx/y"), Permit::Denied, "whole segments only");
        assert!(matches!(r.permit("member", "GET", "api/v2/applogic/y"), Permit::Allowed { .. }));
        assert_eq!(r.route("api/v2/peatio/publicity"), Route::Protected);
    }
}
