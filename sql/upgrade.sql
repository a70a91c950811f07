-- Upgrades: the chain from the first release (0.1.0) through every
-- ALTER EXTENSION ... UPDATE to the default version, on a database holding
-- data, gives exactly what a fresh CREATE EXTENSION gives, and the data and
-- the current library keep working on the old schema and after the update.
SET client_min_messages = warning;
DROP EXTENSION IF EXISTS offline_join CASCADE;
\getenv abs_srcdir PG_ABS_SRCDIR
\set data :abs_srcdir '/test/data'
SET timezone = 'UTC';

-- every member of the extension with its full definition: columns, defaults,
-- constraints, indexes, triggers, view and function text, privileges,
-- options and comments; and what pg_dump keeps
CREATE FUNCTION pg_temp.ext_members() RETURNS TABLE (object text, definition text)
LANGUAGE sql AS $$
  SELECT pg_describe_object(d.classid, d.objid, 0),
         CASE d.classid
           WHEN 'pg_proc'::regclass THEN
             (SELECT pg_get_functiondef(p.oid) || ' acl ' || coalesce(p.proacl::text, '-')
                     || ' comment ' || coalesce(obj_description(p.oid, 'pg_proc'), '-')
                FROM pg_proc p WHERE p.oid = d.objid)
           WHEN 'pg_class'::regclass THEN
             (SELECT c.relkind::text || ' acl ' || coalesce(c.relacl::text, '-')
                     || ' options ' || coalesce(c.reloptions::text, '-')
                     || ' comment ' || coalesce(obj_description(c.oid, 'pg_class'), '-')
                     || ' columns ' || coalesce((
                        SELECT string_agg(a.attname || ' ' || format_type(a.atttypid, a.atttypmod)
                                          || CASE WHEN a.attnotnull THEN ' not null' ELSE '' END
                                          || coalesce(' identity ' || nullif(a.attidentity::text, ''), '')
                                          || coalesce(' default ' || pg_get_expr(ad.adbin, ad.adrelid), '')
                                          || coalesce(' comment ' || col_description(c.oid, a.attnum), '')
                                          || coalesce(' acl ' || a.attacl::text, ''),
                                          ', ' ORDER BY a.attnum)
                          FROM pg_attribute a
                          LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
                         WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped), '-')
                     || ' constraints ' || coalesce((
                        SELECT string_agg(conname || ' ' || pg_get_constraintdef(oid), ', ' ORDER BY conname)
                          FROM pg_constraint WHERE conrelid = c.oid), '-')
                     || ' indexes ' || coalesce((
                        SELECT string_agg(pg_get_indexdef(indexrelid), ', ' ORDER BY indexrelid::regclass::text)
                          FROM pg_index WHERE indrelid = c.oid), '-')
                     || ' triggers ' || coalesce((
                        SELECT string_agg(pg_get_triggerdef(oid), ', ' ORDER BY tgname)
                          FROM pg_trigger WHERE tgrelid = c.oid AND NOT tgisinternal), '-')
                     || ' view ' || coalesce(pg_get_viewdef(c.oid), '-')
                FROM pg_class c WHERE c.oid = d.objid)
           WHEN 'pg_namespace'::regclass THEN
             (SELECT 'owner ' || n.nspowner::regrole::text || ' acl ' || coalesce(n.nspacl::text, '-')
                FROM pg_namespace n WHERE n.oid = d.objid)
           WHEN 'pg_am'::regclass THEN
             (SELECT a.amtype::text || ' ' || a.amhandler::regproc::text
                     || ' comment ' || coalesce(obj_description(a.oid, 'pg_am'), '-')
                FROM pg_am a WHERE a.oid = d.objid)
           WHEN 'pg_foreign_data_wrapper'::regclass THEN
             (SELECT w.fdwhandler::regproc::text || ' ' || w.fdwvalidator::regproc::text
                     || ' acl ' || coalesce(w.fdwacl::text, '-')
                     || ' comment ' || coalesce(obj_description(w.oid, 'pg_foreign_data_wrapper'), '-')
                FROM pg_foreign_data_wrapper w WHERE w.oid = d.objid)
           ELSE 'member of an unexpected kind: extend this test'
         END
    FROM pg_depend d
   WHERE d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e'
     AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'offline_join')
     -- the row and array types of the extension's tables and views: members
     -- of their own from PostgreSQL 17 on, part of their relation before
     AND NOT (d.classid = 'pg_type'::regclass AND EXISTS (
           SELECT FROM pg_type t LEFT JOIN pg_type e ON e.oid = t.typelem
            WHERE t.oid = d.objid AND (t.typrelid <> 0 OR e.typrelid <> 0)))
  UNION ALL
  SELECT 'pg_dump keeps', (SELECT string_agg(t::regclass::text, ', ' ORDER BY t::regclass::text)
                             FROM unnest(extconfig) t)
    FROM pg_extension WHERE extname = 'offline_join'
  UNION ALL
  SELECT 'schema', nspname || ' acl ' || coalesce(nspacl::text, '-')
    FROM pg_namespace WHERE nspname = 'offline_join'
  UNION ALL
  SELECT 'extension', 'in schema ' || extnamespace::regnamespace::text || ' owner ' || extowner::regrole::text
         || ' relocatable ' || extrelocatable::text
    FROM pg_extension WHERE extname = 'offline_join'
  UNION ALL
  -- the privileges pg_dump takes as the extension's own (GRANT/REVOKE in its scripts)
  SELECT 'initial privileges of ' || pg_describe_object(i.classoid, i.objoid, i.objsubid),
         i.privtype::text || ' ' || i.initprivs::text
    FROM pg_init_privs i
    JOIN pg_depend d ON d.classid = i.classoid AND d.objid = i.objoid AND d.deptype = 'e'
   WHERE d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'offline_join')
