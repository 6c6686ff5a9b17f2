//! `claw fmt` output is pinned: `golden/fmt/<name>.claw` is the canonical form of each
//! `samples/systems/<name>.claw`. The samples are kept canonical themselves (so
//! `claw fmt --check samples/systems` passes), and the seed `dispatch.claw` stays
//! byte-identical to the announcement example.
//! Accept an intended change with `CLAW_BLESS=1 cargo test -p claw-language --test golden_fmt`.

mod support;

use support::{claw_files, compare, finish, repo_root, stem};

#[test]
fn canonical_forms_match_golden() {
    let root = repo_root();
    let files = claw_files(&root.join("samples/systems"));
    assert!(files.len() >= 5, "at least five sample systems");
    let mut failures = Vec::new();
    for f in &files {
        let name = stem(f);
        let text = std::fs::read_to_string(f).expect("readable");
        let parsed = claw_language::parse::parse(&text);
        assert!(
            parsed.diagnostics.is_empty(),
            "{name}: {:?}",
            parsed.diagnostics
        );
        let canonical = claw_language::write::to_claw(&parsed.system.expect("a system"));
        if let Some(msg) = compare(&root.join(format!("golden/fmt/{name}.claw")), &canonical) {
            failures.push(msg);
        }
        if canonical != text {
            failures.push(format!(
                "samples/systems/{name}.claw is not in canonical form"
            ));
        }
    }
    finish(failures);
}

#[test]
fn dispatch_is_the_announcement_example() {
    let root = repo_root();
    let seed = std::fs::read_to_string(root.join("../shared/seeds/openclaw-announcement.txt"))
        .expect("the announcement is in ../shared");
    let start = seed.find("system: dispatch").expect("example start");
    let end_marker = "route: slack://ops-oncall";
    let end = seed[start..].find(end_marker).expect("example end") + start + end_marker.len();
    let example = format!("{}\n", &seed[start..end]);
    let sample =
        std::fs::read_to_string(root.join("samples/systems/dispatch.claw")).expect("sample");
    assert_eq!(sample, example);
    let checked = claw_language::check_text(&sample, None, Some(&root.join("samples/systems")));
    assert!(checked.is_valid(), "{:?}", checked.diagnostics);
}
