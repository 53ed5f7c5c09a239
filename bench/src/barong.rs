//! The Barong gateway hot path: authorize with a session cookie and with API-key headers (a
//! fresh nonce and signature on every request), a resource call with the JWT (its session
//! checked), password logins against the machine's raw argon2id rate, and authorize latency
//! while a login burst runs.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use serde_json::{Value, json};

use crate::http::Connection;
use crate::{MakeReq, Options, Outcome, Req, drive, print_table};

const UA: &str = "keyhall-bench/1.0";
/// Tells apart the API-key nonces of one millisecond.
static SEQUENCE: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
const AUTHORIZE: &str = "/api/v2/auth/api/v2/barong/resource/users/me";
const PASSWORD: &str = "eeC2BiCucxWEQ";
/// The company the bench creates first takes over the default tenant, which the Barong face
/// serves: its primary contact is the tenant's superadmin, and the bench's Barong user.
pub const OWNER_EMAIL: &str = "bench@example.com";
pub const OWNER_PASSWORD: &str = "Bench-Pass-1";
/// Login rounds, each between two measurements of the raw hash rate.
const LOGIN_ROUNDS: usize = 5;
const RAW_SECONDS: f64 = 2.0;

async fn json_call(
    conn: &mut Connection,
    method: &str,
    path: &str,
    headers: &[(&str, String)],
    body: Value,
) -> anyhow::Result<crate::http::Response> {
    let mut all = vec![("User-Agent", UA.to_string())];
    all.extend(headers.iter().cloned());
    conn.send(method, path, &all, Some("application/json"), &body.to_string()).await
}

fn totp_now(secret_b32: &str, offset: i64) -> String {
    let key = keyhall_crypto::totp::decode_secret(secret_b32).expect("base32 secret");
    let now = time::OffsetDateTime::now_utc().unix_timestamp() + offset * 30;
    keyhall_crypto::totp::totp_at(&keyhall_crypto::totp::TotpParams::default(), &key, now as u64)
}

/// The bench user's credentials: session cookie, the JWT authorize gave for it, API key.
struct Credentials {
    cookie: String,
    bearer: String,
    kid: String,
    secret: String,
}

/// Signs the bench user (the company's primary contact) in, enables TOTP and creates an API
/// key.
async fn setup(addr: &str) -> anyhow::Result<Credentials> {
    let mut c = Connection::open(addr).await?;
    let r = json_call(
        &mut c,
        "POST",
        "/api/v2/auth/identity/sessions",
        &[],
        json!({ "email": OWNER_EMAIL, "password": OWNER_PASSWORD }),
    )
    .await?;
    if r.status != 200 {
        bail!("sign-in: {} {}", r.status, String::from_utf8_lossy(&r.body));
    }
    let cookie = r.header("set-cookie").context("session cookie")?.split(';').next().unwrap_or("").to_string();
    let r = json_call(&mut c, "GET", AUTHORIZE, &[("Cookie", cookie.clone())], Value::Null).await?;
    let bearer = r.header("authorization").context("bearer from authorize")?.to_string();
    let auth = [("Authorization", bearer.clone())];
    let r = json_call(&mut c, "POST", "/api/v2/auth/resource/otp/generate_qrcode", &auth, json!({})).await?;
    let body: Value = serde_json::from_slice(&r.body)?;
    let url = body["data"]["url"].as_str().context("otpauth url")?;
    let secret = url.split("secret=").nth(1).and_then(|s| s.split('&').next()).context("secret")?.to_string();
    let r = json_call(&mut c, "POST", "/api/v2/auth/resource/otp/enable", &auth, json!({ "code": totp_now(&secret, 0) })).await?;
    if r.status != 201 {
        bail!("otp enable: {}", r.status);
    }
    let r = json_call(
        &mut c,
        "POST",
        "/api/v2/auth/resource/api_keys",
        &auth,
        json!({ "algorithm": "HS256", "totp_code": totp_now(&secret, 1) }),
    )
    .await?;
    let key: Value = serde_json::from_slice(&r.body)?;
    let (kid, key_secret) =
        (key["kid"].as_str().context("kid")?.to_string(), key["secret"].as_str().context("secret")?.to_string());
    Ok(Credentials { cookie, bearer, kid, secret: key_secret })
}

/// Raw argon2id hashes per second with one hashing thread per CPU, as keyhall hashes.
fn raw_hash_rate(seconds: f64) -> f64 {
    let threads = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2);
    let deadline = Instant::now() + Duration::from_secs_f64(seconds);
    let started = Instant::now();
    let handles: Vec<_> = (0..threads)
        .map(|_| {
            std::thread::spawn(move || {
                let mut n = 0u64;
                while Instant::now() < deadline {
                    keyhall_crypto::password::hash_password(PASSWORD).expect("hash");
                    n += 1;
                }
                n
            })
        })
        .collect();
    let total: u64 = handles.into_iter().map(|h| h.join().unwrap_or(0)).sum();
    total as f64 / started.elapsed().as_secs_f64()
}

