//! Names for groups of phases and of messages, as patterns, so that the
//! transition table in [`super::decide`] lists every (phase, message) pair
//! without a wildcard and still reads as a table. Each group lists its
//! variants by name: a new phase or message is in no group until someone
//! puts it in one, so the table stops compiling until it has a decision.

/// Groups of phases.
macro_rules! phase {
    // Every phase.
    (any) => {
        $crate::saga::state::Phase::Searching { .. }
            | $crate::saga::state::Phase::Watching { .. }
            | $crate::saga::state::Phase::Paused { .. }
            | $crate::saga::state::Phase::Authorizing { .. }
            | $crate::saga::state::Phase::Ordering { .. }
            | $crate::saga::state::Phase::Capturing { .. }
            | $crate::saga::state::Phase::ReleasingHold { .. }
            | $crate::saga::state::Phase::CancellingOrder { .. }
            | $crate::saga::state::Phase::CancellingBooking { .. }
            | $crate::saga::state::Phase::Refunding { .. }
            | $crate::saga::state::Phase::Notifying { .. }
            | $crate::saga::state::Phase::OutcomeUnknown { .. }
            | $crate::saga::state::Phase::Stuck { .. }
            | $crate::saga::state::Phase::Booked { .. }
            | $crate::saga::state::Phase::Failed { .. }
            | $crate::saga::state::Phase::Cancelled { .. }
            | $crate::saga::state::Phase::Aborted { .. }
    };
    // Every phase but `paused`.
    (not_paused) => {
        $crate::saga::state::Phase::Searching { .. }
            | $crate::saga::state::Phase::Watching { .. }
            | $crate::saga::state::Phase::Authorizing { .. }
            | $crate::saga::state::Phase::Ordering { .. }
            | $crate::saga::state::Phase::Capturing { .. }
            | $crate::saga::state::Phase::ReleasingHold { .. }
            | $crate::saga::state::Phase::CancellingOrder { .. }
            | $crate::saga::state::Phase::CancellingBooking { .. }
            | $crate::saga::state::Phase::Refunding { .. }
            | $crate::saga::state::Phase::Notifying { .. }
            | $crate::saga::state::Phase::OutcomeUnknown { .. }
            | $crate::saga::state::Phase::Stuck { .. }
            | $crate::saga::state::Phase::Booked { .. }
            | $crate::saga::state::Phase::Failed { .. }
            | $crate::saga::state::Phase::Cancelled { .. }
            | $crate::saga::state::Phase::Aborted { .. }
    };
    // Every phase but `stuck`.
    (not_stuck) => {
        $crate::saga::state::Phase::Searching { .. }
            | $crate::saga::state::Phase::Watching { .. }
            | $crate::saga::state::Phase::Paused { .. }
            | $crate::saga::state::Phase::Authorizing { .. }
            | $crate::saga::state::Phase::Ordering { .. }
            | $crate::saga::state::Phase::Capturing { .. }
            | $crate::saga::state::Phase::ReleasingHold { .. }
            | $crate::saga::state::Phase::CancellingOrder { .. }
            | $crate::saga::state::Phase::CancellingBooking { .. }
            | $crate::saga::state::Phase::Refunding { .. }
            | $crate::saga::state::Phase::Notifying { .. }
            | $crate::saga::state::Phase::OutcomeUnknown { .. }
            | $crate::saga::state::Phase::Booked { .. }
            | $crate::saga::state::Phase::Failed { .. }
            | $crate::saga::state::Phase::Cancelled { .. }
            | $crate::saga::state::Phase::Aborted { .. }
    };
    // Ended for good: only a cancel (of a booking) moves one on.
    (finished) => {
        $crate::saga::state::Phase::Booked { .. }
            | $crate::saga::state::Phase::Failed { .. }
            | $crate::saga::state::Phase::Cancelled { .. }
            | $crate::saga::state::Phase::Aborted { .. }
    };
    // Compensations in flight: their failures are retried on a timer.
    (compensating) => {
        $crate::saga::state::Phase::ReleasingHold { .. }
            | $crate::saga::state::Phase::CancellingOrder { .. }
            | $crate::saga::state::Phase::CancellingBooking { .. }
            | $crate::saga::state::Phase::Refunding { .. }
    };
}

