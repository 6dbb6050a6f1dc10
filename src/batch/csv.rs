//! Batches as CSV, for the print room's spreadsheets: one case per row, one
//! case field per column. A column is named by the field's path in the case
//! JSON with dots, array items by index: `pupil.upn`, `parents.0.given_names`,
//! `parents.0.address.lines.1`. A cell is typed by the case schema: whole
//! numbers, `true`/`false` (also `yes`/`no`), text as it is; a field that is a
//! list or an object (such as `attendance.sessions`, the register marks) may
//! be given whole in one cell as JSON. An empty cell leaves the field out.
//!
//! A header that names no case field refuses the whole upload; a cell that
//! does not fit its field is passed on as text, so that the case is refused
//! on its own with the same problem details as a single render.

use serde_json::{Map, Value};

use crate::case::{Problem, schema};

/// Fields given whole, as JSON, in the CSV template (they are long lists
/// that would otherwise need hundreds of columns).
pub const JSON_CELLS: &[&str] = &["attendance.sessions"];

/// The type a column's cells take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cell {
    Text,
    Integer,
    Number,
    Boolean,
    /// A list or an object, as JSON.
    Json,
}

/// Resolves `$ref`s into the root schema's `$defs`.
fn resolve<'a>(root: &'a Value, mut node: &'a Value) -> &'a Value {
    for _ in 0..16 {
        let Some(r) = node.get("$ref").and_then(Value::as_str) else {
            break;
        };
        match r.strip_prefix('#').and_then(|p| root.pointer(p)) {
            Some(target) => node = target,
            None => break,
        }
    }
    node
}

/// The alternatives a node allows (its `anyOf`/`oneOf` members, or itself),
/// without `null`.
fn alternatives<'a>(root: &'a Value, node: &'a Value) -> Vec<&'a Value> {
    let node = resolve(root, node);
    let mut out = Vec::new();
    for key in ["anyOf", "oneOf"] {
        if let Some(members) = node.get(key).and_then(Value::as_array) {
            for m in members {
                out.extend(alternatives(root, m));
            }
        }
    }
    if out.is_empty() && node.get("type") != Some(&Value::from("null")) {
        out.push(node);
    }
    out
}

fn types(node: &Value) -> Vec<&str> {
    match node.get("type") {
        Some(Value::String(t)) => vec![t.as_str()],
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

/// The schema of the field at `path` (dotted), or `None` if there is none.
fn field_at<'a>(root: &'a Value, path: &str) -> Option<Vec<&'a Value>> {
    let mut nodes = alternatives(root, root);
    for segment in path.split('.') {
        let mut next = Vec::new();
        for node in &nodes {
            if let Some(child) = node.get("properties").and_then(|p| p.get(segment)) {
                next.extend(alternatives(root, child));
            }
            if segment.parse::<usize>().is_ok()
                && let Some(items) = node.get("items")
            {
                next.extend(alternatives(root, items));
            }
        }
        if next.is_empty() {
            return None;
        }
        nodes = next;
    }
    Some(nodes)
}

/// How the cells of `path` are typed, or `None` if no case has that field.
fn cell_type(root: &Value, path: &str) -> Option<Cell> {
    let nodes = field_at(root, path)?;
    let all: Vec<&str> = nodes.iter().flat_map(|n| types(n)).collect();
    let compound = nodes
        .iter()
        .any(|n| n.get("properties").is_some() || n.get("items").is_some());
    Some(
        if compound || all.iter().any(|t| *t == "array" || *t == "object") {
            Cell::Json
        } else if all.contains(&"integer") {
            Cell::Integer
        } else if all.contains(&"number") {
            Cell::Number
        } else if all.contains(&"boolean") {
            Cell::Boolean
        } else {
            Cell::Text
        },
    )
}

/// One cell's value: typed when it fits, else the text as it is (the case's
/// validation then names the field).
fn value(cell: Cell, text: &str) -> Value {
    let t = text.trim();
    let typed = match cell {
        Cell::Text => None,
        Cell::Integer => t.parse::<i64>().ok().map(Value::from),
        Cell::Number => t.parse::<f64>().ok().map(Value::from),
        Cell::Boolean => match t.to_ascii_lowercase().as_str() {
            "true" | "yes" | "y" => Some(Value::Bool(true)),
            "false" | "no" | "n" => Some(Value::Bool(false)),
            _ => None,
        },
        Cell::Json => serde_json::from_str(t).ok(),
    };
    typed.unwrap_or_else(|| Value::from(text))
}

