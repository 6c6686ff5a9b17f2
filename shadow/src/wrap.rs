//! `claw shadow wrap`: run a legacy command unchanged and measure it.
//!
//! The command gets our stdin as is; its stdout and stderr go through pipes and
//! are copied byte for byte to ours while being hashed (the only change the
//! command can observe is that its outputs are pipes, as they already are under
//! cron). Catchable termination signals sent to the wrapper are forwarded to the
//! command; when the command dies of a signal, the wrapper dies of the same one.

use sha2::{Digest, Sha256};
use std::io::{Read, Write};
use std::process::{Command, Stdio};

/// How the command ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ended {
    /// Exited with a code.
    Code(i32),
    /// Killed by a signal.
    Signal(i32),
}

/// Measurements of one run.
#[derive(Debug, Clone)]
pub struct Measured {
    /// How it ended.
    pub ended: Ended,
    /// SHA-256 of stdout.
    pub stdout_sha256: String,
    /// SHA-256 of stderr.
    pub stderr_sha256: String,
    /// Bytes of stdout.
    pub stdout_bytes: u64,
    /// Bytes of stderr.
    pub stderr_bytes: u64,
}

const FORWARDED: [i32; 6] = [
    libc::SIGTERM,
    libc::SIGINT,
    libc::SIGHUP,
    libc::SIGQUIT,
    libc::SIGUSR1,
    libc::SIGUSR2,
];

fn tee(mut from: impl Read, mut to: impl Write) -> (String, u64) {
    let mut h = Sha256::new();
    let mut n = 0u64;
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        match from.read(&mut buf) {
            Ok(0) => break,
            Ok(k) => {
                h.update(&buf[..k]);
                n += k as u64;
                // Keep draining even if our own output is closed, so the command never blocks on a full pipe.
                if to.write_all(&buf[..k]).and_then(|_| to.flush()).is_err() {
                    continue;
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => break,
        }
    }
    (hex::encode(h.finalize()), n)
}

/// Runs `argv` and passes everything through. Errors only when it cannot be started.
pub fn run(argv: &[String]) -> std::io::Result<Measured> {
    let (prog, args) = argv
        .split_first()
        .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::InvalidInput, "no command given"))?;
    let mut signals = signal_hook::iterator::Signals::new(FORWARDED)?;
    let handle = signals.handle();
    let mut child = Command::new(prog)
        .args(args)
        .stdin(Stdio::inherit())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    let pid = child.id() as libc::pid_t;
    let fwd = std::thread::spawn(move || {
        for sig in signals.forever() {
            // SAFETY: kill(2) with a pid we spawned and a valid signal number has no memory effects.
            unsafe {
                libc::kill(pid, sig);
            }
        }
    });
    let out = child
        .stdout
        .take()
        .map(|o| std::thread::spawn(move || tee(o, std::io::stdout().lock())));
    let err = child
        .stderr
        .take()
        .map(|e| std::thread::spawn(move || tee(e, std::io::stderr().lock())));
    let status = child.wait()?;
    let (stdout_sha256, stdout_bytes) = out.and_then(|t| t.join().ok()).unwrap_or_default();
    let (stderr_sha256, stderr_bytes) = err.and_then(|t| t.join().ok()).unwrap_or_default();
    handle.close();
    let _ = fwd.join();
    use std::os::unix::process::ExitStatusExt;
    let ended = match (status.code(), status.signal()) {
        (Some(c), _) => Ended::Code(c),
        (None, Some(s)) => Ended::Signal(s),
        _ => Ended::Code(1),
    };
    Ok(Measured {
        ended,
        stdout_sha256,
        stderr_sha256,
        stdout_bytes,
        stderr_bytes,
    })
}

/// Ends this process the way the command ended (same signal), returning the
/// shell-style code `128 + signal` if the signal does not terminate us.
pub fn die_like(sig: i32) -> u8 {
    let _ = signal_hook::low_level::emulate_default_handler(sig);
    (128 + sig).clamp(0, 255) as u8
}

impl Ended {
    /// The exit code the wrapper ends with: the command's code (low 8 bits), or, for a
    /// signal, dying of the same signal (`128 + signal` if it does not terminate us).
    pub fn exit_like(self) -> u8 {
        match self {
            Ended::Code(c) => (c & 0xff) as u8,
            Ended::Signal(s) => die_like(s),
        }
    }
}

/// The exit code for a command that cannot be started, like a shell's: 127 when it
/// cannot be found, 126 when it cannot run.
pub fn spawn_failure_code(e: &std::io::Error) -> u8 {
    if e.kind() == std::io::ErrorKind::NotFound {
        127
    } else {
        126
    }
}
