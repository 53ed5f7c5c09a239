//! keyhall load benchmark. Boots the release `keyhall` binary on loopback with a fresh SQLite
//! data directory (or `--database-url`), creates a company, then drives each scenario with a
//! fixed number of requests over N keep-alive connections and reports throughput, p50, p99
//! and the ratio of each scenario's throughput to the `/healthz` baseline measured in the same
//! run.

mod adminx;
mod barong;
mod http;

/// The load generator shares the CPUs with the server: its allocations (a body of many
/// kilobytes per answer) should cost as little as the server's own.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

use crate::http::Connection;

pub struct Options {
    pub connections: usize,
    pub requests: usize,
    pub writes: usize,
    pub logins: usize,
    pub database_url: Option<String>,
    /// `comet`, `barong` or `adminx`: run only that face's scenarios.
    pub only: Option<String>,
    /// With `--only adminx`: run only the steady reads whose names contain one of these
    /// comma-separated words (e.g. `healthz,one client key`), to compare or profile them.
    pub steady: Option<String>,
}

fn options() -> anyhow::Result<Options> {
    let mut o = Options {
        connections: 64,
        requests: 100_000,
        writes: 10_000,
        logins: 1_000,
        database_url: None,
        only: None,
        steady: None,
    };
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut value = || args.next().context("missing value");
        match a.as_str() {
            "--connections" => o.connections = value()?.parse()?,
            "--requests" => o.requests = value()?.parse()?,
            "--writes" => o.writes = value()?.parse()?,
            "--logins" => o.logins = value()?.parse()?,
            "--database-url" => o.database_url = Some(value()?),
            "--only" => {
                let face = value()?;
                if !["comet", "barong", "adminx"].contains(&face.as_str()) {
                    bail!("--only takes comet, barong or adminx");
                }
                o.only = Some(face);
            }
            "--steady" => o.steady = Some(value()?),
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
    // The 1Kosmos bench stores 100,000 client events from its one address: no per-address limit.
    let child = cmd
        .args(["serve", "--listen", &addr, "--log-level", "warn", "--trust-forwarded-for"])
        .args(["--adminx-client-events-per-minute", "0"])
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
            barong::OWNER_EMAIL,
            "--password",
            barong::OWNER_PASSWORD,
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

/// One request of a scenario, built fresh for every send.
pub struct Req {
    pub method: &'static str,
    pub path: String,
    pub headers: Vec<(&'static str, String)>,
    pub content_type: Option<&'static str>,
    pub body: String,
    pub expect: u16,
}

pub type MakeReq = Arc<dyn Fn() -> Req + Send + Sync>;

pub struct Outcome {
    pub name: String,
    pub requests: usize,
    pub seconds: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    /// Every request's latency, sorted.
    latencies: Vec<Duration>,
}

impl Outcome {
    pub fn rate(&self) -> f64 {
        self.requests as f64 / self.seconds
    }

    fn new(name: &str, mut latencies: Vec<Duration>, seconds: f64) -> Self {
        latencies.sort_unstable();
        Outcome {
            name: name.to_string(),
            requests: latencies.len(),
            seconds,
            p50_ms: percentile(&latencies, 0.5),
            p99_ms: percentile(&latencies, 0.99),
            latencies,
        }
    }

    /// One outcome of several runs of a scenario: their requests over their summed time.
    pub fn merge(name: &str, parts: &[Outcome]) -> Outcome {
        let latencies = parts.iter().flat_map(|p| p.latencies.iter().copied()).collect();
        Outcome::new(name, latencies, parts.iter().map(|p| p.seconds).sum())
    }
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

/// Sends `total` requests made by `make` over `connections` keep-alive connections.
pub async fn drive(addr: &str, name: &str, make: MakeReq, connections: usize, total: usize) -> anyhow::Result<Outcome> {
    let next = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    let started = Instant::now();
    for _ in 0..connections.min(total.max(1)) {
        let (next, addr, make) = (next.clone(), addr.to_string(), make.clone());
        tasks.push(tokio::spawn(async move {
            let mut conn = Connection::open(&addr).await?;
            let mut latencies = Vec::with_capacity(total / connections + 1);
            while next.fetch_add(1, Ordering::Relaxed) < total {
                let req = make();
                let t = Instant::now();
                let r = conn.send(req.method, &req.path, &req.headers, req.content_type, &req.body).await?;
                latencies.push(t.elapsed());
                if r.status != req.expect {
                    bail!("{}: status {} (expected {}): {}", req.path, r.status, req.expect, String::from_utf8_lossy(&r.body));
                }
                conn.recycle(r);
            }
            anyhow::Ok(latencies)
        }));
    }
    let mut all = Vec::with_capacity(total);
    for t in tasks {
        all.extend(t.await??);
    }
    Ok(Outcome::new(name, all, started.elapsed().as_secs_f64()))
}

/// Drives the scenarios (name, requests, total) in turn, `rounds` times over, each round a
/// `1/rounds` share of its total, and merges each scenario's rounds. On a machine whose speed
/// drifts within a minute (other tenants of the host), every scenario then sees the same
/// drift, so their ratios to the baseline hold where back-to-back runs would not.
pub async fn drive_interleaved(
    addr: &str,
    scenarios: &[(&str, MakeReq, usize)],
    connections: usize,
    rounds: usize,
) -> anyhow::Result<Vec<Outcome>> {
    let mut parts: Vec<Vec<Outcome>> = scenarios.iter().map(|_| Vec::new()).collect();
    for _ in 0..rounds {
        for ((name, make, total), done) in scenarios.iter().zip(parts.iter_mut()) {
            done.push(drive(addr, name, make.clone(), connections, (total / rounds).max(1)).await?);
        }
    }
    Ok(scenarios.iter().zip(parts).map(|((name, _, _), done)| Outcome::merge(name, &done)).collect())
}

fn simple(method: &'static str, path: &str, auth: Option<String>, body: &str, expect: u16) -> MakeReq {
    let (path, body) = (path.to_string(), body.to_string());
    Arc::new(move || Req {
        method,
        path: path.clone(),
        headers: auth.clone().map(|a| ("Authorization", a)).into_iter().collect(),
        content_type: (method != "GET").then_some("application/x-www-form-urlencoded"),
        body: body.clone(),
        expect,
    })
}

pub fn print_table(title: &str, results: &[Outcome], base: f64) {
    println!("{title}");
    println!();
    println!("| scenario | requests | req/s | p50 ms | p99 ms | ratio to baseline |");
    println!("|---|---:|---:|---:|---:|---:|");
    for r in results {
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
    println!();
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
    let bearer = Some(format!("Bearer {token}"));
    let healthz = simple("GET", "/healthz", None, "", 200);
    let scenarios: Vec<(&str, MakeReq, usize)> = vec![
        ("GET /healthz (baseline)", healthz.clone(), o.requests),
        (
            "license/list_licenses (20, Bearer)",
            simple("POST", "/api/v1/license/list_licenses", bearer.clone(), "", 200),
            o.requests,
        ),
        ("token/list_actions (no DB)", simple("POST", "/api/v1/token/list_actions", bearer.clone(), "", 200), o.requests),
        (
            "user/account-settings/get (2 rows)",
            simple("POST", "/api/v1/user/account-settings/get", bearer.clone(), "", 200),
            o.requests,
        ),
        (
            "license/create_license (write)",
            simple("POST", "/api/v1/license/create_license", bearer.clone(), "target_name=bench", 200),
            o.writes,
        ),
    ];
    // Warm-up: connections, caches, statement caches.
    for (name, make, _) in &scenarios[..2] {
        drive(&addr, name, make.clone(), o.connections, 2_000).await?;
    }
    let run_comet = o.only.is_none() || o.only.as_deref() == Some("comet");
    let mut results = Vec::new();
    for (name, make, total) in scenarios.iter().filter(|_| run_comet) {
        results.push(drive(&addr, name, make.clone(), o.connections, *total).await?);
    }
    let store = if o.database_url.is_some() { "PostgreSQL" } else { "SQLite" };
    let cpus = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0);
    println!(
        "keyhall {} benchmark: store {store}, {} connections, {cpus} CPUs (server and load generator share them)",
        env!("CARGO_PKG_VERSION"),
        o.connections
    );
    println!();
    if run_comet {
        print_table("Comet Account Portal API", &results, results[0].rate());
    }
    if o.only.is_none() || o.only.as_deref() == Some("barong") {
        barong::run(&addr, &o, healthz.clone()).await?;
    }
    if o.only.is_none() || o.only.as_deref() == Some("adminx") {
        adminx::run(&addr, &keyhall_binary()?, server._dir.path(), &o, healthz).await?;
    }
    Ok(())
}
