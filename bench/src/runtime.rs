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
//! The load generator runs in the same process as the runtime, so on a 2-core machine
//! it takes CPU from it: the figures are a lower bound.

use claw_runtime::store::RunFilter;
use claw_runtime::{EventStore, LoadedSystem, Runtime, SqlStore};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

const SYSTEM: &str = r#"system: bench
version: 1.0.0
triggers:
  - event:
      source: webhook
      idempotency: id
decisions: []
execution:
  - note:
      on: event
      action: log.debug
      with:
        message: "event {{ id }}"
data:
  events:
    store: event-log
    retention: 30d
observability:
  slo:
    error_rate: <1%
  owner: bench
"#;

/// Options.
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
}

/// Runs the benchmark.
pub fn run(a: Args) -> anyhow::Result<()> {
    claw_runtime::install_crypto();
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

async fn bench_one(label: &str, url: &str, dir: &std::path::Path, a: &Args) -> anyhow::Result<()> {
    let store = Arc::new(SqlStore::connect(url).await?);
    let batched = store.raw_insert_rate(50_000, 1000).await?;
    let single = store
        .raw_insert_rate(if label == "sqlite" { 500 } else { 2000 }, 1)
        .await?;
    println!(
        "{label}: raw inserts {batched:.0} rows/s (1000 per transaction), {single:.0} rows/s (1 per transaction)"
    );

    let path = dir.join(format!("bench-{label}.claw"));
    std::fs::write(&path, SYSTEM)?;
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
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(a.clients)
        .build()?;
    let hook = format!("{base}/hooks/bench/event");
    let seq = Arc::new(AtomicU64::new(0));
    let prefix = format!("{label}-{}", std::process::id());

    // Saturation.
    let start_ms = now_ms();
    let started = Instant::now();
    let deadline = started + Duration::from_secs(a.seconds);
    let mut tasks = Vec::new();
    for _ in 0..a.clients {
        let (client, hook, seq, prefix) =
            (client.clone(), hook.clone(), seq.clone(), prefix.clone());
        tasks.push(tokio::spawn(async move {
            let mut errors = 0u64;
            while Instant::now() < deadline {
                let n = seq.fetch_add(1, Ordering::Relaxed);
                let body = format!("{{\"id\":\"{prefix}-s{n}\"}}");
                match client
                    .post(&hook)
                    .header("Content-Type", "application/json")
                    .body(body)
                    .send()
                    .await
                {
                    Ok(r) if r.status().as_u16() == 202 => {}
                    _ => errors += 1,
                }
            }
            errors
        }));
    }
    let mut errors = 0;
    for t in tasks {
        errors += t.await?;
    }
    runtime.drain_idle(Duration::from_secs(120)).await;
    let elapsed = started.elapsed().as_secs_f64();
    let runs = finished_runs(&store, start_ms).await?;
    let last_finish = runs
        .iter()
        .filter_map(|r| r.finished_at)
        .max()
        .unwrap_or(start_ms);
    let span = ((last_finish - start_ms) as f64 / 1000.0).max(elapsed.min(a.seconds as f64));
    let rate = runs.len() as f64 / span;
    println!(
        "{label}: saturation {} clients: {} runs finished in {span:.1} s = {rate:.0} runs/s ({errors} rejected); {}",
        a.clients,
        runs.len(),
        percentiles(&runs)
    );

    // Half load, paced.
    let target = (rate / 2.0).max(1.0);
    let secs = a.seconds.max(5);
    let total = (target * secs as f64) as u64;
    let start_ms = now_ms();
    let started = Instant::now();
    let sent = Arc::new(AtomicU64::new(0));
    let mut tasks = Vec::new();
    let senders = 16u64;
    for w in 0..senders {
        let (client, hook, prefix, sent) =
            (client.clone(), hook.clone(), prefix.clone(), sent.clone());
        tasks.push(tokio::spawn(async move {
            let mut i = w;
            while i < total {
                let due = started + Duration::from_secs_f64(i as f64 / target);
                tokio::time::sleep_until(due.into()).await;
                let body = format!("{{\"id\":\"{prefix}-h{i}\"}}");
                if let Ok(r) = client
                    .post(&hook)
                    .header("Content-Type", "application/json")
                    .body(body)
                    .send()
                    .await
                    && r.status().as_u16() == 202
                {
                    sent.fetch_add(1, Ordering::Relaxed);
                }
                i += senders;
            }
        }));
    }
    for t in tasks {
        t.await?;
    }
    runtime.drain_idle(Duration::from_secs(120)).await;
    let runs = finished_runs(&store, start_ms).await?;
    println!(
        "{label}: half load {target:.0} runs/s offered for {secs} s: {} accepted, {} finished; {}",
        sent.load(Ordering::Relaxed),
        runs.len(),
        percentiles(&runs)
    );
    Ok(())
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

async fn finished_runs(
    store: &SqlStore,
    from: i64,
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
        s.latency_p50_ms.unwrap_or(-1),
        s.latency_p95_ms.unwrap_or(-1),
        s.latency_p99_ms.unwrap_or(-1)
    )
}
