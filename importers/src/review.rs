//! Golden-file review: list pending `.claw.new` files, diff them against the accepted ones,
//! accept or reject them. The interactive loop lives in the cli; this is the mechanism.

use crate::output::{PENDING_SUFFIX, pending_path};
use std::path::{Path, PathBuf};

/// One pending file.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Pending {
    /// The accepted path (`x.claw`), which may not exist yet.
    pub accepted: PathBuf,
    /// The pending path (`x.claw.new`).
    pub pending: PathBuf,
}

/// Finds pending files under `dir` (recursively), sorted.
pub fn pending(dir: &Path) -> std::io::Result<Vec<Pending>> {
    let mut out = Vec::new();
    walk(dir, &mut out)?;
    out.sort_by(|a, b| a.pending.cmp(&b.pending));
    Ok(out)
}

fn walk(dir: &Path, out: &mut Vec<Pending>) -> std::io::Result<()> {
    for e in std::fs::read_dir(dir)? {
        let e = e?;
        let p = e.path();
        if e.file_type()?.is_dir() {
            walk(&p, out)?;
        } else if let Some(name) = p.file_name().and_then(|n| n.to_str())
            && let Some(base) = name.strip_suffix(PENDING_SUFFIX)
            && base.ends_with(".claw")
        {
            out.push(Pending {
                accepted: p.with_file_name(base),
                pending: p.clone(),
            });
        }
    }
    Ok(())
}

/// A unified diff from the accepted file (empty if none) to the pending one.
pub fn diff(p: &Pending) -> std::io::Result<String> {
    let old = std::fs::read_to_string(&p.accepted).unwrap_or_default();
    let new = std::fs::read_to_string(&p.pending)?;
    Ok(unified(&old, &new, &p.accepted.display().to_string()))
}

/// A unified diff between two texts.
pub fn unified(old: &str, new: &str, name: &str) -> String {
    similar::TextDiff::from_lines(old, new)
        .unified_diff()
        .context_radius(3)
        .header(&format!("{name} (accepted)"), &format!("{name} (new)"))
        .to_string()
}

/// Accepts: the pending file replaces the accepted one (a rename, so never half-written).
pub fn accept(p: &Pending) -> std::io::Result<()> {
    std::fs::rename(&p.pending, &p.accepted)
}

/// Rejects: the pending file is deleted; the accepted one stays.
pub fn reject(p: &Pending) -> std::io::Result<()> {
    std::fs::remove_file(&p.pending)
}

/// Whether a path has a pending version.
pub fn has_pending(accepted: &Path) -> bool {
    pending_path(accepted).exists()
}
