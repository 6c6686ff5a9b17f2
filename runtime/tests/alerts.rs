//! SLO alerts (once per breach, resolved when it clears, routed over real HTTP) and
//! retention, against SQLite files and PostgreSQL when CLAW_TEST_POSTGRES_URL is set.

mod common;

use chrono::Utc;
use claw_runtime::alerts::{Alerts, alert_id};
use claw_runtime::{Runtime, StartOptions};
use claw_testkit::systems::DATA;
use common::*;
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;

/// The billing system up to its first step, which posts each invoice to `target`: the part the
/// alerting and the paging systems share.
const BILLING: &str = r#"system: billing
version: 1.0.0
triggers:
  - invoice:
      source: webhook
      idempotency: invoice.id
decisions: []
execution:
  - push:
      on: invoice
      action: http.post
      with:
        url: "{{ target }}"
        body:
          id: "{{ invoice.id }}"
      timeout: 5s
"#;

fn system(webhook_route: &str) -> String {
    format!(
        r#"{BILLING}  - later:
      on: push.succeeded
      action: log.info
      delay: "{{{{ hold }}}}"
      with:
        message: done
{DATA}observability:
  slo:
    invoice_latency_p95: 2s
    error_rate: <1%
  alerts:
    - on: error_rate > 20%
      route: webhook://{webhook_route}
      description: invoices are failing
    - on: error_rate > 20% || invoice_latency_p95 > 10s
      route: slack://ops-oncall
    - on: error_rate > 20%
      route: email://finance-ops@example.com
  owner: finance
"#
    )
}

async fn runtime(url: &str, text: &str, slack: &str) -> (tempfile::TempDir, Runtime) {
    let dir = tempfile::tempdir().unwrap();
    let secrets = format!("slack_webhook_ops_oncall={slack}\n");
    let rt = test_runtime(url, dir.path(), &[("billing", text)], &secrets).await;
    (dir, rt)
}

async fn feed(rt: &Runtime, from: usize, n: usize, target: &str) {
    for i in from..from + n {
        let r = rt
            .run_to_end(
                "billing",
                "invoice",
                json!({"invoice": {"id": format!("I-{i}")}, "target": target, "hold": Utc::now().to_rfc3339()}),
                StartOptions::default(),
            )
            .await
            .unwrap();
        assert_ne!(r.status, "running");
    }
}

#[tokio::test]
async fn an_alert_fires_once_per_breach_and_resolves() {
    for db in databases().await {
        let ok = receiver(ReceiverOpts::default()).await;
        let bad = refusing_receiver().await;
        let hook = receiver(ReceiverOpts::default()).await;
        let slack = receiver(ReceiverOpts::default()).await;
        let route = hook.url.trim_start_matches("http://").to_string();
        let (_dir, rt) = runtime(&db.url, &system(&route), &slack.url).await;
        let alerts = Alerts::new(
            rt.clone(),
            Duration::from_secs(3600),
            Duration::from_secs(30),
        );
        assert_eq!(alerts.plans().len(), 3);

        feed(&rt, 0, 5, &ok.url).await;
        assert!(
            alerts.evaluate(Utc::now()).await.unwrap().is_empty(),
            "{}",
            db.label
        );
        assert!(hook.seen.lock().unwrap().bodies.is_empty());

        // Half the runs fail: every alert is raised, each notification sent once.
        feed(&rt, 5, 5, &bad.url).await;
        let changes = alerts.evaluate(Utc::now()).await.unwrap();
        assert_eq!(changes.len(), 3, "{}: {changes:?}", db.label);
        assert!(changes.iter().all(|c| c.state == "raised"));
        let email = changes
            .iter()
            .find(|c| c.on == "error_rate > 20%" && c.delivery.starts_with("recorded"))
            .unwrap();
        // No SMTP server configured in this test: recorded, and a warning names the secret.
        assert!(email.delivery.contains("SMTP"), "{email:?}");
        // The breach goes on, with more failures: nothing more is sent.
        for _ in 0..3 {
            feed(&rt, 100 + rand_suffix(), 1, &bad.url).await;
            assert!(alerts.evaluate(Utc::now()).await.unwrap().is_empty());
        }
        {
            let h = hook.seen.lock().unwrap();
            assert_eq!(h.bodies.len(), 1, "{}: {:?}", db.label, h.bodies);
            let b = &h.bodies[0];
            assert_eq!(b["state"], "raised");
            assert_eq!(b["alert"], "error_rate > 20%");
            assert_eq!(b["description"], "invoices are failing");
            assert!(b["figures"]["error_rate"].as_f64().unwrap() >= 0.5);
            assert_eq!(h.per_key.len(), 1);
            let s = slack.seen.lock().unwrap();
            assert_eq!(s.bodies.len(), 1);
            assert_eq!(s.bodies[0]["channel"], "#ops-oncall");
            assert!(
                s.bodies[0]["text"]
                    .as_str()
                    .unwrap()
                    .starts_with("[RAISED] billing")
            );
        }
        // A restarted runtime reads the state back from the log: no second notice.
        let again = Alerts::new(
            rt.clone(),
            Duration::from_secs(3600),
            Duration::from_secs(30),
        );
        assert!(again.evaluate(Utc::now()).await.unwrap().is_empty());

        // Two hours later the window holds no failure: resolved, announced once.
        let later = Utc::now() + chrono::Duration::hours(2);
        let changes = again.evaluate(later).await.unwrap();
        assert_eq!(changes.len(), 3);
        assert!(changes.iter().all(|c| c.state == "resolved"));
        assert!(again.evaluate(later).await.unwrap().is_empty());
        {
            let h = hook.seen.lock().unwrap();
            assert_eq!(h.bodies.len(), 2);
            assert_eq!(h.bodies[1]["state"], "resolved");
        }
        let id = alert_id(
            "billing",
            "error_rate > 20%",
            Some(&format!("webhook://{route}")),
        );
        let kinds: Vec<String> = rt
            .store()
            .events(&id)
            .await
            .unwrap()
            .into_iter()
            .map(|e| e.kind)
            .collect();
        assert_eq!(
            kinds,
            vec![
                "alert.raised",
                "alert.delivered",
                "alert.resolved",
                "alert.delivered"
            ],
            "{}",
            db.label
        );
        rt.drain(Duration::from_secs(5)).await.unwrap();
    }
}

