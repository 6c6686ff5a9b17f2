//! Findings: what an import noticed, located in the legacy input.

use claw_language::Diagnostic;
use serde::Serialize;

/// How much a finding matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// Something the legacy setup lacks or that did not port (the imported system still compiles).
    Warning,
    /// A fact or assumption worth knowing (e.g. which reading of an ambiguous field was taken).
    Info,
}

/// Where in the legacy input a finding comes from. Fields that do not apply stay `None`.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Origin {
    /// Input file.
    pub file: Option<String>,
    /// 1-based line (crontab, JSON).
    pub line: Option<usize>,
    /// 1-based column.
    pub column: Option<usize>,
    /// Zap id.
    pub zap: Option<String>,
    /// Zap title.
    pub zap_title: Option<String>,
    /// Step (node) id.
    pub step: Option<String>,
    /// Sheet cell such as `Sheet1!C7`.
    pub cell: Option<String>,
}

impl Origin {
    /// `file:line:col`, `Zap 12 "Title" step 5`, `Sheet1!C7`, as known.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if let Some(f) = &self.file {
            let mut s = f.clone();
            if let Some(l) = self.line {
                s.push_str(&format!(":{l}"));
                if let Some(c) = self.column {
                    s.push_str(&format!(":{c}"));
                }
            }
            parts.push(s);
        }
        if let Some(z) = &self.zap {
            match &self.zap_title {
                Some(t) => parts.push(format!("Zap {z} \"{t}\"")),
                None => parts.push(format!("Zap {z}")),
            }
        }
        if let Some(s) = &self.step {
            parts.push(format!("step {s}"));
        }
        if let Some(c) = &self.cell {
            parts.push(c.clone());
        }
        parts.join(" ")
    }
}

/// One finding.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    /// Stable code: a language lint code (`claw::lint::no_retries`) or an importer code
    /// (`claw::import::unported_step`).
    pub code: String,
    /// Warning or info.
    pub level: Level,
    /// What was found.
    pub message: String,
    /// System it concerns, if any.
    pub system: Option<String>,
    /// Where in the legacy input.
    pub origin: Origin,
    /// Model path in the generated system (`/execution/post_slack`).
    pub path: Option<String>,
    /// What to do about it.
    pub help: Option<String>,
}

impl Finding {
    /// A warning.
    pub fn warning(code: &str, message: impl Into<String>, origin: Origin) -> Self {
        Finding {
            code: code.into(),
            level: Level::Warning,
            message: message.into(),
            system: None,
            origin,
            path: None,
            help: None,
        }
    }

    /// An informational finding (assumption made, default applied).
    pub fn info(code: &str, message: impl Into<String>, origin: Origin) -> Self {
        Finding {
            level: Level::Info,
            ..Finding::warning(code, message, origin)
        }
    }

    /// Attaches help.
    pub fn with_help(mut self, h: impl Into<String>) -> Self {
        self.help = Some(h.into());
        self
    }

    /// Attaches a model path.
    pub fn at_path(mut self, p: impl Into<String>) -> Self {
        self.path = Some(p.into());
        self
    }

    /// Turns the language's lints on a generated system into findings, located at `origin`.
    /// The diagnostics are consumed: their texts move into the findings (a large generated
    /// system has hundreds of thousands).
    pub fn from_lints(system: &str, diags: Vec<Diagnostic>, origin: &Origin) -> Vec<Finding> {
        diags
            .into_iter()
            .filter(|d| !d.is_error())
            .map(|d| Finding {
                code: d.code,
                level: Level::Warning,
                message: d.message,
                system: Some(system.to_string()),
                origin: origin.clone(),
                path: d.path,
                help: d.help,
            })
            .collect()
    }
}

/// Renders findings as a readable report, grouped by system, in a stable order.
pub fn report_text(findings: &[Finding]) -> String {
    use std::fmt::Write;
    // `write!` into the one buffer: a large import reports hundreds of thousands of findings.
    // Writing to a `String` cannot fail.
    let mut out = String::new();
    let mut current: Option<&Option<String>> = None;
    for f in findings {
        if current != Some(&f.system) {
            current = Some(&f.system);
            let _ = write!(out, "\n{}\n", f.system.as_deref().unwrap_or("(input)"));
        }
        let lvl = match f.level {
            Level::Warning => "warning",
            Level::Info => "info",
        };
        let _ = writeln!(out, "  {lvl}[{}]: {}", f.code, f.message);
        let at = f.origin.describe();
        if !at.is_empty() {
            let _ = writeln!(out, "    at {at}");
        }
        if let Some(p) = &f.path {
            let _ = writeln!(out, "    in {p}");
        }
        if let Some(h) = &f.help {
            let _ = writeln!(out, "    help: {h}");
        }
    }
    out
}
