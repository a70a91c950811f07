/* offline_join 0.1.4 -> 0.1.5: dumps that restore anywhere, one rule for
 * intervals, folders that keep their files */
\echo Use "ALTER EXTENSION offline_join UPDATE TO '0.1.5'" to load this file. \quit

-- The ledger keeps the loading role by name: a regrole naming a role that
-- the restoring cluster lacks failed the whole COPY of the ledger, and
-- load_dir() then loaded every file again.  A role dropped before this
-- update is kept as PostgreSQL names it, "unknown (OID=n)".
--
-- On the Citus layout, Citus runs this script on every worker too
-- (ALTER EXTENSION is propagated), while the coordinator's DDL reaches the
-- workers' tables and shards: there the tables are left to the coordinator
-- (offline_join_update.on_worker, set for this transaction).  Each DDL on a
-- table goes through EXECUTE, so that its text (which Citus sends to the
-- shards) is that statement, not this whole script.
DO $upd$
DECLARE
    on_worker boolean := false;
BEGIN
    IF pg_catalog.to_regproc('pg_catalog.citus_is_coordinator') IS NOT NULL THEN
        EXECUTE $q$SELECT NOT pg_catalog.citus_is_coordinator()
                     AND EXISTS (SELECT FROM pg_catalog.pg_dist_partition
                                  WHERE logicalrelid OPERATOR(pg_catalog.=) 'offline_join.loads'::pg_catalog.regclass)$q$
            INTO STRICT on_worker;
    END IF;
    PERFORM pg_catalog.set_config('offline_join_update.on_worker', on_worker::text, true);
    IF NOT on_worker THEN
        EXECUTE $ddl$ALTER TABLE offline_join.loads ALTER COLUMN loaded_by TYPE text
            USING CASE WHEN loaded_by IS NOT NULL
                       THEN pg_catalog.pg_get_userbyid(loaded_by::pg_catalog.oid)::pg_catalog.text END$ddl$;
    END IF;
END
$upd$;
COMMENT ON COLUMN offline_join.loads.loaded_by IS
    'the name of the role that made the load (the caller of load() or the role that sent the COPY) when it made it; NULL before 0.1.2';

-- The 2-year ceiling of expires_at: a CHECK, on INSERT and UPDATE alike,
-- whose answer depends on no session setting (the trigger's check added
-- '2 years' in the session's time zone, so a restore under another
-- TimeZone lost every row of the table).  In UTC's calendar, with 3 hours
-- for values 0.1.4 computed in a local calendar (a daylight saving time
-- change: an hour).  Built-in immutable functions only, so that Citus can
-- put it on the shards before the workers have this update.
COMMENT ON FUNCTION offline_join.transactions_fill_expiry() IS
    'trigger of offline_join.transactions: fills expires_at from the transaction window';
COMMENT ON COLUMN offline_join.transactions.expires_at IS
    'end of the matching window: recorded_at + offline_join.transaction_window (UTC''s calendar) unless given; at most 2 years after recorded_at (CHECK transactions_expires_within_2_years)';

-- Rows that the new rules refuse stop the update, which names them and
-- changes nothing: transaction IDs kept beyond 2 years (through 0.1.4's
-- mixed-sign intervals or an UPDATE), and sources whose options 0.1.5
-- refuses.  Kept as they are, they would make a dump unrestorable: a
-- restore's COPY of the table fails on them and keeps none of its rows.
-- The operator mends them (the hint says how) and runs the update again.
DO $upd$
DECLARE
    ceiling constant text := $c$expires_at OPERATOR(pg_catalog.<=) pg_catalog.timezone('UTC', pg_catalog.timezone('UTC', recorded_at) OPERATOR(pg_catalog.+) '2 years 03:00:00'::pg_catalog.interval)$c$;
    n bigint;
    sample text;
    bad text := '';
    src record;
