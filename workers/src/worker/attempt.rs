//! Which attempt at a provider call this is, from the provider-call
//! ledger, and where the attempt records the provider object it made.
//!
//! A step whose effect needs two calls (a PaymentIntent is created, then
//! confirmed by id) records the object's id in the ledger between them
//! ([`Attempt::record`]), so that whoever takes the call over continues
//! with that very object, retrieved by id, instead of looking for it.
//! The record is fenced: an attempt that was taken over meanwhile learns
//! it ([`Failure::Superseded`]) and stops.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::Failure;

/// Records the provider object of a call, for the attempt that owns it.
pub trait EffectLog: Send + Sync {
    /// Records `reference`; `Ok(false)` when the call was taken over
    /// meanwhile (the record was not made).
    fn record<'a>(
        &'a self,
        reference: &'a str,
    ) -> Pin<Box<dyn Future<Output = Result<bool, String>> + Send + 'a>>;
}

/// Which attempt at a call this is.
#[derive(Clone)]
pub struct Attempt {
    /// An earlier attempt may have taken effect: establish its result
    /// before acting again.
    pub look_up_first: bool,
    /// Raised on every takeover of the call; 1 for the first attempt.
    pub fence: i32,
    /// The provider object an earlier attempt made and recorded.
    pub recorded: Option<String>,
    /// When the call was first claimed: a provider object made for it was
    /// created no earlier (give or take the clocks' difference).
    pub since: DateTime<Utc>,
    log: Arc<dyn EffectLog>,
}

impl std::fmt::Debug for Attempt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Attempt")
            .field("look_up_first", &self.look_up_first)
            .field("fence", &self.fence)
            .field("recorded", &self.recorded)
            .field("since", &self.since)
            .finish_non_exhaustive()
    }
}

impl Attempt {
    /// An attempt recording into `log`.
    pub fn new(
        look_up_first: bool,
        fence: i32,
        recorded: Option<String>,
        since: DateTime<Utc>,
        log: Arc<dyn EffectLog>,
    ) -> Self {
        Attempt {
            look_up_first,
            fence,
            recorded,
            since,
            log,
        }
    }

    /// Records the provider object this attempt made or found, before the
    /// next effect on it. A failure to record leaves the call unresolved;
    /// a takeover meanwhile stops this attempt.
    pub async fn record(&mut self, reference: &str) -> Result<(), Failure> {
        if self.recorded.as_deref() == Some(reference) {
            return Ok(());
        }
        match self.log.record(reference).await {
            Ok(true) => {
                self.recorded = Some(reference.to_owned());
                Ok(())
            }
            Ok(false) => Err(Failure::Superseded),
            Err(detail) => Err(Failure::Unresolved {
                detail: format!("cannot record the provider object: {detail}"),
            }),
        }
    }
}

/// An in-memory [`EffectLog`], for tests of the services.
#[derive(Debug, Default)]
pub struct MemoryLog {
    recorded: std::sync::Mutex<Vec<String>>,
}

impl MemoryLog {
    /// Everything recorded, in order.
    pub fn recorded(&self) -> Vec<String> {
        self.recorded
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// A first attempt recording into a log of its own.
    pub fn fresh() -> Attempt {
        Arc::new(MemoryLog::default()).first()
    }

    /// A first attempt recording here.
    pub fn first(self: &Arc<Self>) -> Attempt {
        Attempt::new(false, 1, None, Utc::now(), self.clone())
    }

    /// A takeover (fence 2) that knows what the earlier attempt recorded.
    pub fn takeover(self: &Arc<Self>, since: DateTime<Utc>) -> Attempt {
        let recorded = self.recorded().last().cloned();
        Attempt::new(true, 2, recorded, since, self.clone())
    }
}

impl EffectLog for MemoryLog {
    fn record<'a>(
        &'a self,
        reference: &'a str,
    ) -> Pin<Box<dyn Future<Output = Result<bool, String>> + Send + 'a>> {
        self.recorded
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(reference.to_owned());
        Box::pin(async { Ok(true) })
    }
}
