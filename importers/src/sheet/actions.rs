//! Free-text actions ("send email to finance", "post to #ops", "run backup.sh") to adapters,
//! and secrets in cell text to `secret://` references.

use crate::secrets;
use indexmap::IndexMap;
use regex::Regex;
use serde_json::Value;
use std::sync::LazyLock;

/// What one row's action became.
#[derive(Debug, Clone, PartialEq)]
pub struct Mapped {
    /// `adapter.operation`.
    pub action: String,
    /// The adapter inputs (`with:`) filled from the row's cells.
    pub with: IndexMap<String, Value>,
    /// Whether no adapter fits (an `unported.*` action).
    pub unported: bool,
    /// Why this adapter was chosen, for the finding.
    pub reason: String,
}

fn re(s: &str) -> Regex {
    Regex::new(s).unwrap_or_else(|e| panic!("bad built-in pattern {s}: {e}"))
}

static URL: LazyLock<Regex> = LazyLock::new(|| re(r"https?://[^\s<>]+"));
static EMAIL: LazyLock<Regex> =
    LazyLock::new(|| re(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}"));
static CHANNEL: LazyLock<Regex> = LazyLock::new(|| re(r"(?:^|\s)#(?P<c>[a-z0-9][a-z0-9_.-]*)"));
static SCRIPT: LazyLock<Regex> = LazyLock::new(|| {
    re(r"(?:\S+\.(?:sh|py|rb|pl|ps1|js|bash)\b|(?:^|\s)/(?:usr|opt|srv|home|var|etc|bin)/\S+)")
});

/// Replaces every credential-looking word of `text` (tokens, `password=...`, URLs with
/// credentials) by a `secret://` reference. Returns the text and whether anything was replaced.
pub fn redact(scope: &str, text: &str) -> (String, bool) {
    let mut changed = false;
    let mut out = Vec::new();
    for word in text.split(' ') {
        let trimmed = word.trim_matches(|c: char| matches!(c, ',' | ';' | '(' | ')' | '"' | '\''));
        if let Some((k, v)) = trimmed
            .split_once(['=', ':'])
            .filter(|(k, v)| !v.starts_with("//") && secrets::is_credential(k, v))
        {
            out.push(word.replace(trimmed, &format!("{k}={}", secrets::reference(scope, v))));
            changed = true;
        } else if !trimmed.is_empty() && secrets::looks_like_secret(trimmed) {
            out.push(word.replace(trimmed, &secrets::reference(scope, trimmed)));
            changed = true;
        } else if let Some(q) = redact_query(scope, word) {
            out.push(q);
            changed = true;
        } else {
            out.push(word.to_string());
        }
    }
    // "password: hunter2" spans two words.
    let mut i = 0;
    while i + 1 < out.len() {
        let k = out[i].trim_end_matches(':');
        if out[i].ends_with(':')
            && !out[i + 1].starts_with("secret://")
            && secrets::is_credential(k, &out[i + 1])
        {
            out[i + 1] = secrets::reference(scope, &out[i + 1]);
            changed = true;
        }
        i += 1;
    }
    (out.join(" "), changed)
}

/// Query parameters of a URL (`?token=...&key=...`) whose name or value is a credential.
fn redact_query(scope: &str, word: &str) -> Option<String> {
    let (base, query) = word.split_once('?')?;
    let mut changed = false;
    let params: Vec<String> = query
        .split('&')
        .map(|p| match p.split_once('=') {
            Some((k, v))
                if !v.is_empty()
                    && (secrets::is_credential(k, v)
                        || matches!(
                            k.to_ascii_lowercase().as_str(),
                            "key" | "sig" | "signature" | "access_token"
                        )) =>
            {
                changed = true;
                format!("{k}={}", secrets::reference(scope, v))
            }
            _ => p.to_string(),
        })
        .collect();
    changed.then(|| format!("{base}?{}", params.join("&")))
}

/// Maps one row's action, app and target cells (already redacted) to an adapter: Slack, then
/// email, then HTTP, then shell, the first whose clues the cells hold; else `unported.*`.
pub fn map(action: &str, app: &str, target: &str) -> Mapped {
    let row = Cells::read(action, app, target);
    slack(&row)
        .or_else(|| email(&row))
        .or_else(|| http(&row))
        .or_else(|| shell(&row))
        .unwrap_or_else(|| unported(action, app, target))
}

/// One row's cells as [`map`] reads them, with the clues found in them.
struct Cells<'a> {
    action: &'a str,
    target: &'a str,
    /// The action, lower-cased.
    lower: String,
    /// The action and the app, lower-cased: where words are looked for.
    words: String,
    /// An email address in the target (else in the action).
    email: Option<String>,
    /// A URL in the target (else in the action), trailing punctuation dropped.
    url: Option<String>,
    /// A `#channel` in the target (else in the action), without the `#`.
    channel: Option<String>,
}

