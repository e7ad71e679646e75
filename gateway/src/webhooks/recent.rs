//! The payment intents named by recently recorded events, read back for
//! the reconciliation job: every verified `payment_intent.*` event is
//! recorded, including those about intents no saga counts on (which are
//! not passed on to any saga), so the job sees those intents too.

use chrono::{DateTime, Utc};
use sqlx::PgPool;

use autobook_reconcile::EventSource;

/// The intents named by events received at or after `since`, the most
/// recently named first, at most `limit`; and whether that was all of them.
pub async fn intents_named_since(
    pool: &PgPool,
    since: DateTime<Utc>,
    limit: i64,
) -> Result<(Vec<String>, bool), sqlx::Error> {
    let limit = limit.max(0);
    let mut intents: Vec<String> = sqlx::query_scalar(
        "SELECT payment_intent_id FROM stripe_webhook_events \
         WHERE payment_intent_id IS NOT NULL AND received_at >= $1 \
         GROUP BY payment_intent_id ORDER BY max(received_at) DESC, payment_intent_id LIMIT $2",
    )
    .bind(since)
    .bind(limit.saturating_add(1))
    .fetch_all(pool)
    .await?;
    let all = intents.len() as i64 <= limit;
    intents.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
    Ok((intents, all))
}

/// How many verified events have been recorded in all.
pub async fn recorded_count(pool: &PgPool) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT count(*) FROM stripe_webhook_events")
        .fetch_one(pool)
        .await
}

/// The recorded events, as the reconciliation job reads them.
#[derive(Debug, Clone)]
pub struct RecordedEvents(pub PgPool);

impl EventSource for RecordedEvents {
    async fn intents_since(
        &self,
        since: DateTime<Utc>,
        limit: i64,
    ) -> Result<(Vec<String>, bool), sqlx::Error> {
        intents_named_since(&self.0, since, limit).await
    }
}
