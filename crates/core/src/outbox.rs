//! Mail and texts leave through a durable outbox: a command that sends something writes the
//! message into the `outbox` table in its own transaction (sealed under the master key: the
//! messages hold codes and tokens), and a background worker delivers it. So a request never
//! waits on a mail server or an SMS gateway (and takes the same time whether or not it sent
//! anything: no telling by timing which addresses exist), a message survives a restart or a
//! gateway outage, and a failed delivery is retried with a growing delay.
//!
//! Nodes sharing a database share the outbox: a node claims due messages by pushing their
//! next attempt past a lease, so that no other node sends them meanwhile.

use serde_json::{Value, json};

use crate::error::Result;
use crate::ports::{MailMessage, QueuedMessage, SmsMessage, SmtpRoute, SmtpSecurity, Write};

/// Delivery attempts before a message is given up (the last one about a day after the first).
pub const MAX_ATTEMPTS: i64 = 14;
/// How long a claimed message is left to its node before another may try it.
const LEASE: time::Duration = time::Duration::minutes(2);
/// Messages claimed at once.
const BATCH: i64 = 20;
const SEAL_PURPOSE: &str = "outbox.message";

/// Something to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    Mail(MailMessage),
    /// Mail through a community's own SMTP server.
    MailVia(MailMessage, SmtpRoute),
    Text(SmsMessage),
}

fn security_name(s: SmtpSecurity) -> &'static str {
    match s {
        SmtpSecurity::Tls => "tls",
        SmtpSecurity::StartTls => "starttls",
        SmtpSecurity::Plain => "plain",
    }
}

impl Message {
    fn kind(&self) -> &'static str {
        match self {
            Message::Mail(_) | Message::MailVia(..) => "mail",
            Message::Text(_) => "text",
        }
    }

    fn to_json(&self) -> Value {
        match self {
            Message::Mail(m) => json!({ "to": m.to.as_str(), "subject": m.subject, "body": m.body }),
            Message::MailVia(m, r) => json!({ "to": m.to.as_str(), "subject": m.subject, "body": m.body, "route": {
                "host": r.host, "port": r.port, "security": security_name(r.security), "username": r.username,
                "password": r.password, "from": r.from } }),
            Message::Text(m) => {
                json!({ "to": m.to, "body": m.body, "channel": m.channel, "gateway": m.gateway.as_ref().map(|g| json!({
                "id": g.id, "type": g.kind, "name": g.name, "sender": g.sender,
            })) })
            }
        }
    }

    fn from_json(kind: &str, v: &Value) -> Option<Self> {
        let text = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_string);
        match kind {
            "mail" => {
                let mail = MailMessage {
                    to: keyhall_types::Email::parse(&text("to")?).ok()?,
                    subject: text("subject")?,
                    body: text("body")?,
                };
                match v.get("route") {
                    None => Some(Message::Mail(mail)),
                    Some(r) => {
                        let field = |k: &str| r.get(k).and_then(Value::as_str).map(str::to_string);
                        let security = match field("security")?.as_str() {
                            "tls" => SmtpSecurity::Tls,
                            "starttls" => SmtpSecurity::StartTls,
                            "plain" => SmtpSecurity::Plain,
                            _ => return None,
                        };
                        let route = SmtpRoute {
                            host: field("host")?,
                            port: u16::try_from(r.get("port")?.as_u64()?).ok()?,
                            security,
                            username: field("username")?,
                            password: field("password")?,
                            from: field("from")?,
                        };
                        Some(Message::MailVia(mail, route))
                    }
                }
            }
            "text" => {
                let g = &v["gateway"];
                let gateway = g.is_object().then(|| crate::ports::TextGateway {
                    id: g["id"].as_str().unwrap_or_default().into(),
                    kind: g["type"].as_str().unwrap_or_default().into(),
                    name: g["name"].as_str().unwrap_or_default().into(),
                    sender: g["sender"].as_str().unwrap_or_default().into(),
                });
                Some(Message::Text(SmsMessage { to: text("to")?, body: text("body")?, channel: text("channel")?, gateway }))
            }
            _ => None,
        }
    }
}

/// The wait before attempt `attempts + 1`: 30 s, doubling, at most four hours.
fn backoff(attempts: i64) -> time::Duration {
    (time::Duration::seconds(30) * 2i32.saturating_pow(attempts.clamp(0, 20) as u32)).min(time::Duration::hours(4))
}

crate::service! {
    /// The outbox of mail and texts: `core.outbox()`.
    Outbox
}

