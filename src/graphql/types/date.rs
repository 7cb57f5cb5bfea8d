//! `Date`: a calendar day written `YYYY-MM-DD` (ISO 8601), under the name the GraphQL ecosystem
//! uses for it (graphql-scalars' `Date`), where async-graphql would call it `NaiveDate` after the
//! Rust type.

use async_graphql::{InputValueError, InputValueResult, Scalar, ScalarType, Value};
use chrono::NaiveDate;

/// A calendar day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date(pub NaiveDate);

/// A calendar day, ISO 8601 `YYYY-MM-DD`, e.g. `2025-12-31`.
#[Scalar(
    name = "Date",
    specified_by_url = "https://the-guild.dev/graphql/scalars/docs/scalars/date"
)]
impl ScalarType for Date {
    fn parse(value: Value) -> InputValueResult<Self> {
        match &value {
            Value::String(s) => NaiveDate::parse_from_str(s, "%Y-%m-%d")
                .map(Date)
                .map_err(|_| {
                    InputValueError::custom(format!(
                        "\"{s}\" is not a date; write it as YYYY-MM-DD, e.g. 2025-12-31"
                    ))
                }),
            _ => Err(InputValueError::expected_type(value)),
        }
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.format("%Y-%m-%d").to_string())
    }
}

impl std::fmt::Display for Date {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0.format("%Y-%m-%d"))
    }
}

impl From<NaiveDate> for Date {
    fn from(d: NaiveDate) -> Self {
        Date(d)
    }
}

/// The day of an optional `Date` argument or field.
pub fn day(d: Option<Date>) -> Option<NaiveDate> {
    d.map(|d| d.0)
}
