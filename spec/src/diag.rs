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
    /// An error with a code and message.
    pub fn error(code: &str, message: impl Into<String>) -> Self {
        Self::new(code, Severity::Error, message)
    }

    /// A warning (lint) with a code and message.
    pub fn warning(code: &str, message: impl Into<String>) -> Self {
        Self::new(code, Severity::Warning, message)
    }

    fn new(code: &str, severity: Severity, message: impl Into<String>) -> Self {
        Diagnostic {
            code: code.to_string(),
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