$$;

-- the path from the first release to the default version
SELECT default_version FROM pg_available_extensions WHERE name = 'offline_join';
SELECT path FROM pg_extension_update_paths('offline_join')
 WHERE source = '0.1.0'
   AND target = (SELECT default_version FROM pg_available_extensions WHERE name = 'offline_join');

-- the first release, with data, used by the current library
CREATE EXTENSION offline_join VERSION '0.1.0';
SELECT extversion FROM pg_extension WHERE extname = 'offline_join';
SELECT offline_join.create_source('rmc', 'rmc');
SELECT status, rows_total, rows_loaded, rows_rejected
  FROM offline_join.load('rmc', :'data' || '/rmc_sample.csv');
INSERT INTO offline_join.sessions
SELECT 'late-' || customer_id, 'VIS-' || customer_id, customer_id,
       min(event_time) - interval '1 hour', '{"channel": "late"}'
  FROM offline_join.events WHERE customer_id IS NOT NULL GROUP BY customer_id;
SELECT offline_join.rematch() > 0 AS rematch_on_0_1_0;
SELECT offline_join.record_transaction('T-OLD', 'VIS-O', NULL, '{}', now() - interval '100 days');
SELECT offline_join.record_transaction('T-NEW', 'VIS-N', NULL, '{}', now());
SELECT offline_join.expire() AS expired_on_0_1_0;
-- an ID kept for 3 years, as 0.1.4 allowed through an UPDATE (or a
-- mixed-sign window): the 0.1.5 update refuses it by name, changing nothing
UPDATE offline_join.transactions SET expires_at = recorded_at + interval '3 years'
 WHERE transaction_id = 'T-NEW';
-- a table that needs the general write path (here a column default) says
-- which update it needs, on this schema without sink_rows()
ALTER TABLE offline_join.events ADD COLUMN note text DEFAULT 'x';
SELECT set_config('oj.sample', :'data' || '/rmc_sample.csv', false) IS NOT NULL AS ok;
DO $$
DECLARE d text; h text;
BEGIN
  PERFORM offline_join.load('rmc', current_setting('oj.sample'), force => true);
EXCEPTION WHEN object_not_in_prerequisite_state THEN
  GET STACKED DIAGNOSTICS d = PG_EXCEPTION_DETAIL, h = PG_EXCEPTION_HINT;
  RAISE WARNING '%', SQLERRM || E'\n' || d || E'\n' || h;
