//! Erasure of a traveller's data against the real system: asked for at
//! every stage of a booking, it stops what runs (no hold left, no ticket
//! half-made), keeps a booked flight and its financial record, and leaves
//! none of the traveller's personal data in any table.

use std::collections::HashMap;
use std::time::Duration;

use uuid::Uuid;

use autobook_contracts::codes::UserId;
use autobook_gateway::privacy::request_erasure;
use autobook_orchestrator::testing::{passengers, records, sagas};
use autobook_tests::control::settled_records;
use autobook_tests::trips::trip_with;
use autobook_tests::{TestSystem, spawn};

/// The answers an erasure is asked for right after, in booking order
/// (plus "none": asked for at once).
const ERASE_AFTER: &[&str] = &[
    "search.offers_found",
    "payment.authorized",
    "order.created",
    "payment.captured",
    "notification.sent",
];

/// Personal data of traveller `n`, distinctive enough to find anywhere.
fn personal(n: usize) -> [String; 6] {
    let letters: String = format!("{n:03}")
        .chars()
        .map(|d| char::from(b'a' + d.to_digit(10).unwrap_or(0) as u8))
        .collect();
    [
        format!("Quenby{letters}"),
        format!("Vortigern{letters}"),
        format!("quenby.{letters}@erasure.example"),
        format!("+1415555{n:04}"),
        format!("19{:02}-03-1{}", 40 + n % 50, n % 10),
        format!("EZ{n:06}{}", letters.to_ascii_uppercase()),
    ]
}

fn trip_of(n: usize) -> autobook_contracts::trip::TripRequest {
    let [given, family, email, phone, born, passport] = personal(n);
    trip_with(|value| {
        value["user_id"] = format!("usr_erase_{n}").into();
        let passenger = &mut value["passengers"][0];
        passenger["given_name"] = given.into();
        passenger["family_name"] = family.into();
        passenger["email"] = email.clone().into();
        passenger["phone_number"] = phone.into();
        passenger["born_on"] = born.into();
        passenger["identity_document"] = serde_json::json!({
            "type": "passport", "unique_identifier": passport,
            "issuing_country_code": "CA", "expires_on": "2041-06-30"
        });
        value["contact_email"] = email.into();
    })
}

async fn dump(system: &TestSystem) -> String {
    autobook_tests::dump_tables(&system.stack().pool).await
}

async fn completed(system: &TestSystem, erasure: Uuid) {
    autobook_tests::erasure_completed(&system.stack().pool, erasure).await;
}

