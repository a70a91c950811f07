-- Operating it day to day (spec section 9): a source's folder (options
-- pattern, require_fin, changed_file), source_files(), CALL ingest(),
-- source_status, unload(), load(..., replaces), the ledger following
-- rematch(), and errors that suggest the closest name.
SET client_min_messages = warning;
DROP EXTENSION IF EXISTS offline_join CASCADE;
CREATE EXTENSION offline_join;
DROP ROLE IF EXISTS regress_oj_operator, regress_oj_reader;
-- a fixed folder, so that messages naming its files read the same in every run
SELECT set_config('oj.dir', '/tmp/oj_regress_ops', false) IS NOT NULL AS ok;
-- err(sql): 'ok', or the SQLSTATE, message and hint, the folder hidden
CREATE FUNCTION pg_temp.err(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE d text; h text;
BEGIN EXECUTE q; RETURN 'ok';
EXCEPTION WHEN others THEN
  GET STACKED DIAGNOSTICS d = PG_EXCEPTION_DETAIL, h = PG_EXCEPTION_HINT;
  RETURN replace(SQLSTATE || ': ' || SQLERRM
                 || CASE WHEN d <> '' THEN E'\nDETAIL: ' || d ELSE '' END
                 || CASE WHEN h <> '' THEN E'\nHINT: ' || h ELSE '' END,
                 current_setting('oj.dir'), '<dir>');
END $$;
-- write(name, lines): a file of the folder (COPY writes as the server)
CREATE FUNCTION pg_temp.write(name text, VARIADIC lines text[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE format('COPY (SELECT unnest(%L::text[])) TO %L', lines, current_setting('oj.dir') || '/' || name);
END $$;
CREATE VIEW pg_temp.ledger AS
  SELECT load_id, replace(path, current_setting('oj.dir'), '<dir>') AS path, status, rows_total, rows_loaded,
         rows_rejected, rows_matched, replaces, unloaded_at IS NOT NULL AS unloaded,
         replace(message, current_setting('oj.dir'), '<dir>') AS message
    FROM offline_join.loads ORDER BY load_id;
CREATE VIEW pg_temp.files AS
  SELECT replace(path, current_setting('oj.dir'), '<dir>') AS path, state, load_id
    FROM offline_join.source_files('shop') ORDER BY path;
DO $$ BEGIN
  -- the folder: made by the server (pg_file_write is not here); COPY makes files, not folders
  EXECUTE format('COPY (SELECT 1) TO PROGRAM %L', 'mkdir -p ' || current_setting('oj.dir') || ' && rm -f ' || current_setting('oj.dir') || '/*');
END $$;

-- 1. The folder's options, checked like every option
SELECT pg_temp.err($$SELECT offline_join.create_source('e', 'rmc', '{"pattern": "sales_*.csv"}')$$);
SELECT pg_temp.err($$SELECT offline_join.create_source('e', 'rmc', '{"require_fin": "yes"}')$$);
SELECT pg_temp.err($$SELECT offline_join.create_source('e', 'rmc', '{"changed_file": "ignore"}')$$);
SELECT pg_temp.err($$SELECT offline_join.create_source('e', 'rmc', '{"changed_fiel": "load"}')$$);
SELECT offline_join.create_source('shop', 'rmc',
         jsonb_build_object('pattern', current_setting('oj.dir') || '/sales_*.csv', 'require_fin', true,
                            'changed_file', 'refuse'));
SELECT offline_join.create_source('nofolder', 'rmc');
SELECT pg_temp.err($$SELECT * FROM offline_join.load_dir('nofolder')$$);
SELECT source, last_status, failed_files, waiting_files, rows_24h FROM offline_join.source_status ORDER BY 1;
-- a mistyped folder never matches: an error, not a quiet nothing
SELECT offline_join.create_source('typo', 'rmc', '{"pattern": "/tmp/oj_regress_opz/sales_*.csv"}');
SELECT pg_temp.err($$SELECT * FROM offline_join.source_files('typo')$$);
SELECT pg_temp.err($$CALL offline_join.ingest('typo')$$);
SELECT waiting_files FROM offline_join.source_status WHERE source = 'typo';
DELETE FROM offline_join.sources WHERE name = 'typo';

-- 2. Files arrive: waiting for their .fin, then waiting, then ingested
SELECT pg_temp.write('sales_1.csv', 'Time Stamp,Customer ID,Event Type,Category,Event Name,Num1,Num2',
       '2026-03-02 14:05:11,C1,7,shoes,SKU-1,1,9.95', '2026-03-02 14:05:11,,7,shoes,SKU-1,1,9.95');
SELECT pg_temp.write('sales_2.csv', 'Time Stamp,Customer ID,Event Type,Category,Event Name,Num1,Num2',
       '2026-03-03 10:00:00,C2,7,shirts,SKU-2,2,20');
SELECT pg_temp.write('sales_2.csv.fin', '');
SELECT * FROM pg_temp.files;
SELECT waiting_files FROM offline_join.source_status WHERE source = 'shop';
CALL offline_join.ingest('shop');
SELECT * FROM pg_temp.files;
SELECT pg_temp.write('sales_1.csv.fin', '');
CALL offline_join.ingest('shop');
SELECT * FROM pg_temp.ledger;
SELECT source, last_status, failed_files, waiting_files, rows_24h, reject_rate_24h, match_rate_24h
  FROM offline_join.source_status WHERE source = 'shop';
-- a second run finds nothing to do
CALL offline_join.ingest('shop');
SELECT count(*) AS loads FROM offline_join.loads;

-- 3. The ledger follows rematch(): late online data matches, the figures follow
INSERT INTO offline_join.sessions VALUES ('web-1', 'VIS-1', 'C1', '2026-03-01 10:00+00', '{}');
SELECT offline_join.rematch();
SELECT load_id, rows_loaded, rows_matched FROM offline_join.loads ORDER BY load_id;
SELECT load_id, rows_matched, loads_updated, run_by, finished_at >= started_at AS timed
  FROM offline_join.rematch_runs ORDER BY run_id;
SELECT match_rate_24h FROM offline_join.source_status WHERE source = 'shop';
SELECT offline_join.rematch(2);
SELECT load_id, rows_matched, loads_updated FROM offline_join.rematch_runs ORDER BY run_id;

-- 4. A corrected file under the same name: refused (option changed_file),
-- recorded as a failure the status shows, and the scheduled run fails
SELECT pg_temp.write('sales_1.csv', 'Time Stamp,Customer ID,Event Type,Category,Event Name,Num1,Num2',
       '2026-03-02 14:05:11,C1,7,shoes,SKU-1,1,9.95', '2026-03-02 14:05:11,C3,7,shoes,SKU-1,1,9.95');
SELECT * FROM pg_temp.files;
CALL offline_join.ingest('shop');
SELECT load_id, path, status, message FROM pg_temp.ledger WHERE load_id = 3;
SELECT last_status, failed_files FROM offline_join.source_status WHERE source = 'shop';
-- not tried again with the same content: the next run succeeds, the status still shows it
CALL offline_join.ingest('shop');
SELECT count(*) AS loads, (SELECT failed_files FROM offline_join.source_status WHERE source = 'shop')
  FROM offline_join.loads;

-- 5. The correction replaces the load it corrects, in one transaction
SELECT pg_temp.err(format($$SELECT offline_join.load('shop', %L, replaces => 3)$$, current_setting('oj.dir') || '/sales_1.csv'));
SELECT pg_temp.err(format($$SELECT offline_join.load('shop', %L, replaces => 99)$$, current_setting('oj.dir') || '/sales_1.csv'));
SELECT pg_temp.err(format($$SELECT offline_join.load('nofolder', %L, replaces => 1)$$, current_setting('oj.dir') || '/sales_1.csv'));
SELECT pg_temp.err(format($$SELECT offline_join.load('shop', %L, replaces => 0)$$, current_setting('oj.dir') || '/sales_1.csv'));
SELECT status, rows_loaded, replaces FROM offline_join.load('shop', current_setting('oj.dir') || '/sales_1.csv', replaces => 2);
SELECT * FROM pg_temp.ledger;
SELECT load_id, customer_id FROM offline_join.events ORDER BY event_id;
SELECT count(*) AS rejects_of_load_2 FROM offline_join.rejects WHERE load_id = 2;
SELECT last_status, failed_files FROM offline_join.source_status WHERE source = 'shop';
-- the replaced load cannot be replaced again
SELECT pg_temp.err(format($$SELECT offline_join.load('shop', %L, force => true, replaces => 2)$$, current_setting('oj.dir') || '/sales_1.csv'));

-- 6. unload(): only a loaded load, named in the error
SELECT pg_temp.err($$SELECT offline_join.unload(2)$$);
SELECT pg_temp.err($$SELECT offline_join.unload(3)$$);
SELECT pg_temp.err($$SELECT offline_join.unload(404)$$);
SELECT status, unloaded_by FROM offline_join.unload(1);
SELECT count(*) AS events_of_load_1 FROM offline_join.events WHERE load_id = 1;
-- the same content may load again once unloaded (load(); load_dir() leaves it)
SELECT status FROM offline_join.load('shop', current_setting('oj.dir') || '/sales_2.csv');
-- with changed_file 'replace', the folder's corrected file replaces its load
UPDATE offline_join.sources SET options = options || '{"changed_file": "replace"}' WHERE name = 'shop';
SELECT pg_temp.write('sales_2.csv', 'Time Stamp,Customer ID,Event Type,Category,Event Name,Num1,Num2',
       '2026-03-03 10:00:00,C2,7,shirts,SKU-2,2,20', '2026-03-03 11:00:00,C4,7,shirts,SKU-2,1,10');
CALL offline_join.ingest('shop');
SELECT load_id, path, status, rows_loaded, replaces FROM pg_temp.ledger WHERE path LIKE '%sales_2.csv';

-- 6b. ingest(..., workers): files loaded side by side in background
-- workers, each committed on its own, under the same rules: a bad file
-- failed and named, a changed file replacing its load, a file without its
-- .fin left waiting, the ERROR at the end
SELECT max(load_id) AS before_workers FROM offline_join.loads \gset
SELECT pg_temp.write('sales_3.csv', 'Time Stamp,Customer ID,Event Type,Category,Event Name,Num1,Num2',
       '2026-03-04 10:00:00,C5,7,shirts,SKU-2,1,10');
SELECT pg_temp.write('sales_4.csv', 'Time Stamp,Customer ID', '2026-03-04 10:00:00,C6');
SELECT pg_temp.write('sales_5.csv', 'Time Stamp,Customer ID,Event Type,Category,Event Name,Num1,Num2',
       '2026-03-05 10:00:00,C7,7,shirts,SKU-2,1,10');
SELECT pg_temp.write('sales_2.csv', 'Time Stamp,Customer ID,Event Type,Category,Event Name,Num1,Num2',
       '2026-03-03 10:00:00,C2,7,shirts,SKU-2,2,20', '2026-03-03 11:00:00,C4,7,shirts,SKU-2,1,10',
       '2026-03-03 12:00:00,C8,7,shirts,SKU-2,1,10');
SELECT pg_temp.write('sales_3.csv.fin', '');
CALL offline_join.ingest('shop', workers => 2);
-- (one failing file alone, so that the load_id its message names is the same in every run)
SELECT pg_temp.write('sales_4.csv.fin', '');
CALL offline_join.ingest('shop', workers => 2);
SELECT path, status, rows_loaded, replaces, message FROM pg_temp.ledger WHERE load_id > :before_workers ORDER BY path;
SELECT path, state FROM pg_temp.files;
SELECT customer_id FROM offline_join.events WHERE load_id > :before_workers ORDER BY customer_id;
-- the failed file, corrected, is taken again; then nothing is left to do
SELECT pg_temp.write('sales_4.csv', 'Time Stamp,Customer ID,Event Type,Category,Event Name,Num1,Num2',
       '2026-03-04 10:00:00,C6,7,shirts,SKU-2,1,10');
CALL offline_join.ingest('shop', workers => 2);
CALL offline_join.ingest('shop', workers => 2);
SELECT path, status, rows_loaded FROM pg_temp.ledger WHERE load_id > :before_workers ORDER BY load_id DESC LIMIT 1;
SELECT count(*) AS new_loads FROM offline_join.loads WHERE load_id > :before_workers;
SELECT pg_temp.err($$CALL offline_join.ingest('shop', workers => 0)$$);
SELECT pg_temp.err($$CALL offline_join.ingest('shop', workers => NULL)$$);
SELECT pg_temp.err($$SELECT * FROM offline_join.ingest_files('shop', '{}', 65)$$);
-- (the source is the workers' to check, the caller reading no table while
-- it waits; their error is the call's)
SELECT replace(path, current_setting('oj.dir'), '<dir>') AS path, load_id, status, message
  FROM offline_join.ingest_files('shops', ARRAY[current_setting('oj.dir') || '/sales_3.csv'], 2);
SELECT pg_temp.err($$SELECT * FROM offline_join.ingest_files('shop', NULL, 2)$$);
SELECT pg_temp.err($$SELECT * FROM offline_join.ingest_files('shop', '{{a},{b}}', 2)$$);
-- its commits could not be undone: refused in a transaction block (and in
-- a subtransaction, such as err()'s, once the arguments and rights are right)
BEGIN;
SELECT pg_temp.err($$SELECT * FROM offline_join.ingest_files('shop', '{}', 2)$$);
ROLLBACK;
-- nor in a transaction that wrote (its workers would not see the rows) or
-- locked (they would wait for it while it waits for them); ingest()
-- commits first
DO $$ BEGIN PERFORM offline_join.create_source('later', 'rmc');
            PERFORM * FROM offline_join.ingest_files('shop', '{}', 2); END $$;
DO $$ BEGIN LOCK offline_join.sources IN SHARE MODE;
            PERFORM * FROM offline_join.ingest_files('shop', '{}', 2); END $$;
SELECT count(*) AS later FROM offline_join.sources WHERE name = 'later';
-- a lock of the user's own, which no worker takes, is no reason to refuse
SELECT pg_temp.write('sales_6.csv', 'Time Stamp,Customer ID,Event Type,Category,Event Name,Num1,Num2',
       '2026-03-06 10:00:00,C9,7,shirts,SKU-2,1,10');
SELECT pg_temp.write('sales_6.csv.fin', '');
SELECT pg_advisory_lock(42) IS NOT NULL AS locked;
CALL offline_join.ingest('shop', workers => 2);
SELECT pg_advisory_unlock(42);
SELECT path, status, rows_loaded FROM pg_temp.ledger WHERE path LIKE '%sales_6.csv';
-- in a transaction block with nothing waiting: nothing to do, no error
BEGIN;
CALL offline_join.ingest('shop', workers => 2);
COMMIT;

-- 7. Who may do what: unload() is the owner's unless granted, and refuses
-- where row-level security would let it remove part of a load
CREATE ROLE regress_oj_operator;
CREATE ROLE regress_oj_reader;
GRANT USAGE ON SCHEMA offline_join TO regress_oj_operator, regress_oj_reader;
GRANT SELECT ON offline_join.sources, offline_join.loads TO regress_oj_reader;
SET ROLE regress_oj_operator;
SELECT pg_temp.err($$SELECT offline_join.unload(5)$$);
RESET ROLE;
GRANT EXECUTE ON FUNCTION offline_join.unload(bigint) TO regress_oj_operator;
GRANT SELECT, UPDATE ON offline_join.loads TO regress_oj_operator;
GRANT SELECT, DELETE ON offline_join.events, offline_join.rejects TO regress_oj_operator;
ALTER TABLE offline_join.events ENABLE ROW LEVEL SECURITY;
CREATE POLICY ops_c2 ON offline_join.events TO regress_oj_operator USING (customer_id = 'C2');
SET ROLE regress_oj_operator;
SELECT pg_temp.err($$SELECT offline_join.unload(5)$$);
RESET ROLE;
DROP POLICY ops_c2 ON offline_join.events;
ALTER TABLE offline_join.events DISABLE ROW LEVEL SECURITY;
-- the status is for everyone who may read the ledger; without the right
-- to read server files, waiting_files is NULL
SET ROLE regress_oj_reader;
SELECT source, last_status, failed_files, waiting_files FROM offline_join.source_status ORDER BY 1;
RESET ROLE;

-- 8. Errors name the closest valid name, and quote the value
SELECT pg_temp.err($$SELECT * FROM offline_join.load('shpo', '/tmp/x.csv')$$);
SELECT pg_temp.err($$SELECT offline_join.create_source('e', 'rcm')$$);
SELECT pg_temp.err($$SELECT offline_join.create_source('e', 'rmc', '{"timezone": "Europe/Copenhagn"}')$$);
SELECT pg_temp.err($$SELECT offline_join.create_source('e', 'rmc', '{"timzone": "UTC"}')$$);

DO $$ BEGIN
  EXECUTE format('COPY (SELECT 1) TO PROGRAM %L', 'rm -rf ' || current_setting('oj.dir'));
END $$;
DROP EXTENSION offline_join CASCADE;
DROP ROLE regress_oj_operator, regress_oj_reader;