/// Puts `value` at the dotted `path` in `root`, making objects and lists on
/// the way (list items not given stay `null`, which validation reports).
fn put(root: &mut Value, path: &[&str], value: Value) {
    let Some((first, rest)) = path.split_first() else {
        *root = value;
        return;
    };
    let child = match first.parse::<usize>() {
        Ok(i) => {
            if !root.is_array() {
                *root = Value::Array(Vec::new());
            }
            let Value::Array(items) = root else { return };
            if items.len() <= i {
                items.resize(i + 1, Value::Null);
            }
            &mut items[i]
        }
        Err(_) => {
            if !root.is_object() {
                *root = Value::Object(Map::new());
            }
            let Value::Object(fields) = root else { return };
            fields.entry(first.to_string()).or_insert(Value::Null)
        }
    };
    put(child, rest, value);
}

/// A CSV batch read row by row: each row a case as JSON text, or, for a row
/// the reader cannot split into cells, a problem naming it. Cells are
/// typed by the case schema; a bad cell is left for the case's own checks,
/// which refuse only its row, at its field.
pub struct Rows<'a> {
    reader: csv::Reader<&'a [u8]>,
    columns: Vec<(String, Cell)>,
    record: csv::StringRecord,
    row: usize,
}

impl Iterator for Rows<'_> {
    type Item = crate::register::CaseText<'static>;

    fn next(&mut self) -> Option<Self::Item> {
        self.row += 1;
        let row = self.row + 1;
        match self.reader.read_record(&mut self.record) {
            Ok(false) => None,
            Ok(true) => {
                let mut case = Value::Object(Map::new());
                for ((name, cell), text) in self.columns.iter().zip(self.record.iter()) {
                    if text.trim().is_empty() {
                        continue;
                    }
                    let path: Vec<&str> = name.split('.').collect();
                    put(&mut case, &path, value(*cell, text));
                }
                Some(Ok(std::borrow::Cow::Owned(case.to_string())))
            }
            Err(e) => Some(Err(Problem::new(
                format!("/rows/{row}"),
                format!("row {row}: {e}"),
            ))),
        }
    }
}

