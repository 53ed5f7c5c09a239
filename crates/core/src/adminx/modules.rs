//! Auth modules: the user stores of a community. `db` is keyhall's own (every community has
//! one, its default); `ldap` and `ad` bind against a directory; `azuread` goes through a
//! provider. A module is data: its kind, name, switches and configuration (the directory's
//! address, its password policy…), with its one secret (a bind password, a client secret)
//! sealed apart and never shown.

use std::sync::Arc;

use keyhall_types::{AuthModuleId, CommunityId, TenantId, Timestamp};
use serde_json::{Value, json};

use super::{Adminx, Scope, SignedInCaller};
use crate::audit::AuditEvent;
use crate::credentials::PasswordPolicy;
use crate::error::{DomainError, ErrorCode, Result};
use crate::ports::{UnitOfWork, Write};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModuleKind {
    Db,
    Ldap,
    Ad,
    AzureAd,
}

impl ModuleKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ModuleKind::Db => "db",
            ModuleKind::Ldap => "ldap",
            ModuleKind::Ad => "ad",
            ModuleKind::AzureAd => "azuread",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text.trim().to_ascii_lowercase().as_str() {
            "db" => Some(ModuleKind::Db),
            "ldap" => Some(ModuleKind::Ldap),
            "ad" => Some(ModuleKind::Ad),
            "azuread" => Some(ModuleKind::AzureAd),
            _ => None,
        }
    }

    pub fn subtype(self) -> &'static str {
        if self == ModuleKind::Db { "datastore" } else { "directory" }
    }

    /// The configuration key that holds the module's secret.
    fn secret_key(self) -> Option<&'static str> {
        match self {
            ModuleKind::Db => None,
            ModuleKind::Ldap | ModuleKind::Ad => Some("bindpassword"),
            ModuleKind::AzureAd => Some("clientSecret"),
        }
    }

    /// Configuration keys a module of this kind must have.
    fn required(self) -> &'static [&'static str] {
        match self {
            ModuleKind::Db => &[],
            ModuleKind::Ldap | ModuleKind::Ad => &["server", "serverport", "basedn"],
            ModuleKind::AzureAd => &["tenantId", "clientId", "clientSecret"],
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct AuthModule {
    pub id: AuthModuleId,
    pub tenant_id: TenantId,
    pub community_id: CommunityId,
    pub kind: ModuleKind,
    pub name: String,
    pub enabled: bool,
    /// `direct` or `broker` (through an on-premises agent).
    pub mode: String,
    pub is_default: bool,
    /// The module's configuration, without its secret.
    pub config: Value,
    /// The secret, sealed under the master key.
    pub secret: Option<String>,
    pub script: String,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

const SECRET_PURPOSE: &str = "auth_module.secret";

/// The password rules of a module's policy, as 1Kosmos writes them (`config.passwordPolicy.rules`).
pub fn default_password_policy() -> Value {
    json!({
        "allowed": true,
        "description": "",
        "rules": {
            "min": 8, "min_enabled": true,
            "min_special": 1, "min_special_enabled": false,
            "min_numbers": 1, "min_numbers_enabled": true,
            "special_chars_allowed": "!@#$%^&*()-_=+[]{};:,.<>/?~", "special_chars_allowed_enabled": false,
            "min_alpha_caps": 1, "min_alpha_caps_enabled": true,
            "noUsername": true, "noUsername_enabled": true,
            "noSpaces": true, "noSpaces_enabled": true,
            "allowInRow": 3, "allowInRow_enabled": false
        }
    })
}

/// A module's password policy: the core's counts, plus 1Kosmos's own rules.
#[derive(Debug, Clone, PartialEq)]
pub struct ModulePolicy {
    pub counts: PasswordPolicy,
    pub no_username: bool,
    pub no_spaces: bool,
    /// The same character at most this many times in a row.
    pub allow_in_row: Option<usize>,
    /// Only these count as special characters (and no others are allowed), when set.
    pub special_chars: Option<String>,
}

impl ModulePolicy {
    /// Reads `config.passwordPolicy.rules` (a rule counts only when its `_enabled` switch is on).
    pub fn of(config: &Value) -> Self {
        let fallback = default_password_policy();
        let rules = config.pointer("/passwordPolicy/rules").unwrap_or(&fallback["rules"]);
        let on = |name: &str| rules.get(format!("{name}_enabled")).and_then(Value::as_bool).unwrap_or(false);
        let n = |name: &str| if on(name) { rules.get(name).and_then(Value::as_u64).unwrap_or(0) as usize } else { 0 };
        let flag = |name: &str| on(name) && rules.get(name).and_then(Value::as_bool).unwrap_or(true);
        ModulePolicy {
            counts: PasswordPolicy {
                min_length: n("min").max(1),
                max_length: 128,
                min_lowercase: 0,
                min_uppercase: n("min_alpha_caps"),
                min_digits: n("min_numbers"),
                min_symbols: n("min_special"),
                min_entropy: None,
            },
            no_username: flag("noUsername"),
            no_spaces: flag("noSpaces"),
            allow_in_row: on("allowInRow").then(|| n("allowInRow").max(1)),
            special_chars: on("special_chars_allowed")
                .then(|| rules.get("special_chars_allowed").and_then(Value::as_str).unwrap_or_default().to_string()),
        }
    }

    /// Each rule in words (`descriptions` of `/pwd-policy/fetch`).
    pub fn descriptions(&self) -> Vec<String> {
        let c = &self.counts;
        let mut out = vec![format!("At least {} characters", c.min_length)];
        if c.min_uppercase > 0 {
            out.push(format!("At least {} uppercase letter(s)", c.min_uppercase));
        }
        if c.min_digits > 0 {
            out.push(format!("At least {} number(s)", c.min_digits));
        }
        if c.min_symbols > 0 {
            out.push(format!("At least {} special character(s)", c.min_symbols));
        }
        if let Some(chars) = &self.special_chars {
            out.push(format!("Special characters allowed: {chars}"));
        }
        if self.no_username {
            out.push("Must not contain the username".into());
        }
        if self.no_spaces {
            out.push("Must not contain spaces".into());
        }
        if let Some(n) = self.allow_in_row {
            out.push(format!("No character more than {n} times in a row"));
        }
        out
    }

    /// `password.requirements` (saying which rule) when `password` breaks the policy.
    pub fn check(&self, username: &str, password: &str) -> Result<()> {
        let refuse = |detail: String| Err(DomainError::new(ErrorCode::PasswordRequirements).field("password").detail(detail));
        self.counts.check("password", password).map_err(|e| e.detail(self.descriptions().join("; ")))?;
        if self.no_spaces && password.chars().any(char::is_whitespace) {
            return refuse("Must not contain spaces".into());
        }
        let name = username.trim().to_lowercase();
        if self.no_username && !name.is_empty() && password.to_lowercase().contains(&name) {
            return refuse("Must not contain the username".into());
        }
        if let Some(allowed) = &self.special_chars
            && password.chars().any(|c| !c.is_alphanumeric() && !c.is_whitespace() && !allowed.contains(c))
        {
            return refuse(format!("Special characters allowed: {allowed}"));
        }
        if let Some(max) = self.allow_in_row {
            let chars: Vec<char> = password.chars().collect();
            if chars.chunk_by(|a, b| a == b).any(|run| run.len() > max) {
                return refuse(format!("No character more than {max} times in a row"));
            }
        }
        Ok(())
    }
}

impl AuthModule {
    /// The module as 1Kosmos shows it (its secret left out).
    pub fn to_json(&self) -> Value {
        json!({
            "_id": self.id.to_string(),
            "id": self.id.to_string(),
            "tenantId": self.tenant_id.to_string(),
            "communityId": self.community_id.to_string(),
            "type": self.kind.as_str(),
            "subtype": self.kind.subtype(),
            "method": "authn",
            "name": self.name,
            "enabled": self.enabled,
            "mode": self.mode,
            "isDefault": self.is_default,
            "config": self.config,
            "kerberos_config": self.config.get("kerberos_config").cloned().unwrap_or(json!({ "enabled": false })),
            "enhanced_security_on": self.config.get("enhanced_security_on").cloned().unwrap_or(json!(false)),
        })
    }

    pub fn policy(&self) -> ModulePolicy {
        ModulePolicy::of(&self.config)
    }
}

/// What a caller sends to create or change a module.
#[derive(Debug, Clone, Default)]
pub struct ModuleInput {
    pub kind: Option<String>,
    pub name: Option<String>,
    pub enabled: Option<bool>,
    pub mode: Option<String>,
    pub config: Option<Value>,
}

impl Adminx<'_> {
    /// The default `db` module of a community made with it.
    pub(crate) fn new_db_module(&self, scope: Scope, now: Timestamp) -> AuthModule {
        AuthModule {
            id: AuthModuleId::new(),
            tenant_id: scope.tenant,
            community_id: scope.community,
            kind: ModuleKind::Db,
            name: "db".into(),
            enabled: true,
            mode: "direct".into(),
            is_default: true,
            config: json!({ "passwordPolicy": default_password_policy() }),
            secret: None,
            script: String::new(),
            created_at: now,
            updated_at: now,
        }
    }

    pub async fn auth_modules(self, scope: Scope) -> Result<Vec<AuthModule>> {
        Ok(self.cached_modules(scope.community).await?.iter().map(|m| m.as_ref().clone()).collect())
    }

    /// A module of the community: `auth_module.not_found` for any other.
    pub async fn auth_module(self, scope: Scope, id: AuthModuleId) -> Result<Arc<AuthModule>> {
        let modules = self.cached_modules(scope.community).await?;
        modules.iter().find(|m| m.id == id).cloned().ok_or_else(|| DomainError::new(ErrorCode::AuthModuleNotFound))
    }

    /// The community's default `db` module.
    pub async fn default_module(self, community: CommunityId) -> Result<Arc<AuthModule>> {
        let modules = self.cached_modules(community).await?;
        modules.iter().find(|m| m.is_default).cloned().ok_or_else(|| DomainError::new(ErrorCode::AuthModuleNotFound))
    }

    /// The module's secret, unsealed (to bind to its directory).
    pub fn module_secret(self, module: &AuthModule) -> Result<Option<String>> {
        match &module.secret {
            Some(sealed) => Ok(Some(self.core.keys.unseal_string(SECRET_PURPOSE, sealed).map_err(DomainError::internal)?)),
            None => Ok(None),
        }
    }

    /// Checks a module's configuration and takes its secret out of it (sealed).
    fn settle_config(self, kind: ModuleKind, mut config: Value, old_secret: Option<String>) -> Result<(Value, Option<String>)> {
        if !config.is_object() {
            return Err(DomainError::invalid("config", "must be an object"));
        }
        let mut secret = old_secret;
        if let Some(key) = kind.secret_key()
            && let Some(value) = config.as_object_mut().and_then(|c| c.remove(key))
        {
            match value.as_str().map(str::trim) {
                Some("") | None => {}
                Some(text) => secret = Some(self.core.keys.seal_str(SECRET_PURPOSE, text)),
            }
        }
        for key in kind.required() {
            let present = config.get(*key).is_some_and(|v| !v.is_null() && v.as_str() != Some(""))
                || (kind.secret_key() == Some(*key) && secret.is_some());
            if !present {
                return Err(DomainError::missing(format!("config.{key}")));
            }
        }
        if let Some(port) = config.get("serverport") {
            let port = port.as_u64().or_else(|| port.as_str().and_then(|p| p.trim().parse().ok()));
            if !port.is_some_and(|p| (1..=65535).contains(&p)) {
                return Err(DomainError::invalid("config.serverport", "must be a port number (1-65535)"));
            }
        }
        if let Some(protocol) = config.get("serverprotocol").and_then(Value::as_str)
            && !matches!(protocol, "ldap" | "ldaps")
        {
            return Err(DomainError::invalid("config.serverprotocol", "must be ldap or ldaps"));
        }
        if config.get("passwordPolicy").is_none() {
            config["passwordPolicy"] = default_password_policy();
        }
        Ok((config, secret))
    }

    pub async fn create_auth_module(self, caller: &SignedInCaller, input: ModuleInput) -> Result<AuthModule> {
        caller.require_admin()?;
        let scope = caller.scope();
        let kind_text = input.kind.ok_or_else(|| DomainError::missing("type"))?;
        let kind =
            ModuleKind::parse(&kind_text).ok_or_else(|| DomainError::invalid("type", "must be db, ldap, ad or azuread"))?;
        if kind == ModuleKind::Db {
            return Err(DomainError::new(ErrorCode::AuthModuleNameTaken)
                .field("type")
                .detail("the community has its db module already"));
        }
        let name =
            input.name.map(|n| n.trim().to_string()).filter(|n| !n.is_empty()).ok_or_else(|| DomainError::missing("name"))?;
        let mode = input.mode.unwrap_or_else(|| "direct".into());
        if !matches!(mode.as_str(), "direct" | "broker") {
            return Err(DomainError::invalid("mode", "must be direct or broker"));
        }
        let (config, secret) = self.settle_config(kind, input.config.unwrap_or_else(|| json!({})), None)?;
        let now = self.core.now();
        let module = AuthModule {
            id: AuthModuleId::new(),
            tenant_id: scope.tenant,
            community_id: scope.community,
            kind,
            name,
            enabled: input.enabled.unwrap_or(true),
            mode,
            is_default: false,
            config,
            secret,
            script: String::new(),
            created_at: now,
            updated_at: now,
        };
        let audit = AuditEvent::new(&caller.caller, "E_DIRECTORY_ADDED", "auth_module", Some(module.id.to_string()), now)
            .with_details(json!({ "type": kind.as_str(), "name": module.name, "communityId": scope.community.to_string() }));
        self.commit(UnitOfWork::new().write(Write::InsertAuthModule(module.clone())).audit(audit)).await?;
        Ok(module)
    }

    /// Changes a module's name, switch and configuration (its type and mode stay).
    pub async fn update_auth_module(self, caller: &SignedInCaller, id: AuthModuleId, input: ModuleInput) -> Result<AuthModule> {
        caller.require_admin()?;
        let mut module = self.auth_module(caller.scope(), id).await?.as_ref().clone();
        if let Some(kind) = &input.kind
            && ModuleKind::parse(kind) != Some(module.kind)
        {
            return Err(DomainError::invalid("type", format!("the module is of type {}", module.kind.as_str())));
        }
        if let Some(name) = input.name {
            let name = name.trim().to_string();
            if name.is_empty() {
                return Err(DomainError::missing("name"));
            }
            module.name = name;
        }
        if let Some(enabled) = input.enabled {
            if module.is_default && !enabled {
                return Err(DomainError::invalid("enabled", "the default db module cannot be disabled"));
            }
            module.enabled = enabled;
        }
        if let Some(config) = input.config {
            // Another directory (or account) must not get the stored bind password: a change of
            // where the module connects needs the password again.
            let moved = ["server", "serverport", "serverprotocol", "binddn", "loginBasePath", "tenantId", "clientId"]
                .iter()
                .any(|k| config.get(*k).is_some_and(|v| Some(v) != module.config.get(*k)));
            if moved && module.kind.secret_key().is_some_and(|k| config.get(k).is_none()) {
                module.secret = None;
            }
            let mut merged = module.config.clone();
            if let (Some(target), Some(changes)) = (merged.as_object_mut(), config.as_object()) {
                for (k, v) in changes {
                    target.insert(k.clone(), v.clone());
                }
            } else {
                return Err(DomainError::invalid("config", "must be an object"));
            }
            let (config, secret) = self.settle_config(module.kind, merged, module.secret.clone())?;
            module.config = config;
            module.secret = secret;
        }
        module.updated_at = self.core.now();
        let audit = AuditEvent::new(
            &caller.caller,
            "E_DIRECTORY_MODIFIED",
            "auth_module",
            Some(module.id.to_string()),
            module.updated_at,
        )
        .with_details(json!({ "name": module.name }));
        self.commit(UnitOfWork::new().write(Write::UpdateAuthModule(module.clone())).audit(audit)).await?;
        Ok(module)
    }

    /// Stores a module's script (run by brokers; kept as text).
    pub async fn update_auth_module_script(
        self,
        caller: &SignedInCaller,
        id: AuthModuleId,
        script: String,
    ) -> Result<AuthModule> {
        caller.require_admin()?;
        let mut module = self.auth_module(caller.scope(), id).await?.as_ref().clone();
        module.script = script;
        module.updated_at = self.core.now();
        let audit = AuditEvent::new(
            &caller.caller,
            "E_DIRECTORY_ADVANCED_CONFIGURATION_MODIFIED",
            "auth_module",
            Some(module.id.to_string()),
            module.updated_at,
        );
        self.commit(UnitOfWork::new().write(Write::UpdateAuthModule(module.clone())).audit(audit)).await?;
        Ok(module)
    }

    /// Deletes a module and its users' 1Kosmos records; the default `db` module stays.
    pub async fn delete_auth_module(self, caller: &SignedInCaller, id: AuthModuleId) -> Result<AuthModule> {
        caller.require_admin()?;
        let module = self.auth_module(caller.scope(), id).await?.as_ref().clone();
        if module.is_default {
            return Err(DomainError::new(ErrorCode::AuthModuleInUse).detail("the default db module cannot be deleted"));
        }
        let audit =
            AuditEvent::new(&caller.caller, "E_DIRECTORY_REMOVED", "auth_module", Some(module.id.to_string()), self.core.now())
                .with_details(json!({ "name": module.name }));
        self.commit(UnitOfWork::new().write(Write::DeleteAuthModule(module.id)).audit(audit)).await?;
        Ok(module)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_policy_counts_capitals_and_numbers_and_refuses_the_username() {
        let p = ModulePolicy::of(&json!({}));
        assert!(p.check("alice", "Secret-Pass-1").is_ok());
        assert!(p.check("alice", "secret-pass-1").is_err(), "a capital");
        assert!(p.check("alice", "Secret-Pass").is_err(), "a number");
        assert!(p.check("alice", "Alice-Pass-1").is_err(), "the username");
        assert!(p.check("alice", "Secret Pass 1").is_err(), "spaces");
        assert_eq!(p.descriptions()[0], "At least 8 characters");
    }

    #[test]
    fn rules_count_only_when_enabled() {
        let mut policy = default_password_policy();
        policy["rules"]["allowInRow"] = json!(2);
        policy["rules"]["allowInRow_enabled"] = json!(true);
        policy["rules"]["min_alpha_caps_enabled"] = json!(false);
        let p = ModulePolicy::of(&json!({ "passwordPolicy": policy }));
        assert!(p.check("bob", "secret-pass-1").is_ok());
        assert!(p.check("bob", "secret-paaas-1").is_err());
    }
}
