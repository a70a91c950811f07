-- Row-level security on every read path (issue #31).  A site that separates
-- its stores: a policy on events lets an analyst see one source, a policy
-- on sessions some customers' sessions.  Each read path either shows only
-- what the role may see, or refuses naming the table; nothing shows a
-- hidden row, or a hidden session's state through a visible event.
--   1. every view of the extension is security_invoker;
--   2. the matrix: each read path as each role of the README;
--   3. what each path shows a role that policies filter;
--   4. offline_join.progress to each role, while a load runs.
SET client_min_messages = warning;
DROP EXTENSION IF EXISTS offline_join CASCADE;
DO $$
DECLARE r text;
BEGIN
  FOREACH r IN ARRAY ARRAY['regress_rls_none', 'regress_rls_pipeline', 'regress_rls_loader',
                           'regress_rls_analyst_a', 'regress_rls_analyst_all', 'regress_rls_bypass'] LOOP
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = r) THEN
      EXECUTE format('DROP OWNED BY %I CASCADE', r);
      EXECUTE format('DROP ROLE %I', r);
    END IF;
  END LOOP;
END $$;
CREATE EXTENSION offline_join;
SET timezone = 'UTC';
\getenv abs_srcdir PG_ABS_SRCDIR
\set sample :abs_srcdir '/test/data/rmc_sample.csv'

-- 1. Every view of the extension reads with its caller's rights.
SELECT c.oid::regclass AS view, c.reloptions
  FROM pg_class c JOIN pg_depend d ON d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e'
 WHERE c.relkind = 'v' AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'offline_join')
 ORDER BY 1;

-- Two stores' files, two customers' sessions, one cart each.
SELECT offline_join.create_source('a', 'rmc');
SELECT offline_join.create_source('b', 'rmc');
SELECT offline_join.create_inbox('a') IS NOT NULL AND offline_join.create_inbox('b') IS NOT NULL AS inboxes;
INSERT INTO offline_join.sessions VALUES
  ('s1', 'V1', 'C1', '2026-03-01 10:00+00', '{"channel": "email", "cart": ["SKU-1"]}'),
  ('s2', 'V2', 'C2', '2026-03-01 10:00+00', '{"channel": "secret-campaign", "cart": ["SKU-2"]}'),
  ('s3', 'V3', 'C3', '2026-03-01 10:00+00', '{"channel": "email", "cart": ["SKU-3"]}');
SELECT offline_join.record_transaction('T1', 'V1', 's1', '{"channel": "email"}', '2026-03-01 10:05+00');
SELECT offline_join.record_transaction('T2', 'V2', 's2', '{"channel": "secret-campaign"}', '2026-03-01 10:05+00');
COPY offline_join.inbox_a (time_stamp, customer_id, event_type, category, event_name, num1, num2, var_1) FROM stdin (FORMAT csv);
2026-03-01 12:00:00,C1,7,shoes,SKU-1,1,10,store-a
2026-03-01 12:00:00,C2,7,shoes,SKU-2,1,20,store-a
2026-03-01 12:00:00,,7,shoes,SKU-2,1,20,store-a
\.
COPY offline_join.inbox_b (time_stamp, customer_id, event_type, category, event_name, num1, num2, var_1) FROM stdin (FORMAT csv);
2026-03-01 12:00:00,C1,7,shoes,SKU-1,1,10,store-b
2026-03-01 12:00:00,C2,7,shoes,SKU-2,1,20,store-b
\.
SELECT source, customer_id, match, session_id FROM offline_join.events ORDER BY source, customer_id;

-- The roles of the README's Security section, and two analysts that
-- policies filter differently, and one that bypasses them.
CREATE ROLE regress_rls_none;
CREATE ROLE regress_rls_pipeline;
CREATE ROLE regress_rls_loader IN ROLE pg_read_server_files;
CREATE ROLE regress_rls_analyst_a;
CREATE ROLE regress_rls_analyst_all;
CREATE ROLE regress_rls_bypass BYPASSRLS;
GRANT USAGE ON SCHEMA offline_join TO regress_rls_pipeline, regress_rls_loader, regress_rls_analyst_a,
      regress_rls_analyst_all, regress_rls_bypass;
GRANT INSERT ON offline_join.inbox_a TO regress_rls_pipeline;
GRANT SELECT ON offline_join.events, offline_join.sessions, offline_join.transactions,
                offline_join.attributed_events, offline_join.sources
   TO regress_rls_analyst_a, regress_rls_analyst_all, regress_rls_bypass;
CREATE SERVER offline_files FOREIGN DATA WRAPPER offline_join_fdw;
CREATE FOREIGN TABLE public.rls_file (event_time timestamptz, customer_id text)
  SERVER offline_files OPTIONS (source 'a', filename :'sample', on_error 'skip');
GRANT SELECT ON public.rls_file TO regress_rls_analyst_a, regress_rls_analyst_all, regress_rls_bypass;
GRANT USAGE ON FOREIGN SERVER offline_files TO regress_rls_analyst_a, regress_rls_analyst_all, regress_rls_bypass;