fn rand_suffix() -> usize {
    // Distinct invoice ids across loop turns (a duplicate would start nothing).
    (uuid_like() % 1_000_000) as usize + 1000
}

fn uuid_like() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos()
}

#[tokio::test]
async fn a_failed_notification_is_sent_again_with_the_same_key() {
    let db = sqlite();
    let bad = refusing_receiver().await;
    // The alert receiver is down for its first call.
    let hook = receiver(ReceiverOpts {
        fail_first: 1,
        fail_status: 503,
        ..Default::default()
    })
    .await;
    let route = hook.url.trim_start_matches("http://").to_string();
    let (_dir, rt) = runtime(&db.url, &system(&route), "http://127.0.0.1:9/").await;
    let alerts = Alerts::new(
        rt.clone(),
        Duration::from_secs(3600),
        Duration::from_secs(30),
    );
    feed(&rt, 0, 2, &bad.url).await;
    let first = alerts.evaluate(Utc::now()).await.unwrap();
    let web = first.iter().find(|c| c.delivery.contains("503")).unwrap();
    assert_eq!(web.state, "raised");
    let second = alerts.evaluate(Utc::now()).await.unwrap();
    assert!(
        second
            .iter()
            .any(|c| c.id == web.id && c.delivery.starts_with("posted"))
    );
    assert!(
        alerts
            .evaluate(Utc::now())
            .await
            .unwrap()
            .iter()
            .all(|c| c.id != web.id)
    );
    let h = hook.seen.lock().unwrap();
    // Two calls, one key: the receiver can tell it is the same notice.
    assert_eq!(h.per_key.len(), 1);
    assert_eq!(h.per_key.values().next(), Some(&2));
}

