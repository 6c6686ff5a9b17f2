//! Code by Zapier in Python runs for real: `samples/zapier/python-code.json` is imported with
//! `claw import zapier --accept`, checked with `claw check`, then run by `claw run` on SQLite;
//! a webhook delivery goes through the Python step and a Webhooks by Zapier POST to a
//! loopback receiver. Then hostile code, through the same runtime: each escape fails its step
//! cleanly and the runtime keeps serving.
//!
//! The Zapier behaviour encoded (help.zapier.com, "Use Python code in Zaps" and "Code by
//! Zapier: input and output"): `input_data` is a dict of the mapped input fields, all
//! strings; the code sets `output` to a dict (or returns one); each key of that dict is a
//! field later steps map (`{{2__tier}}`); `print` output is kept with the step's run
//! (Zapier shows it as `runtime_meta.logs`), not sent to later steps unless mapped.

#[path = "common/ops.rs"]
mod ops;
#[path = "common/zapier_run.rs"]
mod zapier_run;

use claw_testkit::sink::Sink;
use ops::*;
use serde_json::json;
use zapier_run::{import_and_check, redirect, step_event as event};

#[test]
fn imported_python_zap_runs_under_claw_run() {
    let dir = tempfile::tempdir().unwrap();
    let file = import_and_check("python-code.json", dir.path(), "score-inbound-orders");
    // The Webhooks by Zapier POST goes to the loopback receiver instead of fulfilment.
    let recv = Receiver::start();
    redirect(
        &file,
        "https://fulfilment.example.com/orders",
        &format!("{}/orders", recv.base),
    );

    let db = sqlite(dir.path());
    let srv = Server::start(&file, &db, &[], &[]);
    let run = hook(
        &srv.url,
        "score-inbound-orders",
        "new_order",
        json!({
            "id": "A-1001",
            "total": "149.90",
            "items": "widget:2, gadget, widget:1",
            "customer": {"email": "Grace@Example.EDU"},
            "placed_at": "2024-03-05T14:30:00Z",
            "postcode": "sw1a 1aa"
        }),
    );
    let ev = finished(&db, &run);
    assert_eq!(ev["run"]["status"], "succeeded", "{ev}");

    // The code's `output` dict is the step's output, keys as the code wrote them; what it
    // printed is `runtime_meta.logs`.
    assert_eq!(
        event(&ev, "step.succeeded", "score_order")["data"]["output"],
        json!({
            "order_id": "A-1001",
            "units": 4,
            "skus": "gadget,widget",
            "score": 15,
            "tier": "priority",
            "weekday": "Tuesday",
            "postcode": "SW1A1AA",
            "runtime_meta": {"logs": ["scored order A-1001 as 15"]}
        })
    );
    // The POST carried the mapped fields (its rendered params are in the events).
    let started = event(&ev, "step.attempt_started", "send_to_fulfilment");
    let data = &started["data"]["params"]["body"];
    assert_eq!(data["order"], "A-1001");
    assert_eq!(data["tier"], "priority");
    assert_eq!(data["skus"], "gadget,widget");
    assert_eq!(data["weekday"], "Tuesday");
    // `payload_type: json`: the receiver got that object as the JSON body.
    let got = recv.seen("/orders");
    assert_eq!(got.len(), 1);
    let sent: Value = serde_json::from_str(&got[0].body).unwrap();
    assert_eq!(&sent, data);

    let stopped = srv.stop(SIGTERM);
    assert!(stopped.status.success(), "{}", stopped.stderr);
}

/// A system whose one Python step runs the payload's `attack` (the sandbox is the same
/// whether the code comes from a file or from `exec`).
const HOSTILE: &str = claw_testkit::with_tail!(
    r#"system: hostile
version: 1.0.0
triggers:
  - attempt:
      source: webhook
      idempotency: id
decisions: []
execution:
  - attack:
      on: attempt
      action: code.python
      timeout: 3s
      with:
        code: "exec(input_data['attack'])\nreturn {'survived': True}"
        input:
          attack: "{{ attack }}"
"#
);

