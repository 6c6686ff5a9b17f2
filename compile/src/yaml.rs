//! A small YAML writer for the generated files: maps keep their insertion order and every
//! string is written double-quoted (JSON escaping, which YAML 1.2 reads the same), so the
//! output is byte-identical for the same input and never depends on how a value looks.

/// One node of a generated document.
#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    /// A string scalar.
    Str(String),
    /// A number scalar, written as given (already formatted by the caller).
    Num(String),
    /// A sequence.
    List(Vec<Node>),
    /// A mapping, in insertion order.
    Map(Vec<(String, Node)>),
}

impl Node {
    /// A string scalar.
    pub fn str(s: impl Into<String>) -> Node {
        Node::Str(s.into())
    }

    /// A mapping from `(key, value)` pairs.
    pub fn map<const N: usize>(pairs: [(&str, Node); N]) -> Node {
        Node::Map(pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
    }

    /// A mapping of string values, from pairs.
    pub fn str_map<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Node {
        Node::Map(
            pairs
                .into_iter()
                .map(|(k, v)| (k.to_string(), Node::str(v)))
                .collect(),
        )
    }

    /// Adds a key to a mapping (a no-op on anything else).
    pub fn push(&mut self, key: &str, value: Node) {
        if let Node::Map(m) = self {
            m.push((key.to_string(), value));
        }
    }
}

/// Renders a document, ending with a newline.
pub fn render(root: &Node) -> String {
    let mut out = String::new();
    write_block(root, 0, &mut out);
    out
}

fn quote(s: &str) -> String {
    serde_json::Value::String(s.to_string()).to_string()
}

fn key(k: &str) -> String {
    let plain = !k.is_empty()
        && k.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if plain { k.to_string() } else { quote(k) }
}

fn inline(n: &Node) -> Option<String> {
    match n {
        Node::Str(s) => Some(quote(s)),
        Node::Num(s) => Some(s.clone()),
        Node::List(l) if l.is_empty() => Some("[]".into()),
        Node::Map(m) if m.is_empty() => Some("{}".into()),
        _ => None,
    }
}

fn write_block(n: &Node, indent: usize, out: &mut String) {
    let pad = " ".repeat(indent);
    match n {
        Node::Map(m) => {
            for (k, v) in m {
                match inline(v) {
                    Some(s) => out.push_str(&format!("{pad}{}: {s}\n", key(k))),
                    None => {
                        out.push_str(&format!("{pad}{}:\n", key(k)));
                        // Lists sit at the key's indentation (the common Prometheus style).
                        let child = if matches!(v, Node::List(_)) {
                            indent
                        } else {
                            indent + 2
                        };
                        write_block(v, child, out);
                    }
                }
            }
        }
        Node::List(l) => {
            for item in l {
                match inline(item) {
                    Some(s) => out.push_str(&format!("{pad}- {s}\n")),
                    None => {
                        // The first line of the item follows the dash; the rest align with it.
                        let mut inner = String::new();
                        write_block(item, indent + 2, &mut inner);
                        let body = inner.get(indent + 2..).unwrap_or("");
                        out.push_str(&format!("{pad}- {body}"));
                    }
                }
            }
        }
        scalar => {
            if let Some(s) = inline(scalar) {
                out.push_str(&format!("{pad}{s}\n"));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_lists_and_maps() {
        let doc = Node::map([(
            "groups",
            Node::List(vec![Node::map([
                ("name", Node::str("a: b")),
                ("interval", Node::Num("30".into())),
                ("rules", Node::List(vec![Node::str("x\ny")])),
                ("labels", Node::str_map([("severity", "page")])),
                ("empty", Node::List(vec![])),
            ])]),
        )]);
        assert_eq!(
            render(&doc),
            "groups:\n- name: \"a: b\"\n  interval: 30\n  rules:\n  - \"x\\ny\"\n  labels:\n    severity: \"page\"\n  empty: []\n"
        );
    }
}
