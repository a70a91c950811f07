/* offline_join 0.2.1 -> 0.2.2: indexes of events that cost what they earn
 * (issue #29, first step) */
\echo Use "ALTER EXTENSION offline_join UPDATE TO '0.2.2'" to load this file. \quit

-- Two btree indexes of events become BRIN indexes, which cost a load
-- almost nothing and stay a few hundred kB at any size
-- (doc/performance.md, "The layout of events"):
--   events_load_line_idx (load_id, line_no), unique on one server, served
--     unload() and "the events of load n"; rows of a load lie together, so
--     a BRIN index on load_id (events_load_idx) serves both.  Its
--     uniqueness guarded nothing the writers do not already ensure (one
--     event per line of a load), and it was not unique on Citus.
--   events_time_idx (event_time) serves analysts' time ranges.  Files
--     arrive roughly in time order and each one's rows lie together; a
--     minmax-multi summary keeps a range selective where a backfill or
--     reused free space puts far-apart times in it.
-- Both summarize new ranges as they fill (autosummarize; autovacuum does
-- the work); a range not yet summarized is read, never skipped.
-- Rebuilding them takes one pass over events (about 0.5 s per million rows,
-- doc/upgrading.md); ALTER EXTENSION holds its lock on events meanwhile.
-- On the Citus layout the coordinator's DDL reaches every shard, as in
-- 0.2.1's update.
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
        EXECUTE $ddl$DROP INDEX offline_join.events_load_line_idx$ddl$;
        EXECUTE $ddl$CREATE INDEX events_load_idx ON offline_join.events USING brin (load_id)
                     WITH (pages_per_range = 32, autosummarize = on)$ddl$;
        EXECUTE $ddl$DROP INDEX offline_join.events_time_idx$ddl$;
        EXECUTE $ddl$CREATE INDEX events_time_idx ON offline_join.events
                     USING brin (event_time pg_catalog.timestamptz_minmax_multi_ops)
                     WITH (pages_per_range = 32, autosummarize = on)$ddl$;
        IF propagation IS NOT NULL THEN
            PERFORM pg_catalog.set_config('citus.enable_ddl_propagation', propagation, true);
        END IF;
    END IF;
END
$upd$;

-- distribute(): the BRIN index on load_id needs no change for Citus (the
-- btree on (load_id, line_no) had to lose its uniqueness there)
CREATE OR REPLACE FUNCTION offline_join.distribute(shard_count integer DEFAULT NULL)
RETURNS text
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    t text;
    bad text;
    analyst text;
