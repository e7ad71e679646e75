//! `autobook sandbox`: the provider sandbox on local ports (and, when
//! asked, the ops endpoints like every role).

use std::time::Duration;

use anyhow::{Context, anyhow};
use metrics_exporter_prometheus::PrometheusHandle;

use autobook_contracts::stripe_webhook::WebhookSecret;
use autobook_sandbox::{
    ApiRateLimits, Behaviour, Faults, Ports, PriceMotion, SandboxConfig, WebhookEndpoint,
};

use crate::args::SandboxArgs;
use autobook_roles::log_settings::LogSettings;
use autobook_roles::{ops, shutdown};

pub async fn run(
    args: SandboxArgs,
    logging: &LogSettings,
    metrics: Option<PrometheusHandle>,
) -> anyhow::Result<()> {
    let faults = faults(&args)?;
    let price_motion = price_motion(&args)?;
    let config = SandboxConfig {
        faults,
        behaviour: behaviour(&args)?,
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
    autobook_sandbox::metric_definitions::describe();
    let running = autobook_sandbox::start(config, ports)
        .await
        .context("starting the sandbox")?;
    println!("sandbox ({} scenario) listening:", args.scenario);
    println!(
        "  admin  {}  (GET /ledger, GET|PUT /faults, POST /faults/script, GET|PUT /behaviour, GET|PUT /price_motion)",
        running.admin_url
    );
    println!("  duffel {}", running.duffel_url);
    println!("  stripe {}", running.stripe_url);
    println!("  email  {}", running.email_url);
    let stop = shutdown::on_signal();
    if let Some(addr) = logging.ops_addr {
        ops::spawn(addr, None, Vec::new(), metrics, stop.clone());
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
            "unknown scenario {:?}: use happy, mixed, flaky or hostile",
            args.scenario
        )
    })?;
    let overrides = [
        (&mut faults.transient_error_rate, args.transient_error_rate),
        (&mut faults.rate_limited_rate, args.rate_limited_rate),
        (&mut faults.slow_rate, args.slow_rate),
        (&mut faults.offer_expired_rate, args.offer_expired_rate),
        (&mut faults.price_change_rate, args.price_change_rate),
        (&mut faults.order_failure_rate, args.order_failure_rate),
        (&mut faults.capture_failure_rate, args.capture_failure_rate),
        (&mut faults.email_failure_rate, args.email_failure_rate),
        (
            &mut faults.timeout_after_effect_rate,
            args.timeout_after_effect_rate,
        ),
        (
            &mut faults.server_error_after_effect_rate,
            args.server_error_after_effect_rate,
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
    if let Some(millis) = args.slow_delay_ms {
        faults.slow_delay = Duration::from_millis(millis);
    }
    faults.validate()?;
    Ok(faults)
}

/// The providers' harder behaviours: on unless a flag turns one down.
fn behaviour(args: &SandboxArgs) -> anyhow::Result<Behaviour> {
    let mut behaviour = Behaviour::default();
    if let Some(millis) = args.stripe_search_lag_ms {
        behaviour.stripe_search_lag = Duration::from_millis(millis);
    }
    if let Some(range) = args.webhook_delay_ms {
        behaviour.webhook_delay_ms = range;
    }
    if let Some(rate) = args.webhook_duplicate_rate {
        behaviour.webhook_duplicate_rate = rate;
    }
    behaviour.validate()?;
    Ok(behaviour)
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use clap::Parser;

    use super::*;

    #[derive(Debug, Parser)]
    struct Command {
        #[command(flatten)]
        args: SandboxArgs,
    }

    fn args(flags: &[&str]) -> SandboxArgs {
        Command::try_parse_from(std::iter::once("sandbox").chain(flags.iter().copied()))
            .unwrap()
            .args
    }

    #[test]
    fn the_providers_behaviours_are_on_unless_a_flag_turns_them_down() {
        assert_eq!(behaviour(&args(&[])).unwrap(), Behaviour::default());
        let lenient = args(&[
            "--stripe-search-lag-ms",
            "0",
            "--webhook-delay-ms",
            "0-0",
            "--webhook-duplicate-rate",
            "0",
        ]);
        assert_eq!(behaviour(&lenient).unwrap(), Behaviour::lenient());
        let bad = args(&["--webhook-duplicate-rate", "2"]);
        assert!(behaviour(&bad).is_err());
    }

    #[test]
    fn the_new_fault_flags_override_the_scenario() {
        let faults = faults(&args(&[
            "--scenario",
            "hostile",
            "--rate-limited-rate",
            "0.2",
            "--slow-rate",
            "0.3",
            "--slow-delay-ms",
            "40",
            "--server-error-after-effect-rate",
            "0.4",
        ]))
        .unwrap();
        assert_eq!(
            (
                faults.rate_limited_rate,
                faults.slow_rate,
                faults.server_error_after_effect_rate
            ),
            (0.2, 0.3, 0.4)
        );
        assert_eq!(faults.slow_delay, Duration::from_millis(40));
        assert_eq!(faults.order_failure_rate, 0.03, "the rest from hostile");
    }
}
