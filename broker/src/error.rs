//! Broker errors, each classified as retryable or not.

/// A message could not be published.
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    /// The broker refused to take responsibility for the message.
    #[error("the broker nacked the message")]
    Nacked,
    /// No queue is bound for the routing key: the message would be lost.
    #[error("message to {exchange} with routing key {routing_key} was unroutable")]
    Unroutable {
        exchange: String,
        routing_key: String,
    },
    /// The channel or connection failed before the confirm arrived; the
    /// message may or may not have been routed.
    #[error("channel error while publishing: {0}")]
    Channel(#[from] lapin::Error),
    /// No confirm arrived in time; the message may or may not have been routed.
    #[error("the broker did not confirm the message in time")]
    ConfirmTimedOut,
    /// No channel could be opened (the broker is unreachable for now).
    #[error("the broker is unavailable: {0}")]
    Unavailable(Box<BrokerError>),
}

impl PublishError {
    /// Whether publishing again may succeed. Publishing again is always safe:
    /// consumers de-duplicate by message id.
    pub fn retryable(&self) -> bool {
        match self {
            PublishError::Nacked => true,
            PublishError::Channel(_) => true,
            PublishError::ConfirmTimedOut => true,
            PublishError::Unavailable(_) => true,
            PublishError::Unroutable { .. } => false,
        }
    }
}

/// Connecting, declaring or consuming failed.
#[derive(Debug, thiserror::Error)]
pub enum BrokerError {
    #[error("AMQP_URL is not an amqp:// or amqps:// URL")]
    Address,
    #[error("could not connect to the broker: {0}")]
    Connect(#[source] lapin::Error),
    #[error("could not declare {what}: {source}")]
    Declare { what: String, source: lapin::Error },
    /// A queue exists as another type than the topology declares: a classic
    /// queue of an older version, which `autobook migrate` moves.
    #[error(
        "queue {queue} exists as a classic queue: run `autobook migrate` to move it (and its \
         messages) to a quorum queue (docs/operating.md#quorum-queues)"
    )]
    OtherQueueType { queue: String },
    /// A queue being replaced kept receiving messages faster than they
    /// could be moved out of it.
    #[error(
        "queue {queue} could not be emptied to be replaced: stop what publishes to it and run `autobook migrate` again"
    )]
    QueueBusy { queue: String },
    #[error("could not open a channel: {0}")]
    Channel(#[source] lapin::Error),
    #[error("could not start consuming from {queue}: {source}")]
    Consume { queue: String, source: lapin::Error },
    #[error(transparent)]
    Publish(#[from] PublishError),
}

impl BrokerError {
    /// Whether trying again later may succeed (the broker may come back).
    pub fn retryable(&self) -> bool {
        match self {
            BrokerError::Connect(_) | BrokerError::Channel(_) | BrokerError::Consume { .. } => true,
            BrokerError::Declare { .. }
            | BrokerError::OtherQueueType { .. }
            | BrokerError::Address => false,
            BrokerError::QueueBusy { .. } => true,
            BrokerError::Publish(e) => e.retryable(),
        }
    }
}
