-- Workers claim each provider call by its idempotency key before making it,
-- and keep the reply they published, so a redelivered or duplicated command
-- replays the same reply instead of calling the provider again.
CREATE TABLE provider_calls (
    idempotency_key    text PRIMARY KEY,
    saga_id            uuid        NOT NULL,
    step               text        NOT NULL,
    command_message_id uuid        NOT NULL,
    status             text        NOT NULL CHECK (status IN ('in_flight', 'completed')),
    -- Raised on every takeover; a worker may only complete the claim it holds.
    fence              integer     NOT NULL DEFAULT 1,
    -- The reply said the outcome was unknown: a new command may look again.
    outcome_unknown    boolean     NOT NULL DEFAULT false,
    reply              bytea,
    claimed_at         timestamptz NOT NULL DEFAULT now(),
    completed_at       timestamptz
);
CREATE INDEX provider_calls_saga_idx ON provider_calls (saga_id);
