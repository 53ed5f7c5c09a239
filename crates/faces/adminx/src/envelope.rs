//! The envelope every 1Kosmos call but the public few travels in (ECDH + AES-GCM, see
//! `keyhall_crypto::envelope`): the caller's `publickey` gives the shared key; `requestid`
//! (encrypted `{ts, appid, uuid}`) must decrypt, be dated within `allowed_time_span` of now,
//! and carry a `uuid` not seen before inside that window (on any node sharing the database);
//! the body is `{"data": <encrypted JSON>}`, or plain JSON in preview mode; `licensekey` is
//! an encrypted license key. Answers go back encrypted under the same key, as
//! `{"data", "publicKey"}`, or plain to a plain request.

use std::sync::Arc;

use axum::extract::{FromRequest, Request};
use axum::response::{IntoResponse, Response};
use keyhall_core::context::Origin;
use keyhall_crypto::envelope::{SharedKey, encoded_len};
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::errors::{AdminxError, Result};
use crate::{Adminx, State};

/// Where `requestid` uuids are kept apart from other nonces.
const REQUEST_ID_SCOPE: &str = "adminx.requestid";

/// One enveloped call: the shared key, what the body said, who sent it.
pub struct Call {
    pub key: Arc<SharedKey>,
    /// The body came as plain JSON (preview mode): the answer goes back plain too.
    pub plain: bool,
    /// The decrypted body (`Null` when there was none).
    pub body: Value,
    pub origin: Origin,
    /// The `authorization: Bearer` token, if any.
    pub bearer: Option<String>,
    /// The decrypted `licensekey` header, if any.
    pub license_key: Option<String>,
    server_public_key: Arc<str>,
}

impl Call {
    /// The body as `T`: a missing field or a value of the wrong type is a 400 naming it.
    pub fn parse<T: DeserializeOwned>(&self) -> Result<T> {
        static EMPTY: std::sync::LazyLock<Value> = std::sync::LazyLock::new(|| Value::Object(Default::default()));
        let body = if self.body.is_null() { &*EMPTY } else { &self.body };
        T::deserialize(body).map_err(|e| {
            let text = e.to_string();
            match text.strip_prefix("missing field `").and_then(|r| r.split('`').next()) {
                Some(field) => AdminxError::missing(field),
                None => AdminxError::bad_request(format!("Validation error: {}", text.split(" at line").next().unwrap_or(&text))),
            }
        })
    }

    /// An answer the seed documents as encrypted: `{"data": ENC(value), "publicKey"}`.
    pub fn reply(&self, value: &Value) -> Response {
        if self.plain {
            return axum::Json(value).into_response();
        }
        self.reply_bytes(&serde_json::to_vec(value).expect("a JSON value serializes"))
    }

    /// `reply` of JSON already serialized: encrypted and encoded straight into the body.
    pub fn reply_bytes(&self, plain: &[u8]) -> Response {
        let body = if self.plain {
            plain.to_vec()
        } else {
            let mut out = Vec::with_capacity(encoded_len(plain.len()) + self.server_public_key.len() + 32);
            out.extend_from_slice(b"{\"data\":\"");
            self.key.encrypt_into(plain, &mut out);
            out.extend_from_slice(b"\",\"publicKey\":\"");
            out.extend_from_slice(self.server_public_key.as_bytes());
            out.extend_from_slice(b"\"}");
            out
        };
        ([(http::header::CONTENT_TYPE, "application/json")], body).into_response()
    }

    /// An answer the seed documents as plain JSON.
    pub fn reply_plain(&self, value: &Value) -> Response {
        axum::Json(value).into_response()
    }
}

fn header<'a>(parts: &'a http::request::Parts, name: &str) -> Option<&'a str> {
    parts.headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim).filter(|v| !v.is_empty())
}

/// The bearer token of `authorization` (`Bearer x`, or the bare token).
pub fn bearer(parts: &http::request::Parts) -> Option<String> {
    let value = header(parts, "authorization")?;
    let token = match value.split_once(' ') {
        Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") => token.trim(),
        Some(_) => return None,
        None => value,
    };
    (!token.is_empty()).then(|| token.to_string())
}

