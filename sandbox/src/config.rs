//! How a sandbox is started: behaviour knobs ([`SandboxConfig`]), where its
//! Stripe events go ([`WebhookEndpoint`]) and the local ports of its four
//! servers ([`Ports`]).

use std::time::Duration;

use autobook_contracts::Currency;
use autobook_contracts::stripe_webhook::WebhookSecret;

use crate::behaviour::Behaviour;
use crate::faults::Faults;
use crate::price_motion::PriceMotion;

/// Everything that shapes a sandbox run. Same seed and same requests give
/// the same offers, prices and fault draws; ids differ between starts
/// (see `instance`).
#[derive(Debug, Clone)]
pub struct SandboxConfig {
    pub faults: Faults,
    /// The providers' harder behaviours (search lag, late, duplicated and
    /// reordered webhooks): on by default.
    pub behaviour: Behaviour,
    /// Mixed into every id so that ids never repeat across starts; `None`
    /// (the default) draws it from the OS at start. Fix it only in a test
    /// that needs the same ids twice.
    pub instance: Option<u64>,
    /// Seed of every random draw (one `StdRng` per provider, derived from it).
    pub seed: u64,
    /// How long an offer stays bookable after the search (Duffel: ~30 min).
    pub offer_ttl: Duration,
    /// Seats per flight segment and cabin.
    pub seats_per_flight: u32,
    /// Currency of every quoted fare.
    pub currency: Currency,
    /// Requests per second and API key each provider API accepts before
    /// answering 429. Off by default, so load runs are not throttled.
    pub rate_limits: ApiRateLimits,
    /// How fares move with the sandbox clock; off by default (each search
    /// then draws a drift of up to 3%).
    pub price_motion: PriceMotion,
    /// Where the Stripe server posts its events (webhooks); none by
    /// default. Can also be set once running
    /// ([`crate::RunningSandbox::set_webhook_endpoint`]).
    pub webhook: Option<WebhookEndpoint>,
}

/// A webhook endpoint: its URL and its signing secret (`whsec_...`).
#[derive(Debug, Clone)]
pub struct WebhookEndpoint {
    pub url: String,
    pub secret: WebhookSecret,
}

/// Requests per second and API key enforced by each provider API; `None`
/// enforces nothing (the traffic figures in the ledger are kept anyway).
/// The real services: Duffel about 2 a second (120 a minute), Stripe 100
/// (25 in test mode), Resend 2.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ApiRateLimits {
    pub duffel: Option<u32>,
    pub stripe: Option<u32>,
    pub email: Option<u32>,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        SandboxConfig {
            faults: Faults::default(),
            behaviour: Behaviour::default(),
            instance: None,
            seed: 7,
            offer_ttl: Duration::from_secs(30 * 60),
            seats_per_flight: 60,
            currency: Currency::USD,
            rate_limits: ApiRateLimits::default(),
            price_motion: PriceMotion::default(),
            webhook: None,
        }
    }
}

/// Local ports of the admin, Duffel, Stripe and email servers; 0 picks a
/// free port.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ports {
    pub admin: u16,
    pub duffel: u16,
    pub stripe: u16,
    pub email: u16,
}

impl Ports {
    /// Every server on a free port chosen by the OS (tests).
    pub fn ephemeral() -> Self {
        Ports {
            admin: 0,
            duffel: 0,
            stripe: 0,
            email: 0,
        }
    }

    /// The well-known ports 7400 (admin), 7401 (Duffel), 7402 (Stripe) and
    /// 7403 (email).
    pub fn standard() -> Self {
        Ports {
            admin: 7400,
            duffel: 7401,
            stripe: 7402,
            email: 7403,
        }
    }
}
