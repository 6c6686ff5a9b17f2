//! The sample policies (`.ts`, `.js`, `.cel`) run through the runtime in record-only mode
//! with realistic payloads.

use claw_runtime::{LoadedSystem, Runtime, StartOptions};
use serde_json::json;
use std::path::Path;

fn sample(name: &str) -> LoadedSystem {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../samples/systems")
        .join(name);
    LoadedSystem::load(&p).unwrap_or_else(|e| panic!("{name}: {e}"))
}

#[cfg(feature = "typescript")]
#[tokio::test]
async fn dispatch_typescript_policy_picks_the_cheapest_carrier_within_the_sla() {
    let rt = Runtime::record_only(vec![sample("dispatch.claw")])
        .await
        .unwrap();
    let rates = json!([
        {"carrier": "dhl", "price": 14.5, "days": 2},
        {"carrier": "ups", "price": 11.0, "days": 4},
        {"carrier": "colissimo", "price": 9.9, "days": 3},
        {"carrier": "chronopost", "price": 24.0, "days": 1},
    ]);
    let sim = rt
        .simulate(
            "dispatch",
            "order_created",
            json!({
                "order": {"id": "SO-1001", "weight": 2.4},
                "carrier_rates": rates,
                "sla_policy": {"max_days": 3},
            }),
            StartOptions::default(),
        )
        .await
        .unwrap();
    assert_eq!(sim.status, "succeeded");
    assert_eq!(sim.decisions.len(), 1);
    assert_eq!(
        sim.decisions[0].output,
        json!({"carrier": "colissimo", "price": 9.9})
    );
    assert!(sim.decisions[0].continued);
    assert_eq!(sim.calls.len(), 1);
    assert_eq!(sim.calls[0].action, "carrier.book");

    // Express: only next-day carriers qualify.
    let sim = rt
        .simulate(
            "dispatch",
            "order_created",
            json!({
                "order": {"id": "SO-1002", "weight": 1.0, "express": true},
                "carrier_rates": rates,
                "sla_policy": {"max_days": 3},
            }),
            StartOptions::default(),
        )
        .await
        .unwrap();
    assert_eq!(sim.decisions[0].output["carrier"], "chronopost");

    // Nobody meets the SLA: the policy returns null and the run stops before booking.
    let sim = rt
        .simulate(
            "dispatch",
            "order_created",
            json!({
                "order": {"id": "SO-1003", "weight": 1.0},
                "carrier_rates": [{"carrier": "ups", "price": 11.0, "days": 4}],
                "sla_policy": {"max_days": 2},
            }),
            StartOptions::default(),
        )
        .await
        .unwrap();
    assert!(!sim.decisions[0].continued);
    assert!(sim.calls.is_empty());
}

#[cfg(not(feature = "typescript"))]
#[test]
fn typescript_policies_are_refused_at_load_time_without_the_feature() {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../samples/systems/dispatch.claw");
    let e = LoadedSystem::load(&p).unwrap_err().to_string();
    assert!(e.contains("claw::runtime::typescript"), "{e}");
    assert!(e.contains("carrier.policy.ts"), "{e}");
    assert!(e.contains("`typescript` feature"), "{e}");
}

#[cfg(feature = "typescript")]
#[test]
fn a_typescript_syntax_error_is_refused_at_load_time_with_its_position() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("policies")).unwrap();
    std::fs::write(
        dir.path().join("policies/p.ts"),
        "export default function decide(input: any) {\n  return input.;\n}\n",
    )
    .unwrap();
    let sys = claw_testkit::with_tail!(
        r#"system: tsbad
version: 1.0.0
triggers:
  - t:
      source: manual
decisions:
  - d:
      policy: ./policies/p.ts
execution:
  - s:
      on: d
      action: log.info
      with:
        message: hi
"#
    );
    let p = dir.path().join("tsbad.claw");
    std::fs::write(&p, sys).unwrap();
    let e = LoadedSystem::load(&p).unwrap_err().to_string();
    assert!(e.contains("claw::runtime::typescript"), "{e}");
    assert!(e.contains("p.ts:2:"), "{e}");
}

