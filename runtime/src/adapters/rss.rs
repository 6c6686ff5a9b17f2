//! `rss.*`: read an RSS 0.9x/1.0/2.0, Atom or JSON Feed document into a list of items, the
//! read operation behind RSS by Zapier's "New Item in Feed" poll trigger.
//!
//! The feed is fetched over HTTP (the step's timeout, at most 5 MiB; a longer feed is a
//! failure rather than a silently cut list) and parsed by `feed-rs`. The output is
//! `{"items": [...]}`, which the poll trigger turns into one run per item. Items are oldest
//! first when every item carries a date (a feed lists newest first; runs should happen in
//! publication order), else in the feed's own order.
//!
//! Every item has an `id` that is stable across polls: the feed's own guid/id, else the
//! first link, else the title. feed-rs would otherwise invent a random UUID for an item
//! with neither, and a random id makes every poll see the item as new.

use super::http::{Fetched, fetch, status_error};
use super::{Adapter, AdapterError, Call, required};
use chrono::{DateTime, SecondsFormat, Utc};
use feed_rs::model::{Entry, Feed, Link, Text};
use serde_json::{Value, json};

/// Largest feed document read.
const MAX_FEED: usize = 5 * 1024 * 1024;

/// RSS and Atom feeds over HTTP: `rss.new_feed` (also `rss.new_item`, `rss.read`) with `url`.
#[derive(Debug, Clone)]
pub struct RssAdapter {
    client: reqwest::Client,
}

impl RssAdapter {
    /// With the shared HTTP client.
    pub fn new(client: reqwest::Client) -> Self {
        RssAdapter { client }
    }
}

#[async_trait::async_trait]
impl Adapter for RssAdapter {
    async fn call(&self, call: &Call) -> Result<Value, AdapterError> {
        if !matches!(call.operation.as_str(), "new_feed" | "new_item" | "read") {
            return Err(AdapterError::permanent(format!(
                "rss has no operation `{}`; expected new_feed, new_item or read",
                call.operation
            )));
        }
        let url = required(call, "url")?;
        let what = format!("{} in step `{}`", call.action, call.step);
        let Fetched {
            status,
            body,
            truncated,
            ..
        } = fetch(
            &self.client,
            reqwest::Method::GET,
            url,
            call,
            None,
            MAX_FEED,
        )
        .await?;
        if !(status.is_success() || status.is_redirection()) {
            let snippet: String = String::from_utf8_lossy(&body).chars().take(200).collect();
            return Err(status_error(&what, status, &snippet));
        }
        if truncated {
            return Err(AdapterError::permanent(format!(
                "{what}: the feed is larger than {} MiB",
                MAX_FEED / (1024 * 1024)
            )));
        }
        let feed = parse(&body).map_err(|e| {
            // A feed that does not parse now may parse once its publisher fixes it.
            AdapterError::retryable(format!("{what}: not an RSS, Atom or JSON feed ({e})"))
        })?;
        Ok(items(&feed))
    }
}

/// Parses a feed document with ids that do not change between polls.
pub fn parse(bytes: &[u8]) -> Result<Feed, feed_rs::parser::ParseFeedError> {
    feed_rs::parser::Builder::new()
        .id_generator(|links: &[Link], title: &Option<Text>, _uri: Option<&str>| {
            links
                .first()
                .map(|l| l.href.clone())
                .or_else(|| title.as_ref().map(|t| t.content.clone()))
                .unwrap_or_default()
        })
        .build()
        .parse(bytes)
}

/// The poll output: `{"items": [...]}` in publication order.
pub fn items(feed: &Feed) -> Value {
    let mut entries: Vec<&Entry> = feed.entries.iter().collect();
    if entries.iter().all(|e| date(e).is_some()) {
        // Stable: items with the same date keep the feed's order.
        entries.sort_by_key(|e| date(e));
    }
    let feed_info = json!({
        "title": feed.title.as_ref().map(|t| t.content.clone()),
        "link": feed.links.first().map(|l| l.href.clone()),
    });
    let list: Vec<Value> = entries.into_iter().map(|e| item(e, &feed_info)).collect();
    json!({ "items": list })
}

fn date(e: &Entry) -> Option<DateTime<Utc>> {
    e.published.or(e.updated)
}

fn rfc3339(d: Option<DateTime<Utc>>) -> Value {
    d.map_or(Value::Null, |d| {
        Value::String(d.to_rfc3339_opts(SecondsFormat::Secs, true))
    })
}

