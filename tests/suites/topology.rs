//! Declaring the topology: a namespace an older version declared, with
//! direct `commands` and `events` exchanges, gets topic exchanges (so that
//! topic permissions apply) and still routes every message type; a role
//! that may not declare waits until what it uses exists.

use lapin::options::ExchangeDeclareOptions;
use lapin::types::FieldTable;
use lapin::{BasicProperties, ExchangeKind};
use uuid::Uuid;

use autobook_broker::Publisher;
use autobook_broker::declare::declare_topology;
use autobook_contracts::senders::Identity;
use autobook_contracts::{MessageType, Topology};
use autobook_tests::{broker_access, remove_topology};

#[tokio::test]
async fn declaring_replaces_the_direct_exchanges_of_an_older_version() {
    let topology = Topology::new(&format!(
        "t-old-{}",
        &Uuid::new_v4().simple().to_string()[..12]
    ))
    .unwrap()
    .with_queue_expiry(60_000);
    let ops = broker_access()
        .connect(Identity::Ops, "test-old-topology", topology.clone())
        .await
        .unwrap();
    let durable = ExchangeDeclareOptions {
        durable: true,
        ..ExchangeDeclareOptions::default()
    };
    let channel = ops.channel().await.unwrap();
    for name in [topology.commands_exchange(), topology.events_exchange()] {
        channel
            .exchange_declare(
                name.into(),
                ExchangeKind::Direct,
                durable,
                FieldTable::default(),
            )
            .await
            .unwrap();
    }
    declare_topology(&ops).await.unwrap();

    // A topic declaration now agrees with what is there (a direct one
    // would be refused), and every type routes to its queue.
    let channel = ops.channel().await.unwrap();
    for name in [topology.commands_exchange(), topology.events_exchange()] {
        channel
            .exchange_declare(
                name.into(),
                ExchangeKind::Topic,
                durable,
                FieldTable::default(),
            )
            .await
            .unwrap();
    }
    let publisher = Publisher::open(&ops).await.unwrap();
    for t in MessageType::ALL {
        publisher
            .publish_signed(
                &topology.exchange_for(*t),
                t.as_str(),
                b"{}",
                BasicProperties::default(),
            )
            .await
            .unwrap_or_else(|e| panic!("{t}: {e}"));
    }
    ops.close().await;
    remove_topology(topology).await.unwrap();
}

#[tokio::test]
async fn a_worker_started_before_the_topology_waits_for_it() {
    let topology = Topology::new(&format!(
        "t-wait-{}",
        &Uuid::new_v4().simple().to_string()[..12]
    ))
    .unwrap()
    .with_queue_expiry(60_000);
    let access = broker_access();
    // The payment worker may not declare: it waits for its queue.
    let early = tokio::time::timeout(
        std::time::Duration::from_millis(500),
        autobook_roles::services::connect_broker(
            &access,
            Identity::Payment,
            "test-early",
            &topology,
        ),
    )
    .await;
    assert!(early.is_err(), "the worker went on without its queue");
    let ops = access
        .connect(Identity::Ops, "test-declare", topology.clone())
        .await
        .unwrap();
    declare_topology(&ops).await.unwrap();
    let worker = autobook_roles::services::connect_broker(
        &access,
        Identity::Payment,
        "test-late",
        &topology,
    )
    .await
    .unwrap();
    assert_eq!(worker.identity(), Identity::Payment);
    worker.close().await;
    ops.close().await;
    remove_topology(topology).await.unwrap();
}
