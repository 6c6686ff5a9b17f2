//! `util.*`: Formatter by Zapier's Utilities: lookup table, pick from list, and line items
//! (Zapier's lists) to and from text.

use super::number::mix;
use super::{FormatError, Out, as_text, text_arg};
use serde_json::{Map, Value, json};

/// The table's value for the key (exact, case-sensitive match), else the fallback ("" when
/// none). An empty key never matches.
pub(super) fn lookup(args: &[Value]) -> Out {
    let key = as_text(&args[0]);
    let fallback = args.get(2).cloned().unwrap_or(json!(""));
    let Value::Object(table) = &args[1] else {
        return Err(FormatError::new(format!(
            "the lookup table must be a map of keys to values, not {}",
            args[1]
        )));
    };
    Ok(match table.get(&key) {
        Some(v) if !key.is_empty() => v.clone(),
        _ => fallback,
    })
}

/// Items Zapier counts for picking: non-empty text, and any value that is not text or null.
fn present(items: &[Value]) -> Vec<&Value> {
    items
        .iter()
        .filter(|v| match v {
            Value::Null => false,
            Value::String(s) => !s.is_empty(),
            _ => true,
        })
        .collect()
}

fn items(v: &Value) -> Vec<Value> {
    match v {
        Value::Array(a) => a.clone(),
        Value::Null => Vec::new(),
        Value::String(s) if s.is_empty() => Vec::new(),
        one => vec![one.clone()],
    }
}

/// `which`: `first`, `last`, or an index (0 first, -1 last) among the present items; the
/// default (or null) when there is no such item.
pub(super) fn pick(args: &[Value]) -> Out {
    let list = items(&args[0]);
    let default = args.get(2).cloned().unwrap_or(Value::Null);
    let which = text_arg(args, 1);
    let n: i64 = match which.trim() {
        "first" => 0,
        "last" => -1,
        "random" => {
            return Err(FormatError::new(
                "`random` needs a seed: use util.pickRandom(list, seed)",
            ));
        }
        other => other.parse().map_err(|_| {
            FormatError::new(format!("`{other}` is not first, last or an item number"))
        })?,
    };
    let found = present(&list);
    let len = found.len() as i64;
    let i = if n < 0 { len + n } else { n };
    Ok(if (0..len).contains(&i) {
        found[i as usize].clone()
    } else {
        default
    })
}

/// One of the present items, chosen by the seed (the run id): the same run picks the same item.
pub(super) fn pick_random(args: &[Value]) -> Out {
    let list = items(&args[0]);
    let seed = text_arg(args, 1);
    let found = present(&list);
    if found.is_empty() {
        return Ok(args.get(2).cloned().unwrap_or(Value::Null));
    }
    Ok(found[(mix(&seed) % found.len() as u64) as usize].clone())
}

/// The separator argument, `,` when empty.
fn separator(args: &[Value], i: usize) -> String {
    match text_arg(args, i) {
        s if s.is_empty() => ",".into(),
        s => s,
    }
}

/// Line items joined by the separator (default `,`); a value that is not a list is returned
/// as it is.
pub(super) fn to_text(args: &[Value]) -> Out {
    let sep = separator(args, 1);
    Ok(match &args[0] {
        Value::Array(a) if a.is_empty() => json!(""),
        Value::Array(a) => json!(a.iter().map(as_text).collect::<Vec<_>>().join(&sep)),
        Value::Null => json!(""),
        other => other.clone(),
    })
}

/// The joined `text`, each item as `item_1`, `item_2`, … and the last as `item_last`
/// (Zapier's "Line-item to Text" v2 output fields).
pub(super) fn to_fields(args: &[Value]) -> Out {
    let mut out = Map::new();
    let list = match &args[0] {
        Value::Array(a) => a.clone(),
        Value::Null => Vec::new(),
        Value::String(s) if s.is_empty() => Vec::new(),
        one => vec![one.clone()],
    };
    out.insert("text".into(), to_text(args)?);
    out.insert("item_1".into(), json!(""));
    out.insert("item_last".into(), json!(""));
    for (i, v) in list.iter().enumerate() {
        out.insert(format!("item_{}", i + 1), json!(as_text(v)));
        out.insert("item_last".into(), json!(as_text(v)));
    }
    Ok(Value::Object(out))
}

