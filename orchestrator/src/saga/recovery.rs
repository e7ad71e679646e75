//! Recovering from what the happy path cannot settle: a step whose outcome
//! is unknown (re-checked by sending the same command again, which makes
//! the worker look the result up), a compensation that failed (retried
//! with growing pauses), and a saga stuck for an operator (retried or
//! aborted by hand, each recorded in the audit log).

use autobook_contracts::events::{AbortRequested, SagaTimer, StepOutcomeUnknown};

use super::decision::{Decision, Effect};
use super::finish::{self, stuck};
use super::policy::Policy;
use super::state::{Phase, Saga};
use super::steps;

/// A worker could not tell whether the step took effect: wait, then ask
/// again. After `max_rechecks` the saga is stuck, never guessed.
pub fn outcome_unknown(saga: &Saga, event: &StepOutcomeUnknown, policy: &Policy) -> Decision {
    let waiting = match &saga.phase {
        Phase::OutcomeUnknown { waiting, .. } => waiting.as_ref().clone(),
        phase => phase.clone(),
    };
    if saga.rechecks >= policy.max_rechecks {
        if let Phase::Notifying { outcome, .. } = &waiting {
            // An email never holds money or tickets: record it as not sent.
            return finish::notified(saga, outcome, false);
        }
        let problem = format!(
            "{} outcome still unknown after {} re-checks: {}",
            event.step.as_str(),
            saga.rechecks,
            event.detail
        );
        return stuck(saga, problem, &waiting);
    }
    let next = Saga {
        rechecks: saga.rechecks + 1,
        ..saga.clone()
    };
    let after = policy.backoff(policy.recheck_delay, saga.rechecks);
    Decision::new(
        &next,
        Phase::OutcomeUnknown {
            waiting: Box::new(waiting),
            detail: event.detail.clone(),
        },
        vec![Effect::Schedule {
            timer: SagaTimer::RecheckStep {
                idempotency_key: event.idempotency_key.clone(),
            },
            after,
        }],
    )
}

/// The re-check is due: send the waiting step's command again, same key.
pub fn recheck(saga: &Saga, waiting: &Phase) -> Decision {
    let effects = steps::resend(saga, waiting)
        .map(Effect::Send)
        .into_iter()
        .collect();
    Decision::new(saga, waiting.clone(), effects)
}

/// A void or cancel failed: try again later, or give up to an operator.
pub fn compensation_failed(saga: &Saga, detail: &str, policy: &Policy) -> Decision {
    if saga.compensation_attempts + 1 >= policy.max_compensation_attempts {
        let what = match saga.phase {
            Phase::CancellingOrder { .. } => "order could not be cancelled",
            _ => "hold could not be released",
        };
        let problem = format!(
            "{what} after {} attempts: {detail}",
            saga.compensation_attempts + 1
        );
        return stuck(saga, problem, &saga.phase);
    }
    let Some(key) = saga.phase.pending_key().cloned() else {
        return stuck(saga, detail.to_owned(), &saga.phase);
    };
    let next = Saga {
        compensation_attempts: saga.compensation_attempts + 1,
        ..saga.clone()
    };
    let after = policy.backoff(policy.compensation_retry_delay, saga.compensation_attempts);
    Decision {
        saga: next,
        effects: vec![Effect::Schedule {
            timer: SagaTimer::RetryCompensation {
                idempotency_key: key,
            },
            after,
        }],
    }
}

/// A void or refund Stripe can never carry out (it does not know the
/// payment intent): trying again cannot help, an operator must look now.
pub fn compensation_refused(saga: &Saga, detail: &str) -> Decision {
    let what = match saga.phase {
        Phase::Refunding { .. } => "refund cannot be made",
        _ => "hold cannot be released",
    };
    stuck(saga, format!("{what}: {detail}"), &saga.phase)
}

/// No reply came by the step's deadline: send the same command again (the
/// worker replays its reply or looks first), or after `max_step_resends`
/// give the saga to an operator. An email is recorded as not sent instead.
pub fn step_overdue(saga: &Saga, policy: &Policy) -> Decision {
    if saga.step_resends >= policy.max_step_resends {
        if let Phase::Notifying { outcome, .. } = &saga.phase {
            return finish::notified(saga, outcome, false);
        }
        let step = saga
            .phase
            .pending_key()
            .and_then(|key| key.step())
            .map_or("the step", |step| step.as_str());
        let problem = format!(
            "no reply to {step} after {} re-sends past its deadline",
            saga.step_resends
        );
        return stuck(saga, problem, &saga.phase);
    }
    let next = Saga {
        step_resends: saga.step_resends + 1,
        ..saga.clone()
    };
    recheck(&next, &saga.phase)
}

/// The compensation's pause is over: send its command again, same key.
pub fn retry_compensation(saga: &Saga) -> Decision {
    recheck(saga, &saga.phase)
}

/// An operator sends a stuck saga back to the step it was stuck on, with
/// fresh retry budgets. None when there is no step to go back to.
pub fn operator_retry(saga: &Saga, resume: &Phase) -> Decision {
    let fresh = Saga {
        rechecks: 0,
        compensation_attempts: 0,
        step_resends: 0,
        ..saga.clone()
    };
    recheck(&fresh, resume)
}

/// An operator ends a stuck saga, having settled it outside the system.
pub fn operator_abort(saga: &Saga, problem: &str, request: &AbortRequested) -> Decision {
    Decision::new(
        saga,
        Phase::Aborted {
            problem: problem.to_owned(),
            operator: request.operator.clone(),
            reason: request.reason.clone(),
        },
        Vec::new(),
    )
}
