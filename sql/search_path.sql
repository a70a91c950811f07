-- search_path safety (spec section 7): with a hostile role's functions and
-- operators ahead of pg_catalog in search_path, every public function of
-- the extension behaves the same.  The hostile objects raise if called.
SET client_min_messages = warning;
DROP EXTENSION IF EXISTS offline_join CASCADE;
CREATE EXTENSION offline_join;
SET timezone = 'UTC';
\getenv abs_srcdir PG_ABS_SRCDIR
\set data :abs_srcdir '/test/data'
SELECT current_setting('data_directory') || '/oj_regress_sp_' || pg_backend_pid() || '_'
       || extract(epoch FROM now())::bigint || '_' AS dir \gset

CREATE SCHEMA hostile;
CREATE FUNCTION hostile.trap() RETURNS boolean LANGUAGE plpgsql AS
  $$ BEGIN RAISE EXCEPTION 'hostile object called'; END $$;
CREATE FUNCTION hostile.text_eq(text, text) RETURNS boolean LANGUAGE sql AS 'SELECT hostile.trap()';
CREATE OPERATOR hostile.= (LEFTARG = text, RIGHTARG = text, FUNCTION = hostile.text_eq);
CREATE FUNCTION hostile.ts_lt(timestamptz, timestamptz) RETURNS boolean LANGUAGE sql AS 'SELECT hostile.trap()';
CREATE OPERATOR hostile.< (LEFTARG = timestamptz, RIGHTARG = timestamptz, FUNCTION = hostile.ts_lt);
CREATE OPERATOR hostile.>= (LEFTARG = timestamptz, RIGHTARG = timestamptz, FUNCTION = hostile.ts_lt);
CREATE OPERATOR hostile.<= (LEFTARG = timestamptz, RIGHTARG = timestamptz, FUNCTION = hostile.ts_lt);
CREATE FUNCTION hostile.jb_cat(jsonb, jsonb) RETURNS jsonb LANGUAGE sql AS 'SELECT hostile.trap()::text::jsonb';
CREATE OPERATOR hostile.|| (LEFTARG = jsonb, RIGHTARG = jsonb, FUNCTION = hostile.jb_cat);
CREATE FUNCTION hostile.now() RETURNS timestamptz LANGUAGE sql AS 'SELECT hostile.trap()::int::text::timestamptz';
CREATE FUNCTION hostile.lower(text) RETURNS text LANGUAGE sql AS 'SELECT hostile.trap()::text';
CREATE FUNCTION hostile.nextval(regclass) RETURNS bigint LANGUAGE sql AS 'SELECT hostile.trap()::int::bigint';
CREATE FUNCTION hostile.jsonb_typeof(jsonb) RETURNS text LANGUAGE sql AS 'SELECT hostile.trap()::text';
CREATE FUNCTION hostile.octet_length(text) RETURNS int LANGUAGE sql AS 'SELECT hostile.trap()::int';
CREATE FUNCTION hostile.unnest(anyarray) RETURNS SETOF anyelement LANGUAGE sql AS 'SELECT NULL::int WHERE hostile.trap()';
-- the trap works
SET search_path = hostile, pg_catalog, public;
SELECT 'a'::text = 'a'::text;
SET search_path = hostile, pg_catalog, public;

