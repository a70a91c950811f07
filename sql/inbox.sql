-- The COPY path (spec section 4): validating inbox tables.  A role with only
-- INSERT on the inbox loads with COPY / \copy; rows are validated and routed
-- exactly as load() does; one ledger row per statement; nothing stays.
SET client_min_messages = warning;
DROP EXTENSION IF EXISTS offline_join CASCADE;
CREATE EXTENSION offline_join;
DROP ROLE IF EXISTS regress_oj_copier;  -- left by an interrupted run
DROP ROLE IF EXISTS regress_oj_counter;
DROP ROLE IF EXISTS regress_oj_bystander;
DROP FUNCTION IF EXISTS public.oj_regress_after_row();
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
SELECT offline_join.create_source('adobe_tx', 'adobe');
INSERT INTO offline_join.products VALUES ('SKU-RUN-42', 'shoes', 89.95);
SELECT offline_join.create_source('rmc_checked', 'rmc',
       '{"require_known_product": true, "total_tolerance": 0.01, "reject_limit": 2}');
INSERT INTO offline_join.sessions VALUES
  ('web-1', 'VIS-1', 'CUST-1001', '2026-03-01 12:00+00', '{"channel": "email"}');

-- create_inbox: one text column per format column
SELECT offline_join.create_inbox('rmc');
SELECT offline_join.create_inbox('adobe_tx');
SELECT offline_join.create_inbox('rmc_checked', transaction_attrs => 0);
SELECT c.relname, count(*) AS columns
  FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
 WHERE c.relname LIKE 'inbox\_%' AND c.relkind = 'r' AND a.attnum > 0 GROUP BY 1 ORDER BY 1;
SELECT attname FROM pg_attribute WHERE attrelid = 'offline_join.inbox_rmc'::regclass AND attnum > 0
 ORDER BY attnum;
SELECT pg_temp.err($$SELECT offline_join.create_inbox('rmc')$$);
SELECT pg_temp.err($$SELECT offline_join.create_inbox('nope')$$);
SELECT pg_temp.err($$SELECT offline_join.create_inbox('adobe_tx', 3)$$);
SELECT pg_temp.err($$SELECT offline_join.create_inbox('rmc_checked', -1)$$);

-- a role with USAGE on the schema and INSERT on the inboxes only
CREATE ROLE regress_oj_copier;
GRANT USAGE ON SCHEMA offline_join TO regress_oj_copier;
GRANT INSERT ON offline_join.inbox_rmc, offline_join.inbox_adobe_tx, offline_join.inbox_rmc_checked
   TO regress_oj_copier;
SET ROLE regress_oj_copier;

