-- The saga store: one row per booking, its audit trail, the inbox that
-- de-duplicates incoming messages, the outbox of messages to publish, and
-- durable timers. All written in one transaction per handled message.

CREATE TABLE sagas (
    id           uuid PRIMARY KEY,
    user_id      text        NOT NULL,
    status       text        NOT NULL,
    terminal     boolean     NOT NULL DEFAULT false,
    state        jsonb       NOT NULL,
    version      bigint      NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    completed_at timestamptz
);
CREATE INDEX sagas_open_idx ON sagas (updated_at) WHERE NOT terminal;
CREATE INDEX sagas_user_idx ON sagas (user_id);
CREATE INDEX sagas_status_idx ON sagas (status);

-- One row per transition: what arrived, what the saga became, what it asked for.
CREATE TABLE saga_audit (
    saga_id      uuid        NOT NULL REFERENCES sagas (id) ON DELETE CASCADE,
    version      bigint      NOT NULL,
    message_id   uuid        NOT NULL,
    message_type text        NOT NULL,
    from_status  text,
    to_status    text        NOT NULL,
    effects      jsonb       NOT NULL,
    recorded_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (saga_id, version)
);

-- Message ids the orchestrator has handled; a redelivered message finds its id here.
CREATE TABLE inbox (
    message_id   uuid PRIMARY KEY,
    saga_id      uuid        NOT NULL,
    message_type text        NOT NULL,
    handled_at   timestamptz NOT NULL DEFAULT now()
);

-- Messages decided but not yet confirmed by the broker. The body is the
-- encoded envelope, published as is; exchange and routing key follow from
-- the message type.
CREATE TABLE outbox (
    id           bigserial PRIMARY KEY,
    message_id   uuid        NOT NULL UNIQUE,
    saga_id      uuid        NOT NULL,
    message_type text        NOT NULL,
    body         bytea       NOT NULL,
    traceparent  text,
    occurred_at  timestamptz NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    published_at timestamptz
);
CREATE INDEX outbox_pending_idx ON outbox (id) WHERE published_at IS NULL;

CREATE TABLE saga_timers (
    id       bigserial PRIMARY KEY,
    saga_id  uuid        NOT NULL REFERENCES sagas (id) ON DELETE CASCADE,
    timer    jsonb       NOT NULL,
    due_at   timestamptz NOT NULL,
    fired_at timestamptz
);
CREATE INDEX saga_timers_due_idx ON saga_timers (due_at) WHERE fired_at IS NULL;
