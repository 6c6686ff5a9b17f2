//! The checks of one trigger: the fields its source needs and allows, its schedule and time
//! zone, its expressions, action and templates, and a webhook's auth and path.

use super::{Located, check_action, check_duration, check_expr, check_templates, narrow};
use crate::codes;
use crate::diag::Diagnostic;
use crate::model::{Source, Trigger};

/// The error for `field` on a `source` trigger when it belongs to `belongs` triggers.
fn misplaced(
    source: Source,
    field: &str,
    belongs: &str,
    path: &str,
    loc: &Located<'_>,
) -> Diagnostic {
    loc.err(
        codes::TRIGGER_CONFIG,
        format!(
            "`{field}` only applies to `source: {belongs}` triggers, and this one is `{}`",
            source.as_str()
        ),
        &format!("{path}/{field}"),
    )
    .with_help(format!(
        "remove `{field}`, or change the source to `{belongs}`"
    ))
}

/// Checks one trigger: the fields its source needs and allows, its schedule and time zone,
/// expressions, action, templates, webhook auth and path.
pub(super) fn trigger(t: &Trigger, loc: &Located<'_>, out: &mut Vec<Diagnostic>) {
    let path = format!("/triggers/{}", t.name);
    trigger_fields(t, &path, loc, out);
    trigger_schedule(t, &path, loc, out);
    if let Some(e) = &t.every {
        check_duration(e, &format!("{path}/every"), loc, out);
    }
    if let Some(k) = &t.idempotency {
        check_expr(
            k,
            &format!("{path}/idempotency"),
            "idempotency key",
            loc,
            out,
        );
    }
    if let Some(a) = &t.action {
        check_action(a, &format!("{path}/action"), loc, out);
    }
    for (k, v) in &t.with {
        check_templates(v, &format!("{path}/with/{k}"), loc, out);
    }
    if let Some(auth) = &t.auth
        && crate::secret::parse(&auth.hmac_sha256).is_err()
    {
        out.push(
                loc.err(codes::BAD_URI, "the webhook HMAC key must be a `secret://NAME` reference, never the key itself", &format!("{path}/auth/hmac_sha256"))
                    .with_help("write `hmac_sha256: secret://shop_webhook_key` and provide it through the environment or secrets file"),
            );
    }
    if let Some(p) = &t.path
        && (!p.starts_with('/') || p.chars().any(char::is_whitespace))
    {
        out.push(loc.err(
            codes::BAD_VALUE,
            format!("webhook path `{p}` must start with `/` and hold no spaces"),
            &format!("{path}/path"),
        ));
    }
}

/// The fields a trigger's source needs (missing ones) and the fields of another source
/// (misplaced ones).
fn trigger_fields(t: &Trigger, path: &str, loc: &Located<'_>, out: &mut Vec<Diagnostic>) {
    let need = |field: &str, what: &str| {
        loc.err(
            codes::TRIGGER_CONFIG,
            format!(
                "a `source: {}` trigger needs `{field}` ({what})",
                t.source.as_str()
            ),
            path,
        )
        .with_help(format!("add `{field}:` to trigger `{}`", t.name))
    };
    match t.source {
        Source::Schedule if t.schedule.is_none() => out.push(need(
            "schedule",
            "a crontab expression such as `0 9 * * 1-5`",
        )),
        Source::Poll if t.every.is_none() => {
            out.push(need("every", "a polling interval such as `15m`"))
        }
        Source::Queue if t.subject.is_none() => out.push(need("subject", "the queue subject")),
        _ => {}
    }
    let checks: [(bool, &str, Source); 10] = [
        (t.schedule.is_some(), "schedule", Source::Schedule),
        (t.timezone.is_some(), "timezone", Source::Schedule),
        (t.catch_up.is_some(), "catch_up", Source::Schedule),
        (t.every.is_some(), "every", Source::Poll),
        (
            t.action.is_some() || !t.with.is_empty(),
            if t.action.is_some() { "action" } else { "with" },
            Source::Poll,
        ),
        (t.subject.is_some(), "subject", Source::Queue),
        (t.path.is_some(), "path", Source::Webhook),
        (t.auth.is_some(), "auth", Source::Webhook),
        (t.body.is_some(), "body", Source::Webhook),
        (!t.inputs.is_empty(), "inputs", Source::Call),
    ];
    for (present, field, belongs) in checks {
        if present && t.source != belongs {
            out.push(misplaced(t.source, field, belongs.as_str(), path, loc));
        }
    }
}

/// A schedule trigger's crontab expression and time zone.
fn trigger_schedule(t: &Trigger, path: &str, loc: &Located<'_>, out: &mut Vec<Diagnostic>) {
    if let Some(s) = &t.schedule
        && let Err(e) = crate::cron::parse(s)
    {
        let mut d = loc
                .err(codes::BAD_CRON, format!("schedule `{s}`: {e}"), &format!("{path}/schedule"))
                .with_label(e.code())
                .with_help("crontab(5): minute hour day-of-month month day-of-week, or @hourly/@daily/@weekly/@monthly/@yearly; see docs/cron.md");
        narrow(&mut d, s, e.span());
        out.push(d);
    }
    if let Some(tz) = &t.timezone
        && tz.parse::<chrono_tz::Tz>().is_err()
    {
        let help = match closest_tz(tz) {
            Some(s) => format!("did you mean `{s}`? Time zones are IANA names"),
            None => "use an IANA name such as Europe/Paris or America/New_York".into(),
        };
        out.push(
            loc.err(
                codes::BAD_TIMEZONE,
                format!("unknown time zone `{tz}`"),
                &format!("{path}/timezone"),
            )
            .with_help(help),
        );
    }
}

/// The IANA zone most like `tz` (Jaro-Winkler over 0.85, case ignored), for a did-you-mean.
fn closest_tz(tz: &str) -> Option<&'static str> {
    chrono_tz::TZ_VARIANTS
        .iter()
        .map(|z| {
            (
                strsim::jaro_winkler(&tz.to_lowercase(), &z.name().to_lowercase()),
                z.name(),
            )
        })
        .filter(|(s, _)| *s > 0.85)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, n)| n)
}
