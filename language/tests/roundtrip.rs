//! Round trip of the canonical writer: for any system, `parse(to_claw(s)) == s`, the text
//! parses without a single diagnostic, and writing is idempotent (`fmt` twice = once).
//!
//! Strings are drawn from the YAML traps (`yes`, `on`, `1.0`, `#`, `: `, a leading `-`,
//! `{{ x }}` templates, quotes, newlines, unicode) as well as arbitrary text.

use claw_language::model::*;
use claw_language::write::to_claw;
use indexmap::IndexMap;
use proptest::prelude::*;
use serde_json::Value;

fn name() -> impl Strategy<Value = String> {
    "[a-z][a-z0-9_-]{0,10}"
}

fn tricky() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => prop::sample::select(vec![
            "yes", "no", "on", "off", "true", "False", "null", "~", "1.0", "-1", "0x1F", "1e3",
            ".inf", "#", "# not a comment", "a #b", "a: b", ": ", "-", "- x", "-x", "?", "? x",
            "[a, b]", "{a: 1}", "*alias", "&anchor", "!tag", "%percent", "@daily", "`tick`",
            "'single'", "\"double\"", "it's", "say \"hi\"", "back\\slash", "{{ order.id }}",
            "#{{ order.id }}-{{ order.name }}", "\\{{ raw }}", "line1\nline2", "line1\nline2\n",
            "trailing \n", "\n", " leading", "trailing ", "", "tab\there", "ünïcødé ✓ 日本",
            "emoji 🦀", "<0.5%", "500ms", "0 9 * * 1-5", "queue://ops.dlq", "a,b", "x]", "<<",
            "---", "...", "key:", "\u{85}next", "\u{2028}sep", "\u{feff}bom", "\r\n", "ctrl\u{1}",
        ])
        .prop_map(str::to_string),
        2 => "\\PC{0,24}",
        1 => any::<String>().prop_map(|s| s.chars().take(40).collect()),
        1 => "[ -~\n]{0,30}",
    ]
}

fn json_leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        tricky().prop_map(Value::String),
    ]
}