/// Reads a CSV batch's header: every problem with the columns (not UTF-8,
/// unknown or repeated columns) at once, the pointer naming the column
/// (`/columns/2`); then its rows one at a time ([`Rows`], whose problems
/// name the row, `/rows/7`, 1-based as a spreadsheet shows it, the header
/// being row 1).
pub fn cases(bytes: &[u8]) -> Result<Rows<'_>, Vec<Problem>> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(false)
        .from_reader(bytes);
    let header = match reader.headers() {
        Ok(h) => h.clone(),
        Err(e) => return Err(vec![Problem::new("", format!("not a CSV file: {e}"))]),
    };
    let root = schema();
    let mut problems = Vec::new();
    let mut columns = Vec::new();
    for (i, name) in header.iter().enumerate() {
        let name = name.trim();
        let pointer = format!("/columns/{i}");
        if name.is_empty() {
            problems.push(Problem::new(
                pointer,
                format!("column {} has no name", i + 1),
            ));
            continue;
        }
        if let Some(j) = header.iter().take(i).position(|n| n.trim() == name) {
            problems.push(Problem::new(
                pointer,
                format!("column {} repeats `{name}` (column {})", i + 1, j + 1),
            ));
            continue;
        }
        match cell_type(root, name) {
            Some(cell) => columns.push((name.to_owned(), cell)),
            None => problems.push(Problem::new(
                pointer,
                format!(
                    "column {} `{name}` is not a case field (columns are case fields by path, e.g. `pupil.upn`, `parents.0.family_name`)",
                    i + 1
                ),
            )),
        }
    }
    // A column inside another (e.g. `parents` and `parents.0.title`) would
    // give one field twice.
    for (a, _) in &columns {
        for (b, _) in &columns {
            if b.len() > a.len() && b.starts_with(a.as_str()) && b.as_bytes()[a.len()] == b'.' {
                problems.push(Problem::new(
                    "",
                    format!("columns `{a}` and `{b}` both give `{b}`: use one or the other"),
                ));
            }
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(Rows {
        reader,
        columns,
        record: csv::StringRecord::new(),
        row: 0,
    })
}

/// A CSV template for a document: the header of every field the sample case
/// gives, and the sample as its one row.
pub fn template(sample: &Value) -> String {
    fn flatten(v: &Value, path: String, out: &mut Vec<(String, String)>) {
        let whole = JSON_CELLS.contains(&path.as_str());
        match v {
            Value::Null => {}
            // An empty list or object is given as JSON, so that it reads back.
            Value::Array(items) if items.is_empty() => out.push((path, "[]".into())),
            Value::Object(fields) if fields.is_empty() => out.push((path, "{}".into())),
            Value::Object(fields) if !whole => {
                for (k, x) in fields {
                    let p = if path.is_empty() {
                        k.clone()
                    } else {
                        format!("{path}.{k}")
                    };
                    flatten(x, p, out);
                }
            }
            Value::Array(items) if !whole => {
                for (i, x) in items.iter().enumerate() {
                    flatten(x, format!("{path}.{i}"), out);
                }
            }
            Value::String(s) => out.push((path, s.clone())),
            other => out.push((path, other.to_string())),
        }
    }
    let mut cells = Vec::new();
    flatten(sample, String::new(), &mut cells);
    let mut writer = csv::Writer::from_writer(Vec::new());
    let header: Vec<&str> = cells.iter().map(|(p, _)| p.as_str()).collect();
    let row: Vec<&str> = cells.iter().map(|(_, v)| v.as_str()).collect();
    // Writing to a Vec cannot fail.
    let _ = writer.write_record(&header);
    let _ = writer.write_record(&row);
    let bytes = writer.into_inner().unwrap_or_default();
    String::from_utf8(bytes).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every row of a CSV, or every problem.
    fn all(bytes: &[u8]) -> Result<Vec<String>, Vec<Problem>> {
        let rows = cases(bytes)?;
        let mut out = Vec::new();
        let mut problems = Vec::new();
        for row in rows {
            match row {
                Ok(text) => out.push(text.into_owned()),
                Err(p) => problems.push(p),
            }
        }
        if problems.is_empty() {
            Ok(out)
        } else {
            Err(problems)
        }
    }

    fn sample() -> Value {
        let text = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/letter-templates/penalty-notice/kpas-1/sample.json"
        ))
        .unwrap_or_default();
        serde_json::from_str(&text).unwrap_or_default()
    }

    #[test]
    fn the_template_reads_back_as_its_sample() {
        let sample = sample();
        let csv = template(&sample);
        assert!(csv.starts_with("reference,date,school.name,"), "{csv}");
        assert!(csv.contains(",attendance.sessions,"));
        let cases = all(csv.as_bytes()).unwrap_or_else(|p| panic!("{p:?}"));
        assert_eq!(cases.len(), 1);
        let back: Value = serde_json::from_str(&cases[0]).unwrap_or_default();
        assert_eq!(back, sample);
    }

    #[test]
    fn cells_are_typed_by_the_schema_and_left_as_text_when_they_do_not_fit() {
        let csv = "pupil.year_group,parents.0.parental_responsibility,pupil.given_names,attendance.possible_sessions\n\
                   4,yes,007,lots\n";
        let cases = all(csv.as_bytes()).unwrap_or_else(|p| panic!("{p:?}"));
        let case: Value = serde_json::from_str(&cases[0]).unwrap_or_default();
        assert_eq!(case["pupil"]["year_group"], 4);
        assert_eq!(case["parents"][0]["parental_responsibility"], true);
        assert_eq!(case["pupil"]["given_names"], "007");
        assert_eq!(case["attendance"]["possible_sessions"], "lots");
    }

    #[test]
    fn empty_cells_leave_fields_out() {
        let csv = "pupil.upn,pupil.known_as\nW886200012345,\n";
        let cases = all(csv.as_bytes()).unwrap_or_else(|p| panic!("{p:?}"));
        assert_eq!(cases[0], r#"{"pupil":{"upn":"W886200012345"}}"#);
    }

    #[test]
    fn every_bad_column_is_named_at_once() {
        let csv = "pupil.upn,pupil.nmae,,pupil.upn,parents,parents.0.title\nx,y,z,w,v,u\n";
        let problems = all(csv.as_bytes()).err().unwrap_or_default();
        let pointers: Vec<&str> = problems.iter().map(|p| p.pointer.as_str()).collect();
        assert_eq!(
            pointers,
            ["/columns/1", "/columns/2", "/columns/3", ""],
            "{problems:?}"
        );
        assert!(
            problems[0]
                .detail
                .contains("`pupil.nmae` is not a case field")
        );
    }

    #[test]
    fn ragged_rows_are_refused_and_empty_files_have_no_rows() {
        let problems = all(b"pupil.upn,pupil.family_name\na,b\nc\n")
            .err()
            .unwrap_or_default();
        assert_eq!(problems[0].pointer, "/rows/3");
        assert_eq!(all(b"pupil.upn\n").unwrap_or_default().len(), 0);
    }

    #[test]
    fn a_spreadsheet_byte_order_mark_is_ignored() {
        let cases = all(b"\xEF\xBB\xBFpupil.upn\nW886200012345\n").unwrap_or_default();
        assert_eq!(cases.len(), 1);
    }
}
