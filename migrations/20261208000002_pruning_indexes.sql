-- Pruning deletes the oldest bookkeeping rows first: published outbox rows
-- and inbox ids by the time they were written, completed provider calls by
-- their first claim. These columns are set once, so the indexes never make
-- an update rewrite them.
CREATE INDEX outbox_created_idx ON outbox (created_at);
CREATE INDEX inbox_handled_idx ON inbox (handled_at);
CREATE INDEX provider_calls_first_claimed_idx ON provider_calls (first_claimed_at);
