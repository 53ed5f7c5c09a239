//! Directory auth modules (`ldap`, `ad`): their connection as the module's configuration
//! describes it, the connection test, and sign-in by binding as the user. A directory user
//! signing in for the first time becomes a user of the community (of that module), with no
//! password of keyhall's: the directory keeps judging it.

use serde_json::{Value, json};

use super::members::{MemberProfile, MemberRow};
use super::modules::{AuthModule, ModuleKind};
use super::{Adminx, Member, Role, Scope};
use crate::audit::AuditEvent;
use crate::error::{DomainError, ErrorCode, Result};
use crate::identity::registration::insert_user_unit;
use crate::ports::{AzureAdConnection, DirectoryConnection, DirectoryEntry};

impl AuthModule {
    /// A module whose users another system judges (LDAP, Active Directory, Azure AD).
    pub fn is_directory(&self) -> bool {
        matches!(self.kind, ModuleKind::Ldap | ModuleKind::Ad | ModuleKind::AzureAd)
    }
}

impl Adminx<'_> {
    /// The module's directory connection, from its configuration.
    pub fn connection(self, module: &AuthModule) -> Result<DirectoryConnection> {
        let c = &module.config;
        let text = |k: &str| match c.get(k) {
            Some(Value::String(s)) => s.trim().to_string(),
            Some(Value::Number(n)) => n.to_string(),
            _ => String::new(),
        };
        let protocol = match text("serverprotocol").as_str() {
            "" => "ldap".to_string(),
            p => p.to_string(),
        };
        let default_filter = if module.kind == ModuleKind::Ad { "(sAMAccountName={username})" } else { "(uid={username})" };
        let filter = [text("filter"), text("ldapqueryfilter")]
            .into_iter()
            .find(|f| f.contains("{username}"))
            .unwrap_or(default_filter.into());
        let seconds = c.get("caTimeoutSeconds").and_then(Value::as_u64).unwrap_or(10).clamp(1, 60);
        Ok(DirectoryConnection {
            url: format!("{protocol}://{}:{}", text("server"), text("serverport")),
            bind_dn: text("binddn"),
            bind_password: self.module_secret(module)?.unwrap_or_default(),
            base_dn: text("basedn"),
            filter,
            timeout: std::time::Duration::from_secs(seconds),
        })
    }

    /// `/test-connection`: connects to the module's directory and binds as its service
    /// account; `(true, "…")` or `(false, why)`.
    /// The module's Azure AD tenant, from its configuration.
    pub fn azure_connection(self, module: &AuthModule) -> Result<AzureAdConnection> {
        let text = |k: &str| module.config.get(k).and_then(Value::as_str).map(str::trim).unwrap_or_default().to_string();
        let base = text("loginBasePath");
        Ok(AzureAdConnection {
            login_base: if base.is_empty() {
                "https://login.microsoftonline.com".into()
            } else {
                base.trim_end_matches('/').to_string()
            },
            tenant_id: text("tenantId"),
            client_id: text("clientId"),
            client_secret: self.module_secret(module)?.unwrap_or_default(),
            timeout: std::time::Duration::from_secs(10),
        })
    }

    pub async fn test_connection(self, module: &AuthModule) -> Result<(bool, String)> {
        if !module.is_directory() {
            return Ok((true, format!("{} modules are keyhall's own user store", module.kind.as_str())));
        }
        if module.kind == ModuleKind::AzureAd {
            let connection = self.azure_connection(module)?;
            return Ok(match self.core.azure.test_connection(&connection).await {
                Ok(()) => (true, format!("Azure AD tenant {} issued a token to {}", connection.tenant_id, connection.client_id)),
                Err(why) => (false, why),
            });
        }
        let connection = self.connection(module)?;
        Ok(match self.core.directory.test_connection(&connection).await {
            Ok(()) => (
                true,
                format!(
                    "Connected to {} and bound as {}",
                    connection.url,
                    if connection.bind_dn.is_empty() { "anonymous" } else { &connection.bind_dn }
                ),
            ),
            Err(why) => (false, why),
        })
    }

    /// Binds as `username` in the module's directory: the entry when the password is right.
    pub(crate) async fn directory_check(
        self,
        module: &AuthModule,
        username: &str,
        password: &str,
    ) -> Result<Option<DirectoryEntry>> {
        if password.is_empty() {
            return Ok(None);
        }
        let outcome = if module.kind == ModuleKind::AzureAd {
            let connection = self.azure_connection(module)?;
            self.core.azure.authenticate(&connection, username, password).await
        } else {
            let connection = self.connection(module)?;
            self.core.directory.authenticate(&connection, username, password).await
        };
        outcome.map_err(|why| {
            tracing::warn!(module = %module.id, error = %why, "directory sign-in could not ask the directory");
            DomainError::new(ErrorCode::DirectoryUnavailable).detail("The directory could not be reached")
        })
    }

    /// Makes the user a directory entry stands for, in its module (first sign-in).
    pub(crate) async fn adopt_directory_user(
        self,
        scope: Scope,
        module: &AuthModule,
        username: &str,
        entry: &DirectoryEntry,
    ) -> Result<Member> {
        let now = self.core.now();
        // The directory's address, unless a user of the tenant has it: a directory must not
        // take over an account it does not own.
        let mail = entry.mail.as_deref().and_then(|m| keyhall_types::Email::parse(m).ok());
        let email = match mail {
            Some(m) if self.core.store.find_user_by_email(scope.tenant, &m).await?.is_none() => m,
            _ => keyhall_types::Email::parse(&format!("{}@{}.directory.invalid", username.replace('@', ".at."), module.id))
                .map_err(|_| DomainError::invalid("username", "cannot be used as a login name"))?,
        };
        let profile = MemberProfile {
            firstname: entry.given_name.clone().unwrap_or_default(),
            lastname: entry.surname.clone().unwrap_or_default(),
            ..Default::default()
        };
        let contact_name = format!("{} {}", profile.firstname, profile.lastname).trim().to_string();
        let user = super::members::new_user(scope, email, contact_name, false, now);
        let row = MemberRow {
            user_id: user.id,
            community_id: scope.community,
            module_id: module.id,
            username: username.to_string(),
            role: Role::Basic,
            profile,
            locked_until: None,
            created_at: now,
            updated_at: now,
        };
        let caller = crate::context::Caller::user(scope.tenant, user.id, crate::context::Origin::default())
            .in_community(scope.community, username);
        let audit = AuditEvent::new(&caller, "E_USER_CREATED", "user", Some(user.id.to_string()), now).with_details(
            json!({ "username": username, "moduleId": module.id.to_string(), "dn": entry.dn, "source": "directory" }),
        );
        let work = insert_user_unit(&user, false, vec![crate::ports::Write::PutMember(row.clone())], now).audit(audit);
        self.commit(work).await?;
        Ok(Member::of(user, row))
    }
}
