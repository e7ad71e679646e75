-- Stripe webhook events received with a valid signature, one row per event
-- id: a redelivery of an event (Stripe delivers at least once) is
-- recognised here and not acted on again. The row is written in the same
-- transaction that publishes what the event means for its saga.
CREATE TABLE stripe_webhook_events (
    event_id          text        PRIMARY KEY,
    type              text        NOT NULL,
    -- For payment_intent.* events.
    payment_intent_id text,
    -- The saga named in the intent's metadata, if any.
    saga_id           uuid,
    received_at       timestamptz NOT NULL
);
