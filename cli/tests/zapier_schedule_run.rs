//! An imported Schedule by Zapier Zap runs for real: `samples/zapier/schedule-morning-report.json`
//! (Schedule "Every Day" at 7:30 AM on weekdays in Europe/Paris → Delay Until → Webhooks GET →
//! Webhooks POST) is imported with `claw import zapier --accept`, checked with `claw check`,
//! then run by `claw run` on SQLite against a loopback server; the schedule's run is started
//! with `claw fire` (the same run the scheduler starts at the fire time).
//!
//! Zapier behaviour encoded (Zapier's help pages "Schedule your Zaps to run at specific
//! intervals", "Add delays to Zaps" and "Send webhooks in Zaps"):
//! - "Every Day" at an hour, without weekends, fires Monday to Friday at that hour in the Zap's
//!   time zone (`timezone_override`);
//! - Delay Until a time already past goes straight on (within "handle past" time);
//! - Webhooks GET sends `query` in the URL, and a later step reads the response's fields.

#[path = "common/ops.rs"]
mod ops;
#[path = "common/zapier_run.rs"]
mod zapier_run;

use ops::*;
use zapier_run::redirect;

const SAMPLE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../samples/zapier/schedule-morning-report.json"
);

#[test]
fn imported_schedule_zap_runs_under_claw_run() {
    let dir = tempfile::tempdir().unwrap();
    let file = import_and_check(SAMPLE, &dir.path().join("systems"), "morning-report");
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.contains("schedule: 30 7 * * 1-5"), "{text}");
    assert!(text.contains("timezone: Europe/Paris"), "{text}");

    let recv = Receiver::start();
    recv.script(|s| {
        s.serve.insert("/daily".into(), r#"{"total": 42}"#.into());
    });
    for host in ["https://reports.example.com", "https://chat.example.com"] {
        redirect(&file, host, &recv.base);
    }
    let db = sqlite(dir.path());
    let srv = Server::start(&file, &db, &[], &[]);
    let fired = cli_json(&[
        "fire",
        "morning-report",
        "every_weekday_morning",
        "--url",
        &srv.url,
        "--format",
        "json",
    ]);
    let run = fired["run_id"].as_str().unwrap().to_string();
    let ev = finished(&db, &run);
    assert_eq!(ev["run"]["status"], "succeeded", "{ev}");
    let k = kinds(&ev);
    assert!(
        k.contains(&"step.delay_scheduled".to_string())
            && k.contains(&"step.delay_fired".to_string()),
        "{k:?}"
    );
    let got = recv.seen("/daily");
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0].query.as_deref(), Some("kind=morning"));
    let posted = recv.seen("/post");
    assert_eq!(posted.len(), 1, "{posted:?}");
    let body: Value = serde_json::from_str(&posted[0].body).unwrap();
    assert_eq!(body, json!({"text": "Morning report: 42 orders"}));

    let stopped = srv.stop(SIGTERM);
    assert!(stopped.status.success(), "{}", stopped.stderr);
}
