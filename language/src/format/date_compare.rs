//! `date.compare`: Formatter by Zapier's "Compare Dates" (`date.compare`): how far apart two
//! dates are, read with the same parser as `date.format` ([`super::date::parse_date`]).

use super::date::{parse_date, zone};
use super::{Out, text_arg};
use serde_json::{Value, json};

/// `date.compare(start, end[, from_format[, from_zone]])`: a map of the difference end −
/// start in whole `days`, `hours`, `minutes` and `seconds` (each the total, truncated toward
/// zero; negative when end is earlier), `same_date` (the two are the same instant) and
/// `start_before_end`.
pub(super) fn compare(args: &[Value]) -> Out {
    let from_format = text_arg(args, 2);
    let from_zone = zone(&text_arg(args, 3), None)?;
    let start = parse_date(&text_arg(args, 0), &from_format, from_zone)?;
    let end = parse_date(&text_arg(args, 1), &from_format, from_zone)?;
    let secs = end.signed_duration_since(start).num_seconds();
    Ok(json!({
        "days": secs / 86_400,
        "hours": secs / 3_600,
        "minutes": secs / 60,
        "seconds": secs,
        "same_date": start == end,
        "start_before_end": start < end,
    }))
}

#[cfg(test)]
mod tests {
    //! Zapier's "Compare Dates" (Date / Time transforms,
    //! Zapier help center, "Compare dates": the
    //! difference between a start and an end date in days, hours, minutes and seconds, and
    //! which comes first).
    use crate::format::testing::{error, eval};
    use serde_json::json;

    #[test]
    fn difference_in_each_unit() {
        assert_eq!(
            eval("date.compare('2024-03-01T08:00:00Z', '2024-03-03T09:30:15Z')"),
            json!({"days": 2, "hours": 49, "minutes": 2970, "seconds": 178_215,
                   "same_date": false, "start_before_end": true})
        );
        assert_eq!(
            eval("date.compare('03/05/2024', '03/01/2024')"),
            json!({"days": -4, "hours": -96, "minutes": -5760, "seconds": -345_600,
                   "same_date": false, "start_before_end": false})
        );
    }

    #[test]
    fn formats_zones_and_equal_instants() {
        assert_eq!(
            eval("date.compare('2024-01-01 10:00', '2024-01-01T09:00:00Z', '', 'Europe/Paris')")["same_date"],
            json!(true)
        );
        assert_eq!(
            eval("date.compare('01.02.2024', '02.02.2024', 'DD.MM.YYYY')")["days"],
            json!(1)
        );
        assert!(error("date.compare('soon', '2024-01-01')").contains("not a date"));
    }
}
