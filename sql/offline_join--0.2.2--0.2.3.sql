/* offline_join 0.2.2 -> 0.2.3: one BRIN index for events, which also finds
 * the unmatched events, and summaries without a flood of log lines
 * (issue #29) */
\echo Use "ALTER EXTENSION offline_join UPDATE TO '0.2.3'" to load this file. \quit

-- One BRIN index, events_brin_idx on (load_id, event_time, match), takes
-- the place of three (doc/performance.md, "One BRIN index for events"):
--   events_load_idx (BRIN on load_id) served unload() and "the events of
--     load n": the first column does;
--   events_time_idx (BRIN minmax-multi on event_time) served analysts'
--     time ranges: the second column does, with the same operator class;
--   events_unmatched_idx, a partial btree on load_id of every unmatched
--     event, was how rematch() found them: the third column's minmax
--     summary holds 'unmatched', the greatest value match may take, only
--     for a page range that held an unmatched event, so match = 'unmatched'
--     reads those ranges (with load_id, those of one load).  A summary is
--     not narrowed when its events match later; rematch() of everything
--     reads the loads whose ledger row shows unmatched events.
-- A load then makes one BRIN insertion per row instead of three, and a
-- VACUUM summarizes new ranges in one pass over them instead of three.
--
-- autosummarize stays off: it asks autovacuum for one summarization per
-- filled range, and a load of a million rows filled more ranges than
-- autovacuum's queue holds, each one a LOG line ("request for BRIN range
-- summarization ... was not recorded").  New ranges are summarized by
-- autovacuum's VACUUM of events instead, which runs after every 100,000
-- inserted rows (autovacuum_vacuum_insert_threshold; the default scale
-- factor would wait for a fifth of the table); until then a range is read,
-- never skipped.
-- Building the index reads events once; ALTER EXTENSION holds its lock on
-- events meanwhile (doc/upgrading.md).  On the Citus layout the
-- coordinator's DDL reaches every shard, as in 0.2.2's update.
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
        EXECUTE $ddl$CREATE INDEX events_brin_idx ON offline_join.events
                     USING brin (load_id, event_time pg_catalog.timestamptz_minmax_multi_ops, match)
                     WITH (pages_per_range = 32)$ddl$;
        EXECUTE $ddl$DROP INDEX offline_join.events_load_idx$ddl$;
        EXECUTE $ddl$DROP INDEX offline_join.events_time_idx$ddl$;
        EXECUTE $ddl$DROP INDEX offline_join.events_unmatched_idx$ddl$;
        EXECUTE $ddl$ALTER TABLE offline_join.events SET (autovacuum_vacuum_insert_threshold = 100000,
                                                          autovacuum_vacuum_insert_scale_factor = 0)$ddl$;
        IF propagation IS NOT NULL THEN
            PERFORM pg_catalog.set_config('citus.enable_ddl_propagation', propagation, true);
        END IF;
    END IF;
END
$upd$;

COMMENT ON INDEX offline_join.events_brin_idx IS
    'per range of 32 pages: its loads, its times, whether it held an unmatched event (unload(), time ranges, rematch())';
