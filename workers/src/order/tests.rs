//! The order worker against the sandbox: creating an order is gated by
//! the flags, cancelling one is not; an infant rides on its adult's lap and
//! passports go when the offer requires them (an order missing one is
//! refused before the airline is asked).

use std::sync::Arc;
use std::time::Duration;

use uuid::Uuid;

use autobook_contracts::codes::UserId;
use autobook_contracts::commands::{CancelOrder, CreateOrder};
use autobook_contracts::{Currency, Envelope, IdempotencyKey, Message, Money, Step};
use autobook_flags::{DenyReason, FixedFlags, FlagDecision, FlagSource};
use autobook_sandbox::{Ledger, Ports, RunningSandbox, SandboxConfig};

use super::OrderService;
use crate::providers::{ApiKey, DuffelClient, Provider, ProviderConfig};
use crate::worker::gate::Deferral;
use crate::worker::retry::{Caller, RetryPolicy};
use crate::worker::{Failure, Service};
use autobook_throttle::Throttle;

async fn sandbox() -> RunningSandbox {
    autobook_sandbox::start(SandboxConfig::default(), Ports::ephemeral())
        .await
        .expect("sandbox starts")
}

fn service(sandbox: &RunningSandbox, flags: impl FlagSource + 'static) -> OrderService {
    let config = ProviderConfig::new(&sandbox.duffel_url, ApiKey::new("duffel_test_sandbox"));
    OrderService {
        duffel: DuffelClient::new(config).expect("client"),
        caller: Caller {
            provider: Provider::Duffel,
            policy: RetryPolicy {
                retries: 1,
                min_delay: Duration::from_millis(1),
                max_delay: Duration::from_millis(5),
                rate_limited_rounds: 0,
            },
            throttle: Throttle::disabled(),
        },
        lookup_pages: 2,
        flags: Arc::new(flags),
    }
}

fn duffel_requests(ledger: &Ledger) -> u64 {
    ledger.traffic.get("duffel").map_or(0, |t| t.requests)
}

#[tokio::test]
async fn a_denied_order_is_deferred_without_calling_the_airline() {
    let sandbox = sandbox().await;
    let saga = Uuid::now_v7();
    let create = Envelope::new(
        saga,
        CreateOrder {
            idempotency_key: IdempotencyKey::derive(saga, Step::Order, 1),
            user_id: UserId::parse("usr_7").unwrap(),
            offer_id: "off_0000AEdGRhtp5AUUdJqMxo".into(),
            amount: Money::new(35_130, Currency::USD),
            passengers: vec![],
            identity_documents_required: false,
        },
    );
    let disabled = FixedFlags::Decision(FlagDecision::Denied(DenyReason::PipelineDisabled));
    let denied = service(&sandbox, disabled)
        .perform(&create, crate::worker::attempt::MemoryLog::fresh())
        .await;
    assert_eq!(
        denied,
        Err(Failure::Deferred(Deferral {
            step: Step::Order,
            reason: DenyReason::PipelineDisabled
        }))
    );
    let ledger = sandbox.ledger();
    assert_eq!(duffel_requests(&ledger), 0);
    assert!(ledger.orders.is_empty());
    sandbox.shutdown().await;
}

#[tokio::test]
async fn a_cancellation_goes_to_the_airline_whatever_the_flags() {
    let sandbox = sandbox().await;
    let saga = Uuid::now_v7();
    let cancel = Envelope::new(
        saga,
        CancelOrder {
            idempotency_key: IdempotencyKey::derive(saga, Step::Cancel, 1),
            order_id: "ord_0000AEdGRhtp5AUUdJqMxo".into(),
        },
    );
    let reply = service(&sandbox, FixedFlags::Unreadable)
        .perform(&cancel, crate::worker::attempt::MemoryLog::fresh())
        .await
        .unwrap();
    // No such order: the airline was asked and said so.
    assert!(
        matches!(reply.message, Message::CancelFailed(_)),
        "{reply:?}"
    );
    assert!(duffel_requests(&sandbox.ledger()) > 0);
    sandbox.shutdown().await;
}

