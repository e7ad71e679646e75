//! The executor against real PostgreSQL: inbox de-duplication, optimistic
//! concurrency under concurrent writers, rejections that change nothing
//! (replies that answer none of the saga's commands among them), and
//! durable timers.

use std::time::Duration;

use chrono::Utc;
use sqlx::PgPool;
use uuid::Uuid;

use autobook_contracts::events::OffersFound;
use autobook_contracts::trace::TraceContext;
use autobook_contracts::{Envelope, IdempotencyKey, Message, Step};
use autobook_orchestrator::saga::Policy;
use autobook_orchestrator::store::{Handled, SagaStore, load_saga};
use autobook_orchestrator::testing::{self, sagas::StoredRows};
use autobook_tests::database::Database;
use autobook_tests::trips::{trip, trip_with};
use autobook_vault::Keyring;

struct Db {
    database: Database,
    pool: PgPool,
    vault: Keyring,
}

async fn database() -> Db {
    let database = Database::create(8).await;
    Db {
        pool: database.pool.clone(),
        database,
        vault: Keyring::generate("k1").unwrap(),
    }
}

impl Db {
    async fn drop(self) {
        self.database.drop().await;
    }

    /// `reply` as the worker would send it: caused by the saga's command.
    async fn answer(&self, saga: Uuid, reply: impl Into<Message>) -> Envelope {
        autobook_tests::commands::answer(&self.pool, &self.vault, saga, reply).await
    }

    /// The rows of the store's tables that belong to `saga`.
    async fn stored(&self, saga: Uuid) -> StoredRows {
        testing::sagas::stored_rows(&self.pool, Some(saga))
            .await
            .unwrap()
    }
}

fn offers(saga: Uuid) -> Message {
    OffersFound {
        idempotency_key: IdempotencyKey::derive(saga, Step::Search, 1),
        offer_request_id: "orq".into(),
        offers: vec![],
    }
    .into()
}

#[tokio::test]
async fn a_redelivered_message_is_recognised_and_changes_nothing() {
    let db = database().await;
    let store = SagaStore::new(db.pool.clone(), Policy::default(), db.vault.clone());
    let saga = Uuid::now_v7();
    let start = Envelope::new(saga, trip());
    assert!(matches!(
        store.handle(&start, Utc::now()).await.unwrap(),
        Handled::Applied {
            from: None,
            to: "searching"
        }
    ));
    assert_eq!(
        store.handle(&start, Utc::now()).await.unwrap(),
        Handled::Duplicate
    );
    let row = load_saga(&db.pool, &db.vault, saga).await.unwrap().unwrap();
    assert_eq!(row.version, 1);
    assert_eq!(db.stored(saga).await.outbox, 1, "one search command");
    assert_eq!(db.stored(saga).await.audit, 1);

    let again = Envelope::new(saga, trip());
    assert!(matches!(
        store.handle(&again, Utc::now()).await.unwrap(),
        Handled::Rejected {
            code: "saga_already_exists",
            ..
        }
    ));
    db.drop().await;
}

#[tokio::test]
async fn concurrent_events_for_one_saga_are_serialised_by_version() {
    let db = database().await;
    let store = SagaStore::new(db.pool.clone(), Policy::default(), db.vault.clone());
    let saga = Uuid::now_v7();
    store
        .handle(&Envelope::new(saga, trip()), Utc::now())
        .await
        .unwrap();
    // The same reply, twice, with different message ids, at the same time.
    let (a, b) = (
        db.answer(saga, offers(saga)).await,
        db.answer(saga, offers(saga)).await,
    );
    let (ra, rb) = tokio::join!(store.handle(&a, Utc::now()), store.handle(&b, Utc::now()));
    let results = [ra.unwrap(), rb.unwrap()];
    let applied = results
        .iter()
        .filter(|r| matches!(r, Handled::Applied { .. }))
        .count();
    let refused = results
        .iter()
        .filter(|r| {
            matches!(
                r,
                Handled::Rejected {
                    code: "illegal_transition" | "stale_reply",
                    ..
                }
            )
        })
        .count();
    assert_eq!((applied, refused), (1, 1), "{results:?}");
    let row = load_saga(&db.pool, &db.vault, saga).await.unwrap().unwrap();
    assert_eq!(row.version, 2);
    assert_eq!(db.stored(saga).await.audit, 2);
    assert_eq!(db.stored(saga).await.inbox, 2, "the loser is not recorded");
    db.drop().await;
}

