//! Time as the store keeps it: instants as milliseconds since the Unix epoch ([`UnixMillis`])
//! and spans as milliseconds ([`Millis`]), each one integer in SQL and in JSON.
//!
//! Both are plain `i64` newtypes: `serde(transparent)` keeps the JSON output a bare number,
//! `Display` prints the number, and the SQL code binds and reads the inner `i64`. They compare
//! with a bare `i64` too, so a figure read back from JSON can be checked against them.

use chrono::{DateTime, TimeZone, Utc};
use serde::{Deserialize, Serialize};
use std::cmp::Ordering;
use std::fmt;
use std::ops::{Add, Sub};

/// An instant: milliseconds since 1970-01-01T00:00:00Z (negative before it).
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct UnixMillis(pub i64);

impl UnixMillis {
    /// The system clock's time now.
    pub fn now() -> UnixMillis {
        UnixMillis(Utc::now().timestamp_millis())
    }

    /// The instant as a UTC time; `None` outside the range chrono represents.
    pub fn to_datetime(self) -> Option<DateTime<Utc>> {
        Utc.timestamp_millis_opt(self.0).single()
    }
}

impl From<DateTime<Utc>> for UnixMillis {
    fn from(t: DateTime<Utc>) -> UnixMillis {
        UnixMillis(t.timestamp_millis())
    }
}

impl fmt::Display for UnixMillis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// A span of time in milliseconds (a latency, an age, a window); negative when the end
/// comes before the start.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Millis(pub i64);

impl Millis {
    /// A span of `d`, saturating at `i64::MAX` milliseconds.
    pub fn from_duration(d: std::time::Duration) -> Millis {
        Millis(i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
    }
}

impl fmt::Display for Millis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// The span from `rhs` to `self`.
impl Sub for UnixMillis {
    type Output = Millis;
    fn sub(self, rhs: UnixMillis) -> Millis {
        Millis(self.0 - rhs.0)
    }
}

/// The instant `rhs` before `self`.
impl Sub<Millis> for UnixMillis {
    type Output = UnixMillis;
    fn sub(self, rhs: Millis) -> UnixMillis {
        UnixMillis(self.0 - rhs.0)
    }
}

/// The instant `rhs` after `self`.
impl Add<Millis> for UnixMillis {
    type Output = UnixMillis;
    fn add(self, rhs: Millis) -> UnixMillis {
        UnixMillis(self.0 + rhs.0)
    }
}

/// Comparisons with a bare number of milliseconds, both ways round (`(300..2000).contains(&took)`
/// needs the number on the left too).
macro_rules! compare_with_i64 {
    ($t:ty) => {
        impl PartialEq<i64> for $t {
            fn eq(&self, other: &i64) -> bool {
                self.0 == *other
            }
        }
        impl PartialEq<$t> for i64 {
            fn eq(&self, other: &$t) -> bool {
                *self == other.0
            }
        }
        impl PartialOrd<i64> for $t {
            fn partial_cmp(&self, other: &i64) -> Option<Ordering> {
                self.0.partial_cmp(other)
            }
        }
        impl PartialOrd<$t> for i64 {
            fn partial_cmp(&self, other: &$t) -> Option<Ordering> {
                self.partial_cmp(&other.0)
            }
        }
    };
}

compare_with_i64!(UnixMillis);
compare_with_i64!(Millis);

// Rows are read into records by column name (`store/sql/read.rs`): an instant column is an
// integer in both databases, so `UnixMillis` decodes wherever an `i64` does. Writes bind the
// inner `i64`.
impl<DB: sqlx::Database> sqlx::Type<DB> for UnixMillis
where
    i64: sqlx::Type<DB>,
{
    fn type_info() -> DB::TypeInfo {
        <i64 as sqlx::Type<DB>>::type_info()
    }

    fn compatible(ty: &DB::TypeInfo) -> bool {
        <i64 as sqlx::Type<DB>>::compatible(ty)
    }
}

impl<'r, DB: sqlx::Database> sqlx::Decode<'r, DB> for UnixMillis
where
    i64: sqlx::Decode<'r, DB>,
{
    fn decode(value: DB::ValueRef<'r>) -> Result<Self, sqlx::error::BoxDynError> {
        <i64 as sqlx::Decode<'r, DB>>::decode(value).map(UnixMillis)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_is_the_bare_number() {
        let t = UnixMillis(1_700_000_000_123);
        assert_eq!(serde_json::to_string(&t).unwrap(), "1700000000123");
        assert_eq!(serde_json::to_string(&Some(Millis(42))).unwrap(), "42");
        assert_eq!(
            serde_json::from_str::<UnixMillis>("1700000000123").unwrap(),
            t
        );
    }

    #[test]
    fn spans_between_instants() {
        let (a, b) = (UnixMillis(1_000), UnixMillis(1_350));
        assert_eq!(b - a, Millis(350));
        assert_eq!(a + Millis(350), b);
        assert_eq!(b - Millis(350), a);
        assert!((300..400).contains(&(b - a)));
        assert!(b > 1_000 && 1_350 == b);
        assert_eq!(format!("{}ms", b - a), "350ms");
    }
}
