//! The 1Kosmos domain: tenant domains, communities, auth modules, the users of communities
//! (`members`: a user's module, login name, role and profile), and license keys.

use keyhall_core::adminx::access_codes::AccessCode;
use keyhall_core::adminx::members::MemberQuery;
use keyhall_core::adminx::{AccessLicense, AuthModule, MemberRow, ModuleKind, Role, TenantDomain};
use keyhall_core::identity::User;
use keyhall_core::ports;
use keyhall_core::tenancy::Community;
use keyhall_core::{DomainError, ErrorCode, Result};
use keyhall_types::{AuthModuleId, CommunityId, TenantId, Timestamp, UserId};

use super::identity::user_from_row;
use super::rows::{Conn, Run, col, col_id, col_ts, col_ts_opt, is_unique_violation, one_row};
use super::tenancy::community_from_row;
use super::{DbRow, Store, ts};
use crate::errors::{corrupt, db, unique_or};

const MODULE_COLS: &str =
    "id, tenant_id, community_id, kind, name, enabled, mode, is_default, config, secret, script, created_at, updated_at";

/// A user and its row: `users` columns by name, the member's as `m_*`.
macro_rules! member_select {
    () => {
        "SELECT u.*, m.community_id AS m_community_id, m.module_id AS m_module_id, m.username AS m_username, \
         m.role AS m_role, m.profile AS m_profile, m.locked_until AS m_locked_until, m.created_at AS m_created_at, \
         m.updated_at AS m_updated_at FROM members m JOIN users u ON u.id = m.user_id "
    };
}

/// The filter of `list_members` ($1 community, $2 module, $3 search, $4 username, $5 e-mail,
/// $6 role).
macro_rules! member_filter {
    () => {
        "WHERE m.community_id = $1 AND ($2 IS NULL OR m.module_id = $2) \
         AND ($3 IS NULL OR m.username LIKE $3 OR LOWER(u.email) LIKE $3) AND ($4 IS NULL OR m.username = $4) \
         AND ($5 IS NULL OR LOWER(u.email) = $5) AND ($6 IS NULL OR m.role = $6) "
    };
}

fn domain_from_row(row: &DbRow) -> Result<TenantDomain> {
    Ok(TenantDomain {
        tenant_id: col_id(row, "tenant_id")?,
        tag: col(row, "tag")?,
        dns: col(row, "dns")?,
        created_at: col_ts(row, "created_at")?,
    })
}

fn module_from_row(row: &DbRow) -> Result<AuthModule> {
    Ok(AuthModule {
        id: col_id(row, "id")?,
        tenant_id: col_id(row, "tenant_id")?,
        community_id: col_id(row, "community_id")?,
        kind: ModuleKind::parse(&col::<String>(row, "kind")?).ok_or_else(|| corrupt("auth module type"))?,
        name: col(row, "name")?,
        enabled: col(row, "enabled")?,
        mode: col(row, "mode")?,
        is_default: col(row, "is_default")?,
        config: serde_json::from_str(&col::<String>(row, "config")?).map_err(|_| corrupt("auth module configuration"))?,
        secret: col(row, "secret")?,
        script: col(row, "script")?,
        created_at: col_ts(row, "created_at")?,
        updated_at: col_ts(row, "updated_at")?,
    })
}

fn member_from_row(row: &DbRow) -> Result<(User, MemberRow)> {
    let user = user_from_row(row)?;
    let member = MemberRow {
        user_id: user.id,
        community_id: col_id(row, "m_community_id")?,
        module_id: col_id(row, "m_module_id")?,
        username: col(row, "m_username")?,
        role: Role::parse(&col::<String>(row, "m_role")?).ok_or_else(|| corrupt("member role"))?,
        profile: serde_json::from_str(&col::<String>(row, "m_profile")?).map_err(|_| corrupt("member profile"))?,
        locked_until: col_ts_opt(row, "m_locked_until")?,
        created_at: col_ts(row, "m_created_at")?,
        updated_at: col_ts(row, "m_updated_at")?,
    };
    Ok((user, member))
}

fn license_from_row(row: &DbRow) -> Result<AccessLicense> {
    Ok(AccessLicense {
        digest: col(row, "digest")?,
        tenant_id: col_id(row, "tenant_id")?,
        community_id: col::<Option<String>>(row, "community_id")?
            .map(|c| c.parse().map_err(|_| corrupt("community id")))
            .transpose()?,
        tag: col(row, "tag")?,
        auth_level: col(row, "auth_level")?,
        created_at: col_ts(row, "created_at")?,
    })
}

