//! Stripe tests: form encoding, search queries, answers and errors.

use std::collections::BTreeMap;
use std::time::Duration;

use autobook_contracts::{Currency, Money};
use chrono::Utc;
use serde_json::json;

use super::client::{decode_intent, decode_intent_page, decode_refund, decode_refund_page};
use super::errors::error_from_response;
use super::model::{CancellationReason, NewPaymentIntent, NewRefund, PaymentIntentStatus};
use super::request::{
    cancel_form, capture_form, check_idempotency_key, create_intent_form, refund_form,
};
use crate::providers::error::{ErrorClass, Provider, ProviderError};
use crate::providers::tests::raw;

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn intent() -> NewPaymentIntent {
    NewPaymentIntent {
        amount: Money::new(35_130, Currency::USD),
        payment_method: "pm_card_visa".into(),
        customer: Some("cus_NffrFeUfNV2Hib".into()),
        description: "Flight JFK-LAX 2027-03-14 & more = 100% 'ok'".into(),
        metadata: BTreeMap::from([
            ("saga_id".to_owned(), "0190-ab:authorize:1".to_owned()),
            ("note".to_owned(), "a&b=c d+é".to_owned()),
        ]),
    }
}

#[test]
fn payment_intent_form_uses_bracket_keys() {
    let form = create_intent_form(&intent()).unwrap();
    assert_eq!(
        form.pairs(),
        pairs(&[
            ("amount", "35130"),
            ("currency", "usd"),
            ("capture_method", "manual"),
            ("payment_method", "pm_card_visa"),
            ("payment_method_types[]", "card"),
            ("customer", "cus_NffrFeUfNV2Hib"),
            (
                "description",
                "Flight JFK-LAX 2027-03-14 & more = 100% 'ok'"
            ),
            ("metadata[note]", "a&b=c d+é"),
            ("metadata[saga_id]", "0190-ab:authorize:1"),
        ])
        .as_slice()
    );
    let encoded = form.encode().unwrap();
    assert!(
        encoded.starts_with("amount=35130&currency=usd&capture_method=manual&"),
        "{encoded}"
    );
    assert!(
        encoded.contains("payment_method_types%5B%5D=card"),
        "{encoded}"
    );
    assert!(
        encoded.contains("metadata%5Bsaga_id%5D=0190-ab%3Aauthorize%3A1"),
        "{encoded}"
    );
    assert!(
        encoded.contains("metadata%5Bnote%5D=a%26b%3Dc+d%2B%C3%A9"),
        "{encoded}"
    );
    // What Stripe decodes is exactly what we meant.
    let decoded: Vec<(String, String)> = serde_urlencoded::from_str(&encoded).unwrap();
    assert_eq!(decoded, form.pairs());
}

#[test]
fn invalid_intents_are_refused() {
    let mut zero = intent();
    zero.amount = Money::new(0, Currency::USD);
    let mut bracket = intent();
    bracket.metadata.insert("a]b".into(), "x".into());
    let mut too_many = intent();
    too_many.metadata = (0..51).map(|i| (format!("k{i}"), "v".to_owned())).collect();
    let mut no_method = intent();
    no_method.payment_method = " ".into();
    for bad in [zero, bracket, too_many, no_method] {
        assert!(matches!(
            create_intent_form(&bad),
            Err(ProviderError::InvalidRequest(_))
        ));
    }
}

#[test]
fn capture_cancel_and_refund_forms() {
    assert_eq!(capture_form(None).unwrap().pairs(), &[]);
    assert_eq!(
        capture_form(Some(Money::new(20_000, Currency::USD)))
            .unwrap()
            .pairs(),
        pairs(&[("amount_to_capture", "20000")]).as_slice()
    );
    assert_eq!(
        cancel_form(CancellationReason::RequestedByCustomer).pairs(),
        pairs(&[("cancellation_reason", "requested_by_customer")]).as_slice()
    );
    let refund = NewRefund {
        payment_intent: "pi_1".into(),
        amount: Some(Money::new(500, Currency::EUR)),
        reason: Some("requested_by_customer".into()),
        metadata: BTreeMap::from([("saga_id".to_owned(), "s1".to_owned())]),
    };
    assert_eq!(
        refund_form(&refund).unwrap().pairs(),
        pairs(&[
            ("payment_intent", "pi_1"),
            ("amount", "500"),
            ("reason", "requested_by_customer"),
            ("metadata[saga_id]", "s1"),
        ])
        .as_slice()
    );
}

