//! Arbitrary input never panics the sheet importer, and whatever it accepts is a valid system.

use claw_importers::output::write_all;
use claw_importers::sheet::{Kind, Options, import_bytes, schedule};
use proptest::prelude::*;

const WORDS: &[&str] = &[
    "Trigger",
    "Schedule",
    "Action",
    "Owner",
    "Key",
    "Status",
    "Retries",
    "SLA",
    "Condition",
    "IF Amount",
    "THEN Route",
    "U",
    "F",
    "Conditions",
    "Outcomes",
    "max weight",
    "every weekday at 9:00",
    "daily 02:00",
    "hourly",
    "1st of month",
    "first monday of the month",
    "<= 30",
    "> 100",
    "10-20",
    "[10..20]",
    "a, b",
    "*",
    "",
    "paused",
    "active",
    "3",
    "1 hour",
    "Send email to ops@example.com",
    "Post to #ops",
    "run /opt/x.sh",
    "https://u:p@h.example.com/x",
    "password=hunter2",
    "ops@example.com",
    "#ops",
    "amount > 10",
    "not gold",
    "=1+1",
    "\"quoted, text\"",
    "x'y",
    "{{ oops",
    "ünïcode",
];

fn cell() -> impl Strategy<Value = String> {
    prop_oneof![
        proptest::sample::select(WORDS).prop_map(str::to_string),
        "[ -~]{0,12}"
    ]
}

fn csv_of(grid: &[Vec<String>]) -> String {
    let mut w = csv::WriterBuilder::new()
        .flexible(true)
        .from_writer(Vec::new());
    for row in grid {
        w.write_record(row).unwrap();
    }
    String::from_utf8(w.into_inner().unwrap()).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        for kind in [Kind::Csv, Kind::Tsv, Kind::Xlsx, Kind::Ods, Kind::Xls] {
            let _ = import_bytes("fuzz", kind, &bytes, &Options::default());
        }
    }

    #[test]
    fn cell_grids_import_to_valid_systems_or_clean_errors(
        grid in proptest::collection::vec(proptest::collection::vec(cell(), 1..7), 1..9)
    ) {
        let text = csv_of(&grid);
        if let Ok(imported) = import_bytes("grid.csv", Kind::Csv, text.as_bytes(), &Options::default()) {
            prop_assert!(!imported.generated.is_empty());
            // write_all re-checks every system with `claw check` and refuses invalid ones.
            let dir = tempfile::tempdir().unwrap();
            let r = write_all(dir.path(), &imported.generated, true);
            prop_assert!(r.is_ok(), "{:?}\n{text}", r.err());
            for g in &imported.generated {
                let out = claw_language::write::to_claw(&g.system);
                prop_assert!(!out.contains("hunter2"), "secret leaked:\n{out}");
                prop_assert!(!out.contains("u:p@"), "secret leaked:\n{out}");
            }
        }
    }

    #[test]
    fn schedule_text_never_panics_and_crons_parse(text in "[ -~]{0,40}") {
        let t = schedule::translate(&text, &|_| false);
        if let Some(c) = t.cron {
            prop_assert!(claw_language::cron::parse(&c).is_ok(), "{text} -> {c}");
        }
    }

    #[test]
    fn schedule_phrases_from_words(words in proptest::collection::vec(proptest::sample::select(&[
        "every", "weekday", "at", "9:00", "daily", "monday", "mon-fri", "hourly", "15", "minutes", "1st", "of", "month",
        "6pm", "noon", "and", "17:30", "weekly", "quarterly", "last", "day", "first", "UTC", "past", ":15",
    ][..]), 0..7)) {
        let text = words.join(" ");
        let t = schedule::translate(&text, &|_| false);
        if let Some(c) = t.cron {
            prop_assert!(claw_language::cron::parse(&c).is_ok(), "{text} -> {c}");
        }
    }
}
