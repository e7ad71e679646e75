//! Failed, cancelled and booked sagas against their objects.

use super::*;

#[test]
fn captures_and_live_orders_of_a_failed_saga_are_found() {
    let s = saga(1);
    let world = World::default()
        .record(record(s, "failed", Standing::Failed))
        .intent(taken("pi_t", s, 100))
        .order(order("ord_l", s, 100, false))
        .order(order("ord_c", s, 100, true));
    assert_eq!(
        world.judge().0,
        vec![
            (FindingClass::CaptureOnCompensatedSaga, "pi_t".into()),
            (FindingClass::OrderOnCompensatedSaga, "ord_l".into()),
        ]
    );
}

#[test]
fn a_cancelled_saga_with_what_it_recorded_gives_nothing() {
    let s = saga(1);
    let world = World::default()
        .record(cancelled(s, Some(40000), Some(30000)))
        .intent(taken("pi_b", s, 40000))
        .order(order("ord_b", s, 40000, true))
        .refunds("pi_b", vec![refund("re_1", "pi_b", 30000, "succeeded")]);
    assert_eq!(world.judge(), (vec![], vec![]));
    let before_booking = World::default()
        .record(cancelled(s, None, None))
        .intent(released("pi_0", s, 100));
    assert_eq!(before_booking.judge(), (vec![], vec![]));
}

#[test]
fn a_cancelled_saga_that_disagrees_with_the_providers_is_found() {
    let s = saga(1);
    let charged_without_record = World::default()
        .record(cancelled(s, None, None))
        .intent(taken("pi_t", s, 100))
        .order(order("ord_l", s, 100, false));
    assert_eq!(
        charged_without_record.judge().0,
        vec![
            (FindingClass::OrderOnCompensatedSaga, "ord_l".into()),
            (FindingClass::CaptureOnCompensatedSaga, "pi_t".into()),
        ]
    );
    let refund_differs = World::default()
        .record(cancelled(s, Some(40000), Some(30000)))
        .intent(taken("pi_b", s, 40000))
        .refunds(
            "pi_b",
            vec![
                refund("re_1", "pi_b", 20000, "succeeded"),
                refund("re_2", "pi_b", 10000, "failed"),
            ],
        );
    assert_eq!(refund_differs.classes(), vec![FindingClass::AmountMismatch]);
    let charge_differs = World::default()
        .record(cancelled(s, Some(40000), None))
        .intent(taken("pi_b", s, 39000));
    assert_eq!(charge_differs.classes(), vec![FindingClass::AmountMismatch]);
    let charged_twice = World::default()
        .record(cancelled(s, Some(40000), None))
        .intent(taken("pi_b", s, 40000))
        .intent(taken("pi_2", s, 40000));
    assert_eq!(charged_twice.classes(), vec![FindingClass::DoubleCapture]);
    let never_captured = World::default()
        .record(cancelled(s, Some(40000), None))
        .intent(released("pi_b", s, 40000));
    assert_eq!(never_captured.classes(), vec![FindingClass::AmountMismatch]);
}

#[test]
fn refunds_that_are_not_known_are_not_judged() {
    let s = saga(1);
    let world = World::default()
        .record(cancelled(s, Some(40000), Some(30000)))
        .intent(taken("pi_b", s, 40000));
    assert_eq!(world.judge(), (vec![], vec![]));
    // Nor is a charge whose intent could not be read.
    let unread = World::default().record(cancelled(s, Some(40000), None));
    assert_eq!(unread.judge(), (vec![], vec![]));
}

#[test]
fn a_booked_order_without_its_capture_is_found() {
    let s = saga(1);
    let world = World::default()
        .record(booked(s, "pi_1", "ord_1", 40000))
        .intent(released("pi_1", s, 40000))
        .order(order("ord_1", s, 40000, false));
    assert_eq!(
        world.judge().0,
        vec![(FindingClass::OrderWithoutCapture, "ord_1".into())]
    );
}

#[test]
fn a_booked_capture_without_its_order_is_found() {
    let s = saga(1);
    let world = World::default()
        .record(booked(s, "pi_1", "ord_1", 40000))
        .intent(taken("pi_1", s, 40000))
        .order(order("ord_1", s, 40000, true));
    assert_eq!(
        world.judge().0,
        vec![(FindingClass::CaptureWithoutOrder, "pi_1".into())]
    );
}

#[test]
fn a_booking_the_providers_do_not_show_at_all_is_a_mismatch() {
    let s = saga(1);
    let world = World::default()
        .record(booked(s, "pi_1", "ord_1", 40000))
        .intent(released("pi_1", s, 40000))
        .order(order("ord_1", s, 40000, true));
    assert_eq!(world.classes(), vec![FindingClass::AmountMismatch]);
}

#[test]
fn nothing_is_taken_as_absent_unless_it_was_read() {
    let s = saga(1);
    // The capture and the order the saga recorded were not read (an
    // incomplete listing, a failed look-up): no finding rests on them.
    let world = World::default()
        .record(booked(s, "pi_1", "ord_1", 40000))
        .order(order("ord_1", s, 40000, false));
    assert_eq!(world.judge(), (vec![], vec![]));
    let world = World::default()
        .record(booked(s, "pi_1", "ord_1", 40000))
        .intent(taken("pi_1", s, 40000));
    assert_eq!(world.judge(), (vec![], vec![]));
}

#[test]
fn every_amount_and_identity_of_a_booking_must_agree() {
    let s = saga(1);
    let capture_differs = World::default()
        .record(booked(s, "pi_1", "ord_1", 40000))
        .intent(taken("pi_1", s, 39000))
        .order(order("ord_1", s, 40000, false));
    assert_eq!(
        capture_differs.classes(),
        vec![FindingClass::AmountMismatch]
    );
    let order_differs = World::default()
        .record(booked(s, "pi_1", "ord_1", 40000))
        .intent(taken("pi_1", s, 40000))
        .order(order("ord_1", s, 41000, false));
    assert_eq!(order_differs.classes(), vec![FindingClass::AmountMismatch]);
    let other_intent = World::default()
        .record(booked(s, "pi_1", "ord_1", 40000))
        .intent(released("pi_1", s, 40000))
        .intent(taken("pi_2", s, 40000))
        .order(order("ord_1", s, 40000, false));
    assert_eq!(other_intent.classes(), vec![FindingClass::AmountMismatch]);
    let other_order = World::default()
        .record(booked(s, "pi_1", "ord_1", 40000))
        .intent(taken("pi_1", s, 40000))
        .order(order("ord_1", s, 40000, true))
        .order(order("ord_2", s, 40000, false));
    assert_eq!(other_order.classes(), vec![FindingClass::AmountMismatch]);
    let refunded = a_clean_booking(s).refunds("pi_1", vec![refund("re", "pi_1", 5, "pending")]);
    assert_eq!(refunded.classes(), vec![FindingClass::AmountMismatch]);
    let failed_refund = a_clean_booking(s).refunds("pi_1", vec![refund("re", "pi_1", 5, "failed")]);
    assert_eq!(failed_refund.judge(), (vec![], vec![]));
}

#[test]
fn two_captures_or_two_live_orders_for_one_saga_are_found() {
    let s = saga(1);
    let twice = a_clean_booking(s).intent(taken("pi_2", s, 40000));
    assert_eq!(
        twice.judge().0,
        vec![(FindingClass::DoubleCapture, s.to_string())]
    );
    let two_orders = a_clean_booking(s).order(order("ord_2", s, 40000, false));
    assert_eq!(
        two_orders.judge().0,
        vec![(FindingClass::DoubleOrder, s.to_string())]
    );
}
