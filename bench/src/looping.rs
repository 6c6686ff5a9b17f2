//! `claw-bench loop`: how long a run whose one `for_each` step has N items (500 by default,
//! Looping by Zapier's cap) takes from accept to `run.finished`, on a SQLite file (and on
//! PostgreSQL when CLAW_TEST_POSTGRES_URL is set). The target (issue 13) is under 1 s for 500
//! items on SQLite.
//!
//! Two step kinds: `http` posts every item to a loopback receiver in this process (each item
//! then costs two commits, its start and its end, as an effect must), and `log` writes a
//! `log.debug` line per item (pure: its events ride along with the run's next commit), the
//! engine's own cost.

use claw_runtime::{LoadedSystem, Runtime, SqlStore, StartOptions};
use serde_json::json;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};

/// Command-line options of `claw-bench loop` (each flag's help is on its field).
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Items in the loop (at most 1000, the language's `max_items` ceiling).
    #[arg(long, default_value_t = 500)]
    pub items: usize,
    /// Runs timed per step kind and database (the median and the slowest are reported).
    #[arg(long, default_value_t = 5)]
    pub runs: usize,
    /// SQLite `synchronous` level: `full` (fsync per group commit) or `normal`.
    #[arg(long, default_value = "full", value_parser = ["full", "normal"])]
    pub sqlite_synchronous: String,
}

/// The benchmarked system: one webhook, one `for_each` step of `action` over `lines`.
fn system(action: &str, items: usize) -> String {
    let with = if action == "http.post" {
        "        url: \"{{ target }}\"\n        body:\n          line: \"{{ each.item }}\"\n"
    } else {
        "        message: \"line {{ each.item }}\"\n"
    };
    format!(
        "system: looping\nversion: 1.0.0\ntriggers:\n  - order:\n      source: webhook\n      \
         idempotency: id\ndecisions: []\nexecution:\n  - each_line:\n      on: order\n      \
         for_each: lines\n      max_items: {items}\n      action: {action}\n      with:\n{with}      \
         retries: 2\n      timeout: 10s\n      dead_letter: queue://looping.dlq\ndata:\n  events:\n    \
         store: event-log\n    retention: 30d\nobservability:\n  slo:\n    error_rate: <1%\n  \
         owner: bench\n"
    )
}

/// A loopback HTTP receiver answering 200 to every request (one request per connection).
async fn receiver() -> anyhow::Result<String> {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/", l.local_addr()?);
    tokio::spawn(async move {
        while let Ok((sock, _)) = l.accept().await {
            tokio::spawn(async move {
                let mut r = BufReader::new(sock);
                let mut len = 0usize;
                let mut line = String::new();
                // Headers up to the blank line, then the body the client announced.
                while r.read_line(&mut line).await.unwrap_or(0) > 0 && line != "\r\n" {
                    let lower = line.to_ascii_lowercase();
                    if let Some(v) = lower.strip_prefix("content-length:") {
                        len = v.trim().parse().unwrap_or(0);
                    }
                    line.clear();
                }
                let mut body = vec![0; len];
                let _ = r.read_exact(&mut body).await;
                // A plain-text body: the step's output does not matter here.
                let reply = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\
                             Content-Length: 2\r\nConnection: close\r\n\r\nok";
                let _ = r.get_mut().write_all(reply.as_bytes()).await;
            });
        }
    });
    Ok(url)
}

/// Times `a.runs` runs of the loop with `action` on the database at `url`.
async fn bench_one(
    label: &str,
    url: &str,
    action: &str,
    dir: &std::path::Path,
    a: &Args,
) -> anyhow::Result<()> {
    let path = dir.join(format!("looping-{label}-{}.claw", action.replace('.', "-")));
    std::fs::write(&path, system(action, a.items))?;
    let store = Arc::new(SqlStore::connect(url).await?);
    let rt = Runtime::builder(store)
        .system(LoadedSystem::load(&path)?)
        .build()
        .await?;
    let target = receiver().await?;
    let lines: Vec<String> = (0..a.items).map(|i| format!("line-{i}")).collect();
    let mut took: Vec<Duration> = Vec::new();
    for i in 0..a.runs {
        let payload = json!({"id": format!("{label}-{action}-{i}-{}", std::process::id()), "lines": lines, "target": target});
        let t = Instant::now();
        let run = rt
            .run_to_end("looping", "order", payload, StartOptions::default())
            .await?;
        took.push(t.elapsed());
        anyhow::ensure!(
            run.status == "succeeded",
            "run {} ended {}",
            run.id,
            run.status
        );
    }
    took.sort();
    let median = took[took.len() / 2];
    let max = took[took.len() - 1];
    println!(
        "{label} {action}: {} items, median {median:.2?}, slowest {max:.2?} over {} runs ({:.0} items/s at the median){}",
        a.items,
        a.runs,
        a.items as f64 / median.as_secs_f64(),
        if label == "sqlite" && a.items == 500 {
            format!(
                "; target < 1 s: {}",
                if median < Duration::from_secs(1) {
                    "met"
                } else {
                    "NOT met"
                }
            )
        } else {
            String::new()
        }
    );
    Ok(())
}

/// Runs the benchmark.
pub fn run(a: Args) -> anyhow::Result<()> {
    claw_runtime::install_crypto();
    anyhow::ensure!((1..=1000).contains(&a.items), "--items must be 1 to 1000");
    anyhow::ensure!(a.runs > 0, "--runs must be at least 1");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        let dir = tempfile::tempdir()?;
        let mut dbs = vec![(
            "sqlite",
            format!("sqlite://{}?synchronous={}", dir.path().join("loop.db").display(), a.sqlite_synchronous),
        )];
        match std::env::var("CLAW_TEST_POSTGRES_URL") {
            Ok(u) => dbs.push(("postgres", u)),
            Err(_) => println!("postgres: skipped (set CLAW_TEST_POSTGRES_URL, e.g. through scripts/test-servers.sh)"),
        }
        for (label, url) in &dbs {
            for action in ["http.post", "log.debug"] {
                bench_one(label, url, action, dir.path(), &a).await?;
            }
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    /// Both variants are valid systems: a benchmark must not time a refusal.
    #[test]
    fn both_variants_check_clean() {
        for action in ["http.post", "log.debug"] {
            let text = super::system(action, 500);
            let checked = claw_language::check_text(&text, None, None);
            assert!(checked.is_valid(), "{text}\n{:?}", checked.diagnostics);
        }
    }
}
