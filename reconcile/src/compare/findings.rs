//! Findings as the comparison makes them: each (class, subject) once, and
//! each orphaned hold proposed for release once.

use std::collections::BTreeSet;

use uuid::Uuid;

use autobook_contracts::money::Money;
use autobook_workers::providers::{DuffelOrder, PaymentIntent};

use super::{Judgement, Release};
use crate::finding::{Finding, FindingClass};
use crate::observed::{received, saga_named};

/// Findings as they are made, each (class, subject) once.
#[derive(Default)]
pub(super) struct Findings {
    judgement: Judgement,
    seen: BTreeSet<(FindingClass, String)>,
}

impl Findings {
    pub(super) fn push(
        &mut self,
        class: FindingClass,
        subject: String,
        saga_id: Option<Uuid>,
        amount: Option<Money>,
        detail: String,
    ) {
        if self.seen.insert((class, subject.clone())) {
            self.judgement.findings.push(Finding {
                class,
                subject,
                saga_id,
                amount,
                detail,
            });
        }
    }

    pub(super) fn orphan(&mut self, intent: &PaymentIntent) {
        let held = Money::new(intent.amount_capturable, intent.amount.currency);
        let saga = saga_named(&intent.metadata);
        if self
            .seen
            .contains(&(FindingClass::OrphanHold, intent.id.clone()))
        {
            return;
        }
        self.push(
            FindingClass::OrphanHold,
            intent.id.clone(),
            saga,
            Some(held),
            format!("{} holds {held} and no saga counts on it", intent.id),
        );
        self.judgement.releases.push(Release {
            payment_intent_id: intent.id.clone(),
            saga_id: saga,
            amount: held,
        });
    }

    pub(super) fn capture_on_compensated(&mut self, saga: Uuid, intent: &PaymentIntent, how: &str) {
        let taken = received(intent);
        self.push(
            FindingClass::CaptureOnCompensatedSaga,
            intent.id.clone(),
            Some(saga),
            Some(taken),
            format!("{} captured {taken} for a saga that {how}", intent.id),
        );
    }

    pub(super) fn order_on_compensated(&mut self, saga: Uuid, order: &DuffelOrder, how: &str) {
        self.push(
            FindingClass::OrderOnCompensatedSaga,
            order.id.clone(),
            Some(saga),
            Some(order.total),
            format!(
                "live order {} ({}) of a saga that {how}",
                order.id, order.total
            ),
        );
    }

    pub(super) fn double_capture(&mut self, saga: Uuid, captures: &[&PaymentIntent]) {
        let ids: Vec<String> = captures
            .iter()
            .map(|i| format!("{} ({})", i.id, received(i)))
            .collect();
        self.push(
            FindingClass::DoubleCapture,
            saga.to_string(),
            Some(saga),
            None,
            format!("{} captured intents: {}", captures.len(), ids.join(", ")),
        );
    }

    pub(super) fn mismatch(&mut self, saga: Uuid, detail: String) {
        self.push(
            FindingClass::AmountMismatch,
            saga.to_string(),
            Some(saga),
            None,
            detail,
        );
    }

    pub(super) fn done(self) -> Judgement {
        self.judgement
    }
}
