//! The fast way through a well-formed export: the bytes of each element of `zaps` are found by
//! a scan that only follows strings and brackets, and each is parsed on its own from memory.
//! serde_json reading from a stream costs several times more per byte (it is most of an
//! import's parse), while memory still holds one Zap at a time.
//!
//! This path only ever says "done" for a document the streaming parser of [`super::stream`]
//! reads without error, and then gives the same Zaps in the same order: every piece it keeps is
//! parsed by serde_json with the same types, everything it skips is still checked by serde_json
//! (as `IgnoredAny`), and at the first thing it does not handle exactly — any syntax or shape
//! error, a duplicate key, an export without `zaps` (a bare Zap), `zaps: null` — it gives up and
//! says how many Zaps it already handed on, so the streaming parser can take over without handing
//! them on twice.

use super::model::{Id, Nodes, Zap};
use serde::de::IgnoredAny;
use serde_json::Value;
use std::io::BufRead;

/// How far the fast path got.
pub(super) enum Outcome<E> {
    /// The document is well formed; its `metadata`, for the version.
    Done(Option<Value>),
    /// The callback refused a Zap: stop with its error.
    Stopped(E),
    /// Something the fast path does not handle exactly; this many Zaps were already handed on.
    GaveUp(usize),
}

/// Hands every Zap of a well-formed `{…, "zaps": […], …}` document to `each`.
pub(super) fn each_zap<E>(
    r: &mut dyn BufRead,
    each: &mut dyn FnMut(Zap) -> Result<(), E>,
) -> Outcome<E> {
    let mut s = Scanner::new(r);
    let mut delivered = 0;
    match envelope(&mut s, each, &mut delivered) {
        Ok(Some(metadata)) => Outcome::Done(metadata),
        Ok(None) => Outcome::GaveUp(delivered),
        Err(e) => Outcome::Stopped(e),
    }
}

/// `Ok(Some(metadata))` when the whole document was read; `Ok(None)` when the fast path gives up.
fn envelope<E>(
    s: &mut Scanner<'_>,
    each: &mut dyn FnMut(Zap) -> Result<(), E>,
    delivered: &mut usize,
) -> Result<Option<Option<Value>>, E> {
    macro_rules! need {
        ($e:expr) => {
            match $e {
                Some(v) => v,
                None => return Ok(None),
            }
        };
    }
    need!(s.expect(b'{'));
    let mut seen: Vec<String> = Vec::new();
    let mut metadata = None;
    let mut saw_zaps = false;
    loop {
        let key: String = need!(s.string().and_then(|raw| serde_json::from_slice(raw).ok()));
        if seen.contains(&key) {
            return Ok(None);
        }
        need!(s.expect(b':'));
        match key.as_str() {
            "zaps" => {
                need!(s.expect(b'['));
                if need!(s.peek()) == b']' {
                    s.bump();
                } else {
                    loop {
                        let zap: Zap =
                            need!(s.value().and_then(|raw| serde_json::from_slice(raw).ok()));
                        *delivered += 1;
                        each(zap)?;
                        match need!(s.next_structural()) {
                            b',' => continue,
                            b']' => break,
                            _ => return Ok(None),
                        }
                    }
                }
                saw_zaps = true;
            }
            "metadata" => {
                metadata = need!(
                    s.value()
                        .and_then(|raw| serde_json::from_slice::<Option<Value>>(raw).ok())
                );
            }
            // Read (and so checked) as the streaming parser reads them, then unused.
            "id" => {
                need!(
                    s.value()
                        .and_then(|raw| serde_json::from_slice::<Option<Id>>(raw).ok())
                );
            }
            "title" => {
                need!(
                    s.value()
                        .and_then(|raw| serde_json::from_slice::<Option<String>>(raw).ok())
                );
            }
            "nodes" => {
                need!(
                    s.value()
                        .and_then(|raw| serde_json::from_slice::<Option<Nodes>>(raw).ok())
                );
            }
            _ => {
                need!(
                    s.value()
                        .and_then(|raw| serde_json::from_slice::<IgnoredAny>(raw).ok())
                );
            }
        }
        seen.push(key);
        match need!(s.next_structural()) {
            b',' => continue,
            b'}' => break,
            _ => return Ok(None),
        }
    }
    // Only white space may follow, as `Deserializer::end` requires.
    if !saw_zaps || !need!(s.at_end()) {
        return Ok(None);
    }
    Ok(Some(metadata))
}

/// A window over the reader: bytes are appended in blocks, and indices into `buf` stay valid
/// while one token or value is scanned; consumed bytes are dropped between tokens.
struct Scanner<'r> {
    r: &'r mut dyn BufRead,
    buf: Vec<u8>,
    /// Next unread byte in `buf`.
    pos: usize,
    /// The reader is exhausted (or failed: the streaming parser then reports the error).
    eof: bool,
}

impl<'r> Scanner<'r> {
    fn new(r: &'r mut dyn BufRead) -> Self {
        Scanner {
            r,
            buf: Vec::with_capacity(1 << 17),
            pos: 0,
            eof: false,
        }
    }

