//! `filtering=[{"field": ..., "operator": ..., "value": ...}]` on list edges.
//!
//! The MM API guide filters `client_whatsapp_business_accounts` with operator `IN`; the other
//! operators below follow the Marketing API's filtering vocabulary.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A comparison operator (the platform reads it; a client writes it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum FilterOperator {
    /// The field equals the value.
    Equal,
    /// The field differs from the value.
    NotEqual,
    /// The field is one of the values.
    In,
    /// The field is none of the values.
    NotIn,
    /// The field contains the value as a substring.
    Contain,
    /// The field does not contain the value.
    NotContain,
}

/// One clause of a `filtering` parameter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filter {
    /// The field compared.
    pub field: String,
    /// The operator.
    pub operator: FilterOperator,
    /// The values, as strings (a scalar value is a one-element list).
    pub values: Vec<String>,
}

/// Why a `filtering` value was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Invalid filtering parameter: {0}")]
pub struct FilterError(pub String);

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFilter {
    field: String,
    operator: String,
    value: Value,
}

impl Filter {
    /// Parses the JSON array sent in `filtering=`.
    pub fn parse_all(text: &str) -> Result<Vec<Self>, FilterError> {
        let raw: Vec<RawFilter> = serde_json::from_str(text).map_err(|e| {
            FilterError(format!(
                "expected a JSON array of {{field, operator, value}} ({e})"
            ))
        })?;
        raw.into_iter().map(Self::from_raw).collect()
    }

    fn from_raw(raw: RawFilter) -> Result<Self, FilterError> {
        let operator: FilterOperator = serde_json::from_value(Value::String(raw.operator.clone()))
            .map_err(|_| FilterError(format!("unknown operator '{}'", raw.operator)))?;
        let scalar = |v: &Value| match v {
            Value::String(s) => Ok(s.clone()),
            Value::Number(n) => Ok(n.to_string()),
            Value::Bool(b) => Ok(b.to_string()),
            other => Err(FilterError(format!("unsupported value {other}"))),
        };
        let values = match &raw.value {
            Value::Array(items) => items.iter().map(scalar).collect::<Result<_, _>>()?,
            other => vec![scalar(other)?],
        };
        let multi = matches!(operator, FilterOperator::In | FilterOperator::NotIn);
        if !multi && values.len() != 1 {
            return Err(FilterError(format!(
                "operator '{}' takes exactly one value",
                raw.operator
            )));
        }
        Ok(Self {
            field: raw.field,
            operator,
            values,
        })
    }

    /// Whether a field value passes this clause.
    pub fn matches(&self, actual: &str) -> bool {
        let first = self.values.first().map_or("", String::as_str);
        match self.operator {
            FilterOperator::Equal => actual == first,
            FilterOperator::NotEqual => actual != first,
            FilterOperator::In => self.values.iter().any(|v| v == actual),
            FilterOperator::NotIn => self.values.iter().all(|v| v != actual),
            FilterOperator::Contain => actual.contains(first),
            FilterOperator::NotContain => !actual.contains(first),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_guide_example() {
        let f = Filter::parse_all(
            r#"[{"field":"marketing_messages_onboarding_status","operator":"IN","value":["ELIGIBLE","ONBOARDED"]}]"#,
        )
        .expect("guide example");
        assert_eq!(f.len(), 1);
        assert!(f[0].matches("ONBOARDED"));
        assert!(!f[0].matches("INELIGIBLE_ON_BEHALF_OF_WABA"));
    }

    #[test]
    fn scalar_operators_and_errors() {
        let f = Filter::parse_all(r#"[{"field":"name","operator":"CONTAIN","value":"Shop"}]"#)
            .expect("contain");
        assert!(f[0].matches("Lucky Shop"));
        assert!(Filter::parse_all(r#"[{"field":"x","operator":"LIKE","value":"a"}]"#).is_err());
        assert!(
            Filter::parse_all(r#"[{"field":"x","operator":"EQUAL","value":["a","b"]}]"#).is_err()
        );
        assert!(Filter::parse_all(r#"{"field":"x"}"#).is_err());
        assert!(Filter::parse_all("not json").is_err());
    }
}
