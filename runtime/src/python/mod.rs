//! The Python sandbox for `code.python` steps (Code by Zapier in Python): a locked-down
//! `python3` subprocess per call.
//!
//! Why a subprocess and not an embedded interpreter: CPython cannot be bounded in memory or
//! time from inside the host process, and one interpreter shares its state between calls;
//! a process gets kernel limits (rlimits), a network namespace, another user, and can be
//! killed. The child is confined before exec ([`confine`]), starts with an empty environment
//! in an empty directory, and runs `bootstrap.py`, which installs a PEP 578 audit hook
//! before the user code runs. docs/runtime.md ("code.python") states the limits and the
//! standard-library subset.

mod confine;

use crate::adapters::shell::{GroupKill, read_capped, tail};
use serde_json::{Value, json};
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;
use tokio::io::AsyncWriteExt;

/// The bootstrap run as `python3 -c`: reads the request, imports the allowed modules,
/// installs the audit hook, runs the code and writes one JSON answer.
const BOOTSTRAP: &str = include_str!("bootstrap.py");

/// Bytes of stderr kept (the interpreter's own complaints when it dies before answering).
const MAX_STDERR: usize = 16 * 1024;

/// Resource limits of one `code.python` call.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Address space in bytes (the interpreter and its preloaded modules take a few tens of
    /// MiB of it).
    pub memory: u64,
    /// Wall-clock budget; CPU time is limited to it too (rounded up, plus a second).
    pub time: Duration,
    /// Bytes of the answer (output and captured prints) read before it is refused.
    pub max_output: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            memory: 256 * 1024 * 1024,
            // Zapier stops a paid plan's Code step after 10 s (1 s on the free plan).
            time: Duration::from_secs(10),
            max_output: 4 * 1024 * 1024,
        }
    }
}

/// Why a `code.python` call failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PythonError {
    /// No interpreter where the runtime looks for one.
    #[error(
        "{code}: no Python interpreter: looked for {looked}; install python3 (Debian: \
         `apt-get install python3`) or set CLAW_PYTHON to its path",
        code = crate::codes::PYTHON_MISSING.id
    )]
    Missing {
        /// The places tried, in order.
        looked: String,
    },
    /// The interpreter could not be started (e.g. no processes left, or unreadable by
    /// `nobody`).
    #[error("cannot start {path}: {message}")]
    Start {
        /// The interpreter.
        path: String,
        /// The system's reason.
        message: String,
    },
    /// The code raised, or does not compile; names the exception and the line.
    #[error("{0}")]
    Script(String),
    /// The code tried something the sandbox refuses (a file, a socket, a process, an import).
    #[error("{0}")]
    Refused(String),
    /// The code ran past its time budget; its process group was killed.
    #[error("the code exceeded its time limit of {0:?} and was killed")]
    Timeout(Duration),
    /// The code ran out of its address space.
    #[error("the code exceeded its memory limit of {0} bytes (MemoryError)")]
    OutOfMemory(u64),
    /// The result is not a dict or list, not JSON, or too large.
    #[error("{0}")]
    Output(String),
    /// The interpreter ended without an answer (killed by a limit, or crashed).
    #[error("the interpreter ended without an answer ({0})")]
    Crashed(String),
}

/// What a successful call gave.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    /// What the code returned, or its `output` variable (`{}` when neither was set).
    pub output: Value,
    /// What the code printed (the last 64 KiB).
    pub logs: String,
    /// Whether the child had a network namespace of its own (the audit hook refuses
    /// sockets either way).
    pub isolated: bool,
}

/// The interpreter to run: `CLAW_PYTHON` if set, else `/usr/bin/python3`, else `python3` on
/// `PATH`. The system interpreter comes before `PATH` because a `PATH` entry may be a shim
/// (pyenv) that needs the environment the sandbox takes away.
pub fn interpreter() -> Result<PathBuf, PythonError> {
    find_interpreter(
        std::env::var_os("CLAW_PYTHON"),
        Path::new("/usr/bin/python3"),
        std::env::var_os("PATH"),
    )
}

