//! `demo --via-gateway`: trip requests go in as travellers send them, over
//! HTTP to the gateway. Each carries a bearer token for its traveller
//! (HS256, under a secret made for the run) and an `Idempotency-Key`; a
//! refusal for the rate (429) or a brief outage (503) is sent again after
//! the `Retry-After` it names, under the same key. The sandbox's Stripe
//! sends its signed webhooks to the same gateway.

use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use chrono::{DateTime, Utc};
use futures_util::{StreamExt, stream};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use reqwest::StatusCode;
use serde::Serialize;
use serde_json::{Value, json};
use uuid::Uuid;

use autobook_contracts::stripe_webhook::WebhookSecret;
use autobook_contracts::trip::TripRequest;

use crate::stack::StackConfig;
use autobook_gateway::{AuthConfig, GatewayConfig, JwtSecret};

/// Requests in flight at once.
const CONCURRENCY: usize = 16;
/// Sends of one request before the run gives up on it.
const ATTEMPTS: u32 = 8;

/// The run's token secret.
pub struct GatewayRun {
    secret: String,
}

/// What the gateway did with the run's requests.
#[derive(Debug, Clone, Default, Serialize)]
pub struct GatewayFigures {
    pub accepted: usize,
    /// Sent again after a 429 (the traveller's rate) or a 503.
    pub retried: usize,
    /// Time to the gateway's 202, over every accepted request.
    pub submit_p50_ms: u64,
    pub submit_p99_ms: u64,
    /// Stripe events the gateway's webhook endpoint recorded.
    pub webhooks_recorded: i64,
}

impl GatewayRun {
    /// Serves the gateway with the stack: tokens under a fresh secret,
    /// webhooks under another.
    pub fn configure(config: &mut StackConfig, redis_url: &str) -> GatewayRun {
        let secret = format!("{}{}", Uuid::new_v4().simple(), Uuid::new_v4().simple());
        let mut gateway = GatewayConfig::new(
            ([127, 0, 0, 1], 0).into(),
            AuthConfig {
                hs256_secret: Some(JwtSecret::new(&secret)),
                ..AuthConfig::default()
            },
        );
        gateway.redis_url = Some(redis_url.to_owned());
        gateway.stripe_webhook_secret = Some(WebhookSecret::new(format!(
            "whsec_{}",
            Uuid::new_v4().simple()
        )));
        config.gateway = Some(gateway);
        GatewayRun { secret }
    }

    /// A bearer token for `user`, valid for an hour.
    fn token(&self, user: &str) -> anyhow::Result<String> {
        let now = Utc::now().timestamp();
        let claims = json!({ "sub": user, "iat": now, "exp": now + 3600 });
        jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &claims,
            &EncodingKey::from_secret(self.secret.as_bytes()),
        )
        .context("minting a demo token")
    }

    /// Posts every trip to the gateway at `base_url`; returns each trip's
    /// id with when it was accepted.
    pub async fn submit_all(
        &self,
        base_url: &str,
        trips: Vec<TripRequest>,
    ) -> anyhow::Result<(Vec<(Uuid, DateTime<Utc>)>, GatewayFigures)> {
        let client = reqwest::Client::new();
        let url = format!("{base_url}/v1/trip-requests");
        let results: Vec<anyhow::Result<Accepted>> = stream::iter(trips)
            .map(|trip| self.submit(&client, &url, trip))
            .buffer_unordered(CONCURRENCY)
            .collect()
            .await;
        let mut accepted = Vec::with_capacity(results.len());
        let mut figures = GatewayFigures::default();
        let mut latencies = Vec::with_capacity(results.len());
        for result in results {
            let one = result?;
            figures.retried += one.retries;
            latencies.push(one.latency);
            accepted.push((one.trip_id, one.at));
        }
        figures.accepted = accepted.len();
        latencies.sort_unstable();
        figures.submit_p50_ms = percentile(&latencies, 50);
        figures.submit_p99_ms = percentile(&latencies, 99);
        Ok((accepted, figures))
    }

    async fn submit(
        &self,
        client: &reqwest::Client,
        url: &str,
        trip: TripRequest,
    ) -> anyhow::Result<Accepted> {
        let token = self.token(trip.user_id.as_str())?;
        let mut body = serde_json::to_value(&trip)?;
        if let Value::Object(fields) = &mut body {
            fields.remove("user_id");
        }
        let key = Uuid::now_v7().to_string();
        let started = Instant::now();
        for attempt in 0..ATTEMPTS {
            let response = client
                .post(url)
                .bearer_auth(&token)
                .header("Idempotency-Key", &key)
                .json(&body)
                .send()
                .await
                .context("sending a trip request to the gateway")?;
            let status = response.status();
            if status == StatusCode::ACCEPTED || status == StatusCode::OK {
                let answer: Value = response.json().await?;
                let trip_id = answer["trip_id"]
                    .as_str()
                    .and_then(|id| id.parse().ok())
                    .context("the gateway's answer names no trip id")?;
                return Ok(Accepted {
                    trip_id,
                    at: Utc::now(),
                    latency: started.elapsed(),
                    retries: attempt as usize,
                });
            }
            if status != StatusCode::TOO_MANY_REQUESTS && status != StatusCode::SERVICE_UNAVAILABLE
            {
                let answer = response.text().await.unwrap_or_default();
                bail!("the gateway refused a demo trip ({status}): {answer}");
            }
            let wait = response
                .headers()
                .get(reqwest::header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse::<u64>().ok())
                .unwrap_or(1)
                .clamp(1, 5);
            tokio::time::sleep(Duration::from_secs(wait)).await;
        }
        bail!("the gateway kept refusing a demo trip after {ATTEMPTS} attempts")
    }
}

struct Accepted {
    trip_id: Uuid,
    at: DateTime<Utc>,
    latency: Duration,
    retries: usize,
}

fn percentile(sorted: &[Duration], p: usize) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let index = (sorted.len() * p).div_ceil(100).saturating_sub(1);
    u64::try_from(sorted[index.min(sorted.len() - 1)].as_millis()).unwrap_or(u64::MAX)
}
