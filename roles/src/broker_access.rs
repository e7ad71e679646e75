//! How the roles reach RabbitMQ: where it is (`AMQP_URL`), each role's
//! broker user and password (`autobook-<role>`,
//! `AUTOBOOK_BROKER_PASSWORD_<ROLE>`, local-only passwords when unset), and
//! the keys every message is signed with (`AUTOBOOK_MESSAGE_KEYS`). Each
//! role connects as its own identity; a process running several worker
//! kinds opens one connection per kind.

use anyhow::Context;

use autobook_broker::{BrokerAccess, MessageKeys};
use autobook_contracts::senders::Identity;
use autobook_workers::WorkerKind;

use crate::settings::Connections;

fn from_environment(connections: &Connections, keys: MessageKeys) -> anyhow::Result<BrokerAccess> {
    Ok(BrokerAccess::new(&connections.amqp_url, keys)
        .context("AMQP_URL")?
        .with_passwords_from(|name| std::env::var(name).ok()))
}

impl Connections {
    /// The broker access of a role: `AUTOBOOK_MESSAGE_KEYS` is required.
    pub fn broker_access(&self) -> anyhow::Result<BrokerAccess> {
        let Some(keys) = &self.message_keys else {
            anyhow::bail!(
                "AUTOBOOK_MESSAGE_KEYS is not set: the keys every broker message is signed \
                 with, as kid:base64key[,kid:base64key...] (32-byte keys, the first one signs), \
                 the same in every role"
            );
        };
        from_environment(self, keys.keys()?)
    }

    /// The broker access of a whole local run (demo, chaos, bench): the
    /// keys of `AUTOBOOK_MESSAGE_KEYS`, or one fresh key named `kid`.
    pub fn broker_access_or_generated(&self, kid: &str) -> anyhow::Result<BrokerAccess> {
        let keys = match &self.message_keys {
            Some(keys) => keys.keys()?,
            None => MessageKeys::generate(kid)?,
        };
        from_environment(self, keys)
    }
}

/// The identity a worker kind connects as.
pub fn worker_identity(kind: WorkerKind) -> Identity {
    match kind {
        WorkerKind::Search => Identity::Search,
        WorkerKind::Payment => Identity::Payment,
        WorkerKind::Order => Identity::Order,
        WorkerKind::Notify => Identity::Notify,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn connections(keys: Option<&str>) -> Connections {
        Connections {
            database_url: String::new(),
            amqp_url: "amqp://127.0.0.1:5672/%2f".into(),
            redis_url: String::new(),
            message_keys: keys.map(|k| k.parse().unwrap()),
        }
    }

    #[test]
    fn a_role_needs_the_message_keys_and_never_echoes_them() {
        let missing = connections(None).broker_access().unwrap_err();
        assert!(missing.to_string().contains("AUTOBOOK_MESSAGE_KEYS"));
        let bad = connections(Some("k1:c2VjcmV0"))
            .broker_access()
            .unwrap_err();
        assert!(bad.to_string().contains("AUTOBOOK_MESSAGE_KEYS"));
        assert!(!format!("{bad:#}").contains("c2VjcmV0"));
        let keys = "k1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
        let access = connections(Some(keys)).broker_access().unwrap();
        assert_eq!(access.keys().signing_kid(), "k1");
        assert!(!format!("{:?}", connections(Some(keys))).contains("AAECAw"));
    }

    #[test]
    fn local_runs_make_a_key_when_none_is_given() {
        let access = connections(None)
            .broker_access_or_generated("demo")
            .unwrap();
        assert_eq!(access.keys().signing_kid(), "demo");
    }

    #[test]
    fn each_worker_kind_is_its_own_identity() {
        let identities: Vec<Identity> = WorkerKind::ALL
            .iter()
            .map(|k| worker_identity(*k))
            .collect();
        for (kind, identity) in WorkerKind::ALL.iter().zip(&identities) {
            assert_eq!(identity.queue(), Some(kind.queue()));
        }
    }
}