pub(crate) async fn insert_tenant_domain_row(conn: &mut Conn, d: &TenantDomain) -> Result<()> {
    sqlx::query("INSERT INTO tenant_domains (tenant_id, tag, dns, created_at) VALUES ($1, $2, $3, $4)")
        .bind(d.tenant_id.to_string())
        .bind(&d.tag)
        .bind(&d.dns)
        .bind(ts(d.created_at))
        .execute(&mut *conn)
        .await
        .map_err(unique_or(ErrorCode::TenantDomainTaken))?;
    Ok(())
}

pub(crate) async fn rename_community_row(conn: &mut Conn, id: CommunityId, name: &str) -> Result<()> {
    let rows = sqlx::query("UPDATE communities SET name = $2 WHERE id = $1")
        .bind(id.to_string())
        .bind(name)
        .execute(&mut *conn)
        .await
        .map_err(unique_or(ErrorCode::CommunityNameTaken))?
        .rows_affected();
    one_row(rows, ErrorCode::CommunityNotFound)
}

pub(crate) async fn insert_auth_module_row(conn: &mut Conn, m: &AuthModule) -> Result<()> {
    sqlx::query(
        "INSERT INTO auth_modules (id, tenant_id, community_id, kind, name, enabled, mode, is_default, config, secret, \
         script, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
    )
    .bind(m.id.to_string())
    .bind(m.tenant_id.to_string())
    .bind(m.community_id.to_string())
    .bind(m.kind.as_str())
    .bind(&m.name)
    .bind(m.enabled)
    .bind(&m.mode)
    .bind(m.is_default)
    .bind(m.config.to_string())
    .bind(&m.secret)
    .bind(&m.script)
    .bind(ts(m.created_at))
    .bind(ts(m.updated_at))
    .execute(&mut *conn)
    .await
    .map_err(unique_or(ErrorCode::AuthModuleNameTaken))?;
    Ok(())
}

pub(crate) async fn update_auth_module_row(conn: &mut Conn, m: &AuthModule) -> Result<()> {
    let rows = sqlx::query(
        "UPDATE auth_modules SET name = $2, enabled = $3, config = $4, secret = $5, script = $6, updated_at = $7 WHERE id = $1",
    )
    .bind(m.id.to_string())
    .bind(&m.name)
    .bind(m.enabled)
    .bind(m.config.to_string())
    .bind(&m.secret)
    .bind(&m.script)
    .bind(ts(m.updated_at))
    .execute(&mut *conn)
    .await
    .map_err(unique_or(ErrorCode::AuthModuleNameTaken))?
    .rows_affected();
    one_row(rows, ErrorCode::AuthModuleNotFound)
}

pub(crate) async fn delete_auth_module_row(conn: &mut Conn, id: AuthModuleId) -> Result<()> {
    let rows =
        sqlx::query("DELETE FROM auth_modules WHERE id = $1 AND NOT is_default").bind(id.to_string()).run(&mut *conn).await?;
    one_row(rows, ErrorCode::AuthModuleNotFound)
}

/// Gives the users of `community` that have no row one in `module`; a user whose login name
/// is taken in the module already is left without one.
pub(crate) async fn adopt_community_users(
    conn: &mut Conn,
    community: CommunityId,
    module: AuthModuleId,
    at: Timestamp,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO members (user_id, community_id, module_id, username, role, profile, locked_until, created_at, updated_at) \
         SELECT u.id, u.community_id, $2, LOWER(COALESCE(u.username, u.email)), \
                CASE WHEN u.role = 'superadmin' THEN 'tenant_admin' ELSE 'basic' END, '{}', NULL, $3, $3 \
         FROM users u WHERE u.community_id = $1 AND u.owner_id IS NULL \
         ON CONFLICT DO NOTHING",
    )
    .bind(community.to_string())
    .bind(module.to_string())
    .bind(ts(at))
    .run(&mut *conn)
    .await?;
    Ok(())
}

/// A new user of a community that has auth modules becomes a user of its default module
/// (written with the user, whichever face makes it).
pub(crate) async fn adopt_new_user(conn: &mut Conn, user: &User) -> Result<()> {
    if user.owner_id.is_some() {
        return Ok(());
    }
    sqlx::query(
        "INSERT INTO members (user_id, community_id, module_id, username, role, profile, locked_until, created_at, updated_at) \
         SELECT $1, $2, a.id, $3, $4, '{}', NULL, $5, $5 FROM auth_modules a WHERE a.community_id = $2 AND a.is_default \
         ON CONFLICT DO NOTHING",
    )
    .bind(user.id.to_string())
    .bind(user.community_id.to_string())
    .bind(user.username.clone().unwrap_or_else(|| user.email.as_str().to_string()).to_lowercase())
    .bind(if user.role == keyhall_core::identity::users::SUPERADMIN_ROLE { Role::TenantAdmin } else { Role::Basic }.as_str())
    .bind(ts(user.created_at))
    .run(&mut *conn)
    .await?;
    Ok(())
}

