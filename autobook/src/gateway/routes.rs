//! The route table: every route of the gateway once, with its handler and
//! what the OpenAPI document says about it. [`api_router`] mounts the
//! table and [`super::openapi::document`] describes it, so the two cannot
//! drift apart. A traveller's route gets the bearer-token check and the
//! rate limit from its [`Access`], not from its handler.

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::handler::Handler;
use axum::http::Method;
use axum::routing::{MethodFilter, MethodRouter, on};
use schemars::{JsonSchema, Schema, SchemaGenerator};

use super::error::ErrorBody;
use super::middleware::authenticate;
use super::state::Gateway;
use super::views::{
    BookingView, CancelAccepted, Health, Readiness, Submitted, TripView, WebhookReceived,
};
use super::{bookings, health, me, openapi, stripe, submit, trip_schema, trips};

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
fn text() -> serde_json::Value {
    serde_json::json!({"type": "string", "minLength": 1})
}

/// A header value: whole seconds.
fn seconds() -> serde_json::Value {
    serde_json::json!({"type": "string", "pattern": "^[0-9]+$"})
}

/// `Idempotency-Key`: 1 to 255 printable ASCII characters.
fn idempotency_key() -> serde_json::Value {
    serde_json::json!({"type": "string", "minLength": 1, "maxLength": super::idempotency::MAX_KEY_LEN,
                       "pattern": "^[ -~]+$"})
}

const WWW_AUTHENTICATE: HeaderParam = HeaderParam {
    name: "WWW-Authenticate",
    description: "Bearer error=\"invalid_token\"",
    required: true,
    schema: text,
};

const RETRY_AFTER: HeaderParam = HeaderParam {
    name: "Retry-After",
    description: "Seconds to wait before trying again",
    required: true,
    schema: seconds,
};

const LOCATION: HeaderParam = HeaderParam {
    name: "Location",
    description: "The trip request: /v1/trip-requests/{id}",
    required: true,
    schema: text,
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
    handler: MethodRouter<Gateway>,
}

