//! Finding the export documents in what the user pointed at: a `.zip` account export, a JSON
//! file, a folder of them, or standard input. A document is opened as a reader each time it is
//! read (the import reads it twice), so no export is ever held in memory whole.

use super::error::ZapierError;
use std::io::{BufRead, BufReader, Read, Seek};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// One JSON document already in memory (what `import_texts` takes).
#[derive(Debug, Clone)]
pub struct Text {
    /// Label for messages.
    pub file: String,
    /// Label for provenance (relative to the input).
    pub provenance: String,
    /// The document's text.
    pub text: String,
}

/// Where a document's bytes live.
#[derive(Debug, Clone)]
enum Place {
    /// A file on disk, opened again for every read.
    File(PathBuf),
    /// Bytes already in memory (standard input, `import_bytes`, `import_texts`).
    Bytes(Arc<[u8]>),
}

/// One JSON document to parse: a file, an entry of a ZIP archive, or bytes in memory.
#[derive(Debug, Clone)]
pub struct Doc {
    /// Label for messages.
    pub file: String,
    /// Label for provenance (relative to the input).
    pub provenance: String,
    place: Place,
    /// The `Zapfile.json` entry inside the ZIP archive at `place`.
    entry: Option<String>,
}

/// Largest export file read (the biggest real account exports are a few MB; this bounds a zip bomb).
const MAX_BYTES: u64 = 1 << 30;

/// Files in a folder that belong to an account export but are not Zap definitions.
const NOT_ZAPS: &[&str] = &["zap_data.json"];

impl Doc {
    /// A document whose text is already in memory.
    pub fn from_text(t: &Text) -> Doc {
        Doc {
            file: t.file.clone(),
            provenance: t.provenance.clone(),
            place: Place::Bytes(Arc::from(t.text.as_bytes())),
            entry: None,
        }
    }

    /// Calls `f` with a reader over the document's text (byte-order mark skipped), after
    /// checking that the text is UTF-8.
    pub fn with_text<T>(
        &self,
        f: impl FnOnce(&mut dyn BufRead) -> Result<T, ZapierError>,
    ) -> Result<T, ZapierError> {
        self.with_raw(|r| check_utf8(&self.file, r))??;
        self.with_raw(|r| {
            let mut r = BufReader::with_capacity(1 << 16, r);
            // A UTF-8 byte-order mark is legal in files saved by some editors; JSON parsers reject it.
            let bom = r.fill_buf().is_ok_and(|b| b.starts_with(b"\xef\xbb\xbf"));
            if bom {
                r.consume(3);
            }
            f(&mut r)
        })?
    }

    /// Line `line` of the document (1-based), for error excerpts; empty when unreadable.
    pub fn line(&self, line: usize) -> String {
        let got = self.with_raw(|r| {
            let mut r = BufReader::new(r);
            let mut buf = Vec::new();
            for _ in 0..line {
                buf.clear();
                if r.read_until(b'\n', &mut buf).ok()? == 0 {
                    return None;
                }
            }
            let text = String::from_utf8_lossy(&buf).into_owned();
            let text = if line == 1 {
                text.strip_prefix('\u{feff}')
                    .map(str::to_string)
                    .unwrap_or(text)
            } else {
                text
            };
            Some(text.trim_end_matches(['\n', '\r']).to_string())
        });
        got.ok().flatten().unwrap_or_default()
    }

    /// Calls `f` with a reader over the raw bytes (at most [`MAX_BYTES`]).
    fn with_raw<T>(&self, f: impl FnOnce(&mut dyn Read) -> T) -> Result<T, ZapierError> {
        let io = |source| ZapierError::Io {
            file: self.file.clone(),
            source,
        };
        match (&self.place, &self.entry) {
            (Place::File(p), None) => {
                let file = std::fs::File::open(p).map_err(io)?;
                Ok(f(&mut file.take(MAX_BYTES)))
            }
            (Place::Bytes(b), None) => Ok(f(&mut &b[..])),
            (Place::File(p), Some(name)) => {
                let file = std::fs::File::open(p).map_err(io)?;
                with_entry(&self.file, file, name, f)
            }
            (Place::Bytes(b), Some(name)) => {
                with_entry(&self.file, std::io::Cursor::new(&b[..]), name, f)
            }
        }
    }
}