#[tokio::test]
async fn lead_routing_javascript_policy_scores_and_routes() {
    let rt = Runtime::record_only(vec![sample("lead-routing.claw")])
        .await
        .unwrap();
    let sim = rt
        .simulate(
            "lead-routing",
            "new_lead",
            json!({"lead": {"email": "cto@bigcorp.com", "employees": 1500, "country": "US", "company": "BigCorp"}}),
            StartOptions::default(),
        )
        .await
        .unwrap();
    let by_name = |n: &str| sim.decisions.iter().find(|d| d.name == n).unwrap().clone();
    assert_eq!(by_name("score_lead").output, json!({"score": 90}));
    assert_eq!(by_name("route").output["owner"], "enterprise");
    assert_eq!(by_name("route").emits, vec!["enterprise_lead".to_string()]);

    let sim = rt
        .simulate(
            "lead-routing",
            "new_lead",
            json!({"lead": {"email": "a@shop.fr", "employees": 40, "country": "FR", "company": "Shop"}}),
            StartOptions::default(),
        )
        .await
        .unwrap();
    let by_name = |n: &str| sim.decisions.iter().find(|d| d.name == n).unwrap().clone();
    assert_eq!(by_name("score_lead").output, json!({"score": 20}));
    assert_eq!(by_name("route").output["owner"], "emea-sales");
    // enrich (code.js) is recorded, and being pure it really ran in the sandbox.
    assert_eq!(sim.calls[0].action, "code.js");
    let events = rt.store().events(&sim.run_id).await.unwrap();
    let enrich = events
        .iter()
        .find(|e| e.kind == "step.succeeded" && e.step.as_deref() == Some("enrich"))
        .unwrap();
    assert_eq!(enrich.data["output"], json!({"domain": "shop.fr"}));
}

#[tokio::test]
async fn order_alerts_cel_policy_flags_vip_orders() {
    let rt = Runtime::record_only(vec![sample("order-alerts.claw")])
        .await
        .unwrap();
    let vip = rt
        .simulate(
            "order-alerts",
            "resend",
            json!({"order": {"id": "A-1", "total": 80.0, "currency": "EUR", "items": [{"sku": "X"}], "customer": {"tags": ["vip"]}}}),
            StartOptions::default(),
        )
        .await
        .unwrap();
    assert!(vip.decisions[0].continued, "{vip:?}");
    let actions: Vec<_> = vip.calls.iter().map(|c| c.action.as_str()).collect();
    assert!(
        actions.contains(&"slack.post") && actions.contains(&"webhook.post"),
        "{actions:?}"
    );

    let plain = rt
        .simulate(
            "order-alerts",
            "resend",
            json!({"order": {"id": "A-2", "total": 20.0, "currency": "EUR", "items": [], "customer": {"tags": []}}}),
            StartOptions::default(),
        )
        .await
        .unwrap();
    assert!(!plain.decisions[0].continued);
    assert!(plain.calls.is_empty());
}

/// The Zapier importer's accepted output (golden/zapier) runs as imported: its Code step
/// (`inputData` in, `output` out, extracted to a `.js` file) executes in the sandbox, and
/// its output drives the Paths filters and the fields of later steps.
#[tokio::test]
async fn an_imported_zapier_code_step_feeds_the_paths_it_came_with() {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../golden/zapier/route-inbound-leads.claw");
    let sys = LoadedSystem::load(&p).unwrap_or_else(|e| panic!("{e}"));
    let rt = Runtime::record_only(vec![sys]).await.unwrap();
    let lead = |country: &str, size: &str| {
        json!({
            "lead": {"email": "ana@acme.example", "company": "Acme", "company_size": size, "country": country,
                     "name": "Ana", "vip": "no", "created_at": "2025-02-01T00:00:00Z", "score": 10},
            "lead_id": "L-77",
        })
    };
    // France with 120 employees: the EMEA path (it reads the Code step's `employees`).
    let sim = rt
        .simulate(
            "route-inbound-leads",
            "catch_lead_webhook",
            lead("FR", "120"),
            StartOptions::default(),
        )
        .await
        .unwrap();
    assert_eq!(
        sim.status,
        "succeeded",
        "{:?}",
        rt.store().events(&sim.run_id).await.unwrap()
    );
    let went = |sim: &claw_runtime::engine::Simulation, d: &str| {
        sim.decisions
            .iter()
            .find(|x| x.name == d)
            .map(|x| x.continued)
    };
    assert_eq!(went(&sim, "emea_or_big_corp"), Some(true));
    assert_eq!(went(&sim, "fallback"), Some(false));
    let hubspot = sim
        .calls
        .iter()
        .find(|c| c.step == "create_hubspot_contact")
        .unwrap_or_else(|| panic!("{:?}", sim.calls));
    // `domain` comes from the Code step's output.
    assert_eq!(hubspot.params["domain"], "acme.example");
    assert!(sim.calls.iter().all(|c| c.step != "forward_unrouted_lead"));

    // Twelve employees: the Code step's number fails the EMEA filter, the Fallback path runs.
    let sim = rt
        .simulate(
            "route-inbound-leads",
            "catch_lead_webhook",
            lead("FR", "12"),
            StartOptions::default(),
        )
        .await
        .unwrap();
    assert_eq!(went(&sim, "emea_or_big_corp"), Some(false));
    assert_eq!(went(&sim, "fallback"), Some(true));
    let forward = sim
        .calls
        .iter()
        .find(|c| c.step == "forward_unrouted_lead")
        .unwrap();
    assert_eq!(forward.params["body"]["id"], "L-77");
    assert!(sim.calls.iter().all(|c| c.step != "create_hubspot_contact"));
}

