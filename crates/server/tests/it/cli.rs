//! The `keyhall` binary itself: help and version, `company create` while `serve` runs on the
//! same data, JSON logs with the first-start hint, and graceful shutdown on SIGTERM.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::harness::{Backend, PgSchema};

const BIN: &str = env!("CARGO_BIN_EXE_keyhall");

#[test]
fn help_and_version() {
    let out = Command::new(BIN).arg("--help").output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    for word in ["serve", "company", "--data-dir", "--database-url"] {
        assert!(text.contains(word), "{word} missing from --help");
    }
    let out = Command::new(BIN).arg("--version").output().unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), format!("keyhall {}", env!("CARGO_PKG_VERSION")));
    let out = Command::new(BIN).args(["serve", "--help"]).output().unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("--listen"));
}

#[test]
fn company_create_refuses_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(BIN)
        .args([
            "--data-dir",
            dir.path().to_str().unwrap(),
            "company",
            "create",
            "--name",
            "X",
            "--email",
            "x@example.com",
            "--password",
            "weak",
            "--json",
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("password") && err.contains("at least 8 characters"), "{err}");
    assert!(out.stdout.is_empty());
}

struct Serving {
    child: std::process::Child,
    addr: String,
    lines: std::sync::mpsc::Receiver<String>,
    seen: Vec<String>,
}

