//! One Stripe effect under its idempotency key, settled by a consistent
//! read when the answer is lost.
//!
//! Stripe saves the result of a request under its key once the request
//! starts executing, a 500 included, and replays it for 24 hours. So after
//! a 500 the same key can never tell whether the effect happened: only a
//! read of an object whose id we hold (retrieve by id, or a list, never
//! search) can. The rules:
//!
//! 1. The call is made under the step's key (`base`), and asked again
//!    under the same key while the answer is unknown (a replay returns the
//!    first result; a request still running answers 409, retried).
//! 2. A 5xx answer ends the request: then the read says what is true. The
//!    effect is there: done. The effect is not there: the earlier key's
//!    effect is proven not to exist, and only then is the call made again
//!    under the next generation of the key (`<base>:g2`, ...), since the
//!    first one would replay its 500 forever.
//! 3. No complete answer (a timeout): the request may still be running, so
//!    nothing is varied; the outcome stays unknown and the saga asks again
//!    later (the next attempt reads first).
//!
//! Each caller supplies the call and the read; a generation chain is
//! deterministic, so every attempt walks the same keys.

use std::future::Future;

use crate::providers::{ErrorClass, ProviderError};
use crate::worker::Failure;

/// Keys tried for one effect: the step's key and three more generations.
pub const MAX_GENERATIONS: u32 = 4;

/// The idempotency key of a generation: `base`, then `<base>:g2`, ...
pub fn generation_key(base: &str, generation: u32) -> String {
    if generation <= 1 {
        base.to_owned()
    } else {
        format!("{base}:g{generation}")
    }
}

/// What a consistent read says about the effect.
#[derive(Debug, Clone, PartialEq)]
pub enum Read<T> {
    /// The effect's result is known (it happened, or the object reached a
    /// state where it never can).
    Settled(T),
    /// The effect does not exist.
    NotApplied,
    /// The read could not tell (an incomplete listing).
    Unsettled,
}

/// How one keyed effect ended.
#[derive(Debug)]
pub enum Keyed<T> {
    /// The call answered, or the read found the result.
    Done(T),
    /// A definite no to the call (4xx).
    Refused(ProviderError),
    /// Neither the call nor the read could settle it: ask again later.
    Unknown(ProviderError),
    /// The provider could not be reached (retries ran out).
    Unavailable(ProviderError),
}

/// A 5xx answer: the request ended, so a consistent read after it is the
/// truth. A timeout or a garbled answer is not: the request may still run.
fn request_ended(error: &ProviderError) -> bool {
    matches!(error, ProviderError::Server { .. })
}

