//! One route of the gateway as the route table ([`super::routes`]) lists
//! it: method, path template, handler, who may call it ([`Access`]) and
//! what the OpenAPI document ([`super::openapi`]) says about it (body,
//! headers, answers).

use axum::handler::Handler;
use axum::http::Method;
use axum::routing::{MethodFilter, MethodRouter, on};
use schemars::{JsonSchema, Schema, SchemaGenerator};

use super::error::ErrorBody;
use super::state::Gateway;

/// Who may call a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    Public,
    /// A bearer token is required; the caller is its subject.
    Traveller,
}

/// The methods the gateway answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verb {
    Get,
    Post,
    Delete,
}

impl Verb {
    pub fn method(&self) -> Method {
        match self {
            Verb::Get => Method::GET,
            Verb::Post => Method::POST,
            Verb::Delete => Method::DELETE,
        }
    }

    fn filter(&self) -> MethodFilter {
        match self {
            Verb::Get => MethodFilter::GET,
            Verb::Post => MethodFilter::POST,
            Verb::Delete => MethodFilter::DELETE,
        }
    }

    /// The key of the operation in an OpenAPI path item.
    pub fn openapi_key(&self) -> &'static str {
        match self {
            Verb::Get => "get",
            Verb::Post => "post",
            Verb::Delete => "delete",
        }
    }
}

/// A schema for the document, generated on demand.
pub type SchemaFn = fn(&mut SchemaGenerator) -> Schema;

/// The schema of `T`, as a reference into the document's components.
pub fn schema_of<T: JsonSchema>(generator: &mut SchemaGenerator) -> Schema {
    generator.subschema_for::<T>()
}

/// One documented answer of a route.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub description: &'static str,
    /// The JSON body; `None` for an open-ended document.
    pub schema: Option<SchemaFn>,
    /// The headers it carries.
    pub headers: Vec<HeaderParam>,
}

/// A request header a route reads, or a header of an answer.
#[derive(Debug, Clone, Copy)]
pub struct HeaderParam {
    pub name: &'static str,
    pub description: &'static str,
    /// Always sent (an answer), or the request is refused without it.
    pub required: bool,
    /// The JSON Schema of its value.
    pub schema: fn() -> serde_json::Value,
}

/// A header value: any text.
pub(super) fn text() -> serde_json::Value {
    serde_json::json!({"type": "string", "minLength": 1})
}

/// A header value: whole seconds.
fn seconds() -> serde_json::Value {
    serde_json::json!({"type": "string", "pattern": "^[0-9]+$"})
}

const WWW_AUTHENTICATE: HeaderParam = HeaderParam {
    name: "WWW-Authenticate",
    description: "Bearer error=\"invalid_token\"",
    required: true,
    schema: text,
};

pub(super) const RETRY_AFTER: HeaderParam = HeaderParam {
    name: "Retry-After",
    description: "Seconds to wait before trying again",
    required: true,
    schema: seconds,
};

/// One route: method, path template, handler and documentation.
pub struct Route {
    pub verb: Verb,
    /// axum's path syntax, which is also OpenAPI's (`/v1/bookings/{id}`).
    pub path: &'static str,
    pub operation_id: &'static str,
    pub summary: &'static str,
    pub access: Access,
    pub body: Option<SchemaFn>,
    /// A request body that is accepted, for the document's example.
    pub body_example: Option<fn() -> serde_json::Value>,
    pub headers: Vec<HeaderParam>,
    pub replies: Vec<Reply>,
    /// Mounted by `routes::api_router`.
    pub(super) handler: MethodRouter<Gateway>,
}

impl Route {
    pub(super) fn new<H, T>(
        verb: Verb,
        path: &'static str,
        operation_id: &'static str,
        summary: &'static str,
        handler: H,
    ) -> Route
    where
        H: Handler<T, Gateway>,
        T: 'static,
    {
        Route {
            verb,
            path,
            operation_id,
            summary,
            access: Access::Public,
            body: None,
            body_example: None,
            headers: Vec::new(),
            replies: Vec::new(),
            handler: on(verb.filter(), handler),
        }
    }

    /// For travellers only: 401 without a valid token, 429 over the limit.
    pub(super) fn traveller(mut self) -> Route {
        self.access = Access::Traveller;
        self.errors(&[
            (
                401,
                "No token, a bad signature, an expired token, no valid subject, or a \
                 subject that is an erased user's pseudonym",
            ),
            (
                429,
                "Too many requests from this traveller; see Retry-After",
            ),
        ])
        .answer_header(401, WWW_AUTHENTICATE)
        .answer_header(429, RETRY_AFTER)
    }

    pub(super) fn body(
        mut self,
        schema: SchemaFn,
        example: Option<fn() -> serde_json::Value>,
    ) -> Route {
        self.body = Some(schema);
        self.body_example = example;
        self
    }

    pub(super) fn header(mut self, header: HeaderParam) -> Route {
        self.headers.push(header);
        self
    }

    pub(super) fn reply(
        mut self,
        status: u16,
        description: &'static str,
        schema: Option<SchemaFn>,
    ) -> Route {
        self.replies.push(Reply {
            status,
            description,
            schema,
            headers: Vec::new(),
        });
        self
    }

    /// `header` on the answer with `status` (documented before).
    pub(super) fn answer_header(mut self, status: u16, header: HeaderParam) -> Route {
        for reply in self.replies.iter_mut().filter(|r| r.status == status) {
            reply.headers.push(header);
        }
        self
    }

    pub(super) fn errors(mut self, errors: &[(u16, &'static str)]) -> Route {
        for (status, description) in errors {
            self = self.reply(*status, description, Some(schema_of::<ErrorBody>));
        }
        self
    }
}
