-- Citus (doc/citus.md): while Citus manages a table of schema
-- offline_join, every entry point that reads or writes below the executor
-- refuses at once, naming the table, and writes nothing.  Citus itself is
-- not installed here (test/citus/ runs the real cluster): this test stands
-- in Citus's catalog pg_catalog.pg_dist_partition, which is all offline_join
-- reads of it, so the refusals run in every suite and under valgrind.
SET client_min_messages = warning;
DROP EXTENSION IF EXISTS offline_join CASCADE;
CREATE EXTENSION offline_join;
SET timezone = 'UTC';
\getenv abs_srcdir PG_ABS_SRCDIR
\set data :abs_srcdir '/test/data'
SELECT set_config('oj.data', :'data', false) IS NOT NULL AS ok;
CREATE FUNCTION pg_temp.err(q text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN EXECUTE q; RETURN 'ok';
EXCEPTION WHEN others THEN
  RETURN SQLSTATE || ': ' || replace(SQLERRM, current_setting('oj.data'), '<data>');
END $$;
SELECT offline_join.create_source('rmc', 'rmc');
SELECT offline_join.create_inbox('rmc');
INSERT INTO offline_join.sessions VALUES ('s1', 'V1', 'CUST-1001', '2026-03-01 10:00+00', '{}');

-- Citus's catalog, as Citus 13 creates it (the columns offline_join reads)
SET allow_system_table_mods = on;
CREATE TABLE pg_catalog.pg_dist_partition (
    logicalrelid regclass NOT NULL, partmethod "char" NOT NULL, partkey text,
    colocationid integer NOT NULL DEFAULT 0, repmodel "char" NOT NULL DEFAULT 'c',
    autoconverted boolean NOT NULL DEFAULT false);
RESET allow_system_table_mods;

-- Citus installed, no table of the extension managed by it: all as usual
SELECT status, rows_loaded FROM offline_join.load('rmc', :'data' || '/rmc_sample.csv');
SELECT match FROM offline_join.attribute('2026-03-02 10:00+00', 'CUST-1001', NULL);
-- a Citus table elsewhere changes nothing
CREATE TABLE public.other (a int);
INSERT INTO pg_catalog.pg_dist_partition (logicalrelid, partmethod) VALUES ('public.other', 'h');
SELECT count(*) FROM offline_join.validate_file('rmc', :'data' || '/rmc_sample.csv');

-- one scan of the catalog per command: a change in the same transaction is
-- seen by the next command
BEGIN;
SELECT count(*) FROM generate_series(1, 3) g,
  LATERAL offline_join.attribute('2026-03-02 10:00+00', 'CUST-1001', NULL) a WHERE a.match = 'customer';
INSERT INTO pg_catalog.pg_dist_partition (logicalrelid, partmethod) VALUES ('offline_join.sessions', 'h');
SELECT pg_temp.err($$SELECT * FROM offline_join.attribute('2026-03-02 10:00+00', 'CUST-1001', NULL)$$);
ROLLBACK;

-- events distributed: every entry point refuses, naming it
INSERT INTO pg_catalog.pg_dist_partition (logicalrelid, partmethod, partkey)
  VALUES ('offline_join.events', 'h', 'customer_id');
SELECT (SELECT count(*) FROM offline_join.loads) AS loads, (SELECT count(*) FROM offline_join.events) AS events,
       (SELECT count(*) FROM offline_join.rejects) AS rejects \gset before_
SELECT pg_temp.err($$SELECT * FROM offline_join.load('rmc', current_setting('oj.data') || '/rmc_crlf_bom.csv')$$);
SELECT pg_temp.err($$SELECT * FROM offline_join.load_dir('rmc', current_setting('oj.data') || '/rmc_crlf*.csv')$$);
SELECT pg_temp.err($$SELECT * FROM offline_join.validate_file('rmc', current_setting('oj.data') || '/rmc_sample.csv')$$);
SELECT pg_temp.err($$SELECT * FROM offline_join.attribute('2026-03-02 10:00+00', 'CUST-1001', NULL)$$);
SELECT pg_temp.err($$SELECT offline_join.rematch()$$);
SELECT pg_temp.err($$SELECT offline_join.expire()$$);
SELECT pg_temp.err($$COPY offline_join.inbox_rmc (time_stamp, customer_id, event_type, category, event_name, num1, num2)
  FROM PROGRAM 'printf "2026-03-03 10:00:00,CUST-9,7,,SKU-1,1,9.95\n"' (FORMAT csv)$$);
-- the whole message once
SELECT * FROM offline_join.load('rmc', :'data' || '/rmc_crlf_bom.csv');
SELECT (SELECT count(*) FROM offline_join.loads) = :before_loads AS ledger_unchanged,
       (SELECT count(*) FROM offline_join.events) = :before_events AS events_unchanged,
       (SELECT count(*) FROM offline_join.rejects) = :before_rejects AS rejects_unchanged;

-- what each kind is called; any table of the extension counts
UPDATE pg_catalog.pg_dist_partition SET partmethod = 'n', repmodel = 't'
 WHERE logicalrelid = 'offline_join.events'::regclass;
SELECT pg_temp.err($$SELECT * FROM offline_join.load('rmc', current_setting('oj.data') || '/rmc_crlf_bom.csv')$$);
UPDATE pg_catalog.pg_dist_partition SET repmodel = 's'
 WHERE logicalrelid = 'offline_join.events'::regclass;
SELECT pg_temp.err($$SELECT * FROM offline_join.load('rmc', current_setting('oj.data') || '/rmc_crlf_bom.csv')$$);
DELETE FROM pg_catalog.pg_dist_partition WHERE logicalrelid = 'offline_join.events'::regclass;
INSERT INTO pg_catalog.pg_dist_partition (logicalrelid, partmethod, repmodel)
  VALUES ('offline_join.products', 'n', 't');
SELECT pg_temp.err($$SELECT * FROM offline_join.validate_file('rmc', current_setting('oj.data') || '/rmc_sample.csv')$$);

-- a catalog of another shape is refused, not guessed at
DELETE FROM pg_catalog.pg_dist_partition;
SET allow_system_table_mods = on;
ALTER TABLE pg_catalog.pg_dist_partition ALTER COLUMN repmodel TYPE text;
RESET allow_system_table_mods;
SELECT pg_temp.err($$SELECT * FROM offline_join.attribute('2026-03-02 10:00+00', 'CUST-1001', NULL)$$);

-- Citus gone: everything works again
SET allow_system_table_mods = on;
DROP TABLE pg_catalog.pg_dist_partition;
RESET allow_system_table_mods;
DROP TABLE public.other;
SELECT status, rows_loaded FROM offline_join.load('rmc', :'data' || '/rmc_crlf_bom.csv');

-- the batch size of the Citus layout's lookups: a setting of every session,
-- from 1 to 1,000,000 events
SHOW offline_join.citus_match_batch;
SELECT pg_temp.err($$SET offline_join.citus_match_batch = 0$$);
SELECT pg_temp.err($$SET offline_join.citus_match_batch = 1000001$$);
SET offline_join.citus_match_batch = 1;
SHOW offline_join.citus_match_batch;
RESET offline_join.citus_match_batch;
