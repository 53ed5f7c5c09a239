//! The store contract: what the core relies on from any store, checked against SQLite always
//! and PostgreSQL when `KEYHALL_TEST_DATABASE_URL` is set (and the ignored tests are run). Each test makes its own database
//! (SQLite file) or schema (PostgreSQL).

use std::sync::Arc;

mod collections;

use keyhall_core::ErrorCode;
use keyhall_core::audit::{AuditEvent, AuditQuery};
use keyhall_core::auth::api_tokens::ApiToken;
use keyhall_core::auth::sessions::Session;
use keyhall_core::comet::billing::BillingRecord;
use keyhall_core::comet::cloudview::{CloudView, CloudViewStatus};
use keyhall_core::comet::licenses::License;
use keyhall_core::credentials::challenges::{Challenge, ChallengeKind};
use keyhall_core::credentials::{Credential, CredentialKind};
use keyhall_core::identity::users::{User, UserFlags, UserStatus};
use keyhall_core::ports::{Store, UnitOfWork, Write};
use keyhall_core::tenancy::tenants::{Community, CompanyProfile, Tenant, TenantStatus};
use keyhall_types::*;
use time::OffsetDateTime;

struct Fixture {
    store: Arc<dyn Store>,
    raw: Raw,
    _dir: tempfile::TempDir,
    /// The PostgreSQL database and the schema made for this fixture.
    schema: Option<(String, String)>,
}

/// A second connection to the same database, for checks below the repository API.
enum Raw {
    Sqlite(std::path::PathBuf),
    Postgres(String),
}

impl Raw {
    /// Every (table, column) of the schema, keyhall's own tables only.
    async fn columns(&self) -> std::collections::BTreeSet<(String, String)> {
        use sqlx::{Connection, Row};
        let pairs: Vec<(String, String)> = match self {
            Raw::Sqlite(path) => {
                let mut c = sqlx::SqliteConnection::connect(&format!("sqlite:{}", path.display())).await.unwrap();
                let sql = "SELECT m.name AS t, p.name AS c FROM sqlite_master m JOIN pragma_table_info(m.name) p \
                           WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%'";
                let rows = sqlx::query(sql).fetch_all(&mut c).await.unwrap();
                rows.iter().map(|r| (r.get("t"), r.get("c"))).collect()
            }
            Raw::Postgres(url) => {
                let mut c = sqlx::PgConnection::connect(url).await.unwrap();
                let sql = "SELECT table_name::text AS t, column_name::text AS c FROM information_schema.columns \
                           WHERE table_schema = current_schema()";
                let rows = sqlx::query(sql).fetch_all(&mut c).await.unwrap();
                rows.iter().map(|r| (r.get("t"), r.get("c"))).collect()
            }
        };
        pairs.into_iter().filter(|(t, _)| !t.starts_with("_sqlx")).collect()
    }

    async fn execute(&self, sql: &str) -> Result<u64, sqlx::Error> {
        use sqlx::Connection;
        let sql = sqlx::AssertSqlSafe(sql.to_string());
        match self {
            Raw::Sqlite(path) => {
                let mut c = sqlx::SqliteConnection::connect(&format!("sqlite:{}", path.display())).await?;
                Ok(sqlx::query(sql).execute(&mut c).await?.rows_affected())
            }
            Raw::Postgres(url) => {
                let mut c = sqlx::PgConnection::connect(url).await?;
                Ok(sqlx::query(sql).execute(&mut c).await?.rows_affected())
            }
        }
    }
}

impl Fixture {
    async fn sqlite() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keyhall.db");
        let store = keyhall_store::open(None, dir.path()).await.unwrap();
        Fixture { store, raw: Raw::Sqlite(path), _dir: dir, schema: None }
    }

    /// A new schema of `KEYHALL_TEST_DATABASE_URL`, dropped after the test (`drop_schema`). The tests
    /// that use it are `#[ignore]`d unless the variable is set (bin/test passes
    /// `--include-ignored` then), so that a run without PostgreSQL counts them as not run.
    async fn postgres() -> Self {
        use sqlx::Connection;
        let base = std::env::var("KEYHALL_TEST_DATABASE_URL")
            .ok()
            .filter(|u| !u.is_empty())
            .expect("KEYHALL_TEST_DATABASE_URL must name the PostgreSQL database for this test");
        let schema = format!("kh_contract_{}", uuid::Uuid::new_v4().simple());
        let mut c = sqlx::PgConnection::connect(&base).await.unwrap();
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}"))).execute(&mut c).await.unwrap();
        let sep = if base.contains('?') { '&' } else { '?' };
        let url = format!("{base}{sep}options=-c%20search_path%3D{schema}");
        let store = keyhall_store::open(Some(&url), std::path::Path::new("/nonexistent")).await.unwrap();
        Fixture { store, raw: Raw::Postgres(url), _dir: tempfile::tempdir().unwrap(), schema: Some((base, schema)) }
    }
}

