//! The OpenAPI 3.1 document of the gateway, built from its routes
//! ([`super::route::Route`], listed by [`super::routes::table`], which
//! serves it at `/openapi.json`) and the schemas of the request and
//! response types (JSON Schema 2020-12, the dialect of OpenAPI 3.1).

use schemars::generate::SchemaSettings;
use serde_json::{Map, Value, json};

use super::route::{Access, Route};

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
mod tests;
