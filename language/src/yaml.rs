//! YAML 1.2 loading into a small tree that remembers where every node was written.
//!
//! saphyr parses YAML 1.2 (so `on`, `yes` and `no` stay strings) and gives node spans;
//! this module converts its character positions into line/column/byte spans once, so the
//! rest of the crate never deals with saphyr types.

use crate::codes;
use crate::diag::{Diagnostic, Span};
use saphyr::{LoadableYamlNode, MarkedYaml, Scalar, YamlData};

/// A scalar's resolved kind.
#[derive(Debug, Clone, PartialEq)]
pub enum ScalarKind {
    /// `~`, `null` or empty.
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A float.
    Float(f64),
    /// A string.
    Str,
}

/// A YAML node with its span.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// Where the node was written.
    pub span: Span,
    /// What it holds.
    pub value: NodeValue,
}

/// What a node holds: a scalar with its kind, a sequence or a mapping in written order.
#[derive(Debug, Clone, PartialEq)]
pub enum NodeValue {
    /// A scalar: its kind and its text (the string itself, or the source text of a number/bool).
    Scalar(ScalarKind, String),
    /// A sequence.
    Seq(Vec<Node>),
    /// A mapping, in document order.
    Map(Vec<(Node, Node)>),
}

impl Node {
    /// The scalar text if this is a scalar that is not null.
    pub fn as_scalar_text(&self) -> Option<&str> {
        match &self.value {
            NodeValue::Scalar(ScalarKind::Null, _) => None,
            NodeValue::Scalar(_, t) => Some(t),
            _ => None,
        }
    }

    /// The entries if this is a mapping.
    pub fn as_map(&self) -> Option<&[(Node, Node)]> {
        match &self.value {
            NodeValue::Map(m) => Some(m),
            _ => None,
        }
    }

    /// The items if this is a sequence.
    pub fn as_seq(&self) -> Option<&[Node]> {
        match &self.value {
            NodeValue::Seq(s) => Some(s),
            _ => None,
        }
    }

    /// Whether this is a null scalar.
    pub fn is_null(&self) -> bool {
        matches!(self.value, NodeValue::Scalar(ScalarKind::Null, _))
    }

    /// Looks a key up in a mapping.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.as_map()?
            .iter()
            .find(|(k, _)| k.as_scalar_text() == Some(key))
            .map(|(_, v)| v)
    }

    /// A short noun for the node's type, for messages.
    pub fn kind_name(&self) -> &'static str {
        match &self.value {
            NodeValue::Scalar(ScalarKind::Null, _) => "nothing (null)",
            NodeValue::Scalar(ScalarKind::Bool(_), _) => "a boolean",
            NodeValue::Scalar(ScalarKind::Int(_), _) => "an integer",
            NodeValue::Scalar(ScalarKind::Float(_), _) => "a number",
            NodeValue::Scalar(ScalarKind::Str, _) => "a string",
            NodeValue::Seq(_) => "a list",
            NodeValue::Map(_) => "a mapping",
        }
    }

    /// Converts to JSON (keys become strings).
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value;
        match &self.value {
            NodeValue::Scalar(k, t) => match k {
                ScalarKind::Null => Value::Null,
                ScalarKind::Bool(b) => Value::Bool(*b),
                ScalarKind::Int(i) => Value::from(*i),
                ScalarKind::Float(f) => serde_json::Number::from_f64(*f)
                    .map(Value::Number)
                    .unwrap_or_else(|| Value::String(t.clone())),
                ScalarKind::Str => Value::String(t.clone()),
            },
            NodeValue::Seq(items) => Value::Array(items.iter().map(Node::to_json).collect()),
            NodeValue::Map(entries) => Value::Object(
                entries
                    .iter()
                    .map(|(k, v)| (k.as_scalar_text().unwrap_or("").to_string(), v.to_json()))
                    .collect(),
            ),
        }
    }
}

/// Maps character indices (what saphyr reports) to byte offsets and line/column.
struct Positions<'a> {
    text: &'a str,
    /// Byte offset of each char index; only built when the text is not ASCII.
    char_bytes: Option<Vec<usize>>,
}

impl<'a> Positions<'a> {
    fn new(text: &'a str) -> Self {
        let char_bytes = if text.is_ascii() {
            None
        } else {
            let mut v: Vec<usize> = text.char_indices().map(|(b, _)| b).collect();
            v.push(text.len());
            Some(v)
        };
        Positions { text, char_bytes }
    }

