-- Fired timers are kept for a while as a record, then purged by the timer
-- loop (orchestrator::timers::purge_fired); this index finds the old ones.
CREATE INDEX saga_timers_fired_idx ON saga_timers (fired_at) WHERE fired_at IS NOT NULL;
