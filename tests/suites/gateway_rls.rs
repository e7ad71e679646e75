//! Row-level security: through the gateway's database role a traveller
//! sees only their own rows, even with hand-written queries, and cannot
//! read the system's tables at all; over HTTP, another traveller's trip or
//! booking is a 404 exactly like one that does not exist.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;
use sqlx::{AssertSqlSafe, PgPool};
use uuid::Uuid;

use autobook_contracts::codes::UserId;
use autobook_gateway::db::as_user;
use autobook_orchestrator::testing::row_security::{self, PlantedRows};
use autobook_orchestrator::testing::sagas;
use autobook_tests::gateway::{spawn_gateway, token, trip_body};
use autobook_tests::spawn;

/// One user's rows in every table holding user data, written as the
/// tables' owner.
async fn plant(pool: &PgPool, user: &str) -> PlantedRows {
    row_security::plant_user_rows(pool, user).await.unwrap()
}

/// Every table with user data, and how to tell whose a row is.
fn user_tables() -> impl Iterator<Item = &'static (&'static str, &'static str)> {
    row_security::USER_TABLES.iter()
}

async fn owners(pool: &PgPool, user: &str, sql: &str) -> Result<Vec<Option<String>>, sqlx::Error> {
    let mut tx = as_user(pool, &UserId::parse(user).unwrap()).await?;
    let rows = sqlx::query_scalar(AssertSqlSafe(sql.to_owned()))
        .fetch_all(&mut *tx)
        .await;
    tx.rollback().await?;
    rows
}

#[tokio::test]
async fn through_the_gateway_role_a_user_sees_only_their_own_rows() {
    let system = spawn().await;
    let pool = &system.stack().pool;
    let a = plant(pool, "usr_alice").await;
    let b = plant(pool, "usr_bob").await;

    for (table, owner) in user_tables() {
        // Everything, as a careless query would ask.
        let seen = owners(pool, "usr_alice", &format!("SELECT {owner} FROM {table}"))
            .await
            .unwrap();
        assert_eq!(seen, vec![Some("usr_alice".to_owned())], "{table}");
        // Hand-written for Bob's rows, and with the classic injection.
        for filter in [
            "WHERE true".to_owned(),
            format!("WHERE {owner} = 'usr_bob'"),
            format!("WHERE {owner} = 'usr_bob' OR '1' = '1'"),
        ] {
            let sql = format!("SELECT {owner} FROM {table} {filter}");
            let seen = owners(pool, "usr_alice", &sql).await.unwrap();
            assert!(
                !seen.contains(&Some("usr_bob".to_owned())),
                "{sql} showed Bob's rows"
            );
        }
        // Bob sees his.
        let seen = owners(pool, "usr_bob", &format!("SELECT {owner} FROM {table}"))
            .await
            .unwrap();
        assert_eq!(seen, vec![Some("usr_bob".to_owned())], "{table}");
    }
    // By id, through every join: nothing of Bob's.
    let sql = row_security::owner_across_joins(b.saga, b.booking);
    assert!(owners(pool, "usr_alice", &sql).await.unwrap().is_empty());
    let sql = row_security::booking_owner(a.booking);
    assert_eq!(owners(pool, "usr_alice", &sql).await.unwrap().len(), 1);

    // Without a user id set, the role sees nobody's rows.
    let mut tx = pool.begin().await.unwrap();
    sqlx::query("SET LOCAL ROLE autobook_gateway")
        .execute(&mut *tx)
        .await
        .unwrap();
    for (table, _) in user_tables() {
        let count: i64 = sqlx::query_scalar(AssertSqlSafe(format!("SELECT count(*) FROM {table}")))
            .fetch_one(&mut *tx)
            .await
            .unwrap();
        assert_eq!(count, 0, "{table} without a user");
    }
    tx.rollback().await.unwrap();
    system.teardown().await;
}

