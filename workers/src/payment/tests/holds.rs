//! Holds: created unconfirmed, recorded, confirmed by id; the flag gate
//! in front; lost answers settled by retrieving or listing, never search.

use autobook_contracts::stripe_webhook::SAGA_ID_METADATA;
use autobook_sandbox::{AuthorizationFault, FaultScript};

use super::*;
use crate::worker::Failure;
use crate::worker::gate::Deferral;

#[tokio::test]
async fn a_denied_hold_calls_stripe_not_at_all_and_goes_ahead_once_allowed() {
    let sandbox = sandbox().await;
    let trip = Trip::new();
    let denied = service(&sandbox, KILL_SWITCH)
        .perform(&trip.authorize(), first())
        .await;
    assert_eq!(
        denied,
        Err(Failure::Deferred(Deferral {
            step: Step::Authorize,
            reason: DenyReason::KillSwitch
        }))
    );
    let ledger = sandbox.ledger();
    assert_eq!(stripe_requests(&ledger), 0);
    assert!(ledger.payment_intents.is_empty());

    // The same command again, as after a released claim.
    let reply = service(&sandbox, ALLOW)
        .perform(&trip.authorize(), takeover())
        .await
        .unwrap();
    assert!(
        matches!(reply.message, Message::PaymentAuthorized(_)),
        "{reply:?}"
    );
    assert_eq!(sandbox.ledger().payment_intents.len(), 1);
    sandbox.shutdown().await;
}

#[tokio::test]
async fn a_hold_names_its_saga_for_the_webhook_events() {
    let sandbox = sandbox().await;
    let trip = Trip::new();
    let reply = service(&sandbox, ALLOW)
        .perform(&trip.authorize(), first())
        .await
        .unwrap();
    assert!(
        matches!(reply.message, Message::PaymentAuthorized(_)),
        "{reply:?}"
    );
    let ledger = sandbox.ledger();
    assert_eq!(
        ledger.payment_intents[0].metadata[SAGA_ID_METADATA],
        trip.saga.to_string()
    );
    sandbox.shutdown().await;
}

#[tokio::test]
async fn a_takeover_reports_a_hold_already_placed_even_while_denied() {
    let sandbox = sandbox().await;
    let trip = Trip::new();
    let first = service(&sandbox, ALLOW)
        .perform(&trip.authorize(), first())
        .await
        .unwrap();
    let again = service(&sandbox, KILL_SWITCH)
        .perform(&trip.authorize(), takeover())
        .await
        .unwrap();
    assert_eq!(again, first, "the look-up finds the hold; nothing moves");
    assert_eq!(sandbox.ledger().payment_intents.len(), 1);
    sandbox.shutdown().await;
}

fn authorized_intent(reply: &Reply) -> String {
    match &reply.message {
        Message::PaymentAuthorized(PaymentAuthorized {
            payment_intent_id, ..
        }) if !reply.outcome_unknown => payment_intent_id.clone(),
        _ => panic!("{reply:?}"),
    }
}

#[tokio::test]
async fn a_hold_is_created_unconfirmed_recorded_then_confirmed_by_id() {
    let sandbox = sandbox().await;
    let trip = Trip::new();
    let log = Arc::new(MemoryLog::default());
    let reply = service(&sandbox, ALLOW)
        .perform(&trip.authorize(), log.first())
        .await
        .unwrap();
    let intent = authorized_intent(&reply);
    assert_eq!(
        log.recorded(),
        vec![intent.clone()],
        "recorded before the hold"
    );
    let ledger = sandbox.ledger();
    assert_eq!(ledger.payment_intents.len(), 1);
    assert_eq!(ledger.payment_intents[0].id, intent);
    assert_eq!(ledger.payment_intents[0].status, "requires_capture");
    sandbox.shutdown().await;
}