-- good and bad rows of every content-level reason; line numbers are the
-- file's (header = line 1; a quoted line break counts)
COPY offline_join.inbox_rmc FROM stdin (FORMAT csv, HEADER);
Time Stamp,Customer ID,Event Type,Category,Event Name,Num1,Num2,Var 1,Var 2,Var 3,Var 4,Var 5,EventName Attr1,EventName Attr2,EventName Attr3,EventName Attr4,EventName Attr5,EventName Attr6,EventName Attr7,EventName Attr8,EventName Attr9,EventName Attr10,EventTransaction Attr1
2026-03-02 14:05:11,CUST-1001,7,shoes,SKU-RUN-42,1,89.95,Aarhus,store-12,,,,blue,43,,,,,,,,,receipt-1
2026-03-02 14:05:11,,7,shoes,SKU-RUN-42,1,89.95,,,,,,,,,,,,,,,,
2026-03-02T14:05:11,CUST-1001,7,shoes,SKU-RUN-42,1,89.95,,,,,,,,,,,,,,,,
2026-02-30 10:00:00,CUST-1001,7,shoes,SKU-RUN-42,1,89.95,,,,,,,,,,,,,,,,
2026-03-02 14:05:11,CUST-1002,7,bags,SKU-BAG-07,2,"119.80",Odense,"multi
line",,,,,,,,,,,,,,
2026-03-02 14:05:11,CUST-1001,seven,shoes,SKU-RUN-42,1,89.95,,,,,,,,,,,,,,,,
2026-03-02 14:05:11,CUST-1001,7,shoes,SKU-RUN-42,1,Infinity,,,,,,,,,,,,,,,,
2026-03-03 09:12:45,CUST-1003,7,socks,SKU-SOX-3P,3,29.85,"a, b","say ""hi""",,,,,,,,,,,,,,
\.
-- two statements in one transaction: two ledger rows, counts kept apart
BEGIN;
COPY offline_join.inbox_rmc (time_stamp, customer_id, event_type, category, event_name, num1, num2) FROM stdin (FORMAT csv);
2026-03-04 10:00:00,CUST-2001,7,,SKU-1,1,10
2026-03-04 10:00:00,CUST-2002,7,,SKU-1,x,10
\.
COPY offline_join.inbox_rmc (time_stamp, customer_id, event_type, category, event_name, num1, num2) FROM stdin (FORMAT csv);
2026-03-05 10:00:00,CUST-2003,7,,SKU-1,1,10
\.
COMMIT;
-- the product feed and its reasons: a source that checks products needs a
-- writer that may read them (sql/security.sql shows the refusal)
RESET ROLE;
GRANT SELECT ON offline_join.products TO regress_oj_copier;
SET ROLE regress_oj_copier;
COPY offline_join.inbox_rmc_checked FROM stdin (FORMAT csv);
2026-03-02 14:05:11,CUST-1001,7,shoes,SKU-RUN-42,2,179.90,,,,,,,,,,,,,,,
2026-03-02 14:05:11,CUST-1001,7,shoes,SKU-RUN-42,2,150,,,,,,,,,,,,,,,
2026-03-02 14:05:11,CUST-1001,7,shoes,SKU-NOPE,1,1,,,,,,,,,,,,,,,
\.
-- Adobe: tab-delimited text COPY naming the file's columns (comment lines
-- are dropped before COPY; see the README)
COPY offline_join.inbox_adobe_tx (date, transactionid, evar_1, tracking_code, event_1, orders) FROM stdin;
03/02/2026/14/05/11	lead_1	call-center	em_spring	1	1
03/04/2026	lead_2	call-center		1	
03/04/2026	lead_3	call;center		1	1
03/04/2026	lead_4			1	1
03/04/2026	lead_5	call-center		one	1
01/01/2099	lead_6	call-center		1	1
\.
RESET ROLE;

SELECT load_id, source, path, sha256, bytes, rows_total, rows_loaded, rows_rejected, rows_matched, status
  FROM offline_join.loads ORDER BY load_id;
SELECT l.source, r.line_no, r.field, r.reason, r.message, r.raw
  FROM offline_join.rejects r JOIN offline_join.loads l USING (load_id)
 ORDER BY r.load_id, r.line_no;
SELECT e.load_id, e.line_no, e.event_time, e.customer_id, e.transaction_id, e.num2, e.dims, e.attrs, e.match
  FROM offline_join.events e ORDER BY e.event_id;
SELECT count(*) AS rows_left_in_inboxes
  FROM (SELECT 1 FROM offline_join.inbox_rmc UNION ALL SELECT 1 FROM offline_join.inbox_adobe_tx
        UNION ALL SELECT 1 FROM offline_join.inbox_rmc_checked) s;

-- a COPY that fails on structure (wrong field count) aborts with COPY's
-- error and leaves no events, rejects or ledger rows
SELECT count(*) AS loads_before FROM offline_join.loads \gset
SELECT count(*) AS events_before FROM offline_join.events \gset
SET ROLE regress_oj_copier;
\set ON_ERROR_STOP 0
COPY offline_join.inbox_rmc (time_stamp, customer_id, event_type, category, event_name, num1, num2) FROM stdin (FORMAT csv);
2026-03-06 10:00:00,CUST-3001,7,,SKU-1,1,10
2026-03-06 10:00:00,CUST-3002,7,,SKU-1
\.
-- more rejects than the source's reject_limit abort the COPY: nothing kept
COPY offline_join.inbox_rmc_checked (time_stamp, customer_id, event_type, category, event_name, num1, num2) FROM stdin (FORMAT csv);
2026-03-06 10:00:00,CUST-3001,7,,SKU-NOPE,1,10
2026-03-06 10:00:00,CUST-3001,7,,SKU-NOPE,1,10
2026-03-06 10:00:00,CUST-3001,7,,SKU-NOPE,1,10
\.
\set ON_ERROR_STOP 1
RESET ROLE;
SELECT count(*) = :loads_before AS no_ledger_rows, (SELECT count(*) FROM offline_join.events) = :events_before AS no_events
  FROM offline_join.loads;

