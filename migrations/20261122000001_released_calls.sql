-- A worker whose provider call could not be settled releases its claim, so
-- the retried command takes the call over and looks the result up first.
ALTER TABLE provider_calls DROP CONSTRAINT provider_calls_status_check;
ALTER TABLE provider_calls ADD CONSTRAINT provider_calls_status_check
    CHECK (status IN ('in_flight', 'completed', 'released'));
