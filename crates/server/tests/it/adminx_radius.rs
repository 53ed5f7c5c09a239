//! keyhall's RADIUS server, driven by a real RADIUS client (`radclient`, freeradius-utils):
//! PAP passwords of a community's users, an Access-Challenge for a hardware token's code,
//! the shared secret and Message-Authenticator of the community's RADIUS configuration.

use keyhall_crypto::totp::{Algorithm, hotp};
use reqwest::Method;
use serde_json::json;

use crate::adminx_client::{basic_user, community};
use crate::harness::TestServer;

const SECRET: &str = "radius-Shared-Secret-1";

fn code(counter: u64) -> String {
    hotp(Algorithm::Sha1, b"12345678901234567890", counter, 6)
}

/// What `radclient` saw: the answer's code (`Access-Accept`…, or `none`) and its output.
fn radclient(addr: std::net::SocketAddr, secret: &str, attributes: &str) -> (String, String) {
    use std::io::Write;
    let mut child = std::process::Command::new("radclient")
        .args(["-x", "-r", "1", "-t", "1", &addr.to_string(), "auth", secret])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("radclient is installed (bin/test installs freeradius-utils)");
    child.stdin.take().unwrap().write_all(attributes.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    let answer = ["Access-Accept", "Access-Reject", "Access-Challenge"]
        .into_iter()
        .find(|c| text.contains(&format!("Received {c}")))
        .unwrap_or("none");
    (answer.to_string(), text)
}

/// An attribute of the answer as radclient prints it (`State = 0x…`).
fn attribute(output: &str, name: &str) -> Option<String> {
    output.lines().map(str::trim).find_map(|l| l.strip_prefix(&format!("{name} = ")).map(|v| v.trim_matches('"').to_string()))
}

fn pap(user: &str, password: &str) -> String {
    format!("User-Name = \"{user}\", User-Password = \"{password}\", Message-Authenticator = 0x00\n")
}

crate::both!(radius_clients_sign_users_in_with_password_then_token_code, |srv: TestServer| async move {
    let c = community(&srv, "radius.example.com").await;
    basic_user(&srv, &c, "dan").await;
    basic_user(&srv, &c, "ann").await;
    let put = |path: &'static str, body: serde_json::Value| c.admin.call(&srv, Method::PUT, path, Some(body));
    c.admin.open(
        &put("/hardwaretokens/tokens", json!({ "csv_text": "serial,seed\nRT1,3132333435363738393031323334353637383930" })).await,
    );
    c.admin.open(&put("/hardwaretokens/usertokens", json!({ "list": [{ "username": "ann", "serialNumber": "RT1" }] })).await);
    let config = json!({ "name": "VPN", "authScheme": ["password"], "pushKeyword": "push",
        "clientAddresses": ["127.0.0.0/8"], "sharedSecret": SECRET });
    let stored = c.admin.open(&put("/radius/config/vpn", c.with(config)).await);
    assert!(stored.get("sharedSecret").is_none(), "the secret is never answered: {stored}");
    let bad = json!({ "name": "VPN", "authScheme": ["password"], "pushKeyword": "push", "clientAddresses": ["nas.example.com"] });
    crate::adminx_client::error(&put("/radius/config/vpn-2", c.with(bad)).await, 400);

    let node = srv.sibling(|cfg| cfg.adminx.radius_listen = Some("127.0.0.1:0".into())).await;
    let addr = node.running.radius_addr.expect("the RADIUS server is on");
    let run = move |secret: &'static str, attrs: String| tokio::task::spawn_blocking(move || radclient(addr, secret, &attrs));

    // A password-only user: accepted with the right password, rejected with a wrong one.
    let (answer, out) = run(SECRET, pap("dan", "Ordinary-Pass-4")).await.unwrap();
    assert_eq!(answer, "Access-Accept", "{out}");
    let (answer, out) = run(SECRET, pap("dan", "wrong-password")).await.unwrap();
    assert_eq!(answer, "Access-Reject", "{out}");
    assert_eq!(attribute(&out, "Reply-Message").as_deref(), Some("Invalid username or password"), "{out}");
    let (answer, _) = run(SECRET, pap("nobody", "Ordinary-Pass-4")).await.unwrap();
    assert_eq!(answer, "Access-Reject");
    // A wrong shared secret, or no Message-Authenticator: dropped unanswered.
    let (answer, out) = run("not-the-secret", pap("dan", "Ordinary-Pass-4")).await.unwrap();
    assert_eq!(answer, "none", "{out}");
    let bare = "User-Name = \"dan\", User-Password = \"Ordinary-Pass-4\"\n".to_string();
    let (answer, out) = run(SECRET, bare).await.unwrap();
    assert_eq!(answer, "none", "{out}");

    // A token holder: the password brings a challenge, its State and the token's code an accept.
    let (answer, out) = run(SECRET, pap("ann", "Ordinary-Pass-4")).await.unwrap();
    assert_eq!(answer, "Access-Challenge", "{out}");
    assert_eq!(attribute(&out, "Reply-Message").as_deref(), Some("Enter the one-time passcode"));
    let state = attribute(&out, "State").expect("a State");
    let answer_with = |state: &str, code: String| {
        format!("User-Name = \"ann\", User-Password = \"{code}\", State = {state}, Message-Authenticator = 0x00\n")
    };
    let (answer, out) = run(SECRET, answer_with(&state, code(50))).await.unwrap();
    assert_eq!(answer, "Access-Reject", "a code far ahead of the token: {out}");
    assert_eq!(attribute(&out, "Reply-Message").as_deref(), Some("The one-time code is not valid"));
    let (answer, out) = run(SECRET, answer_with(&state, code(0))).await.unwrap();
    assert_eq!(answer, "Access-Accept", "{out}");
    let (answer, _) = run(SECRET, answer_with(&state, code(0))).await.unwrap();
    assert_eq!(answer, "Access-Reject", "a code is good once");
    let (answer, _) = run(SECRET, answer_with(&state, code(1))).await.unwrap();
    assert_eq!(answer, "Access-Reject", "a State is spent by the code that passed: no second sign-in without the password");
    // Another user's name with ann's State: refused.
    let (answer, out) = run(SECRET, pap("ann", "Ordinary-Pass-4")).await.unwrap();
    assert_eq!(answer, "Access-Challenge", "{out}");
    let fresh = attribute(&out, "State").unwrap();
    let as_dan = format!("User-Name = \"dan\", User-Password = \"{}\", State = {fresh}, Message-Authenticator = 0x00\n", code(1));
    assert_eq!(run(SECRET, as_dan).await.unwrap().0, "Access-Reject");
    let (answer, out) = run(SECRET, answer_with(&fresh, code(1))).await.unwrap();
    assert_eq!(answer, "Access-Accept", "the challenge survives a refused answer: {out}");
    let (answer, _) = run(SECRET, answer_with("0x6e6f742d612d7374617465", code(1))).await.unwrap();
    assert_eq!(answer, "Access-Reject", "a State keyhall did not make");

    // The configuration asks every user for a code: dan has none set up, and is refused.
    let config = json!({ "name": "VPN", "authScheme": ["otp"], "pushKeyword": "push", "clientAddresses": ["127.0.0.1"],
        "sharedSecret": SECRET });
    c.admin.open(&put("/radius/config/vpn", c.with(config)).await);
    let (answer, out) = run(SECRET, pap("dan", "Ordinary-Pass-4")).await.unwrap();
    assert_eq!(
        (answer.as_str(), attribute(&out, "Reply-Message").as_deref()),
        ("Access-Reject", Some("No one-time code is set up for this user")),
        "{out}"
    );
    // A NAS at an address no configuration lists is not answered.
    let config = json!({ "name": "VPN", "authScheme": ["password"], "pushKeyword": "push", "clientAddresses": ["10.0.0.0/8"],
        "sharedSecret": SECRET });
    c.admin.open(&put("/radius/config/vpn", c.with(config)).await);
    let (answer, _) = run(SECRET, pap("dan", "Ordinary-Pass-4")).await.unwrap();
    assert_eq!(answer, "none");
});
