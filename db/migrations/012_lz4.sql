-- 012_lz4.sql - message bodies compressed with lz4 instead of pglz
-- (issue 17, docs/performance.md "PostgreSQL's share").
--
-- A body over about 2 KB (an AAR is 4.6 KB) is compressed by PostgreSQL
-- when it is stored. With the default pglz that compression was 38% of
-- the database's CPU in a flat-out run; lz4 does the same job several
-- times faster and compresses XML about as well. Rows stored before keep
-- their pglz bodies (both are read transparently). A server built without
-- lz4 keeps pglz: the migration then only says so.
DO $$
BEGIN
    ALTER TABLE message ALTER COLUMN body SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported OR invalid_parameter_value THEN
    RAISE NOTICE 'this PostgreSQL has no lz4: message bodies stay compressed with pglz';
END
$$;
