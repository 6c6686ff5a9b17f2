//! The findings report of one import, kept on disk while the import streams: a large Zapier
//! export has about 20 findings per Zap (~10 KB), gigabytes if held in memory. The spool keeps
//! them in the forms the report needs (one compact JSON line per finding, and the text report)
//! and writes them back out in the exact layout of the in-memory report.

use crate::findings::{Finding, Level, report_text};
use crate::output::Written;
use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Seek, Write};

/// Findings spooled to temporary files (deleted when the spool is dropped), with their counts.
pub struct FindingsSpool {
    json: Option<(BufWriter<File>, File)>,
    text: Option<(BufWriter<File>, File)>,
    /// The system of the last finding in the text report (its group header is written).
    last: Option<Option<String>>,
    count: usize,
    warnings: usize,
}

fn spool_file() -> std::io::Result<(BufWriter<File>, File)> {
    let f = tempfile::tempfile()?;
    Ok((BufWriter::new(f.try_clone()?), f))
}

impl FindingsSpool {
    /// An empty spool keeping the JSON form (for `--report` or `--format json`) and/or the text
    /// form (for `--format text`).
    pub fn new(json: bool, text: bool) -> std::io::Result<FindingsSpool> {
        Ok(FindingsSpool {
            json: if json { Some(spool_file()?) } else { None },
            text: if text { Some(spool_file()?) } else { None },
            last: None,
            count: 0,
            warnings: 0,
        })
    }

    /// How many findings were added.
    pub fn count(&self) -> usize {
        self.count
    }

    /// How many of them are warnings (what `--deny-findings` fails on).
    pub fn warnings(&self) -> usize {
        self.warnings
    }

    /// Adds findings, in report order.
    pub fn add(&mut self, findings: &[Finding]) -> std::io::Result<()> {
        self.count += findings.len();
        self.warnings += findings
            .iter()
            .filter(|f| f.level == Level::Warning)
            .count();
        if let Some((w, _)) = &mut self.json {
            for f in findings {
                serde_json::to_writer(&mut *w, f)?;
                w.write_all(b"\n")?;
            }
        }
        if let (Some((w, _)), Some(first)) = (&mut self.text, findings.first()) {
            let mut t = report_text(findings);
            // `report_text` opens with its first group's header; a group continued from the
            // previous batch already has one.
            if self.last.as_ref() == Some(&first.system) {
                let header = format!("\n{}\n", first.system.as_deref().unwrap_or("(input)"));
                if let Some(rest) = t.strip_prefix(&header) {
                    t = rest.to_string();
                }
            }
            w.write_all(t.as_bytes())?;
            self.last = findings.last().map(|f| f.system.clone());
        }
        Ok(())
    }

    /// Writes the JSON report `{"systems": [...], "findings": [...]}` exactly as
    /// `serde_json::to_string_pretty` would lay it out, reading the findings back from disk.
    pub fn write_json(&mut self, written: &[Written], w: &mut dyn Write) -> std::io::Result<()> {
        let systems: Vec<serde_json::Value> = written
            .iter()
            .map(|w| {
                serde_json::json!({
                    "path": w.path.display().to_string(),
                    "outcome": w.outcome,
                })
            })
            .collect();
        let head = serde_json::to_string_pretty(&serde_json::json!({ "systems": systems }))?;
        w.write_all(head.trim_end_matches('}').trim_end().as_bytes())?;
        w.write_all(b",\n  \"findings\": ")?;
        let Some((spool, file)) = &mut self.json else {
            return w.write_all(b"[]\n}");
        };
        spool.flush()?;
        file.rewind()?;
        if self.count == 0 {
            return w.write_all(b"[]\n}");
        }
        w.write_all(b"[\n")?;
        for (i, line) in BufReader::new(&*file).lines().enumerate() {
            let v: serde_json::Value = serde_json::from_str(&line?)?;
            if i > 0 {
                w.write_all(b",\n")?;
            }
            let pretty = serde_json::to_string_pretty(&v)?;
            for (k, l) in pretty.lines().enumerate() {
                if k > 0 {
                    w.write_all(b"\n")?;
                }
                w.write_all(b"    ")?;
                w.write_all(l.as_bytes())?;
            }
        }
        w.write_all(b"\n  ]\n}")
    }

    /// Copies the text report (findings grouped by system) to `w`; nothing if the spool keeps
    /// no text form.
    pub fn write_text(&mut self, w: &mut dyn Write) -> std::io::Result<()> {
        if let Some((spool, file)) = &mut self.text {
            spool.flush()?;
            file.rewind()?;
            std::io::copy(file, w)?;
        }
        Ok(())
    }
}
