//! The kinds of bad message, the stream of them over every work queue
//! and the dead-letter code each one must get.

use chrono::Utc;
use lapin::BasicProperties;
use lapin::types::{AMQPValue, FieldTable};

use autobook_contracts::senders::Identity;
use autobook_contracts::{Envelope, Message, QueueRole, Topology};
use autobook_vault::Keyring;

use super::bodies::{body, own_types};
use super::payloads::hostile;
use super::rng::Rng;
use super::signing::signer;

/// The seed of the stream the suite sends.
pub const SEED: u64 = 0x00c0_ffee_5eed_2611;
/// Bad messages per work queue; five queues.
pub const PER_QUEUE: usize = 2_048;

/// What is wrong with a message (each kind has its own body maker).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    RandomBytes,
    Truncated,
    NotAnEnvelope,
    BadEnvelope,
    UnknownType,
    TooNew,
    WrongFieldTypes,
    Hostile,
    Huge,
    TooLarge,
    Orphan,
    WrongQueue,
    InvalidTrip,
}

/// One message of the stream, with the dead-letter code it must get.
pub struct Bad {
    pub role: QueueRole,
    pub kind: Kind,
    pub exchange: String,
    pub routing_key: String,
    pub properties: BasicProperties,
    pub body: Vec<u8>,
    pub code: String,
    /// Who publishes and signs it.
    pub signer: Identity,
}

/// The dead-letter code the stack must give `body` on `role`'s queue
/// (opened with `vault`, as the consumer does). Panics if the body could be
/// processed: the stream must be all bad.
fn expected_code(vault: &Keyring, role: QueueRole, kind: Kind, body: &[u8]) -> String {
    let opened = match vault.open_envelope(body) {
        Err(error) => return error.code().to_owned(),
        Ok(opened) => opened,
    };
    let envelope = match Envelope::decode(&opened) {
        Err(error) => return error.code().to_owned(),
        Ok(envelope) => envelope,
    };
    match (role, &envelope.message) {
        (QueueRole::Orchestrator, Message::TripRequested(trip)) => {
            assert!(
                trip.validate(Utc::now()).is_err(),
                "the generator made a valid trip ({kind:?}): {}",
                String::from_utf8_lossy(body)
            );
            "invalid_trip".to_owned()
        }
        (QueueRole::Orchestrator, _) => "unknown_saga".to_owned(),
        (worker, _) => {
            assert_ne!(
                envelope.message_type().consumer(),
                worker,
                "the generator made a valid command for {worker:?} ({kind:?}): {}",
                String::from_utf8_lossy(body)
            );
            "wrong_queue".to_owned()
        }
    }
}

pub fn text(s: &str) -> AMQPValue {
    AMQPValue::LongString(s.to_owned().into())
}

fn properties(rng: &mut Rng) -> BasicProperties {
    let plain = BasicProperties::default()
        .with_content_type("application/json".into())
        .with_delivery_mode(2);
    match rng.below(10) {
        0 => BasicProperties::default(),
        1 => {
            // Lies in every property, and forged dead-letter headers that
            // must not survive dead-lettering.
            let mut headers = FieldTable::default();
            headers.insert("x-autobook-error-code".into(), text("forged"));
            headers.insert("x-autobook-reason".into(), text(""));
            headers.insert("x-autobook-source-queue".into(), text("autobook.forged"));
            headers.insert(
                "x-autobook-dead-letter-id".into(),
                text("01937a2e-5b1c-7c3e-9f00-4a1b2c3d4e5f"),
            );
            headers.insert("x-autobook-attempts".into(), text("many"));
            headers.insert("traceparent".into(), text("<script>alert(1)</script>"));
            headers.insert("schema_version".into(), AMQPValue::LongLongInt(-1));
            BasicProperties::default()
                .with_content_type("text/html; charset=\"<x>\"".into())
                .with_delivery_mode(1)
                .with_message_id("'; DROP TABLE inbox; --".into())
                .with_correlation_id("not-a-saga".into())
                .with_type("payment.capture".into())
                .with_headers(headers)
        }
        2 => {
            // Control characters in header values.
            let mut headers = FieldTable::default();
            // Never U+0000: see `a_nul_in_a_header_does_not_block_the_archive`.
            headers.insert("x-note".into(), text(&hostile(rng).replace('\0', "")));
            headers.insert(
                "x-control".into(),
                text("bell\u{7} escape\u{1b}[0m del\u{7f} end"),
            );
            plain.with_headers(headers)
        }
        _ => plain,
    }
}

/// The stream; three bodies in four have their personal fields sealed with
/// `vault` (a publisher holding the keyring), the fourth is sent as made.
pub fn generate(topology: &Topology, vault: &Keyring, rng: &mut Rng) -> Vec<Bad> {
    let mut messages = Vec::with_capacity(PER_QUEUE * QueueRole::ALL.len());
    for role in QueueRole::ALL {
        let mut kinds = vec![
            (Kind::RandomBytes, 2),
            (Kind::Truncated, 2),
            (Kind::NotAnEnvelope, 1),
            (Kind::BadEnvelope, 2),
            (Kind::UnknownType, 1),
            (Kind::TooNew, 1),
            (Kind::WrongFieldTypes, 2),
            (Kind::Hostile, 2),
            (Kind::Orphan, 1),
            (Kind::WrongQueue, 1),
        ];
        if *role == QueueRole::Orchestrator {
            kinds.push((Kind::InvalidTrip, 2));
        }
        let weighted: Vec<Kind> = kinds
            .iter()
            .flat_map(|(kind, weight)| std::iter::repeat_n(*kind, *weight))
            .collect();
        for n in 0..PER_QUEUE {
            let kind = if n % 1_024 == 7 {
                Kind::TooLarge
            } else if n % 64 == 3 {
                Kind::Huge
            } else {
                *rng.pick(&weighted)
            };
            let made = body(rng, *role, kind);
            let body = match n % 4 {
                0 => made,
                _ => vault.seal_envelope(&made).into_owned(),
            };
            let code = expected_code(vault, *role, kind, &body);
            let (exchange, routing_key) = if rng.below(10) < 7 {
                (String::new(), topology.queue(*role))
            } else {
                let keys = own_types(*role);
                let exchange = match role {
                    QueueRole::Orchestrator => topology.events_exchange(),
                    _ => topology.commands_exchange(),
                };
                (exchange, (*rng.pick(&keys)).to_owned())
            };
            let mut message = Bad {
                role: *role,
                kind,
                exchange,
                routing_key,
                properties: properties(rng),
                body,
                code,
                signer: Identity::Ops,
            };
            message.signer = signer(&mut message, topology, vault);
            messages.push(message);
        }
    }
    // Interleave the queues.
    for i in (1..messages.len()).rev() {
        let j = rng.below(i + 1);
        messages.swap(i, j);
    }
    messages
}
