//! The PaymentIntent state machine: confirm (authorize, or charge at once
//! for automatic capture; a card that needs 3-D Secure stops at
//! `requires_action`), capture, cancel, and the lapse of an uncaptured hold
//! seven days after confirmation (evaluated lazily on access).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::errors::StripeError;

/// How long an authorization hold lasts (customer-initiated card payments).
pub(crate) const HOLD_VALIDITY: chrono::Duration = chrono::Duration::days(7);

const CANCELABLE: &str =
    "requires_payment_method, requires_capture, requires_confirmation, requires_action, processing";

/// The statuses the sandbox reaches (never `processing`: card payments
/// settle at once).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Status {
    RequiresPaymentMethod,
    RequiresConfirmation,
    /// 3-D Secure: the customer must authenticate, which no unattended
    /// caller can do. Nothing is held.
    RequiresAction,
    RequiresCapture,
    Canceled,
    Succeeded,
}

impl Status {
    pub(crate) fn as_str(&self) -> &'static str {
        match self {
            Status::RequiresPaymentMethod => "requires_payment_method",
            Status::RequiresConfirmation => "requires_confirmation",
            Status::RequiresAction => "requires_action",
            Status::RequiresCapture => "requires_capture",
            Status::Canceled => "canceled",
            Status::Succeeded => "succeeded",
        }
    }
}

/// What a test payment method does when charged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CardBehaviour {
    Approve,
    Decline {
        decline_code: &'static str,
        message: &'static str,
    },
    /// 3-D Secure is required.
    Authenticate,
}

/// How a confirmation treats a card that needs authentication.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct ConfirmOptions {
    /// `error_on_requires_action=true` or `off_session=true`: fail with
    /// `authentication_required` instead of stopping at `requires_action`.
    pub(crate) error_on_requires_action: bool,
}

