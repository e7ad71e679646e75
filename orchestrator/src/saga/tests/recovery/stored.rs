//! Recovery phases as stored in the database, old and new.

use super::*;

#[test]
fn recovery_phases_survive_the_database() {
    let unknown = outcome_unknown(&capturing(), Step::Capture);
    let stuck = stuck_by_rechecks(&cancelling_order(), Step::Cancel);
    let aborted = apply(&stuck, abort_request()).saga;
    for saga in [unknown.clone(), stuck, aborted] {
        let json = serde_json::to_value(&saga).unwrap();
        assert_eq!(json["phase"]["status"], status(&saga));
        let back: Saga = serde_json::from_value(json).unwrap();
        assert_eq!(back, saga);
    }
    let json = serde_json::to_value(&unknown).unwrap();
    assert_eq!(json["phase"]["waiting"]["status"], "capturing");
    assert_eq!(json["rechecks"], 1);
}

#[test]
fn a_saga_stored_before_recovery_loads_as_stuck_without_resume() {
    let mut json = serde_json::to_value(ordering()).unwrap();
    let object = json.as_object_mut().unwrap();
    object.remove("rechecks");
    object.remove("compensation_attempts");
    object.insert("order_rechecks".into(), 4.into());
    object.insert(
        "phase".into(),
        serde_json::json!({
            "status": "needs_attention",
            "problem": "hold could not be released: api down",
            "hold": serde_json::to_value(hold()).unwrap(),
            "order": null,
        }),
    );
    let saga: Saga = serde_json::from_value(json).unwrap();
    assert_eq!(saga.rechecks, 4);
    assert_eq!(saga.compensation_attempts, 0);
    assert_eq!(
        saga.phase,
        Phase::Stuck {
            problem: "hold could not be released: api down".into(),
            hold: Some(hold()),
            order: None,
            resume: None,
        }
    );
    assert_eq!(
        try_apply(&saga, retry_request()),
        Err(DecideError::NothingToRetry)
    );
}
