//! The soak benchmark's load generator (`claw-bench soak --client URL`, run as its own
//! process): open-loop at a fixed rate, latency from each request's intended send time.
//!
//! Request `k` is due at `start + k / rate`, whatever happened to the ones before it; a
//! free connection takes the next due request, waits for its time and sends it. When the
//! server stalls, requests queue behind the busy connections and their latency includes
//! that wait, so a stall shows in the percentiles as the clients would have felt it (no
//! coordinated omission), and the largest latency is reported as is, not corrected. With
//! `rate` 0 the load is closed-loop: each connection sends its next request as soon as the
//! previous one is answered (the saturation measurement).
//!
//! One JSON line per interval on stdout: `{"t", "ok", "errors", "p50_us", "p99_us",
//! "max_us"}`, and a last one with `"end": true` over the whole run.

use claw_runtime::slo::histogram::{TriggerStats, latency_bucket};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// What the load generator is asked to do.
pub struct ClientPlan {
    /// Webhook URL.
    pub url: String,
    /// Requests/s; 0: closed-loop.
    pub rate: f64,
    /// Concurrent connections.
    pub connections: usize,
    /// How long.
    pub seconds: u64,
    /// Seconds between report lines.
    pub interval: u64,
    /// Prefix of the order ids (unique across phases).
    pub prefix: String,
}

/// Latencies of one interval (µs, in the runtime's fixed-bucket histogram).
#[derive(Default)]
struct Window {
    hist: TriggerStats,
    max_us: i64,
    ok: u64,
    errors: u64,
}

impl Window {
    fn line(&self, t: f64, end: bool) -> serde_json::Value {
        serde_json::json!({
            "t": t,
            "ok": self.ok,
            "errors": self.errors,
            "p50_us": self.hist.percentile_ms(0.50),
            "p99_us": self.hist.percentile_ms(0.99),
            "max_us": self.max_us,
            "end": end,
        })
    }

    fn record(&mut self, us: i64, ok: bool) {
        if ok {
            self.ok += 1;
        } else {
            self.errors += 1;
        }
        *self.hist.latency.entry(latency_bucket(us)).or_default() += 1;
        self.max_us = self.max_us.max(us);
    }
}

/// Runs the load and prints the report lines.
pub fn client_main(p: ClientPlan) -> anyhow::Result<()> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(async move {
        let client = reqwest::Client::builder()
            .pool_max_idle_per_host(p.connections)
            .build()?;
        let next = Arc::new(AtomicU64::new(0));
        let interval = Arc::new(Mutex::new(Window::default()));
        let total = Arc::new(Mutex::new(Window::default()));
        let start = Instant::now();
        let deadline = start + Duration::from_secs(p.seconds);
        let mut workers = Vec::new();
        for _ in 0..p.connections {
            let (client, next, interval, total) = (
                client.clone(),
                next.clone(),
                interval.clone(),
                total.clone(),
            );
            let (url, prefix, rate) = (p.url.clone(), p.prefix.clone(), p.rate);
            workers.push(tokio::spawn(async move {
                loop {
                    let k = next.fetch_add(1, Ordering::Relaxed);
                    let due = if rate > 0.0 {
                        let due = start + Duration::from_secs_f64(k as f64 / rate);
                        if due >= deadline {
                            break;
                        }
                        tokio::time::sleep_until(due.into()).await;
                        due
                    } else {
                        let now = Instant::now();
                        if now >= deadline {
                            break;
                        }
                        now
                    };
                    let ok = matches!(
                        client
                            .post(&url)
                            .header("Content-Type", "application/json")
                            .body(format!("{{\"id\":\"{prefix}{k}\"}}"))
                            .send()
                            .await,
                        Ok(r) if r.status().as_u16() == 202
                    );
                    let us = due.elapsed().as_micros() as i64;
                    if let Ok(mut w) = interval.lock() {
                        w.record(us, ok);
                    }
                    if let Ok(mut w) = total.lock() {
                        w.record(us, ok);
                    }
                }
            }));
        }
        let reporter = {
            let interval = interval.clone();
            let every = Duration::from_secs(p.interval.max(1));
            tokio::spawn(async move {
                let mut tick = tokio::time::interval_at((start + every).into(), every);
                loop {
                    tick.tick().await;
                    let w = match interval.lock() {
                        Ok(mut w) => std::mem::take(&mut *w),
                        Err(_) => return,
                    };
                    println!("{}", w.line(start.elapsed().as_secs_f64(), false));
                }
            })
        };
        for w in workers {
            w.await?;
        }
        reporter.abort();
        // The tail since the last full interval.
        if let Ok(w) = interval.lock()
            && w.ok + w.errors > 0
        {
            println!("{}", w.line(start.elapsed().as_secs_f64(), false));
        }
        if let Ok(w) = total.lock() {
            println!("{}", w.line(start.elapsed().as_secs_f64(), true));
        }
        anyhow::Ok(())
    })
}
