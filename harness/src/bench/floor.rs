//! The floor: what the same broker and database work costs on this
//! machine without any of our logic.
//!
//! A saga-equivalent is a chain of `hops` messages: each one published
//! persistent, `mandatory` and publisher-confirmed to a durable queue,
//! consumed with a prefetch, and acked after its handler made its share of
//! the saga's `commits` (single-statement transactions, a small insert or
//! update, `synchronous_commit = on`) and, except for the last hop,
//! published the next message. That is the shape of a saga (consume,
//! commit, publish, ack, hop after hop), with the counts the measured run
//! made per saga, and none of the decisions, JSON, HTTP calls or relay.

use std::collections::HashMap;
use std::str::FromStr;
use std::sync::Arc;

use anyhow::{Context, bail};
use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use lapin::options::{
    BasicAckOptions, BasicConsumeOptions, BasicPublishOptions, BasicQosOptions,
    ConfirmSelectOptions, QueueDeclareOptions, QueueDeleteOptions, QueuePurgeOptions,
};
use lapin::types::FieldTable;
use lapin::{BasicProperties, Channel};
use serde::Serialize;
use sqlx::PgPool;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use super::driver::Workload;
use super::records::WorkPerSaga;

/// Bytes of a floor message that carry its chain id and hop.
const HEADER_BYTES: usize = 20;

/// The work of one saga-equivalent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct FloorShape {
    /// Messages published and consumed.
    pub messages: usize,
    /// Committed transactions.
    pub commits: usize,
    /// Size of every message body.
    pub message_bytes: usize,
}

impl FloorShape {
    /// The measured run's work per saga, rounded to whole messages and commits.
    pub fn from_work(work: &WorkPerSaga) -> FloorShape {
        FloorShape {
            messages: (work.messages.round() as usize).max(1),
            commits: work.commits.round() as usize,
            message_bytes: (work.message_bytes.round() as usize).max(HEADER_BYTES),
        }
    }

    /// Commits made while handling `hop`: the commits spread evenly over the hops.
    pub fn commits_at(&self, hop: usize) -> usize {
        ((hop + 1) * self.commits / self.messages) - (hop * self.commits / self.messages)
    }
}

/// The floor's queue, connection and database pool; run with
/// [`crate::bench::driver::drive`].
pub struct FloorWorkload {
    shape: FloorShape,
    publish: Channel,
    consume: Channel,
    queue: String,
    finished: mpsc::UnboundedReceiver<Result<Uuid, String>>,
    failures: mpsc::UnboundedSender<Result<Uuid, String>>,
    stop: CancellationToken,
    /// When each chain was started and finished.
    pub started: HashMap<Uuid, DateTime<Utc>>,
    pub ended: HashMap<Uuid, DateTime<Utc>>,
    connection: lapin::Connection,
    pool: PgPool,
}

