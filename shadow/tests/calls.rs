//! Record-only runs of a system that calls another (a Zap calling a Sub-Zap): the simulator
//! loads the called system from the file beside the compared one, the call is recorded as the
//! caller's step, and the called system's reply feeds the
//! caller's later steps, whose recorded params carry it.

use claw_shadow::bind::Binding;
use claw_shadow::simulate::{Simulator, load};

const CALLER: &str = r#"system: welcome
version: 1.0.0
triggers:
  - contact:
      source: webhook
      idempotency: id
decisions: []
execution:
  - normalize:
      on: contact
      action: system.call
      with:
        system: normalize
        inputs:
          Email: "{{ email }}"
  - welcome:
      on: normalize.succeeded
      action: http.post
      with:
        url: https://crm.example.com/welcome
        body:
          email: "{{ steps.normalize.output.email }}"
"#;

/// The data and observability layers both systems end with.
const TAIL: &str = "data:\n  events:\n    store: event-log\n    retention: 30d\nobservability:\n  slo:\n    error_rate: <1%\n";

const CALLED: &str = r#"system: normalize
version: 1.0.0
triggers:
  - start:
      source: call
      inputs: [Email]
decisions: []
execution:
  - audit:
      on: start
      action: http.post
      with:
        url: https://audit.example.com/contacts
        body:
          email: "{{ Email }}"
  - reply:
      on: audit.succeeded
      action: call.return
      with:
        output:
          email: "{{ text.lower(Email) }}"
"#;

#[tokio::test]
async fn a_call_is_recorded_and_its_reply_feeds_the_caller() {
    let dir = tempfile::tempdir().unwrap();
    let caller = dir.path().join("welcome.claw");
    std::fs::write(&caller, format!("{CALLER}{TAIL}")).unwrap();
    std::fs::write(dir.path().join("normalize.claw"), format!("{CALLED}{TAIL}")).unwrap();
    let sim = Simulator::new(&caller).await.unwrap();
    let sys = load(&caller).unwrap();
    let bind = Binding::new(&sys.system);
    let out = sim
        .run(
            &bind,
            "contact",
            serde_json::json!({"id": "c1", "email": "Ada@Example.COM"}),
            chrono::Utc::now(),
            "test".into(),
        )
        .await
        .unwrap();
    assert_eq!(out.status, "succeeded");
    let steps: Vec<(&str, &str)> = out
        .steps
        .iter()
        .map(|s| (s.step.as_str(), s.action.as_str()))
        .collect();
    assert_eq!(
        steps,
        [("normalize", "system.call"), ("welcome", "http.post")]
    );
    assert_eq!(out.steps[0].params["inputs"]["Email"], "Ada@Example.COM");
    assert_eq!(
        out.steps[1].params["body"],
        serde_json::json!({"email": "ada@example.com"})
    );
}
