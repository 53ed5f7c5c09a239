//! Tabular exports (reports, the legacy downloads list) in the three formats the vendor
//! offers: JSON (an array of objects), CSV (with a header row) and XLSX (one sheet).

pub use keyhall_http::tables::{CSV, Cell, XLSX};
use serde_json::{Map, Value};

use crate::reply::{ApiError, Reply};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Csv,
    Xlsx,
}

impl Format {
    pub fn parse(value: Option<&str>) -> Result<Self, ApiError> {
        match value.map(|v| v.trim().to_ascii_lowercase()).as_deref() {
            None | Some("") | Some("json") => Ok(Format::Json),
            Some("csv") => Ok(Format::Csv),
            Some("xlsx") => Ok(Format::Xlsx),
            Some(_) => Err(ApiError::bad_request("Invalid value for parameter 'format': must be one of json, csv, xlsx")),
        }
    }
}

fn internal<E: std::fmt::Display>(e: E) -> ApiError {
    tracing::error!(error = %e, "table export failed");
    ApiError::new(http::StatusCode::INTERNAL_SERVER_ERROR, "Internal error")
}

/// Renders `rows` under `columns` in `format`; `name` names the downloaded file.
pub fn render(format: Format, name: &str, columns: &[&str], rows: &[Vec<Cell>]) -> Result<Reply, ApiError> {
    match format {
        Format::Json => {
            let array: Vec<Value> = rows
                .iter()
                .map(|row| {
                    Value::Object(columns.iter().zip(row).map(|(c, v)| ((*c).to_string(), v.json())).collect::<Map<_, _>>())
                })
                .collect();
            Ok(Reply::File {
                content_type: "application/json",
                body: Value::Array(array).to_string().into_bytes(),
                filename: None,
            })
        }
        Format::Csv => {
            let body = keyhall_http::tables::csv(columns, rows).map_err(internal)?;
            Ok(Reply::File { content_type: CSV, body, filename: Some(format!("{name}.csv")) })
        }
        Format::Xlsx => Ok(Reply::File {
            content_type: XLSX,
            body: keyhall_http::tables::xlsx(columns, rows).map_err(internal)?,
            filename: Some(format!("{name}.xlsx")),
        }),
    }
}
