//! `claw import zapier`: Zapier account exports (`.zip` with `Zapfile.json`), `Zapfile.json` /
//! exported-zap files, folders of them, or standard input → one `.claw` system per Zap, with
//! findings for what the Zap never said (idempotency, error handling, alert routes) and for
//! every assumption made where the export format is undocumented.
//!
//! Pipeline: [`source`] finds the JSON, [`stream`] reads its Zaps one at a time into [`model`]'s
//! lenient types (a well-formed export through `split`, which parses each Zap from memory),
//! [`tree`] rebuilds each
//! Zap's step tree (petgraph), [`map`] turns the tree into a system (using [`filter`] for
//! conditions, [`refs`] + [`resolve`] for references, [`schedule`] for cron expressions and
//! [`apps`] for adapter names). Nothing is written here: [`Input::each`] hands each system to
//! the caller as soon as it is mapped (the CLI streams them into [`crate::output::Writer`]), and
//! [`import`] collects them for callers that want them all.
//!
//! An export is read twice, one Zap at a time: first to check it whole (JSON, shape, duplicate
//! Zap ids, step trees), so one bad Zap fails the import before anything is mapped, then to map.
//! Memory holds one Zap plus what naming across Zaps needs (the names already used).

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
mod split;
pub mod stream;
pub mod tree;

pub use error::ZapierError;

use crate::findings::{Finding, Origin};
use crate::output::Generated;
use std::collections::{BTreeSet, HashMap};
use std::path::Path;

pub use crate::output::Imported;

/// Imports a file, a folder, or `-` (standard input): one system per Zap, in input order.
pub fn import(path: &Path) -> Result<Imported, ZapierError> {
    let input = open(path)?;
    let mut out = Imported {
        generated: Vec::new(),
        findings: input.findings.clone(),
    };
    input.each(&mut |g, mut f| {
        out.generated.push(g);
        out.findings.append(&mut f);
        Ok::<(), ZapierError>(())
    })?;
    Ok(out)
}

/// An export found but not read yet: see [`open`].
#[derive(Debug)]
pub struct Input {
    docs: Vec<source::Doc>,
    /// Findings about the input as a whole (skipped files); they come before every system's.
    pub findings: Vec<Finding>,
}

/// Finds the export documents in a file, a folder, or `-`, without reading them yet.
pub fn open(path: &Path) -> Result<Input, ZapierError> {
    let (docs, skipped) = source::read(path)?;
    let findings = skipped
        .into_iter()
        .map(|s| {
            Finding::info(
                codes::SKIPPED_FILE.id,
                format!("`{s}` is part of an account export but holds no Zap definitions the importer reads (Zapfile.json has them); skipped"),
                Origin { file: Some(s), ..Origin::default() },
            )
        })
        .collect();
    Ok(Input { docs, findings })
}

impl Input {
    /// Hands each system and its findings to `sink` as soon as it is mapped, in input order;
    /// an error from `sink` stops the import.
    pub fn each<E: From<ZapierError>>(
        &self,
        sink: &mut dyn FnMut(Generated, Vec<Finding>) -> Result<(), E>,
    ) -> Result<(), E> {
        run(&self.docs, sink)
    }
}

/// Imports bytes (a ZIP or JSON) labelled `file`.
pub fn import_bytes(file: &str, bytes: &[u8]) -> Result<Imported, ZapierError> {
    collect(&source::from_bytes(file, file, bytes)?)
}

/// Imports already-read documents. All of them are parsed and checked before any is mapped,
/// so one bad file fails the whole import.
pub fn import_texts(texts: &[source::Text]) -> Result<Imported, ZapierError> {
    let docs: Vec<source::Doc> = texts.iter().map(source::Doc::from_text).collect();
    collect(&docs)
}

fn collect(docs: &[source::Doc]) -> Result<Imported, ZapierError> {
    let mut out = Imported {
        generated: Vec::new(),
        findings: Vec::new(),
    };
    run(docs, &mut |g, mut f| {
        out.generated.push(g);
        out.findings.append(&mut f);
        Ok::<(), ZapierError>(())
    })?;
    Ok(out)
}

/// Checks every document (first pass), then maps them Zap by Zap into `sink` (second pass).
/// Errors are reported as a whole-file parse would: any file's JSON or shape error first, then,
/// file by file, a duplicate Zap id before a broken step tree.
fn run<E: From<ZapierError>>(
    docs: &[source::Doc],
    sink: &mut dyn FnMut(Generated, Vec<Finding>) -> Result<(), E>,
) -> Result<(), E> {
    let mut versions = Vec::with_capacity(docs.len());
    let mut problems = Vec::new();
    // The names the second pass gives, in the same order: a Sub-Zap call links to its Zap's.
    let (mut links, mut named) = (map::Links::new(), BTreeSet::new());
    for d in docs {
        let mut seen: HashMap<String, String> = HashMap::new();
        let (mut duplicate, mut broken) = (None, None);
        let version = stream::each_zap::<ZapierError>(d, &mut |z| {
            let (_, name) = system_name(&z, &mut named);
            links.entry(z.id.0.clone()).or_insert(name);
            let title = z.title.clone().unwrap_or_default();
            if duplicate.is_none()
                && let Some(first) = seen.insert(z.id.0.clone(), title.clone())
            {
                duplicate = Some(ZapierError::DuplicateZap {
                    file: d.file.clone(),
                    zap: z.id.0.clone(),
                    first,
                    second: title,
                });
            }
            if broken.is_none()
                && let Err(e) = tree::check(&d.file, &z)
            {
                broken = Some(e);
            }
            Ok(())
        })?;
        versions.push(version);
        problems.extend(duplicate.or(broken));
    }
    if let Some(e) = problems.into_iter().next() {
        return Err(e.into());
    }
    let mut used: BTreeSet<String> = BTreeSet::new();
    for (d, version) in docs.iter().zip(versions) {
        // What mapping reads of the export; its Zaps are streamed, never held.
        let export = model::Export {
            file: d.file.clone(),
            provenance: d.provenance.clone(),
            version,
            zaps: Vec::new(),
        };
        stream::each_zap::<E>(d, &mut |mut z| {
            let t = tree::take(&d.file, &mut z)?;
            let (g, f) = map_one(&export, &z, &t, &mut used, &links)?;
            sink(g, f)
        })?;
    }
    Ok(())
}

/// Names one Zap's system (see [`system_name`]) and maps it.
fn map_one(
    e: &model::Export,
    z: &model::Zap,
    t: &tree::Tree,
    used: &mut BTreeSet<String>,
    links: &map::Links,
) -> Result<(Generated, Vec<Finding>), ZapierError> {
    let (base, name) = system_name(z, used);
    let (g, mut f) = map::zap(e, z, t, &name, links)?;
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
    Ok((g, f))
}

/// Gives one Zap's system name: the slug of its title, unique across the import (the Zap id
/// appended to a name already `used`, which it is added to). Returns the slug and the name.
fn system_name(z: &model::Zap, used: &mut BTreeSet<String>) -> (String, String) {
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
    (base, name)
}