#[tokio::test]
async fn erasure_at_every_stage_stops_safely_and_leaves_no_personal_data() {
    let system = spawn().await;
    let pool = system.stack().pool.clone();
    let mut answers = system.observe(ERASE_AFTER).await;
    let mut waiting: HashMap<Uuid, (&str, usize)> = HashMap::new();
    let mut erasures = Vec::new();
    let mut ids = Vec::new();
    for n in 0..12 {
        // Accepted as the gateway accepts a trip: recorded, then published.
        let id = Uuid::now_v7();
        autobook_orchestrator::testing::submissions::record(&pool, id, &format!("usr_erase_{n}"))
            .await
            .unwrap();
        system.stack().submit(id, trip_of(n)).await.unwrap();
        ids.push((id, n));
        match ERASE_AFTER.get(n % (ERASE_AFTER.len() + 1)) {
            Some(step) => {
                waiting.insert(id, (step, n));
            }
            None => {
                let user = UserId::parse(&format!("usr_erase_{n}")).unwrap();
                erasures.push(request_erasure(&pool, &user).await.unwrap());
            }
        }
    }
    while !waiting.is_empty() {
        let answer = answers
            .next(Duration::from_secs(30))
            .await
            .expect("every trip's step answers");
        let step = answer.message_type().as_str();
        if let Some((wanted, n)) = waiting.get(&answer.saga_id).copied()
            && wanted == step
        {
            waiting.remove(&answer.saga_id);
            let user = UserId::parse(&format!("usr_erase_{n}")).unwrap();
            let receipt = request_erasure(&pool, &user).await.unwrap();
            // Asking again while it is pending is the same erasure.
            assert_eq!(
                request_erasure(&pool, &user).await.unwrap().erasure_id,
                receipt.erasure_id
            );
            erasures.push(receipt);
        }
    }
    for receipt in &erasures {
        completed(&system, receipt.erasure_id).await;
    }

    let ledger = system.ledger();
    let mut phases = Vec::new();
    for (id, n) in &ids {
        let row = system.saga(*id).await.unwrap();
        assert!(row.terminal, "{id}: stopped ({})", row.status);
        assert!(
            ["booked", "cancelled"].contains(&row.status.as_str()),
            "{id}: {}",
            row.status
        );
        assert!(
            row.user_id.starts_with("erased:"),
            "{id}: kept rows carry the pseudonym"
        );
        let (_, orders) = settled_records(&ledger, *id);
        if row.status == "booked" {
            // The flight stays booked; our copy keeps the financial record.
            assert!(orders.iter().all(|o| !o.cancelled), "{id}: ticket kept");
            let booking = records::booking_of_saga(&pool, *id).await.unwrap();
            let booking = (booking.booking_reference, booking.amount_minor);
            assert!(!booking.0.is_empty() && booking.1 > 0, "{id}: {booking:?}");
        } else {
            assert!(orders.iter().all(|o| o.cancelled), "{id}: no live ticket");
        }
        let [given, family, email, phone, born, passport] = personal(*n);
        let exported = autobook_gateway::privacy::export(
            &pool,
            &system.stack().vault,
            &UserId::parse(&format!("usr_erase_{n}")).unwrap(),
            chrono::Utc::now(),
        )
        .await
        .unwrap();
        assert_eq!(exported["trips"].as_array().map(Vec::len), Some(0), "{n}");
        let _ = (given, family, email, phone, born, passport);
        phases.push((*id, row.saga.phase));
    }
    let cancelled = phases
        .iter()
        .filter(|(_, phase)| phase.status() == "cancelled")
        .count();
    assert!(
        cancelled >= 1,
        "trips erased before their booking are stopped, not all booked"
    );
    let report = autobook_harness::reconcile::reconcile(&phases, &ledger);
    assert!(report.ok, "{report:?}");

    // No table holds any of the travellers' personal data, in clear or sealed.
    let everything = dump(&system).await;
    for (_, n) in &ids {
        for value in personal(*n) {
            assert!(!everything.contains(&value), "{value} is still stored");
        }
    }
    let sealed_left = sagas::holding_sealed_personal_data(&pool).await.unwrap();
    assert_eq!(sealed_left, 0, "no sealed personal data is left either");
    let erasure_rows: Vec<(Option<String>, String)> = records::erasures(&pool)
        .await
        .unwrap()
        .into_iter()
        .map(|e| (e.user_id, e.status))
        .collect();
    assert_eq!(erasure_rows.len(), erasures.len());
    assert!(
        erasure_rows
            .iter()
            .all(|(user, status)| user.is_none() && status == "completed"),
        "{erasure_rows:?}"
    );
    system.teardown().await;
}

#[tokio::test]
async fn erasure_of_a_watched_and_a_paused_trip_stops_them_and_forgets_the_flags() {
    let system = autobook_tests::spawn_with(|config| {
        config.orchestrator.policy.watch = Some(autobook_orchestrator::saga::WatchPolicy {
            interval: Duration::from_secs(3600),
            ..autobook_orchestrator::saga::WatchPolicy::default()
        });
    })
    .await;
    let pool = system.stack().pool.clone();
    // Traveller 100 watches: no fare is within one dollar.
    let watched = system.submit(trip_with_max(trip_of(100), 100)).await;
    system.reaches(watched, "watching").await;
    // Traveller 101 has the pipeline turned off for them: the trip waits paused.
    let paused_user = UserId::parse("usr_erase_101").unwrap();
    let note = autobook_flags::postgres::ChangeNote::new("erasure-test", "hold one user").unwrap();
    autobook_flags::postgres::set_pipeline(&pool, Some(&paused_user), false, &note)
        .await
        .unwrap();
    let seen = autobook_flags::wait_for_decision(
        system.stack().flags.as_ref(),
        paused_user.as_str(),
        Duration::from_secs(5),
        |decision| !decision.money_may_move(),
    )
    .await;
    assert!(seen, "the flags did not see the override within 5 s");
    let paused = system.submit(trip_of(101)).await;
    system.reaches(paused, "paused").await;

    for (n, id) in [(100, watched), (101, paused)] {
        let user = UserId::parse(&format!("usr_erase_{n}")).unwrap();
        let receipt = request_erasure(&pool, &user).await.unwrap();
        completed(&system, receipt.erasure_id).await;
        let row = system.saga(id).await.unwrap();
        assert_eq!(row.status, "cancelled", "{n}");
    }
    assert!(
        system.ledger().payment_intents.is_empty(),
        "nothing was ever held"
    );
    let overrides = autobook_flags::testing::overrides_of_user(&pool, "usr_erase_101")
        .await
        .unwrap();
    let audit_naming = autobook_flags::testing::audit_entries_of_user(&pool, "usr_erase_101")
        .await
        .unwrap();
    assert_eq!(
        (overrides, audit_naming),
        (0, 0),
        "the flags forget the user"
    );
    let everything = dump(&system).await;
    for n in [100, 101] {
        for value in personal(n) {
            assert!(!everything.contains(&value), "{value} is still stored");
        }
        let user = format!("usr_erase_{n}");
        let naming: Vec<&str> = everything.lines().filter(|l| l.contains(&user)).collect();
        assert!(naming.is_empty(), "user {n} is still named: {naming:?}");
    }
    system.teardown().await;
}

