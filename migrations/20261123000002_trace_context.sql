-- The W3C trace context travels with every stored message, so a booking
-- stays one trace across the outbox and durable timers: the outbox keeps
-- the tracestate beside its traceparent, and a timer keeps the context of
-- the handling that scheduled it.

ALTER TABLE outbox ADD COLUMN tracestate text;
ALTER TABLE saga_timers ADD COLUMN traceparent text, ADD COLUMN tracestate text;