#[tokio::test]
async fn rejected_messages_leave_no_trace() {
    let db = database().await;
    let store = SagaStore::new(db.pool.clone(), Policy::default(), db.vault.clone());
    let orphan = Uuid::now_v7();
    let result = store
        .handle(&Envelope::new(orphan, offers(orphan)), Utc::now())
        .await
        .unwrap();
    assert!(matches!(
        result,
        Handled::Rejected {
            code: "unknown_saga",
            ..
        }
    ));
    let stale = trip_with(|t| t["departure_date"] = "2020-02-02".into());
    let result = store
        .handle(&Envelope::new(orphan, stale), Utc::now())
        .await
        .unwrap();
    assert!(
        matches!(&result, Handled::Rejected { code: "invalid_trip", reason }
            if reason.contains("payload.departure_date") && !reason.contains("2020-02-02")),
        "{result:?}"
    );
    let stored = db.stored(orphan).await;
    for (table, rows) in [
        ("sagas", stored.sagas),
        ("inbox", stored.inbox),
        ("outbox", stored.outbox),
    ] {
        assert_eq!(rows, 0, "{table}");
    }
    db.drop().await;
}

/// A reply is taken only as the answer to one of the saga's commands for
/// its step: naming no cause, a message that is not one of the saga's
/// commands (a random id, the trip request, another saga's command), or a
/// command of another step, it is rejected and leaves no trace.
#[tokio::test]
async fn a_reply_that_answers_none_of_the_sagas_commands_is_rejected() {
    let db = database().await;
    let store = SagaStore::new(db.pool.clone(), Policy::default(), db.vault.clone());
    let (saga, other) = (Uuid::now_v7(), Uuid::now_v7());
    let start = Envelope::new(saga, trip());
    store.handle(&start, Utc::now()).await.unwrap();
    store
        .handle(&Envelope::new(other, trip()), Utc::now())
        .await
        .unwrap();
    let search = &autobook_tests::commands::sent(&db.pool, &db.vault, saga).await[0];
    let foreign = &autobook_tests::commands::sent(&db.pool, &db.vault, other).await[0];
    let with_cause = |cause: Option<Uuid>| Envelope {
        causation_id: cause,
        ..Envelope::caused_by(search, offers(saga))
    };
    let cases = [
        (with_cause(None), "unknown_cause", "names no cause"),
        (
            with_cause(Some(Uuid::now_v7())),
            "unknown_cause",
            "no command this saga sent",
        ),
        (
            with_cause(Some(start.message_id)),
            "unknown_cause",
            "no command this saga sent",
        ),
        (
            with_cause(Some(foreign.message_id)),
            "unknown_cause",
            "no command this saga sent",
        ),
    ];
    for (reply, code, why) in cases {
        let handled = store.handle(&reply, Utc::now()).await.unwrap();
        assert!(
            matches!(&handled, Handled::Rejected { code: c, reason } if *c == code && reason.contains(why)),
            "{handled:?}"
        );
    }
    // The search command names the search step; an answer with another
    // key (a forged one) names a command of another step.
    let elsewhere = OffersFound {
        idempotency_key: IdempotencyKey::derive(saga, Step::Search, 2),
        offer_request_id: "orq".into(),
        offers: vec![],
    };
    let handled = store
        .handle(&Envelope::caused_by(search, elsewhere), Utc::now())
        .await
        .unwrap();
    assert!(
        matches!(
            handled,
            Handled::Rejected {
                code: "mismatched_cause",
                ..
            }
        ),
        "{handled:?}"
    );
    let row = load_saga(&db.pool, &db.vault, saga).await.unwrap().unwrap();
    assert_eq!((row.version, row.status.as_str()), (1, "searching"));
    assert_eq!(db.stored(saga).await.inbox, 1, "only the trip request");
    // The real answer to the search goes through.
    let answered = store
        .handle(&Envelope::caused_by(search, offers(saga)), Utc::now())
        .await
        .unwrap();
    assert!(matches!(answered, Handled::Applied { .. }), "{answered:?}");
    db.drop().await;
}

/// A saga running when the record of commands appeared: the migration
/// records the commands it had sent (from the outbox, without their step),
/// and the answers to them are still taken; a made-up cause is not.
#[tokio::test]
async fn commands_sent_before_the_record_existed_still_cause_their_answers() {
    let db = database().await;
    let store = SagaStore::new(db.pool.clone(), Policy::default(), db.vault.clone());
    let saga = Uuid::now_v7();
    store
        .handle(&Envelope::new(saga, trip()), Utc::now())
        .await
        .unwrap();
    // As before the migration: no record; then the migration runs.
    testing::commands::rerun_command_record_migration(&db.pool)
        .await
        .unwrap();
    let recorded = testing::commands::recorded_key(&db.pool, saga)
        .await
        .unwrap();
    assert_eq!(recorded, None, "recorded without its step");
    let forged = Envelope {
        causation_id: Some(Uuid::now_v7()),
        ..db.answer(saga, offers(saga)).await
    };
    let refused = store.handle(&forged, Utc::now()).await.unwrap();
    assert!(
        matches!(
            refused,
            Handled::Rejected {
                code: "unknown_cause",
                ..
            }
        ),
        "{refused:?}"
    );
    let answered = store
        .handle(&db.answer(saga, offers(saga)).await, Utc::now())
        .await
        .unwrap();
    assert!(matches!(answered, Handled::Applied { .. }), "{answered:?}");
    db.drop().await;
}

