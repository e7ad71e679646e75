//! Why a run failed. Provider errors do not fail a run: they make it
//! incomplete (see [`crate::gather`]).

use autobook_orchestrator::store::StoreError;

/// What ended a run before it recorded its findings.
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    /// The database failed or is unreachable.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// The sagas' records could not be read.
    #[error("reading the sagas' records: {0}")]
    Records(#[from] StoreError),
    /// A newer holder of the lease has written since this run began: its
    /// findings stand, this run's are dropped.
    #[error(
        "a newer holder of the reconciliation lease has written; this run's findings are dropped"
    )]
    Fenced,
    /// The lease was lost while the run was under way.
    #[error("the reconciliation lease was lost during the run")]
    LeaseLost,
}

impl JobError {
    /// Whether the next round may succeed without anyone doing anything.
    pub fn transient(&self) -> bool {
        match self {
            JobError::Database(_) | JobError::Fenced | JobError::LeaseLost => true,
            JobError::Records(error) => error.retryable(),
        }
    }
}
