//! The dead-letter archive: copies every message of every
//! `<ns>.<role>.dead-letter` queue into the `dead_letters` table, where
//! operators list, inspect, replay and purge them (`autobook ops dlq`).
//!
//! The archiver is a raw consumer, not [`autobook_broker::run_consumer`]:
//! that loop decodes envelopes and would dead-letter an undecodable body a
//! second time. Here a body is stored as it is, whatever it holds. A
//! delivery is acked only after its row is committed (`ON CONFLICT (id) DO
//! NOTHING`: the dead-letter id header makes a redelivery harmless). On a
//! database error the delivery is nacked back onto its queue after a pause:
//! nothing is ever dropped or dead-lettered again. Several orchestrators
//! may archive at once; they compete for the queues like any consumers.
//! A body may carry personal data (a trip request, an order): its personal
//! fields travel sealed for their message; the archive opens them and
//! stores the whole body sealed for its dead letter's row (a body the
//! consumer had to seal whole already is); `autobook ops dlq` opens it.

use std::borrow::Cow;
use std::time::Duration;

use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use futures_util::stream::{BoxStream, select_all};
use lapin::options::{
    BasicAckOptions, BasicCancelOptions, BasicConsumeOptions, BasicNackOptions, BasicQosOptions,
};
use lapin::types::{AMQPValue, FieldTable};
use lapin::{BasicProperties, Channel};
use serde_json::{Map, Value};
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use autobook_broker::properties::{attempts, header_text};
use autobook_broker::{Broker, BrokerError};
use autobook_contracts::QueueRole;
use autobook_contracts::envelope::{MAX_MESSAGE_BYTES, sanitize};
use autobook_contracts::topology::headers;
use autobook_vault::{Keyring, Place, is_sealed_blob};

use crate::metric_definitions::DEAD_LETTERS_ARCHIVED;

/// Archiver settings.
#[derive(Debug, Clone)]
pub struct ArchiverConfig {
    /// Unacked dead letters held per queue.
    pub prefetch: u16,
    /// Wait before a delivery whose row could not be written goes back to
    /// its queue (the database is likely down).
    pub retry_pause: Duration,
    /// Prefix of the consumer tags (one per dead-letter queue).
    pub consumer_tag: String,
}

impl Default for ArchiverConfig {
    fn default() -> Self {
        ArchiverConfig {
            prefetch: 16,
            retry_pause: Duration::from_secs(1),
            consumer_tag: format!("archiver-{}", std::process::id()),
        }
    }
}

/// One dead letter, as archived.
#[derive(Debug, Clone, PartialEq)]
pub struct DeadLetterRecord {
    pub id: Uuid,
    pub source_queue: String,
    pub role: QueueRole,
    pub code: String,
    pub reason: String,
    pub attempts: i32,
    pub dead_lettered_at: DateTime<Utc>,
    pub message_id: Option<Uuid>,
    pub saga_id: Option<Uuid>,
    pub message_type: Option<String>,
    /// Text-valued headers, by name.
    pub headers: Value,
    pub content_type: Option<String>,
    /// The AMQP properties as lapin serializes them.
    pub properties: Option<Value>,
    pub body: Vec<u8>,
}