-- the same role cannot read server files, nor anything else
SET ROLE regress_oj_copier;
SELECT pg_temp.err($$SELECT offline_join.load('rmc', current_setting('oj.data') || '/rmc_sample.csv')$$);
SELECT pg_temp.err($$SELECT offline_join.validate_file('rmc', current_setting('oj.data') || '/rmc_sample.csv')$$);
SELECT pg_temp.err($$SELECT count(*) FROM offline_join.events$$);
SELECT pg_temp.err($$SELECT count(*) FROM offline_join.inbox_rmc$$);
SELECT pg_temp.err($$INSERT INTO offline_join.events (load_id, line_no, source, event_time, match) VALUES (1, 1, 'x', now(), 'unmatched')$$);
SELECT pg_temp.err($$SELECT offline_join.create_inbox('rmc')$$);
RESET ROLE;

-- a file sent with \copy, as a client would
\copy offline_join.inbox_rmc FROM 'test/data/rmc_sample.csv' (FORMAT csv, HEADER)
SELECT rows_total, rows_loaded, rows_rejected, path FROM offline_join.loads ORDER BY load_id DESC LIMIT 1;

DROP OWNED BY regress_oj_copier;
DROP ROLE regress_oj_copier;

-- a dropped inbox can be made again in the same transaction: its record
-- goes with it
BEGIN;
DROP TABLE offline_join.inbox_rmc_checked;
SELECT offline_join.create_inbox('rmc_checked') IS NOT NULL AS made_again;
COMMIT;
SELECT inbox, source FROM offline_join.inboxes ORDER BY source;

-- Line numbers of every line-end style: COPY into an inbox and load() of
-- the same file record every row on the same physical line (0.1.1 aborted
-- the Excel file with a duplicate key, and gave negative or zero numbers).
SELECT offline_join.create_source('lines', 'rmc');
SELECT offline_join.create_inbox('lines') IS NOT NULL AS inbox;
CREATE TEMP TABLE line_check (file text, path text, line_no bigint, kind text);
DO $$
DECLARE f text; l bigint;
BEGIN
  FOREACH f IN ARRAY ARRAY['lines_excel_crlf.csv', 'lines_cr_only.csv', 'lines_lf_lone_cr.csv'] LOOP
    EXECUTE format('COPY offline_join.inbox_lines (time_stamp, customer_id, event_type, category, event_name, num1, num2) FROM %L (FORMAT csv, HEADER)',
                   current_setting('oj.data') || '/' || f);
    SELECT max(load_id) INTO l FROM offline_join.loads;
    INSERT INTO line_check SELECT f, 'COPY', line_no, 'event' FROM offline_join.events WHERE load_id = l
                 UNION ALL SELECT f, 'COPY', line_no, reason FROM offline_join.rejects WHERE load_id = l;
    SELECT load_id INTO l FROM offline_join.load('lines', current_setting('oj.data') || '/' || f, force => true);
    INSERT INTO line_check SELECT f, 'load', line_no, 'event' FROM offline_join.events WHERE load_id = l
                 UNION ALL SELECT f, 'load', line_no, reason FROM offline_join.rejects WHERE load_id = l;
  END LOOP;
END $$;
SELECT file, string_agg(line_no || ':' || kind, ' ' ORDER BY line_no) FILTER (WHERE path = 'COPY') AS copy_lines,
       string_agg(line_no || ':' || kind, ' ' ORDER BY line_no) FILTER (WHERE path = 'COPY')
         = string_agg(line_no || ':' || kind, ' ' ORDER BY line_no) FILTER (WHERE path = 'load') AS same_as_load
  FROM line_check GROUP BY file ORDER BY file;
-- COPY's text format (the Adobe recipe): an escaped \n is no line, a
-- backslash before a real line end continues the record on the next line
SELECT offline_join.create_source('lines_adobe', 'adobe');
SELECT offline_join.create_inbox('lines_adobe') IS NOT NULL AS inbox;
SELECT format('COPY offline_join.inbox_lines_adobe (date, transactionid, evar_1, event_1) FROM %L',
              current_setting('oj.data') || '/lines_adobe_text.tsv') AS copy_adobe \gset
