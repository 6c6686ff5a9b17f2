//! An imported Sub-Zap and its caller run for real: `samples/zapier/subzap-welcome-contact.json`
//! (two Zaps: "Welcome New Contact" calls "[Sub-Zap] Normalize Contact") is imported with
//! `claw import zapier --accept`, both systems are checked together with `claw check`, then
//! run by one `claw run caller.claw sub-zap.claw` on SQLite against a loopback receiver.
//!
//! The Zapier behaviour encoded (help.zapier.com, "Understanding Sub-Zaps"): "Call a Sub-Zap"
//! sends the inputs the Sub-Zap's "Start a Sub-Zap" trigger declares, waits for the Sub-Zap,
//! and the values its "Return from Sub-Zap" step sends back are the calling step's output,
//! which later steps of the calling Zap read. Here the Sub-Zap lowercases the email
//! (Formatter, Lowercase) and titlecases the name (Formatter, Titlecase), so for
//! `Ada.Lovelace@Example.COM` / `ada lovelace` it returns `ada.lovelace@example.com` and
//! `Welcome, Ada Lovelace!`. What Zapier does not document, and this encodes as the runtime's
//! guarantee: a repeated delivery of the caller's trigger does not call the Sub-Zap again, and
//! a crash between the call and the reply neither loses the call nor makes a second one.

#[path = "common/ops.rs"]
mod ops;
#[path = "common/zapier_run.rs"]
mod zapier_run;

use ops::*;
use zapier_run::{import_and_check, output, redirect, sent};

const SAMPLE: &str = "subzap-welcome-contact.json";
const CALLER: &str = "welcome-new-contact";
const CALLEE: &str = "sub-zap-normalize-contact";

/// The imported pair, checked together, its URLs pointed at `recv`, and the caller's trigger
/// keyed by `contact_id` (the candidate the importer's finding names).
fn imported(recv: &Receiver) -> (tempfile::TempDir, PathBuf, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let caller = import_and_check(SAMPLE, dir.path(), CALLER);
    let callee = dir.path().join("systems").join(format!("{CALLEE}.claw"));
    let both = cli(&["check", caller.to_str().unwrap(), callee.to_str().unwrap()]);
    assert_eq!(both.code, 0, "{}{}", both.stdout, both.stderr);
    redirect(&caller, "https://crm.example.com", &recv.base);
    redirect(&callee, "https://audit.example.com", &recv.base);
    redirect(
        &caller,
        "      body: any\n",
        "      body: any\n      idempotency: contact_id\n",
    );
    (dir, caller, callee)
}

fn start(caller: &Path, callee: &Path, db: &str) -> Server {
    let mut args = run_args(caller, db);
    args.insert(2, callee.to_str().unwrap());
    Server::spawn(&args, &[], &caller.with_extension("stderr"))
}

fn contact() -> Value {
    json!({"contact_id": "c-1", "email": "Ada.Lovelace@Example.COM", "name": "ada lovelace"})
}

#[test]
fn imported_subzap_pair_runs_under_claw_run() {
    let recv = Receiver::start();
    let (dir, caller, callee) = imported(&recv);
    let db = sqlite(dir.path());
    let srv = start(&caller, &callee, &db);

    let id = hook(&srv.url, CALLER, "new_contact", contact());
    let ev = finished(&db, &id);
    assert_eq!(ev["run"]["status"], "succeeded", "{ev}");
    let reply = json!({"email": "ada.lovelace@example.com", "greeting": "Welcome, Ada Lovelace!"});
    assert_eq!(output(&ev, "normalize_contact"), reply);
    assert_eq!(
        sent(&ev, "send_welcome")["body"],
        json!({"contact_id": "c-1", "email": "ada.lovelace@example.com", "greeting": "Welcome, Ada Lovelace!"})
    );
    let welcomed = recv.seen("/welcome");
    assert_eq!(welcomed.len(), 1);
    let body: Value = serde_json::from_str(&welcomed[0].body).unwrap();
    assert_eq!(body["greeting"], "Welcome, Ada Lovelace!");

    // The called run: started by the caller's step, with the inputs it passed, and replying.
    let called = runs(&db, &["--system", CALLEE]);
    assert_eq!(called.len(), 1, "{called:?}");
    let cev = finished(&db, called[0]["id"].as_str().unwrap());
    assert_eq!(cev["run"]["status"], "succeeded", "{cev}");
    assert_eq!(
        cev["run"]["payload"],
        json!({"Email": "Ada.Lovelace@Example.COM", "Name": "ada lovelace"})
    );
    assert_eq!(output(&cev, "return_contact"), reply);
    assert_eq!(
        cev["events"][0]["data"]["origin"]["called_by"],
        json!({"system": CALLER, "run_id": id, "step": "normalize_contact"})
    );

    // The same delivery again: the first run answers, nothing is called or sent twice.
    let (code, text) = http(
        "POST",
        &format!("{}/hooks/{CALLER}/new_contact", srv.url),
        Some(&contact().to_string()),
    );
    assert_eq!(code, 200, "{text}");
    assert_eq!(serde_json::from_str::<Value>(&text).unwrap()["run_id"], id);
    // A second delivery with another id is a second call.
    let other = json!({"contact_id": "c-2", "email": "GRACE@navy.MIL", "name": "grace hopper"});
    let id2 = hook(&srv.url, CALLER, "new_contact", other);
    let ev2 = finished(&db, &id2);
    assert_eq!(ev2["run"]["status"], "succeeded", "{ev2}");
    assert_eq!(
        output(&ev2, "normalize_contact"),
        json!({"email": "grace@navy.mil", "greeting": "Welcome, Grace Hopper!"})
    );
    assert_eq!(runs(&db, &["--system", CALLEE]).len(), 2);
    assert_eq!(recv.seen("/welcome").len(), 2);
    assert_eq!(recv.seen("/contacts").len(), 2);

    let stopped = srv.stop(SIGTERM);
    assert!(stopped.status.success(), "{}", stopped.stderr);
}

