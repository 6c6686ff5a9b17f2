//! Crontab shapes that used to be imported wrong or silently: MAILTO with several words, `%`
//! cutting a shell construct, CRLF line endings, and a crontab of comments only.

use claw_importers::crontab::{self, Options};
use claw_importers::findings::Finding;
use std::path::{Path, PathBuf};

fn sample(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../samples/crontab/hardening")
        .join(name)
}

fn import(name: &str) -> crontab::Imported {
    let inputs = crontab::collect(&sample(name)).expect("the sample is readable");
    crontab::import(inputs, &Options::default()).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn with_code<'a>(findings: &'a [Finding], code: &str) -> Vec<&'a Finding> {
    findings.iter().filter(|f| f.code == code).collect()
}

fn routes(imported: &crontab::Imported) -> Vec<String> {
    let mut r: Vec<String> = imported
        .generated
        .iter()
        .flat_map(|g| g.system.observability.alerts.iter())
        .filter_map(|a| a.route.clone())
        .collect();
    r.sort();
    r
}

#[test]
fn mailto_gives_one_route_per_real_address_and_invents_none() {
    let imported = import("mailto-several.crontab");
    assert_eq!(
        routes(&imported),
        [
            "email://dba@example.com",
            "email://oncall@example.org",
            "email://ops@example.com",
            "email://root@localhost",
        ]
    );
    let broken = with_code(&imported.findings, "claw::import::cron_mailto_broken");
    assert_eq!(broken.len(), 1, "{broken:#?}");
    assert!(
        broken[0].message.contains("`HOME=/`"),
        "{}",
        broken[0].message
    );
    assert_eq!(broken[0].origin.line, Some(5));
    for g in &imported.generated {
        let diags = claw_language::check_system(&g.system, None);
        assert!(!diags.iter().any(|d| d.is_error()), "{diags:?}");
    }
}

#[test]
fn a_percent_inside_a_shell_construct_is_reported_where_it_is() {
    let imported = import("percent-inside.crontab");
    let split = with_code(&imported.findings, "claw::import::cron_percent_split");
    let at: Vec<(Option<usize>, Option<usize>)> = split
        .iter()
        .map(|f| (f.origin.line, f.origin.column))
        .collect();
    // `$(date +%F)`, `$((100 % 7))`, `` `date +%s` `` and `"disk at 90% full"`; the escaped
    // `\%` of the last line is no cut.
    assert_eq!(
        at,
        [
            (Some(3), Some(40)),
            (Some(4), Some(24)),
            (Some(5), Some(36)),
            (Some(6), Some(30)),
        ],
        "{split:#?}"
    );
    assert!(
        split[0].message.contains("inside $(…)"),
        "{}",
        split[0].message
    );
    assert!(
        split[0]
            .message
            .contains("ran `tar czf /backup/home-$(date +`"),
        "{}",
        split[0].message
    );
    assert!(split[1].message.contains("$((…))"));
    assert!(split[2].message.contains("`…`"));
    assert!(split[3].message.contains("\"…\""));
}

#[test]
fn crlf_keeps_the_carriage_return_as_cron_does() {
    let imported = import("crlf.crontab");
    let cr = with_code(&imported.findings, "claw::import::cron_cr");
    assert_eq!(cr.len(), 1);
    assert!(
        cr[0].message.contains("imported unchanged"),
        "{}",
        cr[0].message
    );
    let g = &imported.generated[0];
    let step = &g.system.execution[0];
    assert_eq!(step.with["command"], "/usr/local/bin/report --all\r");
    // The written system says so too, and reads back the same.
    let text = claw_language::write::to_claw(&g.system);
    assert!(
        text.contains(r#"command: "/usr/local/bin/report --all\r""#),
        "{text}"
    );
    let back = claw_language::check_text(&text, Some("crlf.claw"), None);
    let sys = back.system.expect("the written system parses");
    assert_eq!(
        sys.execution[0].with["command"],
        "/usr/local/bin/report --all\r"
    );
}

#[test]
fn a_comment_only_crontab_is_reported_alone_and_in_a_folder() {
    let alone = crontab::import(
        crontab::collect(&sample("comments-only.crontab")).expect("readable"),
        &Options::default(),
    )
    .expect_err("nothing to import");
    assert_eq!(alone.code(), "claw::import::empty");
    assert!(
        alone.to_string().contains("comments-only.crontab: no jobs"),
        "{alone}"
    );
    // In a folder with other crontabs it is no longer silent: a finding names it.
    let folder = crontab::import(
        crontab::collect(&sample("")).expect("readable"),
        &Options::default(),
    )
    .expect("the folder imports");
    let nojobs = with_code(&folder.findings, "claw::import::cron_no_jobs");
    assert_eq!(nojobs.len(), 1, "{nojobs:#?}");
    assert!(nojobs[0].message.contains("comments-only.crontab: no jobs"));
    assert!(
        nojobs[0]
            .origin
            .file
            .as_deref()
            .is_some_and(|f| f.ends_with("comments-only.crontab"))
    );
}
