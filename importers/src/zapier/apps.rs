//! What each Zapier app/action becomes: the adapter slug, the kind of step, whether a trigger
//! is instant.

use super::model::Node;

/// What a node is, for mapping.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Filter by Zapier: a decision.
    Filter,
    /// Paths container (`BranchingAPI`/`branch`): structural, no item of its own.
    Branch,
    /// One path (`BranchingAPI`/`filter`): a decision.
    Path,
    /// Delay by Zapier.
    Delay,
    /// Code by Zapier.
    Code,
    /// Formatter by Zapier: a pure `format.*` step calling a formatter function.
    Formatter,
    /// Storage by Zapier: a `state.*` step over a `data.state` store.
    Storage,
    /// Zapier Tables: a `table.*` step on a `data.state` store standing for the table.
    ZapierTable,
    /// Lookup Table by Zapier: a `data.tables` table and a `format.value` step reading it.
    LookupTable,
    /// Looping by Zapier: a `loop.items` step; the steps after it run `for_each` item.
    Loop,
    /// Sub-Zap by Zapier: `call.return`, `system.call` (the start is the trigger).
    SubZap,
    /// Email by Zapier: an `email.send` step through the user's SMTP server.
    Email,
    /// Digest by Zapier: a `digest.*` step over a `data.digests` digest.
    Digest,
    /// Any other app action: an execution through a (plug-in) adapter.
    App,
}

/// Classifies a non-root node.
pub fn kind(n: &Node) -> Kind {
    let app = n.app().to_ascii_lowercase();
    let action = n.action().to_ascii_lowercase();
    if app.starts_with("branching") {
        return if action == "branch" || n.type_of() == "write" && action != "filter" {
            Kind::Branch
        } else {
            Kind::Path
        };
    }
    if app.starts_with("filter") || n.type_of() == "filter" {
        return Kind::Filter;
    }
    if app.starts_with("delay") {
        return Kind::Delay;
    }
    if app.starts_with("code") {
        return Kind::Code;
    }
    let base = strip_noise(n.app()).to_ascii_lowercase();
    if matches!(base.as_str(), "zapierformatter" | "formatter") {
        return Kind::Formatter;
    }
    if base == "storage" {
        return Kind::Storage;
    }
    if base == "table" {
        return Kind::ZapierTable;
    }
    if matches!(base.as_str(), "lookuptable" | "zapierlookuptable") {
        return Kind::LookupTable;
    }
    if matches!(base.as_str(), "zapierlooping" | "looping") {
        return Kind::Loop;
    }
    if base == "subzap" {
        return Kind::SubZap;
    }
    if base == "email" {
        return Kind::Email;
    }
    if base == "digest" {
        return Kind::Digest;
    }
    Kind::App
}

/// `ZoomCLIAPI` → `Zoom`, `GoogleSheetsV2API` → `GoogleSheets`, `TodoistV2DevAPI` → `Todoist`.
fn strip_noise(app: &str) -> &str {
    let mut s = app.split('@').next().unwrap_or(app);
    for suf in ["CLIAPI", "API"] {
        if let Some(r) = s.strip_suffix(suf) {
            s = r;
            break;
        }
    }
    if let Some(r) = s.strip_suffix("Dev") {
        s = r;
    }
    // A trailing `V2` is a Zapier integration generation, not part of the app's name.
    let digits = s.bytes().rev().take_while(u8::is_ascii_digit).count();
    if digits > 0 && s.len() > digits + 1 && s.as_bytes()[s.len() - digits - 1] == b'V' {
        s = &s[..s.len() - digits - 1];
    }
    s
}

/// The adapter slug: `SlackAPI` → `slack`, `GoogleSheetsV2CLIAPI@2.1.0` → `google_sheets`.
pub fn adapter(app: &str) -> String {
    let base = strip_noise(app);
    let mut out = String::new();
    let chars: Vec<char> = base.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        if c.is_ascii_uppercase() {
            let prev_lower =
                i > 0 && (chars[i - 1].is_ascii_lowercase() || chars[i - 1].is_ascii_digit());
            let next_lower = chars.get(i + 1).is_some_and(char::is_ascii_lowercase);
            if i > 0 && (prev_lower || (next_lower && chars[i - 1].is_ascii_uppercase())) {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('_') && !out.is_empty() {
            out.push('_');
        }
    }
    let out = out.trim_matches('_').to_string();
    if out.is_empty() || !out.starts_with(|c: char| c.is_ascii_alphabetic()) {
        format!("app_{out}").trim_end_matches('_').to_string()
    } else {
        out
    }
}

/// An operation name: `channel_message`, `date.formatting` (dots kept as segments).
pub fn operation(action: &str) -> String {
    let segs: Vec<String> = action
        .split('.')
        .map(|seg| {
            let s: String = seg
                .chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                        c
                    } else {
                        '_'
                    }
                })
                .collect();
            s
        })
        .filter(|s| !s.is_empty())
        .collect();
    if segs.is_empty() {
        "run".into()
    } else {
        segs.join(".")
    }
}

/// Whether a trigger is instant (a hook), by the evidence the export gives: Webhooks by Zapier,
/// hook/instant in the action key, a Sub-Zap start. Absence proves nothing (REST-hook triggers
/// such as Xero `updated_invoice_v2` have neither), which the importer says in a finding.
pub fn is_instant(n: &Node) -> bool {
    let app = n.app().to_ascii_lowercase();
    let action = n.action().to_ascii_lowercase();
    app.starts_with("webhook")
        || action.contains("hook")
        || action.contains("instant")
        || app.starts_with("subzap")
        || is_email(n)
}

/// Whether a node is Email by Zapier (its trigger is mail to a zapiermail.com address, pushed
/// as it arrives).
pub fn is_email(n: &Node) -> bool {
    strip_noise(n.app()).eq_ignore_ascii_case("email")
}

/// Whether a trigger is Schedule by Zapier.
pub fn is_schedule(n: &Node) -> bool {
    n.app().to_ascii_lowercase().starts_with("schedule")
}

/// Whether an action UUID / key is Code by Zapier's Python flavour.
pub fn is_python(n: &Node) -> bool {
    let a = n.action().to_ascii_lowercase();
    a.contains("python")
        || n.param("language")
            .and_then(serde_json::Value::as_str)
            .is_some_and(|l| l.eq_ignore_ascii_case("python"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adapter_slugs() {
        assert_eq!(adapter("SlackAPI"), "slack");
        assert_eq!(adapter("ZoomCLIAPI@1.0.12"), "zoom");
        assert_eq!(adapter("GoogleSheetsV2API"), "google_sheets");
        assert_eq!(adapter("GoogleMailV2CLIAPI@2.7.1"), "google_mail");
        assert_eq!(adapter("TodoistV2DevAPI"), "todoist");
        assert_eq!(adapter("AICLIAPI@3.7.1"), "ai");
        assert_eq!(adapter("App227952CLIAPI"), "app227952");
        assert_eq!(adapter("ZapierLoopingCLIAPI@1.2.6"), "zapier_looping");
        assert_eq!(operation("date.formatting"), "date.formatting");
        assert_eq!(operation("01929fad-d3dd"), "01929fad-d3dd");
    }
}