#[test]
fn idempotency_keys_are_checked() {
    assert!(check_idempotency_key("0190-ab:authorize:1").is_ok());
    for bad in [String::new(), "a b".into(), "x\ny".into(), "k".repeat(256)] {
        assert!(check_idempotency_key(&bad).is_err(), "{bad}");
    }
}

fn intent_json(status: &str) -> serde_json::Value {
    json!({
        "id": "pi_3MtwBwLkdIwHu7ix28a3tqPa", "object": "payment_intent",
        "amount": 35130, "amount_capturable": 35130, "amount_received": 0,
        "currency": "usd", "capture_method": "manual", "status": status,
        "metadata": {"saga_id": "s1"}, "cancellation_reason": null
    })
}

#[test]
fn payment_intents_decode() {
    let intent =
        decode_intent(&raw(200, &[], &intent_json("requires_capture").to_string())).unwrap();
    assert_eq!(intent.id, "pi_3MtwBwLkdIwHu7ix28a3tqPa");
    assert_eq!(intent.status, PaymentIntentStatus::RequiresCapture);
    assert_eq!(intent.amount, Money::new(35_130, Currency::USD));
    assert_eq!(
        (intent.amount_capturable, intent.amount_received),
        (35_130, 0)
    );
    assert_eq!(intent.metadata["saga_id"], "s1");
    let other = decode_intent(&raw(200, &[], &intent_json("requires_magic").to_string())).unwrap();
    assert_eq!(
        other.status,
        PaymentIntentStatus::Other("requires_magic".into())
    );
    assert_eq!(other.status.as_str(), "requires_magic");

    let mut bad_currency = intent_json("succeeded");
    bad_currency["currency"] = json!("dollars");
    let error = decode_intent(&raw(200, &[], &bad_currency.to_string())).unwrap_err();
    assert_eq!(error.class(), ErrorClass::OutcomeUnknown);
}

#[test]
fn list_pages_and_refunds_decode() {
    let page = json!({"object": "list", "data": [intent_json("canceled")],
        "has_more": true, "url": "/v1/payment_intents"});
    let (intents, more) = decode_intent_page(&raw(200, &[], &page.to_string())).unwrap();
    assert_eq!(intents[0].status, PaymentIntentStatus::Canceled);
    assert!(more);
    let last = json!({"object": "list", "data": [], "has_more": false});
    assert_eq!(
        decode_intent_page(&raw(200, &[], &last.to_string())).unwrap(),
        (vec![], false)
    );

    let refund = json!({"id": "re_1", "object": "refund", "amount": 500, "currency": "eur", "status": "succeeded"});
    let refund = decode_refund(&raw(200, &[], &refund.to_string())).unwrap();
    assert_eq!(refund.amount, Money::new(500, Currency::EUR));
    assert_eq!(refund.status, "succeeded");
    assert!(!refund.did_not_happen());
}

