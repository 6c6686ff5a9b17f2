//! `util.lineItemize` and `util.parseCsv`: Formatter by Zapier's "Line Itemizer" (`util.
//! line_itemizer`) and the parsing half of "Import CSV File" (`util.import_csv`, whose download
//! is an `http.get` step before it: a formatter function never does I/O).

use super::{FormatError, Out, as_text, flag_arg, text_arg};
use serde_json::{Map, Value, json};

/// The name of the line-item group when none is given.
const DEFAULT_GROUP: &str = "line_items";

/// Rows parsed at most, so one huge file cannot take the run's memory.
const MAX_ROWS: usize = 100_000;

/// One property's values: a list as it is, text split on commas (Zapier's way of giving
/// several values in one field).
fn values(v: &Value) -> Vec<Value> {
    match v {
        Value::Array(a) => a.clone(),
        Value::Null => Vec::new(),
        other => {
            let s = as_text(other);
            if s.is_empty() {
                Vec::new()
            } else {
                s.split(',').map(|x| json!(x)).collect()
            }
        }
    }
}

/// `util.lineItemize(properties[, group])`: line items built from parallel lists, one item per
/// position, each with every property (`""` where a list is shorter), under the group name
/// (`line_items` when empty).
pub(super) fn line_itemize(args: &[Value]) -> Out {
    let Value::Object(props) = &args[0] else {
        return Err(FormatError::new(format!(
            "the line-item properties must be a map of names to values, not {}",
            args[0]
        )));
    };
    let group = match text_arg(args, 1) {
        g if g.trim().is_empty() => DEFAULT_GROUP.to_string(),
        g => g,
    };
    let columns: Vec<(&String, Vec<Value>)> = props.iter().map(|(k, v)| (k, values(v))).collect();
    let count = columns.iter().map(|(_, v)| v.len()).max().unwrap_or(0);
    let items: Vec<Value> = (0..count)
        .map(|i| {
            Value::Object(
                columns
                    .iter()
                    .map(|(k, v)| ((*k).clone(), v.get(i).cloned().unwrap_or(json!(""))))
                    .collect(),
            )
        })
        .collect();
    let mut out = Map::new();
    out.insert(group, Value::Array(items));
    Ok(Value::Object(out))
}

/// The delimiter byte a name or character gives: `,` when empty.
fn delimiter(name: &str) -> Result<u8, FormatError> {
    Ok(match name.trim().to_ascii_lowercase().as_str() {
        "" | "," | "comma" | "excel" => b',',
        ";" | "semicolon" => b';',
        "|" | "pipe" => b'|',
        "\\t" | "tab" | "excel-tab" => b'\t',
        _ if name == "\t" => b'\t',
        other => {
            return Err(FormatError::new(format!(
                "`{other}` is not a CSV delimiter: give comma, semicolon, tab or pipe"
            )));
        }
    })
}

/// `util.parseCsv(text[, has_header[, delimiter]])`: `{line_items, row_count}`; with a
/// header (the default: an absent flag reads as true here) each row is a map by column name,
/// else a list of cells. Quoted cells may hold delimiters and newlines.
pub(super) fn parse_csv(args: &[Value]) -> Out {
    let text = as_text(&args[0]);
    let header = args.get(1).is_none_or(|v| v.is_null() || flag_arg(args, 1));
    let mut reader = csv::ReaderBuilder::new()
        // The default 64 KiB buffer costs more than parsing a small file.
        .buffer_capacity(text.len().clamp(256, 64 * 1024))
        .has_headers(header)
        .flexible(true)
        .delimiter(delimiter(&text_arg(args, 2))?)
        .from_reader(text.as_bytes());
    let names: Vec<String> = if header {
        reader
            .headers()
            .map_err(|e| FormatError::new(format!("the CSV header cannot be read: {e}")))?
            .iter()
            .map(str::to_string)
            .collect()
    } else {
        Vec::new()
    };
    let mut rows = Vec::new();
    for record in reader.records() {
        let record =
            record.map_err(|e| FormatError::new(format!("the CSV cannot be read: {e}")))?;
        if rows.len() == MAX_ROWS {
            return Err(FormatError::new(format!(
                "the CSV has more than {MAX_ROWS} rows"
            )));
        }
        rows.push(if header {
            Value::Object(
                names
                    .iter()
                    .enumerate()
                    .map(|(i, n)| (n.clone(), json!(record.get(i).unwrap_or(""))))
                    .collect(),
            )
        } else {
            json!(record.iter().collect::<Vec<_>>())
        });
    }
    Ok(json!({"row_count": rows.len(), "line_items": rows}))
}

#[cfg(test)]
mod tests {
    //! Zapier's "Line Itemizer" and "Import CSV File" (Utilities transforms,
    //! Zapier help center, "Create line items in Zaps" and
    //! Zapier help center, "Import CSV files into Zaps").
    use crate::format::testing::{error, eval};
    use serde_json::json;

    /// Each property gives its values (a list, or comma-separated text); the nth values form the
    /// nth line item.
    #[test]
    fn line_itemizer() {
        assert_eq!(
            eval("util.lineItemize({'sku': 'A1,B2,C3', 'qty': [1, 2]}, 'Orders')"),
            json!({"Orders": [
                {"sku": "A1", "qty": 1},
                {"sku": "B2", "qty": 2},
                {"sku": "C3", "qty": ""},
            ]})
        );
        assert_eq!(
            eval("util.lineItemize({'a': ''})"),
            json!({"line_items": []})
        );
        assert!(error("util.lineItemize('x')").contains("map of names"));
    }

    /// Import CSV gives the rows as line items, by header when the file has one.
    #[test]
    fn csv_rows() {
        assert_eq!(
            eval("util.parseCsv('name,qty\\nAda,2\\n\"Lovelace, A\",3\\n')"),
            json!({"row_count": 2, "line_items": [
                {"name": "Ada", "qty": "2"},
                {"name": "Lovelace, A", "qty": "3"},
            ]})
        );
        assert_eq!(
            eval("util.parseCsv('a;b\\nc', false, 'semicolon')"),
            json!({"row_count": 2, "line_items": [["a", "b"], ["c"]]})
        );
        assert_eq!(
            eval("util.parseCsv('')"),
            json!({"row_count": 0, "line_items": []})
        );
        assert!(error("util.parseCsv('a', true, 'x')").contains("not a CSV delimiter"));
    }
}
