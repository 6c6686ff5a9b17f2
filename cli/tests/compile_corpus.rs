//! `claw compile` on the systems imported from the shared corpus (real Zapier exports and
//! Debian crontabs, `../shared/corpus`): every imported observability layer compiles with
//! nothing left out, and the rules pass `promtool check rules` and `promtool test rules`.

use claw_compile::{Options, Target, compile, write_all};
use claw_importers::{crontab, zapier};
use claw_language::System;
use std::process::Command;

#[test]
fn corpus_systems_compile_and_pass_promtool() {
    let test = "corpus_systems_compile_and_pass_promtool";
    let (Some(zaps), Some(cron)) = (
        claw_testkit::shared::corpus("zapier", test),
        claw_testkit::shared::corpus("cron/debian", test),
    ) else {
        return;
    };
    let mut systems: Vec<System> = zapier::import(&zaps)
        .unwrap()
        .generated
        .into_iter()
        .map(|g| g.system)
        .collect();
    let inputs = crontab::collect(&cron).unwrap();
    systems.extend(
        crontab::import(inputs, &crontab::Options::default())
            .unwrap()
            .generated
            .into_iter()
            .map(|g| g.system),
    );
    // What `claw compile` reads after an import: each system as written, and checked.
    let exprs = claw_language::expr::ExprCache::default();
    let systems: Vec<System> = systems
        .iter()
        .map(|sys| {
            let text = claw_language::write::to_claw(sys);
            let checked = claw_language::check_text_with(&text, None, None, &exprs);
            checked
                .valid_system()
                .unwrap_or_else(|| panic!("{} does not check", sys.system))
                .clone()
        })
        .collect();
    let mut names: Vec<&str> = systems.iter().map(|s| s.system.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), systems.len(), "system names are unique");
    assert!(systems.len() >= 10, "{} corpus systems", systems.len());
    let refs: Vec<&System> = systems.iter().collect();
    let out = compile(&refs, Target::Prometheus, &Options::default());
    assert_eq!(out.findings, Vec::new());
    let Some(promtool) = claw_testkit::tools::tool("promtool", "prometheus", test) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    write_all(dir.path(), &out.files).unwrap();
    let (tests, rules): (Vec<&str>, Vec<&str>) = out
        .files
        .iter()
        .map(|f| f.name.as_str())
        .partition(|n| n.ends_with(".rules.test.yml"));
    for (verb, files) in [("check", rules), ("test", tests)] {
        let o = Command::new(&promtool)
            .arg(verb)
            .arg("rules")
            .args(&files)
            .current_dir(dir.path())
            .output()
            .unwrap();
        assert!(
            o.status.success(),
            "promtool {verb} rules on {} corpus systems:\n{}{}",
            systems.len(),
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        );
    }
}