#[tokio::test]
async fn the_gateway_role_cannot_read_the_systems_tables_or_write_others_rows() {
    let system = spawn().await;
    let pool = &system.stack().pool;
    let b = plant(pool, "usr_bob").await;
    let granted: Vec<&str> = user_tables().map(|(table, _)| *table).collect();
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT tablename::text FROM pg_tables WHERE schemaname = 'public' ORDER BY 1",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    for required in [
        "outbox",
        "inbox",
        "saga_timers",
        "provider_calls",
        "dead_letters",
    ] {
        assert!(tables.iter().any(|t| t == required), "{required} exists");
    }
    for table in tables.iter().filter(|t| !granted.contains(&t.as_str())) {
        let denied = owners(
            pool,
            "usr_alice",
            &format!("SELECT 1::text FROM {table} LIMIT 1"),
        )
        .await;
        let code = denied.err().and_then(|e| {
            e.as_database_error()
                .and_then(|d| d.code().map(|c| c.into_owned()))
        });
        assert_eq!(
            code.as_deref(),
            Some("42501"),
            "{table} is readable by the gateway role"
        );
    }
    let alice = UserId::parse("usr_alice").unwrap();
    for write in row_security::writes_to_others_rows(b.saga, b.booking, "usr_bob") {
        let mut tx = as_user(pool, &alice).await.unwrap();
        let result = sqlx::query(AssertSqlSafe(write.clone()))
            .execute(&mut *tx)
            .await;
        assert!(result.is_err(), "{write} was allowed");
    }
    let status = sagas::status(pool, b.saga).await.unwrap();
    assert_eq!(status, "booked");
    system.teardown().await;
}

#[tokio::test]
async fn another_travellers_trip_or_booking_is_404_never_403() {
    let system = spawn_gateway().await;
    let pool = &system.stack().pool;
    let api = system.api();
    let (alice, bob) = (token("usr_alice"), token("usr_bob"));
    let bob_booked = plant(pool, "usr_bob").await;
    let submitted = api.submit(&bob, &trip_body()).await;
    assert_eq!(submitted.status, StatusCode::ACCEPTED, "{}", submitted.text);
    let bob_submitted = submitted.body["trip_id"].as_str().unwrap().to_owned();

    let nobody = api
        .get(&format!("/v1/trip-requests/{}", Uuid::now_v7()), &alice)
        .await;
    assert_eq!(nobody.status, StatusCode::NOT_FOUND);
    for path in [
        format!("/v1/trip-requests/{}", bob_booked.saga),
        format!("/v1/trip-requests/{bob_submitted}"),
    ] {
        let answer = api.get(&path, &alice).await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(
            answer.body, nobody.body,
            "{path}: unlike a trip that does not exist"
        );
        assert_eq!(
            api.get(&path, &bob).await.status,
            StatusCode::OK,
            "{path} for Bob"
        );
    }
    let nobody = api
        .get(&format!("/v1/bookings/{}", Uuid::now_v7()), &alice)
        .await;
    let answer = api
        .get(&format!("/v1/bookings/{}", bob_booked.booking), &alice)
        .await;
    assert_eq!(
        (answer.status, &answer.body),
        (StatusCode::NOT_FOUND, &nobody.body)
    );
    let own = api
        .get(&format!("/v1/bookings/{}", bob_booked.booking), &bob)
        .await;
    assert_eq!(own.status, StatusCode::OK, "{}", own.text);
    assert_eq!(own.body["booking_reference"], "PNRBOB");
    for malformed in ["not-a-uuid", "1%27%20OR%20%271%27%3D%271", "%3Cscript%3E"] {
        let answer = api
            .get(&format!("/v1/trip-requests/{malformed}"), &alice)
            .await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{malformed}");
        assert_eq!(answer.code(), "not_found");
    }

    // Alice cannot cancel Bob's trip: 404, and nothing is published (the
    // first cancellation the broker routes is Bob's own, sent after).
    let mut cancels = system.observe(&["trip.cancel_requested"]).await;
    let answer = api
        .post(
            &format!("/v1/trip-requests/{}/cancel", bob_booked.saga),
            &alice,
            &json!({}),
        )
        .await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND, "{}", answer.text);
    let own = api
        .post(
            &format!("/v1/trip-requests/{bob_submitted}/cancel"),
            &bob,
            &json!({}),
        )
        .await;
    assert_eq!(own.status, StatusCode::ACCEPTED, "{}", own.text);
    let first = cancels.next(Duration::from_secs(10)).await.unwrap();
    assert_eq!(first.saga_id.to_string(), bob_submitted);
    system.teardown().await;
}