#[tokio::test]
async fn a_lost_confirmation_answer_is_settled_by_retrieving_the_intent() {
    let sandbox = sandbox().await;
    let trip = Trip::new();
    // The hold is placed, then a 500 that Stripe keeps under the key:
    // asking again replays the 500; only the intent tells.
    sandbox.push_script(FaultScript {
        authorizations: vec![AuthorizationFault::ServerErrorAfterEffect],
        ..FaultScript::default()
    });
    let reply = service(&sandbox, ALLOW)
        .perform(&trip.authorize(), first())
        .await
        .unwrap();
    let intent = authorized_intent(&reply);
    let ledger = sandbox.ledger();
    assert_eq!(ledger.payment_intents.len(), 1, "exactly one intent");
    assert_eq!(ledger.payment_intents[0].id, intent);
    assert_eq!(ledger.payment_intents[0].status, "requires_capture");
    sandbox.shutdown().await;
}

#[tokio::test]
async fn a_takeover_continues_with_the_recorded_intent() {
    let sandbox = sandbox().await;
    let trip = Trip::new();
    // Stripe cannot be reached for the confirmation: the attempt gives up
    // with the intent recorded.
    sandbox.push_script(FaultScript {
        authorizations: vec![AuthorizationFault::Transient; RETRIES + 1],
        ..FaultScript::default()
    });
    let log = Arc::new(MemoryLog::default());
    let failed = service(&sandbox, ALLOW)
        .perform(&trip.authorize(), log.first())
        .await;
    assert!(
        matches!(failed, Err(Failure::Unresolved { .. })),
        "{failed:?}"
    );
    let recorded = log.recorded();
    assert_eq!(recorded.len(), 1);

    let reply = service(&sandbox, ALLOW)
        .perform(&trip.authorize(), log.takeover(chrono::Utc::now()))
        .await
        .unwrap();
    assert_eq!(authorized_intent(&reply), recorded[0]);
    assert_eq!(
        sandbox.ledger().payment_intents.len(),
        1,
        "no second intent"
    );
    sandbox.shutdown().await;
}

#[tokio::test]
async fn a_takeover_that_recorded_nothing_finds_the_intent_by_listing() {
    let sandbox = sandbox().await;
    let trip = Trip::new();
    let first_reply = service(&sandbox, ALLOW)
        .perform(&trip.authorize(), first())
        .await
        .unwrap();
    let log = Arc::new(MemoryLog::default());
    let again = service(&sandbox, ALLOW)
        .perform(
            &trip.authorize(),
            log.takeover(chrono::Utc::now() - chrono::Duration::minutes(1)),
        )
        .await
        .unwrap();
    assert_eq!(again, first_reply);
    assert_eq!(log.recorded(), [authorized_intent(&again)]);
    assert_eq!(sandbox.ledger().payment_intents.len(), 1);
    sandbox.shutdown().await;
}

#[tokio::test]
async fn a_declined_card_stays_declined_when_asked_again() {
    let sandbox = sandbox().await;
    let trip = Trip::new();
    let log = Arc::new(MemoryLog::default());
    let reply = service(&sandbox, ALLOW)
        .perform(
            &trip.authorize_with("pm_card_chargeDeclinedInsufficientFunds"),
            log.first(),
        )
        .await
        .unwrap();
    let Message::PaymentDeclined(declined) = &reply.message else {
        panic!("{reply:?}");
    };
    assert_eq!(declined.decline_code.as_deref(), Some("insufficient_funds"));
    let requests = stripe_requests(&sandbox.ledger());
    let again = service(&sandbox, ALLOW)
        .perform(
            &trip.authorize_with("pm_card_chargeDeclinedInsufficientFunds"),
            log.takeover(chrono::Utc::now()),
        )
        .await
        .unwrap();
    let Message::PaymentDeclined(again) = &again.message else {
        panic!("{again:?}");
    };
    assert_eq!(again.decline_code.as_deref(), Some("insufficient_funds"));
    assert_eq!(
        stripe_requests(&sandbox.ledger()),
        requests + 1,
        "the intent was read, not confirmed again"
    );
    sandbox.shutdown().await;
}
