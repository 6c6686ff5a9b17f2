//! The JavaScript sandbox for policies and `code.js` steps (QuickJS through rquickjs).
//!
//! Every evaluation gets a fresh QuickJS runtime with a memory limit, a stack limit and an
//! interrupt deadline. The context is built without the `Date` and `Performance`
//! intrinsics and `Math.random` is removed, so a script has no clock and no
//! randomness; QuickJS itself has no network or file access unless the host adds it. This
//! host adds the input and, for `code.js` steps only, a `fetch` it carries out itself
//! ([`fetch`]); policies get nothing else.
//!
//! Two script shapes are accepted:
//! * Zapier-style code: reads `inputData` (also `input`), assigns `output`.
//! * A policy with `export default function decide(input) { … }`.

use rquickjs::context::EvalOptions;
use rquickjs::context::intrinsic::{Eval, Json, MapSet, Promise, RegExp, RegExpCompiler};
use rquickjs::{Context, Ctx, Runtime};
use serde_json::Value;
use std::sync::Arc;
use std::time::{Duration, Instant};

mod fetch;

pub use fetch::Network;

/// Resource limits of one evaluation.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Heap limit in bytes.
    pub memory: usize,
    /// Wall-clock budget.
    pub time: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            memory: 32 * 1024 * 1024,
            time: Duration::from_secs(1),
        }
    }
}

/// Why a script failed.
#[derive(Debug, Clone, thiserror::Error, PartialEq)]
pub enum SandboxError {
    /// The script threw or did not compile.
    #[error("script error: {0}")]
    Script(String),
    /// The script ran past its time budget.
    #[error("script exceeded its time limit of {0:?}")]
    Timeout(Duration),
    /// The script ran out of its memory budget.
    #[error("script exceeded its memory limit of {0} bytes")]
    OutOfMemory(usize),
    /// The result is not JSON.
    #[error("script result is not JSON-representable: {0}")]
    Output(String),
    /// The engine could not start.
    #[error("cannot start the JavaScript engine: {0}")]
    Engine(String),
}

/// Whether the source uses the `export default function` policy shape.
fn is_module_shape(source: &str) -> bool {
    source
        .lines()
        .any(|l| l.trim_start().starts_with("export "))
}

/// Turns `export default function f(…)` into an assignment the host can read, and drops
/// other `export` keywords, so policies run as plain (non-module) scripts.
fn unexport(source: &str) -> String {
    let mut out = String::with_capacity(source.len() + 32);
    for line in source.lines() {
        let indent = &line[..line.len() - line.trim_start().len()];
        let t = line.trim_start();
        if let Some(rest) = t.strip_prefix("export default ") {
            out.push_str(indent);
            out.push_str("globalThis.__claw_default = ");
            out.push_str(rest);
        } else if let Some(rest) = t.strip_prefix("export ") {
            out.push_str(indent);
            out.push_str(rest);
        } else {
            out.push_str(line);
        }
        out.push('\n');
    }
    out
}

/// Why a `.ts` policy cannot be turned into JavaScript.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TypeScriptError {
    /// The file does not parse as TypeScript; names the file, line and column.
    #[cfg(feature = "typescript")]
    #[error(transparent)]
    Parse(#[from] crate::typescript::TsError),
    /// This claw was built without the `typescript` feature.
    #[error(
        "{code}: {path}: TypeScript policies need a claw built with the `typescript` feature \
         (on by default); rebuild with it, or compile the policy to .js (e.g. `tsc`) and point \
         `policy:` at the .js file",
        code = crate::codes::TYPESCRIPT.id
    )]
    Disabled {
        /// The policy file.
        path: String,
    },
}

/// Turns a `.ts` policy into the JavaScript the sandbox runs (types stripped by the oxc
/// TypeScript parser, see [`crate::typescript`]). The error names the file, line and column.
#[cfg(feature = "typescript")]
pub fn typescript_to_js(path: &std::path::Path, source: &str) -> Result<String, TypeScriptError> {
    Ok(crate::typescript::strip_types(path, source)?)
}

/// Without the `typescript` feature a `.ts` policy is refused when the system loads.
#[cfg(not(feature = "typescript"))]
pub fn typescript_to_js(path: &std::path::Path, _source: &str) -> Result<String, TypeScriptError> {
    Err(TypeScriptError::Disabled {
        path: path.display().to_string(),
    })
}

/// Runs `source` on `input` within `limits`, with no network; returns the script's output as
/// JSON.
pub fn run(source: &str, input: &Value, limits: Limits) -> Result<Value, SandboxError> {
    run_with(source, input, limits, None)
}

