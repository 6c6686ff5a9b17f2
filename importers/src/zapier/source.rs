//! Finding the export text in what the user pointed at: a `.zip` account export, a JSON file,
//! a folder of them, or standard input.

use super::error::ZapierError;
use std::io::Read;
use std::path::Path;

/// One JSON document to parse.
#[derive(Debug, Clone)]
pub struct Text {
    /// Label for messages.
    pub file: String,
    /// Label for provenance (relative to the input).
    pub provenance: String,
    /// The document's text.
    pub text: String,
}

/// Largest export file read (the biggest real account exports are a few MB; this bounds a zip bomb).
const MAX_BYTES: u64 = 1 << 30;

/// Files in a folder that belong to an account export but are not Zap definitions.
const NOT_ZAPS: &[&str] = &["zap_data.json"];

/// Reads `path` (file, folder or `-`) into documents, sorted by label.
pub fn read(path: &Path) -> Result<(Vec<Text>, Vec<String>), ZapierError> {
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
        let bytes = read_file(path)?;
        let prov = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| label.clone());
        return Ok((from_bytes(&label, &prov, &bytes)?, skipped));
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
        let bytes = read_file(&f)?;
        out.extend(from_bytes(&f.display().to_string(), &rel, &bytes)?);
    }
    if out.is_empty() {
        return Err(ZapierError::Empty { file: label });
    }
    Ok((out, skipped))
}

fn read_file(p: &Path) -> Result<Vec<u8>, ZapierError> {
    let f = std::fs::File::open(p).map_err(|source| ZapierError::Io {
        file: p.display().to_string(),
        source,
    })?;
    let mut bytes = Vec::new();
    f.take(MAX_BYTES)
        .read_to_end(&mut bytes)
        .map_err(|source| ZapierError::Io {
            file: p.display().to_string(),
            source,
        })?;
    Ok(bytes)
}

fn walk(dir: &Path, out: &mut Vec<std::path::PathBuf>) -> std::io::Result<()> {
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

/// Turns one input's bytes into documents: a ZIP yields its `Zapfile.json` entries.
pub fn from_bytes(file: &str, provenance: &str, bytes: &[u8]) -> Result<Vec<Text>, ZapierError> {
    if bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"PK\x05\x06") {
        return from_zip(file, provenance, bytes);
    }
    let text = String::from_utf8(bytes.to_vec()).map_err(|e| {
        let before = &bytes[..e.utf8_error().valid_up_to()];
        let line = before.iter().filter(|b| **b == b'\n').count() + 1;
        let column = before.iter().rev().take_while(|b| **b != b'\n').count() + 1;
        ZapierError::BadJson {
            file: file.into(),
            line,
            column,
            message: "the file is not UTF-8 text".into(),
            excerpt: String::new(),
        }
    })?;
    // A UTF-8 byte-order mark is legal in files saved by some editors; JSON parsers reject it.
    let text = text
        .strip_prefix('\u{feff}')
        .map(str::to_string)
        .unwrap_or(text);
    Ok(vec![Text {
        file: file.into(),
        provenance: provenance.into(),
        text,
    }])
}

fn from_zip(file: &str, provenance: &str, bytes: &[u8]) -> Result<Vec<Text>, ZapierError> {
    let bad = |e: zip::result::ZipError| ZapierError::BadZip {
        file: file.into(),
        message: e.to_string(),
    };
    let mut z = zip::ZipArchive::new(std::io::Cursor::new(bytes)).map_err(bad)?;
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
    let mut out = Vec::new();
    for name in wanted {
        let entry = z.by_name(&name).map_err(bad)?;
        let mut buf = Vec::new();
        entry
            .take(MAX_BYTES)
            .read_to_end(&mut buf)
            .map_err(|source| ZapierError::Io {
                file: format!("{file}!{name}"),
                source,
            })?;
        out.extend(from_bytes(
            &format!("{file}!{name}"),
            &format!("{provenance}!{name}"),
            &buf,
        )?);
    }
    Ok(out)
}
