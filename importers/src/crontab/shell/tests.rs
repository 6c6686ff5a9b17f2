//! Unit tests of cron's command handling: the `%` split and guard peeling.

use super::*;

#[test]
fn percent_splits_into_stdin() {
    let c = split_percent(r#"mail -s "It's 10pm" joe%Joe,%%Where are your kids?%"#);
    assert_eq!(c.command, r#"mail -s "It's 10pm" joe"#);
    assert_eq!(c.stdin.as_deref(), Some("Joe,\n\nWhere are your kids?\n\n"));
    let d = split_percent(r"date +\%Y \\x");
    assert_eq!(d.command, r"date +%Y \x");
    assert!(d.stdin.is_none());
    assert!(d.collapsed_backslash);
}

#[test]
fn guards_are_peeled_only_when_meaning_is_kept() {
    let (g, b) = peel_guards("test -x /usr/sbin/foo && /usr/sbin/foo --run");
    assert_eq!(g.len(), 1);
    assert!(g[0].runs_when);
    assert_eq!(b, "/usr/sbin/foo --run");
    let (g, b) = peel_guards("[ -x /a ] || { cd / && run-parts /etc/cron.daily; }");
    assert_eq!((g.len(), g[0].runs_when), (1, false));
    assert_eq!(b, "{ cd / && run-parts /etc/cron.daily; }");
    // `A || B && C` runs C after A succeeds: not a guard.
    assert!(peel_guards("test -x /a || b && c").0.is_empty());
    // `A && B; C` runs C regardless.
    assert!(peel_guards("[ -f /a ] && b; c").0.is_empty());
    let (g, b) = peel_guards("if [ -x /usr/sbin/logcheck ]; then nice -n10 /usr/sbin/logcheck; fi");
    assert_eq!(g[0].form, "if");
    assert_eq!(b, "nice -n10 /usr/sbin/logcheck");
    let (g, b) = peel_guards(
        "[ -x /etc/init.d/anacron ] && if [ ! -d /run/systemd/system ]; then /usr/sbin/invoke-rc.d anacron start >/dev/null; fi",
    );
    assert_eq!(g.len(), 2);
    assert!(g[1].is_systemd_fallback());
    assert_eq!(b, "/usr/sbin/invoke-rc.d anacron start >/dev/null");
    assert!(peel_guards("if [ -x /a ]; then b; else c; fi").0.is_empty());
}

#[test]
fn output_and_locks() {
    assert!(discards_output("foo >/dev/null 2>&1"));
    assert!(discards_output("foo &> /dev/null"));
    assert!(!discards_output("foo >/dev/null"));
    assert!(has_lock("flock -n /run/x.lock foo"));
    assert!(!has_lock("foo --bar"));
}
