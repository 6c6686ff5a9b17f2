//! `claw-bench soak`: the real `claw run` binary under sustained load, watched over time.
//!
//! The server is `claw run` on a system whose webhook runs one `log.debug` step, with its
//! default settings (SQLite file, alerts every 30 s over a 1 h window, hourly retention), or
//! `--db postgres://…`. The load generator is another process ([`crate::soak_client`]):
//! open-loop at a fixed rate, latency from the intended send time. For each connection
//! level (`--connections 1,10`) the saturated rate is measured first (closed-loop), then
//! the level runs at half of it (or at `--rates`). Every `--interval` it prints the
//! server's RSS (`/proc`), the WAL size, p50/p99/max of the interval, and the runs
//! `running` (and of those, received more than 5 s ago). After the load it waits 5 s,
//! counts runs still `running` (stuck: nothing is in flight then), times `claw status`,
//! stops the server and judges the targets of issue 11.

use crate::soak_client::{ClientPlan, client_main};
use crate::soak_server::{Counter, Server, file_mb, rss_mb};
use anyhow::{Context, bail};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The soak's system: the runtime benchmark's, named `soak`, with one more objective (a p99
/// event latency of 20 ms).
fn system() -> String {
    crate::log_system::text("soak", "    event_latency_p99: 20ms\n")
}

/// Command-line options of `claw-bench soak` (each flag's help is on its field).
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Total soak time, split evenly over the connection levels (10m on SQLite and 5m on
    /// PostgreSQL for the figures in docs/performance.md; 60s while developing).
    #[arg(long, default_value = "10m", value_parser = duration)]
    pub duration: Duration,
    /// `sqlite` (a fresh file in the directory) or a `postgres://…` URL of an empty database.
    #[arg(long, default_value = "sqlite")]
    pub db: String,
    /// Connection levels, run one after the other on the same server and database.
    #[arg(long, value_delimiter = ',', default_value = "1,10")]
    pub connections: Vec<usize>,
    /// Offered rate of each level (requests/s, in the order of --connections); by default
    /// half of the rate measured closed-loop at that level just before.
    #[arg(long, value_delimiter = ',')]
    pub rates: Vec<f64>,
    /// Seconds of closed-loop load that measure a level's saturated rate.
    #[arg(long, default_value_t = 10)]
    pub saturation_seconds: u64,
    /// Seconds between report lines.
    #[arg(long, default_value_t = 10)]
    pub interval: u64,
    /// The `claw` binary (default: the one next to this binary; `cargo build --release -p claw`).
    #[arg(long)]
    pub claw: Option<PathBuf>,
    /// Directory for the database, the system file and the server's log (default: a
    /// temporary one, removed at the end).
    #[arg(long)]
    pub dir: Option<PathBuf>,
    /// RUST_LOG of the server (its stderr goes to server.log in the directory).
    #[arg(long, default_value = "warn")]
    pub server_log: String,
    /// Internal: act as the load generator, posting to this URL.
    #[arg(long, hide = true)]
    pub client: Option<String>,
    /// Internal (client): requests/s, 0 for closed-loop.
    #[arg(long, hide = true, default_value_t = 0.0)]
    pub client_rate: f64,
    /// Internal (client): connections.
    #[arg(long, hide = true, default_value_t = 1)]
    pub client_connections: usize,
    /// Internal (client): seconds.
    #[arg(long, hide = true, default_value_t = 10)]
    pub client_seconds: u64,
    /// Internal (client): id prefix.
    #[arg(long, hide = true, default_value = "s")]
    pub client_prefix: String,
}

fn duration(s: &str) -> Result<Duration, claw_language::units::UnitError> {
    claw_language::units::parse_duration(s)
}

/// One report line of the server's state.
struct Sample {
    t: f64,
    rss_mb: f64,
    wal_mb: Option<f64>,
    /// Requests answered in the interval (the last one of a level may be a short remainder).
    ok: u64,
    p99_ms: f64,
    max_ms: f64,
}

/// Runs the benchmark: as the load generator when `--client` is given, otherwise the whole
/// soak (server, levels, the checks after the load, the verdicts).
pub fn run(a: Args) -> anyhow::Result<()> {
    claw_runtime::install_crypto();
    if let Some(url) = &a.client {
        return client_main(ClientPlan {
            url: url.clone(),
            rate: a.client_rate,
            connections: a.client_connections.max(1),
            seconds: a.client_seconds,
            interval: a.interval,
            prefix: a.client_prefix.clone(),
        });
    }
    if a.connections.is_empty() {
        bail!("--connections needs at least one level");
    }
    let tmp;
    let dir = match &a.dir {
        Some(d) => {
            std::fs::create_dir_all(d)?;
            d.clone()
        }
        None => {
            tmp = tempfile::tempdir()?;
            tmp.path().to_path_buf()
        }
    };
    let claw = claw_binary(&a)?;
    let (url, wal) = database(&a.db, &dir);
    std::fs::write(dir.join("soak.claw"), system())?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let mut server = Server::start(&claw, &dir, &url, &a.server_log)?;
    println!(
        "soak: claw run on {} ({}), pid {}, {} CPU(s), levels {:?}, {:?} in all",
        redact(&url),
        server.base,
        server.child.id(),
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1),
        a.connections,
        a.duration
    );
    let counter = rt.block_on(Counter::open(&url))?;
    let watch = Watch {
        rt: &rt,
        counter: &counter,
        pid: server.child.id(),
        wal: wal.as_deref(),
        started: Instant::now(),
    };
    let hook = format!("{}/hooks/soak/event", server.base);
    let mut samples = Vec::new();
    let mut levels = Vec::new();
    for (i, &conns) in a.connections.iter().enumerate() {
        levels.push(soak_level(&a, &hook, i, conns, &watch, &mut samples)?);
    }
    std::thread::sleep(Duration::from_secs(5));
    let (stuck, _) = rt.block_on(counter.running())?;
    let status_s = time_status(&claw, &url)?;
    let final_rss = rss_mb(server.child.id());
    server.stop()?;
    report_server_log(&dir, final_rss, wal.is_some());
    judge(
        &samples,
        &levels,
        a.interval,
        wal.is_some(),
        stuck,
        status_s,
    );
    Ok(())
}

