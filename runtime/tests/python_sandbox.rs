//! The `code.python` sandbox against the code Zapier users write and the escapes a hostile
//! step would try. Zapier's contract (help.zapier.com "Use Python code in Zaps"): the code
//! reads the dict `input_data`, gives its result by assigning `output` (a dict or a list of
//! dicts) or by `return`, and `print` output is kept with the step's run, not sent on.
//! Every escape must fail the call cleanly (an error, not a hang or a crash of the host),
//! and the next call must still work.

use claw_runtime::adapters::{Adapter, Call, CodeAdapter};
use claw_runtime::python::{self, Limits, PythonError};
use claw_testkit::sink::Sink;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

fn quick() -> Limits {
    Limits {
        time: Duration::from_secs(3),
        ..Limits::default()
    }
}

async fn run(code: &str, input: Value) -> Result<python::Outcome, PythonError> {
    let py = python::interpreter().expect("python3 must be installed where the tests run");
    python::run(&py, code, &input, "seed", quick()).await
}

fn call(code: &str, input: Value) -> Call {
    Call {
        system: "s".into(),
        run_id: "r1".into(),
        step: "py".into(),
        action: "code.python".into(),
        operation: "python".into(),
        params: json!({"code": code, "input": input}),
        idempotency_key: "s/r1/py".into(),
        timeout: Duration::from_secs(3),
    }
}

/// Zapier: `output = {...}` or `return {...}`; `input_data` values as given.
#[tokio::test]
async fn zapier_contract() {
    let out = run(
        "name = input_data['name'].title()\nprint('hello', name)\noutput = {'name': name, 'n': len(input_data)}",
        json!({"name": "ada lovelace"}),
    )
    .await
    .unwrap();
    assert_eq!(out.output, json!({"name": "Ada Lovelace", "n": 1}));
    assert_eq!(out.logs, "hello Ada Lovelace\n");
    let out = run("return [{'a': 1}, {'a': 2}]", json!({})).await.unwrap();
    assert_eq!(out.output, json!([{"a": 1}, {"a": 2}]));
    // A string literal spanning lines keeps its text (the code is not re-indented).
    let out = run("s = '''a\nb'''\nreturn {'s': s}", json!({}))
        .await
        .unwrap();
    assert_eq!(out.output, json!({"s": "a\nb"}));
    // Neither `output` nor `return`: an empty dict.
    assert_eq!(run("x = 1", json!({})).await.unwrap().output, json!({}));
}

/// The standard-library subset documented in docs/runtime.md imports and works.
#[tokio::test]
async fn standard_library_subset() {
    let code = "import json, re, math, datetime, hashlib, base64, collections, urllib.parse\n\
        d = datetime.datetime.strptime(input_data['when'], '%Y-%m-%d')\n\
        return {'day': d.strftime('%A'), 'sha': hashlib.sha256(b'x').hexdigest()[:8],\n\
        'q': urllib.parse.quote('a b'), 'm': re.findall(r'\\d+', 'a1b22'), 'j': json.dumps([1])}";
    let out = run(code, json!({"when": "2024-03-05"})).await.unwrap();
    assert_eq!(
        out.output,
        json!({"day": "Tuesday", "sha": "2d711642", "q": "a%20b", "m": ["1", "22"], "j": "[1]"})
    );
}

/// `random` is seeded by the call's seed (the step's idempotency key): a retry draws the
/// same numbers.
#[tokio::test]
async fn random_is_seeded() {
    let a = run("import random\nreturn {'r': random.random()}", json!({}))
        .await
        .unwrap();
    let b = run("import random\nreturn {'r': random.random()}", json!({}))
        .await
        .unwrap();
    assert_eq!(a.output, b.output);
}

#[tokio::test]
async fn script_errors_name_the_line() {
    let e = run("x = 1\ny = input_data['missing']", json!({}))
        .await
        .unwrap_err();
    assert_eq!(
        e,
        PythonError::Script("KeyError: 'missing' (line 2)".into())
    );
    let e = run("def (", json!({})).await.unwrap_err();
    assert!(
        matches!(&e, PythonError::Script(m) if m.starts_with("SyntaxError")),
        "{e:?}"
    );
    let e = run("return 3", json!({})).await.unwrap_err();
    assert!(
        matches!(&e, PythonError::Output(m) if m.contains("dict or a list")),
        "{e:?}"
    );
}