    fn byte(&self, char_index: usize) -> usize {
        match &self.char_bytes {
            None => char_index.min(self.text.len()),
            Some(v) => v.get(char_index).copied().unwrap_or(self.text.len()),
        }
    }

    fn span(&self, s_start: saphyr::Marker, s_end: saphyr::Marker) -> Span {
        let start = self.byte(s_start.index());
        let end = self.byte(s_end.index()).max(start);
        Span {
            line: s_start.line(),
            column: s_start.col() + 1,
            offset: start,
            len: end - start,
        }
    }
}

/// Computes the span of a byte offset in a text (for errors reported by offset).
pub fn span_at(text: &str, offset: usize, len: usize) -> Span {
    let offset = offset.min(text.len());
    let before = &text[..floor_char_boundary(text, offset)];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map(|i| i + 1).unwrap_or(0);
    let column = before[line_start..].chars().count() + 1;
    Span {
        line,
        column,
        offset,
        len: len.min(text.len() - offset),
    }
}

fn floor_char_boundary(text: &str, mut i: usize) -> usize {
    while i > 0 && !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// Deepest nesting of mappings and lists accepted. saphyr builds nested block collections
/// recursively, so a few hundred indented keys would overflow a thread's stack; a real
/// `.claw` file needs a dozen levels at most.
pub const MAX_DEPTH: usize = 64;

/// The error for a document nested deeper than [`MAX_DEPTH`], at the collection that does.
fn too_deep(text: &str, at: saphyr::Marker) -> Diagnostic {
    let pos = Positions::new(text);
    Diagnostic::error(
        codes::YAML,
        format!("the document nests deeper than {MAX_DEPTH} levels"),
    )
    .at(Some(pos.span(at, at)))
    .with_label("too deep from here")
    .with_help("flatten the nested values; a .claw file needs a few levels only")
}

/// Refuses documents nested deeper than [`MAX_DEPTH`], walking saphyr's event stream
/// (iterative, no recursion) before anything recursive runs.
#[allow(clippy::result_large_err)]
fn check_depth(text: &str) -> Result<(), Diagnostic> {
    let mut depth = Depth::default();
    for event in saphyr_parser::Parser::new_from_str(text) {
        // A syntax error stops the walk; the loader reports it, having nested no deeper.
        let Ok((event, span)) = event else {
            return Ok(());
        };
        depth.follow(&event, text, span.start)?;
    }
    Ok(())
}

/// The nesting depth of collections while saphyr's events stream by.
#[derive(Default)]
struct Depth(usize);

impl Depth {
    /// Follows `event`, which starts at `at`: the error when it opens a collection deeper than
    /// [`MAX_DEPTH`].
    #[allow(clippy::result_large_err)]
    fn follow(
        &mut self,
        event: &saphyr_parser::Event<'_>,
        text: &str,
        at: saphyr::Marker,
    ) -> Result<(), Diagnostic> {
        use saphyr_parser::Event;
        match event {
            Event::SequenceStart(..) | Event::MappingStart(..) => {
                self.0 += 1;
                if self.0 > MAX_DEPTH {
                    return Err(too_deep(text, at));
                }
            }
            Event::SequenceEnd | Event::MappingEnd => self.0 = self.0.saturating_sub(1),
            _ => {}
        }
        Ok(())
    }
}

/// Converts a saphyr scan or load error into a located `claw::yaml` diagnostic.
fn invalid_yaml(text: &str, e: &saphyr::ScanError) -> Diagnostic {
    let m = e.marker();
    let pos = Positions::new(text);
    let offset = pos.byte(m.index());
    Diagnostic::error(codes::YAML, format!("invalid YAML: {}", e.info()))
        .at(Some(Span {
            line: m.line(),
            column: m.col() + 1,
            offset,
            len: 0,
        }))
        .with_label("the YAML parser stopped here")
        .with_help(if e.info().contains("tab") {
            "YAML indents with spaces only; replace the tab characters with spaces"
        } else {
            "a .claw file is one YAML 1.2 document; check indentation and quoting"
        })
}

/// What one pass over the event stream found.
enum Pass<'a> {
    /// Every document, loaded.
    Loaded(Vec<MarkedYaml<'a>>),
    /// The text holds a second document: load it the slow way (see [`load_documents`]).
    SeveralDocuments,
}

/// Loads the documents in one pass: saphyr's events are read iteratively, their nesting is
/// counted (refusing more than [`MAX_DEPTH`] before anything recursive runs) and each event goes
/// straight to saphyr's loader. This is what `check_depth` followed by `load_from_str` does, with
/// the text scanned once instead of twice (scanning dominated `claw check` on large files).
#[allow(clippy::result_large_err)]
fn load_one_pass(text: &str) -> Result<Pass<'_>, Diagnostic> {
    use saphyr::YamlLoader;
    use saphyr_parser::{BufferedInput, Event, Parser, SpannedEventReceiver};
    // The same input type as `load_from_str`, so errors and markers are the same.
    let parser = Parser::new(BufferedInput::new(text.chars()));
    let mut loader: YamlLoader<'_, MarkedYaml<'_>> = YamlLoader::default();
    let mut depth = Depth::default();
    let mut documents = 0usize;
    for event in parser {
        let (event, span) = event.map_err(|e| invalid_yaml(text, &e))?;
        depth.follow(&event, text, span.start)?;
        if let Event::DocumentStart(_) = event {
            documents += 1;
            // `Parser::load` forgets anchors between documents, which the event iterator
            // cannot do from outside; an error either way, so leave it to the original path.
            if documents > 1 {
                return Ok(Pass::SeveralDocuments);
            }
        }
        loader.on_event(event, span);
    }
    if let Some(e) = loader.error() {
        return Err(invalid_yaml(text, e));
    }
    Ok(Pass::Loaded(loader.into_documents()))
}

