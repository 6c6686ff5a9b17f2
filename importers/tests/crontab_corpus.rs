//! Every real cron file in `../shared/corpus/cron/debian/` imports into systems that check
//! clean, with a pinned number of jobs and set of finding codes per file; and each imported
//! schedule is the legacy expression itself.

use claw_importers::crontab::{self, Options, lines};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// The Debian cron corpus, or `None` (recorded as not run) when it is absent.
fn corpus(test: &str) -> Option<PathBuf> {
    claw_testkit::shared::corpus("cron/debian", test)
}

fn corpus_files(corpus: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(corpus)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().contains("__"))
        })
        .collect();
    v.sort();
    v
}

/// (file, jobs, finding codes other than the language lints).
const PINNED: &[(&str, usize, &[&str])] = &[
    (
        "anacron__etc_anacrontab",
        3,
        &[
            "anacron_schedule",
            "cron_no_lock",
            "cron_rerun_unsafe",
            "cron_run_as",
            "cron_run_parts",
        ],
    ),
    (
        "anacron__etc_cron.d_anacron",
        1,
        &[
            "cron_guard",
            "cron_no_lock",
            "cron_rerun_unsafe",
            "cron_run_as",
            "cron_systemd_fallback",
        ],
    ),
    (
        "anacron__etc_cron.daily_0anacron",
        1,
        &["cron_default_schedule", "cron_rerun_unsafe", "cron_run_as"],
    ),
    (
        "anacron__etc_cron.monthly_0anacron",
        1,
        &["cron_default_schedule", "cron_rerun_unsafe", "cron_run_as"],
    ),
    (
        "anacron__etc_cron.weekly_0anacron",
        1,
        &["cron_default_schedule", "cron_rerun_unsafe", "cron_run_as"],
    ),
    (
        "apt__etc_cron.daily_apt-compat",
        1,
        &[
            "cron_default_schedule",
            "cron_rerun_unsafe",
            "cron_run_as",
            "cron_systemd_fallback",
        ],
    ),
    (
        "awstats__etc_cron.d_awstats",
        2,
        &[
            "cron_collision",
            "cron_guard",
            "cron_no_lock",
            "cron_rerun_unsafe",
            "cron_run_as",
        ],
    ),
    (
        "certbot__etc_cron.d_certbot",
        1,
        &[
            "cron_guard",
            "cron_no_lock",
            "cron_rerun_unsafe",
            "cron_run_as",
            "cron_systemd_fallback",
        ],
    ),
    (
        "cron-daemon-common__etc_crontab",
        4,
        &[
            "cron_guard",
            "cron_no_lock",
            "cron_rerun_unsafe",
            "cron_run_as",
            "cron_run_parts",
        ],
    ),
    (
        "debsums__etc_cron.daily_debsums",
        1,
        &["cron_default_schedule", "cron_rerun_unsafe", "cron_run_as"],
    ),
    (
        "debsums__etc_cron.monthly_debsums",
        1,
        &["cron_default_schedule", "cron_rerun_unsafe", "cron_run_as"],
    ),
    (
        "debsums__etc_cron.weekly_debsums",
        1,
        &["cron_default_schedule", "cron_rerun_unsafe", "cron_run_as"],
    ),
    (
        "dpkg__etc_cron.daily_dpkg",
        1,
        &[
            "cron_default_schedule",
            "cron_rerun_unsafe",
            "cron_run_as",
            "cron_systemd_fallback",
        ],
    ),
    (
        "e2fsprogs__etc_cron.d_e2scrub_all",
        2,
        &[
            "cron_guard",
            "cron_no_lock",
            "cron_rerun_unsafe",
            "cron_run_as",
            "cron_systemd_fallback",
        ],
    ),
    (
        "ganeti__etc_cron.d_ganeti",
        4,
        &[
            "cron_collision",
            "cron_guard",
            "cron_no_lock",
            "cron_reboot",
            "cron_rerun_unsafe",
            "cron_run_as",
        ],
    ),
    (
        "logcheck__etc_cron.d_logcheck",
        2,
        &[
            "cron_guard",
            "cron_no_lock",
            "cron_reboot",
            "cron_rerun_unsafe",
            "cron_run_as",
        ],
    ),
    (
        "logrotate__etc_cron.daily_logrotate",
        1,
        &[
            "cron_default_schedule",
            "cron_rerun_unsafe",
            "cron_run_as",
            "cron_systemd_fallback",
        ],
    ),
    (
        "man-db__etc_cron.daily_man-db",
        1,
        &[
            "cron_default_schedule",
            "cron_rerun_unsafe",
            "cron_run_as",
            "cron_systemd_fallback",
        ],
    ),
    (
        "man-db__etc_cron.weekly_man-db",
        1,
        &[
            "cron_default_schedule",
            "cron_rerun_unsafe",
            "cron_run_as",
            "cron_systemd_fallback",
        ],
    ),
    (
        "mdadm__etc_cron.d_mdadm",
        1,
        &[
            "cron_guard",
            "cron_no_lock",
            "cron_rerun_unsafe",
            "cron_run_as",
        ],
    ),
    (
        "mdadm__etc_cron.daily_mdadm",
        1,
        &["cron_default_schedule", "cron_rerun_unsafe", "cron_run_as"],
    ),
    (
        "munin__etc_cron.d_munin",
        4,
        &[
            "cron_guard",
            "cron_no_lock",
            "cron_rerun_unsafe",
            "cron_run_as",
        ],
    ),
    (
        "php-common__etc_cron.d_php",
        1,
        &[
            "cron_guard",
            "cron_no_lock",
            "cron_rerun_unsafe",
            "cron_run_as",
            "cron_systemd_fallback",
        ],
    ),
    (
        "popularity-contest__etc_cron.daily_popularity-contest",
        1,
        &["cron_default_schedule", "cron_rerun_unsafe", "cron_run_as"],
    ),
    (
        "sysstat__etc_cron.d_sysstat",
        2,
        &[
            "cron_guard",
            "cron_no_lock",
            "cron_rerun_unsafe",
            "cron_run_as",
        ],
    ),
    (
        "sysstat__etc_cron.daily_sysstat",
        1,
        &[
            "cron_default_schedule",
            "cron_rerun_unsafe",
            "cron_run_as",
            "cron_systemd_fallback",
        ],
    ),
    (
        "zfsutils-linux__etc_cron.d_zfsutils-linux",
        2,
        &[
            "cron_guard",
            "cron_no_lock",
            "cron_rerun_unsafe",
            "cron_run_as",
        ],
    ),
];

