//! The console's saga search stays fast with millions of sagas: every
//! combination of filters is served by an index, never by reading the
//! whole table (checked on the plan, with sequential scans priced out so
//! that only a missing index can bring one back).

use chrono::{Duration, Utc};
use uuid::Uuid;

use autobook_orchestrator::admin::search::{self, Cursor, SagaQuery};
use autobook_tests::database::Database;

#[tokio::test]
async fn every_saga_search_is_served_by_an_index() {
    let db = Database::create(2).await;
    let now = Utc::now();
    let cursor = Cursor {
        updated_at: now,
        id: Uuid::now_v7(),
    };
    let mut queries = Vec::new();
    for status in [None, Some("stuck".to_owned())] {
        for user_id in [None, Some("usr_1".to_owned())] {
            for from in [None, Some(now - Duration::hours(1))] {
                for after in [None, Some(cursor)] {
                    queries.push(SagaQuery {
                        status: status.clone(),
                        user_id: user_id.clone(),
                        updated_from: from,
                        updated_to: from.map(|f| f + Duration::minutes(30)),
                        after,
                        limit: 50,
                        ..SagaQuery::default()
                    });
                }
            }
        }
    }
    queries.push(SagaQuery {
        id: Some(Uuid::now_v7()),
        limit: 50,
        ..SagaQuery::default()
    });
    let mut conn = db.pool.acquire().await.unwrap();
    sqlx::query("SET enable_seqscan = off")
        .execute(&mut *conn)
        .await
        .unwrap();
    for query in &queries {
        let plan = search::plan(&mut conn, query).await.unwrap();
        assert!(!plan.contains("Seq Scan"), "{query:?}\n{plan}");
        let expected: &[&str] = match (&query.id, &query.status, &query.user_id) {
            (Some(_), _, _) => &["sagas_pkey"],
            (None, Some(_), Some(_)) => &["sagas_status_updated_idx", "sagas_user_updated_idx"],
            (None, Some(_), None) => &["sagas_status_updated_idx"],
            (None, None, Some(_)) => &["sagas_user_updated_idx"],
            (None, None, None) => &["sagas_updated_id_idx"],
        };
        // A range on the time (or a page cursor) may be served by the time
        // index as well.
        let ranged = query.updated_from.is_some() || query.after.is_some();
        assert!(
            expected.iter().any(|index| plan.contains(index))
                || (ranged && plan.contains("sagas_updated_id_idx")),
            "{query:?} should use one of {expected:?}\n{plan}"
        );
    }
    drop(conn);
    db.drop().await;
}
