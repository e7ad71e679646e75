//! The one repair the job makes alone: releasing an orphaned hold.
//!
//! Before each release the hold is checked again with strongly consistent
//! reads: the intent is retrieved by id (still `requires_capture`, still
//! old) and the saga it names is read again (still not counting on it).
//! The release is audited before the call and completed after it, and the
//! call carries a deterministic idempotency key
//! (`reconcile:release:<pi>`), so a run that dies in between, or two
//! instances racing, release once. Stripe's answer (or, after an unclear
//! one, the intent retrieved again) says whether it happened.

use std::collections::BTreeSet;

use sqlx::PgPool;
use uuid::Uuid;

use autobook_orchestrator::money::records_of;
use autobook_vault::Keyring;
use autobook_workers::providers::{CancellationReason, PaymentIntentStatus, ProviderError};

use crate::compare::{Release, counted_intents, orphaned};
use crate::error::JobError;
use crate::observed::{Judging, Ours};
use crate::providers::Providers;
use crate::report::Released;
use crate::store;

/// The idempotency key of the release of `payment_intent_id`.
pub fn release_key(payment_intent_id: &str) -> String {
    format!("reconcile:release:{payment_intent_id}")
}

/// What became of one release.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReleaseOutcome {
    /// Released (by this call, or found released after an unclear answer).
    Released(Released),
    /// Checked again, it is not an orphan any more (a saga counts on it,
    /// or it was captured or released meanwhile): nothing done.
    NoLongerOrphan,
    /// Stripe refused or could not be reached; the next run tries again.
    Failed,
}

/// Releases orphaned holds for one run.
pub struct Repair<'a> {
    pub providers: &'a Providers,
    pub pool: &'a PgPool,
    pub vault: &'a Keyring,
    /// Who releases, for the audit.
    pub by: &'a str,
    pub run_id: Uuid,
}

impl Repair<'_> {
    /// Checks `release` again, then releases it. `counted` holds the
    /// intents the run's records count on by id.
    pub async fn release(
        &self,
        release: &Release,
        counted: &BTreeSet<String>,
        judging: &Judging,
    ) -> Result<ReleaseOutcome, JobError> {
        let id = release.payment_intent_id.as_str();
        let stripe = &self.providers.stripe;
        let intent = match self
            .providers
            .stripe_call(|| stripe.retrieve_payment_intent(id))
            .await
        {
            Ok(intent) => intent,
            Err(error) => return Ok(failed(id, &error)),
        };
        let mut fresh = Ours::default();
        if let Some(saga) = release.saga_id {
            fresh.add(records_of(self.pool, self.vault, &[saga]).await?);
        }
        let mut counted = counted.clone();
        counted.extend(counted_intents(&fresh));
        if !orphaned(&intent, &fresh, &counted, judging) {
            tracing::info!(
                payment_intent_id = id,
                "a hold checked again before its release is no longer orphaned"
            );
            return Ok(ReleaseOutcome::NoLongerOrphan);
        }
        let key = release_key(id);
        store::release_requested(self.pool, release, &key, self.by, self.run_id, judging.now)
            .await?;
        let canceled = match self
            .providers
            .stripe_call(|| stripe.cancel_payment_intent(id, CancellationReason::Abandoned, &key))
            .await
        {
            Ok(intent) => intent.status == PaymentIntentStatus::Canceled,
            Err(error) => {
                tracing::warn!(payment_intent_id = id, %error, "releasing a hold gave no clear answer; reading it again");
                match self
                    .providers
                    .stripe_call(|| stripe.retrieve_payment_intent(id))
                    .await
                {
                    Ok(intent) => intent.status == PaymentIntentStatus::Canceled,
                    Err(error) => return Ok(failed(id, &error)),
                }
            }
        };
        if !canceled {
            tracing::warn!(payment_intent_id = id, "a hold could not be released");
            return Ok(ReleaseOutcome::Failed);
        }
        store::release_done(self.pool, id, chrono::Utc::now()).await?;
        metrics::counter!(crate::metric_definitions::HOLDS_RELEASED).increment(1);
        tracing::info!(
            payment_intent_id = id,
            amount = %release.amount,
            "orphaned hold released"
        );
        Ok(ReleaseOutcome::Released(Released {
            payment_intent_id: release.payment_intent_id.clone(),
            saga_id: release.saga_id,
            amount: release.amount,
        }))
    }
}

fn failed(id: &str, error: &ProviderError) -> ReleaseOutcome {
    tracing::warn!(payment_intent_id = id, %error, "a hold could not be checked or released");
    ReleaseOutcome::Failed
}