:copy_adobe;
SELECT line_no, transaction_id, dims FROM offline_join.events
 WHERE load_id = (SELECT max(load_id) FROM offline_join.loads) ORDER BY line_no;
SELECT line_no, reason FROM offline_join.rejects WHERE load_id = (SELECT max(load_id) FROM offline_join.loads);

-- Found by an adversarial run (0.1.4): where the inbox validated less than
-- load() reading the same file.
SELECT offline_join.create_source('quirks', 'rmc');
SELECT offline_join.create_inbox('quirks', transaction_attrs => 0) IS NOT NULL AS inbox;
CREATE FUNCTION pg_temp.last_load() RETURNS TABLE (line_no bigint, customer_id text, category text, reason text, message text, raw text)
LANGUAGE sql AS $$
  SELECT line_no, customer_id, category, NULL, NULL, NULL FROM offline_join.events
   WHERE load_id = (SELECT max(load_id) FROM offline_join.loads)
  UNION ALL
  SELECT line_no, NULL, NULL, reason, message, left(raw, 60) FROM offline_join.rejects
   WHERE load_id = (SELECT max(load_id) FROM offline_join.loads)
  ORDER BY 1
$$;
-- quoting that RFC 4180 forbids: COPY takes it and drops the quotes,
-- load() rejects the line, and so does the inbox now
COPY offline_join.inbox_quirks (time_stamp, customer_id, event_type, category, event_name, num1, num2) FROM stdin (FORMAT csv, HEADER);
Time Stamp,Customer ID,Event Type,Category,Event Name,Num1,Num2
2026-03-02 10:00:00,Q1,7,37.8"N 121"W,P,1,2
2026-03-02 10:00:00,Q2,7,"abc"def,P,1,2
2026-03-02 10:00:00,Q3,7,"a ""quoted"", word",P,1,2
2026-03-02 10:00:00,Q4,7,,P,1,2
\.
SELECT * FROM pg_temp.last_load();
-- a record over 1 MiB is too_long, as load() reads it (the inbox never
-- measured its rows); its first 1024 bytes are kept as raw
SELECT current_setting('data_directory') || '/oj_regress_inbox_long.csv' AS longfile \gset
COPY (SELECT '2026-03-02 10:00:00,L1,7,' || repeat('z', 1100000) || ',P,1,2'
      UNION ALL SELECT '2026-03-02 10:00:00,L2,7,short,P,1,2') TO :'longfile' (FORMAT text);
COPY offline_join.inbox_quirks (time_stamp, customer_id, event_type, category, event_name, num1, num2) FROM :'longfile' (FORMAT csv);
SELECT line_no, customer_id, reason, message, length(raw) FROM pg_temp.last_load();
-- an Adobe row over 4096 bytes, the spec's limit (4097 here), and one of 4096
SELECT current_setting('data_directory') || '/oj_regress_inbox_adobe.tsv' AS adobefile \gset
COPY (SELECT E'03/02/2026\ttx-long\t' || repeat('z', 4076) || E'\t1'
      UNION ALL SELECT E'03/02/2026\ttx-limit\t' || repeat('z', 4074) || E'\t1') TO :'adobefile' (FORMAT csv, QUOTE E'\x01');
COPY offline_join.inbox_adobe_tx (date, transactionid, evar_1, event_1) FROM :'adobefile';
SELECT line_no, reason, message FROM offline_join.rejects WHERE load_id = (SELECT max(load_id) FROM offline_join.loads);
SELECT transaction_id FROM offline_join.events WHERE load_id = (SELECT max(load_id) FROM offline_join.loads);
-- Adobe columns come from COPY's column list, not from what the first row
-- fills: CSV reads an empty unquoted field as NULL, and a first row with an
-- empty Date made the whole COPY fail on the header
COPY offline_join.inbox_adobe_tx (date, transactionid, evar_1, event_1, orders) FROM stdin (FORMAT csv, DELIMITER E'\t');
03/02/2026	txA	c	1	
03/02/2026	txB	c	1	2
	txC	c		2
