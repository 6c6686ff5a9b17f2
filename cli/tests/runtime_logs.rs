//! `claw run` logs: every line of a run carries `run_id` and `step` and never a secret,
//! in text and in JSON (one object per line).

#[path = "common/ops.rs"]
mod ops;

use ops::*;

// Long on purpose: one end-to-end scenario against a real `claw` process, whose steps
// read the state the previous ones left (database, receiver, server); split, each part
// would have to start its own server and rebuild that state.
#[test]
fn logs_carry_run_and_step_and_never_a_secret() {
    const FILE_SECRET: &str = "s3cr3t-FILE-value-9f2c";
    const ENV_SECRET: &str = "env-S1GN-value-77ab";
    let dir = tempfile::tempdir().unwrap();
    let recv = Receiver::start();
    recv.script(|s| {
        s.reject.insert("/reject".into());
    });
    let system = format!(
        r#"system: vault
version: 1.0.0
triggers:
  - call:
      source: webhook
      idempotency: req.id
decisions:
  - wanted:
      when: req.id != ""
      emits: go
execution:
  - announce:
      on: go
      action: log.info
      with:
        message: "calling for {{{{ req.id }}}}"
  - tell:
      on: go
      action: log.warn
      with:
        message: "about to use {{{{ secrets.signing_key }}}} and {{{{ secrets.api_token }}}}"
  - send:
      on: announce.succeeded
      action: http.post
      with:
        url: "{base}/echo"
        headers:
          Authorization: "Bearer {{{{ secrets.api_token }}}}"
          X-Sig: "{{{{ secrets.signing_key }}}}"
        body:
          id: "{{{{ req.id }}}}"
      timeout: 5s
  - shout:
      on: send.succeeded
      action: shell.run
      with:
        command: 'echo "token=$TOKEN"; echo "err=$TOKEN" >&2'
        env:
          TOKEN: "{{{{ secrets.api_token }}}}"
      timeout: 5s
  - reject:
      on: shout.succeeded
      action: http.post
      with:
        url: "{base}/reject"
        headers:
          Authorization: "Bearer {{{{ secrets.api_token }}}}"
      timeout: 5s
{SLO_TAIL}"#,
        base = recv.base
    );
    let file = write(dir.path(), "vault.claw", &system);
    let secrets = write(
        dir.path(),
        "secrets.env",
        &format!("# test secrets\napi_token={FILE_SECRET}\n"),
    );
    let db = sqlite(dir.path());
    let srv = Server::start(
        &file,
        &db,
        &["--secrets", secrets.to_str().unwrap()],
        &[("CLAW_SECRET_SIGNING_KEY", ENV_SECRET)],
    );
    let run = hook(&srv.url, "vault", "call", json!({"req": {"id": "R1"}}));
    let ev = finished(&db, &run);
    let stopped = srv.stop(SIGTERM);
    assert!(stopped.status.success(), "{}", stopped.stderr);
    assert_eq!(ev["run"]["status"], "failed", "{ev}");

    // The adapters got the real values (from the file and from the environment)…
    let sent = recv.seen("/echo");
    assert_eq!(sent.len(), 1);
    assert_eq!(
        sent[0].headers["authorization"],
        format!("Bearer {FILE_SECRET}")
    );
    assert_eq!(sent[0].headers["x-sig"], ENV_SECRET);
    assert_eq!(
        recv.seen("/reject")[0].headers["authorization"],
        format!("Bearer {FILE_SECRET}")
    );
    let by_step = |kind: &str, step: &str| -> Value {
        ev["events"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["kind"] == kind && e["step"] == step)
            .unwrap_or_else(|| panic!("no {kind} of {step}: {ev}"))
            .clone()
    };
    // …the log keeps references, and echoed values come back redacted.
    assert_eq!(
        by_step("step.attempt_started", "send")["data"]["params"]["headers"]["Authorization"],
        "Bearer secret://api_token"
    );
    let echoed = &by_step("step.succeeded", "send")["data"]["output"]["body"];
    assert_eq!(
        echoed,
        &json!({"authorization": "Bearer secret://api_token", "x-sig": "secret://signing_key"})
    );
    let shout = &by_step("step.succeeded", "shout")["data"]["output"];
    assert_eq!(shout["stdout"], "token=secret://api_token\n");
    assert_eq!(shout["stderr"], "err=secret://api_token\n");
    let err = by_step("step.failed", "reject")["data"]["error"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        err.contains("HTTP 400") && err.contains("Bearer secret://api_token"),
        "{err}"
    );

    // No value anywhere: the runtime's stdout and stderr, the inspection commands, the
    // database files.
    let mut places = vec![
        ("claw run stdout".to_string(), stopped.stdout.clone()),
        ("claw run stderr".to_string(), stopped.stderr.clone()),
    ];
    for args in [
        vec!["events", run.as_str(), "--format", "json"],
        vec!["events", run.as_str()],
        vec!["runs", "--format", "json"],
        vec!["runs"],
        vec!["status", "--format", "json"],
        vec!["dlq", "list", "--all", "--format", "json"],
    ] {
        let mut a = args.clone();
        a.extend(["--db", &db]);
        let o = cli(&a);
        assert_eq!(o.code, 0, "{args:?}: {}", o.stderr);
        places.push((
            format!("claw {args:?}"),
            format!("{}{}", o.stdout, o.stderr),
        ));
    }
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let p = entry.unwrap().path();
        if p.file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with("claw.db")
        {
            let bytes = std::fs::read(&p).unwrap();
            places.push((
                p.display().to_string(),
                String::from_utf8_lossy(&bytes).into_owned(),
            ));
        }
    }
    for (place, text) in &places {
        for secret in [FILE_SECRET, ENV_SECRET] {
            assert!(
                !text.contains(secret),
                "{secret} leaked into {place}:\n{text}"
            );
        }
    }

    // Structured lines: every line about a step names the run and the step.
    let lines: Vec<&str> = stopped.stderr.lines().collect();
    let tagged = format!("run_id={run}");
    for step in ["wanted", "announce", "tell", "send", "shout", "reject"] {
        let tag = format!("step={step}");
        assert!(
            lines
                .iter()
                .any(|l| l.contains(&tagged) && l.split_whitespace().any(|w| w == tag)),
            "no line with {tagged} and {tag}:\n{}",
            stopped.stderr
        );
    }
    for l in &lines {
        if l.contains(" step=") {
            assert!(l.contains(&tagged), "a step line without its run: {l}");
        }
    }
    let line_of = |needle: &str| -> &str {
        lines
            .iter()
            .find(|l| l.contains(needle))
            .unwrap_or_else(|| panic!("no `{needle}` line:\n{}", stopped.stderr))
    };
    let announce = line_of("calling for R1");
    assert!(announce.contains(" INFO "), "{announce}");
    assert!(announce.contains("step=announce") && announce.contains("system=vault"));
    // A `log.*` message that uses a secret shows the reference.
    let tell = line_of("about to use");
    assert!(
        tell.contains("about to use secret://signing_key and secret://api_token")
            && tell.contains(" WARN ")
            && tell.contains("step=tell"),
        "{tell}"
    );
    let failed = line_of("step failed");
    assert!(
        failed.contains(" ERROR ") && failed.contains("step=reject"),
        "{failed}"
    );
    let finished_line = line_of("run finished");
    assert!(
        finished_line.contains(&tagged) && finished_line.contains("status=\"failed\""),
        "{finished_line}"
    );
    // Plain text when stderr is not a terminal: no colour codes.
    assert!(!stopped.stderr.contains('\u{1b}'));
}