/// Escape attempts in `.js` policies fail cleanly through the runtime: the decision records
/// the sandbox's error and stops its branch, nothing reaches the network or the disk, the
/// engine stays up, and a well-behaved policy in the same system still decides.
#[tokio::test]
async fn policy_escape_attempts_fail_cleanly_and_the_runtime_keeps_deciding() {
    let dir = tempfile::tempdir().unwrap();
    let pol = dir.path().join("policies");
    std::fs::create_dir(&pol).unwrap();
    let probe = dir.path().join("written-by-policy.txt");
    // A listener that must never be connected to.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let port = listener.local_addr().unwrap().port();
    let cases = [
        ("network", format!("export default function d(i) {{ return fetch('http://127.0.0.1:{port}/'); }}")),
        ("files", format!("export default function d(i) {{ return require('fs').writeFileSync('{}', 'x'); }}", probe.display())),
        ("spin", "export default function d(i) { while (true) {} }".to_string()),
        ("hog", "export default function d(i) { let a = []; for (;;) { a.push(new Array(100000).fill(i)); } }".to_string()),
        ("fine", "export default function d(i) { return { ok: i.n + 1 }; }".to_string()),
    ];
    let mut decisions = String::new();
    let mut steps = String::new();
    for (name, src) in &cases {
        std::fs::write(pol.join(format!("{name}.js")), src).unwrap();
        decisions.push_str(&format!(
            "  - {name}:\n      inputs: n\n      policy: ./policies/{name}.js\n      emits: {name}_ok\n"
        ));
        steps.push_str(&format!(
            "  - after_{name}:\n      on: {name}_ok\n      action: log.info\n      with:\n        message: {name}\n"
        ));
    }
    let text = format!(
        "system: escapes\nversion: 1.0.0\ntriggers:\n  - go:\n      source: manual\ndecisions:\n{decisions}execution:\n{steps}data:\n  events:\n    store: event-log\n    retention: 30d\nobservability:\n  slo:\n    error_rate: <1%\n  owner: ops\n"
    );
    let p = dir.path().join("escapes.claw");
    std::fs::write(&p, text).unwrap();
    let rt = Runtime::record_only(vec![
        LoadedSystem::load(&p).unwrap_or_else(|e| panic!("{e}")),
    ])
    .await
    .unwrap();
    let started = std::time::Instant::now();
    let sim = rt
        .simulate("escapes", "go", json!({"n": 41}), StartOptions::default())
        .await
        .unwrap();
    // A crashing policy fails the run (it is a bug, not a "no").
    assert_eq!(sim.status, "failed");
    let by = |n: &str| sim.decisions.iter().find(|d| d.name == n).unwrap().clone();
    for (name, want) in [
        ("network", "script error"),
        ("files", "script error"),
        ("spin", "time limit"),
        ("hog", "memory limit"),
    ] {
        let d = by(name);
        assert!(!d.continued, "{name}: {d:?}");
        let err = d.output["error"].as_str().unwrap_or_default();
        assert!(err.contains(want), "{name}: {err}");
        assert_eq!(d.output["policy_failed"], true);
    }
    assert!(by("fine").continued);
    assert_eq!(by("fine").output, json!({"ok": 42}));
    // Only the well-behaved branch ran.
    let steps: Vec<&str> = sim.calls.iter().map(|c| c.step.as_str()).collect();
    assert_eq!(steps, vec!["after_fine"]);
    assert!(!probe.exists(), "a policy wrote a file");
    assert!(listener.accept().is_err(), "a policy opened a connection");
    // Bounded: the spin and the hog are cut by their limits (1 s each by default).
    assert!(started.elapsed() < std::time::Duration::from_secs(10));
    // And the engine is still deciding.
    let again = rt
        .simulate("escapes", "go", json!({"n": 1}), StartOptions::default())
        .await
        .unwrap();
    assert_eq!(
        again
            .decisions
            .iter()
            .find(|d| d.name == "fine")
            .unwrap()
            .output,
        json!({"ok": 2})
    );
}