pub async fn run(addr: &str, o: &Options, healthz: MakeReq) -> anyhow::Result<()> {
    let Credentials { cookie, bearer, kid, secret } = setup(addr).await?;
    // The resource API with the JWT: each call checks that the session it is bound to is
    // still open and its user still active (cached for a few seconds, as authorize's are).
    let resource_req: MakeReq = Arc::new(move || Req {
        method: "GET",
        path: "/api/v2/auth/resource/users/me".into(),
        headers: vec![("User-Agent", UA.into()), ("Authorization", bearer.clone())],
        content_type: None,
        body: String::new(),
        expect: 200,
    });
    let cookie_req: MakeReq = {
        let cookie = cookie.clone();
        Arc::new(move || Req {
            method: "GET",
            path: AUTHORIZE.into(),
            headers: vec![("User-Agent", UA.into()), ("Cookie", cookie.clone())],
            content_type: None,
            body: String::new(),
            expect: 200,
        })
    };
    let api_key_req: MakeReq = Arc::new(move || {
        // A nonce is served once: requests of one millisecond are told apart after the digits.
        let n = SEQUENCE.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let nonce = format!("{}.{n}", time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000);
        let signature = keyhall_core::auth::api_keys::signature(&secret, &nonce, &kid);
        Req {
            method: "GET",
            path: AUTHORIZE.into(),
            headers: vec![("X-Auth-Apikey", kid.clone()), ("X-Auth-Nonce", nonce), ("X-Auth-Signature", signature)],
            content_type: None,
            body: String::new(),
            expect: 200,
        }
    });
    // Logins spread over as many accounts as connections: one account under 64 concurrent
    // sign-ins would (rightly) hit the brute-force limit. Each signs up from its own address
    // (keyhall trusts X-Forwarded-For here): sign-ups are limited per address.
    let accounts = o.connections.max(1);
    let mut c = Connection::open(addr).await?;
    for i in 0..accounts {
        let r = json_call(
            &mut c,
            "POST",
            "/api/v2/auth/identity/users",
            &[("X-Forwarded-For", format!("10.99.{}.{}", i / 256, i % 256))],
            json!({ "email": format!("login{i}@example.com"), "password": PASSWORD }),
        )
        .await?;
        if r.status != 201 {
            bail!("sign-up {i}: {}", r.status);
        }
    }
    let counter = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let login_req: MakeReq = Arc::new(move || {
        let i = counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed) % accounts;
        Req {
            method: "POST",
            path: "/api/v2/auth/identity/sessions".into(),
            headers: vec![("User-Agent", UA.into())],
            content_type: Some("application/json"),
            body: json!({ "email": format!("login{i}@example.com"), "password": PASSWORD }).to_string(),
            expect: 200,
        }
    });
    // Warm-up.
    drive(addr, "warm-up", cookie_req.clone(), o.connections, 2_000).await?;
    drive(addr, "warm-up", api_key_req.clone(), o.connections, 2_000).await?;
    let mut results = vec![
        drive(addr, "GET /healthz (baseline)", healthz, o.connections, o.requests).await?,
        drive(addr, "authorize, session cookie", cookie_req.clone(), o.connections, o.requests).await?,
        drive(addr, "authorize, API key (fresh nonce + HMAC each)", api_key_req, o.connections, o.requests).await?,
        drive(addr, "resource users/me, JWT (session and user checked)", resource_req, o.connections, o.requests).await?,
    ];
    let base = results[0].rate();

    // Logins: each checks the password (argon2id) and opens a session. They run in rounds
    // between measurements of the raw hash rate, and each round is compared with the raw rate
    // measured right before and right after it: a shared virtual machine's speed drifts by
    // a tenth or more within a minute, which would otherwise skew one before/after pair.
    let mut raw = vec![tokio::task::spawn_blocking(|| raw_hash_rate(RAW_SECONDS)).await?];
    let mut rounds = Vec::new();
    for r in 0..LOGIN_ROUNDS {
        let n = o.logins / LOGIN_ROUNDS + usize::from(r < o.logins % LOGIN_ROUNDS);
        rounds.push(drive(addr, "password logins", login_req.clone(), o.connections, n).await?);
        raw.push(tokio::task::spawn_blocking(|| raw_hash_rate(RAW_SECONDS)).await?);
    }
    let mut ratios: Vec<f64> = rounds.iter().enumerate().map(|(i, l)| l.rate() / ((raw[i] + raw[i + 1]) / 2.0)).collect();
    let listed = |v: &[f64], digits: usize| v.iter().map(|x| format!("{x:.digits$}")).collect::<Vec<_>>().join(", ");
    let per_round = (listed(&raw, 1), listed(&rounds.iter().map(Outcome::rate).collect::<Vec<_>>(), 1), listed(&ratios, 2));
    ratios.sort_by(f64::total_cmp);
    let median_ratio = ratios[ratios.len() / 2];
    let logins = Outcome::merge("password logins (argon2id check)", &rounds);
    let login_rate = logins.rate();
    results.push(logins);

    // Authorize while a login burst runs.
    let burst = {
        let (addr, login_req) = (addr.to_string(), login_req.clone());
        let n = o.logins;
        tokio::spawn(async move { drive(&addr, "login burst", login_req, 64, n).await })
    };
    tokio::time::sleep(Duration::from_millis(200)).await;
    let during = drive(addr, "authorize, session cookie, during a login burst", cookie_req, 16, o.requests / 10).await?;
    let burst: Outcome = burst.await??;
    results.push(during);
    print_table("Barong gateway (authorize) and logins", &results, base);
    println!("| measure | value |");
    println!("|---|---:|");
    println!(
        "| raw argon2id hashes/s (m=19 MiB, t=2, p=1; one thread per CPU, {RAW_SECONDS} s each), before, between and after the login rounds | {} |",
        per_round.0
    );
    println!("| password logins/s over HTTP, per round | {} |", per_round.1);
    println!("| logins / raw hash rate, per round (raw: mean of the measurements around it) | {} |", per_round.2);
    println!("| password logins/s over HTTP, all rounds | {login_rate:.1} |");
    println!("| logins / raw hash rate (median of the rounds) | {median_ratio:.2} |");
    println!("| login burst during the authorize run: logins/s | {:.1} |", burst.rate());
    Ok(())
}