END $$;
ALTER TABLE offline_join.events DROP COLUMN note;
-- an inbox as create_inbox() of 0.1.0 and 0.1.1 made it (this library makes
-- none on a schema before 0.1.2): the update records it
CREATE TABLE offline_join.inbox_rmc (time_stamp text, customer_id text, event_type text, category text,
                                     event_name text, num1 text, num2 text);
CREATE TRIGGER inbox_route BEFORE INSERT ON offline_join.inbox_rmc
    FOR EACH ROW EXECUTE FUNCTION offline_join.inbox_route('rmc');
CREATE TRIGGER inbox_finish AFTER INSERT ON offline_join.inbox_rmc
    FOR EACH STATEMENT EXECUTE FUNCTION offline_join.inbox_finish('rmc');
-- and a table with a look-alike name and no trigger, which it does not
CREATE TABLE offline_join.inbox_fake (time_stamp text);
-- an old inbox holding a row (sent before its triggers were made): 0.2.1
-- leaves it a heap table, with a WARNING, and converts the empty one
SELECT offline_join.create_source('rmc_kept', 'rmc');
CREATE TABLE offline_join.inbox_rmc_kept (time_stamp text, customer_id text, event_type text, category text,
                                          event_name text, num1 text, num2 text);
INSERT INTO offline_join.inbox_rmc_kept (time_stamp) VALUES ('kept');
CREATE TRIGGER inbox_route BEFORE INSERT ON offline_join.inbox_rmc_kept
    FOR EACH ROW EXECUTE FUNCTION offline_join.inbox_route('rmc_kept');
CREATE TRIGGER inbox_finish AFTER INSERT ON offline_join.inbox_rmc_kept
    FOR EACH STATEMENT EXECUTE FUNCTION offline_join.inbox_finish('rmc_kept');
CREATE TEMP TABLE before AS
SELECT (SELECT count(*) FROM offline_join.events) AS events,
       (SELECT count(*) FROM offline_join.rejects) AS rejects,
       (SELECT count(*) FROM offline_join.loads) AS loads,
       (SELECT count(*) FROM offline_join.sessions) AS sessions,
       (SELECT count(*) FROM offline_join.transactions) AS transactions,
       (SELECT md5(string_agg(e::text, ',' ORDER BY event_id)) FROM offline_join.events e) AS events_md5;

-- each step of the chain; a step that refuses the data (0.1.5: an ID kept
-- beyond 2 years) says so, changes nothing, and is run again once the data
-- is mended as its hint says
DO $$
DECLARE step text; d text; h text;
BEGIN
  FOR step IN
    SELECT unnest(string_to_array(path, '--'))
      FROM pg_extension_update_paths('offline_join')
     WHERE source = '0.1.0'
       AND target = (SELECT default_version FROM pg_available_extensions WHERE name = 'offline_join')
  LOOP
    IF step <> '0.1.0' THEN
      BEGIN
        EXECUTE format('ALTER EXTENSION offline_join UPDATE TO %L', step);
      EXCEPTION WHEN object_not_in_prerequisite_state THEN
        GET STACKED DIAGNOSTICS d = PG_EXCEPTION_DETAIL, h = PG_EXCEPTION_HINT;
        RAISE WARNING '%', 'update to ' || step || E' refused:\n' || SQLERRM || E'\n' || d || E'\n' || h;
        EXIT;
      END;
    END IF;
  END LOOP;
END $$;
SELECT extversion AS refused_at FROM pg_extension WHERE extname = 'offline_join';
SELECT expires_at - recorded_at AS kept FROM offline_join.transactions WHERE transaction_id = 'T-NEW';
UPDATE offline_join.transactions SET expires_at = recorded_at + interval '2 years'
 WHERE expires_at > recorded_at + interval '2 years';
ALTER EXTENSION offline_join UPDATE;
SELECT extversion = (SELECT default_version FROM pg_available_extensions WHERE name = 'offline_join')
       AS at_default_version
  FROM pg_extension WHERE extname = 'offline_join';

-- the data is all there and still works
SELECT (SELECT count(*) FROM offline_join.events) = events AS events_kept,
       (SELECT count(*) FROM offline_join.rejects) = rejects AS rejects_kept,
       (SELECT count(*) FROM offline_join.loads) = loads AS ledger_kept,
       (SELECT count(*) FROM offline_join.sessions) = sessions AS sessions_kept,
       (SELECT count(*) FROM offline_join.transactions) = transactions AS transactions_kept,
       (SELECT md5(string_agg(e::text, ',' ORDER BY event_id)) FROM offline_join.events e) = events_md5
         AS events_unchanged
  FROM before;
