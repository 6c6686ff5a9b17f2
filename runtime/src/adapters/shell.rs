//! `shell.run`: a command through `sh -c`, in its own process group.
//!
//! Params: `command`, optional `env` (object), `stdin` (string), `cwd`, `max_output`
//! (bytes per stream, default 64 KiB). The timeout covers the command's exit and the end of
//! its output; when it passes, the whole process group is killed, so children of the shell
//! die too (also when the call is abandoned). A non-zero exit is a retryable failure (the
//! runtime cannot tell a transient failure from a permanent one); its error states the exit
//! code (or signal) and the end of stderr and stdout. `CLAW_SECRET_*` variables are not
//! inherited: a command sees a secret only when its step references it.

use super::{Adapter, AdapterError, Call, required, str_param};
use serde_json::{Value, json};
use std::os::unix::process::ExitStatusExt;
use std::process::Stdio;
use std::sync::atomic::{AtomicBool, Ordering};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const DEFAULT_MAX_OUTPUT: usize = 64 * 1024;

/// Characters of each stream quoted in the error of a failed command.
const TAIL_CHARS: usize = 300;

/// The last [`TAIL_CHARS`] characters of `s`, trimmed.
pub(crate) fn tail(s: &str) -> &str {
    let s = s.trim();
    let start = s
        .char_indices()
        .rev()
        .nth(TAIL_CHARS - 1)
        .map_or(0, |(i, _)| i);
    &s[start..]
}

/// Kills a process group (the command's `sh` is its leader) with SIGKILL when dropped,
/// unless disarmed.
pub(crate) struct GroupKill(pub(crate) Option<i32>);

impl GroupKill {
    pub(crate) fn kill(&mut self) {
        if let Some(pgid) = self.0.take() {
            // SAFETY: kill(2) with a negative pid signals the process group we created with
            // `process_group(0)`; it has no memory-safety preconditions.
            unsafe {
                libc::kill(-pgid, libc::SIGKILL);
            }
        }
    }

    pub(crate) fn disarm(&mut self) {
        self.0 = None;
    }
}

impl Drop for GroupKill {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Runs shell commands.
#[derive(Debug, Clone, Copy, Default)]
pub struct ShellAdapter;

/// Reads a stream to its end, keeping the first `cap` bytes; true if more came.
pub(crate) async fn read_capped<R: tokio::io::AsyncRead + Unpin>(
    r: Option<R>,
    cap: usize,
) -> (Vec<u8>, bool) {
    let mut out = Vec::new();
    let Some(mut r) = r else {
        return (out, false);
    };
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
        let cap = call
            .params
            .get("max_output")
            .and_then(Value::as_u64)
            .map_or(DEFAULT_MAX_OUTPUT, |n| n as usize);
        let mut child = spawn(call)?;
        // From here on, every way out of this call that is not a normal end kills the
        // group: a timeout, an error, or this future being dropped (the engine's own guard,
        // a drain).
        let mut group = GroupKill(child.id().and_then(|p| i32::try_from(p).ok()));
        let (status, output) = run_to_end(call, &mut child, &mut group, cap).await?;
        // `sh` exited and every holder of its output closed it: what is left of the group
        // (daemons with redirected output) was started on purpose and is not ours to kill.
        group.disarm();
        if status.success() {
            return Ok(json!({
                "exit_code": status.code(),
                "stdout": String::from_utf8_lossy(&output.stdout),
                "stderr": String::from_utf8_lossy(&output.stderr),
                "truncated": output.truncated,
            }));
        }
        Err(AdapterError::retryable(failure_message(
            call, status, &output, cap,
        )))
    }
}

/// What a command wrote, each stream capped at `max_output` bytes.
struct Output {
    stdout: Vec<u8>,
    stderr: Vec<u8>,
    /// Whether either stream wrote more than the cap.
    truncated: bool,
}