/// `claw run` is killed while the caller waits for the reply (the Sub-Zap's audit POST keeps
/// failing and being retried); after a restart the caller waits again for the same called
/// run: exactly one called run, and the caller completes with its reply. On SQLite, and on
/// PostgreSQL when CLAW_TEST_POSTGRES_URL is set.
#[test]
fn sigkill_between_call_and_reply_calls_once() {
    for tdb in claw_testkit::db::databases_blocking() {
        crash_case(&tdb.url, tdb.label);
    }
}

fn crash_case(db: &str, label: &str) {
    let recv = Receiver::start();
    let (_dir, caller, callee) = imported(&recv);
    // The audit step retries (a user's edit the importer's lint asks for), so the called run
    // is still waiting when the process dies.
    redirect(
        &callee,
        "      action: http.post\n",
        "      action: http.post\n      retries: 50\n      backoff: fixed 100ms\n",
    );
    recv.script(|s| {
        s.down.insert("/contacts".into());
    });
    let srv = start(&caller, &callee, db);
    let id = hook(&srv.url, CALLER, "new_contact", contact());
    wait_for(
        "the audit POST to be tried",
        Duration::from_secs(15),
        || (recv.seen("/contacts").len() >= 2).then_some(()),
    );
    let killed = srv.stop(SIGKILL);
    assert!(!killed.status.success(), "{label}");
    assert_eq!(events(db, &id)["run"]["status"], "running", "{label}");

    recv.script(|s| {
        s.down.clear();
    });
    let srv = start(&caller, &callee, db);
    let ev = finished(db, &id);
    assert_eq!(ev["run"]["status"], "succeeded", "{label}: {ev}");
    assert_eq!(
        output(&ev, "normalize_contact"),
        json!({"email": "ada.lovelace@example.com", "greeting": "Welcome, Ada Lovelace!"})
    );
    let called = runs(db, &["--system", CALLEE]);
    assert_eq!(called.len(), 1, "{label}: {called:?}");
    assert_eq!(called[0]["status"], "succeeded", "{label}");
    // The caller's step was started twice (before and after the crash), with one key.
    let starts: Vec<&Value> = ev["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "step.attempt_started" && e["step"] == "normalize_contact")
        .collect();
    assert_eq!(starts.len(), 2, "{label}: {ev}");
    assert_eq!(
        starts[0]["data"]["idempotency_key"],
        starts[1]["data"]["idempotency_key"]
    );
    assert_eq!(recv.seen("/welcome").len(), 1, "{label}");
    let stopped = srv.stop(SIGTERM);
    assert!(stopped.status.success(), "{label}: {}", stopped.stderr);
}

/// `claw check` resolves the called system among the files it is given; `claw run` refuses a
/// caller whose called system it was not given.
#[test]
fn calls_are_checked_across_files_and_run_needs_the_called_system() {
    let recv = Receiver::start();
    let (dir, caller, callee) = imported(&recv);
    redirect(&caller, "          Email:", "          Emial:");
    let alone = cli(&["check", caller.to_str().unwrap()]);
    assert_eq!(alone.code, 0, "{}", alone.stderr);
    let both = cli(&["check", caller.to_str().unwrap(), callee.to_str().unwrap()]);
    assert_eq!(both.code, 1, "{}", both.stderr);
    assert!(
        both.stderr.contains("claw::call_unknown_input")
            && both.stderr.contains("passes input `Emial`"),
        "{}",
        both.stderr
    );
    let db = sqlite(dir.path());
    let run = cli(&run_args(&caller, &db));
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("claw::call_unknown_system"),
        "{}",
        run.stderr
    );
}
