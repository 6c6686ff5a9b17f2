//! `zapier`: import throughput on a synthetic 10,000-Zap export, next to the time
//! `serde_json` alone takes to parse the same text into a `Value`.
//!
//! The export is made in memory from the Zaps in `samples/zapier/` (every node type), cloned
//! with fresh ids and titles. Measured per run: parse (typed model) + step trees + mapping +
//! rendering every system to `.claw` text (`to_claw`); nothing is written to disk, and the
//! per-system `claw check` that `write_all` runs before writing is timed separately.

use anyhow::Context;
use claw_importers::zapier;
use serde_json::{Map, Value, json};
use std::path::Path;
use std::time::{Duration, Instant};

/// Options.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Number of Zaps in the synthetic export.
    #[arg(long, default_value_t = 10_000)]
    pub zaps: usize,
    /// Timed runs (the median is reported).
    #[arg(long, default_value_t = 5)]
    pub runs: usize,
}

/// Builds the synthetic export text.
pub fn synthetic(samples: &Path, zaps: usize) -> anyhow::Result<String> {
    let mut templates: Vec<Value> = Vec::new();
    let mut entries: Vec<_> = std::fs::read_dir(samples)
        .with_context(|| samples.display().to_string())?
        .flatten()
        .map(|e| e.path())
        .collect();
    entries.sort();
    for p in entries
        .iter()
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
    {
        let v: Value = serde_json::from_str(&std::fs::read_to_string(p)?)?;
        templates.extend(v["zaps"].as_array().cloned().unwrap_or_default());
    }
    anyhow::ensure!(
        !templates.is_empty(),
        "no sample Zaps in {}",
        samples.display()
    );
    let mut out = Vec::with_capacity(zaps);
    for k in 0..zaps {
        let t = &templates[k % templates.len()];
        // Shift every id by a per-copy offset so ids stay unique and references stay consistent.
        let shift = (k as i64 + 1) * 1000;
        let text = t.to_string();
        let mut z: Value = serde_json::from_str(&renumber(&text, t, shift))?;
        z["title"] = json!(format!("{} #{k}", t["title"].as_str().unwrap_or("zap")));
        out.push(z);
    }
    Ok(json!({"metadata": {"version": 2}, "zaps": out}).to_string())
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
    let text = synthetic(&samples, a.zaps)?;
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
    for g in &imported.generated {
        let out = claw_language::write::to_claw(&g.system);
        if !claw_language::check_text(&out, None, None).is_valid() {
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
