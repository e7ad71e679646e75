//! One booking is one trace. The roles run in one process here, each in a
//! `role` span of its own, and are linked only through the broker: a
//! handling span's parent comes from the `traceparent` AMQP header, never
//! from a span in memory. The spans are collected with OpenTelemetry's
//! in-memory exporter behind the same trace layer the binary installs.
//!
//! Without the header, a handled message would hang under the span that
//! created it (the envelope's context) instead of the span that published
//! it, or under its role's span in another trace: both fail here.

#![allow(clippy::unwrap_used)]

mod span_tree;

use opentelemetry::trace::{SpanId, SpanKind, TracerProvider as _};
use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider, SpanData};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

use span_tree::{Trace, attribute};

/// Installs the binary's trace layer, exporting into memory.
fn collect_spans() -> (SdkTracerProvider, InMemorySpanExporter) {
    let exporter = InMemorySpanExporter::default();
    let provider = SdkTracerProvider::builder()
        .with_simple_exporter(exporter.clone())
        .build();
    let layer = autobook_roles::traces::layer(provider.tracer("autobook"));
    tracing_subscriber::registry().with(vec![layer]).init();
    (provider, exporter)
}

fn named(span: &SpanData, key: &str, value: &str) -> bool {
    attribute(span, key).as_deref() == Some(value)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_booking_is_one_tree_of_spans_across_every_role() {
    let (_provider, exporter) = collect_spans();
    let system = autobook_tests::spawn().await;
    let trip = autobook_tests::trips::trip_json();
    let saga_id = system
        .submit(serde_json::from_value(trip.clone()).unwrap())
        .await;
    assert_eq!(system.finished(saga_id).await.status, "booked");
    // Every role drained: every span of the booking has ended.
    system.teardown().await;
    let all = exporter.get_finished_spans().unwrap();
    let saga = saga_id.to_string();

    let submits: Vec<&SpanData> = all
        .iter()
        .filter(|s| s.name.starts_with("submit") && named(s, "saga_id", &saga))
        .collect();
    assert_eq!(submits.len(), 1, "one submit span");
    let root = submits[0];
    assert_eq!(
        root.parent_span_id,
        SpanId::INVALID,
        "the submitter starts the trace"
    );
    let trace = Trace::of(&all, root.span_context.trace_id());

    // A tree: one root, every other span's parent in the trace.
    let roots = trace.roots();
    assert_eq!(roots.len(), 1, "roots: {:?}", names(&roots));
    assert_eq!(roots[0].span_context.span_id(), root.span_context.span_id());

    // Every message of the saga was handled in this trace, none elsewhere.
    let handled = |s: &SpanData| s.span_kind == SpanKind::Consumer && named(s, "saga_id", &saga);
    let handled_anywhere = all.iter().filter(|s| handled(s)).count();
    let handled_here = trace.spans.values().filter(|s| handled(s)).count();
    assert!(handled_here >= 10, "a booking takes ten messages or more");
    assert_eq!(
        handled_here, handled_anywhere,
        "handling spans outside the trace"
    );

    // Each role is there.
    assert_eq!(
        trace.values(SpanKind::Consumer, "queue"),
        ["notify", "orchestrator", "order", "payment", "search"]
    );
    assert_eq!(
        trace.values(SpanKind::Producer, "publisher"),
        ["relay", "submitter", "worker"]
    );
    assert_eq!(
        trace.values(SpanKind::Client, "provider"),
        ["duffel", "email", "stripe"]
    );

    // Linked through the AMQP header: each handling span's parent is the
    // remote publish span of the same message.
    for consumer in trace.of_kind(SpanKind::Consumer) {
        let parent = trace.parent(consumer).unwrap();
        assert!(consumer.parent_span_is_remote, "{}", consumer.name);
        assert_eq!(
            parent.span_kind,
            SpanKind::Producer,
            "{} under {}",
            consumer.name,
            parent.name
        );
        assert_eq!(
            attribute(parent, "message_id"),
            attribute(consumer, "message_id"),
            "{} under {}",
            consumer.name,
            parent.name
        );
    }

    // The relay publishes under the orchestrator's handling; workers reply
    // under their own; provider calls happen under a worker's handling.
    let handling_queue = |span: &SpanData| {
        trace
            .ancestor(span, |a| a.span_kind == SpanKind::Consumer)
            .and_then(|a| attribute(a, "queue"))
    };
    for publish in trace.of_kind(SpanKind::Producer) {
        let queue = handling_queue(publish);
        match attribute(publish, "publisher").as_deref() {
            Some("relay") => assert_eq!(queue.as_deref(), Some("orchestrator")),
            Some("worker") => assert!(
                matches!(
                    queue.as_deref(),
                    Some("search" | "payment" | "order" | "notify")
                ),
                "{} under {queue:?}",
                publish.name
            ),
            Some("submitter") => assert_eq!(queue, None),
            other => panic!("unexpected publisher {other:?}"),
        }
    }
    for call in trace.of_kind(SpanKind::Client) {
        let queue = handling_queue(call);
        assert!(
            matches!(
                queue.as_deref(),
                Some("search" | "payment" | "order" | "notify")
            ),
            "{} under {queue:?}",
            call.name
        );
        assert!(attribute(call, "http.response.status_code").is_some());
    }

    // The orchestrator's spans carry the saga step.
    let steps: Vec<String> = trace
        .spans
        .values()
        .filter_map(|s| attribute(s, "saga.to"))
        .collect();
    assert!(steps.iter().any(|s| s == "booked"), "{steps:?}");

    // No personal data in any attribute.
    let passenger = &trip["passengers"][0];
    for span in trace.spans.values() {
        for kv in &span.attributes {
            let value = kv.value.as_str();
            for field in [
                "given_name",
                "family_name",
                "email",
                "phone_number",
                "born_on",
            ] {
                let personal = passenger[field].as_str().unwrap();
                assert!(!value.contains(personal), "{field} in {}", kv.key);
            }
        }
    }
}

fn names(spans: &[&SpanData]) -> Vec<String> {
    spans.iter().map(|s| s.name.to_string()).collect()
}
