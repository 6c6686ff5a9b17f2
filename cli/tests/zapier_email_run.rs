//! An imported Email by Zapier Zap runs for real: `samples/zapier/email-order-confirmation.json`
//! (Catch Hook → Email by Zapier "Send Outbound Email") is imported with
//! `claw import zapier --accept`, checked with `claw check`, then run by `claw run` on SQLite,
//! which mails through a real SMTP server on 127.0.0.1 (aiosmtpd, Debian's `python3-aiosmtpd`,
//! keeping each message in a maildir).
//!
//! Zapier behaviour encoded (Zapier's help page "Send outbound email with Email by Zapier"):
//! - one mail per run, to the "To" addresses, with "CC" copied and "Reply To" set;
//! - "From Name" is the sender's display name (Zapier's address is its own; here it is the
//!   `smtp_from` secret, the deployment's sender address);
//! - the "Body" is sent as HTML when the body type is HTML.
//!
//! Beyond Zapier: the step's idempotency key is the `Message-ID`, so a retried send carries the
//! same id and receivers can deduplicate it.

#[path = "common/ops.rs"]
mod ops;
#[path = "common/zapier_run.rs"]
mod zapier_run;

use ops::*;
use std::process::{Child, Command};

const SAMPLE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../samples/zapier/email-order-confirmation.json"
);

/// aiosmtpd on a free loopback port, storing every message under `maildir/new`.
struct SmtpServer {
    child: Child,
    port: u16,
    maildir: PathBuf,
}

impl SmtpServer {
    fn start(maildir: PathBuf) -> SmtpServer {
        let ok = Command::new("/usr/bin/python3")
            .args(["-c", "import aiosmtpd"])
            .status()
            .is_ok_and(|s| s.success());
        assert!(
            ok,
            "this test needs aiosmtpd (Debian's python3-aiosmtpd; scripts/test.sh installs it)"
        );
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new("/usr/bin/python3")
            .args(["-m", "aiosmtpd", "-n", "-l"])
            .arg(format!("127.0.0.1:{port}"))
            .args(["-c", "aiosmtpd.handlers.Mailbox"])
            .arg(&maildir)
            .spawn()
            .unwrap();
        wait_for("aiosmtpd to listen", Duration::from_secs(20), || {
            std::net::TcpStream::connect(("127.0.0.1", port)).ok()
        });
        SmtpServer {
            child,
            port,
            maildir,
        }
    }

    /// Every stored message, as text.
    fn mails(&self) -> Vec<String> {
        let Ok(dir) = std::fs::read_dir(self.maildir.join("new")) else {
            return Vec::new();
        };
        dir.map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
            .collect()
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The value of header `name` in a stored message (first occurrence, unfolded).
fn header(mail: &str, name: &str) -> String {
    let head = mail.split("\n\n").next().unwrap_or("");
    let mut out: Option<String> = None;
    for line in head.lines() {
        if let Some(v) = &mut out {
            if line.starts_with([' ', '\t']) {
                v.push(' ');
                v.push_str(line.trim());
                continue;
            }
            break;
        }
        if let Some((k, v)) = line.split_once(':')
            && k.eq_ignore_ascii_case(name)
        {
            out = Some(v.trim().to_string());
        }
    }
    out.unwrap_or_default()
}

// Long on purpose: one scenario against real processes (import, SMTP server, `claw run`, a
// delivery, the mail's every field); split, each part would repeat the servers.
#[test]
fn imported_email_zap_mails_through_a_real_smtp_server() {
    let dir = tempfile::tempdir().unwrap();
    let file = import_and_check(
        SAMPLE,
        &dir.path().join("systems"),
        "order-confirmation-email",
    );
    // The inbound-mail Zap imports too, with the findings that say what it lacks.
    let report = cli(&[
        "import",
        "zapier",
        SAMPLE,
        "-o",
        dir.path().join("again").to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert!(
        report.stdout.contains("claw::import::inbound_email"),
        "{}",
        report.stdout
    );
    assert!(
        report.stdout.contains("not carried out: attachment"),
        "{}",
        report.stdout
    );

    let smtp = SmtpServer::start(dir.path().join("maildir"));
    let smtp_url = format!("smtp://127.0.0.1:{}", smtp.port);
    let db = sqlite(dir.path());
    let srv = Server::start(
        &file,
        &db,
        &[],
        &[
            ("CLAW_SECRET_SMTP_URL", smtp_url.as_str()),
            ("CLAW_SECRET_SMTP_FROM", "orders@shop.example.com"),
        ],
    );
    let run = hook(
        &srv.url,
        "order-confirmation-email",
        "new_order",
        json!({"order_id": "A-1001", "total": "$42.00",
               "customer": {"name": "Ada", "email": "ada@example.com"}}),
    );
    let ev = finished(&db, &run);
    assert_eq!(ev["run"]["status"], "succeeded", "{ev}");
    let out = zapier_run::output(&ev, "confirm_order");
    let message_id = out["message_id"].as_str().unwrap().to_string();
    assert!(
        message_id.starts_with('<') && message_id.ends_with("@openclaw>"),
        "{out}"
    );
    assert_eq!(out["to"], json!(["ada@example.com"]));
    // The server's address is a secret: it never reaches the events.
    assert!(!ev.to_string().contains(&smtp_url), "{ev}");

    let mails = wait_for("the mail", Duration::from_secs(10), || {
        let m = smtp.mails();
        (!m.is_empty()).then_some(m)
    });
    assert_eq!(mails.len(), 1, "{mails:?}");
    let m = &mails[0];
    assert_eq!(header(m, "To"), "ada@example.com", "{m}");
    assert_eq!(header(m, "Cc"), "orders@shop.example.com", "{m}");
    assert_eq!(header(m, "Reply-To"), "support@shop.example.com", "{m}");
    assert_eq!(
        header(m, "From"),
        "\"Example Shop\" <orders@shop.example.com>",
        "{m}"
    );
    assert_eq!(header(m, "Subject"), "Order A-1001 confirmed", "{m}");
    assert!(header(m, "Content-Type").starts_with("text/html"), "{m}");
    assert_eq!(header(m, "Message-ID"), message_id, "{m}");
    // The envelope: the To and the CC addresses both receive it.
    let rcpt = header(m, "X-RcptTo");
    assert!(
        rcpt.contains("ada@example.com") && rcpt.contains("orders@shop.example.com"),
        "{m}"
    );
    assert!(m.contains("<b>A-1001</b>"), "{m}");

    let stopped = srv.stop(SIGTERM);
    assert!(stopped.status.success(), "{}", stopped.stderr);
    assert!(!stopped.stderr.contains(&smtp_url), "{}", stopped.stderr);
}
