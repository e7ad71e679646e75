//! The flag gate in the running workers: a money-moving command the flags
//! deny is answered `step.deferred`, no provider is called, and the
//! provider-call ledger keeps no reply for it, so the same command can go
//! ahead later. The flags come from a flag store of their own
//! (`flags_database_url`), read at start-up.

use std::time::Duration;

use uuid::Uuid;

use autobook_contracts::codes::{PaymentMethodId, UserId};
use autobook_contracts::commands::AuthorizePayment;
use autobook_contracts::{Currency, Envelope, IdempotencyKey, Message, Money, Step};
use autobook_flags::postgres::{ChangeNote, set_kill_switch};
use autobook_flags::{DenyReason, FlagDecision};
use autobook_tests::{TestSystem, spawn_with};
use autobook_workers::worker::calls::{self, Claim};

fn authorize(saga: Uuid) -> Envelope {
    Envelope::new(
        saga,
        AuthorizePayment {
            idempotency_key: IdempotencyKey::derive(saga, Step::Authorize, 1),
            user_id: UserId::parse("usr_deferred").unwrap(),
            amount: Money::new(35_130, Currency::USD),
            payment_method: PaymentMethodId::parse("pm_card_visa").unwrap(),
            customer: None,
            description: "Flight JFK-LAX".into(),
        },
    )
}

/// Publishes a hold for a saga no orchestrator knows, as the orchestrator
/// would, and returns the `step.deferred` answer.
async fn deferred_hold(system: &TestSystem) -> (Envelope, Envelope) {
    let mut replies = system
        .observe(&["step.deferred", "payment.authorized"])
        .await;
    let command = authorize(Uuid::now_v7());
    system.stack().publisher.publish(&command).await.unwrap();
    let reply = replies
        .next(Duration::from_secs(15))
        .await
        .expect("an answer to the hold");
    (command, reply)
}

/// The hold's key in the provider-call ledger: its status and whether a
/// reply is stored.
async fn ledger_row(system: &TestSystem, key: &IdempotencyKey) -> (String, bool) {
    let call = autobook_workers::testing::call(&system.stack().pool, key.as_str())
        .await
        .unwrap();
    (call.status, call.reply.is_some())
}

#[tokio::test]
async fn a_thrown_kill_switch_defers_a_hold_without_calling_stripe_or_storing_a_reply() {
    // The flag store, with the switch thrown before the workers start.
    let name = format!(
        "autobook_flags_{}",
        &Uuid::new_v4().simple().to_string()[..16]
    );
    let flags_url =
        autobook_roles::services::recreate_database(&autobook_tests::database_url(), &name)
            .await
            .unwrap();
    let store = autobook_orchestrator::db::connect(&flags_url, 2)
        .await
        .unwrap();
    autobook_orchestrator::db::migrate(&store).await.unwrap();
    let note = ChangeNote::new("deferral-test", "prove the gate").unwrap();
    set_kill_switch(&store, true, &note).await.unwrap();
    store.close().await;

    let system = spawn_with(|config| config.flags_database_url = Some(flags_url.clone())).await;
    assert_eq!(
        system.stack().flags.decide("usr_deferred"),
        FlagDecision::Denied(DenyReason::KillSwitch),
        "the separate store was read at start-up"
    );
    let (command, reply) = deferred_hold(&system).await;
    let key = command.message.idempotency_key().unwrap().clone();
    let Message::StepDeferred(deferred) = &reply.message else {
        panic!("{reply:?}");
    };
    assert_eq!(
        (
            &deferred.idempotency_key,
            deferred.step,
            deferred.reason.as_str()
        ),
        (&key, Step::Authorize, "kill_switch")
    );
    assert_eq!(reply.saga_id, command.saga_id);
    let ledger = system.ledger();
    assert!(ledger.payment_intents.is_empty());
    assert_eq!(ledger.traffic.get("stripe").map_or(0, |t| t.requests), 0);
    assert_eq!(
        ledger_row(&system, &key).await,
        ("released".to_owned(), false),
        "claimed, given back, nothing stored"
    );
    // The same command again is the worker's to perform, looking up first.
    let again = calls::claim(
        &system.stack().pool,
        &key,
        &command,
        "payment.authorize",
        false,
    )
    .await
    .unwrap();
    assert!(
        matches!(
            again,
            Claim::Owned {
                look_up_first: true,
                ..
            }
        ),
        "{again:?}"
    );
    system.teardown().await;
    autobook_roles::services::drop_database(&autobook_tests::database_url(), &name)
        .await
        .unwrap();
}

#[tokio::test]
async fn an_unreachable_flag_store_defers_holds_as_unavailable() {
    let system = spawn_with(|config| {
        // Nothing listens on port 1 of the loopback address.
        config.flags_database_url = Some("postgres://postgres@127.0.0.1:1/autobook_flags".into());
        config.flags.startup_wait = Duration::from_millis(200);
    })
    .await;
    let (command, reply) = deferred_hold(&system).await;
    let Message::StepDeferred(deferred) = &reply.message else {
        panic!("{reply:?}");
    };
    assert_eq!(deferred.reason, "unavailable");
    assert!(system.ledger().payment_intents.is_empty());
    let key = command.message.idempotency_key().unwrap();
    assert_eq!(
        ledger_row(&system, key).await,
        ("released".to_owned(), false)
    );
    system.teardown().await;
}