/// Loads every document of the text, refusing deep nesting first.
#[allow(clippy::result_large_err)]
fn load_documents(text: &str) -> Result<Vec<MarkedYaml<'_>>, Diagnostic> {
    match load_one_pass(text)? {
        Pass::Loaded(docs) => Ok(docs),
        Pass::SeveralDocuments => {
            check_depth(text)?;
            MarkedYaml::load_from_str(text).map_err(|e| invalid_yaml(text, &e))
        }
    }
}

/// Parses one YAML document. Errors are located `claw::yaml` diagnostics.
// A diagnostic is large, but errors end a parse once, so boxing would buy nothing.
#[allow(clippy::result_large_err)]
pub fn load(text: &str) -> Result<Node, Diagnostic> {
    let docs = load_documents(text)?;
    let pos = Positions::new(text);
    match docs.len() {
        0 => Err(Diagnostic::error(codes::YAML, "the file is empty")
            .at(Some(span_at(text, 0, 0)))
            .with_help("a .claw file starts with `system: <name>` and `version: 1.0.0`")),
        1 => convert(&docs[0], &pos),
        _ => Err(Diagnostic::error(
            codes::YAML,
            "the file holds several YAML documents; a .claw file describes exactly one system",
        )
        .at(Some(pos.span(docs[1].span.start, docs[1].span.end)))
        .with_help("split each system into its own .claw file")),
    }
}

