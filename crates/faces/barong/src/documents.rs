//! `/api/v2/auth/resource/documents` and `/addresses`: identity documents and proofs of
//! address uploaded as multipart forms (one document per `upload[]` file), and the signed,
//! short-lived URLs their files are served at (`/api/v2/auth/public/uploads/…`).

use axum::extract::{FromRequest, Multipart, Path, Query, Request, State as AxumState};
use axum::response::{IntoResponse, Response};
use http::{StatusCode, header};
use keyhall_core::identity::documents::{self, ADDRESS, ExpiryProblem, NewDocuments, Upload};
use keyhall_core::{DomainError, ErrorCode};
use serde_json::{Map, Value, json};

use crate::State;
use crate::errors::{BarongError, Result};
use crate::params::{Coerce, Params};
use crate::session::Bearer;

/// The request paths that take uploads (they get the larger body limit).
pub const UPLOAD_PATHS: &[&str] = &["/api/v2/auth/resource/documents", "/api/v2/auth/resource/addresses"];

/// The longest text field an upload form may carry (metadata included).
const MAX_TEXT_FIELD: usize = 16 * 1024;

/// A multipart form's text fields as parameters and its files; any other body is read as
/// parameters only.
pub struct Form {
    p: Params,
    uploads: Vec<Upload>,
    /// The turn this request's files hold in memory, until the handler is done with them.
    _turn: Option<tokio::sync::OwnedSemaphorePermit>,
}

impl FromRequest<State> for Form {
    type Rejection = BarongError;

    async fn from_request(req: Request, state: &State) -> std::result::Result<Self, Self::Rejection> {
        let content_type = req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
        if !content_type.to_ascii_lowercase().starts_with("multipart/form-data") {
            let crate::params::Input { p, .. } = crate::params::Input::from_request(req, state).await?;
            return Ok(Form { p, uploads: Vec::new(), _turn: None });
        }
        // Wait for a turn before reading the files (the request timeout bounds the wait).
        let turn = state.uploads.clone().acquire_owned().await.map_err(BarongError::internal)?;
        let query = req.uri().query().map(str::to_string);
        let mut form = Multipart::from_request(req, state).await.map_err(|_| BarongError::new(400, "server.invalid_form"))?;
        let mut map = Map::new();
        if let Some(q) = query {
            let pairs: Vec<(String, String)> = serde_html_form::from_str(&q).unwrap_or_default();
            map.extend(pairs.into_iter().map(|(k, v)| (k, Value::String(v))));
        }
        let mut uploads = Vec::new();
        let read_error = |e: axum::extract::multipart::MultipartError| {
            if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                BarongError::payload_too_large()
            } else {
                BarongError::new(400, "server.invalid_form")
            }
        };
        while let Some(field) = form.next_field().await.map_err(read_error)? {
            let name = field.name().unwrap_or("").trim_end_matches("[]").to_string();
            match field.file_name().map(str::to_string) {
                Some(file_name) if name == "upload" => {
                    let content = field.bytes().await.map_err(read_error)?.to_vec();
                    uploads.push(Upload { file_name: file_name.chars().take(255).collect(), content });
                    map.insert(name, Value::String(String::new()));
                }
                _ => {
                    let text = field.text().await.map_err(read_error)?;
                    // Text fields are copied into every document of the request: keep them small.
                    if text.len() > MAX_TEXT_FIELD {
                        return Err(BarongError::payload_too_large());
                    }
                    map.insert(name, Value::String(text));
                }
            }
        }
        // `upload` given, but not as files, counts as given: the model then finds it blank.
        if uploads.is_empty() && map.get("upload").is_some() {
            map.insert("upload".into(), Value::String("not a file".into()));
        }
        Ok(Form { p: Params::from_map(map), uploads, _turn: Some(turn) })
    }
}

fn limit_error(e: DomainError) -> BarongError {
    match e.code {
        ErrorCode::DocumentLimitReached => BarongError::new(400, "resource.documents.limit_reached"),
        ErrorCode::DocumentLimitWillBeReached => BarongError::new(400, "resource.documents.limit_will_be_reached"),
        _ => e.into(),
    }
}

/// Barong answers uploads with the bare number `201`.
fn uploaded() -> Response {
    (StatusCode::CREATED, axum::Json(json!(201))).into_response()
}

