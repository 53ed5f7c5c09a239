//! Text messages through an HTTP gateway: each message is POSTed as JSON
//! `{"to":"+447418084106","body":"…","channel":"sms"}` to the configured URL, which hands it
//! to the operator's SMS provider; a 1Kosmos community's own message gateway adds `from` (its
//! sender number) and `gateway` (`{id, type, name}`). Any answer but 2xx is a failed delivery.

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
        let mut body = serde_json::json!({ "to": message.to, "body": message.body, "channel": message.channel });
        // A community's own gateway: which one, and the number it sends from (the relay maps
        // it to the provider account; no credentials leave keyhall).
        if let Some(g) = &message.gateway {
            body["from"] = serde_json::json!(g.sender);
            body["gateway"] = serde_json::json!({ "id": g.id, "type": g.kind, "name": g.name });
        }
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