/// Starts `sh -c COMMAND` in a process group of its own, with the step's `env`, `cwd` and
/// idempotency key, without the runtime's `CLAW_SECRET_*` variables.
fn spawn(call: &Call) -> Result<tokio::process::Child, AdapterError> {
    let command = required(call, "command")?;
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
    let cwd = str_param(&call.params, "cwd");
    if let Some(dir) = cwd {
        cmd.current_dir(dir);
    }
    cmd.env("CLAW_IDEMPOTENCY_KEY", &call.idempotency_key);
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .kill_on_drop(true);
    cmd.spawn().map_err(|e| {
        AdapterError::permanent(match cwd {
            Some(dir) => format!(
                "shell.run in step `{}`: cannot start the command in `{dir}` ({e})",
                call.step
            ),
            None => format!("shell.run in step `{}`: cannot start `sh` ({e})", call.step),
        })
    })
}

/// Feeds the command its `stdin` and waits, within the step's timeout, for `sh` to exit and
/// its output to end; on timeout kills `group` and fails (retryable).
async fn run_to_end(
    call: &Call,
    child: &mut tokio::process::Child,
    group: &mut GroupKill,
    cap: usize,
) -> Result<(std::process::ExitStatus, Output), AdapterError> {
    let stdin_text = str_param(&call.params, "stdin").unwrap_or("").to_string();
    let mut stdin = child.stdin.take();
    // Writing stdin is not part of the command's completion: a command that never reads
    // it must not hold the step until the deadline.
    let writer = tokio::spawn(async move {
        if let Some(s) = stdin.as_mut() {
            let _ = s.write_all(stdin_text.as_bytes()).await;
        }
        drop(stdin);
    });
    let out = child.stdout.take();
    let err = child.stderr.take();
    let exited = AtomicBool::new(false);
    // The deadline covers the exit of `sh` *and* the end of its output: a background
    // child that keeps stdout open would otherwise hold the step past its timeout.
    let work = async {
        let wait = async {
            let r = child.wait().await;
            exited.store(true, Ordering::Relaxed);
            r
        };
        tokio::join!(wait, read_capped(out, cap), read_capped(err, cap))
    };
    let finished = tokio::time::timeout(call.timeout, work).await;
    writer.abort();
    match finished {
        Ok((Ok(status), (stdout, t1), (stderr, t2))) => Ok((
            status,
            Output {
                stdout,
                stderr,
                truncated: t1 || t2,
            },
        )),
        Ok((Err(e), _, _)) => Err(AdapterError::retryable(format!(
            "shell.run in step `{}`: waiting for the command failed ({e})",
            call.step
        ))),
        Err(_) => {
            group.kill();
            // Reap `sh` if it has not been reaped yet (it is dead: SIGKILL).
            let _ = child.wait().await;
            let why = if exited.load(Ordering::Relaxed) {
                " (the command's processes still held its output open)"
            } else {
                ""
            };
            Err(AdapterError::retryable(format!(
                "shell.run in step `{}`: timed out after {:?}{why}; \
                 the process group was killed",
                call.step, call.timeout
            )))
        }
    }
}

/// The error of a command that failed: its exit code (or signal), then the end of stderr and
/// of stdout.
fn failure_message(
    call: &Call,
    status: std::process::ExitStatus,
    output: &Output,
    cap: usize,
) -> String {
    let mut msg = format!("shell.run in step `{}`: ", call.step);
    match (status.code(), status.signal()) {
        (Some(c), _) => msg.push_str(&format!("exit code {c}")),
        (None, Some(sig)) => msg.push_str(&format!("killed by signal {sig}")),
        (None, None) => msg.push_str("ended without an exit code"),
    }
    // Both streams, stderr first (where commands explain failures); the last
    // characters of each, since the end of the output is usually what says why.
    let mut any = false;
    for (name, bytes) in [("stderr", &output.stderr), ("stdout", &output.stdout)] {
        let text = String::from_utf8_lossy(bytes);
        let text = tail(&text);
        if !text.is_empty() {
            msg.push_str(&format!("; {name}: {text}"));
            any = true;
        }
    }
    if !any {
        msg.push_str(" (no output)");
    }
    if output.truncated {
        msg.push_str(&format!(" (output truncated to {cap} bytes per stream)"));
    }
    msg
}
