-- Online side (spec section 1): sessions, transactions, record_transaction().
SET client_min_messages = warning;
DROP EXTENSION IF EXISTS offline_join CASCADE;
CREATE EXTENSION offline_join;
RESET client_min_messages;
-- err(sql): 'ok', or the SQLSTATE and message of the error it raises
CREATE FUNCTION pg_temp.err(q text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN EXECUTE q; RETURN 'ok';
EXCEPTION WHEN others THEN RETURN SQLSTATE || ': ' || SQLERRM; END $$;

SHOW offline_join.transaction_window;

-- first online hit wins while unexpired
SELECT offline_join.record_transaction('lead-1', 'v1', 's1', '{"channel":"email"}',
                                        '2026-03-01 10:00+00');
SELECT offline_join.record_transaction('lead-1', 'v2', 's2', '{"channel":"search"}',
                                        '2026-03-02 10:00+00');
SELECT transaction_id, visitor_id, session_id, recorded_at, expires_at, snapshot
  FROM offline_join.transactions;
-- exactly at expires_at the row is still unexpired
SELECT offline_join.record_transaction('lead-1', 'v3', NULL, '{}', '2026-05-30 10:00+00');
-- past it, an expired row (not yet purged) is replaced
SELECT offline_join.record_transaction('lead-1', 'v4', 's4', '{"channel":"store"}',
                                        '2026-05-30 10:00:01+00');
SELECT transaction_id, visitor_id, session_id, recorded_at, expires_at, snapshot
  FROM offline_join.transactions;

-- retention: explicit, default from the GUC, bounds
SELECT offline_join.record_transaction('lead-2', 'v1', retention => '2 years',
                                        recorded_at => '2026-01-01 00:00+00');
SET offline_join.transaction_window = '10 days';
SELECT offline_join.record_transaction('lead-3', 'v1', recorded_at => '2026-01-01 00:00+00');
RESET offline_join.transaction_window;
SELECT transaction_id, expires_at - recorded_at AS kept
  FROM offline_join.transactions WHERE transaction_id IN ('lead-2', 'lead-3') ORDER BY 1;
SELECT pg_temp.err($$SELECT offline_join.record_transaction('x', 'v', retention => '2 years 1 day')$$);
SELECT pg_temp.err($$SELECT offline_join.record_transaction('x', 'v', retention => '0')$$);
SELECT pg_temp.err($$SELECT offline_join.record_transaction('x', 'v', retention => '-1 day')$$);
SELECT pg_temp.err($$SELECT offline_join.record_transaction('x', 'v', retention => '1 mon -40 days')$$);

-- the GUC has the same bounds, checked when set
SELECT pg_temp.err($$SET offline_join.transaction_window = '3 years'$$);
SELECT pg_temp.err($$SET offline_join.transaction_window = '0 days'$$);
SELECT pg_temp.err($$SET offline_join.transaction_window = 'soon'$$);
SELECT pg_temp.err($$SET offline_join.transaction_window = 'P1M'$$);
SHOW offline_join.transaction_window;
RESET offline_join.transaction_window;
SELECT pg_temp.err($$SET offline_join.no_such_setting = 1$$);

-- transaction IDs: 1 to 100 bytes; visitor required
SELECT pg_temp.err($$SELECT offline_join.record_transaction('', 'v')$$);
SELECT pg_temp.err($$SELECT offline_join.record_transaction(repeat('x', 101), 'v')$$);
SELECT pg_temp.err($$SELECT offline_join.record_transaction(repeat('é', 51), 'v')$$);
SELECT offline_join.record_transaction(repeat('x', 100), 'v');
SELECT pg_temp.err($$SELECT offline_join.record_transaction(NULL, 'v')$$);
SELECT pg_temp.err($$SELECT offline_join.record_transaction('x', NULL)$$);
SELECT pg_temp.err($$SELECT offline_join.record_transaction('x', '')$$);
SELECT pg_temp.err($$SELECT offline_join.record_transaction('x', 'v', snapshot => '[1]')$$);
SELECT pg_temp.err($$SELECT offline_join.record_transaction('x', 'v', recorded_at => NULL)$$);
SELECT pg_temp.err($$SELECT offline_join.record_transaction('x', 'v', recorded_at => 'infinity')$$);
SELECT count(*) FROM offline_join.transactions WHERE transaction_id = 'x';

-- plain INSERT and COPY without expires_at fill it from the window
INSERT INTO offline_join.transactions (transaction_id, visitor_id, recorded_at)
VALUES ('bulk-1', 'v9', '2026-02-01 00:00+00');
SET offline_join.transaction_window = '7 days';
COPY offline_join.transactions (transaction_id, visitor_id, session_id, recorded_at, snapshot) FROM stdin;
bulk-2	v9	s9	2026-02-01 00:00:00+00	{"cart": ["SKU-1"]}
bulk-3	v9	\N	2026-02-02 00:00:00+00	{}
\.
RESET offline_join.transaction_window;
SELECT transaction_id, expires_at - recorded_at AS kept, snapshot
  FROM offline_join.transactions WHERE transaction_id LIKE 'bulk-%' ORDER BY 1;
-- an explicit expires_at is kept, within the 2-year ceiling
INSERT INTO offline_join.transactions (transaction_id, visitor_id, recorded_at, expires_at)
VALUES ('bulk-4', 'v9', '2026-02-01 00:00+00', '2026-02-03 00:00+00');
SELECT expires_at FROM offline_join.transactions WHERE transaction_id = 'bulk-4';
SELECT pg_temp.err($$INSERT INTO offline_join.transactions (transaction_id, visitor_id, recorded_at, expires_at)
                     VALUES ('bulk-5', 'v9', '2026-02-01 00:00+00', '2028-02-02 00:00+00')$$);
SELECT pg_temp.err($$INSERT INTO offline_join.transactions (transaction_id, visitor_id, recorded_at, expires_at)
                     VALUES ('bulk-6', 'v9', '2026-02-01 00:00+00', '2026-01-01 00:00+00')$$);
SELECT pg_temp.err($$INSERT INTO offline_join.transactions (transaction_id, visitor_id) VALUES ('', 'v9')$$);

-- sessions: the online visits
INSERT INTO offline_join.sessions (session_id, visitor_id, customer_id, started_at, attrs)
VALUES ('s1', 'v1', 'CUST-1', '2026-03-01 09:55+00', '{"channel":"email","cart":["SKU-1"]}');
SELECT session_id, visitor_id, customer_id, attrs FROM offline_join.sessions;
SELECT pg_temp.err($$INSERT INTO offline_join.sessions (session_id, started_at) VALUES ('s2', now())$$);

-- the indexes the expiry worker and the joins use
SELECT indexrelid::regclass FROM pg_index
 WHERE indrelid IN ('offline_join.transactions'::regclass, 'offline_join.sessions'::regclass)
 ORDER BY indexrelid::regclass::text;

-- 0.1.5: one rule for "positive, at most 2 years" (issue #25).  0.1.4
-- compared with interval_cmp (a month is 30 days) and added with calendar
-- arithmetic, so mixed signs slipped past it.
SELECT pg_temp.err($$SET offline_join.transaction_window = '1000 months -29290 days'$$);
SELECT pg_temp.err($$SET offline_join.transaction_window = '-1000 months 30030 days'$$);
SELECT pg_temp.err($$SELECT offline_join.record_transaction('mix-1', 'v', retention => '1000 months -29290 days')$$);
SELECT pg_temp.err($$SELECT offline_join.create_source('mix', 'rmc', '{"lookback": "1000 months -29290 days"}')$$);
SELECT pg_temp.err($$SELECT offline_join.create_source('mix', 'rmc', '{"lookback": "-1000 months 30030 days"}')$$);
SELECT pg_temp.err($$SELECT * FROM offline_join.attribute(now(), 'C1', NULL, '1000 months -29290 days')$$);
-- at most 2 years from any date: 730 days always fit, 731 do not
SET offline_join.transaction_window = '730 days';
SELECT pg_temp.err($$SET offline_join.transaction_window = '731 days'$$);
SELECT pg_temp.err($$SET offline_join.transaction_window = '23 months 31 days'$$);
-- a part too large to add up (the review: 2562047770 hours wrapped the sum)
SELECT pg_temp.err($$SET offline_join.transaction_window = '2562047770 hours'$$);
SELECT pg_temp.err($$SELECT offline_join.create_source('huge', 'rmc', '{"lookback": "2562047770 hours"}')$$);
SELECT pg_temp.err($$SELECT * FROM offline_join.attribute(now(), 'C1', NULL, '2562047770 hours')$$);
SET offline_join.transaction_window = '2 years';
SET offline_join.transaction_window = '1 year 11 months 28 days';
RESET offline_join.transaction_window;
-- an UPDATE may not keep an ID longer than an INSERT may
INSERT INTO offline_join.transactions (transaction_id, visitor_id, recorded_at)
VALUES ('upd-1', 'v', now() - interval '1 day');
SELECT pg_temp.err($$UPDATE offline_join.transactions SET expires_at = recorded_at + interval '10 years'
                      WHERE transaction_id = 'upd-1'$$);
SELECT pg_temp.err($$UPDATE offline_join.transactions SET recorded_at = recorded_at - interval '3 years'
                      WHERE transaction_id = 'upd-1'$$);
SELECT pg_temp.err($$UPDATE offline_join.transactions SET expires_at = recorded_at + interval '2 years'
                      WHERE transaction_id = 'upd-1'$$);
-- a hit dated ahead takes over no unexpired ID, and none is kept for decades
SELECT offline_join.record_transaction('lead_1', 'VIS-first');
SELECT pg_temp.err($$SELECT offline_join.record_transaction('lead_1', 'VIS-other', NULL, '{}', now() + interval '91 days')$$);
SELECT pg_temp.err($$SELECT offline_join.record_transaction('lead_2100', 'VIS-x', recorded_at => '2100-01-01')$$);
SELECT pg_temp.err($$INSERT INTO offline_join.transactions (transaction_id, visitor_id, recorded_at)
                     VALUES ('bulk-2100', 'v', '2100-01-01')$$);
SELECT offline_join.record_transaction('lead_1', 'VIS-other', NULL, '{}', now() + interval '30 minutes') AS took_over;
SELECT visitor_id FROM offline_join.transactions WHERE transaction_id = 'lead_1';

-- the same instants in every session: a window is added in UTC's calendar,
-- and the CHECK that a restore runs gives the same answer under any
-- TimeZone (0.1.4: a UTC restore lost every row recorded in New York)
SET TimeZone = 'America/New_York';
SELECT offline_join.record_transaction('ny-1', 'VIS-9', NULL, '{}', '2026-03-10 12:00-04', '2 years');
SELECT offline_join.record_transaction('ny-2', 'VIS-9', NULL, '{}', '2026-03-10 12:00-04', '90 days');
SET TimeZone = 'UTC';
SELECT transaction_id, recorded_at, expires_at FROM offline_join.transactions
 WHERE transaction_id LIKE 'ny-%' ORDER BY 1;
CREATE TEMP TABLE ny AS SELECT * FROM offline_join.transactions WHERE transaction_id LIKE 'ny-%';
DELETE FROM offline_join.transactions WHERE transaction_id LIKE 'ny-%';
INSERT INTO offline_join.transactions SELECT * FROM ny;
-- what 0.1.4 stored for ny-1 (New York's calendar: an hour past UTC's) restores too
UPDATE offline_join.transactions SET expires_at = '2028-03-10 12:00-05' WHERE transaction_id = 'ny-1';
SELECT count(*) AS restored FROM offline_join.transactions WHERE transaction_id LIKE 'ny-%';
-- the CHECK's answer in another session: 2 years in UTC's calendar and 3
-- hours (for local calendars) pass, a second more does not
SET TimeZone = 'Asia/Kolkata';
INSERT INTO offline_join.transactions (transaction_id, visitor_id, recorded_at, expires_at)
VALUES ('kol-1', 'v', '2026-03-10 16:00+00', '2028-03-10 19:00+00');
SELECT pg_temp.err($$INSERT INTO offline_join.transactions (transaction_id, visitor_id, recorded_at, expires_at)
                     VALUES ('kol-2', 'v', '2026-03-10 16:00+00', '2028-03-10 19:00:01+00')$$);
RESET TimeZone;
SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = 'transactions_expires_within_2_years';
-- a stored lookback reads the same under any IntervalStyle
SET IntervalStyle = 'sql_standard';
SELECT offline_join.source_is_valid('style', 'rmc', '{"lookback": "1 2:00:00"}') AS sql_standard;
RESET IntervalStyle;
DELETE FROM offline_join.transactions WHERE transaction_id IN ('upd-1', 'lead_1', 'ny-1', 'ny-2', 'kol-1');
