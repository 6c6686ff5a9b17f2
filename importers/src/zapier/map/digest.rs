//! Digest by Zapier steps (`DigestCLIAPI`) → `digest.append` / `digest.release` steps over a
//! digest the system declares under `data.digests`.
//!
//! No export with Digest params has been seen (docs/importers/zapier.md). The actions and
//! params are read by the names Zapier's help gives them ("Compile data in a digest in Zaps":
//! Append Entry and Schedule Digest with Title, Entry and Frequency; Release Existing Digest),
//! in the spellings an export would plausibly use (`title`, `entry`, `frequency`, `threshold`,
//! compared without case or separators). The digest is named from its title, so Zaps that
//! shared a digest share one here. A scheduled frequency (daily, weekly, monthly) is not run
//! by the runtime yet: the digest is declared `release: manual` with a finding. Anything else
//! the mapping cannot read keeps the step `unported.*` or is reported, never dropped silently.

use super::{Mapper, plain};
use crate::findings::Finding;
use crate::zapier::codes;
use crate::zapier::model::Node;
use claw_language::Execution;
use claw_language::model::{Digest, DigestRelease};
use serde_json::{Map, Value};

/// Zapier's limit on a digest title (the help page above): longer titles are cut there.
const TITLE_MAX: usize = 32;

/// A key or word without case, `_`, `-` or spaces.
fn squash(s: &str) -> String {
    s.chars()
        .filter(char::is_ascii_alphanumeric)
        .collect::<String>()
        .to_ascii_lowercase()
}

/// The `digest.*` operation an action key names.
fn operation(action: &str) -> Option<&'static str> {
    match squash(action).as_str() {
        "appendentryandscheduledigest"
        | "appendentry"
        | "append"
        | "appendtodigest"
        | "digest"
        | "scheduledigest" => Some("append"),
        "releaseexistingdigest" | "releasedigest" | "release" => Some("release"),
        _ => None,
    }
}

/// Finds the first of `names` among the params (keys compared squashed): (key, value).
fn param<'p>(params: &'p Map<String, Value>, names: &[&str]) -> Option<(&'p str, &'p Value)> {
    names.iter().find_map(|n| {
        params
            .iter()
            .find(|(k, _)| squash(k) == *n)
            .map(|(k, v)| (k.as_str(), v))
    })
}

const TITLE: &[&str] = &["title", "digesttitle", "name", "digestname", "key"];
const ENTRY: &[&str] = &["entry", "entrytext", "content", "text", "message"];
const FREQUENCY: &[&str] = &["frequency", "schedule", "releasefrequency", "when"];
const THRESHOLD: &[&str] = &[
    "threshold",
    "count",
    "entrycount",
    "thresholdcount",
    "entries",
];

const TIME_OF_DAY: &[&str] = &["timeofday", "hod", "time", "hour", "releasetime"];
const DAY_OF_WEEK: &[&str] = &["dayofweek", "dow", "weekday", "day"];
const DAY_OF_MONTH: &[&str] = &["dayofmonth", "dom", "monthday"];
const TIMEZONE: &[&str] = &["timezone", "tz", "timezoneoverride"];

/// How a digest is released, as declared under `data.digests`.
#[derive(Debug, Clone, PartialEq)]
struct Policy {
    release: DigestRelease,
    count: Option<u32>,
    schedule: Option<String>,
    timezone: Option<String>,
}

impl Policy {
    fn manual() -> Policy {
        Policy {
            release: DigestRelease::Manual,
            count: None,
            schedule: None,
            timezone: None,
        }
    }
}