/// Drops a fixture's PostgreSQL schema, after the test (its store gone with it): awaited in
/// the test's own runtime, which goes on running the store's pending rollbacks meanwhile (a
/// `Drop` that blocked it waited for their locks forever).
async fn drop_schema(schema: Option<(String, String)>) {
    use sqlx::Connection;
    let Some((base, schema)) = schema else { return };
    let dropped = async {
        let mut c = sqlx::PgConnection::connect(&base).await?;
        sqlx::raw_sql("SET lock_timeout = '10s'").execute(&mut c).await?;
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))).execute(&mut c).await?;
        Ok::<_, sqlx::Error>(())
    };
    if let Err(e) = dropped.await {
        eprintln!("could not drop the test schema {schema}: {e}");
    }
}

/// Runs the contract check `$name(fixture)` on SQLite, and on PostgreSQL when asked to.
#[macro_export]
macro_rules! contract {
    ($name:ident) => {
        mod $name {
            #[tokio::test]
            async fn sqlite() {
                super::$name(super::Fixture::sqlite().await).await;
            }

            #[tokio::test]
            #[ignore = "needs PostgreSQL: set KEYHALL_TEST_DATABASE_URL and pass --include-ignored (bin/test does both)"]
            async fn postgres() {
                let fixture = super::Fixture::postgres().await;
                let schema = fixture.schema.clone();
                super::$name(fixture).await;
                super::drop_schema(schema).await;
            }
        }
    };
}

fn now() -> OffsetDateTime {
    // Whole microseconds: what both stores keep.
    let t = OffsetDateTime::now_utc();
    t.replace_nanosecond(t.nanosecond() / 1000 * 1000).unwrap()
}

fn audit(tenant: TenantId, action: &str) -> AuditEvent {
    AuditEvent::by_system(tenant, action, "test", None, now())
}

/// Commits `writes` with one audit record, as a command would.
async fn commit(store: &dyn Store, tenant: TenantId, action: &str, writes: Vec<Write>) -> keyhall_core::Result<()> {
    store.commit(UnitOfWork { writes, audit: vec![audit(tenant, action)] }).await
}

fn user(tenant: TenantId, community: CommunityId, email: &str) -> User {
    let t = now();
    User {
        id: UserId::new(),
        uid: keyhall_core::identity::users::new_uid("ID"),
        tenant_id: tenant,
        community_id: community,
        email: Email::parse(email).unwrap(),
        username: None,
        referral_id: None,
        data: None,
        owner_id: None,
        contact_name: "Test".into(),
        status: UserStatus::Active,
        role: "member".into(),
        flags: UserFlags::default(),
        created_at: t,
        updated_at: t,
    }
}

/// A tenant with its owner and a token; returns (tenant, community, owner, token digest).
async fn tenant(store: &dyn Store) -> (Tenant, Community, User, String) {
    let t = now();
    let tenant = Tenant {
        id: TenantId::new(),
        name: "T".into(),
        status: TenantStatus::Active,
        profile: CompanyProfile::default(),
        created_at: t,
        updated_at: t,
    };
    let community =
        Community { id: CommunityId::new(), tenant_id: tenant.id, name: "default".into(), is_default: true, created_at: t };
    let owner = user(tenant.id, community.id, &format!("owner-{}@example.com", uuid::Uuid::new_v4().simple()));
    let digest = format!("{:064x}", uuid::Uuid::new_v4().as_u128());
    let token = ApiToken {
        id: TokenId::new(),
        tenant_id: tenant.id,
        user_id: owner.id,
        visible_prefix: "kh_abcde".into(),
        permissions: vec!["A::B".into()],
        created_at: t,
        updated_at: t,
        revoked_at: None,
        last_used_at: None,
    };
    let password = Credential::new(owner.id, CredentialKind::Password, "$argon2id$x".into(), String::new(), t);
    let writes = vec![
        Write::InsertTenant { tenant: tenant.clone(), community: community.clone() },
        Write::InsertUser(owner.clone()),
        Write::InsertCredential(password),
        Write::InsertToken { token, digest: digest.clone() },
    ];
    commit(store, tenant.id, "tenant.create", writes).await.unwrap();
    (tenant, community, owner, digest)
}

contract!(tenants_users_and_unique_emails);
async fn tenants_users_and_unique_emails(f: Fixture) {
    {
        let s = f.store.as_ref();
        assert!(!s.any_user().await.unwrap());
        let (t, c, owner, digest) = tenant(s).await;
        assert!(s.any_user().await.unwrap());
        assert_eq!(s.get_tenant(t.id).await.unwrap().unwrap(), t);
        assert_eq!(s.default_community(t.id).await.unwrap().unwrap(), c);
        assert_eq!(s.get_user(t.id, owner.id).await.unwrap().unwrap(), owner);
        let record = s.find_token(&digest).await.unwrap().unwrap();
        assert!(record.tenant_active);
        assert_eq!(record.token.permissions, vec!["A::B".to_string()]);
        let dup = user(t.id, c.id, owner.email.as_str());
        let e = commit(s, t.id, "user.create", vec![Write::InsertUser(dup)]).await.unwrap_err();
        assert_eq!(e.code, ErrorCode::EmailTaken);
        assert_eq!(s.list_users(t.id).await.unwrap().len(), 1, "the failed insert left nothing");
        // The same address in another tenant is fine.
        let (t2, c2, _, _) = tenant(s).await;
        commit(s, t2.id, "user.create", vec![Write::InsertUser(user(t2.id, c2.id, owner.email.as_str()))]).await.unwrap();
        assert_eq!(s.find_user_by_email(t2.id, &owner.email).await.unwrap().unwrap().tenant_id, t2.id);
    }
}

