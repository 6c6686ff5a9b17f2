//! The front end survives any input: arbitrary bytes, YAML-shaped noise and mutated real
//! systems go through `check_text` (parse, validate, lint) and `to_claw`/`render` without
//! a panic, and every diagnostic it reports is located inside the text.

use proptest::prelude::*;

fn samples() -> Vec<String> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut out = Vec::new();
    for dir in ["samples/systems", "samples/broken"] {
        let mut files: Vec<_> = std::fs::read_dir(root.join(dir))
            .expect("samples exist")
            .map(|e| e.expect("entry").path())
            .filter(|p| p.extension().is_some_and(|x| x == "claw"))
            .collect();
        files.sort();
        out.extend(
            files
                .iter()
                .map(|p| std::fs::read_to_string(p).expect("readable")),
        );
    }
    out
}

/// Runs the whole front end the way `claw check` and `claw fmt` do, and checks its output.
fn run(text: &str) {
    let checked = claw_language::check_text(text, Some("fuzz.claw"), None);
    for d in &checked.diagnostics {
        if let Some(s) = d.span {
            assert!(s.offset + s.len <= text.len(), "span past the end: {d}");
            assert!(
                text.is_char_boundary(s.offset),
                "span inside a character: {d}"
            );
            assert!(s.line >= 1 && s.column >= 1, "unlocated: {d}");
        }
    }
    let rendered = claw_language::diag::render(&checked.diagnostics, text, false);
    assert_eq!(rendered.is_empty(), checked.diagnostics.is_empty());
    let _ = claw_language::diag::to_json(&checked.diagnostics);
    if let Some(sys) = &checked.system {
        // fmt writes whatever parsed; what it writes must parse back to the same model.
        let parsed = claw_language::parse::parse(text);
        if parsed.diagnostics.iter().all(|d| !d.is_error()) {
            let out = claw_language::write::to_claw(sys);
            let back = claw_language::parse::parse(&out);
            assert_eq!(
                back.system.as_ref(),
                Some(sys),
                "fmt changed the model:\n{out}"
            );
        }
        let _ = claw_language::draw::dot(sys);
    }
}

const TOKENS: &[&str] = &[
    "system: ",
    "version: ",
    "triggers:",
    "decisions:",
    "execution:",
    "data:",
    "observability:",
    "  - ",
    "- ",
    ": ",
    ":",
    "\n",
    "  ",
    "    ",
    "      ",
    "\t",
    "#",
    "---",
    "...",
    "[",
    "]",
    "{",
    "}",
    ",",
    "'",
    "\"",
    "&a ",
    "*a",
    "!tag ",
    "!!str ",
    "|",
    ">",
    "? ",
    "on",
    "yes",
    "no",
    "~",
    "null",
    "1.0",
    "0x1f",
    "source: webhook",
    "source: schedule",
    "schedule: 61 * * * *",
    "when: order.total >",
    "when: ",
    "rules:",
    "- if: ",
    "then:",
    "policy: ./p.cel",
    "emits: x",
    "on: x.succeeded",
    "action: http.post",
    "with:",
    "\"{{ steps.a.output }}\"",
    "{{",
    "}}",
    "\\{{",
    "retries: 3",
    "retries: -1",
    "timeout: 5",
    "dead_letter: q",
    "events:",
    "store: s",
    "retention: 1d",
    "slo:",
    "error_rate: <1%",
    "alerts:",
    "route: slack://x",
    "é",
    "🦀",
    "\r\n",
    "\u{feff}",
    "%YAML 1.2",
    "<<: *a",
    "steps.",
    "payload",
    "a",
    "b",
    "x",
];

fn yamlish() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(TOKENS), 0..80).prop_map(|v| v.concat())
}

/// A real system with a few random edits: deletions, insertions, replacements.
fn mutated() -> impl Strategy<Value = String> {
    let s = samples();
    (
        prop::sample::select(s),
        prop::collection::vec(
            (
                any::<prop::sample::Index>(),
                0u8..3,
                prop::sample::select(TOKENS),
            ),
            1..6,
        ),
    )
        .prop_map(|(text, edits)| {
            let mut t = text.into_bytes();
            for (at, kind, tok) in edits {
                if t.is_empty() {
                    t.extend_from_slice(tok.as_bytes());
                    continue;
                }
                let i = at.index(t.len());
                match kind {
                    0 => {
                        let end = (i + 1 + tok.len() % 7).min(t.len());
                        t.drain(i..end);
                    }
                    1 => {
                        t.splice(i..i, tok.bytes());
                    }
                    _ => {
                        let end = (i + tok.len()).min(t.len());
                        t.splice(i..end, tok.bytes());
                    }
                }
            }
            String::from_utf8_lossy(&t).into_owned()
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1024, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        run(&String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn arbitrary_text(text in "\\PC{0,300}") {
        run(&text);
    }

    #[test]
    fn yaml_shaped_noise(text in yamlish()) {
        run(&text);
    }

    #[test]
    fn mutated_real_systems(text in mutated()) {
        run(&text);
    }
}

#[test]
fn deep_nesting_is_refused_without_overflow() {
    // saphyr loads block collections recursively; the loader must refuse deep documents
    // before that recursion can exhaust a 2 MiB test-thread stack.
    let block = |depth: usize| {
        format!(
            "with:\n{}",
            (1..=depth)
                .map(|i| format!("{}k:\n", " ".repeat(i)))
                .collect::<String>()
        )
    };
    let flow = |depth: usize| format!("{}{}", "[".repeat(depth), "]".repeat(depth));
    for depth in [64usize, 65, 512, 20_000] {
        for text in [block(depth), flow(depth), "- ".repeat(depth)] {
            run(&text);
            let checked = claw_language::check_text(&text, None, None);
            if depth > claw_language::yaml::MAX_DEPTH {
                assert_eq!(checked.diagnostics[0].code, "claw::yaml");
            }
        }
    }
}
