//! Ports of the core: time, mail and texts (and the outbox they wait in), what the core needs
//! from outside besides the rest of storage.
//! The core never reads the system clock itself (a lint forbids it): the binary hands it a
//! clock, and tests hand it one they can move.

use async_trait::async_trait;
use keyhall_types::{Email, Timestamp};

use crate::error::Result;

pub trait Clock: Send + Sync {
    fn now(&self) -> Timestamp;
}

/// One outgoing e-mail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailMessage {
    pub to: Email,
    pub subject: String,
    pub body: String,
}

#[async_trait]
pub trait Mailer: Send + Sync {
    async fn send(&self, message: MailMessage) -> std::result::Result<(), String>;
}

#[async_trait]
impl Mailer for LogMailer {
    async fn send(&self, message: MailMessage) -> std::result::Result<(), String> {
        tracing::info!(to = %message.to, subject = %message.subject, "no mail server configured; message not sent");
        Ok(())
    }
}

/// The mailer used when no mail server is configured: it records that a message would have
/// gone out, without its body (which may hold a code).
#[derive(Debug, Default, Clone, Copy)]
pub struct LogMailer;

/// One outgoing text message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmsMessage {
    /// E.164, with the `+`.
    pub to: String,
    pub body: String,
    /// `sms` or `call`, as the user asked (a sender that cannot call sends a text).
    pub channel: String,
}

#[async_trait]
pub trait SmsSender: Send + Sync {
    async fn send(&self, message: SmsMessage) -> std::result::Result<(), String>;
}

#[async_trait]
impl SmsSender for LogSmsSender {
    async fn send(&self, message: SmsMessage) -> std::result::Result<(), String> {
        let masked = crate::identity::phones::mask_number(message.to.trim_start_matches('+'));
        tracing::info!(to = %masked, channel = %message.channel, "no SMS gateway configured; message not sent");
        Ok(())
    }
}

/// The sender used when no SMS gateway is configured: it records that a message would have
/// gone out, without its body (which holds a code).
#[derive(Debug, Default, Clone, Copy)]
pub struct LogSmsSender;

/// A message waiting in the outbox (see `outbox`): its text sealed under the master key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueuedMessage {
    pub id: String,
    /// `mail` or `text`.
    pub kind: String,
    pub payload: String,
    /// Delivery attempts so far.
    pub attempts: i64,
    pub next_attempt_at: Timestamp,
    pub created_at: Timestamp,
}

/// The outbox of mail and texts. Messages are queued with the command that sends them
/// (`Write::QueueMessage`).
#[async_trait]
pub trait OutboxRepo: Send + Sync {
    /// Claims up to `limit` messages due at `now` (oldest first) by moving their next attempt
    /// to `lease_until`, atomically: a message is claimed by one node at a time.
    async fn claim_messages(&self, now: Timestamp, lease_until: Timestamp, limit: i64) -> Result<Vec<QueuedMessage>>;
    /// A message delivered (or given up).
    async fn delete_message(&self, id: &str) -> Result<()>;
    /// A failed delivery: its count, when to try again, and why it failed.
    async fn retry_message(&self, id: &str, attempts: i64, next_attempt_at: Timestamp, error: &str) -> Result<()>;
}