impl<'a> Cells<'a> {
    fn read(action: &'a str, app: &str, target: &'a str) -> Cells<'a> {
        let lower = action.to_lowercase();
        let words = format!("{lower} {}", app.to_lowercase());
        Cells {
            action,
            target,
            email: EMAIL
                .find(target)
                .or_else(|| EMAIL.find(action))
                .map(|m| m.as_str().to_string()),
            url: URL
                .find(target)
                .or_else(|| URL.find(action))
                .map(|m| m.as_str().trim_end_matches(['.', ',', ')']).to_string()),
            channel: CHANNEL
                .captures(&format!(" {target}"))
                .or_else(|| CHANNEL.captures(action))
                .map(|c| c["c"].to_string()),
            lower,
            words,
        }
    }

    /// Whether the action or app holds one of `words` as a whole word.
    fn mentions(&self, words: &[&str]) -> bool {
        words.iter().any(|w| {
            self.words
                .split(|c: char| !c.is_alphanumeric())
                .any(|x| x == *w)
        })
    }

    /// The action text, or `default` when the cell is empty.
    fn text_or(&self, default: &str) -> String {
        if self.action.is_empty() {
            default.to_string()
        } else {
            self.action.to_string()
        }
    }
}

/// `slack.post` when the row says Slack or names a `#channel` (and no email).
fn slack(row: &Cells<'_>) -> Option<Mapped> {
    if !(row.mentions(&["slack"])
        || (row.channel.is_some() && !row.mentions(&["email", "mail", "e"])))
    {
        return None;
    }
    let mut with = IndexMap::new();
    with.insert(
        "channel".into(),
        Value::String(match &row.channel {
            Some(c) => format!("#{c}"),
            None if !row.target.is_empty() => row.target.to_string(),
            None => "#general".to_string(),
        }),
    );
    with.insert("text".into(), Value::String(row.text_or("Automation ran")));
    let reason = if row.channel.is_some() {
        "a Slack channel"
    } else {
        "the word Slack"
    };
    Some(Mapped {
        action: "slack.post".into(),
        with,
        unported: false,
        reason: reason.into(),
    })
}

/// `email.send` when the row says email or holds an address (and is not about HTTP).
fn email(row: &Cells<'_>) -> Option<Mapped> {
    if !(row.mentions(&["email", "mail", "e-mail", "emails", "gmail", "outlook"])
        || row.email.is_some() && !row.mentions(&["http", "webhook", "api"]))
    {
        return None;
    }
    let mut with = IndexMap::new();
    with.insert(
        "to".into(),
        Value::String(row.email.clone().unwrap_or_else(|| row.target.to_string())),
    );
    with.insert("subject".into(), Value::String(row.text_or("Automation")));
    Some(Mapped {
        action: "email.send".into(),
        with,
        unported: false,
        reason: if row.email.is_some() {
            "an email address".into()
        } else {
            "the word email".into()
        },
    })
}

/// `http.post` when the row holds a URL, or a `secret://` target with a word of calling.
fn http(row: &Cells<'_>) -> Option<Mapped> {
    let secret_url = row.target.starts_with("secret://")
        && row.mentions(&[
            "call", "api", "http", "https", "webhook", "post", "fetch", "ping", "trigger",
        ]);
    if row.url.is_none() && !secret_url {
        return None;
    }
    let url = row
        .url
        .clone()
        .or_else(|| secret_url.then(|| row.target.to_string()));
    let mut with = IndexMap::new();
    with.insert("url".into(), Value::String(url.unwrap_or_default()));
    if !row.action.is_empty() {
        with.insert("body".into(), serde_json::json!({ "note": row.action }));
    }
    Some(Mapped {
        action: "http.post".into(),
        with,
        unported: false,
        reason: "a URL".into(),
    })
}

/// `shell.run` when the action names a script, or says run/execute with a path or with
/// one of the words script, shell, bash.
fn shell(row: &Cells<'_>) -> Option<Mapped> {
    let a = &row.lower;
    let script = SCRIPT
        .find(row.action)
        .map(|m| m.as_str().trim().to_string());
    let run_word = a.starts_with("run ")
        || a.starts_with("execute ")
        || a.starts_with("exec ")
        || row.mentions(&["script", "cron", "shell", "bash"]);
    if !(script.is_some()
        || run_word
            && (a.contains('/') || a.contains('.') || row.mentions(&["script", "shell", "bash"])))
    {
        return None;
    }
    let command = command_line(row.action, run_word, script.as_deref());
    let mut with = IndexMap::new();
    with.insert("command".into(), Value::String(command));
    Some(Mapped {
        action: "shell.run".into(),
        with,
        unported: false,
        reason: "a script or command".into(),
    })
}

