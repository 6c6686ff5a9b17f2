//! `crontab`: `claw import crontab` throughput on a generated 100,000-line user crontab, next to
//! the floor any importer pays: reading the text and splitting it into lines.
//!
//! Measured per run, from the text in memory: line grammar only (`lines::parse`); parse + infer
//! (the whole library import: env snapshots, `%`, secrets, guards, collisions, lints on the
//! generated system); and the total with rendering to `.claw` text plus the `claw check` that
//! `write_all` runs before writing. Nothing is written to disk.

use claw_importers::crontab::{self, Options, RawInput, lines};
use std::time::{Duration, Instant};

/// Options.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Lines in the generated crontab.
    #[arg(long, default_value_t = 100_000)]
    pub lines: usize,
    /// Timed runs (the median is reported).
    #[arg(long, default_value_t = 3)]
    pub runs: usize,
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
    let (mut base, mut parse, mut infer, mut total) = (vec![], vec![], vec![], vec![]);
    let mut jobs = 0;
    let mut findings = 0;
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
        for g in &imported.generated {
            let rendered = claw_spec::write::to_claw(&g.system);
            let checked = claw_spec::check_text(&rendered, None, None);
            anyhow::ensure!(checked.is_valid(), "generated system does not check");
        }
        total.push(t_infer + t2.elapsed());
    }
    println!(
        "crontab import, {} lines ({} jobs, {} findings), median of {runs}:",
        a.lines, jobs, findings
    );
    println!(
        "  baseline: read + split lines      {}",
        rate(a.lines, median(base))
    );
    println!(
        "  line grammar only                 {}",
        rate(a.lines, median(parse))
    );
    println!(
        "  parse + infer (import)            {}",
        rate(a.lines, median(infer))
    );
    println!(
        "  total with render + check         {}",
        rate(a.lines, median(total))
    );
    Ok(())
}