impl Outbox<'_> {
    /// The write that queues `message` (to commit with the command that sends it); call
    /// `wake` once it is committed.
    pub(crate) fn queue(self, message: &Message) -> Write {
        let now = self.core.now();
        let payload = self.core.keys.seal(SEAL_PURPOSE, message.to_json().to_string().as_bytes());
        Write::QueueMessage(QueuedMessage {
            id: uuid::Uuid::new_v4().to_string(),
            kind: message.kind().into(),
            payload,
            attempts: 0,
            next_attempt_at: now,
            created_at: now,
        })
    }

    /// Tells this node's worker that a message is waiting.
    pub(crate) fn wake(self) {
        self.core.outbox_ready.notify_one();
    }

    /// Waits until a message was queued on this node, or `at_most` has passed (messages of
    /// other nodes, retries that came due).
    pub async fn wait_for_work(self, at_most: std::time::Duration) {
        let _ = tokio::time::timeout(at_most, self.core.outbox_ready.notified()).await;
    }

    /// Sends the messages that are due, as many batches as there are; returns how many went
    /// out. A failed delivery is tried again later, up to `MAX_ATTEMPTS` times.
    pub async fn deliver_due(self) -> Result<usize> {
        let mut sent = 0;
        loop {
            let now = self.core.now();
            let batch = self.core.store.claim_messages(now, now + LEASE, BATCH).await?;
            if batch.is_empty() {
                return Ok(sent);
            }
            for queued in batch {
                if self.deliver(&queued).await? {
                    sent += 1;
                }
            }
        }
    }

    /// Delivers one claimed message; `Ok(true)` when it went out.
    async fn deliver(self, queued: &QueuedMessage) -> Result<bool> {
        let message = self
            .core
            .keys
            .unseal(SEAL_PURPOSE, &queued.payload)
            .ok()
            .and_then(|bytes| serde_json::from_slice::<Value>(&bytes).ok())
            .and_then(|v| Message::from_json(&queued.kind, &v));
        let Some(message) = message else {
            // Sealed under another master key, or damaged: it can never be sent.
            tracing::error!(id = %queued.id, kind = %queued.kind, "an outbox message cannot be read; dropped");
            self.core.store.delete_message(&queued.id).await?;
            return Ok(false);
        };
        let outcome = match &message {
            Message::Mail(m) => self.core.mailer.send(m.clone()).await,
            Message::MailVia(m, route) => self.core.mailer.send_via(route, m.clone()).await,
            Message::Text(t) => self.core.sms.send(t.clone()).await,
        };
        let attempts = queued.attempts + 1;
        match outcome {
            Ok(()) => {
                self.core.store.delete_message(&queued.id).await?;
                Ok(true)
            }
            Err(e) if attempts >= MAX_ATTEMPTS => {
                tracing::error!(id = %queued.id, kind = %queued.kind, attempts, error = %e, "message not delivered; given up");
                self.core.store.delete_message(&queued.id).await?;
                Ok(false)
            }
            Err(e) => {
                let next = self.core.now() + backoff(queued.attempts);
                tracing::warn!(id = %queued.id, kind = %queued.kind, attempts, error = %e, "message not delivered; will retry");
                self.core.store.retry_message(&queued.id, attempts, next, &e).await?;
                Ok(false)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_survive_their_stored_form() {
        let mail = Message::Mail(MailMessage {
            to: keyhall_types::Email::parse("a@example.com").unwrap(),
            subject: "s".into(),
            body: "b".into(),
        });
        let text =
            Message::Text(SmsMessage { to: "+447418084106".into(), body: "code".into(), channel: "sms".into(), gateway: None });
        let Message::Mail(inner) = mail.clone() else { unreachable!() };
        let route = SmtpRoute {
            host: "smtp.example.com".into(),
            port: 587,
            security: SmtpSecurity::StartTls,
            username: "u".into(),
            password: "p".into(),
            from: "no-reply@example.com".into(),
        };
        for m in [mail, text, Message::MailVia(inner, route)] {
            assert_eq!(Message::from_json(m.kind(), &m.to_json()), Some(m.clone()));
        }
        assert_eq!(Message::from_json("pigeon", &json!({})), None);
    }

    #[test]
    fn retries_back_off_up_to_four_hours() {
        assert_eq!(backoff(0), time::Duration::seconds(30));
        assert_eq!(backoff(1), time::Duration::seconds(60));
        assert_eq!(backoff(11), time::Duration::hours(4));
        // The attempts span about a day.
        let total: time::Duration = (0..MAX_ATTEMPTS - 1).map(backoff).sum();
        assert!(total > time::Duration::hours(16) && total < time::Duration::hours(30), "{total}");
    }
}