impl FloorWorkload {
    /// Declares (and empties) the floor queue `<namespace>.floor`, creates the
    /// floor table in `database_url`, and starts consuming with `concurrency`.
    pub async fn open(
        amqp_url: &str,
        database_url: &str,
        namespace: &str,
        shape: FloorShape,
        concurrency: usize,
    ) -> anyhow::Result<FloorWorkload> {
        let options = PgConnectOptions::from_str(database_url)
            .context("DATABASE_URL")?
            .options([("synchronous_commit", "on")]);
        let pool = PgPoolOptions::new()
            .max_connections(u32::try_from(concurrency.clamp(1, 50)).unwrap_or(50))
            .connect_with(options)
            .await
            .context("connecting to PostgreSQL")?;
        sqlx::query(
            "CREATE TABLE IF NOT EXISTS bench_floor (id uuid PRIMARY KEY, hop integer NOT NULL, \
             body bytea NOT NULL, updated_at timestamptz NOT NULL DEFAULT now())",
        )
        .execute(&pool)
        .await?;
        let connection =
            lapin::Connection::connect(amqp_url, lapin::ConnectionProperties::default())
                .await
                .context("connecting to RabbitMQ")?;
        let queue = format!("{namespace}.floor");
        let publish = connection.create_channel().await?;
        publish
            .queue_declare(
                queue.clone().into(),
                QueueDeclareOptions {
                    durable: true,
                    ..QueueDeclareOptions::default()
                },
                FieldTable::default(),
            )
            .await?;
        publish
            .queue_purge(queue.clone().into(), QueuePurgeOptions::default())
            .await?;
        publish
            .confirm_select(ConfirmSelectOptions::default())
            .await?;
        let consume = connection.create_channel().await?;
        consume
            .basic_qos(
                u16::try_from(concurrency).unwrap_or(u16::MAX),
                BasicQosOptions::default(),
            )
            .await?;
        let consumer = consume
            .basic_consume(
                queue.clone().into(),
                "autobook-bench-floor".into(),
                BasicConsumeOptions::default(),
                FieldTable::default(),
            )
            .await?;
        let (sender, finished) = mpsc::unbounded_channel();
        let stop = CancellationToken::new();
        let hop = Arc::new(Hop {
            shape,
            pool: pool.clone(),
            publish: publish.clone(),
            queue: queue.clone(),
            finished: sender.clone(),
        });
        tokio::spawn(consume_loop(consumer, hop, stop.clone()));
        Ok(FloorWorkload {
            shape,
            publish,
            consume,
            queue,
            finished,
            failures: sender,
            stop,
            started: HashMap::new(),
            ended: HashMap::new(),
            connection,
            pool,
        })
    }

    /// Stops consuming, deletes the queue and the table, closes the connections.
    pub async fn close(self) {
        self.stop.cancel();
        let _ = self.consume.close(200, "floor done".into()).await;
        let _ = self
            .publish
            .queue_delete(self.queue.clone().into(), QueueDeleteOptions::default())
            .await;
        let _ = self.publish.close(200, "floor done".into()).await;
        let _ = self.connection.close(200, "floor done".into()).await;
        let _ = sqlx::query("DROP TABLE IF EXISTS bench_floor")
            .execute(&self.pool)
            .await;
        self.pool.close().await;
    }
}

impl Workload for FloorWorkload {
    async fn start(&mut self) -> anyhow::Result<()> {
        let id = Uuid::now_v7();
        self.started.insert(id, Utc::now());
        let (channel, queue, failures) = (
            self.publish.clone(),
            self.queue.clone(),
            self.failures.clone(),
        );
        let first = body(id, 0, self.shape);
        // In the background, as the trip workload publishes its trips.
        tokio::spawn(async move {
            if let Err(error) = publish(&channel, &queue, &first).await {
                let _ = failures.send(Err(format!("{error:#}")));
            }
        });
        Ok(())
    }

    async fn finished(&mut self) -> anyhow::Result<usize> {
        let mut count = 0;
        let Some(first) = self.finished.recv().await else {
            bail!("the floor consumer stopped");
        };
        let mut next = Some(first);
        while let Some(result) = next {
            match result {
                Ok(id) => {
                    self.ended.insert(id, Utc::now());
                    count += 1;
                }
                Err(failure) => bail!("floor: {failure}"),
            }
            next = self.finished.try_recv().ok();
        }
        Ok(count)
    }
}

/// What a hop's handler needs.
struct Hop {
    shape: FloorShape,
    pool: PgPool,
    publish: Channel,
    queue: String,
    finished: mpsc::UnboundedSender<Result<Uuid, String>>,
}

async fn consume_loop(mut consumer: lapin::Consumer, hop: Arc<Hop>, stop: CancellationToken) {
    loop {
        let delivery = tokio::select! {
            () = stop.cancelled() => return,
            next = consumer.next() => next,
        };
        match delivery {
            Some(Ok(delivery)) => {
                let hop = hop.clone();
                tokio::spawn(async move {
                    if let Err(error) = handle(&hop, delivery).await {
                        let _ = hop.finished.send(Err(format!("{error:#}")));
                    }
                });
            }
            Some(Err(error)) => {
                let _ = hop.finished.send(Err(format!("consumer: {error}")));
                return;
            }
            None => return,
        }
    }
}

