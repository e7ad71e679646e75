//! The production reconciliation job (crate `autobook-reconcile`) wired
//! for this binary: the recorded webhook events as its event source, and
//! one read-only run at the end of a demo, chaos or bench run against that
//! run's sandbox and database, next to the sandbox-ledger comparison.

use std::time::Duration;

use anyhow::Context;
use sqlx::PgPool;

use autobook_orchestrator::clock::Clock;
use autobook_reconcile::{Job, Limits, Providers, Report, Settings};
use autobook_vault::Keyring;
use autobook_workers::providers::{ApiKey, DuffelClient, ProviderConfig, StripeClient};

use autobook_gateway::webhooks::recent::RecordedEvents;

/// The clients of the providers at these settings.
pub fn providers(stripe: ProviderConfig, duffel: ProviderConfig) -> anyhow::Result<Providers> {
    Ok(Providers::new(
        StripeClient::new(stripe).context("the Stripe client")?,
        DuffelClient::new(duffel).context("the Duffel client")?,
    ))
}

/// One read-only run once every saga of a local run has finished: nothing
/// is young any more (no grace), every object of the run is in the
/// window, and nothing is released, so that what it finds stays for a
/// person to see.
pub async fn after_local_run(
    pool: &PgPool,
    vault: &Keyring,
    clock: &Clock,
    stripe_url: &str,
    duffel_url: &str,
) -> anyhow::Result<Report> {
    // Its metrics, every label set at zero, as the reconcile role has them.
    autobook_reconcile::metric_definitions::init();
    let job = Job {
        pool: pool.clone(),
        vault: vault.clone(),
        providers: providers(
            ProviderConfig::new(stripe_url, ApiKey::new("sk_test_sandbox")),
            ProviderConfig::new(duffel_url, ApiKey::new("duffel_test_sandbox")),
        )?,
        events: RecordedEvents(pool.clone()),
        clock: clock.clone(),
        settings: Settings {
            window: Duration::from_secs(7 * 24 * 3600),
            grace: Duration::ZERO,
            limits: Limits::default(),
            repair: false,
            instance: "local-run".to_owned(),
        },
    };
    job.run_once(None)
        .await
        .context("the reconciliation job's run")
}
