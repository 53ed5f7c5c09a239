//! `/image/upload`: an administrator's image (PNG, JPEG, GIF or WebP, told by its bytes, not
//! by what the upload claims), kept in the community and served at `/image/{id}`, the URL the
//! answer gives (branding takes such URLs).

use axum::extract::multipart::MultipartRejection;
use axum::extract::{Multipart, Path, State as AxumState};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use keyhall_core::adminx::collection_kinds::{IMAGES, image_type};
use serde_json::json;

use crate::State;
use crate::envelope::UploadCall;
use crate::errors::{AdminxError, Result};

/// `POST /image/upload` (multipart, the file in any one part): `{url}`.
pub async fn upload(
    AxumState(state): AxumState<State>,
    UploadCall(call): UploadCall,
    multipart: std::result::Result<Multipart, MultipartRejection>,
) -> Result<Response> {
    let caller = state.signed_in(&call).await?;
    caller.require_admin()?;
    let (file_name, bytes) = crate::envelope::uploaded_file(multipart).await?;
    let content_type =
        image_type(&bytes).ok_or_else(|| AdminxError::bad_request("\"file\" must be a PNG, JPEG, GIF or WebP image"))?;
    let input = json!({ "contentType": content_type, "fileName": file_name, "data": STANDARD.encode(&bytes) });
    let item = state.core.adminx().create_item(&caller, caller.scope(), &IMAGES, &input).await?;
    Ok(call.reply(&json!({ "url": format!("{}{}/image/{}", state.config.public_url, crate::BASE_PATH, item.id) })))
}

/// `GET /image/{id}`: the image, to anyone (login pages show logos before sign-in), with
/// headers that keep a browser from reading it as anything but an image.
pub async fn serve(AxumState(state): AxumState<State>, Path(id): Path<String>) -> Result<Response> {
    let not_found = || AdminxError::not_found("Image");
    let item = state.core.adminx().any_item(&IMAGES, &id).await?.ok_or_else(not_found)?;
    let bytes = STANDARD.decode(item.body["data"].as_str().unwrap_or_default()).map_err(|_| not_found())?;
    let content_type = image_type(&bytes).ok_or_else(not_found)?;
    Ok((
        [
            (http::header::CONTENT_TYPE, content_type),
            (http::header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            (http::header::CONTENT_SECURITY_POLICY, "default-src 'none'; sandbox"),
            (http::header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        bytes,
    )
        .into_response())
}
