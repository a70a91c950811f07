-- Adobe Analytics Data Sources files (spec section 2): comments, the header
-- decides the key, every row rule, the 90-day rule, header errors.
SET client_min_messages = warning;
DROP EXTENSION IF EXISTS offline_join CASCADE;
CREATE EXTENSION offline_join;
\getenv abs_srcdir PG_ABS_SRCDIR
\set data :abs_srcdir '/test/data'
SELECT set_config('oj.data', :'data', false) IS NOT NULL AS ok;
CREATE FUNCTION pg_temp.err(q text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN EXECUTE q; RETURN 'ok';
EXCEPTION WHEN others THEN
  RETURN SQLSTATE || ': ' || replace(SQLERRM, current_setting('oj.data'), '<data>');
END $$;

SELECT offline_join.create_source('adobe_tx', 'adobe', '{"timezone": "Europe/Copenhagen"}');
SELECT offline_join.create_source('adobe_vis', 'adobe');
SELECT offline_join.record_transaction('lead_55012', 'VIS-7', 'web-7',
       '{"marketing_channel": "search", "campaign": "spring"}', '2026-03-01 10:00+00');
INSERT INTO offline_join.sessions VALUES
  ('web-9', 'VIS-9', 'CUST-1001', '2026-03-01 09:00+00', '{"marketing_channel": "email"}');

-- the samples: transaction ID key and visitor ID key
SELECT status, rows_total, rows_loaded, rows_rejected, rows_matched
  FROM offline_join.load('adobe_tx', :'data' || '/adobe_transaction_sample.txt');
SELECT status, rows_total, rows_loaded, rows_rejected, rows_matched
  FROM offline_join.load('adobe_vis', :'data' || '/adobe_visitor_sample.txt');
SELECT line_no, event_time, customer_id, transaction_id, category, product, num1, num2,
       dims, attrs, match, visitor_id, session_id, snapshot
  FROM offline_join.events ORDER BY event_id;

-- every row rule; comment and blank lines count as lines but not as rows
SELECT status, rows_total, rows_loaded, rows_rejected
  FROM offline_join.load('adobe_tx', :'data' || '/adobe_every_reason.txt');
SELECT r.line_no, r.field, r.reason, r.message
  FROM offline_join.rejects r JOIN offline_join.loads l USING (load_id)
 WHERE l.path LIKE '%adobe_every_reason.txt' ORDER BY r.line_no;
SELECT e.line_no, e.event_time, e.transaction_id, e.dims, e.attrs
  FROM offline_join.events e JOIN offline_join.loads l USING (load_id)
 WHERE l.path LIKE '%adobe_every_reason.txt' ORDER BY e.line_no;

-- at most 90 distinct days per file: rows adding a 91st day are rejected,
-- rows of days already seen still load
SELECT status, rows_total, rows_loaded, rows_rejected
  FROM offline_join.load('adobe_vis', :'data' || '/adobe_92_days.txt');
SELECT r.line_no, r.field, r.reason, r.message
  FROM offline_join.rejects r JOIN offline_join.loads l USING (load_id)
 WHERE l.path LIKE '%adobe_92_days.txt' ORDER BY r.line_no;
SELECT count(DISTINCT event_time::date) AS days, max(line_no) AS last_line
  FROM offline_join.events e JOIN offline_join.loads l USING (load_id)
 WHERE l.path LIKE '%adobe_92_days.txt';

-- header errors fail the whole file with a clear error and leave nothing
SELECT count(*) AS loads_before FROM offline_join.loads \gset
SELECT pg_temp.err($$SELECT offline_join.load('adobe_vis', current_setting('oj.data') || '/adobe_unknown_column.txt')$$);
SELECT pg_temp.err($$SELECT offline_join.load('adobe_vis', current_setting('oj.data') || '/adobe_date_not_first.txt')$$);
SELECT pg_temp.err($$SELECT offline_join.load('adobe_vis', current_setting('oj.data') || '/adobe_no_key.txt')$$);
SELECT count(*) = :loads_before AS nothing_written FROM offline_join.loads;
-- validate_file says the same
SELECT pg_temp.err($$SELECT offline_join.validate_file('adobe_vis', current_setting('oj.data') || '/adobe_no_key.txt')$$);
-- an empty file has no rows to join: nothing loaded, no error
SELECT status, rows_total FROM offline_join.load('adobe_vis', :'data' || '/empty.csv');

-- every dims and attrs object written is the one its text reads back
\set jsonb_checks :abs_srcdir '/sql/include/jsonb_checks.sql'
\set ECHO none
\i :jsonb_checks
\set ECHO all
SELECT pg_temp.jsonb_objects_ok();