contract!(audit_log_is_append_only_and_outlives_its_tenant);
async fn audit_log_is_append_only_and_outlives_its_tenant(f: Fixture) {
    {
        let s = f.store.as_ref();
        let (t, _, _, _) = tenant(s).await;
        assert!(f.raw.execute("UPDATE audit_log SET action = 'forged'").await.is_err());
        assert!(f.raw.execute("DELETE FROM audit_log").await.is_err());
        s.delete_tenant(t.id, &audit(t.id, "tenant.delete")).await.unwrap();
        assert!(s.get_tenant(t.id).await.unwrap().is_none());
        let log = s.list_audit(&AuditQuery { tenant_id: Some(t.id), limit: 10, ..Default::default() }).await.unwrap();
        let actions: Vec<&str> = log.iter().map(|a| a.action.as_str()).collect();
        assert_eq!(actions, ["tenant.delete", "tenant.create"]);
        let only = s
            .list_audit(&AuditQuery {
                tenant_id: Some(t.id),
                action_prefix: Some("tenant.del".into()),
                limit: 10,
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(only.len(), 1);
    }
}

contract!(optimistic_updates_refuse_stale_revisions);
async fn optimistic_updates_refuse_stale_revisions(f: Fixture) {
    {
        let s = f.store.as_ref();
        let (t, _, _, _) = tenant(s).await;
        let at = now();
        let license = License {
            id: LicenseId::new(),
            tenant_id: t.id,
            serial: format!("S-{}", uuid::Uuid::new_v4().simple()),
            name: "n".into(),
            comment: String::new(),
            server_version: String::new(),
            num_clients_online: 0,
            num_boosters_online: 0,
            is_archived: false,
            enabled: true,
            allowed_ip_address: "10.0.0.1".into(),
            allowed_machine_id: "m".into(),
            favourited: false,
            region_code: None,
            created_at: at,
            updated_at: at,
            revision: 0,
        };
        let charge = BillingRecord {
            id: BillingRecordId::new(),
            tenant_id: t.id,
            occurred_at: at,
            description: "d".into(),
            service_kind: "license".into(),
            service_ref: license.serial.clone(),
            quantity: 1,
            unit_price_cents: 5,
            amount_cents: 5,
            currency: "USD".into(),
        };
        s.insert_license(&license, &charge, &audit(t.id, "license.create")).await.unwrap();
        assert_eq!(s.get_license(t.id, &license.serial).await.unwrap().unwrap(), license);
        let mut next = license.clone();
        next.name = "renamed".into();
        next.revision = 1;
        assert!(s.update_license(&next, 0, &audit(t.id, "license.set_name")).await.unwrap());
        let mut stale = license.clone();
        stale.name = "lost update".into();
        stale.revision = 1;
        assert!(!s.update_license(&stale, 0, &audit(t.id, "license.set_name")).await.unwrap());
        assert_eq!(s.get_license(t.id, &license.serial).await.unwrap().unwrap().name, "renamed");
        assert_eq!(s.list_billing(t.id).await.unwrap(), vec![charge]);

        // CloudView: revision 0 means "insert"; a second insert loses.
        let cv = CloudView {
            tenant_id: t.id,
            status: CloudViewStatus::Provisioning,
            mode: keyhall_core::comet::cloudview::CloudViewMode::Trial,
            status_due_at: Some(at),
            updated_at: at,
            revision: 1,
        };
        assert!(s.put_cloudview(&cv, 0, &audit(t.id, "cloudview.provision")).await.unwrap());
        assert!(!s.put_cloudview(&cv, 0, &audit(t.id, "cloudview.provision")).await.unwrap());
        assert_eq!(s.advance_lifecycles(at + time::Duration::seconds(1)).await.unwrap(), 1);
        assert_eq!(s.get_cloudview(t.id).await.unwrap().unwrap().status, CloudViewStatus::Ready);
    }
}

contract!(challenges_are_single_use_and_expire);
async fn challenges_are_single_use_and_expire(f: Fixture) {
    {
        let s = f.store.as_ref();
        let (t, _, owner, _) = tenant(s).await;
        let at = now();
        let ch = |expires| Challenge {
            id: ChallengeId::new(),
            tenant_id: t.id,
            user_id: owner.id,
            kind: ChallengeKind::WebauthnRegistration,
            state: "state".into(),
            created_at: at,
            expires_at: expires,
        };
        s.put_challenge(&ch(at + time::Duration::minutes(5)), None).await.unwrap();
        let replaced = ch(at + time::Duration::minutes(5));
        s.put_challenge(&replaced, None).await.unwrap();
        assert_eq!(s.take_challenge(owner.id, ChallengeKind::WebauthnRegistration, at).await.unwrap().unwrap().id, replaced.id);
        assert!(s.take_challenge(owner.id, ChallengeKind::WebauthnRegistration, at).await.unwrap().is_none());
        s.put_challenge(&ch(at - time::Duration::seconds(1)), None).await.unwrap();
        assert!(s.take_challenge(owner.id, ChallengeKind::WebauthnRegistration, at).await.unwrap().is_none(), "expired");
    }
}

contract!(a_sign_in_reads_the_user_with_its_credentials_and_both_counters_at_once);
async fn a_sign_in_reads_the_user_with_its_credentials_and_both_counters_at_once(f: Fixture) {
    use keyhall_core::ports::Attempt;
    {
        let s = f.store.as_ref();
        let (t, _, owner, _) = tenant(s).await;
        let (found, credentials) = s.find_user_with_credentials(t.id, &owner.email).await.unwrap().unwrap();
        assert_eq!(
            (found.id, credentials.iter().map(|c| c.kind).collect::<Vec<_>>()),
            (owner.id, vec![CredentialKind::Password])
        );
        let totp = Credential::new(owner.id, CredentialKind::Totp, "sealed".into(), String::new(), now());
        commit(s, t.id, "mfa.totp_enable", vec![Write::ReplaceTotp(totp.clone())]).await.unwrap();
        let (_, credentials) = s.find_user_with_credentials(t.id, &owner.email).await.unwrap().unwrap();
        assert_eq!(credentials.iter().map(|c| c.kind).collect::<Vec<_>>(), [CredentialKind::Password, CredentialKind::Totp]);
        assert_eq!(credentials[1], totp);
        let stranger = Email::parse("nobody@example.com").unwrap();
        assert!(s.find_user_with_credentials(t.id, &stranger).await.unwrap().is_none());

        let (at, window) = (now(), now() - time::Duration::minutes(15));
        let (account, address) = (format!("account:{}:a", t.id), format!("ip:{}:10.0.0.1", t.id));
        assert_eq!(
            s.reserve_attempt_and_peek(&account, 5, window, at, &address).await.unwrap(),
            (Attempt::Allowed { failures: 1, lockouts: 0 }, (0, None))
        );
        s.reserve_attempt(&address, i64::MAX, window, at).await.unwrap();
        s.reserve_attempt(&address, i64::MAX, window, at).await.unwrap();
        let until = at + time::Duration::minutes(15);
        s.lock_attempts(&address, until).await.unwrap();
        let (attempt, (failures, locked)) = s.reserve_attempt_and_peek(&account, 5, window, at, &address).await.unwrap();
        assert_eq!((attempt, failures), (Attempt::Allowed { failures: 2, lockouts: 0 }, 2));
        assert_eq!(locked.map(|l| l.unix_timestamp()), Some(until.unix_timestamp()));
        // Failures counted before the window are not counted.
        let later = at + time::Duration::minutes(20);
        let (_, (failures, _)) =
            s.reserve_attempt_and_peek(&account, 5, later - time::Duration::minutes(15), later, &address).await.unwrap();
        assert_eq!(failures, 0);
    }
}

contract!(stale_login_counters_are_purged_and_recent_locks_kept);
async fn stale_login_counters_are_purged_and_recent_locks_kept(f: Fixture) {
    use keyhall_core::ports::Attempt;
    {
        let s = f.store.as_ref();
        let (t, _, _, _) = tenant(s).await;
        let key = |name: &str| format!("account:{}:{name}", t.id);
        let (now, window) = (now(), time::Duration::minutes(15));
        let (hour_ago, two_days_ago) = (now - time::Duration::hours(1), now - time::Duration::days(2));
        // Failed an hour ago, never locked: stale. Failed now: live.
        s.reserve_attempt(&key("stale"), 5, hour_ago - window, hour_ago).await.unwrap();
        s.reserve_attempt(&key("live"), 5, now - window, now).await.unwrap();
        // Locked two days ago (lock long over) and an hour ago (lock over, but recent).
        s.reserve_attempt(&key("old-lock"), 5, two_days_ago - window, two_days_ago).await.unwrap();
        s.lock_attempts(&key("old-lock"), two_days_ago + window).await.unwrap();
        s.reserve_attempt(&key("recent-lock"), 5, hour_ago - window, hour_ago).await.unwrap();
        s.lock_attempts(&key("recent-lock"), hour_ago + window).await.unwrap();
        assert_eq!(s.purge_attempts(now - window, now - time::Duration::hours(24)).await.unwrap(), 2);
        let failures = |name: &str| {
            let k = key(name);
            async move { s.peek_attempts(&k, two_days_ago - window).await.unwrap().0 }
        };
        assert_eq!((failures("stale").await, failures("old-lock").await), (0, 0));
        assert_eq!((failures("live").await, failures("recent-lock").await), (1, 1));
        // The kept lock still counts toward the next one.
        assert_eq!(
            s.reserve_attempt(&key("recent-lock"), 5, now - window, now).await.unwrap(),
            Attempt::Allowed { failures: 1, lockouts: 1 }
        );
    }
}

contract!(a_totp_step_is_consumed_once_under_concurrency);
async fn a_totp_step_is_consumed_once_under_concurrency(f: Fixture) {
    {
        let (t, _, owner, _) = tenant(f.store.as_ref()).await;
        let cred = Credential::new(owner.id, CredentialKind::Totp, "sealed".into(), String::new(), now());
        commit(f.store.as_ref(), t.id, "mfa.totp_enable", vec![Write::ReplaceTotp(cred.clone())]).await.unwrap();
        assert!(f.store.get_user(t.id, owner.id).await.unwrap().unwrap().flags.twofa_required);
        let mut tasks = Vec::new();
        for _ in 0..20 {
            let store = f.store.clone();
            tasks.push(tokio::spawn(async move { store.consume_totp_step(cred.id, 1000).await.unwrap() }));
        }
        let mut wins = 0;
        for task in tasks {
            wins += task.await.unwrap() as u32;
        }
        assert_eq!(wins, 1);
        assert!(f.store.consume_totp_step(cred.id, 999).await.unwrap(), "another step of the window works once");
        assert!(!f.store.consume_totp_step(cred.id, 999).await.unwrap());
        assert!(f.store.consume_totp_step(cred.id, 1001).await.unwrap());
        assert!(!f.store.consume_totp_step(cred.id, 1000).await.unwrap(), "still remembered");
        assert_eq!(f.store.remove_second_factors(owner.id, &audit(t.id, "mfa.disable")).await.unwrap(), 1);
        assert!(!f.store.get_user(t.id, owner.id).await.unwrap().unwrap().flags.twofa_required);
    }
}

contract!(tokens_revoke_once_and_last_use_never_goes_back);
async fn tokens_revoke_once_and_last_use_never_goes_back(f: Fixture) {
    {
        let s = f.store.as_ref();
        let (t, _, _, digest) = tenant(s).await;
        let token = s.find_token(&digest).await.unwrap().unwrap().token;
        let later = now() + time::Duration::minutes(1);
        s.touch_tokens(&[(token.id, later)]).await.unwrap();
        s.touch_tokens(&[(token.id, later - time::Duration::seconds(30))]).await.unwrap();
        assert_eq!(s.find_token(&digest).await.unwrap().unwrap().token.last_used_at, Some(later));
        assert!(s.revoke_token(t.id, token.id, now(), &audit(t.id, "token.revoke")).await.unwrap());
        assert!(!s.revoke_token(t.id, token.id, now(), &audit(t.id, "token.revoke")).await.unwrap());
        assert!(s.find_token(&digest).await.unwrap().unwrap().token.revoked_at.is_some());
        s.close_tenant(t.id, now(), &audit(t.id, "tenant.close")).await.unwrap();
        assert!(!s.find_token(&digest).await.unwrap().unwrap().tenant_active);
    }
}

/// A 30-minute session of `user`, opened at `at`.
fn new_session(user: &User, at: Timestamp) -> Session {
    Session {
        id: SessionId::new(),
        tenant_id: user.tenant_id,
        user_id: user.id,
        ip: "10.0.0.1".into(),
        user_agent: "test".into(),
        csrf_token: "c".into(),
        created_at: at,
        expires_at: at + time::Duration::minutes(30),
    }
}

contract!(sessions);
async fn sessions(f: Fixture) {
    {
        let s = f.store.as_ref();
        let (t, _, owner, _) = tenant(s).await;
        let at = now();
        let (a, b) = (new_session(&owner, at), new_session(&owner, at));
        s.insert_session(&a, "digest-a", &audit(t.id, "session.create"), None).await.unwrap();
        s.insert_session(&b, "digest-b", &audit(t.id, "session.create"), None).await.unwrap();
        assert_eq!(s.find_session("digest-a").await.unwrap().unwrap(), a);
        let later = at + time::Duration::hours(1);
        s.extend_session(a.id, later).await.unwrap();
        assert_eq!(s.find_session("digest-a").await.unwrap().unwrap().expires_at, later);
        assert_eq!(s.delete_user_sessions(owner.id, Some(a.id)).await.unwrap(), 1);
        assert!(s.find_session("digest-b").await.unwrap().is_none());
        assert!(s.delete_session(a.id, None).await.unwrap());
        assert!(s.find_session("digest-a").await.unwrap().is_none());
    }
}

contract!(a_sign_in_session_clears_its_login_counter_in_the_same_write);
async fn a_sign_in_session_clears_its_login_counter_in_the_same_write(f: Fixture) {
    use keyhall_core::ports::Attempt;
    {
        let s = f.store.as_ref();
        let (t, _, owner, _) = tenant(s).await;
        let at = now();
        let window = at - time::Duration::minutes(15);
        let key = format!("account:{}:someone", t.id);
        for expected in 1..=2 {
            assert_eq!(
                s.reserve_attempt(&key, 5, window, at).await.unwrap(),
                Attempt::Allowed { failures: expected, lockouts: 0 }
            );
        }
        let (first, digest) = (new_session(&owner, at), "digest-sign-in");
        s.insert_session(&first, digest, &audit(t.id, "session.create"), Some(&key)).await.unwrap();
        assert_eq!(s.find_session(digest).await.unwrap().unwrap(), first);
        assert_eq!(s.peek_attempts(&key, window).await.unwrap(), (0, None));
        async fn created(s: &dyn Store, t: TenantId) -> usize {
            let q =
                AuditQuery { tenant_id: Some(t), action_prefix: Some("session.create".into()), limit: 10, ..Default::default() };
            s.list_audit(&q).await.unwrap().len()
        }
        assert_eq!(created(s, t.id).await, 1);

        // A session that cannot be stored (its digest is taken) leaves the counter and the
        // audit log as they were.
        s.reserve_attempt(&key, 5, window, at).await.unwrap();
        let second = new_session(&owner, at);
        assert!(s.insert_session(&second, digest, &audit(t.id, "session.create"), Some(&key)).await.is_err());
        assert_eq!(s.peek_attempts(&key, window).await.unwrap().0, 1);
        assert_eq!(created(s, t.id).await, 1);
        assert_eq!(s.find_session(digest).await.unwrap().unwrap().id, first.id);
    }
}

contract!(one_open_profile_and_a_number_verified_once);
async fn one_open_profile_and_a_number_verified_once(f: Fixture) {
    use keyhall_core::identity::labels::{Label, LabelScope};
    use keyhall_core::identity::phones::Phone;
    use keyhall_core::identity::profiles::{Profile, ProfileDetails, ProfileState};
    {
        let (t, c, owner, _) = tenant(f.store.as_ref()).await;
        let at = now();
        let profile = |state| Profile {
            // Time-ordered ids: profiles made in the same instant list in creation order.
            id: keyhall_types::ProfileId::new(),
            user_id: owner.id,
            details: ProfileDetails {
                first_name: Some("Ann".into()),
                dob: Some(time::macros::date!(1990 - 05 - 12)),
                country: Some("UA".into()),
                ..Default::default()
            },
            state,
            created_at: at,
            updated_at: at,
        };
        let s = f.store.as_ref();
        let label = |value: &str| Write::PutLabel(Label::new(owner.id, "profile".into(), value.into(), LabelScope::Private, at));
        let drafted = profile(ProfileState::Drafted);
        commit(s, t.id, "profile.create", vec![Write::InsertProfile(drafted.clone()), label("drafted")]).await.unwrap();
        let second = commit(s, t.id, "x", vec![Write::InsertProfile(profile(ProfileState::Submitted)), label("submitted")]).await;
        assert!(second.unwrap_err().is(ErrorCode::ProfileOpenExists));
        commit(s, t.id, "x", vec![Write::InsertProfile(profile(ProfileState::Verified)), label("verified")]).await.unwrap();
        let mut submitted = drafted.clone();
        submitted.state = ProfileState::Submitted;
        let update = || vec![Write::UpdateDraftedProfile(submitted.clone()), label("submitted")];
        commit(s, t.id, "x", update()).await.unwrap();
        assert!(commit(s, t.id, "x", update()).await.unwrap_err().is(ErrorCode::ProfileNotEditable), "no longer drafted");
        let profiles = f.store.list_profiles(owner.id).await.unwrap();
        assert_eq!(profiles.iter().map(|p| p.state).collect::<Vec<_>>(), [ProfileState::Submitted, ProfileState::Verified]);
        assert_eq!(profiles[0].details, drafted.details);
        let labels = f.store.list_labels(owner.id).await.unwrap();
        assert_eq!(labels.iter().filter(|l| l.key == "profile").map(|l| l.value.as_str()).collect::<Vec<_>>(), ["submitted"]);

        // Two users hold the number; only one may verify it.
        let other = user(t.id, c.id, &format!("o-{}@example.com", uuid::Uuid::new_v4().simple()));
        commit(s, t.id, "user.create", vec![Write::InsertUser(other.clone())]).await.unwrap();
        let phone = |holder: UserId| Phone {
            id: keyhall_types::PhoneId::new(),
            tenant_id: t.id,
            user_id: holder,
            country: "GB".into(),
            number_sealed: "sealed".into(),
            number_digest: "digest-1".into(),
            code_sealed: "sealed".into(),
            validated_at: None,
            created_at: at,
            updated_at: at,
        };
        let (mine, theirs) = (phone(owner.id), phone(other.id));
        commit(s, t.id, "phone.create", vec![Write::InsertPhone(mine.clone())]).await.unwrap();
        commit(s, t.id, "phone.create", vec![Write::InsertPhone(theirs.clone())]).await.unwrap();
        assert!(commit(s, t.id, "x", vec![Write::InsertPhone(phone(owner.id))]).await.unwrap_err().is(ErrorCode::PhoneExists));
        let verify = |p: &Phone| {
            let label = Label::new(p.user_id, "phone".into(), "verified".into(), LabelScope::Private, at);
            vec![Write::VerifyPhone(Phone { validated_at: Some(at), ..p.clone() }), Write::AddLabelIfAbsent(label)]
        };
        commit(s, t.id, "phone.verify", verify(&mine)).await.unwrap();
        assert!(commit(s, t.id, "x", verify(&mine)).await.unwrap_err().is(ErrorCode::PhoneVerifiedElsewhere), "verified already");
        let refused = commit(s, t.id, "x", verify(&theirs)).await;
        assert!(refused.unwrap_err().is(ErrorCode::PhoneVerifiedElsewhere));
        assert!(f.store.phone_verified_in(t.id, "digest-1").await.unwrap());
        assert!(f.store.list_labels(other.id).await.unwrap().iter().all(|l| l.key != "phone"), "nothing half-written");
        assert!(f.store.find_user_phone(owner.id, "digest-1").await.unwrap().unwrap().validated_at.is_some());
    }
}

#[tokio::test]
async fn the_two_migration_histories_are_in_step() {
    assert_eq!(keyhall_store::sqlite::migrations(), keyhall_store::postgres::migrations());
    let columns = Fixture::sqlite().await.raw.columns().await;
    assert!(columns.contains(&("config_documents".into(), "revision".into())), "{columns:?}");
}

#[tokio::test]
#[ignore = "needs PostgreSQL: set KEYHALL_TEST_DATABASE_URL and pass --include-ignored (bin/test does both)"]
async fn the_two_stores_make_the_same_tables() {
    let (sqlite, postgres) = (Fixture::sqlite().await, Fixture::postgres().await);
    let schema = postgres.schema.clone();
    let (sqlite, postgres) = (sqlite.raw.columns().await, postgres.raw.columns().await);
    drop_schema(schema).await;
    let only =
        |a: &std::collections::BTreeSet<_>, b: &std::collections::BTreeSet<_>| a.difference(b).cloned().collect::<Vec<_>>();
    assert_eq!((only(&sqlite, &postgres), only(&postgres, &sqlite)), (vec![], vec![]), "columns of one store only");
}

contract!(a_unit_of_work_is_all_or_nothing);
async fn a_unit_of_work_is_all_or_nothing(f: Fixture) {
    use keyhall_core::identity::labels::{Label, LabelScope};
    {
        let s = f.store.as_ref();
        let (t, c, owner, _) = tenant(s).await;
        let newcomer = user(t.id, c.id, &format!("new-{}@example.com", uuid::Uuid::new_v4().simple()));
        let label = Label::new(newcomer.id, "email".into(), "verified".into(), LabelScope::Private, now());
        let duplicate = user(t.id, c.id, owner.email.as_str());
        let writes = vec![Write::InsertUser(newcomer.clone()), Write::PutLabel(label), Write::InsertUser(duplicate)];
        let e = commit(s, t.id, "unit.refused", writes).await.unwrap_err();
        assert_eq!(e.code, ErrorCode::EmailTaken, "the failing write's error");
        assert!(s.get_user(t.id, newcomer.id).await.unwrap().is_none(), "the writes before it are undone");
        assert!(s.list_labels(newcomer.id).await.unwrap().is_empty());
        let q = AuditQuery { tenant_id: Some(t.id), action_prefix: Some("unit.".into()), limit: 10, ..Default::default() };
        assert!(s.list_audit(&q).await.unwrap().is_empty(), "and so is its audit record");
        commit(s, t.id, "unit.done", vec![Write::InsertUser(newcomer.clone())]).await.unwrap();
        assert_eq!(s.get_user(t.id, newcomer.id).await.unwrap().unwrap(), newcomer);
        assert_eq!(s.list_audit(&q).await.unwrap().len(), 1);
    }
}

contract!(configuration_documents_refuse_a_stale_revision);
async fn configuration_documents_refuse_a_stale_revision(f: Fixture) {
    use keyhall_core::ports::ConfigDocument;
    {
        let (t, c, _, _) = tenant(f.store.as_ref()).await;
        let doc = |revision: i64, body: serde_json::Value| ConfigDocument {
            tenant_id: t.id,
            community_id: c.id,
            key: "login_settings".into(),
            revision,
            body,
            updated_at: now(),
        };
        let put = |d: ConfigDocument, expected_revision: i64| {
            let store = f.store.clone();
            async move { commit(store.as_ref(), t.id, "config.update", vec![Write::PutConfig { doc: d, expected_revision }]).await }
        };
        assert!(f.store.get_config(t.id, c.id, "login_settings").await.unwrap().is_none());
        put(doc(1, serde_json::json!({ "otp": false })), 0).await.unwrap();
        let refused = put(doc(1, serde_json::json!({ "otp": "lost" })), 0).await.unwrap_err();
        assert_eq!(refused.code, ErrorCode::ConfigRevisionStale, "a second first write");
        // Two writers that both read revision 1: one wins, the other is told, nothing is lost.
        let (a, b) =
            tokio::join!(put(doc(2, serde_json::json!({ "otp": "a" })), 1), put(doc(2, serde_json::json!({ "otp": "b" })), 1));
        assert_eq!([a.is_ok(), b.is_ok()].iter().filter(|ok| **ok).count(), 1, "{a:?} {b:?}");
        let loser = if a.is_ok() { b } else { a };
        assert_eq!(loser.unwrap_err().code, ErrorCode::ConfigRevisionStale);
        let stored = f.store.get_config(t.id, c.id, "login_settings").await.unwrap().unwrap();
        assert_eq!(stored.revision, 2);
        assert!(stored.body == serde_json::json!({ "otp": "a" }) || stored.body == serde_json::json!({ "otp": "b" }));
        assert_eq!(put(doc(9, serde_json::json!({})), 8).await.unwrap_err().code, ErrorCode::ConfigRevisionStale);
        assert!(f.store.get_config(t.id, c.id, "other").await.unwrap().is_none(), "keys are separate");
    }
}

contract!(an_outbox_message_is_claimed_by_one_node_at_a_time);
async fn an_outbox_message_is_claimed_by_one_node_at_a_time(f: Fixture) {
    use keyhall_core::ports::QueuedMessage;
    {
        let (t, _, _, _) = tenant(f.store.as_ref()).await;
        let at = now();
        let queued = |id: &str, due: Timestamp| QueuedMessage {
            id: id.into(),
            kind: "mail".into(),
            payload: format!("sealed {id}"),
            attempts: 0,
            next_attempt_at: due,
            created_at: at,
        };
        let later = at + time::Duration::minutes(5);
        let writes = vec![Write::QueueMessage(queued("a", at)), Write::QueueMessage(queued("b", later))];
        commit(f.store.as_ref(), t.id, "user.email_verification_sent", writes).await.unwrap();
        // Many nodes claim at once: the due message goes to one of them, the later one to none.
        let lease = at + time::Duration::minutes(2);
        let mut tasks = Vec::new();
        for _ in 0..8 {
            let store = f.store.clone();
            tasks.push(tokio::spawn(async move { store.claim_messages(at, lease, 10).await.unwrap() }));
        }
        let mut claimed = Vec::new();
        for task in tasks {
            claimed.extend(task.await.unwrap());
        }
        assert_eq!(claimed, vec![QueuedMessage { next_attempt_at: lease, ..queued("a", at) }]);
        // A failed delivery comes back when its retry is due; a delivered one is gone.
        let retry_at = at + time::Duration::seconds(30);
        f.store.retry_message("a", 1, retry_at, "smtp: 421").await.unwrap();
        assert!(f.store.claim_messages(at, lease, 10).await.unwrap().is_empty());
        let mut due = f.store.claim_messages(later, later + time::Duration::minutes(2), 10).await.unwrap();
        due.sort_by(|x, y| x.id.cmp(&y.id));
        assert_eq!(due.iter().map(|m| (m.id.as_str(), m.attempts)).collect::<Vec<_>>(), vec![("a", 1), ("b", 0)]);
        f.store.delete_message("a").await.unwrap();
        f.store.delete_message("b").await.unwrap();
        assert!(f.store.claim_messages(later + time::Duration::hours(1), later, 10).await.unwrap().is_empty());
    }
}

contract!(a_shared_store_records_each_nonce_once);
async fn a_shared_store_records_each_nonce_once(f: Fixture) {
    use keyhall_core::ports::NonceRecord;
    {
        let expires_at = now() + time::Duration::seconds(10);
        let record = |kid: &str, nonce: &str| NonceRecord { kid: kid.into(), nonce: nonce.into(), expires_at };
        let first = f.store.remember_nonces(&[record("k1", "1"), record("k1", "2"), record("k2", "1")]).await.unwrap();
        let again = f.store.remember_nonces(&[record("k1", "2"), record("k1", "3")]).await.unwrap();
        if f.store.records_nonces() {
            assert!(matches!(f.raw, Raw::Postgres(_)), "only a store nodes share records nonces");
            assert_eq!((first, again), (vec![true, true, true], vec![false, true]));
            assert_eq!(f.store.purge_nonces(expires_at + time::Duration::seconds(1)).await.unwrap(), 4);
            assert_eq!(f.store.remember_nonces(&[record("k1", "2")]).await.unwrap(), vec![true], "forgotten once expired");
        } else {
            assert!(matches!(f.raw, Raw::Sqlite(_)));
            assert_eq!((first, again), (vec![true, true, true], vec![true, true]), "each node's memory is the record");
        }
    }
}
