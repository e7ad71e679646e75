//! Ids never repeat across starts: two sandboxes with the same seed quote
//! the same offers at the same prices and draw the same faults, but every
//! id they hand out (intents, charges, refunds, events, offer requests,
//! offers, orders, cancellations, booking references, emails) differs.
//! Fixing the instance reproduces the ids too.

use std::collections::BTreeSet;

use autobook_sandbox::{Ledger, SandboxConfig};
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{TestApp, adults, json_of, spawn_with};

/// One of everything that gets an id; returns the ledger and the offers'
/// prices.
async fn a_little_of_everything(app: &TestApp) -> (Ledger, Vec<String>) {
    let search = app.search("BOS", "MUC", adults(1)).await;
    let prices = search["offers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|offer| offer["total_amount"].as_str().unwrap().to_owned())
        .collect();
    let (status, order) = app.book(&search["offers"][0], None, json!({})).await;
    assert_eq!(status, StatusCode::CREATED, "{order}");
    let (status, _) = app
        .duffel_post(
            "/air/order_cancellations",
            json!({ "order_id": order["data"]["id"] }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (_, intent) = app.authorize("1500", "pm_card_visa", "ids").await;
    let id = app.capture(&intent).await;
    let (status, _) = json_of(
        app.stripe_post("/v1/refunds", &[("payment_intent", &id)], None)
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let email =
        json!({ "from": "a@autobook.test", "to": "b@example.com", "subject": "s", "text": "t" });
    let (status, _) = json_of(app.send_email(&email, None).await).await;
    assert_eq!(status, StatusCode::OK);
    (app.ledger(), prices)
}

fn ids(ledger: &Ledger) -> BTreeSet<String> {
    let mut ids = BTreeSet::new();
    ids.extend(ledger.payment_intents.iter().map(|i| i.id.clone()));
    ids.extend(ledger.refunds.iter().map(|r| r.id.clone()));
    ids.extend(ledger.webhooks.iter().map(|w| w.id.clone()));
    ids.extend(ledger.orders.iter().map(|o| o.id.clone()));
    ids.extend(ledger.orders.iter().map(|o| o.booking_reference.clone()));
    ids.extend(ledger.orders.iter().map(|o| o.offer_id.clone()));
    ids.extend(ledger.order_cancellations.iter().map(|c| c.id.clone()));
    ids.extend(ledger.searches.iter().map(|s| s.offer_request_id.clone()));
    ids.extend(ledger.emails.iter().map(|e| e.id.clone()));
    ids
}

#[tokio::test]
async fn two_sandboxes_with_the_same_seed_hand_out_disjoint_ids() {
    let config = || SandboxConfig {
        seed: 41,
        ..SandboxConfig::default()
    };
    let (first, second) = (spawn_with(config()).await, spawn_with(config()).await);
    let (a, prices_a) = a_little_of_everything(&first).await;
    let (b, prices_b) = a_little_of_everything(&second).await;
    assert_eq!(prices_a, prices_b, "the same offers at the same prices");
    let (ids_a, ids_b) = (ids(&a), ids(&b));
    assert_eq!(ids_a.len(), 12, "every id distinct within a run: {ids_a:?}");
    assert_eq!(ids_a.len(), ids_b.len());
    assert!(ids_a.is_disjoint(&ids_b), "{ids_a:?} {ids_b:?}");
}

#[tokio::test]
async fn a_fixed_instance_replays_the_same_ids() {
    let config = || SandboxConfig {
        seed: 41,
        instance: Some(77),
        ..SandboxConfig::default()
    };
    let (first, second) = (spawn_with(config()).await, spawn_with(config()).await);
    let (a, _) = a_little_of_everything(&first).await;
    let (b, _) = a_little_of_everything(&second).await;
    assert_eq!(ids(&a), ids(&b));
}
