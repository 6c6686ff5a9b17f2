//! `state.*` steps: each must name a store declared under `data.state` and an operation the
//! runtime has, so a typo fails `claw check` instead of the first run that reaches the step.

use super::Located;
use crate::codes;
use crate::diag::Diagnostic;
use crate::lint::STATE_OPERATIONS;
use crate::model::System;

/// Checks every `state.*` step of `sys`.
pub(super) fn steps(sys: &System, loc: &Located<'_>, out: &mut Vec<Diagnostic>) {
    for x in sys.execution.iter().filter(|x| x.adapter() == "state") {
        let path = format!("/execution/{}", x.name);
        let op = x.action.split_once('.').map_or("", |(_, op)| op);
        if !STATE_OPERATIONS.contains(&op) {
            out.push(
                loc.err(
                    codes::BAD_VALUE,
                    format!("`{}` is not a state operation", x.action),
                    &format!("{path}/action"),
                )
                .with_help(format!(
                    "one of: state.{}",
                    STATE_OPERATIONS.join(", state.")
                )),
            );
        }
        let store = x.with.get("store").and_then(|v| v.as_str());
        // A templated store name is only known at run time; the runtime refuses an
        // undeclared one there.
        if store.is_some_and(|s| s.contains("{{")) {
            continue;
        }
        let declared = store.is_some_and(|s| sys.data.state.iter().any(|d| d.name == s));
        if !declared {
            let (msg, p) = match store {
                Some(s) => (
                    format!(
                        "step `{}` uses state store `{s}`, which `data.state` does not declare",
                        x.name
                    ),
                    format!("{path}/with/store"),
                ),
                None => (
                    format!("step `{}` ({}) names no `store`", x.name, x.action),
                    path.clone(),
                ),
            };
            out.push(
                loc.err(codes::UNKNOWN_STATE_STORE, msg, &p)
                    .with_help(codes::UNKNOWN_STATE_STORE.fix),
            );
        }
    }
}
