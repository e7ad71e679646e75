-- The dead-letter archive: every message moved to a `<ns>.<role>.dead-letter`
-- queue is copied here by the orchestrator's archiver (then acked), so
-- operators can list, inspect, replay and purge them with `autobook ops dlq`.
CREATE TABLE dead_letters (
    -- The x-autobook-dead-letter-id header (a fresh UUIDv7 when absent), so
    -- archiving the same dead letter twice keeps one row.
    id               uuid PRIMARY KEY,
    -- The queue the message was taken from; a replay goes back there.
    source_queue     text        NOT NULL,
    -- The role whose dead-letter queue held it (orchestrator, search, ...).
    role             text        NOT NULL,
    code             text        NOT NULL,
    reason           text        NOT NULL,
    -- Transient failures the message went through before it was dead-lettered.
    attempts         integer     NOT NULL DEFAULT 0,
    dead_lettered_at timestamptz NOT NULL,
    -- From the AMQP properties, or the body when they are missing; null when
    -- neither says.
    message_id       uuid,
    saga_id          uuid,
    message_type     text,
    -- Text-valued headers, for reading.
    headers          jsonb       NOT NULL DEFAULT '{}'::jsonb,
    content_type     text,
    -- Every AMQP property as the broker client serializes it (headers
    -- included), so a replay republishes the message as it was.
    properties       jsonb,
    body             bytea       NOT NULL,
    archived_at      timestamptz NOT NULL DEFAULT now(),
    replayed_at      timestamptz,
    replay_note      text
);
CREATE INDEX dead_letters_pending_idx ON dead_letters (replayed_at, dead_lettered_at);
CREATE INDEX dead_letters_saga_idx ON dead_letters (saga_id);

-- Who asked for an operator's transition (`ops saga retry|abort`) and why,
-- written by the ops tool on the audit row of its message.
ALTER TABLE saga_audit ADD COLUMN note text;