/// A worker's answer to a step's command (its outcome-unknown and deferred
/// answers apart), by step; `not <step>`: an answer of any other step.
macro_rules! answer {
    (search) => {
        ::autobook_contracts::Message::OffersFound(_)
            | ::autobook_contracts::Message::SearchFailed(_)
    };
    (authorize) => {
        ::autobook_contracts::Message::PaymentAuthorized(_)
            | ::autobook_contracts::Message::PaymentDeclined(_)
            | ::autobook_contracts::Message::PaymentFailed(_)
    };
    (order) => {
        ::autobook_contracts::Message::OrderCreated(_)
            | ::autobook_contracts::Message::OrderFailed(_)
    };
    (capture) => {
        ::autobook_contracts::Message::PaymentCaptured(_)
            | ::autobook_contracts::Message::CaptureFailed(_)
    };
    (void) => {
        ::autobook_contracts::Message::HoldVoided(_) | ::autobook_contracts::Message::VoidFailed(_)
    };
    (cancel) => {
        ::autobook_contracts::Message::OrderCancelled(_)
            | ::autobook_contracts::Message::CancelFailed(_)
    };
    (refund) => {
        ::autobook_contracts::Message::PaymentRefunded(_)
            | ::autobook_contracts::Message::RefundFailed(_)
    };
    (notify) => {
        ::autobook_contracts::Message::NotificationSent(_)
            | ::autobook_contracts::Message::NotificationFailed(_)
    };
    (not search) => {
        answer!(authorize)
            | answer!(order)
            | answer!(capture)
            | answer!(void)
            | answer!(cancel)
            | answer!(refund)
            | answer!(notify)
    };
    (not authorize) => {
        answer!(search)
            | answer!(order)
            | answer!(capture)
            | answer!(void)
            | answer!(cancel)
            | answer!(refund)
            | answer!(notify)
    };
    (not order) => {
        answer!(search)
            | answer!(authorize)
            | answer!(capture)
            | answer!(void)
            | answer!(cancel)
            | answer!(refund)
            | answer!(notify)
    };
    (not capture) => {
        answer!(search)
            | answer!(authorize)
            | answer!(order)
            | answer!(void)
            | answer!(cancel)
            | answer!(refund)
            | answer!(notify)
    };
    (not void) => {
        answer!(search)
            | answer!(authorize)
            | answer!(order)
            | answer!(capture)
            | answer!(cancel)
            | answer!(refund)
            | answer!(notify)
    };
    (not cancel) => {
        answer!(search)
            | answer!(authorize)
            | answer!(order)
            | answer!(capture)
            | answer!(void)
            | answer!(refund)
            | answer!(notify)
    };
    (not refund) => {
        answer!(search)
            | answer!(authorize)
            | answer!(order)
            | answer!(capture)
            | answer!(void)
            | answer!(cancel)
            | answer!(notify)
    };
    (not notify) => {
        answer!(search)
            | answer!(authorize)
            | answer!(order)
            | answer!(capture)
            | answer!(void)
            | answer!(cancel)
            | answer!(refund)
    };
    (any) => {
        answer!(search)
            | answer!(authorize)
            | answer!(order)
            | answer!(capture)
            | answer!(void)
            | answer!(cancel)
            | answer!(refund)
            | answer!(notify)
    };
}

/// Commands: the orchestrator sends them and never takes one in.
macro_rules! command {
    () => {
        ::autobook_contracts::Message::SearchOffers(_)
            | ::autobook_contracts::Message::AuthorizePayment(_)
            | ::autobook_contracts::Message::CreateOrder(_)
            | ::autobook_contracts::Message::CapturePayment(_)
            | ::autobook_contracts::Message::VoidHold(_)
            | ::autobook_contracts::Message::CancelOrder(_)
            | ::autobook_contracts::Message::SendNotification(_)
            | ::autobook_contracts::Message::RefundPayment(_)
    };
}

/// An operator's request to a stuck saga.
macro_rules! operator {
    () => {
        ::autobook_contracts::Message::RetryRequested(_)
            | ::autobook_contracts::Message::AbortRequested(_)
    };
}

/// A `saga.timer_fired` of the named kinds (`any`: of every kind),
/// optionally bound (`fired @ ...`) to its [`TimerFired`](autobook_contracts::events::TimerFired).
macro_rules! timer {
    ($fired:ident @ any) => {
        timer!($fired @ RecheckStep | RetryCompensation | Research | Deadline | HoldExpiring | OfferExpiring | StepDeadline)
    };
    ($fired:ident @ $($kind:ident)|+) => {
        ::autobook_contracts::Message::TimerFired(
            $fired @ ::autobook_contracts::events::TimerFired {
                timer: $(::autobook_contracts::events::SagaTimer::$kind { .. })|+,
            },
        )
    };
    ($($kind:ident)|+) => {
        ::autobook_contracts::Message::TimerFired(::autobook_contracts::events::TimerFired {
            timer: $(::autobook_contracts::events::SagaTimer::$kind { .. })|+,
        })
    };
}

pub(super) use {answer, command, operator, phase, timer};
