//! People in control, for the suites: throwing the kill switch (and waiting
//! until the roles see it), holding a trip's money while its order waits,
//! and telling which provider records belong to a saga.

use std::collections::BTreeMap;
use std::time::Duration;

use uuid::Uuid;

use autobook_flags::postgres::{ChangeNote, set_kill_switch};
use autobook_flags::wait_for_decision;
use autobook_sandbox::{Ledger, LedgerOrder, LedgerPaymentIntent};

use crate::TestSystem;

/// Submits [`crate::trips::trip`] and waits until its hold is placed and
/// the saga has taken it in (it is then `ordering`, its order command in
/// the queue for whichever order worker runs). Returns the saga id.
pub async fn held(system: &TestSystem) -> Uuid {
    let mut authorized = system.observe(&["payment.authorized"]).await;
    let id = system.submit(crate::trips::trip()).await;
    let event = authorized
        .next(Duration::from_secs(30))
        .await
        .expect("the hold is placed");
    assert_eq!(event.saga_id, id);
    system.handled(event.message_id).await;
    id
}

/// The user of [`crate::trips::trip`].
pub const USER: &str = "usr_test";

/// Throws (`on`) or releases the kill switch, and waits (at most 5 s)
/// until the roles' shared flags see it.
pub async fn throw_switch(system: &TestSystem, on: bool) {
    let note = ChangeNote::new("control-test", "prove the switch").unwrap();
    set_kill_switch(&system.stack().pool, on, &note)
        .await
        .unwrap();
    // The roles' shared copy sees it on its next refresh (LISTEN/NOTIFY).
    let seen = wait_for_decision(
        system.stack().flags.as_ref(),
        USER,
        Duration::from_secs(5),
        |decision| decision.money_may_move() != on,
    )
    .await;
    assert!(seen, "the flags did not see the switch within 5 s");
}

/// Whether a provider record (intent, order, refund) was made by one of
/// saga `id`'s steps: its metadata carries the step's idempotency key.
pub fn belongs(metadata: &BTreeMap<String, String>, id: Uuid) -> bool {
    metadata
        .get("idempotency_key")
        .is_some_and(|key| key.starts_with(&id.to_string()))
}

/// The holds and the orders saga `id`'s steps made, checked to be at most
/// one of each (nothing doubled) with no hold left uncaptured and unvoided.
pub fn settled_records(
    ledger: &Ledger,
    id: Uuid,
) -> (Vec<&LedgerPaymentIntent>, Vec<&LedgerOrder>) {
    let intents: Vec<_> = ledger
        .payment_intents
        .iter()
        .filter(|i| belongs(&i.metadata, id))
        .collect();
    let orders: Vec<_> = ledger
        .orders
        .iter()
        .filter(|o| belongs(&o.metadata, id))
        .collect();
    assert!(
        intents.len() <= 1 && orders.len() <= 1,
        "{id}: nothing doubled"
    );
    assert!(
        intents.iter().all(|i| i.status != "requires_capture"),
        "{id}: no hold left behind"
    );
    (intents, orders)
}
