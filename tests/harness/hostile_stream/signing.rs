//! Who signs each message, and publishing a batch of them on confirm
//! channels of the stack's identities.

use std::collections::BTreeMap;

use futures_util::future::join_all;
use lapin::Channel;
use lapin::options::{BasicPublishOptions, ConfirmSelectOptions};

use autobook_broker::MessageKeys;
use autobook_broker::admission::stamp;
use autobook_contracts::senders::{Identity, senders_of};
use autobook_contracts::{Envelope, Topology};
use autobook_vault::Keyring;

use super::generator::Bad;
use crate::TestSystem;

/// Who signs `message`: a sender allowed to send its type that may
/// publish on its route (ops, which may send commands, when it does not
/// decode). A type only gateways send, headed for its own queue, goes to
/// its exchange as gateways publish it; headed elsewhere, ops signs it and
/// it is refused for its sender.
pub(super) fn signer(message: &mut Bad, topology: &Topology, vault: &Keyring) -> Identity {
    let Ok(envelope) = Envelope::decode(&archived_form(vault, &message.body)) else {
        return Identity::Ops;
    };
    let t = envelope.message_type();
    let allowed = |exchange: &str| {
        senders_of(t)
            .iter()
            .copied()
            .find(|identity| may_publish(*identity, exchange, topology))
    };
    if let Some(identity) = allowed(&message.exchange) {
        return identity;
    }
    if t.consumer() == message.role {
        message.exchange = topology.exchange_for(t);
        message.routing_key = t.as_str().to_owned();
        return allowed(&message.exchange).unwrap_or(Identity::Ops);
    }
    message.code = "forbidden_sender".to_owned();
    Identity::Ops
}

/// Whether `identity` may publish to `exchange` (the broker's permissions).
fn may_publish(identity: Identity, exchange: &str, topology: &Topology) -> bool {
    if exchange.is_empty() {
        // The default exchange: roles that retry, and ops.
        !matches!(identity, Identity::Gateway | Identity::Publisher)
    } else if exchange == topology.commands_exchange() {
        identity.declares_topology()
    } else {
        true
    }
}

/// A confirm channel on the stack's connection of every identity, and the
/// keys the stack signs with.
pub struct Signers {
    channels: BTreeMap<Identity, Channel>,
    keys: MessageKeys,
}

impl Signers {
    pub async fn open(system: &TestSystem) -> Signers {
        let mut channels = BTreeMap::new();
        for identity in Identity::ALL {
            let channel = system.stack().broker_of(*identity).channel().await.unwrap();
            channel
                .confirm_select(ConfirmSelectOptions::default())
                .await
                .unwrap();
            channels.insert(*identity, channel);
        }
        Signers {
            channels,
            keys: system.stack().message_keys().clone(),
        }
    }

    pub async fn close(self) {
        for channel in self.channels.values() {
            let _ = channel.close(200, "done".into()).await;
        }
    }
}

/// A body as the archive holds it, once opened: its personal fields opened
/// too, when they open.
pub fn archived_form(vault: &Keyring, body: &[u8]) -> Vec<u8> {
    vault
        .open_envelope(body)
        .map_or_else(|_| body.to_vec(), |opened| opened.into_owned())
}

/// Publishes `batch`, each message signed on its signer's confirm
/// channel, pipelining the confirms.
pub async fn publish_batch(signers: &Signers, batch: &[Bad]) {
    let mut pending = Vec::with_capacity(batch.len());
    for message in batch {
        let properties = stamp(
            message.properties.clone(),
            message.signer,
            &signers.keys,
            &message.body,
        );
        let confirm = signers.channels[&message.signer]
            .basic_publish(
                message.exchange.clone().into(),
                message.routing_key.clone().into(),
                BasicPublishOptions {
                    mandatory: true,
                    ..BasicPublishOptions::default()
                },
                &message.body,
                properties,
            )
            .await
            .unwrap();
        pending.push(confirm);
    }
    for (confirmation, message) in join_all(pending).await.into_iter().zip(batch) {
        let confirmation = confirmation.unwrap();
        assert!(!confirmation.is_nack(), "the broker refused a message");
        assert!(
            confirmation.take_message().is_none(),
            "unroutable: {} {}",
            message.exchange,
            message.routing_key
        );
    }
}
