/* offline_join 0.1.3 -> 0.1.4: the Citus layout */
\echo Use "ALTER EXTENSION offline_join UPDATE TO '0.1.4'" to load this file. \quit

-- Which layout the extension's tables have: 'local' (one server), or
-- 'citus' after offline_join.distribute().  One row.  Update scripts read
-- it to handle both shapes; the library reads Citus's own catalog, which
-- cannot disagree with what it finds.
CREATE TABLE offline_join.layout (
    mode        text NOT NULL
        CONSTRAINT layout_mode CHECK (mode IN ('local', 'citus')),
    changed_at  timestamptz NOT NULL DEFAULT pg_catalog.now(),
    one_row     boolean NOT NULL DEFAULT true
        CONSTRAINT layout_one_row CHECK (one_row),
    CONSTRAINT layout_pkey PRIMARY KEY (one_row)
);
INSERT INTO offline_join.layout (mode) VALUES ('local');
COMMENT ON TABLE offline_join.layout IS
    'the layout of the extension''s tables: local, or citus after offline_join.distribute()';
GRANT SELECT ON offline_join.layout TO PUBLIC;

-- Converts the installed extension to the Citus layout (README, "Citus"):
--   sources, products, layout,      reference tables (the ledger is read on
--   loads                           every node, beside the rejects)
--   sessions                        distributed by session_id
--   events                          distributed by dist_key, co-located with
--                                   sessions: the matched session's ID, or
--                                   '~<load_id>.<line_no>' for an event
--                                   without a session
--   transactions                    distributed by transaction_id
--   rejects                         distributed by load_id
--   inboxes                         local to the coordinator (inbox tables are)
--   expiry_runs                     local to each node (its expiry worker's)
-- One transaction: it converts everything or nothing.  Citus cannot undo it
-- for an extension's tables (undistribute_table() refuses them).
CREATE FUNCTION offline_join.distribute(shard_count integer DEFAULT NULL)
RETURNS text
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    t text;
    bad text;
    -- attributed_events: events and sessions join on their co-located key
    -- (dist_key is the session's ID whenever session_id is set, by
    -- events_dist_key).  abandoned_carts(): the sessions, then the visitors
    -- and customers that completed, as intermediate results Citus can join.
    analyst constant text := $an$
    SET LOCAL citus.enable_ddl_propagation = off;
    CREATE OR REPLACE VIEW offline_join.attributed_events AS
    SELECT e.event_id, e.load_id, e.line_no, e.source, e.event_time, e.customer_id,
           e.transaction_id, e.event_type, e.category, e.product, e.num1, e.num2,
           e.dims, e.attrs, e.match, e.visitor_id, e.session_id, e.snapshot,
           s.started_at AS session_started_at,
           s.customer_id AS session_customer_id,
           s.attrs AS session_attrs,
           COALESCE(e.snapshot, '{}'::jsonb) OPERATOR(pg_catalog.||) e.dims AS state
      FROM offline_join.events e
      LEFT JOIN offline_join.sessions s
        ON s.session_id OPERATOR(pg_catalog.=) e.dist_key
       AND s.session_id OPERATOR(pg_catalog.=) e.session_id;
    CREATE OR REPLACE FUNCTION offline_join.abandoned_carts(
        since timestamptz DEFAULT pg_catalog.now() OPERATOR(pg_catalog.-) interval '7 days',
        grace interval DEFAULT '24 hours')
    RETURNS TABLE (session_id text, visitor_id text, customer_id text, started_at timestamptz, cart jsonb)
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $ab$
    #variable_conflict use_column
    BEGIN
      RETURN QUERY
      WITH cand AS MATERIALIZED (
             SELECT s.session_id AS sid, s.visitor_id AS vid, s.customer_id AS cid,
                    s.started_at AS t0, s.attrs -> 'cart' AS c
               FROM offline_join.sessions s
              WHERE s.started_at >= since
                AND jsonb_typeof(s.attrs -> 'cart') = 'array'
                AND s.attrs -> 'cart' <> '[]'::jsonb),
           by_txn AS MATERIALIZED (
             SELECT DISTINCT cand.sid
               FROM cand JOIN offline_join.transactions t ON t.visitor_id = cand.vid
              WHERE t.recorded_at >= cand.t0 AND t.recorded_at <= cand.t0 + grace),
           by_visitor AS MATERIALIZED (
             SELECT DISTINCT cand.sid
               FROM cand JOIN offline_join.events e ON e.visitor_id = cand.vid
              WHERE e.event_type = 7 AND e.visitor_id IS NOT NULL
                AND e.event_time >= cand.t0 AND e.event_time <= cand.t0 + grace),
           by_customer AS MATERIALIZED (
             SELECT DISTINCT cand.sid
               FROM cand JOIN offline_join.events e ON e.customer_id = cand.cid
              WHERE cand.cid IS NOT NULL AND e.event_type = 7
                AND e.event_time >= cand.t0 AND e.event_time <= cand.t0 + grace)
      SELECT cand.sid, cand.vid, cand.cid, cand.t0, cand.c
        FROM cand
       WHERE cand.sid NOT IN (SELECT by_txn.sid FROM by_txn)
         AND cand.sid NOT IN (SELECT by_visitor.sid FROM by_visitor)
         AND cand.sid NOT IN (SELECT by_customer.sid FROM by_customer)
       ORDER BY cand.t0, cand.sid;
    END
    $ab$;
    $an$;
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
            DROP INDEX offline_join.events_load_line_idx;
            CREATE INDEX events_load_line_idx ON offline_join.events (load_id, line_no);
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
    DROP INDEX offline_join.events_load_line_idx;
    CREATE INDEX events_load_line_idx ON offline_join.events (load_id, line_no);

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
COMMENT ON FUNCTION offline_join.distribute(integer) IS
    'converts the extension''s tables to the Citus layout (README, "Citus"); once, on the coordinator';
REVOKE ALL ON FUNCTION offline_join.distribute(integer) FROM PUBLIC;