impl Adminx {
    /// The key shared with the holder of `public_key`: derived once per client key and kept
    /// (bounded), since an ECDH costs far more than the rest of a call.
    pub(crate) async fn shared_key(&self, public_key: &str) -> Result<Arc<SharedKey>> {
        if let Some(key) = self.shared_keys.get(public_key) {
            return Ok(key);
        }
        let server = self.server_key().await?;
        let key = Arc::new(server.shared_key(public_key).map_err(|_| AdminxError::unauthorized("Invalid publickey"))?);
        self.shared_keys.insert(public_key.to_string(), key.clone());
        Ok(key)
    }

    /// Checks `requestid` under `key`: it decrypts to `{ts, uuid, …}`, `ts` is within the
    /// allowed span of now, and its `uuid` is spent here for the first time.
    pub(crate) async fn check_request_id(&self, key: &SharedKey, request_id: Option<&str>) -> Result<()> {
        let invalid = || AdminxError::unauthorized("Invalid requestid");
        let request_id = request_id.ok_or_else(|| AdminxError::unauthorized("requestid header is required"))?;
        let plain = key.decrypt(request_id).map_err(|_| invalid())?;
        let claims: RequestId = serde_json::from_slice(&plain).map_err(|_| invalid())?;
        let ts = claims.ts.ok_or_else(invalid)?.0;
        let uuid = claims.uuid.as_deref().map(str::trim).filter(|u| !u.is_empty()).ok_or_else(invalid)?;
        let span = self.config.allowed_time_span;
        let now = self.core.now().unix_timestamp() as f64;
        if !ts.is_finite() || (now - ts).abs() > span as f64 {
            return Err(AdminxError::unauthorized("Request expired: requestid ts is outside the allowed time span"));
        }
        if !self.core.auth().spend_nonce(REQUEST_ID_SCOPE, uuid, span * 1000).await? {
            return Err(AdminxError::unauthorized("Duplicate request: requestid uuid was used already"));
        }
        Ok(())
    }
}

/// What a `requestid` carries that keyhall checks (`appid` and anything else are ignored).
#[derive(serde::Deserialize)]
struct RequestId<'a> {
    ts: Option<Seconds>,
    #[serde(borrow)]
    uuid: Option<std::borrow::Cow<'a, str>>,
}

/// A time in seconds, sent as a JSON number or as a numeric string; anything else fails.
struct Seconds(f64);

impl<'de> serde::Deserialize<'de> for Seconds {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct Visit;
        impl serde::de::Visitor<'_> for Visit {
            type Value = Seconds;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("seconds as a number or a numeric string")
            }
            fn visit_f64<E>(self, v: f64) -> std::result::Result<Seconds, E> {
                Ok(Seconds(v))
            }
            fn visit_i64<E>(self, v: i64) -> std::result::Result<Seconds, E> {
                Ok(Seconds(v as f64))
            }
            fn visit_u64<E>(self, v: u64) -> std::result::Result<Seconds, E> {
                Ok(Seconds(v as f64))
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> std::result::Result<Seconds, E> {
                v.trim().parse().map(Seconds).map_err(|_| E::custom("not a number"))
            }
        }
        d.deserialize_any(Visit)
    }
}

impl FromRequest<State> for Call {
    type Rejection = Response;

    async fn from_request(req: Request, state: &State) -> std::result::Result<Self, Self::Rejection> {
        let (parts, body) = req.into_parts();
        let run = async {
            let public_key =
                header(&parts, "publickey").ok_or_else(|| AdminxError::unauthorized("publickey header is required"))?;
            let key = state.shared_key(public_key).await?;
            state.check_request_id(&key, header(&parts, "requestid")).await?;
            let license_key = match header(&parts, "licensekey") {
                Some(wire) => Some(
                    key.decrypt(wire)
                        .ok()
                        .and_then(|b| String::from_utf8(b).ok())
                        .ok_or_else(|| AdminxError::unauthorized("Invalid licensekey"))?,
                ),
                None => None,
            };
            let bytes =
                axum::body::to_bytes(body, usize::MAX).await.map_err(|_| AdminxError::new(413, "Request body is too large"))?;
            let (body, plain) = open_body(&key, &bytes, state.config.plaintext)?;
            let origin = keyhall_http::client::client_info(&parts).origin();
            let server_public_key = state.server_public_key().await?;
            Ok::<_, AdminxError>(Call { key, plain, body, origin, bearer: bearer(&parts), license_key, server_public_key })
        };
        run.await.map_err(IntoResponse::into_response)
    }
}