/// Runs `source` on `input` within `limits`, with `fetch` answered by `network` when one is
/// given (time waiting on it is not charged to `limits.time`).
pub fn run_with(
    source: &str,
    input: &Value,
    limits: Limits,
    network: Option<Arc<dyn Network>>,
) -> Result<Value, SandboxError> {
    let rt = Runtime::new().map_err(|e| SandboxError::Engine(e.to_string()))?;
    rt.set_memory_limit(limits.memory);
    rt.set_max_stack_size(512 * 1024);
    let waited = fetch::Waited::default();
    let started = Instant::now();
    let budget = limits.time;
    let out_of_time = {
        let waited = waited.clone();
        move || started.elapsed() >= budget + waited.get()
    };
    let interrupt = out_of_time.clone();
    rt.set_interrupt_handler(Some(Box::new(interrupt)));
    let ctx = Context::custom::<(Eval, RegExpCompiler, RegExp, Json, MapSet, Promise)>(&rt)
        .map_err(|e| SandboxError::Engine(e.to_string()))?;
    let module_shape = is_module_shape(source);
    let script = if module_shape {
        unexport(source)
    } else {
        source.to_string()
    };
    let input_json = input.to_string();
    let result: Result<Option<String>, SandboxError> = ctx.with(|ctx| {
        let fail = |ctx: &Ctx<'_>, e: rquickjs::Error| classify(ctx, e, &out_of_time, limits);
        let globals = ctx.globals();
        // No randomness: a decision must give the same answer on replay.
        let _ = ctx.eval::<(), _>("delete Math.random;");
        if let Some(network) = network {
            fetch::install(&ctx, network, waited.clone()).map_err(|e| fail(&ctx, e))?;
        }
        let value = ctx
            .json_parse(input_json.clone())
            .map_err(|e| fail(&ctx, e))?;
        globals
            .set("inputData", value.clone())
            .map_err(|e| fail(&ctx, e))?;
        globals
            .set("input", value.clone())
            .map_err(|e| fail(&ctx, e))?;
        let mut opts = EvalOptions::default();
        // Zapier code assigns the undeclared global `output`: that needs sloppy mode.
        opts.strict = false;
        opts.filename = Some("policy.js".into());
        let completion: rquickjs::Value = ctx
            .eval_with_options(script.into_bytes(), opts)
            .map_err(|e| fail(&ctx, e))?;
        let out: rquickjs::Value = if module_shape {
            call_default(&ctx, value, &fail)?
        } else {
            let o: rquickjs::Value = globals.get("output").map_err(|e| fail(&ctx, e))?;
            if o.is_undefined() { completion } else { o }
        };
        let out = settle(&ctx, out, &fail)?;
        if out.is_undefined() {
            return Ok(None);
        }
        let s = ctx.json_stringify(out).map_err(|e| fail(&ctx, e))?;
        Ok(match s {
            Some(s) => Some(
                s.to_string()
                    .map_err(|e| SandboxError::Output(e.to_string()))?,
            ),
            None => None,
        })
    });
    // Pending jobs (e.g. a rejected dynamic `import()`) hold objects; finish them so the
    // runtime can be freed. The interrupt deadline still bounds them.
    let mut guard = 0;
    while rt.is_job_pending() && guard < 10_000 {
        let _ = rt.execute_pending_job();
        guard += 1;
    }
    match result? {
        None => Ok(Value::Null),
        Some(text) => serde_json::from_str(&text).map_err(|e| SandboxError::Output(e.to_string())),
    }
}

/// An engine error as the sandbox's: a timeout when the budget is spent, out of memory, or the
/// script's own message. Always takes the pending exception: one left in the context keeps
/// objects alive past the runtime's end.
fn classify(
    ctx: &Ctx<'_>,
    e: rquickjs::Error,
    out_of_time: &dyn Fn() -> bool,
    limits: Limits,
) -> SandboxError {
    let exc = ctx.catch();
    if out_of_time() {
        return SandboxError::Timeout(limits.time);
    }
    let msg = if matches!(e, rquickjs::Error::Exception) {
        exc.as_exception()
            .map(|x| x.message().unwrap_or_default())
            .or_else(|| exc.as_string().and_then(|s| s.to_string().ok()))
            .unwrap_or_else(|| "uncaught exception".into())
    } else {
        e.to_string()
    };
    drop(exc);
    if msg.contains("out of memory") || matches!(e, rquickjs::Error::Allocation) {
        SandboxError::OutOfMemory(limits.memory)
    } else {
        SandboxError::Script(msg)
    }
}

type Fail<'a, 'js> = &'a dyn Fn(&Ctx<'js>, rquickjs::Error) -> SandboxError;

/// Calls the script's `export default` function with the input. A policy reads its input
/// directly (`decide(input)`); Zapier's module style destructures it (`main({inputData})`).
/// Both work: the input object also has itself as a non-enumerable `inputData` (invisible to
/// keys and JSON).
fn call_default<'js>(
    ctx: &Ctx<'js>,
    input: rquickjs::Value<'js>,
    fail: Fail<'_, 'js>,
) -> Result<rquickjs::Value<'js>, SandboxError> {
    let f: rquickjs::Value = ctx
        .globals()
        .get("__claw_default")
        .map_err(|e| fail(ctx, e))?;
    let f = f.into_function().ok_or_else(|| {
        SandboxError::Script("`export default` must be a function taking the input".into())
    })?;
    let both: rquickjs::Function = ctx
        .eval(
            "(function (v) { if (v !== null && typeof v === 'object' && !('inputData' in v)) \
             { Object.defineProperty(v, 'inputData', { value: v, enumerable: false }); } \
             return v; })",
        )
        .map_err(|e| fail(ctx, e))?;
    let arg: rquickjs::Value = both.call((input,)).map_err(|e| fail(ctx, e))?;
    f.call((arg,)).map_err(|e| fail(ctx, e))
}