/// Runs `call` under the generations of `base`, settling lost answers
/// with `read`.
pub async fn effect<T, C, CF, R, RF>(
    base: &str,
    mut call: C,
    mut read: R,
) -> Result<Keyed<T>, Failure>
where
    C: FnMut(String) -> CF,
    CF: Future<Output = Result<T, ProviderError>>,
    R: FnMut() -> RF,
    RF: Future<Output = Result<Read<T>, Failure>>,
{
    let mut last = None;
    for generation in 1..=MAX_GENERATIONS {
        let error = match call(generation_key(base, generation)).await {
            Ok(done) => return Ok(Keyed::Done(done)),
            Err(error) => error,
        };
        match error.class() {
            ErrorClass::Permanent => return Ok(Keyed::Refused(error)),
            ErrorClass::Retryable => return Ok(Keyed::Unavailable(error)),
            ErrorClass::OutcomeUnknown => {}
        }
        match read().await? {
            Read::Settled(done) => return Ok(Keyed::Done(done)),
            Read::NotApplied if request_ended(&error) => {
                tracing::warn!(generation, %error, "the request ended without its effect; the next key is safe");
                last = Some(error);
            }
            Read::NotApplied | Read::Unsettled => return Ok(Keyed::Unknown(error)),
        }
    }
    Ok(Keyed::Unknown(last.unwrap_or_else(|| {
        ProviderError::invalid_request("no generation of the key could settle the effect")
    })))
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;
    use crate::providers::Provider;

    fn server_error() -> ProviderError {
        ProviderError::Server {
            provider: Provider::Stripe,
            status: 500,
            code: None,
            detail: "boom".into(),
        }
    }

    fn timeout() -> ProviderError {
        ProviderError::Timeout {
            provider: Provider::Stripe,
        }
    }

    /// Runs `effect` with scripted call answers and reads; returns the
    /// outcome and the keys used.
    async fn run(
        answers: Vec<Result<u32, ProviderError>>,
        reads: Vec<Read<u32>>,
    ) -> (Keyed<u32>, Vec<String>) {
        let answers = Mutex::new(answers.into_iter());
        let reads = Mutex::new(reads.into_iter());
        let keys = Mutex::new(Vec::new());
        let outcome = effect(
            "k",
            |key| {
                keys.lock().unwrap().push(key);
                let answer = answers.lock().unwrap().next().expect("a scripted answer");
                async move { answer }
            },
            || {
                let read = reads.lock().unwrap().next().expect("a scripted read");
                async move { Ok(read) }
            },
        )
        .await
        .unwrap();
        (outcome, keys.into_inner().unwrap())
    }

    #[tokio::test]
    async fn an_answer_is_taken_under_the_steps_own_key() {
        let (outcome, keys) = run(vec![Ok(7)], vec![]).await;
        assert!(matches!(outcome, Keyed::Done(7)));
        assert_eq!(keys, ["k"]);
    }

    #[tokio::test]
    async fn a_lost_answer_is_settled_by_the_read() {
        let (outcome, keys) = run(vec![Err(server_error())], vec![Read::Settled(9)]).await;
        assert!(matches!(outcome, Keyed::Done(9)));
        assert_eq!(keys, ["k"], "nothing is asked again once the read settles");
    }

    #[tokio::test]
    async fn the_key_is_varied_only_after_a_5xx_and_a_read_proving_no_effect() {
        let (outcome, keys) = run(vec![Err(server_error()), Ok(3)], vec![Read::NotApplied]).await;
        assert!(matches!(outcome, Keyed::Done(3)));
        assert_eq!(keys, ["k", "k:g2"]);
    }

    #[tokio::test]
    async fn a_timeout_never_varies_the_key() {
        let (outcome, keys) = run(vec![Err(timeout())], vec![Read::NotApplied]).await;
        assert!(matches!(outcome, Keyed::Unknown(_)), "{outcome:?}");
        assert_eq!(keys, ["k"]);
    }

    #[tokio::test]
    async fn a_read_that_cannot_tell_never_varies_the_key() {
        let (outcome, keys) = run(vec![Err(server_error())], vec![Read::Unsettled]).await;
        assert!(matches!(outcome, Keyed::Unknown(_)), "{outcome:?}");
        assert_eq!(keys, ["k"]);
    }

    #[tokio::test]
    async fn refusals_and_unreachable_providers_are_not_settled_by_reading() {
        let refused = ProviderError::Rejected {
            provider: Provider::Stripe,
            status: 400,
            error_type: "invalid_request_error".into(),
            code: None,
            decline_code: None,
            payment_intent_id: None,
            message: "no".into(),
        };
        let (outcome, _) = run(vec![Err(refused)], vec![]).await;
        assert!(matches!(outcome, Keyed::Refused(_)), "{outcome:?}");
        let unreachable = ProviderError::Connect {
            provider: Provider::Stripe,
            detail: "refused".into(),
        };
        let (outcome, _) = run(vec![Err(unreachable)], vec![]).await;
        assert!(matches!(outcome, Keyed::Unavailable(_)), "{outcome:?}");
    }

    #[tokio::test]
    async fn the_generations_are_bounded() {
        let (outcome, keys) = run(
            (0..MAX_GENERATIONS).map(|_| Err(server_error())).collect(),
            vec![Read::NotApplied; MAX_GENERATIONS as usize],
        )
        .await;
        assert!(matches!(outcome, Keyed::Unknown(_)), "{outcome:?}");
        assert_eq!(keys, ["k", "k:g2", "k:g3", "k:g4"]);
    }
}