/// One runtime receives every attack in turn, so the test shows that it stays up between them.
#[test]
fn escapes_fail_the_step_and_the_runtime_stays_up() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "hostile.claw", HOSTILE);
    let inside = dir.path().join("secret.txt");
    std::fs::write(&inside, "top secret").unwrap();
    let outside = dir.path().join("dropped.txt");
    let sink = Sink::bind();
    let port = sink.port();

    let db = sqlite(dir.path());
    let srv = Server::start(&file, &db, &[], &[]);
    let attacks: Vec<(String, &str)> = vec![
        (
            format!("import socket\nsocket.create_connection(('127.0.0.1', {port})).sendall(b'x')"),
            "module `socket` is not available",
        ),
        (
            format!("print(open({:?}).read())", inside.display()),
            "`open` is not allowed",
        ),
        (
            format!("open({:?}, 'w').write('x')", outside.display()),
            "`open` is not allowed",
        ),
        ("open('here.txt', 'w')".into(), "`open` is not allowed"),
        (
            "import subprocess\nsubprocess.run(['id'])".into(),
            "module `subprocess` is not available",
        ),
        (
            "import os\nwhile True:\n    os.fork()".into(),
            "`os.fork` is not allowed",
        ),
        ("while True:\n    pass".into(), "time limit of 3s"),
        ("x = ' ' * (10 ** 10)".into(), "memory limit"),
    ];
    for (i, (code, why)) in attacks.iter().enumerate() {
        let run = hook(
            &srv.url,
            "hostile",
            "attempt",
            json!({"id": i, "attack": code}),
        );
        let ev = finished(&db, &run);
        assert_eq!(ev["run"]["status"], "failed", "{code}: {ev}");
        let error = event(&ev, "step.failed", "attack")["data"]["error"]
            .as_str()
            .unwrap()
            .to_string();
        assert!(
            error.starts_with("code.python in step `attack`: ") && error.contains(why),
            "{code}: {error}"
        );
        // Permanent: one attempt, no retry.
        assert_eq!(
            event(&ev, "step.failed", "attack")["data"]["attempts"],
            1,
            "{ev}"
        );
    }
    assert!(!outside.exists() && !dir.path().join("here.txt").exists());
    assert!(
        sink.arrived().is_empty(),
        "a connection reached the listener"
    );

    // The runtime is still up and runs harmless code.
    let run = hook(
        &srv.url,
        "hostile",
        "attempt",
        json!({"id": "ok", "attack": "x = 1"}),
    );
    let ev = finished(&db, &run);
    assert_eq!(ev["run"]["status"], "succeeded", "{ev}");
    assert_eq!(
        event(&ev, "step.succeeded", "attack")["data"]["output"],
        json!({"survived": true})
    );
    let stopped = srv.stop(SIGTERM);
    assert!(stopped.status.success(), "{}", stopped.stderr);
}

/// No interpreter where the runtime looks: the step fails at once with the stable code,
/// without retrying, and the runtime stays up.
#[test]
fn a_missing_interpreter_fails_the_step_with_its_code() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "hostile.claw", HOSTILE);
    let db = sqlite(dir.path());
    let srv = Server::start(&file, &db, &[], &[("CLAW_PYTHON", "/nonexistent/python3")]);
    let run = hook(
        &srv.url,
        "hostile",
        "attempt",
        json!({"id": 1, "attack": "x = 1"}),
    );
    let ev = finished(&db, &run);
    assert_eq!(ev["run"]["status"], "failed", "{ev}");
    let failed = &event(&ev, "step.failed", "attack")["data"];
    assert_eq!(failed["attempts"], 1, "{ev}");
    assert_eq!(
        failed["error"],
        "code.python in step `attack`: claw::runtime::python_missing: no Python interpreter: \
         looked for CLAW_PYTHON=/nonexistent/python3; install python3 (Debian: `apt-get install \
         python3`) or set CLAW_PYTHON to its path"
    );
    let stopped = srv.stop(SIGTERM);
    assert!(stopped.status.success(), "{}", stopped.stderr);
}