impl DeadLetterRecord {
    /// Reads a delivery of `role`'s dead-letter queue. `routing_key` is the
    /// delivery's (the source queue, for autobook's dead-lettering);
    /// `fallback_source` names the source when nothing else does.
    pub fn from_message(
        role: QueueRole,
        routing_key: &str,
        properties: &BasicProperties,
        body: &[u8],
        fallback_source: &str,
        now: DateTime<Utc>,
    ) -> Self {
        let header = |name: &str| header_text(properties, name).filter(|s| !s.is_empty());
        let broker_reason = header("x-first-death-reason");
        let (code, reason) = match (header(headers::DEAD_LETTER_CODE), broker_reason) {
            (Some(code), _) => (
                code,
                header(headers::DEAD_LETTER_REASON).unwrap_or_default(),
            ),
            (None, Some(why)) => (
                format!("broker_{why}"),
                format!("the broker dead-lettered the message ({why})"),
            ),
            (None, None) => (
                "unknown".to_owned(),
                header(headers::DEAD_LETTER_REASON).unwrap_or_default(),
            ),
        };
        let source_queue = header(headers::DEAD_LETTER_SOURCE)
            .or_else(|| header("x-first-death-queue"))
            .or_else(|| Some(routing_key.to_owned()).filter(|k| !k.is_empty()))
            .unwrap_or_else(|| fallback_source.to_owned());
        let dead_lettered_at = header(headers::DEAD_LETTERED_AT)
            .and_then(|t| DateTime::parse_from_rfc3339(&t).ok())
            .map_or(now, |t| t.with_timezone(&Utc));
        let id = header(headers::DEAD_LETTER_ID)
            .and_then(|id| Uuid::parse_str(&id).ok())
            .unwrap_or_else(Uuid::now_v7);
        let identity = BodyIdentity::read(body);
        let property_uuid = |value: Option<&lapin::types::ShortString>| {
            value.and_then(|v| Uuid::parse_str(v.as_str()).ok())
        };
        DeadLetterRecord {
            id,
            source_queue,
            role,
            code,
            reason,
            attempts: i32::try_from(attempts(properties)).unwrap_or(i32::MAX),
            dead_lettered_at,
            message_id: property_uuid(properties.message_id().as_ref()).or(identity.message_id),
            saga_id: property_uuid(properties.correlation_id().as_ref()).or(identity.saga_id),
            message_type: properties
                .kind()
                .as_ref()
                .map(|k| k.as_str().to_owned())
                .or(identity.message_type)
                .map(|t| sanitize(&t)),
            headers: text_headers(properties),
            content_type: properties
                .content_type()
                .as_ref()
                .map(|c| c.as_str().to_owned()),
            properties: serde_json::to_value(properties).ok(),
            body: body.to_vec(),
        }
    }
}

impl DeadLetterRecord {
    /// Fills what the properties did not say (message id, saga id, type)
    /// from the body of a copy that the consumer sealed whole, once opened:
    /// so that it is listed, and erased, with its saga.
    pub fn identified_by(mut self, opened_body: &[u8]) -> Self {
        let identity = BodyIdentity::read(opened_body);
        self.message_id = self.message_id.or(identity.message_id);
        self.saga_id = self.saga_id.or(identity.saga_id);
        self.message_type = self
            .message_type
            .or(identity.message_type.map(|t| sanitize(&t)));
        self
    }
}

/// What the body says about itself, read leniently: a dead letter's body
/// may be anything.
#[derive(Debug, Default)]
struct BodyIdentity {
    message_id: Option<Uuid>,
    saga_id: Option<Uuid>,
    message_type: Option<String>,
}

impl BodyIdentity {
    fn read(body: &[u8]) -> Self {
        if body.len() > MAX_MESSAGE_BYTES {
            return BodyIdentity::default();
        }
        let Ok(Value::Object(fields)) = serde_json::from_slice::<Value>(body) else {
            return BodyIdentity::default();
        };
        let text = |name: &str| fields.get(name).and_then(Value::as_str).map(str::to_owned);
        let uuid = |name: &str| text(name).and_then(|s| Uuid::parse_str(&s).ok());
        BodyIdentity {
            message_id: uuid("message_id"),
            saga_id: uuid("saga_id"),
            message_type: text("message_type"),
        }
    }
}

/// The headers whose values are text, as a JSON object.
fn text_headers(properties: &BasicProperties) -> Value {
    let mut out = Map::new();
    if let Some(table) = properties.headers() {
        for (name, value) in table.inner() {
            let text = match value {
                AMQPValue::LongString(s) => String::from_utf8_lossy(s.as_bytes()).into_owned(),
                AMQPValue::ShortString(s) => s.as_str().to_owned(),
                _ => continue,
            };
            out.insert(name.as_str().to_owned(), Value::String(text));
        }
    }
    Value::Object(out)
}

