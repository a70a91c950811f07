-- load_dir() (spec section 3): every matching file in name order, each in
-- its own subtransaction; failures recorded and skipped; require_fin; runs
-- as often as a scheduler likes without loading or logging a file twice.
SET client_min_messages = error;
DROP EXTENSION IF EXISTS offline_join CASCADE;
CREATE EXTENSION offline_join;
SELECT offline_join.create_source('rmc', 'rmc');
SELECT current_setting('data_directory') || '/oj_regress_dir_' || pg_backend_pid() || '_' || extract(epoch FROM now())::bigint || '_' AS dir \gset
SELECT set_config('oj.dir', :'dir', false) IS NOT NULL AS ok;
-- writes a small rmc file of n good rows (customer prefix p) to the test directory
CREATE FUNCTION pg_temp.put(name text, p text, n int) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE format($q$COPY (SELECT 'Time Stamp,Customer ID,Event Type,Category,Event Name,Num1,Num2'
                 UNION ALL SELECT '2026-03-02 14:05:' || lpad(i::text, 2, '0') || ',%s-' || i || ',7,c,SKU,1,2'
                   FROM generate_series(1, %s) i) TO %L (FORMAT text)$q$,
                 p, n, current_setting('oj.dir') || name);
END $$;
-- writes a file of the given lines (none: an empty marker file)
CREATE FUNCTION pg_temp.raw(name text, VARIADIC lines text[] DEFAULT '{}') RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE format('COPY (SELECT unnest(%L::text[])) TO %L (FORMAT text)', lines,
                 current_setting('oj.dir') || name);
END $$;

SELECT pg_temp.put('b.csv', 'B', 2);
SELECT pg_temp.put('a.csv', 'A', 3);
SELECT pg_temp.raw('c_bad_header.csv', 'Time Stamp,Customer ID');
SELECT pg_temp.put('d.csv', 'D', 1);
SELECT pg_temp.raw('d.csv.fin');

-- name order; the bad file is recorded as failed and the others load
SELECT load_id, replace(path, :'dir', '<dir>/') AS path, rows_loaded, status,
       replace(message, :'dir', '<dir>/') AS message
  FROM offline_join.load_dir('rmc', :'dir' || '*.csv');
-- again: nothing new, no new ledger rows (failed and loaded files are skipped
-- while their content is unchanged)
SELECT count(*) FROM offline_join.load_dir('rmc', :'dir' || '*.csv');
SELECT count(*) AS ledger_rows FROM offline_join.loads;
-- a changed file is loaded again
SELECT pg_temp.put('b.csv', 'B', 4);
SELECT replace(path, :'dir', '<dir>/') AS path, rows_loaded, status FROM offline_join.load_dir('rmc', :'dir' || '*');
-- a copy of a loaded file under a new name is a duplicate, recorded once
SELECT pg_temp.put('e.csv', 'A', 3);
SELECT replace(path, :'dir', '<dir>/') AS path, status, message FROM offline_join.load_dir('rmc', :'dir' || '*.csv');
SELECT count(*) FROM offline_join.load_dir('rmc', :'dir' || '*.csv');

-- require_fin: only files whose NAME.fin marker exists
SELECT pg_temp.put('f.csv', 'F', 1);
SELECT pg_temp.put('g.csv', 'G', 1);
SELECT pg_temp.raw('g.csv.fin');
SELECT replace(path, :'dir', '<dir>/') AS path, status FROM offline_join.load_dir('rmc', :'dir' || '*.csv', require_fin => true);
SELECT pg_temp.raw('f.csv.fin');
SELECT replace(path, :'dir', '<dir>/') AS path, status FROM offline_join.load_dir('rmc', :'dir' || '*.csv', require_fin => true);

-- a path that exists is itself, even with glob characters in its name
-- (0.1.1 took it for a pattern and found nothing); in a pattern, \[ \* \?
-- match those characters literally
SELECT pg_temp.put('in[1] sales [copy].csv', 'BR', 2);
SELECT replace(path, :'dir', '<dir>/') AS path, status, rows_loaded
  FROM offline_join.load_dir('rmc', :'dir' || 'in[1] sales [copy].csv');
SELECT pg_temp.put('in[1] sales [copy].csv', 'BR', 3);
SELECT replace(path, :'dir', '<dir>/') AS path, status, rows_loaded
  FROM offline_join.load_dir('rmc', :'dir' || 'in\[1\] sales \[*\].csv');
-- unescaped, [1] is a character class: no file named in1 ...
SELECT count(*) FROM offline_join.load_dir('rmc', :'dir' || 'in[1] sales*');
SELECT offline_join.create_foreign_table('ft_brackets', 'rmc', :'dir' || 'in[1] sales [copy].csv');
SELECT count(*) AS rows_read FROM ft_brackets;
DROP FOREIGN TABLE ft_brackets;

-- nothing matches: no rows
SELECT count(*) FROM offline_join.load_dir('rmc', :'dir' || '*.nothing');
-- errors before any file is read
SELECT offline_join.load_dir('nope', :'dir' || '*.csv');
SELECT offline_join.load_dir('rmc', 'relative/*.csv');

SELECT source, sum(rows_loaded) AS rows, count(*) FILTER (WHERE status = 'loaded') AS files
  FROM offline_join.loads GROUP BY source;
SELECT count(*) AS events, count(DISTINCT customer_id) AS customers FROM offline_join.events;
