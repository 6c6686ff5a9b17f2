//! `claw-bench runtime`: webhooks at a system whose execution is a `log.*` step.
//!
//! For each database (SQLite file; PostgreSQL when CLAW_TEST_POSTGRES_URL is set):
//! 1. the raw insert rate of the same database (plain INSERTs, batched per transaction
//!    and one per transaction): the ceiling;
//! 2. saturation: N concurrent HTTP clients post webhooks for a while; sustained runs/s
//!    counts runs *finished* per second;
//! 3. half load: a paced sender at half the saturated rate; p50/p95/p99 of
//!    trigger-to-completion latency (finished_at - received_at from the run index).
//!
//! The load generator is a separate process (this binary re-executed with `--client`), so
//! server and client CPU are measured apart; on a 2-core machine the client still shares
//! the cores with the server, so the figures remain a lower bound.

use claw_runtime::store::RunFilter;
use claw_runtime::{EventStore, LoadedSystem, Runtime, SqlStore, UnixMillis};
use sqlx::Connection;
use sqlx::postgres::PgConnection;
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection, SqliteJournalMode, SqliteSynchronous};
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Command-line options of `claw-bench runtime` (each flag's help is on its field).
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Seconds of saturation load.
    #[arg(long, default_value_t = 10)]
    pub seconds: u64,
    /// Concurrent HTTP clients at saturation.
    #[arg(long, default_value_t = 64)]
    pub clients: usize,
    /// SQLite `synchronous` level: `full` (fsync per group commit, survives power loss)
    /// or `normal` (survives a process crash, not a power loss).
    #[arg(long, default_value = "full", value_parser = ["full", "normal"])]
    pub sqlite_synchronous: String,
    /// Internal: act as the load-generator process, posting webhooks to this URL, and
    /// print one JSON line `{"accepted": N, "errors": M, "cpu_s": S}` at the end.
    #[arg(long, hide = true)]
    pub client: Option<String>,
    /// Internal (client): offered rate in requests/s; 0 means as fast as `--clients` allow.
    #[arg(long, hide = true, default_value_t = 0.0)]
    pub client_rate: f64,
    /// Internal (client): id prefix so every order id is unique across phases and runs.
    #[arg(long, hide = true, default_value = "c")]
    pub client_prefix: String,
}

/// What a load-generator process reports.
#[derive(Debug, Default)]
struct ClientReport {
    accepted: u64,
    errors: u64,
    cpu_s: f64,
}

/// Runs the benchmark.
pub fn run(a: Args) -> anyhow::Result<()> {
    claw_runtime::install_crypto();
    if let Some(url) = &a.client {
        return client_main(url, &a);
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        println!("machine: {} CPU(s)", std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1));
        let dir = tempfile::tempdir()?;
        let mut dbs = vec![("sqlite", format!("sqlite://{}?synchronous={}", dir.path().join("bench.db").display(), a.sqlite_synchronous))];
        match std::env::var("CLAW_TEST_POSTGRES_URL") {
            Ok(u) => dbs.push(("postgres", u)),
            Err(_) => println!("postgres: skipped (set CLAW_TEST_POSTGRES_URL, e.g. through scripts/test-servers.sh)"),
        }
        for (label, url) in dbs {
            bench_one(label, &url, dir.path(), &a).await?;
        }
        Ok(())
    })
}

/// Raw insert rate of the database at `url`: `n` single-row inserts in batches of `batch`
/// into a scratch table the probe creates and drops, rows per second (the ceiling figure).
/// Its own connection, so that the store's pools are not disturbed.
async fn raw_insert_rate(url: &str, n: usize, batch: usize) -> anyhow::Result<f64> {
    // The probe is the same few statements for both databases; a macro because sqlx's
    // SQLite and PostgreSQL connections are different types.
    macro_rules! probe {
        ($conn:expr) => {{
            let conn = &mut $conn;
            sqlx::query(
                "CREATE TABLE IF NOT EXISTS bench_inserts (k TEXT NOT NULL, v TEXT NOT NULL)",
            )
            .execute(&mut *conn)
            .await?;
            let start = Instant::now();
            let mut done = 0;
            while done < n {
                let mut tx = sqlx::Connection::begin(&mut *conn).await?;
                for i in done..(done + batch).min(n) {
                    sqlx::query("INSERT INTO bench_inserts (k, v) VALUES ($1, $2)")
                        .bind(format!("k{i}"))
                        .bind("{\"payload\":true}")
                        .execute(&mut *tx)
                        .await?;
                }
                tx.commit().await?;
                done += batch;
            }
            let secs = start.elapsed().as_secs_f64();
            sqlx::query("DROP TABLE bench_inserts")
                .execute(&mut *conn)
                .await?;
            secs
        }};
    }
    let secs = if let Some(rest) = url.strip_prefix("sqlite:") {
        // The runtime's own `synchronous=` parameter is not sqlx's: apply it by hand.
        let (base, query) = rest.split_once('?').unwrap_or((rest, ""));
        let sync = query
            .split('&')
            .find_map(|p| p.strip_prefix("synchronous="))
            .unwrap_or("full");
        let opts = SqliteConnectOptions::from_str(&format!("sqlite:{base}"))?
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::from_str(sync)?);
        probe!(SqliteConnection::connect_with(&opts).await?)
    } else {
        probe!(PgConnection::connect(url).await?)
    };
    Ok(n as f64 / secs.max(1e-9))
}

