//! The search worker: Duffel offer requests. Searching has no effect, so
//! every failure short of a definite refusal is simply tried again.

use std::time::Duration;

use autobook_contracts::events::{OffersFound, SearchFailed};
use autobook_contracts::{Envelope, Message, QueueRole};

use crate::providers::{DuffelClient, ErrorClass};
use crate::worker::retry::{Caller, Repeatable};
use crate::worker::{Attempt, Failure, Reply, Service};

pub struct SearchService {
    pub duffel: DuffelClient,
    pub caller: Caller,
    /// How long Duffel may wait on airlines (`supplier_timeout`).
    pub supplier_timeout: Duration,
}

impl Service for SearchService {
    const QUEUE: QueueRole = QueueRole::Search;

    async fn perform(&self, command: &Envelope, _attempt: Attempt) -> Result<Reply, Failure> {
        let Message::SearchOffers(search) = &command.message else {
            return Err(Failure::Unsupported(command.message_type()));
        };
        let key = search.idempotency_key.clone();
        let result = self
            .caller
            .call(Repeatable::ByIdempotencyKey, || {
                self.duffel.search(search, self.supplier_timeout)
            })
            .await;
        match result {
            Ok(found) => {
                if found.skipped > 0 {
                    tracing::warn!(
                        skipped = found.skipped,
                        "offers that could not be read were skipped"
                    );
                }
                Ok(Reply::settled(OffersFound {
                    idempotency_key: key,
                    offer_request_id: found.offer_request_id,
                    offers: found.offers,
                }))
            }
            Err(error) => match error.class() {
                ErrorClass::Permanent => Ok(Reply::settled(SearchFailed {
                    idempotency_key: key,
                    detail: error.to_string(),
                })),
                ErrorClass::Retryable | ErrorClass::OutcomeUnknown => {
                    Err(Failure::unresolved(&error))
                }
            },
        }
    }
}
