-- Feature flags and the kill switch (the flags crate reads them; `autobook
-- ops flags set` changes them). Global values, per-user overrides of the
-- booking pipeline, and an audit of every change: who, why, when.
CREATE TABLE feature_flags (
    name        text PRIMARY KEY
                CHECK (name IN ('kill_switch', 'auto_booking_pipeline_enabled')),
    enabled     boolean NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now(),
    updated_by  text NOT NULL,
    reason      text NOT NULL
);

-- Money may move unless someone says otherwise: the switch is off and the
-- pipeline is on for everyone.
INSERT INTO feature_flags (name, enabled, updated_by, reason) VALUES
    ('kill_switch', false, 'migration', 'initial value'),
    ('auto_booking_pipeline_enabled', true, 'migration', 'initial value');

CREATE TABLE feature_flag_user_overrides (
    flag        text NOT NULL CHECK (flag = 'auto_booking_pipeline_enabled'),
    user_id     text NOT NULL CHECK (length(user_id) BETWEEN 1 AND 128),
    enabled     boolean NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now(),
    updated_by  text NOT NULL,
    reason      text NOT NULL,
    PRIMARY KEY (flag, user_id)
);

CREATE TABLE feature_flag_audit (
    id           bigserial PRIMARY KEY,
    flag         text NOT NULL,
    user_id      text,              -- NULL: the global value
    old_enabled  boolean,           -- NULL: there was no value (no override)
    new_enabled  boolean,           -- NULL: the override was removed
    changed_by   text NOT NULL,
    reason       text NOT NULL,
    changed_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX feature_flag_audit_user ON feature_flag_audit (user_id, id);

-- Bumped by every statement that changes a flag, so readers can tell in one
-- cheap query whether their copy is current.
CREATE TABLE feature_flag_version (
    singleton  boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    version    bigint NOT NULL
);
INSERT INTO feature_flag_version (version) VALUES (1);

-- Any change, by the ops tool or by hand, bumps the version and announces
-- it on `autobook_flags_changed` (delivered at commit) with the version as
-- payload.
CREATE FUNCTION feature_flags_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    new_version bigint;
BEGIN
    UPDATE feature_flag_version SET version = version + 1
        RETURNING version INTO new_version;
    PERFORM pg_notify('autobook_flags_changed', new_version::text);
    RETURN NULL;
END;
$$;

CREATE TRIGGER feature_flags_changed
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON feature_flags
    FOR EACH STATEMENT EXECUTE FUNCTION feature_flags_changed();

CREATE TRIGGER feature_flag_user_overrides_changed
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON feature_flag_user_overrides
    FOR EACH STATEMENT EXECUTE FUNCTION feature_flags_changed();