SELECT status FROM offline_join.load('rmc', :'data' || '/rmc_sample.csv');
SELECT status, rows_loaded FROM offline_join.load('rmc', :'data' || '/rmc_sample.csv', force => true);
SELECT count(*) > 0 AS attributed FROM offline_join.attributed_events WHERE match = 'customer';
SELECT inbox, source FROM offline_join.inboxes;
COPY offline_join.inbox_rmc FROM stdin (FORMAT csv);
2026-03-05 10:00:00,CUST-1001,7,,SKU-1,1,10
\.
SELECT path, rows_loaded, loaded_by FROM offline_join.loads ORDER BY load_id DESC LIMIT 1;
-- 0.2.1: the empty old inbox keeps nothing now and COPY reports the rows it
-- loaded (a reject is not counted); the one with a row is still a heap
SELECT i.inbox, a.amname FROM offline_join.inboxes i
  JOIN pg_class c ON c.oid = i.inbox JOIN pg_am a ON a.oid = c.relam ORDER BY 1;
COPY offline_join.inbox_rmc FROM stdin (FORMAT csv);
2026-03-05 10:00:00,CUST-1001,7,,SKU-1,1,10
2026-03-05 10:00:00,CUST-1001,7,,SKU-1,1,10
2026-03-05 99:00:00,CUST-1001,7,,SKU-1,1,10
\.
SELECT :ROW_COUNT AS copied, rows_total, rows_loaded FROM offline_join.last_load();
SELECT count(*) AS kept_in_inbox FROM offline_join.inbox_rmc;
COPY offline_join.inbox_rmc_kept FROM stdin (FORMAT csv);
2026-03-05 10:00:00,CUST-1001,7,,SKU-1,1,10
\.
SELECT :ROW_COUNT AS copied_into_heap_inbox, rows_loaded FROM offline_join.last_load();
SELECT time_stamp FROM offline_join.inbox_rmc_kept;
-- the conversion (a rewrite) gave the inbox a freeze horizon; VACUUM moves
-- it to now, as the table holds no transaction ID (else anti-wraparound
-- autovacuum would pick it at every turn, forever)
CREATE TEMP TABLE horizon AS
SELECT relfrozenxid::text::bigint AS xid FROM pg_class WHERE oid = 'offline_join.inbox_rmc'::regclass;
SELECT xid > 0 AS has_horizon FROM horizon;
SELECT txid_current() > 0 AS xid_used;
VACUUM offline_join.inbox_rmc;
SELECT c.relfrozenxid::text::bigint > h.xid AS horizon_moved
  FROM pg_class c, horizon h WHERE c.oid = 'offline_join.inbox_rmc'::regclass;
DROP TABLE offline_join.inbox_rmc, offline_join.inbox_fake, offline_join.inbox_rmc_kept;

-- what the chain built equals a fresh install of the default version
CREATE TEMP TABLE upgraded AS SELECT * FROM pg_temp.ext_members();
DROP EXTENSION offline_join CASCADE;
CREATE EXTENSION offline_join;
CREATE TEMP TABLE fresh AS SELECT * FROM pg_temp.ext_members();
SELECT count(*) AS members, count(*) FILTER (WHERE definition LIKE 'member of an unexpected kind%') AS unexpected
  FROM fresh;
SELECT 'only after the upgrade' AS side, * FROM (SELECT * FROM upgraded EXCEPT SELECT * FROM fresh) u
UNION ALL
SELECT 'only in a fresh install', * FROM (SELECT * FROM fresh EXCEPT SELECT * FROM upgraded) f
ORDER BY 1, 2;
-- every public function, table, view and the wrapper says what it is for
SELECT object AS without_comment FROM fresh
 WHERE (object LIKE 'function %' OR object LIKE 'table %' OR object LIKE 'view %'
        OR object LIKE 'foreign-data wrapper %')
   AND (definition LIKE '% comment -' OR definition LIKE '% comment - columns %')
 ORDER BY 1;