/// A connection to a loopback listener the test holds: refused, and nothing arrives.
#[tokio::test]
async fn no_network() {
    let sink = Sink::bind();
    let port = sink.port();
    for code in [
        format!(
            "import socket\ns = socket.create_connection(('127.0.0.1', {port}))\ns.sendall(b'x')"
        ),
        format!("import urllib.request\nurllib.request.urlopen('http://127.0.0.1:{port}/')"),
        format!(
            "import http.client\nhttp.client.HTTPConnection('127.0.0.1', {port}).request('GET', '/')"
        ),
        // `urllib.parse` is loaded, so `urllib` is; its `request` submodule is not.
        format!("import urllib\nurllib.request.urlopen('http://127.0.0.1:{port}/')"),
    ] {
        let e = run(&code, json!({})).await.unwrap_err();
        assert!(
            matches!(&e, PythonError::Refused(_) | PythonError::Script(_)),
            "{code}: {e:?}"
        );
    }
    assert!(
        sink.arrived().is_empty(),
        "a connection reached the listener"
    );
}

#[tokio::test]
async fn no_files() {
    let dir = tempfile::tempdir().unwrap();
    let secret = dir.path().join("secret.txt");
    std::fs::write(&secret, "top secret").unwrap();
    let outside = dir.path().join("written.txt");
    for code in [
        format!("return {{'t': open({:?}).read()}}", secret.display()),
        "return {'t': open('/etc/passwd').read()}".to_string(),
        format!("open({:?}, 'w').write('x')", outside.display()),
        // Inside the working directory (an empty directory of its own).
        "open('here.txt', 'w').write('x')".to_string(),
        "import os\nreturn {'l': os.listdir('/')}".to_string(),
        "import os\nfd = os.open('/etc/hostname', os.O_RDONLY)".to_string(),
        "import io\nio.open('/etc/passwd').read()".to_string(),
    ] {
        let e = run(&code, json!({})).await.unwrap_err();
        assert!(matches!(&e, PythonError::Refused(_)), "{code}: {e:?}");
    }
    assert!(!outside.exists());
}

#[tokio::test]
async fn no_processes() {
    for code in [
        "import subprocess\nsubprocess.run(['id'])",
        "import os\nos.system('id')",
        "import os\nos.fork()",
        // A fork bomb: refused at its first fork.
        "import os\nwhile True:\n    os.fork()",
        "import os\nos.execv('/bin/sh', ['sh'])",
        "import os\nos.posix_spawn('/bin/sh', ['sh'], {})",
        "import ctypes",
        "import threading\nthreading.Thread(target=print).start()",
    ] {
        let e = run(code, json!({})).await.unwrap_err();
        assert!(
            matches!(&e, PythonError::Refused(_) | PythonError::Script(_)),
            "{code}: {e:?}"
        );
    }
}

#[tokio::test]
async fn time_and_memory_are_bounded() {
    let py = python::interpreter().unwrap();
    let limits = Limits {
        time: Duration::from_millis(700),
        ..Limits::default()
    };
    let t0 = Instant::now();
    let e = python::run(&py, "while True:\n    pass", &json!({}), "k", limits)
        .await
        .unwrap_err();
    assert_eq!(e, PythonError::Timeout(Duration::from_millis(700)));
    assert!(t0.elapsed() < Duration::from_secs(3), "{:?}", t0.elapsed());
    // Catching the timeout's signal is not possible: SIGKILL.
    let e = python::run(
        &py,
        "import signal\nsignal.signal(signal.SIGTERM, lambda *a: None)\nwhile True: pass",
        &json!({}),
        "k",
        limits,
    )
    .await
    .unwrap_err();
    assert!(
        matches!(e, PythonError::Refused(_) | PythonError::Timeout(_)),
        "{e:?}"
    );
    for code in [
        "x = 'a' * (10 ** 10)",
        "x = bytearray(2 ** 40)",
        "x = []\nwhile True:\n    x.append(' ' * 1000000)",
    ] {
        let e = run(code, json!({})).await.unwrap_err();
        assert!(matches!(e, PythonError::OutOfMemory(_)), "{code}: {e:?}");
    }
    // The host is unharmed: the next call works.
    assert_eq!(
        run("return {'ok': True}", json!({})).await.unwrap().output,
        json!({"ok": true})
    );
}

