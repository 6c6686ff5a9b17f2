//! Schedule by Zapier (`ScheduleAPI` classic keys `every_day`/`every_week`/`every_month`/
//! `every_hour`, `ScheduleCLIAPI` keys `everyDay`/`everyWeek`/...) → a crontab(5) expression,
//! checked with the language's own cron parser.

use serde_json::{Map, Value};

/// Why a schedule could not be translated.
pub type Why = String;

fn text(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) => Some(s.trim().to_string()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// `8am`, `3pm`, `12:00 AM`, `14`, `14:30` → (hour, minute).
pub fn hour_of_day(s: &str) -> Option<(u32, u32)> {
    let t: String = s
        .to_ascii_lowercase()
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '.')
        .collect();
    let (body, pm) = if let Some(b) = t.strip_suffix("am") {
        (b, Some(false))
    } else if let Some(b) = t.strip_suffix("pm") {
        (b, Some(true))
    } else {
        (t.as_str(), None)
    };
    let (h, m) = match body.split_once(':') {
        Some((h, m)) => (h.parse::<u32>().ok()?, m.parse::<u32>().ok()?),
        None => (body.parse::<u32>().ok()?, 0),
    };
    if m > 59 {
        return None;
    }
    let h = match pm {
        Some(pm) => {
            if !(1..=12).contains(&h) {
                return None;
            }
            (h % 12) + if pm { 12 } else { 0 }
        }
        None if h <= 23 => h,
        None => return None,
    };
    Some((h, m))
}

/// `Friday`, `fri`, `5`, `"0"` (Sunday) → 0..=6.
pub fn day_of_week(s: &str) -> Option<u32> {
    let t = s.trim().to_ascii_lowercase();
    if let Ok(n) = t.parse::<u32>() {
        return (n <= 7).then_some(n % 7);
    }
    const NAMES: [&str; 7] = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];
    NAMES
        .iter()
        .position(|n| t.starts_with(n))
        .map(|p| p as u32)
}

fn days(v: Option<&Value>) -> Option<String> {
    let list: Vec<String> = match v? {
        Value::Array(a) => a.iter().filter_map(|x| text(Some(x))).collect(),
        other => text(Some(other))?
            .split(',')
            .map(|s| s.trim().to_string())
            .collect(),
    };
    let mut ds: Vec<u32> = list.iter().map(|d| day_of_week(d)).collect::<Option<_>>()?;
    if ds.is_empty() {
        return None;
    }
    ds.sort_unstable();
    ds.dedup();
    Some(ds.iter().map(u32::to_string).collect::<Vec<_>>().join(","))
}

fn weekdays_only(p: &Map<String, Value>) -> bool {
    matches!(
        text(p.get("weekends"))
            .as_deref()
            .map(str::to_ascii_lowercase)
            .as_deref(),
        Some("no" | "false")
    )
}

/// The cron expression for a Schedule trigger, or why there is none.
pub fn cron(action: &str, params: &Map<String, Value>) -> Result<String, Why> {
    let key: String = action
        .to_ascii_lowercase()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect();
    let hod = || -> Result<(u32, u32), Why> {
        match text(params.get("hod")) {
            Some(h) => {
                hour_of_day(&h).ok_or_else(|| format!("time of day `{h}` is not understood"))
            }
            None => Err("no time of day (`hod`)".into()),
        }
    };
    let dow_all = if weekdays_only(params) { "1-5" } else { "*" };
    let expr = match key.as_str() {
        "everyhour" => {
            let m = match text(params.get("moh")) {
                Some(m) => m
                    .parse::<u32>()
                    .ok()
                    .filter(|m| *m < 60)
                    .ok_or_else(|| format!("minute of hour `{m}` is not understood"))?,
                None => 0,
            };
            format!("{m} * * * {dow_all}")
        }
        "everyday" => {
            let (h, m) = hod()?;
            format!("{m} {h} * * {dow_all}")
        }
        "everyweek" => {
            let (h, m) = hod()?;
            let d = days(params.get("dow")).ok_or("no day of week (`dow`) understood")?;
            format!("{m} {h} * * {d}")
        }
        "everymonth" => {
            let (h, m) = hod()?;
            let dom = text(params.get("dom")).ok_or("no day of month (`dom`)")?;
            let d = dom
                .parse::<u32>()
                .ok()
                .filter(|d| (1..=31).contains(d))
                .ok_or_else(|| format!("day of month `{dom}` is not understood"))?;
            format!("{m} {h} {d} * *")
        }
        _ => return Err(format!("schedule kind `{action}` is not known")),
    };
    claw_language::cron::parse(&expr)
        .map_err(|e| format!("`{expr}` does not parse: {}", e.message()))?;
    Ok(expr)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn m(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn classic_and_cli_keys() {
        assert_eq!(
            cron("every_week", &m(json!({"dow": "Friday", "hod": "8am"}))).unwrap(),
            "0 8 * * 5"
        );
        assert_eq!(
            cron("every_week", &m(json!({"dow": "Thursday", "hod": "3pm"}))).unwrap(),
            "0 15 * * 4"
        );
        assert_eq!(
            cron("everyWeek", &m(json!({"dow": ["0"], "hod": "12:00 AM"}))).unwrap(),
            "0 0 * * 0"
        );
        assert_eq!(
            cron("everyHour", &m(json!({"moh": "15", "weekends": "no"}))).unwrap(),
            "15 * * * 1-5"
        );
        assert_eq!(
            cron("every_day", &m(json!({"hod": "12pm"}))).unwrap(),
            "0 12 * * *"
        );
        assert_eq!(
            cron("every_month", &m(json!({"dom": "1", "hod": "9:30am"}))).unwrap(),
            "30 9 1 * *"
        );
        assert!(cron("every_week", &m(json!({"dow": "Someday", "hod": "8am"}))).is_err());
        assert!(cron("every_day", &m(json!({"hod": "25"}))).is_err());
    }
}