/// A call whose body is not the envelope's (a file upload): the caller's `publickey` (which
/// the answer is encrypted for), `requestid` checked when sent (the vendor documents none for
/// uploads), and the JWT. The body is left to the handler.
pub struct UploadCall(pub Call);

impl axum::extract::FromRequestParts<State> for UploadCall {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut http::request::Parts, state: &State) -> std::result::Result<Self, Self::Rejection> {
        let run = async {
            let public_key =
                header(parts, "publickey").ok_or_else(|| AdminxError::unauthorized("publickey header is required"))?;
            let key = state.shared_key(public_key).await?;
            if let Some(request_id) = header(parts, "requestid") {
                state.check_request_id(&key, Some(request_id)).await?;
            }
            let origin = keyhall_http::client::client_info(parts).origin();
            let server_public_key = state.server_public_key().await?;
            Ok::<_, AdminxError>(Call {
                key,
                plain: false,
                body: Value::Null,
                origin,
                bearer: bearer(parts),
                license_key: None,
                server_public_key,
            })
        };
        run.await.map(UploadCall).map_err(IntoResponse::into_response)
    }
}

/// The body's JSON: `{"data": ENC}` decrypted, or (in preview mode) plain JSON, answered plain.
fn open_body(key: &SharedKey, bytes: &[u8], plaintext_allowed: bool) -> Result<(Value, bool)> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok((Value::Null, false));
    }
    /// The envelope's usual shape, read without building a JSON tree of it.
    #[derive(serde::Deserialize)]
    struct Sealed<'a> {
        #[serde(borrow)]
        data: std::borrow::Cow<'a, str>,
    }
    if let Ok(sealed) = serde_json::from_slice::<Sealed>(bytes) {
        return open_data(key, &sealed.data).map(|inner| (inner, false));
    }
    let value: Value = serde_json::from_slice(bytes).map_err(|_| AdminxError::bad_request("Request body is not JSON"))?;
    match value.get("data") {
        Some(Value::String(wire)) => Ok((open_data(key, wire)?, false)),
        // Preview mode: plain JSON, also wrapped as `{"data": {…}}` as some examples show it.
        Some(inner @ Value::Object(_)) if plaintext_allowed => Ok((inner.clone(), true)),
        _ if plaintext_allowed => Ok((value, true)),
        _ => Err(AdminxError::bad_request("Request body must be {\"data\": <encrypted JSON>}")),
    }
}

/// The JSON sealed in a body's `data`.
fn open_data(key: &SharedKey, wire: &str) -> Result<Value> {
    let plain = key.decrypt(wire).map_err(|_| AdminxError::bad_request("data could not be decrypted"))?;
    serde_json::from_slice(&plain).map_err(|_| AdminxError::bad_request("data is not encrypted JSON"))
}

/// The first part of a multipart upload (the file, whatever the form calls it): its file
/// name as given and its bytes. No form, or none in it: 400 naming `file`.
pub async fn uploaded_file(
    multipart: std::result::Result<axum::extract::Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<(String, bytes::Bytes)> {
    let mut multipart = multipart.map_err(|_| AdminxError::missing("file"))?;
    let field = multipart
        .next_field()
        .await
        .map_err(|_| AdminxError::bad_request("The upload is not valid multipart/form-data"))?
        .ok_or_else(|| AdminxError::missing("file"))?;
    let file_name = field.file_name().unwrap_or_default().chars().take(256).collect::<String>();
    let bytes = field.bytes().await.map_err(|_| AdminxError::new(413, "Request body is too large"))?;
    Ok((file_name, bytes))
}
