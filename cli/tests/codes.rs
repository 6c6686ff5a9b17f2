//! The command line prints only registered diagnostic codes: every `"claw::…"` literal under
//! cli/src is declared in one of the crates' registries (and so documented in docs/diagnostics.md,
//! which each crate's own test checks).

use claw_language::diag::{Code, unregistered_literals};

fn every_registry() -> Vec<Code> {
    [
        claw_language::codes::ALL,
        claw_importers::codes::ALL,
        claw_importers::zapier::codes::ALL,
        claw_importers::crontab::codes::ALL,
        claw_importers::sheet::codes::ALL,
        claw_runtime::codes::ALL,
        claw_shadow::codes::ALL,
        claw_compile::codes::ALL,
    ]
    .concat()
}

#[test]
fn the_cli_prints_only_registered_codes() {
    let all = every_registry();
    assert!(all.len() > 150, "only {} codes found", all.len());
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let stray = unregistered_literals(&src, &all);
    assert!(
        stray.is_empty(),
        "codes printed by the cli but in no registry: {stray:#?}"
    );
}
