//! The gateway in tests: a stack that serves it, bearer tokens minted for
//! any user (HS256 with the test secret, RS256 with the test key pair in
//! `tests/keys/`), and a small HTTP client that returns status, headers and
//! JSON body.

use std::net::SocketAddr;

use chrono::Utc;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use serde_json::{Value, json};

use autobook_contracts::stripe_webhook::WebhookSecret;
use autobook_gateway::{AuthConfig, GatewayConfig, JwtSecret};
use autobook_harness::stack::StackConfig;
use autobook_throttle::RateLimit;

use crate::{TestSystem, redis_url, spawn_with};

/// The signing secret of the gateway's Stripe webhook endpoint; the
/// stack points the sandbox's webhooks at it.
pub const STRIPE_WEBHOOK_SECRET: &str = "whsec_integration_tests";
pub const HS256_SECRET: &str = "integration-tests-secret-of-32-bytes-at-least";
pub const RS256_PRIVATE: &str = include_str!("../keys/gateway_rs256_private.pem");
pub const RS256_PUBLIC: &str = include_str!("../keys/gateway_rs256_public.pem");
pub const OTHER_RS256_PRIVATE: &str = include_str!("../keys/other_rs256_private.pem");

/// A gateway on a free port accepting both kinds of test token, with a
/// generous per-user limit shared through Redis.
pub fn gateway_config() -> GatewayConfig {
    let addr: SocketAddr = ([127, 0, 0, 1], 0).into();
    let mut config = GatewayConfig::new(
        addr,
        AuthConfig {
            hs256_secret: Some(JwtSecret::new(HS256_SECRET)),
            rs256_public_key_pem: Some(RS256_PUBLIC.to_owned()),
            ..AuthConfig::default()
        },
    );
    config.rate_limit = RateLimit::new(1000.0, 1000);
    config.redis_url = Some(redis_url());
    config.stripe_webhook_secret = Some(WebhookSecret::new(STRIPE_WEBHOOK_SECRET));
    config
}

/// A system serving the gateway, after `configure` adjusted it.
pub async fn spawn_gateway_with(configure: impl FnOnce(&mut StackConfig)) -> TestSystem {
    spawn_with(|config| {
        config.gateway = Some(gateway_config());
        configure(config);
    })
    .await
}

pub async fn spawn_gateway() -> TestSystem {
    spawn_gateway_with(|_| {}).await
}

/// Claims of a valid token for `user`, expiring in ten minutes.
pub fn claims(user: &str) -> Value {
    json!({"sub": user, "exp": Utc::now().timestamp() + 600, "iat": Utc::now().timestamp()})
}

/// A valid HS256 token for `user`.
pub fn token(user: &str) -> String {
    hs256(&claims(user), HS256_SECRET)
}

pub fn hs256(claims: &Value, secret: &str) -> String {
    sign(
        Algorithm::HS256,
        claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
}

pub fn rs256(claims: &Value, private_pem: &str) -> String {
    let key = EncodingKey::from_rsa_pem(private_pem.as_bytes()).unwrap();
    sign(Algorithm::RS256, claims, &key)
}

pub fn sign(algorithm: Algorithm, claims: &Value, key: &EncodingKey) -> String {
    jsonwebtoken::encode(&Header::new(algorithm), claims, key).unwrap()
}

/// An answer of the gateway.
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    /// The JSON body (`Value::Null` when empty or not JSON).
    pub body: Value,
    pub text: String,
}

impl Answer {
    /// The error code of an error body.
    pub fn code(&self) -> &str {
        self.body["error"]["code"].as_str().unwrap_or_default()
    }

    /// The field an error body names.
    pub fn field(&self) -> &str {
        self.body["error"]["field"].as_str().unwrap_or_default()
    }
}

/// An HTTP client for the system's gateway.
pub struct Api {
    pub client: reqwest::Client,
    pub base: String,
}

impl TestSystem {
    pub fn api(&self) -> Api {
        Api {
            client: reqwest::Client::new(),
            base: self
                .stack()
                .gateway_url()
                .expect("the stack serves the gateway")
                .to_owned(),
        }
    }
}

impl Api {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Sends a request and reads the answer.
    pub async fn send(&self, request: reqwest::RequestBuilder) -> Answer {
        let response = request.send().await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let text = response.text().await.unwrap();
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Answer {
            status,
            headers,
            body,
            text,
        }
    }

    pub async fn get(&self, path: &str, token: &str) -> Answer {
        self.send(self.client.get(self.url(path)).bearer_auth(token))
            .await
    }

    /// POSTs `body` as JSON with `token`.
    pub async fn post(&self, path: &str, token: &str, body: &Value) -> Answer {
        self.send(
            self.client
                .post(self.url(path))
                .bearer_auth(token)
                .json(body),
        )
        .await
    }

    /// Submits a trip request (the body without `user_id`).
    pub async fn submit(&self, token: &str, body: &Value) -> Answer {
        self.post("/v1/trip-requests", token, body).await
    }
}

/// A valid trip request body for the gateway (no `user_id`).
pub fn trip_body() -> Value {
    let mut body = crate::trips::trip_json();
    body.as_object_mut().unwrap().remove("user_id");
    body
}
