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
    use proptest::prelude::*;
    use serde_json::json;
    use std::time::{Duration, Instant};

    /// A bound that catches a hang or a blow-up (quadratic parsing, alias expansion: seconds to
    /// minutes on these inputs before the bounds), not a speed target: inputs below parse in
    /// milliseconds, and a debug build on a loaded two-core machine must never come near it.
    const PROMPT: Duration = Duration::from_secs(30);

    fn timed(text: &str) -> Result<Vec<Filter>, FilterError> {
        let started = Instant::now();
        let result = Filter::parse_all(text);
        assert!(started.elapsed() < PROMPT, "{:?}", started.elapsed());
        result
    }

    const OPERATORS: [(FilterOperator, &str); 6] = [
        (FilterOperator::Equal, "EQUAL"),
        (FilterOperator::NotEqual, "NOT_EQUAL"),
        (FilterOperator::In, "IN"),
        (FilterOperator::NotIn, "NOT_IN"),
        (FilterOperator::Contain, "CONTAIN"),
        (FilterOperator::NotContain, "NOT_CONTAIN"),
    ];

    /// What a clause should say about `actual`, spelled out operator by operator.
    fn model(operator: FilterOperator, values: &[String], actual: &str) -> bool {
        let one = values.len() == 1;
        match operator {
            FilterOperator::Equal => one && values[0] == actual,
            FilterOperator::NotEqual => one && values[0] != actual,
            FilterOperator::In => values.iter().any(|v| v == actual),
            FilterOperator::NotIn => !values.iter().any(|v| v == actual),
            FilterOperator::Contain => one && actual.contains(values[0].as_str()),
            FilterOperator::NotContain => one && !actual.contains(values[0].as_str()),
        }
    }

    /// A JSON value as a filter value: strings, integers and booleans, one or a list.
    fn value() -> impl Strategy<Value = (Value, Vec<String>)> {
        let scalar = prop_oneof![
            ".{0,8}".prop_map(|s| (json!(s), s)),
            any::<i64>().prop_map(|n| (json!(n), n.to_string())),
            any::<bool>().prop_map(|b| (json!(b), b.to_string())),
        ];
        prop_oneof![
            scalar.clone().prop_map(|(v, s)| (v, vec![s])),
            proptest::collection::vec(scalar, 0..5).prop_map(|items| {
                let (values, texts): (Vec<Value>, Vec<String>) = items.into_iter().unzip();
                (Value::Array(values), texts)
            }),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// Clauses written as JSON read back as themselves (one value for the scalar
        /// operators, any number for IN and NOT_IN), and match exactly as the model says.
        #[test]
        fn clauses_read_back_and_match_as_the_model_says(
            clauses in proptest::collection::vec((".{0,12}", 0usize..6, value()), 0..6),
            actual in ".{0,8}",
        ) {
            let text = Value::Array(
                clauses
                    .iter()
                    .map(|(field, op, (value, _))| json!({"field": field, "operator": OPERATORS[*op].1, "value": value}))
                    .collect(),
            )
            .to_string();
            let scalar_with_many = clauses.iter().any(|(_, op, (_, texts))| {
                !matches!(OPERATORS[*op].0, FilterOperator::In | FilterOperator::NotIn) && texts.len() != 1
            });
            match timed(&text) {
                Ok(filters) => {
                    prop_assert!(!scalar_with_many);
                    prop_assert_eq!(filters.len(), clauses.len());
                    for (filter, (field, op, (_, texts))) in filters.iter().zip(&clauses) {
                        prop_assert_eq!(&filter.field, field);
                        prop_assert_eq!(filter.operator, OPERATORS[*op].0);
                        prop_assert_eq!(&filter.values, texts);
                        prop_assert_eq!(filter.matches(&actual), model(filter.operator, texts, &actual));
                    }
                }
                Err(e) => prop_assert!(scalar_with_many, "{}: {}", e, text),
            }
        }

        /// Any text, and near-valid JSON (deep or unbalanced brackets, huge numbers, odd
        /// unicode, unknown members): no panic, a prompt answer.
        #[test]
        fn any_text_is_answered_promptly(
            text in prop_oneof![
                ".{0,64}".boxed(),
                proptest::collection::vec(
                    prop_oneof![
                        Just("[".to_owned()),
                        Just("]".to_owned()),
                        Just("{".to_owned()),
                        Just("}".to_owned()),
                        Just(",".to_owned()),
                        Just(":".to_owned()),
                        Just("\"field\"".to_owned()),
                        Just("\"operator\"".to_owned()),
                        Just("\"IN\"".to_owned()),
                        Just("\"value\"".to_owned()),
                        Just("1e999".to_owned()),
                        Just("123456789012345678901234567890".to_owned()),
                        Just("\"\\ud800\"".to_owned()),
                        Just("\"\u{feff}\u{202e}\"".to_owned()),
                        (1usize..5_000).prop_map(|n| "[".repeat(n)),
                    ],
                    0..16,
                )
                .prop_map(|parts| parts.concat())
                .boxed(),
            ],
        ) {
            let _ = timed(&text);
        }
    }

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
