-- The reconciliation job (crate `reconcile/`): what Stripe and Duffel say,
-- compared with what the sagas recorded. Ids, statuses and amounts only:
-- no personal data.

-- One row per completed run.
CREATE TABLE reconciliation_runs (
    id           uuid        PRIMARY KEY,
    instance     text        NOT NULL,
    started_at   timestamptz NOT NULL,
    finished_at  timestamptz NOT NULL,
    -- Provider objects created from here on were listed.
    window_start timestamptz NOT NULL,
    outcome      text        NOT NULL CHECK (outcome IN ('ok', 'findings', 'incomplete')),
    -- Listings that stopped before their end (or failed): what they did not
    -- show cannot be taken as absent.
    incomplete   text[]      NOT NULL DEFAULT '{}',
    findings     integer     NOT NULL,
    released     integer     NOT NULL
);
CREATE INDEX reconciliation_runs_finished_idx ON reconciliation_runs (finished_at);

-- A disagreement, from the run that first saw it until a complete run no
-- longer finds it. (class, subject) names it across runs: the subject is
-- the payment intent, order or saga it is about.
CREATE TABLE reconciliation_findings (
    id           uuid        PRIMARY KEY,
    class        text        NOT NULL,
    subject      text        NOT NULL,
    saga_id      uuid,
    amount_minor bigint,
    currency     text,
    detail       text        NOT NULL,
    -- What the job did: released, release_failed, read_only (a release it
    -- was not allowed to make) or awaiting_operator.
    action       text        NOT NULL,
    first_seen   timestamptz NOT NULL,
    last_seen    timestamptz NOT NULL,
    last_run     uuid        NOT NULL,
    resolved_at  timestamptz
);
CREATE UNIQUE INDEX reconciliation_findings_open_idx
    ON reconciliation_findings (class, subject) WHERE resolved_at IS NULL;
CREATE INDEX reconciliation_findings_resolved_idx ON reconciliation_findings (resolved_at);

-- The audit of every hold the job released: written before the cancel
-- (requested_at), completed after it (released_at).
CREATE TABLE reconciliation_releases (
    payment_intent_id text        PRIMARY KEY,
    saga_id           uuid,
    amount_minor      bigint      NOT NULL,
    currency          text        NOT NULL,
    idempotency_key   text        NOT NULL,
    released_by       text        NOT NULL,
    run_id            uuid        NOT NULL,
    requested_at      timestamptz NOT NULL,
    released_at       timestamptz
);
CREATE INDEX reconciliation_releases_requested_idx ON reconciliation_releases (requested_at);

-- The fencing token of the last lease holder that wrote: a writer whose
-- token is older finds no row to update and writes nothing.
CREATE TABLE reconciliation_fence (
    name  text   PRIMARY KEY,
    token bigint NOT NULL
);

-- The job reads the sagas updated within its window, and the webhook
-- events received within it.
CREATE INDEX sagas_updated_idx ON sagas (updated_at);
CREATE INDEX stripe_webhook_events_received_idx ON stripe_webhook_events (received_at);