async fn bench_one(label: &str, url: &str, dir: &std::path::Path, a: &Args) -> anyhow::Result<()> {
    let store = Arc::new(SqlStore::connect(url).await?);
    let batched = raw_insert_rate(url, 50_000, 1000).await?;
    let single = raw_insert_rate(url, if label == "sqlite" { 500 } else { 2000 }, 1).await?;
    println!(
        "{label}: raw inserts {batched:.0} rows/s (1000 per transaction), {single:.0} rows/s (1 per transaction)"
    );

    let path = dir.join(format!("bench-{label}.claw"));
    std::fs::write(&path, crate::log_system::text("bench", ""))?;
    let sys = LoadedSystem::load(&path)?;
    let runtime = Runtime::builder(store.clone()).system(sys).build().await?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    tokio::spawn(claw_runtime::server::serve(
        listener,
        runtime.clone(),
        1 << 20,
        std::future::pending(),
    ));
    let hook = format!("{base}/hooks/bench/event");
    let prefix = format!("{label}-{}", std::process::id());
    let server_cpu = process_cpu_s();
    let machine_busy = machine_busy_s();

    // Saturation: the load generator is another process.
    let start_ms = UnixMillis::now();
    let started = Instant::now();
    let sat = spawn_client(&hook, a.seconds, a.clients, 0.0, &format!("{prefix}-s")).await?;
    let errors = sat.errors;
    runtime.drain_idle(Duration::from_secs(120)).await?;
    let elapsed = started.elapsed().as_secs_f64();
    let runs = finished_runs(&store, start_ms).await?;
    let last_finish = runs
        .iter()
        .filter_map(|r| r.finished_at)
        .max()
        .unwrap_or(start_ms);
    let span = ((last_finish - start_ms).0 as f64 / 1000.0).max(elapsed.min(a.seconds as f64));
    let rate = runs.len() as f64 / span;
    let server_used = process_cpu_s() - server_cpu;
    let others = (machine_busy_s() - machine_busy - server_used - sat.cpu_s).max(0.0);
    println!(
        "{label}: saturation {} clients: {} runs finished in {span:.1} s = {rate:.0} runs/s ({} accepted, {errors} rejected); {}",
        a.clients,
        runs.len(),
        sat.accepted,
        percentiles(&runs)
    );
    println!(
        "{label}: CPU during saturation ({span:.1} s): server process {server_used:.1} s ({:.2} cores), load generator process {:.1} s, other processes on the machine {others:.1} s ({:.2} cores)",
        server_used / span,
        sat.cpu_s,
        others / span
    );

    // Half load, paced.
    let target = (rate / 2.0).max(1.0);
    let secs = a.seconds.max(5);
    let start_ms = UnixMillis::now();
    let half = spawn_client(&hook, secs, 64, target, &format!("{prefix}-h")).await?;
    runtime.drain_idle(Duration::from_secs(120)).await?;
    let runs = finished_runs(&store, start_ms).await?;
    println!(
        "{label}: half load {target:.0} runs/s offered for {secs} s: {} accepted, {} finished; {}",
        half.accepted,
        runs.len(),
        percentiles(&runs)
    );
    Ok(())
}

async fn finished_runs(
    store: &SqlStore,
    from: UnixMillis,
) -> anyhow::Result<Vec<claw_runtime::store::RunRecord>> {
    store.flush().await?;
    Ok(store
        .runs(&RunFilter {
            system: Some("bench".into()),
            status: Some("succeeded".into()),
            from: Some(from),
            ..Default::default()
        })
        .await?)
}

fn percentiles(runs: &[claw_runtime::store::RunRecord]) -> String {
    let s = claw_runtime::engine::summarize(runs);
    format!(
        "trigger-to-completion p50 {} ms, p95 {} ms, p99 {} ms",
        s.latency_p50_ms.map_or(-1, |m| m.0),
        s.latency_p95_ms.map_or(-1, |m| m.0),
        s.latency_p99_ms.map_or(-1, |m| m.0)
    )
}

