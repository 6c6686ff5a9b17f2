//! Every diagnostic code the runtime (and the cli's runtime commands) reports is declared
//! in `runtime/src/codes.rs` and documented in docs/diagnostics.md.

use claw_language::diag::{registry_problems, unregistered_literals};
use claw_runtime::codes;
use std::path::Path;

#[test]
fn every_runtime_code_is_registered_and_documented() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let doc = std::fs::read_to_string(root.join("docs/diagnostics.md")).unwrap();
    assert_eq!(registry_problems(codes::ALL, &doc), Vec::<String>::new());
    for dir in ["runtime/src", "cli/src/cmd/runtime"] {
        assert_eq!(
            unregistered_literals(&root.join(dir), codes::ALL),
            Vec::<String>::new(),
            "{dir}"
        );
    }
}
