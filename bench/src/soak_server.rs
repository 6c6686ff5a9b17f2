//! What the soak benchmark ([`crate::soak`]) runs and watches: the `claw run` child process,
//! a connection of its own that counts the runs still `running`, and the server's RSS and
//! file sizes.

use anyhow::{Context, bail};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

/// The `claw run` child process.
pub(crate) struct Server {
    /// The `claw run` process.
    pub(crate) child: Child,
    /// Its base URL, `http://127.0.0.1:PORT`, from its first line.
    pub(crate) base: String,
}

impl Server {
    /// Starts `claw run` on `dir/soak.claw` and the database `url` (stderr to
    /// `dir/server.log`, `RUST_LOG` = `log`) and waits for its `listening on` line.
    pub(crate) fn start(claw: &Path, dir: &Path, url: &str, log: &str) -> anyhow::Result<Server> {
        let stderr = std::fs::File::create(dir.join("server.log"))?;
        let mut child = Command::new(claw)
            .arg("run")
            .arg(dir.join("soak.claw"))
            .args(["--db", url, "--listen", "127.0.0.1:0"])
            .env("RUST_LOG", log)
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .with_context(|| format!("cannot start {}", claw.display()))?;
        let out = child.stdout.take().context("no stdout from claw run")?;
        let mut line = String::new();
        BufReader::new(out).read_line(&mut line)?;
        let Some(base) = line.trim().strip_prefix("listening on ") else {
            let _ = child.kill();
            bail!(
                "claw run did not start (see {}/server.log): {line:?}",
                dir.display()
            );
        };
        Ok(Server {
            base: base.to_string(),
            child,
        })
    }

    /// SIGTERM, then waits for the drain.
    pub(crate) fn stop(&mut self) -> anyhow::Result<()> {
        // SAFETY: kill only sends a signal to our own child's pid.
        unsafe { libc::kill(self.child.id() as libc::pid_t, libc::SIGTERM) };
        let st = self.child.wait()?;
        println!("server stopped: {st}");
        Ok(())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Counts runs in status `running` through a connection of its own (short reads only).
pub(crate) enum Counter {
    Sqlite(sqlx::SqlitePool),
    Postgres(sqlx::PgPool),
}

impl Counter {
    /// Connects to the soaked database (one connection).
    pub(crate) async fn open(url: &str) -> anyhow::Result<Counter> {
        Ok(if url.starts_with("sqlite:") {
            Counter::Sqlite(
                sqlx::sqlite::SqlitePoolOptions::new()
                    .max_connections(1)
                    .connect(url)
                    .await?,
            )
        } else {
            Counter::Postgres(
                sqlx::postgres::PgPoolOptions::new()
                    .max_connections(1)
                    .connect(url)
                    .await?,
            )
        })
    }

    /// Runs `running`, and of those, received more than 5 s ago.
    pub(crate) async fn running(&self) -> anyhow::Result<(i64, i64)> {
        let old = now_ms() - 5000;
        let sql = "SELECT COUNT(*), COALESCE(SUM(CASE WHEN received_at < $1 THEN 1 ELSE 0 END), 0) FROM runs WHERE status = 'running'";
        Ok(match self {
            Counter::Sqlite(p) => {
                sqlx::query_as::<_, (i64, i64)>(sql)
                    .bind(old)
                    .fetch_one(p)
                    .await?
            }
            Counter::Postgres(p) => {
                sqlx::query_as::<_, (i64, i64)>(sql)
                    .bind(old)
                    .fetch_one(p)
                    .await?
            }
        })
    }
}

/// The system clock, milliseconds since the Unix epoch (0 before it).
fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// Resident set size of a process, MB (Linux `/proc/PID/status`, `VmRSS`); 0 elsewhere.
pub(crate) fn rss_mb(pid: u32) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.split_whitespace().next()?.parse::<f64>().ok())
        })
        .map(|kb| kb / 1024.0)
        .unwrap_or(0.0)
}

/// Size of a file, MB (10^6 bytes); 0 when it does not exist.
pub(crate) fn file_mb(p: &Path) -> f64 {
    std::fs::metadata(p)
        .map(|m| m.len() as f64 / 1e6)
        .unwrap_or(0.0)
}