/// The `claw` binary to soak: `--claw`, or the one next to this binary; an error when it
/// does not exist.
fn claw_binary(a: &Args) -> anyhow::Result<PathBuf> {
    let claw = match &a.claw {
        Some(p) => p.clone(),
        None => std::env::current_exe()?
            .parent()
            .context("no directory for this binary")?
            .join("claw"),
    };
    if !claw.exists() {
        bail!(
            "{} not found: build it with `cargo build --release -p claw` or pass --claw",
            claw.display()
        );
    }
    Ok(claw)
}

/// The database URL for `--db`, and the WAL file to watch (SQLite only: a fresh `soak.db` in
/// `dir`).
fn database(db: &str, dir: &Path) -> (String, Option<PathBuf>) {
    if db == "sqlite" {
        let file = dir.join("soak.db");
        (
            format!("sqlite://{}", file.display()),
            Some(PathBuf::from(format!("{}-wal", file.display()))),
        )
    } else {
        (db.to_string(), None)
    }
}

/// The worst figures of one connection level, for the p99 target.
struct Level {
    conns: usize,
    /// Offered rate, requests/s.
    rate: f64,
    /// p99 over every request of the level (the target), milliseconds.
    whole_p99_ms: f64,
    /// Worst p99 of a full interval, milliseconds: the stricter reading, where one stall
    /// of ~50 ms in an interval is enough to miss.
    worst_interval_p99_ms: f64,
    /// Full intervals whose p99 reached 20 ms, and full intervals in all.
    intervals_over: usize,
    intervals: usize,
    /// Worst single latency of the level, milliseconds.
    max_ms: f64,
}

/// What each report line reads besides the load generator's figures: the server process,
/// its WAL file and the `running` runs in its database.
struct Watch<'a> {
    rt: &'a tokio::runtime::Runtime,
    counter: &'a Counter,
    /// The server's pid, for its RSS.
    pid: u32,
    /// The SQLite WAL file; `None` on PostgreSQL.
    wal: Option<&'a Path>,
    /// When the first level started; report lines give seconds since then.
    started: Instant,
}

