/* offline_join 0.2.0 -> 0.2.1: operating it day to day (issue #28): each
 * source's health, corrections, scheduled runs, progress, retention */
\echo Use "ALTER EXTENSION offline_join UPDATE TO '0.2.1'" to load this file. \quit


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
