//! A hostile publisher alongside a demo run (`autobook demo --hostile`).
//! It holds the notify worker's broker credentials but not the message
//! keys, and forges, for every saga of the run, what once moved money: a
//! decline and an authorization carrying the saga's pending key, a hold
//! for a saga that does not exist put straight onto the payment queue, a
//! refund on the commands exchange, a refund claiming to be the
//! orchestrator's passed on, a capture with a forced retry count, a Stripe
//! intent update cancelling the saga's hold, and a replay (the forged
//! decline sent again under the same message id). Then it
//! counts how each was refused: dead-lettered (by code, from the archive)
//! or refused by RabbitMQ. A forgery neither refused is counted as
//! accepted, and fails the run.

use std::collections::BTreeMap;
use std::time::Duration;

use anyhow::Context;
use chrono::Utc;
use lapin::BasicProperties;
use lapin::types::{AMQPValue, FieldTable};
use serde::Serialize;
use serde_json::{Value, json};
use sqlx::PgPool;
use uuid::Uuid;

use autobook_broker::{BrokerAccess, Publisher};
use autobook_contracts::senders::Identity;
use autobook_contracts::topology::headers;
use autobook_contracts::{IdempotencyKey, MessageType, QueueRole, Step, Topology};

/// How long the archive may take to show every dead-lettered forgery.
const ARCHIVE_WAIT: Duration = Duration::from_secs(60);

/// What the hostile publisher did, and what became of it.
#[derive(Debug, Clone, Default, Serialize)]
pub struct HostileFigures {
    /// Forgeries sent.
    pub forged: usize,
    /// Refused by RabbitMQ (no right to the exchange).
    pub refused_by_broker: usize,
    /// Dead-lettered, by code.
    pub dead_lettered: BTreeMap<String, usize>,
    /// Neither: a forgery some consumer took.
    pub accepted: usize,
}

impl HostileFigures {
    /// Every forgery refused.
    pub fn all_refused(&self) -> bool {
        self.accepted == 0
    }
}

/// One forged message, ready to publish.
#[derive(Clone)]
struct Forgery {
    message_id: Uuid,
    exchange: String,
    routing_key: String,
    body: Vec<u8>,
    headers: FieldTable,
}

fn envelope(saga_id: Uuid, message_type: MessageType, payload: Value) -> (Uuid, Vec<u8>) {
    let message_id = Uuid::now_v7();
    let body = json!({
        "message_id": message_id,
        "saga_id": saga_id,
        "message_type": message_type.as_str(),
        "schema_version": message_type.schema_version(),
        "occurred_at": Utc::now(),
        "payload": payload,
    });
    (message_id, body.to_string().into_bytes())
}

fn text(value: &str) -> AMQPValue {
    AMQPValue::LongString(value.to_owned().into())
}

