//! Names from non-ASCII titles: transliterated before slugging, the Zap id when nothing is
//! left, and descriptions without bidirectional control characters.

use claw_importers::zapier;
use std::path::Path;

#[test]
fn non_ascii_titles_keep_their_letters() {
    let imported = zapier::import(Path::new("../samples/zapier/unicode-titles.json"))
        .expect("the sample imports");
    let systems: Vec<&str> = imported
        .generated
        .iter()
        .map(|g| g.system.system.as_str())
        .collect();
    assert_eq!(systems[0], "unicode-zap");
    assert_eq!(
        systems[1], "zap-8102",
        "an emoji-only title: the Zap id names it"
    );
    assert_eq!(
        systems[2], "zap-8103",
        "nothing is left of the title: the Zap id names it"
    );
    assert_eq!(systems[3], "dong-jing-report");
    let steps: Vec<&str> = imported
        .generated
        .iter()
        .map(|g| g.system.execution[0].name.as_str())
        .collect();
    assert_eq!(steps[0], "grosse_prufen");
    assert_eq!(steps[3], "tong_zhi");
    for g in &imported.generated {
        assert!(!g.system.system.starts_with("s-") && !g.system.system.contains("--"));
    }
}

#[test]
fn descriptions_lose_bidirectional_controls() {
    let imported = zapier::import(Path::new("../samples/zapier/unicode-titles.json"))
        .expect("the sample imports");
    let x = &imported.generated[2].system.execution[0];
    assert_eq!(x.description.as_deref(), Some("Pay 3201 invoices"));
    let claw = claw_language::write::to_claw(&imported.generated[2].system);
    for c in ['\u{202E}', '\u{202C}', '\u{2066}', '\u{2069}'] {
        assert!(!claw.contains(c), "{c:?} in the output:\n{claw}");
    }
}
