//! What a run can find: the closed set of mismatch classes, one finding,
//! and what the job did about it.

use serde::Serialize;
use uuid::Uuid;

use autobook_contracts::money::Money;

/// A kind of disagreement between the providers and our records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FindingClass {
    /// An uncaptured hold (`requires_capture`) made by autobook that no
    /// saga counts on. Released by the job once older than the grace.
    OrphanHold,
    /// A capture on a failed saga, or on a cancelled one that recorded no
    /// such charge.
    CaptureOnCompensatedSaga,
    /// A live airline order of a failed or cancelled saga.
    OrderOnCompensatedSaga,
    /// A booked saga's order is live but nothing was captured.
    OrderWithoutCapture,
    /// A booked saga's payment is captured but it has no live order.
    CaptureWithoutOrder,
    /// The order's total, the capture, the refunds and the saga's record
    /// disagree (amount, currency, or which intent or order).
    AmountMismatch,
    /// Two captured payment intents for one saga.
    DoubleCapture,
    /// Two live orders for one saga.
    DoubleOrder,
    /// A captured intent or a live order naming a saga we have no record of.
    UnknownSaga,
    /// A saga whose stored state cannot be read: its money cannot be judged.
    UnreadableSaga,
}

impl FindingClass {
    /// Every class, in a stable order.
    pub const ALL: [FindingClass; 10] = [
        FindingClass::OrphanHold,
        FindingClass::CaptureOnCompensatedSaga,
        FindingClass::OrderOnCompensatedSaga,
        FindingClass::OrderWithoutCapture,
        FindingClass::CaptureWithoutOrder,
        FindingClass::AmountMismatch,
        FindingClass::DoubleCapture,
        FindingClass::DoubleOrder,
        FindingClass::UnknownSaga,
        FindingClass::UnreadableSaga,
    ];

    /// The name stored, printed and used as a metric label.
    pub fn as_str(&self) -> &'static str {
        match self {
            FindingClass::OrphanHold => "orphan_hold",
            FindingClass::CaptureOnCompensatedSaga => "capture_on_compensated_saga",
            FindingClass::OrderOnCompensatedSaga => "order_on_compensated_saga",
            FindingClass::OrderWithoutCapture => "order_without_capture",
            FindingClass::CaptureWithoutOrder => "capture_without_order",
            FindingClass::AmountMismatch => "amount_mismatch",
            FindingClass::DoubleCapture => "double_capture",
            FindingClass::DoubleOrder => "double_order",
            FindingClass::UnknownSaga => "unknown_saga",
            FindingClass::UnreadableSaga => "unreadable_saga",
        }
    }

    /// The class named `name`.
    pub fn parse(name: &str) -> Option<FindingClass> {
        FindingClass::ALL
            .into_iter()
            .find(|class| class.as_str() == name)
    }
}

/// One disagreement. `class` and `subject` name it across runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub class: FindingClass,
    /// The payment intent (`pi_...`), order (`ord_...`) or saga it is about.
    pub subject: String,
    pub saga_id: Option<Uuid>,
    /// The money at stake, when one amount says it.
    pub amount: Option<Money>,
    /// Ids, statuses and amounts: never a traveller's data.
    pub detail: String,
}

/// What the job did about a finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Nothing: a person must look.
    AwaitingOperator,
    /// The orphaned hold was released (audited).
    Released,
    /// The release was tried and failed; the next run tries again.
    ReleaseFailed,
    /// A release was due but the run was read-only.
    ReadOnly,
}

impl Action {
    pub fn as_str(&self) -> &'static str {
        match self {
            Action::AwaitingOperator => "awaiting_operator",
            Action::Released => "released",
            Action::ReleaseFailed => "release_failed",
            Action::ReadOnly => "read_only",
        }
    }
}

/// A finding with what was done about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Handled {
    #[serde(flatten)]
    pub finding: Finding,
    pub action: Action,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_class_has_a_distinct_name_that_parses_back() {
        let names: std::collections::BTreeSet<&str> =
            FindingClass::ALL.iter().map(FindingClass::as_str).collect();
        assert_eq!(names.len(), FindingClass::ALL.len());
        for class in FindingClass::ALL {
            assert_eq!(FindingClass::parse(class.as_str()), Some(class));
            let json = serde_json::to_value(class).unwrap();
            assert_eq!(json, class.as_str());
        }
        assert_eq!(FindingClass::parse("nothing"), None);
    }
}
