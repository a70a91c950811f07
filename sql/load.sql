-- Validated loading of server files (spec sections 2, 3 and 5):
-- sources, load(), validate_file(), rejects with every reason, the ledger.
SET client_min_messages = warning;
DROP EXTENSION IF EXISTS offline_join CASCADE;
CREATE EXTENSION offline_join;
DROP ROLE IF EXISTS regress_oj_nobody, regress_oj_loader;  -- left by an interrupted run
-- NOTICEs name absolute paths; they are tested in test/t/003_load_progress.pl
\getenv abs_srcdir PG_ABS_SRCDIR
\set data :abs_srcdir '/test/data'
-- err(sql): 'ok', or the SQLSTATE and message, with the test directory hidden
CREATE FUNCTION pg_temp.err(q text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN EXECUTE q; RETURN 'ok';
EXCEPTION WHEN others THEN
  RETURN SQLSTATE || ': ' || replace(SQLERRM, current_setting('oj.data'), '<data>');
END $$;
SELECT set_config('oj.data', :'data', false) IS NOT NULL AS ok;
-- ledger rows without the machine-specific parts
CREATE VIEW pg_temp.ledger AS
  SELECT load_id, source, replace(path, current_setting('oj.data'), '<data>') AS path,
         length(sha256) AS sha_len, bytes, rows_total, rows_loaded, rows_rejected,
         rows_matched, status, message
    FROM offline_join.loads;

-- sources: formats and options are checked, with hints
SELECT offline_join.create_source('rmc', 'rmc');
SELECT offline_join.create_source('adobe_tx', 'adobe', '{"timezone": "Europe/Copenhagen"}');
SELECT offline_join.create_source('adobe_vis', 'adobe', '{"lookback": "7 days"}');
SELECT pg_temp.err($$SELECT offline_join.create_source('rmc', 'rmc')$$);
SELECT pg_temp.err($$SELECT offline_join.create_source('x', 'xml')$$);
SELECT pg_temp.err($$SELECT offline_join.create_source('x', 'rmc', '{"headers": true}')$$);
SELECT pg_temp.err($$SELECT offline_join.create_source('x', 'rmc', '{"header": "yes"}')$$);
SELECT pg_temp.err($$SELECT offline_join.create_source('x', 'rmc', '{"timezone": "Mars/Olympus"}')$$);
SELECT pg_temp.err($$SELECT offline_join.create_source('x', 'rmc', '{"reject_limit": -1}')$$);
SELECT pg_temp.err($$SELECT offline_join.create_source('x', 'rmc', '{"reject_limit": 1.5}')$$);
SELECT pg_temp.err($$SELECT offline_join.create_source('x', 'rmc', '{"lookback": "0 days"}')$$);
-- a lookback is at most 2 years (10000 years failed every load with 22008)
SELECT pg_temp.err($$SELECT offline_join.create_source('x', 'rmc', '{"lookback": "10000 years"}')$$);
SELECT pg_temp.err($$SELECT offline_join.create_source('x', 'rmc', '{"lookback": "2 years 1 day"}')$$);
SELECT pg_temp.err($$SELECT offline_join.create_source('x', 'rmc', '{"lookback": "-1 day"}')$$);
SELECT pg_temp.err($$SELECT offline_join.create_source('x_2y', 'rmc', '{"lookback": "2 years"}')$$);
-- offsets are POSIX zones with the sign reversed: refused with a hint
SELECT pg_temp.err($$SELECT offline_join.create_source('x', 'rmc', '{"timezone": "UTC+5"}')$$);
SELECT pg_temp.err($$SELECT offline_join.create_source('x', 'rmc', '{"timezone": "+05:00"}')$$);
SELECT pg_temp.err($$SELECT offline_join.create_source('x', 'rmc', '{"timezone": "Etc/GMT+5"}')$$);
SELECT offline_join.create_source('x', 'rmc', '{"timezone": "UTC-05:00"}');
SELECT offline_join.create_source('x', 'rmc', '{"lookback": "3 years"}');
SELECT pg_temp.err($$SELECT offline_join.create_source('x', 'rmc', '{"total_tolerance": -1}')$$);
SELECT pg_temp.err($$SELECT offline_join.create_source('x', 'adobe', '{"header": false}')$$);
SELECT pg_temp.err($$SELECT offline_join.create_source('x', 'rmc', '[]')$$);
SELECT pg_temp.err($$SELECT offline_join.create_source('Bad-Name', 'rmc')$$);
-- the same rules hold for direct writes to the table
SELECT pg_temp.err($$UPDATE offline_join.sources SET options = '{"lookback": 5}' WHERE name = 'rmc'$$);
SELECT pg_temp.err($$UPDATE offline_join.sources SET options = '{"lookback": "3 years"}' WHERE name = 'rmc'$$);
SELECT pg_temp.err($$UPDATE offline_join.sources SET options = '{"timezone": "GMT+1"}' WHERE name = 'rmc'$$);
DELETE FROM offline_join.sources WHERE name = 'x_2y';
SELECT name, format, options FROM offline_join.sources ORDER BY name;

-- the sample file: three good rows; one customer has a session
INSERT INTO offline_join.sessions VALUES
  ('web-1', 'VIS-1', 'CUST-1001', '2026-03-01 12:00+00', '{"channel": "email", "campaign": "spring"}'),
  ('web-0', 'VIS-1', 'CUST-1001', '2026-01-01 12:00+00', '{"channel": "old"}');
SELECT (offline_join.load('rmc', :'data' || '/rmc_sample.csv')).status;
SELECT * FROM pg_temp.ledger;
SELECT line_no, event_time, customer_id, event_type, category, product, num1, num2,
       dims, attrs, match, visitor_id, session_id, snapshot
  FROM offline_join.events ORDER BY line_no;

-- loading the same content again is a duplicate, unless forced
SELECT (offline_join.load('rmc', :'data' || '/rmc_sample.csv')).status;
SELECT (offline_join.load('rmc', :'data' || '/rmc_sample.csv', force => true)).status;
SELECT load_id, status, message, rows_total FROM pg_temp.ledger ORDER BY load_id;
SELECT load_id, count(*) FROM offline_join.events GROUP BY 1 ORDER BY 1;

-- every reason code of the rmc format, with the line where each record starts
SELECT status, rows_total, rows_loaded, rows_rejected
  FROM offline_join.load('rmc', :'data' || '/rmc_every_reason.csv');
SELECT r.line_no, r.field, r.reason, r.message
  FROM offline_join.rejects r JOIN offline_join.loads l USING (load_id)
 WHERE l.path LIKE '%rmc_every_reason.csv' ORDER BY r.line_no;
SELECT e.line_no, e.customer_id, e.dims
  FROM offline_join.events e JOIN offline_join.loads l USING (load_id)
 WHERE l.path LIKE '%rmc_every_reason.csv' ORDER BY e.line_no;
-- raw keeps the bytes, made storable
SELECT line_no, raw FROM offline_join.rejects WHERE reason = 'encoding' ORDER BY line_no;
-- rows_total = rows_loaded + rows_rejected for every file, and the counts are true
SELECT l.load_id, l.rows_total = l.rows_loaded + l.rows_rejected AS adds_up,
       l.rows_loaded = (SELECT count(*) FROM offline_join.events e WHERE e.load_id = l.load_id) AS loaded_true,
       l.rows_rejected = (SELECT count(*) FROM offline_join.rejects r WHERE r.load_id = l.load_id) AS rejected_true
  FROM offline_join.loads l ORDER BY l.load_id;

-- validate_file: the same verdicts, nothing written
SELECT count(*) AS loads_before FROM offline_join.loads \gset
SELECT * FROM offline_join.validate_file('rmc', :'data' || '/rmc_every_reason.csv');
SELECT count(*) = :loads_before AS nothing_written FROM offline_join.loads;

-- BOM, CRLF, no final newline, more EventTransaction Attr columns
SELECT status, rows_total, rows_loaded FROM offline_join.load('rmc', :'data' || '/rmc_crlf_bom.csv');
SELECT e.line_no, e.customer_id, e.attrs FROM offline_join.events e
  JOIN offline_join.loads l USING (load_id) WHERE l.path LIKE '%rmc_crlf_bom.csv' ORDER BY 1;

-- header only and empty files load nothing, and say so in the ledger
SELECT status, rows_total FROM offline_join.load('rmc', :'data' || '/rmc_header_only.csv');
SELECT status, rows_total FROM offline_join.load('rmc', :'data' || '/empty.csv');
-- a header with fewer than 7 columns fails the file
SELECT pg_temp.err($$SELECT offline_join.load('rmc', current_setting('oj.data') || '/rmc_short_header.csv')$$);

-- files that cannot be read: errors name the path and the reason, no ledger row
SELECT count(*) AS loads_before FROM offline_join.loads \gset
SELECT pg_temp.err($$SELECT offline_join.load('rmc', current_setting('oj.data') || '/no_such_file.csv')$$);
SELECT pg_temp.err($$SELECT offline_join.load('rmc', current_setting('oj.data'))$$);
SELECT pg_temp.err($$SELECT offline_join.load('rmc', '/dev/null')$$);
SELECT pg_temp.err($$SELECT offline_join.load('rmc', 'relative/file.csv')$$);
SELECT pg_temp.err($$SELECT offline_join.load('nope', current_setting('oj.data') || '/rmc_sample.csv')$$);
SELECT pg_temp.err($$SELECT offline_join.validate_file('nope', '/tmp/x')$$);
SELECT count(*) = :loads_before AS no_ledger_rows FROM offline_join.loads;

-- reject_limit: over the limit, nothing of the file is kept but a failed ledger row
SELECT offline_join.create_source('rmc_strict', 'rmc', '{"reject_limit": 3}');
SELECT status, rows_total, rows_loaded, rows_rejected,
       replace(message, current_setting('oj.data'), '<data>') AS message
  FROM offline_join.load('rmc_strict', :'data' || '/rmc_every_reason.csv');
SELECT count(*) FROM offline_join.events WHERE source = 'rmc_strict';
SELECT count(*) FROM offline_join.rejects r JOIN offline_join.loads l USING (load_id)
 WHERE l.source = 'rmc_strict';
-- at the limit, the file loads
UPDATE offline_join.sources SET options = '{"reject_limit": 12}' WHERE name = 'rmc_strict';
SELECT status, rows_loaded, rows_rejected
  FROM offline_join.load('rmc_strict', :'data' || '/rmc_every_reason.csv');

-- header false: every line is a row
SELECT offline_join.create_source('rmc_nohdr', 'rmc', '{"header": false}');
SELECT status, rows_total, rows_loaded, rows_rejected
  FROM offline_join.load('rmc_nohdr', :'data' || '/rmc_sample.csv');
SELECT line_no, field, reason FROM offline_join.rejects r JOIN offline_join.loads l USING (load_id)
 WHERE l.source = 'rmc_nohdr';

-- timezone: file times are local times of the source's zone
SELECT offline_join.create_source('rmc_cph', 'rmc', '{"timezone": "Europe/Copenhagen"}');
SELECT status FROM offline_join.load('rmc_cph', :'data' || '/rmc_sample.csv');
SELECT e.line_no, e.event_time FROM offline_join.events e WHERE e.source = 'rmc_cph' ORDER BY 1;
-- daylight saving time: a local time the clocks skip (Copenhagen,
-- 2026-03-29 02:00-02:59:59) is a range reject naming the zone; a local time
-- that occurs twice (2026-10-25 02:00-02:59:59) is the later instant,
-- standard time, as PostgreSQL reads it
SELECT status, rows_total, rows_loaded, rows_rejected
  FROM offline_join.load('rmc_cph', :'data' || '/rmc_dst_copenhagen.csv');
SELECT r.line_no, r.field, r.reason, r.message FROM offline_join.rejects r JOIN offline_join.loads l USING (load_id)
 WHERE l.path LIKE '%rmc_dst_copenhagen.csv' ORDER BY 1;
SELECT e.line_no, e.customer_id, e.event_time AT TIME ZONE 'UTC' AS utc
  FROM offline_join.events e JOIN offline_join.loads l USING (load_id)
 WHERE l.path LIKE '%rmc_dst_copenhagen.csv' ORDER BY 1;
SELECT ('2026-10-25 02:30:00'::timestamp AT TIME ZONE 'Europe/Copenhagen') AT TIME ZONE 'UTC' AS postgres_reads_ambiguous;
-- an offset that changed on a second that is not :00 (Monrovia, 1972: from
-- -0:44:30 to 0, so 00:00:00-00:44:29 never happened that day): each second
-- decided on its own, in either row order (found by an adversarial run:
-- the first row of a minute decided for the whole minute)
SELECT offline_join.create_source('monrovia', 'rmc', '{"timezone": "Africa/Monrovia"}');
SELECT current_setting('data_directory') || '/oj_regress_monrovia_a.csv' AS mnra,
       current_setting('data_directory') || '/oj_regress_monrovia_b.csv' AS mnrb \gset
COPY (SELECT 'Time Stamp,Customer ID,Event Type,Category,Event Name,Num1,Num2'
      UNION ALL SELECT '1972-01-07 00:44:40,EXISTS,7,c,P,1,2'
      UNION ALL SELECT '1972-01-07 00:44:20,SKIPPED,7,c,P,1,2') TO :'mnra';
COPY (SELECT 'Time Stamp,Customer ID,Event Type,Category,Event Name,Num1,Num2'
      UNION ALL SELECT '1972-01-07 00:44:20,SKIPPED,7,c,P,1,2'
      UNION ALL SELECT '1972-01-07 00:44:40,EXISTS,7,c,P,1,2') TO :'mnrb';
SELECT line_no, reason FROM offline_join.validate_file('monrovia', :'mnra');
SELECT line_no, reason FROM offline_join.validate_file('monrovia', :'mnrb');

-- a quote inside an unquoted field is a parse reject of its own line; the
-- 1,001 rows after it load (0.1.1 swallowed them all into one reject)
SELECT current_setting('data_directory') || '/oj_regress_quote.csv' AS quotefile \gset
COPY (SELECT 'Time Stamp,Customer ID,Event Type,Category,Event Name,Num1,Num2'
      UNION ALL SELECT '2026-03-02 10:00:00,C1,7,37.8"N 121"W,P1,1,2'
      UNION ALL SELECT '2026-03-02 10:00:00,Q' || i || ',7,ok,P1,1,2' FROM generate_series(1, 1001) i)
  TO :'quotefile' (FORMAT text);
SELECT line_no, reason FROM offline_join.validate_file('rmc', :'quotefile');
SELECT status, rows_total, rows_loaded, rows_rejected FROM offline_join.load('rmc', :'quotefile');
SELECT r.line_no, r.field, r.reason, r.message, r.raw FROM offline_join.rejects r JOIN offline_join.loads l USING (load_id)
 WHERE l.path = :'quotefile';
SELECT min(e.line_no), max(e.line_no), count(*) FROM offline_join.events e JOIN offline_join.loads l USING (load_id)
 WHERE l.path = :'quotefile';
SELECT offline_join.create_foreign_table('ft_quote', 'rmc', :'quotefile');
ALTER FOREIGN TABLE ft_quote OPTIONS (ADD on_error 'skip');
SELECT count(*) AS fdw_rows, min(customer_id) FROM ft_quote;
DROP FOREIGN TABLE ft_quote;
-- a quote that never closes: the reject is its own line, and the lines
-- after it are read again (0.1.4 made the rest of the file that reject)
SELECT current_setting('data_directory') || '/oj_regress_open_quote.csv' AS openquote \gset
COPY (SELECT 'Time Stamp,Customer ID,Event Type,Category,Event Name,Num1,Num2'
      UNION ALL SELECT '2026-03-02 10:00:00,OQ1,7,"open,P1,1,2'
      UNION ALL SELECT '2026-03-02 10:00:00,OQ' || i || ',7,ok,P1,1,2' FROM generate_series(2, 4) i)
  TO :'openquote' (FORMAT text);
SELECT line_no, reason, message FROM offline_join.validate_file('rmc', :'openquote');
SELECT status, rows_total, rows_loaded, rows_rejected FROM offline_join.load('rmc', :'openquote');
SELECT r.line_no, r.raw FROM offline_join.rejects r JOIN offline_join.loads l USING (load_id) WHERE l.path = :'openquote';
SELECT string_agg(e.customer_id, ' ' ORDER BY e.line_no) AS loaded FROM offline_join.events e JOIN offline_join.loads l USING (load_id)
 WHERE l.path = :'openquote';
-- a 400 KB line of commas is one too_long reject (0.1.1: the whole load
-- failed with "Cannot allocate memory"); the row after it loads
SELECT current_setting('data_directory') || '/oj_regress_commas.csv' AS commas \gset
COPY (SELECT 'Time Stamp,Customer ID,Event Type,Category,Event Name,Num1,Num2'
      UNION ALL SELECT '2026-03-02 10:00:00,C1,7,c,P1,1,2' || repeat(',', 400000)
      UNION ALL SELECT '2026-03-02 10:00:00,COMMA-AFTER,7,c,P1,1,2')
  TO :'commas' (FORMAT text);
SELECT status, rows_total, rows_loaded, rows_rejected FROM offline_join.load('rmc', :'commas');
SELECT r.line_no, r.field, r.reason, r.message, length(r.raw) AS raw_kept
  FROM offline_join.rejects r JOIN offline_join.loads l USING (load_id) WHERE l.path = :'commas';
SELECT e.line_no, e.customer_id FROM offline_join.events e JOIN offline_join.loads l USING (load_id)
 WHERE l.path = :'commas';

-- empty versus absent: an optional value that is empty, quoted "" or only
-- blanks (spaces, tabs) is dropped (NULL column, no key in dims/attrs); a
-- non-breaking space is a character like any other, kept as it is
SELECT current_setting('data_directory') || '/oj_regress_empty.csv' AS emptyfile \gset
COPY (SELECT 'Time Stamp,Customer ID,Event Type,Category,Event Name,Num1,Num2,Var 1,Var 2,Var 3,Var 4'
      UNION ALL SELECT '2026-03-02 10:00:00,E1,7,,P1,1,2,,"",   ,' || E'\t'
      UNION ALL SELECT '2026-03-02 10:00:00,E2,7,"",P1,1,2,' || U&'\00A0' || ',x,"  ",' || U&'"\00A0"'
      UNION ALL SELECT '2026-03-02 10:00:00,   ,7,c,P1,1,2,,,,')
  TO :'emptyfile' (FORMAT csv, QUOTE E'\x01', DELIMITER E'\x02');
SELECT status, rows_total, rows_loaded, rows_rejected FROM offline_join.load('rmc', :'emptyfile');
SELECT e.line_no, e.customer_id, e.category IS NULL AS category_null, e.dims,
       e.dims ? 'var1' AS has_var1, e.dims->>'var1' = U&'\00A0' AS var1_is_nbsp
  FROM offline_join.events e JOIN offline_join.loads l USING (load_id) WHERE l.path = :'emptyfile' ORDER BY 1;
SELECT r.line_no, r.field, r.reason FROM offline_join.rejects r JOIN offline_join.loads l USING (load_id)
 WHERE l.path = :'emptyfile';

-- a field of several megabytes: one too_long reject, the rows after it load
SELECT current_setting('data_directory') || '/oj_regress_big.csv' AS big \gset
COPY (SELECT 'Time Stamp,Customer ID,Event Type,Category,Event Name,Num1,Num2,Var 1'
      UNION ALL SELECT '2026-03-02 14:05:11,CUST-1,7,c,SKU-1,1,1,' || repeat('x', 3 * 1024 * 1024)
      UNION ALL SELECT '2026-03-02 14:05:12,CUST-2,7,c,SKU-1,1,1,short')
  TO :'big' (FORMAT csv, QUOTE E'\x01', DELIMITER E'\x02');
SELECT status, rows_total, rows_loaded, rows_rejected FROM offline_join.load('rmc', :'big');
SELECT r.line_no, r.reason, r.message, length(r.raw) AS raw_kept
  FROM offline_join.rejects r JOIN offline_join.loads l USING (load_id)
 WHERE l.path = :'big';
SELECT e.line_no, e.dims FROM offline_join.events e JOIN offline_join.loads l USING (load_id)
 WHERE l.path = :'big';

-- privileges: reading server files needs superuser or pg_read_server_files
CREATE ROLE regress_oj_nobody;
CREATE ROLE regress_oj_loader IN ROLE pg_read_server_files;
GRANT USAGE ON SCHEMA offline_join TO regress_oj_nobody, regress_oj_loader;
GRANT SELECT ON offline_join.sources, offline_join.sessions, offline_join.transactions
   TO regress_oj_loader;
GRANT INSERT ON offline_join.events, offline_join.rejects TO regress_oj_loader;
GRANT SELECT, INSERT ON offline_join.loads TO regress_oj_loader;
SET ROLE regress_oj_nobody;
SELECT pg_temp.err($$SELECT offline_join.load('rmc', current_setting('oj.data') || '/rmc_sample.csv')$$);
SELECT pg_temp.err($$SELECT offline_join.validate_file('rmc', current_setting('oj.data') || '/rmc_sample.csv')$$);
SELECT pg_temp.err($$SELECT offline_join.load_dir('rmc', current_setting('oj.data') || '/*.csv')$$);
RESET ROLE;
SET ROLE regress_oj_loader;
SELECT status, rows_loaded FROM offline_join.load('rmc', :'data' || '/rmc_sample.csv', force => true);
RESET ROLE;
-- a member of pg_read_server_files still needs the table privileges COPY would need
REVOKE INSERT ON offline_join.events FROM regress_oj_loader;
SET ROLE regress_oj_loader;
SELECT pg_temp.err($$SELECT offline_join.load('rmc', current_setting('oj.data') || '/rmc_sample.csv', true)$$);
RESET ROLE;
DROP OWNED BY regress_oj_nobody, regress_oj_loader;
DROP ROLE regress_oj_nobody, regress_oj_loader;

-- every dims and attrs object written is the one its text reads back
\set jsonb_checks :abs_srcdir '/sql/include/jsonb_checks.sql'
\set ECHO none
\i :jsonb_checks
\set ECHO all
SELECT pg_temp.jsonb_objects_ok();
SELECT pg_temp.numbers_ok();