/// The release an append step's params ask for, and the param keys read for it; `Err` says
/// why a frequency could not be read (the digest is then released by hand).
fn policy(params: &Map<String, Value>) -> (Result<Policy, String>, Vec<String>) {
    let mut read = Vec::new();
    let mut take = |names: &[&str]| {
        param(params, names).map(|(k, v)| {
            read.push(k.to_string());
            plain(v)
        })
    };
    let frequency = take(FREQUENCY);
    let threshold = take(THRESHOLD);
    let word = frequency.as_deref().map(squash).unwrap_or_default();
    let kind = match word.as_str() {
        "" | "manual" | "manually" => return (Ok(Policy::manual()), read),
        w if w.contains("threshold") || w.contains("count") => {
            let n = threshold.as_deref().and_then(count);
            let p = n.map(|n| Policy {
                release: DigestRelease::Count,
                count: Some(n),
                ..Policy::manual()
            });
            return (
                p.ok_or_else(|| format!("{w} without a readable threshold count")),
                read,
            );
        }
        "daily" | "day" | "everyday" => "every_day",
        "weekly" | "week" | "everyweek" => "every_week",
        "monthly" | "month" | "everymonth" => "every_month",
        _ => return (Err(format!("the frequency `{word}` is not known")), read),
    };
    // The release time params, in the names Schedule by Zapier's own params use.
    let mut when = Map::new();
    for (names, key) in [
        (TIME_OF_DAY, "hod"),
        (DAY_OF_WEEK, "dow"),
        (DAY_OF_MONTH, "dom"),
    ] {
        if let Some(v) = take(names) {
            when.insert(key.to_string(), Value::String(v));
        }
    }
    let timezone = take(TIMEZONE).filter(|z| z.parse::<chrono_tz::Tz>().is_ok());
    let p = crate::zapier::schedule::cron(kind, &when).map(|cron| Policy {
        release: DigestRelease::Schedule,
        schedule: Some(cron),
        timezone,
        ..Policy::manual()
    });
    (p.map_err(|why| format!("{word}: {why}")), read)
}

/// A threshold count as Zapier's field holds it (as text): a whole number from 1 to 1000.
fn count(v: &str) -> Option<u32> {
    v.trim()
        .parse::<u32>()
        .ok()
        .filter(|n| (1..=1000).contains(n))
}

