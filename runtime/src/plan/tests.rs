//! Unit tests of plan compilation: compiled templates render like `render_value`, and retry
//! backoff grows, is capped and jitters within its bounds.

use super::*;

#[test]
fn compiled_templates_render_like_render_value() {
    let v = serde_json::json!({
        "plain": "no holes",
        "escaped": "a \\{{ literal }} b",
        "typed": "{{ n }}",
        "concat": "{{ s + '!' }}",
        "mixed": "n={{ n }}, s={{ s }}, none={{ missing_ok }}",
        "list": ["{{ s }}", 3, true, null, {"deep": "x{{ n }}"}],
        "num": 7
    });
    let scope = serde_json::json!({"n": 41, "s": "hi", "missing_ok": null});
    let t = Template::compile(&v);
    assert_eq!(
        t.render(&scope).unwrap(),
        claw_language::expr::render_value(&v, &scope).unwrap()
    );
    // An error is the same error either way (here: the unclosed hole).
    let bad = serde_json::json!({"bad": "{{ unclosed"});
    assert_eq!(
        Template::compile(&bad).render(&scope).unwrap_err(),
        claw_language::expr::render_value(&bad, &scope).unwrap_err()
    );
    let ok = serde_json::json!({"a": "{{ s }}!", "b": ["{{ n }}"]});
    assert_eq!(
        Template::compile(&ok).render(&scope).unwrap(),
        claw_language::expr::render_value(&ok, &scope).unwrap()
    );
    assert_eq!(
        Template::compile(&ok).render(&scope).unwrap(),
        serde_json::json!({"a": "hi!", "b": [41]})
    );
}

#[test]
fn exponential_backoff_grows_and_is_capped() {
    let b = Backoff::Exponential {
        base: Duration::from_millis(100),
        max: Duration::from_millis(1000),
    };
    for _ in 0..50 {
        let d1 = backoff_delay(&b, 1);
        assert!(d1 >= Duration::from_millis(50) && d1 <= Duration::from_millis(100));
        let d3 = backoff_delay(&b, 3);
        assert!(d3 >= Duration::from_millis(200) && d3 <= Duration::from_millis(400));
        let d9 = backoff_delay(&b, 9);
        assert!(d9 >= Duration::from_millis(500) && d9 <= Duration::from_millis(1000));
    }
}

#[test]
fn exponential_backoff_jitter_varies_within_its_bounds() {
    let b = Backoff::Exponential {
        base: Duration::from_millis(100),
        max: Duration::from_millis(1000),
    };
    // Attempt 3: nominal 400 ms, so half fixed (200 ms) plus up to 200 ms of jitter.
    let (lo, hi) = (Duration::from_millis(200), Duration::from_millis(400));
    let samples: Vec<Duration> = (0..200).map(|_| backoff_delay(&b, 3)).collect();
    for d in &samples {
        assert!(*d >= lo && *d <= hi, "{d:?} outside {lo:?}..={hi:?}");
    }
    // Jittered: the delays differ (nanosecond resolution over 200 ms: a repeat is
    // rare, 200 equal ones impossible) and spread over the range, not bunched at one end.
    let distinct: BTreeSet<Duration> = samples.iter().copied().collect();
    assert!(
        distinct.len() > 190,
        "only {} distinct delays",
        distinct.len()
    );
    let low_quarter = samples
        .iter()
        .filter(|d| **d < Duration::from_millis(250))
        .count();
    let high_quarter = samples
        .iter()
        .filter(|d| **d > Duration::from_millis(350))
        .count();
    // Each quarter gets 50 of 200 on average; none of them with p = 0.75^200 ≈ 1e-25.
    assert!(
        low_quarter > 0 && high_quarter > 0,
        "{low_quarter} low, {high_quarter} high"
    );
    // At the cap, the jitter still applies: 500..=1000 ms, and varies.
    let capped: BTreeSet<Duration> = (0..50).map(|_| backoff_delay(&b, 12)).collect();
    assert!(capped.len() > 40);
    assert!(
        capped
            .iter()
            .all(|d| *d >= Duration::from_millis(500) && *d <= Duration::from_millis(1000))
    );
}

#[test]
fn fixed_backoff_is_not_jittered() {
    let b = Backoff::Fixed(Duration::from_millis(30));
    for attempt in 1..10 {
        assert_eq!(backoff_delay(&b, attempt), Duration::from_millis(30));
    }
}
