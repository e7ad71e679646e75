//! Every provider of one sandbox, as the servers ([`crate::server`]) and
//! the admin API ([`crate::admin`]) share them, and the ledger snapshot
//! taken across them.

use std::sync::Arc;

use crate::context::Context;
use crate::duffel::DuffelService;
use crate::email::EmailService;
use crate::ledger::Ledger;
use crate::stripe::StripeService;

/// Every provider of one sandbox.
#[derive(Debug)]
pub(crate) struct Sandbox {
    pub(crate) ctx: Arc<Context>,
    pub(crate) duffel: Arc<DuffelService>,
    pub(crate) stripe: Arc<StripeService>,
    pub(crate) email: Arc<EmailService>,
}

impl Sandbox {
    /// All three providers locked at once (always in this order), so the
    /// snapshot is one instant of the run.
    pub(crate) fn ledger(&self) -> Ledger {
        let now = self.ctx.clock.now();
        let duffel = self.duffel.state();
        let mut stripe = self.stripe.state();
        let email = self.email.state();
        let mut ledger = Ledger::default();
        duffel.write_ledger(&mut ledger);
        stripe.write_ledger(&mut ledger, now);
        email.write_ledger(&mut ledger);
        ledger.webhooks = self.stripe.webhooks.log();
        self.ctx.injections.write_ledger(&mut ledger);
        for (api, limiter) in [
            ("duffel", &self.duffel.limiter),
            ("stripe", &self.stripe.limiter),
            ("email", &self.email.limiter),
        ] {
            ledger.traffic.insert(api.to_owned(), limiter.traffic());
        }
        ledger
    }
}