    /// Appends the reader's next block; `false` at the end.
    fn more(&mut self) -> bool {
        if self.eof {
            return false;
        }
        let n = match self.r.fill_buf() {
            Ok(chunk) if !chunk.is_empty() => {
                self.buf.extend_from_slice(chunk);
                chunk.len()
            }
            _ => 0,
        };
        if n == 0 {
            self.eof = true;
            return false;
        }
        self.r.consume(n);
        true
    }

    /// The byte at index `i` of `buf`, reading more when needed.
    fn at(&mut self, i: usize) -> Option<u8> {
        while i >= self.buf.len() {
            if !self.more() {
                return None;
            }
        }
        Some(self.buf[i])
    }

    fn bump(&mut self) {
        self.pos += 1;
    }

    /// The next byte that is not JSON white space, not consumed. Tokens start here, so this
    /// is where consumed bytes are dropped (once they fill a block, to move little).
    fn peek(&mut self) -> Option<u8> {
        if self.pos >= 1 << 16 {
            self.buf.drain(..self.pos);
            self.pos = 0;
        }
        loop {
            let b = self.at(self.pos)?;
            if matches!(b, b' ' | b'\n' | b'\r' | b'\t') {
                self.pos += 1;
            } else {
                return Some(b);
            }
        }
    }

    /// Consumes the next non-blank byte if it is `want`.
    fn expect(&mut self, want: u8) -> Option<()> {
        (self.peek()? == want).then(|| self.bump())
    }

    /// Consumes and returns the next non-blank byte.
    fn next_structural(&mut self) -> Option<u8> {
        let b = self.peek()?;
        self.bump();
        Some(b)
    }

    /// Whether only white space is left.
    fn at_end(&mut self) -> Option<bool> {
        Some(self.peek().is_none() && self.eof)
    }

    /// The raw bytes of the next string (quotes included).
    fn string(&mut self) -> Option<&[u8]> {
        if self.peek()? != b'"' {
            return None;
        }
        let start = self.pos;
        let end = self.string_end(start)?;
        self.pos = end;
        Some(&self.buf[start..end])
    }

    /// One past the closing quote of the string opening at `start`.
    fn string_end(&mut self, start: usize) -> Option<usize> {
        let mut i = start + 1;
        loop {
            self.at(i)?;
            // Whole runs of plain bytes at once: only a quote or a backslash matters here.
            match self.buf[i..].iter().position(|b| matches!(b, b'"' | b'\\')) {
                Some(k) if self.buf[i + k] == b'"' => return Some(i + k + 1),
                Some(k) => i += k + 2,
                None => i = self.buf.len(),
            }
        }
    }

    /// The raw bytes of the next value (object, array, string or scalar). Only its extent is
    /// found here; serde_json checks its content.
    fn value(&mut self) -> Option<&[u8]> {
        let first = self.peek()?;
        let start = self.pos;
        let end = match first {
            b'"' => self.string_end(start)?,
            b'{' | b'[' => {
                let mut depth = 0usize;
                let mut i = start;
                loop {
                    self.at(i)?;
                    // Skip to the next byte that matters: a string or a bracket.
                    let Some(k) = self.buf[i..]
                        .iter()
                        .position(|b| matches!(b, b'"' | b'{' | b'[' | b'}' | b']'))
                    else {
                        i = self.buf.len();
                        continue;
                    };
                    i += k;
                    match self.buf[i] {
                        b'"' => {
                            i = self.string_end(i)?;
                            continue;
                        }
                        b'{' | b'[' => depth += 1,
                        _ => {
                            depth -= 1;
                            if depth == 0 {
                                break i + 1;
                            }
                        }
                    }
                    i += 1;
                }
            }
            _ => {
                let mut i = start;
                while let Some(b) = self.at(i) {
                    if matches!(b, b',' | b']' | b'}' | b' ' | b'\n' | b'\r' | b'\t') {
                        break;
                    }
                    i += 1;
                }
                i
            }
        };
        self.pos = end;
        Some(&self.buf[start..end])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(text: &str) -> (Vec<String>, &'static str) {
        let mut ids = Vec::new();
        let mut r = std::io::BufReader::with_capacity(7, text.as_bytes());
        let out = each_zap::<()>(&mut r, &mut |z| {
            ids.push(z.id.0);
            Ok(())
        });
        let what = match out {
            Outcome::Done(_) => "done",
            Outcome::Stopped(()) => "stopped",
            Outcome::GaveUp(_) => "gave up",
        };
        (ids, what)
    }

    #[test]
    fn a_well_formed_export_is_read_whole() {
        let text = r#" {"metadata": {"version": 2}, "other": [1, {"a": "]}\""}],
            "zaps": [ {"id": 1, "nodes": {}}, {"id": "2", "title": "t \" ]", "nodes": {}} ] } "#;
        assert_eq!(run(text), (vec!["1".to_string(), "2".to_string()], "done"));
    }
}
