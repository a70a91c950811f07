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
