//! `claw compile` on every sample system (samples/systems/*.claw): the output matches the
//! golden files in golden/compile (re-bless an intended change with
//! `CLAW_BLESS=1 cargo test -p claw-compile --test samples` and review `git diff golden/`),
//! every rule file passes `promtool check rules`, every generated unit-test file passes
//! `promtool test rules` (each alert fires on its synthetic breach, none on healthy series),
//! and the Alertmanager config passes `amtool check-config`.

use claw_compile::{Options, Target, compile, write_all};
use claw_language::System;
use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn samples() -> Vec<System> {
    let dir = root().join("samples/systems");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "claw"))
        .collect();
    files.sort();
    files
        .iter()
        .map(|f| {
            let (_, checked) = claw_language::check_file(f).unwrap();
            checked
                .valid_system()
                .unwrap_or_else(|| panic!("{} does not check", f.display()))
                .clone()
        })
        .collect()
}

fn compiled(target: Target) -> claw_compile::Compiled {
    let systems = samples();
    let refs: Vec<&System> = systems.iter().collect();
    compile(&refs, target, &Options::default())
}

fn unified(old: &str, new: &str, name: &str) -> String {
    similar::TextDiff::from_lines(old, new)
        .unified_diff()
        .context_radius(3)
        .header(&format!("{name} (accepted)"), &format!("{name} (new)"))
        .to_string()
}

#[test]
fn outputs_match_golden() {
    let bless = std::env::var_os("CLAW_BLESS").is_some_and(|v| v == "1");
    let mut drift = Vec::new();
    for (target, sub) in [
        (Target::Prometheus, "prometheus"),
        (Target::Alertmanager, "alertmanager"),
    ] {
        let out = compiled(target);
        assert!(out.findings.is_empty(), "{:?}", out.findings);
        let dir = root().join("golden/compile").join(sub);
        if bless {
            write_all(&dir, &out.files).unwrap();
            continue;
        }
        for f in &out.files {
            let path = dir.join(&f.name);
            let old = std::fs::read_to_string(&path).unwrap_or_default();
            if old != f.text {
                drift.push(unified(
                    &old,
                    &f.text,
                    &format!("golden/compile/{sub}/{}", f.name),
                ));
            }
        }
    }
    assert!(
        drift.is_empty(),
        "compiled rules drifted from golden/compile:\n{}\nIf this change is intended, run `CLAW_BLESS=1 cargo test -p claw-compile --test samples` and review the diff.",
        drift.join("\n")
    );
}

#[test]
fn the_output_is_deterministic() {
    assert_eq!(compiled(Target::Prometheus), compiled(Target::Prometheus));
}

