//! Who cron mailed a job's output: MAILTO's value read as cron and sendmail read it (the whole
//! rest of the line; recipients separated by commas or blanks), and a finding for each word that
//! is no recipient, so that no alert route is ever an invented address.

use super::{Ctx, Mail};
use crate::crontab::codes;
use crate::findings::{Finding, Origin};
use indexmap::IndexMap;

pub(super) fn mail_of(env: &IndexMap<String, String>) -> Mail {
    match env.get("MAILTO") {
        None => Mail::Unset,
        Some(v) if v.trim().is_empty() => Mail::Empty,
        Some(v) => Mail::To(
            mail_words(v)
                .filter_map(|w| mail_recipient(w).ok())
                .collect(),
        ),
    }
}

/// The words of a MAILTO value: cron takes the whole rest of the line, and sendmail reads
/// recipients separated by commas or blanks (`a@x.org, b@y.org`, `a@x.org b@y.org`).
fn mail_words(v: &str) -> impl Iterator<Item = &str> {
    v.split(|c: char| c == ',' || c.is_whitespace())
        .filter(|w| !w.is_empty())
}

/// One MAILTO word as a recipient: an address (`ops@example.com`) or a local user name
/// (`root`, later routed to `root@localhost`). Anything else (`HOME=/`, `$ADMIN`, `a@b@c`)
/// is not a recipient, and the reason says why.
fn mail_recipient(w: &str) -> Result<String, &'static str> {
    if w.contains('$') {
        return Err("a variable, which Debian's cron does not expand");
    }
    if w.contains('=') {
        return Err("an assignment (cron reads the whole rest of the line as MAILTO's value)");
    }
    if claw_language::units::is_email_address(w) {
        return Ok(w.to_string());
    }
    let user = w.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && w.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
    if user {
        // Routed to its local mailbox (`user@localhost`) where the routes are built.
        Ok(w.to_string())
    } else {
        Err("neither an address nor a local user name")
    }
}

/// A finding for each MAILTO word that is not a recipient: cron's mail to it never arrived,
/// and no route is invented for it.
pub(super) fn broken_mailto(ctx: &mut Ctx<'_>, fi: usize, o: &Origin, value: &str) {
    for w in mail_words(value) {
        if let Err(why) = mail_recipient(w) {
            ctx.add(fi, Finding::warning(codes::CRON_MAILTO_BROKEN.id, format!("MAILTO={value}: `{w}` is {why}; cron's mail to it never arrived, so no alert route is imported for it"), o.clone()).with_help("set MAILTO to one or more addresses separated by commas, on a line of its own"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_that_are_recipients() {
        assert_eq!(
            mail_recipient("ops@example.com"),
            Ok("ops@example.com".into())
        );
        assert_eq!(mail_recipient("root"), Ok("root".into()));
        assert!(mail_recipient("HOME=/").is_err());
        assert!(mail_recipient("$ADMIN").is_err());
        assert!(mail_recipient("a@x.orgb@y.org").is_err());
        let words: Vec<&str> = mail_words("a@x.org b@y.org,c@z.org , d").collect();
        assert_eq!(words, ["a@x.org", "b@y.org", "c@z.org", "d"]);
    }
}
