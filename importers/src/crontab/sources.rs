//! Which kind of cron file an input is, from its location and name (including the corpus
//! naming rule `PACKAGE__etc_cron.d_NAME`) and, failing that, from its content.

use super::CrontabError;
use super::lines::Syntax;
use std::path::{Path, PathBuf};

/// A run-parts folder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RunPartsPeriod {
    /// `/etc/cron.hourly`
    Hourly,
    /// `/etc/cron.daily`
    Daily,
    /// `/etc/cron.weekly`
    Weekly,
    /// `/etc/cron.monthly`
    Monthly,
}

impl RunPartsPeriod {
    /// Every period.
    pub const ALL: [RunPartsPeriod; 4] = [Self::Hourly, Self::Daily, Self::Weekly, Self::Monthly];

    /// `daily`, …
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Hourly => "hourly",
            Self::Daily => "daily",
            Self::Weekly => "weekly",
            Self::Monthly => "monthly",
        }
    }

    /// `/etc/cron.daily`, …
    pub fn dir(self) -> String {
        format!("/etc/cron.{}", self.as_str())
    }

    /// The schedule Debian's stock `/etc/crontab` gives the folder (used when neither
    /// /etc/crontab nor /etc/anacrontab is among the inputs).
    pub fn debian_default(self) -> &'static str {
        match self {
            Self::Hourly => "17 * * * *",
            Self::Daily => "25 6 * * *",
            Self::Weekly => "47 6 * * 7",
            Self::Monthly => "52 6 1 * *",
        }
    }

    /// From `cron.daily` (or `daily`).
    pub fn from_dir_name(s: &str) -> Option<Self> {
        let s = s.strip_prefix("cron.").unwrap_or(s);
        Self::ALL.into_iter().find(|p| p.as_str() == s)
    }
}

/// What an input file is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    /// A crontab: user or system syntax (`None`: detect from content).
    Crontab {
        /// Syntax, when the location says it.
        syntax: Option<Syntax>,
        /// A `/etc/cron.d` drop-in, with its name (Debian's name rule applies).
        cron_d: Option<String>,
        /// The owner of a user crontab when the location says it (`…/crontabs/USER`).
        owner: Option<String>,
    },
    /// `/etc/anacrontab`.
    Anacrontab,
    /// A script in a run-parts folder.
    Script {
        /// Which folder.
        period: RunPartsPeriod,
        /// Script name as run-parts sees it.
        name: String,
    },
}

/// One input file, read.
#[derive(Debug, Clone)]
pub struct SourceFile {
    /// The path as given (labels findings and errors), or `-`.
    pub label: String,
    /// Where the file lives on the legacy host, when known (`/etc/cron.d/php`).
    pub legacy_path: Option<String>,
    /// What the file is (crontab, anacrontab or run-parts script), from its location or content.
    pub kind: Kind,
    /// The file's content as read.
    pub text: String,
    /// Executable bit (scripts), when the file system says.
    pub executable: Option<bool>,
}

/// One input before classification: raw bytes plus where they came from.
#[derive(Debug, Clone)]
pub struct RawInput {
    /// Label (path as given, or `-`).
    pub label: String,
    /// Path on disk, for name-based classification (`None` for stdin).
    pub path: Option<PathBuf>,
    /// The file's content as read.
    pub bytes: Vec<u8>,
    /// Executable bit.
    pub executable: Option<bool>,
}

/// Reads a file or a folder (recursively, in byte order of names). Dot-files and the corpus
/// `MANIFEST.tsv` are skipped: neither is a cron file.
pub fn collect(path: &Path) -> Result<Vec<RawInput>, CrontabError> {
    let io = |e: std::io::Error| CrontabError::Unreadable {
        path: path.display().to_string(),
        message: e.to_string(),
    };
    let meta = std::fs::metadata(path).map_err(io)?;
    if meta.is_dir() {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(path)
            .map_err(io)?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .collect();
        entries.sort();
        let mut out = Vec::new();
        for p in entries {
            let name = p
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            if name.starts_with('.') || name == "MANIFEST.tsv" || name.ends_with(".md") {
                continue;
            }
            out.extend(collect(&p)?);
        }
        return Ok(out);
    }
    let bytes = std::fs::read(path).map_err(io)?;
    Ok(vec![RawInput {
        label: path.display().to_string(),
        path: Some(path.to_path_buf()),
        bytes,
        executable: executable(&meta),
    }])
}