#[tokio::test]
async fn an_unknown_step_outcome_sets_a_durable_timer_that_fires_into_the_outbox() {
    let db = database().await;
    let policy = Policy {
        recheck_delay: Duration::ZERO,
        ..Policy::default()
    };
    let store = SagaStore::new(db.pool.clone(), policy, db.vault.clone());
    let saga = Uuid::now_v7();
    let now = Utc::now();
    store
        .handle(&Envelope::new(saga, trip()), now)
        .await
        .unwrap();
    // Drive the saga to ordering with an acceptable offer (on the trip's day).
    let day = trip().departure_date;
    let offer_json = serde_json::json!({
        "offer_id": "off_1", "total": {"amount_minor": 30000, "currency": "USD"},
        "expires_at": now + chrono::Duration::minutes(30), "owner": "AA", "owner_name": "American Airlines",
        "cabin_class": "economy", "passenger_ids": ["pas_1"],
        "slices": [{"origin": "JFK", "destination": "LAX", "departing_at": format!("{day}T08:00:00"),
                    "arriving_at": format!("{day}T11:00:00"), "duration_minutes": 360, "stops": 0, "flights": ["AA1"]}]
    });
    let found = OffersFound {
        idempotency_key: IdempotencyKey::derive(saga, Step::Search, 1),
        offer_request_id: "orq".into(),
        offers: vec![serde_json::from_value(offer_json).unwrap()],
    };
    store
        .handle(&db.answer(saga, found).await, now)
        .await
        .unwrap();
    let authorized = autobook_contracts::events::PaymentAuthorized {
        idempotency_key: IdempotencyKey::derive(saga, Step::Authorize, 1),
        payment_intent_id: "pi_1".into(),
        amount: autobook_contracts::Money::new(30000, autobook_contracts::Currency::USD),
    };
    store
        .handle(&db.answer(saga, authorized).await, now)
        .await
        .unwrap();
    let unknown = autobook_contracts::events::StepOutcomeUnknown {
        idempotency_key: IdempotencyKey::derive(saga, Step::Order, 1),
        step: Step::Order,
        detail: "timeout".into(),
    };
    let unknown = db.answer(saga, unknown).await;
    store.handle(&unknown, now).await.unwrap();
    assert_eq!(
        testing::timers::unfired_count(&db.pool, saga, Some("recheck_step"))
            .await
            .unwrap(),
        1
    );
    // The offer's expiry (in 29 minutes) and the hold's lapse guard (in six
    // days) are timers too, not yet due.
    assert_eq!(
        testing::timers::unfired_count(&db.pool, saga, None)
            .await
            .unwrap(),
        3
    );

    let fired = autobook_orchestrator::timers::fire_due(&db.pool, &db.vault, now, 10)
        .await
        .unwrap();
    assert_eq!(fired, 1);
    assert_eq!(
        autobook_orchestrator::timers::fire_due(&db.pool, &db.vault, now, 10)
            .await
            .unwrap(),
        0,
        "a timer fires once"
    );
    let timer_messages = testing::outbox::of_type(&db.pool, saga, "saga.timer_fired")
        .await
        .unwrap();
    assert_eq!(timer_messages.len(), 1);
    let timer_trace = timer_messages[0]
        .traceparent
        .clone()
        .expect("the timer's message carries its trace");
    let timer_trace = TraceContext::parse(&timer_trace, None).unwrap();
    assert_eq!(
        timer_trace.trace_id(),
        unknown.trace.trace_id(),
        "the timer stays in the trace of the event that set it"
    );
    db.drop().await;
}

#[tokio::test]
async fn fired_timers_are_purged_once_old_in_batches_and_only_them() {
    let db = database().await;
    let store = SagaStore::new(db.pool.clone(), Policy::default(), db.vault.clone());
    let saga = Uuid::now_v7();
    let now = Utc::now();
    store
        .handle(&Envelope::new(saga, trip()), now)
        .await
        .unwrap();
    // Five timers fired ten days ago, one fired yesterday, one not fired.
    let timer = serde_json::json!({"kind": "recheck_step", "idempotency_key": "k"});
    for fired in [Some(10); 5]
        .into_iter()
        .chain([Some(1), None])
        .map(|days: Option<i64>| days.map(|d| now - chrono::Duration::days(d)))
    {
        testing::timers::plant(&db.pool, saga, &timer, now, fired)
            .await
            .unwrap();
    }
    let week_ago = now - chrono::Duration::days(7);
    let purged = autobook_orchestrator::timers::purge_fired(&db.pool, week_ago, 2)
        .await
        .unwrap();
    assert_eq!(purged, 5, "every old fired timer, two per statement");
    assert_eq!(
        autobook_orchestrator::timers::purge_fired(&db.pool, week_ago, 2)
            .await
            .unwrap(),
        0,
        "purging again finds nothing"
    );
    let left = testing::timers::count_with_key(&db.pool, saga, "k")
        .await
        .unwrap();
    assert_eq!(left, 2, "the recent fired timer and the pending one stay");
    db.drop().await;
}
