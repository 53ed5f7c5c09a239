//! Ports of the core: time, mail and texts, what the core needs from outside besides storage.
//! The core never reads the system clock itself (a lint forbids it): the binary hands it a
//! clock, and tests hand it one they can move.

use async_trait::async_trait;
use keyhall_types::{Email, Timestamp};

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
