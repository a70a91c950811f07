-- Format csv (spec section 10): layouts described by a source's options.
-- Three real exports: a Danish CRM (semicolons, Windows-1252, decimal
-- commas, day-first times), Google Ads' offline-conversion template
-- (matched by click ID) and Meta's offline events CSV.
SET client_min_messages = warning;
DROP EXTENSION IF EXISTS offline_join CASCADE;
CREATE EXTENSION offline_join;
\getenv abs_srcdir PG_ABS_SRCDIR
\set data :abs_srcdir '/test/data'
SELECT set_config('oj.data', :'data', false) IS NOT NULL AS ok;
-- err(sql): 'ok', or the SQLSTATE, message, detail and hint, the test directory hidden
CREATE FUNCTION pg_temp.err(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE d text; h text;
BEGIN EXECUTE q; RETURN 'ok';
EXCEPTION WHEN others THEN
  GET STACKED DIAGNOSTICS d = PG_EXCEPTION_DETAIL, h = PG_EXCEPTION_HINT;
  RETURN replace(SQLSTATE || ': ' || SQLERRM
                 || CASE WHEN d <> '' THEN E'\nDETAIL: ' || d ELSE '' END
                 || CASE WHEN h <> '' THEN E'\nHINT: ' || h ELSE '' END,
                 current_setting('oj.data'), '<data>');
END $$;
-- rejects of the last load of a source
CREATE FUNCTION pg_temp.rejects(s text) RETURNS TABLE (line_no bigint, field text, reason text, message text)
LANGUAGE sql AS $$
  SELECT r.line_no, r.field, r.reason, r.message FROM offline_join.rejects r
   WHERE r.load_id = (SELECT max(load_id) FROM offline_join.loads WHERE source = s)
   ORDER BY r.line_no $$;

-- 1. The options, each checked by name before anything is stored
SELECT pg_temp.err($$SELECT offline_join.create_source('e', 'csv')$$);
SELECT pg_temp.err($$SELECT offline_join.create_source('e', 'csv', '{"columns": {"customer_id": "C"}}')$$);
SELECT pg_temp.err($$SELECT offline_join.create_source('e', 'csv', '{"columns": {"event_time": "D"}}')$$);
SELECT pg_temp.err($$SELECT offline_join.create_source('e', 'csv', '{"columns": {"evnet_time": "D", "customer_id": "C"}}')$$);
SELECT pg_temp.err($$SELECT offline_join.create_source('e', 'csv', '{"delimitr": ";", "columns": {"event_time": "D", "customer_id": "C"}}')$$);
SELECT pg_temp.err($$SELECT offline_join.create_source('e', 'csv', '{"delimiter": ";;", "columns": {"event_time": "D", "customer_id": "C"}}')$$);
SELECT pg_temp.err($$SELECT offline_join.create_source('e', 'csv', '{"delimiter": "\"", "columns": {"event_time": "D", "customer_id": "C"}}')$$);
SELECT pg_temp.err($$SELECT offline_join.create_source('e', 'csv', '{"decimal": ",", "columns": {"event_time": "D", "customer_id": "C"}}')$$);
SELECT pg_temp.err($$SELECT offline_join.create_source('e', 'csv', '{"decimal": "·", "delimiter": ";", "columns": {"event_time": "D", "customer_id": "C"}}')$$);
SELECT pg_temp.err($$SELECT offline_join.create_source('e', 'csv', '{"time_format": "DD Mon YYYY", "columns": {"event_time": "D", "customer_id": "C"}}')$$);
SELECT pg_temp.err($$SELECT offline_join.create_source('e', 'csv', '{"time_format": "HH12:MI DD/MM/YYYY", "columns": {"event_time": "D", "customer_id": "C"}}')$$);
SELECT pg_temp.err($$SELECT offline_join.create_source('e', 'csv', '{"time_format": "HH24:MI", "columns": {"event_time": "D", "customer_id": "C"}}')$$);
SELECT pg_temp.err($$SELECT offline_join.create_source('e', 'csv', '{"encoding": "WIN9999", "columns": {"event_time": "D", "customer_id": "C"}}')$$);
SELECT pg_temp.err($$SELECT offline_join.create_source('e', 'csv', '{"header": false, "columns": {"event_time": "D", "customer_id": 2}}')$$);
SELECT pg_temp.err($$SELECT offline_join.create_source('e', 'csv', '{"columns": {"event_time": 1, "customer_id": "C"}}')$$);
SELECT pg_temp.err($$SELECT offline_join.create_source('e', 'csv', '{"columns": {"event_time": "D", "customer_id": "D"}}')$$);
SELECT pg_temp.err($$SELECT offline_join.create_source('e', 'csv', '{"columns": {"event_time": "D", "customer_id": "C", "dims": "X"}}')$$);
SELECT pg_temp.err($$SELECT offline_join.create_source('e', 'csv', '{"required": ["product"], "columns": {"event_time": "D", "customer_id": "C"}}')$$);
SELECT pg_temp.err($$SELECT offline_join.create_source('e', 'csv', '{"unmapped": "keep", "columns": {"event_time": "D", "customer_id": "C"}}')$$);
SELECT pg_temp.err($$SELECT offline_join.create_source('e', 'csv', '{"skip_lines": -1, "columns": {"event_time": "D", "customer_id": "C"}}')$$);
-- the CHECK on the table holds the same rules
SELECT pg_temp.err($$INSERT INTO offline_join.sources VALUES ('e', 'csv', '{"columns": {"event_time": "D"}}')$$);
SELECT count(*) AS sources FROM offline_join.sources;
-- what a set of options maps, with each column's rule
SELECT * FROM offline_join.format_columns('csv', $${"header": false, "delimiter": ";", "decimal": ",",
  "time_format": "DD.MM.YYYY", "required": ["dims.store"],
  "columns": {"event_time": 2, "customer_id": 1, "transaction_id": 6, "num1": 3, "dims": {"store": 5}}}$$);
SELECT pg_temp.err($$SELECT * FROM offline_join.format_columns('csv')$$);
SELECT pg_temp.err($$SELECT * FROM offline_join.format_columns('xml')$$);

-- 2. A Danish CRM export: Windows-1252, semicolons, decimal commas,
-- day-first times in Copenhagen; unmapped columns kept in attrs
SELECT offline_join.create_source('dk_crm', 'csv', $${
  "delimiter": ";", "encoding": "WIN1252", "decimal": ",",
  "time_format": "DD-MM-YYYY HH24:MI", "timezone": "Europe/Copenhagen",
  "unmapped": "attrs", "required": ["product"],
  "columns": {"customer_id": "Kunde-ID", "event_time": "Dato", "event_type": "Hændelse",
              "category": "Kategori", "product": "Produkt", "num1": "Antal", "num2": "Beløb",
              "dims": {"campaign": "Kampagne"}}}$$);
SELECT status, rows_total, rows_loaded, rows_rejected
  FROM offline_join.load('dk_crm', :'data' || '/csv_danish_crm.csv');
SELECT * FROM pg_temp.rejects('dk_crm');
SELECT line_no, raw FROM offline_join.rejects WHERE line_no IN (8, 9, 11) ORDER BY line_no;
SELECT line_no, event_time AT TIME ZONE 'UTC' AS utc, customer_id, event_type, category, product,
       num1, num2, dims, attrs
  FROM offline_join.events WHERE source = 'dk_crm' ORDER BY line_no;
-- validate_file() finds the same rejects, on the same lines
SELECT line_no, field, reason FROM offline_join.validate_file('dk_crm', :'data' || '/csv_danish_crm.csv')
EXCEPT SELECT line_no, field, reason FROM pg_temp.rejects('dk_crm');
SELECT count(*) FROM offline_join.validate_file('dk_crm', :'data' || '/csv_danish_crm.csv');

-- 3. Google Ads' offline-conversion template: a Parameters line before
-- the header, times with or without an offset, matched by click ID
SELECT offline_join.create_source('gads', 'csv', $${
  "skip_lines": 1, "timezone": "Europe/Copenhagen",
  "columns": {"transaction_id": "Google Click ID", "event_time": "Conversion Time",
              "product": "Conversion Name", "num2": "Conversion Value",
              "attrs": {"currency": "Conversion Currency"}}}$$);
SELECT offline_join.record_transaction('Cj0KCQiA-click-1', 'VIS-1', 'web-1', '{"campaign": "spring"}',
                                       '2026-03-01 10:00+01');
SELECT offline_join.record_transaction('Cj0KCQiA-click-2', 'VIS-2', 'web-2', '{"campaign": "brand"}',
                                       '2026-03-01 12:00+01');
SELECT status, rows_total, rows_loaded, rows_rejected, rows_matched
  FROM offline_join.load('gads', :'data' || '/csv_google_ads.csv');
SELECT * FROM pg_temp.rejects('gads');
SELECT line_no, event_time AT TIME ZONE 'UTC' AS utc, transaction_id, product, num2, attrs, match,
       visitor_id, snapshot
  FROM offline_join.events WHERE source = 'gads' ORDER BY line_no;

-- 4. Meta's offline events CSV: hashed contact columns left unmapped,
-- both join keys mapped (a row needs one of them), ISO 8601 times
SELECT offline_join.create_source('meta', 'csv', $${
  "columns": {"customer_id": "external_id", "transaction_id": "order_id",
              "event_time": "event_time", "category": "event_name", "num2": "value",
              "attrs": {"currency": "currency"}}}$$);
INSERT INTO offline_join.sessions VALUES ('web-m1', 'VIS-M1', 'CUST-1001', '2026-03-01 09:00+00', '{"channel": "social"}');
SELECT status, rows_total, rows_loaded, rows_rejected, rows_matched
  FROM offline_join.load('meta', :'data' || '/csv_meta_offline.csv');
SELECT * FROM pg_temp.rejects('meta');
SELECT line_no, event_time AT TIME ZONE 'UTC' AS utc, customer_id, transaction_id, category, num2,
       attrs, match, visitor_id
  FROM offline_join.events WHERE source = 'meta' ORDER BY line_no;

-- 5. A mapped column missing from a file's header fails that file, naming
-- the column and listing the header's columns; nothing of it is kept
SELECT offline_join.create_source('meta_typo', 'csv', $${
  "columns": {"customer_id": "external_ID", "event_time": "event time"}}$$);
SELECT pg_temp.err(format($$SELECT offline_join.load('meta_typo', %L)$$, :'data' || '/csv_meta_offline.csv'));
SELECT status, rows_total, rows_loaded, replace(message, :'data', '<data>') AS message
  FROM offline_join.loads WHERE source = 'meta_typo';
-- header names differing only in case are found
SELECT offline_join.create_source('meta_case', 'csv', $${
  "columns": {"customer_id": "EXTERNAL_ID", "event_time": "Event_Time"}}$$);
SELECT count(*) AS rejects FROM offline_join.validate_file('meta_case', :'data' || '/csv_meta_offline.csv');

-- 6. Without a header: columns by position; extra fields are unmapped
SELECT offline_join.create_source('pos', 'csv', $${
  "header": false, "delimiter": "|", "time_format": "YYYYMMDD\"T\"HH24MISS",
  "unmapped": "attrs", "columns": {"event_time": 2, "customer_id": 1, "num1": 4}}$$);
DO $$ BEGIN
  EXECUTE format('COPY (VALUES (%L), (%L), (%L), (%L)) TO %L',
                 'C-1|20260301T101500|x|2|note', 'C-2|20260301T25|x|1', 'C-3|20260301T101500',
                 'C-4|20260301T101500|x|3,5', current_setting('data_directory') || '/oj_regress_pos.txt');
END $$;
SELECT status, rows_total, rows_loaded, rows_rejected
  FROM offline_join.load('pos', current_setting('data_directory') || '/oj_regress_pos.txt');
SELECT * FROM pg_temp.rejects('pos');
SELECT line_no, event_time AT TIME ZONE 'UTC' AS utc, customer_id, num1, attrs
  FROM offline_join.events WHERE source = 'pos' ORDER BY line_no;

-- 7. Inboxes: the file's columns, so that COPY ... HEADER takes it as it is
SELECT pg_temp.err($$SELECT offline_join.create_inbox('meta', columns => ARRAY['external_id', 'event_time'])$$);
SELECT pg_temp.err($$SELECT offline_join.create_inbox('pos', columns => ARRAY['a'])$$);
SELECT offline_join.create_inbox('meta', columns => ARRAY['email', 'phone', 'fn', 'ln', 'event_name',
       'event_time', 'value', 'currency', 'order_id', 'external_id']);
SELECT attname FROM pg_attribute WHERE attrelid = 'offline_join.inbox_meta'::regclass AND attnum > 0 ORDER BY attnum;
DELETE FROM offline_join.events WHERE source = 'meta';
\set meta_file :data '/csv_meta_offline.csv'
COPY offline_join.inbox_meta FROM :'meta_file' (FORMAT csv, HEADER);
SELECT rows_total, rows_loaded, rows_rejected FROM offline_join.loads
 WHERE load_id = (SELECT max(load_id) FROM offline_join.loads);
SELECT * FROM pg_temp.rejects('meta');
SELECT line_no, customer_id, transaction_id, category, num2, attrs, match
  FROM offline_join.events WHERE source = 'meta' ORDER BY line_no;
-- a source read by header names needs the file's columns: its options do
-- not give their order, and COPY ... HEADER reads them by position
SELECT pg_temp.err($$SELECT offline_join.create_inbox('gads')$$);
SELECT offline_join.create_inbox('gads', columns => ARRAY['Google Click ID', 'Conversion Name',
       'Conversion Time', 'Conversion Value', 'Conversion Currency']);
SELECT attname FROM pg_attribute WHERE attrelid = 'offline_join.inbox_gads'::regclass AND attnum > 0 ORDER BY attnum;
INSERT INTO offline_join.inbox_gads (google_click_id, conversion_time, conversion_name, conversion_value, conversion_currency)
VALUES ('Cj0KCQiA-click-9', '2026-03-04 10:00:00+01:00', 'Offline purchase', '5.00', 'EUR'),
       ('Cj0KCQiA-click-9', '04/03/2026', 'Offline purchase', '5.00', 'EUR');
SELECT * FROM pg_temp.rejects('gads');
-- by position: the inbox's columns are column_1 to the last mapped one
SELECT offline_join.create_inbox('pos');
SELECT attname FROM pg_attribute WHERE attrelid = 'offline_join.inbox_pos'::regclass AND attnum > 0 ORDER BY attnum;

-- 8. The foreign data wrapper reads a csv source as load() does
SELECT offline_join.create_foreign_table('public.dk_ft', 'dk_crm', :'data' || '/csv_danish_crm.csv');
SELECT pg_temp.err($$SELECT count(*) FROM public.dk_ft$$);
ALTER FOREIGN TABLE public.dk_ft OPTIONS (ADD on_error 'skip');
SELECT event_time AT TIME ZONE 'UTC' AS utc, customer_id, num2, dims FROM public.dk_ft ORDER BY 1;

-- 9. reject_limit and the product feed hold for csv sources too
SELECT offline_join.create_source('dk_strict', 'csv', $${
  "delimiter": ";", "encoding": "WIN1252", "decimal": ",", "reject_limit": 2,
  "time_format": "DD-MM-YYYY HH24:MI", "timezone": "Europe/Copenhagen",
  "columns": {"customer_id": "Kunde-ID", "event_time": "Dato", "product": "Produkt", "num1": "Antal", "num2": "Beløb"}}$$);
SELECT status, rows_total, rows_loaded, rows_rejected, replace(message, :'data', '<data>') AS message
  FROM offline_join.load('dk_strict', :'data' || '/csv_danish_crm.csv');
SELECT count(*) FROM offline_join.events WHERE source = 'dk_strict';
INSERT INTO offline_join.products (product_code, unit_price) VALUES ('SKU-RUN-42', 89.95);
SELECT offline_join.create_source('dk_priced', 'csv', $${
  "delimiter": ";", "encoding": "WIN1252", "decimal": ",", "total_tolerance": 0.01,
  "require_known_product": true,
  "time_format": "DD-MM-YYYY HH24:MI", "timezone": "Europe/Copenhagen",
  "columns": {"customer_id": "Kunde-ID", "event_time": "Dato", "product": "Produkt", "num1": "Antal", "num2": "Beløb"}}$$);
SELECT line_no, field, reason FROM offline_join.validate_file('dk_priced', :'data' || '/csv_danish_crm.csv')
 ORDER BY line_no;

-- 10. Defects an adversarial review found, each fixed
-- two mapped names that differ only in case find one header column: the file fails
SELECT offline_join.create_source('case_twice', 'csv', $${"required": ["num1"],
  "columns": {"event_time": "Date", "customer_id": "Cust", "num1": "Amount", "num2": "amount"}}$$);
DO $$ BEGIN
  EXECUTE format('COPY (SELECT %L UNION ALL SELECT %L) TO %L', 'Date,Cust,Amount,Currency',
                 '2026-03-01 10:00,C1,12.50,EUR', current_setting('data_directory') || '/oj_regress_case.csv');
END $$;
SELECT pg_temp.err($$SELECT offline_join.load('case_twice', current_setting('data_directory') || '/oj_regress_case.csv')$$);
-- an unmapped column that would fill a mapped attrs key: the file fails
SELECT offline_join.create_source('key_twice', 'csv', $${"unmapped": "attrs",
  "columns": {"event_time": "Date", "customer_id": "Cust", "attrs": {"currency": "Amount"}}}$$);
DO $$ BEGIN
  EXECUTE format('COPY (SELECT %L UNION ALL SELECT %L) TO %L', 'Date,Cust,Amount,Currency',
                 '2026-03-01 10:00,C1,12.50,EUR', current_setting('data_directory') || '/oj_regress_key.csv');
END $$;
SELECT pg_temp.err($$SELECT offline_join.load('key_twice', current_setting('data_directory') || '/oj_regress_key.csv')$$);
-- without a header, unmapped columns are column_N in attrs: a mapped key of that name is refused
SELECT pg_temp.err($$SELECT offline_join.create_source('e', 'csv', '{"header": false, "unmapped": "attrs",
  "columns": {"event_time": 1, "customer_id": 2, "attrs": {"column_3": 4}}}')$$);
-- a negative offset keeps its sign with 0 hours
SELECT offline_join.create_source('west', 'csv', $${"time_format": "YYYY-MM-DD HH12:MI:SS AM TZH:TZM",
  "columns": {"event_time": "T", "customer_id": "C"}}$$);
DO $$ BEGIN
  EXECUTE format('COPY (VALUES (%L), (%L), (%L), (%L)) TO %L', 'T|C', '2026-03-01 12:00:00 AM -00:30|C1',
                 '2026-03-01 13:00:00 PM +01:00|C2', '2026-03-01 11:00:00 AM +01:60|C3',
                 current_setting('data_directory') || '/oj_regress_west.csv');
END $$;
UPDATE offline_join.sources SET options = options || '{"delimiter": "|"}' WHERE name = 'west';
SELECT line_no, field, reason, message
  FROM offline_join.validate_file('west', current_setting('data_directory') || '/oj_regress_west.csv');
SELECT offline_join.create_source('west_iso', 'csv', $${"columns": {"event_time": "t", "customer_id": "cust"}}$$);
DO $$ BEGIN
  EXECUTE format('COPY (VALUES (%L), (%L)) TO %L', 't,cust', '2026-03-01T10:00:00-00:30,C1',
                 current_setting('data_directory') || '/oj_regress_west_iso.csv');
END $$;
SELECT status, rows_loaded FROM offline_join.load('west', current_setting('data_directory') || '/oj_regress_west.csv');
SELECT status, rows_loaded FROM offline_join.load('west_iso', current_setting('data_directory') || '/oj_regress_west_iso.csv');
SELECT source, customer_id, event_time AT TIME ZONE 'UTC' AS utc FROM offline_join.events
 WHERE source IN ('west', 'west_iso') ORDER BY source, line_no;
-- skip_lines in a file whose lines end with a lone CR
SELECT offline_join.create_source('cr_only', 'csv', $${"skip_lines": 1, "columns": {"event_time": "T", "customer_id": "C"}}$$);
SELECT status, rows_total, rows_loaded, rows_rejected FROM offline_join.load('cr_only', :'data' || '/csv_cr_only.csv');
SELECT * FROM pg_temp.rejects('cr_only');
-- without a header, rejects name the source's columns, not rmc's
SELECT offline_join.create_source('pos_named', 'csv', $${"header": false, "require_known_product": true,
  "timezone": "Europe/Copenhagen", "columns": {"customer_id": 1, "event_time": 2, "product": 3}}$$);
DO $$ BEGIN
  EXECUTE format('COPY (VALUES (%L), (%L)) TO %L', 'C1,2026-03-01 10:00:00,SKU-NONE', 'C2,2026-03-29 02:30:00,SKU-RUN-42',
                 current_setting('data_directory') || '/oj_regress_pos_named.csv');
END $$;
SELECT line_no, field, reason
  FROM offline_join.validate_file('pos_named', current_setting('data_directory') || '/oj_regress_pos_named.csv');
-- a byte that is no character, in a column read past, is no reject
SELECT offline_join.create_source('ignored', 'csv', $${"delimiter": ";", "encoding": "WIN1252", "decimal": ",",
  "time_format": "YYYY-MM-DD HH24:MI", "columns": {"event_time": "Date", "customer_id": "Cust", "num1": "Amount"}}$$);
SELECT status, rows_loaded, rows_rejected FROM offline_join.load('ignored', :'data' || '/csv_edge_cases.csv');
-- templates that would read a value wrongly are refused
SELECT pg_temp.err($$SELECT offline_join.create_source('e', 'csv', '{"time_format": "YYYY-MM-DD HH24:MI:SSSS", "columns": {"event_time": "D", "customer_id": "C"}}')$$);
SELECT pg_temp.err($$SELECT offline_join.create_source('e', 'csv', '{"time_format": "YYYY-MM-DD YYYY", "columns": {"event_time": "D", "customer_id": "C"}}')$$);
SELECT pg_temp.err($$SELECT offline_join.create_source('e', 'csv', '{"time_format": "YYYY-MM-DD HH24 TZM", "columns": {"event_time": "D", "customer_id": "C"}}')$$);
-- option values that cannot work together are refused, naming them
SELECT pg_temp.err($$SELECT offline_join.create_source('e', 'csv', '{"quote": "", "columns": {"event_time": "D", "customer_id": "C"}}')$$);
SELECT pg_temp.err($$SELECT offline_join.create_source('e', 'csv', '{"delimiter": ";", "quote": ",", "decimal": ",", "columns": {"event_time": "D", "customer_id": "C"}}')$$);
SELECT pg_temp.err($$SELECT offline_join.create_source('e', 'csv', '{"delimiter": "x", "columns": {"event_time": "D", "customer_id": "C"}}')$$);
SELECT pg_temp.err($$SELECT offline_join.create_source('e', 'csv', '{"require_known_product": true, "columns": {"event_time": "D", "customer_id": "C"}}')$$);
SELECT pg_temp.err($$SELECT offline_join.create_source('e', 'csv', '{"total_tolerance": 0, "columns": {"event_time": "D", "customer_id": "C", "product": "P"}}')$$);
SELECT pg_temp.err($$SELECT offline_join.create_source('e', 'csv', '{"encoding": "SQL_ASCII", "columns": {"event_time": "D", "customer_id": "C"}}')$$);
-- inboxes: mapped names found as load() finds them; names over 63 bytes
SELECT offline_join.create_source('long', 'csv', $${"columns": {"event_time": "EVENT_TIME",
  "customer_id": "The customer identifier as exported by the point of sale system version 12"}}$$);
SELECT offline_join.create_inbox('long', columns => ARRAY['event_time',
       'The customer identifier as exported by the point of sale system version 12', 'note']);
INSERT INTO offline_join.inbox_long VALUES ('2026-03-01 10:00', 'C-LONG', 'hello');
SELECT customer_id, attrs FROM offline_join.events WHERE source = 'long';
SELECT offline_join.create_inbox('meta_case', columns => ARRAY['email', 'event_time', 'external_id']);
INSERT INTO offline_join.inbox_meta_case VALUES ('x@example.com', '2026-03-02T09:15:00Z', 'CUST-CASE');
SELECT customer_id, event_time AT TIME ZONE 'UTC' AS utc FROM offline_join.events WHERE source = 'meta_case';
SELECT pg_temp.err($$SELECT offline_join.create_inbox('case_twice', columns => ARRAY['Date', 'date', 'Cust', 'Amount', 'amount'])$$);
-- a header name with a control character is quoted as \xNN in messages (it was written raw)
SELECT offline_join.create_source('ctl_name', 'csv', $${"unmapped": "attrs", "columns": {"event_time": "D", "customer_id": "C"}}$$);
SELECT status, rows_loaded, rows_rejected FROM offline_join.load('ctl_name', :'data' || '/csv_header_control.csv');
SELECT line_no, reason, message FROM pg_temp.rejects('ctl_name');
SELECT customer_id, attrs FROM offline_join.events WHERE source = 'ctl_name';
-- a header name that is not valid utf-8 fails the file (it was stored as an attrs key that no dump restores)
SELECT pg_temp.err($$SELECT offline_join.load('ctl_name', current_setting('oj.data') || '/csv_header_invalid.csv')$$);
SELECT count(*) AS events FROM offline_join.events WHERE source = 'ctl_name';
-- 11. dims and attrs are written in jsonb's binary form: forty attrs
-- (past jsonb's stride of 32 entries), keys of two lengths, empty and
-- multibyte values; every object written is the one its text reads back
SELECT offline_join.create_source('wide', 'csv', $${"unmapped": "attrs", "columns": {"event_time": "D", "customer_id": "C"}}$$);
SELECT status, rows_loaded FROM offline_join.load('wide', :'data' || '/csv_wide.csv');
SELECT customer_id, attrs -> 'x1' AS x1, attrs -> 'x40' AS x40, attrs -> 'x35' AS x35,
       (SELECT count(*) FROM jsonb_object_keys(attrs)) AS keys,
       (SELECT string_agg(k, ',') FROM jsonb_object_keys(attrs) k) AS key_order
  FROM offline_join.events WHERE source = 'wide' ORDER BY line_no;
-- numbers are made from their digits when plain: signs, a leading or
-- trailing separator, leading zeros, 18 and 19 digits (past int64's 18 the
-- general way), read as numeric_in reads them
SELECT offline_join.create_source('numbers', 'csv', $${"columns": {"event_time": "D", "customer_id": "C", "num1": "N1", "num2": "N2"}}$$);
SELECT status, rows_loaded, rows_rejected FROM offline_join.load('numbers', :'data' || '/csv_numbers.csv');
SELECT line_no, num1, num2, scale(num1) AS s1, scale(num2) AS s2
  FROM offline_join.events WHERE source = 'numbers' ORDER BY line_no;
SELECT line_no, field, reason FROM pg_temp.rejects('numbers');
\set jsonb_checks :abs_srcdir '/sql/include/jsonb_checks.sql'
\set ECHO none
\i :jsonb_checks
\set ECHO all
SELECT pg_temp.jsonb_objects_ok();
SELECT pg_temp.numbers_ok();
DROP EXTENSION offline_join CASCADE;
