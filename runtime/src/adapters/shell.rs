//! `shell.run`: a command through `sh -c`, in its own process group.
//!
//! Params: `command`, optional `env` (object), `stdin` (string), `cwd`, `max_output`
//! (bytes per stream, default 64 KiB). On timeout the whole process group is killed, so
//! children of the shell die too. A non-zero exit is a retryable failure (the runtime
//! cannot tell a transient failure from a permanent one). `CLAW_SECRET_*` variables are
//! not inherited: a command sees a secret only when its step references it.

use super::{Adapter, AdapterError, Call, required, str_param};
use serde_json::{Value, json};
use std::process::Stdio;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const DEFAULT_MAX_OUTPUT: usize = 64 * 1024;

/// Runs shell commands.
#[derive(Debug, Clone, Copy, Default)]
pub struct ShellAdapter;

async fn read_capped<R: tokio::io::AsyncRead + Unpin>(mut r: R, cap: usize) -> (Vec<u8>, bool) {
    let mut out = Vec::new();
    let mut buf = [0u8; 8192];
    let mut truncated = false;
    loop {
        match r.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                let room = cap.saturating_sub(out.len());
                if n > room {
                    truncated = true;
                }
                out.extend_from_slice(&buf[..n.min(room)]);
                // Keep draining so the child never blocks on a full pipe.
            }
        }
    }
    (out, truncated)
}

#[async_trait::async_trait]
impl Adapter for ShellAdapter {
    async fn call(&self, call: &Call) -> Result<Value, AdapterError> {
        if call.operation != "run" {
            return Err(AdapterError::permanent(format!(
                "shell has no operation `{}`; expected run",
                call.operation
            )));
        }
        let command = required(call, "command")?;
        let cap = call
            .params
            .get("max_output")
            .and_then(Value::as_u64)
            .map_or(DEFAULT_MAX_OUTPUT, |n| n as usize);
        let mut cmd = tokio::process::Command::new("sh");
        cmd.arg("-c").arg(command);
        for (k, _) in std::env::vars_os() {
            if k.to_string_lossy().starts_with("CLAW_SECRET") {
                cmd.env_remove(&k);
            }
        }
        if let Some(Value::Object(env)) = call.params.get("env") {
            for (k, v) in env {
                let v = v.as_str().map_or_else(|| v.to_string(), str::to_string);
                cmd.env(k, v);
            }
        }
        if let Some(cwd) = str_param(&call.params, "cwd") {
            cmd.current_dir(cwd);
        }
        cmd.env("CLAW_IDEMPOTENCY_KEY", &call.idempotency_key);
        cmd.stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0)
            .kill_on_drop(true);
        let mut child = cmd.spawn().map_err(|e| {
            AdapterError::permanent(format!(
                "shell.run in step `{}`: cannot start `sh` ({e})",
                call.step
            ))
        })?;
        let pid = child.id();
        let stdin_text = str_param(&call.params, "stdin").unwrap_or("").to_string();
        let mut stdin = child.stdin.take();
        let writer = tokio::spawn(async move {
            if let Some(s) = stdin.as_mut() {
                let _ = s.write_all(stdin_text.as_bytes()).await;
            }
            drop(stdin);
        });
        let out = child.stdout.take();
        let err = child.stderr.take();
        let out_task = tokio::spawn(async move {
            match out {
                Some(o) => read_capped(o, cap).await,
                None => (Vec::new(), false),
            }
        });
        let err_task = tokio::spawn(async move {
            match err {
                Some(e) => read_capped(e, cap).await,
                None => (Vec::new(), false),
            }
        });
        let status = match tokio::time::timeout(call.timeout, child.wait()).await {
            Ok(Ok(s)) => s,
            Ok(Err(e)) => {
                return Err(AdapterError::retryable(format!(
                    "shell.run in step `{}`: waiting for the command failed ({e})",
                    call.step
                )));
            }
            Err(_) => {
                if let Some(pid) = pid {
                    // SAFETY: kill(2) with a negative pid signals the process group we created.
                    unsafe {
                        libc::kill(-(pid as i32), libc::SIGKILL);
                    }
                }
                let _ = child.wait().await;
                writer.abort();
                return Err(AdapterError::retryable(format!(
                    "shell.run in step `{}`: timed out after {:?}; the process group was killed",
                    call.step, call.timeout
                )));
            }
        };
        let _ = writer.await;
        let (stdout, t1) = out_task.await.unwrap_or_default();
        let (stderr, t2) = err_task.await.unwrap_or_default();
        let code = status.code();
        let output = json!({
            "exit_code": code,
            "stdout": String::from_utf8_lossy(&stdout),
            "stderr": String::from_utf8_lossy(&stderr),
            "truncated": t1 || t2,
        });
        if status.success() {
            Ok(output)
        } else {
            let tail: String = String::from_utf8_lossy(&stderr)
                .chars()
                .rev()
                .take(300)
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect();
            Err(AdapterError::retryable(format!(
                "shell.run in step `{}`: exit code {}: {}",
                call.step,
                code.map_or_else(
                    || "none (killed by a signal)".to_string(),
                    |c| c.to_string()
                ),
                tail.trim()
            )))
        }
    }
}
