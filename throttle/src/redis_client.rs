//! How the rate limiters (the providers' and the gateway's) and the
//! workers' leases connect to Redis: lazily (a worker
//! starts while Redis is down) and with short timeouts (Redis guards the
//! providers and singleton work, never correctness, so a slow Redis must
//! not hold calls up).

use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};

/// A self-reconnecting connection to `url`; nothing is dialled until the
/// first command.
pub fn connect_lazily(url: &str) -> redis::RedisResult<ConnectionManager> {
    let client = redis::Client::open(url)?;
    let config = ConnectionManagerConfig::new()
        .set_connection_timeout(Some(Duration::from_millis(500)))
        .set_response_timeout(Some(Duration::from_millis(500)))
        .set_number_of_retries(1);
    ConnectionManager::new_lazy_with_config(client, config)
}