#[test]
fn refund_lists_decode_with_metadata_and_whether_more_follow() {
    let page = json!({"object": "list", "url": "/v1/refunds", "has_more": true, "data": [
        {"id": "re_2", "object": "refund", "amount": 700, "currency": "usd", "status": "failed",
         "payment_intent": "pi_1", "metadata": {"idempotency_key": "s:refund:1"}},
        {"id": "re_1", "object": "refund", "amount": 300, "currency": "usd", "status": "pending",
         "payment_intent": "pi_1", "metadata": {}},
    ]});
    let (refunds, more) = decode_refund_page(&raw(200, &[], &page.to_string())).unwrap();
    assert!(more);
    assert_eq!(refunds[0].metadata["idempotency_key"], "s:refund:1");
    assert_eq!(refunds[0].payment_intent.as_deref(), Some("pi_1"));
    assert!(refunds[0].did_not_happen());
    assert!(!refunds[1].did_not_happen(), "pending is on its way");
    assert!(refunds[1].metadata.is_empty());
    let last = json!({"object": "list", "data": [], "has_more": false});
    assert_eq!(
        decode_refund_page(&raw(200, &[], &last.to_string())).unwrap(),
        (vec![], false)
    );
    let mut negative = page.clone();
    negative["data"][0]["amount"] = json!(-1);
    let error = decode_refund_page(&raw(200, &[], &negative.to_string())).unwrap_err();
    assert_eq!(error.class(), ErrorClass::OutcomeUnknown);
}

fn card_error(code: &str, decline: &str) -> String {
    json!({"error": {
        "type": "card_error", "code": code, "decline_code": decline,
        "message": "Your card was declined.", "param": "",
        "payment_intent": intent_json("requires_payment_method"),
        "doc_url": "https://stripe.com/docs/error-codes/card-declined"
    }})
    .to_string()
}

#[test]
fn card_errors_keep_decline_codes() {
    for decline in ["generic_decline", "insufficient_funds"] {
        let error = error_from_response(
            &raw(402, &[], &card_error("card_declined", decline)),
            Utc::now(),
        );
        let ProviderError::Rejected {
            status,
            error_type,
            code,
            decline_code,
            payment_intent_id,
            message,
            ..
        } = &error
        else {
            panic!("{error:?}");
        };
        assert_eq!(*status, 402);
        assert_eq!(error_type, "card_error");
        assert_eq!(code.as_deref(), Some("card_declined"));
        assert_eq!(decline_code.as_deref(), Some(decline));
        assert_eq!(
            payment_intent_id.as_deref(),
            Some("pi_3MtwBwLkdIwHu7ix28a3tqPa")
        );
        assert_eq!(message, "Your card was declined.");
        assert_eq!(error.class(), ErrorClass::Permanent);
        assert!(error.to_string().contains(decline), "{error}");
    }
}

fn stripe_error(kind: &str, message: &str) -> String {
    json!({"error": {"type": kind, "message": message}}).to_string()
}

#[test]
fn error_answers_classify() {
    let now = Utc::now();
    let cases = [
        (
            400,
            stripe_error(
                "idempotency_error",
                "Keys for idempotent requests can only be used with the same parameters",
            ),
            ErrorClass::Permanent,
        ),
        (
            400,
            stripe_error("invalid_request_error", "No such payment_intent"),
            ErrorClass::Permanent,
        ),
        (
            401,
            stripe_error("invalid_request_error", "Invalid API Key provided"),
            ErrorClass::Permanent,
        ),
        (
            409,
            stripe_error(
                "idempotency_error",
                "There is currently another in-progress request",
            ),
            ErrorClass::Retryable,
        ),
        (
            429,
            stripe_error("invalid_request_error", "Too many requests"),
            ErrorClass::Retryable,
        ),
        (
            500,
            stripe_error("api_error", "Something went wrong"),
            ErrorClass::OutcomeUnknown,
        ),
        (502, "bad gateway".to_owned(), ErrorClass::OutcomeUnknown),
        (404, "not json".to_owned(), ErrorClass::Permanent),
    ];
    for (status, body, class) in cases {
        let error = error_from_response(&raw(status, &[], &body), now);
        assert_eq!(error.class(), class, "{status}: {error}");
    }
    let limited = error_from_response(&raw(429, &[("retry-after", "3")], "{}"), now);
    assert!(matches!(
        limited,
        ProviderError::RateLimited { provider: Provider::Stripe, retry_after: Some(wait) }
            if wait == Duration::from_secs(3)
    ));
    let conflict = error_from_response(
        &raw(409, &[], &stripe_error("idempotency_error", "in progress")),
        now,
    );
    assert!(matches!(
        conflict,
        ProviderError::Conflict {
            provider: Provider::Stripe,
            ..
        }
    ));
}