pub(crate) async fn put_member_row(conn: &mut Conn, m: &MemberRow) -> Result<()> {
    let profile = serde_json::to_string(&m.profile).map_err(DomainError::internal)?;
    sqlx::query(
        "INSERT INTO members (user_id, community_id, module_id, username, role, profile, locked_until, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
         ON CONFLICT (user_id) DO UPDATE SET community_id = excluded.community_id, module_id = excluded.module_id, \
         username = excluded.username, role = excluded.role, profile = excluded.profile, \
         locked_until = excluded.locked_until, updated_at = excluded.updated_at",
    )
    .bind(m.user_id.to_string())
    .bind(m.community_id.to_string())
    .bind(m.module_id.to_string())
    .bind(&m.username)
    .bind(m.role.as_str())
    .bind(profile)
    .bind(m.locked_until.map(ts))
    .bind(ts(m.created_at))
    .bind(ts(m.updated_at))
    .execute(&mut *conn)
    .await
    .map_err(|e| if is_unique_violation(&e) { DomainError::new(ErrorCode::UsernameTaken).field("username") } else { db(e) })?;
    Ok(())
}

pub(crate) async fn insert_license_row(conn: &mut Conn, l: &AccessLicense) -> Result<()> {
    sqlx::query("INSERT INTO access_licenses (digest, tenant_id, community_id, tag, auth_level, created_at) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(&l.digest)
        .bind(l.tenant_id.to_string())
        .bind(l.community_id.map(|c| c.to_string()))
        .bind(&l.tag)
        .bind(&l.auth_level)
        .bind(ts(l.created_at))
        .run(&mut *conn)
        .await?;
    Ok(())
}

/// Replaces the user's aliases; one another user of the community has is `alias.taken`.
pub(crate) async fn set_aliases_rows(conn: &mut Conn, community: CommunityId, user: UserId, aliases: &[String]) -> Result<()> {
    sqlx::query("DELETE FROM member_aliases WHERE user_id = $1").bind(user.to_string()).run(&mut *conn).await?;
    for alias in aliases {
        sqlx::query("INSERT INTO member_aliases (community_id, alias, user_id) VALUES ($1, $2, $3)")
            .bind(community.to_string())
            .bind(alias)
            .bind(user.to_string())
            .execute(&mut *conn)
            .await
            .map_err(|e| {
                if is_unique_violation(&e) {
                    DomainError::new(ErrorCode::AliasTaken).field("aliases").detail(format!("{alias} is another user's alias"))
                } else {
                    db(e)
                }
            })?;
    }
    Ok(())
}

/// `list_members` with its order: by username, or by creation; ascending or not.
macro_rules! member_page {
    ($order:literal) => {
        concat!(member_select!(), member_filter!(), "ORDER BY ", $order, " LIMIT $7 OFFSET $8")
    };
}

#[async_trait::async_trait]
impl ports::DirectoryRepo for Store {
    async fn tenant_domain(&self, tenant: TenantId) -> Result<Option<TenantDomain>> {
        sqlx::query("SELECT tenant_id, tag, dns, created_at FROM tenant_domains WHERE tenant_id = $1")
            .bind(tenant.to_string())
            .optional(self.read_pool(), domain_from_row)
            .await
    }

    async fn tenant_domain_by_dns(&self, dns: &str) -> Result<Option<TenantDomain>> {
        sqlx::query("SELECT tenant_id, tag, dns, created_at FROM tenant_domains WHERE dns = $1")
            .bind(dns)
            .optional(self.read_pool(), domain_from_row)
            .await
    }

    async fn tenant_domain_by_tag(&self, tag: &str) -> Result<Option<TenantDomain>> {
        sqlx::query("SELECT tenant_id, tag, dns, created_at FROM tenant_domains WHERE tag = $1")
            .bind(tag)
            .optional(self.read_pool(), domain_from_row)
            .await
    }

    async fn community(&self, id: CommunityId) -> Result<Option<Community>> {
        sqlx::query("SELECT id, tenant_id, name, is_default, created_at FROM communities WHERE id = $1")
            .bind(id.to_string())
            .optional(self.read_pool(), community_from_row)
            .await
    }

    async fn community_by_name(&self, tenant: TenantId, name: &str) -> Result<Option<Community>> {
        sqlx::query("SELECT id, tenant_id, name, is_default, created_at FROM communities WHERE tenant_id = $1 AND name = $2")
            .bind(tenant.to_string())
            .bind(name)
            .optional(self.read_pool(), community_from_row)
            .await
    }

    async fn auth_modules(&self, community: CommunityId) -> Result<Vec<AuthModule>> {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {MODULE_COLS} FROM auth_modules WHERE community_id = $1 ORDER BY is_default DESC, name, id"
        )))
        .bind(community.to_string())
        .all(self.read_pool(), module_from_row)
        .await
    }

    async fn auth_module(&self, id: AuthModuleId) -> Result<Option<AuthModule>> {
        sqlx::query(sqlx::AssertSqlSafe(format!("SELECT {MODULE_COLS} FROM auth_modules WHERE id = $1")))
            .bind(id.to_string())
            .optional(self.read_pool(), module_from_row)
            .await
    }

    async fn member(&self, user: UserId) -> Result<Option<(User, MemberRow)>> {
        sqlx::query(concat!(member_select!(), "WHERE m.user_id = $1"))
            .bind(user.to_string())
            .optional(self.read_pool(), member_from_row)
            .await
    }

    async fn find_member(&self, community: CommunityId, username: &str) -> Result<Option<(User, MemberRow)>> {
        // Login names are unique per module: the default module's user wins a tie.
        sqlx::query(concat!(
            member_select!(),
            "JOIN auth_modules a ON a.id = m.module_id WHERE m.community_id = $1 AND m.username = $2 ",
            "ORDER BY a.is_default DESC LIMIT 1"
        ))
        .bind(community.to_string())
        .bind(username)
        .optional(self.read_pool(), member_from_row)
        .await
    }

    async fn list_members(&self, community: CommunityId, q: &MemberQuery) -> Result<(Vec<(User, MemberRow)>, i64)> {
        let sql = match (q.sort_by_created, q.descending) {
            (false, false) => member_page!("m.username, m.user_id"),
            (false, true) => member_page!("m.username DESC, m.user_id"),
            (true, false) => member_page!("u.created_at, m.user_id"),
            (true, true) => member_page!("u.created_at DESC, m.user_id"),
        };
        let search = q.search.as_ref().map(|s| format!("%{}%", s.to_lowercase().replace(['%', '_'], "")));
        let binds = (
            community.to_string(),
            q.module.map(|m| m.to_string()),
            search,
            q.username.as_ref().map(|u| u.to_lowercase()),
            q.email.as_ref().map(|e| e.to_lowercase()),
            q.role.map(|r| r.as_str().to_string()),
        );
        let rows = sqlx::query(sql)
            .bind(binds.0.clone())
            .bind(binds.1.clone())
            .bind(binds.2.clone())
            .bind(binds.3.clone())
            .bind(binds.4.clone())
            .bind(binds.5.clone())
            .bind(q.limit)
            .bind(q.offset)
            .all(self.read_pool(), member_from_row)
            .await?;
        let row = sqlx::query(concat!("SELECT COUNT(*) AS n FROM members m JOIN users u ON u.id = m.user_id ", member_filter!()))
            .bind(binds.0)
            .bind(binds.1)
            .bind(binds.2)
            .bind(binds.3)
            .bind(binds.4)
            .bind(binds.5)
            .fetch_one(self.read_pool())
            .await
            .map_err(db)?;
        Ok((rows, col(&row, "n")?))
    }

    async fn count_members(&self, community: CommunityId) -> Result<Vec<(AuthModuleId, i64)>> {
        sqlx::query("SELECT module_id, COUNT(*) AS n FROM members WHERE community_id = $1 GROUP BY module_id")
            .bind(community.to_string())
            .all(self.read_pool(), |r| Ok((col_id(r, "module_id")?, col(r, "n")?)))
            .await
    }

    async fn alias_holder(&self, community: CommunityId, alias: &str) -> Result<Option<UserId>> {
        sqlx::query("SELECT user_id FROM member_aliases WHERE community_id = $1 AND alias = $2")
            .bind(community.to_string())
            .bind(alias)
            .optional(self.read_pool(), |r| col_id(r, "user_id"))
            .await
    }

    async fn aliases(&self, user: UserId) -> Result<Vec<String>> {
        sqlx::query("SELECT alias FROM member_aliases WHERE user_id = $1 ORDER BY alias")
            .bind(user.to_string())
            .all(self.read_pool(), |r| col(r, "alias"))
            .await
    }

    async fn find_access_code(&self, digest: &str) -> Result<Option<AccessCode>> {
        find_access_code(self, digest).await
    }

    async fn list_access_codes(&self, community: CommunityId, users: &[UserId]) -> Result<Vec<AccessCode>> {
        list_access_codes(self, community, users).await
    }

    async fn find_license(&self, digest: &str) -> Result<Option<AccessLicense>> {
        sqlx::query("SELECT digest, tenant_id, community_id, tag, auth_level, created_at FROM access_licenses WHERE digest = $1")
            .bind(digest)
            .optional(self.read_pool(), license_from_row)
            .await
    }
}

