//! Reading one export document's Zaps one at a time: the envelope is walked with serde visitors
//! over a reader, and each element of `zaps` is handed on as soon as it is parsed, so memory
//! holds one Zap, never the whole export. Accepts exactly what [`super::model::parse`] accepts.

use super::error::{ZapierError, excerpt_line};
use super::model::{Id, Nodes, Zap};
use super::source::Doc;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

/// The callback each Zap goes to; an error from it stops the parse and is returned as is.
pub type Each<'a, E> = dyn FnMut(Zap) -> Result<(), E> + 'a;

/// Hands every Zap of `doc` to `each`, in file order (a bare-Zap file gives one), and returns
/// the envelope's `metadata.version`. Parse errors carry the line, column and an excerpt.
pub fn each_zap<E: From<ZapierError>>(
    doc: &Doc,
    each: &mut Each<'_, E>,
) -> Result<Option<String>, E> {
    // A well-formed export goes the fast way; anything else (an error to report, an unusual
    // shape) is read by the streaming parser below, which skips the Zaps already handed on.
    let skip = match doc.with_text(|r| Ok(super::split::each_zap(r, &mut *each)))? {
        super::split::Outcome::Done(metadata) => {
            return Ok(super::model::version(metadata.as_ref()));
        }
        super::split::Outcome::Stopped(e) => return Err(e),
        super::split::Outcome::GaveUp(n) => n,
    };
    let mut stop: Option<E> = None;
    let parsed = doc.with_text(|r| {
        let mut de = serde_json::Deserializer::from_reader(r);
        let seed = EnvelopeSeed {
            each: &mut *each,
            stop: &mut stop,
            skip,
        };
        let out = seed.deserialize(&mut de).and_then(|v| de.end().map(|()| v));
        Ok(out)
    });
    let parsed = parsed?;
    if let Some(e) = stop {
        return Err(e);
    }
    let head = parsed.map_err(|e| json_error(doc, e))?;
    if !head.saw_zaps {
        let Some(nodes) = head.nodes else {
            return Err(ZapierError::BadShape {
                file: doc.file.clone(),
                line: 1,
                column: 1,
                message: "expected an object with `zaps` (a Zapfile.json or exported-zap file) or a single Zap with `nodes`".into(),
                excerpt: excerpt_line(&doc.line(1), 1, 1),
            }
            .into());
        };
        each(Zap {
            id: head.id.unwrap_or_else(|| Id("0".into())),
            title: head.title,
            nodes,
            status: None,
        })?;
    }
    Ok(super::model::version(head.metadata.as_ref()))
}

fn json_error(doc: &Doc, e: serde_json::Error) -> ZapierError {
    let (line, column) = (e.line(), e.column());
    let category = e.classify();
    if category == serde_json::error::Category::Io {
        return ZapierError::Io {
            file: doc.file.clone(),
            source: e.into(),
        };
    }
    let message = e.to_string();
    // serde_json appends " at line L column C"; the location is given separately.
    let message = match message.rfind(" at line ") {
        Some(i) => message[..i].to_string(),
        None => message,
    };
    let excerpt = excerpt_line(&doc.line(line), line, column);
    let file = doc.file.clone();
    match category {
        serde_json::error::Category::Data => ZapierError::BadShape {
            file,
            line,
            column,
            message,
            excerpt,
        },
        _ => ZapierError::BadJson {
            file,
            line,
            column,
            message,
            excerpt,
        },
    }
}

/// The envelope minus its Zaps, which went to the callback.
struct Head {
    metadata: Option<Value>,
    saw_zaps: bool,
    id: Option<Id>,
    title: Option<String>,
    nodes: Option<Nodes>,
}

struct EnvelopeSeed<'a, 'b, E> {
    each: &'a mut Each<'b, E>,
    stop: &'a mut Option<E>,
    /// Zaps the fast path already handed on: parsed again here, not handed on twice.
    skip: usize,
}

const FIELDS: &[&str] = &["metadata", "zaps", "id", "title", "nodes"];

impl<'de, E> DeserializeSeed<'de> for EnvelopeSeed<'_, '_, E> {
    type Value = Head;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Head, D::Error> {
        d.deserialize_struct("Envelope", FIELDS, self)
    }
}