pub async fn list(AxumState(state): AxumState<State>, b: Bearer) -> Result<Response> {
    let docs = state.core.identity().documents(b.user.id).await.map_err(BarongError::internal)?;
    let ttl = state.config.upload_url_ttl;
    let body: Vec<Value> = docs
        .iter()
        .map(|d| {
            json!({
                "upload": { "url": state.core.identity().upload_url(d, ttl) },
                "doc_type": d.doc_type,
                "doc_number": d.doc_number.as_deref().map(documents::mask_doc_number),
                "doc_expire": d.doc_expire.map(keyhall_types::iso_date),
            })
        })
        .collect();
    Ok(axum::Json(body).into_response())
}

/// One document per uploaded file, sharing type, number, expiry and `identificator`.
pub async fn upload(AxumState(state): AxumState<State>, b: Bearer, Form { p, uploads, _turn }: Form) -> Result<Response> {
    let mut check = p.checker("resource.document");
    check.requires_filled("doc_type").requires_filled("doc_number").requires("upload");
    let mut c = Coerce::new(&p);
    let doc_expire = c.date("doc_expire", "resource.documents.expire_not_a_date");
    let doc_category = c.one_of("doc_category", &["front_side", "back_side", "selfie"], "resource.documents.doc_category");
    let identificator = c.text("identificator");
    let metadata = c.text("metadata");
    check.errors.extend(c.finish().err().map(|e| e.errors).unwrap_or_default());
    check.finish()?;
    let rules = &state.config.upload_rules;
    match documents::expiry_problem(doc_expire, rules, state.core.now().date()) {
        Some(ExpiryProblem::Missing) => return Err(BarongError::new(422, "resource.documents.invalid_format")),
        Some(ExpiryProblem::Passed) => return Err(BarongError::new(422, "resource.documents.already_expired")),
        None => {}
    }
    let new = NewDocuments {
        doc_type: p.text("doc_type").unwrap_or_default(),
        doc_number: p.text("doc_number"),
        doc_expire,
        doc_category,
        identificator,
        metadata,
        uploads,
    };
    let broken = documents::check(&new, rules);
    if !broken.is_empty() {
        return Err(crate::errors::violations(&broken));
    }
    state.core.identity().add_documents(&b.caller, &b.user, new, rules).await.map_err(limit_error)?;
    Ok(uploaded())
}

/// A proof of address: the files become `Address` documents, and the address they prove is
/// kept with them (as the documents' metadata) for whoever reviews them.
pub async fn upload_address(AxumState(state): AxumState<State>, b: Bearer, Form { p, uploads, _turn }: Form) -> Result<Response> {
    let mut check = p.checker("resource.address");
    check.requires_filled("country").requires_filled("address").requires("upload").requires("city").requires("postcode");
    check.finish()?;
    let mut c = Coerce::new(&p);
    let fields: Vec<(&str, Option<String>)> =
        ["country", "city", "postcode", "address"].into_iter().map(|k| (k, c.text(k))).collect();
    c.finish()?;
    let metadata: Map<String, Value> = fields.into_iter().map(|(k, v)| (k.to_string(), json!(v))).collect();
    let new = NewDocuments {
        doc_type: ADDRESS.into(),
        metadata: Some(Value::Object(metadata).to_string()),
        uploads,
        ..Default::default()
    };
    let broken = documents::check(&new, &state.config.upload_rules);
    if !broken.is_empty() {
        return Err(crate::errors::violations(&broken));
    }
    state.core.identity().add_documents(&b.caller, &b.user, new, &state.config.upload_rules).await.map_err(limit_error)?;
    Ok(uploaded())
}

/// Taken as text: a malformed `expires` is a link that does not open, not a bad request.
#[derive(serde::Deserialize)]
pub struct Signed {
    expires: Option<String>,
    signature: Option<String>,
}

/// The file behind a signed upload URL (the name in the path is only for the browser).
pub async fn file(
    AxumState(state): AxumState<State>,
    Path((id, _name)): Path<(String, String)>,
    Query(signed): Query<Signed>,
) -> Result<Response> {
    let expires = signed.expires.and_then(|e| e.parse::<i64>().ok()).unwrap_or(0);
    let signature = signed.signature.unwrap_or_default();
    let (doc, content) = state.core.identity().open_upload(&id, expires, &signature).await.map_err(|e| match e.code {
        ErrorCode::DocumentNotFound => BarongError::new(404, "record.not_found"),
        _ => e.into(),
    })?;
    let headers = [
        (header::CONTENT_TYPE, documents::content_type(&doc.file_name)),
        (header::CACHE_CONTROL, "private, no-store"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        // User-supplied files are shown, never run: no scripts, no same-origin access.
        (header::CONTENT_SECURITY_POLICY, "sandbox"),
    ];
    Ok((headers, content).into_response())
}