-- every public function, called with the hostile objects first in the path
SELECT offline_join.record_transaction('t1', 'V1', 's1', '{"c": 1}', '2026-03-01 10:00+00');
SELECT offline_join.record_transaction('t1', 'V2', recorded_at => '2026-03-01 11:00+00');
INSERT INTO offline_join.transactions (transaction_id, visitor_id, recorded_at) VALUES ('t2', 'V2', '2026-03-01');
INSERT INTO offline_join.sessions VALUES ('s1', 'V1', 'CUST-1001', '2026-03-01 09:00+00', '{"cart": ["x"]}');
SELECT offline_join.create_source('rmc', 'rmc', '{"lookback": "30 days"}');
SELECT offline_join.create_source('adobe_tx', 'adobe');
SELECT status, rows_loaded, rows_rejected, rows_matched FROM offline_join.load('rmc', :'data' || '/rmc_sample.csv');
SELECT status FROM offline_join.load('rmc', :'data' || '/rmc_sample.csv');
SELECT count(*) FROM offline_join.validate_file('rmc', :'data' || '/rmc_every_reason.csv');
SELECT status, rows_loaded FROM offline_join.load('adobe_tx', :'data' || '/adobe_transaction_sample.txt');
SELECT count(*) FROM offline_join.load_dir('rmc', :'data' || '/rmc_crlf*.csv');
SELECT offline_join.rematch();
SELECT * FROM offline_join.attribute('2026-03-02 10:00+00', 'CUST-1001', NULL);
SELECT * FROM offline_join.attribute('2026-03-02 10:00+00', NULL, 't1');
SELECT count(*), count(state) FROM offline_join.attributed_events;
SELECT session_id FROM offline_join.abandoned_carts('2026-02-01', '1 hour');
SELECT offline_join.create_inbox('rmc');
COPY offline_join.inbox_rmc (time_stamp, customer_id, event_type, category, event_name, num1, num2) FROM stdin (FORMAT csv);
2026-03-05 10:00:00,CUST-1001,7,,SKU-1,1,10
2026-03-05 10:00:00,CUST-1001,7,,SKU-1,x,10
2026-03-05 11:00:00,CUST-1001,7,,SKU-2,2,20
2026-03-05 12:00:00,CUST-9999,7,,SKU-3,3,30
\.
SELECT rows_total, rows_loaded, rows_rejected, rows_matched FROM offline_join.loads WHERE path OPERATOR(pg_catalog.=) 'COPY';
-- inbox_route() has no SET clause (0.2.4): a function that the tables it
-- writes run still runs under the extension's search_path, on every row
-- (a CHECK constraint's, run per row as the owner)
RESET search_path;
CREATE FUNCTION public.event_ok(t text) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
  IF current_setting('search_path') <> 'pg_catalog, pg_temp' THEN
    RAISE EXCEPTION 'event_ok() ran with search_path %', current_setting('search_path');
  END IF;
  RETURN octet_length(t) >= 0;
END $$;
ALTER TABLE offline_join.events ADD CONSTRAINT event_ok CHECK (public.event_ok(source)) NOT VALID;
SET search_path = hostile, pg_catalog, public;
COPY offline_join.inbox_rmc (time_stamp, customer_id, event_type, category, event_name, num1, num2) FROM stdin (FORMAT csv);
2026-03-06 10:00:00,CUST-1001,7,,SKU-1,1,10
2026-03-06 11:00:00,CUST-1001,7,,SKU-1,1,10
2026-03-06 12:00:00,CUST-9999,7,,SKU-1,1,10
\.
RESET search_path;
ALTER TABLE offline_join.events DROP CONSTRAINT event_ok;
DROP FUNCTION public.event_ok(text);
-- a site's CHECK with a built-in that looks a name up at run time (here
-- to_regclass(), which would find hostile.oj_probe first): every row too
CREATE TABLE hostile.oj_probe ();
ALTER TABLE offline_join.events ADD CONSTRAINT no_probe CHECK (pg_catalog.to_regclass('oj_probe') IS NULL) NOT VALID;
SET search_path = hostile, pg_catalog, public;
INSERT INTO offline_join.inbox_rmc (time_stamp, customer_id, event_type, category, event_name, num1, num2)
SELECT '2026-03-07 10:00:00', 'CUST-1001', '7', '', 'SKU-1', '1', '10' FROM pg_catalog.generate_series(1, 3);
RESET search_path;
ALTER TABLE offline_join.events DROP CONSTRAINT no_probe;
-- an index with an operator class whose support function is SQL naming
-- bttextcmp without its schema: index entries are written every thousand
-- rows, from whichever row fills the batch, always under the pinned path
CREATE FUNCTION public.oj_cmp(text, text) RETURNS int LANGUAGE sql IMMUTABLE AS 'SELECT bttextcmp($1, $2)';
CREATE FUNCTION hostile.bttextcmp(text, text) RETURNS int LANGUAGE sql AS 'SELECT hostile.trap()::int';
CREATE OPERATOR CLASS public.oj_text_ops FOR TYPE text USING btree AS
  OPERATOR 1 pg_catalog.<, OPERATOR 2 pg_catalog.<=, OPERATOR 3 pg_catalog.=,
  OPERATOR 4 pg_catalog.>=, OPERATOR 5 pg_catalog.>, FUNCTION 1 public.oj_cmp(text, text);
CREATE INDEX events_customer_custom ON offline_join.events (customer_id public.oj_text_ops);
SET search_path = hostile, pg_catalog, public;
INSERT INTO offline_join.inbox_rmc (time_stamp, customer_id, event_type, category, event_name, num1, num2)
SELECT '2026-03-07 11:00:00', 'CUST-1001', '7', '', 'SKU-1', '1', '10' FROM pg_catalog.generate_series(1, 1500);
RESET search_path;
DROP INDEX offline_join.events_customer_custom;
-- an index that matching probes on every row must compare with the
-- built-in operator class, or load() refuses it by name
ALTER INDEX offline_join.sessions_customer_started_idx RENAME TO sessions_customer_started_idx_kept;
CREATE INDEX sessions_customer_started_idx ON offline_join.sessions (customer_id public.oj_text_ops, started_at);
\set VERBOSITY terse
SELECT status FROM offline_join.load('rmc', :'data' || '/rmc_sample.csv', force => true);
\set VERBOSITY default
DROP INDEX offline_join.sessions_customer_started_idx;
ALTER INDEX offline_join.sessions_customer_started_idx_kept RENAME TO sessions_customer_started_idx;
DROP OPERATOR CLASS public.oj_text_ops USING btree;
DROP FUNCTION public.oj_cmp(text, text);
SET search_path = hostile, pg_catalog, public;
SELECT rows_total, rows_loaded, rows_rejected, rows_matched FROM offline_join.loads WHERE path OPERATOR(pg_catalog.=) 'COPY' ORDER BY load_id;
SELECT offline_join.create_foreign_table('public.f', 'rmc', :'data' || '/rmc_sample.csv');
SELECT count(*), min(customer_id) FROM public.f;
SELECT count(*) FROM public.f a CROSS JOIN LATERAL offline_join.attribute(a.event_time, a.customer_id, NULL) m
 WHERE m.match OPERATOR(pg_catalog.=) 'customer';
RESET search_path;
DROP SCHEMA hostile CASCADE;
