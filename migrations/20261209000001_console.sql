-- The operations console: indexes that keep its saga search and overview
-- fast with millions of sagas, and the record of every action taken in it.

-- Search by status or by traveller, newest change first, page by page
-- (keyset on updated_at, id). They replace the single-column indexes.
CREATE INDEX sagas_status_updated_idx ON sagas (status, updated_at DESC, id DESC);
CREATE INDEX sagas_user_updated_idx ON sagas (user_id, updated_at DESC, id DESC);
CREATE INDEX sagas_updated_id_idx ON sagas (updated_at DESC, id DESC);
DROP INDEX IF EXISTS sagas_updated_idx;
DROP INDEX IF EXISTS sagas_status_idx;
DROP INDEX IF EXISTS sagas_user_idx;
-- Finished sagas by completion time (the overview's last hour). Partial:
-- a saga's row enters it once, when it finishes.
CREATE INDEX sagas_completed_idx ON sagas (completed_at) WHERE completed_at IS NOT NULL;
-- Findings of one saga, for its page.
CREATE INDEX reconciliation_findings_saga_idx ON reconciliation_findings (saga_id)
    WHERE saga_id IS NOT NULL;
CREATE INDEX reconciliation_releases_saga_idx ON reconciliation_releases (saga_id)
    WHERE saga_id IS NOT NULL;

-- Every action taken in the console, once: the form's action id is the
-- key, so a form sent twice (a double click, a retried request) acts once
-- and shows the first outcome. Who, with which role, what, on what, why.
CREATE TABLE console_actions (
    action_id   uuid PRIMARY KEY,
    operator    text        NOT NULL,
    role        text        NOT NULL,
    action      text        NOT NULL,
    target      text        NOT NULL,
    reason      text        NOT NULL,
    requested_at timestamptz NOT NULL DEFAULT now(),
    -- NULL while the action runs (or if the console stopped during it).
    outcome     jsonb,
    finished_at timestamptz
);
CREATE INDEX console_actions_requested_idx ON console_actions (requested_at DESC);
CREATE INDEX console_actions_target_idx ON console_actions (target, requested_at DESC);
