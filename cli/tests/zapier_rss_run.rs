//! An imported RSS by Zapier Zap runs for real: `samples/zapier/rss-new-blog-posts.json` (RSS
//! "New Item in Feed" → Filter → Webhooks by Zapier POST) is imported with
//! `claw import zapier --accept`, checked with `claw check`, then run by `claw run` on SQLite
//! against a loopback server that serves the feed and receives the POSTs.
//!
//! Zapier behaviour encoded here (Zapier's help pages "Trigger Zaps from new RSS feed items"
//! and "Send webhooks in Zaps"):
//! - the RSS trigger starts the Zap once per new item; with the "smart" trigger style an item
//!   is new when its guid (or, without one, its URL) has not been seen before, so a poll that
//!   sees the same items again starts nothing;
//! - a Filter step stops the run for items it does not let through;
//! - Webhooks by Zapier POST sends `data` as a form by default (`payload_type` absent), with
//!   the keys as written when `unflatten` is `no`.

#[path = "common/ops.rs"]
mod ops;

use ops::*;

const SAMPLE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../samples/zapier/rss-new-blog-posts.json"
);

fn feed(items: &[(&str, &str, &str)]) -> String {
    let mut s = String::from(
        "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>Blog</title><link>https://blog.example.com/</link>",
    );
    for (guid, link, date) in items {
        s.push_str(&format!(
            "<item><title>Post {guid}</title><link>{link}</link><guid>{guid}</guid><pubDate>{date}</pubDate></item>"
        ));
    }
    s.push_str("</channel></rss>");
    s
}

/// The form fields of every POST the receiver got, in arrival order.
fn posted(recv: &Receiver) -> Vec<BTreeMap<String, String>> {
    recv.seen("/announce")
        .iter()
        .map(|s| {
            url::form_urlencoded::parse(s.body.as_bytes())
                .into_owned()
                .collect()
        })
        .collect()
}

// Long on purpose: one scenario against real `claw` processes (import, check, first poll,
// restart with one new item); split, each part would repeat the import and the servers.
#[test]
fn imported_rss_zap_posts_each_new_item_once() {
    let dir = tempfile::tempdir().unwrap();
    let file = import_and_check(SAMPLE, &dir.path().join("systems"), "share-new-blog-posts");

    let recv = Receiver::start();
    let text = std::fs::read_to_string(&file)
        .unwrap()
        .replace(
            "https://blog.example.com/index.xml",
            &format!("{}/index.xml", recv.base),
        )
        .replace(
            "https://chat.example.com/announce",
            &format!("{}/announce", recv.base),
        );
    std::fs::write(&file, text).unwrap();
    let first = [
        (
            "p2",
            "https://blog.example.com/p2",
            "Tue, 01 Dec 2026 10:00:00 GMT",
        ),
        (
            "t1",
            "https://blog.example.com/blog/tags/rust",
            "Mon, 30 Nov 2026 12:00:00 GMT",
        ),
        (
            "p1",
            "https://blog.example.com/p1",
            "Mon, 30 Nov 2026 10:00:00 GMT",
        ),
    ];
    recv.script(|s| {
        s.serve.insert("/index.xml".into(), feed(&first));
    });

    let db = sqlite(dir.path());
    let srv = Server::start(&file, &db, &[], &[]);
    // The poll at start: three items, three runs; the tags page stops at the filter.
    let all = wait_for("three runs to finish", Duration::from_secs(20), || {
        let r = runs(&db, &[]);
        (r.len() == 3 && r.iter().all(|x| x["status"] != "running")).then_some(r)
    });
    assert!(all.iter().all(|r| r["status"] == "succeeded"), "{all:?}");
    let got = posted(&recv);
    assert_eq!(got.len(), 2, "{got:?}");
    let mut links: Vec<&str> = got.iter().map(|f| f["post__link"].as_str()).collect();
    links.sort_unstable();
    assert_eq!(
        links,
        ["https://blog.example.com/p1", "https://blog.example.com/p2"]
    );
    let p1 = got
        .iter()
        .find(|f| f["post__link"].ends_with("/p1"))
        .unwrap();
    assert_eq!(p1["post__title"], "Post p1");
    assert_eq!(p1["published"], "2026-11-30T10:00:00Z");
    let stopped = srv.stop(SIGTERM);
    assert!(stopped.status.success(), "{}", stopped.stderr);

    // The next poll sees the same three items and one new one: only the new one runs.
    let mut second = first.to_vec();
    second.insert(
        0,
        (
            "p3",
            "https://blog.example.com/p3",
            "Wed, 02 Dec 2026 10:00:00 GMT",
        ),
    );
    recv.script(|s| {
        s.serve.insert("/index.xml".into(), feed(&second));
    });
    let srv = Server::start(&file, &db, &[], &[]);
    wait_for("the new item's run", Duration::from_secs(20), || {
        let r = runs(&db, &[]);
        (r.len() == 4 && r.iter().all(|x| x["status"] != "running")).then_some(())
    });
    let got = posted(&recv);
    assert_eq!(got.len(), 3, "{got:?}");
    assert_eq!(got[2]["post__link"], "https://blog.example.com/p3");
    let stopped = srv.stop(SIGTERM);
    assert!(stopped.status.success(), "{}", stopped.stderr);
}
