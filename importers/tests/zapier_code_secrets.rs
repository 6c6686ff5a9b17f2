//! Credentials in Code steps: found with the same detector as params, read from an input set
//! from a `secret://` reference, and the rewritten code still runs (JavaScript, in the
//! runtime's own engine) or parses (Python, when `python3` is installed).

use claw_importers::findings::Finding;
use claw_importers::zapier;
use claw_runtime::sandbox::{self, Limits};
use serde_json::{Map, Value};
use std::path::Path;

const SAMPLE: &str = "../samples/zapier/code-secrets.json";

/// The literal credentials the sample hard-codes; none may reach the output.
const LEAKS: &[&str] = &[
    "sk_live_51HxQp2eZvKYlo2C0aBcDeFgHiJ",
    "sk-proj-Ab12Cd34Ef56Gh78Ij90Kl12",
    "xoxb-123456789012",
    "9f8e7d6c5b4a39281706f5e4d3c2b1a0",
    "q8Zr4LmN2pXv7KwT3yHs",
    "Pa55w0rd!",
    "hunter22",
    "Tr0ub4dor&3",
    "AIzaSyD-9tSrke72PouQMnMX",
    "s3cr3t-pass",
    "Zx9Q2w7E4r1T6y3U8i5O",
];

struct Step {
    code: String,
    with: Map<String, Value>,
}

fn import() -> (Vec<Finding>, Vec<(String, Step)>, String) {
    let imported = zapier::import(Path::new(SAMPLE)).expect("the sample imports");
    assert_eq!(imported.generated.len(), 1);
    let g = &imported.generated[0];
    let claw = claw_language::write::to_claw(&g.system);
    let mut steps = Vec::new();
    for x in &g.system.execution {
        let Some(file) = x.with.get("file").and_then(Value::as_str) else {
            continue;
        };
        let code = g
            .files
            .iter()
            .find(|(p, _)| p == Path::new(file))
            .map(|(_, c)| c.clone())
            .expect("the code file is written");
        let with: Map<String, Value> = x.with.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        steps.push((x.name.clone(), Step { code, with }));
    }
    (imported.findings, steps, claw)
}

#[test]
fn no_credential_reaches_the_output() {
    let (_, steps, claw) = import();
    assert_eq!(steps.len(), 2);
    for leak in LEAKS {
        assert!(
            !claw.contains(leak),
            "{leak} leaked into the system:\n{claw}"
        );
        for (name, s) in &steps {
            assert!(
                !s.code.contains(leak),
                "{leak} leaked into {name}:\n{}",
                s.code
            );
        }
    }
}

#[test]
fn each_code_credential_has_a_finding_naming_its_line() {
    let (findings, _, _) = import();
    let lines: Vec<&str> = findings
        .iter()
        .filter(|f| f.code == "claw::import::hardcoded_secret")
        .map(|f| f.message.as_str())
        .collect();
    for (step, line) in [
        ("post_lead", 1),
        ("post_lead", 2),
        ("post_lead", 3),
        ("post_lead", 5),
        ("post_lead", 6),
        ("post_lead", 8),
        ("post_lead", 9),
        ("report", 3),
        ("report", 4),
        ("report", 5),
    ] {
        let want = format!("line {line} of the code of step `{step}`");
        assert!(
            lines.iter().any(|m| m.starts_with(&want)),
            "no finding `{want}…` in {lines:#?}"
        );
    }
    // Names that only mention a token, with values that are not one, are left alone.
    assert!(
        !lines
            .iter()
            .any(|m| m.contains("line 10 ") || m.contains("line 11 ") || m.contains("line 12 ")),
        "{lines:#?}"
    );
}

