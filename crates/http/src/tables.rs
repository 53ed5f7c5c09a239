//! Tables written as files: CSV (a header row, cells that would start a formula defused) and
//! XLSX (one sheet, numbers as numbers). Comet's exports and the 1Kosmos report downloads.

use rust_xlsxwriter::Workbook;
use serde_json::Value;

pub const CSV: &str = "text/csv;charset=UTF-8";
pub const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

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
    pub fn csv_text(&self) -> String {
        match self {
            Cell::Text(s) if s.starts_with(['=', '+', '-', '@', '\t', '\r']) => format!("'{s}"),
            Cell::Text(s) => s.clone(),
            Cell::Int(n) => n.to_string(),
            Cell::Bool(b) => b.to_string(),
        }
    }

    pub fn json(&self) -> Value {
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

/// `rows` under `columns` as CSV.
pub fn csv<S: AsRef<str>>(columns: &[S], rows: &[Vec<Cell>]) -> Result<Vec<u8>, String> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(columns.iter().map(AsRef::as_ref)).map_err(|e| e.to_string())?;
    for row in rows {
        w.write_record(row.iter().map(Cell::csv_text)).map_err(|e| e.to_string())?;
    }
    w.into_inner().map_err(|e| e.to_string())
}

/// `rows` under `columns` (in bold) as one XLSX sheet.
pub fn xlsx<S: AsRef<str>>(columns: &[S], rows: &[Vec<Cell>]) -> Result<Vec<u8>, String> {
    let run = || -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
        let mut book = Workbook::new();
        let sheet = book.add_worksheet();
        let bold = rust_xlsxwriter::Format::new().set_bold();
        for (c, name) in columns.iter().enumerate() {
            sheet.write_string_with_format(0, c as u16, name.as_ref(), &bold)?;
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
    };
    run().map_err(|e| e.to_string())
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

    #[test]
    fn csv_quotes_what_needs_quoting() {
        let bytes = csv(&["a", "b"], &[vec![Cell::from("x,y"), Cell::Int(3)]]).unwrap();
        assert_eq!(String::from_utf8(bytes).unwrap(), "a,b\n\"x,y\",3\n");
    }
}