impl Serving {
    fn start(data_dir: &std::path::Path, database_url: Option<&str>) -> Self {
        let mut cmd = Command::new(BIN);
        cmd.arg("--data-dir").arg(data_dir);
        if let Some(url) = database_url {
            cmd.args(["--database-url", url]);
        }
        // `--trust-forwarded-for` given bare, before another flag, as the README shows it.
        let mut child = cmd
            // A host name, as a newcomer writes it.
            .args(["serve", "--trust-forwarded-for", "--listen", "localhost:0", "--log-format", "json"])
            .env_remove("KEYHALL_DATABASE_URL")
            .stderr(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        let stderr = child.stderr.take().unwrap();
        let (tx, lines) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        let mut me = Self { child, addr: String::new(), lines, seen: Vec::new() };
        let line = me.wait_for("keyhall is serving");
        let v: serde_json::Value = serde_json::from_str(&line).expect("JSON log line");
        me.addr = v["listen"].as_str().unwrap().to_string();
        me
    }

    fn wait_for(&mut self, needle: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(20);
        if let Some(l) = self.seen.iter().find(|l| l.contains(needle)) {
            return l.clone();
        }
        while Instant::now() < deadline {
            if let Ok(line) = self.lines.recv_timeout(Duration::from_millis(200)) {
                self.seen.push(line.clone());
                if line.contains(needle) {
                    return line;
                }
            }
        }
        panic!("no log line containing {needle:?}; saw {:?}", self.seen);
    }
}

impl Drop for Serving {
    fn drop(&mut self) {
        let _ = self.child.kill();
    }
}

fn company_create(data_dir: &std::path::Path, database_url: Option<&str>) -> serde_json::Value {
    let mut cmd = Command::new(BIN);
    cmd.arg("--data-dir").arg(data_dir);
    if let Some(url) = database_url {
        cmd.args(["--database-url", url]);
    }
    let out = cmd
        .args(["company", "create", "--name", "Cli Ltd", "--email", "admin@cli.example", "--password", "Cli-Pass-123", "--json"])
        .env_remove("KEYHALL_DATABASE_URL")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("one JSON object on stdout")
}

async fn serve_create_use_and_stop(backend: Backend) {
    let schema = match backend {
        Backend::Sqlite => None,
        Backend::Postgres => Some(PgSchema::create().await),
    };
    let database_url = schema.as_ref().map(|s| s.url.clone());
    let dir = tempfile::tempdir().unwrap();
    let mut server = Serving::start(dir.path(), database_url.as_deref());
    assert!(server.addr.starts_with("127.0.0.1:"), "localhost is looked up: {}", server.addr);
    let hint = server.wait_for("no company exists yet");
    assert!(hint.contains("company create"), "{hint}");
    // The hint names the store this server uses, so that the command works as shown.
    let (named, not_named) =
        if database_url.is_some() { ("--database-url", "--data-dir") } else { ("--data-dir", "--database-url") };
    assert!(hint.contains(named) && !hint.contains(not_named), "{hint}");

    let created = company_create(dir.path(), database_url.as_deref());
    assert_eq!((&created["default_tenant"], &created["role"]), (&serde_json::json!(true), &serde_json::json!("superadmin")));
    for key in ["company_id", "user_id", "token"] {
        assert!(created[key].as_str().is_some_and(|v| !v.is_empty()), "{key} in {created}");
    }
    let token = created["token"].as_str().unwrap();
    assert!(token.len() >= 32);
    let client = reqwest::Client::new();
    let r = client.post(format!("http://{}/api/v1/license/create_license", server.addr)).bearer_auth(token).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let r = client.post(format!("http://{}/api/v1/token/list_actions", server.addr)).bearer_auth(token).send().await.unwrap();
    let actions: serde_json::Value = r.json().await.unwrap();
    assert_eq!(actions["data"].as_array().unwrap().len(), 37);
    // The first company is the default tenant, which the Barong API serves: its primary
    // contact signs in there with the same password, as its superadmin.
    let r = client
        .post(format!("http://{}/api/v2/auth/identity/sessions", server.addr))
        .json(&serde_json::json!({ "email": "admin@cli.example", "password": "Cli-Pass-123" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let me: serde_json::Value = r.json().await.unwrap();
    assert_eq!((&me["role"], &me["state"]), (&serde_json::json!("superadmin"), &serde_json::json!("active")));

    // SIGTERM: the server drains and exits cleanly.
    let killed = Command::new("kill").args(["-TERM", &server.child.id().to_string()]).status().unwrap();
    assert!(killed.success());
    let deadline = Instant::now() + Duration::from_secs(15);
    let status = loop {
        if let Some(s) = server.child.try_wait().unwrap() {
            break s;
        }
        assert!(Instant::now() < deadline, "server did not stop after SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "exit status {status}");
    server.wait_for("keyhall stopped");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_company_create_and_sigterm_sqlite() {
    serve_create_use_and_stop(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL: set KEYHALL_TEST_DATABASE_URL and pass --include-ignored (bin/test does both)"]
async fn serve_company_create_and_sigterm_postgres() {
    serve_create_use_and_stop(Backend::Postgres).await;
}

#[test]
fn barong_restrictions_and_whitelinks_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        let out = Command::new(BIN).args(["--data-dir", dir.path().to_str().unwrap(), "barong"]).args(args).output().unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (ok, token, how) = run(&["whitelink", "--expire-time", "2", "--range", "hour"]);
    assert!(ok && token.trim().len() == 64 && token.trim().bytes().all(|b| b.is_ascii_hexdigit()), "{token}");
    assert!(how.contains("\"whitelink_token\"") && how.contains("/api/v2/auth/identity/users/access"), "{how}");
    assert!(!run(&["whitelink", "--expire-time", "31"]).0);
    let (ok, added, err) = run(&["restriction-add", "--category", "blacklist", "--scope", "ip_subnet", "--value", "10.0.0.0/8"]);
    assert!(ok, "{err}");
    let added: serde_json::Value = serde_json::from_str(&added).unwrap();
    assert_eq!((added["code"].as_i64(), added["state"].as_str()), (Some(403), Some("enabled")));
    let (ok, _, err) = run(&["restriction-add", "--category", "blacklist", "--scope", "ip", "--value", "10.0.0"]);
    assert!(!ok && err.contains("value.invalid"), "{err}");
    let (_, listed, _) = run(&["restriction-list"]);
    assert_eq!(listed.lines().count(), 1);
    let id = added["id"].as_str().unwrap();
    let (ok, _, said) = run(&["restriction-remove", id]);
    assert!(ok && said.contains(&format!("removed restriction {id}")), "{said}");
    let (ok, _, said) = run(&["restriction-remove", id]);
    assert!(!ok && said.contains(&format!("no restriction {id}")), "{said}");
    let (ok, listed, said) = run(&["restriction-list"]);
    assert!(ok && listed.is_empty() && said.contains("no restrictions"), "{said}");
    // KEYHALL_BARONG_TENANT names the tenant, as it does for `serve`. The first company takes
    // the default tenant over; the second is a tenant of its own.
    let company = |name: &str, email: &str| -> serde_json::Value {
        let out = Command::new(BIN)
            .args(["--data-dir", dir.path().to_str().unwrap(), "company", "create", "--name", name, "--email", email])
            .args(["--password", "Choose-a-Password1", "--json"])
            .output()
            .unwrap();
        serde_json::from_slice(&out.stdout).unwrap()
    };
    assert_eq!(company("First", "first@example.com")["default_tenant"], true);
    let company = company("Ex", "ex@example.com");
    assert_eq!(company["default_tenant"], false);
    let tenant = company["company_id"].as_str().unwrap();
    let in_company = |args: &[&str]| {
        let out = Command::new(BIN)
            .env("KEYHALL_BARONG_TENANT", tenant)
            .args(["--data-dir", dir.path().to_str().unwrap(), "barong"])
            .args(args)
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    in_company(&["restriction-add", "--category", "maintenance", "--scope", "all", "--value", "all"]);
    assert_eq!(in_company(&["restriction-list"]).lines().count(), 1);
    assert_eq!(run(&["restriction-list"]).1, "", "the default Barong tenant has none");
}

// Security item 14: the password need not be an argument, and the database is private.
#[test]
fn company_passwords_come_from_a_file_or_stdin_and_the_database_is_private() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let base = |email: &str| {
        let mut cmd = Command::new(BIN);
        cmd.arg("--data-dir").arg(dir.path()).args(["company", "create", "--name", "Quiet Ltd", "--email", email, "--json"]);
        cmd.env_remove("KEYHALL_DATABASE_URL").env_remove("KEYHALL_COMPANY_PASSWORD");
        cmd
    };
    let file = dir.path().join("password.txt");
    std::fs::write(&file, "From-A-File-9\n").unwrap();
    let out = base("file@example.com").arg("--password-file").arg(&file).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let mut child = base("stdin@example.com").stdin(Stdio::piped()).stdout(Stdio::piped()).spawn().unwrap();
    child.stdin.take().unwrap().write_all(b"From-Stdin-9\n").unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    // A weak password read from stdin is refused like any other.
    let mut child = base("weak@example.com").stdin(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    child.stdin.take().unwrap().write_all(b"weak\n").unwrap();
    assert!(!child.wait_with_output().unwrap().status.success());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        for name in ["keyhall.db", "keyhall.db-wal", "keyhall.db-shm"] {
            let path = dir.path().join(name);
            if let Ok(meta) = std::fs::metadata(&path) {
                assert_eq!(meta.permissions().mode() & 0o777, 0o600, "{name}");
            } else {
                assert!(name != "keyhall.db", "the database exists");
            }
        }
    }
}

/// `keyhall adminx init` while `serve` runs: it prints what a 1Kosmos client needs, the
/// server answers with the same key at once, and the administrator signs in; a second init of
/// the same community is refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn adminx_init_makes_a_community_a_running_server_serves() {
    let srv = crate::harness::TestServer::start(Backend::Sqlite).await;
    let dir = srv.dir.path().to_str().unwrap().to_string();
    let init = |community: &str, tenant: Option<&str>| {
        let mut cmd = Command::new(BIN);
        cmd.args(["--data-dir", &dir, "adminx", "init", "--dns", "cli.example.com", "--community", community])
            .args(["--username", "root", "--email", "root@cli.example.com", "--json"])
            .stdin(Stdio::piped());
        if let Some(t) = tenant {
            cmd.args(["--tenant", t]);
        }
        let mut child = cmd.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
        // The password comes on standard input (not a terminal here).
        std::io::Write::write_all(child.stdin.as_mut().unwrap(), b"Command-Line-Pass-5\n").unwrap();
        child.wait_with_output().unwrap()
    };
    let out = init("people", None);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let made: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    for key in [
        "tenant_id",
        "tenant_tag",
        "dns",
        "community_id",
        "community_name",
        "module_id",
        "admin_uid",
        "admin_username",
        "license_key",
        "public_key",
    ] {
        assert!(made[key].as_str().is_some_and(|v| !v.is_empty()), "{key} in {made}");
    }
    assert_eq!((made["tenant_tag"].as_str(), made["community_name"].as_str()), (Some("cli"), Some("people")));
    let v = crate::adminx_client::Vendor::new(&srv).await;
    assert_eq!(v.open_key(), made["public_key"].as_str().unwrap(), "the running server's key");
    let body = serde_json::json!({ "tenantId": made["tenant_id"], "communityId": made["community_id"], "username": "root", "password": "Command-Line-Pass-5" });
    let r = v.post(&srv, "/verifyuser", body).await;
    assert_eq!((r.status, r.json()["user"]["role"].as_str()), (200, Some("tenant_admin")), "{}", r.text());
    // The license works as a licensekey.
    let mut licensed = crate::adminx_client::Vendor::new(&srv).await;
    licensed.license = made["license_key"].as_str().map(str::to_string);
    let r = licensed.call(&srv, reqwest::Method::GET, "/servicekeys", None).await;
    assert_eq!(r.status, 200, "{}", r.text());
    // The same community again, and an unknown tenant: refused with a reason.
    let out = init("people", Some(made["tenant_id"].as_str().unwrap()));
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("community"), "{}", String::from_utf8_lossy(&out.stderr));
    let out = init("other", Some("not-a-tenant"));
    assert!(!out.status.success() && String::from_utf8_lossy(&out.stderr).contains("--tenant"));
}