\.
SELECT line_no, transaction_id, attrs FROM offline_join.events WHERE load_id = (SELECT max(load_id) FROM offline_join.loads) ORDER BY line_no;
SELECT line_no, field, reason FROM offline_join.rejects WHERE load_id = (SELECT max(load_id) FROM offline_join.loads);
-- a headerless file opening with a byte order mark: load() skips it, and so
-- does the inbox now
SELECT offline_join.create_source('quirks_nh', 'rmc', '{"header": false}');
SELECT offline_join.create_inbox('quirks_nh', transaction_attrs => 0) IS NOT NULL AS inbox;
SELECT current_setting('data_directory') || '/oj_regress_bom.csv' AS bomfile \gset
COPY (SELECT convert_from('\xefbbbf'::bytea, 'UTF8') || '2026-03-02 10:00:00,B1,7,c,P,1,2'
      UNION ALL SELECT '2026-03-02 10:00:00,B2,7,c,P,1,2') TO :'bomfile' (FORMAT text);
COPY offline_join.inbox_quirks_nh (time_stamp, customer_id, event_type, category, event_name, num1, num2) FROM :'bomfile' (FORMAT csv);
SELECT * FROM pg_temp.last_load();
SELECT count(*) AS rejects_of_load FROM offline_join.validate_file('quirks_nh', :'bomfile');
-- COPY ... WHERE: the rows it leaves out would be neither counted nor
-- numbered, so it is refused
\set ON_ERROR_STOP 0
COPY offline_join.inbox_quirks (time_stamp, customer_id, event_type, category, event_name, num1, num2) FROM stdin (FORMAT csv) WHERE customer_id <> 'SKIP';
2026-03-02 10:00:00,W1,7,c,P,1,2
2026-03-02 10:00:00,SKIP,7,c,P,1,2
\.
COPY offline_join.inbox_quirks (time_stamp, customer_id, event_type, category, event_name, num1, num2) FROM stdin (FORMAT csv) WHERE customer_id = 'nobody';
2026-03-02 10:00:00,W1,7,c,P,1,2
\.
-- rmc reads its columns by position: an inbox whose columns are no longer
-- the format's, in order, is refused (a dropped column shifted every later
-- value into the wrong field)
ALTER TABLE offline_join.inbox_quirks DROP COLUMN var_5;
COPY offline_join.inbox_quirks (time_stamp, customer_id, event_type, category, event_name, num1, num2, eventname_attr1) FROM stdin (FORMAT csv);
2026-03-02 10:00:00,D1,7,c,P,1,2,blue
\.
ALTER TABLE offline_join.inbox_quirks ADD COLUMN var_5 text;
COPY offline_join.inbox_quirks (time_stamp, customer_id, event_type, category, event_name, num1, num2) FROM stdin (FORMAT csv);
2026-03-02 10:00:00,D2,7,c,P,1,2
\.
\set ON_ERROR_STOP 1
SELECT count(*) AS loads_after_refusals FROM offline_join.loads WHERE source = 'quirks';
-- Found by a second adversarial run.  Rows with no text of their own
-- (INSERT, binary COPY) are measured from their fields: the length rules
-- hold for them too
INSERT INTO offline_join.inbox_quirks_nh (time_stamp, customer_id, event_type, category, event_name, num1, num2)
VALUES ('2026-03-02 10:00:00', 'BIG', '7', repeat('x', 1100000), 'P', '1', '2'),
       ('2026-03-02 10:00:00', 'SMALL', '7', 'x', 'P', '1', '2');