/// PostgreSQL text and jsonb cannot hold U+0000, which a hostile message
/// may carry in any property: it is stored as U+FFFD (the body, bytea, is
/// kept exactly).
fn storable(text: &str) -> String {
    text.replace('\0', "\u{FFFD}")
}

fn storable_json(value: &Value) -> Value {
    match value {
        Value::String(s) => Value::String(storable(s)),
        Value::Array(items) => Value::Array(items.iter().map(storable_json).collect()),
        Value::Object(fields) => Value::Object(
            fields
                .iter()
                .map(|(k, v)| (storable(k), storable_json(v)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// Stores one dead letter, its body sealed with `vault` for its row (a body
/// the consumer already sealed whole for this dead letter is stored as it
/// is); false when a row with its id exists already.
pub async fn archive(
    pool: &PgPool,
    vault: &Keyring,
    record: &DeadLetterRecord,
) -> Result<bool, sqlx::Error> {
    let text = |s: &String| storable(s);
    let optional = |s: &Option<String>| s.as_deref().map(storable);
    let inserted = sqlx::query(
        "INSERT INTO dead_letters (id, source_queue, role, code, reason, attempts, dead_lettered_at, \
         message_id, saga_id, message_type, headers, content_type, properties, body) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) \
         ON CONFLICT (id) DO NOTHING",
    )
    .bind(record.id)
    .bind(text(&record.source_queue))
    .bind(record.role.as_str())
    .bind(text(&record.code))
    .bind(text(&record.reason))
    .bind(record.attempts)
    .bind(record.dead_lettered_at)
    .bind(record.message_id)
    .bind(record.saga_id)
    .bind(optional(&record.message_type))
    .bind(storable_json(&record.headers))
    .bind(optional(&record.content_type))
    .bind(record.properties.as_ref().map(storable_json))
    .bind(stored_body(vault, record))
    .execute(pool)
    .await?;
    Ok(inserted.rows_affected() == 1)
}

/// The body as stored: its personal fields opened (when they open), then
/// the whole sealed for the dead letter's row, so the archive holds one
/// layer under one key and rotation re-seals it. A body the consumer sealed
/// whole for this dead letter (it opens at the same place) is kept as it is.
fn stored_body(vault: &Keyring, record: &DeadLetterRecord) -> Vec<u8> {
    if is_sealed_blob(&record.body) {
        return record.body.clone();
    }
    let body = vault
        .open_envelope(&record.body)
        .unwrap_or(Cow::Borrowed(&record.body));
    vault.seal_bytes(&body, &Place::dead_letter(record.id), "body")
}

/// Archives dead letters until `shutdown`. Broker failures are waited out
/// (the loop reconnects with a growing pause); it never gives up.
pub async fn run_archiver(
    pool: PgPool,
    broker: Broker,
    vault: Keyring,
    config: ArchiverConfig,
    shutdown: CancellationToken,
) {
    let mut failures: u32 = 0;
    while !shutdown.is_cancelled() {
        match consume(&pool, &broker, &vault, &config, &shutdown).await {
            Ok(()) if shutdown.is_cancelled() => break,
            Ok(()) => {
                failures = failures.saturating_add(1);
                tracing::warn!("dead-letter consumers were cancelled; consuming again");
            }
            Err(error) => {
                failures = failures.saturating_add(1);
                tracing::warn!(%error, failures, "dead-letter archiver failed; retrying");
            }
        }
        let pause = Duration::from_millis(200u64.saturating_mul(1 << failures.min(5)))
            .min(Duration::from_secs(5));
        tokio::select! {
            _ = shutdown.cancelled() => {}
            _ = tokio::time::sleep(pause) => {}
        }
    }
}

/// One consuming session over every dead-letter queue, on one channel.
async fn consume(
    pool: &PgPool,
    broker: &Broker,
    vault: &Keyring,
    config: &ArchiverConfig,
    shutdown: &CancellationToken,
) -> Result<(), BrokerError> {
    let topology = broker.topology().clone();
    let channel = broker.channel().await?;
    channel
        .basic_qos(config.prefetch, BasicQosOptions::default())
        .await
        .map_err(BrokerError::Channel)?;
    let mut streams: Vec<BoxStream<'static, (QueueRole, lapin::Result<lapin::message::Delivery>)>> =
        Vec::new();
    let mut tags = Vec::new();
    for role in QueueRole::ALL {
        let queue = topology.dead_letter_queue(*role);
        let tag = format!("{}-{}", config.consumer_tag, role.as_str());
        let consumer = channel
            .basic_consume(
                queue.clone().into(),
                tag.clone().into(),
                BasicConsumeOptions::default(),
                FieldTable::default(),
            )
            .await
            .map_err(|source| BrokerError::Consume { queue, source })?;
        let role = *role;
        streams.push(consumer.map(move |delivery| (role, delivery)).boxed());
        tags.push(tag);
    }
    tracing::info!(namespace = %topology.namespace(), "archiving dead letters");
    let mut deliveries = select_all(streams);
    let outcome = loop {
        tokio::select! {
            _ = shutdown.cancelled() => break Ok(()),
            next = deliveries.next() => match next {
                Some((role, Ok(delivery))) => {
                    let fallback = topology.queue(role);
                    settle(pool, vault, role, &fallback, delivery, config.retry_pause, shutdown).await;
                }
                // The channel or connection is lost: consume again on a new one.
                Some((_, Err(error))) => break Err(BrokerError::Channel(error)),
                None => break Ok(()),
            },
        }
    };
    stop(&channel, &tags).await;
    outcome
}

async fn stop(channel: &Channel, tags: &[String]) {
    for tag in tags {
        let _ = channel
            .basic_cancel(tag.clone().into(), BasicCancelOptions::default())
            .await;
    }
    // Unacked deliveries go back to their queues when the channel closes.
    let _ = channel.close(200, "archiver stopped".into()).await;
}

/// Archives one delivery, then acks it; on a database error, requeues it
/// after a pause.
async fn settle(
    pool: &PgPool,
    vault: &Keyring,
    role: QueueRole,
    fallback_source: &str,
    delivery: lapin::message::Delivery,
    retry_pause: Duration,
    shutdown: &CancellationToken,
) {
    let record = DeadLetterRecord::from_message(
        role,
        delivery.routing_key.as_str(),
        &delivery.properties,
        &delivery.data,
        fallback_source,
        Utc::now(),
    );
    let record = match vault.open_bytes(&record.body, &Place::dead_letter(record.id), "body") {
        Ok(Cow::Owned(opened)) => record.identified_by(&opened),
        Ok(Cow::Borrowed(_)) | Err(_) => record,
    };
    let settled = match archive(pool, vault, &record).await {
        Ok(inserted) => {
            if inserted {
                metrics::counter!(DEAD_LETTERS_ARCHIVED, "queue" => role.as_str()).increment(1);
                tracing::info!(dead_letter_id = %record.id, queue = role.as_str(), code = %record.code, "dead letter archived");
            }
            delivery.ack(BasicAckOptions::default()).await
        }
        Err(error) => {
            tracing::warn!(%error, queue = role.as_str(), "cannot archive a dead letter; requeueing it");
            tokio::select! {
                _ = shutdown.cancelled() => {}
                _ = tokio::time::sleep(retry_pause) => {}
            }
            delivery
                .nack(BasicNackOptions {
                    requeue: true,
                    ..BasicNackOptions::default()
                })
                .await
        }
    };
    if let Err(error) = settled {
        // The channel is gone: the broker redelivers, and the insert is idempotent.
        tracing::warn!(%error, "could not settle a dead letter; it will be redelivered");
    }
}

#[cfg(test)]
mod tests;
