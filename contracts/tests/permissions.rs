//! The RabbitMQ permissions: `infra/rabbitmq/permissions.tsv` must match
//! `autobook_contracts::permissions::table()` (regenerate with
//! `AUTOBOOK_UPDATE_PERMISSIONS=1 cargo test -p autobook-contracts --test permissions`),
//! and each identity's expressions must grant what its role needs and
//! nothing another role needs, in any namespace.

#![allow(clippy::unwrap_used)]

use std::path::PathBuf;

use regex::Regex;

use autobook_contracts::message::{MessageKind, MessageType};
use autobook_contracts::permissions::{permission, table, topic_permissions};
use autobook_contracts::senders::Identity;
use autobook_contracts::{QueueRole, Topology};

fn matches(pattern: &str, name: &str) -> bool {
    Regex::new(pattern).unwrap().is_match(name)
}

#[test]
fn the_committed_table_matches_the_allow_list() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../infra/rabbitmq/permissions.tsv");
    let text = table();
    if std::env::var_os("AUTOBOOK_UPDATE_PERMISSIONS").is_some() {
        std::fs::write(&path, &text).unwrap();
    }
    assert_eq!(
        std::fs::read_to_string(&path).ok().as_deref(),
        Some(text.as_str()),
        "infra/rabbitmq/permissions.tsv drifted; regenerate with \
         AUTOBOOK_UPDATE_PERMISSIONS=1 cargo test -p autobook-contracts --test permissions"
    );
}

/// Every exchange and queue name of a namespace.
fn resources(topology: &Topology) -> Vec<String> {
    let declarations = topology.declarations();
    let mut names: Vec<String> = declarations.exchanges.into_iter().map(|e| e.name).collect();
    names.extend(declarations.queues.into_iter().map(|q| q.name));
    names
}

#[test]
fn workers_read_only_their_own_queue_and_write_only_replies_and_dead_letters() {
    for namespace in ["autobook", "t-0123456789abcdef", "a.b_c-d"] {
        let topology = Topology::new(namespace).unwrap();
        for identity in [
            Identity::Search,
            Identity::Payment,
            Identity::Order,
            Identity::Notify,
        ] {
            let p = permission(identity);
            let own = topology.queue(identity.queue().unwrap());
            for name in resources(&topology) {
                assert!(
                    !matches(&p.configure, &name),
                    "{identity} configures {name}"
                );
                assert_eq!(
                    matches(&p.read, &name),
                    name == own,
                    "{identity} reads {name}"
                );
            }
            assert!(matches(&p.write, &topology.events_exchange()));
            assert!(matches(&p.write, &topology.dead_letter_exchange()));
            assert!(matches(&p.write, "amq.default"), "{identity} retries");
            assert!(!matches(&p.write, &topology.commands_exchange()));
        }
    }
}

#[test]
fn gateways_only_write_events() {
    let topology = Topology::new("t-gw").unwrap();
    for identity in [Identity::Gateway, Identity::Publisher] {
        let p = permission(identity);
        for name in resources(&topology) {
            assert!(!matches(&p.configure, &name));
            assert!(!matches(&p.read, &name));
            assert_eq!(
                matches(&p.write, &name),
                name == topology.events_exchange(),
                "{identity} writes {name}"
            );
        }
        assert!(!matches(&p.write, "amq.default"));
    }
}

#[test]
fn the_declarers_reach_the_whole_namespace() {
    let topology = Topology::new("t-decl")
        .unwrap()
        .with_retry_delays_ms(vec![5, 1_000, 600_000]);
    for identity in [Identity::Orchestrator, Identity::Ops] {
        assert!(identity.declares_topology());
        let p = permission(identity);
        for name in resources(&topology) {
            assert!(matches(&p.configure, &name), "{identity} configures {name}");
            assert!(matches(&p.write, &name), "{identity} binds to {name}");
            assert!(matches(&p.read, &name), "{identity} reads {name}");
        }
        assert!(!matches(&p.configure, "someone-else"));
    }
    let ops = permission(Identity::Ops);
    assert!(matches(&ops.configure, "amq.gen-JzTY20BRgKO-HjmUJj0wLg"));
    assert!(!matches(
        &permission(Identity::Orchestrator).configure,
        "amq.gen-JzTY20BRgKO-HjmUJj0wLg"
    ));
}

#[test]
fn topic_permissions_name_exactly_the_types_each_identity_sends() {
    for identity in Identity::ALL {
        let topics = topic_permissions(*identity);
        for t in MessageType::ALL {
            let allowed = topics
                .iter()
                .filter(|p| p.exchange == t.kind())
                .any(|p| matches(&p.write, t.as_str()));
            assert_eq!(allowed, identity.may_send(*t), "{identity} publishes {t}");
        }
        for p in &topics {
            assert!(!matches(&p.write, "payment"), "whole keys only");
            assert!(!matches(&p.write, "x.payment.declined"), "whole keys only");
        }
    }
    let notify = topic_permissions(Identity::Notify);
    assert_eq!(notify.len(), 1);
    assert_eq!(notify[0].exchange, MessageKind::Event);
    assert_eq!(notify[0].exchange_in("t-1"), "t-1.events");
    assert!(!matches(&notify[0].write, "payment.declined"));
    assert!(matches(&notify[0].write, "notification.sent"));
}

#[test]
fn every_queue_has_a_reader_that_consumes_it() {
    let topology = Topology::new("t-q").unwrap();
    for queue in QueueRole::ALL {
        let consumer = Identity::consuming(*queue);
        assert!(matches(&permission(consumer).read, &topology.queue(*queue)));
    }
}
