//! Every diagnostic code shadow mode reports is in the registry and documented, and no code
//! is written inline in the sources of the shadow crates.

use claw_language::diag::{registry_problems, unregistered_literals};
use claw_shadow::codes;
use std::path::Path;

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap_or_else(|| Path::new(".."))
}

#[test]
fn every_code_is_documented_with_its_fix() {
    let doc = std::fs::read_to_string(repo().join("docs/diagnostics.md")).unwrap();
    assert_eq!(registry_problems(codes::ALL, &doc), Vec::<String>::new());
}

#[test]
fn no_code_is_written_outside_the_registry() {
    for dir in ["shadow/src", "compare/src"] {
        let found = unregistered_literals(&repo().join(dir), codes::ALL);
        assert_eq!(found, Vec::<String>::new(), "in {dir}");
    }
}

#[test]
fn every_error_reports_a_registered_code() {
    let io = || std::io::Error::new(std::io::ErrorKind::NotFound, "gone");
    let errors = [
        claw_shadow::ShadowError::Usage("no legacy input".into()),
        claw_shadow::ShadowError::Runtime(io()),
        claw_shadow::ShadowError::Listen {
            addr: "127.0.0.1:1".into(),
            source: io(),
        },
        claw_shadow::ShadowError::Io {
            path: "x".into(),
            source: io(),
        },
    ];
    for e in &errors {
        assert!(codes::ALL.contains(&e.registered()), "{e}");
        assert_eq!(e.code(), e.registered().id);
    }
    assert_eq!(errors[3].code(), "claw::shadow::unreadable");
    assert!(
        errors[3]
            .to_string()
            .ends_with("[claw::shadow::unreadable]")
    );
}
