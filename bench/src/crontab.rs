//! `crontab`: `claw import crontab` throughput on a generated 100,000-line user crontab, next to
//! the floor any importer pays: reading the text and splitting it into lines.
//!
//! Measured per run, from the text in memory: line grammar only (`lines::parse`); parse + infer
//! (the whole library import: env snapshots, `%`, secrets, guards, collisions, lints on the
//! generated system); rendering to `.claw` text; the check that `write_all` runs on that text
//! before writing (`output::check_rendered`: `claw check`'s verdict, from the system in memory
//! when the canonical writer is proven to round-trip it); and the total. Nothing is written to disk unless `--dump` asks for it.

use claw_importers::crontab::{self, Imported, Options, RawInput, lines};
use claw_importers::output::check_rendered;
use std::time::{Duration, Instant};

/// Command-line options of `claw-bench crontab` (each flag's help is on its field).
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Lines in the generated crontab.
    #[arg(long, default_value_t = 100_000)]
    pub lines: usize,
    /// Timed runs (the median is reported).
    #[arg(long, default_value_t = 3)]
    pub runs: usize,
    /// Also write the generated crontab, the rendered `.claw` files, the findings and the check
    /// diagnostics (JSON) of the last run into this folder, so that two builds can be compared
    /// byte for byte (an optimisation must not change what the import produces).
    #[arg(long, value_name = "DIR")]
    pub dump: Option<std::path::PathBuf>,
}

