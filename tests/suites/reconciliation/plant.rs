//! Planting provider objects directly through the sandbox's Stripe and
//! Duffel HTTP APIs, as something outside autobook (a second system, a
//! person in a dashboard, a lost answer) would leave them.

use chrono::{Days, Utc};
use serde_json::{Value, json};
use uuid::Uuid;

/// The sandbox's Stripe and Duffel, over HTTP.
pub struct Plant {
    http: reqwest::Client,
    stripe: String,
    duffel: String,
}

impl Plant {
    pub fn new(sandbox: &autobook_sandbox::RunningSandbox) -> Plant {
        Plant {
            http: reqwest::Client::builder().no_proxy().build().unwrap(),
            stripe: sandbox.stripe_url.clone(),
            duffel: sandbox.duffel_url.clone(),
        }
    }

    async fn stripe_post(&self, path: &str, form: &[(&str, String)]) -> Value {
        let response = self
            .http
            .post(format!("{}{path}", self.stripe))
            .bearer_auth("sk_test_sandbox")
            .header("Idempotency-Key", Uuid::new_v4().to_string())
            .form(form)
            .send()
            .await
            .unwrap();
        let status = response.status();
        let body: Value = response.json().await.unwrap();
        assert!(status.is_success(), "{path}: {status} {body}");
        body
    }

    async fn duffel_post(&self, path: &str, data: Value) -> Value {
        let response = self
            .http
            .post(format!("{}{path}", self.duffel))
            .bearer_auth("duffel_test_sandbox")
            .header("Duffel-Version", "v2")
            .json(&json!({ "data": data }))
            .send()
            .await
            .unwrap();
        let status = response.status();
        let body: Value = response.json().await.unwrap();
        assert!(status.is_success(), "{path}: {status} {body}");
        body["data"].clone()
    }

    /// A confirmed manual-capture intent holding `amount` cents, named for
    /// `saga` and made under step key `key` as autobook's payment worker
    /// names its intents.
    pub async fn hold(&self, saga: Uuid, key: &str, amount: i64) -> String {
        let intent = self
            .stripe_post(
                "/v1/payment_intents",
                &[
                    ("amount", amount.to_string()),
                    ("currency", "usd".into()),
                    ("capture_method", "manual".into()),
                    ("payment_method", "pm_card_visa".into()),
                    ("confirm", "true".into()),
                    ("metadata[saga_id]", saga.to_string()),
                    ("metadata[idempotency_key]", key.into()),
                ],
            )
            .await;
        assert_eq!(intent["status"], "requires_capture", "{intent}");
        intent["id"].as_str().unwrap().to_owned()
    }

    /// A hold for `saga`, captured in full.
    pub async fn charge(&self, saga: Uuid, key: &str, amount: i64) -> String {
        let id = self.hold(saga, key, amount).await;
        let captured = self
            .stripe_post(&format!("/v1/payment_intents/{id}/capture"), &[])
            .await;
        assert_eq!(captured["status"], "succeeded", "{captured}");
        id
    }

    /// Refunds `amount` cents of a captured intent.
    pub async fn refund(&self, payment_intent: &str, amount: i64) {
        self.stripe_post(
            "/v1/refunds",
            &[
                ("payment_intent", payment_intent.to_owned()),
                ("amount", amount.to_string()),
            ],
        )
        .await;
    }

    /// An instant order, for one adult, of the first JFK-LAX offer, named
    /// for `saga`; its id and total in cents.
    pub async fn order(&self, saga: Uuid) -> (String, i64) {
        let departure = Utc::now().date_naive().checked_add_days(Days::new(45));
        let request = self
            .duffel_post(
                "/air/offer_requests?return_offers=true&supplier_timeout=10000",
                json!({
                    "slices": [{ "origin": "JFK", "destination": "LAX", "departure_date": departure }],
                    "passengers": [{ "type": "adult" }],
                    "cabin_class": "economy",
                    "max_connections": 1,
                }),
            )
            .await;
        let offer = &request["offers"][0];
        let passenger = &offer["passengers"][0];
        let order = self
            .duffel_post(
                "/air/orders",
                json!({
                    "type": "instant",
                    "selected_offers": [offer["id"]],
                    "passengers": [{
                        "id": passenger["id"], "born_on": "1987-07-24", "gender": "f", "title": "ms",
                        "given_name": "Ada", "family_name": "Traveller",
                        "email": "ada@example.com", "phone_number": "+442080160509",
                    }],
                    "payments": [{ "type": "balance", "amount": offer["total_amount"], "currency": offer["total_currency"] }],
                    "metadata": { "saga_id": saga.to_string(), "idempotency_key": format!("{saga}:order:9") },
                }),
            )
            .await;
        let total: f64 = order["total_amount"].as_str().unwrap().parse().unwrap();
        (
            order["id"].as_str().unwrap().to_owned(),
            (total * 100.0).round() as i64,
        )
    }

    /// Cancels an order (Duffel's quote, then confirm).
    pub async fn cancel_order(&self, order_id: &str) {
        let quote = self
            .duffel_post("/air/order_cancellations", json!({ "order_id": order_id }))
            .await;
        let id = quote["id"].as_str().unwrap();
        self.duffel_post(
            &format!("/air/order_cancellations/{id}/actions/confirm"),
            Value::Null,
        )
        .await;
    }
}
