//! Text messages through an HTTP gateway: each message is POSTed as JSON
//! `{"to":"+447418084106","body":"…","channel":"sms"}` to the configured URL, which hands it
//! to the operator's SMS provider. Any answer but 2xx is a failed delivery.

use std::time::Duration;

use keyhall_core::ports::{SmsMessage, SmsSender};

pub struct WebhookSmsSender {
    url: String,
    client: reqwest::Client,
}

impl WebhookSmsSender {
    pub fn new(url: &str) -> anyhow::Result<Self> {
        reqwest::Url::parse(url).map_err(|e| anyhow::anyhow!("KEYHALL_SMS_WEBHOOK_URL {url:?}: {e}"))?;
        let client = reqwest::Client::builder().timeout(Duration::from_secs(10)).build()?;
        Ok(Self { url: url.to_string(), client })
    }
}

#[async_trait::async_trait]
impl SmsSender for WebhookSmsSender {
    async fn send(&self, message: SmsMessage) -> Result<(), String> {
        let body = serde_json::json!({ "to": message.to, "body": message.body, "channel": message.channel });
        // Errors leave the URL out: a gateway's may carry its API key.
        let reply = self
            .client
            .post(&self.url)
            .json(&body)
            .send()
            .await
            .map_err(|e| format!("SMS gateway unreachable: {}", e.without_url()))?;
        if reply.status().is_success() { Ok(()) } else { Err(format!("SMS gateway answered {}", reply.status())) }
    }
}