fn trip_with_max(
    trip: autobook_contracts::trip::TripRequest,
    max_minor: i64,
) -> autobook_contracts::trip::TripRequest {
    let mut value = serde_json::to_value(trip).unwrap();
    value["max_price"]["amount_minor"] = max_minor.into();
    serde_json::from_value(value).unwrap()
}

/// An erasure completed before pseudonyms were keyed (its row holding the
/// plain SHA-256 of the user id, its records the pseudonym made from it)
/// is re-keyed by the next pass: every record then carries the pseudonym
/// a new erasure of the same user would give, and a second pass changes
/// nothing.
#[tokio::test]
async fn an_erasure_from_before_keyed_pseudonyms_is_rekeyed_exactly() {
    use autobook_orchestrator::privacy::erasure::rekey_legacy;
    use autobook_orchestrator::privacy::pseudonym::legacy_pseudonym;
    use autobook_orchestrator::privacy::{PseudonymKey, subject_of};

    let key = PseudonymKey::generate();
    let orchestrator_key = key.clone();
    let system = autobook_tests::spawn_with(|config| {
        config.orchestrator.erasure.key = orchestrator_key;
    })
    .await;
    let pool = system.stack().pool.clone();
    let id = system.submit(trip_of(120)).await;
    assert_eq!(system.finished(id).await.status, "booked");
    let user = "usr_erase_120";
    let receipt = request_erasure(&pool, &UserId::parse(user).unwrap())
        .await
        .unwrap();
    completed(&system, receipt.erasure_id).await;

    // As the records of such an erasure were left.
    let plain = subject_of(user);
    let legacy = legacy_pseudonym(&plain);
    records::overwrite_erasure_subject(&pool, receipt.erasure_id, &plain)
        .await
        .unwrap();
    sagas::overwrite_user(&pool, id, &legacy).await.unwrap();
    records::overwrite_booking_user(&pool, id, &legacy)
        .await
        .unwrap();
    passengers::overwrite_user(&pool, id, &legacy)
        .await
        .unwrap();

    // The orchestrators' next erasure pass re-keys it (within 15 s).
    let rekeyed = key.subject(user);
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(15);
    loop {
        let subject = records::erasure(&pool, receipt.erasure_id)
            .await
            .unwrap()
            .subject;
        if subject == rekeyed {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the erasure was not re-keyed by a pass"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let expected = key.pseudonym(user);
    let (saga_user, state_user) = sagas::users(&pool, id).await.unwrap();
    assert_eq!(
        (saga_user.as_str(), state_user.as_str()),
        (expected.as_str(), expected.as_str())
    );
    let booking = records::booking_of_saga(&pool, id).await.unwrap();
    assert_eq!(booking.user_id, expected, "bookings");
    let kept = passengers::of_saga(&pool, id).await.unwrap();
    assert!(!kept.is_empty(), "passengers");
    for passenger in kept {
        assert_eq!(passenger.user_id, expected, "passengers");
    }
    let subject = records::erasure(&pool, receipt.erasure_id)
        .await
        .unwrap()
        .subject;
    assert_eq!(subject, key.subject(user));
    assert_eq!(rekey_legacy(&pool, &key).await.unwrap(), 0, "done once");
    let everything = dump(&system).await;
    assert!(!everything.contains(&legacy), "the old pseudonym is gone");
    assert!(!everything.contains(&plain), "the plain hash is gone");
    system.teardown().await;
}
