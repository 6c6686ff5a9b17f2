//! What a `code.python` child does to itself between fork and exec: resource limits, a
//! network namespace of its own, and (when the runtime runs as root) the `nobody` user.
//!
//! Runs in the forked child before `exec`, so it only makes raw system calls through rustix
//! (no allocation, no locks: the child of a multi-threaded process may only do
//! async-signal-safe work).

use rustix::process::{Gid, Resource, Rlimit, Uid, setrlimit};
use rustix::thread::{
    UnshareFlags, set_no_new_privs, set_thread_gid, set_thread_groups, set_thread_uid,
    unshare_unsafe,
};

/// The uid and gid of `nobody` on Debian (and most Linux distributions).
const NOBODY: u32 = 65534;

/// Open files the interpreter may hold at once: enough for its start (it reads its standard
/// library one file at a time) and the three standard streams, too few to do much else.
const MAX_FILES: u64 = 32;

/// The limits one child is put under.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Confinement {
    /// Address space in bytes (`RLIMIT_AS`): a huge allocation fails with `MemoryError`.
    pub memory: u64,
    /// CPU seconds (`RLIMIT_CPU`): SIGXCPU at this many, SIGKILL one later. The wall-clock
    /// timeout of the parent is the primary bound; this one holds if the parent is gone.
    pub cpu_secs: u64,
    /// Whether the runtime runs as root: then the child takes a network namespace with its
    /// root privilege and drops to `nobody`, since root ignores `RLIMIT_NPROC` and file modes.
    pub as_root: bool,
}

fn limit(resource: Resource, value: u64) -> std::io::Result<()> {
    setrlimit(
        resource,
        Rlimit {
            current: Some(value),
            maximum: Some(value),
        },
    )?;
    Ok(())
}

/// Applies `c` to the calling (forked, single-threaded) process. A namespace that cannot be
/// created is not an error (the bootstrap reports whether the network is isolated); every
/// other failure is, and stops the child before it runs any code.
pub(crate) fn apply(c: &Confinement) -> std::io::Result<()> {
    limit(Resource::Core, 0)?;
    // No file can grow: a write to a regular file fails (SIGXFSZ, ignored by Python: EFBIG).
    limit(Resource::Fsize, 0)?;
    limit(Resource::Nofile, MAX_FILES)?;
    limit(Resource::As, c.memory)?;
    setrlimit(
        Resource::Cpu,
        Rlimit {
            current: Some(c.cpu_secs),
            maximum: Some(c.cpu_secs + 1),
        },
    )?;
    if c.as_root {
        // SAFETY: between fork and exec this process has one thread, so no other thread can
        // observe the change of namespace (unshare_unsafe's precondition is about FILES).
        let _ = unsafe { unshare_unsafe(UnshareFlags::NEWNET) };
        set_thread_groups(&[])?;
        // One thread: the per-thread setgid/setuid calls change the whole process.
        set_thread_gid(Gid::from_raw(NOBODY))?;
        set_thread_uid(Uid::from_raw(NOBODY))?;
    } else {
        // SAFETY: as above, a single thread.
        let _ = unsafe { unshare_unsafe(UnshareFlags::NEWUSER | UnshareFlags::NEWNET) };
    }
    // After the user change (which would count this process against it and fail the exec):
    // no process may start another one.
    limit(Resource::Nproc, 1)?;
    set_no_new_privs(true)?;
    Ok(())
}