fn run(tool: &Path, args: &[&str], dir: &Path) {
    let out = Command::new(tool)
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{} {} failed:\n{}{}",
        tool.display(),
        args.join(" "),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn promtool_checks_and_tests_every_rule_file() {
    let Some(promtool) = claw_testkit::tools::tool("promtool", "prometheus", "compile promtool")
    else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let out = compiled(Target::Prometheus);
    write_all(dir.path(), &out.files).unwrap();
    for f in &out.files {
        if f.name.ends_with(".rules.test.yml") {
            run(&promtool, &["test", "rules", &f.name], dir.path());
        } else {
            run(&promtool, &["check", "rules", &f.name], dir.path());
        }
    }
}

#[test]
fn amtool_checks_the_alertmanager_config() {
    let Some(amtool) =
        claw_testkit::tools::tool("amtool", "prometheus-alertmanager", "compile amtool")
    else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let out = compiled(Target::Alertmanager);
    write_all(dir.path(), &out.files).unwrap();
    run(&amtool, &["check-config", "alertmanager.yml"], dir.path());
}

/// A system with every kind of objective and an alert PromQL cannot say: the minimum-traffic
/// alert fires only when quiet, the untranslatable alert is reported and left out.
const EDGES: &str = claw_testkit::with_observability!(
    r#"system: edges
version: 1.0.0
triggers:
  - order:
      source: webhook
  - tick:
      source: schedule
      schedule: "*/5 * * * *"
decisions: []
execution:
  - note:
      on: order
      action: log.info
      with:
        message: hi
"#,
    r#"  slo:
    availability: ">= 99.9"
    order_latency_p95: 30s
    runs: ">= 10"
    ledger_error_rate: <2%
  alerts:
    - on: availability < 99% && order_latency_p95 > 10s
      route: pagerduty://Billing-API
    - on: running > 5
      route: slack://ops
    - on: dlq_depth > 0
      route: slack://ops
    - on: runs < 5 || failed >= 100
      route: email://ops@example.com
  owner: ops
"#
);

#[test]
fn every_kind_of_objective_and_an_untranslatable_alert() {
    let checked = claw_language::check_text(EDGES, Some("edges.claw"), None);
    let sys = checked.valid_system().expect("edges checks").clone();
    let out = compile(&[&sys], Target::Prometheus, &Options::default());
    assert_eq!(out.findings.len(), 1, "{:?}", out.findings);
    assert_eq!(out.findings[0].path, "/observability/alerts/1/on");
    assert!(out.findings[0].message.contains("running"));
    let mut findings = Vec::new();
    let rules = claw_compile::rules::system_rules(&sys, &mut findings);
    for a in rules.slo_alerts.iter().chain(&rules.alerts) {
        assert!(
            a.fires.iter().any(|f| *f),
            "{} never fires: {:?}",
            a.name,
            a.labels
        );
        assert!(!a.fires[0], "{} fires on healthy series", a.name);
    }
    // The traffic alerts fire on the quiet scenario only.
    let traffic: Vec<[bool; 3]> = rules
        .slo_alerts
        .iter()
        .filter(|a| a.name == "ClawTrafficBelowMinimum")
        .map(|a| a.fires)
        .collect();
    assert_eq!(traffic, vec![[false, false, true]]);
    let Some(promtool) = claw_testkit::tools::tool("promtool", "prometheus", "compile edges")
    else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    write_all(dir.path(), &out.files).unwrap();
    run(
        &promtool,
        &["check", "rules", "edges.rules.yml"],
        dir.path(),
    );
    run(
        &promtool,
        &["test", "rules", "edges.rules.test.yml"],
        dir.path(),
    );
    if let Some(amtool) =
        claw_testkit::tools::tool("amtool", "prometheus-alertmanager", "compile edges")
    {
        let am = compile(&[&sys], Target::Alertmanager, &Options::default());
        write_all(dir.path(), &am.files).unwrap();
        run(&amtool, &["check-config", "alertmanager.yml"], dir.path());
    }
}

#[test]
fn every_sample_alert_fires_on_a_breach_and_not_on_healthy_series() {
    for sys in samples() {
        let mut findings = Vec::new();
        let rules = claw_compile::rules::system_rules(&sys, &mut findings);
        for a in rules.slo_alerts.iter().chain(&rules.alerts) {
            assert!(
                a.fires.iter().any(|f| *f),
                "{}: {} never fires",
                sys.system,
                a.name
            );
            assert!(
                !a.fires[0],
                "{}: {} fires on healthy series",
                sys.system, a.name
            );
        }
    }
}

/// The systems the importers wrote (golden/zapier, golden/crontab, golden/sheets): imported
/// observability layers (default SLOs and alerts, routes or none) compile, pass promtool, and
/// leave nothing out.
#[test]
fn imported_systems_pass_promtool() {
    let mut systems = Vec::new();
    for sub in ["zapier", "crontab", "sheets"] {
        let mut files: Vec<PathBuf> = std::fs::read_dir(root().join("golden").join(sub))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "claw"))
            .collect();
        files.sort();
        for f in files {
            let (_, checked) = claw_language::check_file(&f).unwrap();
            let sys = checked
                .valid_system()
                .unwrap_or_else(|| panic!("{}", f.display()));
            systems.push(sys.clone());
        }
    }
    assert!(systems.len() > 25, "{} imported systems", systems.len());
    let refs: Vec<&System> = systems.iter().collect();
    let out = compile(&refs, Target::Prometheus, &Options::default());
    assert_eq!(out.findings, Vec::new());
    let Some(promtool) = claw_testkit::tools::tool("promtool", "prometheus", "compile imported")
    else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    write_all(dir.path(), &out.files).unwrap();
    assert_eq!(
        out.files.len(),
        2 * systems.len(),
        "system names are unique"
    );
    let (tests, rules): (Vec<&str>, Vec<&str>) = out
        .files
        .iter()
        .map(|f| f.name.as_str())
        .partition(|n| n.ends_with(".rules.test.yml"));
    run(
        &promtool,
        &[&["check", "rules"], rules.as_slice()].concat(),
        dir.path(),
    );
    run(
        &promtool,
        &[&["test", "rules"], tests.as_slice()].concat(),
        dir.path(),
    );
}