/// The value of a result, a promise settled first: Zapier's module-style code is `export
/// default async function main(...)`, its promise settled by running the job queue (the
/// interrupt deadline still bounds it). A rejection is the script's error; a promise nothing
/// can settle (it awaits what never comes) is one too, not an empty object.
fn settle<'js>(
    ctx: &Ctx<'js>,
    out: rquickjs::Value<'js>,
    fail: Fail<'_, 'js>,
) -> Result<rquickjs::Value<'js>, SandboxError> {
    match out.as_promise() {
        Some(p) => match p.finish::<rquickjs::Value>() {
            Err(rquickjs::Error::WouldBlock) => Err(SandboxError::Script(
                "the code awaits something that never settles".into(),
            )),
            r => r.map_err(|e| fail(ctx, e)),
        },
        None => Ok(out),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn quick() -> Limits {
        Limits {
            memory: 16 * 1024 * 1024,
            time: Duration::from_millis(300),
        }
    }

    #[test]
    fn zapier_shape() {
        let out = run(
            "output = [{x: inputData.a + 1}]",
            &json!({"a": 41}),
            quick(),
        )
        .unwrap();
        assert_eq!(out, json!([{"x": 42}]));
    }

    #[test]
    fn policy_shape() {
        let src = "export default function decide(input) {\n  return { big: input.n > 10 };\n}\n";
        assert_eq!(
            run(src, &json!({"n": 11}), quick()).unwrap(),
            json!({"big": true})
        );
    }

    /// Zapier's module style: `export default async function main({inputData})`.
    #[test]
    fn async_module_code_gives_its_resolved_value() {
        let src = "export default async function main({inputData}) {\n  const n = await Promise.resolve(inputData.x);\n  return {a: n + 1};\n}\n";
        assert_eq!(
            run(src, &json!({"x": 1}), quick()).unwrap(),
            json!({"a": 2})
        );
        let src =
            "export default async function main({inputData}) {\n  throw new Error('nope');\n}\n";
        assert_eq!(
            run(src, &json!({}), quick()),
            Err(SandboxError::Script("nope".into()))
        );
        let src = "export default async function main() {\n  await new Promise(() => {});\n  return {};\n}\n";
        assert!(matches!(
            run(src, &json!({}), quick()),
            Err(SandboxError::Script(_))
        ));
    }

    /// Without a network (policies, or `run`), `fetch` does not exist: the script fails,
    /// rather than giving the empty object an unsettled promise would serialise to.
    #[test]
    fn fetch_in_async_code_fails() {
        let src = "export default async function main() {\n  const r = await fetch('http://127.0.0.1:1/');\n  return {s: r.status};\n}\n";
        let e = run(src, &json!({}), quick()).unwrap_err();
        assert!(
            matches!(&e, SandboxError::Script(m) if m.contains("fetch")),
            "{e:?}"
        );
    }

    #[test]
    fn infinite_loop_is_stopped() {
        let e = run("while (true) {}", &json!({}), quick()).unwrap_err();
        assert!(matches!(e, SandboxError::Timeout(_)), "{e:?}");
    }

    #[test]
    fn huge_allocation_fails_cleanly() {
        let e = run(
            "let a = []; for (;;) { a.push(new Array(100000).fill(1)); }",
            &json!({}),
            Limits {
                memory: 8 * 1024 * 1024,
                time: Duration::from_secs(5),
            },
        )
        .unwrap_err();
        assert!(matches!(e, SandboxError::OutOfMemory(_)), "{e:?}");
    }

    #[test]
    fn no_clock_random_network_or_files() {
        for src in [
            "output = Date.now()",
            "output = Math.random()",
            "output = performance.now()",
            "output = fetch('http://127.0.0.1:1/')",
            "output = require('fs').readFileSync('/etc/passwd')",
            "output = new XMLHttpRequest()",
        ] {
            let r = run(src, &json!({}), quick());
            assert!(matches!(r, Err(SandboxError::Script(_))), "{src}: {r:?}");
        }
    }

    #[test]
    fn dynamic_import_reaches_no_module() {
        // No module loader is installed: the import promise can only reject, and the
        // script sees no module object.
        let out = run(
            "var got = 'none'; import('os').then(m => { got = typeof m.open; }); output = got",
            &json!({}),
            quick(),
        )
        .unwrap();
        assert_eq!(out, json!("none"));
    }

    #[test]
    fn syntax_errors_are_script_errors() {
        assert!(matches!(
            run("output = (", &json!({}), quick()),
            Err(SandboxError::Script(_))
        ));
    }
}
