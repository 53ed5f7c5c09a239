//! What a newcomer meets in the first hour: errors that say what keyhall was doing and why,
//! the command line's password prompt, listings and token reissue, the development mail sink,
//! backups of a running server, and output into a closed pipe.

use std::io::{Read, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::json;

use crate::barong_client::{Browser, ID, STRONG};
use crate::harness::{Backend, TestServer, test_config};

const BIN: &str = env!("CARGO_BIN_EXE_keyhall");

/// `keyhall --data-dir DIR …`, untouched by the caller's environment.
fn keyhall(dir: &Path) -> Command {
    let mut c = Command::new(BIN);
    c.arg("--data-dir").arg(dir);
    for var in ["KEYHALL_DATABASE_URL", "KEYHALL_COMPANY_PASSWORD", "KEYHALL_MASTER_KEY", "KEYHALL_CONFIG", "KEYHALL_LISTEN"] {
        c.env_remove(var);
    }
    c
}

fn run(c: &mut Command) -> (bool, String, String) {
    let out = c.stdin(Stdio::null()).output().unwrap();
    (out.status.success(), String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
}

/// `company create` with the password on standard input.
fn create_company(dir: &Path, name: &str, email: &str) -> (bool, String, String) {
    let mut child = keyhall(dir)
        .args(["company", "create", "--name", name, "--email", email, "--json"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(b"Piped-Pass-123\n").unwrap();
    let out = child.wait_with_output().unwrap();
    (out.status.success(), String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn openapi_into_a_closed_pipe_ends_quietly() {
    // The document is larger than a pipe's buffer, so the writer meets the closed end.
    let mut child = Command::new(BIN).arg("openapi").stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let mut first = [0u8; 16];
    child.stdout.as_mut().unwrap().read_exact(&mut first).unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "exit {:?}: {}", out.status, String::from_utf8_lossy(&out.stderr));
    assert!(out.stderr.is_empty(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(&first[..1], b"{");
}

#[test]
fn an_unreachable_database_fails_at_once_naming_where_and_why() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let started = Instant::now();
    let (ok, _, err) = run(keyhall(&data).args([
        "--database-url",
        &format!("postgres://keyhall:Sup3r-Secret@127.0.0.1:{port}/keyhall"),
        "serve",
        "--listen",
        "127.0.0.1:0",
    ]));
    assert!(!ok);
    assert!(started.elapsed() < Duration::from_secs(10), "took {:?}", started.elapsed());
    assert!(err.contains(&format!("127.0.0.1:{port}")) && err.contains("connection refused"), "{err}");
    assert!(err.contains("\"keyhall\""), "the database and user are named: {err}");
    assert!(!err.contains("Sup3r-Secret"), "the password is never shown: {err}");
    assert!(!data.exists(), "nothing was created before the failure");
}

#[tokio::test]
#[ignore = "needs PostgreSQL: set KEYHALL_TEST_DATABASE_URL and pass --include-ignored (bin/test does both)"]
async fn an_unknown_database_or_role_is_named() {
    let base = crate::harness::pg_url().expect("KEYHALL_TEST_DATABASE_URL");
    let dir = tempfile::tempdir().unwrap();
    let (scheme_host, _) = base.rsplit_once('/').unwrap();
    let (ok, _, err) = run(keyhall(dir.path()).args(["--database-url", &format!("{scheme_host}/kh_no_such_db"), "serve"]));
    assert!(!ok && err.contains("kh_no_such_db") && err.contains("does not exist"), "{err}");
    let (ok, _, err) = run(keyhall(dir.path()).args([
        "--database-url",
        &format!("postgres://kh_no_such_role@{}", base.rsplit_once('@').map_or(base.as_str(), |(_, h)| h)),
        "serve",
    ]));
    assert!(!ok && err.contains("kh_no_such_role") && err.contains("authentication failed"), "{err}");
}

#[test]
fn data_directory_listen_and_port_errors_say_what_failed() {
    let dir = tempfile::tempdir().unwrap();
    let (ok, _, err) = run(keyhall(Path::new("/proc/nope")).args(["serve", "--listen", "127.0.0.1:0"]));
    assert!(!ok && err.contains("cannot create the data directory /proc/nope"), "{err}");
    let (ok, _, err) = run(keyhall(dir.path()).args(["serve", "--listen", "nonsense"]));
    assert!(!ok && err.contains("invalid listen address \"nonsense\"") && err.contains("host:port"), "{err}");
    // A second server on a busy port fails before it makes keys or a database.
    let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = busy.local_addr().unwrap().to_string();
    let fresh = dir.path().join("fresh");
    let (ok, _, err) = run(keyhall(&fresh).args(["serve", "--listen", &addr]));
    assert!(!ok && err.contains(&format!("cannot listen on {addr}")), "{err}");
    assert!(!fresh.exists(), "nothing was created");
}

#[test]
fn company_create_asks_for_the_password_on_a_terminal_without_echo() {
    let dir = tempfile::tempdir().unwrap();
    // `script` gives the command a terminal; what it prints (and the terminal echoes) comes
    // back on its standard output.
    // It names its terminal first, so that the test can see when echo is off before typing
    // (a person types after the prompt; a test could type in the instant between the prompt
    // and the terminal's echo being turned off).
    let command = format!(
        "tty; exec {BIN} --data-dir '{}' company create --name 'Typed Ltd' --email typed@example.com --json",
        dir.path().display()
    );
    let mut child = Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .env_remove("KEYHALL_COMPANY_PASSWORD")
        .env_remove("KEYHALL_DATABASE_URL")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("script (util-linux) gives the command a terminal");
    let seen = Arc::new(Mutex::new(String::new()));
    let mut stdout = child.stdout.take().unwrap();
    let reader = {
        let seen = seen.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 1024];
            while let Ok(n) = stdout.read(&mut buf) {
                if n == 0 {
                    break;
                }
                seen.lock().unwrap().push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        })
    };
    let wait_for = |needle: &str| {
        let deadline = Instant::now() + Duration::from_secs(20);
        while !seen.lock().unwrap().contains(needle) {
            assert!(Instant::now() < deadline, "no {needle:?} in {:?}", seen.lock().unwrap());
            std::thread::sleep(Duration::from_millis(20));
        }
    };
    let mut stdin = child.stdin.take().unwrap();
    wait_for("/dev/");
    let tty = seen.lock().unwrap().lines().next().unwrap().trim().to_string();
    let echo_is_off = || {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let modes = Command::new("stty").args(["-F", &tty, "-a"]).output().unwrap();
            if String::from_utf8_lossy(&modes.stdout).split_whitespace().any(|m| m == "-echo") {
                return;
            }
            assert!(Instant::now() < deadline, "echo never turned off on {tty}");
            std::thread::sleep(Duration::from_millis(20));
        }
    };
    wait_for("Password for typed@example.com: ");
    echo_is_off();
    stdin.write_all(b"Typed-Pass-123\n").unwrap();
    wait_for("The same password again: ");
    echo_is_off();
    stdin.write_all(b"Typed-Pass-123\n").unwrap();
    let status = child.wait().unwrap();
    reader.join().unwrap();
    let seen = seen.lock().unwrap().clone();
    assert!(status.success(), "{seen}");
    assert!(seen.contains("\"company_id\"") && seen.contains("\"default_tenant\":true"), "{seen}");
    assert!(!seen.contains("Typed-Pass-123"), "the password is not echoed: {seen}");
}

#[test]
fn company_create_without_a_password_says_how_to_give_one() {
    let dir = tempfile::tempdir().unwrap();
    let create = ["company", "create", "--name", "N", "--email", "n@example.com"];
    let (ok, out, err) = run(keyhall(dir.path()).args(create));
    assert!(!ok && out.is_empty());
    assert!(err.contains("no password given") && err.contains("--password-file"), "{err}");
    let missing = dir.path().join("no-such-file");
    let (ok, _, err) = run(keyhall(dir.path()).args(create).arg("--password-file").arg(&missing));
    assert!(!ok && err.contains(&format!("cannot read {}", missing.display())), "{err}");
    let empty = dir.path().join("empty");
    std::fs::write(&empty, "").unwrap();
    let (ok, _, err) = run(keyhall(dir.path()).args(create).arg("--password-file").arg(&empty));
    assert!(!ok && err.contains("no password given"), "{err}");
    let password = dir.path().join("password");
    std::fs::write(&password, "Filed-Pass-123\n").unwrap();
    let malformed = ["company", "create", "--name", "N", "--email", "not-an-address", "--password-file"];
    let (ok, _, err) = run(keyhall(dir.path()).args(malformed).arg(&password));
    assert!(!ok && err.contains("email"), "{err}");
    let (ok, out, err) = run(keyhall(dir.path()).args(["company", "list", "--json"]));
    assert!(ok && out.is_empty(), "nothing was created: {out}{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn companies_are_listed_tokens_reissued_and_an_address_owns_one_company() {
    let dir = tempfile::tempdir().unwrap();
    let (ok, _, err) = run(keyhall(dir.path()).args(["company", "list"]));
    assert!(ok && err.contains("no companies yet"), "{err}");
    let (ok, listed, err) = run(keyhall(dir.path()).args(["company", "list"]));
    assert!(ok && listed.is_empty() && err.contains("no companies yet"), "a listing creates nothing: {listed}{err}");
    let (ok, first, err) = create_company(dir.path(), "Acme Ltd", "admin@acme.example");
    assert!(ok, "{err}");
    let first: serde_json::Value = serde_json::from_str(&first).unwrap();
    let id = first["company_id"].as_str().unwrap().to_string();
    // Running the command twice does not make a second company.
    let (ok, out, err) = create_company(dir.path(), "Acme Ltd", "admin@acme.example");
    assert!(!ok && out.is_empty(), "{out}");
    assert!(err.contains("already the primary contact") && err.contains(&id), "{err}");
    assert!(create_company(dir.path(), "Beta", "admin@beta.example").0);

    let (ok, table, _) = run(keyhall(dir.path()).args(["company", "list"]));
    assert!(ok, "{table}");
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines.len(), 2, "{table}");
    assert!(lines[0].starts_with(&id) && lines[0].contains("admin@acme.example") && lines[0].ends_with("default"), "{table}");
    let (_, listed, _) = run(keyhall(dir.path()).args(["company", "list", "--json"]));
    let listed: Vec<serde_json::Value> = listed.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(listed[1]["email"], "admin@beta.example");
    assert_eq!((&listed[0]["default_tenant"], &listed[1]["default_tenant"]), (&json!(true), &json!(false)));

    // A lost token is replaced from the command line, with chosen actions.
    let (ok, issued, err) =
        run(keyhall(dir.path()).args(["token", "create", "--company", &id, "--permission", "License::ListLicenses", "--json"]));
    assert!(ok, "{err}");
    let issued: serde_json::Value = serde_json::from_str(&issued).unwrap();
    assert_eq!(issued["permissions"], json!(["License::ListLicenses"]));
    let (ok, _, err) = run(keyhall(dir.path()).args(["token", "create", "--company", "0190aaaa-0000-7000-8000-000000000000"]));
    assert!(!ok && err.contains("no company"), "{err}");
    let (ok, _, err) = run(keyhall(dir.path()).args(["token", "create", "--company", "acme"]));
    assert!(!ok && err.contains("\"acme\" is not a company id"), "{err}");
    let (ok, _, err) = run(keyhall(dir.path()).args(["token", "create"]));
    assert!(!ok && err.contains("--company"), "{err}");
    let (ok, _, err) = run(keyhall(dir.path()).args(["token", "create", "--company", &id, "--permission", "Nope::Nope"]));
    assert!(!ok && err.contains("Nope::Nope"), "{err}");
    let srv = keyhall_server::app::start(test_config(dir.path(), None)).await.unwrap();
    let client = reqwest::Client::new();
    let token = issued["token"].as_str().unwrap();
    let list = |path: &'static str| client.post(srv.url(path)).bearer_auth(token).send();
    assert_eq!(list("/api/v1/license/list_licenses").await.unwrap().status(), 200);
    assert_eq!(list("/api/v1/license/create_license").await.unwrap().status(), 401, "it holds only the action asked for");
    // A closed company gets no new token (it would never work).
    let owner = first["token"].as_str().unwrap();
    let closed = client.post(srv.url("/api/v1/company/delete")).bearer_auth(owner).send().await.unwrap();
    assert_eq!(closed.status(), 200, "{}", closed.text().await.unwrap());
    let (ok, out, err) = run(keyhall(dir.path()).args(["token", "create", "--company", &id]));
    assert!(!ok && out.is_empty() && err.contains("the company is closed"), "{out}{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backup_copies_a_running_servers_data_consistently() {
    let dir = tempfile::tempdir().unwrap();
    let srv = keyhall_server::app::start(test_config(dir.path(), None)).await.unwrap();
    assert!(create_company(dir.path(), "Kept Ltd", "kept@example.com").0);
    let copy = dir.path().join("copy.db");
    let (ok, out, err) = run(keyhall(dir.path()).arg("backup").arg(&copy));
    assert!(ok && out.contains("backed up"), "{out}{err}");
    assert!(err.contains("master key"), "it reminds of the key: {err}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&copy).unwrap().permissions().mode() & 0o777, 0o600);
    }
    {
        use sqlx::{Connection, Row};
        let mut c = sqlx::SqliteConnection::connect(&format!("sqlite:{}", copy.display())).await.unwrap();
        let row = sqlx::query("SELECT email FROM users").fetch_one(&mut c).await.unwrap();
        assert_eq!(row.get::<String, _>(0), "kept@example.com", "the copy holds what was written moments before");
    }
    let (ok, _, err) = run(keyhall(dir.path()).arg("backup").arg(&copy));
    assert!(!ok && err.contains("exists"), "an existing file is not overwritten: {err}");
    let (ok, _, err) = run(keyhall(dir.path()).args(["--database-url", "postgres://kh@127.0.0.1:1/kh", "backup", "x.db"]));
    assert!(!ok && err.contains("pg_dump"), "{err}");
    srv.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_development_mail_sink_writes_each_message_to_a_file() {
    let mail = tempfile::tempdir().unwrap();
    let url = format!("file://{}", mail.path().join("outbox").display());
    let srv = TestServer::start_with(Backend::Sqlite, |c| c.server.smtp_url = Some(url)).await;
    let mut first = Browser::new();
    let r = first.post(&srv, &format!("{ID}/users"), json!({ "email": "root@example.com", "password": STRONG })).await;
    assert_eq!(r.json()["role"], "superadmin");
    let mut second = Browser::new();
    let r = second.post(&srv, &format!("{ID}/users"), json!({ "email": "second@example.com", "password": STRONG })).await;
    assert_eq!(r.json()["state"], "pending");
    // The outbox delivers at once; the file appears whole (written, then renamed).
    let deadline = Instant::now() + Duration::from_secs(10);
    let file = loop {
        let found = std::fs::read_dir(mail.path().join("outbox"))
            .unwrap()
            .filter_map(Result::ok)
            .map(|e| e.path())
            .find(|p| p.extension().is_some_and(|x| x == "eml") && p.to_string_lossy().contains("second@example.com"));
        if let Some(path) = found {
            break path;
        }
        assert!(Instant::now() < deadline, "no mail file for second@example.com");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&file).unwrap().permissions().mode() & 0o777, 0o600, "it holds a live token");
    }
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.contains("To: second@example.com"), "{text}");
    let token = text
        .lines()
        .map(str::trim)
        .find(|l| l.split('.').count() == 3 && l.len() > 40 && !l.contains(' '))
        .unwrap_or_else(|| panic!("the token is readable in the file: {text}"));
    let r = second.post(&srv, &format!("{ID}/users/email/confirm_code"), json!({ "token": token })).await;
    assert_eq!(r.status, 201, "{}", r.text());
    assert_eq!(r.json()["state"], "active");
}