/// An offer of a JFK-LHR search for an adult and an infant whose airline
/// requires identity documents.
async fn family_offer_needing_documents(
    sandbox: &RunningSandbox,
) -> autobook_contracts::offer::OfferSummary {
    use autobook_contracts::codes::PlaceCode;
    use autobook_contracts::commands::SearchOffers;
    use autobook_contracts::trip::CabinClass;
    let config = ProviderConfig::new(&sandbox.duffel_url, ApiKey::new("duffel_test_sandbox"));
    let search = SearchOffers {
        idempotency_key: IdempotencyKey::derive(Uuid::now_v7(), Step::Search, 1),
        origin: PlaceCode::parse("JFK").unwrap(),
        destination: PlaceCode::parse("LHR").unwrap(),
        departure_date: chrono::Utc::now().date_naive() + chrono::Duration::days(40),
        return_date: None,
        passenger_ages: vec![35, 0],
        cabin_class: CabinClass::Economy,
        max_connections: 1,
    };
    let found = DuffelClient::new(config)
        .unwrap()
        .search(&search, Duration::from_secs(5))
        .await
        .unwrap();
    found
        .offers
        .into_iter()
        .find(|offer| offer.identity_documents_required)
        .expect("an airline on JFK-LHR requires documents")
}

fn order_for(
    saga: Uuid,
    offer: &autobook_contracts::offer::OfferSummary,
    with_documents: bool,
) -> Envelope {
    let passengers = offer
        .passenger_ids
        .iter()
        .zip([(35, "1991-04-02"), (0, "2026-09-30")])
        .enumerate()
        .map(|(n, (id, (age, born_on)))| {
            let mut details = serde_json::json!({
                "title": "ms", "gender": "f", "given_name": "Amelia", "family_name": "Earhart",
                "born_on": born_on, "email": "amelia@example.com", "phone_number": "+442080160508"
            });
            if with_documents {
                details["identity_document"] = serde_json::json!({
                    "type": "passport", "unique_identifier": format!("K1234567{n}"),
                    "issuing_country_code": "GB", "expires_on": "2040-01-01"
                });
            }
            serde_json::from_value(serde_json::json!({
                "passenger_id": id, "age": age, "details": details
            }))
            .unwrap()
        })
        .collect();
    Envelope::new(
        saga,
        CreateOrder {
            idempotency_key: IdempotencyKey::derive(saga, Step::Order, 1),
            user_id: UserId::parse("usr_7").unwrap(),
            offer_id: offer.offer_id.clone(),
            amount: offer.total,
            passengers,
            identity_documents_required: offer.identity_documents_required,
        },
    )
}

#[tokio::test]
async fn an_order_needing_documents_is_refused_without_asking_the_airline_when_one_is_missing() {
    let sandbox = sandbox().await;
    let offer = family_offer_needing_documents(&sandbox).await;
    let searched = duffel_requests(&sandbox.ledger());
    let reply = service(&sandbox, FixedFlags::Decision(FlagDecision::Allowed))
        .perform(
            &order_for(Uuid::now_v7(), &offer, false),
            crate::worker::attempt::MemoryLog::fresh(),
        )
        .await
        .unwrap();
    assert!(
        matches!(
            &reply.message,
            Message::OrderFailed(failed)
                if failed.reason == autobook_contracts::events::OrderFailureReason::Permanent
        ),
        "{reply:?}"
    );
    let ledger = sandbox.ledger();
    assert_eq!(duffel_requests(&ledger), searched, "no order was sent");
    assert!(ledger.orders.is_empty());
    sandbox.shutdown().await;
}

#[tokio::test]
async fn an_infant_is_ordered_on_the_adults_lap_with_the_passports_the_offer_requires() {
    let sandbox = sandbox().await;
    let offer = family_offer_needing_documents(&sandbox).await;
    let reply = service(&sandbox, FixedFlags::Decision(FlagDecision::Allowed))
        .perform(
            &order_for(Uuid::now_v7(), &offer, true),
            crate::worker::attempt::MemoryLog::fresh(),
        )
        .await
        .unwrap();
    let Message::OrderCreated(created) = &reply.message else {
        panic!("{reply:?}")
    };
    let ledger = sandbox.ledger();
    let passengers: Vec<_> = ledger
        .order_passengers
        .iter()
        .filter(|p| p.order_id == created.order_id)
        .map(|p| (p.infant_passenger_id.clone(), p.identity_document))
        .collect();
    assert_eq!(
        passengers,
        [(Some(offer.passenger_ids[1].clone()), true), (None, true)]
    );
    sandbox.shutdown().await;
}
