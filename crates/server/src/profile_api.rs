//! The user-profile API of a community's self-service password reset, over HTTP: a GET for
//! the user (its name in the URL's `{username}`, or as `username=` in the query) with the
//! configured credentials, answered in JSON.

use std::time::Duration;

use keyhall_core::ports::{ProfileApiAuth, ProfileApiClient, ProfileApiRequest};
use serde_json::Value;

/// The most a profile answer may weigh.
const MAX_ANSWER: usize = 1 << 20;

pub struct HttpProfileApi {
    http: reqwest::Client,
}

impl HttpProfileApi {
    pub fn new() -> anyhow::Result<Self> {
        Ok(Self { http: reqwest::Client::builder().timeout(Duration::from_secs(10)).build()? })
    }
}

#[async_trait::async_trait]
impl ProfileApiClient for HttpProfileApi {
    async fn fetch(&self, request: &ProfileApiRequest) -> Result<Value, String> {
        let mut url = if request.url.contains("{username}") {
            let encoded: String = url_escape(&request.username);
            reqwest::Url::parse(&request.url.replace("{username}", &encoded))
        } else {
            reqwest::Url::parse(&request.url)
        }
        .map_err(|e| format!("the profile API URL is not a URL: {e}"))?;
        if !request.url.contains("{username}") {
            url.query_pairs_mut().append_pair("username", &request.username);
        }
        let mut call = self.http.get(url).header("accept", "application/json");
        call = match &request.auth {
            ProfileApiAuth::None => call,
            ProfileApiAuth::Basic { username, password } => call.basic_auth(username, Some(password)),
            ProfileApiAuth::Bearer(token) => call.bearer_auth(token),
        };
        // Errors leave the URL out: it may carry a key.
        let reply = call.send().await.map_err(|e| format!("the profile API is unreachable: {}", e.without_url()))?;
        let status = reply.status();
        let bytes = reply.bytes().await.map_err(|e| format!("the profile API's answer broke off: {}", e.without_url()))?;
        if !status.is_success() {
            return Err(format!("the profile API answered {status}"));
        }
        if bytes.len() > MAX_ANSWER {
            return Err("the profile API's answer is too large".into());
        }
        serde_json::from_slice(&bytes).map_err(|_| "the profile API's answer is not JSON".to_string())
    }
}

fn url_escape(text: &str) -> String {
    text.bytes()
        .map(|b| if b.is_ascii_alphanumeric() || b"-._~@".contains(&b) { (b as char).to_string() } else { format!("%{b:02X}") })
        .collect()
}