fn codes(findings: &[claw_importers::findings::Finding]) -> BTreeSet<String> {
    findings
        .iter()
        .filter_map(|f| f.code.strip_prefix("claw::import::"))
        .map(str::to_string)
        .collect()
}

#[test]
fn every_corpus_file_imports_and_checks_clean_with_pinned_findings() {
    let Some(corpus) = corpus("every_corpus_file_imports_and_checks_clean_with_pinned_findings")
    else {
        return;
    };
    let files = corpus_files(&corpus);
    let names: Vec<String> = files
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    let pinned: Vec<&str> = PINNED.iter().map(|p| p.0).collect();
    assert_eq!(
        names, pinned,
        "the corpus and the pinned table list different files"
    );
    let mut diffs = Vec::new();
    for (path, (name, jobs, expected)) in files.iter().zip(PINNED) {
        let inputs = crontab::collect(path).unwrap();
        let imported =
            crontab::import(inputs, &Options::default()).unwrap_or_else(|e| panic!("{name}: {e}"));
        for g in &imported.generated {
            let text = claw_language::write::to_claw(&g.system);
            let checked = claw_language::check_text(&text, Some(name), None);
            assert!(
                checked.is_valid(),
                "{name}: {:?}",
                checked
                    .diagnostics
                    .iter()
                    .filter(|d| d.is_error())
                    .collect::<Vec<_>>()
            );
        }
        let got = codes(&imported.findings);
        let want: BTreeSet<String> = expected.iter().map(|s| s.to_string()).collect();
        if imported.jobs != *jobs || got != want {
            diffs.push(format!("(\"{name}\", {}, &{:?}),", imported.jobs, got));
        }
    }
    assert!(
        diffs.is_empty(),
        "pinned corpus results changed; actual rows:\n{}",
        diffs.join("\n")
    );
}

