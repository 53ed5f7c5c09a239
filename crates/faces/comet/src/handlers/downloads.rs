use crate::dispatch::Ctx;
use crate::reply::{ApiError, Reply};
use crate::tables::{Cell, Format, render};
use crate::wire::CometVersion;

pub async fn get(ctx: Ctx) -> Result<Reply, ApiError> {
    let catalogue = ctx.core.comet().catalogue();
    let version = catalogue.resolve("version_key", ctx.required("version_key"))?;
    let build = catalogue.build(version, "platform", ctx.required("platform"))?;
    Ok(Reply::Redirect(build.url.clone()))
}

pub async fn meta(ctx: Ctx) -> Result<Reply, ApiError> {
    let version = ctx.core.comet().catalogue().resolve("version_key", ctx.required("version_key"))?;
    Ok(Reply::data(CometVersion::from(version)))
}

pub const DEFAULT_PAGE_SIZE: i64 = 50;
pub const MAX_PAGE_SIZE: i64 = 500;

pub async fn list(ctx: Ctx) -> Result<Reply, ApiError> {
    let page = ctx.number("page").unwrap_or(1);
    if page < 1 {
        return Err(ApiError::bad_request("Invalid value for parameter 'page': must be 1 or more"));
    }
    let page_size = ctx.number("page_size").unwrap_or(DEFAULT_PAGE_SIZE);
    if !(1..=MAX_PAGE_SIZE).contains(&page_size) {
        return Err(ApiError::bad_request(format!(
            "Invalid value for parameter 'page_size': must be between 1 and {MAX_PAGE_SIZE}"
        )));
    }
    let found = ctx.core.comet().catalogue().search(ctx.text("target_search_query"), page as usize, page_size as usize);
    Ok(Reply::data(found.into_iter().map(CometVersion::from).collect::<Vec<_>>()))
}

const COLUMNS: [&str; 7] =
    ["version", "shortstring", "codename", "release_date", "is_prerelease", "release_notes_url", "platforms"];

/// The legacy list: every version, in json, csv or xlsx.
pub async fn list_legacy(ctx: Ctx) -> Result<Reply, ApiError> {
    let format = Format::parse(ctx.text("format"))?;
    let versions = ctx.core.comet().catalogue().versions();
    if format == Format::Json {
        let all: Vec<CometVersion> = versions.iter().map(CometVersion::from).collect();
        return Ok(Reply::File {
            content_type: "application/json",
            body: serde_json::to_vec(&all).unwrap_or_default(),
            filename: None,
        });
    }
    let rows: Vec<Vec<Cell>> = versions
        .iter()
        .map(|v| {
            vec![
                v.version.as_str().into(),
                v.shortstring.as_str().into(),
                v.codename.as_str().into(),
                v.release_date.as_str().into(),
                v.is_prerelease.into(),
                v.release_notes_url.as_str().into(),
                v.platforms.iter().map(|p| p.platform_id.as_str()).collect::<Vec<_>>().join(",").into(),
            ]
        })
        .collect();
    render(format, "downloads", &COLUMNS, &rows)
}
