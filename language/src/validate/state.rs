//! `state.*` and `table.*` steps: each must name a store declared under `data.state` (with
//! `store:`, or `table:` for a table step) and an operation the runtime has, so a typo fails
//! `claw check` instead of the first run that reaches the step.

use super::Located;
use crate::codes;
use crate::diag::Diagnostic;
use crate::lint::{STATE_OPERATIONS, TABLE_OPERATIONS};
use crate::model::System;

/// Checks every `state.*` and `table.*` step of `sys`.
pub(super) fn steps(sys: &System, loc: &Located<'_>, out: &mut Vec<Diagnostic>) {
    for x in &sys.execution {
        let (ops, param, kind) = match x.adapter() {
            "state" => (STATE_OPERATIONS, "store", "state store"),
            "table" => (TABLE_OPERATIONS, "table", "table"),
            _ => continue,
        };
        let path = format!("/execution/{}", x.name);
        let (adapter, op) = x.action.split_once('.').unwrap_or((&x.action, ""));
        if !ops.contains(&op) {
            out.push(
                loc.err(
                    codes::BAD_VALUE,
                    format!("`{}` is not a {adapter} operation", x.action),
                    &format!("{path}/action"),
                )
                .with_help(format!(
                    "one of: {adapter}.{}",
                    ops.join(&format!(", {adapter}."))
                )),
            );
        }
        let store = x.with.get(param).and_then(|v| v.as_str());
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
                        "step `{}` uses {kind} `{s}`, which `data.state` does not declare",
                        x.name
                    ),
                    format!("{path}/with/{param}"),
                ),
                None => (
                    format!("step `{}` ({}) names no `{param}`", x.name, x.action),
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