const ACCESS_CODE_COLS: &str =
    "id, digest, tenant_id, community_id, user_id, kind, status, created_by, payload, created_at, expires_at, redeemed_at";

fn access_code_from_row(row: &DbRow) -> Result<AccessCode> {
    Ok(AccessCode {
        id: col(row, "id")?,
        digest: col(row, "digest")?,
        scope: keyhall_core::adminx::Scope { tenant: col_id(row, "tenant_id")?, community: col_id(row, "community_id")? },
        user_id: col::<Option<String>>(row, "user_id")?.map(|u| u.parse().map_err(|_| corrupt("user id"))).transpose()?,
        kind: col(row, "kind")?,
        status: col(row, "status")?,
        created_by: col(row, "created_by")?,
        payload: serde_json::from_str(&col::<String>(row, "payload")?).map_err(|_| corrupt("access code payload"))?,
        created_at: col_ts(row, "created_at")?,
        expires_at: col_ts(row, "expires_at")?,
        redeemed_at: col_ts_opt(row, "redeemed_at")?,
    })
}

pub(crate) async fn insert_access_code_row(conn: &mut Conn, c: &AccessCode) -> Result<()> {
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "INSERT INTO access_codes ({ACCESS_CODE_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
    )))
    .bind(&c.id)
    .bind(&c.digest)
    .bind(c.scope.tenant.to_string())
    .bind(c.scope.community.to_string())
    .bind(c.user_id.map(|u| u.to_string()))
    .bind(&c.kind)
    .bind(&c.status)
    .bind(&c.created_by)
    .bind(c.payload.to_string())
    .bind(ts(c.created_at))
    .bind(ts(c.expires_at))
    .bind(c.redeemed_at.map(ts))
    .run(&mut *conn)
    .await?;
    Ok(())
}

