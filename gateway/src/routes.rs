//! The route table: every route of the gateway once, with its handler and
//! what the OpenAPI document says about it. [`api_router`] mounts the
//! table and [`super::openapi::document`] describes it (served by this
//! table's `/openapi.json`), so the two cannot drift apart. A traveller's
//! route gets the bearer-token check and the rate limit from its
//! [`Access`], not from its handler.

use std::sync::LazyLock;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use schemars::{Schema, SchemaGenerator};
use serde_json::Value;

use super::middleware::authenticate;
use super::route::{Access, HeaderParam, RETRY_AFTER, Route, SchemaFn, Verb, schema_of, text};
use super::state::Gateway;
use super::views::{
    BookingView, CancelAccepted, Health, Readiness, Submitted, TripView, WebhookReceived,
};
use super::{bookings, health, me, openapi, stripe, submit, trip_schema, trips};

/// `Idempotency-Key`: 1 to 255 printable ASCII characters.
fn idempotency_key() -> serde_json::Value {
    serde_json::json!({"type": "string", "minLength": 1, "maxLength": super::idempotency::MAX_KEY_LEN,
                       "pattern": "^[ -~]+$"})
}

const LOCATION: HeaderParam = HeaderParam {
    name: "Location",
    description: "The trip request: /v1/trip-requests/{id}",
    required: true,
    schema: text,
};

static DOCUMENT: LazyLock<Value> = LazyLock::new(|| openapi::document(&table()));

/// `GET /openapi.json`: the document describing this table.
pub async fn serve_openapi() -> axum::Json<Value> {
    axum::Json(DOCUMENT.clone())
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
            serve_openapi,
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
