//! Holds, objects naming no saga or one we have no record of, young
//! objects and sagas in flight.

use super::*;

#[test]
fn a_clean_booking_and_its_released_earlier_hold_give_nothing() {
    let s = saga(1);
    let world = a_clean_booking(s).intent(released("pi_0", s, 40000));
    assert_eq!(world.judge(), (vec![], vec![]));
}

#[test]
fn an_old_hold_of_a_finished_saga_is_an_orphan_to_release() {
    let s = saga(1);
    let world = World::default()
        .record(record(s, "failed", Standing::Failed))
        .intent(held("pi_h", s, 12000));
    let (found, releases) = world.judge();
    assert_eq!(found, vec![(FindingClass::OrphanHold, "pi_h".into())]);
    assert_eq!(
        releases,
        vec![Release {
            payment_intent_id: "pi_h".into(),
            saga_id: Some(s),
            amount: usd(12000),
        }]
    );
    // A booked saga counts on its own intent only: an earlier hold is orphaned.
    let booked = a_clean_booking(saga(2)).intent(held("pi_e", saga(2), 100));
    assert_eq!(
        booked.judge().0,
        vec![(FindingClass::OrphanHold, "pi_e".into())]
    );
    // An operator's aborted saga counts on nothing either.
    let aborted = World::default()
        .record(record(s, "aborted", Standing::Aborted))
        .intent(held("pi_h", s, 1))
        .intent(taken("pi_t", s, 1));
    assert_eq!(
        aborted.judge().0,
        vec![(FindingClass::OrphanHold, "pi_h".into())]
    );
}

#[test]
fn a_hold_of_a_saga_with_no_record_is_an_orphan_too() {
    let world = World::default().intent(held("pi_h", saga(9), 500));
    let (found, releases) = world.judge();
    assert_eq!(found, vec![(FindingClass::OrphanHold, "pi_h".into())]);
    assert_eq!(releases.len(), 1);
}

#[test]
fn holds_that_are_young_counted_on_or_not_ours_are_left_alone() {
    let s = saga(1);
    let mut young_hold = held("pi_y", s, 100);
    young_hold.created = young().timestamp();
    let mut foreign = held("pi_f", s, 100);
    foreign.metadata.remove("idempotency_key");
    let mut no_saga = held("pi_n", s, 100);
    no_saga.metadata.remove("saga_id");
    let key = format!("{s}:authorize:2");
    let mut in_flight = held("pi_k", s, 100);
    in_flight
        .metadata
        .insert("idempotency_key".into(), key.clone());
    let world = World::default()
        .record(open(s, &["pi_held"], &[&key]))
        .intent(young_hold)
        .intent(foreign)
        .intent(no_saga)
        .intent(in_flight)
        .intent(held("pi_held", s, 100));
    assert_eq!(world.judge(), (vec![], vec![]));
    // Counted on by id by another saga than the one its metadata names.
    let other = World::default()
        .record(open(saga(2), &["pi_x"], &[]))
        .record(record(s, "failed", Standing::Failed))
        .intent(held("pi_x", s, 100));
    assert_eq!(other.judge(), (vec![], vec![]));
}

#[test]
fn an_unreadable_saga_is_reported_and_its_hold_kept() {
    let s = saga(1);
    let world = World::default()
        .unreadable(s)
        .intent(held("pi_h", s, 100))
        .intent(taken("pi_t", s, 100));
    assert_eq!(
        world.judge(),
        (vec![(FindingClass::UnreadableSaga, s.to_string())], vec![])
    );
}

#[test]
fn objects_naming_a_saga_with_no_record_are_found() {
    let ghost = saga(7);
    let world = World::default()
        .intent(taken("pi_t", ghost, 100))
        .intent(released("pi_c", ghost, 100))
        .order(order("ord_l", ghost, 100, false))
        .order(order("ord_c", ghost, 100, true));
    assert_eq!(
        world.judge().0,
        vec![
            (FindingClass::UnknownSaga, "pi_t".into()),
            (FindingClass::UnknownSaga, "ord_l".into()),
        ]
    );
}

#[test]
fn young_objects_and_sagas_in_flight_are_not_findings() {
    let s = saga(1);
    let mut young_capture = taken("pi_2", s, 40000);
    young_capture.created = young().timestamp();
    let judged_later = a_clean_booking(s).intent(young_capture);
    assert_eq!(judged_later.judge(), (vec![], vec![]));
    let mut young_order = order("ord_l", saga(7), 100, false);
    young_order.created_at = Some(young());
    let young_ghost = World::default().order(young_order);
    assert_eq!(young_ghost.judge(), (vec![], vec![]));
    let in_flight = World::default()
        .record(open(s, &["pi_1"], &[]))
        .intent(taken("pi_1", s, 40000))
        .intent(taken("pi_2", s, 40000));
    assert_eq!(in_flight.judge(), (vec![], vec![]));
}

#[test]
fn a_young_object_does_not_hide_the_old_ones_of_its_saga() {
    let s = saga(1);
    let mut young_hold = held("pi_y", s, 100);
    young_hold.created = young().timestamp();
    let world = World::default()
        .record(record(s, "failed", Standing::Failed))
        .intent(young_hold)
        .intent(taken("pi_t", s, 100));
    assert_eq!(
        world.judge().0,
        vec![(FindingClass::CaptureOnCompensatedSaga, "pi_t".into())]
    );
}

#[test]
fn a_saga_whose_recorded_objects_are_young_is_not_judged_yet() {
    let s = saga(1);
    let mut just_captured = taken("pi_1", s, 40000);
    just_captured.created = young().timestamp();
    let world = World::default()
        .record(booked(s, "pi_1", "ord_1", 40000))
        .intent(just_captured)
        .order(order("ord_1", s, 40000, true))
        .order(order("ord_2", s, 40000, false))
        .order(order("ord_3", s, 40000, false));
    assert_eq!(world.judge(), (vec![], vec![]));
}

#[test]
fn objects_that_name_no_saga_are_not_ours_to_judge() {
    let mut foreign = taken("pi_x", saga(1), 100);
    foreign.metadata.clear();
    let mut foreign_order = order("ord_x", saga(1), 100, false);
    foreign_order.metadata.clear();
    let world = World::default().intent(foreign).order(foreign_order);
    assert_eq!(world.judge(), (vec![], vec![]));
}
