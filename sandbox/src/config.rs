//! How a sandbox is started: behaviour knobs ([`SandboxConfig`]) and the
//! local ports of its four servers ([`Ports`]).

use std::time::Duration;

use autobook_contracts::Currency;

use crate::faults::Faults;

/// Everything that shapes a sandbox run. Same seed and same requests give
/// the same offers, ids and fault draws.
#[derive(Debug, Clone)]
pub struct SandboxConfig {
    pub faults: Faults,
    /// Seed of every random draw (one `StdRng` per provider, derived from it).
    pub seed: u64,
    /// How long an offer stays bookable after the search (Duffel: ~30 min).
    pub offer_ttl: Duration,
    /// Seats per flight segment and cabin.
    pub seats_per_flight: u32,
    /// Currency of every quoted fare.
    pub currency: Currency,
    /// Emails accepted per API key and second. The real Resend allows 2 per
    /// second by default; the sandbox defaults to 500 so that load runs are
    /// not throttled, and a test can set 2 to see real behaviour.
    pub email_rate_limit_per_sec: u32,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        SandboxConfig {
            faults: Faults::default(),
            seed: 7,
            offer_ttl: Duration::from_secs(30 * 60),
            seats_per_flight: 60,
            currency: Currency::USD,
            email_rate_limit_per_sec: 500,
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
