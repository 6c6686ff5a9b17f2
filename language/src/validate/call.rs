//! Calls between systems: `system.call` steps (the caller) and `call.return` steps (the
//! reply of a system started by a `source: call` trigger). What one file shows is checked in
//! [`steps`]; what needs the called system too is checked by [`check_calls`], over every
//! system checked or run together.

use super::Located;
use crate::codes;
use crate::diag::Diagnostic;
use crate::model::{Execution, Source, System};
use crate::parse::SourceMap;
use serde_json::Value;

/// The action that calls another system and waits for its reply.
pub const CALL_ACTION: &str = "system.call";
/// The action that replies to the system that called this run.
pub const RETURN_ACTION: &str = "call.return";

/// Whether `sys` can be called: it has a `source: call` trigger.
pub fn is_callable(sys: &System) -> bool {
    sys.triggers.iter().any(|t| t.source == Source::Call)
}

/// The system a `system.call` step names, when written as plain text.
pub fn callee(x: &Execution) -> Option<&str> {
    x.with
        .get("system")
        .and_then(Value::as_str)
        .filter(|s| !s.contains("{{") && !s.trim().is_empty())
}

/// Checks every `system.*` and `call.*` step of `sys` on its own.
pub(super) fn steps(sys: &System, loc: &Located<'_>, out: &mut Vec<Diagnostic>) {
    for x in &sys.execution {
        let path = format!("/execution/{}", x.name);
        match x.adapter() {
            "system" if x.action != CALL_ACTION => out.push(unknown_op(x, CALL_ACTION, &path, loc)),
            "call" if x.action != RETURN_ACTION => {
                out.push(unknown_op(x, RETURN_ACTION, &path, loc))
            }
            "system" => caller(x, &path, loc, out),
            "call" => {
                if !is_callable(sys) {
                    out.push(
                        loc.err(
                            codes::REPLY_NOT_CALLABLE,
                            format!(
                                "step `{}` replies to a caller, but system `{}` has no `source: call` trigger: nothing can call it",
                                x.name, sys.system
                            ),
                            &format!("{path}/action"),
                        )
                        .with_help(codes::REPLY_NOT_CALLABLE.fix),
                    );
                }
                if x.with.get("output").is_some_and(|o| !o.is_object()) {
                    out.push(loc.err(
                        codes::WRONG_TYPE,
                        format!(
                            "step `{}`: `output` must be a mapping of reply values",
                            x.name
                        ),
                        &format!("{path}/with/output"),
                    ));
                }
            }
            _ => {}
        }
    }
}

fn unknown_op(x: &Execution, only: &str, path: &str, loc: &Located<'_>) -> Diagnostic {
    loc.err(
        codes::BAD_VALUE,
        format!(
            "`{}` is not an operation of the `{}` adapter",
            x.action,
            x.adapter()
        ),
        &format!("{path}/action"),
    )
    .with_help(format!("the only one is `{only}`"))
}

/// A `system.call` step's own shape: a plain system name and a mapping of inputs.
fn caller(x: &Execution, path: &str, loc: &Located<'_>, out: &mut Vec<Diagnostic>) {
    if callee(x).is_none() {
        let at = if x.with.contains_key("system") {
            format!("{path}/with/system")
        } else {
            path.to_string()
        };
        out.push(
            loc.err(
                codes::CALL_TARGET,
                format!(
                    "step `{}` must name the system it calls as plain text in `with: system:`",
                    x.name
                ),
                &at,
            )
            .with_help(codes::CALL_TARGET.fix),
        );
    }
    if x.with.get("inputs").is_some_and(|i| !i.is_object()) {
        out.push(
            loc.err(
                codes::CALL_TARGET,
                format!(
                    "step `{}`: `inputs` must be a mapping of input name to value",
                    x.name
                ),
                &format!("{path}/with/inputs"),
            )
            .with_help(codes::CALL_TARGET.fix),
        );
    }
}

/// Checks the `system.call` steps of `systems` against the systems they call, each system
/// with the source map of its file. A called system absent from `systems` is an error only
/// with `require_all` (`claw run`, which must run it); `claw check` may be given a caller
/// alone. Returns each finding with the index of the system it belongs to.
pub fn check_calls(
    systems: &[(&System, &SourceMap)],
    require_all: bool,
) -> Vec<(usize, Diagnostic)> {
    let mut out = Vec::new();
    for (i, (sys, map)) in systems.iter().enumerate() {
        let err = |code: crate::diag::Code, msg: String, path: &str| {
            Diagnostic::error(code, msg)
                .at(map.value(path))
                .at_path(path)
                .with_help(code.fix)
        };
        for x in sys.execution.iter().filter(|x| x.action == CALL_ACTION) {
            let Some(name) = callee(x) else { continue };
            let path = format!("/execution/{}/with/system", x.name);
            let Some((target, _)) = systems.iter().find(|(s, _)| s.system == name) else {
                if require_all {
                    let msg = format!(
                        "step `{}` calls system `{name}`, which is not loaded",
                        x.name
                    );
                    out.push((i, err(codes::CALL_UNKNOWN_SYSTEM, msg, &path)));
                }
                continue;
            };
            let Some(trigger) = target.triggers.iter().find(|t| t.source == Source::Call) else {
                let msg = format!(
                    "step `{}` calls system `{name}`, which has no `source: call` trigger",
                    x.name
                );
                out.push((i, err(codes::CALL_NOT_CALLABLE, msg, &path)));
                continue;
            };
            if reaches(systems, name, &sys.system) {
                let msg = format!(
                    "step `{}` calls system `{name}`, which calls `{}` again (directly or through other systems): the calls would never end",
                    x.name, sys.system
                );
                out.push((i, err(codes::CALL_CYCLE, msg, &path)));
            }
            let passed = x.with.get("inputs").and_then(Value::as_object);
            for key in passed.into_iter().flat_map(|m| m.keys()) {
                if !trigger.inputs.iter().any(|d| d == key) {
                    let msg = format!(
                        "step `{}` passes input `{key}`, which system `{name}` does not take (it takes: {})",
                        x.name,
                        if trigger.inputs.is_empty() {
                            "none".to_string()
                        } else {
                            trigger.inputs.join(", ")
                        }
                    );
                    let p = format!("/execution/{}/with/inputs/{key}", x.name);
                    out.push((i, err(codes::CALL_UNKNOWN_INPUT, msg, &p)));
                }
            }
        }
    }
    out
}

/// Whether system `from` calls system `to`, directly or through systems it calls (`from`
/// itself when they are the same), among `systems`.
fn reaches(systems: &[(&System, &SourceMap)], from: &str, to: &str) -> bool {
    let mut stack = vec![from];
    let mut seen = std::collections::BTreeSet::new();
    while let Some(n) = stack.pop() {
        if n == to {
            return true;
        }
        if !seen.insert(n) {
            continue;
        }
        if let Some((s, _)) = systems.iter().find(|(s, _)| s.system == n) {
            stack.extend(
                s.execution
                    .iter()
                    .filter(|x| x.action == CALL_ACTION)
                    .filter_map(callee),
            );
        }
    }
    false
}
