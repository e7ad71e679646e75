//! `autobook sandbox`: the provider sandbox on local ports (and, when
//! asked, the ops endpoints like every role).

use std::time::Duration;

use anyhow::{Context, anyhow};
use metrics_exporter_prometheus::PrometheusHandle;

use autobook_contracts::stripe_webhook::WebhookSecret;
use autobook_sandbox::{ApiRateLimits, Faults, Ports, PriceMotion, SandboxConfig, WebhookEndpoint};

use crate::cli::{LogSettings, SandboxArgs};
use crate::{ops, shutdown};

pub async fn run(
    args: SandboxArgs,
    logging: &LogSettings,
    metrics: Option<PrometheusHandle>,
) -> anyhow::Result<()> {
    let faults = faults(&args)?;
    let price_motion = price_motion(&args)?;
    let config = SandboxConfig {
        faults,
        seed: args.seed,
        seats_per_flight: args.seats_per_flight,
        rate_limits: ApiRateLimits {
            duffel: args.duffel_limit_per_sec,
            stripe: args.stripe_limit_per_sec,
            email: args.email_limit_per_sec,
        },
        price_motion,
        webhook: webhook(&args)?,
        ..SandboxConfig::default()
    };
    let ports = Ports {
        admin: args.admin_port,
        duffel: args.duffel_port,
        stripe: args.stripe_port,
        email: args.email_port,
    };
    let running = autobook_sandbox::start(config, ports)
        .await
        .context("starting the sandbox")?;
    println!("sandbox ({} scenario) listening:", args.scenario);
    println!(
        "  admin  {}  (GET /ledger, GET|PUT /faults, POST /faults/script, GET|PUT /price_motion)",
        running.admin_url
    );
    println!("  duffel {}", running.duffel_url);
    println!("  stripe {}", running.stripe_url);
    println!("  email  {}", running.email_url);
    let stop = shutdown::on_signal();
    if let Some(addr) = logging.ops_addr {
        ops::spawn(addr, None, None, metrics, stop.clone());
    }
    stop.cancelled().await;
    running.shutdown().await;
    Ok(())
}

/// The webhook endpoint: a URL needs its secret.
fn webhook(args: &SandboxArgs) -> anyhow::Result<Option<WebhookEndpoint>> {
    let Some(url) = &args.webhook_url else {
        return Ok(None);
    };
    let secret = args
        .webhook_secret
        .as_deref()
        .map(str::trim)
        .filter(|secret| !secret.is_empty())
        .context("AUTOBOOK_SANDBOX_WEBHOOK_URL needs AUTOBOOK_STRIPE_WEBHOOK_SECRET")?;
    Ok(Some(WebhookEndpoint {
        url: url.clone(),
        secret: WebhookSecret::new(secret),
    }))
}

fn faults(args: &SandboxArgs) -> anyhow::Result<Faults> {
    let mut faults = Faults::scenario(&args.scenario).ok_or_else(|| {
        anyhow!(
            "unknown scenario {:?}: use happy, mixed or flaky",
            args.scenario
        )
    })?;
    let overrides = [
        (&mut faults.transient_error_rate, args.transient_error_rate),
        (&mut faults.offer_expired_rate, args.offer_expired_rate),
        (&mut faults.price_change_rate, args.price_change_rate),
        (&mut faults.order_failure_rate, args.order_failure_rate),
        (&mut faults.capture_failure_rate, args.capture_failure_rate),
        (&mut faults.email_failure_rate, args.email_failure_rate),
        (
            &mut faults.timeout_after_effect_rate,
            args.timeout_after_effect_rate,
        ),
    ];
    for (field, value) in overrides {
        if let Some(value) = value {
            *field = value;
        }
    }
    if let Some(range) = args.latency_ms {
        faults.latency_ms = range;
    }
    faults.validate()?;
    Ok(faults)
}

fn price_motion(args: &SandboxArgs) -> anyhow::Result<PriceMotion> {
    let motion = PriceMotion {
        seed: args.price_motion_seed.unwrap_or(args.seed),
        period: Duration::from_millis(args.price_motion_period_ms),
        amplitude: args.price_motion_amplitude,
    };
    motion.validate()?;
    Ok(motion)
}
