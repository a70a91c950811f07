-- Matching at load time (spec section 5): transaction ID within expires_at,
-- customer ID to the latest session within lookback, otherwise unmatched;
-- stored on the event; rematch() for late online data; attribute() for
-- ad-hoc rows gives the same answers.
SET client_min_messages = warning;
DROP EXTENSION IF EXISTS offline_join CASCADE;
CREATE EXTENSION offline_join;
SET timezone = 'UTC';
SELECT current_setting('data_directory') || '/oj_regress_match_' || pg_backend_pid() || '_'
       || extract(epoch FROM now())::bigint AS dir \gset
CREATE FUNCTION pg_temp.raw(path text, VARIADIC lines text[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN EXECUTE format($q$COPY (SELECT unnest(%L::text[])) TO %L (FORMAT csv, QUOTE E'\x01', DELIMITER E'\x02')$q$, lines, path); END $$;

-- online side
SELECT offline_join.record_transaction('T-OK', 'VIS-T', 'web-t', '{"channel": "email"}',
                                        '2026-03-01 00:00+00', '10 days');
SELECT offline_join.record_transaction('T-SHORT', 'VIS-S', 'web-s', '{"channel": "ads"}',
                                        '2026-03-01 00:00+00', '1 day');
INSERT INTO offline_join.sessions VALUES
  ('s-old',    'VIS-1', 'C1', '2026-02-01 10:00+00', '{"channel": "too old"}'),
  ('s-edge',   'VIS-1', 'C1', '2026-02-09 10:00+00', '{"channel": "exactly lookback"}'),
  ('s-latest', 'VIS-2', 'C1', '2026-03-10 09:59:59+00', '{"channel": "latest"}'),
  ('s-after',  'VIS-3', 'C1', '2026-03-10 10:00:01+00', '{"channel": "after the event"}'),
  ('s-same',   'VIS-4', 'C2', '2026-03-10 10:00+00', '{"channel": "same instant"}'),
  ('s-edge3',  'VIS-5', 'C3', '2026-02-08 10:00+00', '{"channel": "30 days before"}'),
  ('s-out4',   'VIS-6', 'C4', '2026-02-08 09:59:59+00', '{"channel": "a second too old"}');

SELECT offline_join.create_source('adobe_tx', 'adobe');
SELECT offline_join.create_source('rmc', 'rmc');
SELECT offline_join.create_source('rmc_7d', 'rmc', '{"lookback": "7 days"}');

-- transaction IDs: within expires_at (several rows share one ID and its
-- snapshot), exactly at expires_at, past it, unknown
SELECT pg_temp.raw(:'dir' || 'tx.txt',
  E'Date\ttransactionID\tEvar 1\tEvent 1',
  E'03/05/2026/10/00/00\tT-OK\tcall\t1',
  E'03/06/2026/10/00/00\tT-OK\tstore\t1',
  E'03/11/2026/00/00/00\tT-OK\tcall\t1',
  E'03/11/2026/00/00/01\tT-OK\tcall\t1',
  E'03/05/2026/10/00/00\tT-SHORT\tcall\t1',
  E'03/05/2026/10/00/00\tT-NONE\tcall\t1');
SELECT rows_loaded, rows_matched FROM offline_join.load('adobe_tx', :'dir' || 'tx.txt');
SELECT line_no, event_time, transaction_id, match, visitor_id, session_id, snapshot
  FROM offline_join.events WHERE source = 'adobe_tx' ORDER BY line_no;

-- customers: latest session in [event_time - lookback, event_time]
SELECT pg_temp.raw(:'dir' || 'cust.csv',
  'Time Stamp,Customer ID,Event Type,Category,Event Name,Num1,Num2',
  '2026-03-10 10:00:00,C1,7,,P,1,1',
  '2026-03-10 10:00:00,C2,7,,P,1,1',
  '2026-03-10 10:00:00,C3,7,,P,1,1',
  '2026-03-10 10:00:00,C4,7,,P,1,1',
  '2026-03-10 10:00:00,C5,7,,P,1,1',
  '2026-02-09 10:00:00,C1,7,,P,1,1',
  '2026-03-02 10:00:00,C1,7,,P,1,1');
SELECT rows_loaded, rows_matched FROM offline_join.load('rmc', :'dir' || 'cust.csv');
SELECT line_no, event_time, customer_id, match, visitor_id, session_id, snapshot->>'channel' AS channel
  FROM offline_join.events WHERE source = 'rmc' ORDER BY line_no;
-- a source's lookback applies
SELECT rows_matched FROM offline_join.load('rmc_7d', :'dir' || 'cust.csv');
SELECT line_no, customer_id, match, session_id
  FROM offline_join.events WHERE source = 'rmc_7d' ORDER BY line_no;

-- the match is stored: later changes online do not rewrite history
DELETE FROM offline_join.transactions WHERE transaction_id = 'T-OK';
SELECT count(*) FROM offline_join.events WHERE match = 'transaction';
-- a load whose lookups meet the dead index entry of that deleted row, row
-- after row (btree remembers dead entries across lookups: the matcher's
-- scans must not keep that in the per-row memory the loader resets)
SELECT pg_temp.raw(:'dir' || 'dead.txt', E'Date\ttransactionID\tEvar 1\tEvent 1',
                   E'03/05/2026/10/00/00\tT-OK\tcall\t1', E'03/05/2026/11/00/00\tT-OK\tcall\t1',
                   E'03/05/2026/12/00/00\tT-OK\tcall\t1', E'03/05/2026/13/00/00\tT-OK\tcall\t1');
SELECT status, rows_loaded, rows_matched FROM offline_join.load('adobe_tx', :'dir' || 'dead.txt');

-- rematch(): late online data
SELECT offline_join.record_transaction('T-NONE', 'VIS-N', 'web-n', '{"channel": "late"}',
                                        '2026-03-04 00:00+00');
INSERT INTO offline_join.sessions VALUES
  ('s-late', 'VIS-9', 'C5', '2026-03-09 00:00+00', '{"channel": "late session"}');
SELECT load_id AS rmc_load FROM offline_join.loads WHERE source = 'rmc' \gset
SELECT offline_join.rematch(:rmc_load) AS matched_in_rmc_load;
SELECT offline_join.rematch() AS matched_elsewhere;
SELECT offline_join.rematch() AS nothing_left;
SELECT source, line_no, match, session_id, snapshot->>'channel' AS channel
  FROM offline_join.events
 WHERE (source = 'rmc' AND customer_id = 'C5') OR transaction_id = 'T-NONE'
 ORDER BY source, line_no;
SELECT source, count(*) FILTER (WHERE match = 'unmatched') AS unmatched
  FROM offline_join.events GROUP BY source ORDER BY source;
-- rematch() writes new versions and their index entries itself: every index
-- of events holds exactly the live rows (amcheck reads the heap against each
-- btree index; each BRIN index finds every value of its column)
CREATE EXTENSION amcheck;
\getenv abs_srcdir PG_ABS_SRCDIR
\set checks :abs_srcdir '/sql/include/index_checks.sql'
\set ECHO none
\i :checks
\set ECHO all
SELECT c.relname, a.amname,
       CASE a.amname WHEN 'btree' THEN bt_index_check(c.oid, heapallindexed => true)::text = ''
                     WHEN 'brin' THEN pg_temp.brin_checked(c.oid) END AS checked
  FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am a ON a.oid = c.relam
 WHERE i.indrelid = 'offline_join.events'::regclass ORDER BY c.relname;
SET enable_seqscan = off;
SELECT count(*) AS unmatched_by_index FROM offline_join.events WHERE match = 'unmatched';
SELECT count(*) AS customer_c5_by_index FROM offline_join.events WHERE customer_id = 'C5';
-- rematch()'s read, one query per load: the ranges of the load that held
-- unmatched events, both keys in one scan of the BRIN index
EXPLAIN (COSTS OFF) SELECT ctid FROM offline_join.events
 WHERE match = 'unmatched' AND load_id = 2;
RESET enable_seqscan;
DROP EXTENSION amcheck;
-- an update trigger or row-level security: rematch() runs one UPDATE statement
-- that honours them instead (sql/table_semantics.sql shows the effects)
CREATE FUNCTION pg_temp.touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
CREATE TRIGGER audit BEFORE UPDATE ON offline_join.events FOR EACH ROW EXECUTE FUNCTION pg_temp.touch();
SELECT offline_join.rematch();
ALTER TABLE offline_join.events DISABLE TRIGGER audit;
SELECT offline_join.rematch() AS with_trigger_disabled;
DROP TRIGGER audit ON offline_join.events;
-- privileges: SELECT and UPDATE on events, as the UPDATE it replaces
CREATE ROLE oj_rls_analyst;
GRANT USAGE ON SCHEMA offline_join TO oj_rls_analyst;
GRANT SELECT ON offline_join.events, offline_join.sessions, offline_join.transactions,
      offline_join.sources TO oj_rls_analyst;
SET ROLE oj_rls_analyst;
SELECT offline_join.rematch();
RESET ROLE;
GRANT UPDATE ON offline_join.events TO oj_rls_analyst;
ALTER TABLE offline_join.events ENABLE ROW LEVEL SECURITY;
SET ROLE oj_rls_analyst;
SELECT offline_join.rematch();
RESET ROLE;
ALTER TABLE offline_join.events DISABLE ROW LEVEL SECURITY;
SET ROLE oj_rls_analyst;
SELECT offline_join.rematch() AS nothing_left_for_analyst;
RESET ROLE;
REVOKE ALL ON offline_join.events, offline_join.sessions, offline_join.transactions,
      offline_join.sources FROM oj_rls_analyst;
REVOKE USAGE ON SCHEMA offline_join FROM oj_rls_analyst;
DROP ROLE oj_rls_analyst;

-- attribute(): the same rule for ad-hoc rows, one row per call
SELECT a.* FROM offline_join.attribute('2026-03-10 10:00+00', 'C1', NULL) a;
SELECT a.* FROM offline_join.attribute('2026-03-10 10:00+00', 'C1', NULL, '1 second') a;
SELECT a.* FROM offline_join.attribute('2026-03-05 10:00+00', 'C1', 'T-SHORT') a;
SELECT a.* FROM offline_join.attribute('2026-03-01 10:00+00', NULL, 'T-SHORT') a;
SELECT a.* FROM offline_join.attribute(NULL, 'C1', NULL) a;
SELECT a.* FROM offline_join.attribute('2026-03-10 10:00+00', 'C1', NULL, NULL) a;
-- lookback: 0 to 2 years (longer ones overflowed timestamptz: 22008, no hint)
SELECT a.* FROM offline_join.attribute('2026-03-10 10:00+00', 'C1', NULL, '10000 years') a;
SELECT a.* FROM offline_join.attribute('2026-03-10 10:00+00', 'C1', NULL, '-1 day') a;
SELECT a.* FROM offline_join.attribute('2026-03-10 10:00+00', 'C1', NULL, '2 years') a;
-- near the start of timestamptz's range the window starts at its start
SELECT a.* FROM offline_join.attribute('4713-01-02 00:00+00 BC', 'C1', NULL, '2 years') a;
-- every stored match agrees with attribute() for its event
SELECT count(*) AS disagreements
  FROM offline_join.events e
  JOIN offline_join.sources s ON s.name = e.source
 CROSS JOIN LATERAL offline_join.attribute(e.event_time, e.customer_id, e.transaction_id,
                                           COALESCE((s.options->>'lookback')::interval, '30 days')) a
 WHERE e.source <> 'adobe_tx'
   AND (a.match, a.session_id) IS DISTINCT FROM (e.match, e.session_id);

-- Sessions of one customer that started at the same instant: the greatest
-- session_id in byte order wins (0.1.4; the same rule on the Citus layout),
-- whatever order they were inserted in (the index holds them in that order)
INSERT INTO offline_join.sessions VALUES
  ('tie-b', 'VIS-T1', 'C-TIE', '2026-03-09 10:00+00', '{"channel": "b"}'),
  ('tie-c', 'VIS-T2', 'C-TIE', '2026-03-09 10:00+00', '{"channel": "c"}'),
  ('tie-Z', 'VIS-T3', 'C-TIE', '2026-03-09 10:00+00', '{"channel": "Z"}'),
  ('tie-a', 'VIS-T4', 'C-TIE', '2026-03-09 10:00+00', '{"channel": "a"}');
SELECT match, session_id, visitor_id FROM offline_join.attribute('2026-03-10 10:00+00', 'C-TIE', NULL);
SELECT pg_temp.raw(:'dir' || 'tie.csv',
  'Time Stamp,Customer ID,Event Type,Category,Event Name,Num1,Num2',
  '2026-03-10 10:00:00,C-TIE,7,,P,1,1');
SELECT rows_matched FROM offline_join.load('rmc', :'dir' || 'tie.csv');
SELECT session_id FROM offline_join.events WHERE customer_id = 'C-TIE';
-- A deleted session in a tie: equal keys lie in the index in the order of
-- their rows, and the walk goes backwards: tie2-a first, then tie2-z,
-- deleted (its entry still there, its row not visible: passed over, though
-- it would win the tie), then tie2-b, which wins; tie2-old ends the walk
INSERT INTO offline_join.sessions VALUES
  ('tie2-old', 'VIS-T7', 'C-TIE2', '2026-03-09 09:00+00', '{}'),
  ('tie2-b', 'VIS-T5', 'C-TIE2', '2026-03-09 10:00+00', '{}'),
  ('tie2-z', 'VIS-T6', 'C-TIE2', '2026-03-09 10:00+00', '{}'),
  ('tie2-a', 'VIS-T8', 'C-TIE2', '2026-03-09 10:00+00', '{}');
DELETE FROM offline_join.sessions WHERE session_id = 'tie2-z';
SELECT match, session_id, visitor_id FROM offline_join.attribute('2026-03-10 10:00+00', 'C-TIE2', NULL);
SELECT match, session_id FROM offline_join.attribute('2026-03-09 09:30+00', 'C-TIE2', NULL);