/// The command a run/exec/script action runs: the whole command line after the verb (so
/// arguments are kept), else from the script path on.
fn command_line(action: &str, run_word: bool, script: Option<&str>) -> String {
    let a = action.to_lowercase();
    if run_word && (a.starts_with("run ") || a.starts_with("exec")) {
        action
            .split_once(' ')
            .map_or(action, |(_, rest)| rest)
            .trim()
            .to_string()
    } else {
        let start = script.and_then(|sc| action.find(sc)).unwrap_or(0);
        action[start..].trim().to_string()
    }
}

/// No adapter matches: an `unported.<app or action>` step keeping the cells as its inputs.
fn unported(action: &str, app: &str, target: &str) -> Mapped {
    let mut with = IndexMap::new();
    let what = if !app.is_empty() { app } else { action };
    let mut slug = claw_language::units::slug(what);
    if slug.starts_with("s_") {
        slug = format!("step{}", &slug[1..]);
    }
    slug.truncate(40);
    while slug.ends_with('_') {
        slug.pop();
    }
    if !action.is_empty() {
        with.insert("description".into(), Value::String(action.to_string()));
    }
    if !app.is_empty() {
        with.insert("app".into(), Value::String(app.to_string()));
    }
    if !target.is_empty() {
        with.insert("target".into(), Value::String(target.to_string()));
    }
    Mapped {
        action: format!("unported.{slug}"),
        with,
        unported: true,
        reason: "no adapter matches".into(),
    }
}

/// An alert route for an owner cell: `email://` for an address, `slack://` for a `#channel`.
pub fn route_for(owner: &str) -> Option<String> {
    if let Some(m) = EMAIL.find(owner) {
        return Some(format!("email://{}", m.as_str()));
    }
    if let Some(c) = CHANNEL.captures(&format!(" {owner}")) {
        return Some(format!("slack://{}", &c["c"]));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adapters_for_common_phrasings() {
        let m = map("Send email to finance", "", "finance@example.com");
        assert_eq!(m.action, "email.send");
        assert_eq!(m.with["to"], "finance@example.com");
        assert_eq!(map("Post summary", "Slack", "#ops").action, "slack.post");
        assert_eq!(map("Post to #deploys", "", "").with["channel"], "#deploys");
        assert_eq!(
            map(
                "Call the billing API",
                "",
                "https://billing.example.com/run"
            )
            .action,
            "http.post"
        );
        let m = map("Run /opt/jobs/backup.sh --full", "", "");
        assert_eq!(m.action, "shell.run");
        assert_eq!(m.with["command"], "/opt/jobs/backup.sh --full");
        assert_eq!(
            map("Call the API", "", "secret://s/0123456789ab").action,
            "http.post"
        );
        let m = map("Reconcile invoices", "NetSuite", "");
        assert!(m.unported);
        assert_eq!(m.action, "unported.netsuite");
        assert_eq!(map("???", "", "").action, "unported.step");
    }

    #[test]
    fn routes() {
        assert_eq!(
            route_for("Jane (jane@example.com)").as_deref(),
            Some("email://jane@example.com")
        );
        assert_eq!(
            route_for("#ops-oncall").as_deref(),
            Some("slack://ops-oncall")
        );
        assert_eq!(route_for("Finance team"), None);
    }

    #[test]
    fn redaction_replaces_credentials_only() {
        let (t, c) = redact("s", "call https://bob:hunter2@api.example.com/x now");
        assert!(c);
        assert!(!t.contains("hunter2"));
        assert!(t.starts_with("call secret://s/"));
        let (t, c) = redact("s", "password: hunter2 then go");
        assert!(c && !t.contains("hunter2"), "{t}");
        let (t, c) = redact("s", "token=abc123");
        assert!(c && !t.contains("abc123"), "{t}");
        let (t, c) = redact(
            "s",
            "Call https://crm.example.com/sync?a=1&token=xoxb-1234567890-abcdefghij",
        );
        assert!(
            c && !t.contains("abcdefghij") && t.contains("?a=1&token=secret://s/"),
            "{t}"
        );
        let (t, c) = redact("s", "plain words");
        assert!(!c);
        assert_eq!(t, "plain words");
    }
}
