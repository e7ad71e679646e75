//! A started sandbox with a client and helpers for each provider.

use autobook_sandbox::{Ledger, Ports, RunningSandbox, SandboxConfig, start};
use chrono::{Duration, Utc};
use reqwest::{Response, StatusCode};
use serde_json::{Value, json};

pub const DUFFEL_TOKEN: &str = "duffel_test_token";
pub const STRIPE_KEY: &str = "sk_test_sandbox";
pub const EMAIL_KEY: &str = "re_sandbox";

pub struct TestApp {
    pub sandbox: RunningSandbox,
    pub http: reqwest::Client,
}

pub async fn spawn() -> TestApp {
    spawn_with(SandboxConfig::default()).await
}

pub async fn spawn_with(config: SandboxConfig) -> TestApp {
    let sandbox = start(config, Ports::ephemeral())
        .await
        .expect("sandbox starts");
    let http = reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("client");
    TestApp { sandbox, http }
}

/// A departure date well inside the selling window.
pub fn future_date(days: i64) -> String {
    (Utc::now().date_naive() + Duration::days(days)).to_string()
}

pub async fn json_of(response: Response) -> (StatusCode, Value) {
    let status = response.status();
    let body = response.json::<Value>().await.unwrap_or(Value::Null);
    (status, body)
}

impl TestApp {
    pub fn ledger(&self) -> Ledger {
        self.sandbox.ledger()
    }

    pub fn duffel(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.http
            .request(method, format!("{}{path}", self.sandbox.duffel_url))
            .bearer_auth(DUFFEL_TOKEN)
            .header("Duffel-Version", "v2")
    }

    pub async fn duffel_get(&self, path: &str) -> (StatusCode, Value) {
        json_of(
            self.duffel(reqwest::Method::GET, path)
                .send()
                .await
                .unwrap(),
        )
        .await
    }

    pub async fn duffel_post(&self, path: &str, data: Value) -> (StatusCode, Value) {
        let request = self
            .duffel(reqwest::Method::POST, path)
            .json(&json!({ "data": data }));
        json_of(request.send().await.unwrap()).await
    }

