//! Several orchestrators and several instances of every worker compete for
//! the same queues; every saga still finishes once, and the ledger
//! reconciles.

use autobook_harness::reconcile::reconcile;
use autobook_tests::spawn_with;
use autobook_tests::trips::trip_with;

#[tokio::test]
async fn competing_instances_book_every_trip_exactly_once() {
    let system = spawn_with(|config| {
        config.orchestrators = 2;
        config.worker_instances = 2;
    })
    .await;
    let destinations = [
        "LAX", "SFO", "SEA", "ORD", "BOS", "MIA", "DEN", "ATL", "LHR", "CDG",
    ];
    let mut ids = Vec::new();
    for n in 0..20 {
        let card = if n % 5 == 0 {
            "pm_card_chargeDeclined"
        } else {
            "pm_card_visa"
        };
        let trip = trip_with(|t| {
            t["destination"] = destinations[n % destinations.len()].into();
            t["payment"]["payment_method"] = card.into();
        });
        ids.push(system.submit(trip).await);
    }
    let mut phases = Vec::new();
    for id in &ids {
        phases.push((*id, system.finished(*id).await.saga.phase));
    }
    let booked = phases
        .iter()
        .filter(|(_, p)| p.status() == "booked")
        .count();
    let declined = phases
        .iter()
        .filter(|(_, p)| p.status() == "failed")
        .count();
    assert_eq!(
        (booked, declined),
        (16, 4),
        "{:?}",
        phases.iter().map(|(_, p)| p.status()).collect::<Vec<_>>()
    );
    let report = reconcile(&phases, &system.ledger());
    assert!(report.ok, "{:?}", report.mismatches);
    system.teardown().await;
}
