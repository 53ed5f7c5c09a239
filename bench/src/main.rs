//! keyhall load benchmark. Boots the release `keyhall` binary on loopback with a fresh SQLite
//! data directory (or `--database-url`), creates a company, then drives each scenario with a
//! fixed number of requests over N keep-alive connections and reports throughput, p50, p99
//! and the ratio of each scenario's throughput to the `/healthz` baseline measured in the same
//! run.

mod http;

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

use crate::http::Connection;

struct Options {
    connections: usize,
    requests: usize,
    writes: usize,
    database_url: Option<String>,
}

fn options() -> anyhow::Result<Options> {
    let mut o = Options { connections: 64, requests: 100_000, writes: 10_000, database_url: None };
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut value = || args.next().context("missing value");
        match a.as_str() {
            "--connections" => o.connections = value()?.parse()?,
            "--requests" => o.requests = value()?.parse()?,
            "--writes" => o.writes = value()?.parse()?,
            "--database-url" => o.database_url = Some(value()?),
            other => bail!("unknown argument {other}"),
        }
    }
    Ok(o)
}

struct Server {
    child: Child,
    addr: String,
    _dir: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn keyhall_binary() -> anyhow::Result<PathBuf> {
    let here = std::env::current_exe()?;
    let bin = here.parent().context("exe dir")?.join("keyhall");
    if !bin.exists() {
        bail!("{} not found: build it with `cargo build --release -p keyhall-server` (bench/run does)", bin.display());
    }
    Ok(bin)
}

fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

async fn boot(o: &Options) -> anyhow::Result<(Server, String)> {
    let bin = keyhall_binary()?;
    let dir = tempfile::tempdir()?;
    let addr = format!("127.0.0.1:{}", free_port()?);
    let mut cmd = Command::new(&bin);
    cmd.arg("--data-dir").arg(dir.path());
    if let Some(url) = &o.database_url {
        cmd.args(["--database-url", url]);
    }
    let child = cmd
        .args(["serve", "--listen", &addr, "--log-level", "warn"])
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .context("start keyhall")?;
    let server = Server { child, addr: addr.clone(), _dir: dir };
    let started = Instant::now();
    loop {
        if let Ok(mut c) = Connection::open(&addr).await
            && c.request("GET", "/healthz", None, "").await.is_ok_and(|r| r.status == 200)
        {
            break;
        }
        if started.elapsed() > Duration::from_secs(30) {
            bail!("keyhall did not come up on {addr}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let mut cmd = Command::new(&bin);
    cmd.arg("--data-dir").arg(server._dir.path());
    if let Some(url) = &o.database_url {
        cmd.args(["--database-url", url]);
    }
    let out = cmd
        .args([
            "company",
            "create",
            "--name",
            "Bench Ltd",
            "--email",
            "bench@example.com",
            "--password",
            "Bench-Pass-1",
            "--json",
        ])
        .output()?;
    if !out.status.success() {
        bail!("company create failed: {}", String::from_utf8_lossy(&out.stderr));
    }
    let created: serde_json::Value = serde_json::from_slice(&out.stdout)?;
    let token = created["token"].as_str().context("token")?.to_string();
    Ok((server, token))
}

struct Scenario {
    name: &'static str,
    method: &'static str,
    path: &'static str,
    body: &'static str,
    expect: u16,
}

struct Outcome {
    name: &'static str,
    requests: usize,
    seconds: f64,
    p50_ms: f64,
    p99_ms: f64,
}

impl Outcome {
    fn rate(&self) -> f64 {
        self.requests as f64 / self.seconds
    }
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

async fn drive(addr: &str, token: &str, s: &Scenario, connections: usize, total: usize) -> anyhow::Result<Outcome> {
    let next = Arc::new(AtomicUsize::new(0));
    let auth = format!("Bearer {token}");
    let mut tasks = Vec::new();
    let started = Instant::now();
    for _ in 0..connections {
        let (next, addr, auth) = (next.clone(), addr.to_string(), auth.clone());
        let (method, path, body, expect) = (s.method, s.path, s.body, s.expect);
        tasks.push(tokio::spawn(async move {
            let mut conn = Connection::open(&addr).await?;
            let mut latencies = Vec::with_capacity(total / connections + 1);
            while next.fetch_add(1, Ordering::Relaxed) < total {
                let t = Instant::now();
                let r = conn.request(method, path, Some(&auth), body).await?;
                latencies.push(t.elapsed());
                if r.status != expect {
                    bail!("{path}: status {} (expected {expect}): {}", r.status, String::from_utf8_lossy(&r.body));
                }
            }
            anyhow::Ok(latencies)
        }));
    }
    let mut all = Vec::with_capacity(total);
    for t in tasks {
        all.extend(t.await??);
    }
    let seconds = started.elapsed().as_secs_f64();
    all.sort_unstable();
    Ok(Outcome { name: s.name, requests: all.len(), seconds, p50_ms: percentile(&all, 0.5), p99_ms: percentile(&all, 0.99) })
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let o = options()?;
    let (server, token) = boot(&o).await?;
    let addr = server.addr.clone();
    let mut setup = Connection::open(&addr).await?;
    for i in 0..20 {
        let r = setup
            .request(
                "POST",
                "/api/v1/license/create_license",
                Some(&format!("Bearer {token}")),
                &format!("target_name=server-{i}"),
            )
            .await?;
        if r.status != 200 {
            bail!("setup license {i}: {}", r.status);
        }
    }
    let scenarios = [
        Scenario { name: "GET /healthz (baseline)", method: "GET", path: "/healthz", body: "", expect: 200 },
        Scenario {
            name: "license/list_licenses (20, Bearer)",
            method: "POST",
            path: "/api/v1/license/list_licenses",
            body: "",
            expect: 200,
        },
        Scenario {
            name: "token/list_actions (no DB)",
            method: "POST",
            path: "/api/v1/token/list_actions",
            body: "",
            expect: 200,
        },
        Scenario {
            name: "user/account-settings/get (2 rows)",
            method: "POST",
            path: "/api/v1/user/account-settings/get",
            body: "",
            expect: 200,
        },
        Scenario {
            name: "license/create_license (write)",
            method: "POST",
            path: "/api/v1/license/create_license",
            body: "target_name=bench",
            expect: 200,
        },
    ];
    // Warm-up: connections, caches, statement caches.
    for s in &scenarios[..2] {
        drive(&addr, &token, s, o.connections, 2_000).await?;
    }
    let mut results = Vec::new();
    for (i, s) in scenarios.iter().enumerate() {
        let total = if i == scenarios.len() - 1 { o.writes } else { o.requests };
        results.push(drive(&addr, &token, s, o.connections, total).await?);
    }
    let store = if o.database_url.is_some() { "PostgreSQL" } else { "SQLite" };
    let cpus = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0);
    println!(
        "keyhall {} benchmark: store {store}, {} connections, {cpus} CPUs (server and load generator share them)",
        env!("CARGO_PKG_VERSION"),
        o.connections
    );
    println!();
    println!("| scenario | requests | req/s | p50 ms | p99 ms | ratio to baseline |");
    println!("|---|---:|---:|---:|---:|---:|");
    let base = results[0].rate();
    for r in &results {
        println!(
            "| {} | {} | {:.0} | {:.2} | {:.2} | {:.2} |",
            r.name,
            r.requests,
            r.rate(),
            r.p50_ms,
            r.p99_ms,
            r.rate() / base
        );
    }
    Ok(())
}