BEGIN
    IF pg_catalog.current_setting('offline_join_update.on_worker')::boolean THEN
        RETURN;    -- the coordinator's ALTER TABLE reaches this node's shards
    END IF;
    EXECUTE format($q$SELECT pg_catalog.count(*),
                             pg_catalog.string_agg(pg_catalog.quote_literal(transaction_id), ', ')
                               FILTER (WHERE rn OPERATOR(pg_catalog.<=) 5)
                        FROM (SELECT transaction_id, pg_catalog.row_number() OVER (ORDER BY transaction_id) AS rn
                                FROM offline_join.transactions WHERE NOT (%s)) t$q$, ceiling)
        INTO n, sample;
    IF n OPERATOR(pg_catalog.>) 0 THEN
        RAISE EXCEPTION 'offline_join 0.1.5: % transaction ID(s) in offline_join.transactions are kept for more than 2 years: %', n, sample
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = 'A restore of a dump refuses such a row, and with it every row of the table.  The update changed nothing.',
                  HINT = 'End their window: SET TimeZone = ''UTC''; UPDATE offline_join.transactions SET expires_at = recorded_at + interval ''2 years'' WHERE expires_at > recorded_at + interval ''2 years''; then run ALTER EXTENSION offline_join UPDATE again.';
    END IF;
    EXECUTE format('ALTER TABLE offline_join.transactions ADD CONSTRAINT transactions_expires_within_2_years'
                   ' CHECK (%s)', ceiling);

    FOR src IN SELECT s.name, s.format, s.options FROM offline_join.sources s ORDER BY s.name LOOP
        BEGIN
            PERFORM offline_join.source_is_valid(src.name, src.format, src.options);
        EXCEPTION WHEN invalid_parameter_value THEN
            bad := bad || pg_catalog.format(E'\nsource %I: %s', src.name, SQLERRM);
        END;
    END LOOP;
    IF bad OPERATOR(pg_catalog.<>) '' THEN
        RAISE EXCEPTION 'offline_join 0.1.5: sources have options that 0.1.5 refuses:%', bad
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = 'A restore of a dump refuses such a source, and with it every row of offline_join.sources.  The update changed nothing.',
                  HINT = 'Set valid options with UPDATE offline_join.sources SET options = ... WHERE name = ...; then run ALTER EXTENSION offline_join UPDATE again.';
    END IF;
END
$upd$;

