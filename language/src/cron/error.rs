//! Errors from parsing crontab schedules.
//!
//! Every error carries four things, because its readers differ: a stable
//! code for programs and docs, Debian's own message (so a user who knows
//! `crontab -e` recognises it), a sentence saying what was expected, and
//! the byte range of the offending field so a caller can underline it.

use std::borrow::Cow;
use std::ops::Range;

use super::field::FieldKind;

/// The category of a [`CronError`]; each has a stable code string.
///
/// The codes are part of the public contract (docs and diagnostics link to
/// them), so variants are only ever added, never renamed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CronErrorKind {
    /// The expression is empty or blank.
    Empty,
    /// Fewer than five fields were given.
    MissingFields,
    /// More than five fields were given (often a seconds field), or
    /// something follows an `@keyword`.
    TooManyFields,
    /// An `@word` that is not one of Debian's keywords (they are lower-case
    /// only).
    BadKeyword,
    /// A field that is not valid crontab syntax (empty list item, a name
    /// where only numbers are allowed, an unknown word, ...).
    BadField,
    /// A number outside the field's range (minute 60, hour 24, dom 0, ...).
    OutOfRange,
    /// A bad step: `*/0`, `1/5` (step after a single number), `*/x`.
    BadStep,
    /// Syntax from other cron dialects that Debian rejects: `L`, `W`, `#`,
    /// `?`, `H`.
    UnsupportedSyntax,
    /// Characters after a complete value, such as `5#2`. Debian silently
    /// ignores them (it reads `5#2` as `5`); we reject them on purpose.
    TrailingGarbage,
}

impl CronErrorKind {
    /// The stable code string, e.g. `claw::cron::bad_field`.
    pub const fn code(self) -> &'static str {
        self.registered().id
    }

    /// The registry entry of this kind (its level, meaning and fix).
    pub const fn registered(self) -> crate::diag::Code {
        match self {
            Self::Empty => crate::codes::CRON_EMPTY,
            Self::MissingFields => crate::codes::CRON_MISSING_FIELDS,
            Self::TooManyFields => crate::codes::CRON_TOO_MANY_FIELDS,
            Self::BadKeyword => crate::codes::CRON_BAD_KEYWORD,
            Self::BadField => crate::codes::CRON_BAD_FIELD,
            Self::OutOfRange => crate::codes::CRON_OUT_OF_RANGE,
            Self::BadStep => crate::codes::CRON_BAD_STEP,
            Self::UnsupportedSyntax => crate::codes::CRON_UNSUPPORTED_SYNTAX,
            Self::TrailingGarbage => crate::codes::CRON_TRAILING_GARBAGE,
        }
    }
}

/// A schedule that could not be parsed.
///
/// `Display` renders `"<message>: <explanation>"`, where the message is
/// Debian's own text when Debian rejects the input too (`bad minute`,
/// `bad time specifier`, ...).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}: {explanation}")]
pub struct CronError {
    kind: CronErrorKind,
    field: Option<FieldKind>,
    debian_message: Option<&'static str>,
    message: Cow<'static, str>,
    explanation: String,
    span: Range<usize>,
}

impl CronError {
    /// Builds an error. `debian_message` is `None` when Debian would accept
    /// the input (our deliberate deviations) or has no equivalent message;
    /// `fallback` is then used as the headline.
    pub(crate) fn new(
        kind: CronErrorKind,
        field: Option<FieldKind>,
        debian_message: Option<&'static str>,
        fallback: impl Into<Cow<'static, str>>,
        explanation: impl Into<String>,
        span: Range<usize>,
    ) -> Self {
        let message = match debian_message {
            Some(m) => Cow::Borrowed(m),
            None => fallback.into(),
        };
        Self {
            kind,
            field,
            debian_message,
            message,
            explanation: explanation.into(),
            span,
        }
    }

    /// The error category.
    pub fn kind(&self) -> CronErrorKind {
        self.kind
    }

    /// The stable code string, e.g. `claw::cron::bad_field`.
    pub fn code(&self) -> &'static str {
        self.kind.code()
    }

    /// The field at fault, when the error is about one field.
    pub fn field(&self) -> Option<FieldKind> {
        self.field
    }

    /// Debian cron's message for this input (`bad minute`, `bad hour`,
    /// `bad day-of-month`, `bad month`, `bad day-of-week`,
    /// `bad time specifier`, `bad command`), or `None` when Debian would
    /// accept the input (a deliberate deviation such as trailing garbage) or
    /// reports nothing comparable.
    pub fn debian_message(&self) -> Option<&'static str> {
        self.debian_message
    }

    /// The headline: Debian's message when there is one, otherwise ours.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// A human explanation of what was found and what was expected.
    pub fn explanation(&self) -> &str {
        &self.explanation
    }

    /// Byte range, within the parsed expression, of the offending field
    /// (or of the whole expression / its end when no single field is at
    /// fault).
    pub fn span(&self) -> Range<usize> {
        self.span.clone()
    }
}