SELECT line_no, customer_id, reason, message FROM pg_temp.last_load();
INSERT INTO offline_join.inbox_adobe_tx (date, transactionid, evar_1, event_1)
VALUES ('03/02/2026', 'tx-big', repeat('z', 5000), '1');
SELECT line_no, reason, message FROM offline_join.rejects WHERE load_id = (SELECT max(load_id) FROM offline_join.loads);
-- a byte order mark inside a quoted first field is the value's, as load()
-- reads it (only one opening the file is skipped)
SELECT current_setting('data_directory') || '/oj_regress_bom_quoted.csv' AS bomq \gset
COPY (SELECT '"' || convert_from('\xefbbbf'::bytea, 'UTF8') || '2026-03-02 10:00:00",BQ1,7,c,P,1,2') TO :'bomq' (FORMAT text);
COPY offline_join.inbox_quirks_nh (time_stamp, customer_id, event_type, category, event_name, num1, num2) FROM :'bomq' (FORMAT csv);
SELECT line_no, reason FROM pg_temp.last_load();
SELECT line_no, reason FROM offline_join.validate_file('quirks_nh', :'bomq');
-- COPY's NULL option: a value equal to it would reach the inbox as no value
\set ON_ERROR_STOP 0
COPY offline_join.inbox_quirks_nh (time_stamp, customer_id, event_type, category, event_name, num1, num2) FROM stdin (FORMAT csv, NULL 'NA');
2026-03-02 10:00:00,NA1,7,NA,P,1,2
\.
\set ON_ERROR_STOP 1