/// Runs this binary as the load-generator process and reads its report.
async fn spawn_client(
    hook: &str,
    seconds: u64,
    clients: usize,
    rate: f64,
    prefix: &str,
) -> anyhow::Result<ClientReport> {
    let out = tokio::process::Command::new(std::env::current_exe()?)
        .args(["runtime", "--client", hook])
        .args(["--seconds", &seconds.to_string()])
        .args(["--clients", &clients.to_string()])
        .args(["--client-rate", &rate.to_string()])
        .args(["--client-prefix", prefix])
        .stderr(std::process::Stdio::inherit())
        .output()
        .await?;
    anyhow::ensure!(
        out.status.success(),
        "load generator failed: {}",
        out.status
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout)?;
    Ok(ClientReport {
        accepted: v["accepted"].as_u64().unwrap_or(0),
        errors: v["errors"].as_u64().unwrap_or(0),
        cpu_s: v["cpu_s"].as_f64().unwrap_or(0.0),
    })
}

/// The load-generator process: `a.clients` connections post unique ids for `a.seconds`,
/// closed-loop (`client_rate` 0) or paced at `client_rate` requests/s.
fn client_main(url: &str, a: &Args) -> anyhow::Result<()> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let report = rt.block_on(async {
        let client = reqwest::Client::builder()
            .pool_max_idle_per_host(a.clients)
            .build()?;
        let seq = Arc::new(AtomicU64::new(0));
        let started = Instant::now();
        let deadline = started + Duration::from_secs(a.seconds);
        let rate = a.client_rate;
        let total = (rate * a.seconds as f64) as u64;
        let mut tasks = Vec::new();
        for w in 0..a.clients as u64 {
            let (client, url, seq, prefix) = (
                client.clone(),
                url.to_string(),
                seq.clone(),
                a.client_prefix.clone(),
            );
            let senders = a.clients as u64;
            tasks.push(tokio::spawn(async move {
                let (mut ok, mut errors) = (0u64, 0u64);
                let mut i = w;
                loop {
                    let n = if rate > 0.0 {
                        if i >= total {
                            break;
                        }
                        let due = started + Duration::from_secs_f64(i as f64 / rate);
                        tokio::time::sleep_until(due.into()).await;
                        i += senders;
                        i - senders
                    } else {
                        if Instant::now() >= deadline {
                            break;
                        }
                        seq.fetch_add(1, Ordering::Relaxed)
                    };
                    match client
                        .post(&url)
                        .header("Content-Type", "application/json")
                        .body(format!("{{\"id\":\"{prefix}{n}\"}}"))
                        .send()
                        .await
                    {
                        Ok(r) if r.status().as_u16() == 202 => ok += 1,
                        _ => errors += 1,
                    }
                }
                (ok, errors)
            }));
        }
        let mut report = ClientReport::default();
        for t in tasks {
            let (ok, errors) = t.await?;
            report.accepted += ok;
            report.errors += errors;
        }
        anyhow::Ok(report)
    })?;
    println!(
        "{}",
        serde_json::json!({"accepted": report.accepted, "errors": report.errors, "cpu_s": process_cpu_s()})
    );
    Ok(())
}

/// User + system CPU seconds this process has used so far (getrusage).
fn process_cpu_s() -> f64 {
    // SAFETY: getrusage only writes into the zeroed struct we pass.
    let mut u: libc::rusage = unsafe { std::mem::zeroed() };
    if unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut u) } != 0 {
        return 0.0;
    }
    let tv = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    tv(u.ru_utime) + tv(u.ru_stime)
}

/// CPU seconds every process on the machine has used since boot (Linux `/proc/stat`,
/// user + nice + system + irq + softirq + steal), to show what else competed for the cores;
/// 0 where unavailable.
fn machine_busy_s() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/stat") else {
        return 0.0;
    };
    let Some(line) = stat.lines().next() else {
        return 0.0;
    };
    let f: Vec<f64> = line
        .split_whitespace()
        .skip(1)
        .filter_map(|x| x.parse().ok())
        .collect();
    // Fields: user nice system idle iowait irq softirq steal ...
    let busy: f64 = [0, 1, 2, 5, 6, 7].iter().filter_map(|&i| f.get(i)).sum();
    // SAFETY: sysconf has no preconditions.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64;
    if hz > 0.0 { busy / hz } else { 0.0 }
}

/// mimalloc for the whole bench binary, as in the `claw` binary, so the runtime is measured
/// with the allocator it ships with.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