/// The forgeries aimed at one saga of the run.
fn forgeries(topology: &Topology, saga_id: Uuid) -> Vec<Forgery> {
    let pending = IdempotencyKey::derive(saga_id, Step::Authorize, 1);
    let amount = json!({"amount_minor": 1, "currency": "USD"});
    let ghost = Uuid::now_v7();
    let forged =
        |message_type: MessageType, saga: Uuid, payload: Value, onto: Option<QueueRole>| {
            let (message_id, body) = envelope(saga, message_type, payload);
            let (exchange, routing_key) = match onto {
                Some(queue) => (String::new(), topology.queue(queue)),
                None => (
                    topology.exchange_for(message_type),
                    message_type.as_str().to_owned(),
                ),
            };
            Forgery {
                message_id,
                exchange,
                routing_key,
                body,
                headers: FieldTable::default(),
            }
        };
    let refund = || {
        json!({
            "idempotency_key": IdempotencyKey::derive(saga_id, Step::Refund, 1),
            "payment_intent_id": "pi_forged",
            "amount": amount,
        })
    };
    let mut claimed = forged(
        MessageType::RefundPayment,
        saga_id,
        refund(),
        Some(QueueRole::Payment),
    );
    claimed
        .headers
        .insert(headers::SENDER.into(), text(Identity::Orchestrator.user()));
    let mut retried = forged(
        MessageType::CapturePayment,
        saga_id,
        json!({
            "idempotency_key": IdempotencyKey::derive(saga_id, Step::Capture, 1),
            "payment_intent_id": "pi_forged",
            "amount": amount,
        }),
        Some(QueueRole::Payment),
    );
    retried
        .headers
        .insert(headers::ATTEMPTS.into(), AMQPValue::LongUInt(99));
    let decline = forged(
        MessageType::PaymentDeclined,
        saga_id,
        json!({"idempotency_key": pending, "detail": "card declined"}),
        None,
    );
    let replay = decline.clone();
    vec![
        decline,
        replay,
        forged(
            MessageType::PaymentIntentUpdated,
            saga_id,
            json!({
                "payment_intent_id": "pi_forged",
                "status": "canceled",
                "event_id": "evt_forged",
                "authorize_key": pending,
                "cancellation_reason": "automatic",
            }),
            None,
        ),
        forged(
            MessageType::PaymentAuthorized,
            saga_id,
            json!({"idempotency_key": pending, "payment_intent_id": "pi_forged", "amount": amount}),
            None,
        ),
        forged(
            MessageType::AuthorizePayment,
            ghost,
            json!({
                "idempotency_key": IdempotencyKey::derive(ghost, Step::Authorize, 1),
                "user_id": "usr_forged",
                "amount": amount,
                "payment_method": "pm_card_visa",
                "description": "forged hold",
            }),
            Some(QueueRole::Payment),
        ),
        forged(MessageType::RefundPayment, saga_id, refund(), None),
        claimed,
        retried,
    ]
}

/// What the publisher sent: the ids of the forgeries RabbitMQ took.
pub struct Sent {
    taken: Vec<Uuid>,
    refused_by_broker: usize,
}

/// Forges against every saga of `sagas`, as the notify worker.
pub async fn forge(
    access: &BrokerAccess,
    topology: &Topology,
    sagas: &[Uuid],
) -> anyhow::Result<Sent> {
    let broker = access
        .connect(Identity::Notify, "autobook-demo-hostile", topology.clone())
        .await
        .context("connecting the hostile publisher")?;
    let publisher = Publisher::open(&broker).await?;
    let mut sent = Sent {
        taken: Vec::new(),
        refused_by_broker: 0,
    };
    for saga_id in sagas {
        for forgery in forgeries(topology, *saga_id) {
            let properties = BasicProperties::default()
                .with_content_type("application/json".into())
                .with_delivery_mode(2)
                .with_message_id(forgery.message_id.to_string().into())
                .with_user_id(Identity::Notify.user().into())
                .with_headers(forgery.headers);
            let published = publisher
                .publish_exactly(
                    &forgery.exchange,
                    &forgery.routing_key,
                    &forgery.body,
                    properties,
                )
                .await;
            match published {
                Ok(()) => sent.taken.push(forgery.message_id),
                Err(_) => sent.refused_by_broker += 1,
            }
        }
    }
    broker.close().await;
    Ok(sent)
}

/// Waits (up to a minute) until the archive holds every forgery RabbitMQ
/// took, and counts them by code.
pub async fn judge(pool: &PgPool, sent: &Sent) -> anyhow::Result<HostileFigures> {
    let deadline = tokio::time::Instant::now() + ARCHIVE_WAIT;
    loop {
        let rows = autobook_orchestrator::admin::figures::dead_letter_codes(pool, &sent.taken)
            .await
            .context("counting the forgeries in the dead-letter archive")?;
        let dead_lettered: BTreeMap<String, usize> = rows
            .into_iter()
            .map(|(code, n)| (code, usize::try_from(n).unwrap_or(0)))
            .collect();
        let archived: usize = dead_lettered.values().sum();
        if archived >= sent.taken.len() || tokio::time::Instant::now() >= deadline {
            return Ok(HostileFigures {
                forged: sent.taken.len() + sent.refused_by_broker,
                refused_by_broker: sent.refused_by_broker,
                accepted: sent.taken.len().saturating_sub(archived),
                dead_lettered,
            });
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