fn json() -> impl Strategy<Value = Value> {
    json_leaf().prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec((tricky(), inner), 0..4)
                .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

fn params() -> impl Strategy<Value = IndexMap<String, Value>> {
    prop::collection::vec((tricky(), json()), 0..4).prop_map(|kv| kv.into_iter().collect())
}

fn smap() -> impl Strategy<Value = IndexMap<String, String>> {
    prop::collection::vec((tricky(), tricky()), 0..3).prop_map(|kv| kv.into_iter().collect())
}

fn opt(s: impl Strategy<Value = String>) -> impl Strategy<Value = Option<String>> {
    prop::option::of(s)
}

fn names_list() -> impl Strategy<Value = Vec<String>> {
    prop::collection::vec(tricky(), 0..4)
}

fn trigger(n: String) -> impl Strategy<Value = Trigger> {
    (
        (
            prop::sample::select(Source::ALL.to_vec()),
            opt(tricky()),
            opt(tricky()),
            opt(tricky()),
            opt(tricky()),
            prop::option::of(prop::sample::select(vec![
                CatchUp::None,
                CatchUp::Latest,
                CatchUp::All,
            ])),
            opt(tricky()),
        ),
        (
            prop::option::of((tricky(), opt(tricky()))),
            opt(tricky()),
            opt(tricky()),
            params(),
            opt(tricky()),
            opt(tricky()),
            prop::option::of(any::<bool>()),
            smap(),
        ),
    )
        .prop_map(
            move |(
                (source, description, idempotency, schedule, timezone, catch_up, path),
                (auth, every, action, with, subject, emits, enabled, legacy),
            )| Trigger {
                name: n.clone(),
                description,
                source,
                idempotency,
                schedule,
                timezone,
                catch_up,
                path,
                auth: auth.map(|(k, h)| WebhookAuth {
                    hmac_sha256: k,
                    header: h,
                }),
                every,
                action,
                with,
                subject,
                emits,
                enabled,
                legacy,
            },
        )
}

fn logic() -> impl Strategy<Value = Logic> {
    let rule = (tricky(), params(), opt(tricky())).prop_map(|(condition, then, emit)| Rule {
        condition,
        then,
        emit,
    });
    prop_oneof![
        tricky().prop_map(Logic::When),
        tricky().prop_map(Logic::Policy),
        (
            prop::collection::vec(rule, 1..4),
            prop::option::of(
                (params(), opt(tricky())).prop_map(|(then, emit)| RuleDefault { then, emit })
            ),
        )
            .prop_map(|(rules, default)| Logic::Rules { rules, default }),
    ]
}

fn decision(n: String) -> impl Strategy<Value = Decision> {
    (
        opt(tricky()),
        names_list(),
        names_list(),
        logic(),
        names_list(),
        smap(),
    )
        .prop_map(
            move |(description, on, inputs, logic, emits, legacy)| Decision {
                name: n.clone(),
                description,
                on,
                inputs,
                logic,
                emits,
                legacy,
            },
        )
}

fn execution(n: String) -> impl Strategy<Value = Execution> {
    (
        (
            opt(tricky()),
            prop::collection::vec(tricky(), 1..3),
            tricky(),
            params(),
            prop::option::of(0u32..=1000),
        ),
        (
            opt(tricky()),
            opt(tricky()),
            opt(tricky()),
            opt(tricky()),
            opt(tricky()),
            prop::option::of(any::<bool>()),
            smap(),
        ),
    )
        .prop_map(
            move |(
                (description, on, action, with, retries),
                (backoff, timeout, idempotency, dead_letter, delay, enabled, legacy),
            )| Execution {
                name: n.clone(),
                description,
                on,
                action,
                with,
                retries,
                backoff,
                timeout,
                idempotency,
                dead_letter,
                delay,
                enabled,
                legacy,
            },
        )
}

fn data() -> impl Strategy<Value = Data> {
    let state =
        prop::collection::btree_map(name(), (opt(tricky()), opt(tricky()), opt(tricky())), 0..3)
            .prop_map(|m| {
                m.into_iter()
                    .map(|(name, (description, key, ttl))| StateStore {
                        name,
                        description,
                        key,
                        ttl,
                    })
                    .collect::<Vec<_>>()
            });
    let row = prop::collection::vec((tricky(), json()), 0..3)
        .prop_map(|kv| kv.into_iter().collect::<IndexMap<String, Value>>());
    let tables = prop::collection::btree_map(
        name(),
        (
            opt(tricky()),
            opt(tricky()),
            opt(tricky()),
            prop::collection::vec(row, 0..3),
        ),
        0..3,
    )
    .prop_map(|m| {
        m.into_iter()
            .map(|(name, (description, source, key, rows))| Table {
                name,
                description,
                source,
                key,
                rows,
            })
            .collect::<Vec<_>>()
    });
    (tricky(), tricky(), state, tables).prop_map(|(store, retention, state, tables)| Data {
        events: EventStore { store, retention },
        state,
        tables,
    })
}

fn observability() -> impl Strategy<Value = Observability> {
    let alert =
        (tricky(), opt(tricky()), opt(tricky())).prop_map(|(on, route, description)| Alert {
            on,
            route,
            description,
        });
    (
        prop::collection::vec((tricky(), tricky()), 0..3),
        prop::collection::vec(alert, 0..3),
        opt(tricky()),
    )
        .prop_map(|(slo, alerts, owner)| Observability {
            slo: slo.into_iter().collect(),
            alerts,
            owner,
        })
}

/// Lists of items with distinct names (a duplicate is an error, not a round-trip case).
fn items<T: std::fmt::Debug, S: Strategy<Value = T>>(
    make: impl Fn(String) -> S + Clone + 'static,
) -> impl Strategy<Value = Vec<T>> {
    prop::collection::btree_set(name(), 0..4).prop_flat_map(move |names| {
        names
            .into_iter()
            .map(|n| make.clone()(n))
            .collect::<Vec<_>>()
    })
}

fn system() -> impl Strategy<Value = System> {
    let provenance = prop::option::of((tricky(), opt(tricky()), opt(tricky()), smap()).prop_map(
        |(kind, file, legacy_id, notes)| Provenance {
            kind,
            file,
            legacy_id,
            notes,
        },
    ));
    (
        (name(), tricky(), opt(tricky()), provenance),
        (
            items(trigger),
            items(decision),
            items(execution),
            data(),
            observability(),
        ),
    )
        .prop_map(
            |(
                (system, version, description, provenance),
                (triggers, decisions, execution, data, observability),
            )| {
                System {
                    system,
                    version,
                    description,
                    provenance,
                    triggers,
                    decisions,
                    execution,
                    data,
                    observability,
                }
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn parse_of_write_is_identity(sys in system()) {
        let text = to_claw(&sys);
        let parsed = claw_language::parse::parse(&text);
        prop_assert!(
            parsed.diagnostics.is_empty(),
            "canonical text does not parse cleanly: {:?}\n---\n{text}",
            parsed.diagnostics.iter().map(ToString::to_string).collect::<Vec<_>>()
        );
        let back = parsed.system.expect("a system");
        prop_assert_eq!(&back, &sys, "round trip changed the model\n---\n{}", text);
    }

    #[test]
    fn writing_is_idempotent(sys in system()) {
        let once = to_claw(&sys);
        let back = claw_language::parse::parse(&once).system.expect("a system");
        let twice = to_claw(&back);
        prop_assert_eq!(once, twice);
    }

    #[test]
    fn checking_any_system_never_panics(sys in system()) {
        // Validation and lints run on whatever an importer could build.
        let _ = claw_language::check_system(&sys, None);
        let _ = claw_language::draw::dot(&sys);
        let _ = claw_language::draw::mermaid(&sys);
    }
}

#[test]
fn samples_round_trip() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../samples/systems");
    for entry in std::fs::read_dir(&dir).expect("samples/systems exists") {
        let p = entry.expect("entry").path();
        if p.extension().is_none_or(|x| x != "claw") {
            continue;
        }
        let text = std::fs::read_to_string(&p).expect("readable");
        let sys = claw_language::parse::parse(&text).system.expect("parses");
        let out = to_claw(&sys);
        let again = claw_language::parse::parse(&out)
            .system
            .expect("canonical form parses");
        assert_eq!(again, sys, "{}", p.display());
        assert_eq!(to_claw(&again), out, "{}", p.display());
    }
}
