//! Plain-English descriptions of schedules.
//!
//! The text is deterministic (same schedule, same words) so it can be used
//! in snapshots and generated docs. It describes what Debian cron actually
//! does, so it spells out the dom/dow OR rule and the `*/N` AND quirk
//! instead of hiding them.

use super::field::{Field, FieldKind};
use super::schedule::{DayRule, Fields, Schedule};

const LONG_DOW: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];

const LONG_MONTH: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// Describes `schedule` in plain English, e.g. for `30 4 1,15 * 5`:
/// "at minute 30 past hour 4, on day-of-month 1 and 15 OR on Friday (both
/// day fields are restricted, so crontab runs when EITHER matches)".
pub fn explain(schedule: &Schedule) -> String {
    let Some(f) = schedule.fields() else {
        return "once when cron starts at system boot (@reboot), not on a timetable".to_owned();
    };
    let mut text = if schedule.can_fire() {
        describe(f)
    } else {
        format!("never runs: {}", never_reason(f))
    };
    if let Some(k) = schedule.keyword()
        && let Some(form) = k.five_field_form()
    {
        text.push_str(&format!(" ({k}, same as `{form}`)"));
    }
    text
}

fn describe(f: &Fields) -> String {
    let mut parts = vec![time_part(f)];
    if let Some(d) = day_part(f) {
        parts.push(d);
    }
    if !f.month().is_full() {
        parts.push(format!("in {}", list(f.month())));
    }
    parts.join(", ")
}

fn time_part(f: &Fields) -> String {
    let (m, h) = (f.minute(), f.hour());
    match (m.is_full(), h.is_full()) {
        (true, true) => "every minute".to_owned(),
        (true, false) => format!("every minute of hour {}", list(h)),
        (false, true) => format!("at minute {} past every hour", list(m)),
        (false, false) => format!("at minute {} past hour {}", list(m), list(h)),
    }
}

fn day_part(f: &Fields) -> Option<String> {
    let (dom, dow) = (f.dom(), f.dow());
    let dom_text = || format!("on day-of-month {}", list(dom));
    let dow_text = || format!("on {}", list(dow));
    match f.day_rule() {
        DayRule::And => match (dom.is_full(), dow.is_full()) {
            (true, true) => None,
            (false, true) => Some(dom_text()),
            (true, false) => Some(dow_text()),
            (false, false) => {
                let why = match (dom.is_star(), dow.is_star()) {
                    (true, true) => "both day fields start with `*`, so crontab requires BOTH to \
                                     match"
                        .to_owned(),
                    (false, _) => format!(
                        "the day-of-week field `{}` starts with `*`, so crontab treats it as \
                         unrestricted and requires BOTH day fields to match, not either",
                        dow.raw()
                    ),
                    (true, false) => format!(
                        "the day-of-month field `{}` starts with `*`, so crontab treats it as \
                         unrestricted and requires BOTH day fields to match, not either",
                        dom.raw()
                    ),
                };
                Some(format!("{} AND {} ({why})", dom_text(), dow_text()))
            }
        },
        DayRule::Or => match (dom.is_full(), dow.is_full()) {
            // Only keywords get here (@daily has no star flags): every day.
            (true, true) => None,
            (true, false) | (false, true) => Some(format!(
                "every day ({} OR {}: both day fields are restricted, so crontab runs when \
                 EITHER matches, and one of them matches every day)",
                dom_text(),
                dow_text()
            )),
            (false, false) => Some(format!(
                "{} OR {} (both day fields are restricted, so crontab runs when EITHER matches)",
                dom_text(),
                dow_text()
            )),
        },
    }
}

fn never_reason(f: &Fields) -> String {
    for field in [f.minute(), f.hour(), f.month()] {
        if field.is_empty() {
            return empty_reason(field);
        }
    }
    let (dom, dow) = (f.dom(), f.dow());
    if dow.is_empty() && (f.day_rule() == DayRule::And || dom.is_empty()) {
        return empty_reason(dow);
    }
    if dom.is_empty() {
        return empty_reason(dom);
    }
    format!(
        "day-of-month {} never occurs in {}",
        list(dom),
        list(f.month())
    )
}

