//! `zapier`: import throughput on a synthetic 10,000-Zap export, next to the time
//! `serde_json` alone takes to parse the same text into a `Value`.
//!
//! The export is made in memory from four Zaps of `samples/zapier/` (every node type), cloned
//! with fresh ids and titles. Measured per run: parse (typed model) + step trees + mapping +
//! rendering every system to `.claw` text (`to_claw`); nothing is written to disk, and the
//! per-system `claw check` that `write_all` runs before writing is timed separately.
//!
//! End to end (`--e2e 10000,50000`): the same kind of export is written to a file and a child
//! `claw import zapier FILE -o DIR --accept` imports it (read, map, check, write, sync); its
//! wall time, CPU time and peak RSS (from `wait4`) are reported per size.

use anyhow::Context;
use claw_importers::zapier;
use serde_json::{Map, Value, json};
use std::path::Path;
use std::time::{Duration, Instant};

/// Command-line options of `claw-bench zapier` (each flag's help is on its field).
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Number of Zaps in the synthetic export.
    #[arg(long, default_value_t = 10_000)]
    pub zaps: usize,
    /// Timed runs (the median is reported).
    #[arg(long, default_value_t = 5)]
    pub runs: usize,
    /// Export sizes (Zaps) imported end to end by a child `claw` process; empty to skip.
    #[arg(long, value_delimiter = ',', default_value = "10000,50000")]
    pub e2e: Vec<usize>,
    /// Skip the in-memory library measurements (only the end-to-end imports).
    #[arg(long)]
    pub only_e2e: bool,
    /// The `claw` binary (default: next to this benchmark's binary).
    #[arg(long)]
    pub claw: Option<std::path::PathBuf>,
}

/// Builds the synthetic export text.
pub fn synthetic(samples: &Path, zaps: usize) -> anyhow::Result<String> {
    let mut out = Vec::new();
    write_synthetic(samples, zaps, &mut out)?;
    Ok(String::from_utf8(out)?)
}

/// The sample files whose Zaps are cloned: the four Zaps the published figures were measured
/// with (every node type, ~5 KB each). The later samples (`code-secrets.json`,
/// `unicode-titles.json`) are test cases for names and credentials, a few nodes each; mixing them
/// in would lighten the export and make the figures incomparable with the earlier ones.
const TEMPLATE_FILES: &[&str] = &["Zapfile.json", "route-inbound-leads.json"];

