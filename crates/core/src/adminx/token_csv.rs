//! The CSV an administrator imports hardware tokens and their holders from: a header row that
//! names the columns (in any order, any case), then one token or assignment per row. Without a
//! header the columns are taken in the documented order. Quoted fields may hold commas and
//! doubled quotes, as spreadsheet programs write them.

use crate::error::{DomainError, Result};

/// The most rows one import may carry.
pub const MAX_ROWS: usize = 10_000;

/// One CSV line's fields (RFC 4180 quoting).
fn fields(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            '"' => quoted = !quoted,
            ',' if !quoted => out.push(std::mem::take(&mut field).trim().to_string()),
            _ => field.push(c),
        }
    }
    out.push(field.trim().to_string());
    out
}

/// A column's name as written, folded: `Serial Number`, `serial_number`, `serialNumber` alike.
fn folded(name: &str) -> String {
    name.chars().filter(|c| c.is_ascii_alphanumeric()).map(|c| c.to_ascii_lowercase()).collect()
}

/// The rows of `text` as maps from column to value, each with its line number. `columns` are
/// the known columns (folded name, and the other spellings it may have), in the order a file
/// without a header lists them; `required` must be present in the header.
pub fn rows(text: &str, columns: &[(&'static str, &[&str])], required: &[&'static str]) -> Result<Vec<Row>> {
    let mut lines = text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()).peekable();
    let Some((_, first)) = lines.peek() else {
        return Err(DomainError::invalid("csv_text", "holds no rows"));
    };
    let header: Vec<String> = fields(first).iter().map(|f| folded(f)).collect();
    let known = |name: &str| columns.iter().find(|(canon, alts)| *canon == name || alts.contains(&name)).map(|(c, _)| *c);
    let order: Vec<Option<&'static str>> = if header.iter().any(|h| known(h).is_some()) {
        lines.next();
        let order: Vec<_> = header.iter().map(|h| known(h)).collect();
        for need in required {
            if !order.contains(&Some(*need)) {
                return Err(DomainError::invalid("csv_text", format!("has no \"{need}\" column")));
            }
        }
        order
    } else {
        columns.iter().map(|(c, _)| Some(*c)).collect()
    };
    let mut out = Vec::new();
    for (index, line) in lines {
        if out.len() == MAX_ROWS {
            return Err(DomainError::invalid("csv_text", format!("holds more than {MAX_ROWS} rows")));
        }
        let values = fields(line);
        let cells = order.iter().zip(values).filter_map(|(col, v)| col.map(|c| (c, v))).filter(|(_, v)| !v.is_empty()).collect();
        out.push(Row { line: index + 1, cells });
    }
    if out.is_empty() {
        return Err(DomainError::invalid("csv_text", "holds no rows"));
    }
    Ok(out)
}

/// One row: its line in the text and its non-empty cells.
#[derive(Debug)]
pub struct Row {
    pub line: usize,
    cells: Vec<(&'static str, String)>,
}

impl Row {
    pub fn get(&self, column: &str) -> Option<&str> {
        self.cells.iter().find(|(c, _)| *c == column).map(|(_, v)| v.as_str())
    }

    /// The cell, or a refusal naming the line.
    pub fn need(&self, column: &str) -> Result<&str> {
        self.get(column).ok_or_else(|| self.refuse(format!("has no {column}")))
    }

    pub fn refuse(&self, why: impl std::fmt::Display) -> DomainError {
        DomainError::invalid("csv_text", format!("line {} {why}", self.line))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const COLS: &[(&str, &[&str])] = &[("serialnumber", &["serial", "sn"]), ("seed", &["secret", "key"]), ("counter", &[])];

    #[test]
    fn a_header_names_columns_in_any_order_and_quotes_hold_commas() {
        let rows = rows("Seed,Serial Number\n\"ab,\"\"c\",SR1\n\n00ff,SR2\n", COLS, &["serialnumber"]).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].get("seed"), Some("ab,\"c"));
        assert_eq!(rows[0].get("serialnumber"), Some("SR1"));
        assert_eq!(rows[1].line, 4);
        assert_eq!(rows[1].get("counter"), None);
    }

    #[test]
    fn without_a_header_the_documented_order_applies() {
        let rows = rows("SR1,00ff,7", COLS, &["serialnumber"]).unwrap();
        assert_eq!(
            (rows[0].get("serialnumber"), rows[0].get("seed"), rows[0].get("counter")),
            (Some("SR1"), Some("00ff"), Some("7"))
        );
    }

    #[test]
    fn a_header_without_a_required_column_or_an_empty_text_is_refused() {
        assert!(rows("seed,counter\n00ff,1", COLS, &["serialnumber"]).is_err());
        assert!(rows(" \n", COLS, &[]).is_err());
        assert!(rows("serial,seed\n", COLS, &[]).is_err());
        assert_eq!(
            rows("serial\nA", COLS, &[]).unwrap()[0].need("seed").unwrap_err().detail.as_deref(),
            Some("line 2 has no seed")
        );
    }
}