#[cfg(unix)]
fn executable(meta: &std::fs::Metadata) -> Option<bool> {
    use std::os::unix::fs::PermissionsExt;
    Some(meta.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
fn executable(_meta: &std::fs::Metadata) -> Option<bool> {
    None
}

/// Decodes and classifies one input. Text that is not UTF-8 or holds NUL bytes is binary: an
/// error located at the first bad byte.
pub fn classify(raw: RawInput) -> Result<SourceFile, CrontabError> {
    let text = match String::from_utf8(raw.bytes) {
        Ok(t) => t,
        Err(e) => {
            let at = e.utf8_error().valid_up_to();
            let bytes = e.into_bytes();
            return Err(binary(&raw.label, &bytes, at));
        }
    };
    if let Some(at) = text.find('\0') {
        return Err(binary(&raw.label, text.as_bytes(), at));
    }
    let (kind, legacy_path) =
        kind_from_path(raw.path.as_deref()).unwrap_or_else(|| (kind_from_content(&text), None));
    Ok(SourceFile {
        label: raw.label,
        legacy_path,
        kind,
        text,
        executable: raw.executable,
    })
}

fn binary(label: &str, bytes: &[u8], at: usize) -> CrontabError {
    let before = &bytes[..at.min(bytes.len())];
    let line = before.iter().filter(|b| **b == b'\n').count() + 1;
    let line_start = before
        .iter()
        .rposition(|b| *b == b'\n')
        .map_or(0, |i| i + 1);
    let column = String::from_utf8_lossy(&before[line_start..])
        .chars()
        .count()
        + 1;
    CrontabError::NotText {
        file: label.to_string(),
        line,
        column,
        byte: bytes.get(at).copied().unwrap_or(0),
    }
}

/// The name rule: the logical name is what follows the last `__` of the file name (the corpus
/// writes `/etc/cron.d/php` as `php-common__etc_cron.d_php`), else the file name itself, read
/// together with the parent folder's name.
pub fn kind_from_path(path: Option<&Path>) -> Option<(Kind, Option<String>)> {
    let path = path?;
    let file = path.file_name()?.to_string_lossy().into_owned();
    let parent = path
        .parent()
        .and_then(|p| p.file_name())
        .map(|p| p.to_string_lossy().into_owned())
        .unwrap_or_default();
    let logical = file.rsplit_once("__").map_or(file.as_str(), |(_, l)| l);
    if logical == "etc_crontab" || (logical == "crontab" && parent == "etc") {
        return Some((
            Kind::Crontab {
                syntax: Some(Syntax::System),
                cron_d: None,
                owner: None,
            },
            Some("/etc/crontab".into()),
        ));
    }
    if logical == "etc_anacrontab" || logical == "anacrontab" {
        return Some((Kind::Anacrontab, Some("/etc/anacrontab".into())));
    }
    if let Some(name) = logical.strip_prefix("etc_cron.d_") {
        return Some((cron_d(name), Some(format!("/etc/cron.d/{name}"))));
    }
    for p in RunPartsPeriod::ALL {
        if let Some(name) = logical.strip_prefix(&format!("etc_cron.{}_", p.as_str())) {
            return Some((
                Kind::Script {
                    period: p,
                    name: name.to_string(),
                },
                Some(format!("{}/{name}", p.dir())),
            ));
        }
    }
    if parent == "cron.d" {
        return Some((cron_d(logical), Some(format!("/etc/cron.d/{logical}"))));
    }
    if let Some(p) = RunPartsPeriod::from_dir_name(&parent).filter(|_| parent.starts_with("cron."))
    {
        return Some((
            Kind::Script {
                period: p,
                name: logical.to_string(),
            },
            Some(format!("{}/{logical}", p.dir())),
        ));
    }
    if parent == "crontabs"
        || parent == "cron"
            && path
                .parent()
                .and_then(Path::parent)
                .and_then(Path::file_name)
                .is_some_and(|g| g == "spool")
    {
        return Some((
            Kind::Crontab {
                syntax: Some(Syntax::User),
                cron_d: None,
                owner: Some(logical.to_string()),
            },
            Some(format!("/var/spool/cron/crontabs/{logical}")),
        ));
    }
    None
}

fn cron_d(name: &str) -> Kind {
    Kind::Crontab {
        syntax: Some(Syntax::System),
        cron_d: Some(name.to_string()),
        owner: None,
    }
}

fn kind_from_content(text: &str) -> Kind {
    if super::anacrontab::looks_like(text) {
        Kind::Anacrontab
    } else {
        Kind::Crontab {
            syntax: None,
            cron_d: None,
            owner: None,
        }
    }
}

/// run-parts' default name rule: `^[A-Za-z0-9_-]+$`. Debian's cron applies the same rule to
/// `/etc/cron.d` names.
pub fn run_parts_name_ok(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}