impl Watch<'_> {
    /// Samples the server after one interval `w` and prints the report line.
    fn sample(&self, conns: usize, rate: f64, w: &Report) -> Sample {
        let s = Sample {
            t: self.started.elapsed().as_secs_f64(),
            rss_mb: rss_mb(self.pid),
            wal_mb: self.wal.map(file_mb),
            ok: w.ok,
            p99_ms: w.p99_ms,
            max_ms: w.max_ms,
        };
        let (running, stale) = self.rt.block_on(self.counter.running()).unwrap_or((-1, -1));
        println!(
            "t={:>5.0}s conns={conns:>2} rate={rate:>6.0}/s ok={:>7} err={:>3} p50={:>6.2}ms p99={:>6.2}ms max={:>7.2}ms rss={:>6.1}MB wal={} running={running} (older than 5 s: {stale})",
            s.t,
            w.ok,
            w.errors,
            w.p50_ms,
            w.p99_ms,
            w.max_ms,
            s.rss_mb,
            s.wal_mb
                .map(|m| format!("{m:.1}MB"))
                .unwrap_or_else(|| "-".into())
        );
        s
    }
}

/// Runs level `i` (`conns` connections) for its share of `--duration`, appending one sample
/// per interval to `samples`; returns the level's worst figures.
fn soak_level(
    a: &Args,
    hook: &str,
    i: usize,
    conns: usize,
    watch: &Watch<'_>,
    samples: &mut Vec<Sample>,
) -> anyhow::Result<Level> {
    let rate = match a.rates.get(i) {
        Some(r) => *r,
        None => half_saturated_rate(a, hook, i, conns)?,
    };
    let per_level = a.duration.as_secs() / a.connections.len() as u64;
    let first = samples.len();
    let end = load(
        hook,
        rate,
        conns,
        per_level,
        a.interval,
        &format!("l{i}-"),
        |w| samples.push(watch.sample(conns, rate, w)),
    )?;
    println!(
        "level {conns} connection(s) at {rate:.0} req/s: {} ok, {} errors, p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        end.ok, end.errors, end.p50_ms, end.p99_ms, end.max_ms
    );
    // A level's last line may cover a remainder of a second or less: not an interval.
    let full = (rate * a.interval as f64 / 2.0) as u64;
    let level: Vec<&Sample> = samples[first..].iter().filter(|s| s.ok >= full).collect();
    Ok(Level {
        conns,
        rate,
        whole_p99_ms: end.p99_ms,
        worst_interval_p99_ms: level.iter().map(|s| s.p99_ms).fold(0.0, f64::max),
        intervals_over: level.iter().filter(|s| s.p99_ms >= 20.0).count(),
        intervals: level.len(),
        max_ms: samples[first..]
            .iter()
            .map(|s| s.max_ms)
            .fold(end.max_ms, f64::max),
    })
}

/// Measures level `i`'s saturated rate closed-loop for `--saturation-seconds` and returns
/// half of it, the rate the level soaks at.
fn half_saturated_rate(a: &Args, hook: &str, i: usize, conns: usize) -> anyhow::Result<f64> {
    let sat = load(
        hook,
        0.0,
        conns,
        a.saturation_seconds,
        a.saturation_seconds,
        &format!("sat{i}-"),
        |_| {},
    )?;
    let r = sat.ok as f64 / a.saturation_seconds.max(1) as f64;
    println!(
        "level {conns} connection(s): saturated at {r:.0} req/s (closed-loop, {} s, p99 {:.2} ms, max {:.2} ms); soaking at half: {:.0} req/s",
        a.saturation_seconds,
        sat.p99_ms,
        sat.max_ms,
        r / 2.0
    );
    Ok(r / 2.0)
}

/// Runs `claw status` on the database, prints its output and returns how long it took,
/// seconds; an error when it fails.
fn time_status(claw: &Path, url: &str) -> anyhow::Result<f64> {
    let t0 = Instant::now();
    let status = Command::new(claw).args(["status", "--db", url]).output()?;
    let status_s = t0.elapsed().as_secs_f64();
    anyhow::ensure!(
        status.status.success(),
        "claw status failed: {}",
        String::from_utf8_lossy(&status.stderr)
    );
    print!(
        "claw status ({status_s:.3} s):\n{}",
        String::from_utf8_lossy(&status.stdout)
    );
    Ok(status_s)
}

