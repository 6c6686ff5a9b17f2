//! Diagnostics: located, coded findings about a `.claw` file, rendered for people or as JSON.

use serde::Serialize;
use std::fmt;

/// How bad a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The system does not compile.
    Error,
    /// A lint: the system compiles, but something is missing or risky.
    Warning,
}

/// A position in a source text: 1-based line and column, plus byte offsets for rendering.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct Span {
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
    /// Byte offset of the start.
    pub offset: usize,
    /// Length in bytes (0 for a point).
    pub len: usize,
}

/// One finding.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Diagnostic {
    /// Stable code, e.g. `claw::missing_layer`.
    pub code: String,
    /// Error or warning.
    pub severity: Severity,
    /// What is wrong.
    pub message: String,
    /// File the finding is about.
    pub file: Option<String>,
    /// Where in the file.
    pub span: Option<Span>,
    /// Model path of the item (`/execution/book_carrier/retries`).
    pub path: Option<String>,
    /// Short text under the marker.
    pub label: Option<String>,
    /// How to fix it.
    pub help: Option<String>,
}

impl Diagnostic {
    /// An error with a registered code (see [`crate::codes`]) and message.
    pub fn error(code: Code, message: impl Into<String>) -> Self {
        Self::new(code, Severity::Error, message)
    }

    /// A warning (lint) with a registered code and message.
    pub fn warning(code: Code, message: impl Into<String>) -> Self {
        Self::new(code, Severity::Warning, message)
    }

    fn new(code: Code, severity: Severity, message: impl Into<String>) -> Self {
        Diagnostic {
            code: code.id.to_string(),
            severity,
            message: message.into(),
            file: None,
            span: None,
            path: None,
            label: None,
            help: None,
        }
    }

    /// Attaches a fix hint.
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Attaches a label shown under the marker.
    pub fn with_label(mut self, label: impl Into<String>) -> Self {
        self.label = Some(label.into());
        self
    }

    /// Attaches a span.
    pub fn at(mut self, span: Option<Span>) -> Self {
        self.span = span;
        self
    }

    /// Attaches a model path.
    pub fn at_path(mut self, path: impl Into<String>) -> Self {
        self.path = Some(path.into());
        self
    }

    /// Whether this is an error.
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// `file:line:column` (or what is known of it).
    pub fn location(&self) -> String {
        let file = self.file.as_deref().unwrap_or("<input>");
        match self.span {
            Some(s) => format!("{file}:{}:{}", s.line, s.column),
            None => file.to_string(),
        }
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sev = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        write!(
            f,
            "{}: {sev}[{}]: {}",
            self.location(),
            self.code,
            self.message
        )
    }
}

/// Adapter so miette can draw a diagnostic with its source line.
#[derive(Debug)]
struct Rendered<'a> {
    diag: &'a Diagnostic,
    source: miette::NamedSource<String>,
}

impl fmt::Display for Rendered<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.diag.message)
    }
}

impl std::error::Error for Rendered<'_> {}

impl miette::Diagnostic for Rendered<'_> {
    fn code<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        Some(Box::new(self.diag.code.clone()))
    }
    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.diag.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
        })
    }
    fn help<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        self.diag
            .help
            .as_ref()
            .map(|h| Box::new(h.clone()) as Box<dyn fmt::Display>)
    }
    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        self.diag
            .span
            .map(|_| &self.source as &dyn miette::SourceCode)
    }
    fn labels(&self) -> Option<Box<dyn Iterator<Item = miette::LabeledSpan> + '_>> {
        let span = self.diag.span?;
        let label = self
            .diag
            .label
            .clone()
            .unwrap_or_else(|| "here".to_string());
        Some(Box::new(std::iter::once(miette::LabeledSpan::new(
            Some(label),
            span.offset,
            span.len,
        ))))
    }
}

/// Renders diagnostics as text with the source line and a marker.
///
/// `color` turns on ANSI colours (use it only for terminals); golden files use `false`.
pub fn render(diags: &[Diagnostic], source: &str, color: bool) -> String {
    let theme = if color {
        miette::GraphicalTheme::unicode()
    } else {
        miette::GraphicalTheme::unicode_nocolor()
    };
    // Wrapping depends on textwrap's cargo features, which other crates in a build may turn on
    // (Unicode widths and line breaking), so the same diagnostic would render differently in
    // different builds. Golden files need byte-identical text: never wrap; terminals do it.
    let handler = miette::GraphicalReportHandler::new_themed(theme)
        .with_width(usize::MAX)
        .with_wrap_lines(false);
    let mut out = String::new();
    for d in diags {
        let name = d.file.clone().unwrap_or_else(|| "<input>".into());
        // Clamp spans so a stale span can never make the renderer index out of bounds.
        let mut d2 = d.clone();
        if let Some(s) = &mut d2.span {
            if s.offset > source.len() {
                s.offset = source.len();
                s.len = 0;
            }
            if s.offset + s.len > source.len() {
                s.len = source.len() - s.offset;
            }
        }
        let r = Rendered {
            diag: &d2,
            source: miette::NamedSource::new(name, source.to_string()),
        };
        out.push_str(&format!("{}\n", d.location()));
        if handler.render_report(&mut out, &r).is_err() {
            out.push_str(&format!("{d}\n"));
        }
        out.push('\n');
    }
    out
}

