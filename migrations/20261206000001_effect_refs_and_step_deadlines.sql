-- A provider call records the provider object it created (a PaymentIntent
-- id) before taking the next effect on it, so a takeover continues with
-- that object by id instead of looking for it. `first_claimed_at` bounds
-- the creation window in which an object made for the call can exist.
ALTER TABLE provider_calls ADD COLUMN effect_ref text;
ALTER TABLE provider_calls ADD COLUMN first_claimed_at timestamptz NOT NULL DEFAULT now();

-- Every step sent to a worker has a deadline: a saga whose step has no
-- reply by `step_deadline_at` gets the same command again (same key).
-- The key says which step the deadline belongs to.
ALTER TABLE sagas ADD COLUMN step_deadline_at timestamptz;
ALTER TABLE sagas ADD COLUMN step_deadline_key text;
CREATE INDEX sagas_step_deadline_idx ON sagas (step_deadline_at)
    WHERE step_deadline_at IS NOT NULL;