fn item(e: &Entry, feed: &Value) -> Value {
    let summary = e.summary.as_ref().map(|t| t.content.clone());
    let body = e.content.as_ref().and_then(|c| c.body.clone());
    // The item's own page: an `alternate` (or unqualified) link before enclosures and others.
    let link = e
        .links
        .iter()
        .find(|l| l.rel.as_deref().is_none_or(|r| r == "alternate"))
        .or_else(|| e.links.first())
        .map(|l| l.href.clone());
    json!({
        "id": e.id,
        "title": e.title.as_ref().map(|t| t.content.clone()),
        "link": link,
        "links": e.links.iter().map(|l| l.href.clone()).collect::<Vec<_>>(),
        "description": summary.clone().or_else(|| body.clone()),
        "content": body.or(summary),
        "author": e.authors.first().map(|a| a.name.clone()),
        "authors": e.authors.iter().map(|a| a.name.clone()).collect::<Vec<_>>(),
        "pubdate": rfc3339(date(e)),
        "updated": rfc3339(e.updated),
        "categories": e.categories.iter().map(|c| c.term.clone()).collect::<Vec<_>>(),
        "feed": feed,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const RSS: &str = r#"<?xml version="1.0"?>
<rss version="2.0"><channel><title>Blog</title><link>https://blog.example/</link>
<item><title>Second</title><link>https://blog.example/2</link><guid>post-2</guid>
<pubDate>Tue, 01 Dec 2026 10:00:00 GMT</pubDate><description>two</description></item>
<item><title>First</title><link>https://blog.example/1</link>
<pubDate>Mon, 30 Nov 2026 10:00:00 GMT</pubDate><category>news</category></item>
<item><title>No link</title></item>
</channel></rss>"#;

    #[test]
    fn items_have_stable_ids_and_zapier_like_fields() {
        let feed = parse(RSS.as_bytes()).expect("the sample parses");
        let out = items(&feed);
        let list = out["items"].as_array().expect("a list");
        assert_eq!(list.len(), 3);
        // Not every item is dated: the feed's order is kept.
        assert_eq!(list[0]["id"], "post-2");
        assert_eq!(list[0]["description"], "two");
        assert_eq!(list[0]["pubdate"], "2026-12-01T10:00:00Z");
        assert_eq!(list[1]["id"], "https://blog.example/1");
        assert_eq!(list[1]["categories"], json!(["news"]));
        assert_eq!(list[2]["id"], "No link");
        assert_eq!(list[0]["feed"]["title"], "Blog");
        // Parsing again gives the same ids (no random UUIDs).
        assert_eq!(items(&parse(RSS.as_bytes()).expect("parses")), out);
    }

    #[test]
    fn dated_items_come_oldest_first() {
        let atom = r#"<feed xmlns="http://www.w3.org/2005/Atom"><title>A</title><id>f</id>
<entry><id>b</id><title>B</title><updated>2026-12-02T00:00:00Z</updated></entry>
<entry><id>a</id><title>A</title><updated>2026-12-01T00:00:00Z</updated></entry></feed>"#;
        let out = items(&parse(atom.as_bytes()).expect("parses"));
        let ids: Vec<&str> = out["items"]
            .as_array()
            .expect("a list")
            .iter()
            .filter_map(|i| i["id"].as_str())
            .collect();
        assert_eq!(ids, ["a", "b"]);
    }

    proptest::proptest! {
        /// Whatever a server sends, reading it never panics.
        #[test]
        fn any_bytes_give_items_or_an_error(b in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..2000)) {
            if let Ok(feed) = parse(&b) {
                proptest::prop_assert!(items(&feed)["items"].is_array());
            }
        }

        /// Any text inside a well-formed item survives into its fields.
        #[test]
        fn item_text_survives(title in "[a-zA-Z0-9 ,.!?]{1,40}") {
            let doc = format!("<rss version=\"2.0\"><channel><title>t</title><item><title>{title}</title><guid>g</guid></item></channel></rss>");
            let out = items(&parse(doc.as_bytes()).map_err(|e| proptest::test_runner::TestCaseError::fail(e.to_string()))?);
            proptest::prop_assert_eq!(out["items"][0]["title"].as_str(), Some(title.trim()));
        }
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        assert!(parse(b"<html><body>not a feed").is_err());
        assert!(parse(&[0xff, 0xfe, 0x00]).is_err());
    }
}
