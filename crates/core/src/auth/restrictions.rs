//! Access restrictions by client address, as Barong's authorize endpoint applies them:
//! `whitelist` (let through, checked first), `maintenance`, `blacklist` (refused with the
//! restriction's code) and `blocklogin` (only sign-in refused), each by scope `all`, `ip` or
//! `ip_subnet` (IPv4 CIDR). `country` and `continent` restrictions are kept but never match:
//! keyhall has no geolocation database. Whitelist links let a visitor whitelist their own
//! address (`identity/users/access`).

use std::net::IpAddr;
use std::sync::Arc;

use keyhall_types::{RestrictionId, TenantId, Timestamp};

use super::Auth;
use crate::audit::AuditEvent;
use crate::context::Caller;
use crate::error::{DomainError, ErrorCode, Result, Rule, Violation};
use crate::ports::{UnitOfWork, Write};

/// In the order authorize looks at them.
pub const CATEGORIES: &[&str] = &["whitelist", "maintenance", "blacklist", "blocklogin"];
pub const SCOPES: &[&str] = &["continent", "country", "ip", "ip_subnet", "all"];

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Restriction {
    pub id: keyhall_types::RestrictionId,
    pub tenant_id: TenantId,
    pub category: String,
    pub scope: String,
    pub value: String,
    /// The HTTP status a refused request gets.
    pub code: i64,
    pub enabled: bool,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// Barong's codes: 471 for maintenance, otherwise by scope (whitelists always get theirs).
pub fn default_code(category: &str, scope: &str) -> i64 {
    match (category, scope) {
        ("maintenance", _) => 471,
        (_, "continent" | "country") => 423,
        (_, "ip_subnet") => 403,
        _ => 401,
    }
}

fn ipv4(value: &str) -> bool {
    value.parse::<std::net::Ipv4Addr>().is_ok()
}

/// `a.b.c.d/n` with n from 0 to 32.
fn parse_subnet(value: &str) -> Option<(u32, u32)> {
    let (addr, bits) = value.split_once('/')?;
    let addr: std::net::Ipv4Addr = addr.parse().ok()?;
    let bits: u32 = bits.parse().ok().filter(|b| *b <= 32 && !value.ends_with('/'))?;
    let mask = if bits == 0 { 0 } else { u32::MAX << (32 - bits) };
    Some((u32::from(addr) & mask, mask))
}

/// Every broken rule of a new restriction, in the model's order (a value restricted already
/// is the store's `restriction.taken`).
pub fn check(category: &str, scope: &str, value: &str) -> Vec<Violation> {
    let mut broken = Vec::new();
    for (attr, v) in [("scope", scope), ("value", value), ("category", category)] {
        if v.trim().is_empty() {
            broken.push(Violation::new(attr, Rule::Blank));
        }
    }
    if !SCOPES.contains(&scope) {
        broken.push(Violation::new("scope", Rule::Inclusion));
    }
    if !CATEGORIES.contains(&category) {
        broken.push(Violation::new("category", Rule::Inclusion));
    }
    let malformed = match scope {
        "ip" => !ipv4(value),
        "ip_subnet" => parse_subnet(value).is_none(),
        _ => false,
    };
    if malformed && !value.trim().is_empty() {
        broken.push(Violation::new("value", Rule::Invalid));
    }
    broken
}

impl Restriction {
    fn matches(&self, ip: Option<IpAddr>) -> bool {
        match (self.scope.as_str(), ip.map(|ip| ip.to_canonical())) {
            ("all", _) => true,
            ("ip", Some(ip)) => ip.to_string() == self.value,
            ("ip_subnet", Some(IpAddr::V4(v4))) => {
                parse_subnet(&self.value).is_some_and(|(net, mask)| u32::from(v4) & mask == net)
            }
            _ => false,
        }
    }
}

/// The most precise matching restriction of a category: `all`, then `ip`, then `ip_subnet`.
fn first_match<'a>(list: &'a [Restriction], category: &str, ip: Option<IpAddr>) -> Option<&'a Restriction> {
    ["all", "ip", "ip_subnet"]
        .iter()
        .find_map(|scope| list.iter().find(|r| r.enabled && r.category == category && r.scope == *scope && r.matches(ip)))
}

/// What authorize does about a request from `ip`: `None` lets it through (to the usual
/// checks); `Some` refuses it with `authz.restrict.<category>` and the restriction's code.
/// `sign_in` says the request is for the sign-in path (the only one `blocklogin` refuses).
pub fn decide(list: &[Restriction], ip: Option<IpAddr>, sign_in: bool) -> Option<&Restriction> {
    for category in CATEGORIES {
        let Some(found) = first_match(list, category, ip) else { continue };
        match *category {
            "whitelist" => return None,
            "blocklogin" if !sign_in => continue,
            _ => return Some(found),
        }
    }
    None
}