    /// Searches one way for adults (or the given passengers); returns `data`.
    pub async fn search(&self, origin: &str, destination: &str, passengers: Value) -> Value {
        let (status, body) = self
            .duffel_post(
                "/air/offer_requests?return_offers=true&supplier_timeout=10000",
                json!({
                    "slices": [{ "origin": origin, "destination": destination, "departure_date": future_date(45) }],
                    "passengers": passengers,
                    "cabin_class": "economy",
                    "max_connections": 1,
                }),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        body["data"].clone()
    }

    /// Books an offer paying `amount` (the offer's total when None), as a
    /// careful client does: each infant on its own adult's lap, passports
    /// when the offer requires them.
    pub async fn book(
        &self,
        offer: &Value,
        amount: Option<&str>,
        metadata: Value,
    ) -> (StatusCode, Value) {
        self.book_passengers(offer, order_passengers(offer), amount, metadata)
            .await
    }

    /// Books an offer for exactly these order passengers.
    pub async fn book_passengers(
        &self,
        offer: &Value,
        passengers: Vec<Value>,
        amount: Option<&str>,
        metadata: Value,
    ) -> (StatusCode, Value) {
        let amount = amount.map_or_else(|| offer["total_amount"].clone(), |a| json!(a));
        self.duffel_post(
            "/air/orders",
            json!({
                "type": "instant",
                "selected_offers": [offer["id"]],
                "passengers": passengers,
                "payments": [{ "type": "balance", "amount": amount, "currency": offer["total_currency"] }],
                "metadata": metadata,
            }),
        )
        .await
    }

    pub fn stripe(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.http
            .request(method, format!("{}{path}", self.sandbox.stripe_url))
            .bearer_auth(STRIPE_KEY)
    }

    pub async fn stripe_post(
        &self,
        path: &str,
        form: &[(&str, &str)],
        key: Option<&str>,
    ) -> Response {
        let mut request = self.stripe(reqwest::Method::POST, path).form(form);
        if let Some(key) = key {
            request = request.header("Idempotency-Key", key);
        }
        request.send().await.unwrap()
    }

    pub async fn stripe_get(&self, path: &str) -> (StatusCode, Value) {
        json_of(
            self.stripe(reqwest::Method::GET, path)
                .send()
                .await
                .unwrap(),
        )
        .await
    }

    /// A manual-capture intent for `amount` cents, confirmed with `pm`.
    pub async fn authorize(&self, amount: &str, pm: &str, saga: &str) -> (StatusCode, Value) {
        let form = [
            ("amount", amount),
            ("currency", "usd"),
            ("capture_method", "manual"),
            ("payment_method", pm),
            ("confirm", "true"),
            ("metadata[saga_id]", saga),
        ];
        json_of(
            self.stripe_post(
                "/v1/payment_intents",
                &form,
                Some(&format!("{saga}:authorize")),
            )
            .await,
        )
        .await
    }

    /// `GET /v1/payment_intents/search` for `metadata['saga_id']:'<saga>'`.
    pub async fn search_saga(&self, saga: &str) -> Vec<Value> {
        let query = format!("metadata['saga_id']:'{saga}'");
        let response = self
            .stripe(reqwest::Method::GET, "/v1/payment_intents/search")
            .query(&[("query", query)])
            .send()
            .await
            .unwrap();
        let (status, body) = json_of(response).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body["data"].as_array().unwrap().clone()
    }

    /// Captures an authorized intent; returns its id.
    pub async fn capture(&self, intent: &Value) -> String {
        let id = intent["id"].as_str().unwrap().to_owned();
        let (status, body) = json_of(
            self.stripe_post(&format!("/v1/payment_intents/{id}/capture"), &[], None)
                .await,
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        id
    }

    /// A request to the admin API.
    pub fn admin(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.http
            .request(method, format!("{}{path}", self.sandbox.admin_url))
    }

    /// The number of injected faults of `kind` so far.
    pub fn injected(&self, kind: &str) -> u64 {
        self.ledger().injected[kind]
    }

    /// The number of injected faults of `kind` so far in `call`.
    pub fn injected_in(&self, call: &str, kind: &str) -> u64 {
        self.ledger()
            .injected_by_call
            .get(call)
            .and_then(|kinds| kinds.get(kind).copied())
            .unwrap_or(0)
    }

    pub async fn send_email(&self, body: &Value, key: Option<&str>) -> Response {
        let mut request = self
            .http
            .post(format!("{}/emails", self.sandbox.email_url))
            .bearer_auth(EMAIL_KEY)
            .json(body);
        if let Some(key) = key {
            request = request.header("Idempotency-Key", key);
        }
        request.send().await.unwrap()
    }
}

/// The `data` of an instant order for `offer` with the passengers a
/// careful client sends, paying `amount` (the offer's total when None).
pub fn order_body(offer: &Value, amount: Option<&str>, metadata: Value) -> Value {
    let amount = amount.map_or_else(|| offer["total_amount"].clone(), |a| json!(a));
    json!({
        "type": "instant",
        "selected_offers": [offer["id"]],
        "passengers": order_passengers(offer),
        "payments": [{ "type": "balance", "amount": amount, "currency": offer["total_currency"] }],
        "metadata": metadata,
    })
}

/// The order passengers a careful client sends for `offer`: one per offer
/// passenger, the n-th infant on the n-th adult's lap, a passport each when
/// the offer requires documents.
pub fn order_passengers(offer: &Value) -> Vec<Value> {
    let passengers = offer["passengers"].as_array().unwrap();
    let of_type = |kind: &str| -> Vec<&Value> {
        passengers
            .iter()
            .filter(|p| p["type"] == kind)
            .map(|p| &p["id"])
            .collect()
    };
    let infants = of_type("infant_without_seat");
    let adults = of_type("adult");
    let documents = offer["passenger_identity_documents_required"] == true;
    passengers
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let mut passenger = json!({
                "id": p["id"], "born_on": "1987-07-24", "gender": "f", "title": "ms",
                "given_name": format!("Given{i}"), "family_name": "Traveller",
                "email": format!("traveller{i}@example.com"), "phone_number": "+442080160509",
            });
            if let Some(lap) = adults.iter().position(|id| **id == p["id"])
                && let Some(infant) = infants.get(lap)
            {
                passenger["infant_passenger_id"] = (*infant).clone();
            }
            if documents {
                passenger["identity_documents"] = json!([passport(&format!("K{i:08}"))]);
            }
            passenger
        })
        .collect()
}

/// A passport valid for years.
pub fn passport(number: &str) -> Value {
    json!({
        "type": "passport", "unique_identifier": number,
        "issuing_country_code": "GB", "expires_on": future_date(3 * 365),
    })
}

pub fn adults(n: usize) -> Value {
    Value::Array((0..n).map(|_| json!({ "type": "adult" })).collect())
}