/// Text split into line items on the separator (default `,`); empty text gives "".
pub(super) fn from_text(args: &[Value]) -> Out {
    let s = as_text(&args[0]);
    if s.is_empty() {
        return Ok(json!(""));
    }
    let sep = separator(args, 1);
    Ok(json!(s.split(sep.as_str()).collect::<Vec<_>>()))
}

/// The list with more items at its end: a list, or comma-separated text. A list of one empty
/// item is replaced.
pub(super) fn append(args: &[Value]) -> Out {
    let mut list = match &args[0] {
        Value::Array(a) => a.clone(),
        other => {
            return Err(FormatError::new(format!(
                "appending needs line items (a list), not {other}"
            )));
        }
    };
    let more: Vec<Value> = match &args[1] {
        Value::Array(a) => a.clone(),
        other => as_text(other).split(',').map(|s| json!(s)).collect(),
    };
    if list.len() == 1 && (list[0].is_null() || list[0].as_str() == Some("")) {
        list.clear();
    }
    list.extend(more);
    Ok(Value::Array(list))
}

#[cfg(test)]
mod tests {
    //! Zapier's Utilities (github.com/zapier/transformer, `transformer/transforms/util/*.py`;
    //! line items: https://zapier.com/help/create/format/create-line-items-in-zaps).
    use crate::format::testing::{error, eval};
    use serde_json::json;

    /// util.lookup: "Given a key and table - find the matching value", else the fallback.
    #[test]
    fn lookup() {
        let t = "{'Gold': 'VIP', 'Silver': 'Member'}";
        assert_eq!(
            eval(&format!("util.lookup('Gold', {t}, 'Guest')")),
            json!("VIP")
        );
        assert_eq!(
            eval(&format!("util.lookup('gold', {t}, 'Guest')")),
            json!("Guest")
        );
        assert_eq!(eval(&format!("util.lookup('', {t})")), json!(""));
    }

    /// util.choose: "Pick the first, last, random, or n-th value that is not empty".
    #[test]
    fn pick() {
        assert_eq!(eval("util.pick(['', 'a', 'b', ''], 'first')"), json!("a"));
        assert_eq!(eval("util.pick(['', 'a', 'b', ''], 'last')"), json!("b"));
        assert_eq!(eval("util.pick(['a', 'b'], '1')"), json!("b"));
        assert_eq!(eval("util.pick(['', ''], 'first', 'none')"), json!("none"));
        assert_eq!(eval("util.pick([0, false], 'last')"), json!(false));
        assert!(error("util.pick(['a'], 'random')").contains("pickRandom"));
        let r = eval("util.pickRandom(['a', 'b', 'c'], 'run-1')");
        assert_eq!(r, eval("util.pickRandom(['a', 'b', 'c'], 'run-1')"));
        assert_eq!(eval("util.pickRandom([], 'run-1', 'x')"), json!("x"));
    }

    /// util.lineitem_to_string(_v2), util.string_to_lineitem, util.append.
    #[test]
    fn line_items() {
        assert_eq!(eval("util.lineItemsToText(['a', 'b'])"), json!("a,b"));
        assert_eq!(
            eval("util.lineItemsToText(['a', 'b'], ' - ')"),
            json!("a - b")
        );
        assert_eq!(eval("util.lineItemsToText('solo')"), json!("solo"));
        assert_eq!(
            eval("util.lineItemsToFields(['a', 'b'], ';')"),
            json!({"text": "a;b", "item_1": "a", "item_last": "b", "item_2": "b"})
        );
        assert_eq!(
            eval("util.textToLineItems('a,b,,c')"),
            json!(["a", "b", "", "c"])
        );
        assert_eq!(eval("util.textToLineItems('')"), json!(""));
        assert_eq!(
            eval("util.appendLineItem(['a'], 'b,c')"),
            json!(["a", "b", "c"])
        );
        assert_eq!(eval("util.appendLineItem([''], ['x'])"), json!(["x"]));
    }
}
