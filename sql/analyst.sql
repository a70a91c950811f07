-- The analyst layer (spec section 5): the attributed_events view (state =
-- snapshot || dims) and abandoned_carts(since, grace).
SET client_min_messages = warning;
DROP EXTENSION IF EXISTS offline_join CASCADE;
CREATE EXTENSION offline_join;
SET timezone = 'UTC';
SELECT current_setting('data_directory') || '/oj_regress_analyst_' || pg_backend_pid() || '_'
       || extract(epoch FROM now())::bigint AS dir \gset
CREATE FUNCTION pg_temp.raw(path text, VARIADIC lines text[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN EXECUTE format($q$COPY (SELECT unnest(%L::text[])) TO %L (FORMAT csv, QUOTE E'\x01', DELIMITER E'\x02')$q$, lines, path); END $$;

-- online: sessions with carts, a transaction ID
INSERT INTO offline_join.sessions (session_id, visitor_id, customer_id, started_at, attrs) VALUES
  ('s-store',  'V1', 'C1', '2026-03-01 10:00+00', '{"channel": "email", "cart": ["SKU-1"]}'),
  ('s-online', 'V2', 'C2', '2026-03-01 11:00+00', '{"channel": "search", "cart": ["SKU-2"]}'),
  ('s-late',   'V3', 'C3', '2026-03-01 12:00+00', '{"channel": "ads", "cart": ["SKU-3"]}'),
  ('s-visitor','V4', NULL, '2026-03-01 13:00+00', '{"channel": "social", "cart": ["SKU-4"]}'),
  ('s-return', 'V5', 'C5', '2026-03-01 14:00+00', '{"channel": "email", "cart": ["SKU-5", "SKU-6"]}'),
  ('s-empty',  'V6', 'C6', '2026-03-01 15:00+00', '{"channel": "email", "cart": []}'),
  ('s-nocart', 'V7', 'C7', '2026-03-01 16:00+00', '{"channel": "email"}'),
  ('s-notarr', 'V8', 'C8', '2026-03-01 17:00+00', '{"channel": "email", "cart": "SKU-8"}'),
  ('s-old',    'V9', 'C9', '2026-02-20 10:00+00', '{"channel": "email", "cart": ["SKU-9"]}'),
  ('s-before', 'V10', 'C10', '2026-03-01 18:00+00', '{"channel": "email", "cart": ["SKU-10"]}'),
  ('s-other',  'V11', 'C11', '2026-03-01 19:00+00', '{"channel": "email", "cart": ["SKU-11"]}');
-- V2 completed online 2 hours later: a transaction recorded by the visitor
SELECT offline_join.record_transaction('order-2', 'V2', 's-online', '{"channel": "search"}',
                                        '2026-03-01 13:00+00');
-- V11 recorded a transaction long after the grace period
SELECT offline_join.record_transaction('order-11', 'V11', 's-other', '{}', '2026-03-04 19:00+00');

-- offline: C1 bought in a store 5 hours later (customer match); C3 bought
-- 30 hours later (outside a 24-hour grace); lead-4 closed the deal of the
-- anonymous visitor V4 in a store (transaction match, same visitor); C5
-- only returned something (event type 8, not a purchase); C10 bought the
-- day before the session
SELECT offline_join.record_transaction('lead-4', 'V4', 's-visitor', '{"channel": "social"}',
                                        '2026-02-28 13:05+00', '90 days');  -- before the session: only the purchase counts
SELECT offline_join.create_source('rmc', 'rmc');
SELECT offline_join.create_source('adobe_tx', 'adobe');
SELECT pg_temp.raw(:'dir' || 'store.csv',
  'Time Stamp,Customer ID,Event Type,Category,Event Name,Num1,Num2,Var 1',
  '2026-03-01 15:00:00,C1,7,shoes,SKU-1,1,89.95,store-12',
  '2026-03-02 18:00:00,C3,7,bags,SKU-3,1,50.00,store-3',
  '2026-03-01 16:00:00,C5,8,returns,SKU-5,1,-20.00,store-5',
  '2026-02-28 18:00:00,C10,7,shoes,SKU-10,1,30.00,store-1',
  '2026-03-01 15:30:00,C99,7,shoes,SKU-1,1,89.95,store-12');
SELECT rows_loaded, rows_matched FROM offline_join.load('rmc', :'dir' || 'store.csv');
SELECT pg_temp.raw(:'dir' || 'leads.txt',
  E'Date\ttransactionID\tEvar 1\tMarketing Channel\tEvent 1\tOrders',
  E'03/01/2026/20/00/00\tlead-4\tclosed-won\tcall center\t1\t1');
SELECT rows_loaded, rows_matched FROM offline_join.load('adobe_tx', :'dir' || 'leads.txt');
UPDATE offline_join.events SET event_type = 7 WHERE transaction_id = 'lead-4';

-- attributed_events: each event with its session's columns; state is the
-- snapshot with the offline dimensions on top
SELECT event_id, customer_id, transaction_id, match, session_id, session_started_at,
       session_customer_id, state
  FROM offline_join.attributed_events ORDER BY event_id;
-- offline values win over online ones of the same key
INSERT INTO offline_join.sessions VALUES
  ('s-clash', 'V20', 'C20', '2026-03-01 08:00+00', '{"var1": "online", "channel": "email"}');
SELECT pg_temp.raw(:'dir' || 'clash.csv',
  'Time Stamp,Customer ID,Event Type,Category,Event Name,Num1,Num2,Var 1',
  '2026-03-01 09:00:00,C20,7,shoes,SKU-1,1,89.95,offline');
SELECT rows_matched FROM offline_join.load('rmc', :'dir' || 'clash.csv');
SELECT snapshot, dims, state FROM offline_join.attributed_events WHERE customer_id = 'C20';

-- abandoned carts: in are s-late (bought after the grace), s-return (only a
-- return), s-before (bought before the session), s-other (completed after
-- the grace); out are s-store (bought in a store), s-online (completed
-- online), s-visitor (the same visitor bought offline), the sessions
-- without a cart, and s-old (before since)
SELECT * FROM offline_join.abandoned_carts('2026-03-01', '24 hours');
-- a longer grace also leaves out s-late and s-other
SELECT session_id FROM offline_join.abandoned_carts('2026-03-01', '3 days 1 hour');
-- an earlier since brings s-old in
SELECT session_id FROM offline_join.abandoned_carts('2026-02-01', '24 hours');
-- boundaries: a purchase exactly at started_at + grace still counts
SELECT session_id FROM offline_join.abandoned_carts('2026-03-01', '5 hours') WHERE session_id = 's-store';
SELECT session_id FROM offline_join.abandoned_carts('2026-03-01', '4 hours 59 minutes') WHERE session_id = 's-store';
-- the defaults: the last 7 days and 24 hours
SELECT count(*) FROM offline_join.abandoned_carts();

-- fast for a time range and for one customer: the indexes are used.  A
-- time range reads the page ranges that events_brin_idx, a BRIN index,
-- names; shown on 100,000 events over 100 days, where it pays (on a table
-- of a few rows any index costs about the same)
BEGIN;
INSERT INTO offline_join.events (load_id, line_no, source, event_time, customer_id, match)
SELECT 1000000, i, 'rmc', timestamptz '2025-01-01' + i * interval '86 seconds', 'BULK-' || (i % 5000), 'unmatched'
  FROM generate_series(1, 100000) i;
ANALYZE offline_join.events;
EXPLAIN (COSTS OFF) SELECT count(*) FROM offline_join.attributed_events
 WHERE event_time >= '2025-02-01' AND event_time < '2025-02-02';
ROLLBACK;
ANALYZE offline_join.events;
SET enable_seqscan = off;
EXPLAIN (COSTS OFF) SELECT * FROM offline_join.attributed_events WHERE customer_id = 'C1';
RESET enable_seqscan;
