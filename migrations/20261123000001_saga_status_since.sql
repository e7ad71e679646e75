-- When the saga entered its current status, so the time spent in each step
-- can be measured when it leaves (a step retried in place keeps its start).
ALTER TABLE sagas ADD COLUMN status_since timestamptz NOT NULL DEFAULT now();
