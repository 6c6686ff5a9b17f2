//! Calls between systems checked across files: `check_calls` resolves a `system.call` step's
//! system by name among the systems checked together, and reports a system that cannot be
//! called, an input it does not take, and (only when every called system must be there, as
//! for `claw run`) a system that is missing.

use claw_language::{Checked, check_calls, check_text};

const CALLER: &str = r#"system: welcome-contact
version: 1.0.0
triggers:
  - new_contact:
      source: webhook
      idempotency: contact.id
decisions: []
execution:
  - normalize:
      on: new_contact
      action: system.call
      with:
        system: normalize-contact
        inputs:
          Email: "{{ contact.email }}"
          Emial: "{{ contact.email }}"
"#;

fn callee(source: &str) -> String {
    format!(
        r#"system: normalize-contact
version: 1.0.0
triggers:
  - start:
      source: {source}
decisions: []
execution:
  - reply:
      on: start
      action: log.info
      with:
        message: called
{}"#,
        claw_testkit::systems::SLO_TAIL
    )
}

fn checked(text: &str) -> Checked {
    let text = if text.contains("\ndata:") {
        text.to_string()
    } else {
        format!("{text}{}", claw_testkit::systems::SLO_TAIL)
    };
    let c = check_text(&text, Some("x.claw"), None);
    assert!(c.is_valid(), "{:?}", c.diagnostics);
    c
}

fn codes(found: &[(usize, claw_language::Diagnostic)]) -> Vec<(usize, String)> {
    found.iter().map(|(i, d)| (*i, d.code.clone())).collect()
}

#[test]
fn an_input_the_called_system_does_not_take_is_an_error_at_the_input() {
    let (a, b) = (
        checked(CALLER),
        checked(&callee("call\n      inputs: [Email, Name]")),
    );
    let systems = [
        (a.system.as_ref().unwrap(), &a.map),
        (b.system.as_ref().unwrap(), &b.map),
    ];
    let found = check_calls(&systems, true);
    assert_eq!(codes(&found), [(0, "claw::call_unknown_input".to_string())]);
    let d = &found[0].1;
    assert!(
        d.message.contains("`Emial`") && d.message.contains("Email, Name"),
        "{d:?}"
    );
    // Located at the input, in the caller's file.
    assert_eq!(d.span.map(|s| s.line), Some(16));
}

#[test]
fn a_system_without_a_call_trigger_cannot_be_called() {
    let (a, b) = (checked(CALLER), checked(&callee("webhook")));
    let systems = [
        (a.system.as_ref().unwrap(), &a.map),
        (b.system.as_ref().unwrap(), &b.map),
    ];
    assert_eq!(
        codes(&check_calls(&systems, false)),
        [(0, "claw::call_not_callable".to_string())]
    );
}

#[test]
fn a_missing_called_system_is_an_error_only_when_all_are_required() {
    let a = checked(CALLER);
    let systems = [(a.system.as_ref().unwrap(), &a.map)];
    assert!(check_calls(&systems, false).is_empty());
    assert_eq!(
        codes(&check_calls(&systems, true)),
        [(0, "claw::call_unknown_system".to_string())]
    );
}

#[test]
fn a_call_trigger_needs_no_idempotency_and_inputs_belong_to_it() {
    let c = checked(&callee("call\n      inputs: [Email]"));
    assert!(
        !c.diagnostics
            .iter()
            .any(|d| d.code == "claw::lint::no_idempotency"),
        "{:?}",
        c.diagnostics
    );
    let wrong = check_text(&callee("webhook\n      inputs: [Email]"), None, None);
    assert!(
        wrong
            .diagnostics
            .iter()
            .any(|d| d.code == "claw::trigger_config"),
        "{:?}",
        wrong.diagnostics
    );
}

#[test]
fn a_system_calling_back_its_caller_is_a_cycle() {
    let looped = CALLER
        .replace("system: normalize-contact", "system: welcome-contact")
        .replace(
            "      idempotency: contact.id\n",
            "      idempotency: contact.id\n  - again:\n      source: call\n      inputs: [Email, Emial]\n",
        );
    let a = checked(&looped);
    let systems = [(a.system.as_ref().unwrap(), &a.map)];
    let found = codes(&check_calls(&systems, false));
    assert_eq!(found, [(0, "claw::call_cycle".to_string())]);
}
