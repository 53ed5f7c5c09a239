//! Tabular exports (reports, the legacy downloads list) in the three formats the vendor
//! offers: JSON (an array of objects), CSV (with a header row) and XLSX (one sheet).

use rust_xlsxwriter::Workbook;
use serde_json::{Map, Value};

use crate::reply::{ApiError, Reply};

pub const CSV: &str = "text/csv;charset=UTF-8";
pub const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

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

/// One typed cell: JSON keeps the type, CSV writes text, XLSX writes numbers as numbers.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    Int(i64),
    Bool(bool),
}

impl Cell {
    /// The cell as CSV text. Text a spreadsheet would read as a formula (it starts with `=`,
    /// `+`, `-`, `@`, a tab or a carriage return) is prefixed with `'`, as OWASP recommends,
    /// so that a name like `=HYPERLINK(…)` stays text when the export is opened.
    fn csv_text(&self) -> String {
        match self {
            Cell::Text(s) if s.starts_with(['=', '+', '-', '@', '\t', '\r']) => format!("'{s}"),
            Cell::Text(s) => s.clone(),
            Cell::Int(n) => n.to_string(),
            Cell::Bool(b) => b.to_string(),
        }
    }

    fn json(&self) -> Value {
        match self {
            Cell::Text(s) => Value::String(s.clone()),
            Cell::Int(n) => Value::from(*n),
            Cell::Bool(b) => Value::Bool(*b),
        }
    }
}

impl From<String> for Cell {
    fn from(s: String) -> Self {
        Cell::Text(s)
    }
}

impl From<&str> for Cell {
    fn from(s: &str) -> Self {
        Cell::Text(s.to_string())
    }
}

impl From<i64> for Cell {
    fn from(n: i64) -> Self {
        Cell::Int(n)
    }
}

impl From<bool> for Cell {
    fn from(b: bool) -> Self {
        Cell::Bool(b)
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
            let mut w = csv::Writer::from_writer(Vec::new());
            w.write_record(columns).map_err(internal)?;
            for row in rows {
                w.write_record(row.iter().map(Cell::csv_text)).map_err(internal)?;
            }
            let body = w.into_inner().map_err(internal)?;
            Ok(Reply::File { content_type: CSV, body, filename: Some(format!("{name}.csv")) })
        }
        Format::Xlsx => Ok(Reply::File {
            content_type: XLSX,
            body: xlsx(columns, rows).map_err(internal)?,
            filename: Some(format!("{name}.xlsx")),
        }),
    }
}

fn xlsx(columns: &[&str], rows: &[Vec<Cell>]) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    let bold = rust_xlsxwriter::Format::new().set_bold();
    for (c, name) in columns.iter().enumerate() {
        sheet.write_string_with_format(0, c as u16, *name, &bold)?;
    }
    for (r, row) in rows.iter().enumerate() {
        for (c, cell) in row.iter().enumerate() {
            let (r, c) = (r as u32 + 1, c as u16);
            match cell {
                Cell::Text(s) => sheet.write_string(r, c, s)?,
                Cell::Int(n) => sheet.write_number(r, c, *n as f64)?,
                Cell::Bool(b) => sheet.write_boolean(r, c, *b)?,
            };
        }
    }
    book.save_to_buffer()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_cells_never_start_a_formula() {
        for risky in ["=HYPERLINK(\"http://x\",\"y\")", "+1", "-2", "@SUM(A1)", "\tx", "\rx"] {
            assert!(Cell::from(risky).csv_text().starts_with('\''), "{risky:?}");
        }
        assert_eq!(Cell::from("HQ").csv_text(), "HQ");
        assert_eq!(Cell::Int(-5).csv_text(), "-5", "numbers stay numbers");
    }
}