pub(crate) async fn revoke_access_codes_rows(conn: &mut Conn, user: UserId, kind: &str) -> Result<()> {
    sqlx::query("UPDATE access_codes SET status = 'revoked' WHERE user_id = $1 AND kind = $2 AND status = 'pending'")
        .bind(user.to_string())
        .bind(kind)
        .run(&mut *conn)
        .await?;
    Ok(())
}

/// Spends a pending code (a code redeemed concurrently is `access_code.not_found`).
pub(crate) async fn redeem_access_code_row(conn: &mut Conn, id: &str, at: Timestamp) -> Result<()> {
    let rows = sqlx::query("UPDATE access_codes SET status = 'redeemed', redeemed_at = $2 WHERE id = $1 AND status = 'pending'")
        .bind(id)
        .bind(ts(at))
        .run(&mut *conn)
        .await?;
    one_row(rows, ErrorCode::AccessCodeNotFound)
}

pub(crate) async fn delete_access_code_row(conn: &mut Conn, community: CommunityId, id: &str) -> Result<()> {
    let rows = sqlx::query("DELETE FROM access_codes WHERE id = $1 AND community_id = $2")
        .bind(id)
        .bind(community.to_string())
        .run(&mut *conn)
        .await?;
    one_row(rows, ErrorCode::AccessCodeNotFound)
}

/// The reads of access codes (`DirectoryRepo`).
pub(crate) async fn find_access_code(store: &Store, digest: &str) -> Result<Option<AccessCode>> {
    sqlx::query(sqlx::AssertSqlSafe(format!("SELECT {ACCESS_CODE_COLS} FROM access_codes WHERE digest = $1")))
        .bind(digest)
        .optional(store.read_pool(), access_code_from_row)
        .await
}

pub(crate) async fn list_access_codes(store: &Store, community: CommunityId, users: &[UserId]) -> Result<Vec<AccessCode>> {
    let mut out = Vec::new();
    for user in users {
        let mut rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {ACCESS_CODE_COLS} FROM access_codes WHERE community_id = $1 AND user_id = $2 ORDER BY created_at DESC LIMIT 100"
        )))
        .bind(community.to_string())
        .bind(user.to_string())
        .all(store.read_pool(), access_code_from_row)
        .await?;
        out.append(&mut rows);
    }
    Ok(out)
}