#[test]
fn json_logs_are_one_object_per_line_with_run_id_and_step() {
    let dir = tempfile::tempdir().unwrap();
    let steps = r#"  - announce:
      on: call
      action: log.info
      with:
        message: "hello {{ req.id }}"
"#;
    let system = webhook_system("jsonlog", "call", "req.id", steps, SLO_TAIL);
    let file = write(dir.path(), "jsonlog.claw", &system);
    let db = sqlite(dir.path());
    let srv = Server::start(&file, &db, &["--log-format", "json"], &[]);
    let run = hook(&srv.url, "jsonlog", "call", json!({"req": {"id": "J1"}}));
    finished(&db, &run);
    let stopped = srv.stop(SIGTERM);
    assert!(stopped.status.success(), "{}", stopped.stderr);
    let lines: Vec<Value> = stopped
        .stderr
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    assert!(!lines.is_empty());
    assert!(
        lines
            .iter()
            .all(|l| l["level"].is_string() && l["timestamp"].is_string())
    );
    // The step's own line: its message, run id and step as fields.
    let step_line = lines
        .iter()
        .find(|l| l["fields"]["message"] == "hello J1")
        .unwrap_or_else(|| panic!("{}", stopped.stderr));
    assert_eq!(step_line["fields"]["run_id"], run.as_str(), "{step_line}");
    assert_eq!(step_line["fields"]["step"], "announce", "{step_line}");
    assert_eq!(step_line["level"], "INFO");
}
