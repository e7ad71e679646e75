//! What can go wrong reading or changing flags, and whether trying again
//! can help. Every evaluation error fails closed (see
//! [`crate::decision::fail_closed`]); `retryable` tells a caller whether to
//! retry the message later or give up on it.

use std::time::Duration;

/// A flag read, evaluation or change that did not succeed.
#[derive(Debug, thiserror::Error)]
pub enum FlagError {
    /// The reader has not yet read the flags since it started.
    #[error("the flags have not been read yet")]
    NotLoaded,
    /// The last successful read is older than the staleness bound.
    #[error(
        "the flags were last read {} ms ago, over the {} ms staleness bound",
        .age.as_millis(),
        .bound.as_millis()
    )]
    Stale { age: Duration, bound: Duration },
    /// PostgreSQL could not be reached or refused a query.
    #[error("flag store: {0}")]
    Database(#[from] sqlx::Error),
    /// A read of the flag store took longer than its time limit.
    #[error("reading the flags took over {} ms", .0.as_millis())]
    ReadTimedOut(Duration),
    /// A flag has no global value (its row was deleted).
    #[error("the flag {0} has no global value")]
    Missing(&'static str),
    /// The LaunchDarkly SDK has not (yet) received its flag data.
    #[error("LaunchDarkly has not initialised")]
    NotInitialised,
    /// The LaunchDarkly SDK runs offline: it only knows fallbacks.
    #[error("LaunchDarkly runs offline")]
    Offline,
    /// LaunchDarkly answered with its fallback because of an error (the flag
    /// does not exist, is not a boolean, ...).
    #[error("LaunchDarkly could not evaluate {flag}: {detail}")]
    Evaluation { flag: String, detail: String },
    /// The LaunchDarkly client could not be configured or started.
    #[error("LaunchDarkly client: {0}")]
    Client(String),
    /// A change was asked for with a missing or malformed value.
    #[error("invalid flag change: {0}")]
    Invalid(String),
}

impl FlagError {
    /// Whether the same request can succeed later without anyone changing
    /// anything. Exhaustive, so a new variant needs a decision.
    pub fn retryable(&self) -> bool {
        match self {
            FlagError::NotLoaded
            | FlagError::Stale { .. }
            | FlagError::Database(_)
            | FlagError::ReadTimedOut(_)
            | FlagError::NotInitialised => true,
            FlagError::Missing(_)
            | FlagError::Offline
            | FlagError::Evaluation { .. }
            | FlagError::Client(_)
            | FlagError::Invalid(_) => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outages_are_retryable_and_misconfiguration_is_not() {
        assert!(FlagError::NotLoaded.retryable());
        assert!(
            FlagError::Stale {
                age: Duration::from_secs(6),
                bound: Duration::from_secs(5)
            }
            .retryable()
        );
        assert!(FlagError::Database(sqlx::Error::PoolTimedOut).retryable());
        assert!(FlagError::NotInitialised.retryable());
        assert!(!FlagError::Missing("kill_switch").retryable());
        assert!(!FlagError::Offline.retryable());
        assert!(!FlagError::Invalid("empty reason".into()).retryable());
    }

    #[test]
    fn staleness_is_explained_in_milliseconds() {
        let error = FlagError::Stale {
            age: Duration::from_millis(6500),
            bound: Duration::from_secs(5),
        };
        assert_eq!(
            error.to_string(),
            "the flags were last read 6500 ms ago, over the 5000 ms staleness bound"
        );
    }
}