fn with_entry<R: Read + Seek, T>(
    file: &str,
    archive: R,
    name: &str,
    f: impl FnOnce(&mut dyn Read) -> T,
) -> Result<T, ZapierError> {
    let bad = |e: zip::result::ZipError| ZapierError::BadZip {
        file: file.into(),
        message: e.to_string(),
    };
    let mut z = zip::ZipArchive::new(archive).map_err(bad)?;
    let entry = z.by_name(name).map_err(bad)?;
    Ok(f(&mut entry.take(MAX_BYTES)))
}

/// Checks that a document is UTF-8 without holding it: the error names the line and column
/// (in bytes) of the first bad byte.
fn check_utf8(file: &str, r: &mut dyn Read) -> Result<(), ZapierError> {
    let mut buf = vec![0u8; 1 << 16];
    // Bytes at the start of `buf` carried over from the previous read (a split sequence).
    let mut carry = 0;
    let (mut line, mut column) = (1usize, 1usize);
    let mut advance = |bytes: &[u8]| {
        // The same count as byte by byte, done a block at a time.
        match bytes.iter().rposition(|b| *b == b'\n') {
            Some(last) => {
                line += bytes.iter().filter(|b| **b == b'\n').count();
                column = bytes.len() - last;
            }
            None => column += bytes.len(),
        }
        (line, column)
    };
    loop {
        let n = read_some(r, &mut buf[carry..]).map_err(|source| ZapierError::Io {
            file: file.into(),
            source,
        })?;
        let len = carry + n;
        let bad = |(line, column)| ZapierError::BadJson {
            file: file.into(),
            line,
            column,
            message: "the file is not UTF-8 text".into(),
            excerpt: String::new(),
        };
        match std::str::from_utf8(&buf[..len]) {
            Ok(_) if n == 0 => return Ok(()),
            Ok(_) => {
                advance(&buf[..len]);
                carry = 0;
            }
            Err(e) => {
                let good = e.valid_up_to();
                let at = advance(&buf[..good]);
                if e.error_len().is_some() || n == 0 {
                    return Err(bad(at));
                }
                buf.copy_within(good..len, 0);
                carry = len - good;
            }
        }
    }
}

fn read_some(r: &mut dyn Read, buf: &mut [u8]) -> std::io::Result<usize> {
    loop {
        match r.read(buf) {
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            other => return other,
        }
    }
}

/// Finds the documents in `path` (file, folder or `-`), sorted by label, plus the files of an
/// account export that were skipped because they hold no Zaps.
pub fn read(path: &Path) -> Result<(Vec<Doc>, Vec<String>), ZapierError> {
    let mut skipped = Vec::new();
    if path.as_os_str() == "-" {
        let mut bytes = Vec::new();
        std::io::stdin()
            .take(MAX_BYTES)
            .read_to_end(&mut bytes)
            .map_err(|source| ZapierError::Io {
                file: "<stdin>".into(),
                source,
            })?;
        return Ok((from_bytes("<stdin>", "stdin", &bytes)?, skipped));
    }
    let label = path.display().to_string();
    let meta = std::fs::metadata(path).map_err(|source| ZapierError::Io {
        file: label.clone(),
        source,
    })?;
    if !meta.is_dir() {
        let prov = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| label.clone());
        return Ok((from_file(&label, &prov, path)?, skipped));
    }
    let mut files = Vec::new();
    walk(path, &mut files).map_err(|source| ZapierError::Io {
        file: label.clone(),
        source,
    })?;
    files.sort();
    let mut out = Vec::new();
    for f in files {
        let name = f
            .file_name()
            .map(|n| n.to_string_lossy().to_lowercase())
            .unwrap_or_default();
        let rel = f
            .strip_prefix(path)
            .unwrap_or(&f)
            .to_string_lossy()
            .replace('\\', "/");
        if NOT_ZAPS.contains(&name.as_str()) {
            skipped.push(rel);
            continue;
        }
        out.extend(from_file(&f.display().to_string(), &rel, &f)?);
    }
    if out.is_empty() {
        return Err(ZapierError::Empty { file: label });
    }
    Ok((out, skipped))
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for e in std::fs::read_dir(dir)? {
        let e = e?;
        let p = e.path();
        if e.file_type()?.is_dir() {
            walk(&p, out)?;
        } else if p
            .extension()
            .and_then(|x| x.to_str())
            .is_some_and(|x| x.eq_ignore_ascii_case("json") || x.eq_ignore_ascii_case("zip"))
        {
            out.push(p);
        }
    }
    Ok(())
}