fn empty_reason(field: &Field) -> String {
    format!(
        "the {} field `{}` matches no value (a reversed range is accepted by crontab but \
         empty, so the job never runs)",
        field.kind().name(),
        field.raw()
    )
}

/// One value as shown to people.
fn label(kind: FieldKind, v: u8) -> String {
    match kind {
        FieldKind::DayOfWeek => LONG_DOW
            .get(usize::from(v % 7))
            .copied()
            .unwrap_or("?")
            .to_owned(),
        FieldKind::Month => LONG_MONTH
            .get(usize::from(v).wrapping_sub(1))
            .copied()
            .unwrap_or("?")
            .to_owned(),
        _ => v.to_string(),
    }
}

/// The field's values as "1, 5 and 9", with runs of three or more written
/// as "1-5" (numbers) or "Monday to Friday" (names). Day-of-week 7 is
/// folded into Sunday (0).
fn list(field: &Field) -> String {
    let kind = field.kind();
    let mut values: Vec<u8> = field.values().collect();
    if kind == FieldKind::DayOfWeek {
        values.retain(|&v| v < 7);
    }
    if values.is_empty() {
        return format!("(none: `{}` is empty)", field.raw());
    }
    let named = matches!(kind, FieldKind::DayOfWeek | FieldKind::Month);
    let mut items = Vec::new();
    let mut i = 0;
    while i < values.len() {
        let mut j = i;
        while j + 1 < values.len() && values[j + 1] == values[j] + 1 {
            j += 1;
        }
        if j >= i + 2 {
            let sep = if named { " to " } else { "-" };
            items.push(format!(
                "{}{sep}{}",
                label(kind, values[i]),
                label(kind, values[j])
            ));
            i = j + 1;
        } else {
            items.push(label(kind, values[i]));
            i += 1;
        }
    }
    join_and(&items)
}

fn join_and(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ex(expr: &str) -> String {
        match Schedule::parse(expr) {
            Ok(s) => explain(&s),
            Err(e) => panic!("{expr}: {e}"),
        }
    }

    #[test]
    fn examples() {
        assert_eq!(
            ex("30 4 1,15 * 5"),
            "at minute 30 past hour 4, on day-of-month 1 and 15 OR on Friday (both day fields \
             are restricted, so crontab runs when EITHER matches)"
        );
        assert_eq!(ex("* * * * *"), "every minute");
        assert_eq!(
            ex("*/15 9-17 * * mon-fri"),
            "at minute 0, 15, 30 and 45 past hour 9-17, on Monday to Friday"
        );
        assert_eq!(
            ex("0 0 1 * */2"),
            "at minute 0 past hour 0, on day-of-month 1 AND on Sunday, Tuesday, Thursday and \
             Saturday (the day-of-week field `*/2` starts with `*`, so crontab treats it as \
             unrestricted and requires BOTH day fields to match, not either)"
        );
        assert_eq!(
            ex("0 0 */2 * sun"),
            "at minute 0 past hour 0, on day-of-month 1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, \
             25, 27, 29 and 31 AND on Sunday (the day-of-month field `*/2` starts with `*`, so \
             crontab treats it as unrestricted and requires BOTH day fields to match, not either)"
        );
        assert_eq!(
            ex("0 0 1-31 * mon"),
            "at minute 0 past hour 0, every day (on day-of-month 1-31 OR on Monday: both day \
             fields are restricted, so crontab runs when EITHER matches, and one of them matches \
             every day)"
        );
        assert_eq!(
            ex("0 0 1 jan-mar/2 *"),
            "at minute 0 past hour 0, on day-of-month 1, in January and March"
        );
        assert_eq!(
            ex("@daily"),
            "at minute 0 past hour 0 (@daily, same as `0 0 * * *`)"
        );
        assert_eq!(
            ex("@reboot"),
            "once when cron starts at system boot (@reboot), not on a timetable"
        );
        assert_eq!(
            ex("0 0 30 2 *"),
            "never runs: day-of-month 30 never occurs in February"
        );
        assert_eq!(
            ex("22-2 * * * *"),
            "never runs: the minute field `22-2` matches no value (a reversed range is accepted \
             by crontab but empty, so the job never runs)"
        );
        assert_eq!(ex("0 0 * * 0,7"), "at minute 0 past hour 0, on Sunday");
    }
}