impl<'de, E> Visitor<'de> for EnvelopeSeed<'_, '_, E> {
    type Value = Head;
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("struct Envelope")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<Head, A::Error> {
        let mut head = Head {
            metadata: None,
            saw_zaps: false,
            id: None,
            title: None,
            nodes: None,
        };
        let mut seen = [false; 5];
        while let Some(key) = m.next_key::<String>()? {
            let Some(k) = FIELDS.iter().position(|f| *f == key) else {
                m.next_value::<IgnoredAny>()?;
                continue;
            };
            if std::mem::replace(&mut seen[k], true) {
                return Err(de::Error::duplicate_field(FIELDS[k]));
            }
            match k {
                0 => head.metadata = m.next_value()?,
                1 => {
                    head.saw_zaps = m.next_value_seed(ZapsSeed {
                        each: &mut *self.each,
                        stop: &mut *self.stop,
                        skip: self.skip,
                    })?
                }
                2 => head.id = m.next_value()?,
                3 => head.title = m.next_value()?,
                _ => head.nodes = m.next_value()?,
            }
        }
        Ok(head)
    }
}

/// `zaps`: `null` (false) or an array whose elements go to the callback (true).
struct ZapsSeed<'a, 'b, E> {
    each: &'a mut Each<'b, E>,
    stop: &'a mut Option<E>,
    skip: usize,
}

impl<'de, E> DeserializeSeed<'de> for ZapsSeed<'_, '_, E> {
    type Value = bool;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<bool, D::Error> {
        d.deserialize_option(self)
    }
}

impl<'de, E> Visitor<'de> for ZapsSeed<'_, '_, E> {
    type Value = bool;
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a sequence")
    }
    fn visit_none<Er: de::Error>(self) -> Result<bool, Er> {
        Ok(false)
    }
    fn visit_unit<Er: de::Error>(self) -> Result<bool, Er> {
        Ok(false)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<bool, D::Error> {
        d.deserialize_seq(self)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut s: A) -> Result<bool, A::Error> {
        let mut skip = self.skip;
        while let Some(z) = s.next_element::<Zap>()? {
            if skip > 0 {
                skip -= 1;
                continue;
            }
            if let Err(e) = (self.each)(z) {
                *self.stop = Some(e);
                // Only unwinds the parse: the caller returns the stored error instead.
                return Err(de::Error::custom("stopped by the importer"));
            }
        }
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::zapier::source::{Doc, Text};

    fn doc(text: &str) -> Doc {
        Doc::from_text(&Text {
            file: "t.json".into(),
            provenance: "t.json".into(),
            text: text.into(),
        })
    }

    /// The Zaps handed on, and the error, if any.
    fn read(text: &str) -> (Vec<String>, Option<String>) {
        let mut ids = Vec::new();
        let r = each_zap::<ZapierError>(&doc(text), &mut |z| {
            ids.push(z.id.0);
            Ok(())
        });
        (ids, r.err().map(|e| e.to_string()))
    }

    const TWO: &str = r#"{"zaps": [{"id": 1, "nodes": {}}, {"id": 2, "nodes": {}}]"#;

    #[test]
    fn each_zap_is_handed_on_once_whichever_path_reads_it() {
        // Well formed: the fast path alone.
        assert_eq!(
            read(&format!("{TWO}}}")),
            (vec!["1".into(), "2".into()], None)
        );
        // Broken after both Zaps: the fast path hands them on, then gives up; the streaming
        // parser reports the error without handing them on again.
        let (ids, err) = read(&format!("{TWO}}} x"));
        assert_eq!(ids, ["1", "2"]);
        assert!(err.is_some_and(|e| e.contains("trailing characters")));
        let (ids, err) = read(&format!("{TWO}, \"zaps\": []}}"));
        assert_eq!(ids, ["1", "2"]);
        assert!(err.is_some_and(|e| e.contains("duplicate field `zaps`")));
        // Broken inside the second Zap: the first is handed on once.
        let (ids, err) = read(r#"{"zaps": [{"id": 1, "nodes": {}}, {"id": 2, "nodes": [}]}"#);
        assert_eq!(ids, ["1"]);
        assert!(err.is_some());
        // Shapes only the streaming parser reads: a bare Zap, `zaps: null`.
        assert_eq!(read(r#"{"id": 7, "nodes": {}}"#), (vec!["7".into()], None));
        assert_eq!(
            read(r#"{"zaps": null, "id": 8, "nodes": {}}"#),
            (vec!["8".into()], None)
        );
    }

    #[test]
    fn an_error_from_the_callback_stops_the_read() {
        let mut seen = 0;
        let r = each_zap::<ZapierError>(&doc(&format!("{TWO}}}")), &mut |_| {
            seen += 1;
            Err(ZapierError::Io {
                file: "x".into(),
                source: std::io::Error::other("stop"),
            })
        });
        assert_eq!(seen, 1);
        assert!(r.is_err());
    }
}
