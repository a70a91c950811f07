-- Writes an rmc file of :rows rows (23 columns) to :'path'; with :bad_every > 0
-- every :bad_every-th row has a bad timestamp. Customer IDs cycle over
-- :customers ids (CUST-1 ..), times over the 60 days before 2026-03-01.
COPY (
  SELECT to_char(timestamp '2026-03-01' - (i % 5184000) * interval '1 second', 'YYYY-MM-DD HH24:MI:SS')
           || CASE WHEN :bad_every > 0 AND i % :bad_every = 0 THEN 'x' ELSE '' END AS "Time Stamp",
         'CUST-' || (i % :customers) AS "Customer ID",
         7 AS "Event Type", 'cat-' || (i % 50) AS "Category", 'SKU-' || (i % 1000) AS "Event Name",
         (i % 5) + 1 AS "Num1", round(((i % 5) + 1) * 19.95, 2) AS "Num2",
         'Aarhus' AS "Var 1", 'store-' || (i % 40) AS "Var 2", NULL AS "Var 3", NULL AS "Var 4", NULL AS "Var 5",
         'blue' AS "EventName Attr1", (i % 45)::text AS "EventName Attr2", NULL AS "EventName Attr3",
         NULL AS "EventName Attr4", NULL AS "EventName Attr5", NULL AS "EventName Attr6", NULL AS "EventName Attr7",
         NULL AS "EventName Attr8", NULL AS "EventName Attr9", NULL AS "EventName Attr10",
         'receipt-' || i AS "EventTransaction Attr1"
    FROM generate_series(1, :rows) AS i
) TO :'path' (FORMAT csv, HEADER);
