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

/// The release a frequency word asks for: `Ok(count or manual)`, or `Err(the word)` for a
/// scheduled one the runtime does not run yet.
fn release(frequency: Option<&str>, threshold: Option<u32>) -> Result<DigestRelease, String> {
    let word = frequency.map(squash).unwrap_or_default();
    match word.as_str() {
        "" | "manual" | "manually" => Ok(DigestRelease::Manual),
        w if w.contains("threshold") || w.contains("count") => match threshold {
            Some(_) => Ok(DigestRelease::Count),
            None => Err(format!("{w} (without a readable threshold count)")),
        },
        _ => Err(frequency.unwrap_or_default().to_string()),
    }
}

/// A threshold count as Zapier's field holds it: a whole number from 1 to 1000, as text or
/// number.
fn count(v: &Value) -> Option<u32> {
    plain(v)
        .trim()
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
            let frequency = param(&params, FREQUENCY);
            let threshold = param(&params, THRESHOLD);
            read.extend(
                frequency
                    .iter()
                    .chain(&threshold)
                    .map(|(k, _)| k.to_string()),
            );
            let n_entries = threshold.and_then(|(_, v)| count(v));
            policy = Some(release(
                frequency.map(|(_, v)| plain(v)).as_deref(),
                n_entries,
            ));
            let (release, count) = match &policy {
                Some(Ok(DigestRelease::Count)) => (DigestRelease::Count, n_entries),
                _ => (DigestRelease::Manual, None),
            };
            self.declare_digest(&digest, release, count, &title_text);
        } else {
            self.declare_digest(&digest, DigestRelease::Manual, None, &title_text);
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
    fn declare_digest(
        &mut self,
        name: &str,
        release: DigestRelease,
        count: Option<u32>,
        title: &str,
    ) {
        let declared = Digest {
            name: name.to_string(),
            description: Some(format!("Digest by Zapier \"{title}\"")),
            release,
            count,
            separator: None,
        };
        match self.digests.iter_mut().find(|d| d.name == name) {
            Some(d) if release == DigestRelease::Count => *d = declared,
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
        policy: Option<Result<DigestRelease, String>>,
    ) {
        let name = self.names[i].clone();
        let msg = format!(
            "Digest by Zapier step `{name}` became `{}` on the digest `{digest}` (declared under data.digests; named from the digest's title, so Zaps that shared it share it)",
            x.action
        );
        self.note_mapped(i, codes::DIGEST_MAPPED, msg, ignored);
        if let Some(Err(frequency)) = policy {
            self.note(
                Finding::warning(
                    codes::DIGEST_SCHEDULE.id,
                    format!(
                        "Digest by Zapier step `{name}` releases on the frequency `{frequency}`, which the runtime does not run: the digest `{digest}` is declared `release: manual`, so its entries are held until a `digest.release` step releases them"
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
    use super::{DigestRelease, count, operation, release};
    use serde_json::json;

    #[test]
    fn action_keys() {
        assert_eq!(
            operation("append_entry_and_schedule_digest"),
            Some("append")
        );
        assert_eq!(operation("Release Existing Digest"), Some("release"));
        assert_eq!(operation("find_digest"), None);
    }

    #[test]
    fn frequencies() {
        assert_eq!(
            release(Some("threshold"), Some(5)),
            Ok(DigestRelease::Count)
        );
        assert!(release(Some("threshold"), None).is_err());
        assert_eq!(release(Some("Manual"), None), Ok(DigestRelease::Manual));
        assert_eq!(release(None, None), Ok(DigestRelease::Manual));
        assert_eq!(release(Some("weekly"), None), Err("weekly".to_string()));
        assert_eq!(count(&json!("5")), Some(5));
        assert_eq!(count(&json!(0)), None);
        assert_eq!(count(&json!("many")), None);
    }
}
