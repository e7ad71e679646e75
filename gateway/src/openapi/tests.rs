//! The document of the gateway's own route table: every route once with its
//! parameters, every reference resolved, the webhook's and the answers'
//! headers and bodies, and the trip body's shape.

use super::*;
use crate::routes::table;

#[test]
fn every_route_is_documented_once_with_its_parameters() {
    let routes = table();
    let doc = document(&routes);
    let mut documented = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        documented += item.as_object().unwrap().len();
        for operation in item.as_object().unwrap().values() {
            let params = operation["parameters"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            let in_path = params.iter().filter(|p| p["in"] == "path").count();
            assert_eq!(in_path, path.matches('{').count(), "{path}");
            assert!(!operation["responses"].as_object().unwrap().is_empty());
        }
    }
    assert_eq!(documented, routes.len());
}

#[test]
fn every_reference_resolves() {
    let doc = document(&table());
    let text = doc.to_string();
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    for (at, _) in text.match_indices("#/components/schemas/") {
        let rest = &text[at + "#/components/schemas/".len()..];
        let name = &rest[..rest.find('"').unwrap()];
        assert!(
            schemas.contains_key(name),
            "{name} is referenced but not defined"
        );
    }
}

#[test]
fn the_webhook_and_the_answers_document_their_headers_and_bodies() {
    let doc = document(&table());
    let webhook = &doc["paths"]["/v1/webhooks/stripe"]["post"];
    let signature = webhook["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "Stripe-Signature")
        .expect("Stripe-Signature is documented");
    assert_eq!(signature["in"], "header");
    assert_eq!(signature["required"], true);
    assert!(webhook["requestBody"]["content"]["application/json"]["schema"].is_object());
    for status in ["400", "413"] {
        let schema = &webhook["responses"][status]["content"]["application/json"]["schema"];
        assert_eq!(schema["$ref"], "#/components/schemas/ErrorBody", "{status}");
    }
    let submit = &doc["paths"]["/v1/trip-requests"]["post"];
    assert_eq!(
        submit["responses"]["202"]["headers"]["Location"]["required"],
        true
    );
    assert_eq!(
        submit["responses"]["401"]["headers"]["WWW-Authenticate"]["required"],
        true
    );
    assert_eq!(
        submit["responses"]["429"]["headers"]["Retry-After"]["required"],
        true
    );
    assert!(submit["requestBody"]["content"]["application/json"]["example"].is_object());
}

#[test]
fn the_trip_body_has_no_user_id() {
    let doc = document(&table());
    let body = &doc["components"]["schemas"]["TripRequestBody"];
    assert!(body["properties"].get("origin").is_some());
    assert!(body["properties"].get("user_id").is_none());
    assert!(
        !body["required"]
            .as_array()
            .unwrap()
            .contains(&json!("user_id"))
    );
}

#[test]
fn passengers_document_infants_and_identity_documents() {
    let doc = document(&table());
    let schemas = &doc["components"]["schemas"];
    let passengers = &schemas["TripRequestBody"]["properties"]["passengers"];
    assert!(
        passengers["description"]
            .as_str()
            .unwrap()
            .contains("infant"),
        "{passengers}"
    );
    let passenger = &schemas["Passenger"]["properties"];
    assert!(passenger.get("identity_document").is_some(), "{passenger}");
    let document = &schemas["IdentityDocument"];
    assert_eq!(
        document["required"],
        json!([
            "type",
            "unique_identifier",
            "issuing_country_code",
            "expires_on"
        ])
    );
    assert_eq!(document["additionalProperties"], json!(false));
    assert_eq!(schemas["DocumentNumber"]["pattern"], "^[A-Z0-9]{5,20}$");
    assert_eq!(schemas["IssuingCountry"]["pattern"], "^[A-Z]{2}$");
    assert!(
        document["properties"]["expires_on"]["description"]
            .as_str()
            .unwrap()
            .contains("last travel date")
    );
}
