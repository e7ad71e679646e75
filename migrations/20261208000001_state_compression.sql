-- A saga's state is rewritten on every step and, with its offers, is often
-- past the size PostgreSQL compresses; lz4 compresses and reads it back at a
-- fraction of pglz's CPU. Rows already written keep their compression until
-- they are next written.
ALTER TABLE sagas ALTER COLUMN state SET COMPRESSION lz4;
