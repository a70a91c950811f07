/* offline_join 0.2.2 -> 0.2.3: the unmatched events found by a BRIN index,
 * and BRIN summaries without a flood of log lines (issue #29) */
\echo Use "ALTER EXTENSION offline_join UPDATE TO '0.2.3'" to load this file. \quit

-- events_unmatched_idx, a partial btree on load_id of every unmatched
-- event, became a partial BRIN index: a range summary exists only where a
-- range held unmatched events, so rematch() reads those ranges (of the
-- loads the ledger shows with unmatched events) and nothing else, and a
-- load pays almost nothing for it (doc/performance.md).  Eight pages per
-- range keep a few unmatched events in a large load cheap to find.
--
-- autosummarize is turned off on the BRIN indexes: it asks autovacuum for
-- one summarization per filled range, and a load of a million rows filled
-- more ranges than autovacuum's queue holds, each one a LOG line ("request
-- for BRIN range summarization ... was not recorded").  New ranges are
-- summarized by autovacuum's VACUUM of events instead, which runs after
-- every 100,000 inserted rows (autovacuum_vacuum_insert_threshold; the
-- default scale factor would wait for a fifth of the table); until then a
-- range is read, never skipped.
-- On the Citus layout the coordinator's DDL reaches every shard, as in
-- 0.2.2's update.
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
    IF NOT on_worker THEN
        IF propagation IS NOT NULL THEN
            PERFORM pg_catalog.set_config('citus.enable_ddl_propagation', 'on', true);
        END IF;
        EXECUTE $ddl$DROP INDEX offline_join.events_unmatched_idx$ddl$;
        EXECUTE $ddl$CREATE INDEX events_unmatched_idx ON offline_join.events USING brin (load_id)
                     WITH (pages_per_range = 8) WHERE match OPERATOR(pg_catalog.=) 'unmatched'$ddl$;
        EXECUTE $ddl$ALTER INDEX offline_join.events_load_idx SET (autosummarize = off)$ddl$;
        EXECUTE $ddl$ALTER INDEX offline_join.events_time_idx SET (autosummarize = off)$ddl$;
        EXECUTE $ddl$ALTER TABLE offline_join.events SET (autovacuum_vacuum_insert_threshold = 100000,
                                                          autovacuum_vacuum_insert_scale_factor = 0)$ddl$;
        IF propagation IS NOT NULL THEN
            PERFORM pg_catalog.set_config('citus.enable_ddl_propagation', propagation, true);
        END IF;
    END IF;
END
$upd$;

COMMENT ON INDEX offline_join.events_unmatched_idx IS
    'the page ranges that held unmatched events, by load: how rematch() finds them';