/// One hop: commit this hop's share, publish the next hop, then ack.
async fn handle(hop: &Hop, delivery: lapin::message::Delivery) -> anyhow::Result<()> {
    let (id, index) = parse(&delivery.data).context("a floor message without its header")?;
    for _ in 0..hop.shape.commits_at(index) {
        sqlx::query(
            "INSERT INTO bench_floor (id, hop, body) VALUES ($1, $2, $3) \
             ON CONFLICT (id) DO UPDATE SET hop = EXCLUDED.hop, body = EXCLUDED.body, updated_at = now()",
        )
        .bind(id)
        .bind(i32::try_from(index).unwrap_or(i32::MAX))
        .bind(&delivery.data[..HEADER_BYTES])
        .execute(&hop.pool)
        .await?;
    }
    let last = index + 1 >= hop.shape.messages;
    if !last {
        publish(&hop.publish, &hop.queue, &body(id, index + 1, hop.shape)).await?;
    }
    delivery.acker.ack(BasicAckOptions::default()).await?;
    if last {
        let _ = hop.finished.send(Ok(id));
    }
    Ok(())
}

async fn publish(channel: &Channel, queue: &str, body: &[u8]) -> anyhow::Result<()> {
    let confirm = channel
        .basic_publish(
            "".into(),
            queue.into(),
            BasicPublishOptions {
                mandatory: true,
                ..BasicPublishOptions::default()
            },
            body,
            BasicProperties::default()
                .with_delivery_mode(2)
                .with_message_id(Uuid::now_v7().to_string().into()),
        )
        .await?
        .await?;
    if confirm.is_nack() || confirm.take_message().is_some() {
        bail!("the broker did not take a floor message");
    }
    Ok(())
}

fn body(id: Uuid, hop: usize, shape: FloorShape) -> Vec<u8> {
    let mut body = vec![b' '; shape.message_bytes.max(HEADER_BYTES)];
    body[..16].copy_from_slice(id.as_bytes());
    body[16..HEADER_BYTES].copy_from_slice(&u32::try_from(hop).unwrap_or(u32::MAX).to_le_bytes());
    body
}

fn parse(body: &[u8]) -> Option<(Uuid, usize)> {
    let id = Uuid::from_slice(body.get(..16)?).ok()?;
    let hop = u32::from_le_bytes(body.get(16..HEADER_BYTES)?.try_into().ok()?);
    Some((id, hop as usize))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commits_are_spread_over_the_hops() {
        let shape = FloorShape {
            messages: 11,
            commits: 19,
            message_bytes: 900,
        };
        let spread: Vec<usize> = (0..11).map(|hop| shape.commits_at(hop)).collect();
        assert_eq!(spread.iter().sum::<usize>(), 19);
        assert!(spread.iter().all(|c| (1..=2).contains(c)), "{spread:?}");
        let few = FloorShape {
            commits: 3,
            ..shape
        };
        assert_eq!((0..11).map(|hop| few.commits_at(hop)).sum::<usize>(), 3);
    }

    #[test]
    fn the_shape_follows_the_measured_work() {
        let work = WorkPerSaga {
            messages: 11.0,
            commits: 19.4,
            orchestrator_commits: 6.0,
            worker_commits: 10.0,
            relay_commits: 3.4,
            timer_commits: 0.0,
            message_bytes: 1234.4,
        };
        assert_eq!(
            FloorShape::from_work(&work),
            FloorShape {
                messages: 11,
                commits: 19,
                message_bytes: 1234
            }
        );
    }

    #[test]
    fn messages_carry_their_chain_and_hop() {
        let id = Uuid::now_v7();
        let shape = FloorShape {
            messages: 3,
            commits: 3,
            message_bytes: 64,
        };
        let encoded = body(id, 7, shape);
        assert_eq!(encoded.len(), 64);
        assert_eq!(parse(&encoded), Some((id, 7)));
        assert_eq!(parse(&encoded[..10]), None);
    }
}
