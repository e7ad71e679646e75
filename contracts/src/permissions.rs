//! The RabbitMQ permissions of each broker identity ([`crate::senders`]),
//! derived from the topology's names and the senders' allow-list, so that
//! the broker refuses what no consumer would accept.
//!
//! Resource permissions (configure, write, read) are regular expressions
//! over exchange and queue names that hold for any namespace. Topic
//! permissions limit the routing keys (message types) an identity may
//! publish to a namespace's `commands` and `events` exchanges; RabbitMQ
//! keys them by exchange name, so they are set per namespace.
//!
//! `infra/rabbitmq/permissions.tsv` holds [`table`]'s text; a test keeps the
//! two equal, and `infra/rabbitmq-users.sh` applies the file.

use crate::message::MessageKind;
use crate::message::QueueRole;
use crate::senders::Identity;

/// A namespace: what [`crate::Topology::new`] accepts.
const NAMESPACE: &str = "[a-z0-9._-]+";
/// Nothing at all.
const NOTHING: &str = "^$";

/// An identity's resource permissions in the vhost.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Permission {
    pub identity: Identity,
    pub configure: String,
    pub write: String,
    pub read: String,
}

/// An identity's topic permissions on one exchange of a namespace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicPermission {
    pub identity: Identity,
    /// Which of the namespace's exchanges (`commands` or `events`).
    pub exchange: MessageKind,
    /// The routing keys it may publish.
    pub write: String,
    /// The routing keys it may bind (only the declarers bind).
    pub read: String,
}

impl TopicPermission {
    /// The exchange's name in `namespace`.
    pub fn exchange_in(&self, namespace: &str) -> String {
        format!("{namespace}.{}", exchange_suffix(self.exchange))
    }
}

fn exchange_suffix(kind: MessageKind) -> &'static str {
    match kind {
        MessageKind::Command => "commands",
        MessageKind::Event => "events",
    }
}

fn escape(name: &str) -> String {
    name.replace('.', "\\.")
}

fn any_of(alternatives: &[String]) -> String {
    format!("^({})$", alternatives.join("|"))
}

fn exchanges(suffixes: &str) -> String {
    format!("{NAMESPACE}\\.({suffixes})")
}

fn queue(role: QueueRole) -> String {
    format!("{NAMESPACE}\\.{}", role.as_str())
}

fn every_queue() -> String {
    let roles: Vec<&str> = QueueRole::ALL.iter().map(QueueRole::as_str).collect();
    format!(
        "{NAMESPACE}\\.({})(\\.dead-letter|\\.retry\\.[0-9]+ms)?",
        roles.join("|")
    )
}

/// Every queue, and the temporary quorum queue each is moved through when
/// `autobook migrate` turns a classic queue into a quorum queue.
fn every_queue_and_its_move() -> String {
    format!("{}(\\.migrating)?", every_queue())
}

const DEFAULT_EXCHANGE: &str = "amq\\.default";
/// Server-named queues (operators' and tests' private observers).
const PRIVATE_QUEUES: &str = "amq\\.gen-.*";

/// The resource permissions of `identity`.
pub fn permission(identity: Identity) -> Permission {
    let every = vec![exchanges("commands|events|dead-letter"), every_queue()];
    let (configure, write, read) = match identity {
        Identity::Orchestrator => {
            let mut write = vec![DEFAULT_EXCHANGE.to_owned()];
            write.extend(every.clone());
            (any_of(&every), any_of(&write), any_of(&every))
        }
        Identity::Ops => {
            let mut own = vec![
                exchanges("commands|events|dead-letter"),
                every_queue_and_its_move(),
            ];
            own.push(PRIVATE_QUEUES.to_owned());
            let mut write = vec![DEFAULT_EXCHANGE.to_owned()];
            write.extend(own.clone());
            (any_of(&own), any_of(&write), any_of(&own))
        }
        Identity::Gateway | Identity::Publisher => (
            NOTHING.to_owned(),
            any_of(&[exchanges("events")]),
            NOTHING.to_owned(),
        ),
        Identity::Search | Identity::Payment | Identity::Order | Identity::Notify => {
            let own = identity.queue().map(queue).unwrap_or_default();
            (
                NOTHING.to_owned(),
                any_of(&[DEFAULT_EXCHANGE.to_owned(), exchanges("events|dead-letter")]),
                any_of(&[own]),
            )
        }
    };
    Permission {
        identity,
        configure,
        write,
        read,
    }
}

/// The topic permissions of `identity`: one per exchange it may publish
/// to, naming exactly the message types it may send there.
pub fn topic_permissions(identity: Identity) -> Vec<TopicPermission> {
    [MessageKind::Command, MessageKind::Event]
        .into_iter()
        .filter_map(|kind| {
            let keys: Vec<String> = identity.sends(kind).map(|t| escape(t.as_str())).collect();
            (!keys.is_empty()).then(|| TopicPermission {
                identity,
                exchange: kind,
                write: any_of(&keys),
                read: if identity.declares_topology() {
                    ".*".to_owned()
                } else {
                    NOTHING.to_owned()
                },
            })
        })
        .collect()
}

/// The permissions as `infra/rabbitmq/permissions.tsv` holds them.
pub fn table() -> String {
    let mut text = String::from(
        "# RabbitMQ permissions of autobook's broker identities, generated from\n\
         # contracts/src/senders.rs and contracts/src/permissions.rs; regenerate with\n\
         # AUTOBOOK_UPDATE_PERMISSIONS=1 cargo test -p autobook-contracts --test permissions\n\
         # infra/rabbitmq-users.sh applies them. Tab-separated:\n\
         # vhost <user> <configure> <write> <read>\n\
         # topic <user> <exchange of each namespace> <write> <read>\n",
    );
    for identity in Identity::ALL {
        let p = permission(*identity);
        text.push_str(&format!(
            "vhost\t{}\t{}\t{}\t{}\n",
            identity.user(),
            p.configure,
            p.write,
            p.read
        ));
    }
    for identity in Identity::ALL {
        for t in topic_permissions(*identity) {
            text.push_str(&format!(
                "topic\t{}\t{}\t{}\t{}\n",
                identity.user(),
                exchange_suffix(t.exchange),
                t.write,
                t.read
            ));
        }
    }
    text
}
