/* offline_join 0.2.0 -> 0.2.1: operating it day to day (issue #28): each
 * source's health, corrections, scheduled runs, progress, retention */
\echo Use "ALTER EXTENSION offline_join UPDATE TO '0.2.1'" to load this file. \quit

-- == corrections, status, scheduled runs ==

-- The ledger: a load can be taken back (status 'unloaded', when and by
-- whom), a load can name the load it replaced, and the figures follow
-- rematch().  On the Citus layout the coordinator's DDL reaches every node
-- (offline_join_update.on_worker, as in 0.1.5's update).
DO $upd$
DECLARE
    on_worker boolean := false;
    propagation text := pg_catalog.current_setting('citus.enable_ddl_propagation', true);
BEGIN
    IF pg_catalog.to_regproc('pg_catalog.citus_is_coordinator') IS NOT NULL THEN
        EXECUTE $q$SELECT NOT pg_catalog.citus_is_coordinator()
                     AND EXISTS (SELECT FROM pg_catalog.pg_dist_partition
                                  WHERE logicalrelid OPERATOR(pg_catalog.=) 'offline_join.loads'::pg_catalog.regclass)$q$
            INTO STRICT on_worker;
    END IF;
    PERFORM pg_catalog.set_config('offline_join_update.on_worker', on_worker::text, true);
    IF NOT on_worker THEN
        -- 0.1.5's update turns Citus's DDL propagation off for the rest of
        -- its transaction (the analyst layer is each node's own): a chain of
        -- updates in one ALTER EXTENSION needs it on for the tables' DDL
        IF propagation IS NOT NULL THEN
            PERFORM pg_catalog.set_config('citus.enable_ddl_propagation', 'on', true);
        END IF;
        EXECUTE $ddl$ALTER TABLE offline_join.loads DROP CONSTRAINT loads_status$ddl$;
        EXECUTE $ddl$ALTER TABLE offline_join.loads ADD CONSTRAINT loads_status
            CHECK (status IN ('loaded', 'duplicate', 'failed', 'unloaded'))$ddl$;
        EXECUTE $ddl$ALTER TABLE offline_join.loads ADD COLUMN unloaded_at timestamptz$ddl$;
        EXECUTE $ddl$ALTER TABLE offline_join.loads ADD COLUMN unloaded_by text$ddl$;
        EXECUTE $ddl$ALTER TABLE offline_join.loads ADD COLUMN replaces bigint$ddl$;
        -- a path's latest attempt (source_status, load_dir()'s changed files)
        EXECUTE $ddl$CREATE INDEX loads_source_path_idx ON offline_join.loads (source, path, load_id)$ddl$;
        -- the last 24 hours of a source
        EXECUTE $ddl$CREATE INDEX loads_source_started_idx ON offline_join.loads (source, started_at)$ddl$;
        IF propagation IS NOT NULL THEN
            PERFORM pg_catalog.set_config('citus.enable_ddl_propagation', propagation, true);
        END IF;
    END IF;
END
$upd$;
-- (the comments of the new columns where the columns are made: on the
-- coordinator of a Citus layout, whose DDL reaches the workers later)
DO $upd$
BEGIN
    IF NOT pg_catalog.current_setting('offline_join_update.on_worker')::boolean THEN
        EXECUTE $c$COMMENT ON COLUMN offline_join.loads.status IS
            'loaded, duplicate (the content was loaded before), failed, or unloaded (taken back by unload(); its content may load again)'$c$;
        EXECUTE $c$COMMENT ON COLUMN offline_join.loads.rows_matched IS
            'events of the load matched to a session or transaction ID, kept up to date by rematch()'$c$;
        EXECUTE $c$COMMENT ON COLUMN offline_join.loads.unloaded_at IS 'when unload() took the load back'$c$;
        EXECUTE $c$COMMENT ON COLUMN offline_join.loads.unloaded_by IS 'the role that called unload()'$c$;
        EXECUTE $c$COMMENT ON COLUMN offline_join.loads.replaces IS
            'the load this one replaced (load(..., replaces), or load_dir() with changed_file ''replace''), which is unloaded'$c$;
    END IF;
END
$upd$;

-- Each rematch() run: when, for what, what it matched.
CREATE TABLE offline_join.rematch_runs (
    run_id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    started_at    timestamptz NOT NULL,
    finished_at   timestamptz NOT NULL,
    load_id       bigint,
    rows_matched  bigint NOT NULL,
    loads_updated integer NOT NULL,
    run_by        text NOT NULL
);
COMMENT ON TABLE offline_join.rematch_runs IS
    'one row per rematch() run: its scope (load_id, or NULL for every load), the events it matched, the ledger rows it brought up to date';
SELECT pg_catalog.pg_extension_config_dump('offline_join.rematch_runs', '');
SELECT pg_catalog.pg_extension_config_dump('offline_join.rematch_runs_run_id_seq', '');

-- unload(): a load's events and rejects removed, its ledger row marked, in
-- one transaction, with the caller's own rights (it needs DELETE on events
-- and rejects and UPDATE on loads) and refused where row-level security
-- would let it remove only part of the load.
CREATE FUNCTION offline_join.unload(load_id bigint)
RETURNS offline_join.loads
LANGUAGE plpgsql VOLATILE STRICT
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    l offline_join.loads;
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['events', 'rejects', 'loads'] LOOP
        IF pg_catalog.row_security_active(pg_catalog.format('offline_join.%I', t)) THEN
            RAISE EXCEPTION 'unload() cannot apply row-level security: policies hide rows of table "offline_join.%"', t
                USING ERRCODE = 'insufficient_privilege',
                      DETAIL = 'It would remove only the rows the policies show, and leave the rest of the load.',
                      HINT = 'Unload as a role that the policies do not filter.';
        END IF;
    END LOOP;
    SELECT * INTO l FROM offline_join.loads AS x WHERE x.load_id OPERATOR(pg_catalog.=) unload.load_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'load % does not exist', unload.load_id
            USING ERRCODE = 'undefined_object',
                  HINT = 'The loads are the rows of offline_join.loads.';
    END IF;
    IF l.status OPERATOR(pg_catalog.<>) 'loaded' THEN
        RAISE EXCEPTION 'load % of "%" (source "%") is %, not loaded', l.load_id, l.path, l.source, l.status
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = CASE l.status
                      WHEN 'unloaded' THEN pg_catalog.format('Role %s unloaded it (unloaded_at says when).', l.unloaded_by)
                      WHEN 'duplicate' THEN 'A duplicate loaded nothing; unload the load of that content.'
                      ELSE 'A failed load kept nothing.' END;
    END IF;
    DELETE FROM offline_join.events AS e WHERE e.load_id OPERATOR(pg_catalog.=) l.load_id;
    DELETE FROM offline_join.rejects AS r WHERE r.load_id OPERATOR(pg_catalog.=) l.load_id;
    UPDATE offline_join.loads AS x
       SET status = 'unloaded', unloaded_at = pg_catalog.now(), unloaded_by = CURRENT_USER::text
     WHERE x.load_id OPERATOR(pg_catalog.=) l.load_id
    RETURNING * INTO l;
    RETURN l;
