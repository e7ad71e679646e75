//! Why a trip request body was refused, as the gateway answers it: a
//! [`Refusal`] of the contract's decoder (the field path and what was
//! expected) or a [`TripValidationError`] (the field and the rule), each a
//! 422 naming its field.
//!
//! Neither quotes the input: not a string, a number, a boolean, nor a key
//! that is not one of the contract's field names (an unknown key is
//! reported on the object that holds it). See
//! [`autobook_contracts::refusal`].

use autobook_contracts::refusal::{Problem, Refusal};
use autobook_contracts::trip::TripValidationError;

use super::error::ApiError;

/// The answer to a body the decoder refused.
pub fn refused(refusal: Refusal) -> ApiError {
    let field = if refusal.field.is_empty() {
        "body".to_owned()
    } else {
        refusal.field
    };
    match refusal.problem {
        Problem::MissingField => {
            ApiError::invalid("missing_field", field, "this field is required")
        }
        Problem::UnknownField { .. } => ApiError::invalid(
            "unknown_field",
            field,
            "a field that is not part of a trip request",
        ),
        Problem::Syntax(text) => ApiError::new(
            axum::http::StatusCode::BAD_REQUEST,
            "invalid_json",
            format!("the body is not valid JSON: {text}"),
        ),
        problem @ (Problem::InvalidType { .. }
        | Problem::InvalidValue { .. }
        | Problem::InvalidLength { .. }
        | Problem::UnknownValue { .. }
        | Problem::DuplicateField
        | Problem::Rule(_)) => {
            let mut described = problem.to_string();
            if let Some(form) = expected_form(&field) {
                described.push_str("; expected ");
                described.push_str(form);
            }
            ApiError::invalid("invalid_field", field, described)
        }
    }
}

/// The answer to a trip that breaks a rule.
pub fn broken_rule(error: &TripValidationError) -> ApiError {
    ApiError::invalid(error.code(), error.field(), error.rule())
}

/// The form of a date or time field, for chrono's terse messages.
fn expected_form(field: &str) -> Option<&'static str> {
    let last = field.rsplit('.').next().unwrap_or(field);
    match last {
        "departure_date" | "return_date" | "book_by" | "born_on" | "expires_on" => {
            Some("a date as YYYY-MM-DD")
        }
        "earliest" | "latest" => Some("a local time as HH:MM"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use axum::http::StatusCode;

    use super::*;

    #[test]
    fn each_problem_has_its_code_and_the_whole_body_is_named_body() {
        let error = refused(Refusal {
            field: String::new(),
            problem: Problem::UnknownField { expected: None },
        });
        assert_eq!(
            (error.code, error.field.as_deref()),
            ("unknown_field", Some("body"))
        );
        let error = refused(Refusal {
            field: "passengers[0].born_on".into(),
            problem: Problem::Rule("input contains invalid characters".into()),
        });
        assert_eq!(error.code, "invalid_field");
        assert!(
            error.message.ends_with("expected a date as YYYY-MM-DD"),
            "{}",
            error.message
        );
        let error = refused(Refusal {
            field: String::new(),
            problem: Problem::Syntax("expected value at line 1 column 1".into()),
        });
        assert_eq!(
            (error.status, error.code),
            (StatusCode::BAD_REQUEST, "invalid_json")
        );
    }

    #[test]
    fn a_broken_rule_names_its_field_and_code() {
        let error = broken_rule(&TripValidationError::ImplausibleAge(2));
        assert_eq!(
            (error.code, error.field.as_deref()),
            ("implausible_age", Some("passengers[1].born_on"))
        );
        let error = broken_rule(&TripValidationError::DocumentCountry(3));
        assert_eq!(
            error.field.as_deref(),
            Some("passengers[2].identity_document.issuing_country_code")
        );
        let error = broken_rule(&TripValidationError::NonPositiveMaxPrice(-14_155_550_177));
        assert_eq!(error.field.as_deref(), Some("max_price.amount_minor"));
        assert!(!error.message.contains("14155550177"), "{}", error.message);
    }
}