--------------------------------------------------------------------------
-- Row-level security on every read path (issue #31)
--------------------------------------------------------------------------

-- The analyst layer with the caller's rights: attributed_events is
-- security_invoker, so grants and policies on events and sessions apply
-- (an ordinary view read them with its owner's rights: every store's rows
-- and every session's state to any analyst).  Through a visible event it
-- shows no state of a session that policies hide (visitor, session ID and
-- snapshot are NULL, state is the event's dims).  abandoned_carts() needs
-- every purchase and transaction: it refuses, naming the table, when
-- policies filter events or transactions for the caller (a hidden purchase
-- would put a buyer on the list); sessions it shows as policies allow.
-- One description, as SQL, for both layouts: on Citus the view also joins
-- on the co-located key and abandoned_carts() works on intermediate
-- results Citus can join.  Run by this update and by distribute().
CREATE FUNCTION offline_join.analyst_layer(citus boolean)
RETURNS text
LANGUAGE sql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
-- @hidden@: the event matched a session that policies hide from the caller
SELECT CASE WHEN citus THEN 'SET LOCAL citus.enable_ddl_propagation = off;' ELSE '' END
    || pg_catalog.replace($an$
    CREATE OR REPLACE VIEW offline_join.attributed_events WITH (security_invoker = true) AS
    SELECT e.event_id, e.load_id, e.line_no, e.source, e.event_time, e.customer_id,
           e.transaction_id, e.event_type, e.category, e.product, e.num1, e.num2,
           e.dims, e.attrs, e.match,
           CASE WHEN @hidden@ THEN NULL ELSE e.visitor_id END AS visitor_id,
           CASE WHEN @hidden@ THEN NULL ELSE e.session_id END AS session_id,
           CASE WHEN @hidden@ THEN NULL ELSE e.snapshot END AS snapshot,
           s.started_at AS session_started_at,
           s.customer_id AS session_customer_id,
           s.attrs AS session_attrs,
           COALESCE(CASE WHEN @hidden@ THEN NULL ELSE e.snapshot END, '{}'::jsonb) OPERATOR(pg_catalog.||) e.dims AS state
      FROM offline_join.events e
$an$, '@hidden@', $h$(CASE WHEN e.session_id IS NOT NULL AND s.session_id IS NULL
                           THEN pg_catalog.row_security_active('offline_join.sessions'::pg_catalog.regclass)
                           ELSE false END)$h$)
    || CASE WHEN citus
            THEN $j$      LEFT JOIN offline_join.sessions s
        ON s.session_id OPERATOR(pg_catalog.=) e.dist_key
       AND s.session_id OPERATOR(pg_catalog.=) e.session_id;
$j$
            ELSE $j$      LEFT JOIN offline_join.sessions s ON s.session_id OPERATOR(pg_catalog.=) e.session_id;
$j$ END
    || $an$
    CREATE OR REPLACE FUNCTION offline_join.abandoned_carts(
        since timestamptz DEFAULT pg_catalog.now() OPERATOR(pg_catalog.-) interval '7 days',
        grace interval DEFAULT '24 hours')
    RETURNS TABLE (session_id text, visitor_id text, customer_id text, started_at timestamptz, cart jsonb)
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $ab$
    #variable_conflict use_column
    BEGIN
      -- (a role without SELECT gets the permission error of its query)
      IF (pg_catalog.row_security_active('offline_join.events'::pg_catalog.regclass)
          OR pg_catalog.row_security_active('offline_join.transactions'::pg_catalog.regclass))
         AND pg_catalog.has_table_privilege('offline_join.events', 'SELECT')
         AND pg_catalog.has_table_privilege('offline_join.transactions', 'SELECT') THEN
        RAISE EXCEPTION 'abandoned_carts() cannot apply row-level security: policies hide rows of % from role %',
                        CASE WHEN pg_catalog.row_security_active('offline_join.events'::pg_catalog.regclass)
                             THEN 'table "offline_join.events"' ELSE 'table "offline_join.transactions"' END,
                        pg_catalog.quote_ident(current_user::text)
          USING ERRCODE = 'insufficient_privilege',
                DETAIL = 'A cart is abandoned only if no purchase or transaction of its visitor or customer follows it; a hidden one would put a buyer on the mailer''s list.',
                HINT = 'Call it as a role that policies do not filter (a role with BYPASSRLS, or the tables'' owner).';
      END IF;
$an$
    || CASE WHEN citus THEN $b$
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
$b$ ELSE $b$
      RETURN QUERY
      SELECT s.session_id, s.visitor_id, s.customer_id, s.started_at, s.attrs -> 'cart'
        FROM offline_join.sessions s
       WHERE s.started_at >= since
         AND jsonb_typeof(s.attrs -> 'cart') = 'array'
         AND s.attrs -> 'cart' <> '[]'::jsonb
         AND NOT EXISTS (
               SELECT FROM offline_join.transactions t
                WHERE t.visitor_id = s.visitor_id
                  AND t.recorded_at >= s.started_at
                  AND t.recorded_at <= s.started_at + grace)
         AND NOT EXISTS (
               SELECT FROM offline_join.events e
                WHERE e.event_type = 7 AND e.visitor_id IS NOT NULL
                  AND e.visitor_id = s.visitor_id
                  AND e.event_time >= s.started_at
                  AND e.event_time <= s.started_at + grace)
         AND NOT EXISTS (
               SELECT FROM offline_join.events e
                WHERE s.customer_id IS NOT NULL
                  AND e.event_type = 7
                  AND e.customer_id = s.customer_id
                  AND e.event_time >= s.started_at
                  AND e.event_time <= s.started_at + grace)
       ORDER BY s.started_at, s.session_id;
$b$ END
    || $an$
    END
    $ab$;
$an$
$fn$;
COMMENT ON FUNCTION offline_join.analyst_layer(boolean) IS
    'the analyst layer (attributed_events, abandoned_carts()) as SQL, for one server or the Citus layout; run by the updates and distribute()';
REVOKE ALL ON FUNCTION offline_join.analyst_layer(boolean) FROM PUBLIC;

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

DO $upd$
DECLARE
    citus_layout boolean := false;
BEGIN
    IF pg_catalog.to_regclass('pg_catalog.pg_dist_partition') IS NOT NULL THEN
        EXECUTE $q$SELECT EXISTS (SELECT FROM pg_catalog.pg_dist_partition
                                   WHERE logicalrelid OPERATOR(pg_catalog.=) 'offline_join.events'::pg_catalog.regclass)$q$
            INTO STRICT citus_layout;
    END IF;
    -- this node's own forms (on Citus, the update runs on every node)
    EXECUTE offline_join.analyst_layer(citus_layout);
END
$upd$;
-- my_rejects, a view over a function: with the caller's rights too
ALTER VIEW offline_join.my_rejects SET (security_invoker = true);