/// A realistic mix: comments, env lines, fixed-time jobs spread over the day, some wildcard
/// jobs, guards, `%` stdin, redirections and the odd secret.
fn generate(n: usize) -> String {
    let mut s = String::with_capacity(n * 60);
    let mut i = 0usize;
    while i < n {
        let k = i;
        let line = match k % 20 {
            0 => format!("# block {k}"),
            1 => format!("MAILTO=ops{}@example.com", k % 7),
            2 => format!("PATH=/usr/local/bin:/usr/bin:/bin:/opt/app{}/bin", k % 5),
            3 => format!(
                "*/15 * * * * test -x /opt/app/bin/poll{k} && /opt/app/bin/poll{k} >/dev/null 2>&1"
            ),
            4 => format!(
                "{} {} * * 1-5 mail -s \"report {k} $(date +\\%F)\" ops%line one%line two",
                k % 60,
                k % 24
            ),
            5 => format!(
                "{} {} 1,15 * 5 [ -f /etc/app/{k}.conf ] && /opt/app/bin/monthly --id {k}",
                k % 60,
                (k / 60) % 24
            ),
            6 => format!(
                "{} {} * * * PGPASSWORD=pw{k}secret pg_dump db{k} > /var/backups/db{k}.dump",
                (k * 7) % 60,
                (k / 7) % 24
            ),
            7 => format!("@daily flock -n /run/lock/job{k}.lock /opt/app/bin/nightly{k}"),
            8 => format!(
                "{} {} * * 0 if [ -x /usr/sbin/job{k} ]; then /usr/sbin/job{k} --weekly; fi",
                (k * 11) % 60,
                (k / 11) % 24
            ),
            _ => format!(
                "{} {} * * * /opt/app/bin/job{k} --run",
                (k * 13) % 60,
                (k / 13) % 24
            ),
        };
        s.push_str(&line);
        s.push('\n');
        i += 1;
    }
    s
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn rate(lines: usize, d: Duration) -> String {
    format!(
        "{:>12.0} lines/s ({:.3} s)",
        lines as f64 / d.as_secs_f64(),
        d.as_secs_f64()
    )
}

/// Runs the benchmark.
pub fn run(a: Args) -> anyhow::Result<()> {
    let text = generate(a.lines);
    let runs = a.runs.max(1);
    let (mut base, mut parse, mut infer) = (vec![], vec![], vec![]);
    let (mut render, mut check, mut total) = (vec![], vec![], vec![]);
    let mut jobs = 0;
    let mut findings = 0;
    let mut last = None;
    for _ in 0..runs {
        let t = Instant::now();
        let bytes = text.as_bytes().to_vec();
        let s = String::from_utf8(bytes)?;
        let n: usize = s.lines().map(str::len).sum();
        std::hint::black_box(n);
        base.push(t.elapsed());

        let t = Instant::now();
        let p = lines::parse(&text, lines::Syntax::User, "bench.crontab");
        std::hint::black_box(p.entries.len());
        parse.push(t.elapsed());

        let t = Instant::now();
        let input = RawInput {
            label: "bench.crontab".into(),
            path: None,
            bytes: text.as_bytes().to_vec(),
            executable: None,
        };
        let imported = crontab::import(vec![input], &Options::default())
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let t_infer = t.elapsed();
        infer.push(t_infer);
        jobs = imported.jobs;
        findings = imported.findings.len();

        let t2 = Instant::now();
        let rendered: Vec<(String, String)> = imported
            .generated
            .iter()
            .map(|g| {
                (
                    g.system.system.clone(),
                    claw_language::write::to_claw(&g.system),
                )
            })
            .collect();
        let t_render = t2.elapsed();
        render.push(t_render);

        // The check `output::Writer` runs before writing, with the cache of compiled
        // expressions it keeps across the systems of one import.
        let t3 = Instant::now();
        let exprs = claw_language::expr::ExprCache::default();
        for (g, (_, text)) in imported.generated.iter().zip(&rendered) {
            check_rendered(&g.system, text, &exprs).map_err(|e| anyhow::anyhow!("{e}"))?;
        }
        let t_check = t3.elapsed();
        check.push(t_check);
        total.push(t_infer + t_render + t_check);
        last = Some((imported, rendered));
    }
    if let (Some(dir), Some((imported, rendered))) = (&a.dump, &last) {
        // What `claw check` reports on each written file, lints included (not timed).
        let diags: Vec<(String, serde_json::Value)> = rendered
            .iter()
            .map(|(name, text)| {
                let checked = claw_language::check_text(text, None, None);
                (
                    name.clone(),
                    claw_language::diag::to_json(&checked.diagnostics),
                )
            })
            .collect();
        dump(dir, &text, imported, rendered, &diags)?;
    }
    println!(
        "crontab import, {} lines ({} jobs, {} findings), median of {runs}:",
        a.lines, jobs, findings
    );
    for (what, times) in [
        ("baseline: read + split lines", base),
        ("line grammar only", parse),
        ("parse + infer (import)", infer),
        ("render .claw (to_claw)", render),
        ("claw check of the rendered text", check),
        ("total: import + render + check", total),
    ] {
        println!("  {what:<34}{}", rate(a.lines, median(times)));
    }
    Ok(())
}

/// Writes what one run produced, for byte-for-byte comparison between builds.
fn dump(
    dir: &std::path::Path,
    input: &str,
    imported: &Imported,
    rendered: &[(String, String)],
    diags: &[(String, serde_json::Value)],
) -> anyhow::Result<()> {
    use claw_language::files::write_atomic;
    std::fs::create_dir_all(dir)?;
    write_atomic(&dir.join("bench.crontab"), input.as_bytes())?;
    for (name, text) in rendered {
        write_atomic(&dir.join(format!("{name}.claw")), text.as_bytes())?;
    }
    let findings = serde_json::to_string_pretty(&imported.findings)?;
    write_atomic(&dir.join("findings.json"), findings.as_bytes())?;
    let checks: serde_json::Map<String, serde_json::Value> = diags.iter().cloned().collect();
    let checks = serde_json::to_string_pretty(&checks)?;
    write_atomic(&dir.join("check.json"), checks.as_bytes())?;
    println!(
        "  wrote the last run's input and outputs to {}",
        dir.display()
    );
    Ok(())
}
