-- The product feed and the two validation options that use it:
-- require_known_product (unknown_product) and total_tolerance (total_mismatch).
SET client_min_messages = warning;
DROP EXTENSION IF EXISTS offline_join CASCADE;
CREATE EXTENSION offline_join;
\getenv abs_srcdir PG_ABS_SRCDIR
\set file :abs_srcdir '/test/data/rmc_products.csv'

-- the feed is a plain table: INSERT or COPY it
COPY offline_join.products (product_code, category, unit_price) FROM stdin (FORMAT csv);
SKU-RUN-42,shoes,89.95
SKU-FREE,gifts,
\.
SELECT * FROM offline_join.products ORDER BY 1;
INSERT INTO offline_join.products VALUES ('SKU-NEG', 'x', -1);

-- without the options, every row of the file is valid
SELECT offline_join.create_source('plain', 'rmc');
SELECT rows_loaded, rows_rejected FROM offline_join.load('plain', :'file');

-- the product must be known
SELECT offline_join.create_source('known', 'rmc', '{"require_known_product": true}');
SELECT rows_loaded, rows_rejected FROM offline_join.load('known', :'file');
-- totals must be Num1 x unit_price within the tolerance (products without a
-- unit price, and unknown ones when they are allowed, are not checked)
SELECT offline_join.create_source('totals', 'rmc', '{"total_tolerance": 0.05}');
SELECT rows_loaded, rows_rejected FROM offline_join.load('totals', :'file');
-- both
SELECT offline_join.create_source('strict', 'rmc',
       '{"require_known_product": true, "total_tolerance": 0}');
SELECT rows_loaded, rows_rejected FROM offline_join.load('strict', :'file');

SELECT l.source, r.line_no, r.field, r.reason, r.message
  FROM offline_join.rejects r JOIN offline_join.loads l USING (load_id)
 ORDER BY l.load_id, r.line_no;
SELECT e.source, e.line_no, e.product, e.num1, e.num2
  FROM offline_join.events e WHERE e.source <> 'plain' ORDER BY e.event_id;

-- validate_file applies the same checks
SELECT * FROM offline_join.validate_file('strict', :'file');

-- Lookups that meet dead index entries, row after row (0.1.1 ran the
-- products scan in the per-row memory context; btree keeps its list of dead
-- items to mark across calls, so valgrind saw an invalid read in
-- _bt_killitems, an invalid write in btgettuple and a bad pfree in
-- btendscan: make test-valgrind runs this file).  A full page makes the
-- UPDATE non-HOT, so each product has a dead entry next to its live one.
SELECT offline_join.create_source('dead_entries', 'rmc',
       '{"require_known_product": true, "total_tolerance": 0.5}');
INSERT INTO offline_join.products
SELECT 'SKU-D' || i, 'c', 10, jsonb_build_object('pad', repeat('x', 100)) FROM generate_series(0, 199) i;
UPDATE offline_join.products SET attrs = jsonb_build_object('pad', repeat('y', 120))
 WHERE product_code LIKE 'SKU-D%';
DO $$ BEGIN
  EXECUTE format($q$COPY (SELECT line FROM (SELECT 0, 'Time Stamp,Customer ID,Event Type,Category,Event Name,Num1,Num2'
                    UNION ALL SELECT i, '2026-03-02 10:00:00,C' || i || ',7,c,SKU-D' || (i %% 200) || ',1,10'
                      FROM generate_series(1, 3000) i) f (n, line) ORDER BY n) TO %L$q$,
                 current_setting('data_directory') || '/oj_regress_dead_entries.csv');
END $$;
SELECT rows_total, rows_loaded, rows_rejected
  FROM offline_join.load('dead_entries', current_setting('data_directory') || '/oj_regress_dead_entries.csv');
SELECT count(*) AS rejects FROM offline_join.validate_file('dead_entries',
       current_setting('data_directory') || '/oj_regress_dead_entries.csv');

-- only loaded rows count toward the Adobe file's 90 days: 90 rows of
-- distinct days, all unknown_product, then a valid row of a 91st day loads
-- (0.1.1 rejected it as too_many_days)
SELECT offline_join.create_source('adobe_known', 'adobe', '{"require_known_product": true}');
DO $$ BEGIN
  EXECUTE format($q$COPY (SELECT line FROM (SELECT 0, E'Date\tVisitorID\tProduct\tQuantity'
                    UNION ALL SELECT i, to_char(date '2025-01-01' + i, 'MM/DD/YYYY') || E'\tV' || i || E'\tNO-SUCH\t1'
                      FROM generate_series(1, 90) i
                    UNION ALL SELECT 91, E'06/01/2025\tV91\tSKU-RUN-42\t1') f (n, line) ORDER BY n)
                    TO %L (FORMAT csv, QUOTE E'\x01', DELIMITER E'\x02')$q$,
                 current_setting('data_directory') || '/oj_regress_adobe_days.txt');
END $$;
SELECT rows_total, rows_loaded, rows_rejected
  FROM offline_join.load('adobe_known', current_setting('data_directory') || '/oj_regress_adobe_days.txt');
SELECT reason, count(*) FROM offline_join.validate_file('adobe_known',
       current_setting('data_directory') || '/oj_regress_adobe_days.txt') GROUP BY 1;
SELECT e.customer_id, e.product, e.event_time::date FROM offline_join.events e WHERE e.source = 'adobe_known';
