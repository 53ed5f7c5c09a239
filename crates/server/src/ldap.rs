//! The LDAP client directory auth modules bind through (`ldap3`): a connection per check,
//! a search as the module's service account, then a bind as the user found.

use keyhall_core::ports::{DirectoryClient, DirectoryConnection, DirectoryEntry};
use ldap3::{Ldap, LdapConnAsync, LdapConnSettings, Scope, SearchEntry};

/// `invalidCredentials` (RFC 4511): a wrong password, not a failure of the directory.
const INVALID_CREDENTIALS: u32 = 49;

#[derive(Debug, Default, Clone, Copy)]
pub struct LdapDirectory;

async fn connect(c: &DirectoryConnection) -> Result<Ldap, String> {
    let settings = LdapConnSettings::new().set_conn_timeout(c.timeout);
    let (conn, ldap) =
        LdapConnAsync::with_settings(settings, &c.url).await.map_err(|e| format!("cannot connect to {}: {e}", c.url))?;
    ldap3::drive!(conn);
    Ok(ldap)
}

/// Binds as the service account (nothing to do for an anonymous search).
async fn bind_service(ldap: &mut Ldap, c: &DirectoryConnection) -> Result<(), String> {
    if c.bind_dn.is_empty() {
        return Ok(());
    }
    let result = tokio::time::timeout(c.timeout, ldap.simple_bind(&c.bind_dn, &c.bind_password))
        .await
        .map_err(|_| format!("{} did not answer the bind in time", c.url))?
        .map_err(|e| format!("bind as {} failed: {e}", c.bind_dn))?;
    result.success().map(drop).map_err(|e| format!("bind as {} refused: {e}", c.bind_dn))
}

#[async_trait::async_trait]
impl DirectoryClient for LdapDirectory {
    async fn test_connection(&self, c: &DirectoryConnection) -> Result<(), String> {
        let mut ldap = connect(c).await?;
        let outcome = bind_service(&mut ldap, c).await;
        let _ = ldap.unbind().await;
        outcome
    }

    async fn authenticate(
        &self,
        c: &DirectoryConnection,
        username: &str,
        password: &str,
    ) -> Result<Option<DirectoryEntry>, String> {
        let mut ldap = connect(c).await?;
        bind_service(&mut ldap, c).await?;
        let filter = c.filter.replace("{username}", &ldap3::ldap_escape(username));
        let search =
            tokio::time::timeout(c.timeout, ldap.search(&c.base_dn, Scope::Subtree, &filter, vec!["mail", "givenName", "sn"]))
                .await
                .map_err(|_| format!("{} did not answer the search in time", c.url))?
                .map_err(|e| format!("search failed: {e}"))?;
        let (entries, _) = search.success().map_err(|e| format!("search refused: {e}"))?;
        // Nobody, or a name that is not one person's: no sign-in.
        let [entry] = entries.as_slice() else {
            let _ = ldap.unbind().await;
            return Ok(None);
        };
        let entry = SearchEntry::construct(entry.clone());
        let result = tokio::time::timeout(c.timeout, ldap.simple_bind(&entry.dn, password))
            .await
            .map_err(|_| format!("{} did not answer the bind in time", c.url))?
            .map_err(|e| format!("bind failed: {e}"))?;
        let _ = ldap.unbind().await;
        match result.rc {
            0 => {
                let first = |name: &str| entry.attrs.get(name).and_then(|v| v.first()).cloned();
                Ok(Some(DirectoryEntry {
                    dn: entry.dn.clone(),
                    mail: first("mail"),
                    given_name: first("givenName"),
                    surname: first("sn"),
                }))
            }
            INVALID_CREDENTIALS => Ok(None),
            rc => Err(format!("bind as {} answered {rc}: {}", entry.dn, result.text)),
        }
    }
}