fn is_zip(head: &[u8]) -> bool {
    head.starts_with(b"PK\x03\x04") || head.starts_with(b"PK\x05\x06")
}

/// One file on disk: a ZIP yields its `Zapfile.json` entries, anything else is one document.
fn from_file(file: &str, provenance: &str, path: &Path) -> Result<Vec<Doc>, ZapierError> {
    let io = |source| ZapierError::Io {
        file: file.into(),
        source,
    };
    let mut f = std::fs::File::open(path).map_err(io)?;
    let mut head = [0u8; 4];
    let mut got = 0;
    while got < head.len() {
        match read_some(&mut f, &mut head[got..]).map_err(io)? {
            0 => break,
            n => got += n,
        }
    }
    if is_zip(&head[..got]) {
        f.rewind().map_err(io)?;
        let names = zip_entries(file, f)?;
        return Ok(zip_docs(file, provenance, Place::File(path.into()), names));
    }
    Ok(vec![Doc {
        file: file.into(),
        provenance: provenance.into(),
        place: Place::File(path.into()),
        entry: None,
    }])
}

/// Turns one input's bytes into documents: a ZIP yields its `Zapfile.json` entries.
pub fn from_bytes(file: &str, provenance: &str, bytes: &[u8]) -> Result<Vec<Doc>, ZapierError> {
    let bytes: Arc<[u8]> = Arc::from(bytes);
    if is_zip(&bytes) {
        let names = zip_entries(file, std::io::Cursor::new(&bytes[..]))?;
        return Ok(zip_docs(file, provenance, Place::Bytes(bytes), names));
    }
    Ok(vec![Doc {
        file: file.into(),
        provenance: provenance.into(),
        place: Place::Bytes(bytes),
        entry: None,
    }])
}

fn zip_docs(file: &str, provenance: &str, place: Place, names: Vec<String>) -> Vec<Doc> {
    names
        .into_iter()
        .map(|name| Doc {
            file: format!("{file}!{name}"),
            provenance: format!("{provenance}!{name}"),
            place: place.clone(),
            entry: Some(name),
        })
        .collect()
}

/// The `Zapfile.json` entries of an archive, sorted; an error when there is none.
fn zip_entries<R: Read + Seek>(file: &str, archive: R) -> Result<Vec<String>, ZapierError> {
    let z = zip::ZipArchive::new(archive).map_err(|e| ZapierError::BadZip {
        file: file.into(),
        message: e.to_string(),
    })?;
    let mut names: Vec<String> = z.file_names().map(str::to_string).collect();
    names.sort();
    let wanted: Vec<String> = names
        .iter()
        .filter(|n| {
            let base = n.rsplit('/').next().unwrap_or(n);
            base.eq_ignore_ascii_case("zapfile.json")
        })
        .cloned()
        .collect();
    if wanted.is_empty() {
        let mut shown: Vec<&str> = names.iter().map(String::as_str).take(8).collect();
        if names.len() > 8 {
            shown.push("…");
        }
        return Err(ZapierError::NoZapfile {
            file: file.into(),
            entries: if shown.is_empty() {
                "none".into()
            } else {
                shown.join(", ")
            },
        });
    }
    Ok(wanted)
}
