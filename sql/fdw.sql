-- Foreign data wrapper offline_join_fdw (spec section 4): offline files
-- queried in place, validated; columns by name; options and their errors;
-- EXPLAIN; ANALYZE; rescans; privileges.
SET client_min_messages = warning;
DROP EXTENSION IF EXISTS offline_join CASCADE;
CREATE EXTENSION offline_join;
DROP ROLE IF EXISTS regress_oj_analyst;  -- left by an interrupted run
SET timezone = 'UTC';
\getenv abs_srcdir PG_ABS_SRCDIR
\set data :abs_srcdir '/test/data'
SELECT set_config('oj.data', :'data', false) IS NOT NULL AS ok;
CREATE FUNCTION pg_temp.err(q text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN EXECUTE q; RETURN 'ok';
EXCEPTION WHEN others THEN
  RETURN SQLSTATE || ': ' || replace(SQLERRM, current_setting('oj.data'), '<data>');
END $$;
-- ft(name, columns, source, file under test/data, more options): a foreign table
CREATE FUNCTION pg_temp.ft(name text, cols text, source text, file text, opts text DEFAULT '')
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE format('CREATE FOREIGN TABLE %I (%s) SERVER offline_files OPTIONS (source %L, filename %L%s)',
                 name, cols, source, current_setting('oj.data') || file,
                 CASE WHEN opts = '' THEN '' ELSE ', ' || opts END);
END $$;
-- EXPLAIN with the test directory hidden
CREATE FUNCTION pg_temp.explain(q text) RETURNS SETOF text LANGUAGE plpgsql AS $$
DECLARE line text;
BEGIN
  FOR line IN EXECUTE q LOOP
    RETURN NEXT replace(line, current_setting('oj.data'), '<data>');
  END LOOP;
END $$;

SELECT offline_join.create_source('rmc', 'rmc');
SELECT offline_join.create_source('adobe_tx', 'adobe');
CREATE SERVER offline_files FOREIGN DATA WRAPPER offline_join_fdw;

-- any subset of the columns, in any order, metadata columns too
SELECT pg_temp.ft('sample', 'line_no bigint, num2 numeric, customer_id text, event_time timestamptz, dims jsonb, attrs jsonb, filename text', 'rmc', '/rmc_sample.csv');
SELECT line_no, num2, customer_id, event_time, dims, attrs,
       replace(filename, :'data', '<data>') AS filename FROM sample;
SELECT count(*), sum(num2) FROM sample;
-- text works for every column
SELECT pg_temp.ft('sample_text', 'event_time text, num1 text, dims text', 'rmc', '/rmc_sample.csv');
SELECT * FROM sample_text;

-- EXPLAIN shows the files, and their size with COSTS
SELECT pg_temp.explain('EXPLAIN (COSTS OFF) SELECT * FROM sample');
SELECT pg_temp.explain('EXPLAIN SELECT * FROM sample') AS with_costs OFFSET 2;

-- on_error: stop (default) names file, line, field and reason; skip passes
-- over invalid rows and ends with a NOTICE
SELECT pg_temp.ft('reasons', 'line_no bigint, customer_id text, dims jsonb', 'rmc', '/rmc_every_reason.csv');
SELECT pg_temp.err('SELECT * FROM reasons');
ALTER FOREIGN TABLE reasons OPTIONS (ADD on_error 'skip');
SET client_min_messages = notice;
SELECT * FROM reasons;
SET client_min_messages = warning;
ALTER FOREIGN TABLE reasons OPTIONS (SET on_error 'stop');
SELECT pg_temp.err('SELECT count(*) FROM reasons');

-- Adobe files, with the key the header chose
SELECT pg_temp.ft('adobe', 'event_time timestamptz, transaction_id text, customer_id text, dims jsonb, attrs jsonb, line_no bigint', 'adobe_tx', '/adobe_every_reason.txt', $o$on_error 'skip'$o$);
SELECT * FROM adobe;

-- a glob: every matching file in name order; none: no rows and a NOTICE
SELECT offline_join.create_foreign_table('samples', 'rmc', :'data' || '/rmc_[cs][ra]*.csv');
SELECT count(*) FROM samples;
-- a file whose header is unusable fails the query, even with on_error 'skip'
SELECT pg_temp.ft('with_bad_header', 'line_no bigint', 'rmc', '/rmc_s*.csv', $o$on_error 'skip'$o$);
SELECT pg_temp.err('SELECT count(*) FROM with_bad_header');
SELECT replace(filename, :'data', '<data>') AS filename, count(*), min(line_no), max(line_no)
  FROM samples GROUP BY filename ORDER BY filename;
SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute
 WHERE attrelid = 'samples'::regclass AND attnum > 0 ORDER BY attnum;
SELECT pg_temp.ft('nothing', 'customer_id text', 'rmc', '/*.nothing');
SELECT count(*) FROM nothing;

-- rescans: the foreign table on the inner side of a nested loop
SET enable_hashjoin = off;
SET enable_mergejoin = off;
SET enable_material = off;
SELECT pg_temp.explain($$EXPLAIN (COSTS OFF) SELECT a.line_no, b.line_no FROM sample a
                         JOIN sample b ON a.customer_id = b.customer_id$$);
SELECT a.line_no, b.line_no FROM sample a JOIN sample b ON a.customer_id = b.customer_id
 ORDER BY 1, 2;
RESET enable_hashjoin;
RESET enable_mergejoin;
RESET enable_material;

-- ad-hoc attribution over the file, without loading it
INSERT INTO offline_join.sessions VALUES
  ('web-1', 'VIS-1', 'CUST-1001', '2026-03-01 12:00+00', '{"channel": "email"}');
SELECT s.line_no, s.customer_id, a.match, a.session_id, a.snapshot
  FROM sample s CROSS JOIN LATERAL offline_join.attribute(s.event_time, s.customer_id, NULL) a
 ORDER BY s.line_no;

-- ANALYZE samples the valid rows
ANALYZE sample;
SELECT reltuples FROM pg_class WHERE oid = 'sample'::regclass;
SELECT attname, n_distinct FROM pg_stats WHERE tablename = 'sample' AND attname = 'customer_id';

-- options: unknown (with the closest one), missing, repeated, bad values,
-- on the wrong object; columns of unknown names or impossible types
SELECT pg_temp.err($$CREATE FOREIGN TABLE x (customer_id text) SERVER offline_files OPTIONS (source 'rmc', filenam '/tmp/x')$$);
SELECT pg_temp.err($$CREATE FOREIGN TABLE x (customer_id text) SERVER offline_files OPTIONS (source 'rmc', filename '/tmp/x', format 'csv')$$);
SELECT pg_temp.err($$CREATE FOREIGN TABLE x (customer_id text) SERVER offline_files OPTIONS (source 'rmc')$$);
SELECT pg_temp.err($$CREATE FOREIGN TABLE x (customer_id text) SERVER offline_files OPTIONS (source 'rmc', filename '/a', filename '/b')$$);
SELECT pg_temp.err($$CREATE FOREIGN TABLE x (customer_id text) SERVER offline_files OPTIONS (source 'rmc', filename '/a', on_error 'ignore')$$);
SELECT pg_temp.err($$CREATE SERVER s2 FOREIGN DATA WRAPPER offline_join_fdw OPTIONS (filename '/a')$$);
SELECT pg_temp.err($$ALTER FOREIGN DATA WRAPPER offline_join_fdw OPTIONS (source 'rmc')$$);
CREATE FOREIGN TABLE bad_name (nope text) SERVER offline_files OPTIONS (source 'rmc', filename '/tmp/x');
CREATE FOREIGN TABLE bad_type (customer_id int, num1 date) SERVER offline_files OPTIONS (source 'rmc', filename '/tmp/x');
CREATE FOREIGN TABLE bad_type2 (num1 date) SERVER offline_files OPTIONS (source 'rmc', filename '/tmp/x');
CREATE FOREIGN TABLE bad_source (customer_id text) SERVER offline_files OPTIONS (source 'nope', filename '/tmp/x');
SELECT pg_temp.err('SELECT * FROM bad_name');
SELECT pg_temp.err('SELECT * FROM bad_type');
SELECT pg_temp.err('SELECT * FROM bad_type2');
SELECT pg_temp.err('SELECT * FROM bad_source');
SELECT pg_temp.err($$SELECT offline_join.create_foreign_table('sample', 'rmc', '/tmp/x')$$);
SELECT pg_temp.err($$SELECT offline_join.create_foreign_table('y', 'nope', '/tmp/x')$$);

-- privileges: setting filename needs superuser or pg_read_server_files, at
-- CREATE and at ALTER; reading a table someone allowed is allowed
CREATE ROLE regress_oj_analyst;
GRANT USAGE ON FOREIGN SERVER offline_files TO regress_oj_analyst;
GRANT CREATE ON SCHEMA public TO regress_oj_analyst;
GRANT SELECT ON sample TO regress_oj_analyst;
-- a reader needs to see the source's settings, as any query would
GRANT USAGE ON SCHEMA offline_join TO regress_oj_analyst;
GRANT SELECT ON offline_join.sources TO regress_oj_analyst;
SET ROLE regress_oj_analyst;
SELECT pg_temp.err($$CREATE FOREIGN TABLE mine (customer_id text) SERVER offline_files OPTIONS (source 'rmc', filename '/etc/passwd')$$);
SELECT count(*) FROM sample;
SELECT pg_temp.err($$ALTER FOREIGN TABLE sample OPTIONS (SET filename '/etc/passwd')$$);
RESET ROLE;
ALTER FOREIGN TABLE sample OWNER TO regress_oj_analyst;
SET ROLE regress_oj_analyst;
SELECT pg_temp.err($$ALTER FOREIGN TABLE sample OPTIONS (SET filename '/etc/passwd')$$);
SELECT pg_temp.err($$ALTER FOREIGN TABLE sample OPTIONS (ADD on_error 'skip')$$);
RESET ROLE;
DROP OWNED BY regress_oj_analyst;
DROP ROLE regress_oj_analyst;
-- a foreign table whose source is gone: the error names the table (found
-- by a second adversarial run)
SELECT offline_join.create_source('gone', 'rmc');
SELECT offline_join.create_foreign_table('ft_gone', 'gone', :'data' || '/rmc_sample.csv');
DELETE FROM offline_join.sources WHERE name = 'gone';
SELECT count(*) FROM ft_gone;
DROP FOREIGN TABLE ft_gone;