/// Writes the synthetic export to `w`, one Zap at a time (a 50,000-Zap export is ~250 MB).
pub fn write_synthetic(
    samples: &Path,
    zaps: usize,
    w: &mut dyn std::io::Write,
) -> anyhow::Result<()> {
    let mut templates: Vec<Value> = Vec::new();
    for file in TEMPLATE_FILES {
        let p = samples.join(file);
        let text = std::fs::read_to_string(&p).with_context(|| p.display().to_string())?;
        let v: Value = serde_json::from_str(&text)?;
        templates.extend(v["zaps"].as_array().cloned().unwrap_or_default());
    }
    anyhow::ensure!(
        !templates.is_empty(),
        "no sample Zaps in {}",
        samples.display()
    );
    w.write_all(br#"{"metadata":{"version":2},"zaps":["#)?;
    for k in 0..zaps {
        let t = &templates[k % templates.len()];
        // Shift every id by a per-copy offset so ids stay unique and references stay consistent.
        let shift = (k as i64 + 1) * 1000;
        let text = t.to_string();
        let mut z: Value = serde_json::from_str(&renumber(&text, t, shift))?;
        z["title"] = json!(format!("{} #{k}", t["title"].as_str().unwrap_or("zap")));
        // `renumber` shifts a Zap id only where it equals its root node's id; samples whose Zap
        // id is not a node id (code-secrets.json: 7001 over nodes 1..4) would otherwise repeat
        // it in every copy. `shift + 999` is no template's node or root id (all below 999).
        if !is_node_id(t, &t["id"]) {
            z["id"] = json!(shift + 999);
        }
        if k > 0 {
            w.write_all(b",")?;
        }
        serde_json::to_writer(&mut *w, &z)?;
    }
    w.write_all(b"]}")?;
    Ok(())
}

/// Whether `id` (a number or a string) names one of the Zap's nodes.
fn is_node_id(zap: &Value, id: &Value) -> bool {
    let id = match id {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    zap["nodes"]
        .as_object()
        .is_some_and(|n| n.contains_key(&id))
}

fn renumber(text: &str, zap: &Value, shift: i64) -> String {
    let ids: Vec<i64> = zap["nodes"]
        .as_object()
        .map(Map::keys)
        .into_iter()
        .flatten()
        .filter_map(|k| k.parse().ok())
        .collect();
    let mut s = text.to_string();
    let mut sorted = ids.clone();
    sorted.sort_unstable_by(|a, b| b.to_string().len().cmp(&a.to_string().len()).then(b.cmp(a)));
    for id in sorted {
        let new = id + shift;
        for (from, to) in [
            (format!("\"{id}\":"), format!("\"{new}\":")),
            (format!("\"id\":{id},"), format!("\"id\":{new},")),
            (
                format!("\"parent_id\":{id},"),
                format!("\"parent_id\":{new},"),
            ),
            (format!("\"root_id\":{id},"), format!("\"root_id\":{new},")),
            (format!("{{{{{id}__"), format!("{{{{{new}__")),
            (format!("\"{id}__"), format!("\"{new}__")),
        ] {
            s = s.replace(&from, &to);
        }
    }
    // The Zap id (equal to the root id) and the `"id":N}` form at the end of objects.
    for id in ids {
        s = s.replace(
            &format!("\"id\":{id}}}"),
            &format!("\"id\":{}}}", id + shift),
        );
    }
    s
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

/// Runs the benchmark and prints the figures.
pub fn run(a: Args) -> anyhow::Result<()> {
    let samples = Path::new(env!("CARGO_MANIFEST_DIR")).join("../samples/zapier");
    if !a.only_e2e {
        library(&a, &samples)?;
    }
    for &n in &a.e2e {
        end_to_end(&a, &samples, n)?;
    }
    Ok(())
}

/// The in-memory measurements: parse + map + render, and the check, of one synthetic export.
fn library(a: &Args, samples: &Path) -> anyhow::Result<()> {
    let text = synthetic(samples, a.zaps)?;
    let mb = text.len() as f64 / 1e6;
    println!(
        "synthetic export: {} Zaps, {:.1} MB (from {})",
        a.zaps,
        mb,
        samples.display()
    );
    let doc = zapier::source::Text {
        file: "synthetic.json".into(),
        provenance: "synthetic.json".into(),
        text: text.clone(),
    };
    let mut serde_times = Vec::new();
    let mut import_times = Vec::new();
    let mut render_times = Vec::new();
    let mut systems = 0;
    let mut lines = 0usize;
    for _ in 0..a.runs.max(1) {
        let t = Instant::now();
        let v: Value = serde_json::from_str(&text)?;
        serde_times.push(t.elapsed());
        drop(v);
        let t = Instant::now();
        let imported =
            zapier::import_texts(std::slice::from_ref(&doc)).map_err(|e| anyhow::anyhow!("{e}"))?;
        let mapped = t.elapsed();
        let t2 = Instant::now();
        lines = imported
            .generated
            .iter()
            .map(|g| claw_language::write::to_claw(&g.system).lines().count())
            .sum();
        render_times.push(t2.elapsed());
        import_times.push(mapped + t2.elapsed());
        systems = imported.generated.len();
    }
    // The check `write_all` runs on each rendered system before writing, once.
    let imported =
        zapier::import_texts(std::slice::from_ref(&doc)).map_err(|e| anyhow::anyhow!("{e}"))?;
    let t = Instant::now();
    let mut invalid = 0;
    // As `output::Writer` does: compiled expressions are shared across the systems' checks.
    let exprs = claw_language::expr::ExprCache::default();
    for g in &imported.generated {
        let out = claw_language::write::to_claw(&g.system);
        if claw_importers::output::check_rendered(&g.system, &out, &exprs).is_err() {
            invalid += 1;
        }
    }
    let check = t.elapsed();
    let (s, i, r) = (
        median(serde_times),
        median(import_times),
        median(render_times),
    );
    println!("runs: {} (median shown)", a.runs.max(1));
    println!(
        "serde_json::from_str::<Value>      {:>8.1} ms   {:>7.1} MB/s",
        s.as_secs_f64() * 1e3,
        mb / s.as_secs_f64()
    );
    println!(
        "import (parse+tree+map+render)     {:>8.1} ms   {:>7.1} MB/s   {:>8.0} Zaps/s   (render alone {:.1} ms)",
        i.as_secs_f64() * 1e3,
        mb / i.as_secs_f64(),
        systems as f64 / i.as_secs_f64(),
        r.as_secs_f64() * 1e3
    );
    println!(
        "import / serde_json ratio          {:>8.1}x",
        i.as_secs_f64() / s.as_secs_f64()
    );
    println!(
        "claw check of every system (once)  {:>8.1} ms   ({invalid} invalid)",
        check.as_secs_f64() * 1e3
    );
    println!("{systems} systems, {lines} lines of .claw");
    anyhow::ensure!(invalid == 0, "{invalid} generated systems do not compile");
    Ok(())
}

/// Imports a `zaps`-Zap export with a child `claw` process and prints its wall time, CPU time
/// and peak RSS.
fn end_to_end(a: &Args, samples: &Path, zaps: usize) -> anyhow::Result<()> {
    let claw = match &a.claw {
        Some(p) => p.clone(),
        None => std::env::current_exe()?
            .parent()
            .context("the benchmark binary has no folder")?
            .join("claw"),
    };
    anyhow::ensure!(
        claw.exists(),
        "{} not found: `cargo build --release -p claw` first, or pass --claw",
        claw.display()
    );
    let dir = tempfile::tempdir()?;
    let input = dir.path().join("Zapfile.json");
    {
        let mut w = std::io::BufWriter::new(std::fs::File::create(&input)?);
        write_synthetic(samples, zaps, &mut w)?;
        std::io::Write::flush(&mut w)?;
    }
    let mb = std::fs::metadata(&input)?.len() as f64 / 1e6;
    let out = dir.path().join("systems");
    let t = Instant::now();
    let child = std::process::Command::new(&claw)
        .args(["import", "zapier"])
        .arg(&input)
        .arg("-o")
        .arg(&out)
        .arg("--accept")
        .stdout(std::process::Stdio::null())
        .spawn()
        .with_context(|| claw.display().to_string())?;
    let (status, usage) = wait4(child.id())?;
    let wall = t.elapsed().as_secs_f64();
    anyhow::ensure!(
        status == 0,
        "claw import zapier exited with status {status}"
    );
    let written = std::fs::read_dir(&out)?
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == "claw"))
        .count();
    anyhow::ensure!(written == zaps, "{written} systems written for {zaps} Zaps");
    let tv = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    let cpu = tv(usage.ru_utime) + tv(usage.ru_stime);
    println!(
        "end to end: {zaps} Zaps ({mb:.1} MB) -> {written} files: wall {wall:.2} s, CPU {cpu:.2} s, \
         {:.0} Zaps/s, peak RSS {:.1} MB",
        zaps as f64 / wall,
        usage.ru_maxrss as f64 / 1024.0
    );
    Ok(())
}

/// Waits for child `pid` and returns its exit status and resource usage (peak RSS included),
/// which `std::process::Child::wait` does not give.
fn wait4(pid: u32) -> anyhow::Result<(i32, libc::rusage)> {
    let mut status = 0;
    // SAFETY: `rusage` is plain old data, so all-zero is a valid value.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: valid pointers to locals; `pid` is our own unwaited child (std never reaps it
    // unless `wait` is called, which it is not).
    let r = unsafe { libc::wait4(pid as libc::pid_t, &mut status, 0, &mut usage) };
    anyhow::ensure!(r >= 0, "wait4: {}", std::io::Error::last_os_error());
    let code = if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else {
        -1
    };
    Ok((code, usage))
}
