//! The environment a role process of a chaos or bench run starts with.

/// The environment every role child needs against this run: its database,
/// broker namespace and Redis, JSON logs, trips that are not watched (the
/// runs measure bookings), and the sandbox as the three providers with a
/// rate limit of `rate_limit` calls per second each, the run's keyring
/// (`AUTOBOOK_DATA_KEYS`) and a fresh pseudonym key for the run
/// (`AUTOBOOK_PSEUDONYM_KEY`). The caller adds the message keys; the
/// broker passwords, if set, come with the inherited environment.
pub fn role_env(
    connections: &autobook_roles::settings::Connections,
    vault: &autobook_vault::Keyring,
    database_url: &str,
    namespace: &str,
    db_pool: u32,
    sandbox: &autobook_sandbox::RunningSandbox,
    rate_limit: u32,
) -> Vec<(String, String)> {
    [
        ("DATABASE_URL", database_url.to_owned()),
        ("AMQP_URL", connections.amqp_url.clone()),
        ("REDIS_URL", connections.redis_url.clone()),
        ("AUTOBOOK_NAMESPACE", namespace.to_owned()),
        ("AUTOBOOK_NO_WATCH", "true".to_owned()),
        ("AUTOBOOK_LOG_FORMAT", "json".to_owned()),
        ("AUTOBOOK_DB_POOL", db_pool.to_string()),
        ("DUFFEL_BASE_URL", sandbox.duffel_url.clone()),
        ("STRIPE_BASE_URL", sandbox.stripe_url.clone()),
        ("EMAIL_BASE_URL", sandbox.email_url.clone()),
        ("DUFFEL_RATE_LIMIT", rate_limit.to_string()),
        ("STRIPE_RATE_LIMIT", rate_limit.to_string()),
        ("EMAIL_RATE_LIMIT", rate_limit.to_string()),
        ("AUTOBOOK_DATA_KEYS", vault.expose_env_value()),
        (
            "AUTOBOOK_PSEUDONYM_KEY",
            autobook_orchestrator::privacy::PseudonymKey::generate().expose_env_value(),
        ),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect()
}