END
$fn$;
REVOKE ALL ON FUNCTION offline_join.unload(bigint) FROM PUBLIC;
COMMENT ON FUNCTION offline_join.unload(bigint) IS
    'takes a load back: its events and rejects removed, its ledger row marked unloaded, so that the same content may load again';

-- load(..., replaces): loads a file and unloads the load it corrects, in
-- one transaction.  Not STRICT: replaces is NULL by default.
DROP FUNCTION offline_join.load(text, text, boolean);
CREATE FUNCTION offline_join.load(source text, path text, force boolean DEFAULT false,
                                  replaces bigint DEFAULT NULL)
RETURNS offline_join.loads
LANGUAGE c VOLATILE
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'oj_load';
REVOKE ALL ON FUNCTION offline_join.load(text, text, boolean, bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION offline_join.load(text, text, boolean, bigint) TO pg_read_server_files;
COMMENT ON FUNCTION offline_join.load(text, text, boolean, bigint) IS
    'loads a server file of a source exactly once: good rows into events, bad rows into rejects; with replaces, unloads that load in the same transaction; returns its ledger row';

-- load_dir(source): the source's own pattern and require_fin by default.
DROP FUNCTION offline_join.load_dir(text, text, boolean);
CREATE FUNCTION offline_join.load_dir(source text, pattern text DEFAULT NULL, require_fin boolean DEFAULT NULL)
RETURNS SETOF offline_join.loads
LANGUAGE c VOLATILE
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'oj_load_dir';
REVOKE ALL ON FUNCTION offline_join.load_dir(text, text, boolean) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION offline_join.load_dir(text, text, boolean) TO pg_read_server_files;
COMMENT ON FUNCTION offline_join.load_dir(text, text, boolean) IS
    'loads every new file matching a pattern (NULL: the source''s option pattern), each once; with require_fin only files whose NAME.fin exists';

-- The files of a source's folder and what the ledger says of each.
CREATE FUNCTION offline_join.source_files(source text, pattern text DEFAULT NULL)
RETURNS TABLE (path text, bytes bigint, modified_at timestamptz, state text, load_id bigint)
LANGUAGE c VOLATILE
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'oj_source_files';
REVOKE ALL ON FUNCTION offline_join.source_files(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION offline_join.source_files(text, text) TO pg_read_server_files;
COMMENT ON FUNCTION offline_join.source_files(text, text) IS
    'the files matching a pattern (NULL: the source''s), each with its state: waiting (no load attempted it), waiting_fin (its .fin marker is missing), changed (loaded, but its size differs), loaded, failed, unloaded or duplicate (its latest attempt), and that load';

-- How many files of a source's folder wait; NULL without a pattern or for
-- a caller that may not read server files (so that source_status is for
-- everyone who may read the ledger).
CREATE FUNCTION offline_join.waiting_files(source text)
RETURNS bigint
LANGUAGE c VOLATILE
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'oj_waiting_files';
GRANT EXECUTE ON FUNCTION offline_join.waiting_files(text) TO PUBLIC;
COMMENT ON FUNCTION offline_join.waiting_files(text) IS
    'how many files of the source''s folder (option pattern) no load has attempted yet, those waiting for their .fin and changed ones included; NULL without a pattern or without the right to read server files';

-- ingest(): for pg_cron.  Each waiting or retryable file in its own
-- transaction (committed as it goes, so its locks are released); an ERROR
-- naming the files that failed at the end, so that the job's run shows
-- failed while the good files stay loaded.
-- (A procedure that commits cannot have a SET clause: every name in it is
-- schema-qualified, every operator OPERATOR(pg_catalog.x).)
CREATE PROCEDURE offline_join.ingest(source text, pattern text DEFAULT NULL)
LANGUAGE plpgsql
AS $fn$
DECLARE
    f record;
    r offline_join.loads;
    failed text[] := '{}';
    n integer := 0;
BEGIN
    FOR f IN SELECT s.path FROM offline_join.source_files(ingest.source, ingest.pattern) AS s
              WHERE s.state OPERATOR(pg_catalog.=) ANY (ARRAY['waiting', 'changed', 'failed']) ORDER BY s.path
    LOOP
        -- the file's own name as a pattern: its characters taken literally
        FOR r IN SELECT * FROM offline_join.load_dir(ingest.source,
                                 pg_catalog.regexp_replace(f.path, '([][*?\\])', '\\\1', 'g'))
        LOOP
            n := n OPERATOR(pg_catalog.+) 1;
            IF r.status OPERATOR(pg_catalog.=) 'failed' THEN
                failed := failed OPERATOR(pg_catalog.||) pg_catalog.format('%s (load %s: %s)', r.path, r.load_id, r.message);
            END IF;
        END LOOP;
        COMMIT;
    END LOOP;
    IF pg_catalog.cardinality(failed) OPERATOR(pg_catalog.>) 0 THEN
        RAISE EXCEPTION 'offline_join.ingest(%): % of % files failed: %', pg_catalog.quote_literal(ingest.source),
              pg_catalog.cardinality(failed), n, pg_catalog.array_to_string(failed, '; ')
            USING ERRCODE = 'data_exception',
                  HINT = pg_catalog.format('See SELECT * FROM offline_join.source_status WHERE source = %L.', ingest.source);
    END IF;
END
$fn$;
REVOKE ALL ON PROCEDURE offline_join.ingest(text, text) FROM PUBLIC;
GRANT EXECUTE ON PROCEDURE offline_join.ingest(text, text) TO pg_read_server_files;
COMMENT ON PROCEDURE offline_join.ingest(text, text) IS
    'for pg_cron: loads each waiting file of a source, each in its own transaction; ends with an ERROR naming the files that failed';

-- Each source's health, from the ledger alone (kept true by rematch()),
-- so that it answers fast however many events there are.
CREATE VIEW offline_join.source_status WITH (security_invoker = true) AS
SELECT s.name AS source,
       s.format,
       last.started_at AS last_load_at,
       last.status AS last_status,
       last.message AS last_message,
       (SELECT pg_catalog.count(*)
          FROM (SELECT DISTINCT ON (x.path) x.status
                  FROM offline_join.loads AS x
                 WHERE x.source OPERATOR(pg_catalog.=) s.name
                 ORDER BY x.path, x.load_id DESC) AS latest
         WHERE latest.status OPERATOR(pg_catalog.=) 'failed') AS failed_files,
       offline_join.waiting_files(s.name) AS waiting_files,
       day.rows_24h,
       pg_catalog.round(day.rejected_24h::numeric OPERATOR(pg_catalog./)
                        NULLIF(day.rows_24h, 0), 4) AS reject_rate_24h,
       pg_catalog.round(day.matched_24h::numeric OPERATOR(pg_catalog./)
                        NULLIF(day.loaded_24h, 0), 4) AS match_rate_24h
  FROM offline_join.sources AS s
  LEFT JOIN LATERAL (SELECT x.started_at, x.status, x.message
                       FROM offline_join.loads AS x
                      WHERE x.source OPERATOR(pg_catalog.=) s.name
                      ORDER BY x.started_at DESC, x.load_id DESC LIMIT 1) AS last ON true
  LEFT JOIN LATERAL (SELECT pg_catalog.sum(x.rows_total) AS rows_24h,
                            pg_catalog.sum(x.rows_rejected) AS rejected_24h,
                            pg_catalog.sum(x.rows_loaded) AS loaded_24h,
                            pg_catalog.sum(x.rows_matched) AS matched_24h
                       FROM offline_join.loads AS x
                      WHERE x.source OPERATOR(pg_catalog.=) s.name
                        AND x.status OPERATOR(pg_catalog.=) 'loaded'
                        AND x.started_at OPERATOR(pg_catalog.>) (pg_catalog.now() OPERATOR(pg_catalog.-) '24 hours'::interval)) AS day ON true;
COMMENT ON VIEW offline_join.source_status IS
    'each source''s health: its last load, files that failed, files waiting, the last 24 hours'' rows, reject and match rates';
GRANT SELECT ON offline_join.source_status TO PUBLIC;

-- == inbox count ==
-- COPY (and INSERT) into an inbox reports the rows it loaded into
-- offline_join.events (COPY 3), and offline_join.last_load() gives the
-- client the ledger row of its last statement into an inbox.
--
-- An inbox is a table of access method offline_join_inbox, which keeps no
-- row: the inbox's BEFORE ROW trigger routes each row into events or
-- rejects as before and returns it when it was loaded, so the executor
-- counts exactly those (and RETURNING shows them); a reject is not
-- counted.  A row that did not pass the trigger is refused by the method,
-- never dropped silently.
CREATE FUNCTION offline_join.inbox_am_handler(internal)
RETURNS table_am_handler
LANGUAGE c STRICT
AS 'MODULE_PATHNAME', 'oj_inbox_am_handler';
COMMENT ON FUNCTION offline_join.inbox_am_handler(internal) IS
    'handler of access method offline_join_inbox: the tables of the inboxes, which keep no row';
-- called by PostgreSQL only (an access method needs no EXECUTE to be used)
REVOKE ALL ON FUNCTION offline_join.inbox_am_handler(internal) FROM PUBLIC;
CREATE ACCESS METHOD offline_join_inbox TYPE TABLE HANDLER offline_join.inbox_am_handler;
COMMENT ON ACCESS METHOD offline_join_inbox IS
    'the inboxes of offline_join: keeps no row; the rows its inbox_route trigger loads are counted by COPY and INSERT';

CREATE FUNCTION offline_join.last_load()
RETURNS offline_join.loads
LANGUAGE c VOLATILE
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'oj_last_load';
COMMENT ON FUNCTION offline_join.last_load() IS
    'the ledger row of this session''s last statement into an inbox, if the current role made it (rows_matched NULL for a role that may not read the matches); NULL otherwise';
-- for every role that may send rows to an inbox: it shows only its own load
GRANT EXECUTE ON FUNCTION offline_join.last_load() TO PUBLIC;

-- The inboxes of 0.1.2 to 0.2.0 are heap tables: each becomes one of
-- offline_join_inbox (ALTER TABLE ... SET ACCESS METHOD, PostgreSQL 15 on).
-- An inbox that holds rows (sent with its triggers disabled) or that this
-- role may not alter is left as it is, with a WARNING: it keeps working as
-- before, reporting COPY 0.  On a Citus worker nothing is done: inboxes
-- are tables of the coordinator.
DO $upd$
DECLARE
    on_worker boolean := false;
    i record;
    has_rows boolean;
BEGIN
    IF pg_catalog.to_regproc('pg_catalog.citus_is_coordinator') IS NOT NULL THEN
        EXECUTE $q$SELECT NOT pg_catalog.citus_is_coordinator()
                     AND EXISTS (SELECT FROM pg_catalog.pg_dist_partition
                                  WHERE logicalrelid OPERATOR(pg_catalog.=) 'offline_join.loads'::pg_catalog.regclass)$q$
            INTO STRICT on_worker;
    END IF;
    IF on_worker THEN
        RETURN;
    END IF;
    FOR i IN SELECT c.oid::pg_catalog.regclass AS inbox
               FROM offline_join.inboxes b
               JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) b.inbox::pg_catalog.oid
              WHERE c.relkind OPERATOR(pg_catalog.=) 'r'
                AND c.relnamespace OPERATOR(pg_catalog.=) 'offline_join'::pg_catalog.regnamespace
                AND c.relam OPERATOR(pg_catalog.=) (SELECT oid FROM pg_catalog.pg_am
                                                      WHERE amname OPERATOR(pg_catalog.=) 'heap')
              ORDER BY 1::pg_catalog.text LOOP
        EXECUTE pg_catalog.format('SELECT EXISTS (SELECT FROM %s)', i.inbox) INTO STRICT has_rows;
        IF has_rows THEN
            RAISE WARNING 'inbox % holds rows and stays a heap table, which reports COPY 0', i.inbox
                USING HINT = pg_catalog.format('Move its rows away, then run ALTER TABLE %s SET ACCESS METHOD offline_join_inbox.', i.inbox);
            CONTINUE;
        END IF;
        BEGIN
            EXECUTE pg_catalog.format('ALTER TABLE %s SET ACCESS METHOD offline_join_inbox', i.inbox);
        EXCEPTION WHEN insufficient_privilege THEN
            RAISE WARNING 'inbox % stays a heap table, which reports COPY 0: %', i.inbox, SQLERRM
                USING HINT = pg_catalog.format('Its owner can run ALTER TABLE %s SET ACCESS METHOD offline_join_inbox.', i.inbox);
        END;
    END LOOP;
END
$upd$;

-- == progress ==
-- offline_join.progress: one row per load running in this database (load(),
-- each file of load_dir(), validate_file(), COPY or INSERT into an inbox),
-- from the shared memory of a preloaded library.  The function chooses the
-- rows with the caller's rights: a role that may read the whole ledger
-- (SELECT on offline_join.loads, no row-level security) sees every load; any
-- other role sees only the loads of roles whose privileges it has (its own),
-- which tells it nothing it does not know.  So EXECUTE and the view are
-- everyone's, and the view is security_invoker.  Nothing here is a table:
-- on the Citus layout every node has the view, showing its own loads.
CREATE FUNCTION offline_join.progress()
RETURNS TABLE (pid integer, role text, source text, command text, path text, phase text,
               load_id bigint, file_no integer, files_total integer,
               bytes_done bigint, bytes_total bigint, rows_done bigint, rows_rejected bigint,
               started_at timestamptz)
LANGUAGE c VOLATILE
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'oj_progress';
COMMENT ON FUNCTION offline_join.progress() IS
    'the loads running in this database that the caller may see (all of them for a role that may read offline_join.loads, else its own)';
GRANT EXECUTE ON FUNCTION offline_join.progress() TO PUBLIC;
CREATE VIEW offline_join.progress WITH (security_invoker = true) AS
    SELECT * FROM offline_join.progress();
COMMENT ON VIEW offline_join.progress IS
    'one row per running load: load(), each file of load_dir(), validate_file(), COPY or INSERT into an inbox (needs the library in shared_preload_libraries)';
GRANT SELECT ON offline_join.progress TO PUBLIC;

-- == retention ==
-- Retention of rejects (spec section 9).  offline_join.reject_retention
-- (default '90 days'; 'off' keeps them forever): the expiry worker deletes
-- the rejects (and their raw lines) of the loads that finished longer ago,
-- in batches of offline_join.expire_batch_size, one short transaction each,
-- and records each pass in expiry_runs with what = 'rejects'.  The ledger
-- row of such a load keeps everything exactly-once loading reads (source,
-- path, sha256, status) and its counts (rows_rejected still counts the
-- purged rejects).  A new library purges no reject before this update: the
-- worker waits for expiry_runs.what.
--
-- expiry_runs is local to each node on the Citus layout too (each node's
-- worker writes its own), so this DDL is right on every node.
ALTER TABLE offline_join.expiry_runs
    ADD COLUMN what text NOT NULL DEFAULT 'transactions'
        CONSTRAINT expiry_runs_what CHECK (what IN ('transactions', 'rejects')),
    DROP CONSTRAINT expiry_runs_who,
    ADD CONSTRAINT expiry_runs_who CHECK (who IN ('worker', 'expire()', 'expire_rejects()'));
COMMENT ON COLUMN offline_join.expiry_runs.what IS
    'what the pass deleted: expired transaction IDs (transactions) or the rejects of old loads (rejects)';
COMMENT ON COLUMN offline_join.expiry_runs.deleted IS
    'rows deleted from the table named by what';
COMMENT ON TABLE offline_join.expiry_runs IS
    'one row per expiry pass (of transaction IDs or of old rejects) that deleted something or failed; the newest 1000 are kept';

CREATE FUNCTION offline_join.expire_rejects(batch_size integer DEFAULT NULL, retention interval DEFAULT NULL)
RETURNS bigint
LANGUAGE c VOLATILE
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'oj_expire_rejects';
COMMENT ON FUNCTION offline_join.expire_rejects(integer, interval) IS
    'deletes now, in batches, the rejects of loads that finished more than retention ago (NULL: offline_join.reject_retention); returns how many';
-- as expire(): for every role, acting with the caller's own privileges
-- (SELECT on loads, DELETE on rejects)
GRANT EXECUTE ON FUNCTION offline_join.expire_rejects(integer, interval) TO PUBLIC;

-- Says what the worker will delete once this update is committed, so that
-- an update never loses evidence without a word (a WARNING: an extension
-- script's NOTICEs are not shown).
DO $ret$
DECLARE
    setting text := pg_catalog.current_setting('offline_join.reject_retention', true);
    loads bigint;
    rejects bigint;
BEGIN
    -- with Citus (where this runs on every node) the workers' logs say it
    IF pg_catalog.lower(COALESCE(setting, '90 days')) OPERATOR(pg_catalog.=) 'off'
       OR pg_catalog.to_regproc('pg_catalog.citus_is_coordinator') IS NOT NULL THEN
        RETURN;
    END IF;
    SELECT pg_catalog.count(DISTINCT r.load_id), pg_catalog.count(*) INTO loads, rejects
      FROM offline_join.rejects r JOIN offline_join.loads l ON l.load_id OPERATOR(pg_catalog.=) r.load_id
     WHERE COALESCE(l.finished_at, l.started_at)
           OPERATOR(pg_catalog.<) (pg_catalog.now() OPERATOR(pg_catalog.-) COALESCE(setting, '90 days')::pg_catalog.interval);
    IF rejects OPERATOR(pg_catalog.>) 0 THEN
        RAISE WARNING 'the expiry worker will delete % rejects of % loads that finished more than % ago',
            rejects, loads, COALESCE(setting, '90 days')
          USING HINT = 'offline_join.reject_retention decides how long rejects are kept (at most 2 years); '
                       'set it to ''off'' to keep them, or copy them elsewhere first.';
    END IF;
END
$ret$;
