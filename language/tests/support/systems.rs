//! Generators of arbitrary systems for the property tests: strings drawn from the YAML traps
//! (`yes`, `on`, `1.0`, `#`, `: `, a leading `-`, `{{ x }}` templates, quotes, newlines,
//! unicode, long text) as well as arbitrary text, parameter values nested up to
//! `claw_language::canonical::MAX_VALUE_DEPTH` levels, names that YAML would read as other
//! types (`null`, `true`), and counts over the parser's range.

use claw_language::model::*;
use indexmap::IndexMap;
use proptest::prelude::*;
use serde_json::Value;

/// Item names: short lower-case ones mostly, words YAML reads as other types, and the whole
/// range of `units::is_name` (upper case, up to 128 characters).
pub fn name() -> impl Strategy<Value = String> {
    prop_oneof![
        8 => "[a-z][a-z0-9_-]{0,10}",
        1 => prop::sample::select(vec![
            "null", "Null", "NULL", "true", "True", "TRUE", "false", "False", "FALSE", "yes",
            "no", "on", "off", "y", "n", "nan", "inf", "e5", "x-1", "a_", "Z",
        ])
        .prop_map(str::to_string),
        1 => "[A-Za-z][A-Za-z0-9_-]{0,127}",
    ]
}

/// Free text (descriptions, parameter strings, legacy notes), long text (up to ~1,500 bytes)
/// included. Expression fields take [`tricky`]: the CEL parser recurses per nesting level, and a
/// long run of `(` overflows a test thread's stack (a limit of the `cel` crate, not of the writer).
pub fn text() -> impl Strategy<Value = String> {
    prop_oneof![8 => tricky(), 1 => long_text()]
}

/// A mapping key: mostly short; sometimes long text (longer than
/// `canonical::MAX_KEY_LEN` it puts the system outside `round_trips`).
pub fn key() -> impl Strategy<Value = String> {
    prop_oneof![40 => tricky(), 1 => long_text()]
}

/// A trap or arbitrary text repeated up to 120 times, cut at 1,500 bytes.
pub fn long_text() -> impl Strategy<Value = String> {
    (tricky(), 1..120usize).prop_map(|(s, n)| {
        let mut t = s.repeat(n);
        let mut cut = t.len().min(1500);
        while !t.is_char_boundary(cut) {
            cut -= 1;
        }
        t.truncate(cut);
        // No template holes in long text: a hole of repeated `(` would be compiled by CEL,
        // whose parser recurses per level (see [`text`]).
        t.replace("{{", "{ {")
    })
}

/// The YAML traps and short arbitrary text.
pub fn tricky() -> impl Strategy<Value = String> {
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

pub fn json_leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        10 => Just(Value::Null),
        10 => any::<bool>().prop_map(Value::Bool),
        10 => any::<i64>().prop_map(Value::from),
        10 => any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        10 => text().prop_map(Value::String),
        // Above i64::MAX: YAML does not read it back as the same number (outside round_trips).
        1 => (i64::MAX as u64 + 1..=u64::MAX).prop_map(Value::from),
    ]
}