/// Prints the stopped server's final RSS, the ERROR lines of its log and (SQLite) the
/// database file's size.
fn report_server_log(dir: &Path, final_rss: f64, sqlite: bool) {
    let log = std::fs::read_to_string(dir.join("server.log")).unwrap_or_default();
    let errors = log.lines().filter(|l| l.contains("ERROR")).count();
    let watchdog = log.lines().filter(|l| l.contains("watchdog")).count();
    println!(
        "server: final RSS {final_rss:.1} MB, {errors} ERROR line(s) in its log ({watchdog} from the watchdog), database {}",
        if sqlite {
            format!("{:.1} MB", file_mb(&dir.join("soak.db")))
        } else {
            "-".into()
        }
    );
}

/// Prints each target of issue 11, met or not.
fn judge(
    samples: &[Sample],
    levels: &[Level],
    interval: u64,
    sqlite: bool,
    stuck: i64,
    status_s: f64,
) {
    let verdict = |ok: bool| if ok { "met" } else { "MISSED" };
    let base = samples.iter().find(|s| s.t >= 60.0).or(samples.first());
    if let Some(b) = base {
        let later = samples.iter().filter(|s| s.t >= b.t);
        let (lo, hi) = later.fold((f64::MAX, 0.0f64), |(lo, hi), s| {
            (lo.min(s.rss_mb), hi.max(s.rss_mb))
        });
        let ok = lo >= b.rss_mb * 0.8 && hi <= b.rss_mb * 1.2;
        println!(
            "target RSS within ±20% of {:.1} MB (at t={:.0}s): {lo:.1}..{hi:.1} MB: {}",
            b.rss_mb,
            b.t,
            verdict(ok)
        );
    }
    if sqlite {
        let wal = samples.iter().filter_map(|s| s.wal_mb).fold(0.0, f64::max);
        println!(
            "target WAL under 64 MB: largest {wal:.1} MB: {}",
            verdict(wal < 64.0)
        );
    }
    for l in levels {
        println!(
            "target p99 under 20 ms at {} connection(s), {:.0} req/s, whole soak: p99 {:.2} ms (max {:.2} ms): {}",
            l.conns,
            l.rate,
            l.whole_p99_ms,
            l.max_ms,
            verdict(l.whole_p99_ms < 20.0)
        );
        println!(
            "  stricter, every {} s interval: worst p99 {:.2} ms, {} of {} intervals at 20 ms or more: {}",
            interval,
            l.worst_interval_p99_ms,
            l.intervals_over,
            l.intervals,
            verdict(l.intervals_over == 0)
        );
    }
    println!(
        "target 0 runs running 5 s after the load: {stuck}: {}",
        verdict(stuck == 0)
    );
    println!(
        "target claw status under 1 s: {status_s:.3} s: {}",
        verdict(status_s < 1.0)
    );
}

/// An interval (or a whole phase) as the load generator reported it.
#[derive(Debug, Default)]
struct Report {
    ok: u64,
    errors: u64,
    p50_ms: f64,
    p99_ms: f64,
    max_ms: f64,
}

/// Runs the load generator process and hands each interval line to `each`; returns the
/// whole-phase line.
fn load(
    hook: &str,
    rate: f64,
    conns: usize,
    seconds: u64,
    interval: u64,
    prefix: &str,
    mut each: impl FnMut(&Report),
) -> anyhow::Result<Report> {
    let mut child = Command::new(std::env::current_exe()?)
        .args(["soak", "--client", hook])
        .args(["--client-rate", &rate.to_string()])
        .args(["--client-connections", &conns.to_string()])
        .args(["--client-seconds", &seconds.to_string()])
        .args(["--interval", &interval.to_string()])
        .args([
            "--client-prefix",
            &format!("{prefix}{}-", std::process::id()),
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()?;
    let out = child
        .stdout
        .take()
        .context("no stdout from the load generator")?;
    let mut end = None;
    for line in BufReader::new(out).lines() {
        let v: serde_json::Value = serde_json::from_str(&line?)?;
        let ms = |k: &str| v[k].as_f64().unwrap_or(f64::NAN) / 1000.0;
        let r = Report {
            ok: v["ok"].as_u64().unwrap_or(0),
            errors: v["errors"].as_u64().unwrap_or(0),
            p50_ms: ms("p50_us"),
            p99_ms: ms("p99_us"),
            max_ms: ms("max_us"),
        };
        if v["end"] == true {
            end = Some(r);
        } else {
            each(&r);
        }
    }
    let st = child.wait()?;
    anyhow::ensure!(st.success(), "load generator failed: {st}");
    end.context("the load generator gave no summary")
}

fn redact(url: &str) -> String {
    claw_runtime::store::redact(url)
}
