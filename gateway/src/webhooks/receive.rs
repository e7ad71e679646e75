//! The steps of one delivery: read the body (bounded), verify the
//! signature, parse the event, then record it and pass it on in one
//! transaction.

use std::sync::Arc;

use axum::Json;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::HeaderMap;
use axum::http::header::CONTENT_LENGTH;
use axum::response::{IntoResponse, Response};
use sqlx::{Postgres, Transaction};
use tracing::Instrument;
use uuid::Uuid;

use autobook_broker::propagation;
use autobook_contracts::stripe_webhook::{IntentChange, StripeEvent, verify};

use super::answer::WebhookError;
use super::{MAX_BODY_BYTES, WebhookContext, message};
use crate::views::WebhookReceived;

/// What became of a verified event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Received {
    /// Recorded now; `published` when it went on to its saga.
    New { published: bool },
    /// Recorded before: nothing done again.
    Duplicate,
}

pub(super) async fn receive(
    State(context): State<Arc<WebhookContext>>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    deliver(&context, headers, body).await
}

/// Takes one delivery: the answer Stripe gets.
pub async fn deliver(context: &WebhookContext, headers: HeaderMap, body: Body) -> Response {
    let span = tracing::info_span!(
        parent: None,
        "stripe_webhook",
        event_id = tracing::field::Empty,
        event_type = tracing::field::Empty,
    );
    let received = |duplicate, published| WebhookReceived {
        received: true,
        duplicate,
        published,
    };
    match handle(context, &headers, body).instrument(span).await {
        Ok(Received::Duplicate) => Json(received(true, None)).into_response(),
        Ok(Received::New { published }) => Json(received(false, Some(published))).into_response(),
        Err(error) => error.into_response(),
    }
}

async fn handle(
    context: &WebhookContext,
    headers: &HeaderMap,
    body: Body,
) -> Result<Received, WebhookError> {
    let body = read(headers, body).await?;
    let signature = headers
        .get("stripe-signature")
        .ok_or(WebhookError::NoSignatureHeader)?
        .to_str()
        .map_err(|_| WebhookError::NoSignatureHeader)?;
    verify(
        signature,
        &body,
        &context.secret,
        context.clock.now(),
        context.tolerance,
    )?;
    let event: StripeEvent = serde_json::from_slice(&body).map_err(|error| {
        // The position only: the body may hold a customer's details.
        WebhookError::MalformedEvent(format!(
            "{:?} error at line {} column {}",
            error.classify(),
            error.line(),
            error.column()
        ))
    })?;
    let span = tracing::Span::current();
    span.record("event_id", event.id.as_str());
    span.record("event_type", event.event_type.as_str());
    let change = event.intent_change()?;
    let received = record(context, &event, change.as_ref()).await?;
    tracing::info!(?received, "stripe webhook received");
    Ok(received)
}

/// The body, refused past [`MAX_BODY_BYTES`].
async fn read(headers: &HeaderMap, body: Body) -> Result<Bytes, WebhookError> {
    let too_large = WebhookError::TooLarge {
        limit: MAX_BODY_BYTES,
    };
    let declared = headers
        .get(CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<usize>().ok());
    if declared.is_some_and(|length| length > MAX_BODY_BYTES) {
        return Err(too_large);
    }
    axum::body::to_bytes(body, MAX_BODY_BYTES)
        .await
        .map_err(|_| too_large)
}

/// Records the event once; the first time, publishes what it means for
/// its saga before committing. A failed publish rolls the record back.
async fn record(
    context: &WebhookContext,
    event: &StripeEvent,
    change: Option<&IntentChange>,
) -> Result<Received, WebhookError> {
    let mut tx = context.pool.begin().await?;
    let saga_id = change.and_then(|change| change.saga_id);
    let inserted = sqlx::query(
        "INSERT INTO stripe_webhook_events \
         (event_id, type, payment_intent_id, saga_id, received_at) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (event_id) DO NOTHING",
    )
    .bind(&event.id)
    .bind(&event.event_type)
    .bind(change.map(|change| change.payment_intent_id.as_str()))
    .bind(saga_id)
    .bind(context.clock.now())
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if inserted == 0 {
        return Ok(Received::Duplicate);
    }
    let mut published = false;
    if let (Some(change), Some(saga_id)) = (change, saga_id)
        && is_ours(&mut tx, saga_id).await?
    {
        let mut envelope = message::envelope(event, change, saga_id);
        // The saga's handling joins the webhook's trace.
        if let Some(trace) = propagation::of_span(&tracing::Span::current()) {
            envelope.trace = trace;
        }
        context.publisher.publish(&envelope).await?;
        published = true;
    }
    tx.commit().await?;
    Ok(Received::New { published })
}

/// Whether the saga exists here (an intent made elsewhere may name one
/// that does not: nothing to tell).
async fn is_ours(tx: &mut Transaction<'_, Postgres>, saga_id: Uuid) -> Result<bool, sqlx::Error> {
    autobook_orchestrator::admin::trips::saga_exists(tx, saga_id).await
}
