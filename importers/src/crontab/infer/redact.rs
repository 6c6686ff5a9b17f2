//! Credentials in a cron job's environment, command line and stdin replaced by `secret://`
//! references (the values are never written), each with a `cron_secret` finding.

use super::Ctx;
use crate::crontab::codes;
use crate::crontab::{credentials, shell};
use crate::findings::{Finding, Origin};
use crate::secrets;
use indexmap::IndexMap;
use serde_json::Value;

/// The job's environment as step env: secret-looking values become references (one finding per
/// assignment, not per job that inherits it), the rest is escaped for templates.
pub(super) fn environment(
    ctx: &mut Ctx<'_>,
    fi: usize,
    o: &Origin,
    env_in: &IndexMap<String, String>,
) -> IndexMap<String, Value> {
    let mut env: IndexMap<String, Value> = IndexMap::new();
    for (k, v) in env_in {
        if secrets::is_credential(k, v) {
            let r = secrets::reference("crontab", v);
            // One finding per assignment, not per job that inherits it.
            if ctx.reported.insert((fi, k.clone(), r.clone())) {
                ctx.add(fi, Finding::warning(codes::CRON_SECRET.id, format!("environment variable `{k}` holds a credential in the crontab; imported as {r} (provide it to the runtime; the value is not written)"), Origin { line: None, column: None, ..o.clone() }));
            }
            env.insert(k.clone(), Value::String(r));
        } else {
            env.insert(k.clone(), Value::String(shell::escape_template(v)));
        }
    }
    env
}

/// The command with each credential written in it read from a new environment variable
/// (`${X_SECRET}`) that holds its `secret://` reference.
pub(super) fn command_line(
    ctx: &mut Ctx<'_>,
    fi: usize,
    o: &Origin,
    command: &str,
    env: &mut IndexMap<String, Value>,
) -> String {
    let spots = credentials::find_secrets(command);
    let mut reps = Vec::new();
    for s in &spots {
        let mut var = format!("{}_SECRET", s.hint);
        let mut n = 2;
        while env.contains_key(&var) {
            var = format!("{}_SECRET_{n}", s.hint);
            n += 1;
        }
        let r = secrets::reference("crontab", &s.value);
        ctx.add(fi, Finding::warning(codes::CRON_SECRET.id, format!("a credential is written in the command line; the command now reads it from ${var}, set from {r} (the value is not written)"), o.clone()).with_help("provide the secret to the runtime, and remove it from the crontab"));
        env.insert(var.clone(), Value::String(r));
        reps.push((s.range.clone(), var));
    }
    credentials::replace_secrets(command, &reps)
}

/// The job's stdin (after `%`) with secret-looking words replaced by references.
pub(super) fn stdin(ctx: &mut Ctx<'_>, fi: usize, o: &Origin, s: &str) -> String {
    let mut out = String::new();
    for piece in s.split_inclusive(|c: char| c.is_whitespace()) {
        let word = piece.trim_end_matches(|c: char| c.is_whitespace());
        let named = word
            .split_once('=')
            .is_some_and(|(k, v)| secrets::is_credential(k, v));
        if !word.is_empty() && (named || secrets::looks_like_secret(word)) {
            let r = secrets::reference("crontab", word);
            ctx.add(fi, Finding::warning(codes::CRON_SECRET.id, format!("a credential is written in the command's stdin (after `%`); imported as {r}, which the runtime resolves (the value is not written)"), o.clone()));
            out.push_str(&r);
            out.push_str(&piece[word.len()..]);
        } else {
            out.push_str(&shell::escape_template(piece));
        }
    }
    out
}