/// Stripe's test payment methods; `None` for an unknown one.
pub(crate) fn card_behaviour(payment_method: &str) -> Option<CardBehaviour> {
    match payment_method {
        "pm_card_visa" | "pm_card_mastercard" | "pm_card_amex" | "pm_card_visa_debit" => {
            Some(CardBehaviour::Approve)
        }
        "pm_card_chargeDeclined" | "pm_card_visa_chargeDeclined" => Some(CardBehaviour::Decline {
            decline_code: "generic_decline",
            message: "Your card was declined.",
        }),
        "pm_card_chargeDeclinedInsufficientFunds" => Some(CardBehaviour::Decline {
            decline_code: "insufficient_funds",
            message: "Your card has insufficient funds.",
        }),
        "pm_card_authenticationRequired" => Some(CardBehaviour::Authenticate),
        _ => None,
    }
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PaymentIntent {
    pub(crate) id: String,
    pub(crate) amount: i64,
    /// Lowercase.
    pub(crate) currency: String,
    pub(crate) status: Status,
    /// "manual", "automatic" or "automatic_async".
    pub(crate) capture_method: String,
    pub(crate) amount_capturable: i64,
    pub(crate) amount_received: i64,
    pub(crate) amount_refunded: i64,
    pub(crate) payment_method: Option<String>,
    pub(crate) payment_method_types: Vec<String>,
    pub(crate) customer: Option<String>,
    pub(crate) description: Option<String>,
    pub(crate) metadata: BTreeMap<String, String>,
    pub(crate) created: i64,
    pub(crate) client_secret: String,
    pub(crate) cancellation_reason: Option<String>,
    pub(crate) canceled_at: Option<i64>,
    pub(crate) last_payment_error: Option<Value>,
    pub(crate) latest_charge: Option<String>,
    pub(crate) authorized_at: Option<DateTime<Utc>>,
}

impl PaymentIntent {
    fn manual(&self) -> bool {
        self.capture_method == "manual"
    }

    pub(crate) fn json(&self) -> Value {
        json!({
            "id": self.id,
            "object": "payment_intent",
            "amount": self.amount,
            "amount_capturable": self.amount_capturable,
            "amount_received": self.amount_received,
            "currency": self.currency,
            "status": self.status.as_str(),
            "capture_method": self.capture_method,
            "confirmation_method": "automatic",
            "payment_method": self.payment_method,
            "payment_method_types": self.payment_method_types,
            "customer": self.customer,
            "description": self.description,
            "metadata": self.metadata,
            "created": self.created,
            "client_secret": self.client_secret,
            "cancellation_reason": self.cancellation_reason,
            "canceled_at": self.canceled_at,
            "last_payment_error": self.last_payment_error,
            "latest_charge": self.latest_charge,
            "next_action": self.next_action(),
            "livemode": false,
        })
    }

    /// What the customer must do: 3-D Secure through Stripe's SDK.
    fn next_action(&self) -> Value {
        match self.status {
            Status::RequiresAction => json!({
                "type": "use_stripe_sdk",
                "use_stripe_sdk": { "type": "three_d_secure_redirect" },
            }),
            Status::RequiresPaymentMethod
            | Status::RequiresConfirmation
            | Status::RequiresCapture
            | Status::Canceled
            | Status::Succeeded => Value::Null,
        }
    }

    /// Applies a hold lapse that became due; true if it lapsed now.
    pub(crate) fn refresh(&mut self, now: DateTime<Utc>) -> bool {
        let due = self.status == Status::RequiresCapture
            && self
                .authorized_at
                .is_some_and(|at| now >= at + HOLD_VALIDITY);
        if due {
            self.lapse(now);
        }
        due
    }

    /// The hold is gone: Stripe cancels the intent automatically.
    pub(crate) fn lapse(&mut self, now: DateTime<Utc>) {
        self.status = Status::Canceled;
        self.cancellation_reason = Some("automatic".into());
        self.canceled_at = Some(now.timestamp());
        self.amount_capturable = 0;
    }

    /// Confirms with the attached (or given) payment method; `charge_id` is
    /// the id of the charge attempt.
    pub(crate) fn confirm(
        &mut self,
        payment_method: Option<String>,
        charge_id: String,
        options: ConfirmOptions,
        now: DateTime<Utc>,
    ) -> Result<(), StripeError> {
        if !matches!(
            self.status,
            Status::RequiresPaymentMethod | Status::RequiresConfirmation | Status::RequiresAction
        ) {
            return Err(StripeError::unexpected_state(format!(
                "This PaymentIntent's status is {}, but it must be requires_payment_method, requires_confirmation or requires_action to be confirmed.",
                self.status.as_str()
            ))
            .with_intent(self.json()));
        }
        if let Some(payment_method) = payment_method {
            self.payment_method = Some(payment_method);
        }
        let Some(method) = self.payment_method.clone() else {
            return Err(StripeError::unexpected_state(
                "You cannot confirm this PaymentIntent because it's missing a payment method. Update it with a payment_method, or confirm it with one.",
            )
            .with_intent(self.json()));
        };
        let behaviour = card_behaviour(&method)
            .ok_or_else(|| StripeError::no_such("PaymentMethod", &method, "payment_method"))?;
        self.latest_charge = Some(charge_id);
        match behaviour {
            CardBehaviour::Approve => {
                self.last_payment_error = None;
                if self.manual() {
                    self.status = Status::RequiresCapture;
                    self.amount_capturable = self.amount;
                    self.authorized_at = Some(now);
                } else {
                    self.status = Status::Succeeded;
                    self.amount_received = self.amount;
                }
                Ok(())
            }
            CardBehaviour::Decline {
                decline_code,
                message,
            } => Err(self.fail(StripeError::card_declined(decline_code, message), &method)),
            CardBehaviour::Authenticate if options.error_on_requires_action => {
                Err(self.fail(StripeError::authentication_required(), &method))
            }
            CardBehaviour::Authenticate => {
                self.last_payment_error = None;
                self.status = Status::RequiresAction;
                Ok(())
            }
        }
    }

    /// A failed charge attempt: the intent waits for another payment
    /// method and remembers why; the error carries the intent.
    fn fail(&mut self, error: StripeError, method: &str) -> StripeError {
        self.status = Status::RequiresPaymentMethod;
        self.last_payment_error = Some(json!({
            "type": error.kind,
            "code": error.code,
            "decline_code": error.decline_code,
            "message": error.message,
            "payment_method": { "id": method, "object": "payment_method", "type": "card" },
        }));
        self.payment_method = None;
        error.with_intent(self.json())
    }

    /// Captures `amount` (default: everything capturable); the rest of the
    /// hold is released.
    pub(crate) fn capture(&mut self, amount: Option<i64>) -> Result<(), StripeError> {
        if self.status != Status::RequiresCapture {
            return Err(StripeError::unexpected_state(format!(
                "This PaymentIntent could not be captured because it has a status of {}. Only a PaymentIntent with one of the following statuses may be captured: requires_capture.",
                self.status.as_str()
            ))
            .with_intent(self.json()));
        }
        let amount = amount.unwrap_or(self.amount_capturable);
        if amount > self.amount_capturable {
            return Err(StripeError::invalid(
                "amount_too_large",
                "amount_to_capture",
                "The amount to capture must be less than or equal to the amount_capturable.",
            ));
        }
        self.status = Status::Succeeded;
        self.amount_received = amount;
        self.amount_capturable = 0;
        Ok(())
    }

    /// Cancels (voids) the intent, releasing any hold.
    pub(crate) fn cancel(
        &mut self,
        reason: Option<String>,
        now: DateTime<Utc>,
    ) -> Result<(), StripeError> {
        if matches!(self.status, Status::Succeeded | Status::Canceled) {
            return Err(StripeError::unexpected_state(format!(
                "You cannot cancel this PaymentIntent because it has a status of {}. Only a PaymentIntent with one of the following statuses may be canceled: {CANCELABLE}.",
                self.status.as_str()
            ))
            .with_intent(self.json()));
        }
        self.status = Status::Canceled;
        self.cancellation_reason = reason;
        self.canceled_at = Some(now.timestamp());
        self.amount_capturable = 0;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn intent(capture_method: &str, payment_method: &str) -> PaymentIntent {
        PaymentIntent {
            id: "pi_1".into(),
            amount: 5000,
            currency: "usd".into(),
            status: Status::RequiresConfirmation,
            capture_method: capture_method.into(),
            amount_capturable: 0,
            amount_received: 0,
            amount_refunded: 0,
            payment_method: Some(payment_method.into()),
            payment_method_types: vec!["card".into()],
            customer: None,
            description: None,
            metadata: BTreeMap::new(),
            created: 0,
            client_secret: "pi_1_secret_x".into(),
            cancellation_reason: None,
            canceled_at: None,
            last_payment_error: None,
            latest_charge: None,
            authorized_at: None,
        }
    }

    #[test]
    fn manual_capture_flow_and_lapse() {
        let now = Utc::now();
        let mut pi = intent("manual", "pm_card_visa");
        pi.confirm(None, "ch_1".into(), ConfirmOptions::default(), now)
            .unwrap();
        assert_eq!(
            (pi.status, pi.amount_capturable),
            (Status::RequiresCapture, 5000)
        );
        let mut lapsing = pi.clone();
        lapsing.refresh(now + HOLD_VALIDITY);
        assert_eq!(lapsing.status, Status::Canceled);
        assert_eq!(lapsing.cancellation_reason.as_deref(), Some("automatic"));
        assert!(pi.capture(Some(6000)).is_err());
        pi.capture(Some(4000)).unwrap();
        assert_eq!(
            (pi.status, pi.amount_received, pi.amount_capturable),
            (Status::Succeeded, 4000, 0)
        );
        let error = pi.cancel(None, now).unwrap_err();
        assert!(error.message.contains("status of succeeded"));
    }

    #[test]
    fn declines_leave_the_intent_waiting_for_a_payment_method() {
        let mut pi = intent("manual", "pm_card_chargeDeclinedInsufficientFunds");
        let error = pi
            .confirm(None, "ch_1".into(), ConfirmOptions::default(), Utc::now())
            .unwrap_err();
        assert_eq!(error.decline_code, Some("insufficient_funds"));
        assert_eq!(pi.status, Status::RequiresPaymentMethod);
        assert_eq!(
            pi.last_payment_error.as_ref().unwrap()["decline_code"],
            "insufficient_funds"
        );
        assert_eq!(
            error.payment_intent.as_ref().unwrap()["status"],
            "requires_payment_method"
        );
    }

    #[test]
    fn a_card_that_needs_authentication_stops_at_requires_action_holding_nothing() {
        let now = Utc::now();
        let mut pi = intent("manual", "pm_card_authenticationRequired");
        pi.confirm(None, "ch_1".into(), ConfirmOptions::default(), now)
            .unwrap();
        assert_eq!(
            (pi.status, pi.amount_capturable),
            (Status::RequiresAction, 0)
        );
        assert_eq!(pi.json()["next_action"]["type"], "use_stripe_sdk");
        assert!(pi.capture(None).is_err());
        let mut strict = intent("manual", "pm_card_authenticationRequired");
        let options = ConfirmOptions {
            error_on_requires_action: true,
        };
        let error = strict
            .confirm(None, "ch_2".into(), options, now)
            .unwrap_err();
        assert_eq!(
            (error.kind, error.code),
            ("card_error", Some("authentication_required"))
        );
        assert_eq!(strict.status, Status::RequiresPaymentMethod);
        assert_eq!(
            strict.last_payment_error.as_ref().unwrap()["code"],
            "authentication_required"
        );
        pi.cancel(Some("abandoned".into()), now).unwrap();
        assert_eq!(pi.status, Status::Canceled);
        assert!(pi.json()["next_action"].is_null());
    }
}