impl Auth<'_> {
    /// The tenant's restrictions (cached for a few seconds; writes on this node apply at once).
    pub async fn restrictions(self, tenant: TenantId) -> Result<Arc<Vec<Restriction>>> {
        if let Some(list) = self.core.restriction_cache.get(&tenant) {
            return Ok(list);
        }
        let list = Arc::new(self.core.store.list_restrictions(tenant).await?);
        self.core.restriction_cache.insert(tenant, list.clone());
        Ok(list)
    }

    /// Adds a restriction; broken rules come back as `request.invalid_parameter` with their
    /// violations; the same category, scope and value twice → `restriction.taken`.
    pub async fn add_restriction(
        self,
        caller: &Caller,
        category: &str,
        scope: &str,
        value: &str,
        code: Option<i64>,
    ) -> Result<Restriction> {
        let value = value.trim();
        let broken = check(category, scope, value);
        if !broken.is_empty() {
            return Err(DomainError::violations(broken));
        }
        let now = self.core.now();
        let code = match code {
            Some(c) if category != "whitelist" => c,
            _ => default_code(category, scope),
        };
        let restriction = Restriction {
            id: keyhall_types::RestrictionId::new(),
            tenant_id: caller.tenant_id(),
            category: category.into(),
            scope: scope.into(),
            value: value.into(),
            code,
            enabled: true,
            created_at: now,
            updated_at: now,
        };
        let audit = AuditEvent::new(caller, "restriction.create", "restriction", Some(restriction.id.to_string()), now)
            .with_details(serde_json::json!({ "category": category, "scope": scope, "value": value, "code": code }));
        self.core.store.commit(UnitOfWork::new().write(Write::InsertRestriction(restriction.clone())).audit(audit)).await?;
        self.core.restriction_cache.invalidate(&caller.tenant_id());
        Ok(restriction)
    }

    pub async fn remove_restriction(self, caller: &Caller, id: RestrictionId) -> Result<bool> {
        let audit = AuditEvent::new(caller, "restriction.delete", "restriction", Some(id.to_string()), self.core.now());
        let removed = self.core.store.delete_restriction(caller.tenant_id(), id, &audit).await?;
        self.core.restriction_cache.invalidate(&caller.tenant_id());
        Ok(removed)
    }

    /// A new whitelist link for the tenant, valid for `ttl` (any number of addresses may use
    /// it meanwhile). Only its digest is kept.
    pub async fn create_whitelink(self, caller: &Caller, ttl: time::Duration) -> Result<String> {
        let token = hex::encode(keyhall_crypto::random::bytes::<32>());
        let now = self.core.now();
        let audit = AuditEvent::new(caller, "restriction.whitelink_create", "tenant", Some(caller.tenant_id().to_string()), now)
            .with_details(serde_json::json!({ "expires_at": keyhall_types::rfc3339(now + ttl) }));
        self.core.store.insert_whitelink(caller.tenant_id(), &keyhall_crypto::token::digest(&token), now + ttl, &audit).await?;
        Ok(token)
    }

    /// Whitelists the caller's address with a whitelist link: `restriction.whitelink_invalid`
    /// for an unknown or expired link, `restriction.taken` when the address already is.
    pub async fn use_whitelink(self, caller: &Caller, token: &str) -> Result<Restriction> {
        let digest = keyhall_crypto::token::digest(token.trim());
        if !self.core.store.whitelink_valid(caller.tenant_id(), &digest, self.core.now()).await? {
            return Err(DomainError::new(ErrorCode::WhitelinkInvalid));
        }
        let ip = caller.origin().ip.as_deref().unwrap_or_default();
        let ip = ip.parse::<IpAddr>().map(|ip| ip.to_canonical().to_string()).unwrap_or_else(|_| ip.to_string());
        self.add_restriction(caller, "whitelist", "ip", &ip, None).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(category: &str, scope: &str, value: &str) -> Restriction {
        Restriction {
            id: RestrictionId::new(),
            tenant_id: TenantId::new(),
            category: category.into(),
            scope: scope.into(),
            value: value.into(),
            code: default_code(category, scope),
            enabled: true,
            created_at: time::OffsetDateTime::UNIX_EPOCH,
            updated_at: time::OffsetDateTime::UNIX_EPOCH,
        }
    }

    fn ip(text: &str) -> Option<IpAddr> {
        Some(text.parse().unwrap())
    }

    #[test]
    fn decisions_follow_barong() {
        let list =
            vec![r("blacklist", "ip", "10.0.0.1"), r("blacklist", "ip_subnet", "10.1.0.0/16"), r("blocklogin", "all", "all")];
        assert_eq!(decide(&list, ip("10.0.0.1"), false).map(|r| r.code), Some(401));
        assert_eq!(decide(&list, ip("10.1.200.3"), false).map(|r| r.code), Some(403));
        assert_eq!(decide(&list, ip("10.2.0.1"), false), None);
        assert_eq!(decide(&list, ip("::ffff:10.0.0.1"), false).map(|r| r.code), Some(401), "IPv4-mapped");
        assert_eq!(decide(&list, ip("10.2.0.1"), true).map(|r| r.category.as_str()), Some("blocklogin"));
        let mut list = list;
        list.push(r("whitelist", "ip", "10.0.0.1"));
        list.push(r("maintenance", "all", "all"));
        assert_eq!(decide(&list, ip("10.0.0.1"), true), None, "whitelisted: nothing else applies");
        assert_eq!(decide(&list, ip("10.9.9.9"), false).map(|r| r.code), Some(471));
    }

    #[test]
    fn rules() {
        let v = Violation::new;
        assert!(check("blacklist", "ip_subnet", "192.168.0.0/24").is_empty());
        assert_eq!(check("blacklist", "ip", "1.2.3"), [v("value", Rule::Invalid)]);
        assert_eq!(
            check("greylist", "planet", ""),
            [v("value", Rule::Blank), v("scope", Rule::Inclusion), v("category", Rule::Inclusion)]
        );
        assert_eq!(check("whitelist", "ip_subnet", "10.0.0.0/33"), [v("value", Rule::Invalid)]);
    }
}