impl Route {
    fn new<H, T>(
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
    fn traveller(mut self) -> Route {
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

    fn body(mut self, schema: SchemaFn, example: Option<fn() -> serde_json::Value>) -> Route {
        self.body = Some(schema);
        self.body_example = example;
        self
    }

    fn header(mut self, header: HeaderParam) -> Route {
        self.headers.push(header);
        self
    }

    fn reply(mut self, status: u16, description: &'static str, schema: Option<SchemaFn>) -> Route {
        self.replies.push(Reply {
            status,
            description,
            schema,
            headers: Vec::new(),
        });
        self
    }

    /// `header` on the answer with `status` (documented before).
    fn answer_header(mut self, status: u16, header: HeaderParam) -> Route {
        for reply in self.replies.iter_mut().filter(|r| r.status == status) {
            reply.headers.push(header);
        }
        self
    }

    fn errors(mut self, errors: &[(u16, &'static str)]) -> Route {
        for (status, description) in errors {
            self = self.reply(*status, description, Some(schema_of::<ErrorBody>));
        }
        self
    }
}

/// Every route of the gateway.
pub fn table() -> Vec<Route> {
    vec![
        submit_route(),
        Route::new(
            Verb::Get,
            "/v1/trip-requests/{id}",
            "getTripRequest",
            TRIP_SUMMARY,
            trips::show,
        )
        .traveller()
        .reply(200, "The trip", Some(schema_of::<TripView>))
        .errors(&[(404, NO_TRIP), (503, DATABASE_DOWN)])
        .answer_header(503, RETRY_AFTER),
        Route::new(
            Verb::Post,
            "/v1/trip-requests/{id}/cancel",
            "cancelTripRequest",
            CANCEL_SUMMARY,
            trips::cancel,
        )
        .traveller()
        .reply(
            202,
            "The cancellation is published",
            Some(schema_of::<CancelAccepted>),
        )
        .errors(&[(404, NO_TRIP), (503, SERVICES_DOWN)])
        .answer_header(503, RETRY_AFTER),
        Route::new(
            Verb::Get,
            "/v1/bookings/{id}",
            "getBooking",
            BOOKING_SUMMARY,
            bookings::show,
        )
        .traveller()
        .reply(200, "The booking", Some(schema_of::<BookingView>))
        .errors(&[
            (404, "No such booking for this traveller"),
            (503, DATABASE_DOWN),
        ])
        .answer_header(503, RETRY_AFTER),
        Route::new(
            Verb::Get,
            "/v1/me/export",
            "exportMyData",
            "Everything autobook holds on the caller",
            me::export,
        )
        .traveller()
        .reply(200, "The export", None)
        .errors(&[(503, "The export is unavailable")])
        .answer_header(503, RETRY_AFTER),
        Route::new(
            Verb::Delete,
            "/v1/me",
            "eraseMe",
            "Erase the caller's data; running trips stop",
            me::erase,
        )
        .traveller()
        .reply(
            202,
            "The erasure is recorded and will be carried out",
            Some(schema_of::<crate::privacy::ErasureReceipt>),
        )
        .errors(&[(503, "Erasure is unavailable")])
        .answer_header(503, RETRY_AFTER),
        Route::new(
            Verb::Post,
            crate::webhooks::PATH,
            "receiveStripeWebhook",
            "A Stripe event (signed with Stripe-Signature) about a payment intent",
            stripe::receive,
        )
        .body(stripe_event, None)
        .header(HeaderParam {
            name: "Stripe-Signature",
            description: "t=<unix time>,v1=<hex HMAC-SHA256 of \"t.body\" under the endpoint's \
                          secret>[,v1=...]; a delivery whose signature does not verify, or \
                          whose time is over 300 s from ours, is refused (400)",
            required: true,
            schema: text,
        })
        .reply(
            200,
            "Received (or a duplicate, received before)",
            Some(schema_of::<WebhookReceived>),
        )
        .errors(&[
            (
                400,
                "Unsigned, forged, stale or malformed: the error's code names which \
                 (signature_missing, signature_malformed, signature_mismatch, signature_stale, \
                 malformed_event)",
            ),
            (404, "Webhooks are not configured on this gateway"),
            (413, "Larger than an event can be (256 KiB)"),
            (500, "Not recorded; Stripe delivers it again"),
        ]),
        Route::new(
            Verb::Get,
            "/healthz",
            "healthz",
            "The process is alive",
            health::healthz,
        )
        .reply(200, "Alive", Some(schema_of::<Health>)),
        Route::new(
            Verb::Get,
            "/readyz",
            "readyz",
            "PostgreSQL and RabbitMQ are reachable",
            health::readyz,
        )
        .reply(200, "Ready", Some(schema_of::<Readiness>))
        .errors(&[(503, "Not ready; the message names what is unreachable")]),
        Route::new(
            Verb::Get,
            "/openapi.json",
            "openapi",
            "This document",
            openapi::serve,
        )
        .reply(200, "The OpenAPI 3.1 document", None),
    ]
}

const NO_TRIP: &str = "No such trip for this traveller";
const TRIP_SUMMARY: &str = "A trip request: status, summary, booking, failure and history";
const DATABASE_DOWN: &str = "The database is unavailable";
const SERVICES_DOWN: &str = "The database or the broker is unavailable";
const CANCEL_SUMMARY: &str =
    "Cancel a trip: stop it, or cancel its booking and refund what the fare allows";
const BOOKING_SUMMARY: &str = "A booking: itinerary, booking reference (PNR) and amount";
const IDEMPOTENCY_KEY: &str = "1 to 255 printable characters; a retry with the same key \
    and body returns the same trip and books nothing twice";

fn submit_route() -> Route {
    let submitted = Some(schema_of::<Submitted> as SchemaFn);
    Route::new(
        Verb::Post,
        "/v1/trip-requests",
        "submitTripRequest",
        submit::SUMMARY,
        submit::submit,
    )
    .traveller()
    .body(trip_schema::body, Some(trip_schema::example))
    .header(HeaderParam {
        name: super::idempotency::HEADER_NAME,
        description: IDEMPOTENCY_KEY,
        required: false,
        schema: idempotency_key,
    })
    .reply(
        202,
        "Accepted: the trip request is published; follow Location",
        submitted,
    )
    .reply(
        200,
        "A retry of an accepted request (same Idempotency-Key and body)",
        submitted,
    )
    .errors(&[
        (400, "Malformed JSON or Idempotency-Key"),
        (409, "The account's data is being erased"),
        (413, "The body is too large"),
        (415, "The body is not application/json"),
        (422, trip_schema::REFUSED),
        (
            503,
            "The database or the broker is unavailable; nothing was stored",
        ),
    ])
    .answer_header(202, LOCATION)
    .answer_header(200, LOCATION)
    .answer_header(503, RETRY_AFTER)
}

/// The body Stripe posts: an event. Its signature is checked before its
/// shape.
fn stripe_event(_: &mut SchemaGenerator) -> Schema {
    schemars::json_schema!({
        "type": "object",
        "description": "A Stripe event; `data.object` is the resource after the change",
        "required": ["id", "created", "type", "data"],
        "properties": {
            "id": {"type": "string", "description": "evt_..."},
            "object": {"type": "string"},
            "api_version": {"type": ["string", "null"]},
            "created": {"type": "integer"},
            "livemode": {"type": "boolean"},
            "type": {"type": "string", "description": "payment_intent.canceled, ..."},
            "data": {
                "type": "object",
                "required": ["object"],
                "properties": {"object": {}},
            },
        },
    })
}

/// The table's routes with their handlers, checks and body limit. Merge
/// other routers into it before [`super::app`] adds the fallbacks.
pub fn api_router(gateway: Gateway) -> Router {
    let mut router = Router::new();
    for route in table() {
        let handler = match route.access {
            Access::Public => route.handler,
            Access::Traveller => route
                .handler
                .route_layer(axum::middleware::from_fn_with_state(
                    gateway.clone(),
                    authenticate,
                )),
        };
        router = router.route(route.path, handler);
    }
    router
        .layer(DefaultBodyLimit::max(gateway.body_limit))
        .with_state(gateway)
}