impl Mapper<'_> {
    /// Maps the Digest step at node `i` into `x`. False when it stays unported (the finding is
    /// noted and `x.action` set); the caller then keeps the params as they are.
    pub(super) fn digest(&mut self, i: usize, n: &Node, x: &mut Execution) -> bool {
        let Some(op) = operation(n.action()) else {
            let why =
                "the action is neither an append nor a release (digest.append, digest.release)";
            self.keep_unported(i, n, x, "Digest by Zapier", why);
            return false;
        };
        let params = n.params.clone().unwrap_or_default();
        let title = param(&params, TITLE).map(|(k, v)| (k, plain(v)));
        let digest = match &title {
            Some((_, t)) if !t.contains("{{") => {
                let cut: String = t.chars().take(TITLE_MAX).collect();
                crate::names::slug_of(&cut).map(|s| format!("digest_{s}"))
            }
            _ => None,
        };
        let Some(digest) = digest else {
            let why = "its title is missing or comes from an earlier step, and a digest must be declared by a fixed name";
            self.keep_unported(i, n, x, "Digest by Zapier", why);
            return false;
        };
        let title_text = title
            .as_ref()
            .map(|(_, t)| t.trim().to_string())
            .unwrap_or_default();
        let mut read: Vec<String> = title.iter().map(|(k, _)| k.to_string()).collect();
        x.action = format!("digest.{op}");
        x.with
            .insert("digest".into(), Value::String(digest.clone()));
        let mut policy = None;
        if op == "append" {
            if let Some((k, v)) = param(&params, ENTRY) {
                read.push(k.to_string());
                let entry = self.rewrite(v, i, "digest", k);
                x.with.insert("entry".into(), entry);
            }
            let (p, keys) = self::policy(&params);
            read.extend(keys);
            self.declare_digest(
                &digest,
                p.clone().unwrap_or_else(|_| Policy::manual()),
                &title_text,
            );
            policy = Some(p);
        } else {
            self.declare_digest(&digest, Policy::manual(), &title_text);
        }
        let ignored: Vec<&str> = params
            .keys()
            .map(String::as_str)
            .filter(|k| !read.iter().any(|r| r == k) && !k.starts_with("_zap"))
            .filter(|k| *k != "authentication_id")
            .collect();
        self.digest_findings(i, x, &digest, &ignored, policy);
        true
    }

    /// Declares `name` under `data.digests` unless an earlier step of this Zap did; an append's
    /// policy wins over a release step's `manual`.
    fn declare_digest(&mut self, name: &str, policy: Policy, title: &str) {
        let append_policy = policy.release != DigestRelease::Manual;
        let declared = Digest {
            name: name.to_string(),
            description: Some(format!("Digest by Zapier \"{title}\"")),
            release: policy.release,
            count: policy.count,
            separator: None,
            schedule: policy.schedule,
            timezone: policy.timezone,
        };
        match self.digests.iter_mut().find(|d| d.name == name) {
            Some(d) if append_policy => *d = declared,
            Some(_) => {}
            None => self.digests.push(declared),
        }
    }

    /// The mapping's findings: what the step became, the params not translated, and a
    /// scheduled release the runtime does not run.
    fn digest_findings(
        &mut self,
        i: usize,
        x: &Execution,
        digest: &str,
        ignored: &[&str],
        policy: Option<Result<Policy, String>>,
    ) {
        let name = self.names[i].clone();
        let msg = format!(
            "Digest by Zapier step `{name}` became `{}` on the digest `{digest}` (declared under data.digests; named from the digest's title, so Zaps that shared it share it)",
            x.action
        );
        self.note_mapped(i, codes::DIGEST_MAPPED, msg, ignored);
        if let Some(Err(why)) = policy {
            self.note(
                Finding::warning(
                    codes::DIGEST_SCHEDULE.id,
                    format!(
                        "Digest by Zapier step `{name}`: its release could not be read ({why}): the digest `{digest}` is declared `release: manual`, so its entries are held until a `digest.release` step releases them"
                    ),
                    self.origin(Some(i)),
                )
                .at_path(format!("/data/digests/{digest}"))
                .with_help(codes::DIGEST_SCHEDULE.fix),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{DigestRelease, Policy, count, operation, policy};
    use serde_json::{Value, json};

    #[test]
    fn action_keys() {
        assert_eq!(
            operation("append_entry_and_schedule_digest"),
            Some("append")
        );
        assert_eq!(operation("Release Existing Digest"), Some("release"));
        assert_eq!(operation("find_digest"), None);
    }

    fn of(v: Value) -> Result<Policy, String> {
        policy(v.as_object().unwrap()).0
    }

    #[test]
    fn frequencies() {
        let threshold = of(json!({"frequency": "threshold", "threshold": "5"})).unwrap();
        assert_eq!(
            (threshold.release, threshold.count),
            (DigestRelease::Count, Some(5))
        );
        assert!(of(json!({"frequency": "threshold"})).is_err());
        assert_eq!(of(json!({"frequency": "Manual"})), Ok(Policy::manual()));
        assert_eq!(of(json!({})), Ok(Policy::manual()));
        let weekly = of(json!({"frequency": "weekly", "day_of_week": "Friday",
                               "time_of_day": "8am", "timezone": "Europe/Paris"}))
        .unwrap();
        assert_eq!(weekly.release, DigestRelease::Schedule);
        assert_eq!(weekly.schedule.as_deref(), Some("0 8 * * 5"));
        assert_eq!(weekly.timezone.as_deref(), Some("Europe/Paris"));
        let daily = of(json!({"frequency": "daily", "time": "17:30"})).unwrap();
        assert_eq!(daily.schedule.as_deref(), Some("30 17 * * *"));
        assert!(of(json!({"frequency": "daily"})).is_err(), "no time of day");
        assert!(of(json!({"frequency": "hourly"})).is_err());
        assert_eq!(count("5"), Some(5));
        assert_eq!(count("0"), None);
        assert_eq!(count("many"), None);
    }
}