/// Parameter values nested up to `canonical::MAX_VALUE_DEPTH` lists and mappings.
pub fn json() -> impl Strategy<Value = Value> {
    json_leaf().prop_recursive(8, 32, 3, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..3).prop_map(Value::Array),
            prop::collection::vec((key(), inner), 0..3)
                .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

pub fn params() -> impl Strategy<Value = IndexMap<String, Value>> {
    prop::collection::vec((key(), json()), 0..4).prop_map(|kv| kv.into_iter().collect())
}

pub fn smap() -> impl Strategy<Value = IndexMap<String, String>> {
    prop::collection::vec((key(), text()), 0..3).prop_map(|kv| kv.into_iter().collect())
}

pub fn opt(s: impl Strategy<Value = String>) -> impl Strategy<Value = Option<String>> {
    prop::option::of(s)
}

pub fn names_list() -> impl Strategy<Value = Vec<String>> {
    prop::collection::vec(tricky(), 0..4)
}

pub fn trigger(n: String) -> impl Strategy<Value = Trigger> {
    (
        (
            prop::sample::select(Source::ALL.to_vec()),
            opt(text()),
            opt(tricky()),
            opt(tricky()),
            opt(tricky()),
            prop::option::of(prop::sample::select(vec![
                CatchUp::None,
                CatchUp::Latest,
                CatchUp::All,
            ])),
            opt(tricky()),
            prop::option::of(prop::sample::select(vec![
                HookBody::Json,
                HookBody::Any,
                HookBody::Raw,
            ])),
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
            names_list(),
        ),
    )
        .prop_map(
            move |(
                (source, description, idempotency, schedule, timezone, catch_up, path, body),
                (auth, every, action, with, subject, emits, enabled, legacy, inputs),
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
                body,
                every,
                action,
                with,
                subject,
                inputs,
                emits,
                enabled,
                legacy,
            },
        )
}

pub fn logic() -> impl Strategy<Value = Logic> {
    let rule = (tricky(), params(), opt(tricky())).prop_map(|(condition, then, emit)| Rule {
        condition,
        then,
        emit,
    });
    prop_oneof![
        tricky().prop_map(Logic::When),
        tricky().prop_map(Logic::Policy),
        (
            // Sometimes empty: written as `rules:` with nothing, which does not read back as a
            // list (outside round_trips; validation refuses an empty table anyway).
            prop_oneof![15 => prop::collection::vec(rule, 1..4), 1 => Just(Vec::new())],
            prop::option::of(
                (params(), opt(tricky())).prop_map(|(then, emit)| RuleDefault { then, emit })
            ),
        )
            .prop_map(|(rules, default)| Logic::Rules { rules, default }),
    ]
}

pub fn decision(n: String) -> impl Strategy<Value = Decision> {
    (
        opt(text()),
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

pub fn execution(n: String) -> impl Strategy<Value = Execution> {
    (
        (
            opt(text()),
            // Rarely empty (`on` is required: outside round_trips).
            prop_oneof![
                15 => prop::collection::vec(tricky(), 1..3),
                1 => Just(Vec::new()),
            ],
            tricky(),
            params(),
            // Mostly the parser's range (0 to 1000); rarely above it (outside round_trips).
            prop::option::of(prop_oneof![30 => 0u32..=1000, 1 => 1001u32..=5000]),
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
        (
            opt(tricky()),
            prop::option::of(prop::sample::select(ItemFailure::ALL)),
            prop::option::of(1u32..=1000),
        ),
    )
        .prop_map(
            move |(
                (description, on, action, with, retries),
                (backoff, timeout, idempotency, dead_letter, delay, enabled, legacy),
                (for_each, on_item_failure, max_items),
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
                for_each,
                on_item_failure,
                max_items,
                legacy,
            },
        )
}

pub fn data() -> impl Strategy<Value = Data> {
    let state =
        prop::collection::btree_map(name(), (opt(text()), opt(tricky()), opt(tricky())), 0..3)
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
    let row = prop::collection::vec((key(), json()), 0..3)
        .prop_map(|kv| kv.into_iter().collect::<IndexMap<String, Value>>());
    let tables = prop::collection::btree_map(
        name(),
        (
            opt(text()),
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
    let release = prop::sample::select(DigestRelease::ALL.to_vec());
    let digests = prop::collection::btree_map(
        name(),
        (
            opt(text()),
            release,
            prop::option::of(0u32..=1000),
            opt(tricky()),
            opt(tricky()),
            opt(tricky()),
        ),
        0..3,
    )
    .prop_map(|m| {
        m.into_iter()
            .map(
                |(name, (description, release, count, separator, schedule, timezone))| Digest {
                    name,
                    description,
                    release,
                    count,
                    separator,
                    schedule,
                    timezone,
                },
            )
            .collect::<Vec<_>>()
    });
    (tricky(), tricky(), state, tables, digests).prop_map(
        |(store, retention, state, tables, digests)| Data {
            events: EventStore { store, retention },
            state,
            tables,
            digests,
        },
    )
}

pub fn observability() -> impl Strategy<Value = Observability> {
    let alert =
        (tricky(), opt(tricky()), opt(tricky())).prop_map(|(on, route, description)| Alert {
            on,
            route,
            description,
        });
    (
        prop::collection::vec((key(), tricky()), 0..3),
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
pub fn items<T: std::fmt::Debug, S: Strategy<Value = T>>(
    make: impl Fn(String) -> S + Clone + 'static,
) -> impl Strategy<Value = Vec<T>> {
    prop::collection::btree_set(name(), 0..4).prop_flat_map(move |names| {
        names
            .into_iter()
            .map(|n| make.clone()(n))
            .collect::<Vec<_>>()
    })
}

pub fn system() -> impl Strategy<Value = System> {
    let provenance = prop::option::of((tricky(), opt(tricky()), opt(tricky()), smap()).prop_map(
        |(kind, file, legacy_id, notes)| Provenance {
            kind,
            file,
            legacy_id,
            notes,
        },
    ));
    (
        (
            prop_oneof![4 => name(), 1 => tricky()],
            tricky(),
            opt(tricky()),
            provenance,
        ),
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