BEGIN
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_extension WHERE extname OPERATOR(pg_catalog.=) 'citus') THEN
        RAISE EXCEPTION 'offline_join.distribute() needs the citus extension in database "%"', pg_catalog.current_database()
            USING ERRCODE = 'feature_not_supported',
                  HINT = 'Install Citus, CREATE EXTENSION citus on every node, and add the workers first.';
    END IF;
    IF (SELECT mode FROM offline_join.layout) OPERATOR(pg_catalog.=) 'citus' THEN
        RAISE EXCEPTION 'offline_join.distribute(): the extension''s tables are distributed already'
            USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    IF NOT pg_catalog.citus_is_coordinator() THEN
        RAISE EXCEPTION 'offline_join.distribute() runs on the coordinator, not on this node'
            USING ERRCODE = 'feature_not_supported',
                  HINT = 'Connect to the Citus coordinator.';
    END IF;
    SELECT pg_catalog.string_agg(c.relname::text, ', ' ORDER BY c.relname) INTO bad
      FROM pg_catalog.pg_dist_partition p
      JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) p.logicalrelid
     WHERE c.relnamespace OPERATOR(pg_catalog.=) 'offline_join'::regnamespace;
    IF bad IS NOT NULL THEN
        RAISE EXCEPTION 'offline_join.distribute(): Citus manages some of the extension''s tables already: %', bad
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = 'distribute() converts the tables as CREATE EXTENSION made them.';
    END IF;
    IF (SELECT pg_catalog.count(*) FROM pg_catalog.pg_dist_node
         WHERE noderole OPERATOR(pg_catalog.=) 'primary' AND groupid OPERATOR(pg_catalog.<>) 0) OPERATOR(pg_catalog.=) 0 THEN
        RAISE EXCEPTION 'offline_join.distribute(): the cluster has no worker node'
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = 'Add the workers with citus_add_node() first.';
    END IF;
    -- the library on every node must be this version's
    SELECT pg_catalog.string_agg(r.nodename || ':' || r.nodeport || ' (' || r.result || ')', ', ') INTO bad
      FROM pg_catalog.run_command_on_workers(
             $$SELECT coalesce((SELECT extversion FROM pg_catalog.pg_extension WHERE extname = 'offline_join'), 'not installed')$$) r
     WHERE NOT r.success OR r.result OPERATOR(pg_catalog.<>)
           (SELECT extversion FROM pg_catalog.pg_extension WHERE extname OPERATOR(pg_catalog.=) 'offline_join');
    IF bad IS NOT NULL THEN
        RAISE EXCEPTION 'offline_join.distribute(): offline_join is not installed at this version on every worker: %', bad
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = 'Install the same offline_join on every node (CREATE EXTENSION on the coordinator propagates).';
    END IF;

    -- Citus expects each worker's own copy of an extension's table (from the
    -- propagated CREATE EXTENSION, empty) to have the coordinator's shape
    -- already: the same changes first on every worker.  They are idempotent,
    -- so that a distribute() that fails later can be run again.
    SELECT pg_catalog.string_agg(r.nodename || ':' || r.nodeport || ': ' || r.result, '; ') INTO bad
      FROM pg_catalog.run_command_on_workers($w$
        DO $do$
        BEGIN
          IF EXISTS (SELECT FROM ONLY offline_join.events) THEN
            RAISE EXCEPTION 'this worker''s own offline_join.events has rows';
          END IF;
          IF NOT EXISTS (SELECT FROM pg_catalog.pg_attribute
                          WHERE attrelid = 'offline_join.events'::regclass AND attname = 'dist_key'
                            AND NOT attisdropped) THEN
            SET LOCAL citus.enable_ddl_propagation = off;
            ALTER TABLE offline_join.events ADD COLUMN dist_key text NOT NULL;
            ALTER TABLE offline_join.events
                ADD CONSTRAINT events_dist_key CHECK (session_id IS NULL OR dist_key = session_id);
            ALTER TABLE offline_join.events DROP CONSTRAINT events_pkey;
            ALTER TABLE offline_join.events ADD CONSTRAINT events_pkey PRIMARY KEY (dist_key, event_id);
          END IF;
        END
        $do$$w$) r
     WHERE NOT r.success;
    IF bad IS NOT NULL THEN
        RAISE EXCEPTION 'offline_join.distribute(): a worker could not take the layout: %', bad
            USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;

    LOCK TABLE offline_join.sessions, offline_join.events, offline_join.transactions,
               offline_join.rejects, offline_join.loads, offline_join.sources,
               offline_join.products, offline_join.inboxes IN ACCESS EXCLUSIVE MODE;

    -- events: the distribution key, filled for the rows there are (a stored
    -- generated column becomes a plain one; no update trigger fires)
    ALTER TABLE offline_join.events
        ADD COLUMN dist_key text NOT NULL
            GENERATED ALWAYS AS (COALESCE(session_id, '~' OPERATOR(pg_catalog.||) load_id::text
                                 OPERATOR(pg_catalog.||) '.' OPERATOR(pg_catalog.||) line_no::text)) STORED;
    ALTER TABLE offline_join.events ALTER COLUMN dist_key DROP EXPRESSION;
    ALTER TABLE offline_join.events
        ADD CONSTRAINT events_dist_key
            CHECK (session_id IS NULL OR dist_key OPERATOR(pg_catalog.=) session_id);
    ALTER TABLE offline_join.events DROP CONSTRAINT events_pkey;
    ALTER TABLE offline_join.events ADD CONSTRAINT events_pkey PRIMARY KEY (dist_key, event_id);

    -- transactions_fill_expiry fires on the shards (it knows them)
    SET LOCAL citus.enable_unsafe_triggers = on;

    FOREACH t IN ARRAY ARRAY['layout', 'sources', 'products', 'loads'] LOOP
        PERFORM pg_catalog.create_reference_table(('offline_join.' OPERATOR(pg_catalog.||) t)::regclass);
    END LOOP;
    IF shard_count IS NULL THEN
        PERFORM pg_catalog.create_distributed_table('offline_join.sessions', 'session_id', colocate_with => 'none');
        PERFORM pg_catalog.create_distributed_table('offline_join.transactions', 'transaction_id', colocate_with => 'none');
        PERFORM pg_catalog.create_distributed_table('offline_join.rejects', 'load_id', colocate_with => 'none');
    ELSE
        PERFORM pg_catalog.create_distributed_table('offline_join.sessions', 'session_id', colocate_with => 'none', shard_count => shard_count);
        PERFORM pg_catalog.create_distributed_table('offline_join.transactions', 'transaction_id', colocate_with => 'none', shard_count => shard_count);
        PERFORM pg_catalog.create_distributed_table('offline_join.rejects', 'load_id', colocate_with => 'none', shard_count => shard_count);
    END IF;
    PERFORM pg_catalog.create_distributed_table('offline_join.events', 'dist_key', colocate_with => 'offline_join.sessions');
    FOREACH t IN ARRAY ARRAY['layout', 'sources', 'products', 'loads', 'sessions', 'transactions', 'rejects', 'events'] LOOP
        PERFORM pg_catalog.truncate_local_data_after_distributing_table(('offline_join.' OPERATOR(pg_catalog.||) t)::regclass);
    END LOOP;

    -- the analyst layer in forms Citus plans, on every node
    analyst := offline_join.analyst_layer(true);
    EXECUTE analyst;
    SELECT pg_catalog.string_agg(r.nodename || ':' || r.nodeport || ': ' || r.result, '; ') INTO bad
      FROM pg_catalog.run_command_on_workers(analyst) r
     WHERE NOT r.success;
    IF bad IS NOT NULL THEN
        RAISE EXCEPTION 'offline_join.distribute(): a worker could not take the analyst layer: %', bad
            USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;

    UPDATE offline_join.layout SET mode = 'citus', changed_at = pg_catalog.now();
    RETURN 'citus';
END
$fn$;