/// [`interpreter`] with its inputs given: the `CLAW_PYTHON` value, the system interpreter's
/// path and the `PATH` value.
pub fn find_interpreter(
    claw_python: Option<std::ffi::OsString>,
    system: &Path,
    path: Option<std::ffi::OsString>,
) -> Result<PathBuf, PythonError> {
    let mut looked = Vec::new();
    if let Some(p) = claw_python {
        let p = PathBuf::from(p);
        if p.is_file() {
            return Ok(p);
        }
        // Named on purpose: falling back to another interpreter would hide the mistake.
        looked.push(format!("CLAW_PYTHON={}", p.display()));
    } else {
        if system.is_file() {
            return Ok(system.to_path_buf());
        }
        looked.push(system.display().to_string());
        if let Some(path) = path {
            for dir in std::env::split_paths(&path) {
                let p = dir.join("python3");
                if p.is_file() {
                    return Ok(p);
                }
            }
        }
        looked.push("python3 on PATH".into());
    }
    Err(PythonError::Missing {
        looked: looked.join(", "),
    })
}

/// An empty directory made for one call and removed after it (the child's working
/// directory, so a relative path names nothing).
struct Scratch(PathBuf);

impl Scratch {
    fn new() -> std::io::Result<Scratch> {
        let p = std::env::temp_dir().join(format!("claw-python-{}", uuid::Uuid::now_v7()));
        std::fs::create_dir(&p)?;
        Ok(Scratch(p))
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Runs `code` on `input_data` under `limits` with `python` (see [`interpreter`]). `seed`
/// seeds `random`, so an attempt repeated for the same step of the same run draws the same
/// numbers.
pub async fn run(
    python: &Path,
    code: &str,
    input_data: &Value,
    seed: &str,
    limits: Limits,
) -> Result<Outcome, PythonError> {
    let start = |e: std::io::Error| PythonError::Start {
        path: python.display().to_string(),
        message: e.to_string(),
    };
    let scratch = Scratch::new().map_err(start)?;
    let conf = confine::Confinement {
        memory: limits.memory,
        cpu_secs: limits.time.as_secs() + 1,
        as_root: rustix::process::geteuid().is_root(),
    };
    let mut cmd = tokio::process::Command::new(python);
    // `-s -S`: no site-packages; `-B`: no .pyc writes. Not `-I`: it would ignore
    // PYTHONHASHSEED, and a fixed hash seed keeps set iteration order the same every run.
    cmd.args(["-s", "-S", "-B", "-c", BOOTSTRAP])
        .env_clear()
        .env("PYTHONHASHSEED", "0")
        .env("PYTHONUTF8", "1")
        .current_dir(&scratch.0)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .kill_on_drop(true);
    // SAFETY: `confine::apply` only makes raw system calls (no allocation, no locks), which
    // is what may run in the child between fork and exec.
    unsafe {
        cmd.pre_exec(move || confine::apply(&conf));
    }
    let mut child = cmd.spawn().map_err(start)?;
    // Every way out that is not a normal end kills the group (timeout, this future dropped).
    let mut group = GroupKill(child.id().and_then(|p| i32::try_from(p).ok()));
    let request = json!({"code": code, "input_data": input_data, "seed": seed}).to_string();
    let mut stdin = child.stdin.take();
    let writer = tokio::spawn(async move {
        if let Some(s) = stdin.as_mut() {
            let _ = s.write_all(request.as_bytes()).await;
        }
    });
    let (out, err) = (child.stdout.take(), child.stderr.take());
    let work = async {
        tokio::join!(
            child.wait(),
            read_capped(out, limits.max_output),
            read_capped(err, MAX_STDERR)
        )
    };
    let finished = tokio::time::timeout(limits.time, work).await;
    writer.abort();
    let (status, (stdout, truncated), (stderr, _)) = match finished {
        Ok(r) => r,
        Err(_) => {
            group.kill();
            // Reap the child: it is dead (SIGKILL), and an unreaped one stays a zombie.
            let _ = child.wait().await;
            return Err(PythonError::Timeout(limits.time));
        }
    };
    group.disarm();
    let status = status.map_err(start)?;
    if truncated {
        return Err(PythonError::Output(format!(
            "the answer is larger than {} bytes",
            limits.max_output
        )));
    }
    let answer = String::from_utf8_lossy(&stdout);
    match answer.lines().rev().find(|l| !l.trim().is_empty()) {
        Some(line) => read_answer(line, &limits),
        None => Err(PythonError::Crashed(ended(status, &stderr))),
    }
}

/// How the interpreter ended, for an answerless exit: a signal (SIGXCPU/SIGKILL: the CPU
/// limit) or an exit code, and the end of its stderr.
fn ended(status: std::process::ExitStatus, stderr: &[u8]) -> String {
    let how = match (status.code(), status.signal()) {
        (Some(c), _) => format!("exit code {c}"),
        (None, Some(sig)) if sig == libc::SIGXCPU || sig == libc::SIGKILL => {
            format!("killed by signal {sig}: the CPU time limit")
        }
        (None, Some(sig)) => format!("killed by signal {sig}"),
        (None, None) => "no exit code".into(),
    };
    let text = String::from_utf8_lossy(stderr);
    let text = tail(&text);
    if text.is_empty() {
        how
    } else {
        format!("{how}; stderr: {text}")
    }
}

/// The bootstrap's answer line turned into an outcome or an error.
fn read_answer(line: &str, limits: &Limits) -> Result<Outcome, PythonError> {
    let v: Value = serde_json::from_str(line).map_err(|e| {
        PythonError::Crashed(format!("its answer is not JSON: {e}: {}", tail(line)))
    })?;
    let logs = v["logs"].as_str().unwrap_or_default().to_string();
    let isolated = v["isolated"].as_bool().unwrap_or(false);
    if v["ok"].as_bool() == Some(true) {
        return Ok(Outcome {
            output: v.get("output").cloned().unwrap_or(Value::Null),
            logs,
            isolated,
        });
    }
    let mut message = v["message"].as_str().unwrap_or("unknown error").to_string();
    let printed = tail(&logs);
    if !printed.is_empty() {
        message.push_str(&format!("; printed: {printed}"));
    }
    Err(match v["kind"].as_str() {
        Some("memory") => PythonError::OutOfMemory(limits.memory),
        Some("refused") => PythonError::Refused(message),
        Some("output") => PythonError::Output(message),
        _ => PythonError::Script(message),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_interpreter_is_a_coded_error() {
        let e = find_interpreter(
            Some("/nonexistent/python3".into()),
            Path::new("/usr/bin/python3"),
            None,
        )
        .unwrap_err();
        assert_eq!(
            e,
            PythonError::Missing {
                looked: "CLAW_PYTHON=/nonexistent/python3".into()
            }
        );
        assert!(
            e.to_string().starts_with("claw::runtime::python_missing: "),
            "{e}"
        );
        let e = find_interpreter(
            None,
            Path::new("/nonexistent/python3"),
            Some("/nonexistent".into()),
        )
        .unwrap_err();
        assert!(
            e.to_string()
                .contains("looked for /nonexistent/python3, python3 on PATH"),
            "{e}"
        );
    }

    #[test]
    fn answers_are_read() {
        let l = Limits::default();
        let ok = read_answer(
            r#"{"ok": true, "isolated": true, "output": {"a": 1}, "logs": "hi\n"}"#,
            &l,
        )
        .unwrap();
        assert_eq!(ok.output, json!({"a": 1}));
        assert_eq!(ok.logs, "hi\n");
        assert!(ok.isolated);
        let e = read_answer(
            r#"{"ok": false, "kind": "script", "message": "KeyError: 'x' (line 2)", "logs": "before\n"}"#,
            &l,
        )
        .unwrap_err();
        assert_eq!(
            e,
            PythonError::Script("KeyError: 'x' (line 2); printed: before".into())
        );
        assert!(matches!(
            read_answer(r#"{"ok": false, "kind": "memory"}"#, &l),
            Err(PythonError::OutOfMemory(_))
        ));
        assert!(matches!(
            read_answer("Traceback", &l),
            Err(PythonError::Crashed(_))
        ));
    }
}
