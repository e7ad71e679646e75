//! Order passengers: infants on adults' laps and identity documents for
//! the offers that require them; what is refused, with the field named,
//! and what the ledger shows.

use autobook_sandbox::identity_documents_required;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, order_passengers, passport, spawn};

/// A one-way search with an adult, another adult and an infant.
async fn family_offer(app: &TestApp) -> Value {
    let data = app
        .search(
            "JFK",
            "LAX",
            json!([{ "type": "adult" }, { "age": 30 }, { "age": 1 }]),
        )
        .await;
    data["offers"][0].clone()
}

fn source(body: &Value) -> (&str, &str, &str) {
    let error = &body["errors"][0];
    (
        error["type"].as_str().unwrap(),
        error["code"].as_str().unwrap(),
        error["source"]["pointer"].as_str().unwrap(),
    )
}

#[tokio::test]
async fn an_infant_rides_on_its_adults_lap_and_the_ledger_shows_it() {
    let app = spawn().await;
    let offer = family_offer(&app).await;
    let ids: Vec<&str> = offer["passengers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap())
        .collect();
    assert_eq!(offer["passengers"][2]["type"], "infant_without_seat");
    let (status, body) = app.book(&offer, None, json!({})).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let order = &body["data"];
    assert_eq!(order["passengers"][0]["infant_passenger_id"], ids[2]);
    assert!(order["passengers"][1]["infant_passenger_id"].is_null());

    let ledger = app.ledger();
    let on_laps: Vec<(&str, Option<&str>, &str)> = ledger
        .order_passengers
        .iter()
        .map(|p| {
            assert_eq!(p.order_id, order["id"].as_str().unwrap());
            (
                p.passenger_id.as_str(),
                p.infant_passenger_id.as_deref(),
                p.passenger_type.as_str(),
            )
        })
        .collect();
    assert_eq!(
        on_laps,
        [
            (ids[0], Some(ids[2]), "adult"),
            (ids[1], None, "adult"),
            (ids[2], None, "infant_without_seat"),
        ]
    );
}

#[tokio::test]
async fn an_infant_must_be_carried_by_exactly_one_adult() {
    let app = spawn().await;
    let offer = family_offer(&app).await;
    let infant = offer["passengers"][2]["id"].clone();
    let adult = offer["passengers"][1]["id"].clone();
    let careful = order_passengers(&offer);

    let mut nobody_carries = careful.clone();
    nobody_carries[0]
        .as_object_mut()
        .unwrap()
        .remove("infant_passenger_id");
    let mut carried_twice = careful.clone();
    carried_twice[1]["infant_passenger_id"] = infant.clone();
    let mut names_an_adult = careful.clone();
    names_an_adult[0]["infant_passenger_id"] = adult;
    let mut unknown = careful.clone();
    unknown[0]["infant_passenger_id"] = json!("pas_0000NotInThisOffer");
    let mut infant_carries = careful.clone();
    infant_carries[0]
        .as_object_mut()
        .unwrap()
        .remove("infant_passenger_id");
    infant_carries[2]["infant_passenger_id"] = infant;

    for (passengers, expected) in [
        (
            nobody_carries,
            ("validation_error", "validation_required", "/passengers/2"),
        ),
        (
            carried_twice,
            (
                "validation_error",
                "invalid",
                "/passengers/1/infant_passenger_id",
            ),
        ),
        (
            names_an_adult,
            (
                "validation_error",
                "invalid",
                "/passengers/0/infant_passenger_id",
            ),
        ),
        (
            unknown,
            (
                "validation_error",
                "invalid",
                "/passengers/0/infant_passenger_id",
            ),
        ),
        (
            infant_carries,
            (
                "validation_error",
                "invalid",
                "/passengers/2/infant_passenger_id",
            ),
        ),
    ] {
        let (status, body) = app
            .book_passengers(&offer, passengers, None, json!({}))
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(source(&body), expected, "{body}");
    }
    let ledger = app.ledger();
    assert!(ledger.orders.is_empty() && ledger.seats_sold == 0);
}

/// An offer of a JFK-LHR search whose airline requires documents.
async fn offer_needing_documents(app: &TestApp, passengers: Value) -> Value {
    let data = app.search("JFK", "LHR", passengers).await;
    let offers = data["offers"].as_array().unwrap();
    for offer in offers {
        let owner = offer["owner"]["iata_code"].as_str().unwrap();
        assert_eq!(
            offer["passenger_identity_documents_required"],
            identity_documents_required(owner, "JFK", "LHR"),
            "{owner}: the rule is fixed per airline and route"
        );
    }
    offers
        .iter()
        .find(|o| o["passenger_identity_documents_required"] == true)
        .expect("some airline on JFK-LHR requires documents")
        .clone()
}

#[tokio::test]
async fn domestic_offers_need_no_documents() {
    let app = spawn().await;
    let data = app.search("JFK", "LAX", json!([{ "type": "adult" }])).await;
    for offer in data["offers"].as_array().unwrap() {
        assert_eq!(offer["passenger_identity_documents_required"], false);
    }
}

#[tokio::test]
async fn an_offer_requiring_documents_is_booked_only_with_a_valid_one_on_every_passenger() {
    let app = spawn().await;
    let offer = offer_needing_documents(&app, json!([{ "type": "adult" }, { "age": 8 }])).await;
    let careful = order_passengers(&offer);
    assert!(
        careful
            .iter()
            .all(|p| p.get("identity_documents").is_some())
    );

    let without: Vec<Value> = careful
        .iter()
        .map(|p| {
            let mut p = p.clone();
            p.as_object_mut().unwrap().remove("identity_documents");
            p
        })
        .collect();
    let mut second_missing = careful.clone();
    second_missing[1]
        .as_object_mut()
        .unwrap()
        .remove("identity_documents");
    let mut expired = careful.clone();
    let mut old = passport("K00000001");
    old["expires_on"] = json!(crate::helpers::future_date(10));
    expired[0]["identity_documents"] = json!([old]);
    for (passengers, pointer) in [
        (without, "/passengers/0/identity_documents"),
        (second_missing, "/passengers/1/identity_documents"),
        (expired, "/passengers/0/identity_documents/0/expires_on"),
    ] {
        let (status, body) = app
            .book_passengers(&offer, passengers, None, json!({}))
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(
            source(&body),
            ("validation_error", "validation_required", pointer),
            "{body}"
        );
    }
    assert!(app.ledger().orders.is_empty());

    let (status, body) = app.book_passengers(&offer, careful, None, json!({})).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let ledger = app.ledger();
    assert_eq!(ledger.orders.len(), 1);
    assert!(ledger.order_passengers.iter().all(|p| p.identity_document));
    assert!(
        !body.to_string().contains("K00000000"),
        "the order does not echo document numbers"
    );
}

#[tokio::test]
async fn documents_given_for_an_offer_that_does_not_require_them_are_accepted() {
    let app = spawn().await;
    let data = app.search("JFK", "LAX", json!([{ "type": "adult" }])).await;
    let offer = &data["offers"][0];
    let mut passengers = order_passengers(offer);
    passengers[0]["identity_documents"] = json!([passport("K12345678")]);
    let (status, body) = app
        .book_passengers(offer, passengers, None, json!({}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
}