-- The site's policies: analyst_a sees store a and the sessions of C1 and C3;
-- analyst_all sees every row, through policies all the same; C3 has a
-- cart and bought nothing.
ALTER TABLE offline_join.events ENABLE ROW LEVEL SECURITY;
ALTER TABLE offline_join.sessions ENABLE ROW LEVEL SECURITY;
CREATE POLICY only_a ON offline_join.events TO regress_rls_analyst_a USING (source = 'a');
CREATE POLICY only_c1 ON offline_join.sessions TO regress_rls_analyst_a USING (customer_id IN ('C1', 'C3'));
CREATE POLICY all_events ON offline_join.events TO regress_rls_analyst_all USING (true);
CREATE POLICY all_sessions ON offline_join.sessions TO regress_rls_analyst_all USING (true);

-- 2. The matrix: each read path as each role; a short summary of what it
-- returned, or the SQLSTATE and message it refused with.
CREATE FUNCTION pg_temp.try(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE r text;
BEGIN
  EXECUTE q INTO r;
  RETURN coalesce(r, '-');
EXCEPTION WHEN others THEN
  RETURN SQLSTATE || ': ' || SQLERRM;
END $$;
CREATE TEMP TABLE path (n int, name text, q text);
INSERT INTO path VALUES
 (1, 'events',
     $q$SELECT count(*) || ' rows, sources ' || string_agg(DISTINCT source, ',') FROM offline_join.events$q$),
 (2, 'attributed_events',
     $q$SELECT count(*) || ' rows, sources ' || string_agg(DISTINCT source, ',')
               || ', states ' || string_agg(DISTINCT coalesce(state->>'channel', '-'), ',')
          FROM offline_join.attributed_events$q$),
 (3, 'abandoned_carts()',
     $q$SELECT count(*) || ' carts: ' || coalesce(string_agg(session_id, ',' ORDER BY session_id), '')
          FROM offline_join.abandoned_carts('2026-01-01', '1 day')$q$),
 (4, 'attribute()',
     $q$SELECT match || ' ' || coalesce(session_id, '-')
          FROM offline_join.attribute('2026-03-01 12:00+00', 'C2', NULL)$q$),
 (5, 'attribute() by transaction',
     $q$SELECT match || ' ' || coalesce(session_id, '-')
          FROM offline_join.attribute('2026-03-01 12:00+00', NULL, 'T2')$q$),
 (6, 'FDW with LATERAL attribute()',
     $q$SELECT count(*) || ' rows, ' || count(*) FILTER (WHERE a.match = 'customer') || ' matched'
          FROM public.rls_file f, LATERAL offline_join.attribute(f.event_time, f.customer_id, NULL) a$q$),
 (7, 'my_rejects',
     $q$SELECT count(*) || ' rejects' FROM offline_join.my_rejects$q$),
 (8, 'sessions',
     $q$SELECT count(*) || ' sessions: ' || string_agg(session_id, ',' ORDER BY session_id) FROM offline_join.sessions$q$);
CREATE TEMP TABLE who (r text);
INSERT INTO who VALUES ('postgres'), ('regress_rls_none'), ('regress_rls_pipeline'), ('regress_rls_loader'),
  ('regress_rls_analyst_a'), ('regress_rls_analyst_all'), ('regress_rls_bypass');
GRANT SELECT ON path, who TO PUBLIC;
CREATE TEMP TABLE result (n int, name text, role text, answer text);
DO $$
DECLARE p record; w record; a text;
BEGIN
  FOR p IN SELECT * FROM path ORDER BY n LOOP
    FOR w IN SELECT * FROM who LOOP
      EXECUTE format('SET ROLE %I', w.r);
      a := pg_temp.try(p.q);
      RESET ROLE;
      INSERT INTO result VALUES (p.n, p.name, w.r, a);
    END LOOP;
  END LOOP;
END $$;
SELECT name, replace(role, 'regress_rls_', '') AS role, answer FROM result ORDER BY n, role;

-- 3. Through a visible event, nothing of a hidden session: analyst_a sees
-- store a's purchase by C2, but not the session it matched, its visitor or
-- its state (the event's own dims only).
SET ROLE regress_rls_analyst_a;
SELECT source, customer_id, match, visitor_id, session_id, snapshot, session_attrs, state
  FROM offline_join.attributed_events ORDER BY customer_id NULLS LAST;
RESET ROLE;
-- the same rows, as a role that may see every session
SET ROLE regress_rls_analyst_all;
SELECT source, customer_id, match, visitor_id, session_id, snapshot ->> 'channel' AS channel
  FROM offline_join.attributed_events WHERE source = 'a' ORDER BY customer_id NULLS LAST;
RESET ROLE;
-- the README's worked example (revenue by the channel that brought the
-- visitor), as analyst_a: store a's revenue only, and C2's purchase counted
-- with no channel, since C2's session is hidden
SET ROLE regress_rls_analyst_a;
SELECT coalesce(state->>'channel', '(no visible session)') AS channel, match, count(*) AS events, sum(num2) AS revenue
  FROM offline_join.attributed_events
 WHERE event_time >= '2026-03-01' AND event_time < '2026-04-01' AND event_type = 7
 GROUP BY 1, 2 ORDER BY revenue DESC NULLS LAST, 1;
RESET ROLE;
-- a site that keeps sessions' state from analysts on the table itself:
-- column grants (the view then refuses, naming the table) ...
REVOKE SELECT ON offline_join.events FROM regress_rls_analyst_a;
GRANT SELECT (event_id, load_id, line_no, source, event_time, customer_id, transaction_id, event_type,
              category, product, num1, num2, dims, attrs, match) ON offline_join.events TO regress_rls_analyst_a;
SET ROLE regress_rls_analyst_a;
SELECT pg_temp.try($q$SELECT count(*)::text FROM offline_join.attributed_events$q$) AS view_without_snapshot_column;
SELECT count(*) AS events_by_columns FROM (SELECT event_id, source, match FROM offline_join.events) e;
RESET ROLE;
GRANT SELECT ON offline_join.events TO regress_rls_analyst_a;
-- ... or a policy on events that hides an event whose session is hidden
DROP POLICY only_a ON offline_join.events;
CREATE POLICY only_a ON offline_join.events TO regress_rls_analyst_a
  USING (source = 'a' AND (session_id IS NULL
                           OR EXISTS (SELECT FROM offline_join.sessions s WHERE s.session_id = events.session_id)));
SET ROLE regress_rls_analyst_a;
SELECT source, customer_id, session_id, snapshot ->> 'channel' AS channel
  FROM offline_join.events ORDER BY customer_id NULLS LAST;
RESET ROLE;

-- my_rejects() reads with its owner's rights: with policies on the rejects
-- that apply to the caller, it refuses, naming the table
ALTER TABLE offline_join.rejects ENABLE ROW LEVEL SECURITY;
SET ROLE regress_rls_pipeline;
SELECT pg_temp.try($q$SELECT count(*)::text FROM offline_join.my_rejects$q$) AS my_rejects_under_rls;
RESET ROLE;
SELECT count(*) AS superuser_my_rejects FROM offline_join.my_rejects;
ALTER TABLE offline_join.rejects DISABLE ROW LEVEL SECURITY;

-- progress: every load to a role that may read the whole ledger; a role
-- whose reads of the ledger policies filter (or without SELECT on it) sees
-- only its own loads.  Each role looks while the superuser's load writes
-- its events (a statement trigger on them), with policies on the ledger and
-- without.
GRANT SELECT ON offline_join.loads TO regress_rls_analyst_a, regress_rls_analyst_all, regress_rls_bypass;
ALTER TABLE offline_join.loads ENABLE ROW LEVEL SECURITY;
CREATE POLICY own_loads ON offline_join.loads TO regress_rls_analyst_a USING (loaded_by = current_user);
CREATE TABLE public.rls_progress_seen (ledger_rls boolean, role text, answer text);
CREATE FUNCTION public.rls_progress_snap() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE w record; a text;
BEGIN
  FOR w IN SELECT * FROM who LOOP
    PERFORM set_config('role', w.r, true);
    a := pg_temp.try($q$SELECT count(*) || ' loads' || coalesce(', source ' || string_agg(source, ','), '')
                         FROM offline_join.progress$q$);
    PERFORM set_config('role', 'none', true);
    INSERT INTO public.rls_progress_seen
      SELECT relrowsecurity, w.r, a FROM pg_class WHERE oid = 'offline_join.loads'::regclass;
  END LOOP;
  RETURN NULL;
END $$;
CREATE TRIGGER rls_progress_snap AFTER INSERT ON offline_join.events
  FOR EACH STATEMENT EXECUTE FUNCTION public.rls_progress_snap();
SELECT status FROM offline_join.load('a', :'sample');
ALTER TABLE offline_join.loads DISABLE ROW LEVEL SECURITY;
SELECT status FROM offline_join.load('a', :'sample', force => true);
SELECT ledger_rls, replace(role, 'regress_rls_', '') AS role, answer
  FROM public.rls_progress_seen ORDER BY 1 DESC, 2;
DROP TRIGGER rls_progress_snap ON offline_join.events;
DROP FUNCTION public.rls_progress_snap();
DROP TABLE public.rls_progress_seen;

-- clean up
DROP FOREIGN TABLE public.rls_file;
DROP SERVER offline_files;
DROP EXTENSION offline_join CASCADE;
DO $$
DECLARE r text;
BEGIN
  FOREACH r IN ARRAY ARRAY['regress_rls_none', 'regress_rls_pipeline', 'regress_rls_loader',
                           'regress_rls_analyst_a', 'regress_rls_analyst_all', 'regress_rls_bypass'] LOOP
    EXECUTE format('DROP OWNED BY %I CASCADE', r);
    EXECUTE format('DROP ROLE %I', r);
  END LOOP;
END $$;