/// Through the adapter: failures are permanent (not retried), prints become
/// `runtime_meta.logs`, and a one-object list is that object (as for `code.js`).
#[tokio::test]
async fn through_the_adapter() {
    let a = CodeAdapter::default();
    let out = a
        .call(&call(
            "print('a')\nprint('b')\noutput = [{'x': input_data['x'] * 2}]",
            json!({"x": 21}),
        ))
        .await
        .unwrap();
    assert_eq!(out, json!({"x": 42, "runtime_meta": {"logs": ["a", "b"]}}));
    let e = a.call(&call("import socket", json!({}))).await.unwrap_err();
    assert!(!e.retryable);
    assert!(
        e.message
            .starts_with("code.python in step `py`: claw sandbox: module `socket`"),
        "{}",
        e.message
    );
}

/// Under the hook, the kernel's limits: a root runtime's child runs as `nobody` (so
/// `RLIMIT_NPROC` and file modes bind it). Whether it had a network namespace depends on
/// the kernel (printed, not asserted: a container may refuse one).
#[tokio::test]
async fn a_root_runtime_runs_code_as_nobody() {
    let out = run("import os\nreturn {'uid': os.getuid()}", json!({}))
        .await
        .unwrap();
    eprintln!("network namespace of its own: {}", out.isolated);
    if rustix::process::geteuid().is_root() {
        assert_eq!(out.output["uid"], 65534, "{:?}", out.output);
    }
}

/// Record-only mode (shadow mode, `--dry-run`) runs `code.python` for real, as it does
/// `code.js`: the step is pure, and later steps' recorded calls carry its real output.
#[tokio::test]
async fn record_only_mode_runs_python_and_records_what_follows() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("py.claw");
    let text = claw_testkit::with_tail!(
        r#"system: py
version: 1.0.0
triggers:
  - order:
      source: webhook
      idempotency: id
decisions: []
execution:
  - score:
      on: order
      action: code.python
      with:
        code: "return {'double': int(input_data['n']) * 2}"
        input:
          n: "{{ n }}"
  - notify:
      on: score.succeeded
      action: http.post
      with:
        url: http://127.0.0.1:9/
        body:
          double: "{{ steps.score.output.double }}"
"#
    );
    std::fs::write(&file, text).unwrap();
    let sys = claw_runtime::LoadedSystem::load(&file).unwrap();
    let rt = claw_runtime::Runtime::record_only(vec![sys]).await.unwrap();
    let sim = rt
        .simulate(
            "py",
            "order",
            json!({"id": "o1", "n": "21"}),
            claw_runtime::StartOptions::default(),
        )
        .await
        .unwrap();
    assert_eq!(sim.status, "succeeded");
    let actions: Vec<&str> = sim.calls.iter().map(|c| c.action.as_str()).collect();
    assert_eq!(actions, ["code.python", "http.post"]);
    assert_eq!(sim.calls[1].params["body"], json!({"double": 42}));
}

/// Calls at once (runs in parallel): each child is limited to no new process, and the
/// others running as the same user do not stop one from starting.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_calls_all_run() {
    let calls = (0..8).map(|i| async move {
        run("return {'i': input_data['i']}", json!({"i": i}))
            .await
            .map(|o| o.output)
    });
    let outs = futures_join(calls).await;
    for (i, o) in outs.into_iter().enumerate() {
        assert_eq!(o.unwrap(), json!({"i": i}));
    }
}

/// Awaits every future, concurrently, keeping their order.
async fn futures_join<F>(fs: impl Iterator<Item = F>) -> Vec<F::Output>
where
    F: std::future::Future + Send + 'static,
    F::Output: Send + 'static,
{
    let handles: Vec<_> = fs.map(tokio::spawn).collect();
    let mut out = Vec::new();
    for h in handles {
        out.push(h.await.unwrap());
    }
    out
}