-- 0.2.1 (issue #28): COPY and INSERT report the rows they loaded into
-- offline_join.events, rows_loaded of the ledger row (a reject is not
-- counted); the inbox keeps none of them (access method
-- offline_join_inbox), and last_load() gives the client the ledger row of
-- its last statement into an inbox.  A role with only INSERT on the inbox.
SELECT offline_join.create_source('counted', 'rmc');
SELECT offline_join.create_inbox('counted') IS NOT NULL AS inbox;
SELECT a.amname FROM pg_class c JOIN pg_am a ON a.oid = c.relam
 WHERE c.oid = 'offline_join.inbox_counted'::regclass;
CREATE ROLE regress_oj_counter;
CREATE ROLE regress_oj_bystander;
GRANT USAGE ON SCHEMA offline_join TO regress_oj_counter, regress_oj_bystander;
GRANT INSERT ON offline_join.inbox_counted TO regress_oj_counter;
SET ROLE regress_oj_counter;
-- this session's earlier loads were another role's: not shown
SELECT offline_join.last_load() IS NULL AS not_my_load;
COPY offline_join.inbox_counted (time_stamp, customer_id, event_type, category, event_name, num1, num2) FROM stdin (FORMAT csv);
2026-03-02 14:05:11,CUST-1001,7,shoes,SKU-RUN-42,1,89.95
2026-03-02 14:05:11,CUST-1002,seven,shoes,SKU-RUN-42,1,89.95
2026-03-02 14:06:11,CUST-1003,7,shoes,SKU-RUN-42,1,89.95
2026-02-30 14:05:11,CUST-1004,7,shoes,SKU-RUN-42,1,89.95
2026-03-02 14:07:11,,7,shoes,SKU-RUN-42,1,89.95
\.
SELECT :ROW_COUNT AS copied, path, rows_total, rows_loaded, rows_rejected, rows_matched, loaded_by, status
  FROM offline_join.last_load();
INSERT INTO offline_join.inbox_counted (time_stamp, customer_id, event_type, category, event_name, num1, num2)
VALUES ('2026-03-02 15:00:00', 'CUST-2001', '7', 'bags', 'SKU-BAG-07', '2', '119.80'),
       ('not a time', 'CUST-2002', '7', 'bags', 'SKU-BAG-07', '2', '119.80'),
       ('2026-03-02 15:01:00', 'CUST-2003', '7', 'bags', 'SKU-BAG-07', '2', '119.80');
SELECT :ROW_COUNT AS inserted, path, rows_total, rows_loaded, rows_rejected FROM offline_join.last_load();
INSERT INTO offline_join.inbox_counted (time_stamp, customer_id, event_type, category, event_name, num1, num2)
VALUES ('not a time', 'CUST-2004', '7', 'bags', 'SKU-BAG-07', '2', '119.80');
SELECT :ROW_COUNT AS inserted_none, rows_total, rows_loaded FROM offline_join.last_load();
-- in a function, ROW_COUNT is the same count
DO $$
DECLARE n bigint;
BEGIN
  INSERT INTO offline_join.inbox_counted (time_stamp, customer_id, event_type, category, event_name, num1, num2)
  VALUES ('2026-03-02 16:00:00', 'CUST-3001', '7', 'c', 'P', '1', '2'),
         ('2026-03-02 16:00:00', 'CUST-3002', '7', 'c', 'P', '1', '2');
  GET DIAGNOSTICS n = ROW_COUNT;
  RAISE WARNING 'ROW_COUNT %, rows_loaded %', n, (offline_join.last_load()).rows_loaded;
END $$;
RESET ROLE;
SELECT count(*) AS kept_in_inbox FROM offline_join.inbox_counted;
-- another role does not see it; a role that may read the matches sees the
-- matched count, which the inbox's NOTICE told only such a role
SET ROLE regress_oj_bystander;
SELECT offline_join.last_load() IS NULL AS not_my_load;
RESET ROLE;
SELECT (offline_join.last_load()).rows_matched IS NOT NULL AS superuser_sees_matched;
-- RETURNING (for a role that may also SELECT the inbox) shows the loaded rows
INSERT INTO offline_join.inbox_counted (time_stamp, customer_id, event_type, category, event_name, num1, num2)
VALUES ('2026-03-02 15:00:00', 'CUST-2101', '7', 'bags', 'SKU-BAG-07', '2', '119.80'),
       ('not a time', 'CUST-2102', '7', 'bags', 'SKU-BAG-07', '2', '119.80')
RETURNING customer_id;
-- a file: the count is rows_loaded
\set sample :data '/rmc_sample.csv'
COPY offline_join.inbox_counted FROM :'sample' (FORMAT csv, HEADER);
SELECT :ROW_COUNT AS copied, :ROW_COUNT = rows_loaded AS count_is_rows_loaded, rows_total
  FROM offline_join.last_load();
-- the table commands on an inbox: it stays empty, of size 0
TRUNCATE offline_join.inbox_counted;
VACUUM offline_join.inbox_counted;
VACUUM FULL offline_join.inbox_counted;
ANALYZE offline_join.inbox_counted;
SELECT pg_relation_size('offline_join.inbox_counted') AS size, c.relpages, c.reltuples,
       c.relfrozenxid = '0' AS no_horizon_after_vacuum_full
  FROM pg_class c WHERE c.oid = 'offline_join.inbox_counted'::regclass;
SELECT * FROM offline_join.inbox_counted WHERE ctid = '(0,1)';
UPDATE offline_join.inbox_counted SET num1 = '2';
DELETE FROM offline_join.inbox_counted;
-- refused: an index, an AFTER ROW trigger (the row cannot be read back), a
-- row that did not pass inbox_route (a table of the method made by hand,
-- a rewrite of a table holding rows into it)
SELECT pg_temp.err($$CREATE INDEX ON offline_join.inbox_counted (customer_id)$$);
CREATE FUNCTION public.oj_regress_after_row() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN RETURN NULL; END$$;
CREATE TRIGGER z_after AFTER INSERT ON offline_join.inbox_counted
    FOR EACH ROW EXECUTE FUNCTION public.oj_regress_after_row();
SELECT pg_temp.err($$INSERT INTO offline_join.inbox_counted (time_stamp, customer_id, event_type, category, event_name, num1, num2)
                     VALUES ('2026-03-02 16:00:00', 'CUST-4001', '7', 'c', 'P', '1', '2')$$);
DROP TRIGGER z_after ON offline_join.inbox_counted;
DROP FUNCTION public.oj_regress_after_row();
CREATE TABLE public.oj_regress_by_hand (a text) USING offline_join_inbox;
SELECT pg_temp.err($$INSERT INTO public.oj_regress_by_hand VALUES ('lost?')$$);
SELECT pg_temp.err($$COPY public.oj_regress_by_hand FROM PROGRAM 'echo lost?'$$);
DROP TABLE public.oj_regress_by_hand;
CREATE TABLE public.oj_regress_rows (a text);
INSERT INTO public.oj_regress_rows VALUES ('kept');
SELECT regexp_replace(pg_temp.err($$ALTER TABLE public.oj_regress_rows SET ACCESS METHOD offline_join_inbox$$),
                      'pg_temp_[0-9]+', 'pg_temp_N') AS rewrite;
SELECT a FROM public.oj_regress_rows;
DROP TABLE public.oj_regress_rows;
DROP OWNED BY regress_oj_counter;
DROP ROLE regress_oj_counter;
DROP OWNED BY regress_oj_bystander;
DROP ROLE regress_oj_bystander;
-- another session has no last load
\c
SELECT offline_join.last_load() IS NULL AS other_session;