#[test]
fn redacted_javascript_runs_in_the_runtime_engine_with_the_secrets_as_inputs() {
    let (_, steps, _) = import();
    let (_, js) = steps
        .iter()
        .find(|(n, _)| n == "post_lead")
        .expect("the JavaScript step");
    let input = js
        .with
        .get("input")
        .and_then(Value::as_object)
        .expect("an input map");
    // The runtime resolves each `secret://` reference before the call; stand in for it.
    let mut resolved = Map::new();
    for (k, v) in input {
        let v = v.as_str().unwrap_or_default();
        if k.starts_with("secret_") {
            assert!(v.starts_with("secret://code/"), "{k}: {v}");
            resolved.insert(k.clone(), Value::String(format!("resolved:{k}")));
        } else {
            resolved.insert(k.clone(), Value::String("Ada".into()));
        }
    }
    // Six literals become inputs; the key in the comment (line 1) becomes reference text.
    assert_eq!(
        resolved.len(),
        1 + 6,
        "one input per literal credential: {input:?}"
    );
    let out = sandbox::run(&js.code, &Value::Object(resolved), Limits::default())
        .unwrap_or_else(|e| panic!("the redacted code must run: {e}\n{}", js.code));
    let o = &out[0];
    for k in ["auth", "key", "openai", "slack", "db", "pw"] {
        assert!(
            o[k].as_str()
                .is_some_and(|s| s.starts_with("resolved:secret_")),
            "{k} should come from an input: {out}"
        );
    }
    assert_eq!(o["max"], "2000");
    assert_eq!(o["kind"], "bearer");
    assert_eq!(o["g"], "Bearer Ada");
}

#[test]
fn redacted_python_still_parses() {
    let (_, steps, _) = import();
    let (_, py) = steps
        .iter()
        .find(|(n, _)| n == "report")
        .expect("the Python step");
    assert!(
        py.code.contains("password = input_data['secret_"),
        "{}",
        py.code
    );
    assert!(py.code.contains("\"max_tokens\": \"2000\""), "{}", py.code);
    let keys = py
        .with
        .get("input")
        .and_then(Value::as_object)
        .expect("inputs");
    assert_eq!(keys.keys().filter(|k| k.starts_with("secret_")).count(), 3);
    // Code by Zapier wraps the body in a function (it may `return`); so does the check.
    let body: String = py.code.lines().map(|l| format!("    {l}\n")).collect();
    let wrapped = format!("def main(input_data):\n{body}");
    match std::process::Command::new("python3")
        .args(["-c", "import ast, sys; ast.parse(sys.stdin.read())"])
        .stdin(std::process::Stdio::piped())
        .spawn()
    {
        Ok(mut child) => {
            use std::io::Write;
            child
                .stdin
                .take()
                .expect("piped stdin")
                .write_all(wrapped.as_bytes())
                .expect("write to python3");
            let status = child.wait().expect("python3 finishes");
            assert!(
                status.success(),
                "the redacted Python does not parse:\n{wrapped}"
            );
        }
        Err(e) => eprintln!("python3 is not installed ({e}): the Python parse check did not run"),
    }
}

#[test]
fn params_named_like_tokens_keep_values_that_are_not_tokens() {
    let imported = zapier::import(Path::new(SAMPLE)).expect("the sample imports");
    let x = imported.generated[0]
        .system
        .execution
        .iter()
        .find(|x| x.name == "summarise")
        .expect("the OpenAI step");
    assert_eq!(x.with["max_tokens"], "2000");
    assert_eq!(x.with["token_count"], 12);
    assert_eq!(x.with["stream"], true);
    assert_eq!(x.with["use_token"], "true");
    assert!(x.with["api_key"].as_str().is_some_and(|s| s.contains("{{")));
    assert!(
        x.with["auth_token"]
            .as_str()
            .is_some_and(|s| s.starts_with("secret://"))
    );
}

proptest::proptest! {
    /// Any text (unclosed quotes, stray backslashes, multi-byte characters) is scanned without a
    /// panic, and a scan of the result finds nothing more to replace.
    #[test]
    fn any_code_body_is_scanned_without_panic(code in "(\\PC|['\"`\\\\#/*\\n]){0,80}") {
        use claw_importers::secrets::code::{Lang, redact};
        for lang in [Lang::JavaScript, Lang::Python] {
            let (out, _) = redact(&code, lang, "code");
            let (again, found) = redact(&out, lang, "code");
            proptest::prop_assert_eq!(&again, &out);
            proptest::prop_assert!(found.iter().all(|f| f.input.is_none()));
        }
    }
}
