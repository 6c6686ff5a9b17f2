//! Sub-Zaps (`SubZapCLIAPI`): "Start a Sub-Zap" → a `source: call` trigger with its
//! `inputs:`, "Return from a Sub-Zap" → a `call.return` step, "Call a Sub-Zap" → a
//! `system.call` step naming the imported Sub-Zap's system.
//!
//! The start and return steps are read as the real export has them (`start_subzap` with
//! `input_list`, `return_subzap` with `output_dict`). No export with a call step has been
//! seen (docs/importers/zapier.md, "Sub-Zaps"): it is recognised by an action key holding
//! `call`, and read by inferred names: the Sub-Zap it calls from [`ID_PARAMS`] (a Zap id,
//! linked to the system the same import gives that Zap), the inputs from [`INPUT_PARAMS`]
//! (a mapping), else from the step's other params, each one input.

use super::{Mapper, plain};
use crate::findings::Finding;
use crate::zapier::codes;
use crate::zapier::model::Node;
use claw_language::Execution;
use claw_language::model::{Source, Trigger};
use claw_language::validate::call::{CALL_ACTION, RETURN_ACTION};
use serde_json::{Map, Value};

/// Params that may name the called Sub-Zap (its Zap id), in the order they are tried.
const ID_PARAMS: &[&str] = &[
    "subzap_id",
    "sub_zap_id",
    "subzap",
    "sub_zap",
    "zap_id",
    "zap",
];

/// How long one attempt of an imported call waits for the Sub-Zap's reply. Zapier documents no
/// limit, and a Sub-Zap may hold Delay steps (the corpus one waits in a Delay After Queue), so
/// the runtime's default for a step (30s, sized for an HTTP call) would cut it short.
const CALL_TIMEOUT: &str = "1h";

/// Params that may hold the inputs passed, as one mapping.
const INPUT_PARAMS: &[&str] = &["input_dict", "inputs", "input_data", "input"];

/// Whether a Sub-Zap action is "Call a Sub-Zap".
fn is_call(n: &Node) -> bool {
    let a = n.action().to_ascii_lowercase();
    a.contains("call") || a == "run_subzap"
}

impl Mapper<'_> {
    /// "Start a Sub-Zap" as a `source: call` trigger taking the inputs of `input_list`.
    pub(super) fn call_trigger(&mut self, i: usize, n: &Node, name: &str) -> Trigger {
        let mut t = Trigger::new(name, Source::Call);
        if let Some(Value::Array(a)) = n.param("input_list") {
            t.inputs = a
                .iter()
                .map(plain)
                .filter(|s| !s.trim().is_empty())
                .collect();
        }
        self.note(Finding::info(
            codes::SUBZAP_TRIGGER.id,
            "a Sub-Zap start is imported as a `source: call` trigger: a `system.call` step of another system starts it and waits for its `call.return`",
            self.origin(Some(i)),
        ));
        t
    }

    /// A Sub-Zap action as `call.return` or `system.call`; `false` leaves it unported.
    pub(super) fn subzap(&mut self, i: usize, n: &Node, x: &mut Execution) -> bool {
        let action = n.action().to_ascii_lowercase();
        if action.contains("return") {
            let out = match n.param("output_dict") {
                Some(Value::Object(m)) => {
                    self.rewrite(&Value::Object(m.clone()), i, "call", "output")
                }
                _ => Value::Object(Map::new()),
            };
            x.action = RETURN_ACTION.into();
            x.with.insert("output".into(), out);
            return true;
        }
        if !is_call(n) {
            return false;
        }
        self.call_step(i, n, x);
        true
    }

    /// "Call a Sub-Zap": the called Zap linked to its system, the inputs rewritten.
    fn call_step(&mut self, i: usize, n: &Node, x: &mut Execution) {
        let name = self.names[i].clone();
        let params = n.params.clone().unwrap_or_default();
        let id = ID_PARAMS
            .iter()
            .find_map(|k| params.get(*k).map(plain))
            .filter(|s| !s.trim().is_empty());
        let system = match id.as_deref().map(|z| (z, self.links.get(z))) {
            Some((_, Some(s))) => s.clone(),
            Some((z, None)) => {
                let s = format!(
                    "zap-{}",
                    claw_language::units::slug(z).trim_start_matches("s_")
                );
                self.note(
                    Finding::warning(
                        codes::SUBZAP_UNLINKED.id,
                        format!("step `{name}` calls Sub-Zap {z}, which is not in this import: it calls system `{s}`"),
                        self.origin(Some(i)),
                    )
                    .at_path(format!("/execution/{name}/with/system"))
                    .with_help(codes::SUBZAP_UNLINKED.fix),
                );
                s
            }
            None => {
                self.note(
                    Finding::warning(
                        codes::SUBZAP_UNLINKED.id,
                        format!("step `{name}` calls a Sub-Zap but names none the importer reads (tried {})", ID_PARAMS.join(", ")),
                        self.origin(Some(i)),
                    )
                    .at_path(format!("/execution/{name}/with/system"))
                    .with_help(codes::SUBZAP_UNLINKED.fix),
                );
                "unknown-sub-zap".to_string()
            }
        };
        let inputs = match INPUT_PARAMS.iter().find_map(|k| params.get(*k)) {
            Some(Value::Object(m)) => Value::Object(m.clone()),
            _ => Value::Object(
                params
                    .iter()
                    .filter(|(k, _)| {
                        !ID_PARAMS.contains(&k.as_str())
                            && !k.starts_with('_')
                            && k.as_str() != "authentication_id"
                    })
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect(),
            ),
        };
        let inputs = self.rewrite(&inputs, i, "system", "inputs");
        x.action = CALL_ACTION.into();
        x.timeout = Some(CALL_TIMEOUT.into());
        x.with.insert("system".into(), Value::String(system));
        x.with.insert("inputs".into(), inputs);
        if self.once.insert("subzap_call") {
            self.note(Finding::info(
                codes::SUBZAP_CALL_INFERRED.id,
                format!("no export with a Call a Sub-Zap step has been seen: step `{name}` was read by inferred param names (the Sub-Zap from one of {}; the inputs from one of {} or the other params)", ID_PARAMS.join(", "), INPUT_PARAMS.join(", ")),
                self.origin(Some(i)),
            ));
        }
    }
}