#[tokio::test]
async fn retention_prunes_finished_runs_past_the_window() {
    for db in databases().await {
        let ok = receiver(ReceiverOpts::default()).await;
        let (_dir, rt) = runtime(&db.url, &system("127.0.0.1:9/"), "http://127.0.0.1:9/").await;
        feed(&rt, 0, 3, &ok.url).await;
        // One run waits on a delay a year away: still running, never pruned.
        let waiting = rt
            .accept(
                "billing",
                "invoice",
                json!({"invoice": {"id": "I-wait"}, "target": ok.url, "hold": (Utc::now() + chrono::Duration::days(365)).to_rfc3339()}),
                StartOptions::default(),
            )
            .await
            .unwrap();
        assert!(event_logged(&rt, &waiting.run_id, "step.delay_scheduled", 10).await);
        let finished = rt
            .store()
            .runs(&claw_runtime::store::RunFilter {
                system: Some("billing".into()),
                status: Some("succeeded".into()),
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(finished.len(), 3);

        // Today nothing is older than 30 days.
        let now = claw_runtime::retention::prune_once(&rt, Utc::now())
            .await
            .unwrap();
        assert_eq!(now[0].events, 0, "{}", db.label);
        for r in &finished {
            assert!(!rt.store().events(&r.id).await.unwrap().is_empty());
        }
        // 31 days on, the finished runs and their events are gone; the waiting run stays.
        let later = Utc::now() + chrono::Duration::days(31);
        let pruned = claw_runtime::retention::prune_once(&rt, later)
            .await
            .unwrap();
        assert!(pruned[0].events >= 3 * 4, "{}: {pruned:?}", db.label);
        for r in &finished {
            assert!(rt.store().events(&r.id).await.unwrap().is_empty());
            assert!(rt.store().run(&r.id).await.unwrap().is_none());
        }
        assert!(!rt.store().events(&waiting.run_id).await.unwrap().is_empty());
        assert_eq!(
            rt.store()
                .run(&waiting.run_id)
                .await
                .unwrap()
                .unwrap()
                .status,
            "running"
        );
        rt.drain(Duration::from_millis(200)).await.unwrap();
    }
}

/// A real SMTP server on 127.0.0.1 that accepts every message and keeps it (envelope
/// recipients and the DATA text).
struct SmtpSink {
    port: u16,
    mails: Arc<std::sync::Mutex<Vec<Mail>>>,
}

/// Envelope recipients and the message text.
type Mail = (Vec<String>, String);

async fn smtp_sink() -> SmtpSink {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = l.local_addr().unwrap().port();
    let mails = Arc::new(std::sync::Mutex::new(Vec::new()));
    let kept = mails.clone();
    tokio::spawn(async move {
        while let Ok((sock, _)) = l.accept().await {
            let kept = kept.clone();
            tokio::spawn(async move {
                let (r, mut w) = sock.into_split();
                let mut lines = BufReader::new(r).lines();
                w.write_all(b"220 sink ESMTP\r\n").await.unwrap();
                let mut rcpt = Vec::new();
                while let Ok(Some(line)) = lines.next_line().await {
                    let verb = line.get(..4).unwrap_or("").to_ascii_uppercase();
                    let answer: &[u8] = match verb.as_str() {
                        "EHLO" | "HELO" => b"250 sink\r\n",
                        "RCPT" => {
                            rcpt.push(line[8..].trim().trim_matches(['<', '>']).to_string());
                            b"250 ok\r\n"
                        }
                        "DATA" => {
                            w.write_all(b"354 end with .\r\n").await.unwrap();
                            let mut text = String::new();
                            while let Ok(Some(l)) = lines.next_line().await {
                                if l == "." {
                                    break;
                                }
                                text.push_str(&l);
                                text.push('\n');
                            }
                            kept.lock().unwrap().push((std::mem::take(&mut rcpt), text));
                            b"250 queued\r\n"
                        }
                        "QUIT" => {
                            let _ = w.write_all(b"221 bye\r\n").await;
                            return;
                        }
                        _ => b"250 ok\r\n",
                    };
                    w.write_all(answer).await.unwrap();
                }
            });
        }
    });
    SmtpSink { port, mails }
}

/// The billing system paging PagerDuty and mailing finance on failures.
fn paged() -> String {
    format!(
        r#"{BILLING}{DATA}observability:
  slo:
    error_rate: <1%
  alerts:
    - on: error_rate > 20%
      route: pagerduty://billing-api
      description: invoices are failing
    - on: error_rate > 20%
      route: email://finance-ops@example.com
  owner: finance
"#
    )
}

#[tokio::test]
async fn pagerduty_and_email_routes_page_and_mail_once_per_breach() {
    for db in databases().await {
        let bad = refusing_receiver().await;
        let pagerduty = receiver(ReceiverOpts::default()).await;
        let smtp = smtp_sink().await;
        let dir = tempfile::tempdir().unwrap();
        let secrets = format!(
            "pagerduty_routing_key_billing_api=R0UTING-KEY-7f3a\nsmtp_url=smtp://127.0.0.1:{}\nsmtp_from=alerts@example.com\n",
            smtp.port
        );
        let rt = test_runtime(&db.url, dir.path(), &[("billing", &paged())], &secrets).await;
        let alerts = Alerts::new(
            rt.clone(),
            Duration::from_secs(3600),
            Duration::from_secs(30),
        )
        .with_pagerduty_url(pagerduty.url.clone());
        let page_id = alert_id(
            "billing",
            "error_rate > 20%",
            Some("pagerduty://billing-api"),
        );

        feed(&rt, 0, 4, &bad.url).await;
        let changes = alerts.evaluate(Utc::now()).await.unwrap();
        assert_eq!(changes.len(), 2, "{}: {changes:?}", db.label);
        let paged = changes.iter().find(|c| c.id == page_id).unwrap();
        assert_eq!(paged.delivery, "posted (200)", "{}", db.label);
        let mailed = changes.iter().find(|c| c.id != page_id).unwrap();
        assert!(mailed.delivery.starts_with("mailed (250"), "{mailed:?}");
        // The breach goes on: nothing more is paged or mailed.
        feed(&rt, 10, 2, &bad.url).await;
        assert!(alerts.evaluate(Utc::now()).await.unwrap().is_empty());
        // Resolved two hours later, once.
        let later = Utc::now() + chrono::Duration::hours(2);
        assert_eq!(alerts.evaluate(later).await.unwrap().len(), 2);
        assert!(alerts.evaluate(later).await.unwrap().is_empty());

        {
            let pd = pagerduty.seen.lock().unwrap();
            assert_eq!(pd.bodies.len(), 2, "{}: {:?}", db.label, pd.bodies);
            let (trigger, resolve) = (&pd.bodies[0], &pd.bodies[1]);
            assert_eq!(trigger["event_action"], "trigger");
            assert_eq!(resolve["event_action"], "resolve");
            for b in [trigger, resolve] {
                assert_eq!(b["routing_key"], "R0UTING-KEY-7f3a");
                // One PagerDuty incident per breach: the same dedup key opens and closes it.
                assert_eq!(b["dedup_key"], page_id.as_str());
                assert_eq!(b["payload"]["source"], "openclaw:billing");
                assert_eq!(b["payload"]["severity"], "critical");
            }
            assert_eq!(
                trigger["payload"]["summary"],
                "[RAISED] billing: error_rate > 20% — invoices are failing"
            );
            assert!(
                trigger["payload"]["custom_details"]["figures"]["error_rate"]
                    .as_f64()
                    .unwrap()
                    >= 0.5
            );
        }
        {
            let mails = smtp.mails.lock().unwrap();
            assert_eq!(mails.len(), 2, "{}", db.label);
            let (to, text) = &mails[0];
            assert_eq!(to, &vec!["finance-ops@example.com".to_string()]);
            assert!(text.contains("From: alerts@example.com"), "{text}");
            assert!(
                text.contains("Subject: [RAISED] billing: error_rate > 20%"),
                "{text}"
            );
            assert!(text.contains("Message-ID: <alert.billing."), "{text}");
            assert!(text.contains("error_rate: "), "{text}");
            assert!(mails[1].1.contains("Subject: [RESOLVED] billing"));
        }
        // Neither the routing key nor the SMTP server address reached the log.
        for id in changes.iter().map(|c| &c.id) {
            let log = serde_json::to_string(&rt.store().events(id).await.unwrap()).unwrap();
            assert!(!log.contains("R0UTING-KEY"), "{log}");
            assert!(!log.contains(&format!("127.0.0.1:{}", smtp.port)), "{log}");
        }
        rt.drain(Duration::from_secs(5)).await.unwrap();
    }
}

#[tokio::test]
async fn an_unreachable_smtp_server_fails_without_leaking_its_url() {
    let db = sqlite();
    let bad = refusing_receiver().await;
    let dir = tempfile::tempdir().unwrap();
    // Port 9 (discard) is closed here; the password must not appear anywhere.
    let secrets = "smtp_url=smtp://mailer:pa55w0rd-x@127.0.0.1:9\n";
    let rt = test_runtime(&db.url, dir.path(), &[("billing", &paged())], secrets).await;
    let alerts = Alerts::new(
        rt.clone(),
        Duration::from_secs(3600),
        Duration::from_secs(30),
    );
    feed(&rt, 0, 3, &bad.url).await;
    let changes = alerts.evaluate(Utc::now()).await.unwrap();
    // No PagerDuty routing key: recorded, not failed.
    assert!(
        changes
            .iter()
            .any(|c| c.delivery == "recorded (no PagerDuty routing key configured)"),
        "{changes:?}"
    );
    let mail = changes
        .iter()
        .find(|c| c.delivery.starts_with("failed"))
        .unwrap();
    assert!(
        mail.delivery.contains("email://finance-ops@example.com"),
        "{mail:?}"
    );
    let log = serde_json::to_string(&rt.store().events(&mail.id).await.unwrap()).unwrap();
    assert!(log.contains("alert.delivery_failed"));
    assert!(
        !log.contains("pa55w0rd") && !mail.delivery.contains("pa55w0rd"),
        "{log}"
    );
    rt.drain(Duration::from_secs(5)).await.unwrap();
}
