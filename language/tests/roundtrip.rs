//! Round trip of the canonical writer: for any system inside
//! `claw_language::canonical::round_trips`, `parse(to_claw(s)) == s`, the text parses without a
//! single diagnostic, and writing is idempotent (`fmt` twice = once). The systems come from
//! `support/systems.rs`.

mod support;

use claw_language::canonical::round_trips;
use claw_language::write::to_claw;
use proptest::prelude::*;
use support::systems::system;

proptest! {
    // Systems outside round_trips are rejected, not failed: allow for them.
    #![proptest_config(ProptestConfig { cases: 512, max_global_rejects: 4096, ..ProptestConfig::default() })]

    #[test]
    fn parse_of_write_is_identity(sys in system()) {
        // The claim `canonical` rests on, over the systems it says it covers.
        prop_assume!(round_trips(&sys));
        let text = to_claw(&sys);
        let parsed = claw_language::parse::parse(&text);
        prop_assert!(
            parsed.diagnostics.is_empty(),
            "canonical text does not parse cleanly: {:?}\n---\n{text}",
            parsed.diagnostics.iter().map(ToString::to_string).collect::<Vec<_>>()
        );
        let back = parsed.system.expect("a system");
        prop_assert_eq!(&back, &sys, "round trip changed the model\n---\n{}", text);
    }

    #[test]
    fn writing_is_idempotent(sys in system()) {
        prop_assume!(round_trips(&sys));
        let once = to_claw(&sys);
        let back = claw_language::parse::parse(&once).system.expect("a system");
        let twice = to_claw(&back);
        prop_assert_eq!(once, twice);
    }

    #[test]
    fn checking_any_system_never_panics(sys in system()) {
        // Validation and lints run on whatever an importer could build.
        let _ = claw_language::check_system(&sys, None);
        let _ = claw_language::draw::dot(&sys);
        let _ = claw_language::draw::mermaid(&sys);
    }
}

#[test]
fn samples_round_trip() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../samples/systems");
    for entry in std::fs::read_dir(&dir).expect("samples/systems exists") {
        let p = entry.expect("entry").path();
        if p.extension().is_none_or(|x| x != "claw") {
            continue;
        }
        let text = std::fs::read_to_string(&p).expect("readable");
        let sys = claw_language::parse::parse(&text).system.expect("parses");
        let out = to_claw(&sys);
        let again = claw_language::parse::parse(&out)
            .system
            .expect("canonical form parses");
        assert_eq!(again, sys, "{}", p.display());
        assert_eq!(to_claw(&again), out, "{}", p.display());
    }
}
