//! Code by Zapier steps in Python → `code.python`, with a finding for each thing the code uses
//! that the runtime's Python sandbox does not offer.
//!
//! Zapier's Python environment has `requests` and `StoreClient` and the whole standard
//! library; the sandbox (docs/runtime.md, "code.python") has a standard-library subset, no
//! network and no files. Code that imports outside the subset would fail at its first run:
//! the importer says so at import, naming the line, rather than leaving it to be found then.

use super::Mapper;
use crate::findings::Finding;
use crate::zapier::codes;

/// The modules user code may import in the sandbox: the list `runtime/src/python/bootstrap.py`
/// preloads (a test compares the two). Submodules are listed whole (`urllib.parse`, not
/// `urllib`).
pub(crate) const SANDBOX_MODULES: &[&str] = &[
    "json",
    "re",
    "math",
    "cmath",
    "decimal",
    "fractions",
    "statistics",
    "random",
    "datetime",
    "time",
    "calendar",
    "_strptime",
    "collections",
    "collections.abc",
    "itertools",
    "functools",
    "operator",
    "string",
    "textwrap",
    "unicodedata",
    "base64",
    "binascii",
    "hashlib",
    "hmac",
    "uuid",
    "copy",
    "urllib.parse",
    "html",
    "html.parser",
    "difflib",
    "typing",
    "dataclasses",
    "enum",
    "csv",
    "struct",
    "bisect",
    "heapq",
    "pprint",
    "zlib",
    "traceback",
];

/// Modules loaded by the interpreter itself, importable though not in the list above
/// (`os` and `sys` are there, but their file, process and network calls are refused).
const ALWAYS_LOADED: &[&str] = &["os", "sys", "io", "ast", "abc", "codecs", "types"];

/// What one line of Python imports: `import a, b.c as d` → `a`, `b.c`; `from x.y import z`
/// → `x.y` (and `x.y.z`, in case `z` is a submodule; either may be in the list).
fn imports(line: &str) -> Vec<String> {
    let t = line.trim();
    if let Some(rest) = t.strip_prefix("import ") {
        return rest
            .split(',')
            .filter_map(|part| part.split_whitespace().next())
            .map(str::to_string)
            .collect();
    }
    if let Some(rest) = t.strip_prefix("from ") {
        let mut words = rest.split_whitespace();
        if let (Some(module), Some("import")) = (words.next(), words.next())
            && !module.starts_with('.')
        {
            return vec![module.to_string()];
        }
    }
    Vec::new()
}

/// Whether the sandbox can give `module` to the code: a listed module, a module the
/// interpreter always loads, or the parent package of a listed one (`import urllib` works
/// once `urllib.parse` is loaded; only what was loaded with it is usable).
fn available(module: &str) -> bool {
    let top = module.split('.').next().unwrap_or(module);
    SANDBOX_MODULES.contains(&module)
        || ALWAYS_LOADED.contains(&top)
        || SANDBOX_MODULES.iter().any(|m| {
            m.strip_prefix(module)
                .is_some_and(|rest| rest.starts_with('.'))
        })
}

/// Each line (1-based) and thing the code uses that the sandbox lacks.
pub(crate) fn unavailable(code: &str) -> Vec<(usize, String)> {
    let mut found = Vec::new();
    for (n, line) in code.lines().enumerate() {
        let code_part = line.split('#').next().unwrap_or("");
        for m in imports(code_part) {
            if !available(&m) {
                found.push((n + 1, format!("module `{m}`")));
            }
        }
        if code_part.contains("StoreClient(") {
            found.push((n + 1, "`StoreClient` (Storage by Zapier)".to_string()));
        }
    }
    found
}

impl Mapper<'_> {
    /// Notes one finding per line of step `i`'s Python code that uses what the sandbox lacks.
    pub(super) fn python_findings(&mut self, i: usize, code: &str, file: &str) {
        let name = self.names[i].clone();
        for (line, what) in unavailable(code) {
            self.note(
                Finding::warning(
                    codes::PYTHON_CODE.id,
                    format!("line {line} of the Python code of step `{name}` (saved as `{file}`) uses {what}, which the runtime's Python sandbox does not offer: the step fails when it reaches it"),
                    self.origin(Some(i)),
                )
                .at_path(format!("/execution/{name}"))
                .with_help(codes::PYTHON_CODE.fix),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn imports_outside_the_subset_are_found() {
        let code = "import json, re\nfrom datetime import datetime\nimport requests  # HTTP\nfrom urllib.request import urlopen\nimport urllib.parse as up\n# import socket\nstore = StoreClient('k')\n";
        assert_eq!(
            unavailable(code),
            vec![
                (3, "module `requests`".to_string()),
                (4, "module `urllib.request`".to_string()),
                (7, "`StoreClient` (Storage by Zapier)".to_string()),
            ]
        );
        assert!(unavailable("import os, sys\nreturn {}").is_empty());
    }

    /// The list here is the list the runtime's bootstrap preloads.
    #[test]
    fn the_list_is_the_runtimes() {
        let bootstrap = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../runtime/src/python/bootstrap.py"
        ))
        .unwrap();
        let start = bootstrap.find("_ALLOWED = (").unwrap();
        let end = start + bootstrap[start..].find(").split()").unwrap();
        let listed: Vec<&str> = bootstrap[start..end]
            .split('"')
            .skip(1)
            .step_by(2)
            .flat_map(str::split_whitespace)
            .filter(|m| !m.starts_with("encodings."))
            .collect();
        assert_eq!(listed, SANDBOX_MODULES);
    }
}
