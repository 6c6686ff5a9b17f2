//! What the built-in app mappings (`storage`, `lookup`, `tables`, `digest`) share: keeping a
//! step they cannot translate as `unported.*` with its reason, saying what a mapped step became
//! (and which params it did not translate), and declaring the `data.state` stores their steps
//! name.

use super::Mapper;
use crate::findings::Finding;
use crate::zapier::apps;
use crate::zapier::codes;
use crate::zapier::model::Node;
use claw_language::diag::Code;
use claw_language::model::StateStore;
use claw_language::{Execution, System};
use serde_json::Value;

impl Mapper<'_> {
    /// Keeps the step at node `i` as `unported.<app>.<action>`, with an `unported_step`
    /// finding that says what it is (`what`, e.g. "Storage by Zapier") and why.
    pub(super) fn keep_unported(
        &mut self,
        i: usize,
        n: &Node,
        x: &mut Execution,
        what: &str,
        why: &str,
    ) {
        let name = self.names[i].clone();
        x.action = format!(
            "unported.{}.{}",
            apps::adapter(n.app()),
            apps::operation(n.action())
        );
        self.note(
            Finding::warning(
                codes::UNPORTED_STEP.id,
                format!(
                    "{what} step `{name}` ({}) is kept as `{}`: {why}",
                    n.action(),
                    x.action
                ),
                self.origin(Some(i)),
            )
            .at_path(format!("/execution/{name}")),
        );
    }

    /// Notes the `code` finding that the step at node `i` was mapped, `msg` saying into what:
    /// an info, or a warning when some of its params were not translated (`ignored`, then
    /// listed in the message), so no param is dropped silently.
    pub(super) fn note_mapped(&mut self, i: usize, code: Code, msg: String, ignored: &[&str]) {
        let name = self.names[i].clone();
        let finding = if ignored.is_empty() {
            Finding::info(code.id, msg, self.origin(Some(i)))
        } else {
            let msg = format!("{msg}; params not translated: {}", ignored.join(", "));
            Finding::warning(code.id, msg, self.origin(Some(i)))
        };
        self.note(
            finding
                .at_path(format!("/execution/{name}"))
                .with_help(code.fix),
        );
    }
}

/// Declares under `data.state`, in the steps' order, each store whose name starts with
/// `prefix` that the system's `<adapter>.*` steps name in `with.<param>` and that is not
/// declared yet.
pub(super) fn declare_state(
    sys: &mut System,
    (adapter, param, prefix): (&str, &str, &str),
    description: &str,
    ttl: Option<&str>,
) {
    let mut wanted: Vec<String> = Vec::new();
    for x in sys.execution.iter().filter(|x| x.adapter() == adapter) {
        if let Some(s) = x.with.get(param).and_then(Value::as_str)
            && s.starts_with(prefix)
            && !wanted.iter().any(|w| w == s)
            && !sys.data.state.iter().any(|d| d.name == s)
        {
            wanted.push(s.to_string());
        }
    }
    for name in wanted {
        sys.data.state.push(StateStore {
            name,
            description: Some(description.to_string()),
            key: None,
            ttl: ttl.map(str::to_string),
        });
    }
}
