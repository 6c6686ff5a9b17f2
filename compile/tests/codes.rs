//! Every diagnostic code `claw compile` reports is declared in `compile/src/codes.rs` and
//! documented in docs/diagnostics.md.

use claw_compile::codes;
use claw_language::diag::{registry_problems, unregistered_literals};
use std::path::Path;

#[test]
fn every_compile_code_is_registered_and_documented() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let doc = std::fs::read_to_string(root.join("docs/diagnostics.md")).unwrap();
    assert_eq!(registry_problems(codes::ALL, &doc), Vec::<String>::new());
    for dir in ["compile/src", "cli/src/cmd/compile.rs"] {
        assert_eq!(
            unregistered_literals(&root.join(dir), codes::ALL),
            Vec::<String>::new(),
            "{dir}"
        );
    }
}
