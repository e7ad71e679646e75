//! The OpenAPI 3.1 document of the gateway, built from the route table
//! ([`super::routes::table`]) and the schemas of the request and response
//! types (JSON Schema 2020-12, the dialect of OpenAPI 3.1), served at
//! `/openapi.json`.

use std::sync::LazyLock;

use schemars::generate::SchemaSettings;
use serde_json::{Map, Value, json};

use super::routes::{Access, Route, table};

static DOCUMENT: LazyLock<Value> = LazyLock::new(|| document(&table()));

/// `GET /openapi.json`.
pub async fn serve() -> axum::Json<Value> {
    axum::Json(DOCUMENT.clone())
}

/// The document describing `routes`.
pub fn document(routes: &[Route]) -> Value {
    let mut generator = SchemaSettings::draft2020_12()
        .with(|s| {
            s.definitions_path = "/components/schemas".into();
            s.meta_schema = None;
        })
        .into_generator();
    let mut paths = Map::new();
    for route in routes {
        let mut operation = json!({
            "operationId": route.operation_id,
            "summary": route.summary,
            "security": match route.access {
                Access::Public => json!([]),
                Access::Traveller => json!([{"bearer": []}]),
            },
        });
        let mut parameters: Vec<Value> = path_parameters(route.path)
            .map(|name| {
                json!({"name": name, "in": "path", "required": true,
                       "schema": {"type": "string", "format": "uuid"}})
            })
            .collect();
        parameters.extend(route.headers.iter().map(|header| {
            json!({"name": header.name, "in": "header", "required": header.required,
                   "description": header.description, "schema": (header.schema)()})
        }));
        if !parameters.is_empty() {
            operation["parameters"] = Value::Array(parameters);
        }
        if let Some(body) = route.body {
            let mut media = json!({"schema": body(&mut generator)});
            if let Some(example) = route.body_example {
                media["example"] = example();
            }
            operation["requestBody"] = json!({
                "required": true,
                "content": {"application/json": media},
            });
        }
        let mut responses = Map::new();
        for reply in &route.replies {
            let mut response = json!({"description": reply.description});
            let schema = match reply.schema {
                Some(schema) => serde_json::to_value(schema(&mut generator)).unwrap_or_default(),
                None => json!({"type": "object"}),
            };
            response["content"] = json!({"application/json": {"schema": schema}});
            if !reply.headers.is_empty() {
                let headers: Map<String, Value> = reply
                    .headers
                    .iter()
                    .map(|header| {
                        let documented = json!({"description": header.description,
                            "required": header.required, "schema": (header.schema)()});
                        (header.name.to_owned(), documented)
                    })
                    .collect();
                response["headers"] = Value::Object(headers);
            }
            responses.insert(reply.status.to_string(), response);
        }
        operation["responses"] = Value::Object(responses);
        let item = paths
            .entry(route.path)
            .or_insert_with(|| Value::Object(Map::new()));
        item[route.verb.openapi_key()] = operation;
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "autobook gateway",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Submit trip requests to be booked automatically, follow and cancel them, \
                            and export or erase your data. Every error is \
                            {\"error\": {\"code\", \"message\", \"field\"?}}.",
        },
        "paths": paths,
        "components": {
            "schemas": generator.take_definitions(true),
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
            },
        },
    })
}

/// The `{name}` segments of a path template.
fn path_parameters(path: &str) -> impl Iterator<Item = &str> {
    path.split('/')
        .filter_map(|segment| segment.strip_prefix('{')?.strip_suffix('}'))
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
