//! The registry of every diagnostic code shadow mode reports (crates `claw-shadow` and
//! `claw-compare`, and the `claw shadow` commands); each has a row in the shadow section
//! of `docs/diagnostics.md`.

claw_language::diagnostic_codes! {
    /// A legacy, shadow or input file cannot be read.
    UNREADABLE = "claw::shadow::unreadable", Error,
        "a file given to `claw shadow` cannot be read (missing, unreadable, not UTF-8)",
        "check the path and the file's permissions";
    /// A JSON or JSON Lines input is not valid JSON.
    BAD_JSON = "claw::shadow::bad_json", Error,
        "a Zapier JSON page, outcome log or input file is not valid JSON at the given line and column",
        "fix the JSON at the reported place, or export the file again";
    /// An input is JSON (or a log) of the wrong shape.
    BAD_SHAPE = "claw::shadow::bad_shape", Error,
        "an input is readable but not in the expected shape (a field is missing, a time is not RFC 3339, a syslog line has no year)",
        "give the field or option the message names (for syslog without a year: --year)";
    /// A Zap History CSV cannot be read.
    BAD_CSV = "claw::shadow::bad_csv", Error,
        "a Zap History CSV file is malformed or lacks a required column",
        "export the Zap History again in the layout of docs/formats/zapier-history.md";
    /// The shadow store failed.
    STORE = "claw::shadow::store", Error,
        "the shadow store (a SQLite file) cannot be opened, read or written",
        "check that --store points to a writable file that no other program holds locked";
    /// The system cannot be shadowed.
    SYSTEM = "claw::shadow::system", Error,
        "the imported system cannot be run for shadowing (record-only runtime refused it, bad schedule or time zone)",
        "run `claw check` on the system and fix what it reports";
    /// The system does not compile.
    INVALID_SYSTEM = "claw::shadow::invalid_system", Error,
        "the `.claw` file given to `claw shadow` does not compile",
        "run `claw check` on it and fix the first error";
    /// The command was asked something it cannot do.
    USAGE = "claw::shadow::usage", Error,
        "an option needs another one, or an input the command needs is missing",
        "give the option or input the message names";
    /// An `--ignore` glob is invalid.
    BAD_IGNORE = "claw::shadow::bad_ignore", Error,
        "an --ignore pattern is not a valid glob over dotted field paths",
        "write the path with `.` between fields and `*` for one field name";
    /// The `--forward` URL is unusable.
    BAD_FORWARD = "claw::shadow::bad_forward", Error,
        "the --forward URL of `claw shadow serve` is not an http or https URL with a host",
        "give the legacy endpoint's full URL, starting with http:// or https://";
    /// `serve` cannot listen.
    LISTEN = "claw::shadow::listen", Error,
        "`claw shadow serve` cannot listen on the --listen address (in use, not permitted, not an address)",
        "pick a free port or another address";
    /// The async runtime or the server failed.
    SERVER = "claw::shadow::server", Error,
        "the async runtime or the HTTP server of `claw shadow` failed",
        "read the operating system error in the message; it is usually a resource limit";
}