#[test]
fn the_whole_corpus_imports_as_one_host() {
    let Some(corpus) = corpus("the_whole_corpus_imports_as_one_host") else {
        return;
    };
    let imported =
        crontab::import(crontab::collect(&corpus).unwrap(), &Options::default()).unwrap();
    // The anacrontab claims cron.daily/weekly/monthly: their scripts are its steps.
    let ana = imported
        .generated
        .iter()
        .find(|g| g.system.system == "anacron-etc-anacrontab")
        .unwrap();
    let scripts: Vec<&str> = ana
        .system
        .execution
        .iter()
        .filter_map(|x| x.legacy.get("script").map(String::as_str))
        .collect();
    assert_eq!(
        scripts.first(),
        Some(&"/etc/cron.daily/0anacron"),
        "run-parts order is C-locale byte order"
    );
    assert!(scripts.contains(&"/etc/cron.monthly/debsums"));
    let disabled: Vec<&str> = ana
        .system
        .execution
        .iter()
        .filter(|x| !x.is_enabled())
        .map(|x| x.name.as_str())
        .collect();
    assert!(
        disabled.contains(&"cron_daily_logrotate") && disabled.contains(&"cron_daily_apt_compat"),
        "{disabled:?}"
    );
    for g in &imported.generated {
        let checked =
            claw_language::check_text(&claw_language::write::to_claw(&g.system), None, None);
        assert!(checked.is_valid(), "{}", g.system.system);
    }
    let codes = codes(&imported.findings);
    assert!(
        codes.contains("run_parts_elsewhere"),
        "/etc/crontab's daily line defers to anacron: {codes:?}"
    );
}

#[test]
fn imported_schedules_are_the_legacy_expressions() {
    let Some(corpus) = corpus("imported_schedules_are_the_legacy_expressions") else {
        return;
    };
    let mut checked = 0;
    for path in corpus_files(&corpus) {
        let text = std::fs::read_to_string(&path).unwrap();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if !(name.contains("etc_cron.d_") || name.ends_with("etc_crontab")) {
            continue;
        }
        let parsed = lines::parse(&text, lines::Syntax::System, &name);
        let imported =
            crontab::import(crontab::collect(&path).unwrap(), &Options::default()).unwrap();
        let triggers: Vec<_> = imported
            .generated
            .iter()
            .flat_map(|g| g.system.triggers.iter())
            .collect();
        for e in &parsed.entries {
            let lines::Entry::Job(j) = e else { continue };
            let t = triggers
                .iter()
                .find(|t| t.legacy.get("line") == Some(&j.line.to_string()))
                .unwrap_or_else(|| panic!("{name}:{}: no trigger", j.line));
            if j.schedule.is_reboot() {
                assert_eq!(t.source, claw_language::Source::Manual);
                continue;
            }
            let s = t.schedule.as_deref().unwrap();
            let legacy_words: Vec<&str> = j.schedule.raw().split_whitespace().collect();
            assert!(
                s == legacy_words.join(" ") || Some(s.to_string()) == j.schedule.five_field_form(),
                "{name}:{}: {s} vs {}",
                j.line,
                j.schedule.raw()
            );
            // Same engine, same fire times.
            let a = claw_language::cron::parse(s).unwrap();
            let from = chrono::NaiveDate::from_ymd_opt(2025, 1, 1)
                .unwrap()
                .and_hms_opt(0, 0, 0)
                .unwrap();
            let mut x = from;
            let mut y = from;
            for _ in 0..20 {
                x = a.next_after(x).unwrap();
                y = j.schedule.next_after(y).unwrap();
                assert_eq!(x, y);
            }
            checked += 1;
        }
    }
    assert!(checked >= 20, "only {checked} corpus jobs compared");
}
