//! `claw import zapier`: Zapier account exports (`.zip` with `Zapfile.json`), `Zapfile.json` /
//! exported-zap files, folders of them, or standard input → one `.claw` system per Zap, with
//! findings for what the Zap never said (idempotency, error handling, alert routes) and for
//! every assumption made where the export format is undocumented.
//!
//! Pipeline: [`source`] finds the JSON, [`model`] parses it leniently, [`tree`] rebuilds each
//! Zap's step tree (petgraph), [`map`] turns the tree into a system (using [`filter`] for
//! conditions, [`refs`] + [`resolve`] for references, [`schedule`] for cron expressions and
//! [`apps`] for adapter names). Nothing is written here: the caller hands the result to
//! [`crate::output::write_all`].

pub mod apps;
pub mod codes;
pub mod error;
pub mod filter;
pub mod map;
pub mod model;
pub mod refs;
pub mod resolve;
pub mod schedule;
pub mod source;
pub mod tree;

pub use error::ZapierError;

use crate::findings::{Finding, Origin};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

pub use crate::output::Imported;

/// Imports a file, a folder, or `-` (standard input): one system per Zap, in input order.
pub fn import(path: &Path) -> Result<Imported, ZapierError> {
    let (texts, skipped) = source::read(path)?;
    let mut out = import_texts(&texts)?;
    let mut pre: Vec<Finding> = skipped
        .into_iter()
        .map(|s| {
            Finding::info(
                codes::SKIPPED_FILE.id,
                format!("`{s}` is part of an account export but holds no Zap definitions the importer reads (Zapfile.json has them); skipped"),
                Origin { file: Some(s), ..Origin::default() },
            )
        })
        .collect();
    pre.append(&mut out.findings);
    out.findings = pre;
    Ok(out)
}

/// Imports bytes (a ZIP or JSON) labelled `file`.
pub fn import_bytes(file: &str, bytes: &[u8]) -> Result<Imported, ZapierError> {
    let texts = source::from_bytes(file, file, bytes)?;
    import_texts(&texts)
}

/// Imports already-read documents. All of them are parsed and checked before any is mapped,
/// so one bad file fails the whole import.
pub fn import_texts(texts: &[source::Text]) -> Result<Imported, ZapierError> {
    let mut exports = Vec::with_capacity(texts.len());
    for t in texts {
        exports.push(model::parse(&t.file, &t.provenance, &t.text)?);
    }
    let mut trees = Vec::new();
    for e in &exports {
        let mut seen: BTreeMap<&str, &str> = BTreeMap::new();
        for z in &e.zaps {
            let title = z.title.as_deref().unwrap_or("");
            if let Some(first) = seen.insert(z.id.0.as_str(), title) {
                return Err(ZapierError::DuplicateZap {
                    file: e.file.clone(),
                    zap: z.id.0.clone(),
                    first: first.into(),
                    second: title.into(),
                });
            }
        }
        for z in &e.zaps {
            trees.push(tree::build(&e.file, z)?);
        }
    }
    let mut used: BTreeSet<String> = BTreeSet::new();
    let mut generated = Vec::new();
    let mut findings = Vec::new();
    let mut k = 0;
    for e in &exports {
        for z in &e.zaps {
            let t = &trees[k];
            k += 1;
            let title = z
                .title
                .as_deref()
                .filter(|s| !s.trim().is_empty())
                .map(str::to_string)
                .unwrap_or_else(|| format!("zap {}", z.id));
            // A title with nothing left after transliteration (emoji only) is named by its id.
            let base = crate::names::slug_or(&title, &format!("zap {}", z.id)).replace('_', "-");
            let mut name = base.clone();
            if used.contains(&name) {
                name = format!(
                    "{base}-{}",
                    claw_language::units::slug(&z.id.0).trim_start_matches("s_")
                );
                let mut n = 2;
                while used.contains(&name) {
                    name = format!(
                        "{base}-{}-{n}",
                        claw_language::units::slug(&z.id.0).trim_start_matches("s_")
                    );
                    n += 1;
                }
            }
            used.insert(name.clone());
            let (g, mut f) = map::zap(e, z, t, &name)?;
            if name != base {
                let mut r = Finding::info(
                    codes::RENAMED_SYSTEM.id,
                    format!(
                        "another Zap's title also gives the name `{base}`; this one is named `{name}` (Zap id appended)"
                    ),
                    Origin {
                        file: Some(e.file.clone()),
                        zap: Some(z.id.0.clone()),
                        zap_title: z.title.clone(),
                        ..Origin::default()
                    },
                );
                r.system = Some(name.clone());
                f.insert(0, r);
            }
            generated.push(g);
            findings.extend(f);
        }
    }
    Ok(Imported {
        generated,
        findings,
    })
}
