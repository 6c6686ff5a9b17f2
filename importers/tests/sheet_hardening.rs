//! Spreadsheet shapes that used to be misread: header synonyms matched as word prefixes, prose
//! cells with commas split into alternatives, and a register with no rows reported as no register.

use claw_importers::sheet::{self, Options};
use std::path::{Path, PathBuf};

fn sample(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../samples/sheets")
        .join(rel)
}

#[test]
fn a_quantity_column_is_not_a_trigger_column() {
    // "On-hand Qty" once matched the trigger synonym `on`: every row became a webhook trigger.
    match sheet::import(&sample("bad/inventory.csv"), &Options::default()) {
        Ok(imported) => {
            for g in &imported.generated {
                assert!(
                    g.system.triggers.len() < 3,
                    "an inventory table became {} triggers",
                    g.system.triggers.len()
                );
            }
        }
        Err(e) => {
            assert_eq!(e.code(), "claw::import::sheet_no_convention", "{e}");
            assert!(e.to_string().contains("On-hand Qty"), "{e}");
        }
    }
}

#[test]
fn commas_in_a_cell_are_text_unless_it_is_a_list() {
    let imported =
        sheet::import(&sample("kit-rules.csv"), &Options::default()).expect("the sample imports");
    let d = &imported.generated[0].system.decisions[0];
    let rules = serde_json::to_string(&d.logic).expect("rules serialise");
    assert!(
        rules.contains("kit == 'Machine complete, with ventilator, monitor'"),
        "{rules}"
    );
    assert!(rules.contains("region in ['EU', 'UK']"), "{rules}");
    assert!(
        rules.contains("kit in ['Machine complete', 'Monitor only']"),
        "{rules}"
    );
    assert!(
        !rules.contains("'monitor']"),
        "the bare word is no alternative: {rules}"
    );
}

#[test]
fn a_register_with_a_header_and_no_rows_says_so() {
    let e = sheet::import(&sample("bad/header-only.csv"), &Options::default())
        .expect_err("nothing to import");
    let msg = e.to_string();
    assert!(
        msg.contains("header row") && msg.contains("recognised") && msg.contains("no rows"),
        "{msg}"
    );
    assert!(!msg.contains("no worksheet looks like"), "{msg}");
}
