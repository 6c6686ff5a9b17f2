//! Arbitrary text into the crontab readers never panics.

use claw_importers::crontab::{self, Options, RawInput, anacrontab, credentials, lines, shell};
use proptest::prelude::*;

fn cronish() -> impl Strategy<Value = String> {
    let line = prop_oneof![
        "[0-9*/,-]{1,6} [0-9*/,-]{1,6} [0-9*/,a-z-]{1,6} [0-9*a-z,-]{1,5} [0-9*a-z,-]{1,5}( root)? [ -~]{0,40}",
        "[A-Z_]{1,8} ?= ?\"?[ -~]{0,20}\"?",
        "@[a-z]{3,8} [ -~]{0,30}",
        "(test -x|\\[ -f) /[a-z]{1,8} (\\]) ?(&&|\\|\\||;) [ -~%\\\\]{0,30}",
        "if \\[ -x /a \\]; then [ -~]{0,20}; fi",
        "[ -~\t\r%\\\\]{0,60}",
    ];
    proptest::collection::vec(line, 0..12).prop_map(|v| v.join("\n"))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn readers_never_panic(text in cronish(), any in "\\PC{0,200}") {
        for t in [&text, &any] {
            let _ = lines::parse(t, lines::Syntax::User, "t");
            let _ = lines::parse(t, lines::Syntax::System, "t");
            let _ = lines::detect_syntax(t);
            let _ = anacrontab::parse(t, "t");
            let _ = anacrontab::looks_like(t);
            let c = shell::split_percent(t);
            let _ = shell::peel_guards(&c.command);
            let spots = credentials::find_secrets(t);
            let reps: Vec<_> = spots.iter().map(|s| (s.range.clone(), "V".to_string())).collect();
            let _ = credentials::replace_secrets(t, &reps);
            let _ = shell::discards_output(t);
            let _ = shell::program_name(t);
        }
    }

    #[test]
    fn import_never_panics_and_good_output_checks(text in cronish(), skip in any::<bool>()) {
        let input = RawInput { label: "-".into(), path: None, bytes: format!("{text}\n").into_bytes(), executable: None };
        let opts = Options { skip_bad_lines: skip, ..Options::default() };
        if let Ok(imported) = crontab::import(vec![input], &opts) {
            for g in &imported.generated {
                let checked = claw_language::check_text(&claw_language::write::to_claw(&g.system), None, None);
                prop_assert!(checked.is_valid(), "{:?}", checked.diagnostics.iter().filter(|d| d.is_error()).collect::<Vec<_>>());
            }
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        let input = RawInput { label: "-".into(), path: None, bytes, executable: None };
        let _ = crontab::import(vec![input], &Options { skip_bad_lines: true, ..Options::default() });
    }
}
