//! `digest.*` steps and `data.digests`: every step names a declared digest and an operation
//! the runtime has, and every digest a release policy it can run, so a typo fails
//! `claw check` instead of holding entries that nothing ever releases.

use super::Located;
use crate::codes;
use crate::diag::Diagnostic;
use crate::lint::DIGEST_OPERATIONS;
use crate::model::{Digest, DigestRelease, System};

/// Checks every digest declaration and every `digest.*` step of `sys`.
pub(super) fn check(sys: &System, loc: &Located<'_>, out: &mut Vec<Diagnostic>) {
    for d in &sys.data.digests {
        let path = format!("/data/digests/{}", d.name);
        let problem = match (d.release, d.count) {
            _ if d.release == DigestRelease::Schedule && d.schedule.is_none() => Some((
                format!(
                    "digest `{}` releases on a schedule but declares no `schedule`",
                    d.name
                ),
                path.clone(),
            )),
            _ if d.release != DigestRelease::Schedule && d.schedule.is_some() => Some((
                format!(
                    "digest `{}` is not released on a schedule: its `schedule` would never apply",
                    d.name
                ),
                format!("{path}/schedule"),
            )),
            (DigestRelease::Count, None | Some(0)) => Some((
                format!(
                    "digest `{}` releases on a count but declares no `count` of 1 or more",
                    d.name
                ),
                path.clone(),
            )),
            (DigestRelease::Manual | DigestRelease::Schedule, Some(_)) => Some((
                format!(
                    "digest `{}` is not released on a count: its `count` would never apply",
                    d.name
                ),
                format!("{path}/count"),
            )),
            _ => None,
        };
        if let Some((msg, p)) = problem {
            out.push(
                loc.err(codes::BAD_DIGEST_RELEASE, msg, &p)
                    .with_help(codes::BAD_DIGEST_RELEASE.fix),
            );
        }
        schedule(d, &path, loc, out);
    }
    for x in &sys.execution {
        if x.adapter() != "digest" {
            continue;
        }
        let path = format!("/execution/{}", x.name);
        let op = x.action.split_once('.').map_or("", |(_, op)| op);
        if !DIGEST_OPERATIONS.contains(&op) {
            out.push(
                loc.err(
                    codes::BAD_VALUE,
                    format!("`{}` is not a digest operation", x.action),
                    &format!("{path}/action"),
                )
                .with_help(format!(
                    "one of: digest.{}",
                    DIGEST_OPERATIONS.join(", digest.")
                )),
            );
        }
        let name = x.with.get("digest").and_then(|v| v.as_str());
        let declared = name.is_some_and(|n| sys.data.digests.iter().any(|d| d.name == n));
        if declared {
            continue;
        }
        let (msg, p) = match name {
            Some(n) => (
                format!(
                    "step `{}` uses digest `{n}`, which `data.digests` does not declare",
                    x.name
                ),
                format!("{path}/with/digest"),
            ),
            None => (
                format!("step `{}` ({}) names no `digest`", x.name, x.action),
                path,
            ),
        };
        out.push(
            loc.err(codes::UNKNOWN_DIGEST, msg, &p)
                .with_help(codes::UNKNOWN_DIGEST.fix),
        );
    }
}

/// A digest's `schedule` (a crontab line) and `timezone` (an IANA name), checked as a schedule
/// trigger's are.
fn schedule(d: &Digest, path: &str, loc: &Located<'_>, out: &mut Vec<Diagnostic>) {
    if let Some(s) = &d.schedule
        && let Err(e) = crate::cron::parse(s)
    {
        out.push(
            loc.err(
                codes::BAD_CRON,
                format!("digest `{}`: schedule `{s}`: {e}", d.name),
                &format!("{path}/schedule"),
            )
            .with_label(e.code())
            .with_help("crontab(5): minute hour day-of-month month day-of-week, or @daily/@weekly/@monthly; see docs/cron.md"),
        );
    }
    if let Some(tz) = &d.timezone
        && tz.parse::<chrono_tz::Tz>().is_err()
    {
        out.push(
            loc.err(
                codes::BAD_TIMEZONE,
                format!("digest `{}`: unknown time zone `{tz}`", d.name),
                &format!("{path}/timezone"),
            )
            .with_help("use an IANA name such as Europe/Paris or America/New_York"),
        );
    }
}
