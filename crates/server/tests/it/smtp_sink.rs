//! A minimal SMTP server on loopback that keeps every message it receives, so tests can read
//! the codes keyhall mails; beside it, a stand-in SMS gateway that keeps every text.

use std::sync::{Arc, Mutex};

use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

#[derive(Debug, Clone)]
pub struct Mail {
    pub to: String,
    pub data: String,
    /// What the client authenticated with (`AUTH PLAIN`, decoded: `\0user\0password`).
    pub auth: Option<String>,
}

#[derive(Clone, Default)]
pub struct SmtpSink {
    pub port: u16,
    mails: Arc<Mutex<Vec<Mail>>>,
    /// While set, the sink answers every connection "421 try again later" (a mail server
    /// that is down).
    refusing: Arc<std::sync::atomic::AtomicBool>,
    /// The SMS gateway beside it, and its URL (`KEYHALL_SMS_WEBHOOK_URL`).
    pub texts: SmsGateway,
    pub texts_url: String,
}

impl SmtpSink {
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let mails: Arc<Mutex<Vec<Mail>>> = Arc::default();
        let (texts, texts_url) = SmsGateway::start().await;
        let refusing: Arc<std::sync::atomic::AtomicBool> = Arc::default();
        let sink = Self { port, mails: mails.clone(), refusing: refusing.clone(), texts, texts_url };
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let mails = mails.clone();
                let refusing = refusing.load(std::sync::atomic::Ordering::SeqCst);
                tokio::spawn(async move {
                    let (read, mut write) = stream.into_split();
                    if refusing {
                        let _ = write.write_all(b"421 sink down, try again later\r\n").await;
                        return;
                    }
                    let mut lines = BufReader::new(read).lines();
                    let _ = write.write_all(b"220 sink ESMTP\r\n").await;
                    let (mut to, mut in_data, mut data) = (String::new(), false, String::new());
                    let mut auth: Option<String> = None;
                    while let Ok(Some(line)) = lines.next_line().await {
                        if in_data {
                            if line == "." {
                                in_data = false;
                                mails.lock().unwrap().push(Mail {
                                    to: to.clone(),
                                    data: std::mem::take(&mut data),
                                    auth: auth.clone(),
                                });
                                let _ = write.write_all(b"250 queued\r\n").await;
                            } else {
                                data.push_str(line.strip_prefix('.').unwrap_or(&line));
                                data.push('\n');
                            }
                            continue;
                        }
                        let upper = line.to_ascii_uppercase();
                        let reply: &[u8] = if upper.starts_with("EHLO") {
                            b"250-sink\r\n250 AUTH PLAIN\r\n"
                        } else if upper.starts_with("HELO") {
                            b"250 sink\r\n"
                        } else if let Some(given) = line.strip_prefix("AUTH PLAIN ") {
                            let decoded = base64::Engine::decode(&base64::engine::general_purpose::STANDARD, given.trim());
                            auth = decoded.ok().map(|b| String::from_utf8_lossy(&b).to_string());
                            b"235 ok\r\n"
                        } else if upper.starts_with("MAIL FROM") {
                            b"250 ok\r\n"
                        } else if upper.starts_with("RCPT TO") {
                            to = line[8..].trim().trim_matches(|c| c == '<' || c == '>' || c == ':').to_string();
                            b"250 ok\r\n"
                        } else if upper == "DATA" {
                            in_data = true;
                            b"354 go on\r\n"
                        } else if upper == "QUIT" {
                            let _ = write.write_all(b"221 bye\r\n").await;
                            break;
                        } else {
                            b"250 ok\r\n"
                        };
                        let _ = write.write_all(reply).await;
                    }
                });
            }
        });
        sink
    }

    /// Makes the sink refuse mail (a server that is down), or take it again.
    pub fn refuse(&self, refusing: bool) {
        self.refusing.store(refusing, std::sync::atomic::Ordering::SeqCst);
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Waits for a mail to `to` (up to 10 s) and returns it.
    pub async fn wait_for(&self, to: &str, after: usize) -> Mail {
        for _ in 0..200 {
            let found = self.mails.lock().unwrap().iter().filter(|m| m.to.contains(to)).nth(after).cloned();
            if let Some(m) = found {
                return m;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("no mail to {to}");
    }

    pub fn count_to(&self, to: &str) -> usize {
        self.mails.lock().unwrap().iter().filter(|m| m.to.contains(to)).count()
    }
}

/// The body of a mail, decoded from quoted-printable when it says so.
pub fn body(mail: &Mail) -> String {
    let (headers, body) = mail.data.split_once("\n\n").unwrap_or(("", &mail.data));
    if !headers.to_ascii_lowercase().contains("content-transfer-encoding: quoted-printable") {
        return body.to_string();
    }
    let joined = body.replace("=\n", "");
    let bytes = joined.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'='
            && i + 2 < bytes.len()
            && let Ok(b) = u8::from_str_radix(&joined[i + 1..i + 3], 16)
        {
            out.push(b);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The token in a mail body: the line that looks like a JWT.
pub fn token_in(mail: &Mail) -> String {
    body(mail)
        .lines()
        .map(str::trim)
        .find(|l| l.split('.').count() == 3 && l.len() > 40 && !l.contains(' '))
        .unwrap_or_else(|| panic!("no token in {}", body(mail)))
        .to_string()
}

/// An SMS gateway that records what keyhall posts to it.
#[derive(Clone, Default)]
pub struct SmsGateway {
    pub texts: Arc<Mutex<Vec<Value>>>,
}

impl SmsGateway {
    pub async fn start() -> (Self, String) {
        let gateway = SmsGateway::default();
        let texts = gateway.texts.clone();
        let app = axum::Router::new().route(
            "/sms",
            axum::routing::post(move |axum::Json(v): axum::Json<Value>| {
                let texts = texts.clone();
                async move {
                    texts.lock().unwrap_or_else(|e| e.into_inner()).push(v);
                    "queued"
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        (gateway, format!("http://{addr}/sms"))
    }

    /// The code in the `nth` text (from 1) to `to`, once it has arrived (texts leave
    /// keyhall through its outbox, a moment after the request that sent them).
    pub async fn code_for(&self, to: &str, nth: usize) -> String {
        for _ in 0..200 {
            let body = {
                let texts = self.texts.lock().unwrap_or_else(|e| e.into_inner());
                texts.iter().filter(|t| t["to"] == to).nth(nth - 1).map(|t| t["body"].as_str().unwrap().to_string())
            };
            if let Some(body) = body {
                return body.rsplit(' ').next().unwrap().to_string();
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("no text number {nth} to {to}");
    }

    /// How many texts arrived, once at least `at_least` have.
    pub async fn count(&self, at_least: usize) -> usize {
        for _ in 0..200 {
            let n = self.texts.lock().unwrap_or_else(|e| e.into_inner()).len();
            if n >= at_least {
                return n;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("fewer than {at_least} texts arrived");
    }
}
