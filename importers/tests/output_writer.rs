//! The streaming writer: systems staged one at a time, all moved into place on commit, and
//! nothing left anywhere when the import stops before it (an error, or the writer dropped).

use claw_importers::output::{Outcome, Writer};
use claw_importers::zapier::{self, ZapierError};
use std::path::Path;

fn zap(id: u64, title: &str, parent_of_second: u64) -> serde_json::Value {
    let n = |id: u64, parent: Option<u64>| {
        serde_json::json!({"id": id, "type_of": if parent.is_none() {"read"} else {"write"},
            "params": {"channel": "#ops", "text": "hi"}, "parent_id": parent, "root_id": parent.map(|_| id - 1),
            "action": "channel_message", "selected_api": "SlackAPI"})
    };
    serde_json::json!({"id": id, "title": title, "nodes": {
        id.to_string(): n(id, None),
        (id + 1).to_string(): n(id + 1, Some(parent_of_second)),
    }})
}

fn export(dir: &Path, zaps: Vec<serde_json::Value>) -> std::path::PathBuf {
    let p = dir.join("Zapfile.json");
    let text = serde_json::json!({"metadata": {"version": 2}, "zaps": zaps}).to_string();
    std::fs::write(&p, text).unwrap();
    p
}

/// Why a streamed import stopped, as text.
struct Failed(String);

impl From<ZapierError> for Failed {
    fn from(e: ZapierError) -> Failed {
        Failed(e.to_string())
    }
}

/// Streams `input` into a writer on `out`, as `claw import zapier` does.
fn stream(input: &Path, out: &Path) -> Result<Vec<claw_importers::output::Written>, String> {
    let mut w = Writer::new(out, true);
    zapier::open(input)
        .map_err(|e| e.to_string())?
        .each(&mut |g, _| w.add(&g).map_err(|e| Failed(e.to_string())))
        .map_err(|e| e.0)?;
    w.commit().map_err(|e| e.to_string())
}

fn listing(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn commit_moves_every_system_into_place_and_leaves_no_staging() {
    let tmp = tempfile::tempdir().unwrap();
    let input = export(
        tmp.path(),
        vec![zap(100, "First", 100), zap(200, "Second", 200)],
    );
    let out = tmp.path().join("out/systems");
    let written = stream(&input, &out).unwrap();
    assert_eq!(written.len(), 2);
    assert!(written.iter().all(|w| w.outcome == Outcome::Written));
    assert_eq!(listing(&out), vec!["first.claw", "second.claw"]);
    // Importing again changes nothing.
    let again = stream(&input, &out).unwrap();
    assert!(again.iter().all(|w| w.outcome == Outcome::Unchanged));
    assert_eq!(listing(&out), vec!["first.claw", "second.claw"]);
}

#[test]
fn a_bad_zap_after_good_ones_writes_nothing_and_creates_no_folder() {
    let tmp = tempfile::tempdir().unwrap();
    // The third Zap's second step points at a parent that does not exist.
    let input = export(
        tmp.path(),
        vec![zap(100, "A", 100), zap(200, "B", 200), zap(300, "C", 999)],
    );
    let out = tmp.path().join("new/systems");
    let e = stream(&input, &out).unwrap_err();
    assert!(e.contains("999"), "{e}");
    assert!(!tmp.path().join("new").exists());
}

#[test]
fn a_dropped_writer_removes_what_it_staged() {
    let tmp = tempfile::tempdir().unwrap();
    let input = export(tmp.path(), vec![zap(100, "Kept", 100)]);
    let imported = zapier::import(&input).unwrap();
    let out = tmp.path().join("systems");
    std::fs::create_dir(&out).unwrap();
    std::fs::write(out.join("other.txt"), "mine").unwrap();
    {
        let mut w = Writer::new(&out, true);
        w.add(&imported.generated[0]).unwrap();
        assert_eq!(
            listing(&out).len(),
            2,
            "the staging folder exists while adding"
        );
    }
    assert_eq!(listing(&out), vec!["other.txt"]);
}

#[test]
fn a_dropped_writer_removes_the_output_folder_it_created() {
    let tmp = tempfile::tempdir().unwrap();
    let input = export(tmp.path(), vec![zap(100, "Kept", 100)]);
    let imported = zapier::import(&input).unwrap();
    let out = tmp.path().join("a/b/systems");
    {
        let mut w = Writer::new(&out, false);
        w.add(&imported.generated[0]).unwrap();
        assert!(out.exists());
    }
    assert!(!tmp.path().join("a").exists());
}
