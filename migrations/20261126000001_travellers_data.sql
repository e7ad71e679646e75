-- Travellers' data as the gateway shows it, and who may see it.
--
-- The orchestrator keeps three read models beside each saga, written in the
-- transaction that moves the saga: its passengers (personal data sealed by
-- the application, each value tagged with its key id), the offers it
-- committed to, and its booking (the financial record kept after erasure).
-- The gateway records each trip request it accepted (for Idempotency-Key)
-- and each erasure asked for.
--
-- Row-level security: the gateway reads and writes as the role
-- `autobook_gateway` (SET LOCAL ROLE in each transaction) with the calling
-- user's id in the setting `autobook.user_id`; every table holding user data
-- shows that role only the rows of that user. Tables the gateway never
-- needs are not granted to it at all, and have row-level security enabled
-- with no policy for it, so a grant added by mistake still shows nothing.
-- The services' own login (the tables' owner) is not subject to policies.

DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'autobook_gateway') THEN
        CREATE ROLE autobook_gateway NOLOGIN;
    END IF;
EXCEPTION
    -- Roles are shared by every database of the server: another database
    -- migrating at the same moment created it first.
    WHEN duplicate_object OR unique_violation THEN NULL;
END;
$$;

CREATE TABLE passengers (
    saga_id      uuid        NOT NULL REFERENCES sagas (id) ON DELETE CASCADE,
    position     smallint    NOT NULL,
    user_id      text        NOT NULL,
    title        text        NOT NULL,
    gender       text        NOT NULL,
    -- Sealed (`pii:v1:<key id>:...`), or a placeholder once erased.
    given_name   text        NOT NULL,
    family_name  text        NOT NULL,
    born_on      text        NOT NULL,
    email        text        NOT NULL,
    phone_number text        NOT NULL,
    -- Local date of the last flight: retention counts from it.
    travel_ends_on date      NOT NULL,
    erased_at    timestamptz,
    PRIMARY KEY (saga_id, position)
);
CREATE INDEX passengers_user_idx ON passengers (user_id);
CREATE INDEX passengers_retention_idx ON passengers (travel_ends_on) WHERE erased_at IS NULL;

CREATE TABLE offers (
    saga_id      uuid        NOT NULL REFERENCES sagas (id) ON DELETE CASCADE,
    offer_id     text        NOT NULL,
    user_id      text        NOT NULL,
    summary      jsonb       NOT NULL,
    total_minor  bigint      NOT NULL,
    currency     text        NOT NULL,
    expires_at   timestamptz NOT NULL,
    selected_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (saga_id, offer_id)
);
CREATE INDEX offers_user_idx ON offers (user_id);
CREATE INDEX offers_expiry_idx ON offers (expires_at);

CREATE TABLE bookings (
    id                uuid        PRIMARY KEY,
    saga_id           uuid        NOT NULL UNIQUE REFERENCES sagas (id) ON DELETE CASCADE,
    user_id           text        NOT NULL,
    status            text        NOT NULL CHECK (status IN ('confirmed', 'cancelled')),
    order_id          text        NOT NULL,
    booking_reference text        NOT NULL,
    payment_intent_id text        NOT NULL,
    amount_minor      bigint      NOT NULL,
    currency          text        NOT NULL,
    refunded_minor    bigint,
    -- Flights only (places, times, flight numbers): no personal data.
    itinerary         jsonb       NOT NULL,
    booked_at         timestamptz NOT NULL DEFAULT now(),
    cancelled_at      timestamptz
);
CREATE INDEX bookings_user_idx ON bookings (user_id);

-- Trip requests accepted by the gateway. A retry with the same
-- Idempotency-Key (per user) finds its trip here; the request hash tells a
-- retry from a different request under a reused key.
CREATE TABLE trip_submissions (
    trip_id         uuid        PRIMARY KEY,
    user_id         text        NOT NULL,
    idempotency_key text,
    request_hash    text        NOT NULL,
    submitted_at    timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX trip_submissions_key_idx ON trip_submissions (user_id, idempotency_key)
    WHERE idempotency_key IS NOT NULL;
CREATE INDEX trip_submissions_user_idx ON trip_submissions (user_id);

-- Erasures (GDPR art. 17, CCPA): asked for by the user, carried out by the
-- orchestrator once the user's sagas have stopped. The record itself holds
-- no identity once done: `user_id` is cleared, `subject` is a hash.
CREATE TABLE erasures (
    id            uuid        PRIMARY KEY,
    subject       text        NOT NULL,
    user_id       text,
    status        text        NOT NULL CHECK (status IN ('pending', 'completed')),
    requested_at  timestamptz NOT NULL DEFAULT now(),
    completed_at  timestamptz,
    sagas_stopped integer     NOT NULL DEFAULT 0,
    sagas_erased  integer     NOT NULL DEFAULT 0
);
CREATE INDEX erasures_pending_idx ON erasures (requested_at) WHERE status = 'pending';
CREATE INDEX erasures_user_idx ON erasures (user_id) WHERE user_id IS NOT NULL;

-- Which sagas hold personal data no longer: erased or past retention.
ALTER TABLE sagas ADD COLUMN personal_data_erased_at timestamptz;

-- Row-level security.
ALTER TABLE sagas ENABLE ROW LEVEL SECURITY;
ALTER TABLE saga_audit ENABLE ROW LEVEL SECURITY;
ALTER TABLE passengers ENABLE ROW LEVEL SECURITY;
ALTER TABLE offers ENABLE ROW LEVEL SECURITY;
ALTER TABLE bookings ENABLE ROW LEVEL SECURITY;
ALTER TABLE trip_submissions ENABLE ROW LEVEL SECURITY;
ALTER TABLE erasures ENABLE ROW LEVEL SECURITY;
ALTER TABLE outbox ENABLE ROW LEVEL SECURITY;
ALTER TABLE inbox ENABLE ROW LEVEL SECURITY;
ALTER TABLE saga_timers ENABLE ROW LEVEL SECURITY;
ALTER TABLE provider_calls ENABLE ROW LEVEL SECURITY;
ALTER TABLE dead_letters ENABLE ROW LEVEL SECURITY;

CREATE POLICY own_sagas ON sagas TO autobook_gateway
    USING (user_id = current_setting('autobook.user_id', true));
-- Through the policy of sagas: the subquery sees only the user's sagas.
CREATE POLICY own_saga_audit ON saga_audit TO autobook_gateway
    USING (EXISTS (SELECT 1 FROM sagas s WHERE s.id = saga_audit.saga_id));
CREATE POLICY own_passengers ON passengers TO autobook_gateway
    USING (user_id = current_setting('autobook.user_id', true));
CREATE POLICY own_offers ON offers TO autobook_gateway
    USING (user_id = current_setting('autobook.user_id', true));
CREATE POLICY own_bookings ON bookings TO autobook_gateway
    USING (user_id = current_setting('autobook.user_id', true));
CREATE POLICY own_trip_submissions ON trip_submissions TO autobook_gateway
    USING (user_id = current_setting('autobook.user_id', true))
    WITH CHECK (user_id = current_setting('autobook.user_id', true));
CREATE POLICY own_erasures ON erasures TO autobook_gateway
    USING (user_id = current_setting('autobook.user_id', true))
    WITH CHECK (user_id = current_setting('autobook.user_id', true));

GRANT SELECT ON sagas, saga_audit, passengers, offers, bookings TO autobook_gateway;
GRANT SELECT, INSERT ON trip_submissions, erasures TO autobook_gateway;