/// The machine-readable form of diagnostics (`--format json`).
pub fn to_json(diags: &[Diagnostic]) -> serde_json::Value {
    serde_json::Value::Array(
        diags
            .iter()
            .map(|d| {
                serde_json::json!({
                    "code": d.code,
                    "severity": d.severity,
                    "message": d.message,
                    "file": d.file,
                    "line": d.span.map(|s| s.line),
                    "column": d.span.map(|s| s.column),
                    "path": d.path,
                    "label": d.label,
                    "help": d.help,
                })
            })
            .collect(),
    )
}

/// How bad a registered code is when it is reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CodeLevel {
    /// The input is refused: the system does not compile, the import or the request fails.
    Error,
    /// Something missing or risky; the result is still usable.
    Warning,
    /// A fact or assumption worth knowing (which reading of an ambiguous input was taken).
    Info,
}

/// A registered diagnostic code. Every code that any crate reports is declared once, in that
/// crate's registry (a `codes` module written with [`diagnostic_codes!`]), and documented in
/// `docs/diagnostics.md`; a test of each crate checks both.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Code {
    /// The stable identifier users search for, e.g. `claw::missing_layer`.
    pub id: &'static str,
    /// How bad it is.
    pub level: CodeLevel,
    /// One sentence: what the code means.
    pub summary: &'static str,
    /// One sentence: what to do about it.
    pub fix: &'static str,
}

impl Code {
    /// The identifier, e.g. `claw::missing_layer`.
    pub const fn as_str(&self) -> &'static str {
        self.id
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id)
    }
}

impl AsRef<str> for Code {
    fn as_ref(&self) -> &str {
        self.id
    }
}

/// Declares a crate's registry of diagnostic codes: one `pub const NAME: Code` per entry and
/// `pub const ALL: &[Code]`, the list the documentation test walks.
///
/// ```
/// claw_language::diagnostic_codes! {
///     /// A thing that was expected is missing.
///     MISSING_THING = "claw::example::missing_thing", Error,
///         "a thing the input needs is absent",
///         "add the thing";
/// }
/// assert_eq!(MISSING_THING.id, "claw::example::missing_thing");
/// assert_eq!(ALL.len(), 1);
/// ```
#[macro_export]
macro_rules! diagnostic_codes {
    ($( $(#[$doc:meta])* $name:ident = $id:literal, $level:ident, $summary:literal, $fix:literal; )*) => {
        $(
            $(#[$doc])*
            pub const $name: $crate::diag::Code = $crate::diag::Code {
                id: $id,
                level: $crate::diag::CodeLevel::$level,
                summary: $summary,
                fix: $fix,
            };
        )*
        /// Every code of this registry, in declaration order.
        pub const ALL: &[$crate::diag::Code] = &[$($name),*];
    };
}

/// Checks a registry against the documentation: returns one line per problem (a code declared
/// twice, an id outside `claw::`, a code with no row in `doc` or whose row lacks its fix).
/// Each crate calls this from a test with its own `codes::ALL` and `docs/diagnostics.md`.
pub fn registry_problems(all: &[Code], doc: &str) -> Vec<String> {
    let mut problems = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for code in all {
        if !seen.insert(code.id) {
            problems.push(format!("{}: declared twice", code.id));
        }
        if !code.id.starts_with("claw::") {
            problems.push(format!("{}: codes start with `claw::`", code.id));
        }
        let row_start = format!("| `{}` |", code.id);
        match doc.lines().find(|l| l.starts_with(&row_start)) {
            None => problems.push(format!("{}: no row in docs/diagnostics.md", code.id)),
            Some(row) if !row.contains(code.fix) => problems.push(format!(
                "{}: the documented row does not contain the fix `{}`",
                code.id, code.fix
            )),
            Some(_) => {}
        }
    }
    problems
}

/// The `"claw::…"` string literals in the Rust sources under `dir` (a folder, walked, or one
/// file) that are not declared in `all`, with the file each was found in: codes written inline
/// instead of through a registry. Comment lines are skipped: a code in a comment reports nothing.
pub fn unregistered_literals(dir: &std::path::Path, all: &[Code]) -> Vec<String> {
    fn walk(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        if dir.is_file() {
            out.push(dir.to_path_buf());
            return;
        }
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let p = entry.path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }
    let known: std::collections::BTreeSet<&str> = all.iter().map(|c| c.id).collect();
    let mut files = Vec::new();
    walk(dir, &mut files);
    files.sort();
    let mut out = Vec::new();
    for file in files {
        let Ok(text) = std::fs::read_to_string(&file) else {
            continue;
        };
        // Comments (doc examples included) report nothing, so only code lines count.
        let code_lines: String = text
            .lines()
            .filter(|l| !l.trim_start().starts_with("//"))
            .map(|l| format!("{l}\n"))
            .collect();
        let mut rest = code_lines.as_str();
        while let Some(i) = rest.find("\"claw::") {
            let lit = &rest[i + 1..];
            let end = lit
                .find(|c: char| {
                    !(c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == ':')
                })
                .unwrap_or(lit.len());
            let id = lit[..end].trim_end_matches(':');
            // A bare `"claw::"` is the prefix itself (as in this scanner), not a code.
            if id.contains("::") && !known.contains(id) {
                out.push(format!("{}: {id}", file.display()));
            }
            rest = &lit[end..];
        }
    }
    out
}
