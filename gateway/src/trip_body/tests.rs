use chrono::{Days, Utc};
use serde_json::{Value, json};

use super::*;

/// The shared sample trip as a caller sends it: without a user.
fn body() -> Value {
    autobook_contracts::fixtures::trip_json_with(|v| {
        v.as_object_mut().unwrap().remove("user_id");
    })
}

fn user() -> UserId {
    UserId::parse("usr_a").unwrap()
}

fn parse(value: &Value) -> Result<TripRequest, ApiError> {
    parse_trip(&serde_json::to_vec(value).unwrap(), &user(), Utc::now())
}

fn refusal(value: &Value) -> ApiError {
    parse(value).expect_err("refused")
}

#[test]
fn a_valid_body_becomes_the_callers_trip() {
    let trip = parse(&body()).unwrap();
    assert_eq!(trip.user_id, user());
    assert_eq!(trip.origin.as_str(), "JFK");
}

#[test]
fn user_id_in_the_body_is_refused() {
    let mut value = body();
    value["user_id"] = json!("usr_someone_else");
    let error = refusal(&value);
    assert_eq!(
        (error.code, error.field.as_deref()),
        ("forbidden_field", Some("user_id"))
    );
    assert_eq!(error.status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[test]
fn missing_and_unknown_fields_are_named() {
    let mut value = body();
    value.as_object_mut().unwrap().remove("origin");
    let error = refusal(&value);
    assert_eq!(
        (error.code, error.field.as_deref()),
        ("missing_field", Some("origin"))
    );

    let mut value = body();
    value["passengers"][0]
        .as_object_mut()
        .unwrap()
        .remove("born_on");
    let error = refusal(&value);
    assert_eq!(
        error.field.as_deref(),
        Some("passengers[0].born_on"),
        "{error:?}"
    );

    // A key that is none of the contract's field names is data: the
    // refusal names the object holding it, never the key.
    let mut value = body();
    value["amelia_earhart"] = json!(true);
    let error = refusal(&value);
    assert_eq!(
        (error.code, error.field.as_deref()),
        ("unknown_field", Some("body")),
        "{error:?}"
    );
    assert!(
        !serde_json::to_string(&error.body())
            .unwrap()
            .contains("amelia")
    );

    // A field name of the contract in the wrong place is named.
    let mut value = body();
    value["payment"]["amount"] = json!(1);
    let error = refusal(&value);
    assert_eq!(error.field.as_deref(), Some("payment.amount"), "{error:?}");
}

#[test]
fn shapes_and_rules_are_refused_on_their_field() {
    let cases: Vec<(&str, Value, &str)> = vec![
        ("origin", json!("jfk"), "origin"),
        ("origin", json!("ZZZ"), "origin"),
        ("destination", json!("JFK"), "destination"),
        ("departure_date", json!("2020-01-01"), "departure_date"),
        ("departure_date", json!("tomorrow"), "departure_date"),
        ("cabin_class", json!("steerage"), "cabin_class"),
        ("passengers", json!([]), "passengers"),
        ("max_stops", json!(7), "max_stops"),
        ("max_stops", json!(-1), "max_stops"),
        ("airlines", json!(["ZZZZ"]), "airlines[0]"),
    ];
    for (field, bad, expected) in cases {
        let mut value = body();
        value[field] = bad.clone();
        let error = refusal(&value);
        assert_eq!(
            error.field.as_deref(),
            Some(expected),
            "{field}={bad}: {error:?}"
        );
        assert_eq!(error.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(!error.message.is_empty());
    }
}

#[test]
fn absurd_passenger_counts_are_refused() {
    let mut value = body();
    let one = value["passengers"][0].clone();
    value["passengers"] = Value::Array(vec![one; 50]);
    let error = refusal(&value);
    assert_eq!(
        (error.code, error.field.as_deref()),
        ("passenger_count", Some("passengers"))
    );
    assert!(error.message.contains("50"), "{}", error.message);
}

#[test]
fn hostile_strings_are_refused_without_being_echoed() {
    let fields = [
        "/origin",
        "/destination",
        "/departure_date",
        "/cabin_class",
        "/contact_email",
        "/passengers/0/title",
        "/passengers/0/gender",
        "/passengers/0/given_name",
        "/passengers/0/family_name",
        "/passengers/0/born_on",
        "/passengers/0/email",
        "/passengers/0/phone_number",
        "/max_price/currency",
        "/payment/payment_method",
    ];
    for hostile in ["'; DROP TABLE sagas;--", "<script>alert(1)</script>"] {
        for pointer in fields {
            let mut value = body();
            *value.pointer_mut(pointer).unwrap() = json!(hostile);
            let error = refusal(&value);
            let expected = pointer[1..].replace("/0/", "[0].").replace('/', ".");
            assert_eq!(
                error.field.as_deref(),
                Some(expected.as_str()),
                "{pointer}: {error:?}"
            );
            let shown = serde_json::to_string(&error.body()).unwrap();
            assert!(
                !shown.contains("DROP") && !shown.contains("script"),
                "{pointer}: {shown}"
            );
        }
    }
}

#[test]
fn personal_data_is_never_quoted() {
    let mut value = body();
    value["passengers"][0]["given_name"] = json!("Amelia42");
    value["passengers"][0]["title"] = json!("Amelia");
    let error = refusal(&value);
    assert!(!error.message.contains("Amelia"), "{}", error.message);
}

#[test]
fn malformed_json_and_non_objects() {
    let error = parse_trip(b"{\"origin\": ", &user(), Utc::now()).unwrap_err();
    assert_eq!(
        (error.status, error.code),
        (StatusCode::BAD_REQUEST, "invalid_json")
    );
    let error = parse_trip(b"[1, 2]", &user(), Utc::now()).unwrap_err();
    assert_eq!(error.code, "invalid_body");
}

#[test]
fn content_types() {
    assert!(is_json(Some("application/json")));
    assert!(is_json(Some("Application/JSON; charset=utf-8")));
    assert!(!is_json(Some("text/plain")));
    assert!(!is_json(Some("application/x-www-form-urlencoded")));
    assert!(!is_json(None));
}

#[test]
fn dates_and_times_say_their_form() {
    let mut value = body();
    value["departure_date"] = json!("14/03/2027");
    let error = refusal(&value);
    assert!(
        error.message.ends_with("expected a date as YYYY-MM-DD"),
        "{}",
        error.message
    );
    let mut value = body();
    value["departure_window"] = json!({"earliest": "6am", "latest": "21:30"});
    let error = refusal(&value);
    assert_eq!(error.field.as_deref(), Some("departure_window.earliest"));
    assert!(
        error.message.ends_with("expected a local time as HH:MM"),
        "{}",
        error.message
    );
}

fn with_passport(edit: impl FnOnce(&mut Value)) -> Value {
    let mut value = body();
    value["passengers"][0]["identity_document"] = json!({
        "type": "passport", "unique_identifier": "K12345678",
        "issuing_country_code": "GB", "expires_on": "2040-05-20"
    });
    edit(&mut value["passengers"][0]["identity_document"]);
    value
}

#[test]
fn a_passport_is_taken_and_each_of_its_fields_checked_without_echoing_it() {
    let trip = parse(&with_passport(|_| {})).unwrap();
    assert!(trip.carries_identity_documents());
    let field = |name: &str| format!("passengers[0].identity_document.{name}");
    let cases: Vec<(&str, Value, &str, String)> = vec![
        (
            "unique_identifier",
            json!("k-1234"),
            "invalid_field",
            field("unique_identifier"),
        ),
        (
            "unique_identifier",
            json!("K1"),
            "invalid_field",
            field("unique_identifier"),
        ),
        (
            "issuing_country_code",
            json!("QQ"),
            "invalid_field",
            field("issuing_country_code"),
        ),
        (
            "expires_on",
            json!("20/05/2040"),
            "invalid_field",
            field("expires_on"),
        ),
        ("type", json!("visa"), "invalid_field", field("type")),
        (
            "nationality",
            json!("GB"),
            "unknown_field",
            "passengers[0].identity_document".to_owned(),
        ),
        (
            "expires_on",
            json!("2000-01-01"),
            "document_expired",
            field("expires_on"),
        ),
        (
            "issuing_country_code",
            json!("XX"),
            "unknown_issuing_country",
            field("issuing_country_code"),
        ),
    ];
    for (name, bad, code, expected) in cases {
        let value = with_passport(|document| document[name] = bad.clone());
        let error = refusal(&value);
        assert_eq!(
            (error.code, error.field.as_deref()),
            (code, Some(expected.as_str())),
            "{name}={bad}: {error:?}"
        );
        assert_eq!(error.status, StatusCode::UNPROCESSABLE_ENTITY);
        let shown = serde_json::to_string(&error.body()).unwrap();
        if let Some(text) = bad.as_str().filter(|t| t.len() > 2) {
            assert!(!shown.contains(text), "{name}: {shown}");
        }
    }
    let error = refusal(&with_passport(|document| {
        document["expires_on"] = json!("14/03")
    }));
    assert!(
        error.message.ends_with("expected a date as YYYY-MM-DD"),
        "{}",
        error.message
    );
}

#[test]
fn more_infants_than_adults_are_refused_on_passengers() {
    let mut value = body();
    let mut infant = value["passengers"][0].clone();
    infant["born_on"] = json!(
        Utc::now()
            .date_naive()
            .checked_sub_days(Days::new(90))
            .unwrap()
    );
    value["passengers"]
        .as_array_mut()
        .unwrap()
        .extend([infant.clone(), infant]);
    let error = refusal(&value);
    assert_eq!(
        (error.code, error.field.as_deref()),
        ("too_many_infants", Some("passengers"))
    );
    value["passengers"].as_array_mut().unwrap().pop();
    assert!(parse(&value).is_ok(), "one infant, one adult");
}