#[allow(clippy::result_large_err)]
fn convert(node: &MarkedYaml<'_>, pos: &Positions<'_>) -> Result<Node, Diagnostic> {
    let span = pos.span(node.span.start, node.span.end);
    let value = match &node.data {
        YamlData::Value(s) => {
            let raw = || {
                pos.text[span.offset..span.offset + span.len]
                    .trim()
                    .to_string()
            };
            match s {
                Scalar::Null => NodeValue::Scalar(ScalarKind::Null, String::new()),
                Scalar::Boolean(b) => NodeValue::Scalar(ScalarKind::Bool(*b), raw()),
                Scalar::Integer(i) => NodeValue::Scalar(ScalarKind::Int(*i), raw()),
                Scalar::FloatingPoint(f) => NodeValue::Scalar(ScalarKind::Float(f.0), raw()),
                Scalar::String(t) => NodeValue::Scalar(ScalarKind::Str, t.to_string()),
            }
        }
        YamlData::Representation(t, _, _) => NodeValue::Scalar(ScalarKind::Str, t.to_string()),
        YamlData::Sequence(items) => NodeValue::Seq(
            items
                .iter()
                .map(|i| convert(i, pos))
                .collect::<Result<_, _>>()?,
        ),
        YamlData::Mapping(map) => {
            let mut entries = Vec::with_capacity(map.len());
            for (k, v) in map.iter() {
                entries.push((convert(k, pos)?, convert(v, pos)?));
            }
            NodeValue::Map(entries)
        }
        YamlData::Tagged(tag, _) => {
            return Err(Diagnostic::error(
                codes::YAML,
                format!("YAML tag `{tag}` is not supported in .claw files"),
            )
            // saphyr leaves the inner node of a tag unmarked, so locate the tagged node itself.
            .at(Some(span))
            .with_help("remove the `!tag`; .claw uses plain YAML values"));
        }
        YamlData::Alias(_) | YamlData::BadValue => {
            return Err(Diagnostic::error(
                codes::YAML,
                "this YAML node could not be resolved (unknown alias or invalid value)",
            )
            .at(Some(span)));
        }
    };
    Ok(Node { span, value })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml_12_keeps_on_and_yes_as_strings() {
        let n = load("on: yes\nno: off\n").unwrap();
        let m = n.as_map().unwrap();
        assert_eq!(m[0].0.as_scalar_text(), Some("on"));
        assert_eq!(
            m[0].1.value,
            NodeValue::Scalar(ScalarKind::Str, "yes".into())
        );
        assert_eq!(m[1].0.as_scalar_text(), Some("no"));
    }

    #[test]
    fn spans_are_one_based_lines_and_columns() {
        let n = load("a:\n  bb: 3\n").unwrap();
        let inner = n.get("a").unwrap();
        let (k, v) = &inner.as_map().unwrap()[0];
        assert_eq!((k.span.line, k.span.column), (2, 3));
        assert_eq!((v.span.line, v.span.column), (2, 7));
        assert_eq!(
            &"a:\n  bb: 3\n"[v.span.offset..v.span.offset + v.span.len],
            "3"
        );
    }

    #[test]
    fn non_ascii_offsets_are_bytes() {
        let text = "é: \"ü\"\nb: x\n";
        let n = load(text).unwrap();
        let v = n.get("b").unwrap();
        assert_eq!(&text[v.span.offset..v.span.offset + v.span.len], "x");
    }

    /// The two-pass load this module used before `load_one_pass`: the reference it must match.
    #[allow(clippy::result_large_err)]
    fn two_pass(text: &str) -> Result<Node, Diagnostic> {
        check_depth(text)?;
        let docs = MarkedYaml::load_from_str(text).map_err(|e| invalid_yaml(text, &e))?;
        let pos = Positions::new(text);
        match docs.len() {
            1 => convert(&docs[0], &pos),
            // Marked by its message (codes are typed now) so the property below can tell it apart.
            n => Err(Diagnostic::error(
                codes::YAML,
                format!("test: {n} documents"),
            )),
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(3000))]
        /// One pass gives the same tree or the same error as checking depth then loading.
        #[test]
        fn one_pass_matches_two_passes(
            text in "([a-c]{0,2}|[ :\\-?,\\[\\]{}&*!|>'\"#%@`~\n\t]|---|\\.\\.\\.){0,40}"
        ) {
            let one = load(&text);
            let two = two_pass(&text);
            match (&one, &two) {
                (Ok(a), Ok(b)) => proptest::prop_assert_eq!(a, b),
                (Err(a), Err(b)) if b.message.starts_with("test: ") => {
                    proptest::prop_assert!(a.message.contains("several") || a.message.contains("empty"));
                }
                (Err(a), Err(b)) => proptest::prop_assert_eq!(a, b),
                _ => proptest::prop_assert!(false, "{:?} vs {:?}", one, two),
            }
        }
    }

    #[test]
    fn deep_nesting_is_refused_at_the_same_place_as_before() {
        let deep = format!("{}1{}", "[".repeat(100), "]".repeat(100));
        let one = load(&deep).unwrap_err();
        let two = two_pass(&deep).unwrap_err();
        assert_eq!((one.message, one.span), (two.message, two.span));
        let block: String = (0..80)
            .map(|i| format!("{}k{i}:\n", " ".repeat(i)))
            .collect();
        let one = load(&block).unwrap_err();
        let two = two_pass(&block).unwrap_err();
        assert_eq!((one.message, one.span), (two.message, two.span));
    }

    #[test]
    fn duplicate_keys_are_errors_with_location() {
        let e = load("a: 1\na: 2\n").unwrap_err();
        assert_eq!(e.code, "claw::yaml");
        assert!(e.span.is_some());
    }
}
