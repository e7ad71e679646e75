//! Webhooks as Stripe delivers them: late (each copy waits a random time
//! from `webhook_delay_ms`), some twice (`webhook_duplicate_rate`), and so
//! in any order; each of these counted in the ledger. Switched off, every
//! event goes out at once and once.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use autobook_sandbox::{Behaviour, WebhookStatus};
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::{TestApp, json_of, spawn};
use crate::webhooks::{Receiver, point_at, receiver, settled};

/// Every request until each of `events` events was seen, then until the
/// sandbox says no copy is pending; event ids in arrival order.
async fn arrivals(app: &TestApp, hooks: &mut Receiver, events: usize) -> Vec<String> {
    let mut order = Vec::new();
    let mut seen = BTreeSet::new();
    while seen.len() < events {
        let id = hooks.next_request().await.event().id;
        seen.insert(id.clone());
        order.push(id);
    }
    settled(app).await;
    // Copies delivered before the sandbox settled may still be queued here.
    while let Ok(late) = tokio::time::timeout(Duration::from_millis(50), hooks.next_request()).await
    {
        order.push(late.event().id);
    }
    order
}

async fn put_behaviour(app: &TestApp, behaviour: serde_json::Value) {
    let (status, body) = json_of(
        app.admin(Method::PUT, "/behaviour")
            .json(&behaviour)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

#[tokio::test]
async fn events_come_late_some_twice_and_out_of_order_and_each_is_counted() {
    let app = spawn().await;
    let (_, defaults) = json_of(app.admin(Method::GET, "/behaviour").send().await.unwrap()).await;
    assert_eq!(
        defaults["webhook_delay_ms"],
        json!([0, 3000]),
        "on by default"
    );
    assert_eq!(defaults["webhook_duplicate_rate"], 0.1);
    put_behaviour(
        &app,
        json!({ "webhook_delay_ms": [0, 800], "webhook_duplicate_rate": 0.5 }),
    )
    .await;
    let mut hooks = receiver(0).await;
    point_at(&app, &hooks).await;
    for n in 0..15 {
        let (status, _) = app
            .authorize("1000", "pm_card_visa", &format!("late-{n}"))
            .await;
        assert_eq!(status, StatusCode::OK);
    }
    let order = arrivals(&app, &mut hooks, 30).await;

    let log = app.ledger().webhooks;
    assert_eq!(log.len(), 30);
    assert!(log.iter().all(|w| w.status == WebhookStatus::Delivered));
    let copies: u32 = log.iter().map(|w| w.copies).sum();
    assert_eq!(order.len(), copies as usize, "every copy arrived once");
    let twice = log.iter().filter(|w| w.copies == 2).count() as u64;
    assert!(twice > 0, "some events came twice");
    assert_eq!(app.injected("webhook_duplicated"), twice);
    let delayed = app.injected("webhook_delayed");
    assert!(delayed > 0 && delayed <= u64::from(copies), "{delayed}");

    // Where each event first arrived; an event of an intent that arrived
    // before the intent's earlier event overtook it.
    let mut first = BTreeMap::new();
    for (at, id) in order.iter().enumerate() {
        first.entry(id.clone()).or_insert(at);
    }
    let overtakes = log
        .iter()
        .enumerate()
        .filter(|(index, later)| {
            log[..*index].iter().any(|earlier| {
                earlier.object_id == later.object_id && first[&earlier.id] > first[&later.id]
            })
        })
        .count();
    assert!(overtakes > 0, "some events overtook: {order:?}");
    assert!(app.injected("webhook_reordered") > 0);
    assert_eq!(
        app.injected_in("stripe webhook", "webhook_duplicated"),
        twice
    );
}

#[tokio::test]
async fn switched_off_every_event_goes_out_at_once_and_once() {
    let app = spawn().await;
    app.sandbox.set_behaviour(Behaviour::lenient());
    let mut hooks = receiver(0).await;
    point_at(&app, &hooks).await;
    for n in 0..5 {
        app.authorize("1000", "pm_card_visa", &format!("once-{n}"))
            .await;
    }
    let order = arrivals(&app, &mut hooks, 10).await;
    assert_eq!(order.len(), 10, "no copies");
    assert!(app.ledger().webhooks.iter().all(|w| w.copies == 1));
    for kind in ["webhook_delayed", "webhook_duplicated", "webhook_reordered"] {
        assert_eq!(app.injected(kind), 0, "{kind}");
    }
}
